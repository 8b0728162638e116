//! The authenticated caller of one MCP request: its connection and the Odoo user it acts as.

use crate::connections::Connection;
use crate::odoo::Credential;

/// Set by the `/mcp` guard into the request's extensions; tools read it from there.
#[derive(Debug, Clone)]
pub struct Principal {
    pub connection: Connection,
    /// Odoo login of the user the connection acts as.
    pub login: String,
    /// That user's credential, unsealed for this request only.
    pub credential: Credential,
}
