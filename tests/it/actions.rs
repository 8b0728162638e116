//! Form buttons in front of the simulator (the `demo` command's Odoo): a quotation's buttons
//! listed with their conditions evaluated, one pressed, one refused once hidden.

use odoo_mcp_gateway::connections::Scope;
use serde_json::json;

use crate::helpers::{TestApp, error_text, ok_result};

#[tokio::test]
async fn a_quotations_buttons_are_listed_and_pressed_on_the_simulator() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let order = ok_result(
        &app.call(
            &key,
            "create_record",
            json!({"model": "sale.order", "values": {"partner_id": 9}}),
        )
        .await,
    )["id"]
        .as_i64()
        .unwrap();
    let target = json!({"model": "sale.order", "id": order});
    let listed = ok_result(&app.call(&key, "list_actions", target.clone()).await).clone();
    let names: Vec<&str> = listed["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, ["action_confirm", "action_cancel"], "{listed}");
    let mut press = target.clone();
    press["action"] = json!("action_confirm");
    ok_result(&app.call(&key, "run_action", press.clone()).await);
    assert_eq!(
        app.sim().record("sale.order", order).unwrap()["state"],
        "sale"
    );
    let refused = error_text(&app.call(&key, "run_action", press).await);
    assert!(refused.contains("does not show it now"), "{refused}");
}
