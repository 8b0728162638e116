//! The whole tool catalog on real Odoo, as `admin`, `demo` (record rules apply) and `portal`.

use serde_json::{Value, json};

use super::{Real, Setup, tag};
use crate::helpers::error_text;
use crate::{on_every_setup, on_main_setups};

on_every_setup!([
    context_names_the_user_and_the_version,
    list_models_works_for_an_ordinary_user,
    describe_model_reads_real_field_metadata,
    reads_search_get_and_count_demo_data,
    aggregate_groups_orders_by_state,
    create_update_delete_round_trip,
    methods_that_return_nothing_succeed,
    a_record_method_without_ids_is_explained,
    bad_relational_values_are_refused_before_odoo,
    record_rules_refuse_another_users_order,
    a_quotation_is_confirmed_refused_deletion_and_cancelled,
    create_dry_run_reports_missing_required_fields,
    a_model_of_a_module_not_installed_says_so,
]);

on_main_setups!([
    update_and_delete_dry_runs_change_nothing,
    portal_reads_its_own_orders_and_user,
    odoo_errors_come_back_readable,
]);

async fn context_names_the_user_and_the_version(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let context = r.ok(&key, "get_current_context", json!({})).await;
    assert_eq!(context["user"]["login"], "demo", "{context}");
    assert_eq!(context["user"]["name"], "Marc Demo", "{context}");
    let version = context["odoo"]["version"].as_str().unwrap_or_default();
    assert!(
        version.starts_with(&setup.version().to_string()),
        "{context}"
    );
    let user = r.app.state.store.find_odoo_user("demo").await.unwrap();
    assert_eq!(user.unwrap().protocol, setup.protocol_name());
}

async fn list_models_works_for_an_ordinary_user(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (id, key) = r.key("demo").await;
    let listed = r.ok(&key, "list_models", json!({"query": "partner"})).await;
    let models = listed["models"].as_array().unwrap();
    let partner = models
        .iter()
        .find(|m| m["model"] == "res.partner")
        .unwrap_or_else(|| panic!("res.partner missing: {listed}"));
    assert_eq!(partner["name"], "Contact", "{listed}");
    assert!(
        models.iter().all(|m| {
            let text = format!("{} {}", m["model"], m["name"]).to_lowercase();
            text.contains("partner")
        }),
        "{listed}"
    );

    // Allowed Models narrows the list to what is allowed.
    r.app
        .set_policy(id, |p| {
            p.allowed_models = "res.partner\nsale.order".parse().unwrap()
        })
        .await;
    let listed = r.ok(&key, "list_models", json!({})).await;
    let names: Vec<&str> = listed["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["model"].as_str())
        .collect();
    assert_eq!(names, ["res.partner", "sale.order"], "{listed}");
}

async fn describe_model_reads_real_field_metadata(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let described = r
        .ok(&key, "describe_model", json!({"model": "res.partner"}))
        .await;
    let country = &described["fields"]["country_id"];
    assert_eq!(country["type"], "many2one", "{country}");
    assert_eq!(country["relation"], "res.country", "{country}");
    assert!(described["fields"]["user_ids"].is_object());
    let error = error_text(
        &r.call(&key, "describe_model", json!({"model": "no.such.model"}))
            .await,
    );
    assert!(error.contains("no.such.model"), "{error}");
}

async fn reads_search_get_and_count_demo_data(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let found = r
        .ok(
            &key,
            "search_records",
            json!({"model": "res.partner", "domain": [["is_company", "=", true]],
                   "fields": ["name", "country_id"], "limit": 5, "order": "id"}),
        )
        .await;
    assert_eq!(found["count"], 5, "{found}");
    let first = &found["records"][0];
    assert!(first["name"].is_string(), "{found}");
    let id = first["id"].as_i64().unwrap();

    let record = r
        .ok(
            &key,
            "get_record",
            json!({"model": "res.partner", "id": id}),
        )
        .await;
    assert_eq!(record["record"]["id"], id);
    assert_eq!(record["record"]["name"], first["name"]);
    // The default field list leaves out x2many and binary fields.
    assert!(record["record"].get("child_ids").is_none(), "{record}");
    assert!(record["record"].get("image_1920").is_none(), "{record}");

    let counted = r
        .ok(
            &key,
            "count_records",
            json!({"model": "res.partner", "domain": [["is_company", "=", true]]}),
        )
        .await;
    assert!(counted["count"].as_i64().unwrap() >= 5, "{counted}");

    let missing = error_text(
        &r.call(
            &key,
            "get_record",
            json!({"model": "res.partner", "id": 999_999}),
        )
        .await,
    );
    assert!(missing.contains("999999"), "{missing}");
}

async fn aggregate_groups_orders_by_state(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("admin").await;
    let grouped = r
        .ok(
            &key,
            "aggregate_records",
            json!({"model": "sale.order", "group_by": ["state"],
                   "aggregates": ["amount_total:sum"]}),
        )
        .await;
    let groups = grouped["groups"].as_array().unwrap();
    assert!(!groups.is_empty(), "{grouped}");
    for group in groups {
        assert!(group["state"].is_string(), "{grouped}");
        assert!(group["__count"].as_i64().unwrap() > 0, "{grouped}");
        assert!(group["amount_total"].is_number(), "{grouped}");
    }
    let by_month = r
        .ok(
            &key,
            "aggregate_records",
            json!({"model": "sale.order", "group_by": ["date_order:month"]}),
        )
        .await;
    assert!(by_month["group_count"].as_i64().unwrap() > 0, "{by_month}");
}

async fn create_update_delete_round_trip(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let name = tag("partner");
    let id = r
        .create(
            &key,
            "res.partner",
            json!({"name": name, "is_company": true}),
        )
        .await;
    let stored = r
        .admin_read("res.partner", &[id], &["name", "is_company"])
        .await;
    assert_eq!(stored[0]["name"], name);
    assert_eq!(stored[0]["is_company"], true);

    let updated = r
        .ok(
            &key,
            "update_record",
            json!({"model": "res.partner", "ids": [id], "values": {"city": "Namur"}}),
        )
        .await;
    assert_eq!(updated["updated"], true);
    let stored = r.admin_read("res.partner", &[id], &["city"]).await;
    assert_eq!(stored[0]["city"], "Namur");

    let deleted = r
        .ok(
            &key,
            "delete_record",
            json!({"model": "res.partner", "ids": [id]}),
        )
        .await;
    assert_eq!(deleted["deleted"], true);
    assert!(
        r.admin_read("res.partner", &[id], &["name"])
            .await
            .is_empty()
    );
}

async fn methods_that_return_nothing_succeed(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let id = r
        .create(&key, "res.partner", json!({"name": tag("archive")}))
        .await;
    for (method, active) in [("action_archive", false), ("action_unarchive", true)] {
        let ran = r
            .ok(
                &key,
                "execute_method",
                json!({"model": "res.partner", "method": method, "ids": [id]}),
            )
            .await;
        assert_eq!(ran["method"], method, "{ran}");
        assert!(
            ran["result"].is_null() || ran["result"] == true,
            "{method}: {ran}"
        );
        let stored = r.admin_read("res.partner", &[id], &["active"]).await;
        assert_eq!(stored[0]["active"], active, "{method}");
    }
}

async fn a_record_method_without_ids_is_explained(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let error = error_text(
        &r.call(
            &key,
            "execute_method",
            json!({"model": "res.partner", "method": "action_archive"}),
        )
        .await,
    );
    assert!(error.contains("ids"), "{error}");
    assert!(!error.contains("tuple index"), "{error}");
}

async fn bad_relational_values_are_refused_before_odoo(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let id = r
        .create(
            &key,
            "res.partner",
            json!({"name": tag("country"), "country_id": 21}),
        )
        .await;
    for (values, expected) in [
        (json!({"country_id": "not-an-id"}), "country_id"),
        (json!({"country_id": 2.5}), "country_id"),
        (json!({"category_id": [[6, 0, "x"]]}), "category_id"),
        (json!({"category_id": [[9, 1]]}), "category_id"),
        (json!({"category_id": "1,2"}), "category_id"),
        (json!({"is_company": "yes"}), "is_company"),
        (json!({"no_such_field": 1}), "no_such_field"),
    ] {
        let error = error_text(
            &r.call(
                &key,
                "update_record",
                json!({"model": "res.partner", "ids": [id], "values": values}),
            )
            .await,
        );
        assert!(error.contains(expected), "{values} → {error}");
    }
    // Nothing reached Odoo: the country is still set.
    let stored = r.admin_read("res.partner", &[id], &["country_id"]).await;
    assert_eq!(stored[0]["country_id"][0], 21, "{stored:?}");
    // Valid relational values still go through: an id, false, and command lists.
    r.ok(
        &key,
        "update_record",
        json!({"model": "res.partner", "ids": [id],
               "values": {"country_id": false, "category_id": [[6, 0, []]]}}),
    )
    .await;
    let stored = r.admin_read("res.partner", &[id], &["country_id"]).await;
    assert_eq!(stored[0]["country_id"], false, "{stored:?}");
}

/// The id of a sale order another salesman (the administrator) owns, read as the administrator.
async fn admins_order(r: &Real) -> i64 {
    let ids = r
        .execute_kw(
            &r.odoo.admin,
            "sale.order",
            "search",
            json!([[["user_id", "=", r.odoo.admin.uid]]]),
            json!({"limit": 1, "order": "id"}),
        )
        .await
        .unwrap();
    ids[0]
        .as_i64()
        .unwrap_or_else(|| panic!("no order of the admin: {ids}"))
}

async fn record_rules_refuse_another_users_order(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let order = admins_order(&r).await;
    let read = json!({"model": "sale.order", "id": order, "fields": ["name"]});
    let refused = |answer: Value| {
        let error = error_text(&answer);
        // Odoo words a record rule's refusal playfully ("… doesn't have 'read' access to: -
        // Sales Order (sale.order) …") and an access right's plainly; both are AccessErrors.
        assert!(error.starts_with("Odoo refused: "), "{error}");
        assert!(
            error.contains("access") && error.contains("sale.order"),
            "{error}"
        );
    };
    // The portal user sees only its own orders.
    let (_, portal) = r.key("portal").await;
    refused(r.call(&portal, "get_record", read.clone()).await);

    let (_, key) = r.key("demo").await;
    if setup.version() == 16 {
        // Odoo 16's demo data makes Marc Demo a Sales Administrator: he reads every order.
        r.ok(&key, "get_record", read).await;
        return;
    }
    // From 17 on he is a salesman who sees his own documents only.
    refused(r.call(&key, "get_record", read).await);
    let mine = r
        .ok(
            &key,
            "search_records",
            json!({"model": "sale.order", "fields": ["user_id"], "limit": 200}),
        )
        .await;
    assert!(mine["count"].as_i64().unwrap() > 0, "{mine}");
    for order in mine["records"].as_array().unwrap() {
        assert_eq!(order["user_id"][0], r.odoo.demo.uid, "{mine}");
    }
}

/// A quotation for a customer with one line, created by `key`'s user; its id.
async fn quotation(r: &Real, key: &str) -> i64 {
    let product = r
        .ok(
            key,
            "search_records",
            json!({"model": "product.product", "domain": [["sale_ok", "=", true]], "limit": 1}),
        )
        .await["records"][0]["id"]
        .as_i64()
        .unwrap();
    let customer = r
        .create(key, "res.partner", json!({"name": tag("customer")}))
        .await;
    r.create(
        key,
        "sale.order",
        json!({"partner_id": customer,
               "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 2}]]}),
    )
    .await
}

async fn a_quotation_is_confirmed_refused_deletion_and_cancelled(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let order = quotation(&r, &key).await;
    r.ok(
        &key,
        "execute_method",
        json!({"model": "sale.order", "method": "action_confirm", "ids": [order]}),
    )
    .await;
    assert_eq!(
        r.admin_read("sale.order", &[order], &["state"]).await[0]["state"],
        "sale"
    );
    // A salesman may not delete orders (an access right), and even the administrator may not
    // delete a confirmed one (a business rule); both messages are Odoo's, readable.
    let refused = |answer: Value| {
        let error = error_text(&answer);
        assert!(!error.contains("Traceback"), "{error}");
        error
    };
    let delete = json!({"model": "sale.order", "ids": [order]});
    let error = refused(r.call(&key, "delete_record", delete.clone()).await);
    // Odoo 16's demo salesman is a Sales Administrator, who may delete orders that aren't
    // confirmed; later versions' may not delete orders at all.
    let expected = if setup.version() == 16 {
        "You must first cancel it"
    } else {
        "not allowed to delete"
    };
    assert!(error.contains(expected), "{error}");
    let (_, admin) = r.key("admin").await;
    let error = refused(r.call(&admin, "delete_record", delete.clone()).await);
    assert!(error.contains("cancel"), "{error}");

    let cancelled = r
        .ok(
            &key,
            "execute_method",
            json!({"model": "sale.order", "method": "action_cancel", "ids": [order],
                   "arguments": {"context": {"disable_cancel_warning": true}}}),
        )
        .await;
    let state = r.admin_read("sale.order", &[order], &["state"]).await[0]["state"].clone();
    assert_eq!(state, "cancel", "{cancelled}");
    r.ok(&admin, "delete_record", delete).await;
    assert!(
        r.admin_read("sale.order", &[order], &["state"])
            .await
            .is_empty()
    );
}

async fn create_dry_run_reports_missing_required_fields(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let checked = r
        .ok(
            &key,
            "create_record",
            json!({"model": "res.partner.category", "values": {"color": 3}, "dry_run": true}),
        )
        .await;
    assert_eq!(checked["missing_required"], json!(["name"]), "{checked}");
    assert!(checked["access"].is_string(), "{checked}");
    // A full set of values has nothing missing.
    let checked = r
        .ok(
            &key,
            "create_record",
            json!({"model": "res.partner", "values": {"name": "x"}, "dry_run": true}),
        )
        .await;
    assert_eq!(checked["missing_required"], json!([]), "{checked}");
    assert_eq!(checked["access"], "allowed", "{checked}");
}

async fn update_and_delete_dry_runs_change_nothing(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let name = tag("dry");
    let id = r.create(&key, "res.partner", json!({"name": name})).await;
    let preview = r
        .ok(
            &key,
            "update_record",
            json!({"model": "res.partner", "ids": [id, 999_999], "values": {"name": "new"},
                   "dry_run": true}),
        )
        .await;
    assert_eq!(preview["current"][0]["name"], name, "{preview}");
    assert_eq!(preview["missing_ids"], json!([999_999]), "{preview}");
    assert_eq!(preview["access"], "allowed", "{preview}");
    let preview = r
        .ok(
            &key,
            "delete_record",
            json!({"model": "res.partner", "ids": [id], "dry_run": true}),
        )
        .await;
    assert_eq!(preview["records"][0]["display_name"], name, "{preview}");
    assert_eq!(
        r.admin_read("res.partner", &[id], &["name"]).await[0]["name"],
        name
    );
}

async fn portal_reads_its_own_orders_and_user(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("portal").await;
    let context = r.ok(&key, "get_current_context", json!({})).await;
    assert_eq!(context["user"]["login"], "portal", "{context}");
    let orders = r
        .ok(
            &key,
            "search_records",
            json!({"model": "sale.order", "fields": ["partner_id", "name"]}),
        )
        .await;
    assert!(orders["count"].as_i64().unwrap() > 0, "{orders}");
    // Portal users can't create partners.
    let error = error_text(
        &r.call(
            &key,
            "create_record",
            json!({"model": "res.partner", "values": {"name": tag("portal")}}),
        )
        .await,
    );
    assert!(
        error.to_lowercase().contains("not allowed") || error.contains("access"),
        "{error}"
    );
}

async fn odoo_errors_come_back_readable(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    // Odoo's own refusal of an unknown field, without its traceback.
    let answer = r
        .call(
            &key,
            "search_records",
            json!({"model": "res.partner", "domain": [["no_such_field", "=", 1]]}),
        )
        .await;
    let error = error_text(&answer);
    assert!(error.contains("no_such_field"), "{error}");
    assert!(
        !error.contains("Traceback") && !error.contains("File \""),
        "{error}"
    );
}

/// The shared Odoo has sale and mail but not crm or project: a call on their models names the
/// module, for every tool that takes a model; a model that does not exist at all, even with a
/// known prefix, stays "not found".
async fn a_model_of_a_module_not_installed_says_so(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    for (tool, arguments) in [
        ("search_records", json!({"model": "crm.lead"})),
        ("count_records", json!({"model": "crm.lead"})),
        ("describe_model", json!({"model": "crm.lead"})),
        ("get_record", json!({"model": "crm.lead", "id": 1})),
        (
            "create_record",
            json!({"model": "crm.lead", "values": {"name": "x"}}),
        ),
        ("list_actions", json!({"model": "crm.lead", "id": 1})),
        ("list_attachments", json!({"model": "crm.lead", "id": 1})),
        ("print_report", json!({"model": "crm.lead", "ids": [1]})),
    ] {
        let text = error_text(&r.call(&key, tool, arguments).await);
        assert_eq!(
            text,
            "The Odoo module crm (CRM) is not installed on this database, so it has no model crm.lead.",
            "{tool}"
        );
    }
    let text = error_text(
        &r.call(&key, "search_records", json!({"model": "project.task"}))
            .await,
    );
    assert!(
        text.starts_with("The Odoo module project (Project) is not installed"),
        "{text}"
    );
    let text = error_text(
        &r.call(
            &key,
            "search_records",
            json!({"model": "sale.no_such_model"}),
        )
        .await,
    );
    assert!(text.starts_with("Odoo model not found"), "{text}");
}
