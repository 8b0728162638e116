//! The workflow buttons' answers: `list_actions` and `run_action`.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

/// A button of a record's form.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ActionButton {
    /// What to pass to run_action as `action` (the method it calls).
    pub name: String,
    /// The label Odoo shows.
    pub label: String,
    /// Highlighted as the form's main action.
    pub primary: bool,
    /// The confirmation Odoo asks for before pressing it.
    pub confirm: Option<String>,
}

/// A button whose condition this gateway cannot evaluate; run_action refuses it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Unsure {
    pub name: String,
    pub label: String,
    pub why: String,
}

/// The buttons a record's form shows this user now.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Actions {
    pub model: String,
    pub id: i64,
    pub actions: Vec<ActionButton>,
    pub unsure: Vec<Unsure>,
}

/// A button pressed: done, or a wizard to fill in first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ActionRun {
    pub model: String,
    pub id: i64,
    pub action: String,
    /// False when a wizard waits to be filled in (nothing is done yet).
    pub done: bool,
    /// What the button answered, when it opened something (a record, a list, another action).
    pub result: Option<Map<String, Value>>,
    pub wizard: Option<Wizard>,
    pub message: Option<String>,
}

/// A wizard a button opened.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Wizard {
    pub model: String,
    pub title: Option<String>,
    /// Its fields, as fields_get describes them (empty once pressed).
    pub fields: Map<String, Value>,
    /// Odoo's defaults for them.
    pub defaults: Map<String, Value>,
    /// Its buttons (or, once pressed, the one pressed).
    pub buttons: Vec<ActionButton>,
}
