//! What a tool may use: the gateway's state, and Odoo as the principal's user.

use serde_json::{Map, Value};

use super::error::ToolError;
use super::principal::Principal;
use crate::odoo::Call;
use crate::state::AppState;

/// Everything a tool may use: the gateway's state, and Odoo as the principal's user.
pub struct ToolContext<'a> {
    pub state: &'a AppState,
    pub principal: &'a Principal,
}

impl ToolContext<'_> {
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
        Ok(self
            .state
            .odoo
            .call(&self.principal.credential, &call)
            .await?)
    }
}
