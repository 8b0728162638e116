//! Approvals on real Odoo: a held call files a `mail.activity` for the approver (read back
//! straight from Odoo), and once approved it runs as the requester — the record really gone. A
//! call confirmed in chat (MCP 2026-07-28) runs at once; a declined one never reaches Odoo.

use odoo_mcp_gateway::approvals;
use odoo_mcp_gateway::store::OdooUserRow;
use serde_json::{Value, json};

use super::{Real, Setup, tag};
use crate::helpers::{error_text, ok_result};
use crate::{on_every_setup, on_main_setups};

on_every_setup!([a_held_delete_notifies_the_approver_in_odoo_and_runs_when_approved]);

on_main_setups!([
    a_held_method_on_a_model_without_activities_notifies_on_the_approvers_partner,
    a_rejected_request_leaves_the_record_alone,
    a_malformed_held_call_is_refused_before_it_is_filed,
    a_held_call_runs_in_the_companies_it_was_filed_in,
    a_held_customer_message_is_posted_once_approved,
    a_delete_confirmed_in_chat_runs_and_a_declined_one_does_not,
]);

/// demo (MCP User) with a key whose `tools` need admin's (MCP Administrator) approval.
struct Held {
    r: Real,
    key: String,
    admin: OdooUserRow,
}

impl Held {
    async fn start(setup: Setup, tools: &str) -> Option<Self> {
        let r = Real::start(setup).await?;
        let store = &r.app.state.store;
        let now = r.app.state.clock.now();
        for (login, role) in [("admin", "admin"), ("demo", "user")] {
            r.link(login).await;
            store
                .set_role(login, Some(role.parse().unwrap()), now)
                .await
                .unwrap();
        }
        let admin = store.find_odoo_user("admin").await.unwrap().unwrap();
        let (connection, key) = r.key("demo").await;
        r.app
            .set_policy(connection, |p| {
                p.approval_tools = tools.parse().unwrap();
                p.approver_user_id = Some(admin.id);
            })
            .await;
        Some(Self { r, key, admin })
    }

    /// Calls a gated tool; the `pending_approval` answer.
    async fn request(&self, tool: &str, arguments: Value) -> Value {
        let answer = ok_result(&self.r.call(&self.key, tool, arguments).await).clone();
        assert_eq!(answer["status"], "pending_approval", "{answer}");
        answer
    }

    /// The request's one Odoo activity, read as the administrator straight from Odoo.
    async fn activity(&self, approval_id: &str) -> Value {
        let row = self
            .r
            .app
            .state
            .store
            .get_approval(approval_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.activity_warning, None, "no activity was filed");
        let id: i64 = row.activity_ids.parse().expect("one activity id");
        let rows = self
            .r
            .admin_read(
                "mail.activity",
                &[id],
                &[
                    "res_model",
                    "res_id",
                    "user_id",
                    "create_uid",
                    "summary",
                    "note",
                ],
            )
            .await;
        rows.into_iter()
            .next()
            .expect("the activity exists in Odoo")
    }

    fn assert_for_admin(&self, activity: &Value, approval_id: &str) {
        let odoo = self.r.odoo;
        assert_eq!(activity["user_id"][0], odoo.admin.uid, "{activity}");
        assert_eq!(activity["create_uid"][0], odoo.demo.uid, "{activity}");
        let note = activity["note"].as_str().unwrap_or_default();
        let link = format!("{}/console/approvals/{approval_id}", self.r.app.base);
        assert!(note.contains(&link), "{note}");
    }
}

fn id_of(answer: &Value) -> String {
    answer["approval_id"].as_str().unwrap().to_owned()
}

async fn a_held_delete_notifies_the_approver_in_odoo_and_runs_when_approved(setup: Setup) {
    let Some(h) = Held::start(setup, "delete_record").await else {
        return;
    };
    let name = tag("held");
    let partner =
        h.r.create(&h.key, "res.partner", json!({"name": name}))
            .await;
    let answer = h
        .request(
            "delete_record",
            json!({"model": "res.partner", "ids": [partner]}),
        )
        .await;
    assert_eq!(
        answer["summary"],
        format!("Delete 1 record of Contact (res.partner): {name}"),
        "{answer}"
    );
    let id = id_of(&answer);
    let activity = h.activity(&id).await;
    assert_eq!(activity["res_model"], "res.partner", "{activity}");
    assert_eq!(activity["res_id"], partner, "{activity}");
    assert_eq!(activity["summary"], "MCP approval needed: delete_record");
    h.assert_for_admin(&activity, &id);
    assert_eq!(
        h.r.admin_read("res.partner", &[partner], &["name"])
            .await
            .len(),
        1
    );

    let done = approvals::approve(&h.r.app.state, &id, &h.admin)
        .await
        .unwrap();
    assert_eq!(done.state.as_db(), "executed", "{:?}", done.error);
    assert!(
        h.r.admin_read("res.partner", &[partner], &["name"])
            .await
            .is_empty()
    );
    let status =
        h.r.ok(&h.key, "get_approval_status", json!({"approval_id": id}))
            .await;
    assert_eq!(status["state"], "executed", "{status}");
    assert_eq!(status["result"]["deleted"], true, "{status}");
}

async fn a_held_method_on_a_model_without_activities_notifies_on_the_approvers_partner(
    setup: Setup,
) {
    let Some(h) = Held::start(setup, "execute_method").await else {
        return;
    };
    // Tags have no chatter: the activity goes on the approver's own contact.
    let category =
        h.r.create(&h.key, "res.partner.category", json!({"name": tag("tag")}))
            .await;
    let answer = h
        .request(
            "execute_method",
            json!({"model": "res.partner.category", "method": "action_archive", "ids": [category]}),
        )
        .await;
    let id = id_of(&answer);
    let activity = h.activity(&id).await;
    let admin_partner =
        h.r.admin_read("res.users", &[h.r.odoo.admin.uid], &["partner_id"])
            .await[0]["partner_id"][0]
            .clone();
    assert_eq!(activity["res_model"], "res.partner", "{activity}");
    assert_eq!(activity["res_id"], admin_partner, "{activity}");
    h.assert_for_admin(&activity, &id);

    let done = approvals::approve(&h.r.app.state, &id, &h.admin)
        .await
        .unwrap();
    assert_eq!(done.state.as_db(), "executed", "{:?}", done.error);
    let stored =
        h.r.admin_read("res.partner.category", &[category], &["active"])
            .await;
    assert_eq!(stored[0]["active"], false, "archived as the requester");
}

async fn a_rejected_request_leaves_the_record_alone(setup: Setup) {
    let Some(h) = Held::start(setup, "update_record").await else {
        return;
    };
    let partner =
        h.r.create(
            &h.key,
            "res.partner",
            json!({"name": tag("rejected"), "city": "Liège"}),
        )
        .await;
    let answer = h
        .request(
            "update_record",
            json!({"model": "res.partner", "ids": [partner], "values": {"city": "Gent"}}),
        )
        .await;
    let id = id_of(&answer);
    let done = approvals::reject(&h.r.app.state, &id, &h.admin, "not now")
        .await
        .unwrap();
    assert_eq!(done.state.as_db(), "rejected");
    let stored = h.r.admin_read("res.partner", &[partner], &["city"]).await;
    assert_eq!(stored[0]["city"], "Liège");
}

async fn a_malformed_held_call_is_refused_before_it_is_filed(setup: Setup) {
    let Some(h) = Held::start(setup, "update_record\ndelete_record").await else {
        return;
    };
    let partner =
        h.r.create(&h.key, "res.partner", json!({"name": tag("flood")}))
            .await;
    for (tool, arguments, expected) in [
        (
            "delete_record",
            json!({"model": "res.partner", "ids": [partner], "dry_run": 1}),
            "dry_run",
        ),
        (
            "delete_record",
            json!({"model": "res.partner", "ids": [partner], "dry_run": "true"}),
            "dry_run",
        ),
        (
            "delete_record",
            json!({"model": "res.partner", "ids": [-4]}),
            "-4",
        ),
        (
            "update_record",
            json!({"model": "res.partner", "ids": [partner],
                                 "values": {"country_id": "not-an-id"}}),
            "country_id",
        ),
        (
            "update_record",
            json!({"model": "res.partner", "ids": [partner],
                                 "values": {"no_such_field": 1}}),
            "no_such_field",
        ),
    ] {
        let error = crate::helpers::error_text(&h.r.call(&h.key, tool, arguments.clone()).await);
        assert!(error.contains(expected), "{arguments} → {error}");
    }
    let filed = h.r.app.state.store.list_approvals(None, 100).await.unwrap();
    assert!(filed.is_empty(), "nothing was filed: {filed:?}");
    // No activity reached Odoo either.
    let activities =
        h.r.execute_kw(
            &h.r.odoo.admin,
            "mail.activity",
            "search_count",
            json!([[["res_model", "=", "res.partner"], ["res_id", "=", partner]]]),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(activities, 0);
}

async fn a_held_call_runs_in_the_companies_it_was_filed_in(setup: Setup) {
    let Some(h) = Held::start(setup, "create_record").await else {
        return;
    };
    let h = &h;
    let second = h.r.second_company().await;
    let customer =
        h.r.admin_create("res.partner", json!({"name": tag("co-customer")}))
            .await;
    let quotation = |company: Option<i64>| {
        let mut arguments = json!({"model": "sale.order", "values": {"partner_id": customer}});
        if let Some(company) = company {
            arguments["company_id"] = json!(company);
        }
        arguments
    };
    let stored_companies = |id: String| async move {
        let row =
            h.r.app
                .state
                .store
                .get_approval(&id)
                .await
                .unwrap()
                .unwrap();
        let arguments: Value = serde_json::from_str(&row.arguments).unwrap();
        assert!(arguments.get("company_id").is_none(), "{arguments}");
        arguments["company_ids"].clone()
    };
    let approve = |id: String| async move {
        approvals::approve(&h.r.app.state, &id, &h.admin)
            .await
            .unwrap()
    };
    let company_of_result = |row: &odoo_mcp_gateway::store::ApprovalRow| {
        let result: Value = serde_json::from_str(row.result.as_deref().unwrap()).unwrap();
        let order = result["id"].as_i64().unwrap();
        async move {
            h.r.admin_read("sale.order", &[order], &["company_id"])
                .await[0]["company_id"][0]
                .clone()
        }
    };

    // Filed in the second company: pinned to it, and run in it.
    let named = id_of(&h.request("create_record", quotation(Some(second))).await);
    assert_eq!(stored_companies(named.clone()).await, json!([second]));
    let done = approve(named).await;
    assert_eq!(done.state.as_db(), "executed", "{:?}", done.error);
    assert_eq!(company_of_result(&done).await, second);

    // Filed naming none: pinned to the user's companies as they were, current first.
    let plain = id_of(&h.request("create_record", quotation(None)).await);
    let pinned = stored_companies(plain.clone()).await;
    assert_eq!(pinned[0], 1, "{pinned}");
    assert!(
        pinned.as_array().unwrap().contains(&json!(second)),
        "{pinned}"
    );
    let done = approve(plain).await;
    assert_eq!(done.state.as_db(), "executed", "{:?}", done.error);
    assert_eq!(company_of_result(&done).await, 1);

    // Allowed companies narrowed after filing: the call no longer runs.
    let narrowed = id_of(&h.request("create_record", quotation(Some(second))).await);
    let connection =
        h.r.app
            .state
            .store
            .get_approval(&narrowed)
            .await
            .unwrap()
            .unwrap();
    h.r.app
        .set_policy(connection.connection_id, |p| {
            p.allowed_companies = "1".parse().unwrap()
        })
        .await;
    let failed = approve(narrowed).await;
    assert_eq!(failed.state.as_db(), "failed");
    let error = failed.error.unwrap_or_default();
    assert!(
        error.contains(&format!(
            "Refused by Allowed Companies: the company {second} is not among"
        )),
        "{error}"
    );
}

async fn a_held_customer_message_is_posted_once_approved(setup: Setup) {
    let Some(h) = Held::start(setup, "post_message").await else {
        return;
    };
    let h = &h;
    let name = tag("held-message");
    let partner =
        h.r.create(&h.key, "res.partner", json!({"name": name}))
            .await;
    let arguments =
        json!({"model": "res.partner", "id": partner, "body": "Your order ships Monday"});
    let answer = h.request("post_message", arguments).await;
    assert_eq!(
        answer["summary"],
        format!(
            "Post a message to the followers of Contact (res.partner): {name}: \"Your order ships Monday\""
        ),
        "{answer}"
    );
    let id = id_of(&answer);
    // The approver's activity sits on the record the message is for.
    let activity = h.activity(&id).await;
    assert_eq!(
        (activity["res_model"].as_str(), activity["res_id"].as_i64()),
        (Some("res.partner"), Some(partner)),
        "{activity}"
    );
    let read = |key: String| async move {
        h.r.ok(
            &key,
            "read_messages",
            json!({"model": "res.partner", "id": partner}),
        )
        .await
    };
    assert_eq!(
        read(h.key.clone()).await["count"],
        0,
        "nothing posted before the decision"
    );
    let done = approvals::approve(&h.r.app.state, &id, &h.admin)
        .await
        .unwrap();
    assert_eq!(done.state.as_db(), "executed", "{:?}", done.error);
    let read = read(h.key.clone()).await;
    assert_eq!(read["count"], 1, "{read}");
    assert_eq!(read["messages"][0]["text"], "Your order ships Monday");
    assert_eq!(read["messages"][0]["internal"], false);
}

/// "Tools to confirm in chat": the person's yes deletes the record in Odoo, their no leaves it.
async fn a_delete_confirmed_in_chat_runs_and_a_declined_one_does_not(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    r.link("demo").await;
    let (connection, key) = r.key("demo").await;
    r.app
        .set_policy(connection, |p| {
            p.confirm_tools = "delete_record".parse().unwrap();
        })
        .await;
    let kept = r
        .create(&key, "res.partner", json!({"name": tag("declined")}))
        .await;
    let gone = r
        .create(&key, "res.partner", json!({"name": tag("confirmed")}))
        .await;
    let delete = |id: i64| json!({"model": "res.partner", "ids": [id]});

    let declined = r
        .app
        .call_in_chat(
            &key,
            "delete_record",
            delete(kept),
            json!({"action": "decline"}),
        )
        .await;
    assert!(
        error_text(&declined).starts_with("The person in the chat declined"),
        "{declined}"
    );
    let confirmed = r
        .app
        .call_in_chat(
            &key,
            "delete_record",
            delete(gone),
            json!({"action": "accept", "content": {"confirm": true}}),
        )
        .await;
    assert_eq!(ok_result(&confirmed)["deleted"], true, "{confirmed}");

    // Read by name: a read of `id` alone answers even for a record that is gone.
    let left = r.admin_read("res.partner", &[kept, gone], &["name"]).await;
    let ids: Vec<i64> = left.iter().filter_map(|p| p["id"].as_i64()).collect();
    assert_eq!(ids, [kept], "only the confirmed delete reached Odoo");
}
