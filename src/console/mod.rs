//! The Connections console: the administrators' web UI. Server-rendered askama pages, one small
//! stylesheet and script served from the binary, forms that POST and answer 303 with a flash.
//!
//! Every page and action checks the role on the server ([`session::CurrentUser`],
//! [`session::Post`]); the HTML only hides what the server refuses anyway.

mod admin;
mod approvals;
mod audit;
pub mod charts;
mod check;
mod connection;
pub mod dashboard;
pub mod form;
pub mod known_device;
mod list;
pub mod login;
mod notifications;
mod notify_form;
pub mod snippets;
pub mod throttle;
mod wizard;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use tower_http::csrf::CsrfLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;
use crate::web::session::CurrentUser;

/// The console's URL table.
pub fn routes(state: AppState) -> Router {
    let csrf = CsrfLayer::new()
        .add_trusted_origin(&state.urls.public)
        .unwrap_or_else(|_| CsrfLayer::new());
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/console", get(dashboard::page))
        .route("/console/login", get(login::form).post(login::submit))
        .route("/console/logout", post(login::logout))
        .route("/console/connections", get(list::page))
        .route(
            "/console/connections/{id}",
            get(connection::show).post(connection::save),
        )
        .route(
            "/console/connections/{id}/rotate",
            get(connection::rotate_confirm).post(connection::rotate),
        )
        .route(
            "/console/connections/{id}/rotate-secret",
            post(connection::rotate_secret),
        )
        .route("/console/connections/{id}/revoke", post(connection::revoke))
        .route(
            "/console/connections/{id}/reactivate",
            post(connection::reactivate),
        )
        .route("/console/connections/{id}/issued", get(connection::issued))
        .route(
            "/console/connections/{id}/check",
            get(check::form).post(check::run),
        )
        .route("/console/new", get(wizard::choose))
        .route("/console/new/browser", get(wizard::browser))
        .route(
            "/console/new/api-key",
            get(wizard::api_key_form).post(wizard::api_key_create),
        )
        .route(
            "/console/new/oauth",
            get(wizard::oauth_form).post(wizard::oauth_create),
        )
        .route("/console/approvals", get(approvals::inbox))
        .route("/console/approvals/{id}", get(approvals::show))
        .route("/console/approvals/{id}/approve", post(approvals::approve))
        .route("/console/approvals/{id}/reject", post(approvals::reject))
        .route("/console/audit", get(audit::list))
        .route("/console/audit/{id}", get(audit::show))
        .route("/console/users", get(admin::users))
        .route("/console/users/{id}/role", post(admin::set_role))
        .route(
            "/console/settings",
            get(admin::settings).post(admin::save_settings),
        )
        .route("/console/settings/notifications", post(notifications::save))
        .route("/console/static/app.css", get(stylesheet))
        .route("/console/static/app.js", get(script))
        .with_state(state)
        .layer(csrf)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

/// The page frame's data: who is signed in, the active tab, the flash message.
pub struct Layout {
    pub title: String,
    pub user_name: String,
    pub role_label: &'static str,
    pub is_admin: bool,
    pub csrf: String,
    pub flash: Option<String>,
    pub tab: Tab,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Dashboard,
    Connections,
    Approvals,
    New,
    Users,
    Settings,
    Audit,
}

impl Layout {
    pub fn new(user: &CurrentUser, tab: Tab, title: &str) -> Self {
        Self {
            title: title.to_owned(),
            user_name: user.user.name.clone(),
            role_label: user.role.label(),
            is_admin: user.is_admin(),
            csrf: user.csrf.clone(),
            flash: user.flash.clone(),
            tab,
        }
    }

    /// `aria-current` for the navigation link of `tab` (`dashboard`, `connections`, `approvals`, `new`, `users`, `settings`, `audit`).
    pub fn current(&self, tab: &str) -> &'static str {
        let name = match self.tab {
            Tab::Dashboard => "dashboard",
            Tab::Connections => "connections",
            Tab::Approvals => "approvals",
            Tab::New => "new",
            Tab::Users => "users",
            Tab::Settings => "settings",
            Tab::Audit => "audit",
        };
        if name == tab { "page" } else { "false" }
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.js"),
    )
}
