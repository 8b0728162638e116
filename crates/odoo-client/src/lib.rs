//! The Odoo client the gateway uses: JSON-2 (Odoo 19+) and JSON-RPC `execute_kw` (16–19), one
//! call type, typed errors, and the field metadata cache. Knows nothing of the gateway.

mod client;
mod error;
pub mod fields;
#[cfg(test)]
mod samples;
mod types;
mod wire;

pub use client::OdooClient;
pub use client::web::{ReportFormat, WebSession};
pub use error::{Error, ErrorKind};
pub use types::{
    Call, Credential, Identity, OdooConfig, Protocol, ProtocolChoice, ServerVersion,
    UnknownProtocol,
};
