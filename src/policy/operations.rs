//! Model Operations: whether a tool's operation (read, create, write, delete, execute) is one
//! the connection may do on the model it works on, and whether `tools/list` shows a tool that
//! could do its operation on none of the connection's models.

use super::Denial;
use crate::catalog::ToolSpec;
use crate::values::Policy;

/// Whether `spec` may work on `model`'s records under `policy`'s Model Operations.
pub fn decide(policy: &Policy, spec: &ToolSpec, model: &str) -> Result<(), Denial> {
    let Some(operation) = spec.operation else {
        return Ok(());
    };
    match policy.model_operations.of(model) {
        Some(allowed) if !allowed.contains(operation) => Err(Denial::OperationNotAllowed {
            model: model.to_owned(),
            operation: operation.label(),
            allowed: allowed.describe(),
        }),
        _ => Ok(()),
    }
}

/// Whether `tools/list` shows `spec`: not when Allowed Models is set and none of those models
/// (besides the ones the tool touches on the side, such as the chatter's messages) may do the
/// tool's operation. The call itself is decided by [`decide`] on the model it names.
pub fn listed(policy: &Policy, spec: &ToolSpec) -> bool {
    let (Some(operation), false) = (spec.operation, policy.allowed_models.is_empty()) else {
        return true;
    };
    policy
        .allowed_models
        .names()
        .filter(|m| !spec.touches.contains(m))
        .any(|m| policy.model_operations.allows(m, operation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    fn policy(models: &str, operations: &str) -> Policy {
        Policy {
            allowed_models: models.parse().unwrap(),
            model_operations: operations.parse().unwrap(),
            ..Policy::default()
        }
    }

    fn tool(name: &str) -> &'static ToolSpec {
        catalog::find(name).unwrap()
    }

    #[test]
    fn a_listed_model_does_only_its_operations() {
        let p = policy("", "res.partner: read, write");
        assert_eq!(decide(&p, tool("update_record"), "res.partner"), Ok(()));
        assert_eq!(
            decide(&p, tool("delete_record"), "res.partner")
                .unwrap_err()
                .to_string(),
            "Refused by Model Operations: this connection may not delete res.partner records \
             (it may: read, write)."
        );
        assert!(decide(&p, tool("execute_method"), "res.partner").is_err());
        assert_eq!(decide(&p, tool("delete_record"), "sale.order"), Ok(()));
        assert_eq!(decide(&p, tool("list_models"), "res.partner"), Ok(()));
        assert_eq!(
            decide(&Policy::default(), tool("delete_record"), "res.partner"),
            Ok(())
        );
    }

    #[test]
    fn a_tool_no_allowed_model_may_use_is_not_listed() {
        let p = policy("res.partner\nmail.message", "res.partner: read");
        assert!(listed(&p, tool("search_records")));
        // mail.message is what post_note touches on the side, not the record it posts on…
        assert!(!listed(&p, tool("post_note")));
        // …while delete_record could delete messages, which no rule narrows.
        assert!(listed(&p, tool("delete_record")));
        assert!(!listed(
            &policy("res.partner", "res.partner: read"),
            tool("delete_record")
        ));
        assert!(listed(&p, tool("get_current_context")));
        let two = policy("res.partner\nsale.order", "res.partner: read");
        assert!(listed(&two, tool("delete_record")), "sale.order may delete");
        // Without Allowed Models every model may be named: nothing is hidden.
        assert!(listed(
            &policy("", "res.partner: read"),
            tool("delete_record")
        ));
    }
}
