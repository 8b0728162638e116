//! The tools themselves: each parses its arguments, checks them, and calls Odoo as the
//! connection's user. Policy (scope, allowed tools and models, approvals) is applied before
//! any of this runs, in `mcp::server`.

pub mod args;
mod context;
mod execute;
mod read;
pub mod validate;
mod values;
mod write;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::catalog::{GET_APPROVAL_STATUS, ToolSpec};
use super::error::ToolError;
use super::principal::Principal;
use crate::app::AppState;
use crate::approvals;
use crate::odoo::Call;

/// Everything a tool may use: the gateway's state, and Odoo as the principal's user.
pub struct ToolContext<'a> {
    pub state: &'a AppState,
    pub principal: &'a Principal,
}

impl ToolContext<'_> {
    /// Whether to use Odoo 19's replacements of methods it deprecates (`formatted_read_group`
    /// for `read_group`, `has_access` for `check_access_rights`), which log a warning per call.
    pub async fn odoo_19_api(&self) -> bool {
        self.state
            .odoo
            .server_version()
            .await
            .is_ok_and(|v| v.major >= 19)
    }

    pub async fn call(
        &self,
        model: &str,
        method: &str,
        ids: Option<Vec<i64>>,
        kwargs: Map<String, Value>,
    ) -> Result<Value, ToolError> {
        let call = Call {
            model: model.to_owned(),
            method: method.to_owned(),
            ids,
            kwargs,
        };
        Ok(self
            .state
            .odoo
            .call(&self.principal.credential, &call)
            .await?)
    }
}

pub async fn run(
    spec: &'static ToolSpec,
    ctx: &ToolContext<'_>,
    arguments: Map<String, Value>,
) -> Result<Value, ToolError> {
    let name = spec.name;
    match name {
        "get_current_context" => {
            let _: args::NoArgs = parse(name, arguments)?;
            context::current(ctx).await
        }
        "list_models" => context::list_models(ctx, parse(name, arguments)?).await,
        "describe_model" => context::describe_model(ctx, parse(name, arguments)?).await,
        "search_records" => read::search(ctx, parse(name, arguments)?).await,
        "get_record" => read::get(ctx, parse(name, arguments)?).await,
        "count_records" => read::count(ctx, parse(name, arguments)?).await,
        "aggregate_records" => read::aggregate(ctx, parse(name, arguments)?).await,
        "create_record" => write::create(ctx, parse(name, arguments)?).await,
        "update_record" => write::update(ctx, parse(name, arguments)?).await,
        "delete_record" => write::delete(ctx, parse(name, arguments)?).await,
        "execute_method" => execute::run(ctx, parse(name, arguments)?).await,
        GET_APPROVAL_STATUS => {
            let args: args::GetApprovalStatus = parse(name, arguments)?;
            approvals::status(ctx.state, ctx.principal, &args.approval_id).await
        }
        other => Err(ToolError::UnknownTool(other.to_owned())),
    }
}

fn parse<T: DeserializeOwned>(
    tool: &'static str,
    arguments: Map<String, Value>,
) -> Result<T, ToolError> {
    serde_json::from_value(Value::Object(arguments))
        .map_err(|e| ToolError::invalid(tool, e.to_string()))
}

/// Builds a kwargs map from `(name, value)` pairs, leaving out absent values.
fn kwargs<const N: usize>(pairs: [(&str, Option<Value>); N]) -> Map<String, Value> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect()
}

fn checked<T>(tool: &'static str, result: Result<T, String>) -> Result<T, ToolError> {
    result.map_err(|reason| ToolError::invalid(tool, reason))
}
