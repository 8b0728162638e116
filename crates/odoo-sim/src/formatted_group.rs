//! Odoo 19's `formatted_read_group(domain, groupby, aggregates, having, offset, limit, order)`.

use serde_json::Value;

use super::domain;
use super::fault::Fault;
use super::group::{GroupQuery, Having};
use super::orm::Env;
use super::schema::Model;
use super::store::Db;

pub(crate) struct FormattedQuery<'a> {
    pub domain: &'a Value,
    pub groupby: &'a [String],
    pub aggregates: &'a [String],
    pub having: &'a Value,
    pub offset: usize,
    pub limit: Option<usize>,
    pub order: Option<&'a str>,
}

impl Db {
    /// Groups like a non-lazy `read_group`, shaped as 19 formats them: `{<groupby>…, "__extra_domain",
    /// "<field>:<aggregate>"…, "__count"?}`, filtered by `having`.
    pub(crate) fn formatted_read_group(
        &self,
        env: &Env,
        model: &Model,
        query: FormattedQuery<'_>,
    ) -> Result<Value, Fault> {
        let having = match query.having {
            Value::Null | Value::Bool(false) => None,
            other => Some(domain::parse(other, true).map_err(Fault::value_error)?),
        };
        let group = GroupQuery {
            domain: query.domain,
            fields: query.aggregates,
            groupby: query.groupby,
            offset: query.offset,
            limit: query.limit,
            orderby: query.order,
            lazy: false,
            formatted: Some(Having {
                domain: having.as_ref(),
                count: query.aggregates.iter().any(|a| a == "__count"),
            }),
        };
        self.read_group(env, model, group)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::super::OdooVersion;
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn groups_carry_their_extra_domain_spec_keyed_aggregates_and_pass_having() {
        let db = Db::new(OdooVersion::V19);
        let model = db.model("sale.order").unwrap().clone();
        let env = Env {
            uid: 2,
            context: Map::new(),
        };
        let (groupby, aggregates) = (
            strings(&["state"]),
            strings(&["amount_total:sum", "__count"]),
        );
        let query = FormattedQuery {
            domain: &json!([]),
            groupby: &groupby,
            aggregates: &aggregates,
            having: &json!([["__count", ">", 1]]),
            offset: 0,
            limit: None,
            order: Some("state"),
        };
        let groups = db.formatted_read_group(&env, &model, query).unwrap();
        let groups = groups.as_array().unwrap();
        assert!(!groups.is_empty());
        for group in groups {
            let mut keys: Vec<&String> = group.as_object().unwrap().keys().collect();
            keys.sort();
            assert_eq!(
                keys,
                ["__count", "__extra_domain", "amount_total:sum", "state"]
            );
            assert!(group["__count"].as_i64().unwrap() > 1);
            assert_eq!(
                group["__extra_domain"],
                json!([["state", "=", group["state"]]])
            );
        }
    }
}
