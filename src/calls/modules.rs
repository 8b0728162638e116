//! Which Odoo module brings a model, so a call on a model of a module the database does not
//! have says so ("the Odoo module crm (CRM) is not installed") instead of Odoo's bare "Object
//! crm.lead doesn't exist". Only claimed after asking Odoo whether the module is installed: a
//! mistyped model of an installed module stays "model not found".

use serde_json::{Map, Value, json};

use crate::odoo::{Call, Credential, OdooClient};

/// A model's prefix, the module that brings its models, and the module's name in Odoo's apps.
const MODULES: &[(&str, &str, &str)] = &[
    ("account.", "account", "Invoicing"),
    ("calendar.", "calendar", "Calendar"),
    ("crm.", "crm", "CRM"),
    ("event.", "event", "Events"),
    ("fleet.", "fleet", "Fleet"),
    ("helpdesk.", "helpdesk", "Helpdesk"),
    ("hr.", "hr", "Employees"),
    ("mail.", "mail", "Discuss"),
    ("maintenance.", "maintenance", "Maintenance"),
    ("mailing.", "mass_mailing", "Email Marketing"),
    ("mrp.", "mrp", "Manufacturing"),
    ("pos.", "point_of_sale", "Point of Sale"),
    ("product.", "product", "Products"),
    ("project.", "project", "Project"),
    ("purchase.", "purchase", "Purchase"),
    ("repair.", "repair", "Repairs"),
    ("sale.", "sale", "Sales"),
    ("stock.", "stock", "Inventory"),
    ("survey.", "survey", "Surveys"),
    ("website.", "website", "Website"),
];

/// The module `model` comes with, if it is one we know: (technical name, label).
pub(crate) fn module_of(model: &str) -> Option<(&'static str, &'static str)> {
    MODULES
        .iter()
        .find(|(prefix, _, _)| model.starts_with(prefix))
        .map(|(_, module, label)| (*module, *label))
}

/// Whether `module` is installed, asked as the user: `None` when Odoo does not say (a user who
/// may not read the module list).
pub(crate) async fn installed(
    odoo: &OdooClient,
    credential: &Credential,
    module: &str,
) -> Option<bool> {
    let mut kwargs = Map::new();
    kwargs.insert(
        "domain".into(),
        json!([["name", "=", module], ["state", "=", "installed"]]),
    );
    let call = Call {
        model: "ir.module.module".into(),
        method: "search_count".into(),
        ids: None,
        kwargs,
    };
    match odoo.call(credential, &call).await {
        Ok(Value::Number(n)) => Some(n.as_i64() == Some(1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_told_by_their_prefix() {
        assert_eq!(module_of("crm.lead"), Some(("crm", "CRM")));
        assert_eq!(module_of("sale.order.line"), Some(("sale", "Sales")));
        assert_eq!(
            module_of("mailing.mailing"),
            Some(("mass_mailing", "Email Marketing"))
        );
        assert_eq!(module_of("res.partner"), None);
        assert_eq!(module_of("salesforce.x"), None);
    }
}
