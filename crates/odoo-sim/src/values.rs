//! Converting written values: type checks, relations that must exist, and x2many commands.

use serde_json::{Map, Value, json};

use super::OdooVersion;
use super::fault::{Fault, python_repr};
use super::orm::{Env, ids_of};
use super::schema::{Field, Model, Type};
use super::store::{Db, Record};

impl Db {
    /// Check and convert `vals` into stored values; one2many commands are returned apart.
    pub(super) fn convert(
        &self,
        env: &Env,
        model: &Model,
        vals: &Map<String, Value>,
    ) -> Result<(Record, Vec<(String, Value)>), Fault> {
        let mut record = Record::new();
        let mut commands = Vec::new();
        for (name, value) in vals {
            let field = model.field(name).ok_or_else(|| {
                Fault::value_error(format!(
                    "Invalid field {} on model {}",
                    super::fault::python_str(name),
                    super::fault::python_str(model.name)
                ))
            })?;
            // Odoo ignores values for computed fields without an inverse, and the magic columns.
            if (!field.store && field.readonly)
                || matches!(
                    field.name,
                    "id" | "create_date" | "create_uid" | "write_date" | "write_uid"
                )
            {
                continue;
            }
            if field.ty == Type::One2many {
                commands.push((name.clone(), value.clone()));
                continue;
            }
            let converted = self.convert_value(env, model, field, value)?;
            record.insert(name.clone(), converted);
        }
        Ok((record, commands))
    }

    fn convert_value(
        &self,
        env: &Env,
        model: &Model,
        field: &Field,
        value: &Value,
    ) -> Result<Value, Fault> {
        let wrong = || {
            Fault::value_error(format!(
                "Wrong value for {}.{}: {}",
                model.name,
                field.name,
                python_repr(value)
            ))
        };
        if matches!(value, Value::Null | Value::Bool(false)) && field.ty != Type::Many2many {
            return Ok(match field.ty {
                Type::Boolean => json!(false),
                _ => Value::Bool(false),
            });
        }
        Ok(match field.ty {
            Type::Char | Type::Text | Type::Html | Type::Date | Type::Datetime | Type::Binary => {
                match value {
                    Value::String(_) => value.clone(),
                    Value::Number(n) => json!(n.to_string()),
                    _ => return Err(wrong()),
                }
            }
            Type::Integer | Type::Many2oneReference => json!(
                value
                    .as_i64()
                    .or_else(|| value.as_f64().map(|f| f as i64))
                    .ok_or_else(wrong)?
            ),
            Type::Float | Type::Monetary => json!(value.as_f64().ok_or_else(wrong)?),
            Type::Boolean => json!(match value {
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            }),
            Type::Selection => {
                let key = value.as_str().ok_or_else(wrong)?;
                if !field.selection.iter().any(|(k, _)| *k == key) {
                    return Err(wrong());
                }
                value.clone()
            }
            // A text is not an id: Odoo's Many2one conversion quietly clears the field.
            Type::Many2one if value.is_string() => Value::Bool(false),
            Type::Many2one => {
                let id = value.as_i64().ok_or_else(wrong)?;
                let relation = field.relation.unwrap_or_default();
                if !self.exists(relation, id) {
                    return Err(self.foreign_key_fault(model, field));
                }
                json!(id)
            }
            Type::Many2many => self.many2many(env, model, field, value)?,
            Type::One2many => value.clone(),
        })
    }

    fn foreign_key_fault(&self, model: &Model, field: &Field) -> Fault {
        let constraint = format!("{}_{}_fkey", model.name.replace('.', "_"), field.name);
        Fault::validation(match self.version {
            OdooVersion::V18 => format!(
                "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {} ({})\nConstraint: {constraint}\n",
                model.description, model.name
            ),
            OdooVersion::V19 => format!(
                "The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\nModel: '{}' ({})\nConstraint: {constraint}\n",
                model.description, model.name
            ),
        })
    }

    /// Many2many values: a list of ids, or x2many commands (3, 4, 5, 6).
    fn many2many(
        &self,
        _env: &Env,
        model: &Model,
        field: &Field,
        value: &Value,
    ) -> Result<Value, Fault> {
        let wrong = || {
            Fault::value_error(format!(
                "Wrong value for {}.{}: {}",
                model.name,
                field.name,
                python_repr(value)
            ))
        };
        let Value::Array(items) = value else {
            return if matches!(value, Value::Bool(false) | Value::Null) {
                Ok(json!([]))
            } else {
                Err(wrong())
            };
        };
        let mut ids: Vec<i64> = Vec::new();
        for item in items {
            match item {
                Value::Number(n) => ids.push(n.as_i64().ok_or_else(wrong)?),
                Value::Array(command) => match command.first().and_then(Value::as_i64) {
                    Some(3) => {
                        let id = command.get(1).and_then(Value::as_i64).ok_or_else(wrong)?;
                        ids.retain(|i| *i != id);
                    }
                    Some(4) => ids.push(command.get(1).and_then(Value::as_i64).ok_or_else(wrong)?),
                    Some(5) => ids.clear(),
                    Some(6) => ids = ids_of(command.get(2).ok_or_else(wrong)?),
                    _ => return Err(wrong()),
                },
                _ => return Err(wrong()),
            }
        }
        let relation = field.relation.unwrap_or_default();
        if ids.iter().any(|id| !self.exists(relation, *id)) {
            return Err(self.foreign_key_fault(model, field));
        }
        ids.dedup();
        Ok(json!(ids))
    }

    /// One2many commands: (0, 0, vals) create, (1, id, vals) update, (2, id) delete, (4, id) link, (6, 0, ids) set.
    pub(super) fn apply_one2many(
        &mut self,
        env: &Env,
        model: &Model,
        id: i64,
        commands: Vec<(String, Value)>,
    ) -> Result<(), Fault> {
        for (name, value) in commands {
            let Some(field) = model.field(&name) else {
                continue;
            };
            let (Some(relation), Some(inverse)) = (field.relation, field.inverse) else {
                continue;
            };
            let comodel = self.model_or_fault(relation)?.clone();
            let wrong = || {
                Fault::value_error(format!(
                    "Wrong value for {}.{}: {}",
                    model.name,
                    name,
                    python_repr(&value)
                ))
            };
            let Value::Array(items) = &value else {
                return Err(wrong());
            };
            for item in items {
                let command = item.as_array().ok_or_else(wrong)?;
                let target = command.get(1).and_then(Value::as_i64).unwrap_or(0);
                match command.first().and_then(Value::as_i64) {
                    Some(0) => {
                        let mut vals = command.get(2).cloned().unwrap_or_else(|| json!({}));
                        if let Value::Object(map) = &mut vals {
                            map.insert(inverse.into(), json!(id));
                            if relation == "mail.activity" {
                                map.insert("res_model".into(), json!(model.name));
                            }
                        }
                        self.create(env, &comodel, &vals)?;
                    }
                    Some(1) => self.write(
                        env,
                        &comodel,
                        &[target],
                        command.get(2).unwrap_or(&json!({})),
                    )?,
                    Some(2) => self.unlink(env, &comodel, &[target])?,
                    Some(4) => self.write(env, &comodel, &[target], &json!({inverse: id}))?,
                    Some(6) => {
                        for linked in ids_of(command.get(2).unwrap_or(&Value::Null)) {
                            self.write(env, &comodel, &[linked], &json!({inverse: id}))?;
                        }
                    }
                    _ => return Err(wrong()),
                }
            }
        }
        Ok(())
    }
}
