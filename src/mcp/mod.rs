//! The `/mcp` endpoint: rmcp's Streamable HTTP service (stateless, JSON responses) behind our
//! CORS, Accept normalisation and governance guard.

mod call;
mod envelope;
mod fast;
mod guard;
mod methods;
pub(crate) mod pipeline;
mod resources;
mod server;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, Method, header};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::state::AppState;

/// Browser origins that may call `/mcp` besides the gateway's own: the hosted AI clients
/// and local tools (Inspector, VS Code web) on any port.
const KNOWN_ORIGINS: &[&str] = &[
    "https://claude.ai:443",
    "https://claude.com:443",
    "https://chatgpt.com:443",
    "https://vscode.dev:443",
    "http://localhost:*",
    "http://127.0.0.1:*",
];

pub(crate) fn routes(state: AppState) -> Router {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(state.limits.max_body_bytes)
        .with_allowed_hosts(state.urls.allowed_hosts.clone())
        .with_allowed_origins(allowed_origins(&state))
        .with_cancellation_token(state.shutdown.child_token());
    let fast = Arc::new(fast::FastPath::new(&state.urls.allowed_hosts));
    let factory_state = state.clone();
    let service = Arc::new(StreamableHttpService::new(
        move || Ok(server::GatewayServer::new(factory_state.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    ));
    // axum clones a route's service for every request; rmcp's clones its whole configuration
    // (host and origin lists, a cancellation token that takes a lock). Share it instead.
    let shared = tower::service_fn(move |request: axum::extract::Request| {
        let service = Arc::clone(&service);
        async move { Ok::<_, std::convert::Infallible>(service.handle(request).await) }
    });
    Router::new()
        .nest_service("/mcp", shared)
        // Route layers: they wrap `/mcp` only, so an unknown URL elsewhere is a plain 404 and
        // never an MCP refusal or an audit entry.
        .route_layer(axum::middleware::from_fn_with_state(
            (state, fast),
            guard::guard,
        ))
        .route_layer(axum::middleware::from_fn(guard::normalize_accept))
        .route_layer(cors())
}

fn allowed_origins(state: &AppState) -> Vec<String> {
    let mut origins: Vec<String> = KNOWN_ORIGINS.iter().map(|o| (*o).to_owned()).collect();
    origins.push(with_port(&state.urls.public));
    origins.extend(state.urls.extra_origins.iter().map(|o| with_port(o)));
    origins
}

/// rmcp matches an origin without a port against any port (deprecated); name the scheme's
/// default port so only that one matches.
fn with_port(origin: &str) -> String {
    let origin = origin.trim_end_matches('/');
    let Some((scheme, authority)) = origin.split_once("://") else {
        return origin.to_owned();
    };
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.ends_with('[') && !port.contains(']'));
    match (has_port, scheme) {
        (false, "https") => format!("{origin}:443"),
        (false, "http") => format!("{origin}:80"),
        _ => origin.to_owned(),
    }
}

/// Preflights are answered here, before authentication, as browsers send them without tokens.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("mcp-protocol-version"),
            HeaderName::from_static("mcp-session-id"),
            HeaderName::from_static("mcp-method"),
            HeaderName::from_static("mcp-name"),
            HeaderName::from_static("last-event-id"),
        ])
        // What a browser client must read off a refusal: the challenge, when to retry.
        .expose_headers([
            header::WWW_AUTHENTICATE,
            header::RETRY_AFTER,
            HeaderName::from_static("mcp-session-id"),
            HeaderName::from_static("mcp-protocol-version"),
        ])
}

#[cfg(test)]
mod tests {
    use super::with_port;

    #[test]
    fn origins_get_their_default_port_when_none_is_given() {
        assert_eq!(
            with_port("https://mcp.example.com"),
            "https://mcp.example.com:443"
        );
        assert_eq!(with_port("http://gw.local/"), "http://gw.local:80");
        assert_eq!(with_port("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(with_port("http://[::1]:9000"), "http://[::1]:9000");
        assert_eq!(with_port("http://localhost:*"), "http://localhost:*");
    }
}
