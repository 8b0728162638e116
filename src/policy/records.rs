//! Record limits: a connection confined, per model, to the records matching a domain. Searches,
//! counts and totals run with that domain ANDed in front of the caller's; a call naming records
//! by id is admitted only when every one of them matches it.

use serde_json::{Value, json};

use super::Denial;
use crate::values::{Bindings, DomainTemplate, Policy};

/// The domain a search of `model` runs with: the limit's first, so that no operator of the
/// caller's (already checked to be well formed) can reach into it; Odoo ANDs the two.
pub fn confine(limit: &DomainTemplate, domain: Vec<Value>, bindings: &Bindings) -> Vec<Value> {
    let mut confined = limit.bind(bindings);
    confined.extend(domain);
    confined
}

/// The domain that finds which of `ids` lie inside the limit.
pub fn inside(limit: &DomainTemplate, ids: &[i64], bindings: &Bindings) -> Vec<Value> {
    confine(limit, vec![json!(["id", "in", ids])], bindings)
}

/// The ids a call names on its `model`: `id`, `ids`, and each of `records[].id`.
pub fn named_ids(arguments: &serde_json::Map<String, Value>) -> Vec<i64> {
    let mut ids: Vec<i64> = Vec::new();
    let mut add = |v: &Value| {
        if let Some(id) = v.as_i64()
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    };
    if let Some(id) = arguments.get("id") {
        add(id);
    }
    for id in arguments
        .get("ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        add(id);
    }
    for record in arguments
        .get("records")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(id) = record.get("id") {
            add(id);
        }
    }
    ids
}

/// The refusal for `ids` of `model` found outside the limit (`found` are those inside).
pub fn outside(model: &str, ids: &[i64], found: &[i64]) -> Result<(), Denial> {
    let outside: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !found.contains(id))
        .collect();
    if outside.is_empty() {
        return Ok(());
    }
    Err(Denial::OutsideRecordLimits {
        model: model.to_owned(),
        ids: outside,
    })
}

/// A method of a confined model called without ids acts on the model as a whole (a search by
/// name, a default, a report over all records): it could reach records outside the limit.
pub fn model_level_method(policy: &Policy, model: &str, method: &str) -> Result<(), Denial> {
    match policy.record_limits.of(model) {
        Some(_) => Err(Denial::ConfinedModelMethod {
            model: model.to_owned(),
            method: method.to_owned(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bindings() -> Bindings {
        Bindings {
            uid: 6,
            company_ids: vec![1],
        }
    }

    #[test]
    fn the_limit_comes_first_and_odoo_ands_it_with_the_callers_domain() {
        let limit =
            DomainTemplate::parse("['|', ('user_id', '=', uid), ('user_id', '=', False)]").unwrap();
        let caller = vec![json!("|"), json!(["a", "=", 1]), json!(["b", "=", 2])];
        assert_eq!(
            confine(&limit, caller, &bindings()),
            [
                json!("|"),
                json!(["user_id", "=", 6]),
                json!(["user_id", "=", false]),
                json!("|"),
                json!(["a", "=", 1]),
                json!(["b", "=", 2]),
            ]
        );
        assert_eq!(
            inside(&limit, &[3, 4], &bindings()).last(),
            Some(&json!(["id", "in", [3, 4]]))
        );
    }

    #[test]
    fn every_way_a_call_names_ids_is_found_and_the_outsiders_are_named() {
        let args = json!({"id": 1, "ids": [2, 1], "records": [{"id": 3, "values": {}}]});
        assert_eq!(named_ids(args.as_object().unwrap()), [1, 2, 3]);
        assert_eq!(outside("crm.lead", &[1, 2, 3], &[1, 2, 3]), Ok(()));
        assert_eq!(
            outside("crm.lead", &[1, 2, 3], &[2])
                .unwrap_err()
                .to_string(),
            "Refused by Record limits: crm.lead records 1, 3 are outside the records this \
             connection may work on."
        );
        let policy = Policy {
            record_limits: "crm.lead: [('user_id', '=', uid)]".parse().unwrap(),
            ..Policy::default()
        };
        assert!(model_level_method(&policy, "crm.lead", "name_search").is_err());
        assert!(model_level_method(&policy, "res.partner", "name_search").is_ok());
    }
}
