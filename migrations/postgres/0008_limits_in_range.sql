-- Per-connection limits are whole numbers from 1 to 1,000,000,000 (values::Limit), read back
-- strictly. Earlier CLIs accepted up to 4,294,967,295: such a value meant "no practical limit"
-- and is clamped to the largest accepted one; a zero or negative one never reached the store.
UPDATE connections SET rate_per_minute = 1000000000 WHERE rate_per_minute > 1000000000;
UPDATE connections SET rate_per_day = 1000000000 WHERE rate_per_day > 1000000000;
UPDATE connections SET approval_expiry_hours = 1000000000 WHERE approval_expiry_hours > 1000000000;
