//! The connection form's input: the policy as typed ([`PolicyText`], parsed in `connections`,
//! where a policy file is parsed too) plus the Model Operations grid the form adds.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::catalog::{Operation, validate};
pub use crate::connections::policy_text::FieldErrors;
use crate::connections::policy_text::{PolicyText, tags};
use crate::connections::{Connection, Policy};
use crate::store::OdooUserRow;
use crate::values::{ModelOperations, entries};

/// The form as posted (and as re-rendered after an error): text, exactly as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConnectionInput {
    #[serde(flatten)]
    pub text: PolicyText,
    /// Everything else posted: among it the Model Operations grid, `ops:<model>` (the row is
    /// on the form) and `ops:<model>:<operation>` (its box is ticked).
    #[serde(flatten)]
    pub rest: BTreeMap<String, String>,
}

/// A row of the Model Operations grid: one model of Allowed Models and its five boxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridRow {
    pub model: String,
    pub boxes: Vec<GridBox>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridBox {
    pub operation: &'static str,
    pub ticked: bool,
}

/// The grid's field name for `model` (and `operation`).
fn grid_name(model: &str, operation: Option<Operation>) -> String {
    match operation {
        Some(op) => format!("ops:{model}:{}", op.label()),
        None => format!("ops:{model}"),
    }
}

impl ConnectionInput {
    pub fn from_connection(c: &Connection) -> Self {
        let p = &c.policy;
        // Short lists read better on one line in a form field.
        let joined = |names: Vec<String>| names.join(", ");
        let mut text = PolicyText::from_policy(&c.description, p);
        text.allowed_tools = joined(p.allowed_tools.names().map(str::to_owned).collect());
        text.allowed_models = joined(p.allowed_models.names().map(str::to_owned).collect());
        text.allowed_companies = joined(p.allowed_companies.names().collect());
        text.approval_tools = joined(p.approval_tools.names().map(str::to_owned).collect());
        text.confirm_tools = joined(p.confirm_tools.names().map(str::to_owned).collect());
        Self {
            text,
            rest: BTreeMap::new(),
        }
    }

    /// The Model Operations grid: a row per model of Allowed Models as typed (none when it is
    /// empty: the rules are then typed as text). A row posted with the form shows what was
    /// ticked; otherwise the stored rules, a model without one having every box ticked.
    pub fn operations_grid(&self) -> Vec<GridRow> {
        let stored =
            ModelOperations::parse(entries(&self.text.model_operations)).unwrap_or_default();
        tags(&self.text.allowed_models)
            .into_iter()
            .filter(|m| validate::model(m).is_ok())
            .map(|model| {
                let posted = self.rest.contains_key(&grid_name(model, None));
                let boxes = Operation::ALL
                    .into_iter()
                    .map(|op| GridBox {
                        operation: op.label(),
                        ticked: if posted {
                            self.rest.contains_key(&grid_name(model, Some(op)))
                        } else {
                            stored.allows(model, op)
                        },
                    })
                    .collect();
                GridRow {
                    model: model.to_owned(),
                    boxes,
                }
            })
            .collect()
    }

    /// The rules the grid's posted rows make, as text rules: a row with every box ticked is
    /// no rule; one with none names no operation, which the parser refuses.
    fn grid_rules(&self) -> Vec<String> {
        // A row of a model taken out of Allowed Models in the same edit no longer matters (the
        // model is not allowed at all); with Allowed Models emptied, every row still holds.
        let allowed = tags(&self.text.allowed_models);
        self.rest
            .keys()
            .filter_map(|k| k.strip_prefix("ops:"))
            .filter(|model| !model.contains(':'))
            .filter(|model| allowed.is_empty() || allowed.contains(model))
            .filter_map(|model| {
                let ticked: Vec<&str> = Operation::ALL
                    .into_iter()
                    .filter(|op| self.rest.contains_key(&grid_name(model, Some(*op))))
                    .map(Operation::label)
                    .collect();
                (ticked.len() < Operation::ALL.len())
                    .then(|| format!("{model}: {}", ticked.join(", ")))
            })
            .collect()
    }

    /// The typed rules and the grid's, parsed with the rest of the policy (see
    /// [`PolicyText::parse`]).
    pub fn parse(
        &self,
        approvers: &[OdooUserRow],
        own_user: Option<i64>,
    ) -> Result<(String, Policy), Box<FieldErrors>> {
        let mut text = self.text.clone();
        for rule in self.grid_rules() {
            text.model_operations.push('\n');
            text.model_operations.push_str(&rule);
        }
        text.parse(approvers, own_user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(allowed_models: &str, model_operations: &str) -> ConnectionInput {
        ConnectionInput {
            text: PolicyText {
                allowed_models: allowed_models.into(),
                model_operations: model_operations.into(),
                ..Default::default()
            },
            rest: BTreeMap::new(),
        }
    }

    #[test]
    fn model_operations_name_bad_rules_and_rules_outside_allowed_models() {
        let e = input("res.partner", "res.partner: read, erase\nsale.order: read")
            .parse(&[], None)
            .unwrap_err();
        assert_eq!(e.model_operations.len(), 1, "{:?}", e.model_operations);
        assert!(e.model_operations[0].starts_with("'erase' is not an operation"));
    }

    #[test]
    fn the_operations_grid_shows_stored_rules_and_posts_them_back() {
        let stored = input("res.partner, sale.order", "res.partner: read, write");
        let grid = stored.operations_grid();
        assert_eq!(grid.len(), 2);
        let ticked = |row: &GridRow| -> Vec<&str> {
            row.boxes
                .iter()
                .filter(|b| b.ticked)
                .map(|b| b.operation)
                .collect()
        };
        assert_eq!(ticked(&grid[0]), ["read", "write"]);
        assert_eq!(ticked(&grid[1]).len(), 5, "no rule: every box ticked");

        let posted = |pairs: &[&str]| ConnectionInput {
            rest: pairs
                .iter()
                .map(|k| ((*k).to_owned(), "1".to_owned()))
                .collect(),
            ..input("res.partner, sale.order", "")
        };
        let all = ["read", "create", "write", "delete", "execute"]
            .map(|op| format!("ops:sale.order:{op}"));
        let mut pairs = vec!["ops:res.partner", "ops:res.partner:read", "ops:sale.order"];
        pairs.extend(all.iter().map(String::as_str));
        let (_, p) = posted(&pairs).parse(&[], None).unwrap();
        assert_eq!(p.model_operations.to_string(), "res.partner: read");
        // A re-rendered form shows what was posted.
        assert_eq!(ticked(&posted(&pairs).operations_grid()[0]), ["read"]);
        // A row with no box ticked is refused, naming the model.
        let e = posted(&["ops:res.partner"]).parse(&[], None).unwrap_err();
        assert!(
            e.model_operations[0].contains("names no operation"),
            "{:?}",
            e.model_operations
        );
    }

    #[test]
    fn a_posted_form_fills_the_typed_settings_and_keeps_the_grid_apart() {
        let posted: ConnectionInput = serde_urlencoded::from_str(
            "allowed_models=res.partner&rate_per_minute=12&ops%3Ares.partner=1&ops%3Ares.partner%3Aread=1&csrf=x",
        )
        .unwrap();
        assert_eq!(posted.text.allowed_models, "res.partner");
        assert!(posted.rest.contains_key("ops:res.partner"));
        assert!(!posted.rest.contains_key("allowed_models"));
        let (_, p) = posted.parse(&[], None).unwrap();
        assert_eq!(p.rate_per_minute, crate::values::Limit::new(12));
        assert_eq!(p.model_operations.to_string(), "res.partner: read");
    }
}
