//! The plain-English line a person reads before deciding: "Delete 3 records of Contact
//! (res.partner): Azure Interior, Deco Addict, Gemini Furniture".

use serde_json::{Map, Value, json};

use crate::calls::ToolContext;
use crate::catalog::ToolSpec;

const NAMES_SHOWN: usize = 5;

pub(super) async fn describe(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
) -> String {
    let model = arguments
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("?");
    // `ids` for the record tools, `id` for the chatter tools, `records[].id` for update_records.
    let records = arguments.get("records").and_then(Value::as_array);
    let ids: Vec<i64> = match (arguments.get("ids"), arguments.get("id")) {
        (Some(ids), _) => ids
            .as_array()
            .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default(),
        (None, Some(id)) => id.as_i64().into_iter().collect(),
        (None, None) => records
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("id").and_then(Value::as_i64))
            .collect(),
    };
    let quoted = |key: &str| {
        arguments
            .get(key)
            .and_then(Value::as_str)
            .map(|t| {
                format!(
                    ": \"{}\"",
                    crate::catalog::validate::truncate(t.trim(), 120)
                )
            })
            .unwrap_or_default()
    };
    let label = model_label(ctx, model).await;
    let target = format!("{label} ({model})");
    let names = record_names(ctx, model, &ids).await;
    let field_list = |key: &str| {
        arguments
            .get(key)
            .and_then(Value::as_object)
            .map(|v| v.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    };
    match spec.name {
        "delete_record" => format!("Delete {} of {target}{names}", records_word(ids.len())),
        "update_record" => format!(
            "Update {} of {target}{names}: set {}",
            records_word(ids.len()),
            field_list("values")
        ),
        "create_record" => {
            let name = arguments
                .get("values")
                .and_then(|v| v.get("name"))
                .and_then(Value::as_str)
                .map(|n| format!(" \"{n}\""))
                .unwrap_or_default();
            format!(
                "Create a {label}{name} ({model}) with {}",
                field_list("values")
            )
        }
        "execute_method" => {
            let method = arguments
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or("?");
            if ids.is_empty() {
                format!("Run {method} on {target}")
            } else {
                format!(
                    "Run {method} on {} of {target}{names}",
                    records_word(ids.len())
                )
            }
        }
        "create_records" => {
            let records = records.map(Vec::as_slice).unwrap_or_default();
            let names: Vec<&str> = records
                .iter()
                .filter_map(|r| r.get("name").and_then(Value::as_str))
                .take(NAMES_SHOWN)
                .collect();
            let shown = if names.is_empty() {
                String::new()
            } else {
                let more = records.len().saturating_sub(names.len());
                let tail = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                format!(": {}{tail}", names.join(", "))
            };
            format!("Create {} of {target}{shown}", records_word(records.len()))
        }
        "update_records" => {
            let mut set: Vec<String> = Vec::new();
            let mut add = |values: Option<&Value>| {
                for key in values
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|v| v.keys())
                {
                    if !set.contains(key) {
                        set.push(key.clone());
                    }
                }
            };
            add(arguments.get("values"));
            for record in records.into_iter().flatten() {
                add(record.get("values"));
            }
            format!(
                "Update {} of {target}{names}: set {}",
                records_word(ids.len()),
                set.join(", ")
            )
        }
        "run_action" => {
            let action = arguments
                .get("action")
                .and_then(Value::as_str)
                .unwrap_or("?");
            let wizard = arguments
                .get("wizard")
                .and_then(|w| w.get("button"))
                .and_then(Value::as_str)
                .map(|b| format!(", then {b} in the wizard it opens"))
                .unwrap_or_default();
            format!("Press {action} on {target}{names}{wizard}")
        }
        "post_message" => format!(
            "Post a message to the followers of {target}{names}{}",
            quoted("body")
        ),
        "post_note" => format!("Log an internal note on {target}{names}{}", quoted("body")),
        "schedule_activity" => format!(
            "Schedule {} on {target}{names}{}",
            arguments
                .get("activity_type")
                .and_then(Value::as_str)
                .map_or_else(|| "an activity".to_owned(), |t| format!("a {t}")),
            quoted("summary")
        ),
        "complete_activity" => format!(
            "Mark activity {} done{}",
            arguments.get("activity_id").unwrap_or(&Value::Null),
            quoted("feedback")
        ),
        "upload_attachment" => format!(
            "Attach the file \"{}\" to {target}{names}",
            arguments.get("name").and_then(Value::as_str).unwrap_or("?")
        ),
        other => format!("Call {other} on {target}"),
    }
}

fn records_word(n: usize) -> String {
    if n == 1 {
        "1 record".into()
    } else {
        format!("{n} records")
    }
}

/// The model's label ("Contact" for res.partner) from `ir.model.display_name_for`, which any
/// internal user may call; the technical name when Odoo won't say.
async fn model_label(ctx: &ToolContext<'_>, model: &str) -> String {
    let mut kwargs = Map::new();
    kwargs.insert("models".into(), json!([model]));
    ctx.call("ir.model", "display_name_for", None, kwargs)
        .await
        .ok()
        .and_then(|rows| {
            rows.as_array()?
                .iter()
                .find(|r| r.get("model").and_then(Value::as_str) == Some(model))?
                .get("display_name")?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| model.to_owned())
}

/// ": Azure Interior, Deco Addict, … and 2 more", or nothing when names cannot be read.
async fn record_names(ctx: &ToolContext<'_>, model: &str, ids: &[i64]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let mut kwargs = Map::new();
    kwargs.insert("fields".into(), json!(["display_name"]));
    let shown = &ids[..ids.len().min(NAMES_SHOWN)];
    let Ok(rows) = ctx.call(model, "read", Some(shown.to_vec()), kwargs).await else {
        return String::new();
    };
    let names: Vec<&str> = rows
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("display_name").and_then(Value::as_str))
        .collect();
    if names.is_empty() {
        return String::new();
    }
    let more = ids.len().saturating_sub(names.len());
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!(": {}{tail}", names.join(", "))
}
