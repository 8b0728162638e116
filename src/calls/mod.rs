//! One tool call, below the surfaces that receive it: who it acts as ([`Principal`]), the
//! in-call governance ([`admit`]), the tools that run it in Odoo as that user, and how it fails
//! ([`ToolError`]). The MCP server and the approvals both run calls through here.

pub(crate) mod activity;
pub(crate) mod admit;
pub(crate) mod budget;
pub(crate) mod companies;
mod context;
mod error;
pub(crate) mod fields;
pub(crate) mod links;
mod modules;
pub(crate) mod once;
mod principal;
pub(crate) mod records;
pub(crate) mod saved;
pub(crate) mod text;
pub(crate) mod tools;

pub(crate) use context::ToolContext;
pub(crate) use error::ToolError;
pub(crate) use principal::{HolderCredential, Principal, PrincipalError};
