-- Human-in-the-loop approvals: a gated tool call held until a person decides it.

CREATE TABLE approvals (
    id                TEXT    PRIMARY KEY,
    connection_id     INTEGER NOT NULL REFERENCES connections (id),
    requester_user_id INTEGER NOT NULL REFERENCES odoo_users (id),
    approver_user_id  INTEGER REFERENCES odoo_users (id),
    tool              TEXT    NOT NULL,
    arguments         TEXT    NOT NULL,
    arguments_hash    BLOB    NOT NULL,
    summary           TEXT    NOT NULL,
    state             TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    decided_at        INTEGER,
    decided_by        INTEGER REFERENCES odoo_users (id),
    reason            TEXT,
    result            TEXT,
    error             TEXT,
    activity_ids      TEXT    NOT NULL DEFAULT '',
    activity_warning  TEXT
);

CREATE INDEX approvals_state ON approvals (state, expires_at);
CREATE INDEX approvals_connection ON approvals (connection_id, created_at);
