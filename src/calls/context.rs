//! What a tool may use: the gateway's state, and Odoo as the principal's user in the companies
//! the call acts in.

use serde_json::{Map, Value, json};

use super::error::ToolError;
use super::principal::Principal;
use crate::odoo::{self, Call, Credential};
use crate::policy::companies::Companies;
use crate::state::AppState;
use crate::traces;

/// Odoo's answer when `allowed_company_ids` names a company the user does not belong to.
const FOREIGN_COMPANY: &str = "Access to unauthorized or invalid companies.";

/// Everything a tool may use: the gateway's state, and Odoo as the principal's user.
pub struct ToolContext<'a> {
    pub state: &'a AppState,
    pub principal: &'a Principal,
    /// The companies every Odoo call of this tool acts in.
    pub companies: Companies,
}

impl<'a> ToolContext<'a> {
    /// In the user's default companies, until the call's own are decided.
    pub fn new(state: &'a AppState, principal: &'a Principal) -> Self {
        Self {
            state,
            principal,
            companies: Companies::UserDefault,
        }
    }

    pub fn in_companies(self, companies: Companies) -> Self {
        Self { companies, ..self }
    }

    /// Whether to use Odoo 19's replacements of methods it deprecates (`formatted_read_group`
    /// for `read_group`, `has_access` for `check_access_rights`), which log a warning per call.
    pub async fn odoo_19_api(&self) -> bool {
        self.state
            .odoo
            .server_version()
            .await
            .is_ok_and(|v| v.major >= 19)
    }

    pub async fn call(
        &self,
        model: &str,
        method: &str,
        ids: Option<Vec<i64>>,
        kwargs: Map<String, Value>,
    ) -> Result<Value, ToolError> {
        let call = Call {
            model: model.to_owned(),
            method: method.to_owned(),
            ids,
            kwargs,
        };
        self.send(&self.principal.credential, call).await
    }

    /// Sends `call` with `credential` (the principal's, or a copy on another protocol), in the
    /// call's companies: they go into Odoo's context as `allowed_company_ids`, over any the
    /// kwargs named.
    pub async fn send(&self, credential: &Credential, mut call: Call) -> Result<Value, ToolError> {
        if let Some(ids) = self.companies.context_ids() {
            let context = call
                .kwargs
                .entry("context")
                .or_insert_with(|| Value::Object(Map::new()));
            if !context.is_object() {
                *context = Value::Object(Map::new());
            }
            context["allowed_company_ids"] = json!(ids);
        }
        // The span names the model and method, never the ids or kwargs (data, filters).
        let span = traces::client_call(format!("odoo {}.{}", call.model, call.method), || {
            vec![
                traces::Attribute::new("rpc.system.name", "odoo"),
                traces::Attribute::new("rpc.method", format!("{}.{}", call.model, call.method)),
                traces::Attribute::new("odoo.model", call.model.clone()),
                traces::Attribute::new("odoo.method", call.method.clone()),
            ]
        });
        let answer = span.around(self.state.odoo.call(credential, &call)).await;
        let outcome = match &answer {
            Ok(_) => "ok",
            Err(e) => e.kind().map_or("error", odoo::ErrorKind::as_str),
        };
        span.set(|| traces::Attribute::new("odoo.outcome", outcome));
        if answer.is_err() {
            span.fail(outcome);
        }
        drop(span);
        match answer {
            Ok(value) => Ok(value),
            Err(odoo::Error::Odoo { message, .. }) if message == FOREIGN_COMPANY => {
                Err(ToolError::Refused(format!(
                    "Odoo refused to act in the companies {:?}: the Odoo user does not belong to \
                     every one of them (get_current_context lists the user's companies).",
                    self.companies.context_ids().unwrap_or_default()
                )))
            }
            Err(e) if e.kind() == Some(odoo::ErrorKind::MissingModel) => {
                Err(self.missing_model(credential, &call.model, e).await)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Odoo's "model not found", told apart: a model of a module that is not installed, or
    /// a model that does not exist at all.
    async fn missing_model(
        &self,
        credential: &Credential,
        model: &str,
        error: odoo::Error,
    ) -> ToolError {
        let Some((module, label)) = super::modules::module_of(model) else {
            return error.into();
        };
        match super::modules::installed(&self.state.odoo, credential, module).await {
            Some(false) => ToolError::ModuleMissing {
                model: model.to_owned(),
                module,
                label,
            },
            _ => error.into(),
        }
    }
}
