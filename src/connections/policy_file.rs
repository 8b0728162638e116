//! Policy files: many connections' policies in one TOML or YAML document, kept in git. This is
//! the document model shared by `connection export` and `connection apply`: which keys an entry
//! has, how each setting is written, and how a written value reads back as the settings' text.

use std::path::Path;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};

use super::Connection;
use super::policy_text::{PolicyText, SETTINGS};
use crate::store::OdooUserRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

impl Format {
    /// By the file's extension: `.toml`, `.yaml` or `.yml`.
    pub fn of_path(path: &Path) -> Option<Self> {
        Self::parse(path.extension()?.to_str()?)
    }

    pub fn parse(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "toml" => Some(Self::Toml),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Toml => "TOML",
            Self::Yaml => "YAML",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the file is not valid {format}: {detail}")]
    Syntax {
        format: &'static str,
        detail: String,
    },
    #[error(
        "the file holds no connection: write one [[connection]] table (TOML) or one item of a `connection:` list (YAML) per connection"
    )]
    Empty,
    #[error("the file's top level holds only `connection` entries, not `{0}`")]
    TopLevel(String),
    #[error("connection entries are tables (TOML) or mappings (YAML); entry {0} is not")]
    NotAnEntry(usize),
    #[error("cannot write the {format} file: {detail}")]
    Write {
        format: &'static str,
        detail: String,
    },
}

/// The keys that say which connection an entry is and what it is. `id` and `name` identify it;
/// `kind`, `user` and `scope` are shown and checked, never changed by `apply`.
pub const IDENTITY: [&str; 5] = ["id", "name", "kind", "user", "scope"];
/// The key naming a template (see [`super::templates`]) that the entry's settings start from.
pub const TEMPLATE: &str = "template";

/// What `export` writes above the entries: the file explains itself where it is edited.
pub const HEADER: &str = "\
# odoo-mcp-gateway connection policies. Edit, then `odoo-mcp-gateway connection apply FILE`.
# id, kind, user and scope are shown and never changed. A setting left out is empty, a number
# left out is the server default; `template = \"NAME\"` starts an entry from a template.

";

/// A value as a file writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Item {
    Int(i64),
    Text(String),
    /// One entry per line, so that a change is a line of its own in a diff.
    Lines(Vec<String>),
    Ids(Vec<i64>),
}

impl Item {
    /// The value as lines, for a diff.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Self::Int(n) => vec![n.to_string()],
            Self::Text(_) | Self::Lines(_) if self.is_blank() => vec!["(empty)".into()],
            Self::Text(t) => t.lines().map(str::to_owned).collect(),
            Self::Lines(lines) => lines.clone(),
            Self::Ids(ids) if ids.is_empty() => vec!["(empty)".into()],
            Self::Ids(ids) => ids.iter().map(i64::to_string).collect(),
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Self::Text(t) => t.is_empty(),
            Self::Lines(l) => l.is_empty(),
            _ => false,
        }
    }
}

/// How a setting is written.
#[derive(Clone, Copy)]
enum Shape {
    /// A list of lines (or one text of several lines, when read).
    Lines,
    /// Company ids: whole numbers.
    Ids,
    /// A limit: a whole number, left out for the server default.
    Number,
    Text,
}

fn shape(setting: &str) -> Shape {
    match setting {
        "allowed_companies" => Shape::Ids,
        "approval_expiry_hours"
        | "rate_per_minute"
        | "rate_per_day"
        | "write_per_minute"
        | "write_per_day" => Shape::Number,
        "approver" | "description" => Shape::Text,
        _ => Shape::Lines,
    }
}

/// The settings in the order a file writes them: the description first, as it tells what the
/// connection is for.
pub fn file_order() -> impl Iterator<Item = &'static str> {
    std::iter::once("description").chain(SETTINGS.into_iter().filter(|s| *s != "description"))
}

/// A connection's settings as a file writes them (the approver by login); `None` is a number
/// left to the server default, which the file leaves out.
pub fn written(text: &PolicyText, users: &[OdooUserRow]) -> Vec<(&'static str, Option<Item>)> {
    let mut text = text.clone();
    if let Some(user) = users.iter().find(|u| u.id.to_string() == text.approver) {
        text.approver = user.login.clone();
    }
    file_order()
        .map(|setting| {
            let value = text.get_mut(setting).map(|v| v.as_str()).unwrap_or("");
            let item = match shape(setting) {
                Shape::Lines => Some(Item::Lines(value.lines().map(str::to_owned).collect())),
                Shape::Ids => Some(Item::Ids(
                    value.lines().filter_map(|l| l.parse().ok()).collect(),
                )),
                Shape::Number => value.parse().ok().map(Item::Int),
                Shape::Text => Some(Item::Text(value.to_owned())),
            };
            (setting, item)
        })
        .collect()
}

/// A written value read back as the setting's text (what [`PolicyText`] holds), or why not.
pub fn setting_text(setting: &str, value: &Value) -> Result<String, String> {
    let expected = match shape(setting) {
        Shape::Lines => "a list of text lines",
        Shape::Ids => "a list of company ids",
        Shape::Number => "a whole number",
        Shape::Text => "text",
    };
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_i64() => Some(n.to_string()),
        _ => None,
    };
    let text = match (shape(setting), value) {
        (Shape::Lines | Shape::Text, Value::String(s)) => Some(s.clone()),
        (Shape::Number | Shape::Ids, v) if !v.is_array() => scalar(v),
        (Shape::Lines | Shape::Ids, Value::Array(items)) => items
            .iter()
            .map(|i| match (shape(setting), i) {
                (Shape::Lines, Value::String(s)) => Some(s.clone()),
                (Shape::Ids, v) => scalar(v),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|lines| lines.join("\n")),
        _ => None,
    };
    text.ok_or_else(|| format!("expected {expected}, found {}", kind_of(value)))
}

/// A read-only or identifying key's value as text (`id` and `name` included).
pub fn identity_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_i64() => Some(n.to_string()),
        _ => None,
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

/// The entries of a file, each a map of its keys, not yet checked.
pub fn load(text: &str, format: Format) -> Result<Vec<Map<String, Value>>, Error> {
    let syntax = |detail: String| Error::Syntax {
        format: format.name(),
        detail,
    };
    let document: Value = match format {
        Format::Toml => toml::from_str(text).map_err(|e| syntax(e.to_string()))?,
        Format::Yaml => serde_norway::from_str(text).map_err(|e| syntax(e.to_string()))?,
    };
    let mut top = match document {
        Value::Object(top) => top,
        Value::Null => Map::new(),
        _ => return Err(syntax("the top level is not a table".into())),
    };
    let entries = match top.remove("connection") {
        Some(Value::Array(entries)) => entries,
        Some(_) => return Err(Error::NotAnEntry(1)),
        None => Vec::new(),
    };
    if let Some(key) = top.keys().next() {
        return Err(Error::TopLevel(key.clone()));
    }
    if entries.is_empty() {
        return Err(Error::Empty);
    }
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| match entry {
            Value::Object(map) => Ok(map),
            _ => Err(Error::NotAnEntry(i + 1)),
        })
        .collect()
}

/// The file for `connections`, in their order: every setting written, so `apply` of it changes
/// nothing.
pub fn export(
    connections: &[Connection],
    users: &[OdooUserRow],
    format: Format,
) -> Result<String, Error> {
    let entries: Vec<Vec<(&str, Item)>> = connections
        .iter()
        .map(|c| {
            let mut entry = vec![
                ("id", Item::Int(c.id)),
                ("name", Item::Text(c.name.clone())),
                ("kind", Item::Text(c.kind.as_db().to_owned())),
            ];
            if let Some(login) = &c.user_login {
                entry.push(("user", Item::Text(login.clone())));
            }
            entry.push(("scope", Item::Text(c.scope.as_db().to_owned())));
            let text = PolicyText::from_policy(&c.description, &c.policy);
            entry.extend(
                written(&text, users)
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, v?))),
            );
            entry
        })
        .collect();
    let document = Document {
        connection: entries.iter().map(|e| Entry(e)).collect(),
    };
    let write = |detail: String| Error::Write {
        format: format.name(),
        detail,
    };
    let body = match format {
        Format::Toml => toml::to_string_pretty(&document).map_err(|e| write(e.to_string()))?,
        Format::Yaml => serde_norway::to_string(&document).map_err(|e| write(e.to_string()))?,
    };
    Ok(format!("{HEADER}{body}"))
}

#[derive(Serialize)]
struct Document<'a> {
    connection: Vec<Entry<'a>>,
}

/// An entry's keys in the order given (a map type would sort them).
struct Entry<'a>(&'a [(&'a str, Item)]);

impl Serialize for Entry<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_values_read_back_as_the_same_text() {
        let text = PolicyText {
            allowed_tools: "search_records\nget_record".into(),
            allowed_companies: "3\n1".into(),
            rate_per_minute: "30".into(),
            allowed_ips: "10.0.0.0/8 # office\n\n2001:db8::/32".into(),
            description: "Two\nlines".into(),
            ..Default::default()
        };
        let mut back = PolicyText::default();
        for (setting, item) in written(&text, &[]) {
            let Some(item) = item else { continue };
            let value = serde_json::to_value(&item).unwrap();
            *back.get_mut(setting).unwrap() = setting_text(setting, &value).unwrap();
        }
        assert_eq!(back, text);
    }

    #[test]
    fn a_value_of_the_wrong_kind_says_what_was_expected() {
        let e = setting_text("allowed_tools", &serde_json::json!(3)).unwrap_err();
        assert_eq!(e, "expected a list of text lines, found a number");
        let e = setting_text("rate_per_day", &serde_json::json!([1])).unwrap_err();
        assert_eq!(e, "expected a whole number, found a list");
        assert_eq!(
            setting_text("allowed_companies", &serde_json::json!([1, "2"])).unwrap(),
            "1\n2"
        );
        assert_eq!(
            setting_text("record_limits", &serde_json::json!("a: []\nb: []")).unwrap(),
            "a: []\nb: []"
        );
    }

    #[test]
    fn files_are_read_by_their_extension_in_either_format() {
        assert_eq!(
            Format::of_path(Path::new("p/policies.yml")),
            Some(Format::Yaml)
        );
        assert_eq!(Format::of_path(Path::new("a.TOML")), Some(Format::Toml));
        assert_eq!(Format::of_path(Path::new("a.json")), None);
        let toml = load("[[connection]]\nname = \"a\"\n", Format::Toml).unwrap();
        let yaml = load("connection:\n  - name: a\n", Format::Yaml).unwrap();
        assert_eq!(toml, yaml);
        assert!(matches!(load("", Format::Toml), Err(Error::Empty)));
        assert!(matches!(
            load("colour = 1\n[[connection]]\nname = \"a\"", Format::Toml),
            Err(Error::TopLevel(k)) if k == "colour"
        ));
        let bad = load("[[connection]\n", Format::Toml).unwrap_err();
        assert!(
            bad.to_string().starts_with("the file is not valid TOML"),
            "{bad}"
        );
    }
}
