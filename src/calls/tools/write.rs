//! Write tools: create, update, delete, each with a dry run that checks and previews without
//! changing anything.

use serde_json::{Map, Value, json};

use super::{checked, kwargs, read_rows, values};
use crate::calls::ToolContext;
use crate::calls::ToolError;
use crate::catalog::args::{CreateRecord, DeleteRecord, UpdateRecord};
use crate::catalog::output::{
    self, Access, CreateRecordAnswer, DeleteRecordAnswer, UpdateRecordAnswer,
};
use crate::catalog::validate;
use crate::odoo::ErrorKind;
use crate::odoo::fields::Fields;

/// Everything `create_record` checks before it changes anything; the model's fields.
pub(super) async fn check_create(
    ctx: &ToolContext<'_>,
    args: &CreateRecord,
) -> Result<Fields, ToolError> {
    const TOOL: &str = "create_record";
    let model = checked(TOOL, validate::model(&args.model))?;
    checked_values(ctx, TOOL, model, &args.values).await
}

pub(super) async fn create(ctx: &ToolContext<'_>, args: CreateRecord) -> Result<Value, ToolError> {
    let fields = check_create(ctx, &args).await?;
    let model = args.model.as_str();
    if args.dry_run {
        let unset = values::required_unset(&fields, &args.values);
        let defaults = defaults(ctx, model, &unset, None).await?;
        return Ok(output::content(&CreateRecordAnswer::DryRun {
            dry_run: true,
            would: "create",
            model: model.to_owned(),
            missing_required: values::missing_required(&fields, &args.values, &defaults),
            values: args.values,
            access: access_check(ctx, model, "create").await?,
        }));
    }
    let created = ctx
        .call(
            model,
            "create",
            None,
            kwargs([("vals_list", Some(json!([args.values])))]),
        )
        .await?;
    let id = created_ids(&created, 1)?[0];
    Ok(output::content(&CreateRecordAnswer::Created {
        model: model.to_owned(),
        id,
        created: true,
    }))
}

/// The ids Odoo's `create` answered for `count` value sets: a list of values gives a list of
/// ids, and a bare id is taken too.
pub(super) fn created_ids(created: &Value, count: usize) -> Result<Vec<i64>, ToolError> {
    let ids: Vec<i64> = match created {
        Value::Array(ids) => ids.iter().filter_map(Value::as_i64).collect(),
        other => other.as_i64().into_iter().collect(),
    };
    if ids.len() != count {
        return Err(ToolError::Internal(
            format!("Odoo created {} records for {count} value sets", ids.len()).into(),
        ));
    }
    Ok(ids)
}

/// Odoo's defaults for `fields` (none asked when there are none), in `context`.
pub(super) async fn defaults(
    ctx: &ToolContext<'_>,
    model: &str,
    fields: &[String],
    context: Option<Map<String, Value>>,
) -> Result<Map<String, Value>, ToolError> {
    if fields.is_empty() {
        return Ok(Map::new());
    }
    // Named as 19 names it; the client sends it by position over JSON-RPC, where overrides
    // name it `fields` or `fields_list`.
    let defaults = ctx
        .call(
            model,
            "default_get",
            None,
            kwargs([
                ("fields", Some(json!(fields))),
                ("context", context.map(Value::Object)),
            ]),
        )
        .await?;
    Ok(defaults.as_object().cloned().unwrap_or_default())
}

/// Everything `update_record` checks before it changes anything.
pub(super) async fn check_update(
    ctx: &ToolContext<'_>,
    args: &UpdateRecord,
) -> Result<(), ToolError> {
    const TOOL: &str = "update_record";
    let model = checked(TOOL, validate::model(&args.model))?;
    checked(TOOL, validate::ids(&args.ids))?;
    checked_values(ctx, TOOL, model, &args.values)
        .await
        .map(drop)
}

pub(super) async fn update(ctx: &ToolContext<'_>, args: UpdateRecord) -> Result<Value, ToolError> {
    check_update(ctx, &args).await?;
    let model = args.model.as_str();
    if args.dry_run {
        let mut fields = vec!["display_name".to_owned()];
        fields.extend(args.values.keys().cloned());
        let current = read_rows(ctx, model, &args.ids, &fields).await?;
        return Ok(output::content(&UpdateRecordAnswer::DryRun {
            dry_run: true,
            would: "update",
            model: model.to_owned(),
            missing_ids: missing_ids(&args.ids, &current),
            current,
            new_values: args.values,
            access: access_check(ctx, model, "write").await?,
        }));
    }
    ctx.call(
        model,
        "write",
        Some(args.ids.clone()),
        kwargs([("vals", Some(Value::Object(args.values)))]),
    )
    .await?;
    Ok(output::content(&UpdateRecordAnswer::Updated {
        model: model.to_owned(),
        ids: args.ids,
        updated: true,
    }))
}

/// Everything `delete_record` checks before it changes anything.
pub(super) fn check_delete(args: &DeleteRecord) -> Result<(), ToolError> {
    const TOOL: &str = "delete_record";
    checked(TOOL, validate::model(&args.model))?;
    checked(TOOL, validate::ids(&args.ids)).map(drop)
}

pub(super) async fn delete(ctx: &ToolContext<'_>, args: DeleteRecord) -> Result<Value, ToolError> {
    check_delete(&args)?;
    let model = args.model.as_str();
    if args.dry_run {
        let found = read_rows(ctx, model, &args.ids, &["display_name"]).await?;
        return Ok(output::content(&DeleteRecordAnswer::DryRun {
            dry_run: true,
            would: "delete",
            model: model.to_owned(),
            missing_ids: missing_ids(&args.ids, &found),
            records: found,
            access: access_check(ctx, model, "unlink").await?,
        }));
    }
    ctx.call(model, "unlink", Some(args.ids.clone()), Map::new())
        .await?;
    Ok(output::content(&DeleteRecordAnswer::Deleted {
        model: model.to_owned(),
        ids: args.ids,
        deleted: true,
    }))
}

/// The model's fields, once `values` is known to fit them (see [`values::check`]).
async fn checked_values(
    ctx: &ToolContext<'_>,
    tool: &'static str,
    model: &str,
    values: &Map<String, Value>,
) -> Result<Fields, ToolError> {
    check_values_shape(tool, values)?;
    let fields = crate::calls::fields::of(ctx, model).await?;
    checked(tool, values::check(model, &fields, values))?;
    Ok(fields)
}

/// Values name at least one field, each by a valid name.
pub(super) fn check_values_shape(
    tool: &'static str,
    values: &Map<String, Value>,
) -> Result<(), ToolError> {
    if values.is_empty() {
        return Err(ToolError::invalid(
            tool,
            "values must set at least one field",
        ));
    }
    for name in values.keys() {
        checked(tool, validate::field_path(name))?;
    }
    Ok(())
}

/// The model-level access right (record rules apply per record). Odoo 19 replaced
/// `check_access_rights` with `has_access`, called on an empty recordset.
pub(super) async fn access_check(
    ctx: &ToolContext<'_>,
    model: &str,
    operation: &str,
) -> Result<Access, ToolError> {
    let modern = ctx.odoo_19_api().await;
    let asked = if modern {
        ctx.call(
            model,
            "has_access",
            Some(vec![]),
            kwargs([("operation", Some(json!(operation)))]),
        )
        .await
    } else {
        ctx.call(
            model,
            "check_access_rights",
            None,
            kwargs([
                ("operation", Some(json!(operation))),
                ("raise_exception", Some(json!(false))),
            ]),
        )
        .await
    };
    match asked {
        Ok(Value::Bool(true)) => Ok(Access::Allowed),
        Ok(_) => Ok(Access::Denied),
        Err(ToolError::Odoo(e)) if e.kind() == Some(ErrorKind::AccessError) => Ok(Access::Denied),
        Err(other) => Err(other),
    }
}

pub(super) fn missing_ids(asked: &[i64], found: &[Map<String, Value>]) -> Vec<i64> {
    let present: Vec<i64> = found
        .iter()
        .filter_map(|r| r.get("id").and_then(Value::as_i64))
        .collect();
    asked
        .iter()
        .copied()
        .filter(|id| !present.contains(id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::rows;
    use super::*;

    #[test]
    fn missing_ids_are_those_not_read_back() {
        let found = rows(json!([{"id": 1, "display_name": "a"}, {"id": 3, "display_name": "c"}]));
        assert_eq!(missing_ids(&[1, 2, 3, 4], &found), vec![2, 4]);
    }
}
