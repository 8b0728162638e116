-- The continuous audit stream's resume positions: per writer (one gateway process's chain),
-- the last entry the receiver acknowledged. A streaming gateway registers its own writer and
-- holds a lease on it; a writer whose lease ran out (its process is gone) is taken over by
-- any streaming replica, which delivers the rest of that chain.
CREATE TABLE audit_stream (
    writer      TEXT    PRIMARY KEY,
    seq         INTEGER NOT NULL,
    owner       TEXT    NOT NULL,
    lease_until INTEGER NOT NULL
);
