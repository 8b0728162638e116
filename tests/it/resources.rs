//! MCP resources in front of the simulator: the models a connection may use as resources, the
//! record template, and reads that go through the same governance as the tools behind them.

use odoo_mcp_gateway::connections::Scope;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// The URIs of a `resources/list` answer.
fn listed_uris(listed: &Value) -> Vec<&str> {
    listed["result"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["uri"].as_str())
        .collect()
}

/// `resources/read` of `uri`, which must fail with a message containing `says`.
async fn refused(app: &TestApp, key: &str, uri: &str, says: &str) {
    let answer = app.rpc(key, "resources/read", json!({ "uri": uri })).await;
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{uri}: {answer}");
}

fn text_of(read: &Value) -> Value {
    let text = read["result"]["contents"][0]["text"]
        .as_str()
        .expect("text contents");
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn models_and_records_are_resources_under_the_connections_policy() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::ReadOnly).await;
    let listed = app.rpc(&key, "resources/list", json!({})).await;
    let uris = listed_uris(&listed);
    assert!(uris.contains(&"odoo://model/res.partner"), "{listed}");
    let templates = app.rpc(&key, "resources/templates/list", json!({})).await;
    assert_eq!(
        templates["result"]["resourceTemplates"][0]["uriTemplate"],
        "odoo://record/{model}/{id}"
    );

    let model = app
        .rpc(
            &key,
            "resources/read",
            json!({"uri": "odoo://model/res.partner"}),
        )
        .await;
    assert_eq!(
        model["result"]["contents"][0]["mimeType"],
        "application/json"
    );
    assert_eq!(text_of(&model)["fields"]["name"]["type"], "char", "{model}");
    let record = app
        .rpc(
            &key,
            "resources/read",
            json!({"uri": "odoo://record/res.partner/9"}),
        )
        .await;
    assert_eq!(
        text_of(&record)["record"]["name"],
        "Acme Corporation",
        "{record}"
    );

    // Allowed Models narrows the list and refuses reads of other models, audited.
    app.set_policy(id, |p| {
        p.allowed_models = "res.partner\nsale.order".parse().unwrap()
    })
    .await;
    let listed = app.rpc(&key, "resources/list", json!({})).await;
    let uris = listed_uris(&listed);
    assert_eq!(
        uris,
        ["odoo://model/res.partner", "odoo://model/sale.order"]
    );
    refused(
        &app,
        &key,
        "odoo://record/res.users/2",
        "'res.users' is not among this connection's allowed models",
    )
    .await;
    let audit = app.audit().await;
    let entry = audit
        .iter()
        .find(|e| e.method == "resources/read" && e.outcome == "denied")
        .expect("the refusal is audited");
    assert_eq!(entry.model.as_deref(), Some("res.users"));

    // Without get_record among the allowed tools, records are not readable either.
    app.set_policy(id, |p| p.allowed_tools = "describe_model".parse().unwrap())
        .await;
    refused(
        &app,
        &key,
        "odoo://record/res.partner/9",
        "'get_record' is not among",
    )
    .await;
    // Unknown URIs and missing records: resource not found (-32002).
    for uri in ["odoo://nothing/here", "odoo://record/res.partner/999999"] {
        app.set_policy(id, |p| p.allowed_tools = Default::default())
            .await;
        let missing = app.rpc(&key, "resources/read", json!({"uri": uri})).await;
        assert_eq!(missing["error"]["code"], -32002, "{uri}: {missing}");
    }
    let bad = app
        .rpc(&key, "resources/list", json!({"cursor": "not-a-cursor"}))
        .await;
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
}
