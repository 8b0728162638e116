-- The OAuth 2.1 authorization server: clients (one per OAuth connection), authorization codes,
-- access and refresh tokens (only their keyed hashes), and fetched client ID metadata documents.
-- Portable column types only: INTEGER (ids, flags, unix-ms times), TEXT, BLOB.

-- One row per OAuth connection. Registered (dynamic or Custom OAuth) clients have a unique
-- client_id; a client ID metadata document URL is shared by every user of that client, so its
-- rows (metadata_url set) get one connection per consenting user.
CREATE TABLE oauth_clients (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL UNIQUE REFERENCES connections (id) ON DELETE CASCADE,
    client_id     TEXT    NOT NULL,
    client_type   TEXT    NOT NULL,          -- 'public' | 'confidential'
    secret_hash   BLOB,                      -- confidential clients only
    redirect_uris TEXT    NOT NULL,          -- newline-separated
    client_name   TEXT    NOT NULL,
    dynamic       INTEGER NOT NULL DEFAULT 0, -- registered itself (/oauth/register or a metadata document)
    metadata_url  TEXT,
    created_at    INTEGER NOT NULL,
    claimed_at    INTEGER                    -- first consent; unclaimed dynamic clients are pruned
);

CREATE UNIQUE INDEX oauth_clients_registered ON oauth_clients (client_id) WHERE metadata_url IS NULL;
CREATE INDEX oauth_clients_client_id ON oauth_clients (client_id);

CREATE TABLE oauth_codes (
    code_hash      BLOB    PRIMARY KEY,
    connection_id  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    client_id      TEXT    NOT NULL,
    redirect_uri   TEXT    NOT NULL,
    code_challenge TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    resource       TEXT    NOT NULL,
    family_id      TEXT    NOT NULL,         -- the tokens this code is exchanged for
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
);

CREATE TABLE oauth_tokens (
    token_hash    BLOB    PRIMARY KEY,
    kind          TEXT    NOT NULL,          -- 'access' | 'refresh'
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    client_id     TEXT    NOT NULL,
    family_id     TEXT    NOT NULL,          -- every token descended from one authorization code
    scope         TEXT    NOT NULL,
    audience      TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    rotated_at    INTEGER                    -- refresh tokens: when exchanged for a new pair
);

CREATE INDEX oauth_tokens_family ON oauth_tokens (family_id);
CREATE INDEX oauth_tokens_connection ON oauth_tokens (connection_id);

CREATE TABLE oauth_client_documents (
    url        TEXT    PRIMARY KEY,
    body       TEXT    NOT NULL,
    fetched_at INTEGER NOT NULL
);
