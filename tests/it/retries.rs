//! Retry-safe writes in front of the simulator: a write repeated with its `idempotency_key`
//! answers the first call's result without Odoo being called, racing duplicates run once, the
//! key is refused with other arguments, freed after a call that changed nothing, and per
//! connection; a held call keeps its one approval request.

use odoo_mcp_gateway::connections::Scope;
use serde_json::{Value, json};

use odoo_mcp_gateway::values::IdempotencyState;

use crate::helpers::{TestApp, error_text, execute_sql, ok_result, one_created_id};

fn create(name: &str, key: &str) -> Value {
    json!({"model": "res.partner", "values": {"name": name}, "idempotency_key": key})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_write_runs_once_and_answers_the_first_result() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let first = app
        .call(&key, "create_record", create("Retry Co", "k-1"))
        .await;
    let id = ok_result(&first)["id"].as_i64().unwrap();
    let served = app.sim().calls_served();
    let again = app
        .call(&key, "create_record", create("Retry Co", "k-1"))
        .await;
    assert_eq!(again["result"], first["result"], "the same answer");
    assert_eq!(app.sim().calls_served(), served, "Odoo was not called");
    assert!(
        app.metrics()
            .contains(r#"omg_idempotent_replays_total{tool="create_record"} 1"#),
        "{}",
        app.metrics()
    );

    // Other arguments under the same key: refused, nothing run.
    let other = error_text(
        &app.call(&key, "create_record", create("Other Co", "k-1"))
            .await,
    );
    assert_eq!(
        other,
        "The idempotency_key 'k-1' was already used with other arguments in the last 24 hours; \
         use a new key for a different call."
    );
    assert_eq!(app.sim().calls_served(), served);

    // Racing duplicates: one creation, every caller gets its id.
    let created = one_created_id(
        (0..8).map(|_| app.call(&key, "create_record", create("Race Co", "k-race"))),
    )
    .await;
    let probe = app
        .call(&key, "create_record", create("Probe Co", "k-probe"))
        .await;
    assert_eq!(
        ok_result(&probe)["id"].as_i64().unwrap(),
        created + 1,
        "no other record was created (first {id})"
    );

    // Keys are per connection.
    let (_, second) = app.api_key("demo", Scope::Full).await;
    let theirs = app
        .call(&second, "create_record", create("Retry Co", "k-1"))
        .await;
    assert_ne!(ok_result(&theirs)["id"].as_i64().unwrap(), id);

    // A bad key is a bad argument; read tools take none.
    let bad = error_text(
        &app.call(&key, "create_record", create("X", "has space"))
            .await,
    );
    assert!(
        bad.contains("idempotency_key: letters, digits and punctuation only"),
        "{bad}"
    );
    let read = error_text(
        &app.call(
            &key,
            "count_records",
            json!({"model": "res.partner", "idempotency_key": "k"}),
        )
        .await,
    );
    assert!(read.contains("unknown field `idempotency_key`"), "{read}");
}

#[tokio::test]
async fn a_failed_call_that_changed_nothing_frees_its_key() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let bad = json!({"model": "res.partner", "values": {"no_such_field": 1},
                     "idempotency_key": "k-fix"});
    let refused = error_text(&app.call(&key, "create_record", bad.clone()).await);
    assert!(refused.contains("no_such_field"), "{refused}");
    // The same call again really runs again (and fails again) …
    let again = error_text(&app.call(&key, "create_record", bad).await);
    assert_eq!(again, refused);
    // … and the corrected call may use the key.
    let fixed = app
        .call(&key, "create_record", create("Fixed Co", "k-fix"))
        .await;
    ok_result(&fixed);
}

#[tokio::test]
async fn a_held_call_retried_with_its_key_files_one_request() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(id, |p| p.approval_tools = "delete_record".parse().unwrap())
        .await;
    let delete = json!({"model": "res.partner", "ids": [9], "idempotency_key": "k-held"});
    let first = ok_result(&app.call(&key, "delete_record", delete.clone()).await).clone();
    assert_eq!(first["status"], "pending_approval", "{first}");
    let again = ok_result(&app.call(&key, "delete_record", delete).await).clone();
    assert_eq!(again["approval_id"], first["approval_id"]);
    let requests = app.state.store.list_approvals(None, 10).await.unwrap();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(!requests[0].arguments.contains("idempotency_key"));
}

/// A duplicate that arrives while the first call still runs (here: a row another replica is
/// running) waits for its answer; one whose first call ended unknown is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_waits_for_the_running_call_and_an_unknown_outcome_is_refused() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    let first = app
        .call(&key, "create_record", create("Wait Co", "k-wait"))
        .await;
    ok_result(&first);
    let store = &app.state.store;
    execute_sql(
        store,
        "UPDATE idempotency SET state = 'running', result = NULL",
    )
    .await;
    let served = app.sim().calls_served();
    // The answer can only be 4242 if the call waited for the row to be finished.
    let finish = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        store
            .finish_idempotency(
                id,
                "k-wait",
                IdempotencyState::Done,
                Some(r#"{"id": 4242, "model": "res.partner"}"#),
            )
            .await
            .unwrap();
    };
    let (answer, ()) = tokio::join!(
        app.call(&key, "create_record", create("Wait Co", "k-wait")),
        finish
    );
    assert_eq!(
        ok_result(&answer)["id"],
        4242,
        "the running call's answer: {answer}"
    );
    assert_eq!(app.sim().calls_served(), served, "Odoo was not called");

    execute_sql(
        store,
        "UPDATE idempotency SET state = 'unknown', result = NULL",
    )
    .await;
    let unknown = error_text(
        &app.call(&key, "create_record", create("Wait Co", "k-wait"))
            .await,
    );
    assert!(
        unknown.contains("ended without a known outcome"),
        "{unknown}"
    );
}
