//! The OAuth 2.1 authorization server that lets claude.ai, ChatGPT and desktop clients connect
//! by themselves: discovery (RFC 9728, RFC 8414), dynamic registration (RFC 7591) and client ID
//! metadata documents, authorization code + PKCE S256 with sign-in and consent, tokens with
//! refresh rotation, revocation (RFC 7009). Every client is one OAuth connection.
//!
//! Tokens are opaque and stored only as keyed hashes; `/mcp` looks them up through
//! [`bearer::resolve`], so revoking a connection stops its tokens on the next request.

mod audit;
mod authorize;
pub mod bearer;
pub mod cimd;
mod clients;
mod error;
mod jobs;
mod metadata;
mod pages;
pub mod pkce;
mod register;
mod revoke;
pub mod scope;
mod token;
pub mod tokens;

use axum::Router;
use axum::http::{HeaderName, Method, header};
use axum::middleware;
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::csrf::CsrfLayer;

pub use clients::connecting_client;
pub use error::Error;
pub use jobs::{UNCLAIMED_FOR, prune_unclaimed};

use crate::state::AppState;

pub fn routes(state: AppState) -> Router {
    // One audit event per request to the endpoints (not to the discovery documents).
    let audited = || middleware::from_fn_with_state(state.clone(), audit::record);
    let endpoints = Router::new()
        .route("/oauth/register", post(register::register))
        .route("/oauth/token", post(token::token))
        .route("/oauth/revoke", post(revoke::revoke))
        .route_layer(audited());
    // Called from browsers by web clients (claude.ai, Inspector), so CORS; no cookies involved.
    // CORS answers preflights before the audit.
    let api = Router::new()
        .route(
            "/.well-known/oauth-protected-resource",
            get(metadata::protected_resource),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(metadata::protected_resource),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::authorization_server),
        )
        .merge(endpoints)
        .layer(cors());
    // The page a person's browser navigates to, with the console's session: never
    // cross-origin, so the console's Origin / Sec-Fetch-Site check applies to its POST too.
    let csrf = CsrfLayer::new()
        .add_trusted_origin(&state.urls.public)
        .unwrap_or_else(|_| CsrfLayer::new());
    let browser = Router::new()
        .route(
            "/oauth/authorize",
            get(authorize::show).post(authorize::decide),
        )
        .layer(csrf)
        .route_layer(audited());
    api.merge(browser).with_state(state)
}

fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("mcp-protocol-version"),
        ])
}

/// Form or query parameters. RFC 6749 §3.1: a parameter sent twice makes the request invalid.
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(encoded: &[u8]) -> Result<Self, String> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in url::form_urlencoded::parse(encoded) {
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(format!("The parameter '{name}' was sent more than once."));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Self(pairs))
    }

    /// A parameter's value; an empty value counts as absent (RFC 6749 §3.1).
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    fn require(&self, name: &str) -> Result<&str, Error> {
        self.get(name)
            .ok_or_else(|| Error::InvalidRequest(format!("The parameter '{name}' is required.")))
    }
}

/// Whether a `resource` parameter names our MCP endpoint (RFC 8707). Scheme and host case and
/// a trailing slash are tolerated; anything else is another resource.
fn is_our_resource(requested: &str, ours: &str) -> bool {
    let canonical = |s: &str| {
        url::Url::parse(s)
            .ok()
            .filter(|u| u.fragment().is_none())
            .map(|u| {
                (
                    u.scheme().to_owned(),
                    u.host_str().map(str::to_owned),
                    u.port_or_known_default(),
                    u.path().trim_end_matches('/').to_owned(),
                    u.query().map(str::to_owned),
                )
            })
    };
    canonical(requested).is_some_and(|r| Some(r) == canonical(ours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused_and_empty_ones_are_absent() {
        assert!(Params::parse(b"a=1&a=2").is_err());
        let p = Params::parse(b"a=1&b=&c=x%20y").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y"));
    }

    #[test]
    fn the_resource_must_be_our_mcp_url_up_to_case_and_trailing_slash() {
        let ours = "http://127.0.0.1:8080/mcp";
        assert!(is_our_resource("http://127.0.0.1:8080/mcp", ours));
        assert!(is_our_resource("HTTP://127.0.0.1:8080/mcp/", ours));
        assert!(!is_our_resource("http://127.0.0.1:8080/", ours));
        assert!(!is_our_resource("http://127.0.0.1:8081/mcp", ours));
        assert!(!is_our_resource("https://other.example/mcp", ours));
        assert!(!is_our_resource("http://127.0.0.1:8080/mcp#x", ours));
    }
}
