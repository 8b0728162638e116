//! Odoo domains: parsing the prefix notation (`&`, `|`, `!`, implicit AND) and comparing values. Pure.

use serde_json::Value;

use super::fault::python_repr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    NotIn,
    Like,
    NotLike,
    ILike,
    NotILike,
    EqLike,
    EqILike,
    ChildOf,
    ParentOf,
    Any,
    NotAny,
}

impl Op {
    fn parse(op: &str) -> Option<Op> {
        Some(match op {
            "=" | "==" => Op::Eq,
            "!=" | "<>" => Op::Ne,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "<" => Op::Lt,
            "<=" => Op::Le,
            "in" => Op::In,
            "not in" => Op::NotIn,
            "like" => Op::Like,
            "not like" => Op::NotLike,
            "ilike" => Op::ILike,
            "not ilike" => Op::NotILike,
            "=like" => Op::EqLike,
            "=ilike" => Op::EqILike,
            "child_of" => Op::ChildOf,
            "parent_of" => Op::ParentOf,
            "any" => Op::Any,
            "not any" => Op::NotAny,
            _ => return None,
        })
    }

    /// Negative operators are the negation of a positive one (so they also match NULLs, as in Odoo 17+).
    fn positive(self) -> (Op, bool) {
        match self {
            Op::Ne => (Op::Eq, true),
            Op::NotIn => (Op::In, true),
            Op::NotLike => (Op::Like, true),
            Op::NotILike => (Op::ILike, true),
            op => (op, false),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Leaf {
    /// Dotted field path, e.g. `partner_id.country_id.code`.
    pub path: String,
    pub op: Op,
    pub value: Value,
    /// Python repr of the leaf tuple, for error messages.
    pub repr: String,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Domain {
    True,
    False,
    And(Vec<Domain>),
    Or(Vec<Domain>),
    Not(Box<Domain>),
    Leaf(Leaf),
}

/// Python repr of a leaf as Odoo prints it: a tuple.
fn leaf_repr(items: &[Value]) -> String {
    let parts: Vec<String> = items.iter().map(python_repr).collect();
    format!("({})", parts.join(", "))
}

/// Parse a domain; the error is a ValueError message. `v19` picks the version's wording.
pub(crate) fn parse(value: &Value, v19: bool) -> Result<Domain, String> {
    let items = match value {
        Value::Array(items) => items,
        Value::Null | Value::Bool(false) => return Ok(Domain::True),
        other => return Err(format!("Invalid domain: {}", python_repr(other))),
    };
    // Odoo reads prefix notation right to left with a stack.
    let mut stack: Vec<Domain> = Vec::new();
    for item in items.iter().rev() {
        match item {
            Value::String(op) if op == "!" => {
                let operand = stack.pop().ok_or_else(|| malformed(value))?;
                stack.push(Domain::Not(Box::new(operand)));
            }
            Value::String(op) if op == "&" || op == "|" => {
                let left = stack.pop().ok_or_else(|| malformed(value))?;
                let right = stack.pop().ok_or_else(|| malformed(value))?;
                stack.push(if op == "&" {
                    Domain::And(vec![left, right])
                } else {
                    Domain::Or(vec![left, right])
                });
            }
            Value::Array(leaf) => stack.push(parse_leaf(leaf, v19)?),
            other => {
                let word = if v19 { "condition" } else { "leaf" };
                return Err(format!("Invalid {word} {}", python_repr(other)));
            }
        }
    }
    stack.reverse();
    Ok(match stack.len() {
        0 => Domain::True,
        1 => stack.pop().unwrap_or(Domain::True),
        _ => Domain::And(stack),
    })
}

fn malformed(domain: &Value) -> String {
    format!(
        "Domain {} is syntactically not correct.",
        python_repr(domain)
    )
}

fn parse_leaf(items: &[Value], v19: bool) -> Result<Domain, String> {
    let repr = leaf_repr(items);
    let word = if v19 { "condition" } else { "leaf" };
    let [left, op, right] = items else {
        return Err(format!("Invalid {word} {repr}"));
    };
    // The constant leaves TRUE_LEAF and FALSE_LEAF.
    if let (Value::Number(l), Some("="), Value::Number(r)) = (left, op.as_str(), right) {
        if l.as_i64() == Some(1) && r.as_i64() == Some(1) {
            return Ok(Domain::True);
        }
        if l.as_i64() == Some(0) && r.as_i64() == Some(1) {
            return Ok(Domain::False);
        }
    }
    let Value::String(path) = left else {
        return Err(format!("Invalid {word} {repr}"));
    };
    let op = op
        .as_str()
        .map(str::to_lowercase)
        .and_then(|op| Op::parse(&op))
        .ok_or_else(|| match v19 {
            true => format!("Invalid operator {} in condition {repr}", python_repr(op)),
            false => format!("Invalid leaf {repr}"),
        })?;
    Ok(Domain::Leaf(Leaf {
        path: path.clone(),
        op,
        value: right.clone(),
        repr,
    }))
}

impl Domain {
    /// Evaluate with a leaf evaluator (which resolves field paths against a record).
    pub(crate) fn eval<E>(
        &self,
        leaf: &mut impl FnMut(&Leaf) -> Result<bool, E>,
    ) -> Result<bool, E> {
        Ok(match self {
            Domain::True => true,
            Domain::False => false,
            Domain::Not(inner) => !inner.eval(leaf)?,
            Domain::And(parts) => {
                for part in parts {
                    if !part.eval(leaf)? {
                        return Ok(false);
                    }
                }
                true
            }
            Domain::Or(parts) => {
                for part in parts {
                    if part.eval(leaf)? {
                        return Ok(true);
                    }
                }
                false
            }
            Domain::Leaf(l) => leaf(l)?,
        })
    }

    /// The leaves, to validate their paths before evaluating.
    pub(crate) fn leaves(&self) -> Vec<&Leaf> {
        match self {
            Domain::True | Domain::False => vec![],
            Domain::Not(inner) => inner.leaves(),
            Domain::And(parts) | Domain::Or(parts) => {
                parts.iter().flat_map(Domain::leaves).collect()
            }
            Domain::Leaf(l) => vec![l],
        }
    }
}

/// Does a field, holding `values` (one for a scalar, any number through x2many paths), satisfy `op target`?
pub(crate) fn matches(op: Op, values: &[Value], target: &Value) -> bool {
    let (positive, negate) = op.positive();
    let any = if values.is_empty() {
        compare(positive, &Value::Bool(false), target)
    } else {
        values.iter().any(|value| compare(positive, value, target))
    };
    any != negate
}

fn is_null(value: &Value) -> bool {
    matches!(value, Value::Null | Value::Bool(false))
}

fn equal(value: &Value, target: &Value) -> bool {
    match (value, target) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        // Odoo compares booleans to NULL: `active = False` also matches NULL.
        (a, b) if is_null(a) && is_null(b) => true,
        (a, b) => a == b,
    }
}

fn order(value: &Value, target: &Value) -> Option<std::cmp::Ordering> {
    match (value, target) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => Some(a.as_str().cmp(b.as_str())),
        _ => None,
    }
}

fn compare(op: Op, value: &Value, target: &Value) -> bool {
    use std::cmp::Ordering::{Greater, Less};
    match op {
        Op::Eq => equal(value, target),
        Op::In => match target {
            Value::Array(options) => options.iter().any(|option| equal(value, option)),
            single => equal(value, single),
        },
        Op::Gt => order(value, target) == Some(Greater),
        Op::Ge => matches!(order(value, target), Some(o) if o != Less),
        Op::Lt => order(value, target) == Some(Less),
        Op::Le => matches!(order(value, target), Some(o) if o != Greater),
        Op::Like | Op::ILike | Op::EqLike | Op::EqILike => like(op, value, target),
        _ => false,
    }
}

fn like(op: Op, value: &Value, target: &Value) -> bool {
    let Some(text) = text_of(value) else {
        return false;
    };
    let Some(pattern) = text_of(target) else {
        // `('name', 'ilike', False)` matches unset values in Odoo.
        return is_null(target) && is_null(value);
    };
    let insensitive = matches!(op, Op::ILike | Op::EqILike);
    let (text, pattern) = if insensitive {
        (text.to_lowercase(), pattern.to_lowercase())
    } else {
        (text, pattern)
    };
    match op {
        Op::Like | Op::ILike => sql_like(&text, &format!("%{pattern}%")),
        _ => sql_like(&text, &pattern),
    }
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// SQL LIKE: `%` any run, `_` one character, `\` escapes.
fn sql_like(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    // Dynamic programming over (text position, pattern position); no recursion blow-up.
    let mut reachable = vec![false; text.len() + 1];
    reachable[0] = true;
    let mut p = 0;
    while p < pattern.len() {
        let (token, width) = match pattern[p] {
            '\\' if p + 1 < pattern.len() => (Some(pattern[p + 1]), 2),
            '%' => (None, 1),
            c => (Some(c), 1),
        };
        let mut next = vec![false; text.len() + 1];
        match token {
            None => {
                let mut seen = false;
                for i in 0..=text.len() {
                    seen |= reachable[i];
                    next[i] = seen;
                }
            }
            Some(c) => {
                let any_char = c == '_' && width == 1;
                for i in 0..text.len() {
                    if reachable[i] && (any_char || text[i] == c) {
                        next[i + 1] = true;
                    }
                }
            }
        }
        reachable = next;
        p += width;
    }
    reachable[text.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(domain: &Value, record: &Value) -> bool {
        let parsed = parse(domain, false).unwrap();
        parsed
            .eval(&mut |leaf: &Leaf| -> Result<bool, ()> {
                let value = record
                    .get(&leaf.path)
                    .cloned()
                    .unwrap_or(Value::Bool(false));
                Ok(matches(leaf.op, &[value], &leaf.value))
            })
            .unwrap()
    }

    #[test]
    fn implicit_and_and_prefix_operators() {
        let record = json!({"name": "Azure Interior", "is_company": true, "city": "Fremont"});
        assert!(eval(
            &json!([["is_company", "=", true], ["name", "ilike", "azure"]]),
            &record
        ));
        assert!(!eval(
            &json!([["is_company", "=", true], ["name", "ilike", "deco"]]),
            &record
        ));
        assert!(eval(
            &json!(["|", ["name", "ilike", "deco"], ["city", "=", "Fremont"]]),
            &record
        ));
        assert!(eval(&json!(["!", ["name", "=like", "Deco%"]]), &record));
        assert!(eval(
            &json!([
                "&",
                "|",
                ["city", "=", "x"],
                ["city", "=", "Fremont"],
                ["is_company", "!=", false]
            ]),
            &record
        ));
    }

    #[test]
    fn comparisons_against_false_and_in_lists() {
        let record = json!({"email": false, "customer_rank": 3});
        assert!(eval(&json!([["email", "=", false]]), &record));
        assert!(!eval(&json!([["email", "!=", false]]), &record));
        assert!(eval(&json!([["email", "not ilike", "x"]]), &record));
        assert!(eval(&json!([["customer_rank", "in", [1, 3]]]), &record));
        assert!(eval(&json!([["customer_rank", "not in", [1, 2]]]), &record));
        assert!(eval(
            &json!([["customer_rank", ">=", 3], ["customer_rank", "<", 4.5]]),
            &record
        ));
    }

    #[test]
    fn like_patterns_follow_sql() {
        assert!(sql_like("wood corner", "wood%"));
        assert!(sql_like("wood corner", "w_od%r"));
        assert!(!sql_like("wood corner", "corner%"));
        assert!(sql_like("100%", "100\\%"));
    }

    #[test]
    fn x2many_values_match_any_and_negations_match_none() {
        let ids = [json!(3), json!(7)];
        assert!(matches(Op::Eq, &ids, &json!(7)));
        assert!(!matches(Op::Ne, &ids, &json!(7)));
        assert!(matches(Op::Eq, &[], &json!(false)));
    }

    #[test]
    fn malformed_domains_are_value_errors_with_the_versions_wording() {
        assert_eq!(
            parse(&json!([["a", "=", 1, 2]]), false).unwrap_err(),
            "Invalid leaf ('a', '=', 1, 2)"
        );
        assert!(
            parse(&json!([["a", "~", 1]]), true)
                .unwrap_err()
                .contains("in condition ('a', '~', 1)")
        );
        assert!(parse(&json!(["&", ["a", "=", 1]]), false).is_err());
        assert!(parse(&json!("x"), false).is_err());
        assert_eq!(parse(&json!([[1, "=", 1]]), false).unwrap(), Domain::True);
    }
}
