//! ORM writes: create, write, unlink, with Odoo's validation (required fields, types, constraints, cascades).

use serde_json::{Map, Value, json};

use super::OdooVersion;
use super::access::Operation;
use super::attachments::IR_ATTACHMENT;
use super::fault::{Fault, python_repr};
use super::orm::{Env, ids_of};
use super::rules::reads_before_writing;
use super::schema::{self, Model, Type};
use super::store::{Db, Record};
use super::wall_clock::{now, today};

/// `res.users.password` is not stored on the record: Odoo hashes it into a separate column.
fn take_password(model: &Model, vals: &Map<String, Value>) -> (Map<String, Value>, Option<String>) {
    let mut vals = vals.clone();
    let password = match model.name {
        "res.users" => vals
            .remove("password")
            .and_then(|p| p.as_str().map(str::to_owned)),
        _ => None,
    };
    (vals, password)
}

/// Models' SQL `CHECK` constraints: `res.partner.check_name`, a contact (the default type) needs a name.
fn check_sql_constraints(model: &Model, record: &Record) -> Result<(), Fault> {
    let contact = record.get("type").is_none_or(|t| t == "contact");
    let named = record
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|name| !name.is_empty());
    if model.name == "res.partner" && contact && !named {
        return Err(Fault::validation(
            "The operation cannot be completed: Contacts require a name",
        ));
    }
    Ok(())
}

impl Db {
    pub(crate) fn create(&mut self, env: &Env, model: &Model, vals: &Value) -> Result<i64, Fault> {
        // ir.attachment checks the user and the record it attaches to before its access rights.
        if model.name == IR_ATTACHMENT {
            self.check_attachment_create(env, vals)?;
        }
        self.check_access(env, model, Operation::Create)?;
        let Value::Object(vals) = vals else {
            return Err(Fault::type_error(format!(
                "Invalid values {} for create on {}: expected a dict",
                python_repr(vals),
                model.name
            )));
        };
        let (vals, password) = take_password(model, vals);
        let vals = self.prepare_create(env, model, &vals)?;
        let (mut record, commands) = self.convert(env, model, &vals)?;
        for field in &model.fields {
            if field.store
                && !record.contains_key(field.name)
                && let Some(default) = schema::default_value(model.name, field.name)
            {
                record.insert(field.name.into(), default);
            }
        }
        self.check_required(model, &record)?;
        check_sql_constraints(model, &record)?;
        let stamp = now();
        record.insert("create_date".into(), json!(stamp));
        record.insert("write_date".into(), json!(stamp));
        record.insert("create_uid".into(), json!(env.uid));
        record.insert("write_uid".into(), json!(env.uid));
        let table = self
            .tables
            .get_mut(model.name)
            .ok_or_else(|| Fault::user_error("no table"))?;
        let id = table.next_id;
        table.next_id += 1;
        table.rows.insert(id, record);
        self.apply_one2many(env, model, id, commands)?;
        self.check_constraints(model, &[id])?;
        if let Some(password) = password {
            self.secrets.entry(id).or_default().password = password;
        }
        Ok(id)
    }

    /// Model-specific defaults and checks Odoo's `create` overrides do.
    fn prepare_create(
        &mut self,
        env: &Env,
        model: &Model,
        vals: &Map<String, Value>,
    ) -> Result<Map<String, Value>, Fault> {
        let mut vals = vals.clone();
        match model.name {
            "res.users" => {
                let login = vals.get("login").cloned().unwrap_or(Value::Bool(false));
                let taken = self.tables["res.users"]
                    .rows
                    .values()
                    .any(|u| u.get("login") == Some(&login));
                if login.is_string() && taken {
                    return Err(Fault::validation(
                        "The operation cannot be completed: You can not have two users with the same login!",
                    ));
                }
                if !vals.contains_key("partner_id") {
                    let partner_model = self.model_or_fault("res.partner")?.clone();
                    let name = vals.get("name").cloned().unwrap_or_else(|| login.clone());
                    let email = vals.get("email").cloned().unwrap_or(Value::Bool(false));
                    let partner =
                        self.create(env, &partner_model, &json!({"name": name, "email": email}))?;
                    vals.insert("partner_id".into(), json!(partner));
                }
                if !vals.contains_key(self.groups_field) {
                    vals.insert(
                        self.groups_field.into(),
                        json!([super::access::Group::Internal.id()]),
                    );
                }
            }
            "sale.order" => {
                let next = self.tables["sale.order"].next_id;
                vals.entry("name")
                    .or_insert_with(|| json!(format!("S{next:05}")));
                vals.entry("date_order").or_insert_with(|| json!(now()));
                vals.entry("user_id").or_insert_with(|| json!(env.uid));
            }
            "sale.order.line" => {
                if let Some(product) = vals.get("product_id").and_then(Value::as_i64) {
                    let name = self.display_name("product.product", product);
                    let price = self.value("product.product", product, "list_price");
                    vals.entry("name").or_insert_with(|| json!(name));
                    vals.entry("price_unit").or_insert(price);
                }
            }
            "mail.activity" => self.prepare_activity(env, &mut vals)?,
            IR_ATTACHMENT => self.prepare_attachment(env, &mut vals)?,
            _ => {}
        }
        Ok(vals)
    }

    /// An activity must point at an existing model and record, and at a valid user.
    fn prepare_activity(&self, env: &Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        let by_id = vals.get("res_model_id").and_then(Value::as_i64);
        // Without `res_model_id`, Odoo takes the model from `default_res_model` in the context.
        let by_name = vals
            .get("res_model")
            .or_else(|| env.context.get("default_res_model"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let res_model = match (by_id, by_name) {
            (Some(id), _) => self
                .row("ir.model", id)
                .and_then(|m| m.get("model"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Fault::missing("ir.model", &[id], env.uid))?,
            (None, Some(name)) => {
                self.model_or_fault(&name)?;
                name
            }
            (None, None) => String::new(),
        };
        if !res_model.is_empty() {
            // mail.activity._check_access: creating one needs write access on the document.
            let document = self.model_or_fault(&res_model)?;
            self.check_access(env, document, Operation::Write)?;
            vals.insert("res_model".into(), json!(res_model));
            vals.insert("res_model_id".into(), json!(self.model_id(&res_model)));
            if let Some(res_id) = vals.get("res_id").and_then(Value::as_i64)
                && !self.exists(&res_model, res_id)
            {
                return Err(Fault::missing(&res_model, &[res_id], env.uid));
            }
        }
        vals.entry("user_id").or_insert_with(|| json!(env.uid));
        vals.entry("date_deadline")
            .or_insert_with(|| json!(today()));
        vals.entry("activity_type_id").or_insert(json!(4));
        Ok(())
    }

    pub(crate) fn write(
        &mut self,
        env: &Env,
        model: &Model,
        ids: &[i64],
        vals: &Value,
    ) -> Result<(), Fault> {
        if reads_before_writing(model.name) {
            let existing = self.existing(model.name, ids);
            self.check_rules(env, model, &existing, "read")?;
        }
        self.check_access(env, model, Operation::Write)?;
        self.require_existing(model.name, ids, env.uid)?;
        self.check_rules(env, model, ids, "write")?;
        let Value::Object(vals) = vals else {
            return Err(Fault::type_error(format!(
                "Invalid values {} for write: expected a dict",
                python_repr(vals)
            )));
        };
        if model.name == "res.users"
            && let Some(login) = vals.get("login")
            && self.tables["res.users"]
                .rows
                .iter()
                .any(|(id, u)| !ids.contains(id) && u.get("login") == Some(login))
        {
            return Err(Fault::validation(
                "The operation cannot be completed: You can not have two users with the same login!",
            ));
        }
        let (vals, password) = take_password(model, vals);
        let (changes, commands) = self.convert(env, model, &vals)?;
        if let Some(password) = password {
            for id in ids {
                self.secrets.entry(*id).or_default().password = password.clone();
            }
        }
        let stamp = now();
        for id in ids {
            let Some(row) = self
                .tables
                .get_mut(model.name)
                .and_then(|t| t.rows.get_mut(id))
            else {
                continue;
            };
            for (key, value) in &changes {
                row.insert(key.clone(), value.clone());
            }
            row.insert("write_date".into(), json!(stamp));
            row.insert("write_uid".into(), json!(env.uid));
            let snapshot = row.clone();
            self.check_required(model, &snapshot)?;
            check_sql_constraints(model, &snapshot)?;
            self.apply_one2many(env, model, *id, commands.clone())?;
        }
        self.check_constraints(model, ids)
    }

    pub(crate) fn unlink(&mut self, env: &Env, model: &Model, ids: &[i64]) -> Result<(), Fault> {
        self.check_access(env, model, Operation::Unlink)?;
        self.require_existing(model.name, ids, env.uid)?;
        self.check_rules(env, model, ids, "unlink")?;
        self.check_unlink(model, ids)?;
        for id in ids {
            self.remove(model.name, *id)?;
        }
        Ok(())
    }

    /// Delete one record and follow the references to it: cascade, restrict or set null.
    pub(crate) fn remove(&mut self, model: &str, id: i64) -> Result<(), Fault> {
        if self
            .tables
            .get_mut(model)
            .and_then(|t| t.rows.remove(&id))
            .is_none()
        {
            return Ok(());
        }
        let mut cascades = Vec::new();
        for other in &self.models {
            for field in other
                .fields
                .iter()
                .filter(|f| f.store && f.relation == Some(model))
            {
                let Some(table) = self.tables.get(other.name) else {
                    continue;
                };
                for (rid, row) in &table.rows {
                    let points = match field.ty {
                        Type::Many2one => row.get(field.name).and_then(Value::as_i64) == Some(id),
                        Type::Many2many => {
                            ids_of(row.get(field.name).unwrap_or(&Value::Null)).contains(&id)
                        }
                        _ => false,
                    };
                    if points {
                        cascades.push((other.name, *rid, field.name, field.ty, field.required));
                    }
                }
            }
        }
        for (other, rid, field, ty, required) in cascades {
            let cascade = matches!(
                (other, field),
                ("sale.order.line", "order_id") | ("ir.model.fields", "model_id")
            );
            if cascade {
                self.remove(other, rid)?;
            } else if required && ty == Type::Many2one && other != model {
                return Err(self.restrict_fault(other, field));
            } else if let Some(row) = self
                .tables
                .get_mut(other)
                .and_then(|t| t.rows.get_mut(&rid))
            {
                let cleared = match row.get(field) {
                    Some(Value::Array(items)) => Value::Array(
                        items
                            .iter()
                            .filter(|v| v.as_i64() != Some(id))
                            .cloned()
                            .collect(),
                    ),
                    _ => Value::Bool(false),
                };
                row.insert(field.into(), cleared);
            }
        }
        // mail.thread removes the activities of deleted documents, and the ORM their attachments.
        for dependent in ["mail.activity", IR_ATTACHMENT] {
            let attached: Vec<i64> = self
                .tables
                .get(dependent)
                .into_iter()
                .flat_map(|t| t.rows.iter())
                .filter(|(_, row)| {
                    row.get("res_model").and_then(Value::as_str) == Some(model)
                        && row.get("res_id").and_then(Value::as_i64) == Some(id)
                })
                .map(|(attached_id, _)| *attached_id)
                .collect();
            for attached_id in attached {
                self.remove(dependent, attached_id)?;
            }
        }
        Ok(())
    }

    /// A foreign key (`ondelete='restrict'`) refusing the deletion, in each version's words.
    fn restrict_fault(&self, model: &str, field: &str) -> Fault {
        let meta = self.model(model);
        let description = meta.map_or(model, |m| m.description);
        let label = meta
            .and_then(|m| m.field(field))
            .map_or(field, |f| f.string);
        let constraint = format!("{}_{field}_fkey", model.replace('.', "_"));
        Fault::validation(match self.version {
            OdooVersion::V18 => format!(
                "The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {description} ({model})\nConstraint: {constraint}\n"
            ),
            OdooVersion::V19 => format!(
                "The operation cannot be completed: Another model is using the record you are trying to delete.\n\nThe troublemaker is: '{description}' ({model})\nThanks to the following constraint: '{label}' ({field})\nHow about archiving the record instead?"
            ),
        })
    }

    fn check_required(&self, model: &Model, record: &Record) -> Result<(), Fault> {
        let missing = model.fields.iter().find(|f| {
            f.required
                && f.store
                && matches!(
                    record.get(f.name),
                    None | Some(Value::Bool(false)) | Some(Value::Null)
                )
        });
        let Some(field) = missing else { return Ok(()) };
        Err(Fault::validation(match self.version {
            OdooVersion::V18 => format!(
                "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {} ({})\nField: {} ({})\n",
                model.description, model.name, field.string, field.name
            ),
            OdooVersion::V19 => format!(
                "The operation cannot be completed: Missing required value for the field '{}' ({}).\nModel: '{}' ({})\n- create/update: a mandatory field is not set\n- delete: another model requires the record being deleted, you can archive it instead\n",
                field.string, field.name, model.description, model.name
            ),
        }))
    }

    /// `@api.constrains`: no recursive hierarchies.
    fn check_constraints(&self, model: &Model, ids: &[i64]) -> Result<(), Fault> {
        if model.field("parent_id").and_then(|f| f.relation) != Some(model.name) {
            return Ok(());
        }
        for id in ids {
            let mut seen = vec![*id];
            let mut current = self
                .row(model.name, *id)
                .and_then(|r| r.get("parent_id"))
                .and_then(Value::as_i64);
            while let Some(parent) = current {
                if seen.contains(&parent) {
                    let what = match model.name {
                        "res.partner" => "Partner hierarchies",
                        "product.category" => "categories",
                        _ => "hierarchies",
                    };
                    return Err(Fault::validation(format!(
                        "You cannot create recursive {what}."
                    )));
                }
                seen.push(parent);
                current = self
                    .row(model.name, parent)
                    .and_then(|r| r.get("parent_id"))
                    .and_then(Value::as_i64);
            }
        }
        Ok(())
    }
}
