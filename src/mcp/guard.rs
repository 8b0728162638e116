//! The HTTP part of the governance pipeline, run on every `/mcp` request before rmcp sees it:
//! master switch → bearer authentication → (IP lists, rate limits: governance issue) → principal.
//! Refusals are JSON-RPC error bodies with the HTTP status MCP clients act on.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;

use super::principal::Principal;
use crate::app::AppState;
use crate::connections::{self, Connection};
use crate::oauth;
use crate::odoo::{Credential, Protocol};

/// Why a request was refused before reaching a tool.
#[derive(Debug)]
enum Refusal {
    Disabled,
    MissingToken,
    UnknownToken,
    InvalidToken(oauth::bearer::Rejection),
    InsufficientScope(&'static str),
    Revoked,
    NoLinkedUser,
    TooLarge(usize),
    WrongContentType,
    Malformed(String),
    Internal(String),
}

impl Refusal {
    fn reason(&self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::MissingToken => "missing_token",
            Self::UnknownToken => "unknown_token",
            Self::InvalidToken(_) => "invalid_token",
            Self::InsufficientScope(_) => "insufficient_scope",
            Self::Revoked => "revoked",
            Self::NoLinkedUser => "no_linked_user",
            Self::TooLarge(_) => "too_large",
            Self::WrongContentType => "wrong_content_type",
            Self::Malformed(_) => "malformed",
            Self::Internal(_) => "internal",
        }
    }

    fn status_and_message(&self) -> (StatusCode, String) {
        match self {
            Self::Disabled => (
                StatusCode::SERVICE_UNAVAILABLE,
                "The MCP server is switched off by an administrator (Server Settings).".into(),
            ),
            Self::MissingToken => (
                StatusCode::UNAUTHORIZED,
                "Authentication required: send 'Authorization: Bearer <API key or access token>'."
                    .into(),
            ),
            Self::UnknownToken => (
                StatusCode::UNAUTHORIZED,
                "The bearer token is not valid (unknown, mistyped or rotated away).".into(),
            ),
            Self::InvalidToken(rejection) => (StatusCode::UNAUTHORIZED, rejection.to_string()),
            Self::InsufficientScope(_) => (
                StatusCode::FORBIDDEN,
                "This access token is Read Only (mcp:read); this tool needs mcp:write.".into(),
            ),
            Self::Revoked => (
                StatusCode::UNAUTHORIZED,
                "This connection has been revoked.".into(),
            ),
            Self::NoLinkedUser => (
                StatusCode::UNAUTHORIZED,
                "This connection is not bound to a linked Odoo user yet.".into(),
            ),
            Self::TooLarge(max) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body exceeds the limit of {max} bytes."),
            ),
            Self::WrongContentType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "MCP requests must be sent with 'Content-Type: application/json'.".into(),
            ),
            Self::Malformed(reason) => (
                StatusCode::BAD_REQUEST,
                format!("Parse error: the body is not valid JSON ({reason})."),
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The gateway could not check this request; the error was logged.".into(),
            ),
        }
    }

    /// The one mapping from a refusal to its HTTP response.
    fn into_response(self, resource_metadata: &str) -> Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(%cause, "MCP request check failed");
        }
        let (status, message) = self.status_and_message();
        let code = match self {
            Self::MissingToken
            | Self::UnknownToken
            | Self::InvalidToken(_)
            | Self::InsufficientScope(_)
            | Self::Revoked
            | Self::NoLinkedUser => -32001,
            Self::Malformed(_) => -32700,
            Self::WrongContentType => -32600,
            _ => -32000,
        };
        let body =
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
        let mut response = (status, axum::Json(body)).into_response();
        if let Self::InsufficientScope(scope) = self {
            // RFC 6750 §3.1 / MCP step-up: the scope to ask the user for.
            let challenge = format!(
                "Bearer error=\"insufficient_scope\", scope=\"{scope}\", \
                 resource_metadata=\"{resource_metadata}\", error_description=\"{message}\""
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            let mut challenge = format!("Bearer resource_metadata=\"{resource_metadata}\"");
            if !matches!(self, Self::MissingToken) {
                // RFC 6750 §3: a presented but unusable token is invalid_token.
                challenge.push_str(&format!(
                    ", error=\"invalid_token\", error_description=\"{message}\""
                ));
            }
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let checked = match admit(&state, &mut request).await {
        Ok(()) => checked_body(&state, request).await,
        Err(refusal) => Err(refusal),
    };
    match checked {
        Ok(request) => next.run(request).await,
        Err(refusal) => {
            state.metrics.refusal(refusal.reason());
            refusal.into_response(&state.urls.resource_metadata)
        }
    }
}

/// A POST body must be JSON, within the size limit (also when sent without a length), and
/// parse; otherwise the client gets a JSON-RPC error instead of rmcp's plain-text one.
async fn checked_body(state: &AppState, request: Request) -> Result<Request, Refusal> {
    if request.method() != axum::http::Method::POST {
        return Ok(request);
    }
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(Refusal::WrongContentType);
    }
    let max = state.limits.max_body_bytes;
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, max)
        .await
        .map_err(|_| Refusal::TooLarge(max))?;
    serde_json::from_slice::<serde::de::IgnoredAny>(&bytes)
        .map_err(|e| Refusal::Malformed(e.to_string()))?;
    if let Some(scope) = oauth::bearer::missing_scope(&parts.extensions, &bytes) {
        return Err(Refusal::InsufficientScope(scope));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

async fn admit(state: &AppState, request: &mut Request<Body>) -> Result<(), Refusal> {
    if let Some(length) = content_length(request.headers())
        && length > state.limits.max_body_bytes
    {
        return Err(Refusal::TooLarge(state.limits.max_body_bytes));
    }
    let settings = state.settings.get(&state.store).await.map_err(internal)?;
    if !settings.mcp_enabled {
        return Err(Refusal::Disabled);
    }
    let token = bearer_token(request.headers()).ok_or(Refusal::MissingToken)?;
    let (connection, granted) = authenticate(state, token).await?;
    if let Some(granted) = granted {
        request.extensions_mut().insert(granted);
    }
    if connection.revoked_at.is_some() {
        return Err(Refusal::Revoked);
    }
    let principal = principal_for(state, connection).await?;
    let now = state.clock.now();
    state
        .store
        .record_use(principal.connection.id, now)
        .await
        .map_err(internal)?;
    request.extensions_mut().insert(principal);
    Ok(())
}

/// The connection of a bearer token: an OAuth access token (with the scope it grants) or an
/// API key.
async fn authenticate(
    state: &AppState,
    token: &str,
) -> Result<(Connection, Option<oauth::bearer::GrantedScope>), Refusal> {
    if oauth::bearer::is_access_token(token) {
        return match oauth::bearer::resolve(state, token)
            .await
            .map_err(internal)?
        {
            Ok((connection, granted)) => Ok((connection, Some(granted))),
            Err(rejection) => Err(Refusal::InvalidToken(rejection)),
        };
    }
    let connection = connections::find_by_api_key(&state.store, &state.keyring, token)
        .await
        .map_err(internal)?
        .ok_or(Refusal::UnknownToken)?;
    Ok((connection, None))
}

async fn principal_for(state: &AppState, connection: Connection) -> Result<Principal, Refusal> {
    let user_id = connection.odoo_user_id.ok_or(Refusal::NoLinkedUser)?;
    let user = state
        .store
        .get_odoo_user(user_id)
        .await
        .map_err(internal)?
        .ok_or(Refusal::NoLinkedUser)?;
    let secret: SecretString = state
        .keyring
        .open(&user.secret_sealed, &user.login)
        .map_err(internal)?;
    let protocol = if user.protocol == Protocol::Json2.as_str() {
        Protocol::Json2
    } else {
        Protocol::JsonRpc
    };
    Ok(Principal {
        connection,
        login: user.login,
        credential: Credential {
            uid: user.odoo_uid,
            secret,
            protocol,
        },
    })
}

fn internal(error: impl std::fmt::Display) -> Refusal {
    Refusal::Internal(error.to_string())
}

fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// rmcp insists on both media types in `Accept`; real clients send `*/*`, only one of them, or
/// nothing. Normalise so that any of those is served.
pub async fn normalize_accept(mut request: Request, next: Next) -> Response {
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let has_both = accept.contains("application/json") && accept.contains("text/event-stream");
    if !has_both {
        request.headers_mut().insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively_and_never_empty() {
        assert_eq!(bearer_token(&headers("Bearer omg_abc")), Some("omg_abc"));
        assert_eq!(bearer_token(&headers("bearer  omg_abc ")), Some("omg_abc"));
        assert_eq!(bearer_token(&headers("Basic dXNlcjpwYXNz")), None);
        assert_eq!(bearer_token(&headers("Bearer ")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn unauthorized_refusals_carry_the_resource_metadata_challenge() {
        let r = Refusal::UnknownToken
            .into_response("https://gw/.well-known/oauth-protected-resource/mcp");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let challenge = r.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(challenge.starts_with(
            "Bearer resource_metadata=\"https://gw/.well-known/oauth-protected-resource/mcp\""
        ));
        assert!(challenge.contains("error=\"invalid_token\""));
        let missing = Refusal::MissingToken.into_response("x");
        assert!(
            !missing.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .contains("error=")
        );
    }
}
