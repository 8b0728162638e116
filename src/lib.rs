//! odoo-mcp-gateway: a governed Model Context Protocol gateway in front of any Odoo.

pub mod clock;
pub mod config;
pub mod connections;
pub mod odoo;
pub mod secrets;
pub mod settings;
pub mod store;
