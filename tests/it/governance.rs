//! Governance on every MCP call, each rule at its boundary: IP lists, rate limits, allowed tools
//! and models, the master switch, and the audit entry of every refusal.

use odoo_mcp_gateway::clock::MINUTE_MS;
use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::jobs;
use odoo_mcp_gateway::settings::ServerSettings;
use odoo_mcp_gateway::store::AuditRow;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_text, ok_result};

const LIST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;

async fn from_ip(app: &TestApp, key: &str, ip: &str) -> reqwest::Response {
    app.post_with(Some(key), LIST, &[("x-forwarded-for", ip)])
        .send()
        .await
        .unwrap()
}

fn latest<'a>(events: &'a [AuditRow], outcome: &str) -> &'a AuditRow {
    events
        .iter()
        .find(|e| e.outcome == outcome)
        .unwrap_or_else(|| panic!("no {outcome} event in {events:?}"))
}

#[tokio::test]
async fn ip_allow_and_block_lists_hold_at_their_boundaries() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| {
        p.allowed_ips = "# office\n192.168.1.0/24\n2001:db8::/32".parse().unwrap();
        p.blocked_ips = "192.168.1.66\n2001:db8:bad::/48".parse().unwrap();
    })
    .await;

    assert_eq!(from_ip(&app, &key, "192.168.1.20").await.status(), 200);
    assert_eq!(
        from_ip(&app, &key, "::ffff:192.168.1.21").await.status(),
        200,
        "IPv4-mapped IPv6"
    );
    assert_eq!(from_ip(&app, &key, "2001:db8:1::9").await.status(), 200);

    let outside = from_ip(&app, &key, "192.168.2.1").await;
    assert_eq!(outside.status(), 403, "just outside the /24");
    let body: Value = outside.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "This connection does not accept requests from this address."
    );
    assert!(
        !body.to_string().contains("192.168.1.0"),
        "the lists are not revealed"
    );

    let blocked = from_ip(&app, &key, "192.168.1.66").await;
    assert_eq!(blocked.status(), 403);
    let body: Value = blocked.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Requests from this address are blocked for this connection."
    );
    assert_eq!(
        from_ip(&app, &key, "2001:db8:bad::1").await.status(),
        403,
        "IPv6 block"
    );

    // Blocked wins even when nothing is allow-listed.
    app.set_policy(id, |p| p.allowed_ips = Default::default())
        .await;
    assert_eq!(from_ip(&app, &key, "2001:db8:bad:1::1").await.status(), 403);
    assert_eq!(from_ip(&app, &key, "8.8.8.8").await.status(), 200);

    let events = app.audit().await;
    let denied = latest(&events, "denied");
    assert_eq!(denied.rule.as_deref(), Some("ip"));
    assert_eq!(denied.connection_id, Some(id));
    assert_eq!(denied.client_ip.as_deref(), Some("2001:db8:bad:1::1"));
    assert_eq!(
        denied.error.as_deref(),
        Some("Requests from this address are blocked for this connection.")
    );
}

#[tokio::test]
async fn the_rate_limit_admits_exactly_n_per_minute_and_names_the_reset() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| {
        p.rate_per_minute = odoo_mcp_gateway::values::Limit::new(3)
    })
    .await;
    // Start at the beginning of a minute so the window cannot roll over mid-test.
    let now = app.state.clock.now();
    app.state.clock.advance(MINUTE_MS - now % MINUTE_MS);

    for i in 0..3 {
        assert_eq!(
            app.post(Some(&key), LIST).send().await.unwrap().status(),
            200,
            "request {i}"
        );
    }
    let refused = app.post(Some(&key), LIST).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "60");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32000);
    assert_eq!(body["id"], 1, "the request's id is echoed");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Rate limit exceeded: this connection may make 3 requests per minute."),
        "{message}"
    );
    assert!(message.contains("The limit resets at"), "{message}");

    app.state.clock.advance(MINUTE_MS);
    assert_eq!(
        app.post(Some(&key), LIST).send().await.unwrap().status(),
        200,
        "the next minute"
    );

    let events = app.audit().await;
    let limited = latest(&events, "rate_limited");
    assert_eq!(limited.rule.as_deref(), Some("rate"));
    assert_eq!(limited.connection_id, Some(id));
    assert_eq!(limited.error.as_deref(), Some(message));
}

#[tokio::test]
async fn the_day_limit_and_server_defaults_apply_and_concurrency_is_exact() {
    let app = TestApp::spawn().await;
    let settings = ServerSettings {
        rate_per_minute: 1000,
        rate_per_day: 10,
        ..ServerSettings::default()
    };
    app.state
        .settings
        .save(&app.state.store, &settings)
        .await
        .unwrap();
    let (_, key) = app.api_key("demo", Scope::Full).await;

    let requests = (0..30).map(|_| async {
        app.post(Some(&key), LIST)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    let statuses = futures::future::join_all(requests).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 20);
    let body: Value = app
        .post(Some(&key), LIST)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10 requests per day (UTC)"),
        "{body}"
    );
}

#[tokio::test]
async fn allowed_tools_hide_and_refuse_the_others() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| {
        p.allowed_tools = "search_records\nget_current_context".parse().unwrap()
    })
    .await;

    assert_eq!(
        app.tool_names(&key).await,
        ["get_current_context", "search_records"]
    );

    let calls_before = app.sim().calls_served();
    let refused = app
        .call(&key, "count_records", json!({"model": "res.partner"}))
        .await;
    assert_eq!(
        error_text(&refused),
        "Refused by Allowed Tools: the tool 'count_records' is not among this connection's allowed tools."
    );
    assert_eq!(app.sim().calls_served(), calls_before);

    let events = app.audit().await;
    let denied = latest(&events, "denied");
    assert_eq!(denied.rule.as_deref(), Some("tools"));
    assert_eq!(
        (denied.tool.as_deref(), denied.model.as_deref()),
        (Some("count_records"), Some("res.partner"))
    );
    assert_eq!(denied.user_login.as_deref(), Some("demo"));
}

#[tokio::test]
async fn model_operations_hide_and_refuse_by_operation_on_each_model() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| {
        p.allowed_models = "res.partner".parse().unwrap();
        p.model_operations = "res.partner: read, write".parse().unwrap();
    })
    .await;
    // Tools that could only create, delete or run things on res.partner are not listed.
    let names = app.tool_names(&key).await;
    for hidden in [
        "create_record",
        "create_records",
        "delete_record",
        "execute_method",
        "run_action",
    ] {
        assert!(
            !names.iter().any(|n| n == hidden),
            "{hidden} listed: {names:?}"
        );
    }
    for shown in [
        "search_records",
        "update_record",
        "get_current_context",
        "list_models",
    ] {
        assert!(
            names.iter().any(|n| n == shown),
            "{shown} missing: {names:?}"
        );
    }
    // The allowed case and the refused one beside it, before Odoo sees anything.
    ok_result(
        &app.call(&key, "count_records", json!({"model": "res.partner"}))
            .await,
    );
    let calls_before = app.sim().calls_served();
    let refused = app
        .call(
            &key,
            "delete_record",
            json!({"model": "res.partner", "ids": [1]}),
        )
        .await;
    assert_eq!(
        error_text(&refused),
        "Refused by Model Operations: this connection may not delete res.partner records (it may: read, write)."
    );
    assert_eq!(app.sim().calls_served(), calls_before, "Odoo saw nothing");
    let events = app.audit().await;
    let denied = latest(&events, "denied");
    assert_eq!(denied.rule.as_deref(), Some("operations"));
    assert_eq!(
        (denied.tool.as_deref(), denied.model.as_deref()),
        (Some("delete_record"), Some("res.partner"))
    );
    // A dry run is refused too: it is the same operation.
    let dry = app
        .call(
            &key,
            "delete_record",
            json!({"model": "res.partner", "ids": [1], "dry_run": true}),
        )
        .await;
    assert!(error_text(&dry).starts_with("Refused by Model Operations"));
    // Without Allowed Models every model may be named, so nothing is hidden; the rule still holds.
    app.set_policy(id, |p| {
        p.allowed_models = Default::default();
        p.model_operations = "res.partner: read".parse().unwrap();
    })
    .await;
    assert!(
        app.tool_names(&key)
            .await
            .iter()
            .any(|n| n == "delete_record")
    );
    let refused = app
        .call(
            &key,
            "update_record",
            json!({"model": "res.partner", "ids": [1], "values": {"name": "x"}}),
        )
        .await;
    assert!(error_text(&refused).contains("may not write res.partner records (it may: read)"));
    ok_result(
        &app.call(&key, "count_records", json!({"model": "sale.order"}))
            .await,
    );
}

#[tokio::test]
async fn allowed_companies_refuse_the_others_before_odoo_sees_the_call() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    let count = |company: Value| {
        let mut arguments = json!({"model": "res.partner"});
        if !company.is_null() {
            arguments["company_id"] = company;
        }
        app.call(&key, "count_records", arguments)
    };
    // With no list, the user's own companies: Odoo refuses one the user is not in.
    ok_result(&count(json!(1)).await);
    let foreign = error_text(&count(json!(2)).await);
    assert!(
        foreign.starts_with("Odoo refused to act in the companies [2]"),
        "{foreign}"
    );
    let bad = error_text(&count(json!(-1)).await);
    assert!(bad.contains("-1 is not a company id"), "{bad}");

    app.set_policy(id, |p| p.allowed_companies = "1".parse().unwrap())
        .await;
    ok_result(&count(Value::Null).await);
    let calls_before = app.sim().calls_served();
    assert_eq!(
        error_text(&count(json!(2)).await),
        "Refused by Allowed Companies: the company 2 is not among this connection's allowed companies."
    );
    assert_eq!(app.sim().calls_served(), calls_before, "Odoo saw nothing");
    let events = app.audit().await;
    let denied = latest(&events, "denied");
    assert_eq!(denied.rule.as_deref(), Some("companies"));
    assert_eq!(denied.tool.as_deref(), Some("count_records"));
    assert!(
        denied
            .error
            .as_deref()
            .is_some_and(|e| e.contains("allowed companies")),
        "{denied:?}"
    );
}

#[tokio::test]
async fn allowed_models_follow_dotted_paths_into_domains_fields_order_and_grouping() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| {
        p.allowed_models = "sale.order\nres.partner".parse().unwrap()
    })
    .await;

    let ok = app
        .call(
            &key,
            "search_records",
            json!({"model": "sale.order", "domain": [["partner_id.name", "ilike", "a"]]}),
        )
        .await;
    ok_result(&ok);

    let calls_before = app.sim().calls_served();
    let root = app
        .call(&key, "search_records", json!({"model": "res.users"}))
        .await;
    assert_eq!(
        error_text(&root),
        "Refused by Allowed Models: the model 'res.users' is not among this connection's allowed models."
    );
    assert_eq!(
        app.sim().calls_served(),
        calls_before,
        "a forbidden model is never queried"
    );

    let cases = [
        (
            json!({"model": "sale.order", "domain": [["partner_id.country_id.code", "=", "BE"]]}),
            "partner_id.country_id.code",
            "res.country",
        ),
        (
            json!({"model": "sale.order", "fields": ["name", "user_id.login"]}),
            "user_id.login",
            "res.users",
        ),
        (
            json!({"model": "res.partner", "order": "company_id.name desc"}),
            "company_id.name",
            "res.company",
        ),
    ];
    for (args, path, model) in cases {
        let text = error_text(&app.call(&key, "search_records", args.clone()).await);
        assert_eq!(
            text,
            format!(
                "Refused by Allowed Models: the field path '{path}' reaches the model '{model}', which is not among this connection's allowed models."
            ),
            "{args}"
        );
    }
    let any = app
        .call(&key, "search_records", json!({"model": "sale.order", "domain": [["user_id", "any", [["login", "=", "admin"]]]]}))
        .await;
    assert_eq!(
        error_text(&any),
        "Refused by Allowed Models: the field path 'user_id.id' reaches the model 'res.users', which is not among this connection's allowed models.",
        "a sub-domain under `any` is followed too"
    );
    let grouped = app
        .call(
            &key,
            "aggregate_records",
            json!({"model": "sale.order", "group_by": ["user_id.company_id"]}),
        )
        .await;
    assert!(
        error_text(&grouped).contains("reaches the model 'res.users'"),
        "{grouped}"
    );
    let listed = app.call(&key, "list_models", json!({})).await;
    let names: Vec<&str> = ok_result(&listed)["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["model"].as_str())
        .collect();
    assert_eq!(
        names,
        ["res.partner", "sale.order"],
        "list_models shows only the allowed models"
    );
    let method = app
        .call(
            &key,
            "execute_method",
            json!({"model": "res.country", "method": "name_search"}),
        )
        .await;
    assert!(error_text(&method).contains("'res.country' is not among"));
}

/// Another replica or process turning the switch off writes the database, not this process's
/// settings cache: the very next request with a key or an access token is refused all the same.
#[tokio::test]
async fn a_master_switch_turned_off_elsewhere_is_seen_on_the_next_request() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let call =
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_current_context"}}"#;
    for body in [LIST, call] {
        assert_eq!(
            app.post(Some(&key), body).send().await.unwrap().status(),
            200
        );
    }
    // Fill this process's cache, then switch off behind it, as another replica would.
    app.state.settings.get(&app.state.store).await.unwrap();
    app.state
        .store
        .put_setting("mcp_enabled", "false")
        .await
        .unwrap();
    for body in [LIST, call] {
        let response = app.post(Some(&key), body).send().await.unwrap();
        assert_eq!(response.status(), 503, "{body}");
    }
    app.state
        .store
        .put_setting("mcp_enabled", "true")
        .await
        .unwrap();
    assert_eq!(
        app.post(Some(&key), LIST).send().await.unwrap().status(),
        200
    );
    let audit = app.audit().await;
    assert_eq!(
        audit
            .iter()
            .filter(|e| e
                .error
                .as_deref()
                .is_some_and(|m| m.contains("switched off")))
            .count(),
        2
    );
}

#[tokio::test]
async fn the_master_switch_refuses_every_request_at_once() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let off = ServerSettings {
        mcp_enabled: false,
        ..ServerSettings::default()
    };
    app.state
        .settings
        .save(&app.state.store, &off)
        .await
        .unwrap();
    for auth in [Some(key.as_str()), None] {
        let response = app.post(auth, LIST).send().await.unwrap();
        assert_eq!(response.status(), 503);
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("switched off"),
            "{body}"
        );
    }
    app.state
        .settings
        .save(&app.state.store, &ServerSettings::default())
        .await
        .unwrap();
    assert_eq!(
        app.post(Some(&key), LIST).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn every_request_is_audited_with_its_facts_and_payloads_only_when_enabled() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    let found = app
        .call(
            &key,
            "search_records",
            json!({"model": "res.partner", "limit": 2}),
        )
        .await;
    ok_result(&found);
    let failed = app
        .call(
            &key,
            "search_records",
            json!({"model": "ir.config_parameter"}),
        )
        .await;
    error_text(&failed);
    app.post(None, LIST).send().await.unwrap();

    let events = app.audit().await;
    assert_eq!(events.len(), 3, "{events:?}");
    let [unauthenticated, error, success] = &events[..] else {
        unreachable!()
    };
    assert_eq!(
        (success.method.as_str(), success.outcome.as_str()),
        ("tools/call", "success")
    );
    assert_eq!(success.tool.as_deref(), Some("search_records"));
    assert_eq!(success.model.as_deref(), Some("res.partner"));
    assert_eq!(success.connection_id, Some(id));
    assert_eq!(success.user_login.as_deref(), Some("demo"));
    assert_eq!(success.client_ip.as_deref(), Some("127.0.0.1"));
    assert!(success.request_payload.is_none() && success.response_payload.is_none());
    assert_eq!(error.outcome, "error");
    assert!(
        error
            .error
            .as_deref()
            .unwrap()
            .starts_with("Odoo refused: You are not allowed"),
        "{error:?}"
    );
    assert_eq!(
        (
            unauthenticated.outcome.as_str(),
            unauthenticated.connection_id
        ),
        ("denied", None)
    );

    let logging = ServerSettings {
        payload_logging: true,
        ..ServerSettings::default()
    };
    app.state
        .settings
        .save(&app.state.store, &logging)
        .await
        .unwrap();
    let secret_values = json!({"name": "Payload Co", "comment": &key, "x_api_token": "tok-123"});
    app.call(
        &key,
        "create_record",
        json!({"model": "res.partner", "values": secret_values, "dry_run": true}),
    )
    .await;
    let logged = &app.audit().await[0];
    let request = logged.request_payload.as_deref().unwrap();
    let response = logged.response_payload.as_deref().unwrap();
    // The simulator's res.partner has no such field: the answer is the refusal naming it.
    assert!(request.contains("Payload Co"), "{request}");
    assert!(response.contains("no field 'x_api_token'"), "{response}");
    for secret in [key.as_str(), "tok-123"] {
        assert!(
            !request.contains(secret) && !response.contains(secret),
            "{secret} in the payload log"
        );
    }
}

#[tokio::test]
async fn the_retention_job_removes_only_old_events() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    app.post(Some(&key), LIST).send().await.unwrap();
    assert_eq!(app.audit().await.len(), 1);
    let now = app.state.clock.now();
    assert_eq!(jobs::audit_retention(&app.state, now).await.unwrap(), 0);
    let ninety_one_days = 91 * 24 * 3_600_000;
    assert_eq!(
        jobs::audit_retention(&app.state, now + ninety_one_days)
            .await
            .unwrap(),
        1
    );
    assert!(app.audit().await.is_empty());
}

#[tokio::test]
async fn a_graceful_shutdown_commits_every_answered_requests_audit_event() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    let requests =
        (0..40).map(|_| async { app.post(Some(&key), LIST).send().await.unwrap().status() });
    let statuses = futures::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 200));
    let state = app.stop().await;
    let filter = odoo_mcp_gateway::store::AuditFilter {
        limit: 1000,
        ..Default::default()
    };
    assert_eq!(
        state.store.list_audit_events(&filter).await.unwrap().len(),
        40
    );
    let connection = odoo_mcp_gateway::connections::get(&state.store, id)
        .await
        .unwrap();
    assert_eq!(connection.request_count, 40);
}

#[tokio::test]
async fn refusals_echo_the_request_id_and_expose_their_headers_to_browsers() {
    let app = TestApp::spawn().await;
    for (key, body, id) in [
        (
            Some("omg_unknown"),
            r#"{"jsonrpc":"2.0","id":"req-7","method":"tools/list"}"#,
            json!("req-7"),
        ),
        (
            None,
            r#"{"jsonrpc":"2.0","id":42,"method":"tools/list"}"#,
            json!(42),
        ),
        (
            None,
            r#"{"jsonrpc":"2.0","id":{"bad":1},"method":"tools/list"}"#,
            Value::Null,
        ),
        (None, r#"{"jsonrpc":"2.0","id":3,"#, Value::Null),
    ] {
        let refused = app
            .post_with(key, body, &[("origin", "https://claude.ai")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401, "{body}");
        let exposed = refused.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            exposed.contains("retry-after") && exposed.contains("www-authenticate"),
            "{exposed}"
        );
        let answer: Value = refused.json().await.unwrap();
        assert_eq!(answer["id"], id, "{body} → {answer}");
    }
}
