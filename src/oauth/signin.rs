//! TEMPORARY sign-in for the authorization endpoint, to be replaced by the console's sign-in
//! (issue 3: `/console/login?next=<local path>` and its session extractor) when that lands.
//!
//! The seam is two functions, the only ones `authorize.rs` calls: [`current_user`] (who is
//! signed in on this browser) and [`login_redirect`] (send them to sign in, then back to
//! `next`). Swapping in the console means re-implementing those two over its session and
//! deleting the rest of this file, the `/oauth/login` route and `templates/oauth/login.html`.
//!
//! Meanwhile: a login form that checks the Odoo login and password (or API key) through
//! [`users::link`] — which verifies against Odoo and stores the credential sealed — and
//! requires an MCP role (`odoo_users.role`); then a cookie holding `user id . expiry . MAC`
//! under the server key (HttpOnly, SameSite=Lax, Secure on https, path `/oauth`, one hour).
//! No sign-in throttling here: the console's sign-in has it.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::SecretString;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::Params;
use super::error::ErrorPage;
use super::pages::{self, LoginTemplate};
use crate::app::AppState;
use crate::clock::{HOUR_MS, Millis};
use crate::secrets::Keyring;
use crate::store::{self, OdooUserRow};
use crate::users;

pub const LOGIN_PATH: &str = "/oauth/login";
const COOKIE: &str = "omg_oauth_signin";
const SESSION_FOR: Millis = HOUR_MS;
/// The only place sign-in returns to.
const NEXT_PREFIX: &str = "/oauth/authorize";

/// The person signed in on this browser.
pub struct SignedIn {
    pub user: OdooUserRow,
    session: String,
}

impl SignedIn {
    /// A CSRF token bound to this sign-in, for the consent form.
    pub fn csrf_token(&self, keyring: &Keyring) -> String {
        mac(keyring, &format!("oauth-csrf:{}", self.session))
    }

    pub fn csrf_ok(&self, keyring: &Keyring, presented: &str) -> bool {
        let expected = self.csrf_token(keyring);
        bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
    }
}

/// THE SEAM (1/2): who is signed in, from the request's cookie; `None` when nobody is or the
/// sign-in expired. The user row is read fresh, so a role removed since counts.
pub async fn current_user(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SignedIn>, store::Error> {
    let Some(session) = cookie(headers) else {
        return Ok(None);
    };
    let mut parts = session.splitn(3, '.');
    let (Some(id), Some(expires), Some(presented)) = (parts.next(), parts.next(), parts.next())
    else {
        return Ok(None);
    };
    let expected = mac(&state.keyring, &format!("oauth-signin:{id}.{expires}"));
    if !bool::from(expected.as_bytes().ct_eq(presented.as_bytes())) {
        return Ok(None);
    }
    let (Ok(id), Ok(expires)) = (id.parse::<i64>(), expires.parse::<Millis>()) else {
        return Ok(None);
    };
    if state.clock.now() >= expires {
        return Ok(None);
    }
    Ok(state
        .store
        .get_odoo_user(id)
        .await?
        .map(|user| SignedIn { user, session }))
}

/// THE SEAM (2/2): send the browser to sign in, then back to `next` (a local path).
pub fn login_redirect(next: &str) -> Response {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    Redirect::to(&format!("{LOGIN_PATH}?{query}")).into_response()
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn form(Query(query): Query<NextQuery>) -> Response {
    let next = safe_next(query.next.as_deref());
    login_page(StatusCode::OK, &next, "", None)
}

pub async fn submit(State(state): State<AppState>, body: Bytes) -> Response {
    let Ok(params) = Params::parse(&body) else {
        return ErrorPage::bad_request("The sign-in form was sent twice over.").into_response();
    };
    let next = safe_next(params.get("next"));
    let login = params.get("login").unwrap_or("").trim();
    let password = SecretString::from(params.get("password").unwrap_or("").to_owned());
    let now = state.clock.now();
    let linked = users::link(
        &state.store,
        &state.keyring,
        &state.odoo,
        login,
        &password,
        now,
    )
    .await;
    let user = match linked {
        Ok(user) => user,
        Err(users::Error::Rejected(_) | users::Error::EmptyLogin | users::Error::EmptySecret) => {
            let message = "Odoo did not accept this login and password (or API key).";
            return login_page(StatusCode::UNAUTHORIZED, &next, login, Some(message));
        }
        Err(e) => return ErrorPage::internal(e).into_response(),
    };
    if user.role.is_none() {
        return no_role_page();
    }
    let expires = now + SESSION_FOR;
    let value = format!(
        "{}.{expires}.{}",
        user.id,
        mac(
            &state.keyring,
            &format!("oauth-signin:{}.{expires}", user.id)
        )
    );
    let secure = if state.urls.public.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={value}; Path=/oauth; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        SESSION_FOR / 1000
    );
    let mut response = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// The page for a person Odoo knows but who has no MCP role in the gateway.
pub fn no_role_page() -> Response {
    ErrorPage::new(
        StatusCode::FORBIDDEN,
        "No access to the MCP gateway",
        "Your Odoo user has no MCP role (MCP Administrator or MCP User). Ask an administrator \
         to give you one, then connect again.",
    )
    .into_response()
}

fn login_page(status: StatusCode, next: &str, login: &str, error: Option<&str>) -> Response {
    pages::render(
        status,
        &LoginTemplate {
            action: LOGIN_PATH,
            next,
            login,
            error,
        },
    )
}

/// Sign-in returns only to the authorization endpoint (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n == NEXT_PREFIX || n.starts_with(&format!("{NEXT_PREFIX}?")) => n.to_owned(),
        _ => NEXT_PREFIX.to_owned(),
    }
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

fn mac(keyring: &Keyring, message: &str) -> String {
    URL_SAFE_NO_PAD.encode(keyring.token_hash(message).0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_returns_only_to_the_authorization_endpoint() {
        assert_eq!(
            safe_next(Some("/oauth/authorize?client_id=x")),
            "/oauth/authorize?client_id=x"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/oauth/authorizeX",
            "/console",
        ] {
            assert_eq!(safe_next(Some(bad)), NEXT_PREFIX, "{bad}");
        }
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; omg_oauth_signin=5.9.x; b=2"),
        );
        assert_eq!(cookie(&h).as_deref(), Some("5.9.x"));
    }
}
