//! The application: its state built in one place, the router and its middleware order, and
//! serving until shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

use crate::audit::AuditLog;
use crate::audit::chain::ChainKey;
use crate::audit::stream::{self, Stream};
/// Where `App::with_audit_stream` sends the audit log.
pub use crate::audit::stream::{Error as AuditStreamError, Target as AuditStreamTarget};
use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::notify::deliver::Deliverer;
use crate::odoo::OdooClient;
use crate::odoo::fields::FieldCache;
use crate::policy::rate_limit::RateLimiter;
use crate::secrets::Keyring;
use crate::settings::SettingsCache;
use crate::state::{AppState, Limits, Shared, Urls};
use crate::store::{KeyReader, Store};
use crate::telemetry;
use crate::traces::Traces;
use crate::transport::{self, HttpLimits};
use crate::values::IpList;

/// Everything needed to build the app; the CLI and the tests fill it in.
pub struct AppConfig {
    pub listen: SocketAddr,
    /// Public base URL; `None` means `http://<bound address>`.
    pub public_url: Option<String>,
    pub extra_origins: Vec<String>,
    pub limits: Limits,
    pub trusted_proxies: IpList,
    pub store: Store,
    pub keyring: Keyring,
    pub odoo: OdooClient,
    pub odoo_database: String,
    pub clock: Clock,
    pub http: HttpLimits,
    /// Where spans go (`--otlp-endpoint`); off by default.
    pub traces: Traces,
}

pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
    http: HttpLimits,
    stream: Option<Stream>,
}

impl App {
    /// Binds the listener first, so port 0 works and the public URL can name the real port.
    pub async fn build(config: AppConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        let bound = listener.local_addr()?;
        let public = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"));
        let http = config.http;
        let state = state(config, &public);
        let router = router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
            http,
            stream: None,
        })
    }

    /// Streams every audit entry this process writes (and those of streaming processes that
    /// are gone) to `target` while serving.
    pub fn with_audit_stream(
        mut self,
        target: AuditStreamTarget,
    ) -> Result<Self, AuditStreamError> {
        let s = &self.state;
        self.stream = Some(Stream::new(
            s.store.clone(),
            s.clock.clone(),
            s.audit.clone(),
            s.metrics.clone(),
            target,
            &s.urls.public,
        )?);
        Ok(self)
    }

    /// The state a server with `config` would have, without listening: for a command that
    /// works as the gateway does (checking a policy against Odoo as the connection's user).
    pub fn offline(config: AppConfig) -> AppState {
        let public = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.listen));
        state(config, &public)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish for up to `grace`.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static, grace: Duration) {
        let token = self.state.shutdown.clone();
        let jobs = tokio::spawn(crate::jobs::run(self.state.clone()));
        let notify_stop = CancellationToken::new();
        let notifier = self
            .notifier()
            .map(|d| tokio::spawn(d.run(notify_stop.clone())));
        let stream_stop = CancellationToken::new();
        let stream = self
            .stream
            .map(|stream| tokio::spawn(stream.run(stream_stop.clone())));

        let stop = token.clone();
        tokio::spawn(async move {
            shutdown.await;
            stop.cancel();
        });
        let metrics = self.state.metrics.clone();
        transport::serve(self.listener, self.router, self.http, metrics, token, grace).await;
        // Every answered request's audit event is committed before the process ends.
        self.state.audit.flush().await;
        // The spans of the last requests are sent before the process ends.
        self.state.traces.shutdown().await;
        jobs.abort();
        // Jobs and requests have written their last events; one in flight is left to its lease.
        notify_stop.cancel();
        if let Some(notifier) = notifier {
            let _ = tokio::time::timeout(Duration::from_secs(1), notifier).await;
        }
        // Then the stream delivers what is left, within its drain time.
        stream_stop.cancel();
        if let Some(stream) = stream {
            let _ = tokio::time::timeout(stream::DRAIN + Duration::from_secs(1), stream).await;
        }
    }

    /// The notification deliverer; without an HTTP client (which never happens short of a
    /// broken TLS set-up) the events wait in the outbox for another replica or the next start.
    fn notifier(&self) -> Option<Deliverer> {
        let s = &self.state;
        Deliverer::new(
            s.store.clone(),
            s.clock.clone(),
            s.keyring.clone(),
            s.metrics.clone(),
            &s.urls.public,
            s.audit.writer(),
        )
        .inspect_err(|e| tracing::error!(error = %e, "notifications: no HTTP client"))
        .ok()
    }
}

/// The app's state, built in one place for the server and for offline commands.
fn state(config: AppConfig, public: &str) -> AppState {
    AppState::new(Shared {
        rate_limiter: Arc::new(RateLimiter::for_store(&config.store)),
        key_reader: KeyReader::for_store(&config.store).map(Arc::new),
        registrations: Arc::default(),
        audit: AuditLog::start(
            config.store.clone(),
            ChainKey::new(config.keyring.audit_chain_key()),
        ),
        store: config.store,
        keyring: Arc::new(config.keyring),
        odoo: config.odoo,
        odoo_database: config.odoo_database.into(),
        clock: config.clock,
        settings: Arc::new(SettingsCache::default()),
        metrics: Arc::new(Metrics::default()),
        urls: Arc::new(Urls::new(public, config.extra_origins)),
        limits: config.limits,
        trusted_proxies: Arc::new(config.trusted_proxies),
        fields: Arc::new(FieldCache::default()),
        shutdown: CancellationToken::new(),
        traces: config.traces,
    })
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state.clone())
        .merge(crate::oauth::routes(state.clone()))
        .merge(crate::console::routes(state.clone()))
        .merge(crate::files::routes(state.clone()))
        .merge(crate::mcp::routes(state))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                // Our own events instead of tower-http's, whose latency is truncated, not
                // rounded: every duration in the log is telemetry::ms.
                .on_response(
                    |response: &axum::response::Response, latency: Duration, _: &tracing::Span| {
                        tracing::debug!(
                            status = response.status().as_u16(),
                            ms = telemetry::ms(latency),
                            "response"
                        );
                    },
                )
                .on_failure(
                    |failure: ServerErrorsFailureClass, latency: Duration, _: &tracing::Span| {
                        tracing::error!(%failure, ms = telemetry::ms(latency), "response failed");
                    },
                ),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
            axum::http::header::COOKIE,
        ]))
        .layer(CatchPanicLayer::new())
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_derive_from_the_public_base() {
        let urls = Urls::new("https://mcp.example.com:8443/", vec![]);
        assert_eq!(urls.mcp, "https://mcp.example.com:8443/mcp");
        assert_eq!(
            urls.resource_metadata,
            "https://mcp.example.com:8443/.well-known/oauth-protected-resource/mcp"
        );
        assert!(
            urls.allowed_hosts
                .contains(&"mcp.example.com:8443".to_owned())
        );
        assert!(urls.allowed_hosts.contains(&"mcp.example.com".to_owned()));
    }
}
