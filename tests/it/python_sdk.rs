//! The official Python MCP SDK (PyPI `mcp`) against the gateway: a real third-party client.
//! `scripts/test` provides the interpreter in `PYTHON_MCP`; without it the test is skipped,
//! unless `REQUIRE_PYTHON_SDK` says it must run (CI).

use odoo_mcp_gateway::connections::{self, Scope};
use odoo_mcp_gateway::users::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, merged};

fn python() -> Option<String> {
    crate::helpers::client_path("PYTHON_MCP", "REQUIRE_PYTHON_SDK")
}

async fn run_client(python: &str, url: &str, key: &str, extra: &[&str]) -> std::process::Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sdk_client.py");
    tokio::process::Command::new(python)
        .arg(script)
        .args(["--url", url, "--key", key])
        .args(extra)
        .output()
        .await
        .expect("python runs")
}

#[tokio::test]
async fn the_python_sdk_lists_tools_and_reads_partners_then_is_refused_after_revocation() {
    let Some(python) = python() else { return };
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::ReadOnly).await;

    let output = run_client(&python, &app.mcp_url, &key, &[]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "python client failed: {stderr}");
    let seen: Value = serde_json::from_slice(&output.stdout).expect("one JSON object on stdout");
    let tools: Vec<&str> = seen["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(tools.contains(&"search_records"), "{tools:?}");
    assert!(
        !tools.contains(&"create_record"),
        "read-only key sees no write tool: {tools:?}"
    );
    assert_eq!(seen["search_is_error"], false, "{seen}");
    let names: Vec<&str> = seen["search"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(!names.is_empty() && names.len() <= 5, "{names:?}");
    assert_eq!(seen["context"]["user"]["login"], "demo", "{seen}");

    let s = &app.state;
    connections::revoke(
        &s.store,
        id,
        s.clock.now(),
        connections::Actor::Administrator,
    )
    .await
    .unwrap();
    let refused = run_client(&python, &app.mcp_url, &key, &["--expect-unauthorized"]).await;
    assert!(
        refused.status.success(),
        "expected a 401 after revocation: {}",
        String::from_utf8_lossy(&refused.stdout)
    );
}

/// The SDK sees `pending_approval` at once, then polls `get_approval_status` in the same
/// session while an administrator approves, until it gets the executed call's result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_waits_for_an_approval_and_gets_the_executed_result() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let Some(python) = python() else { return };
    let app = TestApp::spawn().await;
    let now = app.state.clock.now();
    app.link("admin").await;
    app.state
        .store
        .set_role("admin", Some(Role::Admin), now)
        .await
        .unwrap();
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| p.approval_tools = "update_record".parse().unwrap())
        .await;
    let arguments =
        r#"{"model": "res.partner", "ids": [9], "values": {"phone": "+32 2 555 12 34"}}"#;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sdk_client.py");
    let mut child = tokio::process::Command::new(&python)
        .arg(script)
        .args(["--url", &app.mcp_url, "--key", &key, "--approval-flow"])
        .args(["--approval-args", arguments, "--timeout", "30"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap_or_default();
    let pending: Value = serde_json::from_str(&first)
        .unwrap_or_else(|e| panic!("first line is the pending result ({e}): {first}"));
    let pending = &pending["pending"];
    assert_eq!(pending["status"], "pending_approval", "{pending}");
    assert!(
        pending["message"]
            .as_str()
            .unwrap()
            .contains("get_approval_status")
    );
    assert_eq!(
        app.sim().record("res.partner", 9).unwrap()["phone"],
        false,
        "nothing ran yet"
    );

    // Let it poll a few times while pending, then approve.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let admin = app
        .state
        .store
        .find_odoo_user("admin")
        .await
        .unwrap()
        .unwrap();
    let approval = pending["approval_id"].as_str().unwrap();
    let done = odoo_mcp_gateway::approvals::approve(&app.state, approval, &admin)
        .await
        .unwrap();
    assert_eq!(done.state.as_db(), "executed", "{:?}", done.error);

    let second = lines.next_line().await.unwrap().unwrap_or_default();
    let status = child.wait().await.unwrap();
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr)
        .await
        .unwrap();
    assert!(status.success(), "python client failed: {stderr}");
    let end: Value = serde_json::from_str(&second)
        .unwrap_or_else(|e| panic!("second line is the final status ({e}): {second}"));
    assert_eq!(end["final"]["state"], "executed", "{end}");
    assert_eq!(end["final"]["approval_id"], approval);
    assert_eq!(end["final"]["result"]["updated"], true, "{end}");
    assert!(
        end["polls"].as_i64().unwrap() >= 2,
        "it polled while pending: {end}"
    );
    let partner = app.sim().record("res.partner", 9).unwrap();
    assert_eq!(partner["phone"], "+32 2 555 12 34");
    assert_eq!(partner["write_uid"], 5, "written as demo");
}

/// The SDK client against one gateway.
struct Sdk {
    python: String,
    url: String,
}

impl Sdk {
    /// A gateway, the SDK in front of it and a Full Access key of demo's; `None` without the SDK.
    async fn start() -> Option<(Self, TestApp, String)> {
        let python = python()?;
        let app = TestApp::spawn().await;
        let (_, key) = app.api_key("demo", Scope::Full).await;
        let url = app.mcp_url.clone();
        Some((Self { python, url }, app, key))
    }

    /// Calls each `[tool, arguments]` of `calls` in turn in one SDK session, which checks every
    /// answer that is not an error against its tool's output schema (a mismatch fails the
    /// client); the answers' structured content, once none is an error.
    async fn calls(&self, key: &str, calls: Value) -> Vec<Value> {
        let output = run_client(
            &self.python,
            &self.url,
            key,
            &["--calls", &calls.to_string()],
        )
        .await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "python client failed: {stderr}");
        let seen: Value =
            serde_json::from_slice(&output.stdout).expect("one JSON object on stdout");
        let Value::Array(answers) = seen["calls"].clone() else {
            panic!("no calls: {seen}")
        };
        assert!(answers.iter().all(|a| a["is_error"] == false), "{seen}");
        answers.into_iter().map(|a| a["payload"].clone()).collect()
    }
}

/// The chatter tools declare output schemas; the SDK checks each answer against its tool's
/// schema, the held call's answer included.
#[tokio::test]
async fn the_python_sdk_accepts_the_chatter_answers_under_their_output_schemas() {
    let Some((sdk, app, key)) = Sdk::start().await else {
        return;
    };
    let record = json!({"model": "res.partner", "id": 9});
    let with = |extra: Value| merged(record.clone(), extra);
    let answers = sdk
        .calls(
            &key,
            json!([
                ["post_note", with(json!({"body": "Checked by the SDK"}))],
                ["read_messages", record],
                [
                    "schedule_activity",
                    with(json!({"summary": "SDK", "deadline": "2030-01-15"}))
                ],
                ["list_activities", {}],
            ]),
        )
        .await;
    assert_eq!(answers[1]["messages"][0]["text"], "Checked by the SDK");
    let activity = &answers[2]["activity_id"];
    let answers = sdk
        .calls(
            &key,
            json!([["complete_activity", {"activity_id": activity}]]),
        )
        .await;
    assert_eq!(answers[0]["done"], true, "{answers:?}");

    // Held: the pending answer is the schema's other branch.
    let (id, gated) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| p.approval_tools = "post_message".parse().unwrap())
        .await;
    let answers = sdk
        .calls(
            &gated,
            json!([["post_message", with(json!({"body": "Hi"}))]]),
        )
        .await;
    assert_eq!(answers[0]["status"], "pending_approval", "{answers:?}");
}

/// The context, read and write tools and execute_method declare output schemas too; the SDK
/// checks every shape each answers (pages, dry runs, real writes, a method returning nothing,
/// a held call and its status).
#[tokio::test]
async fn the_python_sdk_accepts_the_record_tools_answers_under_their_output_schemas() {
    let Some((sdk, app, key)) = Sdk::start().await else {
        return;
    };
    let partner = |extra: Value| merged(json!({"model": "res.partner"}), extra);
    let page = json!({"fields": ["name", "country_id"], "limit": 2});
    let groups = json!({"group_by": ["state"], "aggregates": ["amount_total:sum"]});
    let create = json!({"values": {"name": "SDK"}});
    let update = json!({"ids": [9, 999_999], "values": {"phone": "1"}});
    let dry = |arguments: Value| merged(arguments, json!({"dry_run": true}));
    let answers = sdk
        .calls(
            &key,
            json!([
                ["get_current_context", {}],
                ["list_models", {"query": "partner"}],
                ["describe_model", partner(json!({}))],
                ["search_records", partner(page)],
                ["search_records", partner(json!({"domain": [["id", "=", 9]]}))],
                ["get_record", partner(json!({"id": 9}))],
                ["count_records", partner(json!({}))],
                ["aggregate_records", merged(json!({"model": "sale.order"}), groups)],
                ["create_record", dry(partner(create.clone()))],
                ["create_record", partner(create)],
                ["update_record", dry(partner(update))],
                ["update_record", partner(json!({"ids": [9], "values": {"phone": "1"}}))],
            ]),
        )
        .await;
    assert_eq!(answers[0]["user"]["login"], "demo");
    assert!(answers[2]["fields"]["name"]["type"].is_string());
    assert!(answers[3]["next_offset"].is_number());
    assert!(answers[4]["next_offset"].is_null());
    assert_eq!(answers[8]["would"], "create");
    assert_eq!(answers[10]["missing_ids"], json!([999_999]));
    let id = answers[9]["id"].as_i64().expect("the new partner's id");

    let answers = sdk
        .calls(
            &key,
            json!([
                [
                    "execute_method",
                    partner(json!({"method": "action_archive", "ids": [id]}))
                ],
                [
                    "execute_method",
                    partner(json!({"method": "action_unarchive", "ids": [id]}))
                ],
                ["delete_record", dry(partner(json!({"ids": [id]})))],
                ["delete_record", partner(json!({"ids": [id]}))],
            ]),
        )
        .await;
    assert_eq!(answers[2]["access"], "allowed");
    assert_eq!(answers[3]["deleted"], true);

    // Held: the pending answer, then its status while it waits.
    let (connection, gated) = app.api_key("demo", Scope::Full).await;
    app.set_policy(connection, |p| {
        p.approval_tools = "create_record".parse().unwrap()
    })
    .await;
    let answers = sdk
        .calls(
            &gated,
            json!([[
                "create_record",
                partner(json!({"values": {"name": "Held"}}))
            ]]),
        )
        .await;
    let approval = &answers[0]["approval_id"];
    assert!(approval.is_string(), "{answers:?}");
    let answers = sdk
        .calls(
            &gated,
            json!([["get_approval_status", {"approval_id": approval}]]),
        )
        .await;
    assert_eq!(answers[0]["state"], "pending", "{answers:?}");
}

/// The SDK as a 2026-07-28 client with an elicitation callback: the gateway asks the person in
/// the chat, the SDK's own multi round-trip driver answers and retries, and the confirmed
/// `delete_record` runs; a declined one does not.
#[tokio::test]
async fn the_python_sdk_confirms_in_chat_through_its_elicitation_callback() {
    let Some(python) = python() else { return };
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| p.confirm_tools = "delete_record".parse().unwrap())
        .await;
    let delete = |id: i64| json!({"model": "res.partner", "ids": [id]}).to_string();
    let run = |answer: &'static str, arguments: String| {
        let (python, url, key) = (python.clone(), app.mcp_url.clone(), key.clone());
        async move {
            let output = run_client(
                &python,
                &url,
                &key,
                &[
                    "--confirm-flow",
                    answer,
                    "--approval-tool",
                    "delete_record",
                    "--approval-args",
                    &arguments,
                ],
            )
            .await;
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "python client failed: {stderr}");
            serde_json::from_slice::<Value>(&output.stdout).expect("one JSON object on stdout")
        }
    };

    let declined = run("decline", delete(41)).await;
    assert_eq!(declined["protocol_version"], "2026-07-28", "{declined}");
    assert_eq!(declined["is_error"], true, "{declined}");
    assert!(
        declined["payload"]
            .as_str()
            .is_some_and(|t| t.starts_with("The person in the chat declined")),
        "{declined}"
    );
    assert!(app.sim().record("res.partner", 41).is_some());

    let confirmed = run("accept", delete(41)).await;
    let asked = confirmed["asked"].as_array().unwrap();
    assert_eq!(asked.len(), 1, "asked once: {confirmed}");
    assert!(
        asked[0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Delete 1 record of Contact (res.partner)")),
        "{confirmed}"
    );
    assert_eq!(confirmed["is_error"], false, "{confirmed}");
    assert_eq!(confirmed["payload"]["deleted"], true, "{confirmed}");
    assert!(app.sim().record("res.partner", 41).is_none());
    let confirmed_entries = app
        .audit()
        .await
        .into_iter()
        .filter(|r| r.method == "tools/call (confirmed in chat)")
        .count();
    assert_eq!(confirmed_entries, 1);
}
