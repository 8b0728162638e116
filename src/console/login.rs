//! Sign-in with an Odoo login and password or API key (verified by Odoo and linked like
//! `user link`), throttled by [`throttle`], and sign-out.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde::Deserialize;

use super::{known_device, throttle};
use crate::policy::client_ip;
use crate::state::AppState;
use crate::users;
use crate::web::session::{self, Post, Role};
use crate::web::{PageError, render_status, see_other};

/// Settings-table key of a role granted before the person ever signed in (`user grant` on a
/// login not linked yet, or `serve --bootstrap-admin`); applied at their first sign-in.
pub fn pending_role_key(login: &str) -> String {
    format!("pending_role:{login}")
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    login: &'a str,
    next: &'a str,
    error: Option<String>,
    /// The application being connected when `next` is an OAuth authorization request.
    connecting: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    next: String,
}

pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let next = session::safe_next(Some(&q.next));
    // Already signed in with a role: straight on.
    if let Some(token) = session::cookie(&headers, session::COOKIE) {
        let hash = state.keyring.token_hash(token).0;
        if let Some(row) = state.store.find_session(&hash, state.clock.now()).await?
            && row.user.role.is_some()
        {
            return Ok(see_other(&next));
        }
    }
    let connecting = crate::oauth::connecting_client(&state, &next).await;
    render_status(
        StatusCode::OK,
        &LoginPage {
            login: "",
            next: &next,
            error: None,
            connecting,
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let next = session::safe_next(Some(&f.next));
    let login = f.login.trim();
    let connecting = crate::oauth::connecting_client(&state, &next).await;
    let again = |status: StatusCode, error: String| {
        render_status(
            status,
            &LoginPage {
                login,
                next: &next,
                error: Some(error),
                connecting: connecting.clone(),
            },
        )
    };
    if login.is_empty() || f.secret.is_empty() {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter your Odoo login and your password or API key.".to_owned(),
        );
    }
    let now = state.clock.now();
    let address = client_ip::of_request(peer.ip(), &headers, &state.trusted_proxies);
    let known = known_device::vouches_for(&state.keyring, &headers, login, now);
    let store = &state.store;
    // Counted before Odoo is asked; attempts that turn out not to be failures are forgiven.
    let attempt = match throttle::count(store, login, address, known, now).await? {
        throttle::Verdict::Go(attempt) => attempt,
        throttle::Verdict::Locked { minutes } => {
            return again(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many failed sign-ins. For your security, sign-in is paused: try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                ),
            );
        }
    };
    let secret = SecretString::from(f.secret);
    let verified = match users::verify(&state.odoo, login, &secret).await {
        Ok(verified) => verified,
        Err(users::Error::Rejected(_) | users::Error::EmptyLogin | users::Error::EmptySecret) => {
            return again(
                StatusCode::UNAUTHORIZED,
                "Odoo did not accept this login with this password or API key.".to_owned(),
            );
        }
        Err(users::Error::Odoo(e)) => {
            attempt.forgive(store).await?;
            tracing::warn!(error = %e, "console sign-in could not reach Odoo");
            return again(
                StatusCode::SERVICE_UNAVAILABLE,
                "Odoo could not be reached to check your sign-in. Try again in a moment."
                    .to_owned(),
            );
        }
        Err(e) => return Err(PageError::internal(e)),
    };
    attempt.forgive(store).await?;
    // The role decides before anything is stored: a person without one leaves no credential.
    let known = store.find_odoo_user(&verified.login).await?;
    let role = match known.as_ref().and_then(|u| u.role) {
        Some(role) => role,
        None => match pending_role(&state, &verified.login).await? {
            Some(role) => role,
            None => {
                return Err(PageError::NoRole {
                    name: verified.identity.name,
                });
            }
        },
    };
    let user = users::remember_sign_in(store, &state.keyring, &verified, &secret, now)
        .await
        .map_err(PageError::internal)?;
    if user.role.is_none() {
        store.set_role(&user.login, Some(role), now).await?;
        store
            .put_setting(&pending_role_key(&user.login), "")
            .await?;
        tracing::info!(login = %user.login, role = role.as_db(), "role granted before the first sign-in applied");
    }
    tracing::info!(login = %user.login, role = role.as_db(), "console sign-in");
    let cookie = session::start(&state, user.id).await?;
    let device = known_device::issue(&state, &user.login, now);
    let mut response = see_other(&next);
    for cookie in [cookie, device] {
        response.headers_mut().append(
            header::SET_COOKIE,
            cookie.parse().map_err(PageError::internal)?,
        );
    }
    Ok(response)
}

/// The role granted to `login` before it was linked, if any.
async fn pending_role(state: &AppState, login: &str) -> Result<Option<Role>, PageError> {
    let key = pending_role_key(login);
    Ok(state
        .store
        .load_settings()
        .await?
        .into_iter()
        .find(|(name, _)| *name == key)
        .and_then(|(_, value)| Role::parse(&value)))
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Post { user, .. }: Post<Empty>,
) -> Result<Response, PageError> {
    let cookie = session::end(&state, &headers).await?;
    tracing::info!(login = %user.user.login, "console sign-out");
    let mut response = see_other("/console/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie.parse().map_err(PageError::internal)?,
    );
    Ok(response)
}
