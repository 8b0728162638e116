//! The arguments each tool accepts: parsed with serde (unknown keys refused) and described to
//! clients by the JSON Schema derived from the same types.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListModels {
    /// A word matched against the technical name and the label, e.g. "invoice" or "sale".
    pub query: Option<String>,
    /// At most this many models (default 50, at most 200).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeModel {
    /// Technical model name, e.g. "res.partner".
    pub model: String,
    /// Only these fields (default: all).
    pub fields: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRecords {
    /// Technical model name, e.g. "res.partner".
    pub model: String,
    /// Odoo domain: a list of [field, operator, value] conditions, combined with AND unless
    /// prefixed by "|" (OR), "&" (AND) or "!" (NOT). Dotted paths follow relations.
    #[serde(default)]
    #[schemars(schema_with = "crate::catalog::schema::domain")]
    pub domain: Option<Vec<Value>>,
    /// Field names to return (default: id and display_name).
    pub fields: Option<Vec<String>>,
    /// Page size (default 20, at most 200).
    pub limit: Option<u32>,
    /// Records to skip, for paging.
    pub offset: Option<u32>,
    /// Sort order, e.g. "name asc, id desc".
    pub order: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetRecord {
    /// Technical model name, e.g. "sale.order".
    pub model: String,
    /// The record's id.
    pub id: i64,
    /// Field names to return (default: stored, non-binary fields, at most 40).
    pub fields: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CountRecords {
    /// Technical model name.
    pub model: String,
    /// Odoo domain (see search_records); all records when absent.
    #[serde(default)]
    #[schemars(schema_with = "crate::catalog::schema::domain")]
    pub domain: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AggregateRecords {
    /// Technical model name, e.g. "sale.order".
    pub model: String,
    /// Odoo domain (see search_records).
    #[serde(default)]
    #[schemars(schema_with = "crate::catalog::schema::domain")]
    pub domain: Option<Vec<Value>>,
    /// Fields to group by, e.g. ["state"] or ["date_order:month", "user_id"].
    pub group_by: Vec<String>,
    /// Totals to compute as "field:function" (sum, avg, min, max, count), e.g. ["amount_total:sum"].
    pub aggregates: Option<Vec<String>>,
    /// At most this many groups (default 80, at most 500).
    pub limit: Option<u32>,
    /// Groups to skip, for paging.
    pub offset: Option<u32>,
    /// Order of the groups, e.g. "amount_total desc".
    pub order: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRecord {
    /// Technical model name.
    pub model: String,
    /// Field values of the new record, e.g. {"name": "Acme", "is_company": true}.
    pub values: Map<String, Value>,
    /// Only check, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRecord {
    /// Technical model name.
    pub model: String,
    /// Ids of the records to update.
    pub ids: Vec<i64>,
    /// Field values to write.
    pub values: Map<String, Value>,
    /// Only show what would change, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteRecord {
    /// Technical model name.
    pub model: String,
    /// Ids of the records to delete.
    pub ids: Vec<i64>,
    /// Only list what would be deleted, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteMethod {
    /// Technical model name, e.g. "sale.order".
    pub model: String,
    /// Public method name, e.g. "action_confirm".
    pub method: String,
    /// Ids of the records to call it on (omit for model-level methods).
    pub ids: Option<Vec<i64>>,
    /// Named arguments of the method.
    pub arguments: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetApprovalStatus {
    /// The approval_id a gated tool call returned.
    pub approval_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// Technical model name of a model with a chatter, e.g. "sale.order" or "res.partner".
    pub model: String,
    /// The record's id.
    pub id: i64,
    /// The text to post. Plain text: Odoo shows it as typed (HTML is not interpreted).
    pub body: String,
    /// Contacts (res.partner ids) to mention; Odoo notifies each of them.
    pub partner_ids: Option<Vec<i64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadMessages {
    /// Technical model name of a model with a chatter.
    pub model: String,
    /// The record's id.
    pub id: i64,
    /// The most recent messages first; at most this many (default 10, at most 50).
    pub limit: Option<u32>,
    /// Also return Odoo's own notifications (field changes, "Contact created" …). Default false.
    #[serde(default)]
    pub include_notifications: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleActivity {
    /// Technical model name of a model with activities, e.g. "sale.order".
    pub model: String,
    /// The record's id.
    pub id: i64,
    /// The activity type by name, as Odoo shows it: "To-Do", "Call", "Meeting", "Email" …
    /// (default: the first type Odoo lists).
    pub activity_type: Option<String>,
    /// A short title, e.g. "Call back about the discount".
    pub summary: Option<String>,
    /// Details, as plain text.
    pub note: Option<String>,
    /// Due date, YYYY-MM-DD (default: today).
    pub deadline: Option<String>,
    /// The Odoo user (res.users id) to assign it to (default: this connection's user).
    pub assignee_id: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteActivity {
    /// The activity's id (from list_activities).
    pub activity_id: i64,
    /// What was done, as plain text; Odoo posts it on the record's chatter.
    pub feedback: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListActivities {
    /// Only the activities of records of this model (with `id`: of that one record, whoever
    /// they are assigned to). Without it: the activities assigned to this connection's user.
    pub model: Option<String>,
    /// The record's id (needs `model`).
    pub id: Option<i64>,
    /// At most this many, soonest deadline first (default 20, at most 100).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRecords {
    /// Technical model name.
    pub model: String,
    /// The field values of each new record (1 to 100), e.g. [{"name": "Acme"}, {"name": "Beta"}].
    /// All are created in one Odoo call: all or none.
    pub records: Vec<Map<String, Value>>,
    /// Only check, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordValues {
    /// The record's id.
    pub id: i64,
    /// The field values to write on it.
    pub values: Map<String, Value>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRecords {
    /// Technical model name.
    pub model: String,
    /// The same values on every one of these records (with `values`): one Odoo call, all or none.
    pub ids: Option<Vec<i64>>,
    /// The values to write on `ids`.
    pub values: Option<Map<String, Value>>,
    /// Or values per record (1 to 100): records sharing the same values are written together;
    /// the answer says which were updated and which failed.
    pub records: Option<Vec<RecordValues>>,
    /// Only show what would change, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListActions {
    /// Technical model name, e.g. "sale.order".
    pub model: String,
    /// The record's id.
    pub id: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunAction {
    /// Technical model name, e.g. "sale.order".
    pub model: String,
    /// The record's id.
    pub id: i64,
    /// The button to press: its name from list_actions, e.g. "action_confirm".
    pub action: String,
    /// When the button opens a wizard (a first call answered with one): the values to fill in
    /// and the wizard button to press.
    pub wizard: Option<WizardFill>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WizardFill {
    /// The wizard's button to press, from the first call's `wizard.buttons`.
    pub button: String,
    /// Field values of the wizard (its defaults apply to the others).
    pub values: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAttachments {
    /// Technical model name, e.g. "sale.order".
    pub model: String,
    /// The record's id.
    pub id: i64,
    /// At most this many, newest first (default 20, at most 100).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetAttachment {
    /// The attachment's id (from list_attachments).
    pub attachment_id: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadAttachment {
    /// Technical model name of the record to attach the file to, e.g. "sale.order".
    pub model: String,
    /// The record's id.
    pub id: i64,
    /// The file name, e.g. "signed-offer.pdf".
    pub name: String,
    /// The MIME type, e.g. "application/pdf" (default: Odoo guesses from the name and content).
    pub mimetype: Option<String>,
    /// The file's content, base64, for small files. Without it the answer is a one-time
    /// upload link to PUT the file's bytes to.
    pub content_base64: Option<String>,
}

/// What a report is rendered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Pdf,
    Html,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrintReport {
    /// Technical model name, e.g. "sale.order".
    pub model: String,
    /// The records to print (1 to 50), in one document.
    pub ids: Vec<i64>,
    /// The report: its name as Odoo shows it in the Print menu (e.g. "PDF Quote") or its
    /// technical name (e.g. "sale.report_saleorder"). Default: the model's first report.
    pub report: Option<String>,
    /// "pdf" or "html". Default: PDF when this Odoo can make PDFs, HTML otherwise.
    pub format: Option<ReportFormat>,
}
