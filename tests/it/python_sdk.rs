//! The official Python MCP SDK (PyPI `mcp`) against the gateway: a real third-party client.
//! `scripts/test` provides the interpreter in `PYTHON_MCP`; without it the test is skipped,
//! unless `REQUIRE_PYTHON_SDK` says it must run (CI).

use odoo_mcp_gateway::connections::{self, Scope};
use serde_json::Value;

use crate::helpers::TestApp;

fn python() -> Option<String> {
    match std::env::var("PYTHON_MCP") {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var_os("REQUIRE_PYTHON_SDK").is_some() => {
            panic!("REQUIRE_PYTHON_SDK is set but PYTHON_MCP is not: run scripts/test")
        }
        _ => {
            eprintln!("skipped: PYTHON_MCP not set (scripts/test sets it up)");
            None
        }
    }
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
    connections::revoke(&s.store, id, s.clock.now())
        .await
        .unwrap();
    let refused = run_client(&python, &app.mcp_url, &key, &["--expect-unauthorized"]).await;
    assert!(
        refused.status.success(),
        "expected a 401 after revocation: {}",
        String::from_utf8_lossy(&refused.stdout)
    );
}
