-- In-chat confirmations that let a call run: each lets that call run once (a retry with the
-- same idempotency key is the same run), kept until the confirmation's own expiry.
CREATE TABLE used_confirmations (
    state_hash BYTEA  PRIMARY KEY,
    idem_key   TEXT,
    expires_at BIGINT NOT NULL
);

CREATE INDEX used_confirmations_expires ON used_confirmations (expires_at);
