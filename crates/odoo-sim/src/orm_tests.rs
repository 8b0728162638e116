//! ORM behaviour through the method layer, without HTTP: paths, active filter, writes, cascades, access.

use serde_json::{Map, Value, json};

use super::OdooVersion;
use super::fault::{Fault, Kind};
use super::methods::{self, Protocol};
use super::store::Db;

const ADMIN: i64 = 2;
const DEMO: i64 = 5;
const PORTAL: i64 = 6;

fn call(
    db: &mut Db,
    uid: i64,
    model: &str,
    method: &str,
    args: Value,
    kwargs: Value,
) -> Result<Value, Fault> {
    let meta = db.model_or_fault(model)?.clone();
    methods::resolve_method(model, method, db.version)?;
    let args = args.as_array().cloned().unwrap_or_default();
    let kwargs: Map<String, Value> = kwargs.as_object().cloned().unwrap_or_default();
    let bound = methods::bind_jsonrpc(model, method, db.version, &args, kwargs)?;
    methods::run(db, uid, &meta, method, bound, Protocol::JsonRpc)
}

fn names(db: &mut Db, model: &str, domain: Value, kwargs: Value) -> Vec<String> {
    let mut kwargs = kwargs;
    kwargs["fields"] = json!(["display_name"]);
    let rows = call(db, ADMIN, model, "search_read", json!([domain]), kwargs).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["display_name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn dotted_paths_follow_many2one_and_x2many() {
    let mut db = Db::new(OdooVersion::V19);
    let orders = names(
        &mut db,
        "sale.order",
        json!([["partner_id.name", "ilike", "azure"]]),
        json!({"order": "name"}),
    );
    assert_eq!(orders, ["S00001", "S00005"]);
    let by_name = names(
        &mut db,
        "sale.order",
        json!([["partner_id", "ilike", "azure"]]),
        json!({"order": "name"}),
    );
    assert_eq!(by_name, orders);
    let us = names(
        &mut db,
        "sale.order",
        json!([["partner_id.country_id.code", "=", "US"]]),
        json!({}),
    );
    assert_eq!(us.len(), 6);
    let parents = names(
        &mut db,
        "res.partner",
        json!([["child_ids.name", "=", "Willie Burke"]]),
        json!({}),
    );
    assert_eq!(parents, ["Wood Corner"]);
}

#[test]
fn archived_records_are_hidden_unless_asked_for() {
    let mut db = Db::new(OdooVersion::V18);
    let domain = json!([["name", "=", "Archived Contact"]]);
    assert!(names(&mut db, "res.partner", domain.clone(), json!({})).is_empty());
    assert_eq!(
        names(
            &mut db,
            "res.partner",
            domain.clone(),
            json!({"context": {"active_test": false}})
        )
        .len(),
        1
    );
    assert_eq!(
        names(
            &mut db,
            "res.partner",
            json!([["active", "=", false], ["email", "=", "old@example.com"]]),
            json!({})
        )
        .len(),
        1
    );
}

#[test]
fn order_limit_offset_and_child_of() {
    let mut db = Db::new(OdooVersion::V18);
    let kwargs = json!({"order": "name desc", "limit": 2, "offset": 1});
    let companies = names(
        &mut db,
        "res.partner",
        json!([["is_company", "=", true]]),
        kwargs,
    );
    assert_eq!(companies, ["Wood Corner", "The Jackson Group"]);
    let wood = names(
        &mut db,
        "res.partner",
        json!([["name", "=", "Wood Corner"]]),
        json!({}),
    );
    assert_eq!(wood.len(), 1);
    let family = call(
        &mut db,
        ADMIN,
        "res.partner",
        "search",
        json!([[["id", "child_of", 9]]]),
        json!({}),
    )
    .unwrap();
    assert_eq!(family.as_array().unwrap().len(), 3);
}

#[test]
fn sale_orders_compute_totals_and_cascade_their_lines() {
    let mut db = Db::new(OdooVersion::V19);
    let vals = json!({"partner_id": 8, "order_line": [[0, 0, {"product_id": 1, "product_uom_qty": 2}], [0, 0, {"product_id": 2}]]});
    let id = call(
        &mut db,
        DEMO,
        "sale.order",
        "create",
        json!([vals]),
        json!({}),
    )
    .unwrap()
    .as_i64()
    .unwrap();
    let read = call(
        &mut db,
        DEMO,
        "sale.order",
        "read",
        json!([
            [id],
            ["name", "amount_total", "order_line", "state", "partner_id"]
        ]),
        json!({}),
    )
    .unwrap();
    assert_eq!(read[0]["amount_total"], json!(180.0));
    assert_eq!(read[0]["state"], "draft");
    assert_eq!(read[0]["name"], format!("S{id:05}"));
    assert_eq!(read[0]["partner_id"], json!([8, "Wood Corner"]));
    let lines: Vec<i64> = read[0]["order_line"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        db.row("sale.order.line", lines[0]).unwrap()["name"],
        "[FURN_7777] Office Chair"
    );
    // A salesman may not delete orders at all; a sales administrator may delete a quotation.
    let refused = call(
        &mut db,
        DEMO,
        "sale.order",
        "unlink",
        json!([[id]]),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(refused.kind, Kind::AccessError);
    call(
        &mut db,
        ADMIN,
        "sale.order",
        "unlink",
        json!([[id]]),
        json!({}),
    )
    .unwrap();
    assert!(
        lines
            .iter()
            .all(|line| !db.exists("sale.order.line", *line))
    );
}

#[test]
fn activities_must_point_at_existing_models_and_records() {
    let mut db = Db::new(OdooVersion::V18);
    let ok = json!({"res_model": "res.partner", "res_id": 9, "summary": "Call back", "activity_type_id": 2});
    let id = call(
        &mut db,
        ADMIN,
        "mail.activity",
        "create",
        json!([ok]),
        json!({}),
    )
    .unwrap()
    .as_i64()
    .unwrap();
    let read = call(
        &mut db,
        ADMIN,
        "mail.activity",
        "read",
        json!([[id], ["res_model_id", "res_name", "user_id"]]),
        json!({}),
    )
    .unwrap();
    assert_eq!(read[0]["res_name"], "Wood Corner");
    assert_eq!(read[0]["res_model_id"][1], "Contact");
    assert_eq!(read[0]["user_id"][1], "Mitchell Admin");

    let no_record = call(
        &mut db,
        ADMIN,
        "mail.activity",
        "create",
        json!([{"res_model": "res.partner", "res_id": 999}]),
        json!({}),
    );
    assert_eq!(no_record.unwrap_err().kind, Kind::MissingError);
    let no_model = call(
        &mut db,
        ADMIN,
        "mail.activity",
        "create",
        json!([{"res_model": "x.y", "res_id": 1}]),
        json!({}),
    );
    assert_eq!(no_model.unwrap_err().message, "Object x.y doesn't exist");
    let bad_user = call(
        &mut db,
        ADMIN,
        "mail.activity",
        "create",
        json!([{"res_model": "res.partner", "res_id": 9, "user_id": 999}]),
        json!({}),
    );
    assert_eq!(bad_user.unwrap_err().kind, Kind::ValidationError);
}

#[test]
fn portal_users_see_only_their_own_partner() {
    let mut db = Db::new(OdooVersion::V19);
    let mine = call(
        &mut db,
        PORTAL,
        "res.partner",
        "search_read",
        json!([[]]),
        json!({"fields": ["name"]}),
    )
    .unwrap();
    assert_eq!(mine, json!([{"id": 6, "name": "Joel Willis"}]));
    let other = call(
        &mut db,
        PORTAL,
        "res.partner",
        "read",
        json!([[1], ["name"]]),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(other.kind, Kind::AccessError);
    // Portal users read the orders sold to them, and only those.
    let orders = call(
        &mut db,
        PORTAL,
        "sale.order",
        "search_read",
        json!([[]]),
        json!({"fields": ["partner_id"]}),
    )
    .unwrap();
    let orders = orders.as_array().unwrap();
    assert_eq!(orders.len(), 2);
    assert!(orders.iter().all(|o| o["partner_id"][0] == 6));
}

#[test]
fn only_the_users_own_companies_may_be_allowed() {
    let mut db = Db::new(OdooVersion::V19);
    let count = |db: &mut Db, companies: Value| {
        call(
            db,
            DEMO,
            "res.partner",
            "search_count",
            json!([[]]),
            json!({"context": {"allowed_company_ids": companies}}),
        )
    };
    assert!(count(&mut db, json!([1])).unwrap().as_i64().unwrap() > 0);
    let foreign = count(&mut db, json!([1, 2])).unwrap_err();
    assert_eq!(foreign.kind, Kind::AccessError);
    assert_eq!(
        foreign.message,
        "Access to unauthorized or invalid companies."
    );
}

#[test]
fn bad_arguments_get_python_errors_not_panics() {
    let mut db = Db::new(OdooVersion::V18);
    let unknown = call(
        &mut db,
        ADMIN,
        "res.partner",
        "create",
        json!([{"x": 1}]),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(unknown.message, "Invalid field 'x' on model 'res.partner'");
    let too_many = call(
        &mut db,
        ADMIN,
        "res.partner",
        "search",
        json!([[], 0, 1, "id", 5]),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(too_many.kind, Kind::TypeError);
    assert_eq!(
        call(&mut db, ADMIN, "res.partner", "read", json!([]), json!({}))
            .unwrap_err()
            .kind,
        Kind::IndexError
    );
    let twice = call(
        &mut db,
        ADMIN,
        "res.partner",
        "search",
        json!([[]]),
        json!({"domain": []}),
    )
    .unwrap_err();
    assert_eq!(
        twice.message,
        "BaseModel.search() got multiple values for argument 'domain'"
    );
    let bad_domain = call(
        &mut db,
        ADMIN,
        "res.partner",
        "search",
        json!(["nope"]),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(bad_domain.kind, Kind::ValueError);
    let bad_limit = call(
        &mut db,
        ADMIN,
        "res.partner",
        "search",
        json!([[]]),
        json!({"limit": "x"}),
    )
    .unwrap_err();
    assert_eq!(bad_limit.kind, Kind::TypeError);
    let bad_selection = call(
        &mut db,
        ADMIN,
        "res.partner",
        "write",
        json!([[1], {"type": "nope"}]),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(
        bad_selection.message,
        "Wrong value for res.partner.type: 'nope'"
    );
    assert_eq!(
        call(
            &mut db,
            ADMIN,
            "res.partner",
            "write",
            json!([[1], "x"]),
            json!({})
        )
        .unwrap_err()
        .kind,
        Kind::TypeError
    );
}

#[test]
fn name_search_default_get_and_context_get() {
    let mut db = Db::new(OdooVersion::V18);
    let found = call(
        &mut db,
        ADMIN,
        "res.partner",
        "name_search",
        json!(["azure"]),
        json!({"limit": 2}),
    )
    .unwrap();
    assert_eq!(found[0], json!([15, "Azure Interior"]));
    assert_eq!(found.as_array().unwrap().len(), 2);
    let defaults = call(
        &mut db,
        ADMIN,
        "sale.order",
        "default_get",
        json!([["state", "company_id", "note"]]),
        json!({}),
    )
    .unwrap();
    assert_eq!(defaults, json!({"state": "draft", "company_id": 1}));
    let context = call(&mut db, 6, "res.users", "context_get", json!([]), json!({})).unwrap();
    assert_eq!(context["uid"], 6);
    assert_eq!(
        call(
            &mut db,
            6,
            "res.users",
            "check_access_rights",
            json!(["create"]),
            json!({"raise_exception": false})
        )
        .unwrap(),
        false
    );
    assert_eq!(
        call(
            &mut db,
            ADMIN,
            "ir.config_parameter",
            "check_access_rights",
            json!(["read"]),
            json!({})
        )
        .unwrap(),
        true
    );
}

#[test]
fn admin_reads_the_technical_models() {
    let mut db = Db::new(OdooVersion::V19);
    for model in [
        "ir.model",
        "ir.model.fields",
        "ir.config_parameter",
        "ir.cron",
        "ir.rule",
        "ir.model.access",
        "res.groups",
        "res.users",
    ] {
        let rows = call(
            &mut db,
            ADMIN,
            model,
            "search_read",
            json!([[]]),
            json!({"limit": 5}),
        )
        .unwrap();
        assert!(!rows.as_array().unwrap().is_empty(), "{model}");
    }
    let models = call(
        &mut db,
        ADMIN,
        "ir.model",
        "search_count",
        json!([[["model", "=", "sale.order"]]]),
        json!({}),
    )
    .unwrap();
    assert_eq!(models, 1);
    let users = call(
        &mut db,
        ADMIN,
        "res.users",
        "read",
        json!([[2], ["group_ids", "partner_id"]]),
        json!({}),
    )
    .unwrap();
    assert_eq!(
        users[0]["partner_id"],
        json!([3, "YourCompany, Mitchell Admin"])
    );
}

#[test]
fn odd_arguments_never_panic() {
    let odd = [
        json!(null),
        json!(true),
        json!(-1),
        json!(1.5),
        json!("x"),
        json!([]),
        json!([[]]),
        json!([["name"]]),
        json!([["name", "in", "x"]]),
        json!(["|"]),
        json!(["!", "!"]),
        json!([[1, 2, 3]]),
        json!([["partner_id.nope", "=", 1]]),
        json!([["child_ids", "any", [["name", "=", 1]]]]),
        json!({"a": [1, {"b": null}]}),
        json!([{"name": 1}, 7]),
        json!([0, 0, {"x": 1}]),
        json!([[0, 0, {"name": null}]]),
        json!({"order_line": [[9]], "partner_id": "x"}),
    ];
    let methods = [
        "search_read",
        "search",
        "search_count",
        "read",
        "create",
        "write",
        "unlink",
        "fields_get",
        "read_group",
        "name_search",
        "default_get",
        "check_access_rights",
        "check_access",
        "has_access",
        "exists",
    ];
    for version in [OdooVersion::V18, OdooVersion::V19] {
        let mut db = Db::new(version);
        for model in ["res.partner", "sale.order", "mail.activity", "res.users"] {
            for method in methods {
                for first in &odd {
                    for second in &odd {
                        let _ = call(
                            &mut db,
                            ADMIN,
                            model,
                            method,
                            json!([first, second]),
                            json!({}),
                        );
                        let _ = call(
                            &mut db,
                            ADMIN,
                            model,
                            method,
                            json!([[1], first]),
                            json!({"limit": second}),
                        );
                        let kwargs = json!({"fields": first, "groupby": second, "order": second, "domain": first});
                        let _ = call(&mut db, DEMO, model, method, json!([]), kwargs);
                    }
                }
            }
        }
    }
}

#[test]
fn users_created_with_a_password_can_log_in() {
    let mut db = Db::new(OdooVersion::V19);
    let vals = json!({"name": "New User", "login": "new", "password": "secret"});
    let uid = call(
        &mut db,
        ADMIN,
        "res.users",
        "create",
        json!([vals]),
        json!({}),
    )
    .unwrap()
    .as_i64()
    .unwrap();
    assert_eq!(db.secrets[&uid].password, "secret");
    let partner = db.row("res.users", uid).unwrap()["partner_id"]
        .as_i64()
        .unwrap();
    assert_eq!(db.display_name("res.partner", partner), "New User");
}

#[test]
fn models_with_activities_expose_activity_ids_and_mail_can_be_absent() {
    let mut db = Db::new(OdooVersion::V19);
    let fields = |db: &mut Db, model: &str| {
        call(
            db,
            ADMIN,
            model,
            "fields_get",
            json!([]),
            json!({"attributes": ["type", "relation", "relation_field"]}),
        )
        .unwrap()
    };
    for model in ["res.partner", "sale.order"] {
        let meta = fields(&mut db, model);
        assert_eq!(meta["activity_ids"]["type"], "one2many", "{model}");
        assert_eq!(meta["activity_ids"]["relation"], "mail.activity");
        assert_eq!(meta["activity_ids"]["relation_field"], "res_id");
    }
    assert!(fields(&mut db, "res.country").get("activity_ids").is_none());

    // An internal user (demo) files an activity for admin on a contact; activity_ids shows it,
    // and only on the document of that model (sale.order 9 has no activity of res.partner 9).
    let vals =
        json!({"res_model": "res.partner", "res_id": 9, "user_id": ADMIN, "summary": "Approve"});
    let id = call(
        &mut db,
        DEMO,
        "mail.activity",
        "create",
        json!([vals]),
        json!({}),
    )
    .unwrap()
    .as_i64()
    .unwrap();
    let read = call(
        &mut db,
        DEMO,
        "res.partner",
        "read",
        json!([[9], ["activity_ids"]]),
        json!({}),
    )
    .unwrap();
    assert!(
        read[0]["activity_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(id)),
        "{read}"
    );
    let created = db.row("mail.activity", id).unwrap();
    assert_eq!(created["create_uid"], json!(DEMO));
    let on_order = db.value("sale.order", 9, "activity_ids");
    assert!(!on_order.as_array().unwrap().contains(&json!(id)));
    // Filing one needs write access on the document: portal users cannot.
    let portal = call(
        &mut db,
        PORTAL,
        "mail.activity",
        "create",
        json!([vals]),
        json!({}),
    );
    assert_eq!(portal.unwrap_err().kind, Kind::AccessError);

    let mut bare = Db::with_mail(OdooVersion::V19, false);
    let missing = call(
        &mut bare,
        ADMIN,
        "mail.activity",
        "create",
        json!([vals]),
        json!({}),
    );
    assert_eq!(
        missing.unwrap_err().message,
        "Object mail.activity doesn't exist"
    );
    assert!(
        fields(&mut bare, "res.partner")
            .get("activity_ids")
            .is_none()
    );
    let models = call(
        &mut bare,
        ADMIN,
        "ir.model",
        "search_read",
        json!([[["model", "like", "mail."]]]),
        json!({"fields": ["model"]}),
    )
    .unwrap();
    assert_eq!(models, json!([]));
    // Deleting a document still works without the activity table.
    call(
        &mut bare,
        ADMIN,
        "res.partner",
        "unlink",
        json!([[41]]),
        json!({}),
    )
    .unwrap();
}
