//! Everything that speaks Odoo: the client the gateway uses, and the Odoo-compatible simulator.

mod client;
mod error;
pub mod fields;
#[cfg(test)]
mod samples;
mod types;
mod wire;

pub mod sim;

pub use client::OdooClient;
pub use error::{Error, ErrorKind};
pub use types::{Call, Credential, Identity, OdooConfig, Protocol, ProtocolChoice, ServerVersion};
