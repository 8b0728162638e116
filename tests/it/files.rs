//! The file tools in front of the simulator (the `demo` command's Odoo): files attached inline and
//! through an upload link, listed, read inline and downloaded once, and a quotation printed as
//! HTML and fetched once. Governance and bad input are checked on real Odoo (`real::files`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use odoo_mcp_gateway::connections::Scope;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, merged, ok_result};

/// Acme Corporation, a company contact of the demo database (demo may change contacts).
const ACME: i64 = 9;
/// S00001, a quotation of demo's.
const QUOTATION: i64 = 1;

/// The bytes the simulator stores for attachment `id`.
fn stored(app: &TestApp, id: i64) -> Vec<u8> {
    let record = app.sim().record("ir.attachment", id).expect("attached");
    STANDARD
        .decode(record["datas"].as_str().unwrap_or_default())
        .unwrap()
}

#[tokio::test]
async fn files_are_attached_listed_read_downloaded_and_printed_on_the_simulator() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let call = async |tool: &str, arguments: Value| {
        ok_result(&app.call(&key, tool, arguments).await).clone()
    };
    let fetch = async |url: &str| app.http.get(url).send().await.unwrap();
    let record = json!({"model": "res.partner", "id": ACME});
    let upload = |name: &str, bytes: &[u8]| {
        merged(
            record.clone(),
            json!({"name": name, "content_base64": STANDARD.encode(bytes)}),
        )
    };

    let text = call(
        "upload_attachment",
        upload("notes.txt", b"Deliver on Monday"),
    )
    .await;
    let text_id = text["attachment_id"].as_i64().expect("attached");
    assert_eq!(text["size"], 17, "{text}");
    let binary: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let file = call("upload_attachment", upload("scan.bin", &binary)).await;
    let file_id = file["attachment_id"].as_i64().unwrap();
    assert_eq!(stored(&app, file_id), binary);

    let listed = call("list_attachments", record.clone()).await;
    assert_eq!(listed["count"], 2, "{listed}");
    assert_eq!(listed["attachments"][0]["id"], file_id, "newest first");
    assert_eq!(
        listed["attachments"][1]["mimetype"], "text/plain",
        "guessed from the name"
    );

    let read = call("get_attachment", json!({"attachment_id": text_id})).await;
    assert_eq!(read["text"], "Deliver on Monday", "{read}");
    assert!(read["download"].is_null());
    let read = call("get_attachment", json!({"attachment_id": file_id})).await;
    let url = read["download"]["url"].as_str().expect("a link").to_owned();
    let fetched = fetch(&url).await;
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), binary.as_slice());
    assert_eq!(fetch(&url).await.status(), StatusCode::GONE);

    let linked = call(
        "upload_attachment",
        merged(record, json!({"name": "offer.pdf"})),
    )
    .await;
    let url = linked["upload"]["url"]
        .as_str()
        .expect("an upload link")
        .to_owned();
    let pdf = b"%PDF-1.4\n% a tiny file\n".to_vec();
    let sent = app.http.put(&url).body(pdf.clone()).send().await.unwrap();
    assert_eq!(sent.status(), StatusCode::CREATED);
    let answer: Value = sent.json().await.unwrap();
    let id = answer["attachment_id"].as_i64().expect("attached");
    assert_eq!(stored(&app, id), pdf);
    let again = app.http.put(&url).body(pdf).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::GONE);

    // The simulator, like the shared real Odoo, has no wkhtmltopdf: the quotation comes as HTML.
    let printed = call(
        "print_report",
        json!({"model": "sale.order", "ids": [QUOTATION]}),
    )
    .await;
    assert_eq!(printed["format"], "html", "{printed}");
    assert_eq!(printed["report"], "PDF Quote");
    assert_eq!(printed["file_name"], "PDF Quote - S00001.html");
    let url = printed["download"]["url"].as_str().unwrap().to_owned();
    let fetched = fetch(&url).await;
    assert_eq!(fetched.status(), StatusCode::OK);
    let content_type = fetched.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(fetched.text().await.unwrap().contains("S00001"));
    assert_eq!(fetch(&url).await.status(), StatusCode::GONE);
}

/// A link holds the connection to its Record limits when it is used, not only when issued.
#[tokio::test]
async fn an_upload_link_is_refused_once_its_record_is_outside_the_record_limits() {
    let app = TestApp::spawn().await;
    let (id, key) = app.api_key("demo", Scope::Full).await;
    let linked = ok_result(
        &app.call(
            &key,
            "upload_attachment",
            json!({"model": "res.partner", "id": ACME, "name": "late.pdf"}),
        )
        .await,
    )
    .clone();
    let url = linked["upload"]["url"].as_str().unwrap().to_owned();
    app.set_policy(id, |p| {
        p.record_limits = format!("res.partner: [('id', '!=', {ACME})]")
            .parse()
            .unwrap()
    })
    .await;
    let sent = app.http.put(&url).body("x").send().await.unwrap();
    assert_eq!(sent.status(), StatusCode::FORBIDDEN);
    let body = sent.text().await.unwrap();
    assert!(
        body.contains(&format!(
            "Refused by Record limits: res.partner records {ACME} are outside"
        )),
        "{body}"
    );
    let listed = ok_result(
        &app.call(
            &key,
            "search_records",
            json!({"model": "ir.attachment", "domain": [["name", "=", "late.pdf"]]}),
        )
        .await,
    )
    .clone();
    assert_eq!(listed["count"], 0, "nothing was attached: {listed}");
}
