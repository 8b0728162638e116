//! Read tools: search, read one record, count, and grouped totals. Results are compact: explicit
//! field lists and bounded page sizes keep them inside a client's context window.

use serde_json::{Value, json};

use super::args::{AggregateRecords, CountRecords, GetRecord, SearchRecords};
use super::{ToolContext, checked, kwargs, validate};
use crate::mcp::error::ToolError;

const SEARCH_DEFAULT_LIMIT: u32 = 20;
const SEARCH_MAX_LIMIT: u32 = 200;
const GROUPS_DEFAULT_LIMIT: u32 = 80;
const GROUPS_MAX_LIMIT: u32 = 500;
const RECORD_DEFAULT_FIELDS: usize = 40;
/// Field types left out of a record read without an explicit field list: images and files are
/// large, and x2many lists can run to thousands of ids.
const BULKY_TYPES: &[&str] = &["binary", "image", "one2many", "many2many"];

pub async fn search(ctx: &ToolContext<'_>, args: SearchRecords) -> Result<Value, ToolError> {
    const TOOL: &str = "search_records";
    let model = checked(TOOL, validate::model(&args.model))?;
    let domain = args.domain.unwrap_or_default();
    checked(TOOL, validate::domain(&domain))?;
    let fields = args.fields.unwrap_or_else(|| vec!["display_name".into()]);
    checked(TOOL, validate::fields(&fields))?;
    let limit = checked(
        TOOL,
        validate::limit(args.limit, SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT),
    )?;
    let offset = args.offset.unwrap_or(0);
    if let Some(order) = &args.order {
        checked(TOOL, validate::order(order))?;
    }
    let records = ctx
        .call(
            model,
            "search_read",
            None,
            kwargs([
                ("domain", Some(json!(domain))),
                ("fields", Some(json!(fields))),
                ("limit", Some(json!(limit))),
                ("offset", Some(json!(offset))),
                ("order", args.order.map(Value::String)),
            ]),
        )
        .await?;
    let count = records.as_array().map_or(0, Vec::len);
    let more = count == limit as usize;
    Ok(json!({
        "model": model,
        "count": count,
        "offset": offset,
        "records": records,
        "next_offset": more.then_some(offset as usize + count),
    }))
}

pub async fn get(ctx: &ToolContext<'_>, args: GetRecord) -> Result<Value, ToolError> {
    const TOOL: &str = "get_record";
    let model = checked(TOOL, validate::model(&args.model))?;
    checked(TOOL, validate::ids(&[args.id]))?;
    let fields = match args.fields {
        Some(fields) => {
            checked(TOOL, validate::fields(&fields))?;
            fields
        }
        None => default_fields(ctx, model).await?,
    };
    let rows = ctx
        .call(
            model,
            "read",
            Some(vec![args.id]),
            kwargs([("fields", Some(json!(fields)))]),
        )
        .await?;
    match rows.as_array().and_then(|r| r.first()) {
        Some(record) => Ok(json!({ "model": model, "record": record })),
        None => Err(ToolError::NotFound(format!(
            "{model} record {} does not exist, or this user cannot see it.",
            args.id
        ))),
    }
}

/// Stored, non-bulky fields, the usual identifying ones first, at most [`RECORD_DEFAULT_FIELDS`].
async fn default_fields(ctx: &ToolContext<'_>, model: &str) -> Result<Vec<String>, ToolError> {
    let meta = ctx
        .call(
            model,
            "fields_get",
            None,
            kwargs([("attributes", Some(json!(["type", "store"])))]),
        )
        .await?;
    let Value::Object(meta) = meta else {
        return Err(ToolError::Internal(
            "fields_get did not return an object".into(),
        ));
    };
    let mut names: Vec<String> = meta
        .iter()
        .filter(|(_, m)| m.get("store") != Some(&Value::Bool(false)))
        .filter(|(_, m)| {
            m.get("type")
                .and_then(Value::as_str)
                .is_none_or(|t| !BULKY_TYPES.contains(&t))
        })
        .map(|(name, _)| name.clone())
        .collect();
    let rank = |n: &str| match n {
        "id" => 0,
        "display_name" => 1,
        "name" => 2,
        _ => 3,
    };
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    names.truncate(RECORD_DEFAULT_FIELDS);
    Ok(names)
}

pub async fn count(ctx: &ToolContext<'_>, args: CountRecords) -> Result<Value, ToolError> {
    const TOOL: &str = "count_records";
    let model = checked(TOOL, validate::model(&args.model))?;
    let domain = args.domain.unwrap_or_default();
    checked(TOOL, validate::domain(&domain))?;
    let count = ctx
        .call(
            model,
            "search_count",
            None,
            kwargs([("domain", Some(json!(domain)))]),
        )
        .await?;
    Ok(json!({ "model": model, "count": count }))
}

pub async fn aggregate(ctx: &ToolContext<'_>, args: AggregateRecords) -> Result<Value, ToolError> {
    const TOOL: &str = "aggregate_records";
    const PERIODS: &[&str] = &["day", "week", "month", "quarter", "year"];
    const FUNCTIONS: &[&str] = &["sum", "avg", "min", "max", "count", "count_distinct"];
    let model = checked(TOOL, validate::model(&args.model))?;
    let domain = args.domain.unwrap_or_default();
    checked(TOOL, validate::domain(&domain))?;
    if args.group_by.is_empty() {
        return Err(ToolError::invalid(
            TOOL,
            "group_by needs at least one field",
        ));
    }
    for g in &args.group_by {
        checked(TOOL, validate::qualified_field(g, PERIODS))?;
    }
    let aggregates = args.aggregates.unwrap_or_default();
    for a in &aggregates {
        checked(TOOL, validate::qualified_field(a, FUNCTIONS))?;
    }
    let limit = checked(
        TOOL,
        validate::limit(args.limit, GROUPS_DEFAULT_LIMIT, GROUPS_MAX_LIMIT),
    )?;
    if let Some(order) = &args.order {
        checked(TOOL, validate::order(order))?;
    }
    let groups = ctx
        .call(
            model,
            "read_group",
            None,
            kwargs([
                ("domain", Some(json!(domain))),
                ("fields", Some(json!(aggregates))),
                ("groupby", Some(json!(args.group_by))),
                ("offset", args.offset.map(|o| json!(o))),
                ("limit", Some(json!(limit))),
                ("orderby", args.order.map(Value::String)),
                ("lazy", Some(json!(false))),
            ]),
        )
        .await?;
    let groups: Vec<Value> = groups
        .as_array()
        .map(|gs| gs.iter().map(compact_group).collect())
        .unwrap_or_default();
    Ok(json!({ "model": model, "group_count": groups.len(), "groups": groups }))
}

/// Drops read_group's internal keys (`__domain`, `__context`, `__range`, `__fold`); keeps `__count`.
fn compact_group(group: &Value) -> Value {
    match group {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.starts_with("__") || *k == "__count")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_their_values_and_count_only() {
        let g = json!({"state": "sale", "amount_total": 10.0, "__count": 2,
                       "__domain": [["state", "=", "sale"]], "__fold": false});
        assert_eq!(
            compact_group(&g),
            json!({"state": "sale", "amount_total": 10.0, "__count": 2})
        );
    }
}
