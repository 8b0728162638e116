//! Files and reports on real Odoo: attachments uploaded (inline and through a one-time link),
//! listed, read inline or downloaded once through the gateway, a quotation printed and fetched
//! once, and their governance (Allowed Models on the record and on ir.attachment, Allowed Tools
//! checked again when a link is used, Read Only, an approval held and executed), bad input and
//! links that expired. Odoo's bytes are checked straight from Odoo.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use odoo_mcp_gateway::approvals;
use odoo_mcp_gateway::connections::Scope;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Real, Setup, tag};
use crate::helpers::{error_text, ok_result};
use crate::{on_every_setup, on_main_setups};

// What Odoo lets an external caller print is the same on 16–19: checked on each.
on_every_setup!([a_quotation_prints_and_downloads_once]);

on_main_setups!([
    attachments_are_uploaded_listed_read_and_downloaded_once,
    an_upload_link_takes_one_file_within_its_limit,
    file_tools_are_governed_and_refuse_bad_input,
    a_held_upload_runs_when_approved,
]);

/// demo's key, and a contact of demo's own to attach files to.
struct Files {
    r: Real,
    connection: i64,
    key: String,
    partner: i64,
}

impl Files {
    async fn start(setup: Setup) -> Option<Self> {
        let r = Real::start(setup).await?;
        let (connection, key) = r.key("demo").await;
        let partner = r
            .create(&key, "res.partner", json!({"name": tag("files")}))
            .await;
        Some(Self {
            r,
            connection,
            key,
            partner,
        })
    }

    async fn upload(&self, name: &str, bytes: &[u8], mimetype: Option<&str>) -> Value {
        let mut arguments = json!({"model": "res.partner", "id": self.partner, "name": name,
                                   "content_base64": STANDARD.encode(bytes)});
        if let Some(mimetype) = mimetype {
            arguments["mimetype"] = json!(mimetype);
        }
        self.r.ok(&self.key, "upload_attachment", arguments).await
    }

    async fn attachment_count(&self) -> usize {
        self.r
            .execute_kw(
                &self.r.odoo.admin,
                "ir.attachment",
                "search_count",
                json!([[
                    ["res_model", "=", "res.partner"],
                    ["res_id", "=", self.partner]
                ]]),
                json!({}),
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap() as usize
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        self.r.app.http.get(url).send().await.unwrap()
    }
}

/// The bytes of attachment `id`, read as the administrator straight from Odoo.
async fn stored_bytes(r: &Real, id: i64) -> (Vec<u8>, Value) {
    let rows = r
        .admin_read(
            "ir.attachment",
            &[id],
            &["datas", "create_uid", "res_id", "mimetype"],
        )
        .await;
    let row = rows
        .into_iter()
        .next()
        .expect("the attachment exists in Odoo");
    let bytes = STANDARD
        .decode(row["datas"].as_str().unwrap_or_default())
        .unwrap();
    (bytes, row)
}

async fn attachments_are_uploaded_listed_read_and_downloaded_once(setup: Setup) {
    let Some(f) = Files::start(setup).await else {
        return;
    };
    let r = &f.r;
    let text = f
        .upload("notes.txt", b"Deliver on Monday", Some("text/plain"))
        .await;
    let text_id = text["attachment_id"].as_i64().expect("created");
    assert_eq!(text["size"], 17, "{text}");
    let (stored, row) = stored_bytes(r, text_id).await;
    assert_eq!(stored, b"Deliver on Monday");
    assert_eq!(row["create_uid"][0], r.odoo.demo.uid, "made as demo: {row}");
    assert_eq!(row["res_id"], f.partner);

    let binary: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let file = f
        .upload("scan.bin", &binary, Some("application/octet-stream"))
        .await;
    let file_id = file["attachment_id"].as_i64().unwrap();

    let listed = r
        .ok(
            &f.key,
            "list_attachments",
            json!({"model": "res.partner", "id": f.partner}),
        )
        .await;
    assert_eq!(listed["count"], 2, "{listed}");
    assert_eq!(
        listed["attachments"][0]["id"], file_id,
        "newest first: {listed}"
    );
    assert_eq!(listed["attachments"][1]["name"], "notes.txt");
    assert_eq!(listed["attachments"][1]["size"], 17);

    // Small text comes inline, and no link is made for it.
    let read = r
        .ok(&f.key, "get_attachment", json!({"attachment_id": text_id}))
        .await;
    assert_eq!(read["text"], "Deliver on Monday", "{read}");
    assert!(read["download"].is_null(), "{read}");
    assert_eq!(read["model"], "res.partner");
    assert_eq!(read["record_id"], f.partner);

    // Anything else is a one-time link: the exact bytes once, then never again.
    let read = r
        .ok(&f.key, "get_attachment", json!({"attachment_id": file_id}))
        .await;
    assert!(read["text"].is_null(), "{read}");
    let url = read["download"]["url"].as_str().expect("a link").to_owned();
    assert!(
        url.starts_with(&format!("{}/files/omg_file_", r.app.base)),
        "{url}"
    );
    let fetched = f.get(&url).await;
    assert_eq!(fetched.status(), StatusCode::OK);
    let headers = fetched.headers().clone();
    // Odoo keeps its own guess of a file sent as octet-stream; the download says what Odoo has.
    let (_, row) = stored_bytes(r, file_id).await;
    assert_eq!(headers["content-type"], row["mimetype"].as_str().unwrap());
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"scan.bin\"; filename*=UTF-8''scan.bin"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), binary.as_slice());
    let again = f.get(&url).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("already used, or it expired")
    );

    // Each use of the link is an audit entry of the connection, the token never in it.
    let audit = r.app.audit().await;
    let downloads: Vec<_> = audit
        .iter()
        .filter(|e| e.method == "files/download")
        .collect();
    assert_eq!(downloads.len(), 2, "{downloads:?}");
    assert!(downloads.iter().any(|e| e.outcome == "success"
        && e.connection_id == Some(f.connection)
        && e.tool.as_deref() == Some("get_attachment")
        && e.model.as_deref() == Some("res.partner")));
    assert!(
        downloads
            .iter()
            .any(|e| e.outcome == "error" && e.connection_id.is_none())
    );
    let token = url.rsplit('/').next().unwrap();
    assert!(
        !format!("{audit:?}").contains(token),
        "the token stays out of the audit log"
    );
}

async fn an_upload_link_takes_one_file_within_its_limit(setup: Setup) {
    let Some(f) = Files::start(setup).await else {
        return;
    };
    let r = &f.r;
    let linked = r
        .ok(
            &f.key,
            "upload_attachment",
            json!({"model": "res.partner", "id": f.partner, "name": "contract.pdf"}),
        )
        .await;
    assert!(linked["attachment_id"].is_null(), "{linked}");
    let upload = &linked["upload"];
    assert_eq!(upload["method"], "PUT", "{linked}");
    let max = upload["max_bytes"].as_u64().unwrap() as usize;
    let url = upload["url"].as_str().unwrap().to_owned();
    assert_eq!(
        f.attachment_count().await,
        0,
        "nothing attached before the file comes"
    );

    // Too large: refused, nothing attached, and the link still works.
    let too_big = r
        .app
        .http
        .put(&url)
        .body(vec![b'x'; max + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(f.attachment_count().await, 0);
    // A download of an upload link is refused, and does not use it up either.
    assert_eq!(f.get(&url).await.status(), StatusCode::METHOD_NOT_ALLOWED);

    let pdf = b"%PDF-1.4\n% a tiny file\n".to_vec();
    let sent = r
        .app
        .http
        .put(&url)
        .header("content-type", "application/pdf")
        .body(pdf.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::CREATED);
    let answer: Value = sent.json().await.unwrap();
    let id = answer["attachment_id"].as_i64().expect("attached");
    assert_eq!(answer["size"], pdf.len());
    let (stored, row) = stored_bytes(r, id).await;
    assert_eq!(stored, pdf);
    assert_eq!(row["mimetype"], "application/pdf");
    assert_eq!(row["create_uid"][0], r.odoo.demo.uid);

    let twice = r.app.http.put(&url).body(pdf).send().await.unwrap();
    assert_eq!(twice.status(), StatusCode::GONE);
    assert_eq!(
        f.attachment_count().await,
        1,
        "the second PUT attached nothing"
    );
}

async fn a_quotation_prints_and_downloads_once(setup: Setup) {
    let Some(f) = Files::start(setup).await else {
        return;
    };
    let r = &f.r;
    let order = r
        .create(&f.key, "sale.order", json!({"partner_id": f.partner}))
        .await;
    let name = r.admin_read("sale.order", &[order], &["name"]).await[0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let print = json!({"model": "sale.order", "ids": [order]});
    if setup == Setup::V19Json2 {
        // An API key cannot open the web session Odoo renders reports in.
        let refused = error_text(&r.call(&f.key, "print_report", print).await);
        assert!(
            refused.starts_with("Odoo renders reports only in a signed-in web session"),
            "{refused}"
        );
        return;
    }
    // The shared real Odoo has no wkhtmltopdf: HTML, saying why.
    let printed = r.ok(&f.key, "print_report", print.clone()).await;
    assert_eq!(printed["format"], "html", "{printed}");
    // The label Odoo gives the quotation report: 16 calls it "Quotation / Order".
    let label = if setup == Setup::V16 {
        "Quotation / Order"
    } else {
        "PDF Quote"
    };
    assert_eq!(printed["report"], label);
    assert_eq!(printed["report_name"], "sale.report_saleorder");
    let file_name = format!("{} - {name}.html", label.replace('/', "_"));
    assert_eq!(printed["file_name"], file_name);
    assert!(
        printed["note"].as_str().unwrap().contains("wkhtmltopdf"),
        "{printed}"
    );
    let url = printed["download"]["url"].as_str().unwrap().to_owned();
    let fetched = f.get(&url).await;
    assert_eq!(fetched.status(), StatusCode::OK);
    assert!(
        fetched.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = fetched.text().await.unwrap();
    assert!(html.contains(&name), "the quotation is rendered");
    assert_eq!(f.get(&url).await.status(), StatusCode::GONE);

    // Asked for a PDF this Odoo cannot make, or a report the model does not have: a clear no.
    let pdf = error_text(
        &r.call(
            &f.key,
            "print_report",
            crate::helpers::merged(print.clone(), json!({"format": "pdf"})),
        )
        .await,
    );
    assert!(pdf.starts_with("This Odoo cannot make PDFs"), "{pdf}");
    let unknown = error_text(
        &r.call(
            &f.key,
            "print_report",
            crate::helpers::merged(print.clone(), json!({"report": "Invoice"})),
        )
        .await,
    );
    assert!(
        unknown.contains(&format!(
            "'Invoice' is not a report of sale.order; it has: \"{label}\" (sale.report_saleorder)"
        )),
        "{unknown}"
    );
    let by_name = r
        .ok(
            &f.key,
            "print_report",
            crate::helpers::merged(
                print,
                json!({"report": "sale.report_saleorder_pro_forma", "format": "html"}),
            ),
        )
        .await;
    assert_eq!(by_name["report"], "PRO-FORMA Invoice", "{by_name}");
    assert!(by_name["note"].is_null());
    let missing = error_text(
        &r.call(
            &f.key,
            "print_report",
            json!({"model": "sale.order", "ids": [order, 999_999]}),
        )
        .await,
    );
    assert_eq!(
        missing,
        "sale.order record 999999 does not exist, or this user cannot see it."
    );
}

async fn file_tools_are_governed_and_refuse_bad_input(setup: Setup) {
    let Some(f) = Files::start(setup).await else {
        return;
    };
    let (r, key) = (&f.r, f.key.as_str());
    let file = f
        .upload("a.bin", &[1, 2, 3], Some("application/octet-stream"))
        .await;
    let id = file["attachment_id"].as_i64().unwrap();
    let record = json!({"model": "res.partner", "id": f.partner});

    // ir.attachment must be allowed besides the record's model…
    r.app
        .set_policy(f.connection, |p| {
            p.allowed_models = "res.partner".parse().unwrap()
        })
        .await;
    let refused = error_text(&r.call(key, "list_attachments", record.clone()).await);
    assert_eq!(
        refused,
        "Refused by Allowed Models: the tool 'list_attachments' works on 'ir.attachment', which is not among this connection's allowed models."
    );
    // …and the record's model besides ir.attachment, also for an attachment named by id.
    r.app
        .set_policy(f.connection, |p| {
            p.allowed_models = "ir.attachment\nsale.order".parse().unwrap()
        })
        .await;
    let refused = error_text(&r.call(key, "list_attachments", record.clone()).await);
    assert!(refused.contains("'res.partner' is not among"), "{refused}");
    let refused = error_text(
        &r.call(key, "get_attachment", json!({"attachment_id": id}))
            .await,
    );
    assert!(
        refused.contains("belongs to a 'res.partner' record"),
        "{refused}"
    );
    r.app
        .set_policy(f.connection, |p| p.allowed_models = Default::default())
        .await;

    // Allowed Companies hold for the file tools like for every tool that works in Odoo.
    let second = r.second_company().await;
    r.app
        .set_policy(f.connection, |p| p.allowed_companies = "1".parse().unwrap())
        .await;
    for (tool, arguments) in [
        ("list_attachments", record.clone()),
        ("get_attachment", json!({"attachment_id": id})),
        (
            "print_report",
            json!({"model": "res.partner", "ids": [f.partner]}),
        ),
    ] {
        let arguments = crate::helpers::merged(arguments, json!({"company_id": second}));
        let refused = error_text(&r.call(key, tool, arguments).await);
        assert_eq!(
            refused,
            format!(
                "Refused by Allowed Companies: the company {second} is not among this connection's allowed companies."
            ),
            "{tool}"
        );
    }
    r.app
        .set_policy(f.connection, |p| p.allowed_companies = Default::default())
        .await;

    // A link is checked again when used: a tool no longer allowed gets nothing.
    let link = r
        .ok(key, "get_attachment", json!({"attachment_id": id}))
        .await;
    let url = link["download"]["url"].as_str().unwrap().to_owned();
    r.app
        .set_policy(f.connection, |p| {
            p.allowed_tools = "list_attachments".parse().unwrap()
        })
        .await;
    assert_eq!(f.get(&url).await.status(), StatusCode::FORBIDDEN);
    r.app
        .set_policy(f.connection, |p| p.allowed_tools = Default::default())
        .await;
    // The master switch stops links too, and they work again when it is back on.
    let link = r
        .ok(key, "get_attachment", json!({"attachment_id": id}))
        .await;
    let url = link["download"]["url"].as_str().unwrap().to_owned();
    let settings = &r.app.state.settings;
    let mut off = settings.get(&r.app.state.store).await.unwrap();
    off.mcp_enabled = false;
    settings.save(&r.app.state.store, &off).await.unwrap();
    assert_eq!(f.get(&url).await.status(), StatusCode::FORBIDDEN);
    off.mcp_enabled = true;
    settings.save(&r.app.state.store, &off).await.unwrap();
    assert_eq!(
        f.get(&url).await.status(),
        StatusCode::OK,
        "not used up while off"
    );
    // And a link expires.
    let link = r
        .ok(key, "get_attachment", json!({"attachment_id": id}))
        .await;
    let url = link["download"]["url"].as_str().unwrap().to_owned();
    r.app.state.clock.advance(11 * 60 * 1000);
    assert_eq!(f.get(&url).await.status(), StatusCode::GONE);
    let forged = format!(
        "{}/files/omg_file_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        r.app.base
    );
    assert_eq!(f.get(&forged).await.status(), StatusCode::GONE);

    // Bad input: a precise message and nothing attached.
    let before = f.attachment_count().await;
    let upload = |extra: Value| {
        crate::helpers::merged(
            json!({"model": "res.partner", "id": f.partner, "name": "x.txt"}),
            extra,
        )
    };
    for (extra, expected) in [
        (
            json!({"content_base64": "not base64!"}),
            "content_base64 is not base64",
        ),
        (json!({"content_base64": ""}), "content_base64 is empty"),
        (
            json!({"content_base64": STANDARD.encode(vec![0u8; 20 * 1024])}),
            "go inline — call without content_base64 to get an upload link",
        ),
        (
            json!({"mimetype": "pdf", "content_base64": "eA=="}),
            "mimetype: 'pdf' is not a MIME type",
        ),
        (
            json!({"name": "  ", "content_base64": "eA=="}),
            "name is empty",
        ),
    ] {
        let text = error_text(&r.call(key, "upload_attachment", upload(extra)).await);
        assert!(text.contains(expected), "{text}");
    }
    let missing = error_text(
        &r.call(key, "upload_attachment", json!({"model": "res.partner", "id": 999_999_999, "name": "x", "content_base64": "eA=="}))
            .await,
    );
    assert_eq!(
        missing,
        "res.partner record 999999999 does not exist, or this user cannot see it."
    );
    assert_eq!(f.attachment_count().await, before);
    let unknown = error_text(
        &r.call(key, "get_attachment", json!({"attachment_id": 999_999_999}))
            .await,
    );
    assert_eq!(
        unknown,
        "Attachment 999999999 does not exist, or this user cannot see it."
    );

    // Read Only: the upload is neither listed nor callable; reading and printing are.
    let (_, reader) = r.key_with("demo", Scope::ReadOnly).await;
    let names = r.app.tool_names(&reader).await;
    assert!(!names.iter().any(|n| n == "upload_attachment"), "{names:?}");
    for tool in ["list_attachments", "get_attachment", "print_report"] {
        assert!(names.iter().any(|n| n == tool), "{tool} missing: {names:?}");
    }
    let refused = error_text(
        &r.call(
            &reader,
            "upload_attachment",
            upload(json!({"content_base64": "eA=="})),
        )
        .await,
    );
    assert!(refused.contains("Read Only"), "{refused}");
    r.ok(&reader, "list_attachments", record).await;
}

async fn a_held_upload_runs_when_approved(setup: Setup) {
    let Some(f) = Files::start(setup).await else {
        return;
    };
    let r = &f.r;
    let store = &r.app.state.store;
    let now = r.app.state.clock.now();
    r.link("admin").await;
    store
        .set_role("admin", Some("admin".parse().unwrap()), now)
        .await
        .unwrap();
    let admin = store.find_odoo_user("admin").await.unwrap().unwrap();
    r.app
        .set_policy(f.connection, |p| {
            p.approval_tools = "upload_attachment".parse().unwrap();
            p.approver_user_id = Some(admin.id);
        })
        .await;
    let arguments = json!({"model": "res.partner", "id": f.partner, "name": "held.txt",
                           "content_base64": STANDARD.encode("held file")});
    let held = ok_result(&r.call(&f.key, "upload_attachment", arguments).await).clone();
    assert_eq!(held["status"], "pending_approval", "{held}");
    assert!(
        held["summary"]
            .as_str()
            .unwrap()
            .starts_with("Attach the file \"held.txt\" to "),
        "{held}"
    );
    assert_eq!(f.attachment_count().await, 0, "nothing attached while held");
    let id = held["approval_id"].as_str().unwrap();
    let done = approvals::approve(&r.app.state, id, &admin).await.unwrap();
    assert_eq!(done.state.as_db(), "executed", "{:?}", done.error);
    let status = r
        .ok(&f.key, "get_approval_status", json!({"approval_id": id}))
        .await;
    let attachment = status["result"]["attachment_id"]
        .as_i64()
        .expect("attached");
    assert_eq!(stored_bytes(r, attachment).await.0, b"held file");
}
