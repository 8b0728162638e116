//! The web UI's "New API Key" wizard (samples "API key step 1–4"), over a web session.
//!
//! `res.users.apikeys.description.create` → `make_key` → `res.users.identitycheck.write({password})` →
//! `run_check` returns the key. Odoo 18 checks the written password, Odoo 19 `context.password`.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::fault::Fault;
use super::orm::ids_of;
use super::{OdooVersion, Simulator};

#[derive(Default)]
pub(crate) struct Wizards {
    next_id: i64,
    /// description id → (uid, key name)
    descriptions: HashMap<i64, (i64, String)>,
    /// identity check id → (uid, description id, written password)
    checks: HashMap<i64, (i64, i64, Option<String>)>,
}

impl Wizards {
    fn next(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }
}

const MODELS: [&str; 2] = ["res.users.apikeys.description", "res.users.identitycheck"];

/// Handle a wizard call, or `None` when `model` is not one of the wizard models.
pub(crate) fn call(
    sim: &Simulator,
    uid: i64,
    model: &str,
    method: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Option<Result<Value, Fault>> {
    if !MODELS.contains(&model) {
        return None;
    }
    let first_id = || {
        ids_of(args.first().unwrap_or(&Value::Null))
            .first()
            .copied()
            .unwrap_or(0)
    };
    let mut wizards = sim.wizards();
    Some(match (model, method) {
        ("res.users.apikeys.description", "create") => {
            let name = args
                .first()
                .and_then(|v| v.get("name"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let id = wizards.next();
            wizards.descriptions.insert(id, (uid, name.to_owned()));
            Ok(json!(id))
        }
        ("res.users.apikeys.description", "make_key") => {
            let description = first_id();
            if !wizards.descriptions.contains_key(&description) {
                return Some(Err(Fault::missing(model, &[description], uid)));
            }
            let check = wizards.next();
            wizards.checks.insert(check, (uid, description, None));
            Ok(
                json!({"type": "ir.actions.act_window", "res_model": "res.users.identitycheck", "res_id": check, "name": "Security Control", "target": "new", "views": [[false, "form"]]}),
            )
        }
        ("res.users.identitycheck", "write") => {
            let password = args
                .get(1)
                .and_then(|v| v.get("password"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            match wizards.checks.get_mut(&first_id()) {
                Some(check) => {
                    check.2 = password;
                    Ok(json!(true))
                }
                None => Err(Fault::missing(model, &[first_id()], uid)),
            }
        }
        ("res.users.identitycheck", "run_check") => {
            let Some((owner, _, written)) = wizards.checks.remove(&first_id()) else {
                return Some(Err(Fault::missing(model, &[first_id()], uid)));
            };
            let from_context = kwargs
                .get("context")
                .and_then(|c| c.get("password"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let password = match sim.version() {
                OdooVersion::V18 => written,
                OdooVersion::V19 => from_context,
            };
            drop(wizards);
            if !password.is_some_and(|p| sim.password_matches(owner, &p)) {
                return Some(Err(Fault::user_error(
                    "Incorrect Password, try again or click on Forgot Password to reset your password.",
                )));
            }
            let login = sim.login_of(owner).unwrap_or_default();
            let key = sim.issue_api_key(&login).unwrap_or_default();
            Ok(
                json!({"type": "ir.actions.act_window", "res_model": "res.users.apikeys.show", "name": "API Key Ready", "views": [[false, "form"]], "target": "new", "context": {"default_key": key}}),
            )
        }
        _ => Err(Fault::no_such_method(model, method)),
    })
}
