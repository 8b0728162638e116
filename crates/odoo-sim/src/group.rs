//! `read_group` (and the grouping under 19's `formatted_read_group`): grouping, aggregates,
//! `<field>_count`/`__count`, `__domain`/`__extra_domain`, date granularities.

use chrono::{Datelike, NaiveDate};
use serde_json::{Map, Value, json};

use super::domain::{self, Domain};
use super::fault::{Fault, python_str};
use super::orm::{Env, compare_values};
use super::schema::{Field, Model, Type};
use super::store::Db;

pub(crate) struct GroupQuery<'a> {
    pub domain: &'a Value,
    pub fields: &'a [String],
    pub groupby: &'a [String],
    pub offset: usize,
    pub limit: Option<usize>,
    pub orderby: Option<&'a str>,
    pub lazy: bool,
    /// `formatted_read_group` (19): aggregates keyed by their spec (`amount_total:sum`), `__count` only when
    /// asked for, `__extra_domain` with the group's own conditions, and `having` on the aggregates.
    pub formatted: Option<Having<'a>>,
}

/// The `having` domain of `formatted_read_group`, over aggregate keys such as `__count`.
pub(crate) struct Having<'a> {
    pub domain: Option<&'a Domain>,
    pub count: bool,
}

struct GroupBy<'m> {
    spec: String,
    field: &'m Field,
    granularity: Option<String>,
}

struct Aggregate<'m> {
    alias: String,
    field: &'m Field,
    function: String,
}

impl Db {
    pub(crate) fn read_group(
        &self,
        env: &Env,
        model: &Model,
        query: GroupQuery<'_>,
    ) -> Result<Value, Fault> {
        let groupbys = self.parse_groupbys(model, query.groupby, query.lazy)?;
        let aggregates = parse_aggregates(model, query.fields, query.formatted.is_some())?;
        let ids = self.search(env, model, query.domain, None, 0, None)?;
        // Group record ids by their key, keeping first-seen order for determinism.
        let mut groups: Vec<(Vec<Value>, Vec<i64>)> = Vec::new();
        for id in ids {
            let key: Vec<Value> = groupbys
                .iter()
                .map(|g| self.group_key(model, id, g))
                .collect();
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(id),
                None => groups.push((key, vec![id])),
            }
        }
        let mut rows: Vec<Map<String, Value>> = groups
            .into_iter()
            .map(|(key, members)| {
                self.group_row(model, &query, &groupbys, &aggregates, &key, &members)
            })
            .collect();
        if let Some(Having {
            domain: Some(having),
            ..
        }) = &query.formatted
        {
            rows.retain(|row| having_matches(having, row));
        }
        self.sort_groups(&mut rows, &groupbys, query.orderby)?;
        let rows = rows
            .into_iter()
            .skip(query.offset)
            .take(query.limit.unwrap_or(usize::MAX));
        Ok(Value::Array(rows.map(Value::Object).collect()))
    }

    fn parse_groupbys<'m>(
        &self,
        model: &'m Model,
        specs: &[String],
        lazy: bool,
    ) -> Result<Vec<GroupBy<'m>>, Fault> {
        let used = if lazy {
            &specs[..specs.len().min(1)]
        } else {
            specs
        };
        used.iter()
            .map(|spec| {
                let (name, granularity) = match spec.split_once(':') {
                    Some((name, g)) => (name, Some(g.to_owned())),
                    None => (spec.as_str(), None),
                };
                let field = model.field(name).filter(|f| f.store).ok_or_else(|| {
                    Fault::value_error(format!(
                        "Invalid field {} on model {}",
                        python_str(name),
                        python_str(model.name)
                    ))
                })?;
                let date = matches!(field.ty, Type::Date | Type::Datetime);
                let granularity = match (date, granularity) {
                    (true, None) => Some("month".to_owned()),
                    (true, Some(g))
                        if ["day", "week", "month", "quarter", "year"].contains(&g.as_str()) =>
                    {
                        Some(g)
                    }
                    (false, None) => None,
                    (_, Some(g)) => {
                        return Err(Fault::value_error(format!(
                            "Invalid granularity {} for field {}",
                            python_str(&g),
                            python_str(name)
                        )));
                    }
                };
                Ok(GroupBy {
                    spec: spec.clone(),
                    field,
                    granularity,
                })
            })
            .collect()
    }

    fn group_key(&self, model: &Model, id: i64, groupby: &GroupBy<'_>) -> Value {
        let value = self.value(model.name, id, groupby.field.name);
        match (&groupby.granularity, value.as_str().and_then(parse_date)) {
            (Some(granularity), Some(date)) => json!(
                period_start(date, granularity)
                    .format("%Y-%m-%d")
                    .to_string()
            ),
            _ => value,
        }
    }

    fn group_row(
        &self,
        model: &Model,
        query: &GroupQuery<'_>,
        groupbys: &[GroupBy<'_>],
        aggregates: &[Aggregate<'_>],
        key: &[Value],
        members: &[i64],
    ) -> Map<String, Value> {
        let mut row = Map::new();
        let mut leaves = Vec::new();
        let mut ranges = Map::new();
        for (groupby, value) in groupbys.iter().zip(key) {
            let name = groupby.field.name;
            match (&groupby.granularity, value.as_str().and_then(parse_date)) {
                (Some(granularity), Some(start)) => {
                    let end = period_end(start, granularity);
                    let (from, to) = match groupby.field.ty {
                        Type::Datetime => (format!("{start} 00:00:00"), format!("{end} 00:00:00")),
                        _ => (start.to_string(), end.to_string()),
                    };
                    row.insert(
                        groupby.spec.clone(),
                        json!(period_label(start, granularity)),
                    );
                    ranges.insert(groupby.spec.clone(), json!({"from": from, "to": to}));
                    leaves.push(json!([name, ">=", from]));
                    leaves.push(json!([name, "<", to]));
                }
                _ => {
                    let shown = match (groupby.field.relation, value.as_i64()) {
                        (Some(relation), Some(id)) if groupby.field.ty == Type::Many2one => {
                            json!([id, self.display_name(relation, id)])
                        }
                        _ => value.clone(),
                    };
                    row.insert(groupby.spec.clone(), shown);
                    leaves.push(json!([name, "=", value]));
                }
            }
        }
        let count_key = match (query.lazy, groupbys.first()) {
            (true, Some(first)) => {
                format!("{}_count", first.spec.split(':').next().unwrap_or_default())
            }
            _ => "__count".to_owned(),
        };
        if query.formatted.as_ref().is_none_or(|having| having.count) {
            row.insert(count_key, json!(members.len()));
        }
        for aggregate in aggregates {
            row.insert(
                aggregate.alias.clone(),
                self.aggregate(model, aggregate, members),
            );
        }
        if query.formatted.is_some() {
            row.insert("__extra_domain".into(), Value::Array(leaves));
            return row;
        }
        row.insert("__domain".into(), and_domains(leaves, query.domain));
        if !ranges.is_empty() {
            row.insert("__range".into(), Value::Object(ranges));
        }
        if query.lazy && query.groupby.len() > 1 {
            row.insert("__context".into(), json!({"group_by": query.groupby[1..]}));
        }
        row
    }

    fn aggregate(&self, model: &Model, aggregate: &Aggregate<'_>, members: &[i64]) -> Value {
        let values: Vec<Value> = members
            .iter()
            .map(|id| self.value(model.name, *id, aggregate.field.name))
            .collect();
        let numbers: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
        let integer = aggregate.field.ty == Type::Integer;
        let number = |n: f64| if integer { json!(n as i64) } else { json!(n) };
        match aggregate.function.as_str() {
            "count" => json!(
                values
                    .iter()
                    .filter(|v| !matches!(v, Value::Bool(false) | Value::Null))
                    .count()
            ),
            "count_distinct" => {
                let mut distinct: Vec<String> = values
                    .iter()
                    .filter(|v| !matches!(v, Value::Bool(false)))
                    .map(Value::to_string)
                    .collect();
                distinct.sort();
                distinct.dedup();
                json!(distinct.len())
            }
            "avg" if !numbers.is_empty() => {
                json!(numbers.iter().sum::<f64>() / numbers.len() as f64)
            }
            "min" => numbers
                .iter()
                .copied()
                .reduce(f64::min)
                .map_or(Value::Bool(false), number),
            "max" => numbers
                .iter()
                .copied()
                .reduce(f64::max)
                .map_or(Value::Bool(false), number),
            "array_agg" => Value::Array(values),
            "sum" => number((numbers.iter().sum::<f64>() * 100.0).round() / 100.0),
            _ => Value::Bool(false),
        }
    }

    fn sort_groups(
        &self,
        rows: &mut [Map<String, Value>],
        groupbys: &[GroupBy<'_>],
        orderby: Option<&str>,
    ) -> Result<(), Fault> {
        let mut keys: Vec<(String, bool)> = Vec::new();
        for part in orderby
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let mut words = part.split_whitespace();
            let name = words.next().unwrap_or_default().to_owned();
            let desc = words.next().is_some_and(|w| w.eq_ignore_ascii_case("desc"));
            keys.push((name, desc));
        }
        keys.extend(groupbys.iter().map(|g| (g.spec.clone(), false)));
        let sortable = |value: Option<&Value>, spec: &str| -> Value {
            let value = value.cloned().unwrap_or(Value::Bool(false));
            let date = groupbys
                .iter()
                .any(|g| g.spec == spec && g.granularity.is_some());
            match value {
                // Dates sort by their period, not by their label; many2one by display name.
                Value::String(_) if date => Value::Bool(false),
                Value::Array(pair) if pair.len() == 2 => pair[1].clone(),
                other => other,
            }
        };
        rows.sort_by(|a, b| {
            for (name, desc) in &keys {
                let ordering = compare_values(
                    &sortable(a.get(name), name),
                    &sortable(b.get(name), name),
                    *desc,
                );
                if ordering != std::cmp::Ordering::Equal {
                    return ordering;
                }
            }
            let range = |row: &Map<String, Value>| {
                row.get("__range").map(Value::to_string).unwrap_or_default()
            };
            range(a).cmp(&range(b))
        });
        Ok(())
    }
}

/// Does a group's row satisfy `having` (leaves on its aggregate keys)?
fn having_matches(having: &Domain, row: &Map<String, Value>) -> bool {
    having
        .eval(&mut |leaf| {
            let value = row.get(&leaf.path).cloned().unwrap_or(Value::Bool(false));
            Ok::<bool, ()>(domain::matches(leaf.op, &[value], &leaf.value))
        })
        .unwrap_or(false)
}

/// Aggregate specs; `keyed_by_spec`: the row key is the whole spec (`amount_total:sum`), as 19's
/// `formatted_read_group` names it, instead of the alias before the colon.
fn parse_aggregates<'m>(
    model: &'m Model,
    specs: &[String],
    keyed_by_spec: bool,
) -> Result<Vec<Aggregate<'m>>, Fault> {
    let mut out = Vec::new();
    for spec in specs {
        if spec == "__count" {
            continue;
        }
        // "alias:function(field)", "field:function" or "field".
        let (alias, rest) = spec
            .split_once(':')
            .map_or((spec.as_str(), None), |(a, r)| (a, Some(r)));
        let (function, name) = match rest {
            Some(rest) => match rest.split_once('(') {
                Some((function, field)) => (Some(function.to_owned()), field.trim_end_matches(')')),
                None => (Some(rest.to_owned()), alias),
            },
            None => (None, alias),
        };
        let field = model.field(name).ok_or_else(|| {
            Fault::value_error(format!(
                "Invalid field {} on model {}",
                python_str(name),
                python_str(model.name)
            ))
        })?;
        let function = match function {
            Some(function) => function,
            None if field.ty.is_numeric() && field.name != "id" => "sum".to_owned(),
            None => continue,
        };
        out.push(Aggregate {
            alias: if keyed_by_spec { spec } else { alias }.to_owned(),
            field,
            function,
        });
    }
    Ok(out)
}

/// `AND([group_leaves, domain])`, normalised with explicit `&` like Odoo.
fn and_domains(leaves: Vec<Value>, domain: &Value) -> Value {
    let domain: Vec<Value> = domain.as_array().cloned().unwrap_or_default();
    let expressions = leaves.len() + top_level_count(&domain);
    let mut out: Vec<Value> =
        std::iter::repeat_n(json!("&"), expressions.saturating_sub(1)).collect();
    out.extend(leaves);
    out.extend(domain);
    Value::Array(out)
}

fn top_level_count(domain: &[Value]) -> usize {
    // Each operator consumes its operands; what is left on the stack are the top-level expressions.
    let mut stack = 0usize;
    for item in domain.iter().rev() {
        match item.as_str() {
            Some("!") => {}
            Some("&" | "|") => stack = stack.saturating_sub(1),
            _ => stack += 1,
        }
    }
    stack
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

fn period_start(date: NaiveDate, granularity: &str) -> NaiveDate {
    let first_of = |month: u32| NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date);
    match granularity {
        "year" => first_of(1),
        "quarter" => first_of((date.month0() / 3) * 3 + 1),
        "month" => first_of(date.month()),
        "week" => date
            .checked_sub_days(chrono::Days::new(u64::from(
                date.weekday().num_days_from_monday(),
            )))
            .unwrap_or(date),
        _ => date,
    }
}

fn period_end(start: NaiveDate, granularity: &str) -> NaiveDate {
    let months = match granularity {
        "year" => 12,
        "quarter" => 3,
        "month" => 1,
        _ => 0,
    };
    if months > 0 {
        return start
            .checked_add_months(chrono::Months::new(months))
            .unwrap_or(start);
    }
    let days = if granularity == "week" { 7 } else { 1 };
    start
        .checked_add_days(chrono::Days::new(days))
        .unwrap_or(start)
}

fn period_label(start: NaiveDate, granularity: &str) -> String {
    match granularity {
        "year" => start.format("%Y").to_string(),
        "quarter" => format!("Q{} {}", start.month0() / 3 + 1, start.year()),
        "month" => start.format("%B %Y").to_string(),
        "week" => format!("W{} {}", start.iso_week().week(), start.iso_week().year()),
        _ => start.format("%d %b %Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::OdooVersion;
    use super::*;

    fn admin() -> Env {
        Env {
            uid: 2,
            context: Map::new(),
        }
    }

    fn group(
        db: &Db,
        model: &str,
        domain: Value,
        fields: &[&str],
        groupby: &[&str],
        lazy: bool,
    ) -> Vec<Value> {
        let model = db.model(model).unwrap().clone();
        let fields: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        let groupby: Vec<String> = groupby.iter().map(|s| s.to_string()).collect();
        let query = GroupQuery {
            domain: &domain,
            fields: &fields,
            groupby: &groupby,
            offset: 0,
            limit: None,
            orderby: None,
            lazy,
            formatted: None,
        };
        db.read_group(&admin(), &model, query)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    #[test]
    fn sale_orders_grouped_by_state_count_and_sum() {
        let db = Db::new(OdooVersion::V18);
        let rows = group(
            &db,
            "sale.order",
            json!([]),
            &["amount_total:sum"],
            &["state"],
            true,
        );
        let draft = rows.iter().find(|r| r["state"] == "draft").unwrap();
        assert_eq!(draft["state_count"], 2);
        assert_eq!(draft["amount_total"], json!(1799.0 + 280.0 + 900.0));
        assert_eq!(draft["__domain"], json!([["state", "=", "draft"]]));
    }

    #[test]
    fn non_lazy_groups_use_dunder_count_and_and_the_domain() {
        let db = Db::new(OdooVersion::V19);
        let rows = group(
            &db,
            "sale.order",
            json!([["state", "!=", "cancel"]]),
            &["__count"],
            &["partner_id", "state"],
            false,
        );
        assert!(
            rows.iter()
                .all(|r| r.get("__count").is_some() && r["partner_id"].is_array())
        );
        assert_eq!(rows[0]["__domain"][0], "&");
    }

    #[test]
    fn dates_group_by_month_with_labels_and_ranges() {
        let db = Db::new(OdooVersion::V18);
        let rows = group(
            &db,
            "sale.order",
            json!([]),
            &[],
            &["date_order:month"],
            true,
        );
        assert_eq!(rows[0]["date_order:month"], "January 2026");
        assert_eq!(rows[0]["date_order_count"], 2);
        assert_eq!(
            rows[0]["__range"]["date_order:month"]["to"],
            "2026-02-01 00:00:00"
        );
    }
}
