//! Allowed Models: which models a tool call touches — the `model` argument, and the field paths
//! in domains, field lists, ordering and grouping, whose dotted hops reach other models.
//! Extraction is pure; resolving hops to models needs Odoo's field metadata (`mcp::fields`).

use serde_json::{Map, Value};

/// What a call's raw arguments name, before any model is resolved.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Touches {
    pub model: Option<String>,
    /// Field paths with at least one dot (a hop to a related model).
    pub dotted_paths: Vec<String>,
}

pub fn touches(arguments: &Map<String, Value>) -> Touches {
    let model = arguments
        .get("model")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut paths: Vec<String> = Vec::new();
    collect(arguments, &mut paths);
    // execute_method passes a method's own named arguments (a domain, fields …) one level down.
    if let Some(nested) = arguments.get("arguments").and_then(Value::as_object) {
        collect(nested, &mut paths);
    }
    Touches {
        model,
        dotted_paths: paths,
    }
}

fn collect(arguments: &Map<String, Value>, paths: &mut Vec<String>) {
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
            add(paths, field);
        }
    }
    if let Some(order) = arguments.get("order").and_then(Value::as_str) {
        for part in order.split(',') {
            if let Some(field) = part.split_whitespace().next() {
                add(paths, field);
            }
        }
    }
}

/// Leaf fields of a domain, prefixed by the relations they sit under. `[f, "any", sub]` (and
/// `not any`) reaches `f`'s related model and filters on the sub-domain there: its paths count
/// as `f.<path>`, and `f.id` stands for the hop itself.
fn collect_domain(domain: &[Value], prefix: &str, paths: &mut Vec<String>) {
    for leaf in domain.iter().filter_map(Value::as_array) {
        let Some(field) = leaf.first().and_then(Value::as_str) else {
            continue;
        };
        let path = format!("{prefix}{field}");
        let operator = leaf.get(1).and_then(Value::as_str).unwrap_or("");
        match leaf.get(2).and_then(Value::as_array) {
            Some(sub)
                if operator.eq_ignore_ascii_case("any")
                    || operator.eq_ignore_ascii_case("not any") =>
            {
                let nested = format!("{path}.");
                add(paths, &format!("{nested}id"));
                collect_domain(sub, &nested, paths);
            }
            _ => add(paths, &path),
        }
    }
}

fn add(paths: &mut Vec<String>, path: &str) {
    let path = path.split(':').next().unwrap_or("").trim();
    if path.contains('.') && !paths.iter().any(|p| p == path) {
        paths.push(path.to_owned());
    }
}

/// Whether `model` is admitted by an Allowed Models list (empty = no restriction).
pub fn allowed(model: &str, allowed_models: &[&str]) -> bool {
    allowed_models.is_empty() || allowed_models.contains(&model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_dotted_paths_from_every_place_a_field_can_be_named() {
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
            t.dotted_paths,
            [
                "partner_id.country_id.code",
                "user_id.login",
                "company_id.currency_id",
                "partner_id.name"
            ]
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
        assert_eq!(
            t.dotted_paths,
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

    #[test]
    fn an_empty_list_allows_every_model() {
        assert!(allowed("res.partner", &[]));
        assert!(allowed("res.partner", &["res.partner", "sale.order"]));
        assert!(!allowed("res.users", &["res.partner"]));
    }
}
