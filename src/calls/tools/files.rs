//! Attachments: listing a record's files, reading one (small text inline, anything else through
//! a one-time link) and attaching one (inline base64 up to a limit, else an upload link). The
//! bytes travel between Odoo and the link, never through the AI's context.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::{checked, kwargs, read_rows, visible_names};
use crate::calls::links::{self, Target};
use crate::calls::{ToolContext, ToolError, admit};
use crate::catalog::args::{GetAttachment, ListAttachments, UploadAttachment};
use crate::catalog::output::{
    self, AttachmentContent, AttachmentInfo, Attachments, UploadLink, Uploaded,
};
use crate::catalog::{IR_ATTACHMENT, Tool, validate};

/// Text files up to this size are answered inline; larger ones get a link.
const INLINE_TEXT_BYTES: i64 = 32 * 1024;
const FIELDS: &[&str] = &[
    "name",
    "mimetype",
    "file_size",
    "create_date",
    "type",
    "url",
    "res_model",
    "res_id",
];

fn info(row: &Value) -> AttachmentInfo {
    let text = |key: &str| row[key].as_str().map(str::to_owned);
    AttachmentInfo {
        id: row["id"].as_i64().unwrap_or_default(),
        name: text("name").unwrap_or_default(),
        mimetype: text("mimetype"),
        size: row["file_size"].as_i64(),
        created: text("create_date"),
        url: (row["type"] == "url").then(|| text("url")).flatten(),
    }
}

fn check_record(model: &str, id: i64) -> Result<(), String> {
    validate::model(model)?;
    validate::ids(&[id]).map_err(|_| super::chatter::id_error(id))
}

pub(super) async fn list(ctx: &ToolContext<'_>, args: ListAttachments) -> Result<Value, ToolError> {
    const TOOL: &str = "list_attachments";
    checked(TOOL, check_record(&args.model, args.id))?;
    let limit = checked(TOOL, validate::limit(args.limit, 20, 100))?;
    // Attachments of a record the user cannot read are hidden by Odoo, so an empty list and a
    // hidden record would look alike: the record is looked up first.
    visible_names(ctx, &args.model, &[args.id]).await?;
    let domain = json!([["res_model", "=", args.model], ["res_id", "=", args.id]]);
    let rows = search(ctx, domain, Some(limit)).await?;
    let attachments: Vec<AttachmentInfo> = rows.iter().map(info).collect();
    Ok(output::content(&Attachments {
        model: args.model,
        id: args.id,
        count: attachments.len(),
        attachments,
    }))
}

/// Attachments matching `domain` as the user sees them, newest first, without content.
async fn search(
    ctx: &ToolContext<'_>,
    domain: Value,
    limit: Option<u32>,
) -> Result<Vec<Value>, ToolError> {
    let rows = ctx
        .call(
            IR_ATTACHMENT,
            "search_read",
            None,
            kwargs([
                ("domain", Some(domain)),
                ("fields", Some(json!(FIELDS))),
                ("order", Some(json!("id desc"))),
                ("limit", limit.map(|l| json!(l))),
            ]),
        )
        .await?;
    Ok(match rows {
        Value::Array(rows) => rows,
        _ => Vec::new(),
    })
}

/// The attachment as the user sees it, refused when it belongs to a record of a model outside
/// the connection's Allowed Models.
async fn attachment(ctx: &ToolContext<'_>, id: i64) -> Result<Value, ToolError> {
    let rows = search(ctx, json!([["id", "=", id]]), None).await?;
    let row = rows.into_iter().next().ok_or_else(|| {
        ToolError::NotFound(format!(
            "Attachment {id} does not exist, or this user cannot see it."
        ))
    })?;
    if let Some(model) = row["res_model"].as_str() {
        let record = row["res_id"].as_i64().unwrap_or_default();
        let what = format!("Attachment {id}");
        admit::check_learned(ctx, Tool::GetAttachment.spec(), &what, model, record).await?;
    }
    Ok(row)
}

/// The decoded content of attachment `id`, read as the user (Odoo sends it base64).
pub(crate) async fn content(ctx: &ToolContext<'_>, id: i64) -> Result<Vec<u8>, ToolError> {
    let rows = read_rows(ctx, IR_ATTACHMENT, &[id], &["datas"]).await?;
    match rows.first().map(|r| r.get("datas")) {
        Some(Some(Value::String(data))) => STANDARD.decode(data.as_bytes()).map_err(|e| {
            ToolError::Internal(format!("Odoo sent an attachment that is not base64: {e}").into())
        }),
        Some(_) => Ok(Vec::new()),
        None => Err(ToolError::NotFound(format!(
            "Attachment {id} does not exist, or this user cannot see it."
        ))),
    }
}

fn is_text(mimetype: Option<&str>) -> bool {
    mimetype.is_some_and(|m| {
        let m = m.split(';').next().unwrap_or("").trim();
        m.starts_with("text/")
            || matches!(
                m,
                "application/json" | "application/xml" | "application/csv" | "application/x-yaml"
            )
    })
}

pub(super) async fn get(ctx: &ToolContext<'_>, args: GetAttachment) -> Result<Value, ToolError> {
    const TOOL: &str = "get_attachment";
    checked(
        TOOL,
        validate::ids(&[args.attachment_id]).map_err(|_| {
            format!(
                "attachment_id: {} is not an attachment id (ids are positive integers)",
                args.attachment_id
            )
        }),
    )?;
    let row = attachment(ctx, args.attachment_id).await?;
    let found = info(&row);
    let model = row["res_model"].as_str().map(str::to_owned);
    let record_id = row["res_id"].as_i64().filter(|id| *id > 0);
    let mut answer = AttachmentContent {
        attachment: found,
        model,
        record_id,
        text: None,
        download: None,
    };
    if answer.attachment.url.is_some() {
        return Ok(output::content(&answer));
    }
    let small = answer
        .attachment
        .size
        .is_some_and(|s| s <= INLINE_TEXT_BYTES);
    if small && is_text(answer.attachment.mimetype.as_deref()) {
        // Text that is not UTF-8 goes through a link like any other file.
        if let Ok(text) = String::from_utf8(content(ctx, args.attachment_id).await?) {
            answer.text = Some(text);
            return Ok(output::content(&answer));
        }
    }
    let target = Target::Attachment {
        id: args.attachment_id,
        model: answer.model.clone(),
        name: answer.attachment.name.clone(),
        mimetype: answer.attachment.mimetype.clone(),
    };
    answer.download = Some(links::issue(ctx, &target).await?);
    Ok(output::content(&answer))
}

/// The checks of `upload_attachment`, and the inline content decoded.
fn check_upload(args: &UploadAttachment, max_inline: usize) -> Result<Option<Vec<u8>>, String> {
    check_record(&args.model, args.id)?;
    validate::file_name(&args.name)?;
    if let Some(mimetype) = &args.mimetype {
        validate::mimetype(mimetype)?;
    }
    let Some(encoded) = &args.content_base64 else {
        return Ok(None);
    };
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| format!("content_base64 is not base64: {e}"))?;
    if bytes.is_empty() {
        return Err("content_base64 is empty; an attachment needs content".into());
    }
    if bytes.len() > max_inline {
        return Err(format!(
            "content_base64 holds {} bytes; at most {max_inline} go inline — call without content_base64 to get an upload link",
            bytes.len()
        ));
    }
    Ok(Some(bytes))
}

/// Everything `upload_attachment` checks before changing anything: the arguments, and that the
/// record exists and the user may change it (Odoo attaches files only to records one may write).
async fn prepare_upload(
    ctx: &ToolContext<'_>,
    args: &UploadAttachment,
) -> Result<Option<Vec<u8>>, ToolError> {
    const TOOL: &str = "upload_attachment";
    let content = checked(
        TOOL,
        check_upload(args, ctx.state.limits.files.inline_upload_bytes),
    )?;
    visible_names(ctx, &args.model, &[args.id]).await?;
    if super::write::access_check(ctx, &args.model, "write").await? != output::Access::Allowed {
        return Err(ToolError::Refused(format!(
            "This Odoo user may not change {} records, so cannot attach files to them.",
            args.model
        )));
    }
    Ok(content)
}

pub(super) async fn precheck_upload(
    ctx: &ToolContext<'_>,
    args: &UploadAttachment,
) -> Result<(), ToolError> {
    prepare_upload(ctx, args).await.map(drop)
}

/// Attaches `bytes` named `name` to the record; the new attachment's id.
pub(crate) async fn attach(
    ctx: &ToolContext<'_>,
    model: &str,
    id: i64,
    name: &str,
    mimetype: Option<&str>,
    bytes: &[u8],
) -> Result<i64, ToolError> {
    let mut vals = Map::new();
    vals.insert("name".into(), json!(name.trim()));
    vals.insert("res_model".into(), json!(model));
    vals.insert("res_id".into(), json!(id));
    vals.insert("datas".into(), json!(STANDARD.encode(bytes)));
    if let Some(mimetype) = mimetype {
        vals.insert("mimetype".into(), json!(mimetype));
    }
    let created = ctx
        .call(
            IR_ATTACHMENT,
            "create",
            None,
            kwargs([("vals_list", Some(json!([vals])))]),
        )
        .await?;
    Ok(super::write::created_ids(&created, 1)?[0])
}

pub(super) async fn upload(
    ctx: &ToolContext<'_>,
    args: UploadAttachment,
) -> Result<Value, ToolError> {
    let content = prepare_upload(ctx, &args).await?;
    let name = args.name.trim().to_owned();
    let mut answer = Uploaded {
        model: args.model.clone(),
        id: args.id,
        name: name.clone(),
        attachment_id: None,
        size: None,
        upload: None,
    };
    match content {
        Some(bytes) => {
            let id = attach(
                ctx,
                &args.model,
                args.id,
                &name,
                args.mimetype.as_deref(),
                &bytes,
            )
            .await?;
            answer.attachment_id = Some(id);
            answer.size = Some(bytes.len());
        }
        None => {
            let max_bytes = ctx.state.limits.files.upload_bytes;
            let target = Target::Upload {
                model: args.model,
                id: args.id,
                name,
                mimetype: args.mimetype,
                max_bytes,
                companies: links::companies_of(ctx),
            };
            let link = links::issue(ctx, &target).await?;
            answer.upload = Some(UploadLink {
                url: link.url,
                method: "PUT",
                max_bytes,
                expires_at: link.expires_at,
            });
        }
    }
    Ok(output::content(&answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(content: Option<&str>) -> UploadAttachment {
        UploadAttachment {
            model: "sale.order".into(),
            id: 7,
            name: "offer.txt".into(),
            mimetype: None,
            content_base64: content.map(str::to_owned),
        }
    }

    #[test]
    fn inline_content_is_decoded_and_bounded() {
        assert_eq!(
            check_upload(&upload(Some("aGVs\nbG8=")), 10),
            Ok(Some(b"hello".to_vec()))
        );
        assert_eq!(check_upload(&upload(None), 10), Ok(None));
        let big = check_upload(&upload(Some("aGVsbG8=")), 4).unwrap_err();
        assert!(big.contains("at most 4 go inline"), "{big}");
        let bad = check_upload(&upload(Some("not base64!")), 10).unwrap_err();
        assert!(bad.starts_with("content_base64 is not base64"), "{bad}");
        assert!(
            check_upload(&upload(Some("")), 10)
                .unwrap_err()
                .contains("empty")
        );
    }

    #[test]
    fn text_is_told_by_its_mime_type() {
        assert!(is_text(Some("text/plain")));
        assert!(is_text(Some("application/json; charset=utf-8")));
        assert!(!is_text(Some("application/pdf")));
        assert!(!is_text(None));
    }
}
