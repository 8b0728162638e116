//! The tools themselves: each parses its arguments, checks them, and calls Odoo as the
//! connection's user. Policy (scope, allowed tools and models, approvals) is applied before
//! any of this runs ([`super::admit`]); `get_approval_status` belongs to the approvals.

mod actions;
mod activities;
mod bulk;
mod chatter;
mod condition;
mod context;
mod execute;
mod files;
mod form;
mod read;
mod report;
mod values;
mod write;

use serde_json::{Map, Value};

use chatter::Audience;
pub(crate) use context::available_models;
pub(crate) use files::{attach, content as attachment_content};
pub(crate) use report::render as render_report;

use super::context::ToolContext;
use super::error::ToolError;
use crate::catalog::{Call, Parsed, ToolSpec};

/// Parses a call's arguments into its tool's type, naming the argument at fault.
pub(crate) fn parse(spec: &ToolSpec, arguments: Map<String, Value>) -> Result<Parsed, ToolError> {
    spec.tool
        .parse(arguments)
        .map_err(|bad| ToolError::invalid(spec.name, bad.0))
}

/// Runs a parsed call in Odoo as the context's user.
pub(crate) async fn run(ctx: &ToolContext<'_>, call: Call) -> Result<Value, ToolError> {
    match call {
        Call::GetCurrentContext(_) => context::current(ctx).await,
        Call::ListModels(a) => context::list_models(ctx, a).await,
        Call::DescribeModel(a) => context::describe_model(ctx, a).await,
        Call::SearchRecords(a) => read::search(ctx, a).await,
        Call::GetRecord(a) => read::get(ctx, a).await,
        Call::CountRecords(a) => read::count(ctx, a).await,
        Call::AggregateRecords(a) => read::aggregate(ctx, a).await,
        Call::CreateRecord(a) => write::create(ctx, a).await,
        Call::UpdateRecord(a) => write::update(ctx, a).await,
        Call::DeleteRecord(a) => write::delete(ctx, a).await,
        Call::ExecuteMethod(a) => execute::run(ctx, a).await,
        Call::CreateRecords(a) => bulk::create(ctx, a).await,
        Call::ListActions(a) => actions::list(ctx, a).await,
        Call::RunAction(a) => actions::run(ctx, a).await,
        Call::UpdateRecords(a) => bulk::update(ctx, a).await,
        Call::PostMessage(a) => chatter::post(ctx, Audience::Followers, a).await,
        Call::PostNote(a) => chatter::post(ctx, Audience::Internal, a).await,
        Call::ReadMessages(a) => chatter::read(ctx, a).await,
        Call::ScheduleActivity(a) => activities::schedule(ctx, a).await,
        Call::CompleteActivity(a) => activities::complete(ctx, a).await,
        Call::ListActivities(a) => activities::list(ctx, a).await,
        Call::ListAttachments(a) => files::list(ctx, a).await,
        Call::GetAttachment(a) => files::get(ctx, a).await,
        Call::UploadAttachment(a) => files::upload(ctx, a).await,
        Call::PrintReport(a) => report::print(ctx, a).await,
        // The approvals answer it themselves (they sit above the tools, which they run).
        Call::GetApprovalStatus(_) => Err(ToolError::Internal(
            "get_approval_status reached the tool runner".into(),
        )),
    }
}

/// What a held call must pass before it is filed for approval: its arguments parsed into the
/// tool's type (`dry_run: 1` does not), and every check that changes nothing passes (names, ids,
/// values against Odoo's field metadata), so a request that could never run never reaches an
/// approver, nor becomes an Odoo activity.
pub(crate) async fn precheck(ctx: &ToolContext<'_>, call: &Call) -> Result<(), ToolError> {
    match call {
        Call::CreateRecord(a) => write::check_create(ctx, a).await.map(drop),
        Call::UpdateRecord(a) => write::check_update(ctx, a).await,
        Call::DeleteRecord(a) => write::check_delete(a),
        Call::ExecuteMethod(a) => execute::check(a),
        Call::CreateRecords(a) => bulk::check_create(ctx, a).await.map(drop),
        Call::RunAction(a) => actions::pressable(ctx, a).await.map(drop),
        Call::UpdateRecords(a) => bulk::check_update(ctx, a).await,
        Call::PostMessage(a) => chatter::precheck_post(ctx, Audience::Followers, a).await,
        Call::PostNote(a) => chatter::precheck_post(ctx, Audience::Internal, a).await,
        Call::ScheduleActivity(a) => activities::precheck_schedule(ctx, a).await,
        Call::CompleteActivity(a) => activities::precheck_complete(ctx, a).await,
        Call::UploadAttachment(a) => files::precheck_upload(ctx, a).await,
        _ => Ok(()),
    }
}

/// Builds a kwargs map from `(name, value)` pairs, leaving out absent values.
fn kwargs<const N: usize>(pairs: [(&str, Option<Value>); N]) -> Map<String, Value> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect()
}

/// The display names of `ids`, in that order, or which of them the user cannot see.
async fn visible_names(
    ctx: &ToolContext<'_>,
    model: &str,
    ids: &[i64],
) -> Result<Vec<String>, ToolError> {
    let rows = ctx
        .call(
            model,
            "search_read",
            None,
            kwargs([
                ("domain", Some(serde_json::json!([["id", "in", ids]]))),
                ("fields", Some(serde_json::json!(["display_name"]))),
            ]),
        )
        .await
        .map(rows)?;
    let missing = write::missing_ids(ids, &rows);
    if !missing.is_empty() {
        let listed: Vec<String> = missing.iter().map(i64::to_string).collect();
        let (noun, verb) = if missing.len() == 1 {
            ("record", "does")
        } else {
            ("records", "do")
        };
        return Err(ToolError::NotFound(format!(
            "{model} {noun} {} {verb} not exist, or this user cannot see {}.",
            listed.join(", "),
            if missing.len() == 1 { "it" } else { "them" }
        )));
    }
    Ok(ids
        .iter()
        .map(|id| {
            rows.iter()
                .find(|r| r.get("id").and_then(Value::as_i64) == Some(*id))
                .and_then(|r| r.get("display_name")?.as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect())
}

/// `fields` of the records `ids` that the user can read.
async fn read_rows(
    ctx: &ToolContext<'_>,
    model: &str,
    ids: &[i64],
    fields: &[impl serde::Serialize],
) -> Result<Vec<Map<String, Value>>, ToolError> {
    ctx.call(
        model,
        "read",
        Some(ids.to_vec()),
        kwargs([("fields", Some(serde_json::json!(fields)))]),
    )
    .await
    .map(rows)
}

/// The rows of a `read` or `search_read`: Odoo answers a list of records, each an object.
fn rows(answer: Value) -> Vec<Map<String, Value>> {
    let Value::Array(rows) = answer else {
        return Vec::new();
    };
    rows.into_iter()
        .filter_map(|row| match row {
            Value::Object(row) => Some(row),
            _ => None,
        })
        .collect()
}

fn checked<T>(tool: &'static str, result: Result<T, String>) -> Result<T, ToolError> {
    result.map_err(|reason| ToolError::invalid(tool, reason))
}
