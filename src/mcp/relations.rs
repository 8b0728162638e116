//! Where dotted field paths lead: each model's relational fields (field → related model), read
//! from Odoo's `fields_get` and cached per model, so the Allowed Models check can follow
//! `partner_id.country_id.code` hop by hop.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tokio::sync::RwLock;

use super::error::ToolError;
use super::tools::ToolContext;

/// Field metadata changes only with module upgrades; a few minutes of staleness is harmless.
const TTL: Duration = Duration::from_secs(600);

type Relations = Arc<HashMap<String, String>>;

#[derive(Debug, Default)]
pub struct RelationCache {
    models: RwLock<HashMap<String, (Instant, Relations)>>,
}

impl RelationCache {
    async fn relations(&self, ctx: &ToolContext<'_>, model: &str) -> Result<Relations, ToolError> {
        if let Some((at, relations)) = self.models.read().await.get(model)
            && at.elapsed() < TTL
        {
            return Ok(relations.clone());
        }
        let mut kwargs = Map::new();
        kwargs.insert("attributes".into(), json!(["relation"]));
        let meta = ctx.call(model, "fields_get", None, kwargs).await?;
        let relations: Relations = Arc::new(
            meta.as_object()
                .into_iter()
                .flatten()
                .filter_map(|(field, m)| {
                    m.get("relation")
                        .and_then(Value::as_str)
                        .filter(|r| !r.is_empty())
                        .map(|r| (field.clone(), r.to_owned()))
                })
                .collect(),
        );
        self.models
            .write()
            .await
            .insert(model.to_owned(), (Instant::now(), relations.clone()));
        Ok(relations)
    }

    /// The first model on `path` (starting at `model`) that `allowed` refuses, if any. Each hop's
    /// metadata is read only after that hop's model was admitted, so a forbidden model is never
    /// queried, not even for its fields.
    pub async fn first_forbidden(
        &self,
        ctx: &ToolContext<'_>,
        model: &str,
        path: &str,
        allowed: impl Fn(&str) -> bool,
    ) -> Result<Option<String>, ToolError> {
        let hops: Vec<&str> = path.split('.').collect();
        let mut current = model.to_owned();
        for field in &hops[..hops.len().saturating_sub(1)] {
            let relations = self.relations(ctx, &current).await?;
            // A non-relational or unknown field ends the walk; Odoo reports the bad path itself.
            let Some(next) = relations.get(*field) else {
                return Ok(None);
            };
            if !allowed(next) {
                return Ok(Some(next.clone()));
            }
            current = next.clone();
        }
        Ok(None)
    }
}
