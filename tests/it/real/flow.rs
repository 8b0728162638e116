//! One business flow end to end through the official Python MCP SDK on real Odoo: a quotation
//! for a customer of the second company, a note, an activity, Confirm pressed, the quotation
//! printed and fetched once through its link (the second fetch fails). On the setups whose
//! users are linked with a password: Odoo prints only in a web session, which an API key cannot
//! open (JSON-2's refusal is checked in `files.rs`).

use serde_json::{Value, json};

use super::{Real, Setup, tag};
use crate::helpers::client_path;
use crate::on_setups;

on_setups!(flow [V18, V19Rpc] [a_quotation_goes_from_draft_to_printed_copy_through_the_python_sdk]);

async fn a_quotation_goes_from_draft_to_printed_copy_through_the_python_sdk(setup: Setup) {
    let Some(python) = client_path("PYTHON_MCP", "REQUIRE_PYTHON_SDK") else {
        return;
    };
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let company = r.second_company().await;
    let customer_name = tag("flow-customer");
    let customer = r
        .create_with(
            &key,
            json!({"model": "res.partner", "company_id": company,
                   "values": {"name": customer_name, "company_id": company}}),
        )
        .await;
    let flow = json!({"customer": customer, "company_id": company}).to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sdk_client.py");
    let output = tokio::process::Command::new(&python)
        .arg(script)
        .args([
            "--url",
            &r.app.mcp_url,
            "--key",
            &key,
            "--business-flow",
            &flow,
        ])
        .args(["--timeout", "120"])
        .output()
        .await
        .expect("python runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the flow failed: {stderr}");
    let seen: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    let order = seen["order_id"].as_i64().expect("a quotation");

    // Straight from Odoo: the order is the second company's, confirmed, with the note and the
    // activity on it.
    let row = &r
        .admin_read(
            "sale.order",
            &[order],
            &["name", "company_id", "state", "partner_id"],
        )
        .await[0];
    assert_eq!(row["company_id"][0], company, "{row}");
    assert_eq!(row["partner_id"][0], customer);
    assert_eq!(row["state"], "sale", "confirmed by its button: {row}");
    let name = row["name"].as_str().unwrap();
    let note = &seen["steps"]["post_note"];
    assert_eq!(note["internal"], true, "{note}");
    let stored = r
        .admin_read(
            "mail.message",
            &[note["message_id"].as_i64().unwrap()],
            &["model", "res_id"],
        )
        .await;
    assert_eq!(stored[0]["res_id"], order);
    let activity = seen["steps"]["schedule_activity"]["activity_id"]
        .as_i64()
        .unwrap();
    let stored = r
        .admin_read(
            "mail.activity",
            &[activity],
            &["res_model", "res_id", "summary"],
        )
        .await;
    assert_eq!(stored[0]["res_id"], order, "{stored:?}");
    assert_eq!(stored[0]["summary"], "Call to confirm delivery");

    // The printed copy, once: HTML here (no wkhtmltopdf), naming the order; then gone.
    let printed = &seen["steps"]["print_report"];
    assert_eq!(printed["format"], "html", "{printed}");
    let download = &seen["download"];
    assert_eq!(download["status"], 200, "{download}");
    assert!(
        download["content_type"]
            .as_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        download["body"].as_str().unwrap().contains(name),
        "the quotation {name} is printed"
    );
    assert_eq!(seen["second_fetch_status"], 410);
}
