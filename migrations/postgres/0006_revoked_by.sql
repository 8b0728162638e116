-- Who revoked a connection: only an MCP Administrator may reactivate what an administrator
-- revoked (1); the connection's own user may reactivate what they revoked themselves (0).
ALTER TABLE connections ADD COLUMN revoked_by_admin INTEGER NOT NULL DEFAULT 0;
