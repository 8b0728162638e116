//! A model's fields as the calling user sees them, read with `fields_get` on a cache miss: the
//! Allowed Models check follows dotted paths through them hop by hop, and the write tools check
//! values against them.

use serde_json::{Map, Value, json};

use super::ToolContext;
use super::error::ToolError;
use crate::odoo::fields::{ATTRIBUTES, Fields};
use crate::policy::{self, models::Touched};

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

/// What stops a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Blocked {
    /// A hop reaches this model, which Allowed Models does not admit.
    Model(String),
    /// A hop names this hidden field of this model (Field limits).
    Field { model: String, field: String },
}

/// The first thing on `touched`'s path (starting at `model`) that the connection's policy
/// refuses, if any: a hidden field on any hop, or a model outside Allowed Models reached by a
/// hop (or by the last field, when its related model is read). Each hop's metadata is read only
/// after that hop's model was admitted, so a forbidden model is never queried, not even for
/// its fields; and only as far as a rule still needs it.
pub(crate) async fn first_blocked(
    ctx: &ToolContext<'_>,
    model: &str,
    touched: &Touched,
) -> Result<Option<Blocked>, ToolError> {
    let policy = &ctx.principal.connection.policy;
    let hops: Vec<&str> = touched.path.split('.').collect();
    let mut current = model.to_owned();
    for (i, field) in hops.iter().enumerate() {
        if policy::fields::hidden(policy, &current, field) {
            return Ok(Some(Blocked::Field {
                model: current,
                field: (*field).to_owned(),
            }));
        }
        let last = i + 1 == hops.len();
        let models_matter = !policy.allowed_models.is_empty() && (!last || touched.reads_target);
        if last && !models_matter {
            return Ok(None);
        }
        let fields = of(ctx, &current).await?;
        // A non-relational or unknown field ends the walk; Odoo reports a bad path itself.
        let Some(next) = fields.get(*field).and_then(|f| f.relation.clone()) else {
            return Ok(None);
        };
        if models_matter && !policy.allowed_models.allows(&next) {
            return Ok(Some(Blocked::Model(next)));
        }
        current = next;
    }
    Ok(None)
}
