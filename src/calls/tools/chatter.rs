//! The chatter: posting a message to a record's followers or an internal note, and reading the
//! recent messages back, compact. Needs Odoo's `mail` module; a model without a chatter, or a
//! database without `mail`, gets a message saying so.

use serde_json::{Value, json};

use super::{checked, kwargs};
use crate::calls::{ToolContext, ToolError, activity, text};
use crate::catalog::args::{PostMessage, ReadMessages};
use crate::catalog::output::{self, Message, Messages, Posted};
use crate::catalog::{MAIL_MESSAGE, validate};
use crate::odoo::ErrorKind;

/// Longer texts are a mistake or a document (attach it instead).
const MAX_BODY_CHARS: usize = 20_000;
/// What `read_messages` shows of one message.
const SHOWN_BODY_CHARS: usize = 1_000;
/// The message types that people write; the rest are Odoo's own notifications.
const WRITTEN: &[&str] = &["comment", "email", "email_outgoing"];

/// Customer-visible message or internal note: the two subtypes of a posted comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Audience {
    Followers,
    Internal,
}

impl Audience {
    fn tool(self) -> &'static str {
        match self {
            Self::Followers => "post_message",
            Self::Internal => "post_note",
        }
    }

    fn subtype(self) -> &'static str {
        match self {
            Self::Followers => "mail.mt_comment",
            Self::Internal => "mail.mt_note",
        }
    }
}

/// Everything posting checks before Odoo is called, except the model's chatter.
pub(super) fn check_post(audience: Audience, args: &PostMessage) -> Result<(), ToolError> {
    let tool = audience.tool();
    checked(tool, validate::model(&args.model))?;
    checked(
        tool,
        validate::ids(&[args.id]).map_err(|_| id_error(args.id)),
    )?;
    checked(tool, body(&args.body, "body"))?;
    if let Some(partners) = &args.partner_ids {
        checked(
            tool,
            validate::ids(partners).map_err(|e| format!("partner_ids: {e}")),
        )?;
    }
    Ok(())
}

/// A plain-text body: not blank, not huge.
pub(super) fn body(text: &str, name: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(format!("{name} is empty"));
    }
    let chars = text.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(format!(
            "{name} has {chars} characters; at most {MAX_BODY_CHARS}"
        ));
    }
    Ok(())
}

pub(super) fn id_error(id: i64) -> String {
    format!("id: {id} is not a record id (ids are positive integers)")
}

pub(super) async fn precheck_post(
    ctx: &ToolContext<'_>,
    audience: Audience,
    args: &PostMessage,
) -> Result<(), ToolError> {
    check_post(audience, args)?;
    require(ctx, audience.tool(), &args.model, Feature::Chatter).await
}

pub(super) async fn post(
    ctx: &ToolContext<'_>,
    audience: Audience,
    args: PostMessage,
) -> Result<Value, ToolError> {
    precheck_post(ctx, audience, &args).await?;
    let posted = ctx
        .call(
            &args.model,
            "message_post",
            Some(vec![args.id]),
            kwargs([
                ("body", Some(json!(args.body))),
                ("message_type", Some(json!("comment"))),
                ("subtype_xmlid", Some(json!(audience.subtype()))),
                ("partner_ids", args.partner_ids.as_ref().map(|p| json!(p))),
            ]),
        )
        .await?;
    let message_id = activity::first_id(&posted)
        .ok_or_else(|| ToolError::Internal("message_post returned no message id".into()))?;
    Ok(output::content(&Posted {
        message_id,
        model: args.model,
        id: args.id,
        internal: audience == Audience::Internal,
        partner_ids: args.partner_ids.unwrap_or_default(),
    }))
}

pub(super) async fn read(ctx: &ToolContext<'_>, args: ReadMessages) -> Result<Value, ToolError> {
    const TOOL: &str = "read_messages";
    let model = checked(TOOL, validate::model(&args.model))?;
    checked(
        TOOL,
        validate::ids(&[args.id]).map_err(|_| id_error(args.id)),
    )?;
    let limit = checked(TOOL, validate::limit(args.limit, 10, 50))?;
    require(ctx, TOOL, model, Feature::Chatter).await?;
    // mail.message hides the messages of records the user cannot read, so an empty chatter and
    // a hidden record would look alike: the record is looked up first.
    super::visible_names(ctx, model, &[args.id]).await?;
    let mut domain = vec![
        json!(["model", "=", model]),
        json!(["res_id", "=", args.id]),
    ];
    if !args.include_notifications {
        domain.push(json!(["message_type", "in", WRITTEN]));
    }
    let rows = mail(
        TOOL,
        ctx.call(
            MAIL_MESSAGE,
            "search_read",
            None,
            kwargs([
                ("domain", Some(json!(domain))),
                (
                    "fields",
                    Some(json!([
                        "date",
                        "author_id",
                        "body",
                        "message_type",
                        "subtype_id",
                        "partner_ids"
                    ])),
                ),
                ("order", Some(json!("id desc"))),
                ("limit", Some(json!(limit))),
            ]),
        )
        .await,
    )?;
    let rows = rows.as_array().cloned().unwrap_or_default();
    let internal = internal_subtypes(ctx, &rows).await?;
    let messages: Vec<Message> = rows
        .iter()
        .map(|m| {
            let subtype = m["subtype_id"].get(0).and_then(Value::as_i64);
            Message {
                id: m["id"].as_i64().unwrap_or_default(),
                date: m["date"].as_str().map(str::to_owned),
                author: m["author_id"]
                    .get(1)
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                author_id: m["author_id"].get(0).and_then(Value::as_i64),
                kind: m["message_type"].as_str().unwrap_or_default().to_owned(),
                internal: subtype.is_some_and(|s| internal.contains(&s)),
                text: validate::truncate(
                    &text::from_html(m["body"].as_str().unwrap_or_default()),
                    SHOWN_BODY_CHARS,
                ),
                partner_ids: ids(&m["partner_ids"]),
            }
        })
        .collect();
    Ok(output::content(&Messages {
        model: model.to_owned(),
        id: args.id,
        count: messages.len(),
        messages,
    }))
}

/// The ids of an x2many value.
fn ids(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_i64)
        .collect()
}

/// Which of the messages' subtypes are internal (a note, unlike a message, is).
async fn internal_subtypes(ctx: &ToolContext<'_>, rows: &[Value]) -> Result<Vec<i64>, ToolError> {
    let mut ids: Vec<i64> = rows
        .iter()
        .filter_map(|m| m["subtype_id"].get(0).and_then(Value::as_i64))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(ids);
    }
    let subtypes = ctx
        .call(
            "mail.message.subtype",
            "search_read",
            None,
            kwargs([
                (
                    "domain",
                    Some(json!([["id", "in", ids], ["internal", "=", true]])),
                ),
                ("fields", Some(json!(["id"]))),
            ]),
        )
        .await?;
    Ok(subtypes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_i64())
        .collect())
}

/// What a chatter tool needs of the record's model.
#[derive(Debug, Clone, Copy)]
pub(super) enum Feature {
    Chatter,
    Activities,
}

/// Refuses a model without a chatter (or activities), saying whether the model has none or the
/// database has no `mail` module at all.
pub(super) async fn require(
    ctx: &ToolContext<'_>,
    tool: &'static str,
    model: &str,
    feature: Feature,
) -> Result<(), ToolError> {
    let (field, what) = match feature {
        Feature::Chatter => ("message_ids", "chatter"),
        Feature::Activities => ("activity_ids", "activities"),
    };
    if activity::has_field(ctx, model, field).await? {
        return Ok(());
    }
    mail(
        tool,
        ctx.call(
            MAIL_MESSAGE,
            "fields_get",
            None,
            kwargs([("allfields", Some(json!(["id"])))]),
        )
        .await,
    )?;
    Err(ToolError::invalid(
        tool,
        format!("the model '{model}' has no {what} in Odoo (it does not inherit mail.thread)"),
    ))
}

/// A call on one of `mail`'s models: the model missing means the module is not installed.
pub(super) fn mail(
    tool: &'static str,
    result: Result<Value, ToolError>,
) -> Result<Value, ToolError> {
    // Odoo says so when it tells which module is missing, and when it can't (a user who may
    // not read the module list, the simulator): a mail model is missing either way.
    let missing = match &result {
        Err(ToolError::ModuleMissing { .. }) => true,
        Err(ToolError::Odoo(e)) => e.kind() == Some(ErrorKind::MissingModel),
        _ => false,
    };
    if missing {
        return Err(ToolError::NotInstalled {
            module: "mail (Discuss)",
            tool,
        });
    }
    result
}
