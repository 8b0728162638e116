//! `ir.model.get_available_models()` and `display_name_for(models)`: the models a user may pick, by name.

use serde_json::{Value, json};

use super::access::{Group, Operation};
use super::store::Db;

impl Db {
    /// Odoo's `_is_valid_for_model_selector`: an internal user with read access (every simulated model is
    /// neither transient nor abstract).
    fn selectable(&self, uid: i64, model: &str) -> bool {
        let groups = self.user_groups(uid);
        groups.contains(&Group::Internal)
            && self.model(model).is_some()
            && self.acl.allows(&groups, model, Operation::Read)
    }

    /// `[{display_name, model}]` of the models the user may read, in `ir.model` order (by model); portal
    /// users get none.
    pub(crate) fn available_models(&self, uid: i64) -> Value {
        let mut names: Vec<&str> = self
            .models
            .iter()
            .map(|m| m.name)
            .filter(|name| self.selectable(uid, name))
            .collect();
        names.sort_unstable();
        Value::Array(names.into_iter().map(|name| self.named(name)).collect())
    }

    /// The selectable models first (in `ir.model` order) with their descriptions, then the others as
    /// `{display_name: name, model: name}`: unknown and inaccessible models look the same.
    pub(crate) fn display_names_for(&self, uid: i64, models: &[String]) -> Value {
        let (mut known, unknown): (Vec<&String>, Vec<&String>) =
            models.iter().partition(|name| self.selectable(uid, name));
        known.sort_unstable();
        known.dedup();
        let known = known.into_iter().map(|name| self.named(name));
        let unknown = unknown
            .into_iter()
            .map(|name| json!({"display_name": name, "model": name}));
        Value::Array(known.chain(unknown).collect())
    }

    fn named(&self, name: &str) -> Value {
        let description = self.model(name).map_or(name, |m| m.description);
        json!({"display_name": description, "model": name})
    }
}

#[cfg(test)]
mod tests {
    use super::super::OdooVersion;
    use super::*;

    #[test]
    fn internal_users_list_readable_models_and_portal_users_none() {
        let db = Db::new(OdooVersion::V19);
        let models = db.available_models(5);
        let names: Vec<&str> = models
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["model"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"res.partner") && names.contains(&"sale.order"));
        assert!(!names.contains(&"ir.config_parameter"));
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(db.available_models(6), json!([]));
    }

    #[test]
    fn unknown_or_unreadable_models_come_back_named_by_themselves() {
        let db = Db::new(OdooVersion::V18);
        let asked = ["no.such".to_owned(), "res.partner".to_owned()];
        assert_eq!(
            db.display_names_for(6, &asked),
            json!([{"display_name": "Contact", "model": "res.partner"}, {"display_name": "no.such", "model": "no.such"}])
        );
        assert_eq!(
            db.display_names_for(7, &asked[1..]),
            json!([{"display_name": "res.partner", "model": "res.partner"}])
        );
    }
}
