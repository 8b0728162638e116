-- Four-eyes approvals are on by default for new installations; one that already has linked
-- users keeps deciding as before until an administrator turns it on in Server Settings.
INSERT INTO settings (name, value)
SELECT 'four_eyes', 'false' WHERE EXISTS (SELECT 1 FROM odoo_users)
ON CONFLICT (name) DO NOTHING;
