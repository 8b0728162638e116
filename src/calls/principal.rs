//! The authenticated caller of one MCP request: its connection and the Odoo user it acts as.

use crate::connections::Connection;
use crate::fault::Cause;
use crate::odoo::{Credential, Protocol};
use crate::secrets::Keyring;
use crate::state::AppState;
use crate::store::KeyHolderRow;

/// Set by the `/mcp` guard into the request's extensions; tools read it from there.
#[derive(Debug, Clone)]
pub struct Principal {
    pub connection: Connection,
    /// Odoo login of the user the connection acts as.
    pub login: String,
    /// That user's credential, unsealed for this request only.
    pub credential: Credential,
}

/// The sealed credential of a key's Odoo user, as read beside its connection.
#[derive(Debug)]
pub struct HolderCredential {
    pub uid: Option<i64>,
    pub protocol: Option<String>,
    pub sealed: Option<Vec<u8>>,
}

impl HolderCredential {
    /// Splits a key-holder row into its connection and its credential, without copying.
    pub fn split(row: KeyHolderRow) -> (Connection, Self) {
        let credential = Self {
            uid: row.holder_uid,
            protocol: row.holder_protocol,
            sealed: row.holder_secret,
        };
        (Connection::from(row.connection), credential)
    }
}

/// Why no principal could be formed for a connection.
#[derive(Debug, thiserror::Error)]
pub enum PrincipalError {
    #[error("{}", crate::connections::NO_LINKED_USER)]
    NoLinkedUser,
    #[error("the connection's user could not be loaded")]
    Internal(#[source] Cause),
}

impl Principal {
    /// The connection with its Odoo user's credential, unsealed.
    pub async fn load(state: &AppState, connection: Connection) -> Result<Self, PrincipalError> {
        let user_id = connection
            .odoo_user_id
            .ok_or(PrincipalError::NoLinkedUser)?;
        let user = state
            .store
            .get_odoo_user(user_id)
            .await
            .map_err(|e| PrincipalError::Internal(e.into()))?
            .ok_or(PrincipalError::NoLinkedUser)?;
        Self::unseal(
            &state.keyring,
            connection,
            &user.login,
            user.odoo_uid,
            &user.protocol,
            &user.secret_sealed,
        )
    }

    /// The principal of an API key's connection, with the credential columns read in the same
    /// query by [`crate::connections::find_key_holder`]: no further read.
    pub fn from_holder(
        keyring: &Keyring,
        connection: Connection,
        holder: HolderCredential,
    ) -> Result<Self, PrincipalError> {
        let (Some(login), Some(uid), Some(protocol), Some(sealed)) = (
            connection.user_login.clone(),
            holder.uid,
            holder.protocol,
            holder.sealed,
        ) else {
            return Err(PrincipalError::NoLinkedUser);
        };
        Self::unseal(keyring, connection, &login, uid, &protocol, &sealed)
    }

    fn unseal(
        keyring: &Keyring,
        connection: Connection,
        login: &str,
        uid: i64,
        protocol: &str,
        sealed: &[u8],
    ) -> Result<Self, PrincipalError> {
        let secret = keyring
            .open(sealed, login)
            .map_err(|e| PrincipalError::Internal(e.into()))?;
        let protocol = protocol
            .parse::<Protocol>()
            .map_err(|e| PrincipalError::Internal(e.into()))?;
        Ok(Self {
            connection,
            login: login.to_owned(),
            credential: Credential {
                uid,
                secret,
                protocol,
            },
        })
    }
}
