//! The token endpoint: the authorization-code grant (single-use codes, PKCE verified, resource
//! bound) and the refresh-token grant (rotation, reuse detection, grace window). Each grant is
//! a flat list of guard clauses; any failure issues nothing.
//!
//! Refresh rotation: every exchange marks the presented refresh token used and issues a new
//! pair in the same *family* (all tokens descended from one authorization code). Presenting a
//! used refresh token again is answered like this:
//! - within the grace window (Server Settings, 60 s by default) it gets a **fresh** pair in the
//!   same family: the client lost the response, or two of its workers refreshed at once. We
//!   keep only hashes, so "the same pair again" is impossible; the earlier pair stays valid.
//! - after the window it is treated as theft: the whole family is deleted (every access and
//!   refresh token of that authorization), and the client must authorize again.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::clients::{self, Authenticated};
use super::error::{Error, Result};
use super::pkce::CodeChallenge;
use super::tokens::{self, Grant, IssuedTokens};
use super::{Params, is_our_resource, scope};
use crate::clock::Millis;
use crate::connections;
use crate::state::AppState;
use crate::web::audited::Note;

/// A token request, parsed by `grant_type`.
enum GrantRequest<'a> {
    AuthorizationCode {
        code: &'a str,
        redirect_uri: &'a str,
        code_verifier: &'a str,
        resource: Option<&'a str>,
    },
    RefreshToken {
        refresh_token: &'a str,
        scope: Option<&'a str>,
        resource: Option<&'a str>,
    },
}

impl<'a> GrantRequest<'a> {
    fn parse(params: &'a Params) -> Result<Self> {
        match params.require("grant_type")? {
            "authorization_code" => Ok(Self::AuthorizationCode {
                code: params.require("code")?,
                redirect_uri: params.require("redirect_uri")?,
                code_verifier: params.get("code_verifier").ok_or_else(|| {
                    Error::InvalidRequest("PKCE is required: send the code_verifier.".into())
                })?,
                resource: params.get("resource"),
            }),
            "refresh_token" => Ok(Self::RefreshToken {
                refresh_token: params.require("refresh_token")?,
                scope: params.get("scope"),
                resource: params.get("resource"),
            }),
            _ => Err(Error::UnsupportedGrantType(
                "Only the authorization_code and refresh_token grant types are supported.".into(),
            )),
        }
    }
}

pub(super) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    note: Note,
    body: Bytes,
) -> Response {
    match exchange(&state, &headers, &body, &note).await {
        Ok(tokens) => tokens.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn exchange(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    note: &Note,
) -> Result<IssuedTokens> {
    let params = Params::parse(body).map_err(Error::InvalidRequest)?;
    let request = GrantRequest::parse(&params)?;
    let client = clients::authenticate(state, &params, headers).await?;
    let now = state.clock.now();
    match request {
        GrantRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
            resource,
        } => {
            let grant = CodeGrant {
                code,
                redirect_uri,
                code_verifier,
                resource,
            };
            authorization_code(state, &client, &grant, now, note).await
        }
        GrantRequest::RefreshToken {
            refresh_token,
            scope,
            resource,
        } => {
            let presented = Presented {
                refresh_token,
                scope,
                resource,
            };
            refresh(state, &client, &presented, now, note).await
        }
    }
}

struct CodeGrant<'a> {
    code: &'a str,
    redirect_uri: &'a str,
    code_verifier: &'a str,
    resource: Option<&'a str>,
}

async fn authorization_code(
    state: &AppState,
    client: &Authenticated,
    grant: &CodeGrant<'_>,
    now: Millis,
    note: &Note,
) -> Result<IssuedTokens> {
    let hash = state.keyring.token_hash(grant.code);
    // Marked used in the same statement that reads it: a code is exchanged at most once.
    let Some(code) = state.store.use_code(&hash.0, now).await? else {
        return Err(replayed_or_unknown_code(state, &hash.0, note).await?);
    };
    note.connection(Some(code.connection_id));
    if code.client_id != client.client_id {
        return Err(Error::InvalidGrant(
            "The code was issued to another client.".into(),
        ));
    }
    if now >= code.expires_at {
        return Err(Error::InvalidGrant(
            "The authorization code has expired.".into(),
        ));
    }
    if code.redirect_uri != grant.redirect_uri {
        return Err(Error::InvalidGrant(
            "The redirect_uri differs from the one of the authorization request.".into(),
        ));
    }
    if !CodeChallenge::from_stored(code.code_challenge).verify(grant.code_verifier) {
        return Err(Error::InvalidGrant(
            "The code_verifier does not match the code_challenge.".into(),
        ));
    }
    if grant
        .resource
        .is_some_and(|r| !is_our_resource(r, &code.resource))
    {
        return Err(Error::InvalidTarget(
            "The resource differs from the one that was authorized.".into(),
        ));
    }
    let connection = connections::get(&state.store, code.connection_id).await?;
    if let Some(login) = &connection.user_login {
        note.user(login);
    }
    if connection.revoked_at.is_some() {
        return Err(Error::InvalidGrant(connections::REVOKED.into()));
    }
    let settings = state.settings.get(&state.store).await?;
    let grant = Grant {
        connection_id: code.connection_id,
        client_id: &code.client_id,
        family_id: &code.family_id,
        scope: scope::parse_granted(&code.scope),
        audience: &code.resource,
    };
    tokens::issue(state, &grant, &settings, now).await
}

/// A code that cannot be used: if it was used before, the tokens issued from it are revoked
/// (RFC 6749 §4.1.2: a replayed code may mean it was stolen).
async fn replayed_or_unknown_code(state: &AppState, hash: &[u8], note: &Note) -> Result<Error> {
    if let Some(used) = state.store.find_code(hash).await? {
        note.connection(Some(used.connection_id));
        let revoked = state.store.delete_token_family(&used.family_id).await?;
        tracing::warn!(
            connection = used.connection_id,
            revoked,
            "authorization code replayed; its tokens were revoked"
        );
        return Ok(Error::InvalidGrant(
            "The authorization code was already used; the tokens issued for it are revoked.".into(),
        ));
    }
    Ok(Error::InvalidGrant(
        "The authorization code is not valid (unknown or expired).".into(),
    ))
}

/// What a refresh request presents.
struct Presented<'a> {
    refresh_token: &'a str,
    scope: Option<&'a str>,
    resource: Option<&'a str>,
}

async fn refresh(
    state: &AppState,
    client: &Authenticated,
    presented: &Presented<'_>,
    now: Millis,
    note: &Note,
) -> Result<IssuedTokens> {
    let (requested_scope, resource) = (presented.scope, presented.resource);
    let (hash, row) = tokens::find(state, presented.refresh_token)
        .await?
        .filter(|(_, row)| row.kind == "refresh")
        .ok_or_else(|| Error::InvalidGrant("The refresh token is not valid.".into()))?;
    note.connection(Some(row.connection_id));
    if row.client_id != client.client_id {
        return Err(Error::InvalidGrant(
            "The refresh token was issued to another client.".into(),
        ));
    }
    if now >= row.expires_at {
        return Err(Error::InvalidGrant("The refresh token has expired.".into()));
    }
    if resource.is_some_and(|r| !is_our_resource(r, &row.audience)) {
        return Err(Error::InvalidTarget(
            "The resource differs from the one that was authorized.".into(),
        ));
    }
    let granted = scope::parse_granted(&row.scope);
    if !scope::within(requested_scope, granted) {
        return Err(Error::InvalidScope(
            "A refresh cannot ask for more than was granted.".into(),
        ));
    }
    let connection = connections::get(&state.store, row.connection_id).await?;
    if let Some(login) = &connection.user_login {
        note.user(login);
    }
    if connection.revoked_at.is_some() {
        return Err(Error::InvalidGrant(connections::REVOKED.into()));
    }
    let settings = state.settings.get(&state.store).await?;
    let rotated_at = match row.rotated_at {
        Some(at) => Some(at),
        // Lost a race with a concurrent exchange of the same token: that one rotated it now.
        None if !state.store.mark_rotated(&hash.0, now).await? => Some(now),
        None => None,
    };
    if let Some(at) = rotated_at {
        let grace = Millis::from(settings.refresh_grace_seconds) * 1000;
        if now - at > grace {
            let revoked = state.store.delete_token_family(&row.family_id).await?;
            tracing::warn!(
                connection = row.connection_id,
                revoked,
                "refresh token reused after rotation; its family was revoked"
            );
            return Err(Error::InvalidGrant(
                "The refresh token was already used; every token of this authorization is \
                 revoked. Authorize again."
                    .into(),
            ));
        }
    }
    let scope = match requested_scope {
        Some(s) => scope::narrowest(scope::requested(Some(s)), granted),
        None => granted,
    };
    let grant = Grant {
        connection_id: row.connection_id,
        client_id: &row.client_id,
        family_id: &row.family_id,
        scope,
        audience: &row.audience,
    };
    tokens::issue(state, &grant, &settings, now).await
}
