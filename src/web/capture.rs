//! What the two audit middlewares (`/mcp`'s guard and the OAuth endpoints') share: whether
//! payloads are logged, a redacted copy of a JSON response body, and the elapsed time.

use std::time::Instant;

use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use serde_json::Value;

use crate::audit;
use crate::state::AppState;

/// Server Settings' payload logging (off when the settings cannot be read).
pub async fn payload_logging(state: &AppState) -> bool {
    state
        .settings
        .get(&state.store)
        .await
        .map(|s| s.payload_logging)
        .unwrap_or(false)
}

/// A redacted copy of a JSON response body of at most `max` bytes, and the response intact;
/// pages, redirects and streams are not captured.
pub async fn json_response(response: Response, max: usize) -> (Response, Option<String>) {
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

/// Milliseconds since `started`, for the audit entry's duration.
pub fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}
