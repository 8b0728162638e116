//! Rules kept per model, one `model: rule` line each (Model Operations, Record limits, Field
//! limits): parsed with every bad line named, each model once, shown back line by line.

use std::fmt;

use super::ModelName;
use crate::catalog::validate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerModel<T>(Vec<(ModelName, T)>);

impl<T> Default for PerModel<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> PerModel<T> {
    /// Parses `model: rule` lines; `rule` reads the text after the colon (and gets the whole
    /// line, shortened, to quote); `example` shows a good line in the message for a line
    /// without a colon.
    pub fn parse<'a>(
        lines: impl IntoIterator<Item = &'a str>,
        example: &str,
        rule: impl Fn(&str, &str) -> Result<T, String>,
    ) -> Result<Self, Vec<String>> {
        let mut out: Vec<(ModelName, T)> = Vec::new();
        let mut errors = Vec::new();
        for line in lines {
            let shown = validate::truncate(line, 60);
            let parsed = line
                .split_once(':')
                .ok_or_else(|| {
                    format!(
                        "'{shown}' is not a rule: write the model, a colon and its rule, e.g. '{example}'."
                    )
                })
                .and_then(|(model, text)| {
                    let model = ModelName::parse(model.trim()).map_err(|e| format!("{e}."))?;
                    Ok((model, rule(text.trim(), &shown)?))
                });
            match parsed {
                Ok((model, _)) if out.iter().any(|(m, _)| *m == model) => errors.push(format!(
                    "'{}' is listed twice; give each model one line.",
                    model.as_str()
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

    /// The rule of `model`, when it has one.
    pub fn of(&self, model: &str) -> Option<&T> {
        self.0
            .iter()
            .find(|(m, _)| m.as_str() == model)
            .map(|(_, rule)| rule)
    }

    pub fn models(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(model, _)| model.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(model, rule)| (model.as_str(), rule))
    }
}

impl<T: fmt::Display> fmt::Display for PerModel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (model, rule)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}: {rule}", model.as_str())?;
        }
        Ok(())
    }
}

/// `FromStr`, `Display` and sqlx decoding for a newtype over [`PerModel`] with a `parse` of
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
