//! One audit event per OAuth request (`/oauth/register`, `/oauth/authorize` GET and the consent
//! POST, `/oauth/token`, `/oauth/revoke`), refusals included, written by one middleware:
//! it times the request, knows the method and the client address, and reads the rest from two
//! places filled by the code that learns it —
//! - [`Note`], a request extension: the connection and the Odoo user, once a handler knows them;
//! - [`Ended`], a response extension: how a refused request ended, set where an OAuth error
//!   becomes a response ([`super::Error`], [`super::error::ErrorPage`]), so no handler repeats it.
//!
//! Nothing secret is recorded: error texts never echo codes or tokens, and the payloads (only
//! with Server Settings' payload logging) go through [`audit::redact`], which replaces `code`,
//! `code_verifier`, `client_secret`, `refresh_token`, `token`, `csrf`… and anything shaped like
//! one of our tokens. HTML pages and redirects (whose `Location` carries the code) are never
//! captured.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::Error;
use crate::audit::{self, outcome};
use crate::connections;
use crate::policy::client_ip;
use crate::state::AppState;
use crate::store::AuditRow;
use crate::web::capture;

/// Largest request body read for the payload log (OAuth requests are small).
const MAX_LOGGED_BODY: usize = 256 * 1024;

/// What handlers learned about the request: the connection and the Odoo user acting.
#[derive(Debug, Clone, Default)]
pub struct Note(Arc<Mutex<Facts>>);

#[derive(Debug, Default)]
struct Facts {
    connection_id: Option<i64>,
    user_login: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Note {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(&parts.extensions))
    }
}

impl Note {
    /// The request's note (a detached one outside the audit middleware, e.g. in unit tests).
    pub fn of(extensions: &Extensions) -> Self {
        extensions.get::<Self>().cloned().unwrap_or_default()
    }

    pub fn connection(&self, id: Option<i64>) {
        if let Some(id) = id {
            self.facts().connection_id = Some(id);
        }
    }

    pub fn user(&self, login: &str) {
        self.facts().user_login = Some(login.to_owned());
    }

    fn facts(&self) -> std::sync::MutexGuard<'_, Facts> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take(&self) -> Facts {
        std::mem::take(&mut *self.facts())
    }
}

/// How a refused request ended, carried by its response to the audit middleware.
#[derive(Debug, Clone)]
pub struct Ended {
    pub outcome: &'static str,
    pub error: String,
}

impl Ended {
    pub fn of(error: &Error, description: &str) -> Self {
        let outcome = match error {
            Error::AccessDenied(_) => outcome::DENIED,
            Error::TooManyRequests { .. } => outcome::RATE_LIMITED,
            _ => outcome::ERROR,
        };
        Self {
            outcome,
            error: format!("{}: {description}", error.code()),
        }
    }
}

/// The audit method of an OAuth request: `oauth/register`, `oauth/authorize` (the GET),
/// `oauth/consent` (the POST of the consent form), `oauth/token`, `oauth/revoke`.
fn method_name(method: &Method, path: &str) -> String {
    let name = path.trim_start_matches('/');
    if name == "oauth/authorize" && method == Method::POST {
        "oauth/consent".to_owned()
    } else {
        name.to_owned()
    }
}

/// The middleware on the OAuth endpoints (preflights are answered by CORS before it).
pub async fn record(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::OPTIONS {
        return next.run(request).await;
    }
    let started = Instant::now();
    let at = state.clock.now();
    let ip = client_ip::of_request(peer.ip(), request.headers(), &state.trusted_proxies);
    let method = method_name(request.method(), request.uri().path());
    let payload_logging = capture::payload_logging(&state).await;

    let note = Note::default();
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(note.clone());
    let (body, request_payload) = if payload_logging {
        let Ok(bytes) = axum::body::to_bytes(body, MAX_LOGGED_BODY).await else {
            let response =
                Error::InvalidRequest("The request body is too large.".into()).into_response();
            let mut event = event(at, method, ip.to_string(), &response);
            event.duration_ms = capture::elapsed_ms(started);
            state.audit.record(event).await;
            return response;
        };
        let logged = logged_request(&parts.method, parts.uri.query(), &bytes);
        (Body::from(bytes), logged)
    } else {
        (body, None)
    };

    let response = next.run(Request::from_parts(parts, body)).await;

    let mut event = event(at, method, ip.to_string(), &response);
    let facts = note.take();
    event.connection_id = facts.connection_id;
    event.user_login = match (facts.user_login, facts.connection_id) {
        (Some(login), _) => Some(login),
        // Known connection, user not noted (e.g. revocation): the connection's Odoo user.
        (None, Some(id)) => connections::get(&state.store, id)
            .await
            .ok()
            .and_then(|c| c.user_login),
        (None, None) => None,
    };
    let response = if payload_logging {
        event.request_payload = request_payload;
        let (response, logged) = capture::json_response(response, MAX_LOGGED_BODY).await;
        event.response_payload = logged;
        response
    } else {
        response
    };
    event.duration_ms = capture::elapsed_ms(started);
    state.audit.record(event).await;
    response
}

/// The event for `response`: outcome and error from its [`Ended`], else from its status.
fn event(at: i64, method: String, ip: String, response: &Response) -> AuditRow {
    let status = response.status();
    let (outcome, error) = match response.extensions().get::<Ended>() {
        Some(ended) => (ended.outcome, Some(ended.error.clone())),
        None if status.is_success() || status.is_redirection() => (outcome::SUCCESS, None),
        None => {
            let outcome = match status {
                StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => outcome::DENIED,
                StatusCode::TOO_MANY_REQUESTS => outcome::RATE_LIMITED,
                _ => outcome::ERROR,
            };
            (outcome, Some(format!("HTTP {}", status.as_u16())))
        }
    };
    AuditRow {
        at,
        method,
        client_ip: Some(ip),
        outcome: outcome.to_owned(),
        error,
        ..AuditRow::default()
    }
}

/// The request's parameters as a redacted JSON object: the query of a GET, the form or JSON
/// body of a POST.
fn logged_request(method: &Method, query: Option<&str>, body: &[u8]) -> Option<String> {
    let value = if method == Method::GET {
        form_object(query.unwrap_or("").as_bytes())
    } else if let Ok(json) = serde_json::from_slice::<Value>(body) {
        json
    } else {
        form_object(body)
    };
    Some(audit::redact(&value).to_string())
}

fn form_object(encoded: &[u8]) -> Value {
    let map: Map<String, Value> = url::form_urlencoded::parse(encoded)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_named_by_endpoint_and_the_consent_post_apart() {
        assert_eq!(method_name(&Method::POST, "/oauth/token"), "oauth/token");
        assert_eq!(
            method_name(&Method::GET, "/oauth/authorize"),
            "oauth/authorize"
        );
        assert_eq!(
            method_name(&Method::POST, "/oauth/authorize"),
            "oauth/consent"
        );
    }

    #[test]
    fn logged_requests_keep_no_code_verifier_secret_token_or_csrf() {
        let form = b"grant_type=authorization_code&code=omg_ac_abcdefghijklmnopqrstuvwxyz&\
                     code_verifier=v3rifier&client_id=c1&client_secret=s3cret&csrf=cs7f&\
                     refresh_token=r3fresh&token=t0ken";
        let logged = logged_request(&Method::POST, None, form).unwrap();
        for secret in ["omg_ac_", "v3rifier", "s3cret", "cs7f", "r3fresh", "t0ken"] {
            assert!(!logged.contains(secret), "{secret} in {logged}");
        }
        assert!(logged.contains("authorization_code") && logged.contains("c1"));
        let json = br#"{"redirect_uris":["http://127.0.0.1/cb"],"client_secret":"s3cret"}"#;
        let logged = logged_request(&Method::POST, None, json).unwrap();
        assert!(!logged.contains("s3cret") && logged.contains("127.0.0.1"));
        let logged = logged_request(&Method::GET, Some("client_id=c1&state=s"), b"").unwrap();
        assert!(logged.contains("c1"));
    }

    #[test]
    fn a_response_without_an_ended_mark_is_judged_by_its_status() {
        let ok = StatusCode::SEE_OTHER.into_response();
        assert_eq!(event(0, "m".into(), "ip".into(), &ok).outcome, "success");
        let forbidden = StatusCode::FORBIDDEN.into_response();
        let e = event(0, "m".into(), "ip".into(), &forbidden);
        assert_eq!(
            (e.outcome.as_str(), e.error.as_deref()),
            ("denied", Some("HTTP 403"))
        );
        let mut marked = StatusCode::BAD_REQUEST.into_response();
        marked
            .extensions_mut()
            .insert(Ended::of(&Error::InvalidGrant("x".into()), "x"));
        let e = event(0, "m".into(), "ip".into(), &marked);
        assert_eq!(
            (e.outcome.as_str(), e.error.as_deref()),
            ("error", Some("invalid_grant: x"))
        );
    }
}
