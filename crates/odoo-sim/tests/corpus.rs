//! Replays the real-Odoo corpus (`crates/odoo-sim/corpus`) against the simulator: same outcome, shape and message.
//!
//! `cases.json` lists the requests; `odoo18.json` / `odoo19.json` are real Odoo's answers, recorded by
//! `scripts/record-odoo-corpus`. Each case is sent to a simulator of that version with the same database name,
//! uids and passwords; ids it creates are saved from the simulator's own answers, as the recorder saved real ones.

use std::collections::HashMap;

use odoo_sim::{OdooVersion, RunningSimulator, SimOptions, Simulator};
use serde_json::{Map, Value, json};

const CASES: &str = include_str!("../corpus/cases.json");
const ODOO18: &str = include_str!("../corpus/odoo18.json");
const ODOO19: &str = include_str!("../corpus/odoo19.json");

struct User {
    uid: i64,
    password: String,
    key: String,
}

struct Session {
    running: RunningSimulator,
    client: reqwest::Client,
    users: HashMap<String, User>,
    saved: HashMap<String, Value>,
}

/// One answer: what the recorder stores, and what the simulator gave.
struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

impl Answer {
    fn recorded(value: &Value) -> Self {
        Answer {
            status: value["status"].as_u64().unwrap_or_default() as u16,
            content_type: value["content_type"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            body: value["body"].clone(),
        }
    }
}

impl Session {
    async fn start(version: OdooVersion, recording: &Value) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let options = SimOptions {
            version,
            database: recording["database"].as_str().unwrap().to_owned(),
            ..SimOptions::default()
        };
        let running = Simulator::spawn(options).await.expect("simulator starts");
        let mut users = HashMap::new();
        for login in ["admin", "demo", "portal"] {
            let uid = recording["uids"][login].as_i64().unwrap();
            let key = running.sim.issue_api_key(login).unwrap();
            let password = login.to_owned();
            users.insert(login.to_owned(), User { uid, password, key });
        }
        Session {
            running,
            client: reqwest::Client::new(),
            users,
            saved: HashMap::new(),
        }
    }

    /// The same substitutions as the recorder: `$db`, `$uid.u`, `$password.u`, `$key.u`, `$created.name`.
    fn resolve(&self, value: &Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(items.iter().map(|v| self.resolve(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v)))
                    .collect(),
            ),
            Value::String(text) if text.starts_with('$') => {
                if text == "$db" {
                    return json!(self.running.sim.database());
                }
                let (kind, name) = text[1..].split_once('.').unwrap_or((text, ""));
                let user = self.users.get(name);
                match (kind, user) {
                    ("uid", Some(user)) => json!(user.uid),
                    ("password", Some(user)) => json!(user.password),
                    ("key", Some(user)) => json!(user.key),
                    ("created", _) => self.saved.get(name).cloned().unwrap_or(Value::Null),
                    _ => value.clone(),
                }
            }
            other => other.clone(),
        }
    }

    /// The `$created.<name>` a case uses that no earlier case saved (because that case failed).
    fn unsaved(&self, value: &Value) -> Vec<String> {
        match value {
            Value::Array(items) => items.iter().flat_map(|v| self.unsaved(v)).collect(),
            Value::Object(map) => map.values().flat_map(|v| self.unsaved(v)).collect(),
            Value::String(text) => match text.strip_prefix("$created.") {
                Some(name) if !self.saved.contains_key(name) => vec![name.to_owned()],
                _ => vec![],
            },
            _ => vec![],
        }
    }

    async fn post(&self, path: &str, body: &Value, headers: &[(&str, String)]) -> Answer {
        let mut request = self
            .client
            .post(format!("{}{path}", self.running.url))
            .json(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let raw = response.text().await.unwrap();
        let body = serde_json::from_str(&raw).unwrap_or(Value::String(raw));
        Answer {
            status,
            content_type,
            body,
        }
    }

    async fn jsonrpc(&self, service: &str, method: &str, args: Value) -> Answer {
        let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}, "id": 1});
        self.post("/jsonrpc", &body, &[]).await
    }

    async fn run(&self, case: &Value) -> Answer {
        let user = &self.users[case["user"].as_str().unwrap_or("admin")];
        if let Some(path) = case["path"].as_str() {
            return self.post(path, &self.resolve(&case["body"]), &[]).await;
        }
        let method = case["method"].as_str().unwrap();
        if let Some(service) = case["service"].as_str() {
            return self
                .jsonrpc(service, method, self.resolve(&case["args"]))
                .await;
        }
        let model = case["model"].as_str().unwrap();
        let ids = self.resolve(&case["ids"]);
        let kwargs = match self.resolve(&case["kwargs"]) {
            Value::Null => json!({}),
            kwargs => kwargs,
        };
        if case["protocol"] == "json2" {
            let mut body = kwargs;
            if !ids.is_null() {
                body["ids"] = ids;
            }
            let key = match &case["key"] {
                Value::Null => user.key.clone(),
                other => self.resolve(other).as_str().unwrap().to_owned(),
            };
            let headers = [
                ("Authorization", format!("bearer {key}")),
                ("X-Odoo-Database", self.running.sim.database().to_owned()),
            ];
            return self
                .post(&format!("/json/2/{model}/{method}"), &body, &headers)
                .await;
        }
        let mut args = match self.resolve(&case["args"]) {
            Value::Array(args) => args,
            _ => vec![],
        };
        if !ids.is_null() {
            args.insert(0, ids);
        }
        let password = match &case["password"] {
            Value::Null => json!(user.password),
            other => self.resolve(other),
        };
        let call = json!([
            self.running.sim.database(),
            user.uid,
            password,
            model,
            method,
            args,
            kwargs
        ]);
        self.jsonrpc("object", "execute_kw", call).await
    }

    /// `save: {name: "0.partner_id.0"}`: keep a value of the simulator's result for later cases.
    fn save(&mut self, case: &Value, answer: &Answer) {
        let Some(save) = case["save"].as_object() else {
            return;
        };
        let result = match answer.body.get("jsonrpc") {
            Some(_) => answer.body.get("result").cloned().unwrap_or(Value::Null),
            None => answer.body.clone(),
        };
        for (name, path) in save {
            let mut value = &result;
            for step in path.as_str().unwrap().split('.').filter(|s| !s.is_empty()) {
                value = match step.parse::<usize>() {
                    Ok(index) => &value[index],
                    Err(_) => &value[step],
                };
            }
            if !value.is_null() {
                self.saved.insert(name.clone(), value.clone());
            }
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

fn excerpt(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(160) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// Same JSON types; objects: the same keys (with `subset`, the simulator's ⊆ real Odoo's); lists: both empty
/// or both not, and the first elements of the same shape.
fn diff_shape(path: &str, real: &Value, sim: &Value, subset: bool, out: &mut Vec<String>) {
    match (real, sim) {
        (Value::Array(r), Value::Array(s)) => match (r.first(), s.first()) {
            (Some(r0), Some(s0)) => diff_shape(&format!("{path}[0]"), r0, s0, subset, out),
            (None, None) => {}
            _ => out.push(format!(
                "{path}: real has {} elements, simulator {}: real {} / simulator {}",
                r.len(),
                s.len(),
                excerpt(real),
                excerpt(sim)
            )),
        },
        (Value::Object(r), Value::Object(s)) => {
            let missing: Vec<&String> = r.keys().filter(|k| !s.contains_key(*k)).collect();
            let extra: Vec<&String> = s.keys().filter(|k| !r.contains_key(*k)).collect();
            if !missing.is_empty() && !subset {
                out.push(format!(
                    "{path}: keys missing in the simulator: {missing:?}"
                ));
            }
            if !extra.is_empty() {
                out.push(format!("{path}: keys only in the simulator: {extra:?}"));
            }
            for (key, value) in r {
                if let Some(other) = s.get(key) {
                    diff_shape(&format!("{path}.{key}"), value, other, subset, out);
                }
            }
        }
        _ if type_name(real) != type_name(sim) => out.push(format!(
            "{path}: real {} {} / simulator {} {}",
            type_name(real),
            excerpt(real),
            type_name(sim),
            excerpt(sim)
        )),
        _ => {}
    }
}

/// `masks: [[before, after]]`: the text between `before` and the next `after` is data, not wording.
fn masked(message: &str, masks: &Value) -> String {
    let mut text = message.to_owned();
    for mask in masks.as_array().into_iter().flatten() {
        let (Some(before), Some(after)) = (mask[0].as_str(), mask[1].as_str()) else {
            continue;
        };
        let mut from = 0;
        while let Some(at) = text[from..].find(before) {
            let start = from + at + before.len();
            let Some(len) = text[start..].find(after) else {
                break;
            };
            text.replace_range(start..start + len, "…");
            from = start + "…".len();
        }
    }
    text
}

fn same(what: &str, real: &Value, sim: &Value, out: &mut Vec<String>) {
    if real != sim {
        out.push(format!("{what}: real {real} / simulator {sim}"));
    }
}

fn same_message(real: &Value, sim: &Value, masks: &Value, out: &mut Vec<String>) {
    let (real, sim) = (
        masked(real.as_str().unwrap_or_default(), masks),
        masked(sim.as_str().unwrap_or_default(), masks),
    );
    if real != sim {
        out.push(format!(
            "message differs:\n      real:      {real:?}\n      simulator: {sim:?}"
        ));
    }
}

/// `same: [keys]`: these keys of every row of the result (in order) hold real Odoo's values; the
/// key `""` stands for the result itself.
fn same_values(keys: &Value, real: &Value, sim: &Value, out: &mut Vec<String>) {
    for key in keys
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if key.is_empty() {
            same("result", real, sim, out);
            continue;
        }
        let rows = |v: &Value| v.as_array().cloned().unwrap_or_default();
        let (real_rows, sim_rows) = (rows(real), rows(sim));
        if real_rows.len() != sim_rows.len() {
            out.push(format!(
                "{} rows in real Odoo, {} in the simulator",
                real_rows.len(),
                sim_rows.len()
            ));
            return;
        }
        for (index, (r, s)) in real_rows.iter().zip(&sim_rows).enumerate() {
            same(&format!("result[{index}].{key}"), &r[key], &s[key], out);
        }
    }
}

/// Outcome class, shape and message of one case.
fn compare(case: &Value, real: &Answer, sim: &Answer) -> Vec<String> {
    let mut out = vec![];
    if real.status != sim.status {
        out.push(format!(
            "HTTP status: real {} / simulator {}",
            real.status, sim.status
        ));
    }
    if real.content_type != sim.content_type {
        out.push(format!(
            "content type: real {:?} / simulator {:?}",
            real.content_type, sim.content_type
        ));
    }
    let subset = case["compare"] == "subset";
    let masks = &case["masks"];
    let (r, s) = (&real.body, &sim.body);
    match r {
        Value::Object(envelope) if envelope.contains_key("jsonrpc") => {
            let keys = |v: &Value| {
                v.as_object()
                    .map(|o| o.keys().cloned().collect::<Vec<_>>())
                    .unwrap_or_default()
            };
            same("envelope keys", &json!(keys(r)), &json!(keys(s)), &mut out);
            if envelope.contains_key("error") {
                let (re, se) = (&r["error"], &s["error"]);
                same("error.code", &re["code"], &se["code"], &mut out);
                same("error.message", &re["message"], &se["message"], &mut out);
                same(
                    "data.name",
                    &re["data"]["name"],
                    &se["data"]["name"],
                    &mut out,
                );
                same_message(
                    &re["data"]["message"],
                    &se["data"]["message"],
                    masks,
                    &mut out,
                );
                diff_shape("data", &re["data"], &se["data"], false, &mut out);
            } else if let Some(result) = envelope.get("result") {
                diff_shape("result", result, &s["result"], subset, &mut out);
                same_values(&case["same"], result, &s["result"], &mut out);
            }
        }
        Value::Object(error) if real.status != 200 && error.contains_key("name") => {
            same("name", &r["name"], &s["name"], &mut out);
            same_message(&r["message"], &s["message"], masks, &mut out);
            diff_shape("error", r, s, false, &mut out);
        }
        Value::String(_) => same("body", r, s, &mut out),
        _ => {
            diff_shape("result", r, s, subset, &mut out);
            same_values(&case["same"], r, s, &mut out);
        }
    }
    out
}

fn applies(case: &Value, major: u64) -> bool {
    match case["versions"].as_array() {
        Some(versions) => versions.iter().any(|v| v.as_u64() == Some(major)),
        None => true,
    }
}

async fn replay(version: OdooVersion, major: u64, recorded: &str) -> Vec<String> {
    let cases: Value = serde_json::from_str(CASES).expect("cases.json is JSON");
    let recorded: Value = serde_json::from_str(recorded).expect("fixture is JSON");
    let answers: Map<String, Value> = recorded["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap().to_owned(), a.clone()))
        .collect();
    let mut session = Session::start(version, &recorded["recording"]).await;
    let mut failures = vec![];
    for case in cases["cases"].as_array().unwrap() {
        if !applies(case, major) {
            continue;
        }
        let name = case["name"].as_str().unwrap();
        let Some(real) = answers.get(name) else {
            failures.push(format!(
                "odoo {major} · {name}: not recorded (re-run scripts/record-odoo-corpus)"
            ));
            continue;
        };
        let unsaved = session.unsaved(case);
        if !unsaved.is_empty() {
            failures.push(format!("odoo {major} · {name}: skipped, it needs {unsaved:?}, which an earlier case did not save"));
            continue;
        }
        let real = Answer::recorded(real);
        let sim = session.run(case).await;
        let diffs = compare(case, &real, &sim);
        if !diffs.is_empty() {
            failures.push(format!(
                "odoo {major} · {name}:\n    {}\n    real:      {}\n    simulator: {}",
                diffs.join("\n    "),
                excerpt(&real.body),
                excerpt(&sim.body)
            ));
        }
        session.save(case, &sim);
    }
    failures
}

#[tokio::test]
async fn the_simulator_answers_the_corpus_like_real_odoo_18_and_19() {
    let mut failures = replay(OdooVersion::V18, 18, ODOO18).await;
    failures.extend(replay(OdooVersion::V19, 19, ODOO19).await);
    assert!(
        failures.is_empty(),
        "{} corpus case(s) differ from real Odoo:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn masks_hide_only_the_data_between_their_ends() {
    let masks = json!([["- Sales Order, ", ")"]]);
    assert_eq!(
        masked("to:\n- Sales Order, S00012 (sale.order: 12)\n\nIf", &masks),
        "to:\n- Sales Order, …)\n\nIf"
    );
}
