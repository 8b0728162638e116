//! Human-in-the-loop approvals end to end: a gated MCP call becomes a request (with an Odoo
//! activity for the approver), and each way it can end — approved and executed as the requester,
//! approved but failed, rejected, expired, decided twice at once, decided by the wrong person,
//! tampered with in storage, overtaken by a revocation or a narrower policy — through real MCP
//! calls, the real console and the simulator's records.

use odoo_mcp_gateway::approvals::{self, Error};
use odoo_mcp_gateway::clock::HOUR_MS;
use odoo_mcp_gateway::connections::{self, Scope};
use odoo_mcp_gateway::odoo::sim::SimOptions;
use odoo_mcp_gateway::store::{ApprovalRow, OdooUserRow, Store};
use odoo_mcp_gateway::users::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::console::{Console, element_text};
use crate::helpers::{TestApp, error_text, ok_result};

/// Odoo uids of the simulator's demo users (Odoo 19).
const ADMIN_UID: i64 = 2;
const DEMO_UID: i64 = 5;
/// res.partner ids: Mitchell Admin's own partner, a customer company (with sales orders), and
/// a contact nothing else refers to (deletable).
const ADMIN_PARTNER: i64 = 3;
const ACME: i64 = 9;
const DWAYNE: i64 = 41;

struct Fixture {
    app: TestApp,
    /// demo's full-access key, whose `approval_tools` are gated.
    key: String,
    connection: i64,
    admin: OdooUserRow,
    demo: OdooUserRow,
}

impl Fixture {
    /// `admin` (MCP Administrator) and `demo` (MCP User) linked; a key for demo whose `tools`
    /// need approval, decided by `approver` (a login) or any administrator.
    async fn new(tools: &str, approver: Option<&str>) -> Self {
        Self::on(TestApp::spawn().await, tools, approver).await
    }

    async fn on(app: TestApp, tools: &str, approver: Option<&str>) -> Self {
        let now = app.state.clock.now();
        for (login, role) in [("admin", "admin"), ("demo", "user")] {
            app.link(login).await;
            app.state
                .store
                .set_role(login, Some(role.parse().unwrap()), now)
                .await
                .unwrap();
        }
        let user = |login: &'static str| {
            let store = app.state.store.clone();
            async move { store.find_odoo_user(login).await.unwrap().unwrap() }
        };
        let admin = user("admin").await;
        let demo = user("demo").await;
        let (connection, key) = app.api_key("demo", Scope::Full).await;
        let approver_id = match approver {
            Some("admin") => Some(admin.id),
            Some("demo") => Some(demo.id),
            _ => None,
        };
        app.set_policy(connection, |p| {
            p.approval_tools = tools.parse().unwrap();
            p.approver_user_id = approver_id;
        })
        .await;
        Self {
            app,
            key,
            connection,
            admin,
            demo,
        }
    }

    /// Calls a gated tool and returns the `pending_approval` answer.
    async fn request(&self, tool: &str, arguments: Value) -> Value {
        let response = self.app.call(&self.key, tool, arguments).await;
        let answer = ok_result(&response).clone();
        assert_eq!(answer["status"], "pending_approval", "{answer}");
        answer
    }

    async fn row(&self, id: &str) -> ApprovalRow {
        self.app
            .state
            .store
            .get_approval(id)
            .await
            .unwrap()
            .expect("the request is stored")
    }

    async fn status(&self, id: &str) -> Value {
        let response = self
            .app
            .call(&self.key, "get_approval_status", json!({"approval_id": id}))
            .await;
        ok_result(&response).clone()
    }

    fn partner(&self, id: i64) -> Option<Value> {
        self.app.sim().record("res.partner", id)
    }

    /// The audit entries of one method, oldest first.
    async fn audit(&self, method: &str) -> Vec<odoo_mcp_gateway::store::AuditRow> {
        let mut rows: Vec<_> = self
            .app
            .audit()
            .await
            .into_iter()
            .filter(|r| r.method == method)
            .collect();
        rows.reverse();
        rows
    }
}

fn id_of(answer: &Value) -> String {
    answer["approval_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn approved_call_runs_once_as_the_requester_and_the_ai_gets_the_result() {
    let f = Fixture::new("update_record\ndelete_record", None).await;
    let before = f.partner(ACME).unwrap();
    let answer = f
        .request(
            "update_record",
            json!({"model": "res.partner", "ids": [ACME], "values": {"phone": "+32 2 555 01 01"}}),
        )
        .await;
    let id = id_of(&answer);
    assert!(id.starts_with("apr_"), "{answer}");
    assert_eq!(
        answer["summary"],
        "Update 1 record of Contact (res.partner): Acme Corporation: set phone"
    );
    assert_eq!(answer["approver"], "an MCP Administrator");
    assert_eq!(answer["expires_at"], "2027-01-16 08:00 UTC", "24 h default");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("get_approval_status"),
        "{answer}"
    );
    let unchanged = f.partner(ACME).unwrap();
    assert_eq!(unchanged["phone"], before["phone"], "nothing ran yet");
    assert_eq!(unchanged["write_date"], before["write_date"]);

    // The stored request: exact arguments, requester, approver, times.
    let row = f.row(&id).await;
    assert_eq!(
        (row.state.as_db(), row.tool.as_str()),
        ("pending", "update_record")
    );
    assert_eq!(row.connection_id, f.connection);
    assert_eq!(row.requester_user_id, f.demo.id);
    assert_eq!(row.approver_user_id, None);
    assert_eq!(row.expires_at - row.created_at, 24 * HOUR_MS);
    let stored: Value = serde_json::from_str(&row.arguments).unwrap();
    assert_eq!(stored["values"]["phone"], "+32 2 555 01 01");
    assert_eq!(row.activity_warning, None);

    // The approver's Odoo activity: on the target record (res.partner has activities), filed
    // by demo, assigned to admin, linking to the request in the console.
    let activity_id: i64 = row.activity_ids.parse().expect("one activity");
    let activity = f.app.sim().record("mail.activity", activity_id).unwrap();
    assert_eq!(activity["res_model"], "res.partner");
    assert_eq!(activity["res_id"], ACME);
    assert_eq!(activity["user_id"], ADMIN_UID);
    assert_eq!(activity["create_uid"], DEMO_UID);
    assert_eq!(activity["summary"], "MCP approval needed: update_record");
    let note = activity["note"].as_str().unwrap();
    assert!(
        note.contains(&format!("{}/console/approvals/{id}", f.app.base)),
        "{note}"
    );

    let polled = f.status(&id).await;
    assert_eq!(polled["state"], "pending");
    assert_eq!(polled["result"], Value::Null);

    let done = approvals::approve(&f.app.state, &id, &f.admin)
        .await
        .unwrap();
    assert_eq!(done.state.as_db(), "executed", "{:?}", done.error);
    assert_eq!(done.decided_by, Some(f.admin.id));
    let after = f.partner(ACME).unwrap();
    assert_eq!(after["phone"], "+32 2 555 01 01");
    assert_eq!(after["write_uid"], DEMO_UID, "written as the requester");

    let polled = f.status(&id).await;
    assert_eq!(polled["state"], "executed");
    assert!(polled["result"].is_object(), "{polled}");
    assert!(polled["decided_at"].is_string());

    let approve = f.audit("approval/approve").await;
    assert_eq!(approve.len(), 1);
    assert_eq!(approve[0].user_login.as_deref(), Some("admin"));
    assert_eq!(approve[0].rule, None, "an approval refuses nothing");
    assert_eq!(approve[0].tool.as_deref(), Some("update_record"));
    let execute = f.audit("approval/execute").await;
    assert_eq!(execute.len(), 1);
    assert_eq!(execute[0].outcome, "success");
    assert_eq!(execute[0].user_login.as_deref(), Some("demo"));
    assert_eq!(execute[0].model.as_deref(), Some("res.partner"));
    assert_eq!(execute[0].connection_id, Some(f.connection));

    // Decided once: a second approval is refused and runs nothing.
    let again = approvals::approve(&f.app.state, &id, &f.admin).await;
    assert!(
        matches!(again, Err(Error::NotPending(ref s)) if s.as_db() == "executed"),
        "{again:?}"
    );
    assert_eq!(f.audit("approval/execute").await.len(), 1);
}

#[tokio::test]
async fn dry_runs_and_ungated_tools_are_not_held_and_the_descriptions_say_so() {
    // get_approval_status is never held, even when someone lists it.
    let f = Fixture::new(
        "delete_record\nupdate_record\ncreate_record\nget_approval_status",
        None,
    )
    .await;
    let status = f
        .app
        .call(
            &f.key,
            "get_approval_status",
            json!({"approval_id": "apr_x"}),
        )
        .await;
    assert!(error_text(&status).contains("Unknown approval"), "{status}");
    let response = f
        .app
        .call(
            &f.key,
            "delete_record",
            json!({"model": "res.partner", "ids": [DWAYNE], "dry_run": true}),
        )
        .await;
    let result = ok_result(&response);
    assert_ne!(result["status"], "pending_approval", "{result}");
    assert!(f.partner(DWAYNE).is_some());
    let read = f
        .app
        .call(
            &f.key,
            "get_record",
            json!({"model": "res.partner", "id": ACME, "fields": ["name"]}),
        )
        .await;
    assert_ne!(ok_result(&read)["status"], "pending_approval");
    assert!(
        f.app
            .state
            .store
            .list_approvals(None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let listed: Value = f
        .app
        .post(Some(&f.key), &body.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for tool in listed["result"]["tools"].as_array().unwrap() {
        let name = tool["name"].as_str().unwrap();
        if ["create_record", "update_record", "delete_record"].contains(&name) {
            let description = tool["description"].as_str().unwrap();
            assert!(
                description.contains("A dry run is never held for approval"),
                "{name}: {description}"
            );
        }
        if name == "get_approval_status" {
            assert_eq!(tool["annotations"]["readOnlyHint"], true, "{tool}");
        }
    }
}

#[tokio::test]
async fn approval_fails_when_odoo_refuses_and_the_activity_goes_to_the_approvers_partner() {
    // demo may read countries but not delete them: Odoo refuses when the approved call runs.
    let f = Fixture::new("delete_record", Some("admin")).await;
    let answer = f
        .request(
            "delete_record",
            json!({"model": "res.country", "ids": [21]}),
        )
        .await;
    assert_eq!(
        answer["summary"],
        "Delete 1 record of Country (res.country): Belgium"
    );
    assert_eq!(answer["approver"], "Mitchell Admin");
    let id = id_of(&answer);
    let row = f.row(&id).await;
    assert_eq!(row.approver_user_id, Some(f.admin.id));
    // res.country has no activities: the activity lands on the approver's own partner.
    let activity = f
        .app
        .sim()
        .record("mail.activity", row.activity_ids.parse().unwrap())
        .unwrap();
    assert_eq!(
        (activity["res_model"].as_str(), activity["res_id"].as_i64()),
        (Some("res.partner"), Some(ADMIN_PARTNER))
    );

    let done = approvals::approve(&f.app.state, &id, &f.admin)
        .await
        .unwrap();
    assert_eq!(done.state.as_db(), "failed");
    let error = done.error.unwrap();
    assert!(error.contains("not allowed to delete"), "{error}");
    assert!(f.app.sim().record("res.country", 21).is_some());
    let polled = f.status(&id).await;
    assert_eq!(polled["state"], "failed");
    assert_eq!(polled["error"], error.as_str());
    let execute = f.audit("approval/execute").await;
    assert_eq!(execute.len(), 1);
    assert_eq!(execute[0].outcome, "error");
    assert_eq!(execute[0].error.as_deref(), Some(error.as_str()));
}

#[tokio::test]
async fn approval_fails_when_the_record_was_deleted_meanwhile() {
    let f = Fixture::new("update_record", None).await;
    let id = id_of(
        &f.request(
            "update_record",
            json!({"model": "res.partner", "ids": [41], "values": {"function": "CEO"}}),
        )
        .await,
    );
    // Someone else deletes the contact before the decision (admin's own key is not gated).
    let (_, admin_key) = f.app.api_key("admin", Scope::Full).await;
    let deleted = f
        .app
        .call(
            &admin_key,
            "delete_record",
            json!({"model": "res.partner", "ids": [41]}),
        )
        .await;
    ok_result(&deleted);
    let done = approvals::approve(&f.app.state, &id, &f.admin)
        .await
        .unwrap();
    assert_eq!(done.state.as_db(), "failed");
    let error = done.error.unwrap();
    assert!(
        error.contains("does not exist") || error.contains("deleted"),
        "{error}"
    );
    assert!(f.partner(41).is_none());
}

#[tokio::test]
async fn rejection_needs_a_reason_closes_the_request_and_runs_nothing() {
    let f = Fixture::new("delete_record", None).await;
    let id = id_of(
        &f.request(
            "delete_record",
            json!({"model": "res.partner", "ids": [DWAYNE]}),
        )
        .await,
    );
    let c = Console::signed_in(&f.app, "admin", "admin").await;
    let path = format!("/console/approvals/{id}/reject");
    let empty = c.post(&path, &[("reason", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        element_text(&empty.body, "reason-error")
            .unwrap()
            .contains("Give a reason")
    );
    assert_eq!(f.row(&id).await.state.as_db(), "pending");

    let done = c.post(&path, &[("reason", "We keep this customer.")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = c.get(&format!("/console/approvals/{id}")).await;
    assert_eq!(
        element_text(&page.body, "flash").as_deref(),
        Some("Rejected: the call will not run.")
    );
    assert_eq!(
        element_text(&page.body, "approval-reason").as_deref(),
        Some("We keep this customer.")
    );
    assert!(!page.body.contains("id=\"approve\""), "no buttons any more");

    let polled = f.status(&id).await;
    assert_eq!(polled["state"], "rejected");
    assert_eq!(polled["reason"], "We keep this customer.");
    assert!(f.partner(DWAYNE).is_some());
    let approve = approvals::approve(&f.app.state, &id, &f.admin).await;
    assert!(matches!(approve, Err(Error::NotPending(ref s)) if s.as_db() == "rejected"));
    let reject = f.audit("approval/reject").await;
    assert_eq!(reject.len(), 1);
    assert_eq!(
        reject[0].rule.as_deref(),
        Some("approval"),
        "the gate refused the call"
    );
    assert_eq!(reject[0].error.as_deref(), Some("We keep this customer."));
    assert_eq!(reject[0].user_login.as_deref(), Some("admin"));
    assert!(f.audit("approval/execute").await.is_empty());
}

#[tokio::test]
async fn unanswered_requests_expire_by_the_clock() {
    let f = Fixture::new("delete_record", None).await;
    f.app
        .set_policy(f.connection, |p| {
            p.approval_expiry_hours = odoo_mcp_gateway::values::Limit::new(2)
        })
        .await;
    let args = json!({"model": "res.partner", "ids": [DWAYNE]});
    let first = id_of(&f.request("delete_record", args.clone()).await);
    let row = f.row(&first).await;
    assert_eq!(row.expires_at - row.created_at, 2 * HOUR_MS);
    let state = &f.app.state;

    state.clock.advance(HOUR_MS);
    assert_eq!(
        approvals::expire_due(state, state.clock.now())
            .await
            .unwrap(),
        0
    );
    let second = id_of(&f.request("delete_record", args).await);
    state.clock.advance(HOUR_MS);
    assert_eq!(
        approvals::expire_due(state, state.clock.now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(f.status(&first).await["state"], "expired");
    assert_eq!(f.status(&second).await["state"], "pending");
    let refused = approvals::approve(state, &first, &f.admin).await;
    assert!(matches!(refused, Err(Error::NotPending(ref s)) if s.as_db() == "expired"));

    // Past its time but before the job ran: deciding is refused all the same.
    state.clock.advance(HOUR_MS);
    let late = approvals::approve(state, &second, &f.admin).await;
    assert!(
        matches!(late, Err(Error::NotPending(ref s)) if s.as_db() == "expired"),
        "{late:?}"
    );
    assert!(f.partner(DWAYNE).is_some());
    assert_eq!(
        approvals::expire_due(state, state.clock.now())
            .await
            .unwrap(),
        1
    );
    let expired = f.audit("approval/expire").await;
    assert_eq!(expired.len(), 2);
    assert!(
        expired
            .iter()
            .all(|e| e.rule.as_deref() == Some("approval"))
    );
    assert!(
        expired[0]
            .error
            .as_deref()
            .unwrap()
            .contains("Dwayne Newman")
    );
}

#[tokio::test]
async fn a_run_cut_short_by_a_crash_is_failed_not_retried() {
    let f = Fixture::new("delete_record", None).await;
    let state = &f.app.state;
    let args = json!({"model": "res.partner", "ids": [DWAYNE]});
    let interrupted = id_of(&f.request("delete_record", args.clone()).await);
    let recent = id_of(&f.request("delete_record", args).await);
    // The decision was recorded, then the process died before running the call.
    let now = state.clock.now();
    assert!(
        state
            .store
            .decide_approval(
                &interrupted,
                "approved".parse().unwrap(),
                f.admin.id,
                None,
                now
            )
            .await
            .unwrap()
    );

    state.clock.advance(approvals::INTERRUPTED_AFTER - 1);
    assert!(
        state
            .store
            .decide_approval(
                &recent,
                "approved".parse().unwrap(),
                f.admin.id,
                None,
                state.clock.now()
            )
            .await
            .unwrap()
    );
    assert_eq!(
        approvals::fail_interrupted(state, state.clock.now())
            .await
            .unwrap(),
        0,
        "not yet"
    );

    state.clock.advance(2);
    assert_eq!(
        approvals::fail_interrupted(state, state.clock.now())
            .await
            .unwrap(),
        1
    );
    let status = f.status(&interrupted).await;
    assert_eq!(status["state"], "failed");
    assert!(
        status["error"].as_str().unwrap().contains("interrupted"),
        "{status}"
    );
    assert_eq!(
        f.status(&recent).await["state"],
        "approved",
        "a run still in its time is left alone"
    );
    assert!(f.partner(DWAYNE).is_some(), "nothing was re-run");
    assert_eq!(
        approvals::fail_interrupted(state, state.clock.now())
            .await
            .unwrap(),
        0,
        "once"
    );
    let audited = f.audit("approval/execute").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].outcome, "error");
}

/// Two approvers (or two replicas) clicking at once: one decision, one execution.
async fn race(f: &Fixture) {
    let name = format!("Raced {}", uuid::Uuid::new_v4().simple());
    let id = id_of(
        &f.request(
            "create_record",
            json!({"model": "res.partner", "values": {"name": name}}),
        )
        .await,
    );
    let state = &f.app.state;
    let (a, b) = tokio::join!(
        approvals::approve(state, &id, &f.admin),
        approvals::approve(state, &id, &f.admin)
    );
    let outcomes = [&a, &b];
    let executed = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(row) if row.state.as_db() == "executed"))
        .count();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Err(Error::NotPending(_))))
        .count();
    assert_eq!((executed, refused), (1, 1), "{a:?} {b:?}");
    let search = f
        .app
        .call(
            &f.key,
            "search_records",
            json!({"model": "res.partner", "domain": [["name", "=", name]], "fields": ["name", "create_uid"]}),
        )
        .await;
    let found = ok_result(&search)["records"].as_array().unwrap().clone();
    assert_eq!(found.len(), 1, "created exactly once: {found:?}");
    assert_eq!(
        found[0]["create_uid"][0], DEMO_UID,
        "created as the requester"
    );
    assert_eq!(f.audit("approval/execute").await.len(), 1);
    assert_eq!(f.audit("approval/approve").await.len(), 1);
}

#[tokio::test]
async fn two_approvals_at_once_execute_the_call_once() {
    let f = Fixture::new("create_record", None).await;
    race(&f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_approvals_at_once_execute_the_call_once_on_postgres() {
    let Some(db) = crate::pg::TempDatabase::create().await else {
        return;
    };
    let app = TestApp::spawn_on(SimOptions::default(), Some(&db.url)).await;
    assert_eq!(app.state.store.engine(), "postgres");
    let f = Fixture::on(app, "create_record", None).await;
    race(&f).await;
    inbox_query_filters(&f.app.state.store, &f).await;
    f.app.stop().await;
    db.remove().await;
}

/// `list_approvals_for` on either engine: pending first, state filter, "involving" a user.
async fn inbox_query_filters(store: &Store, f: &Fixture) {
    let pending = id_of(
        &f.request(
            "create_record",
            json!({"model": "res.partner", "values": {"name": "Later"}}),
        )
        .await,
    );
    let all = store.list_approvals_for(None, None, 50).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, pending, "pending first");
    let only = store
        .list_approvals_for(Some("pending".parse().unwrap()), None, 50)
        .await
        .unwrap();
    assert_eq!(only.len(), 1);
    let demos = store
        .list_approvals_for(None, Some(f.demo.id), 50)
        .await
        .unwrap();
    assert_eq!(demos.len(), 2, "demo filed both");
    let admins = store
        .list_approvals_for(None, Some(f.admin.id), 50)
        .await
        .unwrap();
    assert!(admins.is_empty(), "admin neither filed nor is designated");
}

#[tokio::test]
async fn the_inbox_query_filters_on_sqlite() {
    let f = Fixture::new("create_record", None).await;
    let id = id_of(
        &f.request(
            "create_record",
            json!({"model": "res.partner", "values": {"name": "Done"}}),
        )
        .await,
    );
    approvals::approve(&f.app.state, &id, &f.admin)
        .await
        .unwrap();
    inbox_query_filters(&f.app.state.store, &f).await;
}

#[tokio::test]
async fn an_mcp_user_cannot_decide_someone_elses_request() {
    let f = Fixture::new("delete_record", Some("admin")).await;
    let id = id_of(
        &f.request(
            "delete_record",
            json!({"model": "res.partner", "ids": [DWAYNE]}),
        )
        .await,
    );
    // demo filed it but admin must decide: demo is refused, directly and in the console.
    let refused = approvals::approve(&f.app.state, &id, &f.demo).await;
    assert!(matches!(refused, Err(Error::NotAllowed)), "{refused:?}");
    let demo = Console::signed_in(&f.app, "demo", "demo").await;
    let page = demo.get(&format!("/console/approvals/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "the requester sees it");
    assert!(!page.body.contains("id=\"approve\""));
    assert!(
        element_text(&page.body, "cannot-decide")
            .unwrap()
            .contains("Mitchell Admin")
    );
    for (action, fields) in [
        ("approve", vec![]),
        ("reject", vec![("reason", "mine to decide")]),
    ] {
        let forged = demo
            .post(&format!("/console/approvals/{id}/{action}"), &fields)
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{action}");
        assert!(
            element_text(&forged.body, "message-text")
                .unwrap()
                .contains("Only the designated approver"),
            "{}",
            forged.body
        );
    }
    assert_eq!(f.row(&id).await.state.as_db(), "pending");
    assert!(f.partner(DWAYNE).is_some());

    // A request of admin's own connection, decided by any administrator: demo can neither
    // see it nor decide it.
    let (admin_conn, admin_key) = f.app.api_key("admin", Scope::Full).await;
    f.app
        .set_policy(admin_conn, |p| {
            p.approval_tools = "delete_record".parse().unwrap()
        })
        .await;
    let response = f
        .app
        .call(
            &admin_key,
            "delete_record",
            json!({"model": "res.partner", "ids": [DWAYNE]}),
        )
        .await;
    let theirs = id_of(ok_result(&response));
    assert_eq!(
        demo.get(&format!("/console/approvals/{theirs}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let forged = demo
        .post(&format!("/console/approvals/{theirs}/approve"), &[])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let inbox = demo.get("/console/approvals?state=all").await;
    assert!(inbox.body.contains(&id) && !inbox.body.contains(&theirs));
    assert_eq!(f.row(&theirs).await.state.as_db(), "pending");
    // Nor can a connection read another's approval.
    let other = f
        .app
        .call(
            &f.key,
            "get_approval_status",
            json!({"approval_id": theirs}),
        )
        .await;
    assert!(error_text(&other).contains("Unknown approval"), "{other}");
    // The designated approver decides in the console, and sees the outcome.
    let admin = Console::signed_in(&f.app, "admin", "admin").await;
    let done = admin
        .post(&format!("/console/approvals/{id}/approve"), &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = admin.get(&format!("/console/approvals/{id}")).await;
    assert!(
        element_text(&page.body, "flash")
            .unwrap()
            .starts_with("Approved and executed"),
        "{}",
        page.body
    );
    assert!(f.partner(DWAYNE).is_none(), "deleted as approved");
}

#[tokio::test]
async fn arguments_changed_in_storage_are_refused_by_the_hash() {
    let f = Fixture::new("delete_record", None).await;
    let id = id_of(
        &f.request(
            "delete_record",
            json!({"model": "res.partner", "ids": [DWAYNE]}),
        )
        .await,
    );
    let tampered = r#"{"ids":[10],"model":"res.partner"}"#;
    let Store::Sqlite(pool) = &f.app.state.store else {
        panic!("the TestApp store is SQLite")
    };
    sqlx::query("UPDATE approvals SET arguments = $1 WHERE id = $2")
        .bind(tampered)
        .bind(&id)
        .execute(pool)
        .await
        .unwrap();
    let done = approvals::approve(&f.app.state, &id, &f.admin)
        .await
        .unwrap();
    assert_eq!(done.state.as_db(), "failed");
    assert!(
        done.error
            .as_deref()
            .unwrap()
            .contains("no longer match the request that was approved"),
        "{:?}",
        done.error
    );
    assert!(f.partner(10).is_some() && f.partner(DWAYNE).is_some());
}

#[tokio::test]
async fn a_revoked_connection_or_a_narrower_policy_fails_the_approval() {
    let f = Fixture::new("update_record", None).await;
    let args = json!({"model": "res.partner", "ids": [ACME], "values": {"phone": "1"}});
    let revoked = id_of(&f.request("update_record", args.clone()).await);
    let narrowed = id_of(&f.request("update_record", args).await);

    f.app
        .set_policy(f.connection, |p| {
            p.allowed_models = "sale.order".parse().unwrap()
        })
        .await;
    let done = approvals::approve(&f.app.state, &narrowed, &f.admin)
        .await
        .unwrap();
    assert_eq!(done.state.as_db(), "failed");
    let error = done.error.unwrap();
    assert!(
        error.contains("policy no longer allows") && error.contains("res.partner"),
        "{error}"
    );

    let s = &f.app.state;
    connections::revoke(
        &s.store,
        f.connection,
        s.clock.now(),
        connections::Actor::Administrator,
    )
    .await
    .unwrap();
    let done = approvals::approve(s, &revoked, &f.admin).await.unwrap();
    assert_eq!(done.state.as_db(), "failed");
    assert!(
        done.error.as_deref().unwrap().contains("revoked"),
        "{:?}",
        done.error
    );
    assert_ne!(f.partner(ACME).unwrap()["phone"], "1");
}

#[tokio::test]
async fn without_the_mail_module_the_request_stands_with_a_warning() {
    let app = TestApp::spawn_sim(SimOptions {
        mail: false,
        ..SimOptions::default()
    })
    .await;
    let f = Fixture::on(app, "delete_record", None).await;
    let id = id_of(
        &f.request(
            "delete_record",
            json!({"model": "res.partner", "ids": [DWAYNE]}),
        )
        .await,
    );
    let row = f.row(&id).await;
    assert_eq!(row.state.as_db(), "pending");
    assert_eq!(row.activity_ids, "");
    let warning = row.activity_warning.unwrap();
    assert!(
        warning.starts_with("No Odoo activity for admin:") && warning.contains("mail.activity"),
        "{warning}"
    );
    let c = Console::signed_in(&f.app, "admin", "admin").await;
    let page = c.get(&format!("/console/approvals/{id}")).await;
    assert_eq!(
        element_text(&page.body, "activity-warning").as_deref(),
        Some(warning.as_str())
    );
    let done = approvals::approve(&f.app.state, &id, &f.admin)
        .await
        .unwrap();
    assert_eq!(done.state.as_db(), "executed", "{:?}", done.error);
    assert!(f.partner(DWAYNE).is_none());
}

#[tokio::test]
async fn the_inbox_lists_pending_first_and_each_person_sees_their_own() {
    let f = Fixture::new("delete_record\nupdate_record", None).await;
    let done = id_of(
        &f.request(
            "update_record",
            json!({"model": "res.partner", "ids": [ACME], "values": {"phone": "2"}}),
        )
        .await,
    );
    approvals::approve(&f.app.state, &done, &f.admin)
        .await
        .unwrap();
    let pending = id_of(
        &f.request(
            "delete_record",
            json!({"model": "res.partner", "ids": [10]}),
        )
        .await,
    );
    let admin = Console::signed_in(&f.app, "admin", "admin").await;
    let inbox = admin.get("/console/approvals").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(
        inbox
            .body
            .contains("aria-current=\"page\" id=\"nav-approvals\"")
    );
    assert_eq!(
        element_text(&inbox.body, "approvals-filter").as_deref(),
        Some("Pending")
    );
    assert!(
        inbox.body.contains(&format!(
            "class=\"row row-approval-pending\" data-id=\"{pending}\""
        )),
        "{}",
        inbox.body
    );
    assert!(!inbox.body.contains(&done), "pre-filtered on Pending");
    assert!(inbox.body.contains("any MCP Administrator"));
    assert!(inbox.body.contains("expires in 24 h"));
    assert!(inbox.body.contains("Marc Demo (demo)"));
    let all = admin.get("/console/approvals?state=all").await;
    let (p, d) = (
        all.body.find(&pending).unwrap(),
        all.body.find(&done).unwrap(),
    );
    assert!(p < d, "pending first");
    let executed = admin.get("/console/approvals?state=executed").await;
    assert!(executed.body.contains(&done) && !executed.body.contains(&pending));

    let detail = admin.get(&format!("/console/approvals/{done}")).await;
    assert_eq!(
        element_text(&detail.body, "approval-decided-by").as_deref(),
        Some("Mitchell Admin (admin)")
    );
    assert!(detail.body.contains("id=\"approval-result\""));
    let result = element_text(&detail.body, "approval-result").unwrap();
    assert!(result.starts_with('{'), "{result}");

    // demo filed both, so sees both; a request of admin's own key stays admin's.
    let (admin_conn, admin_key) = f.app.api_key("admin", Scope::Full).await;
    f.app
        .set_policy(admin_conn, |p| {
            p.approval_tools = "delete_record".parse().unwrap()
        })
        .await;
    let response = f
        .app
        .call(
            &admin_key,
            "delete_record",
            json!({"model": "res.partner", "ids": [11]}),
        )
        .await;
    let admins = id_of(ok_result(&response));
    let demo = Console::signed_in(&f.app, "demo", "demo").await;
    let mine = demo.get("/console/approvals?state=all").await;
    assert!(mine.body.contains(&pending) && mine.body.contains(&done));
    assert!(!mine.body.contains(&admins));
    assert!(admin.get("/console/approvals").await.body.contains(&admins));
    assert_eq!(
        admin.get("/console/approvals/apr_nope").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_approves_in_the_browser_and_sees_the_result() {
    use crate::console_webdriver::{self, Browser};
    if !console_webdriver::available() {
        return;
    }
    let f = Fixture::new("delete_record\nupdate_record", None).await;
    let done = id_of(
        &f.request(
            "update_record",
            json!({"model": "res.partner", "ids": [10], "values": {"function": "Buyer"}}),
        )
        .await,
    );
    approvals::reject(&f.app.state, &done, &f.admin, "Not this one.")
        .await
        .unwrap();
    let id = id_of(
        &f.request(
            "update_record",
            json!({"model": "res.partner", "ids": [ACME], "values": {"phone": "+32 2 555 77 77"}}),
        )
        .await,
    );
    let other = id_of(
        &f.request(
            "delete_record",
            json!({"model": "res.partner", "ids": [DWAYNE]}),
        )
        .await,
    );
    let screenshots =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");

    let b = Browser::start().await;
    b.sign_in_at(&f.app.base, "/console/approvals", "admin", "admin")
        .await;

    // The inbox: pre-filtered on Pending, pending rows highlighted, the rejected one hidden.
    assert_eq!(b.text("#approvals-filter").await, "Pending");
    let shown = b
        .run("return [...document.querySelectorAll('tr.row')].map(r => r.dataset.id)")
        .await;
    let shown: Vec<&str> = shown
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(shown.contains(&id.as_str()) && shown.contains(&other.as_str()));
    let row = format!("tr.row[data-id='{id}']");
    let colour = b
        .run(&format!(
            "return getComputedStyle(document.querySelector(\"{row}\")).backgroundColor"
        ))
        .await;
    assert_ne!(colour, "rgba(0, 0, 0, 0)", "pending rows are highlighted");
    assert_eq!(b.text(&format!("{row} .badge")).await, "Pending");
    b.set_size(1280, 720).await;
    b.screenshot(&screenshots.join("approvals-inbox.png")).await;

    // The request: summary, arguments, Approve; then the outcome with the result.
    b.nav(&format!("{row} .row-link")).await;
    assert!(b.url().await.ends_with(&format!("/console/approvals/{id}")));
    assert_eq!(
        b.text("#approval-summary").await,
        "Update 1 record of Contact (res.partner): Acme Corporation: set phone"
    );
    assert!(
        b.text("#approval-arguments")
            .await
            .contains("+32 2 555 77 77")
    );
    assert_eq!(b.text("#approval-requester").await, "Marc Demo (demo)");
    b.screenshot(&screenshots.join("approval-pending.png"))
        .await;
    b.nav("#approve").await;
    assert!(b.text("#flash").await.starts_with("Approved and executed"));
    assert_eq!(b.text("#approval-state .pill-label").await, "Executed");
    assert!(b.text("#approval-result").await.starts_with('{'));
    assert_eq!(b.count("#approve").await, 0);
    b.set_size(1280, 1100).await;
    b.screenshot(&screenshots.join("approval-detail.png")).await;
    assert_eq!(f.partner(ACME).unwrap()["phone"], "+32 2 555 77 77");
    assert_eq!(f.partner(ACME).unwrap()["write_uid"], DEMO_UID);

    // Rejecting with a reason, by clicking too.
    b.goto(&format!("{}/console/approvals/{other}", f.app.base))
        .await;
    b.type_into("#reason", "Keep Dwayne.").await;
    b.nav("#reject").await;
    assert_eq!(b.text("#approval-state .pill-label").await, "Rejected");
    assert_eq!(b.text("#approval-reason").await, "Keep Dwayne.");
    b.quit().await;
}

#[tokio::test]
async fn four_eyes_keeps_a_requester_from_approving_their_own_request() {
    // admin files a request through their own key; with four-eyes (the default) another
    // administrator must decide.
    let app = TestApp::spawn().await;
    let now = app.state.clock.now();
    for login in ["admin", "demo"] {
        app.link(login).await;
        app.state
            .store
            .set_role(login, Some(Role::Admin), now)
            .await
            .unwrap();
    }
    let store = &app.state.store;
    let admin = store.find_odoo_user("admin").await.unwrap().unwrap();
    let demo = store.find_odoo_user("demo").await.unwrap().unwrap();
    let (connection, key) = app.api_key("admin", Scope::Full).await;
    app.set_policy(connection, |p| {
        p.approval_tools = "delete_record".parse().unwrap()
    })
    .await;
    let request = |id: i64| {
        let (app, key) = (&app, key.clone());
        async move {
            let response = app
                .call(
                    &key,
                    "delete_record",
                    json!({"model": "res.partner", "ids": [id]}),
                )
                .await;
            id_of(ok_result(&response))
        }
    };
    assert!(app.state.settings.get(store).await.unwrap().four_eyes);
    let first = request(DWAYNE).await;
    let refused = approvals::approve(&app.state, &first, &admin).await;
    assert!(matches!(refused, Err(Error::NotAllowed)), "{refused:?}");
    let console = Console::signed_in(&app, "admin", "admin").await;
    let page = console.get(&format!("/console/approvals/{first}")).await;
    assert!(
        element_text(&page.body, "cannot-decide")
            .unwrap()
            .contains("Four-eyes"),
        "{}",
        page.body
    );
    let done = approvals::approve(&app.state, &first, &demo).await.unwrap();
    assert_eq!(done.state.as_db(), "executed", "{:?}", done.error);

    // Nor can the connection's own user be named its approver.
    let form = console
        .post(
            &format!("/console/connections/{connection}"),
            &[
                ("approval_tools", "delete_record"),
                ("approver", &admin.id.to_string()),
            ],
        )
        .await;
    assert_eq!(
        form.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        form.body
    );
    assert!(
        form.body.contains("Four-eyes approvals are on"),
        "{}",
        form.body
    );

    // Switched off in Server Settings, the requester may decide again.
    let settings = odoo_mcp_gateway::settings::ServerSettings {
        four_eyes: false,
        ..app.state.settings.get(store).await.unwrap()
    };
    app.state.settings.save(store, &settings).await.unwrap();
    let second = request(ACME).await;
    let done = approvals::approve(&app.state, &second, &admin)
        .await
        .unwrap();
    assert_ne!(done.state.as_db(), "pending");
}
