//! Workflow buttons: `list_actions` shows the buttons a record's form offers this user now
//! (the form view as Odoo gives it to the user, its conditions evaluated on the record), and
//! `run_action` presses one — only one of those. A button that opens a wizard (a window action
//! on a transient model) is answered with the wizard's fields and defaults; a second
//! `run_action` with `wizard` fills it and presses one of its buttons.

use serde_json::{Map, Value, json};

use super::condition::Value as Cond;
use super::form::{self, Button};
use super::{checked, kwargs};
use crate::calls::{ToolContext, ToolError, activity};
use crate::catalog::args::WizardFill;
use crate::catalog::args::{ListActions, RunAction};
use crate::catalog::output::{self, ActionButton, ActionRun, Actions, Unsure, Wizard};
use crate::catalog::validate;

/// A record's form: its buttons, and its values for their conditions.
struct Form {
    buttons: Vec<Button>,
    values: Map<String, Value>,
    id: i64,
    uid: i64,
}

impl Form {
    fn lookup(&self, name: &str) -> Option<Cond> {
        match name {
            "id" => Some(Cond::Number(self.id as f64)),
            "uid" => Some(Cond::Number(self.uid as f64)),
            _ => self.values.get(name).map(Cond::from_field),
        }
    }

    /// The buttons shown now (first of each method), and those whose condition is unknown.
    fn split(&self) -> (Vec<&Button>, Vec<(&Button, String)>) {
        let mut shown: Vec<&Button> = Vec::new();
        let mut unsure = Vec::new();
        for button in &self.buttons {
            match form::shown(button, &|n| self.lookup(n)) {
                Ok(true) if !shown.iter().any(|b| b.name == button.name) => shown.push(button),
                Ok(_) => {}
                Err(why) => unsure.push((button, why)),
            }
        }
        unsure.retain(|(b, _)| !shown.iter().any(|s| s.name == b.name));
        (shown, unsure)
    }
}

/// The form view of `model` as Odoo gives it to this user.
async fn form_view(ctx: &ToolContext<'_>, model: &str) -> Result<(String, Vec<String>), ToolError> {
    let views = ctx
        .call(
            model,
            "get_views",
            None,
            kwargs([("views", Some(json!([[false, "form"]])))]),
        )
        .await?;
    let arch = views["views"]["form"]["arch"]
        .as_str()
        .ok_or_else(|| ToolError::Internal("get_views returned no form arch".into()))?
        .to_owned();
    // The fields the view knows: `{"fields": {name: …}}` (18, 19), or the fields themselves
    // (16, 17).
    let described = &views["models"][model];
    let fields = match described.get("fields").unwrap_or(described) {
        Value::Object(fields) => fields.keys().cloned().collect(),
        _ => Vec::new(),
    };
    Ok((arch, fields))
}

async fn load(ctx: &ToolContext<'_>, model: &str, id: i64) -> Result<Form, ToolError> {
    let (arch, known) = form_view(ctx, model).await?;
    let buttons = form::buttons(&arch).map_err(|e| ToolError::Internal(e.into()))?;
    let fields: Vec<String> = form::condition_fields(&buttons)
        .into_iter()
        .filter(|f| known.contains(f) && f != "id")
        .collect();
    // `read` with no fields would read them all; `id` is always there.
    let fields = if fields.is_empty() {
        vec!["id".to_owned()]
    } else {
        fields
    };
    let rows = ctx
        .call(
            model,
            "read",
            Some(vec![id]),
            kwargs([("fields", Some(json!(fields)))]),
        )
        .await?;
    let values = rows
        .get(0)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| {
            ToolError::NotFound(format!(
                "{model} record {id} does not exist, or this user cannot see it."
            ))
        })?;
    Ok(Form {
        buttons,
        values,
        id,
        uid: ctx.principal.credential.uid,
    })
}

fn described_button(button: &Button) -> ActionButton {
    ActionButton {
        name: button.name.clone(),
        label: button.label.clone(),
        primary: button.primary,
        confirm: button.confirm.clone(),
    }
}

pub(super) async fn list(ctx: &ToolContext<'_>, args: ListActions) -> Result<Value, ToolError> {
    const TOOL: &str = "list_actions";
    let model = checked(TOOL, validate::model(&args.model))?;
    checked(TOOL, validate::ids(&[args.id]))?;
    let form = load(ctx, model, args.id).await?;
    let (shown, unsure) = form.split();
    Ok(output::content(&Actions {
        model: model.to_owned(),
        id: args.id,
        actions: shown.into_iter().map(described_button).collect(),
        unsure: unsure
            .into_iter()
            .map(|(b, why)| Unsure {
                name: b.name.clone(),
                label: b.label.clone(),
                why,
            })
            .collect(),
    }))
}

/// The checks of `run_action` that need no Odoo call.
pub(super) fn check_run(args: &RunAction) -> Result<(), ToolError> {
    const TOOL: &str = "run_action";
    checked(TOOL, validate::model(&args.model))?;
    checked(TOOL, validate::ids(&[args.id]))?;
    checked(
        TOOL,
        validate::field_path(&args.action)
            .map(drop)
            .map_err(|_| format!("'{}' is not a button name", validate::shorten(&args.action))),
    )?;
    if let Some(wizard) = &args.wizard {
        checked(
            TOOL,
            validate::field_path(&wizard.button).map(drop).map_err(|_| {
                format!(
                    "wizard.button: '{}' is not a button name",
                    validate::shorten(&wizard.button)
                )
            }),
        )?;
    }
    Ok(())
}

/// The button `args.action` as the record's form shows it now, or why it may not be pressed.
pub(super) async fn pressable(
    ctx: &ToolContext<'_>,
    args: &RunAction,
) -> Result<Button, ToolError> {
    check_run(args)?;
    let form = load(ctx, &args.model, args.id).await?;
    let (shown, unsure) = form.split();
    if let Some(button) = shown.iter().find(|b| b.name == args.action) {
        return Ok((*button).clone());
    }
    let why = match unsure.iter().find(|(b, _)| b.name == args.action) {
        Some((_, why)) => format!("whether the form shows it cannot be told ({why})"),
        None => "the form of this record does not show it now".to_owned(),
    };
    let offered: Vec<&str> = shown.iter().map(|b| b.name.as_str()).collect();
    Err(ToolError::Refused(format!(
        "The button '{}' cannot be pressed on {} {}: {why}. The buttons shown now: {}.",
        validate::shorten(&args.action),
        args.model,
        args.id,
        if offered.is_empty() {
            "none".to_owned()
        } else {
            offered.join(", ")
        }
    )))
}

pub(super) async fn run(ctx: &ToolContext<'_>, args: RunAction) -> Result<Value, ToolError> {
    let button = pressable(ctx, &args).await?;
    let mut call_kwargs = Map::new();
    if let Some(context) = &button.context {
        call_kwargs.insert("context".into(), Value::Object(context.clone()));
    }
    let result = ctx
        .call(&args.model, &button.name, Some(vec![args.id]), call_kwargs)
        .await?;
    let wizard_model = wizard_of(&result);
    let answer = |done, result, wizard, message: Option<String>| ActionRun {
        model: args.model.clone(),
        id: args.id,
        action: button.name.clone(),
        done,
        result,
        wizard,
        message,
    };
    let answer = match (&args.wizard, wizard_model) {
        (None, None) => answer(true, opened(&result), None, None),
        (None, Some(wizard)) => {
            let (wizard, trouble) = describe_wizard(ctx, wizard, &result).await?;
            let mut message = "The button opened this wizard; nothing is done yet. Call \
                               run_action again with the same model, id and action, and wizard: \
                               {button, values} to fill it and press one of its buttons."
                .to_owned();
            if let Some(trouble) = trouble {
                message.push_str(&format!(
                    " Odoo could not compute the wizard's defaults ({trouble}); give the values \
                     that matter."
                ));
            }
            answer(false, None, Some(wizard), Some(message))
        }
        (Some(fill), Some(wizard)) => {
            let (wizard, pressed) = confirm_wizard(ctx, wizard, &result, fill).await?;
            answer(true, opened(&pressed), Some(wizard), None)
        }
        (Some(_), None) => {
            return Err(ToolError::invalid(
                "run_action",
                format!(
                    "the button '{}' opened no wizard, so wizard is not needed; it ran",
                    button.name
                ),
            ));
        }
    };
    Ok(output::content(&answer))
}

/// The transient model a window action opens in a dialog, if it does.
fn wizard_of(result: &Value) -> Option<String> {
    let action = result.as_object()?;
    (action.get("type")?.as_str()? == "ir.actions.act_window"
        && action.get("target").and_then(Value::as_str) == Some("new"))
    .then(|| action.get("res_model")?.as_str().map(str::to_owned))
    .flatten()
}

/// What a button's answer opens, compactly (a record or a list, another kind of action), or
/// nothing when it answered a plain value (None, True …).
fn opened(result: &Value) -> Option<Map<String, Value>> {
    let action = result.as_object()?;
    let kind = action.get("type")?.as_str()?;
    let mut out = Map::new();
    out.insert("type".into(), json!(kind));
    for key in ["res_model", "res_id", "name", "domain", "url"] {
        if let Some(value) = action
            .get(key)
            .filter(|v| !v.is_null() && **v != json!(false))
        {
            out.insert(key.into(), value.clone());
        }
    }
    Some(out)
}

/// The context the wizard's action gives it (`active_id` …, defaults): a dictionary, or a
/// literal one written as text.
fn action_context(result: &Value) -> Map<String, Value> {
    match &result["context"] {
        Value::Object(context) => context.clone(),
        Value::String(text) => form::literal_context(text).unwrap_or_default(),
        _ => Map::new(),
    }
}

fn check_wizard_model(ctx: &ToolContext<'_>, wizard: &str) -> Result<(), ToolError> {
    if ctx
        .principal
        .connection
        .policy
        .allowed_models
        .allows(wizard)
    {
        Ok(())
    } else {
        Err(ToolError::Refused(format!(
            "Refused by Allowed Models: the button opens the wizard '{wizard}', which is not among this connection's allowed models."
        )))
    }
}

async fn describe_wizard(
    ctx: &ToolContext<'_>,
    wizard: String,
    result: &Value,
) -> Result<(Wizard, Option<String>), ToolError> {
    check_wizard_model(ctx, &wizard)?;
    let context = action_context(result);
    let (arch, _) = form_view(ctx, &wizard).await?;
    let buttons = form::buttons(&arch).map_err(|e| ToolError::Internal(e.into()))?;
    let names = form::field_names(&arch);
    let described = ctx
        .call(
            &wizard,
            "fields_get",
            None,
            kwargs([
                ("allfields", Some(json!(names))),
                (
                    "attributes",
                    Some(json!([
                        "string",
                        "type",
                        "required",
                        "readonly",
                        "selection",
                        "relation"
                    ])),
                ),
            ]),
        )
        .await?;
    // Odoo may fail to compute a default (a template that renders a PDF without wkhtmltopdf):
    // the wizard is still described, and the answer says why its defaults are missing.
    let (defaults, trouble) =
        match super::write::defaults(ctx, &wizard, &names, Some(context)).await {
            Ok(defaults) => (defaults, None),
            Err(ToolError::Odoo(e)) if e.kind().is_some() => (Map::new(), Some(e.client_message())),
            Err(e) => return Err(e),
        };
    let described = Wizard {
        model: wizard,
        title: result["name"].as_str().map(str::to_owned),
        fields: described.as_object().cloned().unwrap_or_default(),
        defaults,
        buttons: buttons.iter().map(described_button).collect(),
    };
    Ok((described, trouble))
}

/// Fills the wizard with `fill.values` and presses `fill.button`; the wizard, and what the
/// button answered.
async fn confirm_wizard(
    ctx: &ToolContext<'_>,
    wizard: String,
    result: &Value,
    fill: &WizardFill,
) -> Result<(Wizard, Value), ToolError> {
    check_wizard_model(ctx, &wizard)?;
    let context = action_context(result);
    let (arch, _) = form_view(ctx, &wizard).await?;
    let buttons = form::buttons(&arch).map_err(|e| ToolError::Internal(e.into()))?;
    let Some(button) = buttons.iter().find(|b| b.name == fill.button) else {
        let offered: Vec<&str> = buttons.iter().map(|b| b.name.as_str()).collect();
        return Err(ToolError::invalid(
            "run_action",
            format!(
                "wizard.button: the wizard {wizard} has no button '{}'; it has: {}",
                validate::shorten(&fill.button),
                offered.join(", ")
            ),
        ));
    };
    let mut create_kwargs = Map::new();
    create_kwargs.insert(
        "vals_list".into(),
        json!([fill.values.clone().unwrap_or_default()]),
    );
    create_kwargs.insert("context".into(), Value::Object(context.clone()));
    let created = ctx.call(&wizard, "create", None, create_kwargs).await?;
    let wizard_id = activity::first_id(&created)
        .ok_or_else(|| ToolError::Internal("the wizard was not created".into()))?;
    let mut press_context = context;
    if let Some(extra) = &button.context {
        press_context.extend(extra.clone());
    }
    let mut press_kwargs = Map::new();
    press_kwargs.insert("context".into(), Value::Object(press_context));
    let pressed = ctx
        .call(&wizard, &button.name, Some(vec![wizard_id]), press_kwargs)
        .await?;
    let done = Wizard {
        model: wizard,
        title: None,
        fields: Map::new(),
        defaults: Map::new(),
        buttons: vec![described_button(button)],
    };
    Ok((done, pressed))
}
