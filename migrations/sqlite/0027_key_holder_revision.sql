-- The revision of what an API key's lookup reads (the hot path's `store::KeyReader`): the
-- connection, its Odoo user and the master switch. Triggers move it in the same transaction as
-- any change to them, whoever writes (this process, the CLI, another process on this file, a
-- person with the sqlite3 shell), so a reader may keep the rows it read with the revision they
-- were read at and serve them again while the revision stands: one read of this one row instead
-- of the lookup's join and its decoding. A changed key, policy, revocation, credential or
-- switch is seen on the very next request, as before.
--
-- The audit writer's usage update (request_count, last_used_at, every batch) is the one change
-- that does not move it; an UPDATE that changes request_count must change nothing else.
-- PostgreSQL has no in-place reader, hence no such table.
CREATE TABLE key_holder_revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO key_holder_revision (id, n) VALUES (1, 0);

CREATE TRIGGER key_holder_connection_added AFTER INSERT ON connections
BEGIN UPDATE key_holder_revision SET n = n + 1; END;
CREATE TRIGGER key_holder_connection_changed AFTER UPDATE ON connections
WHEN OLD.request_count IS NEW.request_count
BEGIN UPDATE key_holder_revision SET n = n + 1; END;
CREATE TRIGGER key_holder_connection_removed AFTER DELETE ON connections
BEGIN UPDATE key_holder_revision SET n = n + 1; END;

CREATE TRIGGER key_holder_user_added AFTER INSERT ON odoo_users
BEGIN UPDATE key_holder_revision SET n = n + 1; END;
CREATE TRIGGER key_holder_user_changed AFTER UPDATE ON odoo_users
BEGIN UPDATE key_holder_revision SET n = n + 1; END;
CREATE TRIGGER key_holder_user_removed AFTER DELETE ON odoo_users
BEGIN UPDATE key_holder_revision SET n = n + 1; END;

-- Any setting, not only the switch: settings change seldom, and a rename cannot slip past.
CREATE TRIGGER key_holder_setting_added AFTER INSERT ON settings
BEGIN UPDATE key_holder_revision SET n = n + 1; END;
CREATE TRIGGER key_holder_setting_changed AFTER UPDATE ON settings
BEGIN UPDATE key_holder_revision SET n = n + 1; END;
CREATE TRIGGER key_holder_setting_removed AFTER DELETE ON settings
BEGIN UPDATE key_holder_revision SET n = n + 1; END;
