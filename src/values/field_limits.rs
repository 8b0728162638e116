//! Field limits: for some models, fields the connection never sees nor writes, one
//! `model: field, pattern` line each (`res.partner: vat, bank_ids`, `hr.employee: *wage*`).
//! A `*` stands for any run of characters.

use std::fmt;

use super::per_model::{PerModel, per_model_text};
use crate::catalog::validate;

/// Field names and `*` patterns of one model, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPatterns(Vec<String>);

/// Fields every tool needs: the record's id and its name as Odoo shows it.
const NEVER_HIDDEN: &[&str] = &["id"];

impl FieldPatterns {
    fn parse(text: &str, shown: &str) -> Result<Self, String> {
        let mut patterns = Vec::new();
        for word in text
            .split([',', ' '])
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            let name_chars = word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '*');
            if !name_chars || word.chars().all(|c| c == '*') {
                return Err(format!(
                    "'{}' is not a field name or pattern (lowercase letters, digits, _ and *, as in vat or *wage*) in '{shown}'.",
                    validate::truncate(word, 30)
                ));
            }
            if let Some(kept) = NEVER_HIDDEN.iter().find(|f| matches(word, f)) {
                return Err(format!(
                    "'{word}' would hide '{kept}', which every tool needs, in '{shown}'."
                ));
            }
            if !patterns.iter().any(|p| p == word) {
                patterns.push(word.to_owned());
            }
        }
        if patterns.is_empty() {
            return Err(format!(
                "'{shown}' names no field; give at least one, such as 'res.partner: vat'."
            ));
        }
        Ok(Self(patterns))
    }

    /// Whether `field` is one of these (or matches one of the patterns).
    pub fn hides(&self, field: &str) -> bool {
        self.0.iter().any(|p| matches(p, field))
    }

    /// The plain names among them (no `*`), which must be fields of the model.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .map(String::as_str)
            .filter(|p| !p.contains('*'))
    }
}

impl fmt::Display for FieldPatterns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

/// A glob match where `*` is any run of characters (none included).
fn matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldLimits(PerModel<FieldPatterns>);

impl FieldLimits {
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Self, Vec<String>> {
        PerModel::parse(lines, "res.partner: vat, bank_ids", FieldPatterns::parse).map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `model`'s `field` is hidden from the connection.
    pub fn hides(&self, model: &str, field: &str) -> bool {
        self.0.of(model).is_some_and(|p| p.hides(field))
    }

    pub fn of(&self, model: &str) -> Option<&FieldPatterns> {
        self.0.of(model)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &FieldPatterns)> {
        self.0.iter()
    }
}

per_model_text!(FieldLimits);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_patterns_hide_their_fields_only() {
        let limits: FieldLimits = "res.partner: vat, bank_ids\nhr.employee: *wage*, x_*, *_secret"
            .parse()
            .unwrap();
        assert!(limits.hides("res.partner", "vat"));
        assert!(!limits.hides("res.partner", "vat_label"));
        assert!(!limits.hides("res.company", "vat"));
        for hidden in ["wage", "contract_wage", "wage_type", "x_note", "api_secret"] {
            assert!(limits.hides("hr.employee", hidden), "{hidden}");
        }
        for shown in ["name", "secret_santa", "xname", "wag"] {
            assert!(!limits.hides("hr.employee", shown), "{shown}");
        }
        assert_eq!(
            limits.to_string(),
            "res.partner: vat, bank_ids\nhr.employee: *wage*, x_*, *_secret"
        );
        assert_eq!(
            limits.of("hr.employee").unwrap().names().count(),
            0,
            "patterns are not names"
        );
    }

    #[test]
    fn each_bad_line_is_named() {
        let errors = FieldLimits::parse([
            "res.partner: Vat",
            "res.users: *",
            "sale.order: i*",
            "crm.lead:",
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(
            errors[0].contains("'Vat' is not a field name"),
            "{}",
            errors[0]
        );
        assert!(
            errors[1].contains("'*' is not a field name"),
            "{}",
            errors[1]
        );
        assert!(errors[2].contains("would hide 'id'"), "{}", errors[2]);
        assert!(errors[3].contains("names no field"), "{}", errors[3]);
    }
}
