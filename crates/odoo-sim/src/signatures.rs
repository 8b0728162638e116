//! The signatures of the model methods the simulator serves: parameters, which are required, whether
//! they take ids, and whether they change data.

use super::OdooVersion;

/// A method's Python signature.
pub(crate) struct Spec {
    /// `@api.model`: called without ids.
    pub model_level: bool,
    pub params: &'static [&'static str],
    pub required: usize,
    /// Where unexpected keywords end up, as Python names it in the TypeError.
    pub sink: &'static str,
    pub mutates: bool,
}

pub(crate) fn spec(method: &str, model: &str, version: OdooVersion) -> Option<Spec> {
    let s = |model_level, params, required, sink, mutates| Spec {
        model_level,
        params,
        required,
        sink,
        mutates,
    };
    Some(match method {
        "search_read" => s(
            true,
            &["domain", "fields", "offset", "limit", "order"],
            0,
            "BaseModel._read_format",
            false,
        ),
        "search" => s(
            true,
            &["domain", "offset", "limit", "order"],
            1,
            "BaseModel.search",
            false,
        ),
        "search_count" => s(
            true,
            &["domain", "limit"],
            1,
            "BaseModel.search_count",
            false,
        ),
        "read" => s(false, &["fields", "load"], 0, "BaseModel.read", false),
        "create" => s(true, &["vals_list"], 1, "BaseModel.create", true),
        "write" => s(false, &["vals"], 1, "BaseModel.write", true),
        "unlink" => s(false, &[], 0, "BaseModel.unlink", true),
        "exists" => s(false, &[], 0, "BaseModel.exists", false),
        "get_views" => s(true, &["views", "options"], 0, "Base.get_views", false),
        "fields_get" => s(
            true,
            &["allfields", "attributes"],
            0,
            "BaseModel.fields_get",
            false,
        ),
        "read_group" => s(
            true,
            &[
                "domain", "fields", "groupby", "offset", "limit", "orderby", "lazy",
            ],
            3,
            "BaseModel.read_group",
            false,
        ),
        "name_search" => s(
            true,
            &["name", "domain", "operator", "limit"],
            0,
            "BaseModel.name_search",
            false,
        ),
        "default_get" => match version {
            OdooVersion::V18 => s(true, &["fields_list"], 1, "BaseModel.default_get", false),
            OdooVersion::V19 => s(true, &["fields"], 1, "BaseModel.default_get", false),
        },
        "check_access_rights" => s(
            true,
            &["operation", "raise_exception"],
            1,
            "BaseModel.check_access_rights",
            false,
        ),
        "check_access" => s(false, &["operation"], 1, "BaseModel.check_access", false),
        "has_access" => s(false, &["operation"], 1, "BaseModel.has_access", false),
        "context_get" if model == "res.users" => s(true, &[], 0, "Users.context_get", false),
        "get_available_models" if model == "ir.model" => {
            s(true, &[], 0, "IrModel.get_available_models", false)
        }
        "display_name_for" if model == "ir.model" => {
            s(true, &["models"], 1, "IrModel.display_name_for", false)
        }
        "formatted_read_group" if version == OdooVersion::V19 => s(
            true,
            &[
                "domain",
                "groupby",
                "aggregates",
                "having",
                "offset",
                "limit",
                "order",
            ],
            1,
            "Base.formatted_read_group",
            false,
        ),
        "get_wkhtmltopdf_state" if model == "ir.actions.report" => {
            s(true, &[], 0, "IrActionsReport.get_wkhtmltopdf_state", false)
        }
        "action_archive" => s(false, &[], 0, "BaseModel.action_archive", true),
        "action_unarchive" => s(false, &[], 0, "BaseModel.action_unarchive", true),
        "action_confirm" if model == "sale.order" => {
            s(false, &[], 0, "SaleOrder.action_confirm", true)
        }
        "action_cancel" if model == "sale.order" => {
            s(false, &[], 0, "SaleOrder.action_cancel", true)
        }
        "message_post" => s(false, MESSAGE_POST, 0, "MailThread.message_post", true),
        "action_feedback" if model == "mail.activity" => s(
            false,
            &["feedback", "attachment_ids"],
            0,
            "MailActivity.action_feedback",
            true,
        ),
        _ => return None,
    })
}

/// `mail.thread.message_post`'s keyword arguments the simulator knows.
const MESSAGE_POST: &[&str] = &[
    "body",
    "subject",
    "message_type",
    "subtype_xmlid",
    "partner_ids",
    "attachment_ids",
    "body_is_html",
];
