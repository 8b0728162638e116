//! Retry-safe writes on real Odoo: racing duplicates of a create make one record, and a retried
//! update does not write again (a change made meanwhile stays).

use serde_json::json;

use super::{Real, Setup, tag};
use crate::helpers::{error_text, one_created_id};
use crate::on_main_setups;

on_main_setups!([retried_writes_run_once_on_real_odoo]);

async fn retried_writes_run_once_on_real_odoo(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let name = tag("retry");
    let idem = tag("key");
    let create = json!({"model": "res.partner", "values": {"name": name}, "idempotency_key": idem});
    let created =
        one_created_id((0..5).map(|_| r.call(&key, "create_record", create.clone()))).await;
    let again = r.ok(&key, "create_record", create).await;
    assert_eq!(again["id"], created);
    let count = r
        .execute_kw(
            &r.odoo.admin,
            "res.partner",
            "search_count",
            json!([[["name", "=", name]]]),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(count, 1, "one contact in Odoo");

    // A retried update answers the first result and writes nothing again.
    let update = json!({"model": "res.partner", "ids": [created], "values": {"city": "Namur"},
                        "idempotency_key": format!("{idem}-update")});
    r.ok(&key, "update_record", update.clone()).await;
    r.execute_kw(
        &r.odoo.admin,
        "res.partner",
        "write",
        json!([[created], {"city": "Liège"}]),
        json!({}),
    )
    .await
    .unwrap();
    r.ok(&key, "update_record", update).await;
    let stored = r.admin_read("res.partner", &[created], &["city"]).await;
    assert_eq!(stored[0]["city"], "Liège", "the retry did not write again");

    let other = json!({"model": "res.partner", "ids": [created], "values": {"city": "Mons"},
                       "idempotency_key": format!("{idem}-update")});
    let refused = error_text(&r.call(&key, "update_record", other).await);
    assert!(
        refused.contains("already used with other arguments"),
        "{refused}"
    );
}
