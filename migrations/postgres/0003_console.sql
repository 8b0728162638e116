-- The console: browser sessions, sign-in throttling, and the OAuth client columns of connections
-- that the console shows and the Custom OAuth wizard fills (the OAuth server reuses them).
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

ALTER TABLE connections ADD COLUMN client_id TEXT;
ALTER TABLE connections ADD COLUMN client_type TEXT;
ALTER TABLE connections ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE connections ADD COLUMN client_secret_hash BYTEA;
ALTER TABLE connections ADD COLUMN dynamic BIGINT NOT NULL DEFAULT 0;

CREATE UNIQUE INDEX connections_client_id ON connections (client_id);
