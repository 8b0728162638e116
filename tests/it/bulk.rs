//! Bulk writes in front of the simulator: the answers, and a held batch summarised whole for
//! the approver.

use odoo_mcp_gateway::connections::Scope;
use serde_json::json;

use crate::helpers::{TestApp, ok_result};

#[tokio::test]
async fn a_batch_is_created_updated_and_summarised_whole_when_held() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    let created = ok_result(
        &app.call(
            &key,
            "create_records",
            json!({"model": "res.partner", "records": [{"name": "Bulk A"}, {"name": "Bulk B"}]}),
        )
        .await,
    )
    .clone();
    let ids = created["ids"].as_array().unwrap().clone();
    assert_eq!(ids.len(), 2, "{created}");
    assert_eq!(
        app.sim()
            .record("res.partner", ids[1].as_i64().unwrap())
            .unwrap()["name"],
        "Bulk B"
    );
    let updated = ok_result(
        &app.call(
            &key,
            "update_records",
            json!({"model": "res.partner", "records": [
                {"id": ids[0], "values": {"city": "Gent"}}, {"id": ids[1], "values": {"city": "Gent"}}]}),
        )
        .await,
    )
    .clone();
    assert_eq!(updated["atomic"], true, "one group: {updated}");
    assert_eq!(updated["updated"], json!(ids));

    app.set_policy(id, |p| {
        p.approval_tools = "create_records\nupdate_records".parse().unwrap()
    })
    .await;
    let held = ok_result(
        &app.call(
            &key,
            "create_records",
            json!({"model": "res.partner", "records": [{"name": "Held A"}, {"name": "Held B"}, {"city": "x"}]}),
        )
        .await,
    )
    .clone();
    assert_eq!(
        held["summary"], "Create 3 records of Contact (res.partner): Held A, Held B and 1 more",
        "{held}"
    );
    let held = ok_result(
        &app.call(
            &key,
            "update_records",
            json!({"model": "res.partner", "ids": ids, "values": {"phone": "1", "city": "Ieper"}}),
        )
        .await,
    )
    .clone();
    assert_eq!(
        held["summary"],
        "Update 2 records of Contact (res.partner): Bulk A, Bulk B: set city, phone",
        "{held}"
    );
}
