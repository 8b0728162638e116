-- Retry-safe writes: per connection, an idempotency key, the keyed hash of the arguments it was
-- first used with, how that call stands and, once it ended, its answer; kept 24 hours.
CREATE TABLE idempotency (
    connection_id  BIGINT  NOT NULL REFERENCES connections (id),
    idem_key       TEXT    NOT NULL,
    arguments_hash BYTEA   NOT NULL,
    state          TEXT    NOT NULL,
    result         TEXT,
    created_at     BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL,
    PRIMARY KEY (connection_id, idem_key)
);

CREATE INDEX idempotency_expires ON idempotency (expires_at);
