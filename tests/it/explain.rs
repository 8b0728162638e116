//! The policy check — `connection explain` through the real binary and the console's page — gives
//! the decision a real call gets, word for word, naming the step that decides.

use odoo_mcp_gateway::values::Scope;
use reqwest::StatusCode;
use serde_json::json;

use crate::cli::run_cli;
use crate::console::{Console, console_app, element_text};
use crate::helpers::{TestApp, error_text};

/// A connection of demo's with a Field limit, a Record limit and an approval rule.
async fn governed(app: &TestApp) -> (i64, String) {
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| {
        p.field_limits = "res.partner: vat".parse().unwrap();
        p.record_limits = "res.partner: [('user_id', '=', uid)]".parse().unwrap();
        p.approval_tools = "delete_record".parse().unwrap();
    })
    .await;
    (id, key)
}

async fn explain(app: &TestApp, args: &[&str], stdin: &str) -> crate::cli::Run {
    let mut all = vec!["connection", "explain"];
    all.extend_from_slice(args);
    run_cli(app.data_dir.path(), &[], &all, stdin).await
}

#[tokio::test]
async fn the_cli_explains_each_step_and_refuses_with_the_calls_own_words() {
    let app = console_app().await;
    let (id, key) = governed(&app).await;
    let id = id.to_string();
    let hidden = json!({"model": "res.partner", "fields": ["name", "vat"]});
    let run = explain(
        &app,
        &[
            &id,
            "--tool",
            "search_records",
            "--args",
            &hidden.to_string(),
        ],
        "",
    )
    .await;
    assert!(!run.ok, "a refused call exits non-zero: {}", run.stdout);
    let called = error_text(&app.call(&key, "search_records", hidden).await);
    assert!(
        run.stdout.lines().any(|l| l == called),
        "the decision is the call's refusal, {called:?}: {}",
        run.stdout
    );
    let field_step = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("Field limits"))
        .unwrap_or_default();
    assert!(field_step.contains("refused"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("Record limits"),
        "the walk stops at the deciding step: {}",
        run.stdout
    );

    // A pasted request on standard input, let through with the limit's bound domain shown.
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "count_records", "arguments": {"model": "res.partner"}}});
    let run = explain(&app, &[&id, "--request", "-"], &request.to_string()).await;
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("Allowed: the call would run in Odoo as demo."),
        "{}",
        run.stdout
    );
    let uid = app
        .state
        .store
        .find_odoo_user("demo")
        .await
        .unwrap()
        .unwrap()
        .odoo_uid;
    assert!(
        run.stdout.contains(&format!(r#"[["user_id","=",{uid}]]"#)),
        "{}",
        run.stdout
    );

    // A held tool is held, and the ids the limit checks at the call are named.
    let run = explain(
        &app,
        &[
            &id,
            "--tool",
            "delete_record",
            "--args",
            r#"{"model": "res.partner", "ids": [7]}"#,
        ],
        "",
    )
    .await;
    assert!(run.ok, "held is not refused: {}", run.stdout);
    assert!(
        run.stdout.contains("records 7 are checked"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Held for approval"), "{}", run.stdout);

    // Bad input is named, nothing is checked.
    let run = explain(&app, &[&id, "--tool", "get_record", "--args", "[1]"], "").await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("must be a JSON object"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn the_console_page_shows_the_decision_step_by_step() {
    let app = console_app().await;
    let (id, key) = governed(&app).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let path = format!("/console/connections/{id}/check");
    let page = admin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"check-form\""));
    let ordered = json!({"model": "res.partner", "order": "vat desc"});
    let page = admin
        .post(
            &path,
            &[
                ("tool", "search_records"),
                ("arguments", &ordered.to_string()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let called = error_text(&app.call(&key, "search_records", ordered).await);
    assert_eq!(element_text(&page.body, "decision-text").unwrap(), called);
    assert!(page.body.contains("decision-refused"), "{}", page.body);
    assert!(page.body.contains("badge-step-refused"));

    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "get_current_context", "arguments": {}}});
    let page = admin
        .post(
            &path,
            &[("request", &request.to_string()), ("ip", "10.1.2.3")],
        )
        .await;
    assert_eq!(
        element_text(&page.body, "decision-text").unwrap(),
        "Allowed: the call would run in Odoo as demo."
    );
    assert!(page.body.contains("10.1.2.3 may connect."), "{}", page.body);
    let page = admin.post(&path, &[("tool", "x"), ("ip", "nowhere")]).await;
    assert_eq!(
        element_text(&page.body, "check-error").unwrap(),
        "'nowhere' is not an IP address."
    );
    // An MCP User sees the check of their own connection only.
    let demo = Console::signed_in(&app, "demo", "demo").await;
    assert_eq!(demo.get(&path).await.status, StatusCode::OK);
    let (other, _) = app.api_key("admin", Scope::Full).await;
    let theirs = demo
        .get(&format!("/console/connections/{other}/check"))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}
