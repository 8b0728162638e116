//! Context tools: who the connection acts as, which models exist, what fields a model has.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{checked, kwargs};
use crate::calls::ToolError;
use crate::calls::{self, ToolContext};
use crate::catalog::args::{DescribeModel, ListModels};
use crate::catalog::output::{
    self, AvailableCompany, AvailableModel, Companies, Company, ConnectionInfo, CurrentContext,
    FieldInfo, ModelDescription, Models, OdooServer,
};
use crate::catalog::validate;

const FIELD_ATTRIBUTES: &[&str] = &[
    "string",
    "type",
    "required",
    "readonly",
    "relation",
    "selection",
    "help",
];
const MAX_HELP_CHARS: usize = 200;

pub(super) async fn current(ctx: &ToolContext<'_>) -> Result<Value, ToolError> {
    let principal = ctx.principal;
    let users = ctx
        .call(
            "res.users",
            "read",
            Some(vec![principal.credential.uid]),
            kwargs([(
                "fields",
                Some(json!(["name", "login", "company_id", "lang", "tz"])),
            )]),
        )
        .await?;
    let version = ctx.state.odoo.server_version().await.ok().map(|v| v.serie);
    let connection = &principal.connection;
    Ok(output::content(&CurrentContext {
        user: users.get(0).and_then(Value::as_object).cloned(),
        companies: companies(ctx).await?,
        odoo: OdooServer {
            version,
            database: ctx.state.odoo_database.to_string(),
        },
        connection: ConnectionInfo {
            id: connection.id,
            name: connection.name.clone(),
            kind: connection.kind.label(),
            scope: connection.scope.label(),
        },
    }))
}

/// The user's companies, with the one this call acts in, those it acts in, and which of them
/// the connection's Allowed companies permit.
async fn companies(ctx: &ToolContext<'_>) -> Result<Companies, ToolError> {
    let user = calls::companies::of_user(ctx).await?;
    let acting = ctx
        .companies
        .context_ids()
        .map_or_else(|| user.all.clone(), <[i64]>::to_vec);
    let plain = ToolContext::new(ctx.state, ctx.principal);
    let named = plain
        .call(
            "res.company",
            "search_read",
            None,
            kwargs([
                ("domain", Some(json!([["id", "in", user.all]]))),
                ("fields", Some(json!(["name"]))),
            ]),
        )
        .await?;
    let name_of = |id: i64| {
        named
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["id"].as_i64() == Some(id))
            .and_then(|c| c["name"].as_str())
            .map(str::to_owned)
    };
    let allowed = &ctx.principal.connection.policy.allowed_companies;
    let available = user
        .all
        .iter()
        .map(|&id| AvailableCompany {
            id,
            name: name_of(id),
            allowed: allowed.allows(id),
        })
        .collect();
    // Every Odoo user belongs to a company; an answer without one is not Odoo's.
    let current = *acting
        .first()
        .ok_or_else(|| ToolError::Internal("Odoo named no company of the user".into()))?;
    Ok(Companies {
        current: Company {
            id: current,
            name: name_of(current),
        },
        acting_in: acting,
        available,
    })
}

/// The models this user may read, from `ir.model.get_available_models` (what Odoo's own
/// domain editor uses; reading `ir.model` itself needs Access Rights administration), narrowed
/// to the connection's Allowed Models, sorted by technical name: (model, label).
pub(crate) async fn available_models(
    ctx: &ToolContext<'_>,
) -> Result<Vec<(String, String)>, ToolError> {
    let allowed = &ctx.principal.connection.policy.allowed_models;
    let available = ctx
        .call("ir.model", "get_available_models", None, Map::new())
        .await?;
    let mut models: Vec<(String, String)> = available
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| Some((m.get("model")?.as_str()?, m.get("display_name")?.as_str()?)))
        .filter(|(model, _)| allowed.allows(model))
        .map(|(model, name)| (model.to_owned(), name.to_owned()))
        .collect();
    models.sort_unstable();
    models.dedup_by(|a, b| a.0 == b.0);
    Ok(models)
}

/// `list_models`: the available models, matched against `query`.
pub(super) async fn list_models(
    ctx: &ToolContext<'_>,
    args: ListModels,
) -> Result<Value, ToolError> {
    const TOOL: &str = "list_models";
    let limit = checked(TOOL, validate::limit(args.limit, 50, 200))?;
    let query = args
        .query
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_lowercase);
    let models: Vec<AvailableModel> = available_models(ctx)
        .await?
        .into_iter()
        .filter(|(model, name)| {
            query
                .as_deref()
                .is_none_or(|q| model.to_lowercase().contains(q) || name.to_lowercase().contains(q))
        })
        .take(limit as usize)
        .map(|(model, name)| AvailableModel { model, name })
        .collect();
    Ok(output::content(&Models {
        count: models.len(),
        models,
    }))
}

pub(super) async fn describe_model(
    ctx: &ToolContext<'_>,
    args: DescribeModel,
) -> Result<Value, ToolError> {
    const TOOL: &str = "describe_model";
    let model = checked(TOOL, validate::model(&args.model))?;
    if let Some(fields) = &args.fields {
        checked(TOOL, validate::fields(fields))?;
    }
    let described = ctx
        .call(
            model,
            "fields_get",
            None,
            kwargs([
                ("allfields", args.fields.map(|f| json!(f))),
                ("attributes", Some(json!(FIELD_ATTRIBUTES))),
            ]),
        )
        .await?;
    let Value::Object(described) = described else {
        return Err(ToolError::Internal(
            "fields_get did not return an object".into(),
        ));
    };
    let limits = &ctx.principal.connection.policy.field_limits;
    let fields: BTreeMap<String, FieldInfo> = described
        .iter()
        .filter(|(name, _)| !limits.hides(model, name))
        .map(|(name, meta)| (name.clone(), compact_field(meta)))
        .collect();
    Ok(output::content(&ModelDescription {
        model: model.to_owned(),
        field_count: fields.len(),
        fields,
    }))
}

/// Keeps what a model needs to use a field, and drops defaults (`false`) and long help texts.
fn compact_field(meta: &Value) -> FieldInfo {
    // Odoo sends `false` for an attribute a field does not have.
    let text = |key: &str| meta.get(key).and_then(Value::as_str).map(str::to_owned);
    let set = |key: &str| meta.get(key) == Some(&Value::Bool(true));
    FieldInfo {
        label: text("string"),
        kind: text("type"),
        required: set("required"),
        readonly: set("readonly"),
        relation: text("relation"),
        selection: meta.get("selection").filter(|v| v.is_array()).cloned(),
        help: text("help")
            .filter(|h| !h.is_empty())
            .map(|h| validate::truncate(&h, MAX_HELP_CHARS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_metadata_is_compacted() {
        let meta = json!({"string": "Customer", "type": "many2one", "required": false,
                          "readonly": true, "relation": "res.partner", "selection": false, "help": ""});
        assert_eq!(
            output::content(&compact_field(&meta)),
            json!({"label": "Customer", "type": "many2one", "readonly": true, "relation": "res.partner"})
        );
    }
}
