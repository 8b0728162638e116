//! The in-call part of governance, for one parsed `tools/call` (steps 5–7 of
//! `mcp::pipeline`): the tool must be allowed, every model it reaches must be allowed, and a
//! tool under "Tools that need approval" is held. An approved call passes steps 5 and 6 again
//! when it runs.

use serde_json::{Map, Value};

use super::ToolContext;
use super::error::ToolError;
use super::fields;
use crate::catalog::ToolSpec;
use crate::policy::{self, models};

/// What step 7 decided for a call that passed steps 5 and 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    Run,
    HeldForApproval,
}

/// Steps 5–7 for one `tools/call`.
pub(crate) async fn admit_call(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
) -> Result<Gate, ToolError> {
    check_policy(ctx, spec, arguments).await?;
    super::budget::take(ctx, spec, arguments).await?;
    if policy::needs_approval(&ctx.principal.connection, spec, arguments) {
        return Ok(Gate::HeldForApproval);
    }
    Ok(Gate::Run)
}

/// Steps 5 and 6: allowed tools, allowed models. An approved call passes them again when it
/// runs, against the connection's policy as it is then.
pub(crate) async fn check_policy(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
) -> Result<(), ToolError> {
    policy::tool_decision(&ctx.principal.connection, spec)
        .map_err(|denial| ToolError::Refused(denial.to_string()))?;
    check_models(ctx, spec, arguments).await
}

async fn check_models(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
) -> Result<(), ToolError> {
    if let Some(model) = arguments.get("model").and_then(Value::as_str) {
        check_operation(ctx, spec, model)?;
    }
    let allowed_models = &ctx.principal.connection.policy.allowed_models;
    if allowed_models.is_empty() {
        return Ok(());
    }
    // The field paths are walked only when there is a list to hold them to.
    let touched = models::touches(arguments);
    if let Some(other) = spec.touches.iter().find(|m| !allowed_models.allows(m)) {
        return Err(ToolError::Refused(format!(
            "The tool '{}' works on '{other}', which is not among this connection's allowed models.",
            spec.name
        )));
    }
    let Some(model) = touched.model else {
        return Ok(());
    };
    let refuse = |m: &str| {
        ToolError::Refused(format!(
            "The model '{m}' is not among this connection's allowed models."
        ))
    };
    if !allowed_models.allows(&model) {
        return Err(refuse(&model));
    }
    for touched in &touched.paths {
        let forbidden =
            fields::first_forbidden(ctx, &model, touched, |m| allowed_models.allows(m)).await?;
        if let Some(other) = forbidden {
            return Err(ToolError::Refused(format!(
                "The field path '{}' reaches the model '{other}', which is not among this connection's allowed models.",
                touched.path
            )));
        }
    }
    Ok(())
}

/// Model Operations for a tool working on `model`'s records — also for the tools that learn the
/// model from a record they read (an activity's, an attachment's).
pub(crate) fn check_operation(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    model: &str,
) -> Result<(), ToolError> {
    policy::operations::decide(&ctx.principal.connection.policy, spec, model)
        .map_err(|denial| ToolError::Refused(denial.to_string()))
}
