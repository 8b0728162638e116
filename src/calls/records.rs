//! Record limits in a call: the placeholders bound for it, searches confined, and the records a
//! call names checked against the limit with one `search` (archived records included: the
//! limit, not the `active` flag, decides).

use serde_json::{Map, Value, json};

use super::ToolContext;
use super::companies;
use super::error::ToolError;
use crate::policy::records;
use crate::values::{Bindings, DomainTemplate};

/// What the placeholders of `limit` stand for in this call; the companies are read only when
/// the limit names them.
async fn bindings(ctx: &ToolContext<'_>, limit: &DomainTemplate) -> Result<Bindings, ToolError> {
    let company_ids = if limit.uses_companies() {
        companies::pinned(ctx).await?
    } else {
        Vec::new()
    };
    Ok(Bindings {
        uid: ctx.principal.credential.uid,
        company_ids,
    })
}

/// `domain` confined to `model`'s Record limit, when it has one.
pub(crate) async fn confined(
    ctx: &ToolContext<'_>,
    model: &str,
    domain: Vec<Value>,
) -> Result<Vec<Value>, ToolError> {
    match ctx.principal.connection.policy.record_limits.of(model) {
        Some(limit) => Ok(records::confine(
            limit,
            domain,
            &bindings(ctx, limit).await?,
        )),
        None => Ok(domain),
    }
}

/// Those of `ids` inside `model`'s Record limit (all of them when it has none).
pub(crate) async fn inside(
    ctx: &ToolContext<'_>,
    model: &str,
    ids: &[i64],
) -> Result<Vec<i64>, ToolError> {
    let Some(limit) = ctx.principal.connection.policy.record_limits.of(model) else {
        return Ok(ids.to_vec());
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let domain = records::inside(limit, ids, &bindings(ctx, limit).await?);
    let mut kwargs = Map::new();
    kwargs.insert("domain".into(), json!(domain));
    kwargs.insert("context".into(), json!({"active_test": false}));
    let found = ctx.call(model, "search", None, kwargs).await?;
    Ok(found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_i64)
        .collect())
}

/// Refuses the call when any of `ids` lies outside `model`'s Record limit, naming them.
pub(crate) async fn check(
    ctx: &ToolContext<'_>,
    model: &str,
    ids: &[i64],
) -> Result<(), ToolError> {
    // Without a limit, or without ids, `inside` finds every id without asking Odoo.
    let found = inside(ctx, model, ids).await?;
    Ok(records::outside(model, ids, &found)?)
}

/// Those of `items` whose record lies inside its model's Record limit, in order: one search
/// per confined model among them.
pub(crate) async fn keep_inside<T>(
    ctx: &ToolContext<'_>,
    items: Vec<T>,
    record: impl Fn(&T) -> (&str, i64),
) -> Result<Vec<T>, ToolError> {
    let limits = &ctx.principal.connection.policy.record_limits;
    let mut kept_ids: Vec<(String, Vec<i64>)> = Vec::new();
    for (model, _) in limits.iter() {
        let ids: Vec<i64> = items
            .iter()
            .map(&record)
            .filter(|(m, _)| *m == model)
            .map(|(_, id)| id)
            .collect();
        if !ids.is_empty() {
            kept_ids.push((model.to_owned(), inside(ctx, model, &ids).await?));
        }
    }
    Ok(items
        .into_iter()
        .filter(|item| {
            let (model, id) = record(item);
            kept_ids
                .iter()
                .find(|(m, _)| m == model)
                .is_none_or(|(_, kept)| kept.contains(&id))
        })
        .collect())
}
