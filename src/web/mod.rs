//! What the web surfaces share: the one audit layer of /mcp and OAuth, the signed-in web session (cookie,
//! CSRF token, the signed-in person and their role), the error pages every failure maps to, a
//! body sent in parts without copying them together, and the headers and helpers of every HTML
//! page.

pub(crate) mod audited;
mod error;
pub(crate) mod segments;
pub(crate) mod session;

use askama::Template;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub(crate) use error::PageError;

/// Headers of every console HTML page: no caching of pages that may show secrets, and a
/// content policy that allows only the console's own stylesheet and script.
pub(crate) fn security_headers() -> [(HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                 frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ),
    ]
}

/// Renders a page with the console's headers.
pub(crate) fn render<T: Template>(page: &T) -> Result<Response, PageError> {
    render_status(StatusCode::OK, page)
}

pub(crate) fn render_status<T: Template>(
    status: StatusCode,
    page: &T,
) -> Result<Response, PageError> {
    Ok((status, security_headers(), Html(page.render()?)).into_response())
}

/// 303 See Other to `to`, the answer to every successful console POST.
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The sign-in URL that returns to `next` (a local path) afterwards.
pub(crate) fn login_url(next: &str) -> String {
    format!("/console/login?next={}", encode_query(next))
}

/// What stays readable in a query-string value: RFC 3986's unreserved characters and `/`, so a
/// `next` path reads as a path.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// Percent-encodes a query-string value.
pub(crate) fn encode_query(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}
