//! Everything that speaks Odoo: the client the gateway uses, and the Odoo-compatible simulator.

pub mod sim;
