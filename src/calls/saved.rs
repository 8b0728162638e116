//! A connection's Record and Field limits checked against Odoo when they are saved, as the
//! connection's own user sees the models: every model and field a limit names exists, and every
//! model a limit's domain reaches is among the Allowed Models (or the limit could never hold).

use super::error::ToolError;
use super::{Principal, ToolContext, fields};
use crate::connections::Connection;
use crate::policy::models;
use crate::state::AppState;
use crate::values::Bindings;

/// The messages for each of the two settings; empty when both are fine.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LimitErrors {
    pub record_limits: Vec<String>,
    pub field_limits: Vec<String>,
}

impl LimitErrors {
    pub fn is_empty(&self) -> bool {
        self.record_limits.is_empty() && self.field_limits.is_empty()
    }
}

/// Checks `connection`'s limits (its policy as it is about to be saved) in Odoo.
pub async fn check(state: &AppState, connection: Connection) -> LimitErrors {
    let mut errors = LimitErrors::default();
    let policy = connection.policy.clone();
    if policy.record_limits.is_empty() && policy.field_limits.is_empty() {
        return errors;
    }
    let principal = match Principal::load(state, connection).await {
        Ok(p) => p,
        Err(e) => {
            errors
                .record_limits
                .push(format!("The limits cannot be checked against Odoo: {e}"));
            return errors;
        }
    };
    let ctx = ToolContext::new(state, &principal);
    // The shape and the placeholders were checked when parsed; only names are looked up here.
    let sample = Bindings {
        uid: principal.credential.uid,
        company_ids: vec![1],
    };
    for (model, limit) in policy.record_limits.iter() {
        for touched in models::domain_paths(&limit.bind(&sample)) {
            if let Err(e) = walk(&ctx, model, &touched.path, &policy.allowed_models).await {
                errors.record_limits.push(format!("{model}: {e}"));
                break;
            }
        }
    }
    for (model, patterns) in policy.field_limits.iter() {
        for name in patterns.names() {
            if let Err(e) = walk(&ctx, model, name, &policy.allowed_models).await {
                errors.field_limits.push(format!("{model}: {e}"));
            }
        }
    }
    errors
}

/// Follows `path` from `model` hop by hop: each field must exist, each model reached be allowed.
async fn walk(
    ctx: &ToolContext<'_>,
    model: &str,
    path: &str,
    allowed: &crate::values::ModelList,
) -> Result<(), String> {
    let mut current = model.to_owned();
    let hops: Vec<&str> = path.split('.').collect();
    for (i, field) in hops.iter().enumerate() {
        let known = fields::of(ctx, &current).await.map_err(|e| match e {
            ToolError::Odoo(_) | ToolError::ModuleMissing { .. } => {
                format!("Odoo could not describe the model {current}: {e}")
            }
            other => other.to_string(),
        })?;
        let Some(meta) = known.get(*field) else {
            return Err(format!("{current} has no field '{field}'."));
        };
        if i + 1 == hops.len() {
            return Ok(());
        }
        let Some(next) = meta.relation.clone() else {
            return Err(format!(
                "'{path}': {current}.{field} is not a relation, so nothing can follow it."
            ));
        };
        if !allowed.allows(&next) {
            return Err(format!(
                "'{path}' reaches {next}, which is not among the Allowed Models."
            ));
        }
        current = next;
    }
    Ok(())
}
