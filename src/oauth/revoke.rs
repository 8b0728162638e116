//! RFC 7009 token revocation. Revoking a refresh token revokes its whole family (the access
//! tokens issued with it included); revoking an access token revokes that token. Unknown
//! tokens are answered 200 too, so the endpoint tells nothing about which tokens exist.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Params;
use super::error::{Error, Result, no_store};
use super::{clients, tokens};
use crate::connections::ClientType;
use crate::state::AppState;
use crate::web::audited::Note;

pub(super) async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    note: Note,
    body: Bytes,
) -> Response {
    match revoke_token(&state, &headers, &body, &note).await {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => e.into_response(),
    }
}

async fn revoke_token(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    note: &Note,
) -> Result<()> {
    let params = Params::parse(body).map_err(Error::InvalidRequest)?;
    let token = params.require("token")?;
    // Confidential clients must authenticate (RFC 7009 §2.1); a public client names itself,
    // and a request naming no client is accepted for a public client's token.
    let client = if params.get("client_id").is_some() || headers.contains_key("authorization") {
        Some(clients::authenticate(state, &params, headers).await?)
    } else {
        None
    };
    let Some((hash, row)) = tokens::find(state, token).await? else {
        return Ok(());
    };
    if client
        .as_ref()
        .is_some_and(|c| c.client_id != row.client_id)
    {
        // Not this client's token: nothing is revoked, and nothing is said (RFC 7009 §2.2).
        return Ok(());
    }
    if client.is_none() {
        let owner = state.store.get_oauth_client(row.connection_id).await?;
        if owner.is_some_and(|o| o.client_type == ClientType::Confidential) {
            return Err(Error::InvalidClient(
                "This token belongs to a confidential client: authenticate as that client to revoke it."
                    .into(),
            ));
        }
    }
    note.connection(Some(row.connection_id));
    if row.kind == "refresh" {
        state.store.delete_token_family(&row.family_id).await?;
    } else {
        state.store.delete_token(&hash.0).await?;
    }
    tracing::info!(connection = row.connection_id, kind = %row.kind, "OAuth token revoked");
    Ok(())
}
