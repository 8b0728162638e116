//! OAuth clients as the flow sees them: a registered client (dynamic or Custom OAuth) is one
//! connection; a client known by its metadata document gets a connection per consenting user.
//! Client authentication at the token and revocation endpoints lives here too.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::Params;
use super::cimd::{self, DocumentError};
use super::error::{Error, Result};
use crate::connections::ClientType;
use crate::state::AppState;
use crate::store::OAuthClientRow;

/// A client, whichever way it is known.
#[derive(Debug, Clone)]
pub(super) struct Client {
    pub client_id: String,
    pub client_type: ClientType,
    secret_hash: Option<Vec<u8>>,
    pub redirect_uris: Vec<String>,
    pub name: String,
    pub dynamic: bool,
    /// Set for a metadata-document client: its host, shown on the consent page.
    pub document_host: Option<String>,
    /// The connection of a registered client; `None` for a metadata-document client, whose
    /// connection depends on who consents.
    pub connection: Option<ClientConnection>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct ClientConnection {
    pub id: i64,
    pub odoo_user_id: Option<i64>,
    pub revoked: bool,
}

impl From<OAuthClientRow> for Client {
    fn from(row: OAuthClientRow) -> Self {
        Self {
            client_type: row.client_type,
            secret_hash: row.secret_hash,
            redirect_uris: row.redirect_uris.lines().map(str::to_owned).collect(),
            name: row.client_name,
            dynamic: row.dynamic != 0,
            document_host: None,
            connection: Some(ClientConnection {
                id: row.connection_id,
                odoo_user_id: row.odoo_user_id,
                revoked: row.revoked_at.is_some(),
            }),
            client_id: row.client_id,
        }
    }
}

impl From<cimd::Document> for Client {
    fn from(doc: cimd::Document) -> Self {
        Self {
            client_id: doc.client_id,
            client_type: ClientType::Public,
            secret_hash: None,
            redirect_uris: doc.redirect_uris,
            name: doc.client_name,
            dynamic: true,
            document_host: Some(doc.host),
            connection: None,
        }
    }
}

/// Why a client_id names no usable client.
#[derive(Debug, thiserror::Error)]
pub(super) enum LookupError {
    #[error(
        "This application is not registered here (it may have been removed). Start the connection again from the application."
    )]
    Unknown,
    #[error("{0}")]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// The client a `client_id` names: a registered one from the store, or a metadata document
/// fetched (or taken from the cache).
pub(super) async fn find(
    state: &AppState,
    client_id: &str,
) -> std::result::Result<Client, LookupError> {
    if cimd::is_document_url(client_id) {
        let doc = cimd::load(&state.store, client_id, state.clock.now()).await?;
        return Ok(doc.into());
    }
    state
        .store
        .find_registered_client(client_id)
        .await?
        .map(Client::from)
        .ok_or(LookupError::Unknown)
}

/// The client a token or revocation request comes from, authenticated.
#[derive(Debug, Clone)]
pub(super) struct Authenticated {
    pub client_id: String,
}

/// RFC 6749 §2.3: `client_secret_basic` or `client_secret_post` for confidential clients, the
/// `client_id` alone for public ones. A deleted client is `invalid_client`, which makes Claude
/// register again.
pub(super) async fn authenticate(
    state: &AppState,
    params: &Params,
    headers: &HeaderMap,
) -> Result<Authenticated> {
    let basic = basic_credentials(headers)?;
    if basic.is_some() && params.get("client_secret").is_some() {
        return Err(Error::InvalidRequest(
            "Use one client authentication method, not both.".into(),
        ));
    }
    let (client_id, secret) = match basic {
        Some((id, secret)) => {
            if params.get("client_id").is_some_and(|form_id| form_id != id) {
                return Err(Error::InvalidClient(
                    "The client_id differs from the authenticated client.".into(),
                ));
            }
            (id, Some(secret))
        }
        None => (
            params.require("client_id")?.to_owned(),
            params.get("client_secret").map(str::to_owned),
        ),
    };
    if cimd::is_document_url(&client_id) {
        // Metadata-document clients are public; the code or token must have been issued to
        // this client_id, which the grant checks.
        return match secret {
            None => Ok(Authenticated { client_id }),
            Some(_) => Err(Error::InvalidClient(
                "A client identified by a metadata document has no secret.".into(),
            )),
        };
    }
    let client: Client = state
        .store
        .find_registered_client(&client_id)
        .await?
        .map(Client::from)
        .ok_or_else(|| {
            Error::InvalidClient("Unknown client: it may have been deleted. Register again.".into())
        })?;
    if client.client_type == ClientType::Confidential {
        let presented = secret.ok_or_else(|| {
            Error::InvalidClient("This client must authenticate with its client secret.".into())
        })?;
        let stored = client.secret_hash.as_deref().unwrap_or_default();
        // Under the current key, or a previous one for a secret issued before a secret-key
        // rotation: such a secret moves to the current key as it is used.
        match state
            .keyring
            .token_hashes(&presented)
            .position(|h| h.ct_eq(stored))
        {
            Some(0) => {}
            Some(_) => {
                if let Some(connection) = client.connection {
                    let hash = state.keyring.token_hash(&presented);
                    state
                        .store
                        .set_client_secret(connection.id, &hash.0)
                        .await?;
                }
            }
            None => {
                return Err(Error::InvalidClient(
                    "The client secret is not valid.".into(),
                ));
            }
        }
    }
    Ok(Authenticated { client_id })
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || Error::InvalidClient("The Basic authorization header is malformed.".into());
    let value = value.to_str().map_err(|_| bad())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(bad());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

/// The name of the application a sign-in is for, when `next` (a local path) is an authorization
/// request: the console's sign-in page says "Sign in to connect <name>". Read from the store
/// only — a metadata document from the cache the authorization step filled, else its host — so
/// showing the sign-in page never fetches anything.
pub async fn connecting_client(state: &AppState, next: &str) -> Option<String> {
    let query = next.strip_prefix("/oauth/authorize?")?;
    let client_id = url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "client_id")
        .map(|(_, value)| value.into_owned())?;
    if cimd::is_document_url(&client_id) {
        let cached = state.store.get_client_document(&client_id).await.ok()?;
        if let Some(doc) = cached.and_then(|(body, _)| cimd::validate(&client_id, &body).ok()) {
            return Some(doc.client_name);
        }
        return url::Url::parse(&client_id)
            .ok()
            .and_then(|u| u.host_str().map(|h| format!("an application from {h}")));
    }
    let row = state
        .store
        .find_registered_client(&client_id)
        .await
        .ok()??;
    Some(row.client_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_credentials_are_url_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode("omgc_a%2Bb:omg_cs_x%3Ay");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        let (id, secret) = basic_credentials(&headers).unwrap().unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("omgc_a+b", "omg_cs_x:y"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert!(basic_credentials(&headers).is_err());
    }
}
