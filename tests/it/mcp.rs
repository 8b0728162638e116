//! MCP end to end: a real rmcp client and raw HTTP against the gateway and the simulator.

use odoo_mcp_gateway::connections::{self, Scope};
use odoo_mcp_gateway::odoo::sim::OdooVersion;
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_text, ok_result};

#[tokio::test]
async fn an_mcp_client_lists_tools_and_reads_partners_as_the_keys_odoo_user() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let client = app.mcp_client(&key).await;

    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert!(
        names.contains(&"search_records") && names.contains(&"delete_record"),
        "{names:?}"
    );
    let search = tools.iter().find(|t| t.name == "search_records").unwrap();
    assert_eq!(
        search.annotations.as_ref().unwrap().read_only_hint,
        Some(true)
    );
    assert_eq!(
        search.meta.as_ref().unwrap().get("risk"),
        Some(&json!("low"))
    );

    let args = json!({"model": "res.partner", "domain": [["is_company", "=", true]], "fields": ["name"], "limit": 50});
    let result = client
        .call_tool(
            CallToolRequestParams::new("search_records")
                .with_arguments(args.as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false));
    let records = result.structured_content.unwrap()["records"]
        .as_array()
        .unwrap()
        .clone();
    let names: Vec<&str> = records.iter().filter_map(|r| r["name"].as_str()).collect();
    assert!(names.contains(&"Azure Interior"), "{names:?}");

    let ctx = client
        .call_tool(CallToolRequestParams::new("get_current_context"))
        .await
        .unwrap()
        .structured_content
        .unwrap();
    assert_eq!(ctx["user"]["login"], "demo");
    assert_eq!(ctx["user"]["name"], "Marc Demo");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_demo_user_gets_odoos_access_error_for_system_parameters() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let response = app
        .call(
            &key,
            "search_records",
            json!({"model": "ir.config_parameter"}),
        )
        .await;
    let text = error_text(&response);
    assert!(text.starts_with("Odoo refused: You are not allowed to access 'System Parameter' (ir.config_parameter) records."), "{text}");
    assert!(
        !text.contains("Traceback") && !text.contains("127.0.0.1"),
        "{text}"
    );
}

#[tokio::test]
async fn writes_reach_odoo_as_the_user_and_dry_runs_change_nothing() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let created = app
        .call(&key, "create_record", json!({"model": "res.partner", "values": {"name": "Gateway Test Co", "is_company": true}}))
        .await;
    let id = ok_result(&created)["id"].as_i64().unwrap();
    let stored = app.sim().record("res.partner", id).unwrap();
    assert_eq!(stored["name"], "Gateway Test Co");
    assert_eq!(
        stored["create_uid"],
        json!(5),
        "created as demo (uid 5): {stored}"
    );

    let dry = app
        .call(&key, "update_record", json!({"model": "res.partner", "ids": [id], "values": {"name": "Renamed"}, "dry_run": true}))
        .await;
    assert_eq!(ok_result(&dry)["current"][0]["name"], "Gateway Test Co");
    assert_eq!(
        app.sim().record("res.partner", id).unwrap()["name"],
        "Gateway Test Co"
    );

    let updated = app
        .call(
            &key,
            "update_record",
            json!({"model": "res.partner", "ids": [id], "values": {"name": "Renamed"}}),
        )
        .await;
    assert_eq!(ok_result(&updated)["updated"], true);
    assert_eq!(
        app.sim().record("res.partner", id).unwrap()["name"],
        "Renamed"
    );

    let deleted = app
        .call(
            &key,
            "delete_record",
            json!({"model": "res.partner", "ids": [id]}),
        )
        .await;
    assert_eq!(ok_result(&deleted)["deleted"], true);
    assert!(app.sim().record("res.partner", id).is_none());
}

#[tokio::test]
async fn a_read_only_key_neither_sees_nor_calls_write_tools() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::ReadOnly).await;
    let client = app.mcp_client(&key).await;
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for write in [
        "create_record",
        "update_record",
        "delete_record",
        "execute_method",
    ] {
        assert!(
            !names.contains(&write),
            "{write} visible to a read-only key"
        );
    }
    assert!(names.contains(&"search_records"));
    client.cancel().await.unwrap();

    let calls_before = app.sim().calls_served();
    let response = app
        .call(
            &key,
            "delete_record",
            json!({"model": "res.partner", "ids": [1]}),
        )
        .await;
    assert!(
        error_text(&response).contains("scope is Read Only"),
        "{response}"
    );
    assert_eq!(
        app.sim().calls_served(),
        calls_before,
        "nothing was sent to Odoo"
    );
}

#[tokio::test]
async fn revoked_and_rotated_away_keys_get_401_at_once() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    assert_eq!(
        app.post(Some(&key), list).send().await.unwrap().status(),
        200
    );

    let s = &app.state;
    let rotated = connections::rotate_key(&s.store, &s.keyring, id)
        .await
        .unwrap();
    let old = app.post(Some(&key), list).send().await.unwrap();
    assert_eq!(old.status(), 401);
    let challenge = old.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains(&format!(
            "resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            app.base
        )),
        "{challenge}"
    );
    assert!(challenge.contains("error=\"invalid_token\""));
    let new_key = secrecy::ExposeSecret::expose_secret(&rotated.key).to_owned();
    assert_eq!(
        app.post(Some(&new_key), list)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    connections::revoke(
        &s.store,
        id,
        s.clock.now(),
        connections::Actor::Administrator,
    )
    .await
    .unwrap();
    let revoked = app.post(Some(&new_key), list).send().await.unwrap();
    assert_eq!(revoked.status(), 401);
    let body: Value = revoked.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "This connection has been revoked."
    );

    connections::reactivate(&s.store, id, connections::Actor::Administrator)
        .await
        .unwrap();
    assert_eq!(
        app.post(Some(&new_key), list)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn requests_without_a_key_are_challenged() {
    let app = TestApp::spawn().await;
    for auth in [None, Some("omg_not-a-real-key"), Some("garbage")] {
        let response = app
            .post(auth, r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{auth:?}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer resource_metadata=")
        );
    }
}

#[tokio::test]
async fn usage_is_counted_and_status_follows() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    let s = &app.state;
    let idle_after = 7 * 24 * 3_600_000;
    let fresh = connections::get(&s.store, id).await.unwrap();
    assert_eq!(
        fresh.status(idle_after, s.clock.now()),
        connections::Status::Awaiting
    );
    for _ in 0..3 {
        app.post(
            Some(&key),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
        )
        .send()
        .await
        .unwrap();
    }
    s.audit.flush().await;
    let used = connections::get(&s.store, id).await.unwrap();
    assert_eq!(used.request_count, 3);
    assert_eq!(used.last_used_at, Some(s.clock.now()));
    assert_eq!(
        used.status(idle_after, s.clock.now()),
        connections::Status::Connected
    );
    s.clock.advance(idle_after + 1);
    assert_eq!(
        used.status(idle_after, s.clock.now()),
        connections::Status::Idle
    );
}

#[tokio::test]
async fn every_supported_protocol_revision_initializes_and_accept_variants_are_tolerated() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    for version in ["2025-06-18", "2025-11-25"] {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
        let response: Value = app
            .post_with(
                Some(&key),
                &body.to_string(),
                &[("mcp-protocol-version", version)],
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(response["result"]["protocolVersion"], version, "{response}");
        assert_eq!(response["result"]["serverInfo"]["name"], "odoo-mcp-gateway");
    }
    // 2026-07-28: no handshake; the version travels in each request's _meta.
    let modern = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}}}});
    let response = app
        .post_with(
            Some(&key),
            &modern.to_string(),
            &[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/list"),
            ],
        )
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        body["result"]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{body}"
    );

    for accept in ["*/*", "application/json", "text/event-stream", ""] {
        let response = app
            .post_with(
                Some(&key),
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
                &[("accept", accept)],
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "Accept: {accept}");
    }
}

#[tokio::test]
async fn origins_are_validated_and_preflights_answered() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let evil = app
        .post(Some(&key), list)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    let claude = app
        .post(Some(&key), list)
        .header("origin", "https://claude.ai")
        .send()
        .await
        .unwrap();
    assert_eq!(claude.status(), 200);

    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, &app.mcp_url)
        .header("origin", "https://claude.ai")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, mcp-protocol-version",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    let calls_before = app.sim().calls_served();

    let malformed = app.post(Some(&key), "{not json").send().await.unwrap();
    assert_eq!(malformed.status(), 400, "malformed JSON");
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32700, "{body}");

    let wrong_jsonrpc = app
        .post(Some(&key), r#"{"jsonrpc":"1.0","method":7}"#)
        .send()
        .await
        .unwrap();
    assert!(
        wrong_jsonrpc.status().is_client_error(),
        "{}",
        wrong_jsonrpc.status()
    );

    let wrong_type = app
        .post_with(
            Some(&key),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            &[("content-type", "text/plain")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415, "wrong content type");
    let body: Value = wrong_type.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("application/json"),
        "{body}"
    );

    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{"x":"{}"}}}}"#,
        "a".repeat(70_000)
    );
    let too_big = app.post(Some(&key), &huge).send().await.unwrap();
    assert_eq!(too_big.status(), 413);
    let body: Value = too_big.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("exceeds the limit"),
        "{body}"
    );

    let unknown: Value = app
        .post(Some(&key), r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"drop_database","arguments":{}}}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unknown tool 'drop_database'")
    );

    let cases = [
        (
            json!({"model": "res.partner", "bogus": 1}),
            "unknown field `bogus`",
        ),
        (json!({"domain": []}), "missing field `model`"),
        (json!({"model": "Res Partner"}), "is not an Odoo model name"),
        (
            json!({"model": "res.partner", "limit": 5000}),
            "limit cannot exceed 200",
        ),
        (
            json!({"model": "res.partner", "domain": [["name", "resembles", "x"]]}),
            "unknown operator",
        ),
        (
            json!({"model": "res.partner", "order": "name; drop table"}),
            "not a field name",
        ),
    ];
    for (args, expected) in cases {
        let text = error_text(&app.call(&key, "search_records", args.clone()).await);
        assert!(text.contains(expected), "{args} → {text}");
    }
    let text = error_text(&app.call(&key, "execute_method", json!({"model": "ir.config_parameter", "method": "set_param", "arguments": {"key": "x", "value": "y"}})).await);
    assert!(text.contains("security-sensitive"), "{text}");
    let text = error_text(
        &app.call(
            &key,
            "execute_method",
            json!({"model": "res.partner", "method": "_compute_display_name"}),
        )
        .await,
    );
    assert!(text.contains("Private methods"), "{text}");

    assert_eq!(
        app.sim().calls_served(),
        calls_before,
        "no bad request reached Odoo"
    );
    // The refused requests that authenticated still count as requests of the connection.
    app.state.audit.flush().await;
    assert!(
        connections::get(&app.state.store, id)
            .await
            .unwrap()
            .request_count
            > 0
    );
}

#[tokio::test]
async fn odoo_18_over_json_rpc_serves_the_same_tools() {
    let app = TestApp::spawn_with(OdooVersion::V18).await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let user = app
        .state
        .store
        .find_odoo_user("demo")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.protocol, "jsonrpc");
    let counted = app
        .call(
            &key,
            "count_records",
            json!({"model": "res.partner", "domain": [["is_company", "=", true]]}),
        )
        .await;
    assert!(ok_result(&counted)["count"].as_i64().unwrap() > 3);
    let grouped = app
        .call(&key, "aggregate_records", json!({"model": "sale.order", "group_by": ["state"], "aggregates": ["amount_total:sum"]}))
        .await;
    assert!(
        !ok_result(&grouped)["groups"].as_array().unwrap().is_empty(),
        "{grouped}"
    );
}

#[tokio::test]
async fn an_api_key_linked_user_on_odoo_19_uses_json_2() {
    let app = TestApp::spawn().await;
    let key = app.sim().issue_api_key("demo").unwrap();
    app.link_with("demo", &key).await;
    let user = app
        .state
        .store
        .find_odoo_user("demo")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.protocol, "json2");
    assert!(
        !String::from_utf8_lossy(&user.secret_sealed).contains(&key),
        "stored sealed"
    );
    let (_, mcp_key) = app.api_key("demo", Scope::Full).await;
    let found = app
        .call(
            &mcp_key,
            "get_record",
            json!({"model": "res.partner", "id": 3}),
        )
        .await;
    assert!(ok_result(&found)["record"]["id"] == 3, "{found}");
}
