//! Field limits: fields a connection never sees nor writes. A field path is refused when any of
//! its hops names a hidden field of the model that hop is on; the models along a path come from
//! Odoo's field metadata (`calls::fields`), the decision on each hop is here.

use serde_json::{Map, Value};

use super::Denial;
use crate::values::Policy;

/// Whether `field` of `model` is hidden.
pub fn hidden(policy: &Policy, model: &str, field: &str) -> bool {
    policy.field_limits.hides(model, field)
}

/// The refusal for the hidden `model.field`, reached by `path` from the call's model.
pub fn refuse(model: &str, field: &str, path: &str) -> Denial {
    Denial::HiddenField {
        field: format!("{model}.{field}"),
        path: (path != field).then(|| path.to_owned()),
    }
}

/// The fields a call writes, as paths from its model: each key of `values` (and of each
/// `records[].values`, and of the wizard's `values` is left to the wizard's own model), and,
/// inside x2many commands that create or update related records (`[0, 0, {…}]`,
/// `[1, id, {…}]`), the related records' keys under the relation (`order_line.price_unit`).
pub fn written(arguments: &Map<String, Value>) -> Vec<String> {
    let mut paths = Vec::new();
    if let Some(values) = arguments.get("values").and_then(Value::as_object) {
        collect(values, "", &mut paths);
    }
    for record in arguments
        .get("records")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        // create_records takes plain value maps; update_records takes {id, values}.
        let values = record.get("values").unwrap_or(record);
        if let Some(values) = values.as_object() {
            collect(values, "", &mut paths);
        }
    }
    paths
}

fn collect(values: &Map<String, Value>, prefix: &str, paths: &mut Vec<String>) {
    for (field, value) in values {
        let path = format!("{prefix}{field}");
        for command in value.as_array().into_iter().flatten() {
            if let Some([code, _, Value::Object(nested)]) = command.as_array().map(Vec::as_slice)
                && matches!(code.as_i64(), Some(0 | 1))
            {
                collect(nested, &format!("{path}."), paths);
            }
        }
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    // serde_json's maps keep their keys sorted, hence the order.
    fn written_fields_include_those_of_related_records_created_or_updated_inline() {
        let args = json!({"values": {"name": "S1", "order_line": [
            [0, 0, {"product_id": 1, "price_unit": 2.0}],
            [1, 7, {"discount": 5}],
            [4, 9, 0],
            [2, 8, {"ignored": 1}]
        ]}});
        assert_eq!(
            written(args.as_object().unwrap()),
            [
                "name",
                "order_line.price_unit",
                "order_line.product_id",
                "order_line.discount",
                "order_line"
            ]
        );
        let bulk = json!({"records": [{"id": 1, "values": {"vat": "x"}}, {"email": "y"}]});
        assert_eq!(written(bulk.as_object().unwrap()), ["vat", "email"]);
    }

    #[test]
    fn a_refusal_names_the_field_and_the_path_that_reached_it() {
        assert_eq!(
            refuse("res.partner", "vat", "partner_id.vat").to_string(),
            "Refused by Field limits: res.partner.vat (reached through partner_id.vat) is \
             hidden from this connection."
        );
        assert_eq!(
            refuse("res.partner", "vat", "vat").to_string(),
            "Refused by Field limits: res.partner.vat is hidden from this connection."
        );
    }
}
