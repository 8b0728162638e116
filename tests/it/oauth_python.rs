//! The official Python MCP SDK's `OAuthClientProvider` against the gateway, end to end:
//! discovery → dynamic registration → authorize through the console's sign-in page as `demo`
//! and the consent form → token → `tools/list` and `search_records` → refresh → Revoke in the
//! console (signed in as `admin`, the form POSTed with its CSRF token) → the next call gets 401. `scripts/test` provides the
//! interpreter in `PYTHON_MCP`; without it the test is skipped, unless `REQUIRE_PYTHON_SDK`.

use std::process::Stdio;
use std::time::Duration;

use odoo_mcp_gateway::clock::MINUTE_MS;
use odoo_mcp_gateway::connections;
use odoo_mcp_gateway::users::Role;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

use crate::helpers::TestApp;

fn python() -> Option<String> {
    crate::helpers::client_path("PYTHON_MCP", "REQUIRE_PYTHON_SDK")
}

async fn next_phase(lines: &mut Lines<BufReader<ChildStdout>>, phase: &str) -> Value {
    let line = tokio::time::timeout(Duration::from_secs(90), lines.next_line())
        .await
        .unwrap_or_else(|_| panic!("no '{phase}' from the Python client within 90 s"))
        .unwrap()
        .unwrap_or_else(|| panic!("the Python client ended before '{phase}'"));
    let seen: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(seen["phase"], phase, "{seen}");
    seen
}

#[tokio::test]
async fn the_python_sdk_connects_with_oauth_refreshes_and_is_refused_after_revocation() {
    let app = TestApp::spawn().await;
    oauth_flow(&app, "demo", "admin").await;
}

/// The Python SDK's whole OAuth flow against `app`, signing in as demo with `demo_secret`; an
/// administrator (signing in with `admin_secret`) revokes the connection at the end.
pub async fn oauth_flow(app: &TestApp, demo_secret: &str, admin_secret: &str) {
    let Some(python) = python() else { return };
    app.link_with("demo", demo_secret).await;
    let s = &app.state;
    s.store
        .set_role("demo", Some(Role::User), s.clock.now())
        .await
        .unwrap();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/oauth_flow.py");
    let mut child = Command::new(python)
        .arg(script)
        .args(["--url", &app.mcp_url, "--secret", demo_secret])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python runs");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let stderr = child.stderr.take().unwrap();
    let mut stderr = tokio::spawn(async move {
        let mut text = String::new();
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });

    let connected = tokio::select! {
        seen = next_phase(&mut lines, "connected") => seen,
        text = async { child.wait().await.unwrap(); (&mut stderr).await.unwrap() } => {
            panic!("the Python client failed before connecting:\n{text}")
        }
    };
    // It went through the real forms, as demo, and got the full scope it asked for.
    assert_eq!(
        connected["pages"],
        serde_json::json!(["login", "consent"]),
        "{connected}"
    );
    let login = connected["login_text"].as_str().unwrap();
    assert!(
        login.contains("Sign in to connect Python SDK end-to-end"),
        "{login}"
    );
    let consent = connected["consent_text"].as_str().unwrap();
    assert!(
        consent.contains("Python SDK end-to-end") && consent.contains("Marc Demo (demo)"),
        "{consent}"
    );
    assert_eq!(connected["iss"], app.base);
    assert_eq!(connected["scope"], "mcp:read mcp:write");
    assert_eq!(
        connected["token_requests"],
        serde_json::json!(["authorization_code"])
    );
    let tools: Vec<&str> = connected["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        tools.contains(&"search_records") && tools.contains(&"create_record"),
        "{tools:?}"
    );
    assert_eq!(connected["search_is_error"], false, "{connected}");
    assert!(
        !connected["search"]["records"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(connected["context"]["user"]["login"], "demo");

    // The connection is the OAuth client, bound to demo and in use.
    let client_id = connected["client_id"].as_str().unwrap();
    let row = s
        .store
        .find_registered_client(client_id)
        .await
        .unwrap()
        .expect("the registration is a connection");
    assert_eq!(row.dynamic, 1);
    let connection = connections::get(&s.store, row.connection_id).await.unwrap();
    assert_eq!(connection.user_login.as_deref(), Some("demo"));
    assert!(
        connection.request_count >= 3,
        "{}",
        connection.request_count
    );

    // An hour later the access token has expired at the gateway; the SDK refreshes.
    s.clock.advance(61 * MINUTE_MS);
    stdin.write_all(b"go\n").await.unwrap();
    let refreshed = next_phase(&mut lines, "refreshed").await;
    assert_eq!(
        refreshed["token_requests"],
        serde_json::json!(["authorization_code", "refresh_token"]),
        "{refreshed}"
    );
    assert_eq!(refreshed["access_token_changed"], true);
    assert!(refreshed["tools"].as_u64().unwrap() > 5);

    // Revoked in the console: an administrator signs in and presses Revoke.
    let admin = crate::oauth::admin_console_with(app, admin_secret).await;
    let revoked = admin
        .post(
            &format!("/console/connections/{}/revoke", connection.id),
            &[],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    let form = admin
        .get(&format!("/console/connections/{}", connection.id))
        .await;
    assert!(form.body.contains("Revoked"), "{}", form.body);
    stdin.write_all(b"go\n").await.unwrap();
    let after = next_phase(&mut lines, "after_revocation").await;
    assert_eq!(after["status"], 401, "{after}");
    let challenge = after["www_authenticate"].as_str().unwrap();
    assert!(challenge.contains("resource_metadata="), "{challenge}");

    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the Python client exits")
        .unwrap();
    let text = stderr.await.unwrap();
    assert!(status.success(), "the Python client failed:\n{text}");
}
