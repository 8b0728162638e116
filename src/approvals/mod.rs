//! Human-in-the-loop approvals: a call to a gated tool does not run; it becomes a request that a
//! person approves or rejects, and on approval the exact stored call runs as the requester.
//!
//! States: pending → approved → executed | failed; pending → rejected; pending → expired.
//! Every decision is a conditional update in the store, so it happens once across approvers
//! and replicas; the stored arguments are bound to the request by a keyed hash.

use serde_json::{Map, Value, json};

use crate::audit::outcome;
use crate::audit::rule::Rule;
use crate::calls::ToolContext;
use crate::calls::tools;
use crate::calls::{Principal, ToolError, admit, companies};
use crate::catalog::output::{self, ApprovalStatus, PendingApproval};
use crate::catalog::{self, ToolSpec};
use crate::clock::{HOUR_MS, MINUTE_MS, Millis};
use crate::connections::{self};
use crate::fault::Cause;
use crate::notify::{self, Subject};
use crate::secrets::Keyring;
use crate::state::AppState;
use crate::store::{self, ApprovalRow, AuditRow, OdooUserRow};
use crate::users::Role;

mod activity;
pub mod chat;
mod summary;

use crate::values::ApprovalState as State;
use crate::values::Limit;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no approval request with this id")]
    NotFound,
    #[error(
        "only the designated approver (or, when none is designated, an MCP Administrator) can decide this request"
    )]
    NotAllowed,
    #[error("this request is no longer pending (it is {0})")]
    NotPending(State),
    #[error("a rejection needs a reason")]
    ReasonRequired,
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// Binds an approval to its exact tool and arguments (keys are sorted by serde_json's map).
pub fn arguments_hash(keyring: &Keyring, tool: &str, arguments: &str) -> [u8; 32] {
    keyring.token_hash(&bound_text(tool, arguments)).0
}

fn bound_text(tool: &str, arguments: &str) -> String {
    format!("approval-v1\n{tool}\n{arguments}")
}

/// Files the request for a gated call and returns the tool result the AI gets at once.
pub async fn request(
    state: &AppState,
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    mut arguments: Map<String, Value>,
) -> Result<Value, ToolError> {
    let principal = ctx.principal;
    // Pinned to exact companies, so that the call runs in the companies it was filed in even if
    // the user's current company changes before it is approved.
    let pinned = companies::pinned(ctx).await?;
    // The approval runs once by its own states; the key belongs to the request that filed it.
    arguments.remove("idempotency_key");
    arguments.remove("company_id");
    arguments.insert("company_ids".into(), json!(pinned));
    let arguments = &arguments;
    let connection = &principal.connection;
    let requester_user_id = connection
        .odoo_user_id
        .ok_or_else(|| ToolError::Internal("a gated call without a user".into()))?;
    let settings = state.settings.get(&state.store).await.map_err(internal)?;
    let now = state.clock.now();
    let expiry_hours = connection
        .policy
        .approval_expiry_hours
        .map_or(i64::from(settings.approval_expiry_hours), Limit::get);
    let arguments_text = Value::Object(arguments.clone()).to_string();
    let row = ApprovalRow {
        id: format!("apr_{}", uuid::Uuid::new_v4().simple()),
        connection_id: connection.id,
        requester_user_id,
        approver_user_id: connection.policy.approver_user_id,
        tool: spec.name.to_owned(),
        arguments_hash: arguments_hash(&state.keyring, spec.name, &arguments_text).to_vec(),
        arguments: arguments_text,
        summary: summary::describe(ctx, spec, arguments).await,
        state: State::Pending,
        created_at: now,
        expires_at: now + expiry_hours * HOUR_MS,
        decided_at: None,
        decided_by: None,
        reason: None,
        result: None,
        error: None,
        activity_ids: String::new(),
        activity_warning: None,
    };
    state.store.insert_approval(&row).await.map_err(internal)?;
    notify::emit(
        &state.store,
        now,
        notify::Kind::ApprovalRequested,
        subject(&row),
    )
    .await;
    let approvers = approvers(state, &row).await.map_err(internal)?;
    let link = format!("{}/console/approvals/{}", state.urls.public, row.id);
    let notified = activity::notify(ctx, &row, &approvers, &link, arguments).await;
    state
        .store
        .set_approval_activities(&row.id, &notified.ids, notified.warning.as_deref())
        .await
        .map_err(internal)?;
    let decider = match approvers.as_slice() {
        [one] if row.approver_user_id.is_some() => one.name.clone(),
        _ => "an MCP Administrator".to_owned(),
    };
    let message = format!(
        "This call needs human approval and has not run. {decider} has been asked to decide. \
         Call get_approval_status with approval_id \"{}\" later to learn the outcome and, once \
         approved, the result.",
        row.id
    );
    Ok(output::content(&PendingApproval {
        status: "pending_approval",
        approval_id: row.id,
        summary: row.summary,
        approver: decider,
        expires_at: crate::clock::format_utc(row.expires_at),
        message,
    }))
}

/// Who may decide: the designated approver, else every MCP Administrator.
async fn approvers(state: &AppState, row: &ApprovalRow) -> Result<Vec<OdooUserRow>, store::Error> {
    match row.approver_user_id {
        Some(id) => Ok(state.store.get_odoo_user(id).await?.into_iter().collect()),
        None => Ok(state
            .store
            .list_odoo_users()
            .await?
            .into_iter()
            .filter(|u| u.role == Some(Role::Admin))
            .collect()),
    }
}

/// Whether `decider` may decide `row`: the designated approver, else any MCP Administrator —
/// and, under four-eyes, never the requester themselves.
pub fn may_decide(row: &ApprovalRow, decider: &OdooUserRow, four_eyes: bool) -> bool {
    if four_eyes && decider.id == row.requester_user_id {
        return false;
    }
    match row.approver_user_id {
        Some(approver) => approver == decider.id,
        None => decider.role == Some(Role::Admin),
    }
}

/// What `get_approval_status` answers; a connection sees only its own requests.
pub async fn status(
    state: &AppState,
    principal: &Principal,
    approval_id: &str,
) -> Result<Value, ToolError> {
    let row = state
        .store
        .get_approval(approval_id)
        .await
        .map_err(internal)?;
    let Some(row) = row.filter(|r| r.connection_id == principal.connection.id) else {
        return Err(ToolError::NotFound(format!(
            "Unknown approval '{}': no approval request with this id belongs to this connection.",
            crate::catalog::validate::shorten(approval_id)
        )));
    };
    // Stored as the tool's structured content, which is always an object.
    let result = row
        .result
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok());
    Ok(output::content(&ApprovalStatus {
        approval_id: row.id,
        state: row.state.as_db(),
        summary: row.summary,
        tool: row.tool,
        created_at: crate::clock::format_utc(row.created_at),
        expires_at: crate::clock::format_utc(row.expires_at),
        decided_at: row.decided_at.map(crate::clock::format_utc),
        reason: row.reason,
        result,
        error: row.error,
    }))
}

/// Approves and runs the stored call as the requester. Returns the request as it ended.
pub async fn approve(
    state: &AppState,
    id: &str,
    decider: &OdooUserRow,
) -> Result<ApprovalRow, Error> {
    let row = decide(state, id, decider, State::Approved, None).await?;
    let ran = execute(state, &row).await;
    let (final_state, result, error) = match &ran {
        Ok(value) => (State::Executed, Some(value.to_string()), None),
        Err(message) => (State::Failed, None, Some(message.clone())),
    };
    state
        .store
        .finish_approval(id, final_state, result.as_deref(), error.as_deref())
        .await?;
    let (audit_outcome, audit_error) = match ran {
        Ok(_) => (outcome::SUCCESS, None),
        Err(message) => (outcome::ERROR, Some(message)),
    };
    record_execution(state, &row, audit_outcome, audit_error).await;
    state.store.get_approval(id).await?.ok_or(Error::NotFound)
}

pub async fn reject(
    state: &AppState,
    id: &str,
    decider: &OdooUserRow,
    reason: &str,
) -> Result<ApprovalRow, Error> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::ReasonRequired);
    }
    decide(state, id, decider, State::Rejected, Some(reason)).await?;
    state.store.get_approval(id).await?.ok_or(Error::NotFound)
}

/// The expiry job's step: pending requests past their time become expired.
pub async fn expire_due(state: &AppState, now: Millis) -> Result<usize, store::Error> {
    let expired = state.store.expire_approvals(now).await?;
    for id in &expired {
        if let Some(row) = state.store.get_approval(id).await? {
            notify::emit(
                &state.store,
                now,
                notify::Kind::ApprovalExpired,
                subject(&row),
            )
            .await;
        }
    }
    audit_closed(
        state,
        &expired,
        now,
        "approval/expire",
        outcome::SUCCESS,
        Some(Rule::Approval),
        "expired unanswered",
    )
    .await?;
    Ok(expired.len())
}

/// An approved call runs within seconds (the Odoo timeout bounds it); one still unfinished
/// after this long was cut short by a crash or a restart.
pub const INTERRUPTED_AFTER: Millis = 15 * MINUTE_MS;

/// The recovery job's step: approved requests whose run never finished become failed, so
/// neither the AI nor the inbox waits for them forever. They are not run again: whether the
/// interrupted call reached Odoo is unknown, and running it twice could do harm.
pub async fn fail_interrupted(state: &AppState, now: Millis) -> Result<usize, store::Error> {
    let failed = state
        .store
        .fail_interrupted_approvals(now - INTERRUPTED_AFTER, INTERRUPTED)
        .await?;
    audit_closed(
        state,
        &failed,
        now,
        "approval/execute",
        outcome::ERROR,
        None,
        INTERRUPTED,
    )
    .await?;
    Ok(failed.len())
}

const INTERRUPTED: &str = "The approved call was interrupted (the gateway stopped while running it); \
    it was not retried, because it may or may not have reached Odoo.";

/// Audits requests the gateway closed by itself; `rule` when that closing refused the call.
async fn audit_closed(
    state: &AppState,
    ids: &[String],
    now: Millis,
    method: &str,
    outcome: &str,
    rule: Option<Rule>,
    detail: &str,
) -> Result<(), store::Error> {
    for id in ids {
        if let Some(row) = state.store.get_approval(id).await? {
            let event = AuditRow {
                at: now,
                method: method.into(),
                tool: Some(row.tool.clone()),
                connection_id: Some(row.connection_id),
                outcome: outcome.into(),
                error: Some(format!("{detail}: {}", row.summary)),
                rule: rule.map(|r| r.as_str().to_owned()),
                ..AuditRow::default()
            };
            state.audit.record(event).await;
        }
    }
    Ok(())
}

/// Moves a pending request to `to` (approved or rejected), once, and audits the decision.
async fn decide(
    state: &AppState,
    id: &str,
    decider: &OdooUserRow,
    to: State,
    reason: Option<&str>,
) -> Result<ApprovalRow, Error> {
    let row = decidable(state, id, decider).await?;
    let now = state.clock.now();
    if !state
        .store
        .decide_approval(id, to, decider.id, reason, now)
        .await?
    {
        return Err(not_pending(state, id).await);
    }
    let event = AuditRow {
        at: now,
        method: format!(
            "approval/{}",
            if to == State::Approved {
                "approve"
            } else {
                "reject"
            }
        ),
        tool: Some(row.tool.clone()),
        connection_id: Some(row.connection_id),
        user_login: Some(decider.login.clone()),
        outcome: outcome::SUCCESS.into(),
        error: reason.map(str::to_owned),
        // A rejection is the approval gate refusing the call (the decision itself succeeded).
        rule: (to == State::Rejected).then(|| Rule::Approval.as_str().to_owned()),
        ..AuditRow::default()
    };
    state.audit.record(event).await;
    let decision = Subject {
        decision: Some(
            if to == State::Approved {
                "approved"
            } else {
                "rejected"
            }
            .into(),
        ),
        decided_by: Some(decider.login.clone()),
        ..subject(&row)
    };
    notify::emit(&state.store, now, notify::Kind::ApprovalDecided, decision).await;
    Ok(row)
}

/// What a notification about `row` says: ids, the tool and its model — not the arguments.
fn subject(row: &ApprovalRow) -> Subject {
    let model = serde_json::from_str::<Value>(&row.arguments)
        .ok()
        .and_then(|a| a.get("model")?.as_str().map(str::to_owned));
    Subject {
        approval_id: Some(row.id.clone()),
        connection_id: row.connection_id,
        tool: Some(row.tool.clone()),
        model,
        ..Subject::default()
    }
}

async fn decidable(
    state: &AppState,
    id: &str,
    decider: &OdooUserRow,
) -> Result<ApprovalRow, Error> {
    let row = state.store.get_approval(id).await?.ok_or(Error::NotFound)?;
    let four_eyes = state.settings.get(&state.store).await?.four_eyes;
    if !may_decide(&row, decider, four_eyes) {
        return Err(Error::NotAllowed);
    }
    if row.state != State::Pending {
        return Err(Error::NotPending(row.state));
    }
    Ok(row)
}

async fn not_pending(state: &AppState, id: &str) -> Error {
    match state.store.get_approval(id).await {
        Ok(Some(row)) if row.state == State::Pending => Error::NotPending(State::Expired),
        Ok(Some(row)) => Error::NotPending(row.state),
        Ok(None) => Error::NotFound,
        Err(e) => Error::Store(e),
    }
}

/// Runs the approved call as the requester, under the connection's policy as it is now.
async fn execute(state: &AppState, row: &ApprovalRow) -> Result<Value, String> {
    // A request filed before a secret-key rotation is bound under a previous key.
    let bound = bound_text(&row.tool, &row.arguments);
    if !state.keyring.verifies(&bound, &row.arguments_hash) {
        return Err(
            "The stored arguments no longer match the request that was approved; nothing was run."
                .into(),
        );
    }
    let spec = catalog::find(&row.tool).ok_or("The tool of this request no longer exists.")?;
    let Ok(Value::Object(arguments)) = serde_json::from_str::<Value>(&row.arguments) else {
        return Err("The stored arguments cannot be read; nothing was run.".into());
    };
    let connection = connections::get(&state.store, row.connection_id)
        .await
        .map_err(|e| e.to_string())?;
    if connection.revoked_at.is_some() {
        return Err(
            "The connection was revoked after the request was made; nothing was run.".into(),
        );
    }
    let principal = Principal::load(state, connection)
        .await
        .map_err(|e| e.to_string())?;
    let ctx = ToolContext::new(state, &principal);
    let no_longer =
        |e: ToolError| format!("The connection's policy no longer allows this call: {e}");
    admit::check_policy(&ctx, spec, &arguments)
        .await
        .map_err(no_longer)?;
    let parsed = tools::parse(spec, arguments.clone()).map_err(|e| e.to_string())?;
    let ctx = admit::enter(ctx, spec, &arguments, parsed.companies)
        .await
        .map_err(no_longer)?;
    tools::run(&ctx, parsed.call)
        .await
        .map_err(|e| e.to_string())
}

async fn record_execution(
    state: &AppState,
    row: &ApprovalRow,
    outcome: &str,
    error: Option<String>,
) {
    let model = serde_json::from_str::<Value>(&row.arguments)
        .ok()
        .and_then(|a| a.get("model").and_then(Value::as_str).map(str::to_owned));
    let requester = state
        .store
        .get_odoo_user(row.requester_user_id)
        .await
        .ok()
        .flatten();
    let event = AuditRow {
        at: state.clock.now(),
        method: "approval/execute".into(),
        tool: Some(row.tool.clone()),
        model,
        connection_id: Some(row.connection_id),
        user_login: requester.map(|u| u.login),
        outcome: outcome.into(),
        error,
        ..AuditRow::default()
    };
    state.audit.record(event).await;
}

fn internal(error: impl Into<Cause>) -> ToolError {
    ToolError::Internal(error.into())
}
