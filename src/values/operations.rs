//! Model Operations: for some models, which of read / create / write / delete / execute a
//! connection may do on their records. Stored one model per line, `res.partner: read, write`;
//! a model not listed may do all five (empty = no narrowing at all).

use std::fmt;

use super::per_model::{PerModel, per_model_text};
use crate::catalog::{Operation, validate};

/// The operations one model may do, in [`Operation::ALL`]'s order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Operations(u8);

impl Operations {
    fn bit(op: Operation) -> u8 {
        1 << (op as u8)
    }

    pub fn contains(self, op: Operation) -> bool {
        self.0 & Self::bit(op) != 0
    }

    fn with(self, op: Operation) -> Self {
        Self(self.0 | Self::bit(op))
    }

    pub fn iter(self) -> impl Iterator<Item = Operation> {
        Operation::ALL
            .into_iter()
            .filter(move |op| self.contains(*op))
    }

    /// `read, write`, or `nothing`.
    pub fn describe(self) -> String {
        let labels: Vec<&str> = self.iter().map(Operation::label).collect();
        if labels.is_empty() {
            "nothing".to_owned()
        } else {
            labels.join(", ")
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelOperations(PerModel<Operations>);

impl ModelOperations {
    /// Parses `model: op, op` rules, one per entry; every bad entry is named.
    pub fn parse<'a>(rules: impl IntoIterator<Item = &'a str>) -> Result<Self, Vec<String>> {
        PerModel::parse(rules, "res.partner: read, write", parse_operations).map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The operations `model` may do, when it is listed.
    pub fn of(&self, model: &str) -> Option<Operations> {
        self.0.of(model).copied()
    }

    /// Whether `model` may do `op`: a model not listed may do everything.
    pub fn allows(&self, model: &str, op: Operation) -> bool {
        self.of(model).is_none_or(|ops| ops.contains(op))
    }

    pub fn models(&self) -> impl Iterator<Item = &str> {
        self.0.models()
    }
}

impl fmt::Display for Operations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

fn parse_operations(ops: &str, shown: &str) -> Result<Operations, String> {
    let mut operations = Operations::default();
    for word in ops
        .split([',', ' '])
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        let op = Operation::from_label(&word.to_lowercase()).ok_or_else(|| {
            format!(
                "'{}' is not an operation (use read, create, write, delete, execute) in '{shown}'.",
                validate::truncate(word, 30)
            )
        })?;
        operations = operations.with(op);
    }
    if operations == Operations::default() {
        return Err(format!(
            "'{shown}' names no operation; give at least one (read, create, write, delete, execute), or leave the model out of Allowed Models."
        ));
    }
    Ok(operations)
}

per_model_text!(ModelOperations);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_read_back_and_unlisted_models_may_do_anything() {
        let rules: ModelOperations = "res.partner: read, Write\n# analysts\nsale.order: read"
            .parse()
            .unwrap();
        assert_eq!(
            rules.to_string(),
            "res.partner: read, write\nsale.order: read"
        );
        assert!(rules.allows("res.partner", Operation::Write));
        assert!(!rules.allows("res.partner", Operation::Delete));
        assert!(!rules.allows("sale.order", Operation::Execute));
        assert!(rules.allows("crm.lead", Operation::Delete));
        assert!(ModelOperations::default().allows("res.partner", Operation::Delete));
        assert_eq!(rules.of("sale.order").unwrap().describe(), "read");
    }

    #[test]
    fn each_bad_rule_is_named() {
        let errors = ModelOperations::parse([
            "res.partner read",
            "Res.Partner: read",
            "sale.order: read, destroy",
            "sale.order:",
            "res.users: read",
            "res.users: write",
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors[0].contains("is not a rule"), "{}", errors[0]);
        assert!(
            errors[1].contains("is not an Odoo model name"),
            "{}",
            errors[1]
        );
        assert!(
            errors[2].starts_with("'destroy' is not an operation"),
            "{}",
            errors[2]
        );
        assert!(errors[3].contains("names no operation"), "{}", errors[3]);
        assert!(errors[4].contains("listed twice"), "{}", errors[4]);
    }
}
