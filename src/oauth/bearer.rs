//! OAuth access tokens at `/mcp`: the part of the bearer guard that recognises our access
//! tokens, resolves them to their connection, and says when a call needs a wider scope.

use serde::Deserialize;

use super::scope;
use super::tokens::{self, ACCESS_PREFIX};
use crate::catalog;
use crate::connections::{self, Connection, Scope};
use crate::state::AppState;

/// The scope granted to the OAuth token of a request; put in the request's extensions by the
/// guard (API-key requests have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantedScope(pub Scope);

/// Why an access token is not accepted (answered 401 `invalid_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("The access token is not valid (unknown, revoked or rotated away).")]
    Unknown,
    #[error("The access token has expired; refresh it.")]
    Expired,
    #[error("The access token was issued for another resource.")]
    OtherAudience,
}

/// Whether a bearer token is one of our access tokens (otherwise it may be an API key).
pub fn is_access_token(token: &str) -> bool {
    token.starts_with(ACCESS_PREFIX)
}

/// An accepted access token: its connection, with the connection's scope narrowed to the
/// token's, and the master switch as stored when the token was read.
#[derive(Debug)]
pub struct Resolved {
    pub connection: Connection,
    pub granted: GrantedScope,
    pub mcp_switch: Option<String>,
}

/// The connection an access token belongs to. Revocation of the connection is checked by the
/// caller, as for API keys.
pub async fn resolve(
    state: &AppState,
    token: &str,
) -> Result<Result<Resolved, Rejection>, connections::Error> {
    let Some((_, row)) = tokens::find(state, token).await? else {
        return Ok(Err(Rejection::Unknown));
    };
    if row.kind != "access" {
        return Ok(Err(Rejection::Unknown));
    }
    if state.clock.now() >= row.expires_at {
        return Ok(Err(Rejection::Expired));
    }
    if row.audience != state.urls.mcp {
        return Ok(Err(Rejection::OtherAudience));
    }
    let mut connection = match connections::get(&state.store, row.connection_id).await {
        Ok(c) => c,
        Err(connections::Error::NotFound(_)) => return Ok(Err(Rejection::Unknown)),
        Err(e) => return Err(e),
    };
    let granted = scope::parse_granted(&row.scope);
    connection.scope = scope::narrowest(connection.scope, granted);
    Ok(Ok(Resolved {
        connection,
        granted: GrantedScope(granted),
        mcp_switch: row.mcp_switch,
    }))
}

#[derive(Deserialize)]
struct Call<'a> {
    #[serde(borrow)]
    method: Option<&'a str>,
    params: Option<CallParams<'a>>,
}

#[derive(Deserialize)]
struct CallParams<'a> {
    #[serde(borrow)]
    name: Option<&'a str>,
}

/// The scope to challenge for when a read-only OAuth token calls a write tool (answered 403
/// `insufficient_scope`, so the client can ask the user for more). API keys and tokens with
/// write scope never get this: their refusals are tool errors, as for a Read Only key.
pub fn missing_scope(granted: Option<GrantedScope>, body: &[u8]) -> Option<&'static str> {
    let GrantedScope(granted) = granted?;
    if granted == Scope::Full {
        return None;
    }
    let call: Call = serde_json::from_slice(body).ok()?;
    if call.method != Some("tools/call") {
        return None;
    }
    let tool = catalog::find(call.params?.name?)?;
    (!tool.read_only).then_some(scope::granted(Scope::Full))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(scope: Scope) -> Option<GrantedScope> {
        Some(GrantedScope(scope))
    }

    fn call(tool: &str) -> Vec<u8> {
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{tool}"}}}}"#)
            .into_bytes()
    }

    #[test]
    fn only_write_calls_with_a_read_token_need_more_scope() {
        let read = with(Scope::ReadOnly);
        assert_eq!(
            missing_scope(read, &call("create_record")),
            Some("mcp:read mcp:write")
        );
        assert_eq!(missing_scope(read, &call("search_records")), None);
        assert_eq!(missing_scope(read, &call("no_such_tool")), None);
        assert_eq!(missing_scope(read, br#"{"method":"tools/list"}"#), None);
        assert_eq!(
            missing_scope(with(Scope::Full), &call("create_record")),
            None
        );
        assert_eq!(missing_scope(None, &call("create_record")), None);
    }
}
