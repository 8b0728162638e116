//! The write tools' answers, each a real write or its dry run (which changes nothing), and
//! `execute_method`'s.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

/// The user's model-level right to the operation; record rules still apply per record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Allowed,
    Denied,
}

/// `create_record`: the record made, or what a dry run found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CreateRecordAnswer {
    Created {
        model: String,
        /// The new record's id.
        id: i64,
        /// Always true.
        created: bool,
    },
    DryRun {
        /// Always true: nothing was created.
        dry_run: bool,
        /// Always "create".
        would: &'static str,
        model: String,
        /// The values as given.
        values: Map<String, Value>,
        /// Required fields neither given nor defaulted by Odoo: the create would fail.
        missing_required: Vec<String>,
        access: Access,
    },
}

/// `update_record`: the records written, or what a dry run found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum UpdateRecordAnswer {
    Updated {
        model: String,
        ids: Vec<i64>,
        /// Always true.
        updated: bool,
    },
    DryRun {
        /// Always true: nothing was written.
        dry_run: bool,
        /// Always "update".
        would: &'static str,
        model: String,
        /// The records' current display_name and values of the fields that would change.
        current: Vec<Map<String, Value>>,
        /// Asked-for ids that do not exist or this user cannot see.
        missing_ids: Vec<i64>,
        /// The values as given.
        new_values: Map<String, Value>,
        access: Access,
    },
}

/// `delete_record`: the records deleted, or what a dry run found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum DeleteRecordAnswer {
    Deleted {
        model: String,
        ids: Vec<i64>,
        /// Always true.
        deleted: bool,
    },
    DryRun {
        /// Always true: nothing was deleted.
        dry_run: bool,
        /// Always "delete".
        would: &'static str,
        model: String,
        /// The records that would go: id and display_name.
        records: Vec<Map<String, Value>>,
        /// Asked-for ids that do not exist or this user cannot see.
        missing_ids: Vec<i64>,
        access: Access,
    },
}

/// `execute_method`: what the method returned.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MethodRun {
    pub model: String,
    pub method: String,
    /// The records it ran on; null when called on the model.
    pub ids: Option<Vec<i64>>,
    /// The method's return value as Odoo sends it: often true or null (nothing returned), or
    /// an action to open.
    #[schemars(schema_with = "super::any_value")]
    pub result: Value,
}
