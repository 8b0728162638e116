//! In-chat confirmation over HTTP, as a 2026-07-28 client speaks it: `tools/call` answers
//! `input_required` with one elicitation and a signed `requestState`; the same call retried with
//! the person's answer runs, or is refused; an older client gets the approval queue.

use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::odoo::sim::SimOptions;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_text, ok_result};

/// A contact nothing refers to: deletable.
const DWAYNE: i64 = 41;

struct Chat {
    app: TestApp,
    key: String,
}

impl Chat {
    /// demo's full-access key with `delete_record` to confirm in chat; admin links as the
    /// approver of whatever falls back to the queue.
    async fn new() -> Self {
        Self::on(None).await
    }

    /// Like [`Chat::new`], with the store in `database_url` (PostgreSQL) when given.
    async fn on(database_url: Option<&str>) -> Self {
        let app = TestApp::spawn_on(SimOptions::default(), database_url).await;
        app.link("admin").await;
        let now = app.state.clock.now();
        app.state
            .store
            .set_role("admin", Some("admin".parse().unwrap()), now)
            .await
            .unwrap();
        let (id, key) = app.api_key("demo", Scope::Full).await;
        app.set_policy(id, |p| p.confirm_tools = "delete_record".parse().unwrap())
            .await;
        Self { app, key }
    }

    async fn call_as(&self, capabilities: Value, arguments: Value, extra: Value) -> Value {
        self.app
            .call_modern(&self.key, capabilities, "delete_record", arguments, extra)
            .await
    }

    async fn call(&self, arguments: Value, extra: Value) -> Value {
        self.call_as(json!({"elicitation": {"form": {}}}), arguments, extra)
            .await
    }

    /// The first round: the `input_required` result.
    async fn ask(&self, arguments: Value) -> Value {
        let answer = self.call(arguments, json!({})).await;
        let result = answer["result"].clone();
        assert_eq!(result["resultType"], "input_required", "{answer}");
        result
    }

    /// The retry with the person's `answer` to the question and the state as received.
    async fn reply(&self, arguments: Value, state: &Value, answer: Value) -> Value {
        self.call(
            arguments,
            json!({"inputResponses": {"confirm": answer}, "requestState": state}),
        )
        .await
    }

    async fn approvals(&self) -> Vec<odoo_mcp_gateway::store::ApprovalRow> {
        self.app
            .state
            .store
            .list_approvals(None, 100)
            .await
            .unwrap()
    }

    fn partner(&self, id: i64) -> Option<Value> {
        self.app.sim().record("res.partner", id)
    }

    async fn methods(&self) -> Vec<(String, String)> {
        let mut rows: Vec<_> = self
            .app
            .audit()
            .await
            .into_iter()
            .filter(|r| r.method.starts_with("tools/call"))
            .map(|r| (r.method, r.outcome))
            .collect();
        rows.reverse();
        rows
    }
}

fn delete() -> Value {
    json!({"model": "res.partner", "ids": [DWAYNE]})
}

fn accepted() -> Value {
    json!({"action": "accept", "content": {"confirm": true}})
}

#[tokio::test]
async fn a_modern_client_is_asked_and_the_confirmed_call_runs_once() {
    let chat = Chat::new().await;
    let asked = chat.ask(delete()).await;
    let question = &asked["inputRequests"]["confirm"];
    assert_eq!(question["method"], "elicitation/create", "{asked}");
    assert_eq!(question["params"]["mode"], "form", "{asked}");
    let message = question["params"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Delete 1 record of Contact (res.partner)"),
        "{message}"
    );
    assert_eq!(
        question["params"]["requestedSchema"]["properties"]["confirm"]["type"],
        "boolean"
    );
    assert!(asked["requestState"].as_str().is_some_and(|s| s.len() > 40));
    assert!(chat.partner(DWAYNE).is_some(), "nothing ran on the ask");
    assert!(chat.approvals().await.is_empty());

    let ran = chat
        .reply(delete(), &asked["requestState"], accepted())
        .await;
    assert_eq!(ok_result(&ran)["deleted"], true, "{ran}");
    assert!(chat.partner(DWAYNE).is_none());
    assert_eq!(
        chat.methods().await,
        [
            (
                "tools/call (asked in chat)".to_owned(),
                "pending_approval".to_owned()
            ),
            (
                "tools/call (confirmed in chat)".to_owned(),
                "success".to_owned()
            ),
        ]
    );
}

on_both_engines!(
    chat_on;
    a_confirmation_lets_one_run_and_a_replay_is_refused,
    an_idempotent_retry_of_a_confirmed_call_gets_the_same_answer,
);

async fn chat_on(database_url: Option<&str>) -> Chat {
    Chat::on(database_url).await
}

/// The person confirmed one run: the same state and answer sent again (by a misbehaving client,
/// or an AI that kept them) do not run the call a second time, on any replica.
async fn a_confirmation_lets_one_run_and_a_replay_is_refused(chat: Chat) {
    let asked = chat.ask(delete()).await;
    let state = &asked["requestState"];
    let ran = chat.reply(delete(), state, accepted()).await;
    assert_eq!(ok_result(&ran)["deleted"], true, "{ran}");
    let replica = Chat {
        app: chat.app.replica().await,
        key: chat.key.clone(),
    };
    for again in [&chat, &replica] {
        let refused = again.reply(delete(), state, accepted()).await;
        assert!(
            error_text(&refused).contains("this confirmation was already used"),
            "{refused}"
        );
    }
    // Asking again is the way to run it again.
    assert_eq!(chat.ask(delete()).await["resultType"], "input_required");
}

/// A retry with the same idempotency key is the same run: it gets the stored answer.
async fn an_idempotent_retry_of_a_confirmed_call_gets_the_same_answer(chat: Chat) {
    let once = json!({"model": "res.partner", "ids": [DWAYNE], "idempotency_key": "delete-dwayne"});
    let asked = chat.ask(once.clone()).await;
    let state = &asked["requestState"];
    let ran = chat.reply(once.clone(), state, accepted()).await;
    assert_eq!(ok_result(&ran)["deleted"], true, "{ran}");
    let served = chat.app.sim().calls_served();
    let again = chat.reply(once, state, accepted()).await;
    assert_eq!(ok_result(&again), ok_result(&ran), "{again}");
    assert_eq!(
        chat.app.sim().calls_served(),
        served,
        "the retry reached Odoo"
    );
}

#[tokio::test]
async fn a_declined_or_unticked_confirmation_refuses_the_call() {
    let chat = Chat::new().await;
    for answer in [
        json!({"action": "decline"}),
        json!({"action": "cancel"}),
        json!({"action": "accept", "content": {"confirm": false}}),
    ] {
        let asked = chat.ask(delete()).await;
        let refused = chat.reply(delete(), &asked["requestState"], answer).await;
        let text = error_text(&refused);
        assert!(
            text.starts_with("The person in the chat declined to run delete_record"),
            "{text}"
        );
    }
    assert!(chat.partner(DWAYNE).is_some());
    // Each refusal is the person's no: the approval rule, as the dashboard counts it.
    let refusals: Vec<Option<String>> = chat
        .app
        .audit()
        .await
        .into_iter()
        .filter(|r| r.outcome == "denied")
        .map(|r| r.rule)
        .collect();
    assert_eq!(refusals, vec![Some("approval".to_owned()); 3]);
    let methods = chat.methods().await;
    assert_eq!(methods.len(), 6, "{methods:?}");
    assert!(
        methods
            .iter()
            .skip(1)
            .step_by(2)
            .all(|(m, o)| m == "tools/call" && o == "denied"),
        "{methods:?}"
    );
}

#[tokio::test]
async fn a_confirmation_binds_the_exact_arguments_and_cannot_be_forged_or_kept() {
    let chat = Chat::new().await;
    let asked = chat.ask(delete()).await;
    let state = &asked["requestState"];
    // The person confirmed Dwayne; the retry deletes someone else.
    let other = json!({"model": "res.partner", "ids": [DWAYNE, 3]});
    let refused = chat.reply(other, state, accepted()).await;
    assert!(
        error_text(&refused).contains("given for another call"),
        "{refused}"
    );
    let forged = json!(format!("{}x", state.as_str().unwrap()));
    let refused = chat.reply(delete(), &forged, accepted()).await;
    assert!(
        error_text(&refused).contains("not one the gateway issued"),
        "{refused}"
    );
    let refused = chat
        .call(delete(), json!({"inputResponses": {"confirm": accepted()}}))
        .await;
    assert!(
        error_text(&refused).contains("not one the gateway issued"),
        "{refused}"
    );
    chat.app.state.clock.advance(10 * 60_000);
    let refused = chat.reply(delete(), state, accepted()).await;
    assert!(error_text(&refused).contains("expired"), "{refused}");
    assert!(chat.partner(DWAYNE).is_some());
}

#[tokio::test]
async fn clients_that_cannot_ask_file_the_call_for_approval() {
    let chat = Chat::new().await;
    // 2025-11-25 (the fast path and rmcp's alike): no way to ask in a JSON response.
    let legacy = chat.app.call(&chat.key, "delete_record", delete()).await;
    assert_eq!(ok_result(&legacy)["status"], "pending_approval", "{legacy}");
    // 2026-07-28 without the elicitation capability.
    let mute = chat.call_as(json!({}), delete(), json!({})).await;
    assert_eq!(ok_result(&mute)["status"], "pending_approval", "{mute}");
    assert_eq!(chat.approvals().await.len(), 2);
    assert!(chat.partner(DWAYNE).is_some());
    // A dry run changes nothing: neither asked nor held.
    let dry = chat
        .call(
            json!({"model": "res.partner", "ids": [DWAYNE], "dry_run": true}),
            json!({}),
        )
        .await;
    assert!(ok_result(&dry).get("status").is_none(), "{dry}");
}
