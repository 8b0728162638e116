//! The MCP Inspector CLI (npm `@modelcontextprotocol/inspector`) lists the gateway's tools with
//! its `--strict` schema portability check: no errors and no warnings, so clients with
//! single-type schema dialects (Gemini's function declarations among them) take every tool.
//! `scripts/test` installs it and names its CLI in `MCP_INSPECTOR`; without it the test is
//! skipped, unless `REQUIRE_INSPECTOR` says it must run (CI).

use odoo_mcp_gateway::connections::Scope;
use serde_json::Value;

use crate::helpers::TestApp;

fn inspector() -> Option<String> {
    crate::helpers::client_path("MCP_INSPECTOR", "REQUIRE_INSPECTOR")
}

#[tokio::test]
async fn every_tool_schema_passes_the_inspectors_strict_portability_check() {
    let Some(cli) = inspector() else { return };
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let home = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new("node")
        .arg(&cli)
        .arg(&app.mcp_url)
        .args(["--transport", "http", "--method", "tools/list", "--strict"])
        .args(["--header", &format!("Authorization: Bearer {key}")])
        // The Inspector keeps a catalog under $HOME; a throwaway one keeps the machine's clean.
        .env("HOME", home.path())
        .output()
        .await
        .expect("node runs the Inspector CLI");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "Inspector failed: {stderr}");
    assert!(
        !stderr.contains("Warning:") && !stderr.contains("Error:"),
        "portability findings: {stderr}"
    );
    let listed: Value = serde_json::from_slice(&output.stdout).expect("the tools/list result");
    let names: Vec<&str> = listed["tools"]
        .as_array()
        .expect("a tools array")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let catalog: Vec<&str> = odoo_mcp_gateway::catalog::CATALOG
        .iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, catalog, "a Full Access key lists the whole catalog");
}
