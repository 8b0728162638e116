//! What Odoo says about a model's fields (type, relation, selection, required, readonly,
//! stored), read with `fields_get` and cached per user and model: the Allowed Models check
//! follows dotted paths through it hop by hop, and the write tools check values against it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tokio::sync::RwLock;

use super::error::ToolError;
use super::tools::ToolContext;
use crate::policy::models::Touched;

/// Field metadata changes only with module upgrades; a few minutes of staleness is harmless.
const TTL: Duration = Duration::from_secs(600);
const ATTRIBUTES: &[&str] = &[
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

/// Field metadata per (Odoo user, model): `fields_get` hides fields a user's groups don't grant.
#[derive(Debug, Default)]
pub struct FieldCache {
    models: RwLock<HashMap<(i64, String), (Instant, Fields)>>,
}

impl FieldCache {
    /// The fields of `model` as the context's user sees them.
    pub async fn fields(&self, ctx: &ToolContext<'_>, model: &str) -> Result<Fields, ToolError> {
        let key = (ctx.principal.credential.uid, model.to_owned());
        if let Some((at, fields)) = self.models.read().await.get(&key)
            && at.elapsed() < TTL
        {
            return Ok(fields.clone());
        }
        let mut kwargs = Map::new();
        kwargs.insert("attributes".into(), json!(ATTRIBUTES));
        let meta = ctx.call(model, "fields_get", None, kwargs).await?;
        let Value::Object(meta) = meta else {
            return Err(ToolError::Internal(format!(
                "fields_get of {model} did not return an object"
            )));
        };
        let fields: Fields = Arc::new(
            meta.iter()
                .map(|(name, m)| (name.clone(), FieldMeta::from_odoo(m)))
                .collect(),
        );
        self.models
            .write()
            .await
            .insert(key, (Instant::now(), fields.clone()));
        Ok(fields)
    }

    /// The first model on `touched`'s path (starting at `model`) that `allowed` refuses, if any:
    /// every hop's related model, and the last field's when its related model is read. Each
    /// hop's metadata is read only after that hop's model was admitted, so a forbidden model is
    /// never queried, not even for its fields.
    pub async fn first_forbidden(
        &self,
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
            let fields = self.fields(ctx, &current).await?;
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
}

#[cfg(test)]
mod tests {
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
