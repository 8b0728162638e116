//! Governance on real Odoo: Allowed Models followed through dotted paths with real field
//! metadata, Allowed Tools and Read Only, Model Operations, the write budget.

use odoo_mcp_gateway::connections::Scope;
use serde_json::json;

use super::{Real, Setup, tag};
use crate::helpers::error_text;
use crate::on_main_setups;

on_main_setups!([
    allowed_models_follow_dotted_paths_on_real_metadata,
    allowed_tools_and_read_only_hide_and_refuse,
    relational_fields_to_a_forbidden_model_are_refused,
    web_client_helpers_cannot_read_past_allowed_models,
    model_operations_hold_for_every_tool_that_works_on_a_model,
    a_write_budget_of_one_a_minute_lets_one_create_through,
]);

async fn allowed_models_follow_dotted_paths_on_real_metadata(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (id, key) = r.key("demo").await;
    r.app
        .set_policy(id, |p| {
            p.allowed_models = "res.partner\nres.country".parse().unwrap()
        })
        .await;
    // Within the allowed models, hops are fine.
    let found = r
        .ok(
            &key,
            "search_records",
            json!({"model": "res.partner", "domain": [["country_id.code", "=", "US"]],
                   "fields": ["name", "country_id"], "order": "country_id, id", "limit": 3}),
        )
        .await;
    assert!(found["count"].as_i64().unwrap() > 0, "{found}");
    // A hop to a model outside them is refused, naming the path and the model.
    for (arguments, path, model) in [
        (
            json!({"model": "res.partner", "domain": [["user_id.login", "=", "admin"]]}),
            "user_id.login",
            "res.users",
        ),
        (
            json!({"model": "res.partner", "fields": ["country_id.currency_id.name"]}),
            "country_id.currency_id.name",
            "res.currency",
        ),
        (
            json!({"model": "res.partner", "order": "company_id.name"}),
            "company_id.name",
            "res.company",
        ),
    ] {
        let error = error_text(&r.call(&key, "search_records", arguments).await);
        assert!(error.contains(path) && error.contains(model), "{error}");
    }
    let error = error_text(
        &r.call(&key, "count_records", json!({"model": "sale.order"}))
            .await,
    );
    assert!(error.contains("'sale.order' is not among"), "{error}");
}

async fn relational_fields_to_a_forbidden_model_are_refused(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (id, key) = r.key("demo").await;
    r.app
        .set_policy(id, |p| {
            p.allowed_models = "res.partner\nres.country".parse().unwrap()
        })
        .await;
    // Reading, grouping, ordering or searching by name through `user_id` shows res.users data.
    for (tool, arguments) in [
        (
            "search_records",
            json!({"model": "res.partner", "fields": ["name", "user_id"]}),
        ),
        (
            "search_records",
            json!({"model": "res.partner", "order": "user_id"}),
        ),
        (
            "search_records",
            json!({"model": "res.partner",
                                  "domain": [["user_id", "ilike", "Mitchell"]]}),
        ),
        (
            "aggregate_records",
            json!({"model": "res.partner", "group_by": ["user_id"]}),
        ),
        (
            "get_record",
            json!({"model": "res.partner", "id": 1, "fields": ["create_uid"]}),
        ),
    ] {
        let error = error_text(&r.call(&key, tool, arguments.clone()).await);
        assert!(error.contains("res.users"), "{arguments} → {error}");
    }
    // Comparing with ids reads nothing of res.users; the country is allowed.
    r.ok(
        &key,
        "count_records",
        json!({"model": "res.partner", "domain": [["user_id", "=", r.odoo.admin.uid]]}),
    )
    .await;
    r.ok(
        &key,
        "search_records",
        json!({"model": "res.partner", "fields": ["country_id"], "order": "country_id"}),
    )
    .await;
    // The default field list of a record leaves such fields out.
    let record = r
        .ok(&key, "get_record", json!({"model": "res.partner", "id": 1}))
        .await;
    for field in ["user_id", "create_uid", "write_uid", "company_id"] {
        assert!(record["record"].get(field).is_none(), "{field}: {record}");
    }
    assert!(record["record"].get("country_id").is_some(), "{record}");
}

async fn allowed_tools_and_read_only_hide_and_refuse(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, read_only) = r.key_with("demo", Scope::ReadOnly).await;
    let error = error_text(
        &r.call(
            &read_only,
            "create_record",
            json!({"model": "res.partner", "values": {"name": "never"}}),
        )
        .await,
    );
    assert!(
        error.contains("Read Only") || error.contains("read-only"),
        "{error}"
    );
    let (id, key) = r.key("demo").await;
    r.app
        .set_policy(id, |p| p.allowed_tools = "search_records".parse().unwrap())
        .await;
    assert_eq!(r.app.tool_names(&key).await, ["search_records"]);
    let error = error_text(
        &r.call(&key, "count_records", json!({"model": "res.partner"}))
            .await,
    );
    assert!(error.contains("count_records"), "{error}");
}

async fn web_client_helpers_cannot_read_past_allowed_models(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (id, key) = r.key("demo").await;
    r.app
        .set_policy(id, |p| p.allowed_models = "res.partner".parse().unwrap())
        .await;
    // On real Odoo 17–19 this onchange answers res.users data (the salesman's login).
    let spec = json!({"user_id": {"fields": {"login": {}}}});
    for (method, arguments) in [
        (
            "onchange",
            json!({"values": {}, "field_names": [], "fields_spec": spec}),
        ),
        (
            "web_name_search",
            json!({"name": "a", "specification": spec}),
        ),
        (
            "read_progress_bar",
            json!({"domain": [], "group_by": "user_id",
                                     "progress_bar": {"field": "type", "colors": {}}}),
        ),
    ] {
        let error = error_text(
            &r.call(
                &key,
                "execute_method",
                json!({"model": "res.partner", "method": method, "arguments": arguments}),
            )
            .await,
        );
        assert!(error.contains("not execute_method"), "{method}: {error}");
    }
}

/// Model Operations on real Odoo: a quotation its connection may read and write but not run
/// buttons or methods on, nor delete; the approval filed before the rule changed is refused
/// when it would run.
async fn model_operations_hold_for_every_tool_that_works_on_a_model(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (id, key) = r.key("demo").await;
    let customer = r
        .create(&key, "res.partner", json!({"name": tag("ops")}))
        .await;
    let order = r
        .create(&key, "sale.order", json!({"partner_id": customer}))
        .await;
    r.app
        .set_policy(id, |p| {
            p.model_operations = "sale.order: read, write".parse().unwrap()
        })
        .await;
    let on_order =
        |extra: serde_json::Value| crate::helpers::merged(json!({"model": "sale.order"}), extra);
    r.ok(
        &key,
        "get_record",
        on_order(json!({"id": order, "fields": ["name"]})),
    )
    .await;
    r.ok(&key, "list_actions", on_order(json!({"id": order})))
        .await;
    r.ok(
        &key,
        "post_note",
        on_order(json!({"id": order, "body": "allowed: write"})),
    )
    .await;
    for (tool, arguments, operation) in [
        (
            "run_action",
            on_order(json!({"id": order, "action": "action_confirm"})),
            "execute",
        ),
        (
            "execute_method",
            on_order(json!({"method": "action_confirm", "ids": [order]})),
            "execute",
        ),
        ("delete_record", on_order(json!({"ids": [order]})), "delete"),
        (
            "create_record",
            on_order(json!({"values": {"partner_id": customer}})),
            "create",
        ),
    ] {
        let refused = error_text(&r.call(&key, tool, arguments).await);
        assert_eq!(
            refused,
            format!(
                "Refused by Model Operations: this connection may not {operation} sale.order records (it may: read, write)."
            ),
            "{tool}"
        );
    }
    let state = r.admin_read("sale.order", &[order], &["state"]).await;
    assert_eq!(state[0]["state"], "draft", "nothing was confirmed");
    // Another model is not narrowed.
    r.ok(
        &key,
        "update_record",
        json!({"model": "res.partner", "ids": [customer], "values": {"phone": "+32 2 555 00 00"}}),
    )
    .await;

    // An approval filed while writes were allowed is refused when it would run after they
    // were taken away: the rule is checked again at execution.
    r.stale_approval(
        (id, &key),
        (
            "update_record",
            on_order(json!({"ids": [order], "values": {"client_order_ref": "held"}})),
        ),
        |p| p.model_operations = "sale.order: read".parse().unwrap(),
        "may not write sale.order records",
    )
    .await;
    let reference = r
        .admin_read("sale.order", &[order], &["client_order_ref"])
        .await;
    assert_eq!(reference[0]["client_order_ref"], false, "not written");
}

async fn a_write_budget_of_one_a_minute_lets_one_create_through(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (id, key) = r.key("demo").await;
    r.app
        .set_policy(id, |p| {
            p.write_per_minute = odoo_mcp_gateway::values::Limit::new(1)
        })
        .await;
    let name = tag("budget");
    r.create(&key, "res.partner", json!({"name": name})).await;
    let refused = error_text(
        &r.call(
            &key,
            "create_record",
            json!({"model": "res.partner", "values": {"name": name}}),
        )
        .await,
    );
    assert!(
        refused.starts_with(
            "Refused by Write budget: this connection may make 1 call that changes data per minute. The budget resets at "
        ),
        "{refused}"
    );
    // Reads are not counted; Odoo holds the one partner.
    let found = r
        .ok(
            &key,
            "count_records",
            json!({"model": "res.partner", "domain": [["name", "=", name]]}),
        )
        .await;
    assert_eq!(found["count"], 1, "{found}");
}
