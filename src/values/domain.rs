//! An Odoo domain as an administrator types it into a Record limit — Python's literal syntax
//! (`[("user_id", "=", uid)]`) or JSON (`[["user_id", "=", "uid"]]` is a string, not the
//! placeholder) — with the placeholders `uid`, `company_id` and `company_ids`, bound per call.
//! Parsed once into terms; shown back in one canonical Python form, which parses to the same.

use std::fmt;

use serde_json::{Number, Value};

use crate::catalog::validate;

/// What a placeholder stands for in one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bindings {
    /// The Odoo user the connection acts as.
    pub uid: i64,
    /// The companies the call acts in, the current one first.
    pub company_ids: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    Uid,
    CompanyId,
    CompanyIds,
}

impl Placeholder {
    const ALL: [Self; 3] = [Self::Uid, Self::CompanyId, Self::CompanyIds];

    fn name(self) -> &'static str {
        match self {
            Self::Uid => "uid",
            Self::CompanyId => "company_id",
            Self::CompanyIds => "company_ids",
        }
    }

    fn bind(self, b: &Bindings) -> Value {
        match self {
            Self::Uid => Value::from(b.uid),
            Self::CompanyId => b
                .company_ids
                .first()
                .map_or(Value::Bool(false), |c| (*c).into()),
            Self::CompanyIds => Value::from(b.company_ids.clone()),
        }
    }
}

/// One literal of the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Null,
    Bool(bool),
    Number(Number),
    Text(String),
    /// A list, or a tuple (shown as one when it is a leaf).
    List(Vec<Term>),
    Placeholder(Placeholder),
}

/// A domain with placeholders: a list of `"&"`, `"|"`, `"!"` and `(field, operator, value)`
/// leaves, well formed (checked once, when parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainTemplate(Vec<Term>);

impl DomainTemplate {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut p = Parser {
            text,
            at: 0,
            depth: 0,
        };
        let term = p.value()?;
        p.blank();
        if p.at < text.len() {
            return Err(format!(
                "unexpected '{}' after the domain",
                validate::truncate(&text[p.at..], 20)
            ));
        }
        let (Term::List(terms), true) = (term, text.trim_start().starts_with('[')) else {
            return Err("a domain is a list: [(field, operator, value), …]".into());
        };
        if terms.is_empty() {
            return Err("the domain is empty: it would confine nothing".into());
        }
        let template = Self(terms);
        // The shape is checked on the domain as Odoo will receive it.
        let sample = Bindings {
            uid: 1,
            company_ids: vec![1],
        };
        validate::domain(&template.bind(&sample))?;
        Ok(template)
    }

    /// The domain for one call: every placeholder replaced by its value.
    pub fn bind(&self, b: &Bindings) -> Vec<Value> {
        self.0.iter().map(|t| t.bind(b)).collect()
    }

    /// Whether binding needs the call's companies.
    pub fn uses_companies(&self) -> bool {
        fn uses(t: &Term) -> bool {
            match t {
                Term::Placeholder(p) => *p != Placeholder::Uid,
                Term::List(items) => items.iter().any(uses),
                _ => false,
            }
        }
        self.0.iter().any(uses)
    }
}

impl Term {
    fn bind(&self, b: &Bindings) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(v) => Value::Bool(*v),
            Self::Number(n) => Value::Number(n.clone()),
            Self::Text(s) => Value::String(s.clone()),
            Self::List(items) => Value::Array(items.iter().map(|t| t.bind(b)).collect()),
            Self::Placeholder(p) => p.bind(b),
        }
    }
}

impl fmt::Display for DomainTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Term::List(self.0.clone()).fmt(f)
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("None"),
            Self::Bool(true) => f.write_str("True"),
            Self::Bool(false) => f.write_str("False"),
            Self::Number(n) => write!(f, "{n}"),
            Self::Text(s) => write!(f, "{}", Value::String(s.clone())),
            Self::Placeholder(p) => f.write_str(p.name()),
            Self::List(items) => {
                // A leaf reads as Odoo's documentation writes it: a tuple.
                let leaf = items.len() == 3 && matches!(items[0], Self::Text(_));
                let (open, close) = if leaf { ("(", ")") } else { ("[", "]") };
                f.write_str(open)?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    item.fmt(f)?;
                }
                f.write_str(close)
            }
        }
    }
}

/// A small recursive-descent reader of Python and JSON literals.
struct Parser<'a> {
    text: &'a str,
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    const MAX_DEPTH: usize = 16;

    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn blank(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    fn value(&mut self) -> Result<Term, String> {
        self.blank();
        let rest = self.rest();
        match rest.chars().next() {
            None => Err("the domain ends too early".into()),
            Some(open @ ('[' | '(')) => self.list(if open == '[' { ']' } else { ')' }),
            Some(quote @ ('"' | '\'')) => self.text(quote).map(Term::Text),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => self.word(),
            Some(c) => Err(format!("unexpected '{c}' in the domain")),
        }
    }

    fn list(&mut self, close: char) -> Result<Term, String> {
        self.depth += 1;
        if self.depth > Self::MAX_DEPTH {
            return Err("the domain nests too deeply".into());
        }
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.blank();
            if self.rest().starts_with(close) {
                self.at += 1;
                break;
            }
            items.push(self.value()?);
            self.blank();
            match self.rest().chars().next() {
                Some(',') => self.at += 1,
                Some(c) if c == close => {}
                _ => return Err(format!("expected ',' or '{close}' in the domain")),
            }
        }
        self.depth -= 1;
        Ok(Term::List(items))
    }

    fn text(&mut self, quote: char) -> Result<String, String> {
        self.at += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.at += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let (_, escaped) = chars.next().ok_or("a string ends in a backslash")?;
                    out.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'u' => {
                            let hex: String = (0..4)
                                .filter_map(|_| chars.next())
                                .map(|(_, c)| c)
                                .collect();
                            u32::from_str_radix(&hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| format!("'\\u{hex}' is not a character"))?
                        }
                        other => other,
                    });
                }
                c => out.push(c),
            }
        }
        Err("a string in the domain is not closed".into())
    }

    fn number(&mut self) -> Result<Term, String> {
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && *c == '-')))
            .map_or(rest.len(), |(i, _)| i);
        let literal = &rest[..len];
        let number = literal
            .parse::<i64>()
            .map(Number::from)
            .ok()
            .or_else(|| literal.parse::<f64>().ok().and_then(Number::from_f64))
            .ok_or_else(|| format!("'{literal}' is not a number"))?;
        self.at += len;
        Ok(Term::Number(number))
    }

    fn word(&mut self) -> Result<Term, String> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let word = rest[..len].to_owned();
        self.at += len;
        Ok(match word.as_str() {
            "True" | "true" => Term::Bool(true),
            "False" | "false" => Term::Bool(false),
            "None" | "null" => Term::Null,
            _ => Term::Placeholder(
                Placeholder::ALL
                    .into_iter()
                    .find(|p| p.name() == word)
                    .ok_or_else(|| {
                        format!(
                            "'{}' is not a value: quote text, or use the placeholders uid, company_id, company_ids",
                            validate::truncate(&word, 30)
                        )
                    })?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bindings() -> Bindings {
        Bindings {
            uid: 6,
            company_ids: vec![2, 1],
        }
    }

    #[test]
    fn python_and_json_read_alike_and_placeholders_bind_per_call() {
        let python = DomainTemplate::parse(
            "[('user_id', '=', uid), '|', (\"company_id\", 'in', company_ids), ('active', '=', True)]",
        )
        .unwrap();
        assert_eq!(
            python.bind(&bindings()),
            [
                json!(["user_id", "=", 6]),
                json!("|"),
                json!(["company_id", "in", [2, 1]]),
                json!(["active", "=", true]),
            ]
        );
        assert_eq!(
            python.to_string(),
            "[(\"user_id\", \"=\", uid), \"|\", (\"company_id\", \"in\", company_ids), (\"active\", \"=\", True)]"
        );
        assert_eq!(DomainTemplate::parse(&python.to_string()).unwrap(), python);
        let json = DomainTemplate::parse(
            r#"[["name", "ilike", "a\"b"], ["x", ">", -1.5], ["y", "=", null]]"#,
        )
        .unwrap();
        assert_eq!(json.bind(&bindings())[0], json!(["name", "ilike", "a\"b"]));
        assert_eq!(DomainTemplate::parse(&json.to_string()).unwrap(), json);
        assert!(python.uses_companies());
        assert!(
            !DomainTemplate::parse("[('user_id', '=', uid)]")
                .unwrap()
                .uses_companies()
        );
        let current = DomainTemplate::parse("[('company_id', '=', company_id)]").unwrap();
        assert_eq!(current.bind(&bindings())[0], json!(["company_id", "=", 2]));
    }

    #[test]
    fn each_mistake_is_named() {
        for (text, expected) in [
            ("", "ends too early"),
            ("[]", "is empty"),
            ("('a', '=', 1)", "a domain is a list"),
            ("[('a', '=', 1)", "expected ','"),
            ("[('a', '=', user)]", "'user' is not a value"),
            ("[('a', '=', 'x)]", "not closed"),
            ("[('a', 'equals', 1)]", "unknown operator"),
            ("['|', ('a', '=', 1)]", "missing its operands"),
            ("[('a b', '=', 1)]", "not a field name"),
            ("[('a', '=', 1)] x", "after the domain"),
            ("[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]", "too deeply"),
        ] {
            let err = DomainTemplate::parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
