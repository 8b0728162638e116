//! One tool call, below the surfaces that receive it: who it acts as ([`Principal`]), the
//! in-call governance ([`admit`]), the tools that run it in Odoo as that user, and how it fails
//! ([`ToolError`]). The MCP server and the approvals both run calls through here.

pub mod admit;
mod context;
mod error;
pub mod fields;
mod principal;
pub mod tools;

pub use context::ToolContext;
pub use error::ToolError;
pub use principal::{HolderCredential, Principal, PrincipalError};
