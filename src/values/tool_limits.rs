//! Per-tool limits: for some tools, how many calls per minute and per day a connection may make,
//! one `tool: N/minute, M/day` line each (`delete_record: 5/minute, 50/day`), counted besides
//! the connection's own rate limits and write budget.

use std::fmt;

use super::Limit;
use super::per_model::{Keyed, per_model_text};
use crate::catalog::{Tool, validate};

/// A count per minute and per day; either may be absent (no limit of that window).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budget {
    pub per_minute: Option<Limit>,
    pub per_day: Option<Limit>,
}

impl Budget {
    pub fn is_empty(self) -> bool {
        self.per_minute.is_none() && self.per_day.is_none()
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [(self.per_minute, "minute"), (self.per_day, "day")]
            .into_iter()
            .filter_map(|(n, per)| n.map(|n| format!("{}/{per}", n.get())))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// Reads `5/minute, 50/day` (also `5 per minute`, `5/min`, `50/d`): at least one window.
fn parse_budget(text: &str, shown: &str) -> Result<Budget, String> {
    let mut budget = Budget::default();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || {
            format!(
                "'{}' is not a limit: write a count per minute or per day, e.g. '5/minute, 50/day', in '{shown}'.",
                validate::truncate(part, 30)
            )
        };
        let (count, per) = part
            .split_once('/')
            .or_else(|| part.split_once(" per "))
            .ok_or_else(bad)?;
        let count = count
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(Limit::new)
            .ok_or_else(|| {
                format!(
                    "'{}' is not a whole number from 1 to {} in '{shown}'.",
                    validate::truncate(count.trim(), 20),
                    Limit::MAX
                )
            })?;
        let slot = match per.trim().to_lowercase().as_str() {
            "minute" | "min" | "m" => &mut budget.per_minute,
            "day" | "d" => &mut budget.per_day,
            _ => return Err(bad()),
        };
        if slot.replace(count).is_some() {
            return Err(format!("'{shown}' gives the same window twice."));
        }
    }
    if budget.is_empty() {
        return Err(format!(
            "'{shown}' gives no limit; write e.g. 'delete_record: 5/minute, 50/day'."
        ));
    }
    Ok(budget)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolLimits(Keyed<Tool, Budget>);

impl ToolLimits {
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Self, Vec<String>> {
        Keyed::parse(lines, "delete_record: 5/minute, 50/day", parse_budget).map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The limits of `tool`, when it has some.
    pub fn of(&self, tool: Tool) -> Option<Budget> {
        self.0.of(tool.spec().name).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Tool, Budget)> + '_ {
        self.0.keyed().map(|(tool, budget)| (*tool, *budget))
    }
}

per_model_text!(ToolLimits);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_back_in_one_form() {
        let limits: ToolLimits =
            "delete_record: 5/minute, 50/day\nexecute_method: 100 per day\nrun_action: 3/min"
                .parse()
                .unwrap();
        assert_eq!(
            limits.to_string(),
            "delete_record: 5/minute, 50/day\nexecute_method: 100/day\nrun_action: 3/minute"
        );
        let delete = limits.of(Tool::DeleteRecord).unwrap();
        assert_eq!(delete.per_minute.map(Limit::get), Some(5));
        assert_eq!(delete.per_day.map(Limit::get), Some(50));
        assert!(limits.of(Tool::CreateRecord).is_none());
        assert_eq!(limits.to_string().parse::<ToolLimits>().unwrap(), limits);
    }

    #[test]
    fn each_bad_line_is_named() {
        let errors = ToolLimits::parse([
            "drop_table: 1/minute",
            "delete_record 5/minute",
            "delete_record: 0/minute",
            "create_record: 5/hour",
            "update_record: 5/minute, 6/minute",
            "run_action:",
            "get_record: 1/day",
            "get_record: 2/day",
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 7, "{errors:?}");
        assert!(errors[0].contains("not a tool"), "{}", errors[0]);
        assert!(errors[1].contains("is not a rule"), "{}", errors[1]);
        assert!(errors[2].contains("whole number"), "{}", errors[2]);
        assert!(errors[3].contains("is not a limit"), "{}", errors[3]);
        assert!(errors[4].contains("same window twice"), "{}", errors[4]);
        assert!(errors[5].contains("gives no limit"), "{}", errors[5]);
        assert!(errors[6].contains("listed twice"), "{}", errors[6]);
    }
}
