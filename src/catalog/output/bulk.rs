//! The bulk writes' answers: `create_records` and `update_records`, each with its dry run.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// `create_records`: the records made, or what a dry run found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CreateRecordsAnswer {
    Created(BulkCreated),
    DryRun {
        /// Always true: nothing was created.
        dry_run: bool,
        model: String,
        count: usize,
        records: Vec<PlannedRecord>,
        /// The user's right to create on the model.
        access: super::Access,
    },
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BulkCreated {
    pub model: String,
    pub count: usize,
    /// The new records' ids, in the order of `records`.
    pub ids: Vec<i64>,
}

/// One record of a `create_records` dry run.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PlannedRecord {
    /// Its position in `records`.
    pub index: usize,
    /// Required fields neither given nor defaulted by Odoo.
    pub missing_required: Vec<String>,
}

/// `update_records`: which records were updated and which failed, or what a dry run found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum UpdateRecordsAnswer {
    Updated(BulkUpdated),
    DryRun {
        /// Always true: nothing was written.
        dry_run: bool,
        model: String,
        /// The records' current values of the fields that would change.
        current: Vec<serde_json::Map<String, Value>>,
        missing_ids: Vec<i64>,
        /// The user's right to write on the model.
        access: super::Access,
    },
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BulkUpdated {
    pub model: String,
    /// Every record was updated.
    pub all_updated: bool,
    /// One Odoo call wrote them all (all or none); otherwise one call per group of records
    /// sharing the same values.
    pub atomic: bool,
    pub updated: Vec<i64>,
    pub failed: Vec<BulkFailure>,
}

/// Records whose write Odoo refused, and why.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BulkFailure {
    pub ids: Vec<i64>,
    pub error: String,
}
