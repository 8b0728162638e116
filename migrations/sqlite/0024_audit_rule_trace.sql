-- Two newer audit columns: the governance rule that refused a call (ip, rate, tools, models,
-- approval …; empty for calls that ran), for the dashboard's refusals by rule, and the W3C
-- trace id of the request, to find its trace. The hash chain covers both when they are set
-- (see audit::chain), so entries written before them still verify.
ALTER TABLE audit_events ADD COLUMN rule TEXT;
ALTER TABLE audit_events ADD COLUMN trace_id TEXT;
