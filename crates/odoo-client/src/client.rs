//! `OdooClient`: one keep-alive connection pool to one Odoo database, acting as whichever
//! user's credential each call carries, over JSON-RPC or JSON-2.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderValue};
use reqwest::{StatusCode, Url, redirect};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::error::{Error, ErrorKind};
use super::types::{
    Call, Credential, Identity, OdooConfig, Protocol, ProtocolChoice, ServerVersion,
};
use super::wire;

/// Upper bound for establishing a connection; the request timeout still applies overall.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Odoo's own HTTP workers close idle connections; keep ours a little shorter-lived than typical
/// reverse proxies' 75–120 s so we rarely reuse a connection the other side just dropped.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A handle to one Odoo database. Clones share the connection pool and the version cache.
#[derive(Clone)]
pub struct OdooClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    database: String,
    database_header: HeaderValue,
    protocol: ProtocolChoice,
    next_id: AtomicU64,
    version: OnceCell<ServerVersion>,
}

/// One HTTP answer, read whole.
struct Answer {
    status: StatusCode,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl fmt::Debug for OdooClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OdooClient")
            .field("url", &self.inner.base.as_str())
            .field("database", &self.inner.database)
            .field("protocol", &self.inner.protocol)
            .finish_non_exhaustive()
    }
}

impl OdooClient {
    pub fn new(config: OdooConfig) -> Result<Self, Error> {
        let base = parse_base_url(&config.url)?;
        let database_header = HeaderValue::from_str(&config.database).map_err(|_| {
            Error::Unreachable(format!(
                "the database name {:?} cannot be sent in an HTTP header",
                config.database
            ))
        })?;
        // With reqwest's `rustls-no-provider`, building a client without a process-wide crypto
        // provider panics. `main` installs ring at start-up; this covers every other caller.
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("odoo-mcp-gateway/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(CONNECT_TIMEOUT))
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .tcp_keepalive(Duration::from_secs(60))
            // A redirect would replay the credential to wherever Odoo points; report it instead.
            .redirect(redirect::Policy::none())
            .build()
            .map_err(|e| Error::Unreachable(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base,
                database: config.database,
                database_header,
                protocol: config.protocol,
                next_id: AtomicU64::new(1),
                version: OnceCell::new(),
            }),
        })
    }

    /// `common.version` over `/jsonrpc`, cached after the first success.
    pub async fn server_version(&self) -> Result<ServerVersion, Error> {
        let version = self
            .inner
            .version
            .get_or_try_init(|| async {
                let result = self.jsonrpc("common", "version", vec![]).await?;
                wire::parse_version(&result)
            })
            .await?;
        Ok(version.clone())
    }

    /// Whether the configured database exists: `common.authenticate` with no login answers
    /// `false` on it, and `UnknownDatabase` when the server has no such database.
    pub async fn check_database(&self) -> Result<(), Error> {
        let args = vec![json!(self.inner.database), json!(""), json!(""), json!({})];
        self.jsonrpc("common", "authenticate", args).await.map(drop)
    }

    /// Verifies a login and secret (password or API key) and works out how to use it.
    ///
    /// `common.authenticate` gives the uid (`false` → `AccessDenied`). The protocol is JSON-2 when
    /// configured so, or on `Auto` when the server is 19+ and the secret works as a bearer API key
    /// (probe: `res.users/context_get`); JSON-RPC otherwise, since a password can't be used on
    /// JSON-2. The display name is then read as the user, over the chosen protocol.
    pub async fn authenticate(
        &self,
        login: &str,
        secret: &SecretString,
    ) -> Result<Identity, Error> {
        let args = vec![
            json!(self.inner.database),
            json!(login),
            json!(secret.expose_secret()),
            json!({}),
        ];
        let result = self.jsonrpc("common", "authenticate", args).await?;
        let Some(uid) = wire::parse_uid(&result)? else {
            return Err(Error::odoo(
                ErrorKind::AccessDenied,
                "Access Denied (wrong login, password or API key)",
            ));
        };
        let protocol = self.pick_protocol(secret).await?;
        let credential = Credential {
            uid,
            secret: secret.clone(),
            protocol,
        };
        // Portal and other restricted users may not read their own user record; the login
        // then stands in for the name rather than failing the whole sign-in.
        let name = match self.call(&credential, &wire::user_name_call(uid)).await {
            Ok(rows) => wire::parse_user_name(&rows)?,
            Err(e) if e.kind() == Some(ErrorKind::AccessError) => login.to_owned(),
            Err(e) => return Err(e),
        };
        tracing::debug!(uid, %protocol, "odoo credential verified");
        Ok(Identity {
            uid,
            name,
            protocol,
        })
    }

    /// Runs one ORM method as the credential's user.
    pub async fn call(&self, credential: &Credential, call: &Call) -> Result<Value, Error> {
        let started = Instant::now();
        let outcome = match credential.protocol {
            Protocol::JsonRpc => {
                let args = wire::execute_kw_args(
                    &self.inner.database,
                    credential.uid,
                    &credential.secret,
                    call,
                );
                self.jsonrpc("object", "execute_kw", args).await
            }
            Protocol::Json2 => self.json2(&credential.secret, call).await,
        };
        tracing::debug!(
            model = %call.model,
            method = %call.method,
            protocol = %credential.protocol,
            // Rounded to the nearest millisecond, as the gateway's `telemetry::ms` writes every
            // other duration in the log (this crate sits below it).
            duration_ms = u64::try_from((started.elapsed().as_micros() + 500) / 1000)
                .unwrap_or(u64::MAX),
            outcome = outcome_label(&outcome),
            "odoo call"
        );
        outcome
    }

    async fn pick_protocol(&self, secret: &SecretString) -> Result<Protocol, Error> {
        match self.inner.protocol {
            ProtocolChoice::JsonRpc => Ok(Protocol::JsonRpc),
            ProtocolChoice::Json2 => match self.probe_json2(secret).await {
                Ok(()) => Ok(Protocol::Json2),
                Err(Error::Odoo {
                    kind: ErrorKind::AccessDenied,
                    ..
                }) => Err(Error::odoo(
                    ErrorKind::AccessDenied,
                    "JSON-2 needs an Odoo API key, not a password (Odoo: Preferences → Account Security → New API Key)",
                )),
                Err(Error::Protocol(detail)) => Err(Error::Protocol(format!(
                    "JSON-2 is not available: {detail}"
                ))),
                Err(other) => Err(other),
            },
            ProtocolChoice::Auto => {
                if !self.server_version().await?.has_json2() {
                    return Ok(Protocol::JsonRpc);
                }
                match self.probe_json2(secret).await {
                    Ok(()) => Ok(Protocol::Json2),
                    Err(e @ (Error::Unreachable(_) | Error::Timeout)) => Err(e),
                    // A password (401), or no `rpc` addon (404): JSON-RPC still works.
                    Err(e) => {
                        tracing::debug!(
                            outcome = outcome_label(&Err(e)),
                            "JSON-2 probe refused; using JSON-RPC"
                        );
                        Ok(Protocol::JsonRpc)
                    }
                }
            }
        }
    }

    async fn probe_json2(&self, secret: &SecretString) -> Result<(), Error> {
        self.json2(secret, &Call::new("res.users", "context_get"))
            .await
            .map(drop)
    }

    async fn jsonrpc(&self, service: &str, method: &str, args: Vec<Value>) -> Result<Value, Error> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let body = wire::jsonrpc_request(id, service, method, args);
        let request = self
            .inner
            .http
            .post(self.endpoint(&["jsonrpc"]))
            .json(&body);
        let answer = self.send(request).await?;
        wire::parse_jsonrpc(
            answer.status.as_u16(),
            answer.content_type.as_deref(),
            &answer.body,
        )
    }

    async fn json2(&self, secret: &SecretString, call: &Call) -> Result<Value, Error> {
        let mut authorization =
            HeaderValue::from_str(&format!("bearer {}", secret.expose_secret())).map_err(|_| {
                Error::odoo(
                    ErrorKind::AccessDenied,
                    "The API key contains characters Odoo cannot accept",
                )
            })?;
        authorization.set_sensitive(true);
        let url = self.endpoint(&["json", "2", &call.model, &call.method]);
        let request = self
            .inner
            .http
            .post(url)
            .header(header::AUTHORIZATION, authorization)
            .header("X-Odoo-Database", self.inner.database_header.clone())
            .json(&wire::json2_body(call));
        let answer = self.send(request).await?;
        wire::parse_json2(
            answer.status.as_u16(),
            answer.content_type.as_deref(),
            &answer.body,
        )
    }

    /// `<base>/<segments…>`, each segment percent-encoded so a model or method name can't
    /// reach another route.
    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, Error> {
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        self.read(response).await
    }

    /// Reads an answer whole; a redirect is an error (it would mean a misconfigured URL).
    async fn read(&self, response: reqwest::Response) -> Result<Answer, Error> {
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .unwrap_or("nowhere");
            return Err(Error::Protocol(format!(
                "HTTP {status} redirect to {location}; check the configured Odoo URL"
            )));
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // `Bytes` → `Vec` reuses the buffer when it is uniquely owned, as it is here.
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(&e))?
            .into();
        Ok(Answer {
            status,
            content_type,
            body,
        })
    }

    /// A short, human description of a transport failure, naming Odoo's origin (never its
    /// credentials or path) rather than reqwest's whole error chain.
    fn transport_error(&self, error: &reqwest::Error) -> Error {
        let origin = self.inner.base.origin().ascii_serialization();
        if error.is_connect() {
            let reason = if error.is_timeout() {
                "no connection within the timeout".into()
            } else {
                root_cause(error)
            };
            Error::Unreachable(format!("cannot connect to Odoo at {origin}: {reason}"))
        } else if error.is_timeout() {
            Error::Timeout
        } else if error.is_body() || error.is_decode() {
            Error::Protocol(format!(
                "the answer from {origin} broke off: {}",
                root_cause(error)
            ))
        } else {
            Error::Unreachable(format!(
                "request to Odoo at {origin} failed: {}",
                root_cause(error)
            ))
        }
    }
}

/// The innermost error's message: "Connection refused (os error 111)", "failed to lookup
/// address information: …", "invalid peer certificate: UnknownIssuer".
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let text = cause.to_string();
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn outcome_label(outcome: &Result<Value, Error>) -> &'static str {
    match outcome {
        Ok(_) => "ok",
        Err(Error::Odoo { kind, .. }) => kind.as_str(),
        Err(Error::Unreachable(_)) => "unreachable",
        Err(Error::Timeout) => "timeout",
        Err(Error::Protocol(_)) => "protocol",
    }
}

fn parse_base_url(raw: &str) -> Result<Url, Error> {
    // The URL itself is not echoed: a mistyped one may carry a password.
    let invalid =
        |why: &str| Error::Unreachable(format!("the configured Odoo URL is not usable: {why}"));
    let mut url = Url::parse(raw.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("it must start with http:// or https://"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not contain a user name or password"));
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

#[path = "web.rs"]
pub(crate) mod web;

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
