//! Record and Field limits on real Odoo: searches, counts and totals confined to a domain, calls
//! naming records outside it refused by id (also when an approved call runs later), hidden
//! fields gone from descriptions and defaults and refused wherever a call names them, and the
//! console's check of both against Odoo's own metadata when they are saved.

use odoo_mcp_gateway::users::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{Real, Setup, tag};
use crate::console::{Console, element_text};
use crate::helpers::{error_text, merged};
use crate::on_main_setups;

on_main_setups!([
    record_limits_confine_reads_and_refuse_records_outside,
    field_limits_hide_fields_wherever_a_call_names_them,
    the_console_checks_limits_against_odoo_when_saved,
]);

async fn record_limits_confine_reads_and_refuse_records_outside(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (id, key) = r.key("demo").await;
    let name = tag("confined");
    let mine = r.create(&key, "res.partner", json!({"name": name})).await;
    let theirs = r
        .admin_create("res.partner", json!({"name": format!("{name} (admin's)")}))
        .await;
    r.app
        .set_policy(id, |p| {
            p.record_limits = "res.partner: [('create_uid', '=', uid)]".parse().unwrap()
        })
        .await;
    let by_name = json!({"model": "res.partner", "domain": [["name", "ilike", name]]});

    // Searches, counts and totals see only the records inside the limit.
    let found = r
        .ok(
            &key,
            "search_records",
            merged(by_name.clone(), json!({"fields": ["name"]})),
        )
        .await;
    let ids: Vec<i64> = found["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [mine], "{found}");
    let count = r.ok(&key, "count_records", by_name.clone()).await;
    assert_eq!(count["count"], 1, "{count}");
    let groups = r
        .ok(
            &key,
            "aggregate_records",
            merged(by_name.clone(), json!({"group_by": ["is_company"]})),
        )
        .await;
    assert_eq!(groups["groups"][0]["__count"], 1, "{groups}");
    // An operator of the caller's cannot reach past the limit.
    let widened = r
        .ok(
            &key,
            "count_records",
            json!({"model": "res.partner", "domain": ["|", ["name", "ilike", name], ["id", "=", theirs]]}),
        )
        .await;
    assert_eq!(widened["count"], 1, "{widened}");

    // A record inside is fine; one outside is refused by id, for every tool that names one.
    r.ok(
        &key,
        "get_record",
        json!({"model": "res.partner", "id": mine, "fields": ["name"]}),
    )
    .await;
    let outside = format!(
        "Refused by Record limits: res.partner records {theirs} are outside the records this connection may work on."
    );
    let on_partner = |extra| merged(json!({"model": "res.partner"}), extra);
    for (tool, arguments) in [
        ("get_record", on_partner(json!({"id": theirs}))),
        (
            "update_record",
            on_partner(json!({"ids": [mine, theirs], "values": {"phone": "+32 2 555 01 01"}})),
        ),
        ("delete_record", on_partner(json!({"ids": [theirs]}))),
        (
            "post_note",
            on_partner(json!({"id": theirs, "body": "not mine"})),
        ),
        (
            "execute_method",
            on_partner(json!({"method": "action_archive", "ids": [theirs]})),
        ),
        ("read_messages", on_partner(json!({"id": theirs}))),
    ] {
        assert_eq!(
            error_text(&r.call(&key, tool, arguments).await),
            outside,
            "{tool}"
        );
    }
    let phones = r
        .admin_read("res.partner", &[mine, theirs], &["phone", "active"])
        .await;
    assert!(
        phones
            .iter()
            .all(|p| p["phone"] == false && p["active"] == true),
        "nothing was written, not even to the record inside: {phones:?}"
    );
    // A method of the confined model without ids would act on all of its records.
    let model_level = error_text(
        &r.call(
            &key,
            "execute_method",
            on_partner(json!({"method": "name_search", "arguments": {"name": name}})),
        )
        .await,
    );
    assert!(
        model_level.starts_with("Refused by Record limits: res.partner is confined"),
        "{model_level}"
    );

    // Activities on records outside the limit are not listed, though assigned to the user.
    let (_, admin_key) = r.key("admin").await;
    let summary = tag("activity");
    for (on, who) in [(mine, &key), (theirs, &admin_key)] {
        r.ok(
            who,
            "schedule_activity",
            on_partner(json!({"id": on, "summary": summary, "assignee_id": r.odoo.demo.uid})),
        )
        .await;
    }
    let listed = r.ok(&key, "list_activities", json!({"limit": 100})).await;
    let records: Vec<i64> = listed["activities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["summary"] == summary.as_str())
        .map(|a| a["record_id"].as_i64().unwrap())
        .collect();
    assert_eq!(records, [mine], "{listed}");

    // An approval filed while the record was inside is refused if it is outside when it runs.
    r.stale_approval(
        (id, &key),
        (
            "update_record",
            on_partner(json!({"ids": [mine], "values": {"phone": "+32 2 555 02 02"}})),
        ),
        |p| p.record_limits = "res.partner: [('create_uid', '!=', uid)]".parse().unwrap(),
        &format!("res.partner records {mine} are outside"),
    )
    .await;
    let phone = r.admin_read("res.partner", &[mine], &["phone"]).await;
    assert_eq!(phone[0]["phone"], false, "not written");
}

async fn field_limits_hide_fields_wherever_a_call_names_them(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (id, key) = r.key("demo").await;
    let partner = r
        .create(
            &key,
            "res.partner",
            json!({"name": tag("hidden"), "vat": "BE0477472701"}),
        )
        .await;
    r.app
        .set_policy(id, |p| {
            p.field_limits = "res.partner: vat, bank_*\nsale.order.line: price_unit"
                .parse()
                .unwrap()
        })
        .await;

    // Gone from the description and from a record read without a field list.
    let described = r
        .ok(&key, "describe_model", json!({"model": "res.partner"}))
        .await;
    let fields = described["fields"].as_object().unwrap();
    assert!(fields.contains_key("email") && fields.contains_key("name"));
    assert!(
        !fields.contains_key("vat") && !fields.contains_key("bank_ids"),
        "hidden fields are described"
    );
    let record = r
        .ok(
            &key,
            "get_record",
            json!({"model": "res.partner", "id": partner}),
        )
        .await;
    assert!(record["record"].get("vat").is_none(), "{record}");
    assert!(record["record"].get("name").is_some(), "{record}");
    r.ok(
        &key,
        "search_records",
        json!({"model": "res.partner", "fields": ["name", "email"], "domain": [["id", "=", partner]]}),
    )
    .await;

    // Refused wherever a call names one: fields, values, domains, ordering, grouping, through
    // a dotted path, inside x2many commands, in execute_method's arguments.
    let hidden = "Refused by Field limits: res.partner.vat";
    let on_partner = |extra| merged(json!({"model": "res.partner"}), extra);
    for (tool, arguments, expected) in [
        ("search_records", on_partner(json!({"fields": ["vat"]})), hidden.to_owned()),
        ("get_record", on_partner(json!({"id": partner, "fields": ["name", "vat"]})), hidden.to_owned()),
        ("search_records", on_partner(json!({"domain": [["vat", "!=", false]]})), hidden.to_owned()),
        ("count_records", on_partner(json!({"domain": [["vat", "=", "BE0477472701"]]})), hidden.to_owned()),
        ("search_records", on_partner(json!({"order": "vat desc"})), hidden.to_owned()),
        ("aggregate_records", on_partner(json!({"group_by": ["vat"]})), hidden.to_owned()),
        ("describe_model", on_partner(json!({"fields": ["vat"]})), hidden.to_owned()),
        ("update_record", on_partner(json!({"ids": [partner], "values": {"vat": "BE0000000097"}})), hidden.to_owned()),
        ("create_record", on_partner(json!({"values": {"name": "x", "bank_ids": []}})), "Refused by Field limits: res.partner.bank_ids".to_owned()),
        (
            "execute_method",
            on_partner(json!({"method": "action_archive", "ids": [partner], "arguments": {"domain": [["vat", "=", "x"]]}})),
            hidden.to_owned(),
        ),
        (
            "search_records",
            json!({"model": "sale.order", "domain": [["partner_id.vat", "=", "BE0477472701"]]}),
            format!("{hidden} (reached through partner_id.vat)"),
        ),
        (
            "create_record",
            json!({"model": "sale.order", "values": {"partner_id": partner, "order_line": [[0, 0, {"name": "x", "price_unit": 1.0}]]}}),
            "Refused by Field limits: sale.order.line.price_unit (reached through order_line.price_unit)".to_owned(),
        ),
    ] {
        let refused = error_text(&r.call(&key, tool, arguments.clone()).await);
        assert!(refused.starts_with(&expected), "{tool} {arguments}: {refused}");
    }
    let stored = r
        .admin_read("res.partner", &[partner], &["vat", "active"])
        .await;
    assert_eq!(stored[0]["vat"], "BE0477472701", "nothing was written");
    assert_eq!(stored[0]["active"], true, "nothing was archived");
    // A field next to the hidden one is fine…
    let phone = |n| on_partner(json!({"ids": [partner], "values": {"phone": n}}));
    r.ok(&key, "update_record", phone("+32 2 555 03 03")).await;
    // …until it is hidden too: an approval filed before then fails when it would run.
    r.stale_approval(
        (id, &key),
        ("update_record", phone("+32 2 555 04 04")),
        |p| p.field_limits = "res.partner: vat, phone".parse().unwrap(),
        "Refused by Field limits: res.partner.phone",
    )
    .await;
    let stored = r.admin_read("res.partner", &[partner], &["phone"]).await;
    assert_eq!(stored[0]["phone"], "+32 2 555 03 03", "not written");
}

async fn the_console_checks_limits_against_odoo_when_saved(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (id, key) = r.key("demo").await;
    let name = tag("saved");
    let mine = r.create(&key, "res.partner", json!({"name": name})).await;
    r.admin_create("res.partner", json!({"name": format!("{name} (admin's)")}))
        .await;
    r.link("admin").await;
    let s = &r.app.state;
    s.store
        .set_role("admin", Some(Role::Admin), s.clock.now())
        .await
        .unwrap();
    let console = Console::signed_in(&r.app, "admin", setup.secret(&r.odoo.admin)).await;
    let path = format!("/console/connections/{id}");
    let page = console
        .post(
            &path,
            &[
                ("allowed_models", "res.partner, sale.order"),
                (
                    "record_limits",
                    "res.partner: [('create_uid.login', '=', 'demo')]\nsale.order: [('partner_id.nmae', '=', 'x')]",
                ),
                ("field_limits", "res.partner: vatt, *bank*"),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let record_error = element_text(&page.body, "record_limits-error").unwrap_or_default();
    assert!(
        record_error.contains("reaches res.users, which is not among the Allowed Models"),
        "{record_error}"
    );
    assert!(
        page.body.contains("sale.order: res.partner has no field") && page.body.contains("nmae"),
        "the second limit's own error: {}",
        page.body
    );
    let field_error = element_text(&page.body, "field_limits-error").unwrap_or_default();
    assert!(
        field_error.contains("res.partner has no field 'vatt'"),
        "{field_error}"
    );
    let stored = odoo_mcp_gateway::connections::get(&s.store, id)
        .await
        .unwrap();
    assert!(stored.policy.record_limits.is_empty() && stored.policy.field_limits.is_empty());

    let page = console
        .post(
            &path,
            &[
                ("allowed_models", "res.partner, sale.order, res.users"),
                (
                    "record_limits",
                    "res.partner: [('create_uid.login', '=', 'demo')]",
                ),
                ("field_limits", "res.partner: vat, *bank*"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let stored = odoo_mcp_gateway::connections::get(&s.store, id)
        .await
        .unwrap();
    assert_eq!(
        stored.policy.record_limits.to_string(),
        "res.partner: [(\"create_uid.login\", \"=\", \"demo\")]"
    );
    assert_eq!(
        stored.policy.field_limits.to_string(),
        "res.partner: vat, *bank*"
    );
    // The saved limit holds, through its dotted path.
    let found = r
        .ok(
            &key,
            "search_records",
            json!({"model": "res.partner", "domain": [["name", "ilike", name]]}),
        )
        .await;
    assert_eq!(found["count"], 1, "{found}");
    assert_eq!(found["records"][0]["id"], mine, "{found}");
}
