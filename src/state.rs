//! What every handler can reach, built once by `app`: the store, keys, the Odoo client, caches,
//! limiters and the URLs the gateway answers at. Below the surfaces, so they all share it.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::audit::AuditLog;
use crate::clock::{Clock, MINUTE_MS, Millis};
use crate::metrics::Metrics;
use crate::odoo::OdooClient;
use crate::odoo::fields::FieldCache;
use crate::policy::rate_limit::RateLimiter;
use crate::policy::registrations::RegistrationLimiter;
use crate::secrets::Keyring;
use crate::settings::SettingsCache;
use crate::store::{KeyReader, Store};
use crate::traces::Traces;
use crate::values::IpList;

/// The URLs the gateway is reached at, derived once from the public base URL.
#[derive(Debug, Clone)]
pub struct Urls {
    /// Scheme, host and port, no trailing slash.
    pub public: String,
    pub mcp: String,
    pub resource_metadata: String,
    /// Host names rmcp accepts in `Host` (DNS-rebinding guard).
    pub allowed_hosts: Vec<String>,
    pub extra_origins: Vec<String>,
}

impl Urls {
    pub fn new(public: &str, extra_origins: Vec<String>) -> Self {
        let public = public.trim_end_matches('/').to_owned();
        let mut allowed_hosts = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        if let Some(authority) = public.split("://").nth(1) {
            let authority = authority.split('/').next().unwrap_or(authority);
            allowed_hosts.push(authority.to_owned());
            if let Some((host, _port)) = authority.rsplit_once(':')
                && !host.ends_with(']')
            {
                allowed_hosts.push(host.to_owned());
            }
        }
        Self {
            mcp: format!("{public}/mcp"),
            resource_metadata: format!("{public}/.well-known/oauth-protected-resource/mcp"),
            public,
            allowed_hosts,
            extra_origins,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub files: FileLimits,
}

/// How big a file may be, in a tool call and through an upload link, and how long a one-time
/// file link lives.
#[derive(Debug, Clone, Copy)]
pub struct FileLimits {
    /// The largest file `upload_attachment` takes inline (decoded bytes).
    pub inline_upload_bytes: usize,
    /// The largest file an upload link takes.
    pub upload_bytes: usize,
    pub link_ttl: Millis,
}

impl Default for FileLimits {
    fn default() -> Self {
        Self {
            inline_upload_bytes: 512 * 1024,
            upload_bytes: 25 * 1024 * 1024,
            link_ttl: 10 * MINUTE_MS,
        }
    }
}

/// What every handler can reach: one `Arc` around [`Shared`], so the clone axum makes for
/// every request and layer is one count, not one per field (each field was an `Arc`, and the
/// shutdown token's clone takes a lock).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    pub store: Store,
    pub keyring: Arc<Keyring>,
    pub odoo: OdooClient,
    pub odoo_database: Arc<str>,
    pub clock: Clock,
    pub settings: Arc<SettingsCache>,
    pub metrics: Arc<Metrics>,
    pub urls: Arc<Urls>,
    pub limits: Limits,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<IpList>,
    pub rate_limiter: Arc<RateLimiter>,
    /// The key lookup read in place (SQLite files); none on PostgreSQL.
    pub key_reader: Option<Arc<KeyReader>>,
    /// Dynamic registrations per client address (in this process).
    pub registrations: Arc<RegistrationLimiter>,
    pub fields: Arc<FieldCache>,
    pub audit: AuditLog,
    /// OpenTelemetry traces: this app's exporter, or off.
    pub traces: Traces,
    /// Cancelled on shutdown; background work and open streams watch it.
    pub shutdown: CancellationToken,
}
