//! What `connection apply` does with a policy file, worked out before anything is written:
//! every entry resolved to its connection and validated (every problem of every entry at once,
//! with the form's own checks), then per connection the settings that would change.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::policy_file::{self, Format, IDENTITY, Item, TEMPLATE};
use super::policy_text::{PolicyText, SETTINGS};
use super::{Connection, templates};
use crate::store::OdooUserRow;
use crate::values::Policy;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    File(#[from] policy_file::Error),
    /// Each problem as `entry "<name>": <key>: <message>`.
    #[error("nothing was changed: the file has {} problem(s):\n{}", .0.len(), .0.join("\n"))]
    Invalid(Vec<String>),
}

/// What the store holds, as far as a plan needs it.
pub struct Known<'a> {
    pub connections: &'a [Connection],
    /// Every linked user: approvers are named by login.
    pub users: &'a [OdooUserRow],
    /// Four-eyes approvals (Server Settings): a connection's own user may not approve it.
    pub four_eyes: bool,
}

/// One setting that changes, as the file writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    pub setting: &'static str,
    pub old: Vec<String>,
    pub new: Vec<String>,
}

/// A connection whose stored policy differs from its entry.
#[derive(Debug, Clone)]
pub struct Change {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub policy: Policy,
    pub diffs: Vec<Diff>,
}

#[derive(Debug)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// Entries already in force.
    pub unchanged: usize,
}

impl Plan {
    /// The changes as a diff: per connection, per setting, `- old` and `+ new` lines.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for c in &self.changes {
            let _ = writeln!(out, "connection {} \"{}\":", c.id, c.name);
            for d in &c.diffs {
                let _ = writeln!(out, "  {}:", d.setting);
                for line in &d.old {
                    let _ = writeln!(out, "    - {line}");
                }
                for line in &d.new {
                    let _ = writeln!(out, "    + {line}");
                }
            }
        }
        if self.changes.is_empty() {
            out.push_str("no changes\n");
        } else {
            let _ = writeln!(
                out,
                "{} connection(s) to change, {} unchanged",
                self.changes.len(),
                self.unchanged
            );
        }
        out
    }
}

/// The plan for the file `text`, or every problem it has.
pub fn plan(text: &str, format: Format, known: &Known) -> Result<Plan, Error> {
    let entries = policy_file::load(text, format)?;
    let mut errors = Vec::new();
    let mut taken: BTreeMap<i64, String> = BTreeMap::new();
    let mut plan = Plan {
        changes: Vec::new(),
        unchanged: 0,
    };
    for (i, entry) in entries.iter().enumerate() {
        let mut problems = Problems::new(entry, i);
        let outcome = check(entry, known, &mut problems);
        if let Some(c) = &outcome
            && let Some(first) = taken.insert(c.id, problems.label.clone())
        {
            problems.add(
                "id",
                format!("connection {} is also the entry \"{first}\"", c.id),
            );
        }
        match outcome {
            Some(c) if problems.list.is_empty() && c.diffs.is_empty() => plan.unchanged += 1,
            Some(c) if problems.list.is_empty() => plan.changes.push(c),
            _ => {}
        }
        errors.extend(problems.list);
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(Error::Invalid(errors))
    }
}

/// The problems of one entry, each prefixed with the entry's name.
struct Problems {
    label: String,
    list: Vec<String>,
}

impl Problems {
    fn new(entry: &Map<String, Value>, index: usize) -> Self {
        let label = entry
            .get("name")
            .and_then(policy_file::identity_text)
            .unwrap_or_else(|| format!("#{}", index + 1));
        Self {
            label,
            list: Vec::new(),
        }
    }

    fn add(&mut self, key: &str, message: impl std::fmt::Display) {
        self.list
            .push(format!("entry \"{}\": {key}: {message}", self.label));
    }
}

/// The entry's connection and what it would become; `None` when that cannot be known.
fn check(entry: &Map<String, Value>, known: &Known, p: &mut Problems) -> Option<Change> {
    for key in entry.keys() {
        let known_key =
            IDENTITY.contains(&key.as_str()) || key == TEMPLATE || SETTINGS.contains(&key.as_str());
        if !known_key {
            p.add(key, "is not a key of a connection entry");
        }
    }
    let connection = resolve(entry, known.connections, p);
    if let Some(c) = connection {
        read_only(entry, c, p);
    }
    let mut text = PolicyText::default();
    match entry.get(TEMPLATE) {
        None => {}
        Some(Value::String(name)) => match templates::find(name) {
            Some(t) => t.fill(&mut text),
            None => p.add(
                TEMPLATE,
                format!(
                    "no template is named \"{name}\" (known: {})",
                    templates::names()
                ),
            ),
        },
        Some(_) => p.add(TEMPLATE, "expected a template's name"),
    }
    for setting in SETTINGS {
        let (Some(value), Some(slot)) = (entry.get(setting), text.get_mut(setting)) else {
            continue;
        };
        match policy_file::setting_text(setting, value) {
            Ok(t) => *slot = t,
            Err(e) => p.add(setting, e),
        }
    }
    // The file names the approver by login; the form's check takes a linked user's id.
    if !text.approver.trim().is_empty() {
        let login = text.approver.trim();
        match known.users.iter().find(|u| u.login == login) {
            Some(u) if u.role.is_some() => text.approver = u.id.to_string(),
            Some(_) => {
                p.add(
                    "approver",
                    format!("'{login}' has no console role (MCP Administrator or MCP User), so cannot approve"),
                );
                text.approver.clear();
            }
            None => {
                p.add("approver", format!("'{login}' is not a linked user"));
                text.approver.clear();
            }
        }
    }
    let approvers: Vec<OdooUserRow> = known
        .users
        .iter()
        .filter(|u| u.role.is_some())
        .cloned()
        .collect();
    // Checked even when the connection is unknown, so that every bad value is named now.
    let own_user = connection
        .and_then(|c| c.odoo_user_id)
        .filter(|_| known.four_eyes);
    let (description, policy) = match text.parse(&approvers, own_user) {
        Ok(parsed) => parsed,
        Err(errors) => {
            for (setting, messages) in errors.named() {
                for m in messages {
                    p.add(setting, m);
                }
            }
            return None;
        }
    };
    let c = connection?;
    let diffs = diffs(c, &description, &policy, known.users);
    Some(Change {
        id: c.id,
        name: c.name.clone(),
        description,
        policy,
        diffs,
    })
}

/// The connection an entry names: by `id` (and then its `name` must match), else by `name`
/// among the connections not revoked, which must be exactly one — names are not unique.
fn resolve<'a>(
    entry: &Map<String, Value>,
    connections: &'a [Connection],
    p: &mut Problems,
) -> Option<&'a Connection> {
    let name = match entry.get("name") {
        None => None,
        Some(Value::String(name)) => Some(name.as_str()),
        Some(_) => {
            p.add("name", "expected the connection's name as text");
            return None;
        }
    };
    match (entry.get("id"), name) {
        (Some(id), _) => {
            let Some(id) = id.as_i64() else {
                p.add("id", "expected a connection id (a whole number)");
                return None;
            };
            let Some(c) = connections.iter().find(|c| c.id == id) else {
                p.add("id", format!("no connection has the id {id}"));
                return None;
            };
            if let Some(name) = name.filter(|n| *n != c.name) {
                p.add(
                    "name",
                    format!(
                        "connection {id} is named \"{}\", not \"{name}\" (apply does not rename)",
                        c.name
                    ),
                );
            }
            Some(c)
        }
        (None, Some(name)) => {
            let named: Vec<&Connection> = connections
                .iter()
                .filter(|c| c.name == name && c.revoked_at.is_none())
                .collect();
            match named.as_slice() {
                [one] => Some(one),
                [] => {
                    p.add("name", "no connection (not revoked) has this name");
                    None
                }
                many => {
                    let ids: Vec<String> = many.iter().map(|c| c.id.to_string()).collect();
                    p.add(
                        "name",
                        format!(
                            "{} connections have this name (ids {}): add `id` to say which",
                            many.len(),
                            ids.join(", ")
                        ),
                    );
                    None
                }
            }
        }
        (None, None) => {
            p.add("name", "every entry names its connection (`name`, or `id`)");
            None
        }
    }
}

/// `kind`, `user` and `scope` are shown in a file, never changed: a file that says otherwise
/// was written for another connection, or hopes for a change apply does not make.
fn read_only(entry: &Map<String, Value>, c: &Connection, p: &mut Problems) {
    let stored = [
        ("kind", Some(c.kind.as_db().to_owned())),
        ("user", c.user_login.clone()),
        ("scope", Some(c.scope.as_db().to_owned())),
    ];
    for (key, stored) in stored {
        let Some(value) = entry.get(key) else {
            continue;
        };
        let given = policy_file::identity_text(value);
        if given != stored {
            let shown = |v: Option<String>| v.map_or("nothing".to_owned(), |v| format!("\"{v}\""));
            p.add(
                key,
                format!(
                    "is {} and apply does not change it (the file says {})",
                    shown(stored),
                    shown(given)
                ),
            );
        }
    }
}

/// The settings whose written form differs between the stored connection and the new policy.
fn diffs(c: &Connection, description: &str, policy: &Policy, users: &[OdooUserRow]) -> Vec<Diff> {
    let old = policy_file::written(&PolicyText::from_policy(&c.description, &c.policy), users);
    let new = policy_file::written(&PolicyText::from_policy(description, policy), users);
    let lines =
        |item: Option<Item>| item.map_or_else(|| vec!["(server default)".into()], |i| i.lines());
    old.into_iter()
        .zip(new)
        .filter(|((_, a), (_, b))| a != b)
        .map(|((setting, a), (_, b))| Diff {
            setting,
            old: lines(a),
            new: lines(b),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{Kind, Role, Scope};

    fn connection(id: i64, name: &str) -> Connection {
        Connection {
            id,
            kind: Kind::ApiKey,
            name: name.into(),
            odoo_user_id: Some(1),
            user_login: Some("anna".into()),
            user_name: Some("Anna".into()),
            scope: Scope::Full,
            key_prefix: None,
            description: String::new(),
            policy: Policy::default(),
            created_at: 0,
            revoked_at: None,
            last_used_at: None,
            request_count: 0,
        }
    }

    fn user(id: i64, login: &str, role: Option<Role>) -> OdooUserRow {
        OdooUserRow {
            id,
            login: login.into(),
            odoo_uid: id,
            name: login.into(),
            protocol: "json2".into(),
            secret_sealed: vec![],
            role,
            linked_at: 0,
            updated_at: 0,
        }
    }

    fn planned(connections: &[Connection], file: &str) -> Result<Plan, Error> {
        let users = [
            user(1, "anna", Some(Role::User)),
            user(2, "boss", Some(Role::Admin)),
            user(3, "nobody", None),
        ];
        let known = Known {
            connections,
            users: &users,
            four_eyes: true,
        };
        plan(file, Format::Toml, &known)
    }

    fn problems(connections: &[Connection], file: &str) -> Vec<String> {
        match planned(connections, file) {
            Err(Error::Invalid(problems)) => problems,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn an_exported_file_plans_no_change_and_an_edit_shows_old_and_new_lines() {
        let mut c = connection(1, "Sales bot");
        c.policy.allowed_tools = "search_records\nget_record".parse().unwrap();
        c.policy.approver_user_id = Some(2);
        let users = [user(2, "boss", Some(Role::Admin))];
        let file = policy_file::export(std::slice::from_ref(&c), &users, Format::Toml).unwrap();
        assert!(file.contains("approver = \"boss\""), "{file}");
        let plan = planned(std::slice::from_ref(&c), &file).unwrap();
        assert!(plan.changes.is_empty());
        assert_eq!(plan.render(), "no changes\n");

        let edited = file.replace("\"get_record\"", "\"count_records\"") + "rate_per_day = 500\n";
        let plan = planned(std::slice::from_ref(&c), &edited).unwrap();
        assert_eq!(plan.changes.len(), 1);
        let shown = plan.render();
        assert!(
            shown.contains(
                "  allowed_tools:\n    - search_records\n    - get_record\n    + search_records\n    + count_records\n"
            ),
            "{shown}"
        );
        assert!(
            shown.contains("  rate_per_day:\n    - (server default)\n    + 500\n"),
            "{shown}"
        );
    }

    #[test]
    fn every_problem_of_every_entry_is_named_at_once() {
        let cs = [connection(1, "a"), connection(2, "b"), connection(3, "b")];
        let file = r#"
[[connection]]
name = "a"
allowed_tools = ["search_records", "drop_database"]
rate_per_minute = 0
scope = "read_only"
colour = "red"

[[connection]]
name = "b"

[[connection]]
name = "ghost"

[[connection]]
id = 2
name = "b"
template = "nope"
approver = "anna"
allowed_models = ["res.partner"]
model_operations = ["sale.order: read"]
"#;
        let p = problems(&cs, file);
        let expect = [
            "entry \"a\": colour: is not a key of a connection entry",
            "entry \"a\": scope: is \"full\" and apply does not change it (the file says \"read_only\")",
            "entry \"a\": allowed_tools: 'drop_database' is not a tool of the catalog",
            "entry \"a\": rate_per_minute: The limit must be a whole number",
            "entry \"b\": name: 2 connections have this name (ids 2, 3): add `id` to say which",
            "entry \"ghost\": name: no connection (not revoked) has this name",
            "entry \"b\": template: no template is named \"nope\"",
            "entry \"b\": approver: Four-eyes approvals are on",
            "entry \"b\": model_operations: sale.order is not among the Allowed Models",
        ];
        for e in expect {
            assert!(p.iter().any(|m| m.starts_with(e)), "{e}\nin {p:#?}");
        }
        assert_eq!(p.len(), expect.len(), "{p:#?}");
    }

    #[test]
    fn a_template_entry_starts_from_the_template_and_overrides_it() {
        let cs = [connection(1, "agent")];
        let file = "[[connection]]\nname = \"agent\"\ntemplate = \"support-agent\"\nrate_per_minute = 20\n";
        let plan = planned(&cs, file).unwrap();
        let p = &plan.changes[0].policy;
        let template = templates::find("support-agent").unwrap().policy().unwrap();
        assert_eq!(p.allowed_tools, template.allowed_tools);
        assert_eq!(p.model_operations, template.model_operations);
        assert_eq!(p.rate_per_minute, crate::values::Limit::new(20));
    }

    #[test]
    fn the_same_connection_twice_and_an_unknown_approver_are_refused() {
        let cs = [connection(1, "a")];
        let file = "[[connection]]\nid = 1\n\n[[connection]]\nname = \"a\"\napprover = \"zoe\"\n";
        let p = problems(&cs, file);
        assert_eq!(
            p,
            [
                "entry \"a\": approver: 'zoe' is not a linked user",
                "entry \"a\": id: connection 1 is also the entry \"#1\"",
            ]
        );
    }

    #[test]
    fn the_readme_example_is_a_valid_file() {
        let readme = include_str!("../../README.md");
        let start = readme.find("```toml\n[[connection]]").unwrap() + "```toml\n".len();
        let example = &readme[start..][..readme[start..].find("```").unwrap()];
        let mut c = connection(3, "Sales analyst bot");
        c.user_login = Some("anna@mycompany.com".into());
        c.scope = Scope::ReadOnly;
        let users = [
            user(1, "anna@mycompany.com", None),
            user(2, "boss@mycompany.com", Some(Role::Admin)),
        ];
        let known = Known {
            connections: std::slice::from_ref(&c),
            users: &users,
            four_eyes: true,
        };
        let plan = plan(example, Format::Toml, &known).unwrap();
        let p = &plan.changes[0].policy;
        assert_eq!(p.approver_user_id, Some(2));
        assert_eq!(p.rate_per_minute, crate::values::Limit::new(30));
    }
}
