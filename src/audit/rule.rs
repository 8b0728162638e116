//! Which governance rule refused a request: the audit entry's `rule` column, counted by the
//! dashboard's "refusals by rule". One word per rule, stable (stored and exported).

/// A rule of PRODUCT.md's governance that can refuse a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The master switch is off.
    Switch,
    /// No, an unknown, a revoked or an invalid token, or no linked Odoo user.
    Auth,
    /// A Read Only connection or an `mcp:read` token asked for a write.
    Scope,
    /// The IP allow or block list.
    Ip,
    /// The per-minute or per-day rate limit.
    Rate,
    /// The write budget or a tool limit.
    Budget,
    /// Allowed Tools.
    Tools,
    /// Allowed Models, also through a field path or a tool's own model.
    Models,
    /// Allowed Companies.
    Companies,
    /// Model Operations.
    Operations,
    /// Record limits, and the methods a confined model may not call.
    Records,
    /// Field limits.
    Fields,
    /// A person's no: an approval request rejected or left to expire, a confirmation in chat
    /// declined, unanswered or no longer valid.
    Approval,
    /// Another refusal of the gateway's own (e.g. a method `execute_method` does not run).
    Other,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Switch => "switch",
            Self::Auth => "auth",
            Self::Scope => "scope",
            Self::Ip => "ip",
            Self::Rate => "rate",
            Self::Budget => "budget",
            Self::Tools => "tools",
            Self::Models => "models",
            Self::Companies => "companies",
            Self::Operations => "operations",
            Self::Records => "records",
            Self::Fields => "fields",
            Self::Approval => "approval",
            Self::Other => "other",
        }
    }
}
