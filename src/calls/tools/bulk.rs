//! Bulk writes: `create_records` (up to 100 records in one Odoo call, so one transaction: all
//! or none) and `update_records` (the same values on many records in one call, or values per
//! record, written in groups of records sharing the same values, the answer naming exactly
//! which records were updated and which failed). Both have a dry run.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::write::{access_check, check_values_shape, created_ids, defaults, missing_ids};
use super::{checked, kwargs, read_rows, values};
use crate::calls::{ToolContext, ToolError};
use crate::catalog::args::{CreateRecords, UpdateRecords};
use crate::catalog::output::{
    self, BulkCreated, BulkFailure, BulkUpdated, CreateRecordsAnswer, PlannedRecord,
    UpdateRecordsAnswer,
};
use crate::catalog::validate;
use crate::odoo::fields::Fields;

/// The most records one call may create or update.
pub(super) const MAX_RECORDS: usize = 100;

/// Each record's values checked against the model's fields; a message names the record.
async fn checked_records<'a>(
    ctx: &ToolContext<'_>,
    tool: &'static str,
    model: &str,
    records: impl Iterator<Item = (String, &'a Map<String, Value>)>,
) -> Result<Fields, ToolError> {
    let fields = crate::calls::fields::of(ctx, model).await?;
    for (at, values) in records {
        let named = |e: ToolError| match e {
            ToolError::InvalidArguments { tool, reason } => ToolError::InvalidArguments {
                tool,
                reason: format!("{at}: {reason}"),
            },
            other => other,
        };
        check_values_shape(tool, values).map_err(named)?;
        checked(tool, values::check(model, &fields, values)).map_err(named)?;
    }
    Ok(fields)
}

fn count(tool: &'static str, n: usize, what: &str) -> Result<(), ToolError> {
    if n == 0 || n > MAX_RECORDS {
        return Err(ToolError::invalid(
            tool,
            format!("{what} must list 1 to {MAX_RECORDS} records, not {n}"),
        ));
    }
    Ok(())
}

/// Everything `create_records` checks before it changes anything; the model's fields.
pub(super) async fn check_create(
    ctx: &ToolContext<'_>,
    args: &CreateRecords,
) -> Result<Fields, ToolError> {
    const TOOL: &str = "create_records";
    let model = checked(TOOL, validate::model(&args.model))?;
    count(TOOL, args.records.len(), "records")?;
    let records = args
        .records
        .iter()
        .enumerate()
        .map(|(i, values)| (format!("records[{i}]"), values));
    checked_records(ctx, TOOL, model, records).await
}

pub(super) async fn create(ctx: &ToolContext<'_>, args: CreateRecords) -> Result<Value, ToolError> {
    let fields = check_create(ctx, &args).await?;
    let model = args.model.as_str();
    if args.dry_run {
        let unset: Vec<String> = args
            .records
            .iter()
            .flat_map(|values| values::required_unset(&fields, values))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let defaults = defaults(ctx, model, &unset, None).await?;
        let records = args
            .records
            .iter()
            .enumerate()
            .map(|(index, values)| PlannedRecord {
                index,
                missing_required: values::missing_required(&fields, values, &defaults),
            })
            .collect();
        return Ok(output::content(&CreateRecordsAnswer::DryRun {
            dry_run: true,
            model: model.to_owned(),
            count: args.records.len(),
            records,
            access: access_check(ctx, model, "create").await?,
        }));
    }
    let created = ctx
        .call(
            model,
            "create",
            None,
            kwargs([("vals_list", Some(json!(args.records)))]),
        )
        .await?;
    let ids = created_ids(&created, args.records.len())?;
    Ok(output::content(&CreateRecordsAnswer::Created(
        BulkCreated {
            model: model.to_owned(),
            count: ids.len(),
            ids,
        },
    )))
}

/// Records that get the same values: one Odoo `write`.
type Group<'a> = (Vec<i64>, &'a Map<String, Value>);

/// The writes of an `update_records` call: groups of ids that get the same values, in order.
fn groups(args: &UpdateRecords) -> Result<Vec<Group<'_>>, ToolError> {
    const TOOL: &str = "update_records";
    match (&args.ids, &args.values, &args.records) {
        (Some(ids), Some(values), None) => {
            checked(TOOL, validate::ids(ids))?;
            Ok(vec![(ids.clone(), values)])
        }
        (None, None, Some(records)) => {
            count(TOOL, records.len(), "records")?;
            let mut seen = HashSet::new();
            let mut groups: Vec<Group<'_>> = Vec::new();
            for (i, record) in records.iter().enumerate() {
                if record.id <= 0 {
                    return Err(ToolError::invalid(
                        TOOL,
                        format!("records[{i}].id: {} is not a record id", record.id),
                    ));
                }
                if !seen.insert(record.id) {
                    return Err(ToolError::invalid(
                        TOOL,
                        format!("records[{i}].id: record {} is listed twice", record.id),
                    ));
                }
                match groups.iter_mut().find(|(_, v)| **v == record.values) {
                    Some((ids, _)) => ids.push(record.id),
                    None => groups.push((vec![record.id], &record.values)),
                }
            }
            Ok(groups)
        }
        _ => Err(ToolError::invalid(
            TOOL,
            "give either ids with values (the same values on every record) or records \
             (values per record)",
        )),
    }
}

/// Everything `update_records` checks before it changes anything.
pub(super) async fn check_update(
    ctx: &ToolContext<'_>,
    args: &UpdateRecords,
) -> Result<(), ToolError> {
    const TOOL: &str = "update_records";
    let model = checked(TOOL, validate::model(&args.model))?;
    let groups = groups(args)?;
    let labelled = groups
        .iter()
        .map(|(ids, values)| (format!("the values of record {}", ids[0]), *values));
    checked_records(ctx, TOOL, model, labelled).await.map(drop)
}

pub(super) async fn update(ctx: &ToolContext<'_>, args: UpdateRecords) -> Result<Value, ToolError> {
    check_update(ctx, &args).await?;
    let model = args.model.as_str();
    let groups = groups(&args)?;
    let all_ids: Vec<i64> = groups.iter().flat_map(|(ids, _)| ids.clone()).collect();
    if args.dry_run {
        let mut fields = vec!["display_name".to_owned()];
        for (_, values) in &groups {
            fields.extend(
                values
                    .keys()
                    .filter(|k| !fields.contains(k))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
        let current = read_rows(ctx, model, &all_ids, &fields).await?;
        return Ok(output::content(&UpdateRecordsAnswer::DryRun {
            dry_run: true,
            model: model.to_owned(),
            missing_ids: missing_ids(&all_ids, &current),
            current,
            access: access_check(ctx, model, "write").await?,
        }));
    }
    let atomic = groups.len() == 1;
    let mut updated = Vec::new();
    let mut failed = Vec::new();
    for (ids, values) in groups {
        let written = ctx
            .call(
                model,
                "write",
                Some(ids.clone()),
                kwargs([("vals", Some(Value::Object(values.clone())))]),
            )
            .await;
        match written {
            Ok(_) => updated.extend(ids),
            // One write for all: its failure is the call's, as with update_record.
            Err(e) if atomic => return Err(e),
            Err(e) => failed.push(BulkFailure {
                ids,
                error: e.to_string(),
            }),
        }
    }
    Ok(output::content(&UpdateRecordsAnswer::Updated(
        BulkUpdated {
            model: model.to_owned(),
            all_updated: failed.is_empty(),
            atomic,
            updated,
            failed,
        },
    )))
}
