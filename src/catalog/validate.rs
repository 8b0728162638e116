//! Argument checks shared by the tools: pure functions that either return the cleaned value or
//! say precisely what is wrong, before anything is sent to Odoo.

use serde_json::Value;

pub const MAX_IDS: usize = 1000;

/// Technical model names: lowercase words of letters, digits and `_`, joined by dots.
pub fn model(name: &str) -> Result<&str, String> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
    if ok {
        Ok(name)
    } else {
        Err(format!(
            "'{}' is not an Odoo model name (expected something like 'res.partner')",
            shorten(name)
        ))
    }
}

/// A field name, or a dotted path of field names (`partner_id.country_id.code`).
pub fn field_path(path: &str) -> Result<&str, String> {
    let ok = !path.is_empty()
        && path.len() <= 256
        && path.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if ok {
        Ok(path)
    } else {
        Err(format!("'{}' is not a field name", shorten(path)))
    }
}

pub fn fields(list: &[String]) -> Result<(), String> {
    list.iter().try_for_each(|f| field_path(f).map(|_| ()))
}

/// `field` or `field:qualifier`, as in read_group's groupby (`date_order:month`) and
/// aggregates (`amount_total:sum`).
pub fn qualified_field<'a>(spec: &'a str, qualifiers: &[&str]) -> Result<&'a str, String> {
    let (field, qualifier) = spec.split_once(':').unwrap_or((spec, ""));
    field_path(field)?;
    if qualifier.is_empty() || qualifiers.contains(&qualifier) {
        Ok(field)
    } else {
        Err(format!(
            "'{}' has an unknown qualifier ':{qualifier}' (use one of: {})",
            shorten(spec),
            qualifiers.join(", ")
        ))
    }
}

pub fn ids(ids: &[i64]) -> Result<(), String> {
    if ids.is_empty() {
        return Err("ids must name at least one record".into());
    }
    if ids.len() > MAX_IDS {
        return Err(format!("at most {MAX_IDS} ids per call"));
    }
    match ids.iter().find(|id| **id <= 0) {
        Some(bad) => Err(format!(
            "{bad} is not a record id (ids are positive integers)"
        )),
        None => Ok(()),
    }
}

/// Checks the shape of an Odoo domain (prefix operators and `[field, operator, value]` leaves)
/// and returns the field paths it names, for the models check.
pub fn domain(domain: &[Value]) -> Result<Vec<&str>, String> {
    const OPERATORS: &[&str] = &[
        "=",
        "!=",
        "<>",
        ">",
        ">=",
        "<",
        "<=",
        "=?",
        "like",
        "not like",
        "ilike",
        "not ilike",
        "=like",
        "=ilike",
        "in",
        "not in",
        "child_of",
        "parent_of",
        "any",
        "not any",
    ];
    let mut paths = Vec::new();
    let mut needed: usize = 1;
    for (i, term) in domain.iter().enumerate() {
        if needed == 0 {
            // Odoo joins leftover terms with an implicit AND.
            needed = 1;
        }
        match term {
            Value::String(op) if op == "&" || op == "|" => needed += 1,
            Value::String(op) if op == "!" => {}
            Value::Array(leaf) if leaf.len() == 3 => {
                let field = leaf[0]
                    .as_str()
                    .ok_or_else(|| format!("domain term {i}: the field must be a string"))?;
                let op = leaf[1]
                    .as_str()
                    .ok_or_else(|| format!("domain term {i}: the operator must be a string"))?;
                if !OPERATORS.contains(&op.to_ascii_lowercase().as_str()) {
                    return Err(format!(
                        "domain term {i}: unknown operator '{}'",
                        shorten(op)
                    ));
                }
                paths.push(field_path(field).map_err(|e| format!("domain term {i}: {e}"))?);
                needed -= 1;
            }
            _ => {
                return Err(format!(
                    "domain term {i} must be \"&\", \"|\", \"!\" or [field, operator, value]"
                ));
            }
        }
    }
    if needed > 0 && !domain.is_empty() {
        return Err("the domain ends with an operator that is missing its operands".into());
    }
    Ok(paths)
}

pub fn limit(given: Option<u32>, default: u32, max: u32) -> Result<u32, String> {
    match given {
        None => Ok(default),
        Some(0) => Err("limit must be at least 1".into()),
        Some(n) if n > max => Err(format!("limit cannot exceed {max}")),
        Some(n) => Ok(n),
    }
}

/// `name asc, id desc`: field names with an optional direction.
pub fn order(order: &str) -> Result<&str, String> {
    for part in order.split(',') {
        let mut words = part.split_whitespace();
        let field = words.next().ok_or("order has an empty part")?;
        field_path(field)?;
        if let Some(dir) = words.next()
            && !dir.eq_ignore_ascii_case("asc")
            && !dir.eq_ignore_ascii_case("desc")
        {
            return Err(format!(
                "order direction must be asc or desc, not '{}'",
                shorten(dir)
            ));
        }
        if words.next().is_some() {
            return Err(format!("cannot read the order '{}'", shorten(order)));
        }
    }
    Ok(order)
}

/// Echoing user input back is useful, but never at length.
/// A file name: not blank, no control characters, at most 255 characters.
pub fn file_name(name: &str) -> Result<&str, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("name is empty".into());
    }
    if name.chars().count() > 255 {
        return Err("name: at most 255 characters".into());
    }
    if name.chars().any(char::is_control) {
        return Err(format!(
            "name: '{}' contains control characters",
            shorten(name)
        ));
    }
    Ok(name)
}

/// A MIME type, `type/subtype` (parameters such as `; charset=utf-8` allowed).
pub fn mimetype(value: &str) -> Result<&str, String> {
    let essence = value.split(';').next().unwrap_or("").trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) && value.len() <= 255 => Ok(value.trim()),
        _ => Err(format!(
            "mimetype: '{}' is not a MIME type (expected something like 'application/pdf')",
            shorten(value)
        )),
    }
}

pub fn shorten(s: &str) -> String {
    truncate(s, 60)
}

/// At most `max` characters, with an ellipsis when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn model_names_are_dotted_lowercase_words() {
        assert!(model("res.partner").is_ok());
        assert!(model("x_custom_model").is_ok());
        for bad in ["", "Res.Partner", "res..partner", "res.partner;drop", ".x"] {
            assert!(model(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_names_and_mime_types_are_checked() {
        assert_eq!(file_name(" offer.pdf "), Ok("offer.pdf"));
        assert!(file_name("  ").is_err());
        assert!(file_name("a\u{0}b").is_err());
        assert!(file_name(&"x".repeat(256)).is_err());
        assert!(mimetype("application/pdf").is_ok());
        assert!(mimetype("text/plain; charset=utf-8").is_ok());
        for bad in ["pdf", "text/", "/plain", "text/pl ain", "a/b/c"] {
            assert!(mimetype(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domains_return_their_field_paths() {
        let d = json!([
            "|",
            ["name", "ilike", "az"],
            "!",
            ["partner_id.country_id.code", "=", "BE"],
            ["id", ">", 1]
        ]);
        let paths = domain(d.as_array().unwrap()).unwrap();
        assert_eq!(paths, ["name", "partner_id.country_id.code", "id"]);
    }

    #[test]
    fn malformed_domains_are_named_precisely() {
        let cases = [
            (json!([["name", "=="]]), "term 0 must be"),
            (json!([["name", "resembles", "x"]]), "unknown operator"),
            (json!(["|", ["name", "=", "x"]]), "missing its operands"),
            (json!([[1, "=", "x"]]), "field must be a string"),
            (json!(["or"]), "term 0 must be"),
        ];
        for (d, expected) in cases {
            let err = domain(d.as_array().unwrap()).unwrap_err();
            assert!(err.contains(expected), "{d} → {err}");
        }
        assert!(domain(&[]).unwrap().is_empty());
    }

    #[test]
    fn limits_orders_and_ids_have_bounds() {
        assert_eq!(limit(None, 20, 200), Ok(20));
        assert!(limit(Some(201), 20, 200).is_err());
        assert!(limit(Some(0), 20, 200).is_err());
        assert!(order("name asc, id desc").is_ok());
        assert!(order("name; drop").is_err());
        assert!(order("name sideways").is_err());
        assert!(ids(&[]).is_err());
        assert!(ids(&[3, -1]).is_err());
        assert!(qualified_field("amount_total:sum", &["sum"]).is_ok());
        assert!(qualified_field("amount_total:explode", &["sum"]).is_err());
    }
}
