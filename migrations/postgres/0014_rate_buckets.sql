-- Rate counters count buckets of a connection besides its requests: its calls of tools that
-- change data (the write budget) and its calls of one tool (tool limits, 'tool:<name>'). The
-- bucket joins the key; the counts of the current windows are kept as request counts.
-- Replicas of an older version cannot count against the new key: upgrade them together.
ALTER TABLE rate_counters ADD COLUMN bucket TEXT NOT NULL DEFAULT 'requests';
ALTER TABLE rate_counters ALTER COLUMN bucket DROP DEFAULT;
ALTER TABLE rate_counters DROP CONSTRAINT rate_counters_pkey;
ALTER TABLE rate_counters ADD PRIMARY KEY (connection_id, bucket, window_kind, window_start);
