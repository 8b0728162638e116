//! RFC 7591 dynamic client registration at `/oauth/register`: open (no initial access token),
//! switchable off in Server Settings. Each registration is a new OAuth connection, flagged
//! *Dynamic Registration*, unbound until someone consents; unclaimed ones are pruned.

use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{Error, Result, no_store};
use crate::clock::MINUTE_MS;
use crate::connections::{self, ClientType, OAuthClientSpec, Scope};
use crate::policy::client_ip;
use crate::policy::registrations::REGISTRATIONS_PER_HOUR;
use crate::state::AppState;
use crate::web::audited::Note;

const DEFAULT_NAME: &str = "OAuth client";
const MAX_NAME_CHARS: usize = 120;

/// The metadata we read; anything else a client sends is ignored (RFC 7591 §2).
#[derive(Debug, Deserialize)]
struct Registration {
    redirect_uris: Option<Vec<String>>,
    client_name: Option<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    scope: Option<String>,
    application_type: Option<String>,
}

pub(super) async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    note: Note,
    body: Bytes,
) -> Response {
    let ip = client_ip::of_request(peer.ip(), &headers, &state.trusted_proxies);
    match register_client(&state, ip, &body, &note).await {
        Ok(doc) => no_store((StatusCode::CREATED, Json(doc)).into_response()),
        Err(e) => e.into_response(),
    }
}

async fn register_client(state: &AppState, ip: IpAddr, body: &[u8], note: &Note) -> Result<Value> {
    if !state.settings.get(&state.store).await?.dynamic_registration {
        return Err(Error::AccessDenied(
            "Dynamic client registration is switched off on this server (Server Settings). \
             Ask an administrator for a client id."
                .into(),
        ));
    }
    if let Err(wait_ms) = state.registrations.take(ip, state.clock.now()) {
        let minutes = (wait_ms + MINUTE_MS - 1) / MINUTE_MS;
        return Err(Error::TooManyRequests {
            message: format!(
                "Too many client registrations from this address: at most \
                 {REGISTRATIONS_PER_HOUR} per hour. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            ),
            retry_after_secs: (wait_ms + 999) / 1000,
        });
    }
    let reg: Registration = serde_json::from_slice(body).map_err(|e| {
        Error::InvalidClientMetadata(format!("The registration is not valid JSON metadata: {e}"))
    })?;
    let redirect_uris = reg
        .redirect_uris
        .clone()
        .filter(|uris| !uris.is_empty())
        .ok_or_else(|| Error::InvalidRedirectUri("redirect_uris is required.".into()))?;
    // RFC 7591 §2: without a method the default is client_secret_basic.
    let method = reg
        .token_endpoint_auth_method
        .as_deref()
        .unwrap_or("client_secret_basic");
    let client_type = match method {
        "none" => ClientType::Public,
        "client_secret_post" | "client_secret_basic" => ClientType::Confidential,
        other => {
            return Err(Error::InvalidClientMetadata(format!(
                "token_endpoint_auth_method '{other}' is not supported; use none, \
                 client_secret_post or client_secret_basic."
            )));
        }
    };
    let grant_types = reg
        .grant_types
        .clone()
        .unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(g) = grant_types
        .iter()
        .find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
    {
        return Err(Error::InvalidClientMetadata(format!(
            "grant type '{g}' is not supported; use authorization_code and refresh_token."
        )));
    }
    let response_types = reg
        .response_types
        .clone()
        .unwrap_or_else(|| vec!["code".into()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(Error::InvalidClientMetadata(
            "Only the 'code' response type is supported.".into(),
        ));
    }
    let name = client_name(reg.client_name.as_deref());
    let spec = OAuthClientSpec {
        name: &name,
        client_type,
        redirect_uris: &redirect_uris,
        dynamic: true,
        metadata_url: None,
        odoo_user_id: None,
        scope: Scope::Full,
    };
    let now = state.clock.now();
    let issued = connections::create_oauth_client(&state.store, &state.keyring, &spec, now)
        .await
        .map_err(|e| match e {
            connections::Error::BadRedirectUri(reason) => {
                Error::InvalidRedirectUri(reason.to_string())
            }
            other => other.into(),
        })?;
    note.connection(Some(issued.connection_id));
    tracing::info!(connection = issued.connection_id, client = %name, "OAuth client registered");
    let mut doc = json!({
        "client_id": issued.client_id,
        "client_id_issued_at": now / 1000,
        "client_name": name,
        "redirect_uris": redirect_uris,
        "grant_types": grant_types,
        "response_types": response_types,
        "token_endpoint_auth_method": method,
    });
    if let Some(secret) = &issued.client_secret {
        doc["client_secret"] = json!(secret.expose_secret());
        doc["client_secret_expires_at"] = json!(0);
    }
    if let Some(scope) = &reg.scope {
        doc["scope"] = json!(scope);
    }
    if let Some(kind) = &reg.application_type {
        doc["application_type"] = json!(kind);
    }
    Ok(doc)
}

/// The name shown in the console and on the consent page: trimmed, control characters
/// dropped, bounded.
fn client_name(requested: Option<&str>) -> String {
    let cleaned: String = requested
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        DEFAULT_NAME.to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names_are_cleaned_and_bounded() {
        assert_eq!(client_name(Some("  Claude \n")), "Claude");
        assert_eq!(client_name(None), DEFAULT_NAME);
        assert_eq!(client_name(Some("\u{7}")), DEFAULT_NAME);
        assert_eq!(client_name(Some(&"x".repeat(500))).len(), MAX_NAME_CHARS);
    }
}
