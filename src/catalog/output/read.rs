//! The read tools' answers. Records are Odoo's field maps, as Odoo reads them (a many2one is
//! `[id, name]`, an empty value `false`).

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

/// `search_records`: one page of the matching records.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Records {
    pub model: String,
    /// Records on this page.
    pub count: usize,
    pub offset: u32,
    /// The fields asked for, and id.
    pub records: Vec<Map<String, Value>>,
    /// Pass as `offset` for the next page; null on the last page.
    pub next_offset: Option<usize>,
}

/// `get_record`: one record.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OneRecord {
    pub model: String,
    pub record: Map<String, Value>,
}

/// `count_records`: how many records match.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Count {
    pub model: String,
    pub count: i64,
}

/// `aggregate_records`: grouped totals.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Groups {
    pub model: String,
    pub group_count: usize,
    /// Each group's group_by values, each aggregate under its field's name, and `__count` (the
    /// records in the group).
    pub groups: Vec<Map<String, Value>>,
}
