-- The dashboard's rollups: per bucket (an hour, or a UTC day), connection (0: none, a refusal
-- before authentication), dimension ('outcome', 'rule', 'tool' or 'model') and its value, how
-- many audit entries, their summed duration and a latency histogram (l0 < 10 ms, l1 < 25, l2 < 50,
-- l3 < 100, l4 < 250, l5 < 500, l6 < 1 s, l7 < 2.5 s, l8 < 5 s, l9 < 10 s, l10 the rest), so p50
-- and p95 per tool come from bucket counts. The audit writer adds its batch in the same
-- transaction as the entries (an upsert per key), so the counts are exact with several replicas;
-- a plain GROUP BY over a million entries took seconds. Kept longer than the entries (see
-- README, Dashboard): the retention job cuts hourly buckets after 7 days and daily ones after 400.
CREATE TABLE audit_rollup (
    span_ms        INTEGER NOT NULL,
    bucket         INTEGER NOT NULL,
    connection_id  INTEGER NOT NULL,
    dim            TEXT NOT NULL,
    value          TEXT NOT NULL,
    events         INTEGER NOT NULL,
    total_ms       INTEGER NOT NULL,
    l0            INTEGER NOT NULL DEFAULT 0,
    l1            INTEGER NOT NULL DEFAULT 0,
    l2            INTEGER NOT NULL DEFAULT 0,
    l3            INTEGER NOT NULL DEFAULT 0,
    l4            INTEGER NOT NULL DEFAULT 0,
    l5            INTEGER NOT NULL DEFAULT 0,
    l6            INTEGER NOT NULL DEFAULT 0,
    l7            INTEGER NOT NULL DEFAULT 0,
    l8            INTEGER NOT NULL DEFAULT 0,
    l9            INTEGER NOT NULL DEFAULT 0,
    l10           INTEGER NOT NULL DEFAULT 0,
    -- Dimension before time: each dashboard query reads one dimension's rows of one span.
    PRIMARY KEY (span_ms, dim, bucket, connection_id, value)
) WITHOUT ROWID;

-- Backfill from the entries already there: each entry once per span and per dimension it has.
INSERT INTO audit_rollup (span_ms, bucket, connection_id, dim, value, events, total_ms,
                          l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10)
SELECT span_ms, at - (at % span_ms), connection_id, dim, value, COUNT(*), SUM(duration_ms),
       SUM(CASE WHEN duration_ms < 10 THEN 1 ELSE 0 END),
       SUM(CASE WHEN duration_ms >= 10 AND duration_ms < 25 THEN 1 ELSE 0 END),
       SUM(CASE WHEN duration_ms >= 25 AND duration_ms < 50 THEN 1 ELSE 0 END),
       SUM(CASE WHEN duration_ms >= 50 AND duration_ms < 100 THEN 1 ELSE 0 END),
       SUM(CASE WHEN duration_ms >= 100 AND duration_ms < 250 THEN 1 ELSE 0 END),
       SUM(CASE WHEN duration_ms >= 250 AND duration_ms < 500 THEN 1 ELSE 0 END),
       SUM(CASE WHEN duration_ms >= 500 AND duration_ms < 1000 THEN 1 ELSE 0 END),
       SUM(CASE WHEN duration_ms >= 1000 AND duration_ms < 2500 THEN 1 ELSE 0 END),
       SUM(CASE WHEN duration_ms >= 2500 AND duration_ms < 5000 THEN 1 ELSE 0 END),
       SUM(CASE WHEN duration_ms >= 5000 AND duration_ms < 10000 THEN 1 ELSE 0 END),
       SUM(CASE WHEN duration_ms >= 10000 THEN 1 ELSE 0 END)
FROM (
    SELECT s.span_ms, e.at, COALESCE(e.connection_id, 0) AS connection_id, d.dim,
           CASE d.dim WHEN 'outcome' THEN e.outcome WHEN 'rule' THEN e.rule
                      WHEN 'tool' THEN e.tool ELSE e.model END AS value,
           e.duration_ms
    FROM audit_events e
    CROSS JOIN (SELECT CAST(3600000 AS BIGINT) AS span_ms
                UNION ALL SELECT CAST(86400000 AS BIGINT)) s
    CROSS JOIN (SELECT 'outcome' AS dim UNION ALL SELECT 'rule' UNION ALL SELECT 'tool'
                UNION ALL SELECT 'model') d
) x
WHERE value IS NOT NULL AND value <> ''
GROUP BY span_ms, at - (at % span_ms), connection_id, dim, value;
