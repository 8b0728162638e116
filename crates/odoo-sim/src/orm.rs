//! ORM reads over the in-memory tables: search (domains, order, active filter, record rules), read, fields_get.

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::OdooVersion;
use super::access::Operation;
use super::domain::{self, Domain, Leaf, Op};
use super::fault::Fault;
use super::schema::{Model, Type};
use super::store::Db;

/// Who calls, with which context (Odoo's `env`).
pub(crate) struct Env {
    pub uid: i64,
    pub context: Map<String, Value>,
}

impl Env {
    pub(crate) fn active_test(&self) -> bool {
        self.context.get("active_test") != Some(&Value::Bool(false))
    }
}

impl Db {
    pub(crate) fn check_access(
        &self,
        env: &Env,
        model: &Model,
        op: Operation,
    ) -> Result<(), Fault> {
        let groups = self.user_groups(env.uid);
        self.acl.check(&groups, model.name, model.description, op)
    }

    pub(crate) fn parse_domain(&self, model: &Model, value: &Value) -> Result<Domain, Fault> {
        let v19 = self.version == OdooVersion::V19;
        let parsed = domain::parse(value, v19).map_err(Fault::value_error)?;
        for leaf in parsed.leaves() {
            self.check_path(model, leaf)?;
        }
        Ok(parsed)
    }

    fn check_path(&self, model: &Model, leaf: &Leaf) -> Result<(), Fault> {
        let word = match self.version {
            OdooVersion::V18 => "leaf",
            OdooVersion::V19 => "condition",
        };
        let mut current = model;
        let segments: Vec<&str> = leaf.path.split('.').collect();
        for (index, segment) in segments.iter().enumerate() {
            let field = current.field(segment).ok_or_else(|| {
                Fault::value_error(format!(
                    "Invalid field {}.{segment} in {word} {}",
                    current.name, leaf.repr
                ))
            })?;
            if index + 1 < segments.len() {
                current = field.relation.and_then(|r| self.model(r)).ok_or_else(|| {
                    Fault::value_error(format!(
                        "Invalid field {}.{segment} in {word} {}",
                        current.name, leaf.repr
                    ))
                })?;
            }
        }
        Ok(())
    }

    /// The terminal values of a dotted path for one record (any number through x2many).
    fn path_values(&self, model: &str, id: i64, path: &[&str], by_name: bool) -> Vec<Value> {
        let Some((head, rest)) = path.split_first() else {
            return vec![];
        };
        let Some(field) = self.model(model).and_then(|m| m.field(head)) else {
            return vec![];
        };
        let value = self.value(model, id, head);
        let related: Vec<i64> = match &value {
            Value::Array(ids) => ids.iter().filter_map(Value::as_i64).collect(),
            Value::Number(n) if field.ty.is_relational() => n.as_i64().into_iter().collect(),
            _ => vec![],
        };
        let relation = field.relation.unwrap_or_default();
        if !rest.is_empty() {
            return related
                .into_iter()
                .flat_map(|r| self.path_values(relation, r, rest, by_name))
                .collect();
        }
        if field.ty.is_relational() {
            if by_name {
                return related
                    .into_iter()
                    .map(|r| json!(self.display_name(relation, r)))
                    .collect();
            }
            return related.into_iter().map(|r| json!(r)).collect();
        }
        vec![value]
    }

    fn leaf_matches(&self, model: &Model, id: i64, leaf: &Leaf) -> Result<bool, Fault> {
        let path: Vec<&str> = leaf.path.split('.').collect();
        let terminal = self.terminal_field(model, &path);
        let relational = terminal.is_some_and(|t| t.ty.is_relational());
        match leaf.op {
            Op::Any | Op::NotAny => {
                let comodel = terminal
                    .and_then(|t| t.relation)
                    .and_then(|r| self.model(r));
                let Some(comodel) = comodel else {
                    return Ok(false);
                };
                let sub = self.parse_domain(comodel, &leaf.value)?;
                let related = self.path_values(model.name, id, &path, false);
                let mut any = false;
                for value in related {
                    let rid = value.as_i64().unwrap_or(0);
                    if sub.eval(&mut |l: &Leaf| self.leaf_matches(comodel, rid, l))? {
                        any = true;
                        break;
                    }
                }
                return Ok(any == (leaf.op == Op::Any));
            }
            Op::ChildOf | Op::ParentOf => {
                let values = self.path_values(model.name, id, &path, false);
                let target_model = if relational {
                    terminal.and_then(|t| t.relation).unwrap_or(model.name)
                } else {
                    model.name
                };
                let targets = ids_of(&leaf.value);
                return Ok(values.iter().filter_map(Value::as_i64).any(|v| {
                    targets.iter().any(|t| match leaf.op {
                        Op::ChildOf => self.is_ancestor_or_self(target_model, *t, v),
                        _ => self.is_ancestor_or_self(target_model, v, *t),
                    })
                }));
            }
            _ => {}
        }
        // Relations compared with text (`partner_id ilike 'azure'`) compare display names.
        let by_name = relational && is_textual(&leaf.value);
        let values = self.path_values(model.name, id, &path, by_name);
        Ok(domain::matches(leaf.op, &values, &leaf.value))
    }

    fn terminal_field<'m>(
        &'m self,
        model: &'m Model,
        path: &[&str],
    ) -> Option<&'m super::schema::Field> {
        let (last, init) = path.split_last()?;
        let mut current = model;
        for segment in init {
            current = self.model(current.field(segment)?.relation?)?;
        }
        current.field(last)
    }

    fn is_ancestor_or_self(&self, model: &str, ancestor: i64, id: i64) -> bool {
        let mut current = Some(id);
        let mut steps = 0;
        while let Some(node) = current {
            if node == ancestor {
                return true;
            }
            steps += 1;
            if steps > 1000 {
                return false;
            }
            current = self
                .row(model, node)
                .and_then(|r| r.get("parent_id"))
                .and_then(Value::as_i64);
        }
        false
    }

    /// `search`: ids matching the domain, in order, after the active filter and record rules.
    pub(crate) fn search(
        &self,
        env: &Env,
        model: &Model,
        domain: &Value,
        order: Option<&str>,
        offset: usize,
        limit: Option<usize>,
    ) -> Result<Vec<i64>, Fault> {
        if !self.check_read_access(env, model, &[])? {
            return Ok(vec![]);
        }
        let parsed = self.parse_domain(model, domain)?;
        let filter_active = model.has_active()
            && env.active_test()
            && !parsed.leaves().iter().any(|l| l.path == "active");
        let sort = self.parse_order(model, order.unwrap_or(model.order))?;
        let mut ids = Vec::new();
        for (id, row) in &self.tables[model.name].rows {
            if filter_active && row.get("active") == Some(&Value::Bool(false)) {
                continue;
            }
            if !self.rule_allows(env, model.name, *id) {
                continue;
            }
            if parsed.eval(&mut |leaf: &Leaf| self.leaf_matches(model, *id, leaf))? {
                ids.push(*id);
            }
        }
        self.sort_ids(model, &mut ids, &sort);
        Ok(ids
            .into_iter()
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX))
            .collect())
    }

    /// Parse an `order` spec like `"name desc, id"`.
    pub(crate) fn parse_order(
        &self,
        model: &Model,
        order: &str,
    ) -> Result<Vec<(String, bool)>, Fault> {
        let mut out = Vec::new();
        for part in order.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_whitespace();
            let name = words.next().unwrap_or_default();
            let desc = match words.next().map(str::to_lowercase).as_deref() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(_) => {
                    return Err(Fault::value_error(format!(
                        "Invalid order {}",
                        super::fault::python_str(order)
                    )));
                }
            };
            let field = name.split(':').next().unwrap_or_default();
            if model.field(field).is_none() {
                return Err(Fault::value_error(format!(
                    "Invalid field '{field}' on model '{}'",
                    model.name
                )));
            }
            out.push((field.to_owned(), desc));
        }
        Ok(out)
    }

    pub(crate) fn sort_ids(&self, model: &Model, ids: &mut [i64], sort: &[(String, bool)]) {
        let key = |id: i64, field: &str| -> Value {
            let value = self.value(model.name, id, field);
            match (model.field(field).map(|f| (f.ty, f.relation)), &value) {
                (Some((Type::Many2one, Some(relation))), Value::Number(n)) => {
                    json!(
                        self.display_name(relation, n.as_i64().unwrap_or(0))
                            .to_lowercase()
                    )
                }
                (_, Value::String(s)) => json!(s.to_lowercase()),
                _ => value,
            }
        };
        ids.sort_by(|a, b| {
            for (field, desc) in sort {
                let ordering = compare_values(&key(*a, field), &key(*b, field), *desc);
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            a.cmp(b)
        });
    }

    /// `read`: missing ids are silently dropped, like Odoo.
    pub(crate) fn read(
        &self,
        env: &Env,
        model: &Model,
        ids: &[i64],
        fields: &[String],
    ) -> Result<Vec<Value>, Fault> {
        if !self.check_read_access(env, model, ids)? {
            return Ok(vec![]);
        }
        let fields = self.fields_to_read(model, fields)?;
        let existing = self.existing(model.name, ids);
        self.check_rules(env, model, &existing, "read")?;
        Ok(existing
            .into_iter()
            .map(|id| {
                let mut record = Map::new();
                record.insert("id".into(), json!(id));
                for field in &fields {
                    record.insert(field.clone(), self.read_value(model.name, id, field));
                }
                Value::Object(record)
            })
            .collect())
    }

    pub(crate) fn fields_to_read(
        &self,
        model: &Model,
        fields: &[String],
    ) -> Result<Vec<String>, Fault> {
        if fields.is_empty() {
            return Ok(model
                .fields
                .iter()
                .filter(|f| f.name != "id")
                .map(|f| f.name.to_owned())
                .collect());
        }
        for field in fields {
            if model.field(field).is_none() {
                return Err(Fault::value_error(format!(
                    "Invalid field '{field}' on model '{}'",
                    model.name
                )));
            }
        }
        Ok(fields.iter().filter(|f| *f != "id").cloned().collect())
    }

    /// `fields_get(allfields, attributes)`.
    pub(crate) fn fields_get(
        &self,
        model: &Model,
        allfields: &[String],
        attributes: &[String],
    ) -> Value {
        let mut out = Map::new();
        for field in &model.fields {
            if !allfields.is_empty() && !allfields.iter().any(|f| f == field.name) {
                continue;
            }
            let mut description = field.describe();
            if !attributes.is_empty() {
                description.retain(|key, _| attributes.iter().any(|a| a == key));
            }
            out.insert(field.name.to_owned(), Value::Object(description));
        }
        Value::Object(out)
    }

    /// `name_search`: `[[id, display_name], …]`.
    pub(crate) fn name_search(
        &self,
        env: &Env,
        model: &Model,
        name: &str,
        domain: &Value,
        operator: &str,
        limit: Option<usize>,
    ) -> Result<Value, Fault> {
        let mut leaves = match domain {
            Value::Array(items) => items.clone(),
            _ => vec![],
        };
        if !name.is_empty() {
            if !leaves.is_empty() {
                leaves.insert(0, json!("&"));
            }
            leaves.push(json!(["display_name", operator, name]));
        }
        let ids = self.search(env, model, &Value::Array(leaves), None, 0, limit)?;
        let result = ids
            .into_iter()
            .map(|id| json!([id, self.display_name(model.name, id)]))
            .collect();
        Ok(Value::Array(result))
    }
}

fn is_textual(value: &Value) -> bool {
    match value {
        Value::String(_) => true,
        Value::Array(items) => items.iter().any(Value::is_string),
        _ => false,
    }
}

pub(crate) fn ids_of(value: &Value) -> Vec<i64> {
    match value {
        Value::Array(items) => items.iter().filter_map(Value::as_i64).collect(),
        Value::Number(n) => n.as_i64().into_iter().collect(),
        _ => vec![],
    }
}

/// PostgreSQL ordering: NULLs last ascending, first descending.
pub(crate) fn compare_values(a: &Value, b: &Value, desc: bool) -> Ordering {
    let null = |v: &Value| matches!(v, Value::Null | Value::Bool(false));
    let ordering = match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (x, y) if null(x) && !null(y) => {
            return if desc {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        (x, y) if !null(x) && null(y) => {
            return if desc {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        _ => Ordering::Equal,
    };
    if desc { ordering.reverse() } else { ordering }
}
