//! Bulk writes on real Odoo: many records created in one call (all or none, Odoo's own refusal
//! included), updated with the same values or per record (each failure named), and dry runs.

use odoo_mcp_gateway::connections::Scope;
use serde_json::{Value, json};

use super::{Real, Setup, tag};
use crate::helpers::error_text;
use crate::on_main_setups;

on_main_setups!([
    many_records_are_created_in_one_call_all_or_none,
    many_records_are_updated_together_or_per_record,
]);

/// Creates contacts from `records` through `create_records`; their ids, in order.
async fn created(r: &Real, key: &str, records: Vec<Value>) -> Vec<i64> {
    let n = records.len();
    let created = r
        .ok(
            key,
            "create_records",
            json!({"model": "res.partner", "records": records}),
        )
        .await;
    assert_eq!(created["count"], n, "{created}");
    created["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_i64().unwrap())
        .collect()
}

/// How many contacts straight in Odoo bear one of `names`.
async fn contacts_named(r: &Real, names: &[String]) -> i64 {
    r.execute_kw(
        &r.odoo.admin,
        "res.partner",
        "search_count",
        json!([[["name", "in", names]]]),
        json!({"context": {"active_test": false}}),
    )
    .await
    .unwrap()
    .as_i64()
    .unwrap()
}

async fn many_records_are_created_in_one_call_all_or_none(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let names: Vec<String> = (0..3).map(|i| tag(&format!("bulk{i}"))).collect();
    let records: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "city": "Gent"}))
        .collect();
    let ids = created(&r, &key, records).await;
    let stored = r.admin_read("res.partner", &ids, &["name"]).await;
    for (id, name) in ids.iter().zip(&names) {
        let row = stored.iter().find(|s| s["id"] == *id).unwrap();
        assert_eq!(row["name"], *name, "in the order given");
    }

    // A bad value anywhere: refused naming the record, nothing created.
    let refused_names: Vec<String> = (0..2).map(|i| tag(&format!("refused{i}"))).collect();
    let bad = json!({"model": "res.partner", "records": [
        {"name": refused_names[0]}, {"name": refused_names[1], "no_such_field": 1}]});
    let error = error_text(&r.call(&key, "create_records", bad).await);
    assert!(
        error.contains("records[1]") && error.contains("no_such_field"),
        "{error}"
    );
    assert_eq!(contacts_named(&r, &refused_names).await, 0);

    // Odoo refusing one record (a parent that does not exist) rolls back the others.
    let rolled: Vec<String> = (0..2).map(|i| tag(&format!("rolled{i}"))).collect();
    let odoo_refuses = json!({"model": "res.partner", "records": [
        {"name": rolled[0]}, {"name": rolled[1], "parent_id": 999_999_999}]});
    let error = error_text(&r.call(&key, "create_records", odoo_refuses).await);
    assert!(!error.is_empty());
    assert_eq!(contacts_named(&r, &rolled).await, 0, "all or none: {error}");

    // Limits and dry runs.
    let too_many: Vec<Value> = (0..101).map(|i| json!({"name": format!("x{i}")})).collect();
    let error = error_text(
        &r.call(
            &key,
            "create_records",
            json!({"model": "res.partner", "records": too_many}),
        )
        .await,
    );
    assert!(error.contains("1 to 100 records, not 101"), "{error}");
    let planned = r
        .ok(
            &key,
            "create_records",
            json!({"model": "sale.order", "dry_run": true,
                   "records": [{"note": "no customer"}, {"partner_id": ids[0]}]}),
        )
        .await;
    assert_eq!(planned["dry_run"], true, "{planned}");
    let missing = &planned["records"];
    assert!(
        missing[0]["missing_required"]
            .as_array()
            .unwrap()
            .contains(&json!("partner_id")),
        "{planned}"
    );
    assert!(
        !missing[1]["missing_required"]
            .as_array()
            .unwrap()
            .contains(&json!("partner_id")),
        "{planned}"
    );

    // Read Only connections neither see nor call it.
    let (_, reader) = r.key_with("demo", Scope::ReadOnly).await;
    assert!(
        !r.app
            .tool_names(&reader)
            .await
            .iter()
            .any(|t| t == "create_records")
    );
}

async fn many_records_are_updated_together_or_per_record(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let records: Vec<Value> = (0..3)
        .map(|i| json!({"name": tag(&format!("upd{i}"))}))
        .collect();
    let ids = created(&r, &key, records).await;
    let city_of =
        |rows: &[Value], id: i64| rows.iter().find(|s| s["id"] == id).unwrap()["city"].clone();

    // The same values on all: one call.
    let same = r
        .ok(
            &key,
            "update_records",
            json!({"model": "res.partner", "ids": ids, "values": {"city": "Brugge"}}),
        )
        .await;
    assert_eq!(
        (same["atomic"].clone(), same["all_updated"].clone()),
        (json!(true), json!(true)),
        "{same}"
    );
    let stored = r.admin_read("res.partner", &ids, &["city"]).await;
    assert!(ids.iter().all(|id| city_of(&stored, *id) == "Brugge"));

    // Values per record; one that Odoo refuses is named, the others are written.
    let per_record = r
        .ok(
            &key,
            "update_records",
            json!({"model": "res.partner", "records": [
                {"id": ids[0], "values": {"city": "Leuven"}},
                {"id": ids[1], "values": {"city": "Leuven"}},
                {"id": ids[2], "values": {"parent_id": 999_999_999}}]}),
        )
        .await;
    assert_eq!(per_record["atomic"], false, "{per_record}");
    assert_eq!(
        per_record["updated"],
        json!([ids[0], ids[1]]),
        "{per_record}"
    );
    assert_eq!(
        per_record["failed"][0]["ids"],
        json!([ids[2]]),
        "{per_record}"
    );
    assert!(
        per_record["failed"][0]["error"].as_str().unwrap().len() > 5,
        "{per_record}"
    );
    let stored = r.admin_read("res.partner", &ids, &["city"]).await;
    assert_eq!(city_of(&stored, ids[0]), "Leuven");
    assert_eq!(
        city_of(&stored, ids[2]),
        "Brugge",
        "the refused record is unchanged"
    );

    // Dry run: the current values, nothing written.
    let planned = r
        .ok(
            &key,
            "update_records",
            json!({"model": "res.partner", "dry_run": true,
                   "records": [{"id": ids[0], "values": {"city": "Aalst"}}, {"id": 999_999_999, "values": {"city": "Aalst"}}]}),
        )
        .await;
    assert_eq!(planned["missing_ids"], json!([999_999_999]), "{planned}");
    assert_eq!(planned["current"][0]["city"], "Leuven", "{planned}");
    let stored = r.admin_read("res.partner", &ids, &["city"]).await;
    assert_eq!(city_of(&stored, ids[0]), "Leuven");

    // Bad shapes are refused before Odoo.
    for (arguments, says) in [
        (
            json!({"model": "res.partner", "ids": [ids[0]]}),
            "either ids with values",
        ),
        (
            json!({"model": "res.partner", "records": [{"id": ids[0], "values": {"city": "a"}},
                                                     {"id": ids[0], "values": {"city": "b"}}]}),
            "listed twice",
        ),
        (
            json!({"model": "res.partner", "records": [{"id": ids[0], "values": {"nope": 1}}]}),
            "nope",
        ),
    ] {
        let error = error_text(&r.call(&key, "update_records", arguments.clone()).await);
        assert!(error.contains(says), "{arguments} → {error}");
    }
}
