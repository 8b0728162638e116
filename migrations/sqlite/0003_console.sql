-- The console: browser sessions and sign-in throttling.
-- Portable column types only: INTEGER (ids, flags, unix-ms times), TEXT, BLOB.

CREATE TABLE console_sessions (
    id_hash       BLOB    PRIMARY KEY,
    odoo_user_id  INTEGER NOT NULL REFERENCES odoo_users (id) ON DELETE CASCADE,
    csrf_token    TEXT    NOT NULL,
    flash         TEXT,
    reveal_sealed BLOB,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);

CREATE INDEX console_sessions_user ON console_sessions (odoo_user_id);

CREATE TABLE signin_throttle (
    key              TEXT    PRIMARY KEY,
    failures         INTEGER NOT NULL,
    first_failure_at INTEGER NOT NULL,
    locked_until     INTEGER
);
