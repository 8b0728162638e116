//! The in-memory database: tables of records, users' secrets, and reading values (stored or computed).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use super::OdooVersion;
use super::access::{Acl, Group};
use super::fault::Fault;
use super::schema::{self, Model, Type};
use super::seed;

pub(crate) type Record = Map<String, Value>;

#[derive(Clone, Default)]
pub(crate) struct Table {
    pub next_id: i64,
    pub rows: BTreeMap<i64, Record>,
}

/// What a user authenticates with; never serialised.
#[derive(Clone, Default)]
pub(crate) struct Secret {
    pub password: String,
    pub api_keys: Vec<String>,
}

pub(crate) struct Db {
    pub version: OdooVersion,
    pub models: Vec<Model>,
    pub acl: Acl,
    pub tables: HashMap<&'static str, Table>,
    pub secrets: HashMap<i64, Secret>,
    /// Which group each `res.groups` id stands for.
    pub group_ids: HashMap<i64, Group>,
    pub groups_field: &'static str,
}

impl Db {
    #[cfg(test)]
    pub fn new(version: OdooVersion) -> Self {
        Self::with_mail(version, true)
    }

    /// A database with or without Odoo's `mail` module: without it there are no `mail.*`
    /// models and no `activity_ids` (the `mail.activity.mixin` field) on any model.
    pub(crate) fn with_mail(version: OdooVersion, mail: bool) -> Self {
        let mut models = schema::models(version);
        if !mail {
            models.retain(|m| !m.name.starts_with("mail."));
            for model in &mut models {
                model
                    .fields
                    .retain(|f| !f.relation.is_some_and(|r| r.starts_with("mail.")));
            }
        }
        let groups_field = match version {
            OdooVersion::V18 => "groups_id",
            OdooVersion::V19 => "group_ids",
        };
        let mut db = Db {
            version,
            tables: models
                .iter()
                .map(|m| {
                    (
                        m.name,
                        Table {
                            next_id: 1,
                            rows: BTreeMap::new(),
                        },
                    )
                })
                .collect(),
            models,
            acl: Acl::new(version),
            secrets: HashMap::new(),
            group_ids: Group::ALL.iter().map(|g| (g.id(), *g)).collect(),
            groups_field,
        };
        for (model, mut values) in seed::records(version) {
            if let Some(groups) = values.as_object_mut().and_then(|v| v.remove("groups")) {
                values[groups_field] = groups;
            }
            db.insert_seed(model, values);
        }
        for user in seed::users(version) {
            let secret = Secret {
                password: user.password.to_owned(),
                api_keys: vec![],
            };
            db.secrets.insert(user.id, secret);
        }
        db.seed_metadata();
        db
    }

    fn insert_seed(&mut self, model: &str, values: Value) {
        let Value::Object(mut record) = values else {
            return;
        };
        let Some(id) = record.remove("id").and_then(|id| id.as_i64()) else {
            return;
        };
        for (key, value) in [
            ("create_date", seed::INSTALLED_AT),
            ("write_date", seed::INSTALLED_AT),
        ] {
            record.insert(key.into(), json!(value));
        }
        record.insert("create_uid".into(), json!(1));
        record.insert("write_uid".into(), json!(1));
        if let Some(m) = self.model(model) {
            for field in &m.fields {
                if !record.contains_key(field.name)
                    && let Some(default) = schema::default_value(model, field.name)
                {
                    record.insert(field.name.into(), default);
                }
            }
        }
        if let Some(table) = self.tables.get_mut(model) {
            table.rows.insert(id, record);
            table.next_id = table.next_id.max(id + 1);
        }
    }

    /// `ir.model`, `ir.model.fields`, `ir.model.access`, `ir.rule`, crons and activities refer to models by id.
    fn seed_metadata(&mut self) {
        let mut rows = Vec::new();
        let mut field_id = 1;
        for (index, model) in self.models.iter().enumerate() {
            let id = index as i64 + 1;
            rows.push(("ir.model", json!({"id": id, "name": model.description, "model": model.name, "state": "base", "transient": false})));
            for field in &model.fields {
                rows.push(("ir.model.fields", json!({"id": field_id, "name": field.name, "field_description": field.string, "model": model.name, "model_id": id, "ttype": field.ty.as_str(), "relation": field.relation.unwrap_or_default(), "required": field.required, "readonly": field.readonly, "store": field.store})));
                field_id += 1;
            }
        }
        let rules = self
            .acl
            .rules()
            .iter()
            .filter(|r| self.model(r.model).is_some());
        for (index, rule) in rules.enumerate() {
            let model_id = self.model_id(rule.model);
            rows.push(("ir.model.access", json!({"id": index + 1, "name": format!("access_{}_{}", rule.model.replace('.', "_"), rule.group.id()), "model_id": model_id, "group_id": rule.group.id(), "perm_read": rule.perms[0], "perm_write": rule.perms[1], "perm_create": rule.perms[2], "perm_unlink": rule.perms[3]})));
        }
        rows.push(("ir.rule", json!({"id": 1, "name": "res.partner: portal/public: read access on my commercial partner", "model_id": self.model_id("res.partner"), "groups": [Group::Portal.id()], "domain_force": "[('id', 'child_of', user.commercial_partner_id.id)]", "perm_read": true, "perm_write": false, "perm_create": false, "perm_unlink": false})));
        let orders = self.model_id("sale.order");
        rows.push(("ir.rule", json!({"id": 2, "name": "Personal Orders", "model_id": orders, "groups": [Group::SalesUser.id()], "domain_force": "['|', ('user_id', '=', user.id), ('user_id', '=', False)]", "perm_read": true, "perm_write": true, "perm_create": true, "perm_unlink": true})));
        rows.push(("ir.rule", json!({"id": 3, "name": "Portal Personal Quotations/Sales Orders", "model_id": orders, "groups": [Group::Portal.id()], "domain_force": "[('message_partner_ids', 'child_of', [user.commercial_partner_id.id])]", "perm_read": true, "perm_write": true, "perm_create": true, "perm_unlink": true})));
        let crons = seed::CRONS.iter().filter(|c| self.model(c.1).is_some());
        for (index, (name, model, number, unit)) in crons.enumerate() {
            rows.push(("ir.cron", json!({"id": index + 1, "name": name, "model_id": self.model_id(model), "code": "model._run()", "user_id": 1, "interval_number": number, "interval_type": unit, "nextcall": "2026-12-01 00:00:00"})));
        }
        for (id, name, report_name, file_name) in seed::reports(self.version) {
            rows.push(("ir.actions.report", json!({"id": id, "name": name, "model": "sale.order", "report_type": "qweb-pdf", "report_name": report_name, "report_file": report_name, "binding_model_id": orders, "print_report_name": file_name, "multi": false, "attachment_use": false, "attachment": false})));
        }
        for (index, (model, res_id, type_id, summary, deadline, user)) in
            seed::activities(self.version).into_iter().enumerate()
        {
            rows.push(("mail.activity", json!({"id": index + 1, "res_model": model, "res_model_id": self.model_id(model), "res_id": res_id, "activity_type_id": type_id, "summary": summary, "date_deadline": deadline, "user_id": user})));
        }
        for (model, values) in rows {
            self.insert_seed(model, values);
        }
    }

    pub(crate) fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    /// `Object x doesn't exist`, as execute_kw says for an unknown model.
    pub(crate) fn model_or_fault(&self, name: &str) -> Result<&Model, Fault> {
        self.model(name)
            .ok_or_else(|| Fault::user_error(format!("Object {name} doesn't exist")))
    }

    pub(crate) fn model_id(&self, name: &str) -> i64 {
        self.models
            .iter()
            .position(|m| m.name == name)
            .map_or(0, |i| i as i64 + 1)
    }

    pub(crate) fn row(&self, model: &str, id: i64) -> Option<&Record> {
        self.tables.get(model)?.rows.get(&id)
    }

    pub(crate) fn exists(&self, model: &str, id: i64) -> bool {
        self.row(model, id).is_some()
    }

    /// The ids among `ids` that have a record of `model`, in order.
    pub(crate) fn existing(&self, model: &str, ids: &[i64]) -> Vec<i64> {
        ids.iter()
            .copied()
            .filter(|id| self.exists(model, *id))
            .collect()
    }

    /// Odoo's MissingError (as `uid` sees it) naming the ids that have no record of `model`.
    pub(crate) fn require_existing(&self, model: &str, ids: &[i64], uid: i64) -> Result<(), Fault> {
        let missing: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !self.exists(model, *id))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Fault::missing(model, &missing, uid))
        }
    }

    pub(crate) fn user_groups(&self, uid: i64) -> Vec<Group> {
        let ids = self
            .row("res.users", uid)
            .and_then(|user| user.get(self.groups_field))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        ids.iter()
            .filter_map(Value::as_i64)
            .filter_map(|id| self.group_ids.get(&id).copied())
            .collect()
    }

    pub(crate) fn user_partner(&self, uid: i64) -> i64 {
        self.row("res.users", uid)
            .and_then(|u| u.get("partner_id"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    fn stored(&self, model: &str, id: i64, field: &str) -> Value {
        self.row(model, id)
            .and_then(|r| r.get(field))
            .cloned()
            .unwrap_or(Value::Bool(false))
    }

    fn str_of(&self, model: &str, id: i64, field: &str) -> String {
        match self.stored(model, id, field) {
            Value::String(s) => s,
            _ => String::new(),
        }
    }

    /// `display_name`, computed like each model does in Odoo.
    pub(crate) fn display_name(&self, model: &str, id: i64) -> String {
        let name = self.str_of(model, id, "name");
        match model {
            "res.partner" => {
                let parent = self.stored(model, id, "parent_id").as_i64();
                let is_company = self.stored(model, id, "is_company") == json!(true);
                match parent {
                    Some(parent) if !is_company && self.exists(model, parent) => {
                        format!("{}, {name}", self.display_name(model, parent))
                    }
                    _ => name,
                }
            }
            "product.product" | "product.template" => {
                match self.stored(model, id, "default_code") {
                    Value::String(code) if !code.is_empty() => format!("[{code}] {name}"),
                    _ => name,
                }
            }
            "product.category" => match self.stored(model, id, "parent_id").as_i64() {
                Some(parent) if parent != id && self.exists(model, parent) => {
                    format!("{} / {name}", self.display_name(model, parent))
                }
                _ => name,
            },
            "res.groups" => self.group_full_name(id),
            "sale.order.line" => {
                let order = self.stored(model, id, "order_id").as_i64().unwrap_or(0);
                format!("{} - {name}", self.str_of("sale.order", order, "name"))
            }
            "mail.activity" => {
                let summary = self.str_of(model, id, "summary");
                if summary.is_empty() {
                    let kind = self
                        .stored(model, id, "activity_type_id")
                        .as_i64()
                        .unwrap_or(0);
                    self.str_of("mail.activity.type", kind, "name")
                } else {
                    summary
                }
            }
            _ => {
                let field = self.model(model).map_or("name", |m| m.rec_name);
                self.str_of(model, id, field)
            }
        }
    }

    fn group_full_name(&self, id: i64) -> String {
        match self.group_ids.get(&id) {
            Some(group) => group.full_name(self.version),
            None => self.str_of("res.groups", id, "name"),
        }
    }

    /// Ids of `comodel` records whose `inverse` many2one points at `id` (a one2many), active ones only.
    pub(crate) fn one2many(&self, comodel: &str, inverse: &str, id: i64) -> Vec<i64> {
        let Some(table) = self.tables.get(comodel) else {
            return vec![];
        };
        let has_active = self.model(comodel).is_some_and(Model::has_active);
        table
            .rows
            .iter()
            .filter(|(_, row)| row.get(inverse).and_then(Value::as_i64) == Some(id))
            .filter(|(_, row)| !has_active || row.get("active") != Some(&Value::Bool(false)))
            .map(|(id, _)| *id)
            .collect()
    }

    /// The raw value of a field (ids for relations), stored or computed.
    pub(crate) fn value(&self, model: &str, id: i64, field: &str) -> Value {
        let Some(meta) = self.model(model).and_then(|m| m.field(field)) else {
            return Value::Bool(false);
        };
        if field == "id" {
            return json!(id);
        }
        if meta.ty == Type::One2many {
            let relation = meta.relation.unwrap_or_default();
            let mut ids = self.one2many(relation, meta.inverse.unwrap_or_default(), id);
            if relation == "mail.activity" {
                // mail.activity.mixin: `res_id` is an integer, the domain adds the model.
                ids.retain(|a| self.str_of(relation, *a, "res_model") == model);
            }
            ids.sort_unstable();
            return json!(ids);
        }
        if meta.store {
            let value = self.stored(model, id, field);
            return match (meta.ty, value) {
                (Type::Many2many, Value::Array(ids)) => {
                    let relation = meta.relation.unwrap_or_default();
                    Value::Array(
                        ids.into_iter()
                            .filter(|i| i.as_i64().is_some_and(|i| self.exists(relation, i)))
                            .collect(),
                    )
                }
                (Type::Many2many, _) => json!([]),
                (Type::Many2one, Value::Number(n)) => match n.as_i64() {
                    Some(target) if self.exists(meta.relation.unwrap_or_default(), target) => {
                        json!(target)
                    }
                    _ => Value::Bool(false),
                },
                (Type::Integer | Type::Many2oneReference, Value::Bool(false)) => json!(0),
                (Type::Float | Type::Monetary, Value::Bool(false)) => json!(0.0),
                (Type::Float | Type::Monetary, Value::Number(n)) => {
                    json!(n.as_f64().unwrap_or(0.0))
                }
                (_, value) => value,
            };
        }
        self.computed(model, id, field)
    }

    fn computed(&self, model: &str, id: i64, field: &str) -> Value {
        match (model, field) {
            (_, "display_name") | ("res.partner" | "product.category", "complete_name") => {
                json!(self.display_name(model, id))
            }
            ("res.groups", "full_name") => json!(self.group_full_name(id)),
            ("res.users", "share") => json!(self.user_groups(id).iter().all(|g| g.is_share())),
            ("ir.cron", "cron_name") => json!(self.str_of(model, id, "name")),
            ("sale.order.line", "price_subtotal") => {
                let qty = self
                    .stored(model, id, "product_uom_qty")
                    .as_f64()
                    .unwrap_or(0.0);
                let price = self.stored(model, id, "price_unit").as_f64().unwrap_or(0.0);
                json!(round2(qty * price))
            }
            ("sale.order.line", "company_id" | "state") => {
                let order = self.stored(model, id, "order_id").as_i64().unwrap_or(0);
                self.value("sale.order", order, field)
            }
            ("sale.order", "amount_total" | "amount_untaxed") => {
                let total: f64 = self
                    .one2many("sale.order.line", "order_id", id)
                    .into_iter()
                    .filter_map(|line| {
                        self.computed("sale.order.line", line, "price_subtotal")
                            .as_f64()
                    })
                    .sum();
                json!(round2(total))
            }
            ("mail.activity" | "ir.attachment", "res_name") => {
                let res_model = self.str_of(model, id, "res_model");
                let res_id = self.stored(model, id, "res_id").as_i64().unwrap_or(0);
                if res_model.is_empty() || res_id == 0 {
                    return Value::Bool(false);
                }
                json!(self.display_name(&res_model, res_id))
            }
            // Kept as written (the inverse stores the bytes), read back as base64.
            ("ir.attachment", "datas") => self.stored(model, id, field),
            ("ir.actions.report", "model_id") => {
                match self.model_id(&self.str_of(model, id, "model")) {
                    0 => Value::Bool(false),
                    model_id => json!(model_id),
                }
            }
            ("mail.activity", "state") => {
                let today = super::wall_clock::today();
                let deadline = self.str_of(model, id, "date_deadline");
                json!(match deadline.as_str().cmp(today.as_str()) {
                    std::cmp::Ordering::Less => "overdue",
                    std::cmp::Ordering::Equal => "today",
                    std::cmp::Ordering::Greater => "planned",
                })
            }
            ("product.template" | "product.product", "qty_available") => json!(0.0),
            _ => Value::Bool(false),
        }
    }

    /// A field's value as `read` returns it: many2one as `[id, name]`, x2many as id lists.
    pub(crate) fn read_value(&self, model: &str, id: i64, field: &str) -> Value {
        let value = self.value(model, id, field);
        let meta = self.model(model).and_then(|m| m.field(field));
        match (meta.map(|f| (f.ty, f.relation)), value) {
            (Some((Type::Many2one, Some(relation))), Value::Number(n)) => {
                let target = n.as_i64().unwrap_or(0);
                json!([target, self.display_name(relation, target)])
            }
            (_, value) => value,
        }
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
