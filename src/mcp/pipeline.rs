//! The governance pipeline of every MCP request, in the order of PRODUCT.md "Governance":
//!
//! 1. master switch (Server Settings) → 503
//! 2. authenticate the bearer token → its connection; unknown or revoked → 401
//! 3. IP restrictions (blocked wins; a non-empty allow list is exclusive) → 403
//! 4. rate limits (Bearer connections; per minute, per day) → 429
//! 5. allowed tools (Read Only, Allowed Tools) — the same decision filters `tools/list`
//! 6. allowed models and fields — Model Operations, Allowed Models (the model argument and
//!    every model a dotted path reaches), Field limits (every field a path or value names)
//! 7. approvals: whether the call is held
//! 8. the arguments, Allowed Companies, and Record limits on the records the call names
//! 9. the write budget and tool limits (spent only here, by a call every check admitted)
//! 10. run the tool as the connection's Odoo user (searches confined by Record limits), or
//!     file it for approval; the audit entry is recorded and Last used / Requests are counted
//!     by the audit writer.
//!
//! Steps 1–4 need HTTP (statuses, headers) and run here in [`admit_request`], called by the
//! `/mcp` guard; steps 5–9 need the parsed tool call and run in [`crate::calls::admit`] (and
//! `calls::budget`), called by the MCP server — and, but for 7 and 9, again by an approved call
//! when it runs. `connection explain` and the console's policy check walk the same steps.

use std::net::IpAddr;

use crate::calls::{HolderCredential, Principal, PrincipalError};
use crate::connections::{self, Connection};
use crate::fault::Cause;
use crate::oauth::{self, bearer::GrantedScope};
use crate::policy::ip::IpRefusal;
use crate::policy::rate_limit::{Exceeded, Limits};
use crate::policy::{self};
use crate::settings;
use crate::state::AppState;
use crate::traces::{self, traced};

/// Why a request is refused before it reaches a tool.
#[derive(Debug)]
pub(crate) enum Refusal {
    Disabled,
    MissingToken,
    UnknownToken,
    Revoked,
    NoLinkedUser,
    InvalidToken(oauth::bearer::Rejection),
    /// A Read Only OAuth token calling a write tool: the scope to ask the user for.
    InsufficientScope(&'static str),
    Ip(IpRefusal),
    RateLimited(Exceeded),
    Internal(Cause),
}

/// Who a request acts as, once admitted.
#[derive(Debug)]
pub(crate) struct Admitted {
    pub principal: Principal,
    /// The scope of an OAuth access token (API keys have none).
    pub granted: Option<GrantedScope>,
}

/// Steps 1–4. Returns the admitted principal, or the refusal with the connection when the
/// token identified one (so the refusal is audited against it).
pub(crate) async fn admit_request(
    state: &AppState,
    token: Option<&str>,
    client_ip: IpAddr,
) -> Result<Admitted, (Refusal, Option<Box<Connection>>)> {
    let settings = state
        .settings
        .get(&state.store)
        .await
        .map_err(|e| (internal(e), None))?;
    if !settings.mcp_enabled {
        return Err((Refusal::Disabled, None));
    }
    let token = token.ok_or((Refusal::MissingToken, None))?;
    let (connection, granted, holder) = traced("authenticate", authenticate(state, token))
        .await
        .map_err(|r| (r, None))?;
    let refused = |refusal| Err((refusal, Some(Box::new(connection.clone()))));
    if connection.revoked_at.is_some() {
        return refused(Refusal::Revoked);
    }
    let step = traces::step("ip", Vec::new);
    if let Err(refusal) = check_ip(&connection, client_ip) {
        step.fail("refused");
        return refused(refusal);
    }
    drop(step);
    // API keys and OAuth clients alike: their own limits, else the server defaults.
    let limits = Limits::effective(&connection.policy, &settings);
    let step = traces::step("rate", Vec::new);
    let taken = step
        .around(
            state
                .rate_limiter
                .take(&state.store, connection.id, limits, state.clock.now()),
        )
        .await;
    match taken {
        Ok(Ok(())) => {}
        Ok(Err(exceeded)) => {
            step.fail("rate_limited");
            return refused(Refusal::RateLimited(exceeded));
        }
        Err(e) => {
            step.fail("internal");
            return refused(internal(e));
        }
    }
    drop(step);
    let principal = match holder {
        Some(holder) => Principal::from_holder(&state.keyring, connection.clone(), holder),
        None => Principal::load(state, connection.clone()).await,
    };
    match principal {
        Ok(principal) => Ok(Admitted { principal, granted }),
        Err(PrincipalError::NoLinkedUser) => refused(Refusal::NoLinkedUser),
        Err(error @ PrincipalError::Internal(_)) => refused(internal(error)),
    }
}

/// Step 2: the connection of a bearer token — an OAuth access token (with the scope it grants)
/// or an API key (with its holder's sealed credential, read in the same query). Each read also
/// brings the stored master switch: step 1 checked this process's cached settings, which another
/// replica's change reaches only later; this check is exact, on every replica.
async fn authenticate(
    state: &AppState,
    token: &str,
) -> Result<(Connection, Option<GrantedScope>, Option<HolderCredential>), Refusal> {
    let switched_off = |stored: &Option<String>| !settings::mcp_enabled(stored.as_deref());
    if oauth::bearer::is_access_token(token) {
        return match oauth::bearer::resolve(state, token)
            .await
            .map_err(internal)?
        {
            Ok(resolved) if switched_off(&resolved.mcp_switch) => Err(Refusal::Disabled),
            Ok(resolved) => Ok((resolved.connection, Some(resolved.granted), None)),
            Err(rejection) => Err(Refusal::InvalidToken(rejection)),
        };
    }
    let holder = connections::find_key_holder(
        &state.store,
        state.key_reader.as_deref(),
        &state.keyring,
        token,
    )
    .await
    .map_err(internal)?
    .ok_or(Refusal::UnknownToken)?;
    if switched_off(&holder.mcp_switch) {
        return Err(Refusal::Disabled);
    }
    let (connection, credential) = HolderCredential::split(holder);
    Ok((connection, None, Some(credential)))
}

fn check_ip(connection: &Connection, client_ip: IpAddr) -> Result<(), Refusal> {
    let policy = &connection.policy;
    policy::ip::check(client_ip, &policy.allowed_ips, &policy.blocked_ips).map_err(Refusal::Ip)
}

fn internal(error: impl Into<Cause>) -> Refusal {
    Refusal::Internal(error.into())
}
