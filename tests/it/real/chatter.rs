//! The chatter on real Odoo: messages and internal notes posted as the user and read back (also
//! straight from Odoo), activities scheduled, listed and marked done, with their governance
//! (Allowed Models on the record and on mail.message / mail.activity, Read Only) and bad input.

use odoo_mcp_gateway::connections::Scope;
use serde_json::{Value, json};

use super::{Real, Setup, tag};
use crate::helpers::{error_text, merged};
use crate::on_main_setups;

on_main_setups!([
    messages_and_notes_reach_the_chatter_and_read_back,
    activities_are_scheduled_listed_and_completed,
    chatter_governance_covers_the_record_and_the_mail_models,
]);

/// demo's key in front of real Odoo, and a contact of demo's own for the chatter to work on.
struct Chatter {
    r: Real,
    connection: i64,
    key: String,
    partner: i64,
    name: String,
}

impl Chatter {
    /// `tool` on the contact, with `extra` arguments; its result.
    async fn on_record(&self, tool: &str, extra: Value) -> Value {
        let arguments = merged(json!({"model": "res.partner", "id": self.partner}), extra);
        self.r.ok(&self.key, tool, arguments).await
    }

    async fn start(setup: Setup) -> Option<Self> {
        let r = Real::start(setup).await?;
        let (connection, key) = r.key("demo").await;
        let name = tag("chatter");
        let partner = r.create(&key, "res.partner", json!({"name": name})).await;
        Some(Self {
            r,
            connection,
            key,
            partner,
            name,
        })
    }
}

async fn messages_and_notes_reach_the_chatter_and_read_back(setup: Setup) {
    let Some(c) = Chatter::start(setup).await else {
        return;
    };
    let (r, key, partner) = (&c.r, c.key.as_str(), c.partner);
    let note = c
        .on_record(
            "post_note",
            json!({"body": "Internal <b>remark</b>\nline 2"}),
        )
        .await;
    assert_eq!(note["internal"], true, "{note}");
    let message = c
        .on_record(
            "post_message",
            json!({"body": "Hello customer",
                   "partner_ids": [partner]}),
        )
        .await;
    // Stored by Odoo as the user, the text escaped (not interpreted as HTML).
    let ids = [
        note["message_id"].as_i64().unwrap(),
        message["message_id"].as_i64().unwrap(),
    ];
    let stored = r
        .admin_read(
            "mail.message",
            &ids,
            &["body", "author_id", "model", "res_id", "partner_ids"],
        )
        .await;
    let body_of = |id: i64| {
        stored
            .iter()
            .find(|m| m["id"] == id)
            .map(|m| m["body"].as_str().unwrap_or_default().to_owned())
            .unwrap()
    };
    assert!(body_of(ids[0]).contains("&lt;b&gt;remark"), "{stored:?}");
    assert!(body_of(ids[1]).contains("Hello customer"), "{stored:?}");
    for m in &stored {
        assert_eq!(
            (m["model"].as_str(), m["res_id"].as_i64()),
            (Some("res.partner"), Some(partner))
        );
    }
    let demo_partner = r
        .admin_read("res.users", &[r.odoo.demo.uid], &["partner_id"])
        .await[0]["partner_id"][0]
        .clone();
    assert!(
        stored.iter().all(|m| m["author_id"][0] == demo_partner),
        "{stored:?}"
    );

    // Read back: newest first, the note marked internal, its text as typed.
    let read = c.on_record("read_messages", json!({})).await;
    assert_eq!(read["count"], 2, "{read}");
    let messages = read["messages"].as_array().unwrap();
    assert_eq!(messages[0]["text"], "Hello customer", "{read}");
    assert_eq!(messages[0]["internal"], false, "{read}");
    assert_eq!(
        messages[1]["text"], "Internal <b>remark</b>\nline 2",
        "{read}"
    );
    assert_eq!(messages[1]["internal"], true, "{read}");
    assert_eq!(messages[1]["author_id"], demo_partner, "{read}");
    // Odoo's own "Contact created" notification only when asked for.
    let all = c
        .on_record("read_messages", json!({"include_notifications": true}))
        .await;
    assert!(all["count"].as_i64().unwrap() > 2, "{all}");

    // Bad input: a clear message, nothing posted.
    for (tool, arguments, says) in [
        (
            "post_note",
            json!({"model": "res.partner", "id": partner, "body": "  "}),
            "body is empty",
        ),
        (
            "post_note",
            json!({"model": "res.partner", "id": 0, "body": "x"}),
            "0 is not a record id",
        ),
        (
            "post_message",
            json!({"model": "res.partner", "id": partner, "body": "x", "partner_ids": [-3]}),
            "partner_ids: -3 is not a record id",
        ),
        (
            "post_note",
            json!({"model": "res.country", "id": 1, "body": "x"}),
            "'res.country' has no chatter",
        ),
        (
            "read_messages",
            json!({"model": "res.partner", "id": 999_999_999}),
            "does not exist",
        ),
        (
            "read_messages",
            json!({"model": "res.partner", "id": partner, "limit": 51}),
            "limit",
        ),
    ] {
        let error = error_text(&r.call(key, tool, arguments.clone()).await);
        assert!(error.contains(says), "{arguments} → {error}");
    }
    let after = c.on_record("read_messages", json!({})).await;
    assert_eq!(after["count"], 2, "nothing more was posted: {after}");
}

async fn activities_are_scheduled_listed_and_completed(setup: Setup) {
    let Some(c) = Chatter::start(setup).await else {
        return;
    };
    let (r, key, partner) = (&c.r, c.key.as_str(), c.partner);
    let scheduled = c.on_record("schedule_activity", json!({"activity_type": "call",
                   "summary": "Call back", "note": "About the <discount>", "deadline": "2030-01-15"})).await;
    let activity = scheduled["activity_id"].as_i64().unwrap();
    assert_eq!(scheduled["activity"]["type"], "Call", "{scheduled}");
    let stored = r
        .admin_read(
            "mail.activity",
            &[activity],
            &[
                "res_model",
                "res_id",
                "user_id",
                "date_deadline",
                "summary",
                "note",
            ],
        )
        .await;
    let stored = &stored[0];
    assert_eq!(stored["res_model"], "res.partner");
    assert_eq!(stored["res_id"], partner);
    assert_eq!(stored["user_id"][0], r.odoo.demo.uid);
    assert_eq!(stored["date_deadline"], "2030-01-15");
    assert!(
        stored["note"]
            .as_str()
            .unwrap()
            .contains("&lt;discount&gt;"),
        "{stored}"
    );

    // Listed on the record and among demo's own.
    let on_record = c.on_record("list_activities", json!({})).await;
    assert_eq!(on_record["count"], 1, "{on_record}");
    let listed = &on_record["activities"][0];
    assert_eq!(listed["record_name"], c.name, "{listed}");
    assert_eq!(listed["note"], "About the <discount>", "{listed}");
    assert_eq!(listed["state"], "planned", "{listed}");
    let mine = r.ok(key, "list_activities", json!({"limit": 100})).await;
    assert!(
        mine["activities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["assignee_id"] == r.odoo.demo.uid),
        "{mine}"
    );

    // Bad input is refused before anything is created.
    for (arguments, says) in [
        (
            json!({"activity_type": "Telepathy"}),
            "'Telepathy' is not an activity type",
        ),
        (
            json!({"deadline": "15/01/2030"}),
            "is not a date (YYYY-MM-DD)",
        ),
        (
            json!({"assignee_id": 999_999}),
            "999999 is not an active Odoo user",
        ),
        (json!({"note": ""}), "note is empty"),
    ] {
        let full = merged(
            json!({"model": "res.partner", "id": partner}),
            arguments.clone(),
        );
        let error = error_text(&r.call(key, "schedule_activity", full).await);
        assert!(error.contains(says), "{arguments} → {error}");
    }
    let error = error_text(&r.call(key, "list_activities", json!({"id": partner})).await);
    assert!(error.contains("id needs model"), "{error}");

    // Done, with feedback on the chatter; then gone from the open ones.
    let done = r
        .ok(
            key,
            "complete_activity",
            json!({"activity_id": activity, "feedback": "Called, all fine"}),
        )
        .await;
    assert_eq!(done["done"], true, "{done}");
    let on_record = c.on_record("list_activities", json!({})).await;
    assert_eq!(on_record["count"], 0, "{on_record}");
    let chatter = c
        .on_record("read_messages", json!({"include_notifications": true}))
        .await;
    assert!(
        chatter.to_string().contains("Called, all fine"),
        "{chatter}"
    );
    let again = error_text(
        &r.call(key, "complete_activity", json!({"activity_id": activity}))
            .await,
    );
    assert!(
        again.contains("does not exist (or is already done)"),
        "{again}"
    );
}

async fn chatter_governance_covers_the_record_and_the_mail_models(setup: Setup) {
    let Some(c) = Chatter::start(setup).await else {
        return;
    };
    let (r, key, partner) = (&c.r, c.key.as_str(), c.partner);
    let scheduled = c
        .on_record("schedule_activity", json!({"summary": "Governed"}))
        .await;
    let activity = scheduled["activity_id"].clone();
    let note = json!({"model": "res.partner", "id": partner, "body": "x"});

    // The mail model must be allowed besides the record's.
    r.app
        .set_policy(c.connection, |p| {
            p.allowed_models = "res.partner".parse().unwrap()
        })
        .await;
    let refused = error_text(&r.call(key, "post_note", note.clone()).await);
    assert_eq!(
        refused,
        "Refused by Allowed Models: the tool 'post_note' works on 'mail.message', which is not among this connection's allowed models."
    );
    // And the record's model besides the mail model — also for an activity named by id.
    r.app
        .set_policy(c.connection, |p| {
            p.allowed_models = "mail.message\nmail.activity\nsale.order".parse().unwrap()
        })
        .await;
    let refused = error_text(&r.call(key, "post_note", note.clone()).await);
    assert!(refused.contains("'res.partner' is not among"), "{refused}");
    let refused = error_text(
        &r.call(key, "complete_activity", json!({"activity_id": activity}))
            .await,
    );
    assert!(
        refused.contains(&format!(
            "Activity {activity} belongs to a 'res.partner' record; that model is not among"
        )),
        "{refused}"
    );
    let mine: Value = r.ok(key, "list_activities", json!({"limit": 100})).await;
    assert!(
        mine["activities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["model"] == "sale.order"),
        "only allowed models are listed: {mine}"
    );
    r.app
        .set_policy(c.connection, |p| {
            p.allowed_models = "mail.message\nmail.activity\nres.partner".parse().unwrap()
        })
        .await;
    r.ok(key, "post_note", note.clone()).await;

    // Read Only: the writes are neither listed nor callable; reading is.
    let (_, reader) = r.key_with("demo", Scope::ReadOnly).await;
    let names = r.app.tool_names(&reader).await;
    for tool in [
        "post_message",
        "post_note",
        "schedule_activity",
        "complete_activity",
    ] {
        assert!(!names.iter().any(|n| n == tool), "{tool} listed: {names:?}");
    }
    assert!(
        names.iter().any(|n| n == "read_messages") && names.iter().any(|n| n == "list_activities")
    );
    let refused = error_text(&r.call(&reader, "post_note", note).await);
    assert!(refused.contains("Read Only"), "{refused}");
    r.ok(
        &reader,
        "read_messages",
        json!({"model": "res.partner", "id": partner}),
    )
    .await;
}
