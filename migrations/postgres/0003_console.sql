-- The console: browser sessions and sign-in throttling.
-- Same logical schema as migrations/sqlite: BIGINT, TEXT, BYTEA.

CREATE TABLE console_sessions (
    id_hash       BYTEA    PRIMARY KEY,
    odoo_user_id  BIGINT NOT NULL REFERENCES odoo_users (id) ON DELETE CASCADE,
    csrf_token    TEXT    NOT NULL,
    flash         TEXT,
    reveal_sealed BYTEA,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);

CREATE INDEX console_sessions_user ON console_sessions (odoo_user_id);

CREATE TABLE signin_throttle (
    key              TEXT    PRIMARY KEY,
    failures         BIGINT NOT NULL,
    first_failure_at BIGINT NOT NULL,
    locked_until     BIGINT
);
