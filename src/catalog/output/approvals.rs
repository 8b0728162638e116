//! `get_approval_status`'s answer: where a held call stands, and its result once it ran.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

/// An approval request, as its requester may see it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApprovalStatus {
    pub approval_id: String,
    /// pending (undecided), approved (running now), executed, failed, rejected or expired.
    #[schemars(schema_with = "state")]
    pub state: &'static str,
    /// What the call does, as the approver read it.
    pub summary: String,
    /// The held tool.
    pub tool: String,
    /// "YYYY-MM-DD HH:MM UTC", as are the other times.
    pub created_at: String,
    /// An undecided request expires then.
    pub expires_at: String,
    /// When it was approved or rejected.
    pub decided_at: Option<String>,
    /// The approver's reason, for a rejection.
    pub reason: Option<String>,
    /// Once executed: the tool's answer, as if it had run at once.
    pub result: Option<Map<String, Value>>,
    /// Once failed: why.
    pub error: Option<String>,
}

/// The words `state` takes: the stored spellings of the approvals' states, which sit above the
/// catalog (a test in `values` holds the two lists equal).
pub const STATES: &[&str] = &[
    "pending", "approved", "executed", "failed", "rejected", "expired",
];

fn state(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "string", "enum": STATES})
}
