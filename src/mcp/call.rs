//! `tools/call`, whichever way it came (rmcp's service or the guard's fast path), and the
//! resources read through the same tools: the in-call part of the governance pipeline (tool
//! known → policy → companies → confirmed in chat → run once → as the Odoo user), the audit
//! note, the metrics.

use std::time::Instant;

use rmcp::ErrorData;
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, InputRequiredResult};
use serde_json::Map;

use crate::approvals::chat::{self, Decision, Turn};
use crate::calls::ToolContext;
use crate::calls::admit::{self, Gate};
use crate::calls::budget;
use crate::calls::once::{self, Ran};
use crate::calls::tools;
use crate::calls::{Principal, ToolError};
use crate::catalog::{self, Call};
use crate::state::AppState;
use crate::traces::traced;
use crate::web::audited::Note;
use crate::{approvals, audit};

/// How a call that passed governance ended, or where it waits.
pub(super) enum Reached {
    /// It ran, or was filed for approval.
    Ran(Ran),
    /// It ran once the person in the chat confirmed it.
    Confirmed(Ran),
    /// The person in the chat is asked first.
    Ask(Box<InputRequiredResult>),
}

/// How a call ended, before it is put in rmcp's types: a structured answer stays a value, so the
/// fast path can write its bytes itself and serialise it once (rmcp's
/// `CallToolResult::structured` serialises it for the text block, and the message again).
pub(super) enum Answer {
    Structured(serde_json::Value),
    Response(CallToolResponse),
}

impl Answer {
    /// The answer as rmcp's handler sends it.
    pub(super) fn into_response(self) -> CallToolResponse {
        match self {
            Self::Structured(value) => {
                CallToolResponse::Complete(CallToolResult::structured(value))
            }
            Self::Response(response) => response,
        }
    }
}

/// What the audit entry's method gets besides `tools/call`, so the log tells a call confirmed
/// in chat from one that was not.
const CONFIRMED: &str = "confirmed in chat";
const ASKED: &str = "asked in chat";

/// `tools/call`, whichever way it came (rmcp's service or the guard's fast path): runs the
/// in-call governance and the tool, notes how the call ended for the audit entry, counts and
/// logs it, and maps a tool error to its MCP result.
pub(super) async fn answer_call(
    state: &AppState,
    principal: &Principal,
    note: Option<&Note>,
    turn: &Turn,
    request: CallToolRequestParams,
) -> Result<Answer, ErrorData> {
    let started = Instant::now();
    let outcome = run_tool(
        state,
        principal,
        &request.name,
        request.arguments.unwrap_or_default(),
        turn,
    )
    .await;
    let elapsed = started.elapsed();
    let label = match &outcome {
        Ok(Reached::Ran(ran) | Reached::Confirmed(ran)) => ran.outcome(),
        Ok(Reached::Ask(_)) => audit::outcome::PENDING_APPROVAL,
        Err(e) => e.outcome(),
    };
    if let Some(note) = note {
        note.ended(label, outcome.as_ref().err().map(ToString::to_string));
        note.refused_by(outcome.as_ref().err().and_then(ToolError::rule));
        match &outcome {
            Ok(Reached::Confirmed(_)) => note.method_detail(CONFIRMED),
            Ok(Reached::Ask(_)) => note.method_detail(ASKED),
            _ => {}
        }
    }
    let known = catalog::find(&request.name).map_or("unknown", |t| t.name);
    state.metrics.tool_call(known, label, elapsed);
    tracing::info!(
        tool = %crate::catalog::validate::shorten(&request.name),
        connection = principal.connection.id,
        outcome = label,
        ms = crate::telemetry::ms(elapsed),
        "tools/call"
    );
    match outcome {
        Ok(Reached::Ran(ran) | Reached::Confirmed(ran)) => Ok(Answer::Structured(ran.into_value())),
        Ok(Reached::Ask(ask)) => Ok(Answer::Response(CallToolResponse::InputRequired(*ask))),
        Err(error) => error
            .into_response()
            .map(|result| Answer::Response(CallToolResponse::Complete(result))),
    }
}

pub(super) async fn run_tool(
    state: &AppState,
    principal: &Principal,
    name: &str,
    arguments: Map<String, serde_json::Value>,
    turn: &Turn,
) -> Result<Reached, ToolError> {
    let spec = catalog::find(name)
        .ok_or_else(|| ToolError::UnknownTool(crate::catalog::validate::shorten(name)))?;
    let ctx = ToolContext::new(state, principal);
    let gate = admit::admit_call(&ctx, spec, &arguments).await?;
    let parsed = tools::parse(spec, arguments.clone())?;
    let ctx = admit::enter(ctx, spec, &arguments, parsed.companies).await?;
    // Asked after every check, so the person is never asked about a call that would be
    // refused; before the budget, which only the call that runs spends.
    let (gate, confirmed) = match gate {
        Gate::ConfirmInChat => {
            let key = parsed.idempotency_key.as_ref().map(|k| k.as_str());
            match chat::decide(&ctx, spec, &arguments, key, turn).await? {
                Decision::Run => (Gate::Run, true),
                Decision::Queue => (Gate::HeldForApproval, false),
                Decision::Ask(ask) => {
                    tools::precheck(&ctx, &parsed.call).await?;
                    return Ok(Reached::Ask(ask));
                }
            }
        }
        gate => (gate, false),
    };
    // Spent only by a call every check admitted; once, when filed, for a held one (an approved
    // call runs through `approvals`, not here).
    budget::take(&ctx, spec, &arguments).await?;
    let run = || traced("run", dispatch(&ctx, spec, gate, parsed.call, &arguments));
    let ran = match &parsed.idempotency_key {
        Some(key) => once::once(&ctx, spec, key, &arguments, run).await?,
        None => run().await?,
    };
    Ok(if confirmed {
        Reached::Confirmed(ran)
    } else {
        Reached::Ran(ran)
    })
}

/// Runs an admitted call, or files it for approval.
async fn dispatch(
    ctx: &ToolContext<'_>,
    spec: &'static catalog::ToolSpec,
    gate: Gate,
    call: Call,
    arguments: &Map<String, serde_json::Value>,
) -> Result<Ran, ToolError> {
    match (gate, call) {
        // The approvals' own tool: answered by the approvals, which run the other tools.
        (Gate::Run, Call::GetApprovalStatus(a)) => {
            approvals::status(ctx.state, ctx.principal, &a.approval_id)
                .await
                .map(Ran::Done)
        }
        (Gate::Run, call) => tools::run(ctx, call).await.map(Ran::Done),
        // Decided in `run_tool`: a call to confirm in chat gets here as Run or HeldForApproval.
        (Gate::HeldForApproval | Gate::ConfirmInChat, call) => {
            tools::precheck(ctx, &call).await?;
            approvals::request(ctx.state, ctx, spec, arguments.clone())
                .await
                .map(Ran::Pending)
        }
    }
}
