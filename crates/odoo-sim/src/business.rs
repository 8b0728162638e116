//! Business methods (the buttons of a form): `action_archive`/`action_unarchive`, `sale.order`'s
//! `action_confirm`/`action_cancel`, `message_post`, and the `unlink` guard of sent and confirmed orders.

use serde_json::{Value, json};

use super::access::Operation;
use super::fault::{Fault, python_tuple};
use super::orm::Env;
use super::schema::Model;
use super::store::Db;
use super::wall_clock::now;

/// `message_post`'s arguments that the simulator uses.
pub(crate) struct Post<'a> {
    pub body: &'a Value,
    pub message_type: &'a Value,
    pub subtype_xmlid: &'a Value,
    pub partner_ids: &'a Value,
}

/// One `mail.message` on a document.
struct NewMessage<'a> {
    model: &'a str,
    res_id: i64,
    body: Value,
    message_type: &'a str,
    subtype: i64,
    partner_ids: Value,
}

/// Text made safe inside HTML, as Odoo's `escape` does with a `str` body.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// States of a quotation that `action_confirm` accepts.
const CONFIRMABLE: [&str; 2] = ["draft", "sent"];

impl Db {
    /// A button reads its records first (a record rule then fails with 'read'), then changes them.
    fn check_button(&self, env: &Env, model: &Model, ids: &[i64]) -> Result<(), Fault> {
        self.require_existing(model.name, ids, env.uid)?;
        self.check_rules(env, model, ids, "read")?;
        self.check_access(env, model, Operation::Write)?;
        self.check_rules(env, model, ids, "write")
    }

    /// Store values on records as a button does (no type conversion: the values are the ORM's own).
    fn set_values(&mut self, env: &Env, model: &str, ids: &[i64], values: &[(&str, Value)]) {
        let stamp = now();
        let Some(table) = self.tables.get_mut(model) else {
            return;
        };
        for id in ids {
            if let Some(row) = table.rows.get_mut(id) {
                for (field, value) in values {
                    row.insert((*field).to_owned(), value.clone());
                }
                row.insert("write_date".into(), json!(stamp));
                row.insert("write_uid".into(), json!(env.uid));
            }
        }
    }

    /// `action_archive` / `action_unarchive`: they return `None`.
    pub(crate) fn set_active(
        &mut self,
        env: &Env,
        model: &Model,
        ids: &[i64],
        active: bool,
    ) -> Result<Value, Fault> {
        if !model.has_active() {
            return Err(Fault::no_such_method(
                model.name,
                if active {
                    "action_unarchive"
                } else {
                    "action_archive"
                },
            ));
        }
        self.check_button(env, model, ids)?;
        self.set_values(env, model.name, ids, &[("active", json!(active))]);
        Ok(Value::Null)
    }

    /// `sale.order.action_confirm`: quotations become sales orders; returns `True`.
    pub(crate) fn confirm_orders(
        &mut self,
        env: &Env,
        model: &Model,
        ids: &[i64],
    ) -> Result<Value, Fault> {
        self.check_button(env, model, ids)?;
        let blocked: Vec<String> = ids
            .iter()
            .filter(|id| {
                let state = self.value(model.name, **id, "state");
                !CONFIRMABLE.contains(&state.as_str().unwrap_or_default())
            })
            .map(|id| self.display_name(model.name, *id))
            .collect();
        if !blocked.is_empty() {
            return Err(Fault::user_error(format!(
                "The following orders are not in a state requiring confirmation: {}",
                blocked.join(", ")
            )));
        }
        let confirmed = [("state", json!("sale")), ("date_order", json!(now()))];
        self.set_values(env, model.name, ids, &confirmed);
        Ok(json!(true))
    }

    /// `sale.order.action_cancel` (with `disable_cancel_warning`, no wizard): returns `True`.
    pub(crate) fn cancel_orders(
        &mut self,
        env: &Env,
        model: &Model,
        ids: &[i64],
    ) -> Result<Value, Fault> {
        self.check_button(env, model, ids)?;
        self.set_values(env, model.name, ids, &[("state", json!("cancel"))]);
        Ok(json!(true))
    }

    /// `message_post(body=…, message_type=…, subtype_xmlid=…, partner_ids=…)` on one record: the
    /// new `mail.message` id (19 returns it as a list). A plain-text body is escaped into a
    /// paragraph, as Odoo does with a `str`; without a subtype the message is a note.
    pub(crate) fn message_post(
        &mut self,
        env: &Env,
        model: &Model,
        ids: &[i64],
        post: &Post<'_>,
    ) -> Result<Value, Fault> {
        if ids.len() != 1 {
            return Err(Fault::value_error(format!(
                "Expected singleton: {}{}",
                model.name,
                python_tuple(ids)
            )));
        }
        self.check_button(env, model, ids)?;
        let subtype = match post.subtype_xmlid.as_str() {
            Some("mail.mt_comment") => 1,
            Some("mail.mt_activities") => 3,
            _ => 2,
        };
        let body = match post.body {
            Value::String(text) => json!(format!("<p>{}</p>", escape(text))),
            other => other.clone(),
        };
        let message_type = post.message_type.as_str().unwrap_or("notification");
        let partner_ids = match post.partner_ids {
            Value::Array(ids) => Value::Array(ids.clone()),
            _ => json!([]),
        };
        let id = self.insert_message(
            env,
            NewMessage {
                model: model.name,
                res_id: ids[0],
                body,
                message_type,
                subtype,
                partner_ids,
            },
        )?;
        Ok(match self.version {
            super::OdooVersion::V18 => json!(id),
            super::OdooVersion::V19 => json!([id]),
        })
    }

    /// Stores one `mail.message` on a document, authored by the user's partner.
    fn insert_message(&mut self, env: &Env, m: NewMessage<'_>) -> Result<i64, Fault> {
        let stamp = json!(now());
        let message = json!({"body": m.body, "model": m.model, "res_id": m.res_id,
            "message_type": m.message_type, "subtype_id": m.subtype, "partner_ids": m.partner_ids,
            "author_id": self.user_partner(env.uid), "date": stamp, "create_date": stamp,
            "write_date": stamp, "create_uid": env.uid, "write_uid": env.uid});
        let Some(table) = self.tables.get_mut("mail.message") else {
            return Err(Fault::no_such_method(m.model, "message_post"));
        };
        let id = table.next_id;
        table.next_id += 1;
        if let Value::Object(record) = message {
            table.rows.insert(id, record);
        }
        Ok(id)
    }

    /// `mail.activity.action_feedback(feedback=…)`: each activity is logged done on its
    /// document's chatter, then deleted (18) or archived (19, which keeps done activities); the
    /// id of the last message posted.
    pub(crate) fn action_feedback(
        &mut self,
        env: &Env,
        ids: &[i64],
        feedback: &Value,
    ) -> Result<Value, Fault> {
        self.require_existing("mail.activity", ids, env.uid)?;
        let mut last = Value::Bool(false);
        for id in ids {
            let Some(activity) = self.row("mail.activity", *id).cloned() else {
                continue;
            };
            let res_model = activity
                .get("res_model")
                .and_then(Value::as_str)
                .unwrap_or("");
            let res_id = activity.get("res_id").and_then(Value::as_i64).unwrap_or(0);
            let summary = activity
                .get("summary")
                .and_then(Value::as_str)
                .unwrap_or("");
            let mut body = format!(
                "<p>{} done: {}</p>",
                self.display_name(
                    "mail.activity.type",
                    activity
                        .get("activity_type_id")
                        .and_then(Value::as_i64)
                        .unwrap_or(0)
                ),
                escape(summary)
            );
            if let Some(text) = feedback.as_str() {
                body.push_str(&format!("<div><div>Feedback:</div>{}</div>", escape(text)));
            }
            let message = self.insert_message(
                env,
                NewMessage {
                    model: res_model,
                    res_id,
                    body: json!(body),
                    message_type: "notification",
                    subtype: 3,
                    partner_ids: json!([]),
                },
            )?;
            last = json!(message);
            match self.version {
                super::OdooVersion::V18 => self.remove("mail.activity", *id)?,
                super::OdooVersion::V19 => {
                    self.set_values(env, "mail.activity", &[*id], &[("active", json!(false))])
                }
            }
        }
        Ok(last)
    }

    /// `sale.order`'s `@api.ondelete`: only quotations and cancelled orders may be deleted.
    pub(crate) fn check_unlink(&self, model: &Model, ids: &[i64]) -> Result<(), Fault> {
        let locked = model.name == "sale.order"
            && ids.iter().any(|id| {
                let state = self.value(model.name, *id, "state");
                matches!(state.as_str(), Some("sent" | "sale"))
            });
        if locked {
            return Err(Fault::user_error(
                "You can not delete a sent quotation or a confirmed sales order. You must first cancel it.",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::super::OdooVersion;
    use super::*;

    fn env(uid: i64) -> Env {
        Env {
            uid,
            context: Map::new(),
        }
    }

    #[test]
    fn confirming_then_cancelling_an_order_unlocks_its_deletion() {
        let mut db = Db::new(OdooVersion::V18);
        let model = db.model("sale.order").unwrap().clone();
        assert_eq!(
            db.confirm_orders(&env(2), &model, &[2]).unwrap(),
            json!(true)
        );
        assert_eq!(db.value("sale.order", 2, "state"), json!("sale"));
        assert!(db.check_unlink(&model, &[2]).is_err());
        let again = db.confirm_orders(&env(2), &model, &[2]).unwrap_err();
        assert_eq!(
            again.message,
            "The following orders are not in a state requiring confirmation: S00002"
        );
        db.cancel_orders(&env(2), &model, &[2]).unwrap();
        assert!(db.check_unlink(&model, &[2]).is_ok());
    }

    #[test]
    fn a_salesman_cannot_press_buttons_on_an_order_of_someone_else() {
        let mut db = Db::new(OdooVersion::V19);
        let model = db.model("sale.order").unwrap().clone();
        let fault = db.confirm_orders(&env(5), &model, &[2]).unwrap_err();
        assert!(
            fault.message.contains("doesn't have 'read' access"),
            "{}",
            fault.message
        );
    }

    #[test]
    fn archiving_returns_none_and_posting_returns_the_message_id() {
        let mut db = Db::new(OdooVersion::V19);
        let partners = db.model("res.partner").unwrap().clone();
        assert_eq!(
            db.set_active(&env(2), &partners, &[9], false).unwrap(),
            Value::Null
        );
        assert_eq!(db.value("res.partner", 9, "active"), json!(false));
        let (body, kind, note) = (json!("Hi <b>"), json!("comment"), json!("mail.mt_note"));
        let post = Post {
            body: &body,
            message_type: &kind,
            subtype_xmlid: &note,
            partner_ids: &Value::Null,
        };
        let posted = db.message_post(&env(2), &partners, &[9], &post).unwrap();
        assert_eq!(posted, json!([1]));
        assert_eq!(
            db.value("mail.message", 1, "body"),
            json!("<p>Hi &lt;b&gt;</p>")
        );
        assert_eq!(db.value("mail.message", 1, "subtype_id"), json!(2));
    }

    #[test]
    fn a_done_activity_is_logged_then_deleted_on_18_and_archived_on_19() {
        for (version, left) in [
            (OdooVersion::V18, None),
            (OdooVersion::V19, Some(json!(false))),
        ] {
            let mut db = Db::new(version);
            let activity = db
                .tables
                .get("mail.activity")
                .and_then(|t| t.rows.keys().next().copied())
                .expect("the demo data has activities");
            let message = db
                .action_feedback(&env(2), &[activity], &json!("Called"))
                .unwrap();
            let body = db.value("mail.message", message.as_i64().unwrap(), "body");
            assert!(body.as_str().unwrap().contains("Called"), "{body}");
            assert_eq!(
                db.row("mail.activity", activity)
                    .map(|a| a["active"].clone()),
                left,
                "{version:?}"
            );
        }
    }
}
