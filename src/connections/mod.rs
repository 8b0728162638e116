//! Connections: the API keys (and OAuth clients) through which AI clients act as one Odoo user.
//!
//! Status, scope and key handling are pure functions here; creation, rotation and revocation are
//! the one place the CLI, the console and the MCP endpoint all go through.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

pub mod policy_file;
pub mod policy_plan;
pub mod policy_text;
pub mod redirect;
pub mod templates;

use crate::clock::{DAY_MS, HOUR_MS, Millis};
use crate::notify;
use crate::secrets::{self, Keyring, TokenHash};
use crate::store::{self, ConnectionRow, KeyReader, NewConnection, Store};
pub use crate::values::{ClientType, Kind, Policy, Scope};

/// Every API key starts with this, so secret scanners and people recognise it.
pub const API_KEY_PREFIX: &str = "omg_";
/// How much of a key is kept and shown to identify it: the prefix and 8 more characters.
const DISPLAY_PREFIX_LEN: usize = API_KEY_PREFIX.len() + 8;
const MAX_NAME_LEN: usize = 120;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no connection with id {0}")]
    NotFound(i64),
    #[error(
        "connection {0} was revoked by an MCP Administrator: only an administrator can reactivate it"
    )]
    RevokedByAdministrator(i64),
    #[error(
        "the Odoo user '{0}' is not linked yet: run `odoo-mcp-gateway user link {0}` or sign in to the console first"
    )]
    UnknownUser(String),
    #[error("a connection needs a name (1 to {MAX_NAME_LEN} characters)")]
    BadName,
    #[error("connection {0} is not an API-key connection")]
    NotAnApiKey(i64),
    #[error("connection {0} is not a confidential OAuth client")]
    NotConfidential(i64),
    #[error("a redirect URI is refused: {0}")]
    BadRedirectUri(#[from] redirect::RedirectError),
    #[error("an OAuth client needs at least one redirect URI")]
    NoRedirectUri,
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Secrets(#[from] secrets::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

/// The colour-coded state of a connection, derived from its history and the idle threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Issued, never used (yellow).
    Awaiting,
    /// Used within the idle threshold (green).
    Connected,
    /// Silent longer than the idle threshold (grey).
    Idle,
    /// Revoked (red).
    Revoked,
}

impl Status {
    /// The status's one word, as the console's colours and filters name it.
    pub fn key(self) -> &'static str {
        match self {
            Self::Awaiting => "awaiting",
            Self::Connected => "connected",
            Self::Idle => "idle",
            Self::Revoked => "revoked",
        }
    }

    pub fn derive(
        revoked_at: Option<Millis>,
        last_used_at: Option<Millis>,
        idle_after: Millis,
        now: Millis,
    ) -> Self {
        match (revoked_at, last_used_at) {
            (Some(_), _) => Self::Revoked,
            (None, None) => Self::Awaiting,
            (None, Some(used)) if now - used > idle_after => Self::Idle,
            (None, Some(_)) => Self::Connected,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Awaiting => "Awaiting connection",
            Self::Connected => "Connected",
            Self::Idle => "Idle",
            Self::Revoked => "Revoked",
        }
    }
}

/// "for 3 days, 4 hours": how long an Idle connection has been silent.
pub fn idle_for(last_used_at: Millis, now: Millis) -> String {
    let silent = (now - last_used_at).max(0);
    let days = silent / DAY_MS;
    let hours = (silent % DAY_MS) / HOUR_MS;
    let unit = |n: i64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    format!("for {}, {}", unit(days, "day"), unit(hours, "hour"))
}

/// A connection as the rest of the gateway sees it.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: i64,
    pub kind: Kind,
    pub name: String,
    pub odoo_user_id: Option<i64>,
    pub user_login: Option<String>,
    pub user_name: Option<String>,
    pub scope: Scope,
    pub key_prefix: Option<String>,
    pub description: String,
    pub policy: Policy,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
    pub request_count: i64,
}

impl Connection {
    pub fn status(&self, idle_after: Millis, now: Millis) -> Status {
        Status::derive(self.revoked_at, self.last_used_at, idle_after, now)
    }
}

impl From<ConnectionRow> for Connection {
    fn from(row: ConnectionRow) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            name: row.name,
            odoo_user_id: row.odoo_user_id,
            user_login: row.user_login,
            user_name: row.user_name,
            scope: row.scope,
            key_prefix: row.key_prefix,
            description: row.description,
            policy: row.policy,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
            last_used_at: row.last_used_at,
            request_count: row.request_count,
        }
    }
}

/// A freshly issued key: shown once, then only its hash and prefix are kept.
pub struct IssuedKey {
    pub connection_id: i64,
    pub key: SecretString,
}

impl fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedKey")
            .field("connection_id", &self.connection_id)
            .finish_non_exhaustive()
    }
}

struct KeyMaterial {
    key: SecretString,
    prefix: String,
    hash: [u8; 32],
}

fn new_key(keyring: &Keyring) -> Result<KeyMaterial> {
    let key = secrets::new_token(API_KEY_PREFIX)?;
    let prefix = key.expose_secret()[..DISPLAY_PREFIX_LEN].to_owned();
    let hash = keyring.token_hash(key.expose_secret()).0;
    Ok(KeyMaterial { key, prefix, hash })
}

pub async fn create_api_key(
    store: &Store,
    keyring: &Keyring,
    user_login: &str,
    name: &str,
    scope: Scope,
    now: Millis,
) -> Result<IssuedKey> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(Error::BadName);
    }
    let user = store
        .find_odoo_user(user_login)
        .await?
        .ok_or_else(|| Error::UnknownUser(user_login.to_owned()))?;
    let material = new_key(keyring)?;
    let new = NewConnection {
        kind: Kind::ApiKey,
        name,
        odoo_user_id: user.id,
        scope,
        key_prefix: &material.prefix,
        key_hash: &material.hash,
        description: "",
    };
    let connection_id = store.insert_connection(&new, now).await?;
    event(store, notify::Kind::ConnectionCreated, connection_id, now).await;
    Ok(IssuedKey {
        connection_id,
        key: material.key,
    })
}

/// Issues a new key; the old one stops working with this statement.
pub async fn rotate_key(store: &Store, keyring: &Keyring, id: i64) -> Result<IssuedKey> {
    let connection = get(store, id).await?;
    if connection.kind != Kind::ApiKey {
        return Err(Error::NotAnApiKey(id));
    }
    let material = new_key(keyring)?;
    store
        .replace_key(id, &material.prefix, &material.hash)
        .await?;
    Ok(IssuedKey {
        connection_id: id,
        key: material.key,
    })
}

/// Who acts on a connection: an administrator (an MCP Administrator in the console, or the CLI,
/// which holds the data directory) or the connection's own user (an MCP User).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Administrator,
    Owner,
}

/// Revokes a connection: its key stops, and an OAuth connection's tokens are deleted, so
/// reactivating it later needs a new authorization rather than resurrecting old tokens.
pub async fn revoke(store: &Store, id: i64, now: Millis, by: Actor) -> Result<()> {
    if !store
        .set_revoked(id, now, by == Actor::Administrator)
        .await?
    {
        return Err(Error::NotFound(id));
    }
    store.delete_connection_tokens(id).await?;
    event(store, notify::Kind::ConnectionRevoked, id, now).await;
    Ok(())
}

/// A notification about the connection itself (its name and user are filled in).
async fn event(store: &Store, kind: notify::Kind, connection_id: i64, now: Millis) {
    let subject = notify::Subject {
        connection_id,
        ..notify::Subject::default()
    };
    notify::emit(store, now, kind, subject).await;
}

/// Reactivates a connection; what an administrator revoked only an administrator may undo.
pub async fn reactivate(store: &Store, id: i64, by: Actor) -> Result<()> {
    if store.clear_revoked(id, by == Actor::Administrator).await? {
        return Ok(());
    }
    match store.get_connection(id).await? {
        Some(_) => Err(Error::RevokedByAdministrator(id)),
        None => Err(Error::NotFound(id)),
    }
}

/// What a request of a revoked connection is told, wherever it is refused.
pub const REVOKED: &str = "This connection has been revoked.";

/// What a request of a connection without a linked Odoo user is told.
pub const NO_LINKED_USER: &str = "This connection is not bound to a linked Odoo user yet.";

pub async fn get(store: &Store, id: i64) -> Result<Connection> {
    store
        .get_connection(id)
        .await?
        .map(Connection::from)
        .ok_or(Error::NotFound(id))
}

/// The Odoo user id `connection` acts as, when it has a linked user.
pub async fn odoo_uid(store: &Store, connection: &Connection) -> Result<Option<i64>> {
    let Some(linked) = connection.odoo_user_id else {
        return Ok(None);
    };
    Ok(store.get_odoo_user(linked).await?.map(|u| u.odoo_uid))
}

pub async fn list(store: &Store) -> Result<Vec<Connection>> {
    Ok(store
        .list_connections()
        .await?
        .into_iter()
        .map(Connection::from)
        .collect())
}

/// The connection a presented API key belongs to, if the key is current. Revoked connections
/// are returned too, so the caller can tell "revoked" from "unknown" in the audit log.
pub async fn find_by_api_key(
    store: &Store,
    keyring: &Keyring,
    presented: &str,
) -> Result<Option<Connection>> {
    Ok(find_key_holder(store, None, keyring, presented)
        .await?
        .map(|holder| Connection::from(holder.connection)))
}

/// Like [`find_by_api_key`], with the sealed credential of the connection's Odoo user; read in
/// place by `reader` when there is one (SQLite), else through the pool.
pub async fn find_key_holder(
    store: &Store,
    reader: Option<&KeyReader>,
    keyring: &Keyring,
    presented: &str,
) -> Result<Option<store::KeyHolderRow>> {
    if !presented.starts_with(API_KEY_PREFIX) {
        return Ok(None);
    }
    let hash = keyring.token_hash(presented);
    let found = match reader.map(|r| r.find_key_holder(&hash.0)) {
        Some(Ok(found)) => found,
        // A decoding failure is an answer; a busy or failed read tries the pool.
        Some(Err(e @ store::Error::Unreadable { .. })) => return Err(e.into()),
        Some(Err(e)) => {
            tracing::debug!(error = %e, "in-place key lookup failed; using the pool");
            store.find_key_holder(&hash.0).await?
        }
        None => store.find_key_holder(&hash.0).await?,
    };
    let found = match found {
        Some(row) => Some(row),
        None => filed_under_a_previous_key(store, keyring, presented, &hash).await?,
    };
    let Some(row) = found else {
        return Ok(None);
    };
    // The index found the row by equality; checking again in constant time costs nothing
    // and keeps the comparison safe should the lookup ever change.
    let matches = row
        .connection
        .key_hash
        .as_deref()
        .is_some_and(|h| hash.ct_eq(h));
    Ok(matches.then_some(row))
}

/// A key issued before a secret-key rotation is filed under its hash with a previous key; found
/// so, it is filed again under the current key, so the previous key can one day be dropped.
async fn filed_under_a_previous_key(
    store: &Store,
    keyring: &Keyring,
    presented: &str,
    current: &TokenHash,
) -> Result<Option<store::KeyHolderRow>> {
    for old in keyring.previous_token_hashes(presented) {
        let Some(row) = store.find_key_holder(&old.0).await? else {
            continue;
        };
        if row
            .connection
            .key_hash
            .as_deref()
            .is_some_and(|h| old.ct_eq(h))
        {
            // A concurrent request may have refiled it first; either way it is filed anew.
            store
                .refile_api_key(row.connection.id, &old.0, &current.0)
                .await?;
            return Ok(store.find_key_holder(&current.0).await?);
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------------
// OAuth clients: the OAuth side of a connection (kind `oauth`). The authorization server, the
// console's Custom OAuth wizard and Rotate Secret all come through here.
// ---------------------------------------------------------------------------------------------

/// Every client secret starts with this.
pub const CLIENT_SECRET_PREFIX: &str = "omg_cs_";
/// Client ids are identifiers, not secrets; the prefix only makes them recognisable.
const CLIENT_ID_PREFIX: &str = "omgc_";

/// What a new OAuth client is.
pub struct OAuthClientSpec<'a> {
    /// The connection's name in the console.
    pub name: &'a str,
    pub client_type: ClientType,
    pub redirect_uris: &'a [String],
    /// Registered itself (RFC 7591 or a metadata document): *Dynamic Registration* in the
    /// console, and pruned when nobody consents to it.
    pub dynamic: bool,
    /// A client ID metadata document URL, which is then also the client_id.
    pub metadata_url: Option<&'a str>,
    /// Known at creation for metadata-document clients (created at consent); else bound later.
    pub odoo_user_id: Option<i64>,
    pub scope: Scope,
}

/// A new client: its secret (confidential clients) is shown once, then only its hash is kept.
pub struct IssuedClient {
    pub connection_id: i64,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
}

impl fmt::Debug for IssuedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedClient")
            .field("connection_id", &self.connection_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

pub async fn create_oauth_client(
    store: &Store,
    keyring: &Keyring,
    spec: &OAuthClientSpec<'_>,
    now: Millis,
) -> Result<IssuedClient> {
    use redirect::Registrar;
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(Error::BadName);
    }
    if spec.redirect_uris.is_empty() {
        return Err(Error::NoRedirectUri);
    }
    let registrar = match (spec.dynamic, spec.metadata_url) {
        (_, Some(_)) => Registrar::Document,
        (true, None) => Registrar::Dynamic,
        (false, None) => Registrar::Administrator,
    };
    for uri in spec.redirect_uris {
        redirect::check(uri, registrar)?;
    }
    let client_id = match spec.metadata_url {
        Some(url) => url.to_owned(),
        None => secrets::new_token(CLIENT_ID_PREFIX)?
            .expose_secret()
            .to_owned(),
    };
    let secret = match spec.client_type {
        ClientType::Confidential => Some(secrets::new_token(CLIENT_SECRET_PREFIX)?),
        ClientType::Public => None,
    };
    let secret_hash = secret
        .as_ref()
        .map(|s| keyring.token_hash(s.expose_secret()).0);
    let redirect_uris = spec.redirect_uris.join("\n");
    let new = store::NewOAuthClient {
        name,
        client_id: &client_id,
        client_type: spec.client_type,
        secret_hash: secret_hash.as_ref().map(|h| h.as_slice()),
        redirect_uris: &redirect_uris,
        client_name: name,
        dynamic: spec.dynamic,
        metadata_url: spec.metadata_url,
        odoo_user_id: spec.odoo_user_id,
        scope: spec.scope.as_db(),
    };
    let connection_id = store.insert_oauth_client(&new, now).await?;
    event(store, notify::Kind::ConnectionCreated, connection_id, now).await;
    Ok(IssuedClient {
        connection_id,
        client_id,
        client_secret: secret,
    })
}

/// Issues a new client secret; the old one stops working with this statement.
pub async fn rotate_client_secret(
    store: &Store,
    keyring: &Keyring,
    id: i64,
) -> Result<SecretString> {
    let secret = secrets::new_token(CLIENT_SECRET_PREFIX)?;
    let hash = keyring.token_hash(secret.expose_secret());
    if store.set_client_secret(id, &hash.0).await? {
        Ok(secret)
    } else {
        Err(Error::NotConfidential(id))
    }
}

/// Binds an OAuth connection to the Odoo user who consented, with the scope they granted.
/// False when the connection already acts as another user.
pub async fn bind_oauth_client(
    store: &Store,
    id: i64,
    odoo_user_id: i64,
    scope: Scope,
    now: Millis,
) -> Result<bool> {
    Ok(store
        .claim_oauth_client(id, odoo_user_id, scope.as_db(), now)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 100 * DAY_MS;
    const WEEK: Millis = 7 * DAY_MS;

    #[test]
    fn status_follows_revocation_then_use() {
        assert_eq!(Status::derive(None, None, WEEK, NOW), Status::Awaiting);
        assert_eq!(
            Status::derive(None, Some(NOW - WEEK), WEEK, NOW),
            Status::Connected
        );
        assert_eq!(
            Status::derive(None, Some(NOW - WEEK - 1), WEEK, NOW),
            Status::Idle
        );
        assert_eq!(
            Status::derive(Some(NOW), Some(NOW), WEEK, NOW),
            Status::Revoked
        );
        assert_eq!(Status::derive(Some(NOW), None, WEEK, NOW), Status::Revoked);
    }

    #[test]
    fn idle_duration_reads_in_days_and_hours() {
        assert_eq!(
            idle_for(NOW - 3 * DAY_MS - 4 * HOUR_MS - 5, NOW),
            "for 3 days, 4 hours"
        );
        assert_eq!(idle_for(NOW - DAY_MS - HOUR_MS, NOW), "for 1 day, 1 hour");
    }

    #[test]
    fn new_keys_are_prefixed_long_and_distinct() {
        let keyring = Keyring::from_encoded(&Keyring::generate_encoded().unwrap()).unwrap();
        let a = new_key(&keyring).unwrap();
        let b = new_key(&keyring).unwrap();
        assert!(a.key.expose_secret().starts_with(API_KEY_PREFIX));
        assert_eq!(a.key.expose_secret().len(), API_KEY_PREFIX.len() + 43);
        assert!(a.key.expose_secret().starts_with(&a.prefix));
        assert_ne!(a.hash, b.hash);
    }
}
