//! Resources on real Odoo: the models demo may use, listed page by page, and a model's fields
//! and a record read through them.

use serde_json::{Value, json};

use super::{Real, Setup, tag};
use crate::on_main_setups;

on_main_setups!([models_and_records_are_read_as_resources]);

async fn models_and_records_are_read_as_resources(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (id, key) = r.key("demo").await;
    // Every page, following nextCursor.
    let mut uris = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let params = cursor.as_ref().map_or(json!({}), |c| json!({"cursor": c}));
        let page = r.app.rpc(&key, "resources/list", params).await;
        let result = &page["result"];
        uris.extend(
            result["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["uri"].as_str().unwrap().to_owned()),
        );
        match result["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    for model in ["res.partner", "sale.order", "mail.activity"] {
        assert!(
            uris.contains(&format!("odoo://model/{model}")),
            "{model} in {} resources",
            uris.len()
        );
    }
    let read = |uri: String| {
        let key = key.clone();
        let app = &r.app;
        async move {
            let answer = app.rpc(&key, "resources/read", json!({"uri": uri})).await;
            let text = answer["result"]["contents"][0]["text"]
                .as_str()
                .unwrap_or_else(|| panic!("{answer}"))
                .to_owned();
            serde_json::from_str::<Value>(&text).unwrap()
        }
    };
    let fields = read("odoo://model/sale.order".into()).await;
    assert_eq!(
        fields["fields"]["partner_id"]["relation"], "res.partner",
        "{fields}"
    );
    let name = tag("resource");
    let partner = r.create(&key, "res.partner", json!({"name": name})).await;
    let record = read(format!("odoo://record/res.partner/{partner}")).await;
    assert_eq!(record["record"]["name"], name, "{record}");

    r.app
        .set_policy(id, |p| p.allowed_models = "sale.order".parse().unwrap())
        .await;
    let page = r.app.rpc(&key, "resources/list", json!({})).await;
    let listed = page["result"]["resources"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{page}");
    assert_eq!(listed[0]["uri"], "odoo://model/sale.order");
    assert_eq!(listed[0]["mimeType"], "application/json");
    assert!(listed[0]["title"].is_string(), "Odoo's label: {page}");
}
