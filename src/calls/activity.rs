//! Odoo's activities and chatter as the user, for the chatter tools and for the approvals (which
//! file an activity for the approver): whether a model has them, the default activity type, and
//! creating an activity without reading `ir.model`.

use serde_json::{Map, Value, json};

use super::ToolContext;
use super::error::ToolError;

/// Whether `model` has the field `field` (`message_ids`: a chatter; `activity_ids`: activities).
pub(crate) async fn has_field(
    ctx: &ToolContext<'_>,
    model: &str,
    field: &str,
) -> Result<bool, ToolError> {
    let mut kwargs = Map::new();
    kwargs.insert("allfields".into(), json!([field]));
    kwargs.insert("attributes".into(), json!(["type"]));
    let meta = ctx.call(model, "fields_get", None, kwargs).await?;
    Ok(meta.get(field).is_some())
}

/// The activity type Odoo lists first (its own default in the web client).
pub(crate) async fn first_type(ctx: &ToolContext<'_>) -> Result<Option<i64>, ToolError> {
    let mut kwargs = Map::new();
    kwargs.insert("domain".into(), json!([]));
    kwargs.insert("limit".into(), json!(1));
    kwargs.insert("order".into(), json!("sequence, id"));
    let ids = ctx
        .call("mail.activity.type", "search", None, kwargs)
        .await?;
    Ok(first_id(&ids))
}

/// Odoo's words when two transactions subscribe the same follower at once.
const FOLLOWER_RACE: &str = "a partner cannot follow twice the same object";

/// Creates one activity on `res_model` from `vals` (with `res_id`); its id.
///
/// No `res_model_id`: reading `ir.model` needs Access Rights administration, and Odoo fills it
/// from `default_res_model` for any user who may create the activity.
pub(crate) async fn create(
    ctx: &ToolContext<'_>,
    res_model: &str,
    vals: Value,
) -> Result<i64, ToolError> {
    let mut kwargs = Map::new();
    kwargs.insert("vals_list".into(), json!([vals]));
    kwargs.insert("context".into(), json!({ "default_res_model": res_model }));
    let created = match ctx
        .call("mail.activity", "create", None, kwargs.clone())
        .await
    {
        // Odoo subscribes the assignee as a follower; two activities filed on one record at
        // the same moment race on the followers' unique key, and the loser's transaction is
        // rolled back whole, so filing it once more is safe.
        Err(ToolError::Odoo(e)) if e.to_string().contains(FOLLOWER_RACE) => {
            ctx.call("mail.activity", "create", None, kwargs).await?
        }
        other => other?,
    };
    first_id(&created)
        .ok_or_else(|| ToolError::Internal("Odoo did not return the activity id".into()))
}

/// The id Odoo answered: a bare id (JSON-RPC up to 18) or a list of one (19).
pub(crate) fn first_id(value: &Value) -> Option<i64> {
    match value {
        Value::Array(ids) => ids.first().and_then(Value::as_i64),
        other => other.as_i64(),
    }
}
