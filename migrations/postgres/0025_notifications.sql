-- Notifications: events waiting for (or done with) delivery to the notification webhook.
-- A row is written when its event happens and is delivered at least once by whichever
-- replica claims it: claiming sets lease_owner and pushes next_at past the lease, in one
-- UPDATE, so two replicas never send the same attempt. delivered_at or failed_at closes it.
CREATE TABLE notify_outbox (
    id           TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    data         TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    next_at      BIGINT  NOT NULL,
    attempts     BIGINT  NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    delivered_at BIGINT,
    failed_at    BIGINT,
    last_error   TEXT
);
CREATE INDEX notify_outbox_due ON notify_outbox (next_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

-- Refusals per connection in its current window, for the "repeated refusals" event: one
-- upsert per connection per audit batch, atomic on every engine, so replicas count together.
CREATE TABLE notify_refusals (
    connection_id BIGINT PRIMARY KEY,
    window_start  BIGINT  NOT NULL,
    count         BIGINT  NOT NULL
);
