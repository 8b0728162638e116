//! PageError → HTML response: the one place the console and the OAuth pages map failures to
//! pages. Internal causes are logged here once and never shown.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::fault::{self, Cause};
use crate::{connections, secrets, store};

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No valid session: go to the sign-in page, then come back to `next`.
    #[error("sign-in required")]
    SignInRequired { next: String },
    /// Signed in with Odoo, but the gateway gives this person no role.
    #[error("no MCP role")]
    NoRole { name: String },
    /// The role does not allow this page or action.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The form's CSRF token is missing or not this session's.
    #[error("the form has expired")]
    Csrf,
    #[error("not found")]
    NotFound,
    /// A form body that is not a form.
    #[error("bad request")]
    BadRequest,
    #[error("internal error")]
    Internal(#[source] Cause),
}

impl PageError {
    pub fn internal(cause: impl Into<Cause>) -> Self {
        Self::Internal(cause.into())
    }
}

impl From<store::Error> for PageError {
    fn from(e: store::Error) -> Self {
        Self::internal(e)
    }
}

impl From<secrets::Error> for PageError {
    fn from(e: secrets::Error) -> Self {
        Self::internal(e)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        Self::internal(e)
    }
}

impl From<connections::Error> for PageError {
    fn from(e: connections::Error) -> Self {
        match e {
            connections::Error::NotFound(_) => Self::NotFound,
            connections::Error::RevokedByAdministrator(_) => Self::Forbidden(
                "An MCP Administrator revoked this connection: only an administrator can reactivate it.",
            ),
            other => Self::internal(other),
        }
    }
}

/// A plain page with a title, a message and one link onward.
#[derive(Template)]
#[template(path = "message.html")]
pub(super) struct MessagePage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub link: &'a str,
    pub link_label: &'a str,
}

impl MessagePage<'_> {
    pub(super) fn respond(&self, status: StatusCode) -> Response {
        match self.render() {
            Ok(html) => (status, super::security_headers(), Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "console message page failed to render");
                (status, self.message.to_owned()).into_response()
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = |title, message, status: StatusCode| {
            MessagePage {
                title,
                message,
                link: "/console",
                link_label: "Back to the console",
            }
            .respond(status)
        };
        match self {
            Self::SignInRequired { next } => {
                let mut response = Redirect::to(&super::login_url(&next)).into_response();
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, "no-store".parse().expect("static"));
                response
            }
            Self::NoRole { name } => {
                let message = format!(
                    "{name}, your Odoo sign-in worked, but you have no role in the MCP gateway yet. \
                     Ask an MCP Administrator to give you the MCP User or MCP Administrator role \
                     on the Users page, then sign in again."
                );
                MessagePage {
                    title: "Ask an administrator for access",
                    message: &message,
                    link: "/console/login",
                    link_label: "Back to sign-in",
                }
                .respond(StatusCode::FORBIDDEN)
            }
            Self::Forbidden(why) => page("Not allowed", why, StatusCode::FORBIDDEN),
            Self::Csrf => page(
                "This form has expired",
                "The page was open too long or came from somewhere else. Reload the page and try again.",
                StatusCode::FORBIDDEN,
            ),
            Self::NotFound => page(
                "Not found",
                "There is nothing here, or it is not yours to see.",
                StatusCode::NOT_FOUND,
            ),
            Self::BadRequest => page(
                "Bad request",
                "The form could not be read. Reload the page and try again.",
                StatusCode::BAD_REQUEST,
            ),
            Self::Internal(cause) => {
                tracing::error!(cause = %fault::chain(&*cause), "console request failed");
                page(
                    "Something went wrong",
                    "The gateway could not complete this request. The details are in its log.",
                    StatusCode::INTERNAL_SERVER_ERROR,
                )
            }
        }
    }
}
