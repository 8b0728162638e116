-- Rate counters count buckets of a connection besides its requests: its calls of tools that
-- change data (the write budget) and its calls of one tool (tool limits, 'tool:<name>'). The
-- bucket joins the key; SQLite cannot change a primary key, so the table is rebuilt, the
-- counts of the current windows kept as request counts.
CREATE TABLE rate_counters_new (
    connection_id INTEGER NOT NULL,
    bucket        TEXT    NOT NULL,
    window_kind   TEXT    NOT NULL,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (connection_id, bucket, window_kind, window_start)
);
INSERT INTO rate_counters_new (connection_id, bucket, window_kind, window_start, count)
    SELECT connection_id, 'requests', window_kind, window_start, count FROM rate_counters;
DROP TABLE rate_counters;
ALTER TABLE rate_counters_new RENAME TO rate_counters;
