//! The policy check: a call walked through the governance pipeline without calling Odoo nor
//! counting anything, step by step, with the rule that decides it. Each step asks the same
//! decision function the pipeline asks, so the check and the call agree; what only Odoo can
//! answer (the models a dotted path reaches, which ids match a Record limit) is named as checked
//! when the call is made.

use std::net::IpAddr;

use serde_json::{Map, Value};

use super::rate_limit::{Bucket, Limits, Window};
use super::{
    Decider, Denial, budgets, companies, decider, fields, ip, models, operations, records,
};
use crate::catalog::{self, ToolSpec};
use crate::connections::{self, Connection};
use crate::settings::{self, ServerSettings};
use crate::values::Bindings;

/// What is asked: a connection, a tool and its arguments, and optionally the client's address.
pub struct Question<'a> {
    pub connection: &'a Connection,
    /// The Odoo user id the connection acts as (from its linked user), for Record limits.
    pub odoo_uid: Option<i64>,
    pub settings: &'a ServerSettings,
    pub tool: &'a str,
    pub arguments: &'a Map<String, Value>,
    pub client_ip: Option<IpAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The step lets the call through.
    Pass,
    /// The step refuses the call: the decision.
    Refused,
    /// The call is held for approval: the decision.
    Held,
    /// Part of the step is decided with Odoo's answers when the call is made.
    AtCall,
    /// The step does not concern this call.
    Skipped,
}

impl Verdict {
    /// A one-word key, for styles and scripts.
    pub fn key(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Refused => "refused",
            Self::Held => "held",
            Self::AtCall => "at-call",
            Self::Skipped => "skipped",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Refused => "refused",
            Self::Held => "held",
            Self::AtCall => "checked when called",
            Self::Skipped => "not applicable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub rule: &'static str,
    pub verdict: Verdict,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The steps up to the one that decided.
    pub steps: Vec<Step>,
    /// One sentence: allowed, held, or the refusal's own text.
    pub decision: String,
}

impl Explanation {
    /// The step that refused or held the call, if one did.
    pub fn decided_by(&self) -> Option<&Step> {
        self.steps
            .iter()
            .find(|s| matches!(s.verdict, Verdict::Refused | Verdict::Held))
    }
}

/// The call to check, from a tool name and its arguments as JSON text, or from a pasted
/// JSON-RPC `tools/call` request (which wins when given).
pub fn read_call(
    tool: &str,
    arguments: &str,
    request: &str,
) -> Result<(String, Map<String, Value>), String> {
    let object = |text: &str, what: &str| match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("{what} must be a JSON object.")),
        Err(e) => Err(format!("{what} are not JSON: {e}.")),
    };
    if !request.trim().is_empty() {
        let request = object(request, "The request")?;
        if request.get("method").and_then(Value::as_str) != Some("tools/call") {
            return Err(
                "The request is not a tools/call (its \"method\" must be \"tools/call\").".into(),
            );
        }
        let params = request.get("params").and_then(Value::as_object);
        let name = params.and_then(|p| p.get("name")).and_then(Value::as_str);
        let Some(name) = name else {
            return Err("The request names no tool (params.name).".into());
        };
        let arguments = match params.and_then(|p| p.get("arguments")) {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(_) => return Err("params.arguments must be a JSON object.".into()),
        };
        return Ok((name.to_owned(), arguments));
    }
    let tool = tool.trim();
    if tool.is_empty() {
        return Err("Name a tool, or paste a tools/call request.".into());
    }
    let arguments = if arguments.trim().is_empty() {
        Map::new()
    } else {
        object(arguments, "The arguments")?
    };
    Ok((tool.to_owned(), arguments))
}

/// Walks `q` through the pipeline; stops at the first step that refuses or holds the call.
pub fn explain(q: &Question<'_>) -> Explanation {
    let mut steps = Vec::new();
    let outcome = walk(q, &mut steps);
    let decision = match outcome {
        Ok(()) => format!(
            "Allowed: the call would run in Odoo as {}.",
            q.connection
                .user_login
                .as_deref()
                .unwrap_or("the connection's user")
        ),
        Err(text) => text,
    };
    Explanation { steps, decision }
}

/// Records each step; `Err` carries the decision of the step that ended the walk.
fn walk(q: &Question<'_>, steps: &mut Vec<Step>) -> Result<(), String> {
    let mut step = |rule, verdict, detail: String| -> Result<(), String> {
        let ends = matches!(verdict, Verdict::Refused | Verdict::Held);
        steps.push(Step {
            rule,
            verdict,
            detail: detail.clone(),
        });
        if ends { Err(detail) } else { Ok(()) }
    };
    let refusal = |rule, denial: Denial| (rule, Verdict::Refused, denial.to_string());
    let c = q.connection;
    let policy = &c.policy;

    // 1–4: what the `/mcp` guard decides before any tool is known.
    if q.settings.mcp_enabled {
        step(
            "Master switch",
            Verdict::Pass,
            "The MCP server is on.".into(),
        )?;
    } else {
        step(
            "Master switch",
            Verdict::Refused,
            settings::SWITCHED_OFF.into(),
        )?;
    }
    match (c.revoked_at, &c.user_login) {
        (Some(_), _) => step("Connection", Verdict::Refused, connections::REVOKED.into())?,
        (None, None) => step(
            "Connection",
            Verdict::Refused,
            connections::NO_LINKED_USER.into(),
        )?,
        (None, Some(login)) => step(
            "Connection",
            Verdict::Pass,
            format!(
                "Active; acts as the Odoo user {login} ({}).",
                c.scope.label()
            ),
        )?,
    }
    match q.client_ip {
        None => step(
            "IP restrictions",
            Verdict::Skipped,
            "No client address given.".into(),
        )?,
        Some(addr) => match ip::check(addr, &policy.allowed_ips, &policy.blocked_ips) {
            Ok(()) => step(
                "IP restrictions",
                Verdict::Pass,
                format!("{addr} may connect."),
            )?,
            Err(refused) => step("IP restrictions", Verdict::Refused, refused.to_string())?,
        },
    }
    let limits = Limits::effective(policy, q.settings);
    step(
        "Rate limits",
        Verdict::Pass,
        format!(
            "{} requests per minute, {} per day (a check counts nothing).",
            limits.per_minute, limits.per_day
        ),
    )?;

    // 5–7: the tool, its models and fields, and whether it is held.
    let Some(spec) = catalog::find(q.tool) else {
        return step(
            "Tool",
            Verdict::Refused,
            catalog::unknown_tool(&catalog::validate::shorten(q.tool)),
        );
    };
    match super::tool_decision(c, spec) {
        Ok(()) => step(
            "Read Only & Allowed Tools",
            Verdict::Pass,
            format!("{} is allowed.", spec.name),
        )?,
        Err(denial) => {
            let (rule, verdict, detail) = refusal("Read Only & Allowed Tools", denial);
            step(rule, verdict, detail)?;
        }
    }
    let model = q.arguments.get("model").and_then(Value::as_str);
    model_steps(q, spec, model, &mut step)?;

    // 8: the arguments, the companies, the records named.
    let parsed = match spec.tool.parse(q.arguments.clone()) {
        Ok(parsed) => {
            step(
                "Arguments",
                Verdict::Pass,
                "They read as the tool's.".into(),
            )?;
            parsed
        }
        Err(bad) => {
            return step(
                "Arguments",
                Verdict::Refused,
                catalog::invalid_arguments(spec.name, &bad.0),
            );
        }
    };
    let acts_in = match companies::decide(c, parsed.companies) {
        Ok(companies) => companies,
        Err(denial) => {
            let (rule, verdict, detail) = refusal("Allowed Companies", denial);
            return step(rule, verdict, detail);
        }
    };
    let company_ids = acts_in.context_ids().map(<[i64]>::to_vec);
    step(
        "Allowed Companies",
        Verdict::Pass,
        match &company_ids {
            Some(ids) => format!("Acts in the companies {ids:?}, the first being the current one."),
            None => "Acts in the Odoo user's default companies.".into(),
        },
    )?;
    record_steps(q, spec, model, company_ids, &mut step)?;

    // 9: the budgets, and the approval gate.
    let rules = budgets::rules(policy, spec, q.arguments);
    if rules.is_empty() {
        step(
            "Write budget & Tool limits",
            Verdict::Skipped,
            "No budget applies to this call.".into(),
        )?;
    } else {
        let spent: Vec<String> = rules
            .iter()
            .map(|r| {
                let what = match r.bucket {
                    Bucket::Writes => "calls that change data".to_owned(),
                    Bucket::Tool(tool) => format!("calls of {}", tool.spec().name),
                    Bucket::Requests => "requests".to_owned(),
                };
                let per = match r.window {
                    Window::Minute => "minute",
                    Window::Day => "day",
                };
                format!("{} {what} per {per}", r.limit)
            })
            .collect();
        step(
            "Write budget & Tool limits",
            Verdict::Pass,
            format!(
                "Counts against: {} (a check spends nothing).",
                spent.join("; ")
            ),
        )?;
    }
    match decider(c, spec, q.arguments) {
        Some(Decider::Approver) => {
            return step(
                "Approvals",
                Verdict::Held,
                format!(
                    "Held for approval: {} is among the tools that need approval; the AI gets an approval id to poll.",
                    spec.name
                ),
            );
        }
        Some(Decider::Chat) => {
            return step(
                "Approvals",
                Verdict::Held,
                format!(
                    "Held for the person in the chat: {} is among the tools to confirm in chat; a client on MCP 2026-07-28 that can ask the user asks them, any other files it for approval.",
                    spec.name
                ),
            );
        }
        None => {}
    }
    step("Approvals", Verdict::Pass, "Runs at once.".into())
}

type StepFn<'s> = dyn FnMut(&'static str, Verdict, String) -> Result<(), String> + 's;

/// Model Operations, Allowed Models, Field limits.
fn model_steps(
    q: &Question<'_>,
    spec: &ToolSpec,
    model: Option<&str>,
    step: &mut StepFn<'_>,
) -> Result<(), String> {
    let policy = &q.connection.policy;
    match model {
        None => step(
            "Model Operations",
            Verdict::Skipped,
            "The call names no model.".into(),
        )?,
        Some(model) => match operations::decide(policy, spec, model) {
            Ok(()) => step(
                "Model Operations",
                Verdict::Pass,
                match (spec.operation, policy.model_operations.of(model)) {
                    (Some(op), Some(_)) => format!("{model} may {}.", op.label()),
                    _ => format!("No rule narrows {model}."),
                },
            )?,
            Err(denial) => step("Model Operations", Verdict::Refused, denial.to_string())?,
        },
    }
    let touched = models::touches(q.arguments);
    let allowed = &policy.allowed_models;
    if allowed.is_empty() {
        step(
            "Allowed Models",
            Verdict::Pass,
            "Every model (Allowed Models is empty).".into(),
        )?;
    } else if let Some(other) = spec.touches.iter().find(|m| !allowed.allows(m)) {
        let denial = Denial::ToolTouchesModel {
            tool: spec.name.to_owned(),
            model: (*other).to_owned(),
        };
        step("Allowed Models", Verdict::Refused, denial.to_string())?;
    } else if let Some(model) = model.filter(|m| !allowed.allows(m)) {
        let denial = Denial::ModelNotAllowed(model.to_owned());
        step("Allowed Models", Verdict::Refused, denial.to_string())?;
    } else {
        let hops: Vec<&str> = touched
            .paths
            .iter()
            .filter(|t| t.path.contains('.'))
            .map(|t| t.path.as_str())
            .collect();
        let detail = match (model, hops.is_empty()) {
            (Some(m), true) => format!("{m} is allowed."),
            (Some(m), false) => format!(
                "{m} is allowed; the models reached by {} are checked with Odoo's field metadata when called.",
                hops.join(", ")
            ),
            (None, _) => "The call names no model.".into(),
        };
        let verdict = if hops.is_empty() || model.is_none() {
            Verdict::Pass
        } else {
            Verdict::AtCall
        };
        step("Allowed Models", verdict, detail)?;
    }
    let Some(model) = model else {
        return Ok(());
    };
    if policy.field_limits.is_empty() {
        return step(
            "Field limits",
            Verdict::Pass,
            "No field is hidden from this connection.".into(),
        );
    }
    let mut paths: Vec<String> = touched.paths.into_iter().map(|t| t.path).collect();
    paths.extend(fields::written(q.arguments));
    let mut dotted = Vec::new();
    for path in &paths {
        let first = path.split('.').next().unwrap_or(path);
        if fields::hidden(policy, model, first) {
            let denial = fields::refuse(model, first, path);
            return step("Field limits", Verdict::Refused, denial.to_string());
        }
        if path.contains('.') && !dotted.contains(path) {
            dotted.push(path.clone());
        }
    }
    if dotted.is_empty() {
        step(
            "Field limits",
            Verdict::Pass,
            "The call names no hidden field.".into(),
        )
    } else {
        step(
            "Field limits",
            Verdict::AtCall,
            format!(
                "No hidden field of {model} is named; the fields further along {} are checked on the models they reach when called.",
                dotted.join(", ")
            ),
        )
    }
}

/// Record limits: the domain searches are confined to, and the ids checked.
fn record_steps(
    q: &Question<'_>,
    spec: &ToolSpec,
    model: Option<&str>,
    company_ids: Option<Vec<i64>>,
    step: &mut StepFn<'_>,
) -> Result<(), String> {
    let policy = &q.connection.policy;
    let Some((model, limit)) = model.and_then(|m| policy.record_limits.of(m).map(|l| (m, l)))
    else {
        return step(
            "Record limits",
            Verdict::Skipped,
            "The call's model is not confined.".into(),
        );
    };
    let ids = records::named_ids(q.arguments);
    if spec.tool == catalog::Tool::ExecuteMethod && ids.is_empty() {
        let method = q
            .arguments
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("");
        if let Err(denial) = records::model_level_method(policy, model, method) {
            return step("Record limits", Verdict::Refused, denial.to_string());
        }
    }
    let bound = q.odoo_uid.map(|uid| Bindings {
        uid,
        company_ids: company_ids.clone().unwrap_or_default(),
    });
    let shown = match (&bound, limit.uses_companies() && company_ids.is_none()) {
        (Some(b), false) => Value::from(limit.bind(b)).to_string(),
        _ => limit.to_string(),
    };
    let detail = if ids.is_empty() {
        format!("Searches of {model} are confined to {shown}.")
    } else {
        let listed: Vec<String> = ids.iter().map(i64::to_string).collect();
        format!(
            "{model} is confined to {shown}; the records {} are checked against it with one search when called.",
            listed.join(", ")
        )
    };
    let verdict = if ids.is_empty() {
        Verdict::Pass
    } else {
        Verdict::AtCall
    };
    step("Record limits", verdict, detail)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::connections::Scope;
    use crate::policy::test_connection;
    use crate::values::Policy;

    fn ask(policy: Policy, tool: &str, arguments: Value) -> Explanation {
        let connection = test_connection(Scope::Full, policy);
        let settings = ServerSettings::default();
        let Value::Object(arguments) = arguments else {
            panic!("arguments are an object")
        };
        explain(&Question {
            connection: &connection,
            odoo_uid: Some(6),
            settings: &settings,
            tool,
            arguments: &arguments,
            client_ip: Some("10.0.0.7".parse().unwrap()),
        })
    }

    fn rules(e: &Explanation) -> Vec<(&str, Verdict)> {
        e.steps.iter().map(|s| (s.rule, s.verdict)).collect()
    }

    #[test]
    fn an_allowed_call_passes_every_step() {
        let e = ask(
            Policy::default(),
            "search_records",
            json!({"model": "res.partner"}),
        );
        assert_eq!(e.decision, "Allowed: the call would run in Odoo as demo.");
        assert_eq!(e.decided_by(), None);
        let names: Vec<&str> = e.steps.iter().map(|s| s.rule).collect();
        assert_eq!(
            names,
            [
                "Master switch",
                "Connection",
                "IP restrictions",
                "Rate limits",
                "Read Only & Allowed Tools",
                "Model Operations",
                "Allowed Models",
                "Field limits",
                "Arguments",
                "Allowed Companies",
                "Record limits",
                "Write budget & Tool limits",
                "Approvals",
            ]
        );
        assert!(e.steps.iter().all(|s| s.verdict != Verdict::Refused));
    }

    #[test]
    fn the_first_refusing_step_decides_with_the_pipelines_own_text() {
        let policy = Policy {
            field_limits: "res.partner: vat".parse().unwrap(),
            blocked_ips: "10.0.0.0/8".parse().unwrap(),
            ..Policy::default()
        };
        let e = ask(
            policy.clone(),
            "search_records",
            json!({"model": "res.partner"}),
        );
        assert_eq!(
            e.decision,
            "Requests from this address are blocked for this connection."
        );
        assert_eq!(e.decided_by().unwrap().rule, "IP restrictions");
        let policy = Policy {
            blocked_ips: Default::default(),
            ..policy
        };
        let e = ask(
            policy,
            "search_records",
            json!({"model": "res.partner", "order": "vat desc"}),
        );
        assert_eq!(
            e.decision,
            "Refused by Field limits: res.partner.vat is hidden from this connection."
        );
        assert_eq!(rules(&e).last(), Some(&("Field limits", Verdict::Refused)));
    }

    #[test]
    fn record_limits_show_the_bound_domain_and_what_odoo_checks_later() {
        let policy = Policy {
            record_limits: "res.partner: [('user_id', '=', uid)]".parse().unwrap(),
            approval_tools: "update_record".parse().unwrap(),
            ..Policy::default()
        };
        let e = ask(
            policy,
            "update_record",
            json!({"model": "res.partner", "ids": [3, 4], "values": {"phone": "1"}}),
        );
        let records = e.steps.iter().find(|s| s.rule == "Record limits").unwrap();
        assert_eq!(records.verdict, Verdict::AtCall);
        assert!(
            records.detail.contains(r#"[["user_id","=",6]]"#)
                && records.detail.contains("records 3, 4"),
            "{}",
            records.detail
        );
        assert_eq!(e.decided_by().unwrap().rule, "Approvals");
        assert!(
            e.decision.starts_with("Held for approval"),
            "{}",
            e.decision
        );
    }

    #[test]
    fn a_call_is_read_from_a_tool_and_arguments_or_from_a_pasted_request() {
        let (tool, args) =
            read_call("get_record", r#"{"model": "res.partner", "id": 7}"#, "").unwrap();
        assert_eq!(
            (tool.as_str(), args["id"].as_i64()),
            ("get_record", Some(7))
        );
        let request = r#"{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "count_records", "arguments": {"model": "sale.order"}}}"#;
        let (tool, args) = read_call("ignored", "", request).unwrap();
        assert_eq!(
            (tool.as_str(), args["model"].as_str()),
            ("count_records", Some("sale.order"))
        );
        assert!(
            read_call("", "", "")
                .unwrap_err()
                .starts_with("Name a tool")
        );
        assert!(
            read_call("x", "[1]", "")
                .unwrap_err()
                .contains("must be a JSON object")
        );
        assert!(
            read_call("x", "{", "")
                .unwrap_err()
                .contains("are not JSON")
        );
        let list = r#"{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}"#;
        assert!(
            read_call("", "", list)
                .unwrap_err()
                .contains("not a tools/call")
        );
    }

    #[test]
    fn unknown_tools_and_bad_arguments_are_refused_by_name() {
        let e = ask(Policy::default(), "drop_database", json!({}));
        assert!(e.decision.starts_with("Unknown tool 'drop_database'"));
        let e = ask(
            Policy::default(),
            "get_record",
            json!({"model": "res.partner"}),
        );
        assert_eq!(e.decided_by().unwrap().rule, "Arguments");
        assert!(e.decision.contains("missing field `id`"), "{}", e.decision);
    }
}
