//! The HTML of the browser part of the flow (askama templates in `templates/oauth/`, escaped by
//! default): consent and error pages (sign-in is the console's), served with headers that keep them out of frames
//! and caches.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

#[derive(Template)]
#[template(path = "oauth/error.html")]
struct ErrorTemplate<'a> {
    title: &'a str,
    message: &'a str,
}

#[derive(Template)]
#[template(path = "oauth/consent.html")]
pub(super) struct ConsentTemplate<'a> {
    pub action: &'a str,
    pub client_name: &'a str,
    pub dynamic: bool,
    /// The host of a client ID metadata document URL: who vouches for the client.
    pub client_host: Option<&'a str>,
    pub redirect_host: &'a str,
    pub loopback_only: bool,
    pub scope_label: &'a str,
    pub scope_help: &'a str,
    pub user_name: &'a str,
    pub user_login: &'a str,
    /// The authorization request, carried to the POST and checked again there.
    pub fields: Vec<(&'static str, String)>,
    /// The console session's CSRF token.
    pub csrf: &'a str,
}

/// Renders a page with the headers every page of the flow gets.
pub(super) fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => with_page_headers((status, Html(html)).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "rendering an OAuth page failed");
            with_page_headers(
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The page could not be shown.",
                )
                    .into_response(),
            )
        }
    }
}

pub(super) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    render(status, &ErrorTemplate { title, message })
}

/// No framing (clickjacking on the Allow button), no caching, no referrer carrying the code.
fn with_page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_page_escapes_what_the_client_chose() {
        let page = ConsentTemplate {
            action: "/oauth/authorize",
            client_name: "<script>alert(1)</script>",
            dynamic: true,
            client_host: None,
            redirect_host: "claude.ai",
            loopback_only: false,
            scope_label: "Read Only",
            scope_help: "read",
            user_name: "Marc Demo",
            user_login: "demo",
            fields: vec![("state", "\"><b>".to_owned())],
            csrf: "t",
        }
        .render()
        .unwrap();
        assert!(!page.contains("<script>alert"));
        assert!(!page.contains("\"><b>"));
        assert!(page.contains("Marc Demo (demo)"));
    }
}
