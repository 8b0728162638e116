//! Companies on real Odoo: `company_id` / `company_ids` become Odoo's `allowed_company_ids`, so
//! record rules apply per company and new records land in the company named; a connection's
//! Allowed companies refuse the others and apply when a call names none.

use serde_json::{Value, json};

use super::{Real, Setup, tag};
use crate::helpers::{error_text, merged};
use crate::on_main_setups;

on_main_setups!([
    records_are_found_and_created_in_the_company_named,
    allowed_companies_refuse_others_and_apply_by_default,
]);

/// demo in its own company (1) and a second one, with one contact in each.
struct TwoCompanies {
    r: Real,
    key: String,
    connection: i64,
    second: i64,
    /// The contact of company 1, then that of the second company.
    contacts: [i64; 2],
    name: String,
}

impl TwoCompanies {
    async fn start(setup: Setup) -> Option<Self> {
        let r = Real::start(setup).await?;
        let second = r.second_company().await;
        let name = tag("co-contact");
        let mut contacts = [0; 2];
        for (slot, company) in contacts.iter_mut().zip([1, second]) {
            *slot = r
                .admin_create("res.partner", json!({"name": name, "company_id": company}))
                .await;
        }
        let (connection, key) = r.key("demo").await;
        Some(Self {
            r,
            key,
            connection,
            second,
            contacts,
            name,
        })
    }

    /// The ids of the tagged contacts that `search_records` finds with `extra` arguments.
    async fn found(&self, extra: Value) -> Vec<i64> {
        let arguments = merged(
            json!({"model": "res.partner", "domain": [["name", "=", self.name]], "order": "id"}),
            extra,
        );
        let found = self.r.ok(&self.key, "search_records", arguments).await;
        found["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    }

    /// Creates a quotation for `customer` with `extra` arguments; the company Odoo stored on it.
    async fn quotation_company(&self, customer: i64, extra: Value) -> Value {
        let arguments = merged(
            json!({"model": "sale.order", "values": {"partner_id": customer}}),
            extra,
        );
        let order = self.r.create_with(&self.key, arguments).await;
        let stored = self
            .r
            .admin_read("sale.order", &[order], &["company_id"])
            .await;
        stored[0]["company_id"][0].clone()
    }

    async fn context(&self, arguments: Value) -> Value {
        self.r.ok(&self.key, "get_current_context", arguments).await["companies"].clone()
    }
}

async fn records_are_found_and_created_in_the_company_named(setup: Setup) {
    let Some(t) = TwoCompanies::start(setup).await else {
        return;
    };
    let [first, second] = t.contacts;
    // Odoo's record rules, per company: each company sees its own contact.
    assert_eq!(t.found(json!({"company_id": 1})).await, [first]);
    assert_eq!(t.found(json!({"company_id": t.second})).await, [second]);
    assert_eq!(
        t.found(json!({"company_ids": [t.second, 1]})).await,
        [first, second]
    );
    // Without a company, Odoo's default for an API call: every company of the user.
    assert_eq!(t.found(json!({})).await, [first, second]);
    // The other company's record is out of reach, with Odoo's own multi-company message.
    let refused = error_text(
        &t.r.call(
            &t.key,
            "get_record",
            json!({"model": "res.partner", "id": second, "fields": ["name"], "company_id": 1}),
        )
        .await,
    );
    assert!(refused.contains("res.partner"), "{refused}");

    // A quotation created in the second company belongs to it; one naming none goes to the
    // user's current company.
    assert_eq!(
        t.quotation_company(second, json!({"company_id": t.second}))
            .await,
        t.second
    );
    assert_eq!(t.quotation_company(first, json!({})).await, 1);

    // get_current_context: the user's companies, and the one this call acts in.
    let default = t.context(json!({})).await;
    assert_eq!(default["current"]["id"], 1, "{default}");
    let available = default["available"].as_array().unwrap();
    assert!(
        available
            .iter()
            .any(|c| c["id"] == t.second && c["allowed"] == true && c["name"].is_string()),
        "{default}"
    );
    let in_second = t.context(json!({"company_id": t.second})).await;
    assert_eq!(in_second["current"]["id"], t.second, "{in_second}");
    assert_eq!(in_second["acting_in"], json!([t.second]), "{in_second}");

    // A company the user does not belong to: a clear refusal, nothing run.
    let foreign = error_text(
        &t.r.call(
            &t.key,
            "count_records",
            json!({"model": "res.partner", "company_id": 999_999}),
        )
        .await,
    );
    assert!(
        foreign.contains("[999999]") && foreign.contains("does not belong"),
        "{foreign}"
    );
    let both = error_text(
        &t.r.call(
            &t.key,
            "count_records",
            json!({"model": "res.partner", "company_id": 1, "company_ids": [1]}),
        )
        .await,
    );
    assert!(both.contains("not both"), "{both}");
}

async fn allowed_companies_refuse_others_and_apply_by_default(setup: Setup) {
    let Some(t) = TwoCompanies::start(setup).await else {
        return;
    };
    let second = t.second;
    t.r.app
        .set_policy(t.connection, |p| {
            p.allowed_companies = second.to_string().parse().unwrap()
        })
        .await;
    // Naming no company acts in the allowed one.
    assert_eq!(t.found(json!({})).await, [t.contacts[1]]);
    let context = t.context(json!({})).await;
    assert_eq!(context["current"]["id"], second, "{context}");
    let own = context["available"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == 1)
        .cloned();
    assert_eq!(own.unwrap()["allowed"], false, "{context}");
    // Naming another is refused before Odoo sees it, and audited as denied.
    let refused = error_text(
        &t.r.call(
            &t.key,
            "create_record",
            json!({"model": "res.partner", "values": {"name": tag("nowhere")}, "company_id": 1}),
        )
        .await,
    );
    assert_eq!(
        refused,
        "Refused by Allowed Companies: the company 1 is not among this connection's allowed companies."
    );
    let audit = t.r.app.audit().await;
    let entry = &audit[0];
    assert_eq!(
        (entry.tool.as_deref(), entry.outcome.as_str()),
        (Some("create_record"), "denied"),
        "{entry:?}"
    );
    // A context smuggled through execute_method's arguments is refused too.
    let smuggled = error_text(
        &t.r.call(
            &t.key,
            "execute_method",
            json!({"model": "res.partner", "method": "action_archive", "ids": [t.contacts[0]],
                   "arguments": {"context": {"allowed_company_ids": [1]}}}),
        )
        .await,
    );
    assert!(smuggled.contains("company_id or company_ids"), "{smuggled}");
    let still =
        t.r.admin_read("res.partner", &[t.contacts[0]], &["active"])
            .await;
    assert_eq!(still[0]["active"], true, "nothing was archived");
}
