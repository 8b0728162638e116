-- Notifications: events waiting for (or done with) delivery to the notification webhook.
-- A row is written when its event happens and is delivered at least once by whichever
-- replica claims it: claiming sets lease_owner and pushes next_at past the lease, in one
-- UPDATE, so two replicas never send the same attempt. delivered_at or failed_at closes it.
CREATE TABLE notify_outbox (
    id           TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    data         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    next_at      INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    delivered_at INTEGER,
    failed_at    INTEGER,
    last_error   TEXT
);
CREATE INDEX notify_outbox_due ON notify_outbox (next_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

-- Refusals per connection in its current window, for the "repeated refusals" event: one
-- upsert per connection per audit batch, atomic on every engine, so replicas count together.
CREATE TABLE notify_refusals (
    connection_id INTEGER PRIMARY KEY,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL
);
