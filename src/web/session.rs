//! Console sessions and who is signed in: a random 256-bit session id in an HttpOnly, SameSite=Lax
//! cookie (Secure behind https), stored only as a keyed hash with an expiry, so replicas share
//! sessions; a per-session CSRF token checked on every POST.
//!
//! Reusable by other surfaces (the OAuth authorize step): [`CurrentUser`] is an axum extractor
//! giving the signed-in Odoo user and role, or redirecting to
//! `/console/login?next=<this path>`; [`super::login_url`] builds that redirect for a given local path.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::error::PageError;
use crate::clock::{HOUR_MS, Millis};
use crate::connections::Connection;
use crate::secrets;
use crate::state::AppState;
use crate::store::OdooUserRow;
pub(crate) use crate::users::Role;

/// The session cookie's name. Path `/` so the OAuth authorize page sees it too.
pub(crate) const COOKIE: &str = "omg_console";
/// A session lasts this long after sign-in.
pub(crate) const SESSION_TTL: Millis = 12 * HOUR_MS;
/// Where to go after sign-in when no (valid) `next` was given.
pub(crate) const HOME: &str = "/console";

/// The signed-in person: their linked Odoo user, role and session.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: OdooUserRow,
    pub role: Role,
    /// This session's CSRF token; every form carries it in a hidden `csrf` field.
    pub csrf: String,
    /// The message left by the previous POST, shown once.
    pub flash: Option<String>,
    pub(super) session_hash: [u8; 32],
    pub(super) reveal: Option<Vec<u8>>,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// How this person acts on a connection they can see.
    pub fn actor(&self) -> crate::connections::Actor {
        if self.is_admin() {
            crate::connections::Actor::Administrator
        } else {
            crate::connections::Actor::Owner
        }
    }

    pub fn require_admin(&self) -> Result<(), PageError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(PageError::Forbidden(
                "Only MCP Administrators can do this. Ask an administrator if you need it done.",
            ))
        }
    }

    /// Administrators see every connection; MCP Users only those acting as themselves.
    pub fn can_see(&self, connection: &Connection) -> bool {
        self.is_admin() || connection.odoo_user_id == Some(self.user.id)
    }

    pub fn check_csrf(&self, presented: &str) -> Result<(), PageError> {
        let ok: bool = self
            .csrf
            .as_bytes()
            .ct_eq(presented.trim().as_bytes())
            .into();
        if ok && !presented.is_empty() {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    /// Leaves a message for the next page this session loads.
    pub async fn flash(&self, state: &AppState, message: &str) -> Result<(), PageError> {
        Ok(state
            .store
            .set_session_flash(&self.session_hash, Some(message))
            .await?)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let next = parts
            .uri
            .path_and_query()
            .map_or_else(|| HOME.to_owned(), |pq| pq.as_str().to_owned());
        let sign_in = || PageError::SignInRequired {
            next: if parts.method == Method::GET {
                next.clone()
            } else {
                HOME.to_owned()
            },
        };
        let Some(token) = cookie(&parts.headers, COOKIE) else {
            return Err(sign_in());
        };
        let hash = state.keyring.token_hash(token).0;
        let Some(row) = state.store.find_session(&hash, state.clock.now()).await? else {
            return Err(sign_in());
        };
        // A role removed while signed in takes effect on the next request.
        let Some(role) = row.user.role else {
            state.store.delete_session(&hash).await?;
            return Err(PageError::NoRole {
                name: row.user.name,
            });
        };
        if row.flash.is_some() && parts.method == Method::GET {
            state.store.set_session_flash(&hash, None).await?;
        }
        Ok(Self {
            user: row.user,
            role,
            csrf: row.csrf_token,
            flash: row.flash,
            session_hash: hash,
            reveal: row.reveal_sealed,
        })
    }
}

/// A POSTed console form: the signed-in user, with the form's CSRF token already checked.
pub struct Post<T> {
    pub user: CurrentUser,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Post<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let user = CurrentUser::from_request_parts(&mut parts, state).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| PageError::BadRequest)?;
        let csrf: CsrfField =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| PageError::BadRequest)?;
        user.check_csrf(&csrf.csrf)?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|_| PageError::BadRequest)?;
        Ok(Self { user, form })
    }
}

/// The `name` cookie's value from a request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Starts a session for a linked user; returns the `Set-Cookie` value.
pub(crate) async fn start(state: &AppState, odoo_user_id: i64) -> Result<String, PageError> {
    let now = state.clock.now();
    state.store.delete_expired_sessions(now).await?;
    let token = URL_SAFE_NO_PAD.encode(secrets::random_bytes::<32>()?);
    let csrf = URL_SAFE_NO_PAD.encode(secrets::random_bytes::<32>()?);
    let hash = state.keyring.token_hash(&token).0;
    state
        .store
        .insert_session(&hash, odoo_user_id, &csrf, now, now + SESSION_TTL)
        .await?;
    Ok(set_cookie(state, COOKIE, &token, "/", SESSION_TTL / 1000))
}

/// Ends the request's session (if any); returns the `Set-Cookie` value that clears the cookie.
pub(crate) async fn end(state: &AppState, headers: &HeaderMap) -> Result<String, PageError> {
    if let Some(token) = cookie(headers, COOKIE) {
        let hash = state.keyring.token_hash(token).0;
        state.store.delete_session(&hash).await?;
    }
    Ok(set_cookie(state, COOKIE, "", "/", 0))
}

/// A `Set-Cookie` value for one of the console's cookies: never readable by scripts, not sent
/// on cross-site subrequests, and `Secure` behind https.
pub(crate) fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    max_age_secs: i64,
) -> String {
    let secure = if state.urls.public.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// Keeps a just-issued secret for the next page of this session, sealed with the keyring.
pub(crate) async fn stash_reveal(
    state: &AppState,
    user: &CurrentUser,
    connection_id: i64,
    secrets: &[&str],
) -> Result<(), PageError> {
    let plain = std::iter::once(connection_id.to_string())
        .chain(secrets.iter().map(|s| (*s).to_owned()))
        .collect::<Vec<_>>()
        .join("\n");
    let sealed = state
        .keyring
        .seal(&SecretString::from(plain), REVEAL_CONTEXT)?;
    Ok(state
        .store
        .set_session_reveal(&user.session_hash, Some(&sealed))
        .await?)
}

/// Takes the stashed secrets for `connection_id` (at most once); `None` if already shown.
pub(crate) async fn take_reveal(
    state: &AppState,
    user: &CurrentUser,
    connection_id: i64,
) -> Result<Option<Vec<String>>, PageError> {
    let Some(sealed) = &user.reveal else {
        return Ok(None);
    };
    state
        .store
        .set_session_reveal(&user.session_hash, None)
        .await?;
    let plain = state.keyring.open(sealed, REVEAL_CONTEXT)?;
    let mut lines = plain.expose_secret().lines().map(str::to_owned);
    if lines.next() != Some(connection_id.to_string()) {
        return Ok(None);
    }
    Ok(Some(lines.collect()))
}

const REVEAL_CONTEXT: &str = "console-reveal-v1";

/// The longest `next` kept: an OAuth authorization request with a metadata-document client id,
/// a claude.ai redirect URI, a resource and a long `state` fits with room to spare.
const MAX_NEXT: usize = 8 * 1024;

/// `next` if it is a local path of this site, else [`HOME`]; never an absolute or
/// scheme-relative URL, so sign-in cannot be turned into an open redirect. The OAuth
/// authorization step sends its own URL, query string included.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/console/login")
                && n.len() <= MAX_NEXT
                && n.chars().all(|c| c.is_ascii_graphic()) =>
        {
            n.to_owned()
        }
        _ => HOME.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::{encode_query, login_url};

    #[test]
    fn next_must_be_a_local_path() {
        assert_eq!(
            safe_next(Some("/oauth/authorize?x=1")),
            "/oauth/authorize?x=1"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
            "/console/login?next=/x",
        ] {
            assert_eq!(safe_next(Some(bad)), HOME, "{bad}");
        }
        assert_eq!(safe_next(None), HOME);
    }

    #[test]
    fn an_oauth_authorization_request_is_a_next_kept_whole() {
        // What claude.ai sends with a metadata-document client id and a long state.
        let authorize = format!(
            "/oauth/authorize?response_type=code&client_id=https%3A%2F%2Fclaude.ai%2Foauth%2Fmcp-oauth-client-metadata\
             &redirect_uri=https%3A%2F%2Fclaude.ai%2Fapi%2Fmcp%2Fauth_callback\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256\
             &state={}&scope=mcp%3Aread+mcp%3Awrite&resource=https%3A%2F%2Fmcp.example.com%2Fmcp",
            "s".repeat(2048)
        );
        assert_eq!(safe_next(Some(&authorize)), authorize);
        // Round trip through the sign-in URL: encoded, decoded by the login form, kept.
        let url = login_url(&authorize);
        let query = url.strip_prefix("/console/login?").unwrap();
        let (_, decoded) = url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "next")
            .unwrap();
        assert_eq!(safe_next(Some(&decoded)), authorize);
        assert_eq!(safe_next(Some(&"/x".repeat(MAX_NEXT))), HOME);
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; omg_console=tok; b=2".parse().unwrap());
        assert_eq!(cookie(&h, COOKIE), Some("tok"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query("/a?b=c&d"), "/a%3Fb%3Dc%26d");
    }
}
