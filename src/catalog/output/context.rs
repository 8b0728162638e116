//! The context tools' answers: who the connection acts as, which models it may use, and what
//! fields a model has.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

/// `get_current_context`: the Odoo user, companies, server and connection this key acts as.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CurrentContext {
    /// The Odoo user as Odoo reads it: id, name, login, company_id, lang, tz.
    pub user: Option<Map<String, Value>>,
    pub companies: Companies,
    pub odoo: OdooServer,
    pub connection: ConnectionInfo,
}

/// The user's companies, and those this call acts in.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Companies {
    /// The company records are created in: the first of `acting_in`.
    pub current: Company,
    /// The companies this call sees and acts in: company_id / company_ids when given, else all
    /// of the user's.
    pub acting_in: Vec<i64>,
    /// Every company of the user; pass their ids as company_id / company_ids.
    pub available: Vec<AvailableCompany>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Company {
    pub id: i64,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AvailableCompany {
    pub id: i64,
    pub name: Option<String>,
    /// This connection may act in it (its Allowed Companies).
    pub allowed: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OdooServer {
    /// The server's series, e.g. "18.0"; null when it did not say.
    pub version: Option<String>,
    pub database: String,
}

/// The gateway connection the call came through.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConnectionInfo {
    pub id: i64,
    pub name: String,
    /// "API Key" or "OAuth Client".
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// "Full Access" or "Read Only" (no write tools).
    pub scope: &'static str,
}

/// `list_models`: the models this connection may use, by technical name.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Models {
    pub count: usize,
    pub models: Vec<AvailableModel>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AvailableModel {
    /// The technical name the other tools take, e.g. "res.partner".
    pub model: String,
    /// Its label, e.g. "Contact".
    pub name: String,
}

/// `describe_model`: a model's fields, by name.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ModelDescription {
    pub model: String,
    pub field_count: usize,
    pub fields: BTreeMap<String, FieldInfo>,
}

/// What using a field takes; the flags appear only when true.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FieldInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Odoo's field type: char, integer, many2one, one2many, selection …
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// A value must be given on create (unless Odoo has a default).
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Cannot be written.
    #[serde(default, skip_serializing_if = "is_false")]
    pub readonly: bool,
    /// The model a relational field points to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    /// A selection field's choices, as [value, label] pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "selection")]
    pub selection: Option<Value>,
    /// Odoo's help text, cut when long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

fn is_false(flag: &bool) -> bool {
    !flag
}

fn selection(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "items": {"type": "array", "description": "[value, label]"}
    })
}
