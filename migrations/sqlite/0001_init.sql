-- Odoo users whose credential the gateway holds (sealed), and the connections acting as them.
-- Portable column types only: INTEGER (ids, flags, unix-ms times), TEXT, BLOB.

CREATE TABLE odoo_users (
    id            INTEGER PRIMARY KEY,
    login         TEXT    NOT NULL UNIQUE,
    odoo_uid      INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    protocol      TEXT    NOT NULL,
    secret_sealed BLOB    NOT NULL,
    role          TEXT,
    linked_at     INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE connections (
    id                    INTEGER PRIMARY KEY,
    kind                  TEXT    NOT NULL,
    name                  TEXT    NOT NULL,
    odoo_user_id          INTEGER REFERENCES odoo_users (id),
    scope                 TEXT    NOT NULL,
    key_prefix            TEXT,
    key_hash              BLOB UNIQUE,
    description           TEXT    NOT NULL DEFAULT '',
    allowed_tools         TEXT    NOT NULL DEFAULT '',
    allowed_models        TEXT    NOT NULL DEFAULT '',
    approval_tools        TEXT    NOT NULL DEFAULT '',
    approver_user_id      INTEGER REFERENCES odoo_users (id),
    approval_expiry_hours INTEGER,
    allowed_ips           TEXT    NOT NULL DEFAULT '',
    blocked_ips           TEXT    NOT NULL DEFAULT '',
    rate_per_minute       INTEGER,
    rate_per_day          INTEGER,
    created_at            INTEGER NOT NULL,
    revoked_at            INTEGER,
    last_used_at          INTEGER,
    request_count         INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX connections_odoo_user ON connections (odoo_user_id);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
