//! Activities: scheduling one on a record for a user, marking one done, and listing the open
//! ones (the user's, or a record's). Needs Odoo's `mail` module.

use serde_json::{Value, json};

use super::chatter::{Feature, body, id_error, mail, require};
use super::{checked, kwargs};
use crate::calls::{ToolContext, ToolError, activity, admit, records, text};
use crate::catalog::args::{CompleteActivity, ListActivities, ScheduleActivity};
use crate::catalog::output::{self, Activities, Activity, Completed, Scheduled};
use crate::catalog::{MAIL_ACTIVITY, Tool, validate};

const MAX_SUMMARY_CHARS: usize = 200;
const SHOWN_NOTE_CHARS: usize = 500;

/// The checks of `schedule_activity` that need no Odoo call.
fn check_schedule(args: &ScheduleActivity) -> Result<(), String> {
    validate::model(&args.model)?;
    validate::ids(&[args.id]).map_err(|_| id_error(args.id))?;
    if args
        .summary
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_SUMMARY_CHARS)
    {
        return Err(format!("summary: at most {MAX_SUMMARY_CHARS} characters"));
    }
    if let Some(note) = &args.note {
        body(note, "note")?;
    }
    if let Some(deadline) = &args.deadline {
        chrono::NaiveDate::parse_from_str(deadline, "%Y-%m-%d").map_err(|_| {
            format!(
                "deadline: '{}' is not a date (YYYY-MM-DD)",
                validate::shorten(deadline)
            )
        })?;
    }
    if let Some(assignee) = args.assignee_id {
        validate::ids(&[assignee]).map_err(|_| {
            format!("assignee_id: {assignee} is not a user id (ids are positive integers)")
        })?;
    }
    Ok(())
}

/// The activity's values once everything checks: the type resolved by name, the assignee an
/// existing user.
async fn schedule_values(
    ctx: &ToolContext<'_>,
    args: &ScheduleActivity,
) -> Result<Value, ToolError> {
    const TOOL: &str = "schedule_activity";
    checked(TOOL, check_schedule(args))?;
    require(ctx, TOOL, &args.model, Feature::Activities).await?;
    let type_id = match &args.activity_type {
        Some(name) => activity_type(ctx, name).await?,
        None => activity::first_type(ctx).await?,
    };
    let assignee = args.assignee_id.unwrap_or(ctx.principal.credential.uid);
    if args.assignee_id.is_some() {
        let found = ctx
            .call(
                "res.users",
                "search_count",
                None,
                kwargs([("domain", Some(json!([["id", "=", assignee]])))]),
            )
            .await?;
        if found.as_i64() != Some(1) {
            return Err(ToolError::invalid(
                TOOL,
                format!("assignee_id: {assignee} is not an active Odoo user"),
            ));
        }
    }
    let mut vals = json!({ "res_id": args.id, "user_id": assignee });
    if let Some(type_id) = type_id {
        vals["activity_type_id"] = json!(type_id);
    }
    if let Some(summary) = &args.summary {
        vals["summary"] = json!(summary);
    }
    if let Some(note) = &args.note {
        vals["note"] = json!(text::to_html(note));
    }
    if let Some(deadline) = &args.deadline {
        vals["date_deadline"] = json!(deadline);
    }
    Ok(vals)
}

/// The activity type named `name` (case-insensitive), or a message listing the types there are.
async fn activity_type(ctx: &ToolContext<'_>, name: &str) -> Result<Option<i64>, ToolError> {
    let types = mail(
        "schedule_activity",
        ctx.call(
            "mail.activity.type",
            "search_read",
            None,
            kwargs([
                ("domain", Some(json!([]))),
                ("fields", Some(json!(["name"]))),
                ("order", Some(json!("sequence, id"))),
            ]),
        )
        .await,
    )?;
    let types = types.as_array().cloned().unwrap_or_default();
    let wanted = name.trim().to_lowercase();
    if let Some(found) = types.iter().find(|t| {
        t["name"]
            .as_str()
            .is_some_and(|n| n.to_lowercase() == wanted)
    }) {
        return Ok(found["id"].as_i64());
    }
    let names: Vec<&str> = types.iter().filter_map(|t| t["name"].as_str()).collect();
    Err(ToolError::invalid(
        "schedule_activity",
        format!(
            "activity_type: '{}' is not an activity type of this Odoo; it has: {}",
            validate::shorten(name),
            names.join(", ")
        ),
    ))
}

pub(super) async fn precheck_schedule(
    ctx: &ToolContext<'_>,
    args: &ScheduleActivity,
) -> Result<(), ToolError> {
    schedule_values(ctx, args).await.map(drop)
}

pub(super) async fn schedule(
    ctx: &ToolContext<'_>,
    args: ScheduleActivity,
) -> Result<Value, ToolError> {
    let vals = schedule_values(ctx, &args).await?;
    let id = activity::create(ctx, &args.model, vals).await?;
    let created = read_activities(ctx, "schedule_activity", json!([["id", "=", id]]), 1).await?;
    Ok(output::content(&Scheduled {
        activity_id: id,
        activity: created.into_iter().next(),
    }))
}

/// The activity `id` as the user sees it, refused when its record's model is outside the
/// connection's Allowed Models.
async fn activity_to_complete(ctx: &ToolContext<'_>, id: i64) -> Result<Activity, ToolError> {
    let found = read_activities(ctx, "complete_activity", json!([["id", "=", id]]), 1).await?;
    let found = found.into_iter().next().ok_or_else(|| {
        ToolError::NotFound(format!(
            "Activity {id} does not exist (or is already done), or this user cannot see it."
        ))
    })?;
    let what = format!("Activity {id}");
    let spec = Tool::CompleteActivity.spec();
    admit::check_learned(ctx, spec, &what, &found.model, found.record_id).await?;
    Ok(found)
}

pub(super) async fn precheck_complete(
    ctx: &ToolContext<'_>,
    args: &CompleteActivity,
) -> Result<(), ToolError> {
    const TOOL: &str = "complete_activity";
    checked(
        TOOL,
        validate::ids(&[args.activity_id]).map_err(|_| {
            format!(
                "activity_id: {} is not an activity id (ids are positive integers)",
                args.activity_id
            )
        }),
    )?;
    if let Some(feedback) = &args.feedback {
        checked(TOOL, body(feedback, "feedback"))?;
    }
    activity_to_complete(ctx, args.activity_id).await.map(drop)
}

pub(super) async fn complete(
    ctx: &ToolContext<'_>,
    args: CompleteActivity,
) -> Result<Value, ToolError> {
    precheck_complete(ctx, &args).await?;
    let done = ctx
        .call(
            MAIL_ACTIVITY,
            "action_feedback",
            Some(vec![args.activity_id]),
            kwargs([("feedback", args.feedback.as_ref().map(|f| json!(f)))]),
        )
        .await?;
    Ok(output::content(&Completed {
        activity_id: args.activity_id,
        done: true,
        message_id: activity::first_id(&done),
    }))
}

pub(super) async fn list(ctx: &ToolContext<'_>, args: ListActivities) -> Result<Value, ToolError> {
    const TOOL: &str = "list_activities";
    let limit = checked(TOOL, validate::limit(args.limit, 20, 100))?;
    let mut domain = Vec::new();
    match (&args.model, args.id) {
        (Some(model), id) => {
            checked(TOOL, validate::model(model))?;
            domain.push(json!(["res_model", "=", model]));
            if let Some(id) = id {
                checked(TOOL, validate::ids(&[id]).map_err(|_| id_error(id)))?;
                domain.push(json!(["res_id", "=", id]));
            }
        }
        (None, Some(_)) => {
            return Err(ToolError::invalid(
                TOOL,
                "id needs model: name the record's model too",
            ));
        }
        (None, None) => domain.push(json!(["user_id", "=", ctx.principal.credential.uid])),
    }
    let allowed = &ctx.principal.connection.policy.allowed_models;
    if !allowed.is_empty() {
        domain.push(json!([
            "res_model",
            "in",
            allowed.names().collect::<Vec<_>>()
        ]));
    }
    let activities = read_activities(ctx, TOOL, json!(domain), limit).await?;
    // Activities on records outside a Record limit are not the connection's to see.
    let activities =
        records::keep_inside(ctx, activities, |a| (a.model.as_str(), a.record_id)).await?;
    Ok(output::content(&Activities {
        count: activities.len(),
        activities,
    }))
}

/// Open activities matching `domain`, soonest first, compact.
async fn read_activities(
    ctx: &ToolContext<'_>,
    tool: &'static str,
    domain: Value,
    limit: u32,
) -> Result<Vec<Activity>, ToolError> {
    let rows = mail(
        tool,
        ctx.call(
            MAIL_ACTIVITY,
            "search_read",
            None,
            kwargs([
                ("domain", Some(domain)),
                (
                    "fields",
                    Some(json!([
                        "res_model",
                        "res_id",
                        "res_name",
                        "activity_type_id",
                        "summary",
                        "note",
                        "date_deadline",
                        "user_id",
                        "state"
                    ])),
                ),
                ("order", Some(json!("date_deadline asc, id asc"))),
                ("limit", Some(json!(limit))),
            ]),
        )
        .await,
    )?;
    Ok(rows.as_array().into_iter().flatten().map(compact).collect())
}

fn compact(a: &Value) -> Activity {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    Activity {
        id: a["id"].as_i64().unwrap_or_default(),
        model: a["res_model"].as_str().unwrap_or_default().to_owned(),
        record_id: a["res_id"].as_i64().unwrap_or_default(),
        record_name: text(&a["res_name"]),
        kind: text(&a["activity_type_id"][1]),
        summary: text(&a["summary"]),
        note: a["note"]
            .as_str()
            .map(|html| validate::truncate(&text::from_html(html), SHOWN_NOTE_CHARS)),
        deadline: text(&a["date_deadline"]),
        assignee: text(&a["user_id"][1]),
        assignee_id: a["user_id"][0].as_i64(),
        state: text(&a["state"]),
    }
}
