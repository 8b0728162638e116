//! Governance decisions: pure functions of a connection's settings and the call at hand.
//!
//! The same decision filters `tools/list` and gates `tools/call`, so a tool a connection cannot
//! call is also a tool it cannot see.

pub mod budgets;
pub mod client_ip;
pub mod companies;
pub mod explain;
pub mod fields;
pub mod ip;
pub mod models;
pub mod operations;
pub mod rate_limit;
pub mod records;
pub mod registrations;

use crate::catalog::ToolSpec;
use crate::connections::{Connection, Scope};
use serde_json::{Map, Value};

/// Why a call is refused. The message names the rule and the tool or model, never the lists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    #[error(
        "Refused by Read Only: the tool '{0}' changes data, and this connection's scope is Read Only."
    )]
    ReadOnlyScope(String),
    #[error(
        "Refused by Allowed Tools: the tool '{0}' is not among this connection's allowed tools."
    )]
    ToolNotAllowed(String),
    #[error(
        "Refused by Allowed Companies: the company {0} is not among this connection's allowed companies."
    )]
    CompanyNotAllowed(i64),
    #[error(
        "Refused by Allowed Models: the model '{0}' is not among this connection's allowed models."
    )]
    ModelNotAllowed(String),
    #[error(
        "Refused by Allowed Models: the tool '{tool}' works on '{model}', which is not among this connection's allowed models."
    )]
    ToolTouchesModel { tool: String, model: String },
    #[error(
        "Refused by Allowed Models: the field path '{path}' reaches the model '{model}', which is not among this connection's allowed models."
    )]
    PathReachesModel { path: String, model: String },
    #[error(
        "Refused by Allowed Models: {what} belongs to a '{model}' record; that model is not among this connection's allowed models."
    )]
    RecordOfModel { what: String, model: String },
    #[error(
        "Refused by Model Operations: this connection may not {operation} {model} records (it may: {allowed})."
    )]
    OperationNotAllowed {
        model: String,
        operation: &'static str,
        allowed: String,
    },
    #[error(
        "Refused by Record limits: {model} records {} are outside the records this connection may work on.",
        list_ids(.ids)
    )]
    OutsideRecordLimits { model: String, ids: Vec<i64> },
    #[error(
        "Refused by Record limits: {model} is confined to some of its records, so its methods need the ids of the records to run on ('{method}' was called without ids)."
    )]
    ConfinedModelMethod { model: String, method: String },
    #[error(
        "Refused by Field limits: {field}{} is hidden from this connection.",
        path.as_ref().map(|p| format!(" (reached through {p})")).unwrap_or_default()
    )]
    HiddenField { field: String, path: Option<String> },
}

impl Denial {
    /// The rule that refused, for the audit entry.
    pub fn rule(&self) -> crate::audit::rule::Rule {
        use crate::audit::rule::Rule;
        match self {
            Self::ReadOnlyScope(_) => Rule::Scope,
            Self::ToolNotAllowed(_) => Rule::Tools,
            Self::CompanyNotAllowed(_) => Rule::Companies,
            Self::ModelNotAllowed(_)
            | Self::ToolTouchesModel { .. }
            | Self::PathReachesModel { .. }
            | Self::RecordOfModel { .. } => Rule::Models,
            Self::OperationNotAllowed { .. } => Rule::Operations,
            Self::OutsideRecordLimits { .. } | Self::ConfinedModelMethod { .. } => Rule::Records,
            Self::HiddenField { .. } => Rule::Fields,
        }
    }
}

fn list_ids(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `connection` may see and call `tool`.
pub fn tool_decision(connection: &Connection, tool: &ToolSpec) -> Result<(), Denial> {
    if connection.scope == Scope::ReadOnly && !tool.read_only {
        return Err(Denial::ReadOnlyScope(tool.name.to_owned()));
    }
    let allowed = &connection.policy.allowed_tools;
    if !allowed.is_empty() && !allowed.contains(tool.tool) {
        return Err(Denial::ToolNotAllowed(tool.name.to_owned()));
    }
    Ok(())
}

/// Whether `tools/list` shows `tool` to `connection`: it may call it, and it may do the tool's
/// operation on one of its models at least.
pub fn listed(connection: &Connection, tool: &ToolSpec) -> bool {
    tool_decision(connection, tool).is_ok() && operations::listed(&connection.policy, tool)
}

/// Which person decides a call before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider {
    /// "Tools to confirm in chat": the person in the chat, when their client can ask
    /// (`approvals::chat`); one that cannot files it for approval.
    Chat,
    /// "Tools that need approval": the connection's approver.
    Approver,
}

/// Who must agree to this call first, if anyone: its tool is listed under "Tools to confirm in
/// chat" (which comes first: a tool in both lists is confirmed in chat) or "Tools that need
/// approval", and the call is not a dry run (a dry run changes nothing), for a tool that can be
/// held at all (`get_approval_status` cannot, even when listed).
pub fn decider(
    connection: &Connection,
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
) -> Option<Decider> {
    if dry_run(arguments) || !spec.tool.can_be_held() {
        return None;
    }
    let policy = &connection.policy;
    if policy.confirm_tools.contains(spec.tool) {
        Some(Decider::Chat)
    } else if policy.approval_tools.contains(spec.tool) {
        Some(Decider::Approver)
    } else {
        None
    }
}

/// Whether the call only shows what it would do (`dry_run: true`): it changes nothing.
pub fn dry_run(arguments: &Map<String, Value>) -> bool {
    arguments
        .get("dry_run")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// A connection of user 1 with `policy`, for the decisions' tests.
#[cfg(test)]
pub(crate) fn test_connection(scope: Scope, policy: Policy) -> Connection {
    Connection {
        id: 1,
        kind: crate::connections::Kind::ApiKey,
        name: "t".into(),
        odoo_user_id: Some(1),
        user_login: Some("demo".into()),
        user_name: Some("Marc Demo".into()),
        scope,
        key_prefix: None,
        description: String::new(),
        policy,
        created_at: 0,
        revoked_at: None,
        last_used_at: None,
        request_count: 0,
    }
}

#[cfg(test)]
use crate::values::Policy;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use crate::values::ToolList;

    fn connection(scope: Scope, allowed_tools: &str) -> Connection {
        let policy = Policy {
            allowed_tools: allowed_tools.parse::<ToolList>().unwrap(),
            ..Policy::default()
        };
        test_connection(scope, policy)
    }

    fn tool(name: &str) -> &'static ToolSpec {
        catalog::find(name).unwrap()
    }

    #[test]
    fn read_only_scope_refuses_every_write_tool_and_no_read_tool() {
        let c = connection(Scope::ReadOnly, "");
        for t in catalog::CATALOG {
            assert_eq!(tool_decision(&c, t).is_ok(), t.read_only, "{}", t.name);
        }
    }

    #[test]
    fn chat_comes_before_the_approver_and_a_dry_run_needs_neither() {
        let policy = Policy {
            approval_tools: "delete_record\nupdate_record\nget_approval_status"
                .parse()
                .unwrap(),
            confirm_tools: "delete_record".parse().unwrap(),
            ..Policy::default()
        };
        let c = test_connection(Scope::Full, policy);
        let args = |v: Value| v.as_object().unwrap().clone();
        let call = args(serde_json::json!({"model": "res.partner"}));
        let dry = args(serde_json::json!({"dry_run": true}));
        assert_eq!(
            decider(&c, tool("delete_record"), &call),
            Some(Decider::Chat)
        );
        assert_eq!(
            decider(&c, tool("update_record"), &call),
            Some(Decider::Approver)
        );
        assert_eq!(decider(&c, tool("delete_record"), &dry), None);
        assert_eq!(decider(&c, tool("get_approval_status"), &call), None);
        assert_eq!(decider(&c, tool("search_records"), &call), None);
    }

    #[test]
    fn an_allow_list_admits_only_its_tools() {
        let c = connection(Scope::Full, "search_records\n# reads only\nget_record  \n");
        assert!(tool_decision(&c, tool("search_records")).is_ok());
        assert!(tool_decision(&c, tool("get_record")).is_ok());
        assert_eq!(
            tool_decision(&c, tool("delete_record")),
            Err(Denial::ToolNotAllowed("delete_record".into()))
        );
    }
}
