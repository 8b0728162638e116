//! Telling the approver in Odoo: a `mail.activity` on the target record when the call names one
//! and its model has activities, else on the approver's own partner. When Odoo refuses (or the
//! `mail` module is not installed) the request still stands and the warning is kept.

use serde_json::{Map, Value, json};

use crate::calls::{ToolContext, activity, text};
use crate::store::{ApprovalRow, OdooUserRow};

pub(super) struct Notified {
    /// Comma-separated ids of the activities created.
    pub ids: String,
    pub warning: Option<String>,
}

pub(super) async fn notify(
    ctx: &ToolContext<'_>,
    row: &ApprovalRow,
    approvers: &[OdooUserRow],
    link: &str,
    arguments: &Map<String, Value>,
) -> Notified {
    let mut ids = Vec::new();
    let mut warnings = Vec::new();
    if approvers.is_empty() {
        warnings.push("No approver to notify: no MCP Administrator is set up.".to_owned());
    }
    for approver in approvers {
        match create(ctx, row, approver, link, arguments).await {
            Ok(id) => ids.push(id.to_string()),
            Err(e) => warnings.push(format!("No Odoo activity for {}: {e}", approver.login)),
        }
    }
    Notified {
        ids: ids.join(","),
        warning: (!warnings.is_empty()).then(|| warnings.join(" ")),
    }
}

async fn create(
    ctx: &ToolContext<'_>,
    row: &ApprovalRow,
    approver: &OdooUserRow,
    link: &str,
    arguments: &Map<String, Value>,
) -> Result<i64, String> {
    let (res_model, res_id) = match target(ctx, arguments).await {
        Some(target) => target,
        None => (
            "res.partner".to_owned(),
            partner_of(ctx, approver.odoo_uid).await?,
        ),
    };
    let activity_type = activity::first_type(ctx).await.map_err(|e| e.to_string())?;
    let deadline = chrono::DateTime::from_timestamp_millis(row.expires_at)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let mut vals = json!({
        "res_id": res_id,
        "user_id": approver.odoo_uid,
        "summary": format!("MCP approval needed: {}", row.tool),
        "note": format!("<p>{}</p><p><a href=\"{link}\">Review and decide</a></p>", text::escape(&row.summary)),
        "date_deadline": deadline,
    });
    if let Some(type_id) = activity_type {
        vals["activity_type_id"] = json!(type_id);
    }
    activity::create(ctx, &res_model, vals)
        .await
        .map_err(|e| e.to_string())
}

/// The first record the call names (`ids`, or the chatter tools' `id`), when its model carries
/// activities.
async fn target(ctx: &ToolContext<'_>, arguments: &Map<String, Value>) -> Option<(String, i64)> {
    let model = arguments.get("model")?.as_str()?;
    let id = match arguments.get("ids") {
        Some(ids) => ids.as_array()?.first()?.as_i64()?,
        None => arguments.get("id")?.as_i64()?,
    };
    activity::has_field(ctx, model, "activity_ids")
        .await
        .ok()?
        .then(|| (model.to_owned(), id))
}

async fn partner_of(ctx: &ToolContext<'_>, uid: i64) -> Result<i64, String> {
    let mut kwargs = Map::new();
    kwargs.insert("fields".into(), json!(["partner_id"]));
    let rows = ctx
        .call("res.users", "read", Some(vec![uid]), kwargs)
        .await
        .map_err(|e| e.to_string())?;
    rows.get(0)
        .and_then(|r| r.get("partner_id"))
        .and_then(|p| p.get(0).and_then(Value::as_i64).or_else(|| p.as_i64()))
        .ok_or_else(|| "the approver's partner could not be read".to_owned())
}
