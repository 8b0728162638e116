//! The in-call part of governance, for one parsed `tools/call` (steps 5–7 of
//! `mcp::pipeline`): the tool must be allowed, every model and field it reaches must be allowed
//! (Allowed Models, Model Operations, Field limits), the records it names must lie inside the
//! Record limits, and a tool under "Tools to confirm in chat" is confirmed by the person in the
//! chat (or held), one under "Tools that need approval" is held. An approved call passes
//! steps 5 and 6 again when it runs.

use serde_json::{Map, Value};

use super::error::ToolError;
use super::fields::{self, Blocked};
use super::{ToolContext, companies, records};
use crate::catalog::company::CompanyIds;
use crate::catalog::{Tool, ToolSpec};
use crate::policy::models::{self, Touched};
use crate::policy::{self, Decider, Denial};
use crate::traces::{self, traced};

/// What step 7 decided for a call that passed steps 5 and 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    Run,
    HeldForApproval,
    /// Asked of the person in the chat when the client can ask, else held for approval. It
    /// comes before "Tools that need approval": a tool listed in both is confirmed in chat.
    ConfirmInChat,
}

/// Steps 5–7 for one `tools/call`.
pub(crate) async fn admit_call(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
) -> Result<Gate, ToolError> {
    check_policy(ctx, spec, arguments).await?;
    let step = traces::step("approval", Vec::new);
    let (gate, said) = match policy::decider(&ctx.principal.connection, spec, arguments) {
        Some(Decider::Chat) => (Gate::ConfirmInChat, "confirm_in_chat"),
        Some(Decider::Approver) => (Gate::HeldForApproval, "held"),
        None => (Gate::Run, "run"),
    };
    step.set(|| traces::Attribute::new("odoo_mcp.approval.gate", said));
    Ok(gate)
}

/// Steps 5 and 6: allowed tools, allowed models. An approved call passes them again when it
/// runs, against the connection's policy as it is then.
pub(crate) async fn check_policy(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
) -> Result<(), ToolError> {
    traced("tools", async {
        policy::tool_decision(&ctx.principal.connection, spec).map_err(ToolError::from)
    })
    .await?;
    traced("models", check_models(ctx, spec, arguments)).await
}

async fn check_models(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
) -> Result<(), ToolError> {
    if let Some(model) = arguments.get("model").and_then(Value::as_str) {
        check_operation(ctx, spec, model)?;
    }
    let policy = &ctx.principal.connection.policy;
    let allowed_models = &policy.allowed_models;
    if allowed_models.is_empty() && policy.field_limits.is_empty() {
        return Ok(());
    }
    // The field paths are walked only when there is a rule to hold them to.
    let mut touched = models::touches(arguments);
    if let Some(other) = spec.touches.iter().find(|m| !allowed_models.allows(m)) {
        return Err(ToolError::from(Denial::ToolTouchesModel {
            tool: spec.name.to_owned(),
            model: (*other).to_owned(),
        }));
    }
    let Some(model) = touched.model.take() else {
        return Ok(());
    };
    if !allowed_models.allows(&model) {
        return Err(ToolError::from(Denial::ModelNotAllowed(model)));
    }
    if !policy.field_limits.is_empty() {
        // Written fields read nothing of their related models: only their names are held.
        for path in policy::fields::written(arguments) {
            if !touched.paths.iter().any(|t| t.path == path) {
                touched.paths.push(Touched {
                    path,
                    reads_target: false,
                });
            }
        }
    }
    for touched in &touched.paths {
        match fields::first_blocked(ctx, &model, touched).await? {
            None => {}
            Some(Blocked::Model(other)) => {
                return Err(ToolError::from(Denial::PathReachesModel {
                    path: touched.path.clone(),
                    model: other,
                }));
            }
            Some(Blocked::Field { model, field }) => {
                return Err(policy::fields::refuse(&model, &field, &touched.path).into());
            }
        }
    }
    Ok(())
}

/// The call's companies, then what needs them: the Record limits of the records the call
/// names by id on its model (and a confined model's methods need ids). Run for every call —
/// also one filed for approval, and again when an approved call runs.
pub(crate) async fn enter<'a>(
    ctx: ToolContext<'a>,
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
    requested: Option<CompanyIds>,
) -> Result<ToolContext<'a>, ToolError> {
    let ctx = companies::decide(ctx, requested)?;
    let settings = &ctx.principal.connection.policy;
    let Some(model) = arguments.get("model").and_then(Value::as_str) else {
        return Ok(ctx);
    };
    if settings.record_limits.of(model).is_none() {
        return Ok(ctx);
    }
    let ids = policy::records::named_ids(arguments);
    if spec.tool == Tool::ExecuteMethod && ids.is_empty() {
        let method = arguments
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("");
        policy::records::model_level_method(settings, model, method)?;
    }
    records::check(&ctx, model, &ids).await?;
    Ok(ctx)
}

/// The checks for the record a tool learned from another one (an activity's, an attachment's),
/// as if the call had named it: Allowed Models, Model Operations, Record limits. `what` names
/// the record the call did name, for the message.
pub(crate) async fn check_learned(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    what: &str,
    model: &str,
    id: i64,
) -> Result<(), ToolError> {
    if !ctx.principal.connection.policy.allowed_models.allows(model) {
        return Err(ToolError::from(Denial::RecordOfModel {
            what: what.to_owned(),
            model: model.to_owned(),
        }));
    }
    check_operation(ctx, spec, model)?;
    records::check(ctx, model, &[id]).await
}

/// Model Operations for a tool working on `model`'s records — also for the tools that learn the
/// model from a record they read (an activity's, an attachment's).
pub(crate) fn check_operation(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    model: &str,
) -> Result<(), ToolError> {
    policy::operations::decide(&ctx.principal.connection.policy, spec, model)
        .map_err(ToolError::from)
}
