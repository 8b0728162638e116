//! The list settings of a connection: Allowed Tools, Tools that need approval and Allowed
//! Models. Stored one entry per line; typed in the console separated by commas, spaces or lines.

use std::fmt;
use std::str::FromStr;

use super::{BadValue, decoded_from_text};
use crate::catalog::{self, Tool, validate};

/// The entries of a stored list, one per line, trimmed, blank lines and `#` comments left out.
pub fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
}

/// Tools of the catalog, each once, in the order given. Empty means no tool is listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolList(Vec<Tool>);

impl ToolList {
    /// Every entry that is not a tool of the catalog gets its own message.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, Vec<String>> {
        parse_each(entries, |name| {
            catalog::find(name).map(|spec| spec.tool).ok_or_else(|| {
                format!(
                    "'{}' is not a tool of the catalog. Known tools: {}.",
                    validate::truncate(name, 40),
                    catalog::CATALOG
                        .iter()
                        .map(|t| t.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        })
        .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, tool: Tool) -> bool {
        self.0.contains(&tool)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|tool| tool.spec().name)
    }
}

/// An Odoo technical model name (`res.partner`): lowercase words of letters, digits and `_`
/// joined by dots.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelName(String);

impl ModelName {
    pub fn parse(name: &str) -> Result<Self, String> {
        validate::model(name).map(|m| Self(m.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Models, each once. Empty means every model is allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelList(Vec<ModelName>);

impl ModelList {
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, Vec<String>> {
        parse_each(entries, |m| {
            ModelName::parse(m).map_err(|e| format!("{e}."))
        })
        .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `model` may be touched: every model when the list is empty.
    pub fn allows(&self, model: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|m| m.as_str() == model)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(ModelName::as_str)
    }
}

/// Odoo companies by id, each once (Allowed companies). Empty means every company of the
/// connection's Odoo user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompanyList(Vec<i64>);

impl CompanyList {
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, Vec<String>> {
        parse_each(entries, |entry| {
            entry
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| {
                    format!(
                        "'{}' is not a company id (a positive whole number, as get_current_context \
                     lists them).",
                        validate::truncate(entry, 40)
                    )
                })
        })
        .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ids(&self) -> &[i64] {
        &self.0
    }

    /// Whether the connection may act in `company`: any of the user's when the list is empty.
    pub fn allows(&self, company: i64) -> bool {
        self.0.is_empty() || self.0.contains(&company)
    }

    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.0.iter().map(i64::to_string)
    }
}

/// Parses each entry, keeping the first of repeats; all failures are reported.
fn parse_each<'a, T: PartialEq>(
    entries: impl IntoIterator<Item = &'a str>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, Vec<String>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for entry in entries {
        match parse(entry) {
            Ok(value) if !out.contains(&value) => out.push(value),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

macro_rules! stored_one_per_line {
    ($($ty:ty),+) => {$(
        impl FromStr for $ty {
            type Err = BadValue;

            fn from_str(s: &str) -> Result<Self, BadValue> {
                Self::parse(entries(s)).map_err(|e| BadValue(e.join(" ")))
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.names().collect::<Vec<_>>().join("\n"))
            }
        }

        decoded_from_text!($ty);
    )+};
}
stored_one_per_line!(ToolList, ModelList, CompanyList);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_lists_read_back_typed_and_repeats_and_comments_drop_out() {
        let tools: ToolList = "search_records\n# reads only\nget_record  \nsearch_records"
            .parse()
            .unwrap();
        assert_eq!(tools.to_string(), "search_records\nget_record");
        assert!(tools.contains(Tool::GetRecord) && !tools.contains(Tool::DeleteRecord));
        let models: ModelList = "res.partner\nsale.order".parse().unwrap();
        assert!(models.allows("sale.order") && !models.allows("res.users"));
        assert!(ModelList::default().allows("anything.at.all"));
        let companies: CompanyList = "3\n1 # the main one\n3".parse().unwrap();
        assert_eq!(companies.to_string(), "3\n1");
        assert!(companies.allows(1) && !companies.allows(2));
        assert!(CompanyList::default().allows(2));
    }

    #[test]
    fn each_bad_entry_is_named() {
        let e = ToolList::parse(["search_records", "drop_database", "tools/list"]).unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(e[0].starts_with("'drop_database' is not a tool of the catalog"));
        let stored = "res.partner\nRes Partner".parse::<ModelList>().unwrap_err();
        assert!(
            stored.0.contains("'Res Partner' is not an Odoo model name"),
            "{stored}"
        );
        let e = CompanyList::parse(["1", "0", "two"]).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("'0' is not a company id"), "{e:?}");
    }
}
