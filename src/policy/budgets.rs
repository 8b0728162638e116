//! Which counted limits a tool call spends besides the connection's request limits: the write
//! budget, for a tool that changes data (a dry run changes nothing, so it does not count), and
//! the tool's own limits (dry runs included: they bound how often the tool is called at all).
//! Pure; `calls::budget` takes the slots.

use serde_json::{Map, Value};

use super::dry_run;
use super::rate_limit::{Bucket, Rule, Window};
use crate::catalog::ToolSpec;
use crate::values::{Limit, Policy};

/// The rules the call counts against, in the order they are taken: the write budget, then
/// the tool's limits; in each the minute before the day. Empty for most calls (no store trip).
pub fn rules(policy: &Policy, spec: &ToolSpec, arguments: &Map<String, Value>) -> Vec<Rule> {
    let writes = (!spec.read_only && !dry_run(arguments)).then_some((
        Bucket::Writes,
        policy.write_per_minute,
        policy.write_per_day,
    ));
    let tool = policy
        .tool_limits
        .of(spec.tool)
        .map(|b| (Bucket::Tool(spec.tool), b.per_minute, b.per_day));
    writes
        .into_iter()
        .chain(tool)
        .flat_map(|(bucket, per_minute, per_day)| {
            let rule =
                move |window, limit: Option<Limit>| limit.map(|n| Rule::new(bucket, window, n));
            [rule(Window::Minute, per_minute), rule(Window::Day, per_day)]
        })
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::catalog::{self, Tool};

    fn policy(write_per_minute: i64, tool_limits: &str) -> Policy {
        Policy {
            write_per_minute: Limit::new(write_per_minute),
            write_per_day: Limit::new(100),
            tool_limits: tool_limits.parse().unwrap(),
            ..Policy::default()
        }
    }

    fn rules_of(policy: &Policy, tool: &str, arguments: Value) -> Vec<(Bucket, Window, i64)> {
        let Value::Object(arguments) = arguments else {
            panic!("arguments are an object")
        };
        rules(policy, catalog::find(tool).unwrap(), &arguments)
            .into_iter()
            .map(|r| (r.bucket, r.window, r.limit))
            .collect()
    }

    #[test]
    fn every_tool_that_changes_data_spends_the_write_budget_and_no_read_does() {
        let p = policy(5, "");
        for spec in catalog::CATALOG {
            let spent = !rules(&p, spec, &Map::new()).is_empty();
            assert_eq!(spent, !spec.read_only, "{}", spec.name);
        }
        assert_eq!(
            rules_of(&p, "delete_record", json!({"ids": [1]})),
            [
                (Bucket::Writes, Window::Minute, 5),
                (Bucket::Writes, Window::Day, 100)
            ]
        );
    }

    #[test]
    fn a_dry_run_spends_the_tools_limit_but_not_the_write_budget() {
        let p = policy(5, "delete_record: 2/day");
        let dry = rules_of(&p, "delete_record", json!({"dry_run": true}));
        assert_eq!(dry, [(Bucket::Tool(Tool::DeleteRecord), Window::Day, 2)]);
        let real = rules_of(&p, "delete_record", json!({"dry_run": false}));
        assert_eq!(real.len(), 3, "{real:?}");
        assert_eq!(real[2], (Bucket::Tool(Tool::DeleteRecord), Window::Day, 2));
    }

    #[test]
    fn a_tool_limit_counts_only_its_tool_reads_included() {
        let p = Policy {
            tool_limits: "search_records: 3/minute, 30/day".parse().unwrap(),
            ..Policy::default()
        };
        let search = Bucket::Tool(Tool::SearchRecords);
        assert_eq!(
            rules_of(&p, "search_records", json!({})),
            [(search, Window::Minute, 3), (search, Window::Day, 30)]
        );
        assert!(rules_of(&p, "get_record", json!({})).is_empty());
        assert!(
            rules_of(&p, "create_record", json!({})).is_empty(),
            "no write budget set"
        );
    }
}
