//! Field values checked against Odoo's field metadata before a write. Real Odoo silently clears
//! a many2one given text and ignores a computed field it cannot store; the gateway refuses such
//! values with the reason instead, so nothing is lost without anyone knowing.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::catalog::validate::shorten;
use crate::odoo::fields::FieldMeta;

/// The first value of `values` that `model`'s fields refuse, as a message naming the field.
pub(super) fn check(
    model: &str,
    fields: &HashMap<String, FieldMeta>,
    values: &Map<String, Value>,
) -> Result<(), String> {
    for (name, value) in values {
        let Some(meta) = fields.get(name) else {
            return Err(format!(
                "{model} has no field '{}' (describe_model lists its fields)",
                shorten(name)
            ));
        };
        if meta.readonly && !meta.stored {
            return Err(format!(
                "'{name}' is computed by Odoo and cannot be written (Odoo would ignore the value)"
            ));
        }
        check_value(meta, value).map_err(|expected| {
            format!(
                "'{name}' ({}) needs {expected}, not {}",
                describe(meta),
                shorten(&value.to_string())
            )
        })?;
    }
    Ok(())
}

/// Required fields that neither `values` nor Odoo's defaults fill, sorted. Read-only fields are
/// left out: Odoo computes those itself.
pub(super) fn missing_required(
    fields: &HashMap<String, FieldMeta>,
    values: &Map<String, Value>,
    defaults: &Map<String, Value>,
) -> Vec<String> {
    let mut missing: Vec<String> = required_unset(fields, values)
        .into_iter()
        .filter(|name| !defaults.contains_key(name))
        .collect();
    missing.sort();
    missing
}

/// Required, writable fields `values` does not set: the ones to ask Odoo's defaults for.
pub(super) fn required_unset(
    fields: &HashMap<String, FieldMeta>,
    values: &Map<String, Value>,
) -> Vec<String> {
    fields
        .iter()
        .filter(|(name, meta)| meta.required && !meta.readonly && !values.contains_key(*name))
        .map(|(name, _)| name.clone())
        .collect()
}

fn describe(meta: &FieldMeta) -> String {
    match &meta.relation {
        Some(relation) => format!("{} to {relation}", meta.kind),
        None => meta.kind.clone(),
    }
}

/// `Err(what the field needs)` when `value` does not fit the field's type. `false` (and `null`)
/// clear any field, as in Odoo.
fn check_value(meta: &FieldMeta, value: &Value) -> Result<(), String> {
    if matches!(value, Value::Bool(false) | Value::Null) {
        return Ok(());
    }
    let fits = match meta.kind.as_str() {
        "many2one" => is_id(value),
        "one2many" | "many2many" => x2many(value),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64(),
        "float" | "monetary" => value.is_number(),
        "char" | "text" | "html" | "binary" | "image" => value.is_string(),
        "selection" => meta.selection.is_empty() || meta.selection.contains(value),
        "date" => value.as_str().is_some_and(is_date),
        "datetime" => value.as_str().is_some_and(is_datetime),
        // json, properties, reference, many2one_reference …: Odoo checks these itself.
        _ => true,
    };
    if fits {
        return Ok(());
    }
    Err(match meta.kind.as_str() {
        "many2one" => "a record id (a positive integer) or false".into(),
        "one2many" | "many2many" => {
            "a list of record ids or of Odoo commands ([0, 0, {values}], [1, id, {values}], \
             [2, id], [3, id], [4, id], [5], [6, 0, [ids]])"
                .into()
        }
        "boolean" => "true or false".into(),
        "integer" => "a whole number".into(),
        "float" | "monetary" => "a number".into(),
        "selection" => format!(
            "one of {}",
            meta.selection
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "date" => "a date as \"YYYY-MM-DD\"".into(),
        "datetime" => "a UTC date and time as \"YYYY-MM-DD HH:MM:SS\"".into(),
        _ => "a text".into(),
    })
}

fn is_id(value: &Value) -> bool {
    value.as_i64().is_some_and(|id| id > 0)
}

/// A list of ids, or a list of Odoo's x2many commands.
fn x2many(value: &Value) -> bool {
    let Some(items) = value.as_array() else {
        return false;
    };
    items.iter().all(is_id) || items.iter().all(command)
}

fn command(item: &Value) -> bool {
    let Some(parts) = item.as_array() else {
        return false;
    };
    let vals = |v: Option<&Value>| v.is_some_and(Value::is_object);
    match (parts.first().and_then(Value::as_i64), parts.len()) {
        // CREATE: the second element is a placeholder (0, or the web client's virtual id).
        (Some(0), 3) => vals(parts.get(2)),
        (Some(1), 3) => is_id(&parts[1]) && vals(parts.get(2)),
        // DELETE, UNLINK, LINK: an id, with an optional ignored third element.
        (Some(2..=4), 2 | 3) => is_id(&parts[1]),
        (Some(5), 1 | 3) => true,
        (Some(6), 3) => parts[2].as_array().is_some_and(|ids| ids.iter().all(is_id)),
        _ => false,
    }
}

fn is_date(text: &str) -> bool {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// Odoo takes `YYYY-MM-DD HH:MM:SS` (UTC), or a date alone for midnight.
fn is_datetime(text: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").is_ok() || is_date(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> HashMap<String, FieldMeta> {
        let field = |kind: &str| FieldMeta {
            kind: kind.into(),
            stored: true,
            ..FieldMeta::default()
        };
        HashMap::from([
            (
                "country_id".into(),
                FieldMeta {
                    relation: Some("res.country".into()),
                    ..field("many2one")
                },
            ),
            ("category_id".into(), field("many2many")),
            ("is_company".into(), field("boolean")),
            ("color".into(), field("integer")),
            (
                "type".into(),
                FieldMeta {
                    selection: vec![json!("contact"), json!("invoice")],
                    ..field("selection")
                },
            ),
            ("date".into(), field("date")),
            (
                "name".into(),
                FieldMeta {
                    required: true,
                    ..field("char")
                },
            ),
            (
                "lang".into(),
                FieldMeta {
                    required: true,
                    ..field("char")
                },
            ),
            (
                "display_name".into(),
                FieldMeta {
                    readonly: true,
                    stored: false,
                    ..field("char")
                },
            ),
        ])
    }

    fn refused(values: Value) -> String {
        check("res.partner", &fields(), values.as_object().unwrap()).unwrap_err()
    }

    #[test]
    fn values_odoo_would_drop_or_clear_are_refused_naming_the_field() {
        let cases = [
            (
                json!({"country_id": "not-an-id"}),
                "'country_id' (many2one to res.country) needs a record id",
            ),
            (json!({"country_id": 2.5}), "'country_id'"),
            (json!({"country_id": [21, "Belgium"]}), "'country_id'"),
            (json!({"category_id": [[6, 0, "x"]]}), "'category_id'"),
            (json!({"category_id": [[9, 1]]}), "'category_id'"),
            (json!({"category_id": "1,2"}), "'category_id'"),
            (json!({"category_id": [1, [4, 2]]}), "'category_id'"),
            (
                json!({"is_company": "yes"}),
                "'is_company' (boolean) needs true or false",
            ),
            (json!({"color": "3"}), "'color'"),
            (
                json!({"type": "private"}),
                "one of \"contact\", \"invoice\"",
            ),
            (json!({"date": "01/12/2026"}), "YYYY-MM-DD"),
            (json!({"display_name": "x"}), "computed by Odoo"),
            (
                json!({"no_such_field": 1}),
                "res.partner has no field 'no_such_field'",
            ),
        ];
        for (values, expected) in cases {
            let error = refused(values.clone());
            assert!(error.contains(expected), "{values} → {error}");
        }
    }

    #[test]
    fn values_of_the_right_type_pass() {
        let values = json!({"country_id": 21, "category_id": [[6, 0, [1, 2]], [4, 3], [0, 0, {"name": "x"}], [5]],
                            "is_company": true, "color": 3, "type": "invoice", "date": "2026-12-01",
                            "name": "Acme"});
        assert_eq!(
            check("res.partner", &fields(), values.as_object().unwrap()),
            Ok(())
        );
        let clearing = json!({"country_id": false, "category_id": [1, 2], "date": null});
        assert_eq!(
            check("res.partner", &fields(), clearing.as_object().unwrap()),
            Ok(())
        );
    }

    #[test]
    fn missing_required_fields_leave_out_defaults_and_given_values() {
        let values = json!({"color": 1});
        let defaults = json!({"lang": "en_US"});
        assert_eq!(
            missing_required(
                &fields(),
                values.as_object().unwrap(),
                defaults.as_object().unwrap()
            ),
            ["name"]
        );
        let mut unset = required_unset(&fields(), values.as_object().unwrap());
        unset.sort();
        assert_eq!(unset, ["lang", "name"]);
    }
}
