-- Retry-safe writes: per connection, an idempotency key, the keyed hash of the arguments it was
-- first used with, how that call stands and, once it ended, its answer; kept 24 hours.
CREATE TABLE idempotency (
    connection_id  INTEGER NOT NULL REFERENCES connections (id),
    idem_key       TEXT    NOT NULL,
    arguments_hash BLOB    NOT NULL,
    state          TEXT    NOT NULL,
    result         TEXT,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    PRIMARY KEY (connection_id, idem_key)
);

CREATE INDEX idempotency_expires ON idempotency (expires_at);
