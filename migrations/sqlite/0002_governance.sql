-- The audit log (append-only from the application's side) and shared rate-limit counters.

CREATE TABLE audit_events (
    id               INTEGER PRIMARY KEY,
    at               INTEGER NOT NULL,
    method           TEXT    NOT NULL,
    tool             TEXT,
    model            TEXT,
    user_login       TEXT,
    connection_id    INTEGER,
    client_ip        TEXT,
    outcome          TEXT    NOT NULL,
    duration_ms      INTEGER NOT NULL,
    error            TEXT,
    request_payload  TEXT,
    response_payload TEXT
);

CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_connection ON audit_events (connection_id, at);

CREATE TABLE rate_counters (
    connection_id INTEGER NOT NULL,
    window_kind   TEXT    NOT NULL,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (connection_id, window_kind, window_start)
);
