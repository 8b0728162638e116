//! Workflow buttons on real Odoo: a quotation's form buttons listed as Odoo shows them to demo,
//! one refused (not on the form now), a button that opens a wizard (Send by Email: Odoo's mail
//! composer) described, then filled and sent, Confirm pressed, and Cancel (a wizard on 18).

use serde_json::{Value, json};

use super::{Real, Setup, tag};
use crate::helpers::error_text;
use crate::{on_every_setup, on_main_setups};

on_every_setup!([the_form_buttons_of_a_quotation_are_read_and_pressed]);

on_main_setups!([a_quotation_is_confirmed_and_cancelled_through_its_buttons]);

/// On every version (16's `states` and `attrs` included): the draft quotation's buttons, and
/// Confirm pressed.
async fn the_form_buttons_of_a_quotation_are_read_and_pressed(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let (order, target) = draft_quotation(&r, &key).await;
    let mut press = target;
    press["action"] = json!("action_confirm");
    assert_eq!(r.ok(&key, "run_action", press).await["done"], true);
    assert_eq!(state_of(&r, order).await, "sale");
}

/// A new quotation of demo's; its buttons: Confirm shown, Set to Quotation not.
async fn draft_quotation(r: &Real, key: &str) -> (i64, Value) {
    let customer = r
        .create(key, "res.partner", json!({"name": tag("buttons")}))
        .await;
    let order = r
        .create(key, "sale.order", json!({"partner_id": customer}))
        .await;
    let target = json!({"model": "sale.order", "id": order});
    let listed = r.ok(key, "list_actions", target.clone()).await;
    let shown = names(&listed);
    assert!(shown.contains(&"action_confirm".to_owned()), "{listed}");
    assert!(
        !shown.contains(&"action_draft".to_owned()),
        "hidden on a quotation: {listed}"
    );
    (order, target)
}

fn names(listed: &Value) -> Vec<String> {
    listed["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_quotation_is_confirmed_and_cancelled_through_its_buttons(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (connection, key) = r.key("demo").await;
    let (order, target) = draft_quotation(&r, &key).await;
    let listed = r.ok(&key, "list_actions", target.clone()).await;
    assert!(
        names(&listed).contains(&"action_quotation_send".to_owned()),
        "{listed}"
    );
    let confirm = listed["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "action_confirm")
        .unwrap();
    assert_eq!(confirm["label"], "Confirm", "{listed}");

    // Only a button the form shows now can be pressed.
    let mut press = target.clone();
    press["action"] = json!("action_draft");
    let refused = error_text(&r.call(&key, "run_action", press).await);
    assert!(
        refused.contains("does not show it now") && refused.contains("action_confirm"),
        "{refused}"
    );

    // Send by Email opens Odoo's mail composer: described, nothing done yet; then sent.
    let send = |wizard: Option<Value>| {
        let mut press = target.clone();
        press["action"] = json!("action_quotation_send");
        if let Some(wizard) = wizard {
            press["wizard"] = wizard;
        }
        press
    };
    let opened = r.ok(&key, "run_action", send(None)).await;
    assert_eq!(opened["done"], false, "{opened}");
    assert_eq!(
        opened["wizard"]["model"], "mail.compose.message",
        "{opened}"
    );
    let buttons: Vec<&str> = opened["wizard"]["buttons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["name"].as_str())
        .collect();
    assert!(buttons.contains(&"action_send_mail"), "{opened}");
    assert!(opened["wizard"]["fields"]["body"].is_object(), "{opened}");
    assert_eq!(state_of(&r, order).await, "draft", "nothing sent yet");
    // The wizard's model must be allowed too.
    r.app
        .set_policy(connection, |p| {
            p.allowed_models = "sale.order\nres.partner".parse().unwrap()
        })
        .await;
    let refused = error_text(&r.call(&key, "run_action", send(None)).await);
    assert!(refused.contains("'mail.compose.message'"), "{refused}");
    r.app
        .set_policy(connection, |p| p.allowed_models = Default::default())
        .await;
    let wrong = error_text(
        &r.call(
            &key,
            "run_action",
            send(Some(json!({"button": "no_such_button"}))),
        )
        .await,
    );
    assert!(wrong.contains("has no button 'no_such_button'"), "{wrong}");
    // No template: the shared Odoo has no wkhtmltopdf to render the quotation PDF it attaches.
    let fill = json!({"button": "action_send_mail",
                      "values": {"template_id": false, "subject": "Your quotation", "body": "<p>Hello</p>"}});
    let sent = r.ok(&key, "run_action", send(Some(fill))).await;
    assert_eq!(sent["done"], true, "{sent}");
    assert_eq!(state_of(&r, order).await, "sent");

    let mut press = target.clone();
    press["action"] = json!("action_confirm");
    let done = r.ok(&key, "run_action", press).await;
    assert_eq!(done["done"], true, "{done}");
    assert_eq!(state_of(&r, order).await, "sale", "confirmed in Odoo");

    // Cancel on a confirmed order: Odoo 18 asks in its own wizard, 19 cancels at once.
    let listed = r.ok(&key, "list_actions", target.clone()).await;
    assert!(
        names(&listed).contains(&"action_cancel".to_owned()),
        "{listed}"
    );
    let mut press = target.clone();
    press["action"] = json!("action_cancel");
    let answered = r.ok(&key, "run_action", press.clone()).await;
    if setup.version() == 18 {
        assert_eq!(
            answered["wizard"]["model"], "sale.order.cancel",
            "{answered}"
        );
        assert_eq!(state_of(&r, order).await, "sale");
        press["wizard"] = json!({"button": "action_cancel"});
        let cancelled = r.ok(&key, "run_action", press).await;
        assert_eq!(cancelled["done"], true, "{cancelled}");
    } else {
        assert_eq!(answered["done"], true, "{answered}");
    }
    assert_eq!(state_of(&r, order).await, "cancel");
}

async fn state_of(r: &Real, order: i64) -> String {
    r.admin_read("sale.order", &[order], &["state"]).await[0]["state"]
        .as_str()
        .unwrap()
        .to_owned()
}
