//! Allowed Models: which models a tool call touches — the `model` argument, and the field paths
//! in domains, field lists, ordering and grouping, whose hops reach other models: every dot
//! crosses a relation, and a relational field that is read, grouped, ordered or searched by name
//! reads its related model too (its records' names come back). Only a comparison with ids
//! (`["user_id", "=", 2]`) stays on the calling model. Extraction is pure; resolving hops to
//! models needs Odoo's field metadata (`mcp::fields`).

use serde_json::{Map, Value};

/// What a call's raw arguments name, before any model is resolved.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Touches {
    pub model: Option<String>,
    /// Every field path named, in order of first appearance.
    pub paths: Vec<Touched>,
}

/// One field path, and whether the related model of its last field is read too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    pub path: String,
    /// False only when every use compares the field with ids.
    pub reads_target: bool,
}

pub fn touches(arguments: &Map<String, Value>) -> Touches {
    let model = arguments
        .get("model")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut paths = Vec::new();
    collect(arguments, &mut paths);
    // execute_method passes a method's own named arguments (a domain, fields …) one level down.
    if let Some(nested) = arguments.get("arguments").and_then(Value::as_object) {
        collect(nested, &mut paths);
    }
    Touches { model, paths }
}

/// The field paths of one domain (as [`touches`] finds them in a call's).
pub fn domain_paths(domain: &[Value]) -> Vec<Touched> {
    let mut paths = Vec::new();
    collect_domain(domain, "", &mut paths);
    paths
}

fn collect(arguments: &Map<String, Value>, paths: &mut Vec<Touched>) {
    for key in ["domain", "args"] {
        if let Some(domain) = arguments.get(key).and_then(Value::as_array) {
            collect_domain(domain, "", paths);
        }
    }
    for key in ["fields", "group_by", "groupby", "aggregates"] {
        for field in arguments
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            add(paths, field, true);
        }
    }
    if let Some(order) = arguments.get("order").and_then(Value::as_str) {
        for part in order.split(',') {
            if let Some(field) = part.split_whitespace().next() {
                add(paths, field, true);
            }
        }
    }
}

/// Leaf fields of a domain, prefixed by the relations they sit under. `[f, "any", sub]` (and
/// `not any`) reaches `f`'s related model and filters on the sub-domain there: its paths count
/// as `f.<path>`, and `f.id` stands for the hop itself.
fn collect_domain(domain: &[Value], prefix: &str, paths: &mut Vec<Touched>) {
    for leaf in domain.iter().filter_map(Value::as_array) {
        let Some(field) = leaf.first().and_then(Value::as_str) else {
            continue;
        };
        let path = format!("{prefix}{field}");
        let operator = leaf.get(1).and_then(Value::as_str).unwrap_or("");
        let value = leaf.get(2).unwrap_or(&Value::Null);
        match value.as_array() {
            Some(sub)
                if operator.eq_ignore_ascii_case("any")
                    || operator.eq_ignore_ascii_case("not any") =>
            {
                let nested = format!("{path}.");
                add(paths, &format!("{nested}id"), false);
                collect_domain(sub, &nested, paths);
            }
            _ => add(paths, &path, !compares_ids(operator, value)),
        }
    }
}

/// `= 2`, `!= false`, `in [1, 2]`: a test on the ids stored in the field, which reads nothing
/// of the related model (a text value would search its records by name).
fn compares_ids(operator: &str, value: &Value) -> bool {
    let id = |v: &Value| v.is_i64() || v.is_null() || *v == Value::Bool(false);
    matches!(operator, "=" | "!=" | "<>" | "in" | "not in")
        && match value {
            Value::Array(ids) => ids.iter().all(Value::is_i64),
            other => id(other),
        }
}

fn add(paths: &mut Vec<Touched>, path: &str, reads_target: bool) {
    let path = path.split(':').next().unwrap_or("").trim();
    if path.is_empty() {
        return;
    }
    match paths.iter_mut().find(|t| t.path == path) {
        Some(seen) => seen.reads_target |= reads_target,
        None => paths.push(Touched {
            path: path.to_owned(),
            reads_target,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn named(t: &Touches) -> Vec<(&str, bool)> {
        t.paths
            .iter()
            .map(|p| (p.path.as_str(), p.reads_target))
            .collect()
    }

    #[test]
    fn collects_paths_from_every_place_a_field_can_be_named() {
        let args = json!({
            "model": "sale.order",
            "domain": ["|", ["partner_id.country_id.code", "=", "BE"], ["name", "ilike", "S0"]],
            "fields": ["name", "user_id.login"],
            "order": "partner_id.name desc, id",
            "group_by": ["company_id.currency_id:month"],
            "aggregates": ["amount_total:sum"],
        });
        let t = touches(args.as_object().unwrap());
        assert_eq!(t.model.as_deref(), Some("sale.order"));
        assert_eq!(
            named(&t),
            [
                ("partner_id.country_id.code", true),
                ("name", true),
                ("user_id.login", true),
                ("company_id.currency_id", true),
                ("amount_total", true),
                ("partner_id.name", true),
                ("id", true),
            ]
        );
    }

    #[test]
    fn only_comparisons_with_ids_leave_the_related_model_unread() {
        let args = json!({"domain": [["user_id", "=", 2], ["company_id", "in", [1, 2]],
            ["team_id", "!=", false], ["partner_id", "ilike", "Azure"], ["tag_ids", "in", ["x"]]]});
        assert_eq!(
            named(&touches(args.as_object().unwrap())),
            [
                ("user_id", false),
                ("company_id", false),
                ("team_id", false),
                ("partner_id", true),
                ("tag_ids", true),
            ]
        );
        // Read anywhere else, the same field reads its model.
        let args = json!({"domain": [["user_id", "=", 2]], "fields": ["user_id"]});
        assert_eq!(
            named(&touches(args.as_object().unwrap())),
            [("user_id", true)]
        );
    }

    #[test]
    fn any_sub_domains_and_method_arguments_are_followed() {
        let args = json!({
            "model": "sale.order",
            "domain": [["partner_id", "any", [["email", "ilike", "a"],
                                              ["country_id", "not any", [["code", "=", "BE"]]]]]],
            "arguments": {"domain": [["user_id.login", "=", "x"]], "fields": ["company_id.name"]},
        });
        let t = touches(args.as_object().unwrap());
        let paths: Vec<&str> = named(&t).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "partner_id.id",
                "partner_id.email",
                "partner_id.country_id.id",
                "partner_id.country_id.code",
                "user_id.login",
                "company_id.name"
            ]
        );
    }
}
