//! The tools themselves: each parses its arguments, checks them, and calls Odoo as the
//! connection's user. Policy (scope, allowed tools and models, approvals) is applied before
//! any of this runs ([`super::admit`]); `get_approval_status` belongs to the approvals.

mod context;
mod execute;
mod read;
mod values;
mod write;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::context::ToolContext;
use super::error::ToolError;
use crate::catalog::{ToolSpec, args};

/// A call whose arguments parsed into its tool's type: the one place a tool's name meets its
/// argument type and its code.
enum Parsed {
    Context,
    ListModels(args::ListModels),
    DescribeModel(args::DescribeModel),
    Search(args::SearchRecords),
    Get(args::GetRecord),
    Count(args::CountRecords),
    Aggregate(args::AggregateRecords),
    Create(args::CreateRecord),
    Update(args::UpdateRecord),
    Delete(args::DeleteRecord),
    Execute(args::ExecuteMethod),
}

fn parse_call(name: &'static str, arguments: Map<String, Value>) -> Result<Parsed, ToolError> {
    Ok(match name {
        "get_current_context" => {
            let _: args::NoArgs = parse(name, arguments)?;
            Parsed::Context
        }
        "list_models" => Parsed::ListModels(parse(name, arguments)?),
        "describe_model" => Parsed::DescribeModel(parse(name, arguments)?),
        "search_records" => Parsed::Search(parse(name, arguments)?),
        "get_record" => Parsed::Get(parse(name, arguments)?),
        "count_records" => Parsed::Count(parse(name, arguments)?),
        "aggregate_records" => Parsed::Aggregate(parse(name, arguments)?),
        "create_record" => Parsed::Create(parse(name, arguments)?),
        "update_record" => Parsed::Update(parse(name, arguments)?),
        "delete_record" => Parsed::Delete(parse(name, arguments)?),
        "execute_method" => Parsed::Execute(parse(name, arguments)?),
        other => return Err(ToolError::UnknownTool(other.to_owned())),
    })
}

pub async fn run(
    spec: &'static ToolSpec,
    ctx: &ToolContext<'_>,
    arguments: Map<String, Value>,
) -> Result<Value, ToolError> {
    match parse_call(spec.name, arguments)? {
        Parsed::Context => context::current(ctx).await,
        Parsed::ListModels(a) => context::list_models(ctx, a).await,
        Parsed::DescribeModel(a) => context::describe_model(ctx, a).await,
        Parsed::Search(a) => read::search(ctx, a).await,
        Parsed::Get(a) => read::get(ctx, a).await,
        Parsed::Count(a) => read::count(ctx, a).await,
        Parsed::Aggregate(a) => read::aggregate(ctx, a).await,
        Parsed::Create(a) => write::create(ctx, a).await,
        Parsed::Update(a) => write::update(ctx, a).await,
        Parsed::Delete(a) => write::delete(ctx, a).await,
        Parsed::Execute(a) => execute::run(ctx, a).await,
    }
}

/// What a held call must pass before it is filed for approval: its arguments parse into the
/// tool's type (`dry_run: 1` does not), and every check that changes nothing passes (names, ids,
/// values against Odoo's field metadata), so a request that could never run never reaches an
/// approver, nor becomes an Odoo activity.
pub async fn precheck(
    spec: &'static ToolSpec,
    ctx: &ToolContext<'_>,
    arguments: &Map<String, Value>,
) -> Result<(), ToolError> {
    match parse_call(spec.name, arguments.clone())? {
        Parsed::Create(a) => write::check_create(ctx, &a).await.map(drop),
        Parsed::Update(a) => write::check_update(ctx, &a).await,
        Parsed::Delete(a) => write::check_delete(&a),
        Parsed::Execute(a) => execute::check(&a),
        _ => Ok(()),
    }
}

/// Parses a tool's arguments into its argument type, naming the argument at fault.
pub fn parse<T: DeserializeOwned>(
    tool: &'static str,
    arguments: Map<String, Value>,
) -> Result<T, ToolError> {
    // The path names the argument at fault: "dry_run: invalid type: integer `1`, expected a
    // boolean", not serde's bare message.
    serde_path_to_error::deserialize(Value::Object(arguments)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ToolError::invalid(tool, inner.to_string())
        } else {
            ToolError::invalid(tool, format!("{path}: {inner}"))
        }
    })
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
