-- Record limits (one `model: domain` per line), Field limits (one `model: field, pattern` per
-- line), the write budget (calls of tools that change data, per minute and per day) and
-- per-tool limits (one `tool: N/minute, M/day` per line). Empty or NULL: no such limit.
ALTER TABLE connections ADD COLUMN record_limits TEXT NOT NULL DEFAULT '';
ALTER TABLE connections ADD COLUMN field_limits TEXT NOT NULL DEFAULT '';
ALTER TABLE connections ADD COLUMN write_per_minute BIGINT;
ALTER TABLE connections ADD COLUMN write_per_day BIGINT;
ALTER TABLE connections ADD COLUMN tool_limits TEXT NOT NULL DEFAULT '';
