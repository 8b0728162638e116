//! The chatter tools in front of the simulator (the `demo` command's Odoo): the same flow as on
//! real Odoo (`real::chatter`), and a database without Odoo's `mail` module, where each tool
//! says the module is missing.

use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::odoo::sim::SimOptions;
use serde_json::json;

use crate::helpers::{TestApp, error_text, ok_result};

/// Acme Corporation, a company contact of the demo database.
const ACME: i64 = 9;

#[tokio::test]
async fn messages_notes_and_activities_work_on_the_simulator() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let call = |tool: &'static str, arguments: serde_json::Value| app.call(&key, tool, arguments);
    ok_result(
        &call(
            "post_note",
            json!({"model": "res.partner", "id": ACME, "body": "Internal <b>remark</b>"}),
        )
        .await,
    );
    ok_result(
        &call(
            "post_message",
            json!({"model": "res.partner", "id": ACME, "body": "Hello", "partner_ids": [ACME]}),
        )
        .await,
    );
    let read = ok_result(&call("read_messages", json!({"model": "res.partner", "id": ACME})).await)
        .clone();
    let messages = read["messages"].as_array().unwrap();
    assert_eq!(messages[0]["text"], "Hello", "{read}");
    assert_eq!(messages[0]["internal"], false, "{read}");
    assert_eq!(messages[1]["text"], "Internal <b>remark</b>", "{read}");
    assert_eq!(messages[1]["internal"], true, "{read}");

    let scheduled = ok_result(
        &call(
            "schedule_activity",
            json!({"model": "res.partner", "id": ACME, "activity_type": "Call",
                   "summary": "Call back", "deadline": "2030-01-15"}),
        )
        .await,
    )
    .clone();
    assert_eq!(scheduled["activity"]["type"], "Call", "{scheduled}");
    let activity = scheduled["activity_id"].clone();
    let listed = ok_result(
        &call(
            "list_activities",
            json!({"model": "res.partner", "id": ACME}),
        )
        .await,
    )
    .clone();
    assert!(
        listed["activities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == activity),
        "{listed}"
    );
    let done = ok_result(
        &call(
            "complete_activity",
            json!({"activity_id": activity, "feedback": "Done"}),
        )
        .await,
    )
    .clone();
    assert_eq!(done["done"], true, "{done}");
    let again = error_text(&call("complete_activity", json!({"activity_id": activity})).await);
    assert!(again.contains("already done"), "{again}");
}

#[tokio::test]
async fn without_the_mail_module_each_chatter_tool_says_so() {
    let app = TestApp::spawn_sim(SimOptions {
        mail: false,
        ..SimOptions::default()
    })
    .await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    for (tool, arguments) in [
        (
            "post_note",
            json!({"model": "res.partner", "id": ACME, "body": "x"}),
        ),
        ("read_messages", json!({"model": "res.partner", "id": ACME})),
        (
            "schedule_activity",
            json!({"model": "res.partner", "id": ACME}),
        ),
        ("list_activities", json!({})),
        ("complete_activity", json!({"activity_id": 1})),
    ] {
        let error = error_text(&app.call(&key, tool, arguments).await);
        assert_eq!(
            error,
            format!(
                "The Odoo module mail (Discuss) is not installed on this database, so {tool} cannot work here."
            )
        );
    }
}
