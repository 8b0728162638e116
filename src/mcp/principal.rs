//! The authenticated caller of one MCP request: its connection and the Odoo user it acts as.

use crate::app::AppState;
use crate::connections::Connection;
use crate::odoo::{Credential, Protocol};

/// Set by the `/mcp` guard into the request's extensions; tools read it from there.
#[derive(Debug, Clone)]
pub struct Principal {
    pub connection: Connection,
    /// Odoo login of the user the connection acts as.
    pub login: String,
    /// That user's credential, unsealed for this request only.
    pub credential: Credential,
}

/// Why no principal could be formed for a connection.
#[derive(Debug, thiserror::Error)]
pub enum PrincipalError {
    #[error("This connection is not bound to a linked Odoo user yet.")]
    NoLinkedUser,
    #[error("{0}")]
    Internal(String),
}

impl Principal {
    /// The connection with its Odoo user's credential, unsealed.
    pub async fn load(state: &AppState, connection: Connection) -> Result<Self, PrincipalError> {
        let internal = |e: &dyn std::fmt::Display| PrincipalError::Internal(e.to_string());
        let user_id = connection.odoo_user_id.ok_or(PrincipalError::NoLinkedUser)?;
        let user = state
            .store
            .get_odoo_user(user_id)
            .await
            .map_err(|e| internal(&e))?
            .ok_or(PrincipalError::NoLinkedUser)?;
        let secret = state
            .keyring
            .open(&user.secret_sealed, &user.login)
            .map_err(|e| internal(&e))?;
        let protocol = if user.protocol == Protocol::Json2.as_str() {
            Protocol::Json2
        } else {
            Protocol::JsonRpc
        };
        Ok(Self {
            connection,
            login: user.login,
            credential: Credential {
                uid: user.odoo_uid,
                secret,
                protocol,
            },
        })
    }
}
