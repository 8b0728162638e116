//! Malformed JSON-RPC over HTTP: a bad envelope is a 400 with a `-32600` body, bad params of a
//! known method a `-32602` naming the parameter, an unknown method `-32601 Method not found: …`;
//! each echoes the request id when it had a valid one, is audited against the connection,
//! counted in `/metrics`, and never reaches Odoo.

use odoo_mcp_gateway::connections::Scope;
use serde_json::Value;

use crate::helpers::TestApp;

async fn answer(app: &TestApp, key: &str, body: &str) -> (u16, Value) {
    let response = app.post(Some(key), body).send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON-RPC error body");
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    (status, body)
}

#[tokio::test]
async fn malformed_envelopes_are_invalid_requests_with_a_reason() {
    let app = TestApp::spawn().await;
    let (connection, key) = app.api_key("demo", Scope::Full).await;
    let calls_before = app.sim().calls_served();
    let cases = [
        (
            r#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#,
            Value::Null,
            "batches are not supported",
        ),
        (
            r#"{"jsonrpc":"1.0","id":2,"method":"tools/list"}"#,
            2.into(),
            "'jsonrpc' must be \"2.0\"",
        ),
        (
            r#"{"id":3,"method":"tools/list"}"#,
            3.into(),
            "'jsonrpc' must be \"2.0\"",
        ),
        (
            r#"{"jsonrpc":"2.0","id":{"n":4},"method":"tools/list"}"#,
            Value::Null,
            "'id' must be a string or an integer",
        ),
        (
            r#"{"jsonrpc":"2.0","id":"five","method":"tools/call","params":["search_records"]}"#,
            "five".into(),
            "'params' must be an object",
        ),
    ];
    for (body, id, reason) in &cases {
        let (status, answer) = answer(&app, &key, body).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["error"]["code"], -32600, "{answer}");
        assert_eq!(&answer["id"], id, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{body} → {message}");
    }

    let audit = app.audit().await;
    let refused: Vec<_> = audit
        .iter()
        .filter(|e| {
            e.error
                .as_deref()
                .is_some_and(|m| m.contains("Invalid Request"))
        })
        .collect();
    assert_eq!(refused.len(), cases.len(), "{audit:#?}");
    assert!(
        refused
            .iter()
            .all(|e| e.connection_id == Some(connection) && e.outcome == "error"),
        "{refused:#?}"
    );
    let metrics = app.metrics();
    assert!(
        metrics.contains(r#"omg_mcp_refusals_total{reason="invalid_request"} 5"#),
        "{metrics}"
    );
    assert_eq!(
        app.sim().calls_served(),
        calls_before,
        "nothing reached Odoo"
    );
}

#[tokio::test]
async fn bad_params_and_unknown_methods_say_exactly_that() {
    let app = TestApp::spawn().await;
    let (connection, key) = app.api_key("demo", Scope::Full).await;
    let calls_before = app.sim().calls_served();

    let (status, bad) = answer(
        &app,
        &key,
        r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search_records","arguments":"model=res.partner"}}"#,
    )
    .await;
    assert_eq!(status, 200, "{bad}");
    assert_eq!(bad["id"], 7);
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let message = bad["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Invalid params for tools/call: arguments: invalid type: string"),
        "{message}"
    );

    let (_, unknown) = answer(
        &app,
        &key,
        r#"{"jsonrpc":"2.0","id":"u","method":"tools/explode","params":{}}"#,
    )
    .await;
    assert_eq!(unknown["id"], "u");
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    assert_eq!(
        unknown["error"]["message"],
        "Method not found: tools/explode"
    );

    let audit = app.audit().await;
    for expected in [message, "Method not found: tools/explode"] {
        let entry = audit
            .iter()
            .find(|e| e.error.as_deref() == Some(expected))
            .unwrap_or_else(|| panic!("no audit entry for {expected}: {audit:#?}"));
        assert_eq!(entry.connection_id, Some(connection));
        assert_eq!(entry.outcome, "error");
    }
    let metrics = app.metrics();
    for reason in ["invalid_params", "method_not_found"] {
        let line = format!(r#"omg_mcp_refusals_total{{reason="{reason}"}} 1"#);
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
    assert_eq!(
        app.sim().calls_served(),
        calls_before,
        "nothing reached Odoo"
    );
}
