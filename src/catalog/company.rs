//! The company a tool call acts in: every tool that calls Odoo takes an optional `company_id` or
//! `company_ids`, which the tools pass on as Odoo's `allowed_company_ids` context (the first is
//! the current company: where new records go, whose prices and settings apply).

use std::sync::Arc;

use rmcp::model::JsonObject;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::parse::{BadArguments, parse};
use super::schema;

/// More than any real database has; a longer list is a mistake, not a request.
const MAX_COMPANIES: usize = 50;

/// The two arguments as a client sends them (described once, in every tool's schema).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CompanyArgs {
    // Said once per tool in every tools/list, so short: the server's instructions say more.
    /// Odoo company to act in (id from get_current_context). Default: see instructions.
    company_id: Option<i64>,
    /// Several companies at once, the first the current one (not with company_id).
    company_ids: Option<Vec<i64>>,
}

const KEYS: [&str; 2] = ["company_id", "company_ids"];

/// Companies named by id: at least one, each once, positive; the first is the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyIds(Vec<i64>);

impl CompanyIds {
    pub fn new(ids: Vec<i64>) -> Result<Self, String> {
        if ids.is_empty() {
            return Err("company_ids must name at least one company".into());
        }
        if ids.len() > MAX_COMPANIES {
            return Err(format!("at most {MAX_COMPANIES} companies per call"));
        }
        if let Some(bad) = ids.iter().find(|id| **id <= 0) {
            return Err(format!(
                "{bad} is not a company id (ids are positive integers)"
            ));
        }
        if let Some((i, dup)) = ids
            .iter()
            .enumerate()
            .find(|(i, id)| ids[..*i].contains(id))
        {
            return Err(format!(
                "company {dup} is named twice (at positions {} and {})",
                ids.iter().position(|id| id == dup).unwrap_or(0) + 1,
                i + 1
            ));
        }
        Ok(Self(ids))
    }

    pub fn ids(&self) -> &[i64] {
        &self.0
    }

    /// The current company: the first.
    pub fn current(&self) -> i64 {
        self.0[0]
    }
}

/// Takes `company_id` / `company_ids` out of a call's arguments (so the tool's own type never
/// sees them) and parses them.
pub(super) fn take(arguments: &mut Map<String, Value>) -> Result<Option<CompanyIds>, BadArguments> {
    if !KEYS.iter().any(|k| arguments.contains_key(*k)) {
        return Ok(None);
    }
    let given: Map<String, Value> = KEYS
        .iter()
        .filter_map(|k| arguments.remove(*k).map(|v| ((*k).to_owned(), v)))
        .collect();
    let args: CompanyArgs = parse(given)?;
    let ids = match (args.company_id, args.company_ids) {
        (Some(_), Some(_)) => {
            return Err(BadArguments(
                "give company_id or company_ids, not both".into(),
            ));
        }
        (Some(id), None) => vec![id],
        (None, Some(ids)) => ids,
        (None, None) => return Ok(None),
    };
    CompanyIds::new(ids)
        .map(Some)
        .map_err(|e| BadArguments(format!("company_ids: {e}")))
}

/// `schema` with the two company properties added.
pub(super) fn with_company(schema: Arc<JsonObject>) -> Arc<JsonObject> {
    schema::with_properties_of::<CompanyArgs>(schema)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn take_from(value: Value) -> (Result<Option<CompanyIds>, BadArguments>, Map<String, Value>) {
        let Value::Object(mut map) = value else {
            panic!()
        };
        let taken = take(&mut map);
        (taken, map)
    }

    #[test]
    fn the_company_arguments_are_taken_out_and_checked() {
        let (taken, rest) = take_from(json!({"model": "res.partner", "company_id": 3}));
        assert_eq!(taken.unwrap(), Some(CompanyIds(vec![3])));
        assert_eq!(Value::Object(rest), json!({"model": "res.partner"}));
        let (taken, _) = take_from(json!({"company_ids": [2, 1]}));
        assert_eq!(taken.unwrap().unwrap().current(), 2);
        let (taken, _) = take_from(json!({"model": "x"}));
        assert_eq!(taken.unwrap(), None);
        let (taken, _) = take_from(json!({"company_id": null}));
        assert_eq!(taken.unwrap(), None);
        for (bad, says) in [
            (json!({"company_id": 1, "company_ids": [1]}), "not both"),
            (
                json!({"company_id": "1"}),
                "company_id: invalid type: string",
            ),
            (json!({"company_ids": []}), "at least one company"),
            (json!({"company_ids": [0]}), "0 is not a company id"),
            (
                json!({"company_ids": [1, 2, 1]}),
                "named twice (at positions 1 and 3)",
            ),
        ] {
            let (taken, _) = take_from(bad.clone());
            let message = taken.unwrap_err().0;
            assert!(message.contains(says), "{bad}: {message}");
        }
    }

    #[test]
    fn the_schema_gains_both_properties_and_stays_portable() {
        let schema = with_company(schema::of::<crate::catalog::args::CountRecords>());
        let properties = schema["properties"].as_object().unwrap();
        assert_eq!(properties["company_id"]["type"], "integer");
        assert_eq!(properties["company_ids"]["type"], "array");
        assert!(properties.contains_key("model"));
        assert_eq!(schema["additionalProperties"], false);
        let found = schema::lint::findings(&Value::Object(schema.as_ref().clone()));
        assert!(found.is_empty(), "{found:?}");
    }
}
