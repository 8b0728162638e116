//! What tools answer, typed: the structured content a tool returns is one of these, serialised,
//! and its output schema is derived from the same type — with the answer of a call held for
//! approval as the other possibility, since any tool but `get_approval_status` can be held.

use std::sync::Arc;

use rmcp::model::JsonObject;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

mod files;
pub use files::*;

/// A call held for a person's approval: it has not run.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PendingApproval {
    /// Always "pending_approval".
    pub status: &'static str,
    pub approval_id: String,
    /// What the call would do, as the approver reads it.
    pub summary: String,
    /// Who decides.
    pub approver: String,
    /// When the request expires, UTC.
    pub expires_at: String,
    pub message: String,
}

/// A message or note posted on a record's chatter.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Posted {
    pub message_id: i64,
    pub model: String,
    pub id: i64,
    /// An internal note (employees only) rather than a message to followers.
    pub internal: bool,
    /// The contacts mentioned and notified.
    pub partner_ids: Vec<i64>,
}

/// A record's recent messages, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Messages {
    pub model: String,
    pub id: i64,
    pub count: usize,
    pub messages: Vec<Message>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Message {
    pub id: i64,
    /// UTC, "YYYY-MM-DD HH:MM:SS".
    pub date: Option<String>,
    /// The author's name (a contact).
    pub author: Option<String>,
    pub author_id: Option<i64>,
    /// Odoo's message type: comment, email, notification …
    #[serde(rename = "type")]
    pub kind: String,
    /// An internal note, hidden from customers.
    pub internal: bool,
    /// The text, without HTML, cut when long.
    pub text: String,
    pub partner_ids: Vec<i64>,
}

/// An open activity.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Activity {
    pub id: i64,
    /// The record's model and id.
    pub model: String,
    pub record_id: i64,
    pub record_name: Option<String>,
    /// The activity type's name: To-Do, Call …
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub summary: Option<String>,
    /// The note, without HTML, cut when long.
    pub note: Option<String>,
    /// YYYY-MM-DD.
    pub deadline: Option<String>,
    pub assignee: Option<String>,
    pub assignee_id: Option<i64>,
    /// overdue, today or planned.
    pub state: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Scheduled {
    pub activity_id: i64,
    pub activity: Option<Activity>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Completed {
    pub activity_id: i64,
    pub done: bool,
    /// The message Odoo logged on the record's chatter.
    pub message_id: Option<i64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Activities {
    pub count: usize,
    pub activities: Vec<Activity>,
}

/// `create_records`: the records made, or what a dry run found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CreateRecordsAnswer {
    Created(BulkCreated),
    DryRun {
        /// Always true: nothing was created.
        dry_run: bool,
        model: String,
        count: usize,
        records: Vec<PlannedRecord>,
        /// The user's right to create on the model: allowed or denied.
        access: String,
    },
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BulkCreated {
    pub model: String,
    pub count: usize,
    /// The new records' ids, in the order of `records`.
    pub ids: Vec<i64>,
}

/// One record of a `create_records` dry run.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PlannedRecord {
    /// Its position in `records`.
    pub index: usize,
    /// Required fields neither given nor defaulted by Odoo.
    pub missing_required: Vec<String>,
}

/// `update_records`: which records were updated and which failed, or what a dry run found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum UpdateRecordsAnswer {
    Updated(BulkUpdated),
    DryRun {
        /// Always true: nothing was written.
        dry_run: bool,
        model: String,
        /// The records' current values of the fields that would change.
        current: Vec<serde_json::Map<String, Value>>,
        missing_ids: Vec<i64>,
        /// The user's right to write on the model: allowed or denied.
        access: String,
    },
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BulkUpdated {
    pub model: String,
    /// Every record was updated.
    pub all_updated: bool,
    /// One Odoo call wrote them all (all or none); otherwise one call per group of records
    /// sharing the same values.
    pub atomic: bool,
    pub updated: Vec<i64>,
    pub failed: Vec<BulkFailure>,
}

/// Records whose write Odoo refused, and why.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BulkFailure {
    pub ids: Vec<i64>,
    pub error: String,
}

/// A button of a record's form.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ActionButton {
    /// What to pass to run_action as `action` (the method it calls).
    pub name: String,
    /// The label Odoo shows.
    pub label: String,
    /// Highlighted as the form's main action.
    pub primary: bool,
    /// The confirmation Odoo asks for before pressing it.
    pub confirm: Option<String>,
}

/// A button whose condition this gateway cannot evaluate; run_action refuses it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Unsure {
    pub name: String,
    pub label: String,
    pub why: String,
}

/// The buttons a record's form shows this user now.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Actions {
    pub model: String,
    pub id: i64,
    pub actions: Vec<ActionButton>,
    pub unsure: Vec<Unsure>,
}

/// A button pressed: done, or a wizard to fill in first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ActionRun {
    pub model: String,
    pub id: i64,
    pub action: String,
    /// False when a wizard waits to be filled in (nothing is done yet).
    pub done: bool,
    /// What the button answered, when it opened something (a record, a list, another action).
    pub result: Option<Map<String, Value>>,
    pub wizard: Option<Wizard>,
    pub message: Option<String>,
}

/// A wizard a button opened.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Wizard {
    pub model: String,
    pub title: Option<String>,
    /// Its fields, as fields_get describes them (empty once pressed).
    pub fields: Map<String, Value>,
    /// Odoo's defaults for them.
    pub defaults: Map<String, Value>,
    /// Its buttons (or, once pressed, the one pressed).
    pub buttons: Vec<ActionButton>,
}

/// The structured content of an answer.
pub fn content<T: Serialize>(answer: &T) -> Value {
    serde_json::to_value(answer).expect("tool answers serialise")
}

/// The output schema of a tool answering `T`: `T`, or the held call's answer.
pub fn schema<T: JsonSchema>() -> Arc<JsonObject> {
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    #[serde(untagged)]
    enum Answer<T> {
        Done(T),
        Held(PendingApproval),
    }
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<Answer<T>>();
    let mut object = match schema.to_value() {
        Value::Object(object) => object,
        _ => JsonObject::new(),
    };
    // MCP requires an object schema at the top; both answers are objects.
    object.insert("type".into(), "object".into());
    object.remove("title");
    object.values_mut().for_each(nullable_as_any_of);
    Arc::new(object)
}

/// `{"type": ["string", "null"], …}` becomes `{"anyOf": [{"type": "string", …}, {"type":
/// "null"}]}`: the same values, spelled with one `type` per schema, which single-type dialects
/// (and the Inspector's portability check) require. The description stays outside.
fn nullable_as_any_of(value: &mut Value) {
    match value {
        Value::Object(object) => {
            object.values_mut().for_each(nullable_as_any_of);
            let Some(Value::Array(types)) = object.get("type") else {
                return;
            };
            let real: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
            if real.len() == types.len() {
                return;
            }
            let description = object.remove("description");
            let mut branch = std::mem::take(object);
            branch.insert(
                "type".into(),
                match real.as_slice() {
                    [one] => one.clone(),
                    _ => Value::Array(real),
                },
            );
            let mut null = JsonObject::new();
            null.insert("type".into(), "null".into());
            object.insert(
                "anyOf".into(),
                Value::Array(vec![Value::Object(branch), Value::Object(null)]),
            );
            if let Some(description) = description {
                object.insert("description".into(), description);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_as_any_of),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_schema_is_the_answer_or_the_held_call() {
        let schema = Value::Object(schema::<Completed>().as_ref().clone());
        assert_eq!(schema["type"], "object");
        let answers = schema["anyOf"].as_array().expect("two answers");
        assert_eq!(answers.len(), 2, "{schema}");
        let defs = &schema["$defs"];
        let resolve = |s: &Value| match s["$ref"].as_str() {
            Some(r) => defs[r.trim_start_matches("#/$defs/")].clone(),
            None => s.clone(),
        };
        let (done, held) = (resolve(&answers[0]), resolve(&answers[1]));
        assert_eq!(
            done["required"],
            json!(["activity_id", "done"]),
            "message_id may be null: {done}"
        );
        assert!(held["properties"]["approval_id"].is_object(), "{held}");
        let held_value = content(&PendingApproval {
            status: "pending_approval",
            approval_id: "apr_1".into(),
            summary: "s".into(),
            approver: "a".into(),
            expires_at: "2030-01-01T00:00:00Z".into(),
            message: "m".into(),
        });
        assert_eq!(
            done["properties"]["message_id"]["anyOf"],
            json!([{"type": "integer", "format": "int64"}, {"type": "null"}]),
            "{done}"
        );
        let keys: Vec<&String> = held_value.as_object().unwrap().keys().collect();
        let described: Vec<&String> = held["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), described.len());
    }
}
