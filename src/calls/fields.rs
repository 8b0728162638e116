//! A model's fields as the calling user sees them, read with `fields_get` on a cache miss: the
//! Allowed Models check follows dotted paths through them hop by hop, and the write tools check
//! values against them.

use serde_json::{Map, Value, json};

use super::ToolContext;
use super::error::ToolError;
use crate::odoo::fields::{ATTRIBUTES, Fields};
use crate::policy::models::Touched;

/// The fields of `model` as the context's user sees them.
pub(crate) async fn of(ctx: &ToolContext<'_>, model: &str) -> Result<Fields, ToolError> {
    let uid = ctx.principal.credential.uid;
    if let Some(fields) = ctx.state.fields.get(uid, model).await {
        return Ok(fields);
    }
    let mut kwargs = Map::new();
    kwargs.insert("attributes".into(), json!(ATTRIBUTES));
    let Value::Object(answer) = ctx.call(model, "fields_get", None, kwargs).await? else {
        return Err(ToolError::Internal(
            format!("fields_get of {model} did not return an object").into(),
        ));
    };
    Ok(ctx.state.fields.put(uid, model, &answer).await)
}

/// The first model on `touched`'s path (starting at `model`) that `allowed` refuses, if any:
/// every hop's related model, and the last field's when its related model is read. Each hop's
/// metadata is read only after that hop's model was admitted, so a forbidden model is never
/// queried, not even for its fields.
pub(crate) async fn first_forbidden(
    ctx: &ToolContext<'_>,
    model: &str,
    touched: &Touched,
    allowed: impl Fn(&str) -> bool,
) -> Result<Option<String>, ToolError> {
    let hops: Vec<&str> = touched.path.split('.').collect();
    let walked = if touched.reads_target {
        hops.len()
    } else {
        hops.len() - 1
    };
    let mut current = model.to_owned();
    for field in &hops[..walked] {
        let fields = of(ctx, &current).await?;
        // A non-relational or unknown field ends the walk; Odoo reports a bad path itself.
        let Some(next) = fields.get(*field).and_then(|f| f.relation.clone()) else {
            return Ok(None);
        };
        if !allowed(&next) {
            return Ok(Some(next));
        }
        current = next;
    }
    Ok(None)
}
