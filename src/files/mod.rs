//! `/files/{token}`: the one-time links the file tools answer. A GET downloads what the link
//! leads to (an attachment or a rendered report), fetched from Odoo as the connection's user
//! and streamed on, never written to disk; a PUT sends the file of an upload link. Each use is
//! one audit entry of its connection; a link works once, and not after it expired.

mod disposition;

use std::net::SocketAddr;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use serde_json::json;

use crate::audit::outcome;
use crate::calls::links::{self, LinkError, Target, Used};
use crate::calls::{ToolError, tools};
use crate::catalog::validate;
use crate::state::AppState;
use crate::web::audited::{Entry, Note};

/// Upload answers are small JSON; nothing larger is copied into the payload log.
const MAX_LOGGED: usize = 4096;

pub(crate) fn routes(state: AppState) -> Router {
    Router::new()
        .route(
            &format!("{}/{{token}}", links::PATH),
            get(download).put(upload),
        )
        .with_state(state)
}

/// Which way a request uses a link.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Download,
    Upload,
}

/// Why a request on a link failed, as its status and message.
struct Failure {
    status: StatusCode,
    message: String,
    outcome: &'static str,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let outcome = if status == StatusCode::FORBIDDEN {
            outcome::DENIED
        } else {
            outcome::ERROR
        };
        Self {
            status,
            message: message.into(),
            outcome,
        }
    }

    fn into_response(self, note: &Note) -> Response {
        note.ended(self.outcome, Some(self.message.clone()));
        let headers = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
        (self.status, headers, self.message).into_response()
    }
}

impl From<LinkError> for Failure {
    fn from(error: LinkError) -> Self {
        match error {
            LinkError::Gone => Self::new(StatusCode::GONE, error.to_string()),
            LinkError::Refused(why) => Self::new(StatusCode::FORBIDDEN, why),
            LinkError::Tool(e) => e.into(),
        }
    }
}

impl From<ToolError> for Failure {
    fn from(error: ToolError) -> Self {
        let status = match &error {
            ToolError::Denied(_) | ToolError::Refused(_) | ToolError::NotConfirmed(_) => {
                StatusCode::FORBIDDEN
            }
            ToolError::NotFound(_) => StatusCode::NOT_FOUND,
            ToolError::OverBudget(_) => StatusCode::TOO_MANY_REQUESTS,
            ToolError::InvalidArguments { .. } => StatusCode::BAD_REQUEST,
            ToolError::Odoo(_)
            | ToolError::NotInstalled { .. }
            | ToolError::ModuleMissing { .. } => StatusCode::BAD_GATEWAY,
            ToolError::UnknownTool(_) | ToolError::Internal(_) => {
                tracing::error!(error = %crate::fault::chain(&error), "file link failed inside the gateway");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        Self::new(status, error.to_string())
    }
}

/// Opens the audit entry of a link request and uses the link up, noting whose it is.
async fn open(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    token: &str,
    direction: Direction,
) -> (Entry, Result<Used, Failure>) {
    let method = match direction {
        Direction::Download => "files/download",
        Direction::Upload => "files/upload",
    };
    let mut entry = Entry::open(state, peer, headers, method.into(), MAX_LOGGED).await;
    let used = match links::use_up(state, token).await {
        Ok(used) => used,
        Err(e) => return (entry, Err(e.into())),
    };
    let note = entry.note();
    note.connection(Some(used.principal.connection.id));
    note.user(&used.principal.login);
    entry.event.tool = Some(used.target.tool().to_owned());
    entry.event.model = used.target.model().map(str::to_owned);
    if entry.payload_logging {
        entry.event.request_payload = Some(links::audit_payload(&used.target).to_string());
    }
    let is_upload = matches!(used.target, Target::Upload { .. });
    if is_upload != (direction == Direction::Upload) {
        used.release(state).await;
        let message = if is_upload {
            "This is an upload link: PUT the file's bytes to it."
        } else {
            "This is a download link: GET it."
        };
        return (
            entry,
            Err(Failure::new(StatusCode::METHOD_NOT_ALLOWED, message)),
        );
    }
    (entry, Ok(used))
}

async fn download(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    match open(&state, peer, &headers, &token, Direction::Download).await {
        (entry, Ok(used)) => {
            let answered = fetch(&state, &used).await;
            finish(&state, entry, Some(&used), answered).await
        }
        (entry, Err(failure)) => finish(&state, entry, None, Err(failure)).await,
    }
}

/// Ends a link request with its answer, or with the failure's — after which a link that was
/// used up is usable again, since nothing was sent or attached — and writes its audit entry.
async fn finish(
    state: &AppState,
    entry: Entry,
    used: Option<&Used>,
    answered: Result<Response, Failure>,
) -> Response {
    let response = match answered {
        Ok(response) => response,
        Err(failure) => {
            if let Some(used) = used {
                used.release(state).await;
            }
            failure.into_response(&entry.note())
        }
    };
    entry.finish(state, response).await
}

/// The file a download link leads to, as a response that streams it.
async fn fetch(state: &AppState, used: &Used) -> Result<Response, Failure> {
    let ctx = used.context(state);
    match &used.target {
        Target::Attachment {
            id, name, mimetype, ..
        } => {
            let bytes = tools::attachment_content(&ctx, *id).await?;
            let kind = mimetype.as_deref().unwrap_or("application/octet-stream");
            Ok(file_response(kind, name, Body::from(bytes)))
        }
        Target::Report {
            ids,
            report_name,
            format,
            file_name,
            ..
        } => {
            let (rendered, guard) = tools::render_report(&ctx, report_name, ids, format).await?;
            let kind = rendered
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_owned();
            // The guard lives as long as the stream, and signs the session out after it.
            let stream = rendered.bytes_stream().map(move |chunk| {
                let _session = &guard;
                chunk
            });
            Ok(file_response(&kind, file_name, Body::from_stream(stream)))
        }
        Target::Upload { .. } => Err(Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "This is an upload link.",
        )),
    }
}

/// A download: never cached, never shown inline, never run as a page of the gateway's origin
/// (an HTML report or attachment could carry scripts).
fn file_response(content_type: &str, name: &str, body: Body) -> Response {
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let headers: [(HeaderName, HeaderValue); 6] = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_DISPOSITION, disposition::attachment(name)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox; default-src 'none'"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ];
    (headers, body).into_response()
}

async fn upload(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Body,
) -> Response {
    match open(&state, peer, &headers, &token, Direction::Upload).await {
        (entry, Ok(used)) => {
            let answered = store(&state, &used, &headers, body).await;
            finish(&state, entry, Some(&used), answered).await
        }
        (entry, Err(failure)) => finish(&state, entry, None, Err(failure)).await,
    }
}

/// Attaches the request's body to the upload link's record.
async fn store(
    state: &AppState,
    used: &Used,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    let Target::Upload {
        model,
        id,
        name,
        mimetype,
        max_bytes,
        ..
    } = &used.target
    else {
        return Err(Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "This is a download link.",
        ));
    };
    let bytes: Bytes = axum::body::to_bytes(body, *max_bytes).await.map_err(|_| {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The file is larger than this link takes ({max_bytes} bytes)."),
        )
    })?;
    if bytes.is_empty() {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "The request has no body: PUT the file's bytes.",
        ));
    }
    let sent_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| validate::mimetype(v).map(str::to_owned))
        .transpose()
        .map_err(|why| Failure::new(StatusCode::BAD_REQUEST, format!("Content-Type: {why}")))?;
    let mimetype = mimetype.clone().or(sent_type);
    let ctx = used.context(state);
    let attachment_id = tools::attach(&ctx, model, *id, name, mimetype.as_deref(), &bytes).await?;
    let answer = json!({
        "attachment_id": attachment_id,
        "model": model,
        "id": id,
        "name": name,
        "size": bytes.len(),
    });
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}
