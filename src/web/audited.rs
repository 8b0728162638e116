//! One audit entry per request on the audited surfaces (`/mcp` and the OAuth endpoints): the
//! surface's middleware opens an [`Entry`] (time, client address, payload logging), the code
//! that learns something writes it on the request's [`Note`] (the connection, the Odoo user,
//! how the call ended), an error response may carry its [`Ended`], and [`Entry::finish`] turns
//! all of it into the one row, with the redacted response payload when payloads are logged.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use futures::future::Either;
use tracing::Instrument as _;

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use crate::audit::rule::Rule;
use crate::audit::{self, outcome};
use crate::connections;
use crate::locks::lock;
use crate::policy::client_ip;
use crate::state::AppState;
use crate::store::AuditRow;
use crate::traces::{Attribute, RequestSpan, TraceParent};

/// How a request ended, when more is known than its HTTP status says: noted by a handler or
/// carried by an error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ended {
    pub outcome: &'static str,
    pub error: Option<String>,
}

impl Ended {
    pub(crate) fn new(outcome: &'static str, error: impl Into<String>) -> Self {
        Self {
            outcome,
            error: Some(error.into()),
        }
    }

    /// A response that says nothing more: judged by its status.
    fn by_status(status: StatusCode) -> Self {
        if status.is_success() || status.is_redirection() {
            return Self {
                outcome: outcome::SUCCESS,
                error: None,
            };
        }
        let outcome = match status {
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => outcome::DENIED,
            StatusCode::TOO_MANY_REQUESTS => outcome::RATE_LIMITED,
            _ => outcome::ERROR,
        };
        Self::new(outcome, format!("HTTP {}", status.as_u16()))
    }
}

/// What handlers learned about the request, shared with the middleware through the request's
/// extensions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Note(Arc<Mutex<Facts>>);

#[derive(Debug, Default)]
struct Facts {
    connection_id: Option<i64>,
    user_login: Option<String>,
    ended: Option<Ended>,
    /// Said after the method, e.g. `tools/call (confirmed in chat)`.
    method_detail: Option<&'static str>,
    /// The governance rule that refused the request.
    rule: Option<Rule>,
}

impl<S: Send + Sync> FromRequestParts<S> for Note {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(&parts.extensions))
    }
}

impl Note {
    /// The request's note (a detached one outside an audited route, e.g. in unit tests).
    pub(crate) fn of(extensions: &Extensions) -> Self {
        extensions.get::<Self>().cloned().unwrap_or_default()
    }

    pub(crate) fn connection(&self, id: Option<i64>) {
        if let Some(id) = id {
            self.facts().connection_id = Some(id);
        }
    }

    pub(crate) fn user(&self, login: &str) {
        self.facts().user_login = Some(login.to_owned());
    }

    pub(crate) fn ended(&self, outcome: &'static str, error: Option<String>) {
        self.facts().ended = Some(Ended { outcome, error });
    }

    pub(crate) fn refused_by(&self, rule: Option<Rule>) {
        self.facts().rule = rule;
    }

    /// What the entry's method says besides the JSON-RPC method: how a person took part.
    pub(crate) fn method_detail(&self, detail: &'static str) {
        self.facts().method_detail = Some(detail);
    }

    fn facts(&self) -> MutexGuard<'_, Facts> {
        lock(&self.0)
    }
}

/// The audit entry of one request, open while it is served.
pub(crate) struct Entry {
    started: Instant,
    pub ip: IpAddr,
    /// Server Settings' payload logging, read once per request.
    pub payload_logging: bool,
    max_response: usize,
    pub event: AuditRow,
    note: Note,
    /// The request's span, when traces are exported.
    span: Option<RequestSpan>,
}

impl Entry {
    /// Opens the entry of a request from `peer` (behind the trusted proxies, the forwarded
    /// address); `max_response` bounds the response body copied into the payload log.
    pub(crate) async fn open(
        state: &AppState,
        peer: SocketAddr,
        headers: &HeaderMap,
        method: String,
        max_response: usize,
    ) -> Self {
        let ip = client_ip::of_request(peer.ip(), headers, &state.trusted_proxies);
        Self {
            started: Instant::now(),
            ip,
            payload_logging: payload_logging(state).await,
            max_response,
            event: AuditRow {
                at: state.clock.now(),
                method,
                client_ip: Some(ip.to_string()),
                ..AuditRow::default()
            },
            note: Note::default(),
            span: None,
        }
    }

    /// Opens the request's span (when traces are on), a child of the client's `parent`; the
    /// work given to [`Entry::traced`] then runs inside it. `attributes` are built only then.
    pub(crate) fn trace(
        &mut self,
        state: &AppState,
        name: impl FnOnce() -> String,
        parent: Option<TraceParent>,
        attributes: impl FnOnce() -> Vec<Attribute>,
    ) {
        if !state.traces.is_on() {
            return;
        }
        let ago = self.started.elapsed();
        self.span = state.traces.request(name(), parent, ago, attributes());
        self.event.trace_id = self.span.as_ref().map(RequestSpan::trace_id);
    }

    /// Adds an attribute to the request's span, if it has one.
    pub(crate) fn attribute(&self, attribute: impl FnOnce() -> Attribute) {
        if let Some(span) = &self.span {
            span.set(attribute());
        }
    }

    /// Runs `work` inside the request's span (when it has one), and its log lines with the
    /// trace id.
    pub(crate) fn traced<F: Future>(&self, work: F) -> impl Future<Output = F::Output> {
        match (&self.span, &self.event.trace_id) {
            (Some(span), Some(trace_id)) => {
                let logged = tracing::info_span!("traced", trace_id = %trace_id);
                Either::Left(span.around(work).instrument(logged))
            }
            _ => Either::Right(work),
        }
    }

    /// The note handlers write on: insert it into the request's extensions.
    pub(crate) fn note(&self) -> Note {
        self.note.clone()
    }

    /// Writes the row: the noted facts, how the request ended (noted, else carried by the
    /// response, else judged by its status), the response payload and the duration.
    pub(crate) async fn finish(mut self, state: &AppState, response: Response) -> Response {
        let facts = std::mem::take(&mut *self.note.facts());
        let event = &mut self.event;
        event.connection_id = facts.connection_id.or(event.connection_id);
        event.user_login = match (facts.user_login, event.connection_id) {
            (Some(login), _) => Some(login),
            // Known connection, user not noted (e.g. a revocation): the connection's Odoo user.
            (None, Some(id)) => connections::get(&state.store, id)
                .await
                .ok()
                .and_then(|c| c.user_login),
            (None, None) => None,
        };
        let ended = facts
            .ended
            .or_else(|| response.extensions().get::<Ended>().cloned())
            .unwrap_or_else(|| Ended::by_status(response.status()));
        event.outcome = ended.outcome.to_owned();
        if let Some(detail) = facts.method_detail {
            event.method = format!("{} ({detail})", event.method);
        }
        event.error = ended.error;
        event.rule = facts.rule.map(|r| r.as_str().to_owned());
        let response = if self.payload_logging {
            let (response, logged) = json_response(response, self.max_response).await;
            event.response_payload = logged;
            response
        } else {
            response
        };
        event.duration_ms =
            i64::try_from(crate::telemetry::ms(self.started.elapsed())).unwrap_or(i64::MAX);
        if let Some(span) = self.span.take() {
            let status = i64::from(response.status().as_u16());
            span.set(Attribute::new("http.response.status_code", status));
            span.set(Attribute::new("odoo_mcp.outcome", event.outcome.clone()));
            // The outcome class only: an error's text may quote the request.
            let fine = [outcome::SUCCESS, outcome::PENDING_APPROVAL];
            let failed =
                (!fine.contains(&event.outcome.as_str())).then_some(event.outcome.as_str());
            span.end(failed);
        }
        state.audit.record(self.event).await;
        response
    }
}

/// The W3C `traceparent` header of a request, when it is well formed, with its `tracestate`.
pub(crate) fn traceparent_header(headers: &HeaderMap) -> Option<TraceParent> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("traceparent")
        .and_then(TraceParent::parse)
        .map(|p| p.with_state(header("tracestate")))
}

/// Server Settings' payload logging (off when the settings cannot be read).
async fn payload_logging(state: &AppState) -> bool {
    state
        .settings
        .get(&state.store)
        .await
        .map(|s| s.payload_logging)
        .unwrap_or(false)
}

/// A redacted copy of a JSON response body of at most `max` bytes, and the response intact;
/// pages, redirects and streams are not captured.
async fn json_response(response: Response, max: usize) -> (Response, Option<String>) {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return (response, None);
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, max).await {
        Ok(bytes) => {
            let logged = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .map(|v| audit::redact(&v).to_string());
            (Response::from_parts(parts, Body::from(bytes)), logged)
        }
        Err(_) => (Response::from_parts(parts, Body::empty()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_that_says_nothing_more_is_judged_by_its_status() {
        let judged = |code: u16| Ended::by_status(StatusCode::from_u16(code).unwrap());
        assert_eq!(judged(200).outcome, outcome::SUCCESS);
        assert_eq!(
            judged(303),
            Ended {
                outcome: outcome::SUCCESS,
                error: None
            }
        );
        assert_eq!(judged(403), Ended::new(outcome::DENIED, "HTTP 403"));
        assert_eq!(judged(401).outcome, outcome::DENIED);
        assert_eq!(judged(429).outcome, outcome::RATE_LIMITED);
        assert_eq!(judged(405), Ended::new(outcome::ERROR, "HTTP 405"));
    }
}
