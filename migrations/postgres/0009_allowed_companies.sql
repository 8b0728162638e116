-- Allowed companies: the Odoo company ids a connection may act in, one per line; empty means
-- every company of its Odoo user.
ALTER TABLE connections ADD COLUMN allowed_companies TEXT NOT NULL DEFAULT '';
