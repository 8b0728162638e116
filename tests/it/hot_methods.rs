//! `tools/list` and `ping` answered by the guard's fast path: the same bytes, headers and
//! audit entries as rmcp's service gives, and every request rmcp would refuse still refused.

use odoo_mcp_gateway::connections::{self, Scope};

use crate::helpers::TestApp;

type Headers<'a> = &'a [(&'a str, &'a str)];

/// rmcp's path is forced by an allowed browser `Origin` (the fast path leaves origins to rmcp).
const VIA_RMCP: (&str, &str) = ("origin", "http://localhost:5173");

async fn answer(
    app: &TestApp,
    key: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> (u16, String, String) {
    let response = app
        .post_with(Some(key), body, headers)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

fn fast_answers(app: &TestApp, method: &str) -> u64 {
    app.metric(&format!(
        "omg_mcp_fast_answers_total{{method=\"{method}\"}}"
    ))
}

fn all_fast_answers(app: &TestApp) -> u64 {
    ["tools/list", "ping", "tools/call"]
        .iter()
        .map(|m| fast_answers(app, m))
        .sum()
}

#[tokio::test]
async fn the_fast_path_writes_the_bytes_rmcps_service_writes() {
    let app = TestApp::spawn().await;
    let (_, full) = app.api_key("demo", Scope::Full).await;
    let (read_only_id, read_only) = app.api_key("demo", Scope::ReadOnly).await;
    app.set_policy(read_only_id, |p| {
        p.allowed_tools = "search_records\nget_current_context\ndelete_record"
            .parse()
            .unwrap()
    })
    .await;
    let call = |id: &str, params: &str| {
        format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{params}}}"#)
    };
    let bodies = [
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.to_owned(),
        r#"{"jsonrpc":"2.0","id":"list \"one\" é","method":"tools/list","params":{"cursor":"x"}}"#
            .to_owned(),
        r#"{"jsonrpc":"2.0","id":-9,"method":"ping"}"#.to_owned(),
        r#"{"jsonrpc":"2.0","id":"p","method":"ping","params":{}}"#.to_owned(),
        // A result, a tool error, Odoo's own error, a policy refusal and a protocol error.
        call(
            "3",
            r#"{"name":"search_records","arguments":{"model":"res.partner","fields":["name"],"limit":3}}"#,
        ),
        call("\"c\"", r#"{"name":"get_current_context"}"#),
        call(
            "4",
            r#"{"name":"search_records","arguments":{"model":"no.such.model"}}"#,
        ),
        call(
            "5",
            r#"{"name":"search_records","arguments":{"model":"res.partner","fields":["no_such_field"]}}"#,
        ),
        call(
            "6",
            r#"{"name":"delete_record","arguments":{"model":"res.partner","ids":[1]}}"#,
        ),
        call("7", r#"{"name":"launch_rockets","arguments":{}}"#),
    ];
    for key in [&full, &read_only] {
        for body in &bodies {
            let before = all_fast_answers(&app);
            let fast = answer(&app, key, body, &[]).await;
            assert_eq!(
                all_fast_answers(&app) - before,
                1,
                "the fast path answered {body}"
            );
            let rmcp = answer(&app, key, body, &[VIA_RMCP]).await;
            assert_eq!(all_fast_answers(&app) - before, 1, "rmcp answered {body}");
            assert_eq!(fast, rmcp, "{body}");
            assert_eq!(fast.0, 200);
            // And the two audit entries agree on everything but time and duration.
            let audit = app.audit().await;
            let facts = |e: &odoo_mcp_gateway::store::AuditRow| {
                (
                    e.method.clone(),
                    e.tool.clone(),
                    e.model.clone(),
                    e.connection_id,
                    e.user_login.clone(),
                    e.outcome.clone(),
                    e.error.clone(),
                )
            };
            assert_eq!(facts(&audit[0]), facts(&audit[1]), "{body}");
        }
    }
    // Without an Accept header (normalised by the gateway) and on the oldest protocol version.
    let list = bodies[0].as_str();
    let plain = answer(
        &app,
        &full,
        list,
        &[("accept", ""), ("mcp-protocol-version", "")],
    )
    .await;
    assert_eq!(
        plain,
        answer(&app, &full, list, &[VIA_RMCP, ("mcp-protocol-version", "")]).await
    );

    // The read-only key sees only its read-only allowed tools.
    let listed: serde_json::Value =
        serde_json::from_str(&answer(&app, &read_only, list, &[]).await.2).unwrap();
    let names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["get_current_context", "search_records"]);

    // Each request, on either path, has its audit entry against its connection.
    let audit = app.audit().await;
    let fast_entry = audit
        .iter()
        .find(|e| e.method == "ping" && e.connection_id == Some(read_only_id))
        .unwrap();
    assert_eq!(fast_entry.outcome, "success");
    assert_eq!(fast_entry.user_login.as_deref(), Some("demo"));
    assert_eq!(audit.len(), 2 * 2 * bodies.len() + 2 + 1);
    let called = audit
        .iter()
        .find(|e| {
            e.tool.as_deref() == Some("delete_record") && e.connection_id == Some(read_only_id)
        })
        .unwrap();
    assert_eq!(called.outcome, "denied", "{called:?}");
}

#[tokio::test]
async fn a_hot_request_rmcp_would_refuse_is_still_refused() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let cases: [(Headers, u16, &str); 5] = [
        (
            &[("host", "rebound.example")],
            403,
            "Host header is not allowed",
        ),
        (
            &[("origin", "https://evil.example")],
            403,
            "Origin header is not allowed",
        ),
        (
            &[("mcp-protocol-version", "2030-01-01")],
            400,
            "Unsupported MCP-Protocol-Version",
        ),
        (
            &[("accept", "application/json;q=0, text/event-stream")],
            406,
            "Not Acceptable",
        ),
        (
            &[("mcp-protocol-version", "2026-07-28")],
            400,
            "missing required Mcp-Method header",
        ),
    ];
    for (headers, status, says) in cases {
        let (got, _, text) = answer(&app, &key, list, headers).await;
        assert_eq!(got, status, "{headers:?}: {text}");
        assert!(text.contains(says), "{headers:?}: {text}");
    }
    assert_eq!(fast_answers(&app, "tools/list"), 0);
    let audit = app.audit().await;
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.method == "tools/list"
                && e.connection_id == Some(id)
                && e.outcome != "success")
            .count(),
        cases.len(),
        "{audit:#?}"
    );

    // Governance comes first on the fast path too: a revoked key is refused.
    let state = &app.state;
    connections::revoke(
        &state.store,
        id,
        state.clock.now(),
        connections::Actor::Administrator,
    )
    .await
    .unwrap();
    let (got, _, text) = answer(&app, &key, list, &[]).await;
    assert_eq!(got, 401, "{text}");
    assert_eq!(fast_answers(&app, "tools/list"), 0);
}
