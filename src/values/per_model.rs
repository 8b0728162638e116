//! Rules kept per model or per tool, one `key: rule` line each (Model Operations, Record limits,
//! Field limits, Tool limits): parsed with every bad line named, each key once, shown back line
//! by line.

use std::fmt;

use super::ModelName;
use crate::catalog::{self, Tool, validate};

/// What a rule line starts with: a model or a tool.
pub trait RuleKey: PartialEq + Sized {
    /// "model" or "tool", for messages.
    const NOUN: &'static str;
    fn read(text: &str) -> Result<Self, String>;
    fn name(&self) -> &str;
}

impl RuleKey for ModelName {
    const NOUN: &'static str = "model";

    fn read(text: &str) -> Result<Self, String> {
        ModelName::parse(text).map_err(|e| format!("{e}."))
    }

    fn name(&self) -> &str {
        self.as_str()
    }
}

impl RuleKey for Tool {
    const NOUN: &'static str = "tool";

    fn read(text: &str) -> Result<Self, String> {
        catalog::find(text).map(|s| s.tool).ok_or_else(|| {
            format!(
                "'{}' is not a tool of the catalog.",
                validate::truncate(text, 40)
            )
        })
    }

    fn name(&self) -> &str {
        self.spec().name
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed<K, T>(Vec<(K, T)>);

/// Rules per model.
pub type PerModel<T> = Keyed<ModelName, T>;

impl<K, T> Default for Keyed<K, T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: RuleKey, T> Keyed<K, T> {
    /// Parses `key: rule` lines; `rule` reads the text after the colon (and gets the whole
    /// line, shortened, to quote); `example` shows a good line in the message for a line
    /// without a colon.
    pub fn parse<'a>(
        lines: impl IntoIterator<Item = &'a str>,
        example: &str,
        rule: impl Fn(&str, &str) -> Result<T, String>,
    ) -> Result<Self, Vec<String>> {
        let mut out: Vec<(K, T)> = Vec::new();
        let mut errors = Vec::new();
        for line in lines {
            let shown = validate::truncate(line, 60);
            let parsed = line
                .split_once(':')
                .ok_or_else(|| {
                    format!(
                        "'{shown}' is not a rule: write the {}, a colon and its rule, e.g. '{example}'.",
                        K::NOUN
                    )
                })
                .and_then(|(key, text)| {
                    let key = K::read(key.trim())?;
                    Ok((key, rule(text.trim(), &shown)?))
                });
            match parsed {
                Ok((key, _)) if out.iter().any(|(k, _)| *k == key) => errors.push(format!(
                    "'{}' is listed twice; give each {} one line.",
                    key.name(),
                    K::NOUN
                )),
                Ok(parsed) => out.push(parsed),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(Self(out))
        } else {
            Err(errors)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The rule of the key named `name`, when it has one.
    pub fn of(&self, name: &str) -> Option<&T> {
        self.0
            .iter()
            .find(|(k, _)| k.name() == name)
            .map(|(_, rule)| rule)
    }

    pub fn models(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(key, _)| key.name())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(key, rule)| (key.name(), rule))
    }

    pub fn keyed(&self) -> impl Iterator<Item = (&K, &T)> {
        self.0.iter().map(|(key, rule)| (key, rule))
    }
}

impl<K: RuleKey, T: fmt::Display> fmt::Display for Keyed<K, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (key, rule)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}: {rule}", key.name())?;
        }
        Ok(())
    }
}

/// `FromStr`, `Display` and sqlx decoding for a newtype over [`Keyed`] with a `parse` of
/// lines.
macro_rules! per_model_text {
    ($($ty:ty),+ $(,)?) => {$(
        impl std::str::FromStr for $ty {
            type Err = super::BadValue;

            fn from_str(s: &str) -> Result<Self, super::BadValue> {
                Self::parse(super::entries(s)).map_err(|e| super::BadValue(e.join(" ")))
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        super::decoded_from_text!($ty);
    )+};
}
pub(super) use per_model_text;
