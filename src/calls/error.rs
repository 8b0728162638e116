//! Why a tool call failed, and the one place that turns it into what the MCP client sees.
//!
//! Failures the model can act on (bad arguments, refusals, Odoo's own errors) become a tool
//! result with `isError: true` and a readable message, so the model can correct itself; only an
//! unknown tool is a JSON-RPC protocol error.

use rmcp::ErrorData;
use rmcp::model::{CallToolResult, ContentBlock};

use crate::audit::rule::Rule;
use crate::fault::{self, Cause};
use crate::odoo;
use crate::policy::rate_limit::Exceeded;

/// What the client reads when the gateway itself failed (the cause goes to the log).
const INTERNAL: &str = "The gateway failed to complete the call; the error was logged.";

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("{}", crate::catalog::unknown_tool(.0))]
    UnknownTool(String),
    #[error("{}", crate::catalog::invalid_arguments(.tool, .reason))]
    InvalidArguments { tool: &'static str, reason: String },
    /// A governance rule refuses the call; the message says which.
    #[error("{0}")]
    Denied(crate::policy::Denial),
    /// The gateway refuses the call for a reason of its own; the message says why.
    #[error("{0}")]
    Refused(String),
    /// The person in the chat did not confirm the call (declined, did not answer, or the
    /// confirmation is not valid for it); the message says which.
    #[error("{0}")]
    NotConfirmed(String),
    /// The connection's write budget or a tool limit is used up for this window; the message
    /// names the rule and when it resets.
    #[error("{}", .0.message())]
    OverBudget(Exceeded),
    #[error("{0}")]
    NotFound(String),
    /// The tool needs an Odoo module this database does not have.
    #[error(
        "The Odoo module {module} is not installed on this database, so {tool} cannot work here."
    )]
    NotInstalled {
        module: &'static str,
        tool: &'static str,
    },
    /// The model comes with an Odoo module this database does not have.
    #[error(
        "The Odoo module {module} ({label}) is not installed on this database, so it has no model {model}."
    )]
    ModuleMissing {
        model: String,
        module: &'static str,
        label: &'static str,
    },
    #[error("{}", odoo_message(.0))]
    Odoo(#[from] odoo::Error),
    /// Our own fault; the cause is logged, the client gets a generic message.
    #[error("{INTERNAL}")]
    Internal(#[source] Cause),
}

/// A policy's refusal: its message names the rule.
impl From<crate::policy::Denial> for ToolError {
    fn from(denial: crate::policy::Denial) -> Self {
        Self::Denied(denial)
    }
}

impl ToolError {
    pub fn invalid(tool: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidArguments {
            tool,
            reason: reason.into(),
        }
    }

    /// The rule that refused the call, for the audit entry; `None` when none did.
    pub fn rule(&self) -> Option<Rule> {
        match self {
            Self::Denied(denial) => Some(denial.rule()),
            Self::Refused(_) => Some(Rule::Other),
            Self::NotConfirmed(_) => Some(Rule::Approval),
            Self::OverBudget(_) => Some(Rule::Budget),
            _ => None,
        }
    }

    /// A short outcome word for logs, metrics and the audit log.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Denied(_) | Self::Refused(_) | Self::NotConfirmed(_) => {
                crate::audit::outcome::DENIED
            }
            Self::OverBudget(_) => crate::audit::outcome::RATE_LIMITED,
            _ => crate::audit::outcome::ERROR,
        }
    }

    pub fn into_response(self) -> Result<CallToolResult, ErrorData> {
        match self {
            Self::UnknownTool(_) => Err(ErrorData::invalid_params(self.to_string(), None)),
            Self::Internal(cause) => {
                tracing::error!(cause = %fault::chain(&*cause), "tool call failed inside the gateway");
                Ok(CallToolResult::error(vec![ContentBlock::text(INTERNAL)]))
            }
            Self::Odoo(ref cause) if cause.kind().is_none() => {
                // Transport trouble: the log gets the details (URL, status), the client does not.
                tracing::warn!(%cause, "Odoo call failed");
                Ok(CallToolResult::error(vec![ContentBlock::text(
                    self.to_string(),
                )]))
            }
            other => Ok(CallToolResult::error(vec![ContentBlock::text(
                other.to_string(),
            )])),
        }
    }
}

fn odoo_message(error: &odoo::Error) -> String {
    error.client_message()
}
