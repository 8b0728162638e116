//! odoo-mcp-gateway: a governed Model Context Protocol gateway in front of any Odoo.

pub mod odoo;
