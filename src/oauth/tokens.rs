//! Issuing opaque tokens: authorization codes, access and refresh tokens. Each is a prefixed
//! 256-bit random string, handed out once and stored only as its keyed hash.

use axum::Json;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::error::{Result, no_store};
use super::scope;
use crate::clock::{DAY_MS, MINUTE_MS, Millis};
use crate::connections::Scope;
use crate::secrets::{self, TokenHash};
use crate::settings::ServerSettings;
use crate::state::AppState;
use crate::store::{self, NewToken, TokenRow};

pub const ACCESS_PREFIX: &str = "omg_at_";
pub const REFRESH_PREFIX: &str = "omg_rt_";
pub const CODE_PREFIX: &str = "omg_ac_";
/// Authorization codes are single-use and live one minute.
pub const CODE_TTL: Millis = MINUTE_MS;

/// What a new pair of tokens is bound to.
pub struct Grant<'a> {
    pub connection_id: i64,
    pub client_id: &'a str,
    /// Every token descended from one authorization code shares it; reuse of a rotated refresh
    /// token revokes them all.
    pub family_id: &'a str,
    pub scope: Scope,
    /// The resource (RFC 8707) the tokens are for: our MCP URL.
    pub audience: &'a str,
}

/// A token response, exposed on the wire once and then gone.
pub struct IssuedTokens {
    access: SecretString,
    refresh: SecretString,
    expires_in: i64,
    scope: &'static str,
}

impl IssuedTokens {
    /// RFC 6749 §5.1, with `Cache-Control: no-store`. The only place token values are written.
    pub fn into_response(self) -> Response {
        no_store(
            Json(json!({
                "access_token": self.access.expose_secret(),
                "token_type": "Bearer",
                "expires_in": self.expires_in,
                "refresh_token": self.refresh.expose_secret(),
                "scope": self.scope,
            }))
            .into_response(),
        )
    }
}

/// Lifetimes come from Server Settings at the time of issue.
pub async fn issue(
    state: &AppState,
    grant: &Grant<'_>,
    settings: &ServerSettings,
    now: Millis,
) -> Result<IssuedTokens> {
    let access = secrets::new_token(ACCESS_PREFIX)?;
    let refresh = secrets::new_token(REFRESH_PREFIX)?;
    let access_ttl = Millis::from(settings.access_token_minutes) * MINUTE_MS;
    let refresh_ttl = Millis::from(settings.refresh_token_days) * DAY_MS;
    let scope = scope::granted(grant.scope);
    for (kind, token, ttl) in [
        ("access", &access, access_ttl),
        ("refresh", &refresh, refresh_ttl),
    ] {
        let hash = state.keyring.token_hash(token.expose_secret());
        let row = NewToken {
            token_hash: &hash.0,
            kind,
            connection_id: grant.connection_id,
            client_id: grant.client_id,
            family_id: grant.family_id,
            scope,
            audience: grant.audience,
            expires_at: now + ttl,
        };
        state.store.insert_token(&row, now).await?;
    }
    Ok(IssuedTokens {
        access,
        refresh,
        expires_in: access_ttl / 1000,
        scope,
    })
}

/// The stored access or refresh token `token` is, with the hash it is filed under: its hash
/// under the current key or, for a token issued before a secret-key rotation, a previous one.
pub async fn find(state: &AppState, token: &str) -> store::Result<Option<(TokenHash, TokenRow)>> {
    for hash in state.keyring.token_hashes(token) {
        if let Some(row) = state.store.find_token(&hash.0).await? {
            // Found by equality; checked again in constant time, as for API keys.
            if hash.ct_eq(&row.token_hash) {
                return Ok(Some((hash, row)));
            }
        }
    }
    Ok(None)
}

/// A new authorization code and its hash.
pub fn new_code(state: &AppState) -> Result<(SecretString, [u8; 32])> {
    let code = secrets::new_token(CODE_PREFIX)?;
    let hash = state.keyring.token_hash(code.expose_secret()).0;
    Ok((code, hash))
}

pub fn new_family_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
