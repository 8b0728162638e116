//! An in-memory, Odoo-compatible HTTP server: the test double for real Odoo 18 and 19.
