//! Record rules (Odoo's `ir.rule`): which records of a model a user may touch, and the AccessError they raise.

use super::access::Group;
use super::attachments::IR_ATTACHMENT;
use super::fault::Fault;
use super::orm::Env;
use super::schema::Model;
use super::store::Db;

/// The demo database's rules that restrict `demo` and `portal`; every other user and model is unrestricted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Rule {
    /// `res.partner`: portal users reach only their own partner.
    OwnPartner,
    /// `sale.order` "Personal Orders": a salesman without manager rights reaches his orders and unassigned ones.
    PersonalOrders,
    /// `sale.order` "Portal Personal Quotations/Sales Orders": orders sold to the portal user's partner.
    PortalOrders,
    /// `ir.attachment` has no rule but checks its records itself: an attachment is reached through the
    /// record it is attached to (see `attachments.rs`).
    Attachment,
}

fn rule_for(model: &str, groups: &[Group]) -> Option<Rule> {
    let portal = groups.contains(&Group::Portal);
    match model {
        IR_ATTACHMENT => Some(Rule::Attachment),
        "res.partner" if portal => Some(Rule::OwnPartner),
        "sale.order" if portal => Some(Rule::PortalOrders),
        "sale.order"
            if groups.contains(&Group::SalesUser) && !groups.contains(&Group::SalesManager) =>
        {
            Some(Rule::PersonalOrders)
        }
        _ => None,
    }
}

/// Models whose `write` override reads the records first, so a hidden record fails with 'read' before the
/// access rights are checked (`sale.order` looks at its orders' state and lines).
pub(crate) fn reads_before_writing(model: &str) -> bool {
    model == "sale.order"
}

impl Db {
    /// Does a record rule let the user read this record?
    pub(crate) fn rule_allows(&self, env: &Env, model: &str, id: i64) -> bool {
        self.rule_allows_to(env, model, id, "read")
    }

    /// Does a record rule let the user do `op` on this record? (The demo database's rules are the
    /// same for every operation; an attachment's depend on it.)
    pub(crate) fn rule_allows_to(&self, env: &Env, model: &str, id: i64, op: &str) -> bool {
        let Some(rule) = rule_for(model, &self.user_groups(env.uid)) else {
            return true;
        };
        let many2one = |field: &str| self.value(model, id, field).as_i64();
        match rule {
            Rule::OwnPartner => id == self.user_partner(env.uid),
            Rule::PersonalOrders => many2one("user_id").is_none_or(|user| user == env.uid),
            Rule::PortalOrders => many2one("partner_id") == Some(self.user_partner(env.uid)),
            Rule::Attachment => self.attachment_allows(env, id, op),
        }
    }

    /// Fail like Odoo when an operation touches records a rule hides (the message names the model, not the
    /// records: Odoo lists them only to users in debug mode's group).
    pub(crate) fn check_rules(
        &self,
        env: &Env,
        model: &Model,
        ids: &[i64],
        op: &str,
    ) -> Result<(), Fault> {
        if ids
            .iter()
            .all(|id| self.rule_allows_to(env, model.name, *id, op))
        {
            return Ok(());
        }
        Err(self.rule_fault(env, model, op))
    }

    /// The AccessError of a record rule hiding records of `model` from `op`.
    pub(crate) fn rule_fault(&self, env: &Env, model: &Model, op: &str) -> Fault {
        let user = self.display_name("res.users", env.uid);
        Fault::access_error(format!(
            "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\nSorry, {user} (id={}) doesn't have '{op}' access to:\n- {} ({})\n\nIf you really, really need access, perhaps you can win over your friendly administrator with a batch of freshly baked cookies.",
            env.uid, model.description, model.name
        ))
    }
}
