//! Read tools: search, read one record, count, and grouped totals. Results are compact: explicit
//! field lists and bounded page sizes keep them inside a client's context window.

use serde_json::{Map, Value, json};

use super::{checked, kwargs, read_rows, rows};
use crate::calls::{ToolContext, ToolError, records};
use crate::catalog::args::{AggregateRecords, CountRecords, GetRecord, SearchRecords};
use crate::catalog::output::{self, Count, Groups, OneRecord, Records};
use crate::catalog::validate;

const SEARCH_DEFAULT_LIMIT: u32 = 20;
const SEARCH_MAX_LIMIT: u32 = 200;
const GROUPS_DEFAULT_LIMIT: u32 = 80;
const GROUPS_MAX_LIMIT: u32 = 500;
const RECORD_DEFAULT_FIELDS: usize = 40;
/// Field types left out of a record read without an explicit field list: images and files are
/// large, and x2many lists can run to thousands of ids.
const BULKY_TYPES: &[&str] = &["binary", "image", "one2many", "many2many"];

pub(super) async fn search(ctx: &ToolContext<'_>, args: SearchRecords) -> Result<Value, ToolError> {
    const TOOL: &str = "search_records";
    let model = checked(TOOL, validate::model(&args.model))?;
    let domain = args.domain.unwrap_or_default();
    checked(TOOL, validate::domain(&domain))?;
    let domain = records::confined(ctx, model, domain).await?;
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
    let records = rows(
        ctx.call(
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
        .await?,
    );
    let count = records.len();
    let more = count == limit as usize;
    Ok(output::content(&Records {
        model: model.to_owned(),
        count,
        offset,
        records,
        next_offset: more.then_some(offset as usize + count),
    }))
}

pub(super) async fn get(ctx: &ToolContext<'_>, args: GetRecord) -> Result<Value, ToolError> {
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
    match read_rows(ctx, model, &[args.id], &fields)
        .await?
        .into_iter()
        .next()
    {
        Some(record) => Ok(output::content(&OneRecord {
            model: model.to_owned(),
            record,
        })),
        None => Err(ToolError::NotFound(format!(
            "{model} record {} does not exist, or this user cannot see it.",
            args.id
        ))),
    }
}

/// Stored, non-bulky fields, the usual identifying ones first, at most [`RECORD_DEFAULT_FIELDS`];
/// relational fields whose related model is outside the connection's Allowed Models are left out
/// (their values would show that model's record names), and so are hidden fields.
async fn default_fields(ctx: &ToolContext<'_>, model: &str) -> Result<Vec<String>, ToolError> {
    let fields = crate::calls::fields::of(ctx, model).await?;
    let policy = &ctx.principal.connection.policy;
    let mut names: Vec<String> = fields
        .iter()
        .filter(|(_, f)| f.stored && !BULKY_TYPES.contains(&f.kind.as_str()))
        .filter(|(_, f)| {
            f.relation
                .as_deref()
                .is_none_or(|r| policy.allowed_models.allows(r))
        })
        .filter(|(name, _)| !policy.field_limits.hides(model, name))
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

pub(super) async fn count(ctx: &ToolContext<'_>, args: CountRecords) -> Result<Value, ToolError> {
    const TOOL: &str = "count_records";
    let model = checked(TOOL, validate::model(&args.model))?;
    let domain = args.domain.unwrap_or_default();
    checked(TOOL, validate::domain(&domain))?;
    let domain = records::confined(ctx, model, domain).await?;
    let count = ctx
        .call(
            model,
            "search_count",
            None,
            kwargs([("domain", Some(json!(domain)))]),
        )
        .await?;
    let count = count
        .as_i64()
        .ok_or_else(|| ToolError::Internal("search_count did not return a number".into()))?;
    Ok(output::content(&Count {
        model: model.to_owned(),
        count,
    }))
}

pub(super) async fn aggregate(
    ctx: &ToolContext<'_>,
    args: AggregateRecords,
) -> Result<Value, ToolError> {
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
    let domain = records::confined(ctx, model, domain).await?;
    let modern = ctx.odoo_19_api().await;
    let groups = if modern {
        // Odoo 19 deprecates read_group for formatted_read_group, which names aggregates and
        // orders by them as "field:function" and counts only when asked.
        let mut specs = aggregates.clone();
        specs.push("__count".into());
        let order = args.order.map(|o| qualify_order(&o, &aggregates));
        ctx.call(
            model,
            "formatted_read_group",
            None,
            kwargs([
                ("domain", Some(json!(domain))),
                ("groupby", Some(json!(args.group_by))),
                ("aggregates", Some(json!(specs))),
                ("offset", args.offset.map(|o| json!(o))),
                ("limit", Some(json!(limit))),
                ("order", order.map(Value::String)),
            ]),
        )
        .await?
    } else {
        ctx.call(
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
        .await?
    };
    let groups: Vec<Map<String, Value>> = rows(groups)
        .iter()
        .map(|g| compact_group(g, &aggregates))
        .collect();
    Ok(output::content(&Groups {
        model: model.to_owned(),
        group_count: groups.len(),
        groups,
    }))
}

/// `amount_total desc` → `amount_total:sum desc` when `amount_total:sum` is an aggregate: Odoo
/// 19 orders groups by the aggregate's spec, not the bare field.
fn qualify_order(order: &str, aggregates: &[String]) -> String {
    order
        .split(',')
        .map(|part| {
            let part = part.trim();
            let (field, direction) = part.split_once(' ').unwrap_or((part, ""));
            let spec = aggregates
                .iter()
                .find(|a| a.split_once(':').is_some_and(|(f, _)| f == field));
            match spec {
                Some(spec) => format!("{spec} {direction}").trim_end().to_owned(),
                None => part.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One group as the tool returns it on every version: the group-by values, each aggregate under
/// its field's name (Odoo 19 keys them "field:function"), and `__count`; Odoo's internal keys
/// (`__domain`, `__extra_domain`, `__context`, `__range`, `__fold`) are dropped.
fn compact_group(group: &Map<String, Value>, aggregates: &[String]) -> Map<String, Value> {
    let renamed = |key: &str| {
        aggregates
            .iter()
            .find(|a| a.as_str() == key)
            .and_then(|a| a.split_once(':'))
            .map_or_else(|| key.to_owned(), |(field, _)| field.to_owned())
    };
    group
        .iter()
        .filter(|(k, _)| !k.starts_with("__") || *k == "__count")
        .map(|(k, v)| (renamed(k), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(group: &Value, aggregates: &[String]) -> Value {
        Value::Object(compact_group(group.as_object().unwrap(), aggregates))
    }

    #[test]
    fn groups_keep_their_values_and_count_only() {
        let g = json!({"state": "sale", "amount_total": 10.0, "__count": 2,
                       "__domain": [["state", "=", "sale"]], "__fold": false});
        assert_eq!(
            compact(&g, &["amount_total:sum".into()]),
            json!({"state": "sale", "amount_total": 10.0, "__count": 2})
        );
    }

    #[test]
    fn odoo_19_groups_read_like_older_ones() {
        let g = json!({"state": "sale", "__extra_domain": [["state", "=", "sale"]],
                       "amount_total:sum": 23670.5, "__count": 19});
        assert_eq!(
            compact(&g, &["amount_total:sum".into()]),
            json!({"state": "sale", "amount_total": 23670.5, "__count": 19})
        );
        let aggregates = ["amount_total:sum".to_owned()];
        assert_eq!(
            qualify_order("amount_total desc, state", &aggregates),
            "amount_total:sum desc, state"
        );
        assert_eq!(qualify_order("__count desc", &aggregates), "__count desc");
    }
}
