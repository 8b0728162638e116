//! Named policy templates: a starting policy for a common kind of connection, offered by the
//! console's new-connection wizard and named by policy-file entries (`template = "…"`), which
//! may override any of its settings. Written in the settings' text form, so they go through
//! the same parser as everything typed.

use super::policy_text::{FieldErrors, PolicyText};
use crate::values::Policy;

pub struct Template {
    pub name: &'static str,
    /// One line for `connection templates` and the wizard.
    pub summary: &'static str,
    /// Settings by their [`super::policy_text::SETTINGS`] name; the others stay empty.
    pub settings: &'static [(&'static str, &'static str)],
}

pub const TEMPLATES: &[Template] = &[
    Template {
        name: "read-only-sales-analyst",
        summary: "Reads and aggregates sales, CRM, customers and products; changes nothing.",
        settings: &[
            (
                "allowed_tools",
                "get_current_context\ndescribe_model\nsearch_records\nget_record\ncount_records\naggregate_records",
            ),
            (
                "allowed_models",
                "sale.order\nsale.order.line\nres.partner\nproduct.product\nproduct.template\ncrm.lead",
            ),
            (
                "model_operations",
                "sale.order: read\nsale.order.line: read\nres.partner: read\nproduct.product: read\nproduct.template: read\ncrm.lead: read",
            ),
        ],
    },
    Template {
        // Odoo Community has no helpdesk: tickets are project tasks with their chatter.
        name: "support-agent",
        summary: "Contacts and tickets (project tasks, their messages and activities); no deletes.",
        settings: &[
            (
                "allowed_tools",
                "get_current_context\ndescribe_model\nsearch_records\nget_record\ncount_records\ncreate_record\nupdate_record\npost_message\npost_note\nread_messages\nschedule_activity\ncomplete_activity\nlist_activities\nlist_attachments\nget_attachment",
            ),
            (
                "allowed_models",
                "res.partner\nproject.task\nmail.message\nmail.activity",
            ),
            (
                "model_operations",
                "res.partner: read, create, write\nproject.task: read, create, write\nmail.message: read, create\nmail.activity: read, create, write",
            ),
        ],
    },
];

pub fn find(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}

/// The templates' names, for messages that list them.
pub fn names() -> String {
    TEMPLATES
        .iter()
        .map(|t| t.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Template {
    /// The settings written into `text`, over what it held.
    pub fn fill(&self, text: &mut PolicyText) {
        for (name, value) in self.settings {
            if let Some(slot) = text.get_mut(name) {
                *slot = (*value).to_owned();
            }
        }
    }

    /// The template alone, as a policy (it names no approver, so none are needed).
    pub fn policy(&self) -> Result<Policy, Box<FieldErrors>> {
        let mut text = PolicyText::default();
        self.fill(&mut text);
        text.parse(&[], None).map(|(_, policy)| policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Operation, Tool};
    use crate::connections::policy_text::SETTINGS;

    #[test]
    fn every_template_is_a_valid_policy_of_known_settings() {
        for t in TEMPLATES {
            assert!(t.policy().is_ok(), "{}: {:?}", t.name, t.policy().err());
            for (name, _) in t.settings {
                assert!(SETTINGS.contains(name), "{}: {name}", t.name);
            }
            assert_eq!(find(t.name).map(|f| f.name), Some(t.name));
        }
        assert!(find("root").is_none());
    }

    #[test]
    fn the_analyst_only_reads_and_the_agent_never_deletes() {
        let analyst = find("read-only-sales-analyst").unwrap().policy().unwrap();
        assert!(analyst.allowed_tools.contains(Tool::AggregateRecords));
        assert!(!analyst.allowed_tools.contains(Tool::UpdateRecord));
        assert!(analyst.model_operations.allows("crm.lead", Operation::Read));
        assert!(
            !analyst
                .model_operations
                .allows("crm.lead", Operation::Write)
        );
        let agent = find("support-agent").unwrap().policy().unwrap();
        assert!(!agent.allowed_tools.contains(Tool::DeleteRecord));
        assert!(agent.allowed_models.allows("project.task"));
        for model in agent.allowed_models.names() {
            assert!(
                !agent.model_operations.allows(model, Operation::Delete),
                "{model}"
            );
        }
    }
}
