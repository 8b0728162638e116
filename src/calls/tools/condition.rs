//! The conditions of Odoo form views, evaluated against one record as the web client does:
//! 17+'s Python expressions (`invisible="state not in ('draft', 'sent') or not id"`) and 16's
//! `attrs` domains and `states` lists. Only literals, field names, `not`/`and`/`or`,
//! comparisons and `in` are understood; anything else (`context.get(…)`, `parent.x`, calls)
//! makes the condition unknown rather than guessed.

use serde_json::Value as Json;

/// A value of a view expression.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    None,
    Bool(bool),
    Number(f64),
    Str(String),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
}

/// Why a condition could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unknown(pub String);

impl Value {
    pub(super) fn truthy(&self) -> bool {
        match self {
            Self::None => false,
            Self::Bool(b) => *b,
            Self::Number(n) => *n != 0.0,
            Self::Str(s) => !s.is_empty(),
            Self::List(items) => !items.is_empty(),
            Self::Dict(items) => !items.is_empty(),
        }
    }

    /// A field value as `read` returns it, as the web client sees it: a many2one is its id,
    /// `false` is false (Odoo's empty), an x2many its list of ids.
    pub(super) fn from_field(json: &Json) -> Self {
        match json {
            Json::Null => Self::None,
            Json::Bool(b) => Self::Bool(*b),
            Json::Number(n) => Self::Number(n.as_f64().unwrap_or_default()),
            Json::String(s) => Self::Str(s.clone()),
            Json::Array(items) => match items.as_slice() {
                [Json::Number(id), Json::String(_)] => {
                    Self::Number(id.as_f64().unwrap_or_default())
                }
                _ => Self::List(items.iter().map(Self::from_field).collect()),
            },
            Json::Object(_) => Self::None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Str(String),
    Number(f64),
    Op(&'static str),
}

fn tokens(text: &str) -> Result<Vec<Token>, Unknown> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let mut s = String::new();
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                s.push(chars[i]);
                i += 1;
            }
            if i >= chars.len() {
                return Err(Unknown("an unclosed string".into()));
            }
            i += 1;
            out.push(Token::Str(s));
        } else if c.is_ascii_digit()
            || (c == '-'
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                && !matches!(
                    out.last(),
                    Some(Token::Name(_) | Token::Number(_) | Token::Str(_))
                        | Some(Token::Op(")" | "]"))
                ))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let n: String = chars[start..i].iter().collect();
            out.push(Token::Number(
                n.parse().map_err(|_| Unknown(format!("the number {n}")))?,
            ));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            out.push(Token::Name(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = ["==", "!=", "<=", ">=", "<>"]
                .into_iter()
                .find(|op| *op == two);
            if let Some(op) = op {
                out.push(Token::Op(op));
                i += 2;
                continue;
            }
            let op = ["<", ">", "(", ")", "[", "]", "{", "}", ",", ":"]
                .into_iter()
                .find(|op| op.starts_with(c))
                .ok_or_else(|| Unknown(format!("the character '{c}'")))?;
            out.push(Token::Op(op));
            i += 1;
        }
    }
    Ok(out)
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Literal(Value),
    Name(String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(Box<Expr>, &'static str, Box<Expr>),
    List(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn is_name(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Name(n)) if n == word)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Token::Op(o)) if *o == op)
    }

    fn expect(&mut self, op: &str) -> Result<(), Unknown> {
        if self.is_op(op) {
            self.at += 1;
            Ok(())
        } else {
            Err(Unknown(format!("'{op}' expected")))
        }
    }

    fn or(&mut self) -> Result<Expr, Unknown> {
        let mut left = self.and()?;
        while self.is_name("or") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, Unknown> {
        let mut left = self.not()?;
        while self.is_name("and") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, Unknown> {
        if self.is_name("not") {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Expr, Unknown> {
        let mut left = self.atom()?;
        loop {
            let op = match self.peek() {
                Some(Token::Op(op @ ("==" | "!=" | "<" | ">" | "<=" | ">=" | "<>"))) => *op,
                Some(Token::Name(n)) if n == "in" => "in",
                Some(Token::Name(n)) if n == "not" => {
                    if !matches!(self.tokens.get(self.at + 1), Some(Token::Name(n)) if n == "in") {
                        return Ok(left);
                    }
                    self.at += 1;
                    "not in"
                }
                Some(Token::Name(n)) if n == "is" => {
                    if matches!(self.tokens.get(self.at + 1), Some(Token::Name(n)) if n == "not") {
                        self.at += 1;
                        "!="
                    } else {
                        "=="
                    }
                }
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.atom()?;
            left = Expr::Compare(
                Box::new(left),
                if op == "<>" { "!=" } else { op },
                Box::new(right),
            );
        }
    }

    fn items(&mut self, close: &str) -> Result<Vec<Expr>, Unknown> {
        let mut items = Vec::new();
        while !self.is_op(close) {
            items.push(self.or()?);
            if !self.is_op(close) {
                self.expect(",")?;
            }
        }
        self.expect(close)?;
        Ok(items)
    }

    fn atom(&mut self) -> Result<Expr, Unknown> {
        let token = self
            .peek()
            .cloned()
            .ok_or_else(|| Unknown("an expression ends early".into()))?;
        self.at += 1;
        let atom = match token {
            Token::Str(s) => Expr::Literal(Value::Str(s)),
            Token::Number(n) => Expr::Literal(Value::Number(n)),
            Token::Name(n) => match n.as_str() {
                "True" | "true" => Expr::Literal(Value::Bool(true)),
                "False" | "false" => Expr::Literal(Value::Bool(false)),
                "None" => Expr::Literal(Value::None),
                _ => Expr::Name(n),
            },
            Token::Op("(") => {
                let mut items = self.items(")")?;
                if items.len() == 1 {
                    items.remove(0)
                } else {
                    Expr::List(items)
                }
            }
            Token::Op("[") => Expr::List(self.items("]")?),
            Token::Op("{") => {
                let mut pairs = Vec::new();
                while !self.is_op("}") {
                    let key = self.or()?;
                    self.expect(":")?;
                    pairs.push((key, self.or()?));
                    if !self.is_op("}") {
                        self.expect(",")?;
                    }
                }
                self.expect("}")?;
                Expr::Dict(pairs)
            }
            Token::Op(op) => return Err(Unknown(format!("'{op}' where a value was expected"))),
        };
        if self.is_op("(") || self.is_op("[") {
            return Err(Unknown("a call or an index".into()));
        }
        Ok(atom)
    }
}

fn parse(text: &str) -> Result<Expr, Unknown> {
    let mut parser = Parser {
        tokens: tokens(text)?,
        at: 0,
    };
    let expr = parser.or()?;
    if parser.at != parser.tokens.len() {
        return Err(Unknown("more after the expression".into()));
    }
    Ok(expr)
}

/// The field names an expression reads (dotted names and unknowns included: the caller keeps
/// the model's own).
pub(super) fn names(text: &str) -> Vec<String> {
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match e {
            Expr::Name(n) if !out.contains(n) => out.push(n.clone()),
            Expr::Not(a) => walk(a, out),
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Compare(a, _, b) => {
                walk(a, out);
                walk(b, out);
            }
            Expr::List(items) => items.iter().for_each(|i| walk(i, out)),
            Expr::Dict(pairs) => pairs.iter().for_each(|(k, v)| {
                walk(k, out);
                walk(v, out);
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(e) = parse(text) {
        walk(&e, &mut out);
    }
    // 16's domains name their fields as strings.
    if let Ok(Value::List(leaves)) = literal(text).map(|v| match v {
        Value::Dict(pairs) => pairs
            .into_iter()
            .map(|(_, v)| v)
            .next()
            .unwrap_or(Value::None),
        other => other,
    }) {
        for leaf in leaves {
            if let Value::List(parts) = leaf
                && let Some(Value::Str(field)) = parts.first()
                && !out.contains(field)
            {
                out.push(field.clone());
            }
        }
    }
    out
}

/// Evaluates `text` with `lookup` giving each name's value.
pub(super) fn eval(text: &str, lookup: &dyn Fn(&str) -> Option<Value>) -> Result<Value, Unknown> {
    eval_expr(&parse(text)?, lookup)
}

/// A literal expression (`"{'validate_analytic': True}"`), with no names.
pub(super) fn literal(text: &str) -> Result<Value, Unknown> {
    eval(text, &|_| None)
}

fn eval_expr(e: &Expr, lookup: &dyn Fn(&str) -> Option<Value>) -> Result<Value, Unknown> {
    Ok(match e {
        Expr::Literal(v) => v.clone(),
        Expr::Name(n) => lookup(n).ok_or_else(|| Unknown(format!("the name '{n}'")))?,
        Expr::Not(a) => Value::Bool(!eval_expr(a, lookup)?.truthy()),
        Expr::And(a, b) => {
            let left = eval_expr(a, lookup)?;
            if left.truthy() {
                eval_expr(b, lookup)?
            } else {
                left
            }
        }
        Expr::Or(a, b) => {
            let left = eval_expr(a, lookup)?;
            if left.truthy() {
                left
            } else {
                eval_expr(b, lookup)?
            }
        }
        Expr::Compare(a, op, b) => {
            Value::Bool(compare(&eval_expr(a, lookup)?, op, &eval_expr(b, lookup)?)?)
        }
        Expr::List(items) => Value::List(
            items
                .iter()
                .map(|i| eval_expr(i, lookup))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Dict(pairs) => Value::Dict(
            pairs
                .iter()
                .map(|(k, v)| Ok((eval_expr(k, lookup)?, eval_expr(v, lookup)?)))
                .collect::<Result<_, Unknown>>()?,
        ),
    })
}

fn compare(a: &Value, op: &str, b: &Value) -> Result<bool, Unknown> {
    let ordered = |f: fn(std::cmp::Ordering) -> bool| match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.partial_cmp(y).map(f).ok_or_else(|| Unknown("NaN".into()))
        }
        (Value::Str(x), Value::Str(y)) => Ok(f(x.cmp(y))),
        _ => Err(Unknown(format!("ordering {a:?} and {b:?}"))),
    };
    match op {
        "==" | "=" => Ok(a == b),
        "!=" => Ok(a != b),
        "<" => ordered(|o| o.is_lt()),
        ">" => ordered(|o| o.is_gt()),
        "<=" => ordered(|o| o.is_le()),
        ">=" => ordered(|o| o.is_ge()),
        "in" | "not in" => {
            let found = match b {
                Value::List(items) => items.contains(a),
                Value::Str(s) => matches!(a, Value::Str(x) if s.contains(x.as_str())),
                _ => return Err(Unknown(format!("'in' on {b:?}"))),
            };
            Ok(found == (op == "in"))
        }
        other => Err(Unknown(format!("the operator {other}"))),
    }
}

/// Evaluates an Odoo 16 domain (a list of `(field, operator, value)` leaves and `'|'`, `'&'`,
/// `'!'` prefixes) against a record.
pub(super) fn domain_holds(
    domain: &Value,
    lookup: &dyn Fn(&str) -> Option<Value>,
) -> Result<bool, Unknown> {
    let Value::List(items) = domain else {
        return Err(Unknown("a domain that is not a list".into()));
    };
    let mut stack: Vec<bool> = Vec::new();
    for item in items.iter().rev() {
        match item {
            Value::Str(op) if op == "!" => {
                let top = stack.pop().ok_or_else(|| Unknown("a bad domain".into()))?;
                stack.push(!top);
            }
            Value::Str(op) if op == "|" || op == "&" => {
                let (x, y) = (stack.pop(), stack.pop());
                let (Some(x), Some(y)) = (x, y) else {
                    return Err(Unknown("a bad domain".into()));
                };
                stack.push(if op == "|" { x || y } else { x && y });
            }
            Value::List(leaf) => {
                let [Value::Str(field), Value::Str(op), value] = leaf.as_slice() else {
                    return Err(Unknown("a bad domain leaf".into()));
                };
                let current =
                    lookup(field).ok_or_else(|| Unknown(format!("the field '{field}'")))?;
                // An empty field is False in a domain's eyes.
                let current = match current {
                    Value::None => Value::Bool(false),
                    other => other,
                };
                stack.push(compare(&current, op, value)?);
            }
            other => return Err(Unknown(format!("the domain item {other:?}"))),
        }
    }
    Ok(stack.into_iter().all(|b| b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str) -> Option<Value> {
        match name {
            "state" => Some(Value::Str("draft".into())),
            "id" => Some(Value::Number(7.0)),
            "locked" => Some(Value::Bool(false)),
            "invoice_count" => Some(Value::Number(0.0)),
            "authorized_transaction_ids" => Some(Value::List(vec![])),
            _ => None,
        }
    }

    fn holds(text: &str) -> Result<bool, Unknown> {
        eval(text, &record).map(|v| v.truthy())
    }

    #[test]
    fn the_conditions_of_real_sale_order_forms_evaluate() {
        assert_eq!(holds("state != 'draft'"), Ok(false));
        assert_eq!(holds("state not in ('sent', 'sale')"), Ok(true));
        assert_eq!(
            holds("state not in ['draft', 'sent', 'sale'] or not id or locked"),
            Ok(false)
        );
        assert_eq!(holds("invoice_count == 0"), Ok(true));
        assert_eq!(holds("not authorized_transaction_ids"), Ok(true));
        assert_eq!(holds("state == 'draft' and invoice_count > -1"), Ok(true));
        assert!(holds("context.get('x')").is_err());
        assert!(
            holds("parent.id").is_err(),
            "an unknown name is not guessed"
        );
        assert!(holds("state ==").is_err());
    }

    #[test]
    fn odoo_16_attrs_and_contexts_are_literals_and_domains() {
        let attrs = literal("{'invisible': [('state', 'not in', ['draft']), '|', ('locked', '=', True), ('id', '=', False)]}").unwrap();
        let Value::Dict(pairs) = &attrs else { panic!() };
        assert_eq!(pairs[0].0, Value::Str("invisible".into()));
        assert_eq!(domain_holds(&pairs[0].1, &record), Ok(false));
        let shown = literal("['|', ('state', '=', 'draft'), ('locked', '=', True)]").unwrap();
        assert_eq!(domain_holds(&shown, &record), Ok(true));
        assert_eq!(
            literal("{'validate_analytic': True}").unwrap(),
            Value::Dict(vec![(
                Value::Str("validate_analytic".into()),
                Value::Bool(true)
            )])
        );
        assert_eq!(names("state != 'draft' or not id"), ["state", "id"]);
        assert_eq!(names("{'invisible': [('locked', '=', True)]}"), ["locked"]);
    }

    #[test]
    fn field_values_are_seen_as_the_web_client_sees_them() {
        assert_eq!(
            Value::from_field(&serde_json::json!([3, "Azure"])),
            Value::Number(3.0)
        );
        assert_eq!(
            Value::from_field(&serde_json::json!(false)),
            Value::Bool(false)
        );
        assert_eq!(
            Value::from_field(&serde_json::json!([1, 2, 3])),
            Value::List(vec![
                Value::Number(1.0),
                Value::Number(2.0),
                Value::Number(3.0)
            ])
        );
    }
}
