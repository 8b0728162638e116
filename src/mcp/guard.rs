//! The `/mcp` HTTP guard: reads and checks the body, runs the request stage of the governance
//! pipeline ([`pipeline::admit_request`]), attaches the principal for the MCP server, and
//! records one audit event per request — refusals included. Refusals are JSON-RPC error
//! bodies with the HTTP status MCP clients act on; this file is their one mapping.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::envelope;
use super::fast::FastPath;
use super::pipeline::{self, Refusal};
use super::resources;
use crate::audit::rule::Rule;
use crate::audit::{outcome, redact};
use crate::calls::Principal;
use crate::connections::Connection;
use crate::oauth;
use crate::state::AppState;
use crate::traces::{self, Attribute, TraceParent};
use crate::web::audited::{Entry, traceparent_header};

/// Largest response body copied into the payload log.
const MAX_LOGGED_RESPONSE: usize = 4 * 1024 * 1024;

/// Problems with the request itself, reported after the governance checks so that they are
/// audited against the connection.
#[derive(Debug)]
enum BadRequest {
    TooLarge(usize),
    /// The body did not arrive in time (the transport's body deadline).
    Slow,
    WrongContentType,
    Malformed(String),
    Invalid(envelope::Invalid),
}

/// The JSON-RPC facts of a request body, for the audit entry.
#[derive(Debug, Default)]
struct Envelope {
    method: Option<String>,
    tool: Option<String>,
    model: Option<String>,
    body: Option<Value>,
}

pub(super) async fn guard(
    State((state, fast)): State<(AppState, Arc<FastPath>)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let token = bearer_token(request.headers()).map(str::to_owned);
    let (parts, body) = request.into_parts();
    let method = parts.method.to_string();
    let mut entry = Entry::open(&state, peer, &parts.headers, method, MAX_LOGGED_RESPONSE).await;
    let (body, mut envelope) = read_body(&state, &parts.method, &parts.headers, body).await;
    let event = &mut entry.event;
    if let Some(method) = &envelope.method {
        event.method.clone_from(method);
    }
    event.tool.clone_from(&envelope.tool);
    event.model.clone_from(&envelope.model);
    if entry.payload_logging {
        event.request_payload = envelope.body.as_ref().map(|b| redact(b).to_string());
    }

    let parent = traceparent(&parts.headers, envelope.body.as_ref());
    entry.trace(
        &state,
        || span_name(&envelope),
        parent,
        || span_attributes(&parts.method, &envelope),
    );

    let note = entry.note();
    let ip = entry.ip;
    let work = async {
        // Boxed, as the tool call in `FastPath::answer` is: its store reads' states would
        // otherwise make this future larger, and every move of it dearer.
        match Box::pin(admit(&state, token.as_deref(), ip, body)).await {
            Ok((principal, bytes)) => {
                note.connection(Some(principal.connection.id));
                note.user(&principal.login);
                let id = principal.connection.id;
                entry.attribute(|| Attribute::new("odoo_mcp.connection.id", id));
                // tools/list, ping and tools/call, when rmcp would answer them exactly so, are
                // answered here; the parsed body is theirs, as nothing else needs it now.
                match fast
                    .answer(&state, &parts, envelope.body.take(), &principal, &note)
                    .await
                {
                    Some(response) => response,
                    None => {
                        let mut request = Request::from_parts(parts, Body::from(bytes));
                        request.extensions_mut().insert(principal);
                        if let Some(carried) = traces::Carried::current() {
                            request.extensions_mut().insert(carried);
                        }
                        // The MCP server notes how the call ended on it.
                        request.extensions_mut().insert(note);
                        next.run(request).await
                    }
                }
            }
            Err((refusal, connection)) => {
                if let Some(c) = connection {
                    note.connection(Some(c.id));
                    if let Some(login) = &c.user_login {
                        note.user(login);
                    }
                }
                let (status, message) = refusal.status_and_message();
                state.metrics.refusal(refusal.reason());
                note.ended(refusal.outcome(), Some(message.clone()));
                note.refused_by(refusal.rule());
                refusal.into_response(
                    status,
                    message,
                    request_id(envelope.body.as_ref()),
                    &state.urls.resource_metadata,
                    state.clock.now(),
                )
            }
        }
    };
    let response = entry.traced(work).await;
    entry.finish(&state, response).await
}

/// The client's trace context: MCP's `params._meta.traceparent` (SEP-414, 2026-07-28) with its
/// `tracestate`, else the HTTP headers. `_meta` wins: it is the context of this very request,
/// set by the MCP client, where a header may have been set by a proxy in between.
fn traceparent(headers: &HeaderMap, body: Option<&Value>) -> Option<TraceParent> {
    let meta = body.and_then(|b| b.pointer("/params/_meta"));
    let field = |name: &str| meta.and_then(|m| m.get(name)).and_then(Value::as_str);
    let from_meta = field("traceparent")
        .and_then(TraceParent::parse)
        .map(|p| p.with_state(field("tracestate")));
    from_meta.or_else(|| traceparent_header(headers))
}

/// `{mcp.method.name} {target}`, as OpenTelemetry's MCP conventions name a server span.
fn span_name(envelope: &Envelope) -> String {
    match (&envelope.method, &envelope.tool) {
        (Some(method), Some(tool)) => {
            format!("{method} {}", crate::catalog::validate::shorten(tool))
        }
        (Some(method), None) => method.clone(),
        (None, _) => "MCP".to_owned(),
    }
}

/// The request's facts, never its arguments: HTTP method and route, MCP method, tool name.
fn span_attributes(method: &Method, envelope: &Envelope) -> Vec<Attribute> {
    let mut attributes = vec![
        Attribute::new("http.request.method", method.to_string()),
        Attribute::new("http.route", "/mcp"),
    ];
    if let Some(m) = &envelope.method {
        attributes.push(Attribute::new("mcp.method.name", m.clone()));
    }
    if let Some(tool) = &envelope.tool {
        let tool = crate::catalog::validate::shorten(tool);
        attributes.push(Attribute::new("gen_ai.tool.name", tool));
    }
    attributes
}

/// The id of the JSON-RPC request an error answers, when the body parsed and carried a valid
/// one (a string or a number); `null` otherwise, as JSON-RPC 2.0 says.
fn request_id(body: Option<&Value>) -> Value {
    match body.and_then(|b| b.get("id")) {
        Some(id @ (Value::String(_) | Value::Number(_))) => id.clone(),
        _ => Value::Null,
    }
}

/// Why the request went no further, including the connection when one was identified.
type Stopped = (Stop, Option<Box<Connection>>);

#[derive(Debug)]
enum Stop {
    Governance(Refusal),
    Bad(BadRequest),
}

async fn admit(
    state: &AppState,
    token: Option<&str>,
    ip: IpAddr,
    body: Result<Bytes, BadRequest>,
) -> Result<(Principal, Bytes), Stopped> {
    // A body too large to read stops everything: nothing more can be known.
    if let Err(BadRequest::TooLarge(max)) = body {
        return Err((Stop::Bad(BadRequest::TooLarge(max)), None));
    }
    let admitted = pipeline::admit_request(state, token, ip)
        .await
        .map_err(|(refusal, connection)| (Stop::Governance(refusal), connection))?;
    let connection = || Some(Box::new(admitted.principal.connection.clone()));
    let bytes = match body {
        Ok(bytes) => bytes,
        Err(bad) => return Err((Stop::Bad(bad), connection())),
    };
    if let Some(scope) = oauth::bearer::missing_scope(admitted.granted, &bytes) {
        return Err((
            Stop::Governance(Refusal::InsufficientScope(scope)),
            connection(),
        ));
    }
    Ok((admitted.principal, bytes))
}

/// Reads a POST body within the size limit (also without a Content-Length) and checks it is
/// JSON; other methods pass through untouched for rmcp to answer (GET → 405).
async fn read_body(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> (Result<Bytes, BadRequest>, Envelope) {
    let max = state.limits.max_body_bytes;
    if method != Method::POST {
        return (Ok(Bytes::new()), Envelope::default());
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > max) {
        return (Err(BadRequest::TooLarge(max)), Envelope::default());
    }
    let bytes = match axum::body::to_bytes(body, max).await {
        Ok(bytes) => bytes,
        Err(e) if crate::transport::is_body_timeout(&e) => {
            return (Err(BadRequest::Slow), Envelope::default());
        }
        Err(_) => return (Err(BadRequest::TooLarge(max)), Envelope::default()),
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return (Err(BadRequest::WrongContentType), Envelope::default());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value) => {
            let checked = envelope::check(&value);
            let envelope = envelope(value);
            match checked {
                Ok(()) => (Ok(bytes), envelope),
                Err(invalid) => (Err(BadRequest::Invalid(invalid)), envelope),
            }
        }
        Err(e) => (
            Err(BadRequest::Malformed(e.to_string())),
            Envelope::default(),
        ),
    }
}

fn envelope(body: Value) -> Envelope {
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(|s| s.chars().take(128).collect())
    };
    let params = body.get("params");
    Envelope {
        method: text(body.get("method")).or_else(|| body.is_array().then(|| "batch".to_owned())),
        tool: text(params.and_then(|p| p.get("name"))),
        model: text(
            params
                .and_then(|p| p.get("arguments"))
                .and_then(|a| a.get("model")),
        )
        .or_else(|| {
            let uri = params.and_then(|p| p.get("uri")).and_then(Value::as_str)?;
            resources::model_of(uri).map(str::to_owned)
        }),
        body: Some(body),
    }
}

impl Stop {
    fn reason(&self) -> &'static str {
        match self {
            Self::Governance(Refusal::Disabled) => "disabled",
            Self::Governance(Refusal::MissingToken) => "missing_token",
            Self::Governance(Refusal::UnknownToken) => "unknown_token",
            Self::Governance(Refusal::Revoked) => "revoked",
            Self::Governance(Refusal::NoLinkedUser) => "no_linked_user",
            Self::Governance(Refusal::InvalidToken(_)) => "invalid_token",
            Self::Governance(Refusal::InsufficientScope(_)) => "insufficient_scope",
            Self::Governance(Refusal::Ip(_)) => "ip",
            Self::Governance(Refusal::RateLimited(_)) => "rate_limited",
            Self::Governance(Refusal::Internal(_)) => "internal",
            Self::Bad(BadRequest::TooLarge(_)) => "too_large",
            Self::Bad(BadRequest::Slow) => "slow_body",
            Self::Bad(BadRequest::WrongContentType) => "wrong_content_type",
            Self::Bad(BadRequest::Malformed(_)) => "malformed",
            Self::Bad(BadRequest::Invalid(_)) => "invalid_request",
        }
    }

    /// The governance rule that stopped the request (none for a malformed one).
    fn rule(&self) -> Option<Rule> {
        let Self::Governance(refusal) = self else {
            return None;
        };
        Some(match refusal {
            Refusal::Disabled => Rule::Switch,
            Refusal::MissingToken
            | Refusal::UnknownToken
            | Refusal::Revoked
            | Refusal::NoLinkedUser
            | Refusal::InvalidToken(_) => Rule::Auth,
            Refusal::InsufficientScope(_) => Rule::Scope,
            Refusal::Ip(_) => Rule::Ip,
            Refusal::RateLimited(_) => Rule::Rate,
            Refusal::Internal(_) => return None,
        })
    }

    fn outcome(&self) -> &'static str {
        match self {
            Self::Governance(Refusal::RateLimited(_)) => outcome::RATE_LIMITED,
            Self::Governance(Refusal::Internal(_)) | Self::Bad(_) => outcome::ERROR,
            _ => outcome::DENIED,
        }
    }

    fn status_and_message(&self) -> (StatusCode, String) {
        match self {
            Self::Governance(refusal) => match refusal {
                Refusal::Disabled => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    crate::settings::SWITCHED_OFF.into(),
                ),
                Refusal::MissingToken => (
                    StatusCode::UNAUTHORIZED,
                    "Authentication required: send 'Authorization: Bearer <API key or access token>'.".into(),
                ),
                Refusal::UnknownToken => (
                    StatusCode::UNAUTHORIZED,
                    "The bearer token is not valid (unknown, mistyped or rotated away).".into(),
                ),
                Refusal::Revoked => (StatusCode::UNAUTHORIZED, crate::connections::REVOKED.into()),
                Refusal::InvalidToken(rejection) => (StatusCode::UNAUTHORIZED, rejection.to_string()),
                Refusal::InsufficientScope(_) => (
                    StatusCode::FORBIDDEN,
                    "This access token is Read Only (mcp:read); this tool needs mcp:write.".into(),
                ),
                Refusal::NoLinkedUser => (
                    StatusCode::UNAUTHORIZED,
                    crate::connections::NO_LINKED_USER.into(),
                ),
                Refusal::Ip(refusal) => (StatusCode::FORBIDDEN, refusal.to_string()),
                Refusal::RateLimited(exceeded) => (StatusCode::TOO_MANY_REQUESTS, exceeded.message()),
                Refusal::Internal(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The gateway could not check this request; the error was logged.".into(),
                ),
            },
            Self::Bad(BadRequest::TooLarge(max)) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body exceeds the limit of {max} bytes."),
            ),
            Self::Bad(BadRequest::Slow) => (
                StatusCode::REQUEST_TIMEOUT,
                "The request body was not received in full in time.".into(),
            ),
            Self::Bad(BadRequest::WrongContentType) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "MCP requests must be sent with 'Content-Type: application/json'.".into(),
            ),
            Self::Bad(BadRequest::Malformed(reason)) => (
                StatusCode::BAD_REQUEST,
                format!("Parse error: the body is not valid JSON ({reason})."),
            ),
            Self::Bad(BadRequest::Invalid(invalid)) => (StatusCode::BAD_REQUEST, invalid.to_string()),
        }
    }

    /// The one mapping from a refusal to its HTTP response.
    fn into_response(
        self,
        status: StatusCode,
        message: String,
        id: Value,
        resource_metadata: &str,
        now: crate::clock::Millis,
    ) -> Response {
        if let Self::Governance(Refusal::Internal(cause)) = &self {
            tracing::error!(cause = %crate::fault::chain(&**cause), "MCP request check failed");
        }
        let code = match &self {
            Self::Governance(
                Refusal::MissingToken
                | Refusal::UnknownToken
                | Refusal::Revoked
                | Refusal::NoLinkedUser,
            ) => -32001,
            Self::Bad(BadRequest::Malformed(_)) => -32700,
            Self::Bad(BadRequest::WrongContentType | BadRequest::Invalid(_)) => -32600,
            _ => -32000,
        };
        let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if status == StatusCode::UNAUTHORIZED {
            let mut challenge = format!("Bearer resource_metadata=\"{resource_metadata}\"");
            if !matches!(self, Self::Governance(Refusal::MissingToken)) {
                // RFC 6750 §3: a presented but unusable token is invalid_token.
                challenge.push_str(&format!(
                    ", error=\"invalid_token\", error_description=\"{message}\""
                ));
            }
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        if let Self::Governance(Refusal::InsufficientScope(scope)) = &self {
            // RFC 6750 §3.1 / MCP step-up: the scope to ask the user for.
            let challenge = format!(
                "Bearer error=\"insufficient_scope\", scope=\"{scope}\", \
                 resource_metadata=\"{resource_metadata}\", error_description=\"{message}\""
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        if let Self::Governance(Refusal::RateLimited(exceeded)) = &self {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(exceeded.retry_after_secs(now)),
            );
        }
        response
    }
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
pub(super) async fn normalize_accept(mut request: Request, next: Next) -> Response {
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

    fn response_of(stop: Stop) -> Response {
        let (status, message) = stop.status_and_message();
        stop.into_response(
            status,
            message,
            Value::Null,
            "https://gw/.well-known/oauth-protected-resource/mcp",
            0,
        )
    }

    #[test]
    fn unauthorized_refusals_carry_the_resource_metadata_challenge() {
        let r = response_of(Stop::Governance(Refusal::UnknownToken));
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let challenge = r.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(challenge.starts_with(
            "Bearer resource_metadata=\"https://gw/.well-known/oauth-protected-resource/mcp\""
        ));
        assert!(challenge.contains("error=\"invalid_token\""));
        let missing = response_of(Stop::Governance(Refusal::MissingToken));
        assert!(
            !missing.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .contains("error=")
        );
    }

    #[test]
    fn the_envelope_names_method_tool_and_model() {
        let e = envelope(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "search_records", "arguments": {"model": "res.partner"}}}));
        assert_eq!(e.method.as_deref(), Some("tools/call"));
        assert_eq!(e.tool.as_deref(), Some("search_records"));
        assert_eq!(e.model.as_deref(), Some("res.partner"));
        assert_eq!(envelope(json!([1])).method.as_deref(), Some("batch"));
    }
}
