//! execute_method: public business methods (buttons such as `action_confirm`), behind a deny
//! list for private methods, plain CRUD (which has dedicated, separately governed tools) and
//! models or methods that would let a client escalate its own rights.

use serde_json::Value;

use super::checked;
use crate::calls::ToolContext;
use crate::calls::ToolError;
use crate::catalog::args::ExecuteMethod;
use crate::catalog::output::{self, MethodRun};
use crate::catalog::validate;
use crate::odoo::{self, Call, Protocol};

/// Models whose methods can change security, configuration or code execution.
const DENIED_MODELS: &[&str] = &[
    "ir.config_parameter",
    "res.users.apikeys",
    "res.users.apikeys.description",
    "res.users.identitycheck",
    "res.users",
    "res.groups",
    "ir.rule",
    "ir.model.access",
    "ir.cron",
    "ir.module.module",
    "ir.actions.server",
    "ir.model",
    "ir.model.fields",
    "ir.ui.view",
    "ir.mail_server",
    "base.automation",
    "change.password.wizard",
];

/// Methods that are governed through their own tools, or escape the user's rights.
const DENIED_METHODS: &[(&str, &str)] = &[
    ("create", "create_record"),
    ("write", "update_record"),
    ("unlink", "delete_record"),
    ("read", "get_record"),
    ("search", "search_records"),
    ("search_read", "search_records"),
    ("search_count", "count_records"),
    ("read_group", "aggregate_records"),
    ("fields_get", "describe_model"),
    // The web client's equivalents, which would write or read past the governed tools (their
    // `specification` reads related models the Allowed Models check never sees).
    ("web_save", "create_record or update_record"),
    ("name_create", "create_record"),
    ("copy", "create_record"),
    ("web_read", "get_record"),
    ("web_search_read", "search_records"),
    ("search_fetch", "search_records"),
    ("export_data", "search_records"),
    ("web_read_group", "aggregate_records"),
    ("formatted_read_group", "aggregate_records"),
    // The web client's form and search-panel helpers: each takes a field specification of its
    // own (`fields_spec`, `specification`, `field_name`, a `group_by` string) that reads related
    // models past the Allowed Models check, and `web_resequence` also writes.
    ("onchange", "describe_model and create_record"),
    ("web_name_search", "search_records"),
    ("web_resequence", "update_record"),
    ("search_panel_select_range", "aggregate_records"),
    ("search_panel_select_multi_range", "aggregate_records"),
    ("read_progress_bar", "aggregate_records"),
];
const ESCALATING_METHODS: &[&str] = &[
    "sudo",
    "with_user",
    "with_env",
    "with_context",
    "with_company",
    "load",
];

/// Why a model/method pair is refused, or `None` when it may be called.
pub(super) fn refusal(model: &str, method: &str) -> Option<String> {
    if method.starts_with('_') {
        return Some(format!(
            "Private methods such as '{method}' cannot be called."
        ));
    }
    if let Some((_, tool)) = DENIED_METHODS.iter().find(|(m, _)| *m == method) {
        return Some(format!(
            "Use the {tool} tool for '{method}', not execute_method."
        ));
    }
    if ESCALATING_METHODS.contains(&method) {
        return Some(format!(
            "The method '{method}' is not allowed through the gateway."
        ));
    }
    if DENIED_MODELS.contains(&model) {
        return Some(format!(
            "Methods of '{model}' are not allowed through the gateway (security-sensitive model)."
        ));
    }
    None
}

const TOOL: &str = "execute_method";

/// Everything `execute_method` checks before Odoo is called.
pub(super) fn check(args: &ExecuteMethod) -> Result<(), ToolError> {
    let model = checked(TOOL, validate::model(&args.model))?;
    checked(
        TOOL,
        validate::field_path(&args.method)
            .map_err(|_| format!("'{}' is not a method name", validate::shorten(&args.method))),
    )?;
    if let Some(reason) = refusal(model, &args.method) {
        return Err(ToolError::Refused(reason));
    }
    if let Some(ids) = &args.ids {
        checked(TOOL, validate::ids(ids))?;
    }
    let names_companies = args
        .arguments
        .as_ref()
        .and_then(|a| a.get("context"))
        .and_then(|c| c.get("allowed_company_ids"))
        .is_some();
    if names_companies {
        return Err(ToolError::invalid(
            TOOL,
            "arguments.context.allowed_company_ids: name the companies with company_id or \
             company_ids, which the connection's Allowed companies govern",
        ));
    }
    Ok(())
}

pub(super) async fn run(ctx: &ToolContext<'_>, args: ExecuteMethod) -> Result<Value, ToolError> {
    check(&args)?;
    let call = Call {
        model: args.model.clone(),
        method: args.method.clone(),
        ids: args.ids.clone(),
        kwargs: args.arguments.unwrap_or_default(),
    };
    let mut credential = ctx.principal.credential.clone();
    if call.ids.is_none() {
        // JSON-2 runs a record method called without ids on an empty recordset and answers
        // success having done nothing; JSON-RPC (which takes the same API key) refuses it, so
        // the model learns it must name the records.
        credential.protocol = Protocol::JsonRpc;
    }
    let without_ids = call.ids.is_none();
    let result = match ctx.send(&credential, call).await {
        Ok(result) => result,
        Err(ToolError::Odoo(e)) if without_ids && needs_records(&e) => {
            return Err(ToolError::invalid(
                TOOL,
                format!(
                    "'{}' works on records: pass the ids of the records to call it on",
                    args.method
                ),
            ));
        }
        Err(e) => return Err(e),
    };
    Ok(output::content(&MethodRun {
        model: args.model,
        method: args.method,
        ids: args.ids,
        result,
    }))
}

/// Odoo's `call_kw` reads the ids as its first positional argument; without them a record
/// method fails with Python's `IndexError` ("tuple index out of range" up to 18, "list index
/// out of range" on 19).
fn needs_records(error: &odoo::Error) -> bool {
    matches!(error, odoo::Error::Odoo { message, .. }
        if message == "tuple index out of range" || message == "list index out of range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_methods_pass_and_dangerous_ones_are_named() {
        assert_eq!(refusal("sale.order", "action_confirm"), None);
        assert!(
            refusal("sale.order", "_action_confirm")
                .unwrap()
                .contains("Private")
        );
        assert!(
            refusal("res.partner", "unlink")
                .unwrap()
                .contains("delete_record")
        );
        assert!(refusal("res.partner", "sudo").is_some());
        for method in [
            "onchange",
            "web_name_search",
            "web_resequence",
            "search_panel_select_range",
            "read_progress_bar",
            "web_save",
            "copy",
            "web_search_read",
            "search_fetch",
            "formatted_read_group",
        ] {
            assert!(
                refusal("res.partner", method).unwrap().contains("Use the"),
                "{method}"
            );
        }
        assert!(
            refusal("ir.config_parameter", "set_param")
                .unwrap()
                .contains("ir.config_parameter")
        );
        assert!(refusal("ir.cron", "method_direct_trigger").is_some());
    }
}
