//! The buttons of an Odoo form view: its `<button type="object">` elements outside embedded
//! x2many views, with their label as Odoo shows it and the condition that hides them (17+'s
//! `invisible` expression, or 16's `attrs` / `states`). Odoo has already removed the buttons
//! of groups the user is not in when it returns the view.

use super::condition::{self, Value};

/// When a button is hidden.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Hidden {
    Never,
    /// A Python expression (17+).
    When(String),
    /// 16's `attrs` invisible domain and/or `states` list.
    Legacy {
        domain: Option<Value>,
        states: Option<Vec<String>>,
    },
    /// A condition this gateway cannot read.
    Unreadable(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Button {
    /// The method it calls.
    pub name: String,
    pub label: String,
    pub hidden: Hidden,
    /// The confirmation Odoo asks for before pressing it.
    pub confirm: Option<String>,
    /// Highlighted as the form's main action.
    pub primary: bool,
    /// Its `context` attribute, when it is a literal dictionary.
    pub context: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The object buttons of `arch`, in document order.
/// The form's own `tag` elements: not those of an embedded list or form (order lines …),
/// whose buttons act on those records and whose fields are theirs.
fn own<'a, 'input>(
    doc: &'a roxmltree::Document<'input>,
    tag: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    doc.descendants().filter(move |n| {
        n.has_tag_name(tag) && !n.ancestors().skip(1).any(|a| a.has_tag_name("field"))
    })
}

/// The names of the form's own fields, in the order the form shows them (none when the view
/// is not XML).
pub(super) fn field_names(arch: &str) -> Vec<String> {
    let Ok(doc) = roxmltree::Document::parse(arch) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for name in own(&doc, "field").filter_map(|n| n.attribute("name")) {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    }
    out
}

pub(super) fn buttons(arch: &str) -> Result<Vec<Button>, String> {
    let doc =
        roxmltree::Document::parse(arch).map_err(|e| format!("the form view is not XML: {e}"))?;
    let mut out = Vec::new();
    for node in own(&doc, "button") {
        if node.attribute("type") != Some("object") {
            continue;
        }
        let Some(name) = node.attribute("name").filter(|n| !n.is_empty()) else {
            continue;
        };
        let text: String = node
            .descendants()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect::<Vec<_>>()
            .join(" ");
        let label = [
            node.attribute("string"),
            node.attribute("title"),
            Some(text.trim()),
        ]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(name)
        .to_owned();
        let class = node.attribute("class").unwrap_or_default();
        out.push(Button {
            name: name.to_owned(),
            label,
            hidden: hidden(&node),
            confirm: node.attribute("confirm").map(str::to_owned),
            primary: class
                .split_whitespace()
                .any(|c| c == "oe_highlight" || c == "btn-primary"),
            context: node.attribute("context").and_then(literal_context),
        });
    }
    Ok(out)
}

fn hidden(node: &roxmltree::Node<'_, '_>) -> Hidden {
    // Odoo 16 hands views out with `attrs` and `states` folded into a JSON `modifiers`.
    if let Some(modifiers) = node.attribute("modifiers") {
        return match serde_json::from_str::<serde_json::Value>(modifiers) {
            Ok(m) => match m.get("invisible") {
                None | Some(serde_json::Value::Bool(false)) => Hidden::Never,
                Some(serde_json::Value::Bool(true)) => Hidden::When("True".into()),
                Some(domain @ serde_json::Value::Array(_)) => Hidden::Legacy {
                    domain: Some(from_json(domain)),
                    states: None,
                },
                Some(_) => Hidden::Unreadable(modifiers.to_owned()),
            },
            Err(_) => Hidden::Unreadable(modifiers.to_owned()),
        };
    }
    if let Some(expr) = node.attribute("invisible") {
        return match expr.trim() {
            "1" | "True" | "true" => Hidden::When("True".into()),
            "0" | "False" | "false" | "" => Hidden::Never,
            other => Hidden::When(other.to_owned()),
        };
    }
    let states = node
        .attribute("states")
        .map(|s| s.split(',').map(|s| s.trim().to_owned()).collect());
    let domain = match node.attribute("attrs").map(condition::literal) {
        None => None,
        Some(Ok(Value::Dict(pairs))) => pairs
            .into_iter()
            .find(|(k, _)| *k == Value::Str("invisible".into()))
            .map(|(_, v)| v),
        Some(_) => {
            return Hidden::Unreadable(node.attribute("attrs").unwrap_or_default().to_owned());
        }
    };
    if domain.is_none() && states.is_none() {
        Hidden::Never
    } else {
        Hidden::Legacy { domain, states }
    }
}

/// A JSON domain (16's `modifiers`) as an expression value: lists stay lists.
fn from_json(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Array(items) => Value::List(items.iter().map(from_json).collect()),
        other => Value::from_field(other),
    }
}

/// A `context` attribute that is a literal dictionary, as JSON.
pub(super) fn literal_context(text: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    fn json(v: &Value) -> Option<serde_json::Value> {
        Some(match v {
            Value::None => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Number(n) if n.fract() == 0.0 => (*n as i64).into(),
            Value::Number(n) => (*n).into(),
            Value::Str(s) => s.clone().into(),
            Value::List(items) => items.iter().map(json).collect::<Option<Vec<_>>>()?.into(),
            Value::Dict(_) => return None,
        })
    }
    let Ok(Value::Dict(pairs)) = condition::literal(text) else {
        return None;
    };
    pairs
        .iter()
        .map(|(k, v)| match k {
            Value::Str(k) => Some((k.clone(), json(v)?)),
            _ => None,
        })
        .collect()
}

/// The field names the buttons' conditions read.
pub(super) fn condition_fields(buttons: &[Button]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |names: Vec<String>| {
        for n in names {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    };
    for b in buttons {
        match &b.hidden {
            Hidden::When(expr) => add(condition::names(expr)),
            Hidden::Legacy { domain, states } => {
                if let Some(Value::List(leaves)) = domain {
                    add(leaves
                        .iter()
                        .filter_map(|l| match l {
                            Value::List(parts) => match parts.first() {
                                Some(Value::Str(f)) => Some(f.clone()),
                                _ => None,
                            },
                            _ => None,
                        })
                        .collect());
                }
                if states.is_some() {
                    add(vec!["state".into()]);
                }
            }
            Hidden::Never | Hidden::Unreadable(_) => {}
        }
    }
    out
}

/// Whether `button` is shown for the record `lookup` reads; `Err` when that cannot be known.
pub(super) fn shown(
    button: &Button,
    lookup: &dyn Fn(&str) -> Option<Value>,
) -> Result<bool, String> {
    match &button.hidden {
        Hidden::Never => Ok(true),
        Hidden::When(expr) => condition::eval(expr, lookup)
            .map(|v| !v.truthy())
            .map_err(|e| format!("its condition `{expr}` uses {}", e.0)),
        Hidden::Legacy { domain, states } => {
            if let Some(states) = states {
                let state = lookup("state");
                let in_states = matches!(&state, Some(Value::Str(s)) if states.contains(s));
                if !in_states {
                    return Ok(false);
                }
            }
            match domain {
                Some(domain) => condition::domain_holds(domain, lookup)
                    .map(|hidden| !hidden)
                    .map_err(|e| format!("its attrs use {}", e.0)),
                None => Ok(true),
            }
        }
        Hidden::Unreadable(attrs) => Err(format!("its attrs `{attrs}` cannot be read")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARCH: &str = r#"<form><header>
        <button name="action_confirm" string="Confirm" class="btn-primary" type="object" context="{'validate_analytic': True}" invisible="state != 'draft'"/>
        <button name="action_cancel" type="object" string="Cancel" confirm="Sure?" invisible="state not in ['draft', 'sent', 'sale'] or not id"/>
        <button name="%(some_action)d" type="action" string="Opens"/>
        <button name="action_odd" type="object" string="Odd" invisible="context.get('x')"/>
      </header><sheet>
        <button name="action_view_invoice" type="object" class="oe_stat_button"><span>Invoices</span></button>
        <field name="order_line"><list><button name="line_button" type="object" string="Line"/></list></field>
      </sheet></form>"#;

    fn draft(name: &str) -> Option<Value> {
        match name {
            "state" => Some(Value::Str("draft".into())),
            "id" => Some(Value::Number(4.0)),
            _ => None,
        }
    }

    #[test]
    fn the_forms_object_buttons_are_read_with_their_labels_and_conditions() {
        let found = buttons(ARCH).unwrap();
        let names: Vec<&str> = found.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "action_confirm",
                "action_cancel",
                "action_odd",
                "action_view_invoice"
            ]
        );
        assert!(found[0].primary);
        assert_eq!(
            found[0].context.as_ref().unwrap()["validate_analytic"],
            true
        );
        assert_eq!(found[1].confirm.as_deref(), Some("Sure?"));
        assert_eq!(found[3].label, "Invoices");
        assert_eq!(shown(&found[0], &draft), Ok(true));
        assert_eq!(shown(&found[1], &draft), Ok(true));
        assert!(
            shown(&found[2], &draft)
                .unwrap_err()
                .contains("context.get")
        );
        assert_eq!(condition_fields(&found), ["state", "id"]);
    }

    #[test]
    fn odoo_16_states_and_attrs_are_understood() {
        let arch = r#"<form><header>
            <button name="a" type="object" string="A" states="draft,sent"/>
            <button name="b" type="object" string="B" attrs="{'invisible': [('state', '=', 'draft')]}"/>
        </header></form>"#;
        let found = buttons(arch).unwrap();
        assert_eq!(shown(&found[0], &draft), Ok(true));
        assert_eq!(shown(&found[1], &draft), Ok(false));
        // As Odoo 16 returns them: folded into `modifiers`.
        let served = r#"<form><header>
            <button name="c" type="object" string="C" modifiers='{"invisible": [["state", "not in", ["sent"]]]}'/>
            <button name="d" type="object" string="D" modifiers='{"invisible": false}'/>
        </header></form>"#;
        let found = buttons(served).unwrap();
        assert_eq!(shown(&found[0], &draft), Ok(false));
        assert_eq!(shown(&found[1], &draft), Ok(true));
        assert!(buttons("<form>").is_err());
    }
}
