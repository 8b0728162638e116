//! The one place OAuth failures become wire responses: RFC 6749 §5.2 JSON errors (also used by
//! RFC 7591 registration, RFC 8707 `invalid_target` and RFC 7009 revocation), the error redirect
//! of RFC 6749 §4.1.2.1 (only ever to a verified redirect URI), and the HTML error page shown
//! when there is no verified redirect URI to go back to.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::pages;
use crate::audit::outcome;
use crate::fault::{self, Cause};
use crate::web::audited::Ended;
use crate::{connections, secrets, store};

/// An OAuth error with its RFC code; the text is the `error_description`, written for a person
/// and never echoing secrets.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidClient(String),
    #[error("{0}")]
    InvalidGrant(String),
    #[error("{0}")]
    UnauthorizedClient(String),
    #[error("{0}")]
    UnsupportedGrantType(String),
    #[error("{0}")]
    UnsupportedResponseType(String),
    #[error("{0}")]
    InvalidScope(String),
    #[error("{0}")]
    InvalidTarget(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    InvalidRedirectUri(String),
    #[error("{0}")]
    InvalidClientMetadata(String),
    /// Too many requests from one client address (dynamic registration): 429 with
    /// `Retry-After`. OAuth has no code for it; `temporarily_unavailable` (RFC 6749 §4.1.2.1)
    /// is the one that says "try again later".
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: i64,
    },
    #[error("internal error")]
    Internal(#[source] Cause),
}

pub(super) type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient(_) => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnauthorizedClient(_) => "unauthorized_client",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::UnsupportedResponseType(_) => "unsupported_response_type",
            Self::InvalidScope(_) => "invalid_scope",
            Self::InvalidTarget(_) => "invalid_target",
            Self::AccessDenied(_) => "access_denied",
            Self::InvalidRedirectUri(_) => "invalid_redirect_uri",
            Self::InvalidClientMetadata(_) => "invalid_client_metadata",
            Self::TooManyRequests { .. } => "temporarily_unavailable",
            Self::Internal(_) => "server_error",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            // RFC 6749 §5.2: a failed client authentication is 401. Claude re-registers on it.
            Self::InvalidClient(_) => StatusCode::UNAUTHORIZED,
            Self::AccessDenied(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn description(&self) -> String {
        match self {
            Self::Internal(_) => {
                "The server could not complete the request; the error was logged.".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// How this error ends the request, for its audit entry: the RFC code and the description.
    fn ended(&self, description: &str) -> Ended {
        let outcome = match self {
            Self::AccessDenied(_) => outcome::DENIED,
            Self::TooManyRequests { .. } => outcome::RATE_LIMITED,
            _ => outcome::ERROR,
        };
        Ended::new(outcome, format!("{}: {description}", self.code()))
    }

    fn log_internal(&self) {
        if let Self::Internal(cause) = self {
            tracing::error!(cause = %fault::chain(&**cause), "OAuth request failed");
        }
    }

    /// The error as a redirect to a client's *verified* redirect URI (RFC 6749 §4.1.2.1,
    /// RFC 9207 `iss`). Never call this before the redirect URI was matched.
    pub fn into_redirect(self, redirect_uri: &str, state: Option<&str>, issuer: &str) -> Response {
        self.log_internal();
        let mut url = match url::Url::parse(redirect_uri) {
            Ok(url) => url,
            Err(_) => return ErrorPage::bad_redirect().into_response(),
        };
        let description = self.description();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("error", self.code());
            query.append_pair("error_description", &description);
            if let Some(state) = state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", issuer);
        }
        let mut response = no_store(Redirect::to(url.as_str()).into_response());
        response.extensions_mut().insert(self.ended(&description));
        response
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log_internal();
        let status = self.status();
        let description = self.description();
        let body = json!({"error": self.code(), "error_description": description});
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"oauth\""),
            );
        }
        if let Self::TooManyRequests {
            retry_after_secs, ..
        } = &self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        response.extensions_mut().insert(self.ended(&description));
        no_store(response)
    }
}

/// Token and error responses must not be cached (RFC 6749 §5.1).
pub(super) fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn internal(e: impl Into<Cause>) -> Error {
    Error::Internal(e.into())
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Self {
        internal(e)
    }
}

impl From<secrets::Error> for Error {
    fn from(e: secrets::Error) -> Self {
        internal(e)
    }
}

impl From<connections::Error> for Error {
    fn from(e: connections::Error) -> Self {
        internal(e)
    }
}

/// A person-facing error page for the browser part of the flow (authorize, sign-in, consent),
/// used whenever redirecting back to the client would not be safe.
#[derive(Debug)]
pub(super) struct ErrorPage {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
}

impl ErrorPage {
    pub(super) fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            title,
            message: message.into(),
        }
    }

    pub(super) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "This sign-in link is not valid",
            message,
        )
    }

    fn bad_redirect() -> Self {
        Self::bad_request("The application's redirect address is not a valid URL.")
    }

    pub(super) fn internal(cause: impl Into<Cause>) -> Self {
        let cause = cause.into();
        tracing::error!(cause = %fault::chain(&*cause), "OAuth page failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The gateway could not complete this step; the error was logged. Please try again.",
        )
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let mut response = pages::error_page(self.status, self.title, &self.message);
        // A page instead of a redirect: the request could not be trusted enough to go back.
        let ended = match self.status {
            StatusCode::FORBIDDEN => Ended::new(outcome::DENIED, self.message),
            StatusCode::BAD_REQUEST => {
                Ended::new(outcome::ERROR, format!("invalid_request: {}", self.message))
            }
            _ => Ended::new(outcome::ERROR, self.message),
        };
        response.extensions_mut().insert(ended);
        response
    }
}

impl From<store::Error> for ErrorPage {
    fn from(e: store::Error) -> Self {
        Self::internal(e)
    }
}

impl From<Error> for ErrorPage {
    fn from(e: Error) -> Self {
        match e {
            Error::Internal(cause) => Self::internal(cause),
            other => Self::bad_request(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn json_errors_carry_the_rfc_code_and_are_not_cached() {
        let r = Error::InvalidGrant("The code was already used.".into()).into_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        let body = axum::body::to_bytes(r.into_body(), 1024).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"], "invalid_grant");
        assert_eq!(v["error_description"], "The code was already used.");
    }

    #[test]
    fn invalid_client_is_401_and_internal_causes_stay_inside() {
        let r = Error::InvalidClient("unknown".into()).into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
        let e = Error::Internal("db password wrong at 10.0.0.5".into());
        assert!(!e.description().contains("10.0.0.5"));
    }

    #[test]
    fn error_redirects_keep_the_clients_query_and_add_state_and_iss() {
        let r = Error::AccessDenied("The user declined.".into()).into_redirect(
            "https://claude.ai/api/mcp/auth_callback?x=1",
            Some("s1"),
            "https://gw.example",
        );
        let location = r.headers()[header::LOCATION].to_str().unwrap();
        assert!(
            location
                .starts_with("https://claude.ai/api/mcp/auth_callback?x=1&error=access_denied&")
        );
        assert!(location.contains("&state=s1&iss=https%3A%2F%2Fgw.example"));
    }
}
