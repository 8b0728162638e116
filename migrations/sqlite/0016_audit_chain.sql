-- Tamper evidence for the audit log: each entry is linked into its writer's chain (`writer` is
-- random per gateway process, `seq` counts from 1, `hash` is an HMAC over the entry and
-- `prev_hash`). Entries written before this migration have no chain (NULLs) and are not checked.
ALTER TABLE audit_events ADD COLUMN writer TEXT;
ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN prev_hash BLOB;
ALTER TABLE audit_events ADD COLUMN hash BLOB;

CREATE UNIQUE INDEX audit_events_chain ON audit_events (writer, seq);

-- Where the retention job cut each chain: the last entry it deleted, so that `audit verify`
-- starts there instead of reporting the retention's deletes as missing entries.
CREATE TABLE audit_checkpoints (
    writer TEXT    PRIMARY KEY,
    seq    INTEGER NOT NULL,
    hash   BLOB    NOT NULL,
    at     INTEGER NOT NULL
);
