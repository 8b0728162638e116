-- One-time links to files: a download (an attachment or a report, streamed from Odoo as the
-- connection's user when fetched) or an upload. Only the keyed hash of the link's token is kept;
-- the file itself never is. A link is used up by the one statement that marks it used, so two
-- fetches, on one process or on two replicas, never both get the file.
CREATE TABLE file_links (
    token_hash    BLOB   PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id),
    target        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);

CREATE INDEX file_links_expires ON file_links (expires_at);
