//! The governance settings of one connection, typed. The store decodes them with the row; the
//! console form builds them with the same parsers.

use super::{
    CompanyList, FieldLimits, IpList, Limit, ModelList, ModelOperations, RecordLimits, ToolLimits,
    ToolList,
};

#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Policy {
    /// Empty: every tool the scope allows.
    pub allowed_tools: ToolList,
    /// Empty: every model the Odoo user can reach.
    pub allowed_models: ModelList,
    /// Per model, what the connection may do to its records. Empty: all of it.
    pub model_operations: ModelOperations,
    /// Per model, the domain its records are confined to. Empty: no confinement.
    pub record_limits: RecordLimits,
    /// Per model, the fields never seen nor written. Empty: every field.
    pub field_limits: FieldLimits,
    /// Empty: every company of the Odoo user.
    pub allowed_companies: CompanyList,
    pub approval_tools: ToolList,
    /// Asked of the person in the chat when the client can ask (MCP 2026-07-28
    /// `input_required`), else filed for approval like `approval_tools`.
    pub confirm_tools: ToolList,
    /// A linked user's id; none means any MCP Administrator.
    pub approver_user_id: Option<i64>,
    /// None: the server default.
    pub approval_expiry_hours: Option<Limit>,
    pub allowed_ips: IpList,
    pub blocked_ips: IpList,
    /// API keys only; none means the server default.
    pub rate_per_minute: Option<Limit>,
    pub rate_per_day: Option<Limit>,
    /// Calls of tools that change data (create, update, delete, bulk, buttons, methods …):
    /// none means no budget besides the rate limits.
    pub write_per_minute: Option<Limit>,
    pub write_per_day: Option<Limit>,
    /// Per tool, its own limits besides all of the above.
    pub tool_limits: ToolLimits,
}
