//! One audit event per OAuth request (`/oauth/register`, `/oauth/authorize` GET and the consent
//! POST, `/oauth/token`, `/oauth/revoke`), refusals included, through the shared audit layer
//! ([`crate::web::audited`]): handlers note the connection and the Odoo user, and an OAuth
//! error carries how the request ended ([`super::Error`], [`super::error::ErrorPage`]).
//!
//! Nothing secret is recorded: error texts never echo codes or tokens, and the payloads (only
//! with Server Settings' payload logging) go through [`audit::redact`], which replaces `code`,
//! `code_verifier`, `client_secret`, `refresh_token`, `token`, `csrf`… and anything shaped like
//! one of our tokens. HTML pages and redirects (whose `Location` carries the code) are never
//! captured.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::Error;
use crate::audit;
use crate::state::AppState;
use crate::traces::Attribute;
use crate::web::audited::{Entry, traceparent_header};

/// Largest request or response body read for the payload log (OAuth requests are small).
const MAX_LOGGED_BODY: usize = 256 * 1024;

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
pub(super) async fn record(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::OPTIONS {
        return next.run(request).await;
    }
    let method = method_name(request.method(), request.uri().path());
    let mut entry = Entry::open(&state, peer, request.headers(), method, MAX_LOGGED_BODY).await;
    let (verb, route) = (request.method(), request.uri().path());
    entry.trace(
        &state,
        || format!("{verb} {route}"),
        traceparent_header(request.headers()),
        || {
            vec![
                Attribute::new("http.request.method", verb.to_string()),
                Attribute::new("http.route", route.to_owned()),
            ]
        },
    );
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(entry.note());
    let body = if entry.payload_logging {
        let Ok(bytes) = axum::body::to_bytes(body, MAX_LOGGED_BODY).await else {
            let response =
                Error::InvalidRequest("The request body is too large.".into()).into_response();
            return entry.finish(&state, response).await;
        };
        entry.event.request_payload = logged_request(&parts.method, parts.uri.query(), &bytes);
        Body::from(bytes)
    } else {
        body
    };
    let response = entry
        .traced(next.run(Request::from_parts(parts, body)))
        .await;
    entry.finish(&state, response).await
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
}
