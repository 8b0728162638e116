//! The write budget and tool limits of one `tools/call`, taken once the policy admitted it:
//! from this process's counters on SQLite, from the shared table on PostgreSQL, so they hold
//! across replicas like the request limits. A held call is counted when it is filed; the
//! approved call does not count again when it runs.

use serde_json::{Map, Value};

use super::ToolContext;
use super::error::ToolError;
use crate::catalog::ToolSpec;
use crate::policy::budgets;

/// Counts the call against every budget that applies; refused by one, it spends none of them.
pub(crate) async fn take(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
) -> Result<(), ToolError> {
    let connection = &ctx.principal.connection;
    let rules = budgets::rules(&connection.policy, spec, arguments);
    if rules.is_empty() {
        return Ok(());
    }
    let state = ctx.state;
    state
        .rate_limiter
        .take_all(&state.store, connection.id, &rules, state.clock.now())
        .await
        .map_err(|e| ToolError::Internal(e.into()))?
        .map_err(ToolError::OverBudget)
}
