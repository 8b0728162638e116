//! What tools answer, typed: the structured content a tool returns is one of these, serialised,
//! and its output schema is derived from the same type — with the answer of a call held for
//! approval as the other possibility, for every tool that can be held.

use std::sync::Arc;

use rmcp::model::JsonObject;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use serde_json::Value;

mod actions;
mod approvals;
mod bulk;
mod chatter;
mod context;
mod files;
mod read;
mod write;

pub use actions::{ActionButton, ActionRun, Actions, Unsure, Wizard};
pub use approvals::{ApprovalStatus, STATES as APPROVAL_STATES};
pub use bulk::{
    BulkCreated, BulkFailure, BulkUpdated, CreateRecordsAnswer, PlannedRecord, UpdateRecordsAnswer,
};
pub use chatter::{Activities, Activity, Completed, Message, Messages, Posted, Scheduled};
pub use context::{
    AvailableCompany, AvailableModel, Companies, Company, ConnectionInfo, CurrentContext,
    FieldInfo, ModelDescription, Models, OdooServer,
};
pub use files::{
    AttachmentContent, AttachmentInfo, Attachments, FileLink, Printed, UploadLink, Uploaded,
};
pub use read::{Count, Groups, OneRecord, Records};
pub use write::{Access, CreateRecordAnswer, DeleteRecordAnswer, MethodRun, UpdateRecordAnswer};

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

/// The structured content of an answer.
pub fn content<T: Serialize>(answer: &T) -> Value {
    serde_json::to_value(answer).expect("tool answers serialise")
}

/// The output schema of a tool answering `T`: `T`, or, for a tool that can be `held`, the held
/// call's answer.
pub fn schema<T: JsonSchema>(held: bool) -> Arc<JsonObject> {
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    #[serde(untagged)]
    enum Answer<T> {
        Done(T),
        Held(PendingApproval),
    }
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = if held {
        generator.into_root_schema_for::<Answer<T>>()
    } else {
        generator.into_root_schema_for::<T>()
    };
    let mut object = match schema.to_value() {
        Value::Object(object) => object,
        _ => JsonObject::new(),
    };
    // MCP requires an object schema at the top; every answer is an object.
    object.insert("type".into(), "object".into());
    object.values_mut().for_each(nullable_as_any_of);
    super::schema::compact(&mut object);
    Arc::new(object)
}

/// Any JSON value, one branch per type: a bare `true` schema says the same, but is not portable.
fn any_value(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "anyOf": [
            {"type": "object"},
            {"type": "array"},
            {"type": "string"},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"}
        ]
    })
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
        let schema = Value::Object(schema::<Completed>(true).as_ref().clone());
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
            json!([{"type": "integer"}, {"type": "null"}]),
            "{done}"
        );
        let keys: Vec<&String> = held_value.as_object().unwrap().keys().collect();
        let described: Vec<&String> = held["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), described.len());
    }

    #[test]
    fn a_tool_that_is_never_held_declares_its_answer_alone() {
        let status = crate::catalog::Tool::GetApprovalStatus
            .output_schema()
            .expect("typed");
        assert!(status.get("anyOf").is_none(), "{status:?}");
        assert_eq!(status["properties"]["state"]["enum"][0], "pending");
        let note = crate::catalog::Tool::PostNote
            .output_schema()
            .expect("typed");
        assert_eq!(note["anyOf"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn flags_left_out_when_false_are_not_required() {
        let schema = Value::Object(schema::<ModelDescription>(true).as_ref().clone());
        let field = &schema["$defs"]["FieldInfo"];
        assert!(field.get("required").is_none(), "{field}");
        let answer = content(&FieldInfo {
            label: Some("Name".into()),
            kind: Some("char".into()),
            required: true,
            readonly: false,
            relation: None,
            selection: None,
            help: None,
        });
        assert_eq!(
            answer,
            json!({"label": "Name", "type": "char", "required": true})
        );
    }
}
