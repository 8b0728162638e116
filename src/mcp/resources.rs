//! MCP resources: each model the connection may use is a resource, `odoo://model/<model>`
//! (its fields, as `describe_model` gives them), and each record is the resource template
//! `odoo://record/<model>/<id>` (its fields, as `get_record` gives them). A resource is read by
//! running that tool, so Allowed Tools, Allowed Models, Read Only, approvals and the audit
//! apply exactly as to the tool; `resources/list` lists only the models Allowed Models admits.

use rmcp::ErrorData;
use rmcp::model::{
    ListResourceTemplatesResult, ListResourcesResult, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate,
};
use serde_json::json;

use super::call::{self, Reached};
use crate::approvals::chat::Turn;
use crate::audit::outcome;
use crate::calls::once::Ran;
use crate::calls::{Principal, ToolContext, ToolError, tools};
use crate::catalog::{self, validate};
use crate::policy;
use crate::state::AppState;
use crate::web::audited::Note;

const MODEL: &str = "odoo://model/";
const RECORD: &str = "odoo://record/";
const JSON: &str = "application/json";
/// Resources per page of `resources/list`.
const PAGE: usize = 100;

/// A resource URI of the gateway, parsed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Uri<'a> {
    Model(&'a str),
    Record(&'a str, i64),
}

pub(super) fn parse(uri: &str) -> Option<Uri<'_>> {
    if let Some(model) = uri.strip_prefix(MODEL) {
        return validate::model(model).ok().map(Uri::Model);
    }
    let (model, id) = uri.strip_prefix(RECORD)?.rsplit_once('/')?;
    let id = id.parse().ok().filter(|id| *id > 0)?;
    validate::model(model)
        .ok()
        .map(|model| Uri::Record(model, id))
}

/// The model a resource URI names (for the audit entry).
pub(super) fn model_of(uri: &str) -> Option<&str> {
    match parse(uri)? {
        Uri::Model(model) | Uri::Record(model, _) => Some(model),
    }
}

pub(super) fn templates() -> ListResourceTemplatesResult {
    ListResourceTemplatesResult::with_all_items(vec![
        ResourceTemplate::new(format!("{RECORD}{{model}}/{{id}}"), "record")
            .with_title("An Odoo record")
            .with_description(
                "One record's stored fields, e.g. odoo://record/res.partner/7 (as get_record \
                 reads them).",
            )
            .with_mime_type(JSON),
    ])
}

pub(super) async fn list(
    state: &AppState,
    principal: &Principal,
    note: Option<&Note>,
    cursor: Option<&str>,
) -> Result<ListResourcesResult, ErrorData> {
    let ended = |label, error: Option<String>| {
        if let Some(note) = note {
            note.ended(label, error);
        }
    };
    // A model's resource is describe_model's answer: no tool, no resources.
    let describe = catalog::find("describe_model").expect("describe_model is in the catalog");
    if policy::tool_decision(&principal.connection, describe).is_err() {
        ended(outcome::SUCCESS, None);
        return Ok(ListResourcesResult::with_all_items(Vec::new()));
    }
    let offset = match cursor.map(str::parse::<usize>) {
        None => 0,
        Some(Ok(offset)) => offset,
        Some(Err(_)) => {
            let message = "Invalid cursor: pass the nextCursor of the previous page.";
            ended(outcome::ERROR, Some(message.to_owned()));
            return Err(ErrorData::invalid_params(message, None));
        }
    };
    let ctx = ToolContext::new(state, principal);
    let models = match tools::available_models(&ctx).await {
        Ok(models) => models,
        Err(e) => {
            ended(e.outcome(), Some(e.to_string()));
            return Err(ErrorData::internal_error(e.to_string(), None));
        }
    };
    let resources = models
        .iter()
        .skip(offset)
        .take(PAGE)
        .map(|(model, name)| {
            Resource::new(format!("{MODEL}{model}"), model.as_str())
                .with_title(name.as_str())
                .with_description(format!("The fields of {name} ({model}) in Odoo."))
                .with_mime_type(JSON)
        })
        .collect();
    let mut page = ListResourcesResult::with_all_items(resources);
    if offset + PAGE < models.len() {
        page.next_cursor = Some((offset + PAGE).to_string());
    }
    ended(outcome::SUCCESS, None);
    Ok(page)
}

pub(super) async fn read(
    state: &AppState,
    principal: &Principal,
    note: Option<&Note>,
    uri: &str,
) -> Result<ReadResourceResult, ErrorData> {
    let ended = |label, error: Option<String>| {
        if let Some(note) = note {
            note.ended(label, error);
        }
    };
    let Some(parsed) = parse(uri) else {
        let message = format!(
            "Unknown resource '{}': the gateway serves odoo://model/<model> and \
             odoo://record/<model>/<id>.",
            validate::shorten(uri)
        );
        ended(outcome::ERROR, Some(message.clone()));
        return Err(ErrorData::resource_not_found(message, None));
    };
    let (tool, arguments) = match parsed {
        Uri::Model(model) => ("describe_model", json!({ "model": model })),
        Uri::Record(model, id) => ("get_record", json!({ "model": model, "id": id })),
    };
    let serde_json::Value::Object(arguments) = arguments else {
        unreachable!("the arguments are an object")
    };
    // A resource read never asks in chat: a tool to confirm is filed for approval.
    let outcome = call::run_tool(state, principal, tool, arguments, &Turn::none())
        .await
        .map(|reached| match reached {
            Reached::Ran(ran) | Reached::Confirmed(ran) => ran,
            Reached::Ask(_) => Ran::Pending(serde_json::Value::Null),
        });
    let label = match &outcome {
        Ok(ran) => ran.outcome(),
        Err(e) => e.outcome(),
    };
    ended(label, outcome.as_ref().err().map(ToString::to_string));
    if let Some(note) = note {
        note.refused_by(outcome.as_ref().err().and_then(ToolError::rule));
    }
    match outcome {
        Ok(Ran::Done(value)) => Ok(ReadResourceResult::new(vec![
            ResourceContents::TextResourceContents {
                uri: uri.to_owned(),
                mime_type: Some(JSON.to_owned()),
                text: value.to_string(),
                meta: None,
            },
        ])),
        Ok(Ran::Pending(_)) => Err(ErrorData::invalid_request(
            format!(
                "Reading this resource runs {tool}, which needs approval on this connection; \
                 call the {tool} tool and follow its approval."
            ),
            None,
        )),
        Err(ToolError::NotFound(message)) => Err(ErrorData::resource_not_found(message, None)),
        Err(e @ ToolError::Internal(_)) => {
            let message = e.to_string();
            // Logs the cause; the client gets the generic message.
            let _ = e.into_response();
            Err(ErrorData::internal_error(message, None))
        }
        Err(e) => Err(ErrorData::invalid_params(e.to_string(), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_uris_parse_or_are_refused() {
        assert_eq!(
            parse("odoo://model/res.partner"),
            Some(Uri::Model("res.partner"))
        );
        assert_eq!(
            parse("odoo://record/sale.order/7"),
            Some(Uri::Record("sale.order", 7))
        );
        for bad in [
            "odoo://record/sale.order/0",
            "odoo://record/sale.order/x",
            "odoo://record/sale.order",
            "odoo://model/Res Partner",
            "file:///etc/passwd",
            "odoo://model/",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(model_of("odoo://record/res.partner/3"), Some("res.partner"));
    }
}
