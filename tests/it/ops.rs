//! Operating endpoints: liveness, readiness and Prometheus metrics.

use odoo_mcp_gateway::connections::Scope;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    let get = |path: &str| app.http.get(format!("{}{path}", app.base)).send();
    let health = get("/healthz").await.unwrap();
    assert_eq!(
        (health.status().as_u16(), health.text().await.unwrap()),
        (200, "ok".to_owned())
    );
    let ready = get("/readyz").await.unwrap();
    assert_eq!(
        (ready.status().as_u16(), ready.text().await.unwrap()),
        (200, "ready".to_owned())
    );

    let (_, key) = app.api_key("demo", Scope::Full).await;
    app.call(&key, "count_records", json!({"model": "res.partner"}))
        .await;
    app.post(None, r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .await
        .unwrap();
    let metrics = get("/metrics").await.unwrap();
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(r#"omg_tool_calls_total{tool="count_records",outcome="success"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"omg_mcp_refusals_total{reason="missing_token"} 1"#),
        "{text}"
    );
    assert!(text.contains("omg_tool_call_seconds_bucket"), "{text}");

    let unknown = get("/favicon.ico").await.unwrap();
    assert_eq!(unknown.status(), 404, "an unknown URL is no MCP request");
    assert!(
        app.audit().await.iter().all(|e| e.method != "GET"),
        "and is not audited"
    );

    app.state.store.close().await;
    let down = get("/readyz").await.unwrap();
    assert_eq!(down.status(), 503, "readiness follows the database");
}
