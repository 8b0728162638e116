//! The write budget and tool limits on every `tools/call`, each at its boundary, on SQLite (the
//! counters in process) and on PostgreSQL (the shared table): what counts, racing calls, a
//! refusal that spends no other budget, and a held call counted once. Across two replicas:
//! `replicas.rs`.

use odoo_mcp_gateway::clock::{DAY_MS, MINUTE_MS, Millis};
use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::odoo::sim::SimOptions;
use odoo_mcp_gateway::values::Limit;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_text, ok_result};

/// A contact of the simulator's demo data (Acme Corporation) and one nothing refers to.
const ACME: i64 = 9;
const DWAYNE: i64 = 41;

on_both_engines!(
    gateway;
    the_write_budget_admits_n_calls_then_names_the_rule_and_the_reset,
    racing_writes_pass_exactly_the_budget,
    a_tool_limit_holds_its_tool_only_and_a_refusal_spends_no_other_budget,
    a_held_call_counts_when_filed_and_not_again_when_it_runs,
);

/// The gateway at the start of a UTC minute, so no window rolls over mid-test.
async fn gateway(database_url: Option<&str>) -> TestApp {
    let app = TestApp::spawn_on(SimOptions::default(), database_url).await;
    let now = app.state.clock.now();
    app.state.clock.advance(MINUTE_MS - now % MINUTE_MS);
    app
}

/// How the refusals write a reset time.
fn utc(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .unwrap()
        .format("%H:%M:%S UTC on %Y-%m-%d")
        .to_string()
}

fn create(name: &str) -> Value {
    json!({"model": "res.partner", "values": {"name": name}})
}

async fn partners_named(app: &TestApp, key: &str, name: &str) -> i64 {
    let counted = app
        .call(
            key,
            "count_records",
            json!({"model": "res.partner", "domain": [["name", "=", name]]}),
        )
        .await;
    ok_result(&counted)["count"].as_i64().unwrap()
}

async fn the_write_budget_admits_n_calls_then_names_the_rule_and_the_reset(app: TestApp) {
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| p.write_per_minute = Limit::new(2))
        .await;
    let now = app.state.clock.now();

    // Reads and dry runs change nothing: the budget does not count them.
    for _ in 0..3 {
        ok_result(
            &app.call(&key, "search_records", json!({"model": "res.partner"}))
                .await,
        );
        let dry = app
            .call(
                &key,
                "create_record",
                json!({"model": "res.partner", "dry_run": true,
                                                "values": {"name": "Budget Dry"}}),
            )
            .await;
        ok_result(&dry);
    }
    for _ in 0..2 {
        ok_result(&app.call(&key, "create_record", create("Budget Co")).await);
    }
    let refused = error_text(&app.call(&key, "create_record", create("Budget Co")).await);
    assert_eq!(
        refused,
        format!(
            "Refused by Write budget: this connection may make 2 calls that change data per minute. The budget resets at {}.",
            utc(now + MINUTE_MS)
        )
    );
    assert_eq!(
        partners_named(&app, &key, "Budget Co").await,
        2,
        "the refused call never reached Odoo"
    );
    let note = app
        .call(
            &key,
            "post_note",
            json!({"model": "res.partner", "id": ACME, "body": "hi"}),
        )
        .await;
    assert!(
        error_text(&note).starts_with("Refused by Write budget"),
        "every write tool counts"
    );

    let events = app.audit().await;
    let limited = events
        .iter()
        .find(|e| e.outcome == "rate_limited")
        .expect("the refusal is audited as rate limited");
    assert_eq!(limited.tool.as_deref(), Some("post_note"));
    assert_eq!(limited.connection_id, Some(id));
    assert!(
        limited
            .error
            .as_deref()
            .unwrap()
            .starts_with("Refused by Write budget")
    );

    app.state.clock.advance(MINUTE_MS);
    ok_result(&app.call(&key, "create_record", create("Budget Co")).await);
}

async fn racing_writes_pass_exactly_the_budget(app: TestApp) {
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| p.write_per_day = Limit::new(5))
        .await;
    let racers = (0..12).map(|_| app.call(&key, "create_record", create("Racing Co")));
    let answers = futures::future::join_all(racers).await;
    let passed = answers
        .iter()
        .filter(|a| a["result"]["isError"] == false)
        .count();
    assert_eq!(passed, 5, "{answers:?}");
    let midnight = app.state.clock.now() / DAY_MS * DAY_MS + DAY_MS;
    let expected = format!(
        "Refused by Write budget: this connection may make 5 calls that change data per day (UTC). The budget resets at {}.",
        utc(midnight)
    );
    for refused in answers.iter().filter(|a| a["result"]["isError"] == true) {
        assert_eq!(error_text(refused), expected);
    }
    assert_eq!(partners_named(&app, &key, "Racing Co").await, 5);
}

async fn a_tool_limit_holds_its_tool_only_and_a_refusal_spends_no_other_budget(app: TestApp) {
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| {
        p.write_per_minute = Limit::new(3);
        p.tool_limits = "update_record: 1/minute\ndelete_record: 1/day"
            .parse()
            .unwrap();
    })
    .await;
    let now = app.state.clock.now();
    let phone =
        json!({"model": "res.partner", "ids": [ACME], "values": {"phone": "+32 2 555 01 02"}});
    ok_result(&app.call(&key, "update_record", phone.clone()).await);
    assert_eq!(
        error_text(&app.call(&key, "update_record", phone).await),
        format!(
            "Refused by Tool limits: update_record may be called once per minute. The limit resets at {}.",
            utc(now + MINUTE_MS)
        )
    );
    // A dry run is a call of its tool, though it spends no write budget.
    let delete = json!({"model": "res.partner", "ids": [DWAYNE]});
    let dry = app
        .call(
            &key,
            "delete_record",
            json!({"model": "res.partner", "ids": [DWAYNE], "dry_run": true}),
        )
        .await;
    ok_result(&dry);
    let refused = error_text(&app.call(&key, "delete_record", delete).await);
    assert!(
        refused
            .starts_with("Refused by Tool limits: delete_record may be called once per day (UTC)."),
        "{refused}"
    );
    assert!(
        app.sim().record("res.partner", DWAYNE).is_some(),
        "nothing was deleted"
    );

    // The refused calls gave their write slots back: one update spent, two creates left.
    for _ in 0..2 {
        ok_result(
            &app.call(&key, "create_record", create("Tool Limit Co"))
                .await,
        );
    }
    let third = error_text(
        &app.call(&key, "create_record", create("Tool Limit Co"))
            .await,
    );
    assert!(third.starts_with("Refused by Write budget"), "{third}");
    // Tools without a limit of their own stay free, reads among them.
    for _ in 0..5 {
        ok_result(
            &app.call(
                &key,
                "get_record",
                json!({"model": "res.partner", "id": ACME}),
            )
            .await,
        );
    }
}

async fn a_held_call_counts_when_filed_and_not_again_when_it_runs(app: TestApp) {
    let admin = app.administrator().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| {
        p.approval_tools = "update_record".parse().unwrap();
        p.write_per_minute = Limit::new(1);
    })
    .await;
    let phone =
        json!({"model": "res.partner", "ids": [ACME], "values": {"phone": "+32 2 555 01 03"}});
    let held = app.call(&key, "update_record", phone.clone()).await;
    let held = ok_result(&held);
    assert_eq!(held["status"], "pending_approval", "{held}");
    let refused = error_text(&app.call(&key, "update_record", phone).await);
    assert!(
        refused.starts_with("Refused by Write budget"),
        "filing counted: {refused}"
    );

    let approval = held["approval_id"].as_str().unwrap();
    let done = odoo_mcp_gateway::approvals::approve(&app.state, approval, &admin)
        .await
        .unwrap();
    assert_eq!(done.state.as_db(), "executed", "{:?}", done.error);
    assert_eq!(
        app.sim().record("res.partner", ACME).unwrap()["phone"],
        "+32 2 555 01 03"
    );
}
