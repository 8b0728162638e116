//! What Odoo says about a model's fields (type, relation, selection, required, readonly,
//! stored), as `fields_get` answers it, and the cache of those answers per Odoo user and model
//! (`fields_get` hides fields a user's groups don't grant). Reading on a miss is the caller's.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::RwLock;

/// Field metadata changes only with module upgrades; a few minutes of staleness is harmless.
const TTL: Duration = Duration::from_secs(600);
pub const ATTRIBUTES: &[&str] = &[
    "type",
    "relation",
    "selection",
    "required",
    "readonly",
    "store",
];

/// One field as `fields_get` describes it to this user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldMeta {
    /// Odoo's field type: `char`, `many2one`, `selection` …
    pub kind: String,
    /// The related model of a relational field.
    pub relation: Option<String>,
    /// The keys of a selection field.
    pub selection: Vec<Value>,
    pub required: bool,
    pub readonly: bool,
    /// `false` for computed fields that are not stored.
    pub stored: bool,
}

impl FieldMeta {
    /// Reads one entry of a `fields_get` answer.
    pub fn from_odoo(meta: &Value) -> Self {
        let flag = |key: &str| meta.get(key) == Some(&Value::Bool(true));
        Self {
            kind: meta
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            relation: meta
                .get("relation")
                .and_then(Value::as_str)
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
            selection: meta
                .get("selection")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|option| option.get(0).cloned())
                .collect(),
            required: flag("required"),
            readonly: flag("readonly"),
            stored: meta.get("store") != Some(&Value::Bool(false)),
        }
    }
}

/// A model's fields by name.
pub type Fields = Arc<HashMap<String, FieldMeta>>;

/// Field metadata per (Odoo user id, model).
#[derive(Debug, Default)]
pub struct FieldCache {
    models: RwLock<HashMap<(i64, String), (Instant, Fields)>>,
}

impl FieldCache {
    /// The cached fields of `model` for the user `uid`, while fresh.
    pub async fn get(&self, uid: i64, model: &str) -> Option<Fields> {
        let models = self.models.read().await;
        let (at, fields) = models.get(&(uid, model.to_owned()))?;
        (at.elapsed() < TTL).then(|| fields.clone())
    }

    /// Keeps a `fields_get` answer (the object of field name → attributes) and returns it parsed.
    pub async fn put(&self, uid: i64, model: &str, answer: &Map<String, Value>) -> Fields {
        let fields: Fields = Arc::new(
            answer
                .iter()
                .map(|(name, m)| (name.clone(), FieldMeta::from_odoo(m)))
                .collect(),
        );
        self.models
            .write()
            .await
            .insert((uid, model.to_owned()), (Instant::now(), fields.clone()));
        fields
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_get_entries_are_read_into_metadata() {
        let meta = FieldMeta::from_odoo(&json!({"type": "selection", "required": true,
            "readonly": false, "store": true,
            "selection": [["contact", "Contact"], ["invoice", "Invoice Address"]]}));
        assert_eq!(meta.kind, "selection");
        assert_eq!(meta.selection, [json!("contact"), json!("invoice")]);
        assert!(meta.required && meta.stored && !meta.readonly);
        let computed = FieldMeta::from_odoo(
            &json!({"type": "char", "readonly": true, "store": false, "relation": ""}),
        );
        assert!(!computed.stored && computed.readonly);
        assert_eq!(computed.relation, None);
    }
}
