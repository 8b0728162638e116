-- Human-in-the-loop approvals: a gated tool call held until a person decides it.

CREATE TABLE approvals (
    id                TEXT   PRIMARY KEY,
    connection_id     BIGINT NOT NULL REFERENCES connections (id),
    requester_user_id BIGINT NOT NULL REFERENCES odoo_users (id),
    approver_user_id  BIGINT REFERENCES odoo_users (id),
    tool              TEXT   NOT NULL,
    arguments         TEXT   NOT NULL,
    arguments_hash    BYTEA  NOT NULL,
    summary           TEXT   NOT NULL,
    state             TEXT   NOT NULL,
    created_at        BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    decided_at        BIGINT,
    decided_by        BIGINT REFERENCES odoo_users (id),
    reason            TEXT,
    result            TEXT,
    error             TEXT,
    activity_ids      TEXT   NOT NULL DEFAULT '',
    activity_warning  TEXT
);

CREATE INDEX approvals_state ON approvals (state, expires_at);
CREATE INDEX approvals_connection ON approvals (connection_id, created_at);
