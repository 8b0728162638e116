//! Groups and per-model access rights (Odoo's `ir.model.access`), and the AccessError texts they produce.

use super::OdooVersion;
use super::fault::Fault;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Group {
    /// base.group_user
    Internal,
    /// base.group_portal
    Portal,
    /// base.group_system
    Settings,
    /// base.group_erp_manager
    AccessRights,
    /// base.group_partner_manager
    ContactCreation,
    /// sales_team.group_sale_salesman
    SalesUser,
    /// sales_team.group_sale_manager
    SalesManager,
}

impl Group {
    pub(crate) const ALL: [Group; 7] = [
        Group::Internal,
        Group::Portal,
        Group::Settings,
        Group::AccessRights,
        Group::ContactCreation,
        Group::SalesUser,
        Group::SalesManager,
    ];

    /// The `res.groups` record id the seed gives this group.
    pub(crate) fn id(self) -> i64 {
        match self {
            Group::Internal => 1,
            Group::Settings => 2,
            Group::AccessRights => 3,
            Group::ContactCreation => 4,
            Group::Portal => 10,
            Group::SalesUser => 20,
            Group::SalesManager => 21,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Group::Internal => "Internal User",
            Group::Portal => "Portal",
            Group::Settings => "Settings",
            Group::AccessRights => "Access Rights",
            Group::ContactCreation => "Contact Creation",
            Group::SalesUser => "User: Own Documents Only",
            Group::SalesManager => "Administrator",
        }
    }

    /// The group's privilege (18: category) and name; Odoo 19 renamed some groups into "roles" without one.
    fn privilege_and_name(self, version: OdooVersion) -> (Option<&'static str>, &'static str) {
        use OdooVersion::{V18, V19};
        match (self, version) {
            (Group::Internal, V18) => (Some("User types"), "Internal User"),
            (Group::Internal, V19) => (None, "Role / User"),
            (Group::Portal, V18) => (Some("User types"), "Portal"),
            (Group::Portal, V19) => (None, "Portal"),
            (Group::Settings, V18) => (Some("Administration"), "Settings"),
            (Group::Settings, V19) => (None, "Role / Administrator"),
            (Group::AccessRights, V18) => (Some("Administration"), "Access Rights"),
            (Group::AccessRights, V19) => (None, "Access Rights"),
            (Group::ContactCreation, V18) => (Some("Extra Rights"), "Contact Creation"),
            (Group::ContactCreation, V19) => (Some("Contact"), "Creation"),
            (Group::SalesUser, _) => (Some("Sales"), "User: Own Documents Only"),
            (Group::SalesManager, _) => (Some("Sales"), "Administrator"),
        }
    }

    /// The name an AccessError lists: `privilege/name` (`group_names_with_access`).
    pub(crate) fn access_name(self, version: OdooVersion) -> String {
        match self.privilege_and_name(version) {
            (Some(privilege), name) => format!("{privilege}/{name}"),
            (None, name) => name.to_owned(),
        }
    }

    /// `full_name`, the group's display name: 19 puts spaces around the slash.
    pub(crate) fn full_name(self, version: OdooVersion) -> String {
        match (self.privilege_and_name(version), version) {
            ((Some(privilege), name), OdooVersion::V19) => format!("{privilege} / {name}"),
            _ => self.access_name(version),
        }
    }

    /// The order of AccessError lists: by privilege (groups without one last), then by name.
    fn access_order(self, version: OdooVersion) -> (bool, &'static str, &'static str) {
        let (privilege, name) = self.privilege_and_name(version);
        (privilege.is_none(), privilege.unwrap_or_default(), name)
    }

    pub(crate) fn is_share(self) -> bool {
        self == Group::Portal
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    Read,
    Write,
    Create,
    Unlink,
}

impl Operation {
    pub(crate) fn parse(name: &str) -> Option<Operation> {
        match name {
            "read" => Some(Operation::Read),
            "write" => Some(Operation::Write),
            "create" => Some(Operation::Create),
            "unlink" => Some(Operation::Unlink),
            _ => None,
        }
    }
    fn verb(self) -> &'static str {
        match self {
            Operation::Read => "access",
            Operation::Write => "modify",
            Operation::Create => "create",
            Operation::Unlink => "delete",
        }
    }
    fn index(self) -> usize {
        self as usize
    }
}

/// One `ir.model.access` line: model, group, read/write/create/unlink.
pub(crate) struct Rule {
    pub model: &'static str,
    pub group: Group,
    pub perms: [bool; 4],
}

const R: [bool; 4] = [true, false, false, false];
const RW: [bool; 4] = [true, true, false, false];
const ALL: [bool; 4] = [true, true, true, true];
const NO_UNLINK: [bool; 4] = [true, true, true, false];

/// The access rights of the simulator, as Odoo's `ir.model.access.csv` files of base, sale and mail grant
/// them; models not listed here are open to Settings only.
pub(crate) fn rules() -> Vec<Rule> {
    use Group::*;
    let rule = |model, group, perms| Rule {
        model,
        group,
        perms,
    };
    vec![
        rule("res.partner", Internal, R),
        rule("res.partner", Portal, R),
        rule("res.partner", ContactCreation, ALL),
        rule("res.partner", SalesManager, NO_UNLINK),
        rule("res.partner.category", Internal, R),
        rule("res.partner.category", SalesManager, ALL),
        rule("res.partner.category", Settings, ALL),
        rule("res.users", Internal, R),
        rule("res.users", Portal, R),
        rule("res.users", AccessRights, ALL),
        rule("res.company", Internal, R),
        rule("res.company", Settings, ALL),
        rule("res.country", Internal, R),
        rule("res.country", Portal, R),
        rule("res.country", Settings, ALL),
        rule("res.groups", Internal, R),
        rule("res.groups", AccessRights, ALL),
        rule("product.category", Internal, R),
        rule("product.category", SalesManager, ALL),
        rule("product.template", Internal, R),
        rule("product.template", SalesUser, RW),
        rule("product.template", SalesManager, ALL),
        rule("product.product", Internal, R),
        rule("product.product", SalesUser, RW),
        rule("product.product", SalesManager, ALL),
        rule("sale.order", Portal, R),
        rule("sale.order", SalesUser, NO_UNLINK),
        rule("sale.order", SalesManager, ALL),
        rule("sale.order.line", SalesUser, ALL),
        rule("sale.order.line", SalesManager, ALL),
        rule("mail.activity", Internal, ALL),
        rule("mail.message", Internal, R),
        rule("mail.message.subtype", Internal, R),
        rule("mail.activity.type", Internal, R),
        rule("mail.activity.type", Settings, ALL),
        rule("ir.model", AccessRights, ALL),
        rule("ir.model.fields", AccessRights, ALL),
        // base: internal users attach files (to what they may write, see attachments.rs); the
        // portal's line grants nothing. Reports are read by internal users, changed by Settings.
        rule("ir.attachment", Internal, ALL),
        rule("ir.actions.report", Internal, R),
        rule("ir.actions.report", Settings, ALL),
    ]
}

/// The access-rights table of one simulator.
pub(crate) struct Acl {
    rules: Vec<Rule>,
    version: OdooVersion,
}

impl Acl {
    pub(crate) fn new(version: OdooVersion) -> Self {
        Acl {
            rules: rules(),
            version,
        }
    }

    pub(crate) fn rules(&self) -> &[Rule] {
        &self.rules
    }

    fn listed(&self, model: &str) -> bool {
        self.rules.iter().any(|rule| rule.model == model)
    }

    /// Groups allowed to do `op` on `model`.
    pub(crate) fn allowed_groups(&self, model: &str, op: Operation) -> Vec<Group> {
        if !self.listed(model) {
            return vec![Group::Settings];
        }
        let mut groups: Vec<Group> = self
            .rules
            .iter()
            .filter(|rule| rule.model == model && rule.perms[op.index()])
            .map(|rule| rule.group)
            .collect();
        groups.sort_by_key(|group| group.access_order(self.version));
        groups.dedup();
        groups
    }

    pub(crate) fn allows(&self, groups: &[Group], model: &str, op: Operation) -> bool {
        let allowed = self.allowed_groups(model, op);
        groups.iter().any(|group| allowed.contains(group))
    }

    /// `check_access_rights`: the AccessError a real Odoo raises, word for word.
    pub(crate) fn check(
        &self,
        groups: &[Group],
        model: &str,
        description: &str,
        op: Operation,
    ) -> Result<(), Fault> {
        if self.allows(groups, model, op) {
            return Ok(());
        }
        let allowed = self.allowed_groups(model, op);
        let groups_text = if allowed.is_empty() {
            "No group currently allows this operation.".to_owned()
        } else {
            let lines: Vec<String> = allowed
                .iter()
                .map(|group| format!("\t- {}", group.access_name(self.version)))
                .collect();
            format!(
                "This operation is allowed for the following groups:\n{}",
                lines.join("\n")
            )
        };
        Err(Fault::access_error(format!(
            "You are not allowed to {} '{description}' ({model}) records.\n\n{groups_text}\n\nContact your administrator to request access if necessary.",
            op.verb()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: [Group; 3] = [Group::Internal, Group::ContactCreation, Group::SalesUser];

    #[test]
    fn internal_user_reading_system_parameters_gets_the_verbatim_18_message() {
        let acl = Acl::new(OdooVersion::V18);
        let fault = acl
            .check(
                &DEMO,
                "ir.config_parameter",
                "System Parameter",
                Operation::Read,
            )
            .unwrap_err();
        assert_eq!(
            fault.message,
            "You are not allowed to access 'System Parameter' (ir.config_parameter) records.\n\nThis operation is allowed for the following groups:\n\t- Administration/Settings\n\nContact your administrator to request access if necessary."
        );
    }

    #[test]
    fn internal_user_creating_users_gets_the_verbatim_19_message() {
        let acl = Acl::new(OdooVersion::V19);
        let fault = acl
            .check(&DEMO, "res.users", "User", Operation::Create)
            .unwrap_err();
        assert_eq!(
            fault.message,
            "You are not allowed to create 'User' (res.users) records.\n\nThis operation is allowed for the following groups:\n\t- Access Rights\n\nContact your administrator to request access if necessary."
        );
    }

    #[test]
    fn internal_users_work_with_partners_sales_and_activities() {
        let acl = Acl::new(OdooVersion::V18);
        for model in ["res.partner", "sale.order", "mail.activity"] {
            assert!(acl.allows(&DEMO, model, Operation::Create), "{model}");
        }
        assert!(acl.allows(&DEMO, "product.product", Operation::Write));
        assert!(!acl.allows(&DEMO, "sale.order", Operation::Unlink));
        assert!(acl.allows(&[Group::Portal], "sale.order", Operation::Read));
        assert!(!acl.allows(&[Group::Portal], "sale.order", Operation::Write));
        assert!(acl.allows(&[Group::Portal], "res.partner", Operation::Read));
        assert!(!acl.allows(&[Group::Portal], "res.partner", Operation::Create));
    }
}
