//! Odoo's report routes, `/report/<converter>/<report_name>[/<ids>]`: a report of the records,
//! rendered for the user of a signed-in web session (`auth='user'`).
//!
//! What real Odoo 18 and 19 answered (demo signed in with `/web/session/authenticate`; curl,
//! `sale.report_saleorder`), which the tests below hold the simulator to:
//! - html, records the user reads: 200 `text/html; charset=utf-8`, a page with their names.
//! - no session, or one signed out by `/web/session/destroy`: 303 to
//!   `/web/login?redirect=<the path and query, quoted>` with werkzeug's redirect page.
//! - a record the user may not read: 403, the record rule's AccessError in the page's `<pre>`.
//! - a record that does not exist: 18 400 (the MissingError in `<pre>`), 19 500.
//! - an unknown report name: 500. Ids that are not numbers are skipped (200, an empty report).
//! - pdf: without wkhtmltopdf (the recorded servers have none) 18 400, 19 422, "Unable to find
//!   Wkhtmltopdf on this system. The PDF can not be created." in `<pre>`.
//!
//! Error pages are `text/html;charset=utf-8` (no space), as Odoo's are; their layout is
//! shortened.

use std::collections::HashMap;

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::access::Operation;
use super::fault::Fault;
use super::jsonrpc::session_uid;
use super::methods::check_companies;
use super::orm::Env;
use super::store::Db;
use super::{OdooVersion, Simulator};

const NO_WKHTMLTOPDF: &str =
    "Unable to find Wkhtmltopdf on this system. The PDF can not be created.";

pub(crate) async fn render(
    State(sim): State<Simulator>,
    Path(params): Path<HashMap<String, String>>,
    RawQuery(query): RawQuery,
    Query(arguments): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    sim.count_call();
    let converter = params.get("converter").map_or("", String::as_str);
    let report_name = params.get("report").map_or("", String::as_str);
    let Some(uid) = session_uid(&sim, &headers) else {
        let path = match params.get("ids") {
            Some(ids) => format!("/report/{converter}/{report_name}/{ids}"),
            None => format!("/report/{converter}/{report_name}"),
        };
        return to_login(&path, query.as_deref().unwrap_or_default());
    };
    // Odoo takes the ids that are numbers and skips the rest.
    let ids: Vec<i64> = params
        .get("ids")
        .map(|ids| ids.split(',').filter_map(|id| id.parse().ok()).collect())
        .unwrap_or_default();
    let context = context_param(&arguments);
    let db = sim.db();
    let Some(report) = find_report(&db, report_name) else {
        return server_error();
    };
    if converter != "html" && converter != "pdf" {
        // The simulator's reports are PDF reports; other converters are not simulated.
        return server_error();
    }
    let env = Env { uid, context };
    let page = match records_page(&db, &env, &report, &ids) {
        Ok(page) => page,
        Err(failure) => return failure.into_response(db.version),
    };
    if converter == "pdf" {
        let status = match db.version {
            OdooVersion::V18 => StatusCode::BAD_REQUEST,
            OdooVersion::V19 => StatusCode::UNPROCESSABLE_ENTITY,
        };
        return error_page(status, NO_WKHTMLTOPDF);
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

/// A report as `ir.actions.report` has it (Odoo looks it up as superuser).
struct Report {
    name: String,
    model: String,
}

fn find_report(db: &Db, report_name: &str) -> Option<Report> {
    let table = db.tables.get("ir.actions.report")?;
    let row = table
        .rows
        .values()
        .find(|row| row.get("report_name").and_then(Value::as_str) == Some(report_name))?;
    let text = |key: &str| {
        row.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Some(Report {
        name: text("name"),
        model: text("model"),
    })
}

/// The route's `context` parameter (JSON), merged into the user's context.
fn context_param(arguments: &HashMap<String, String>) -> Map<String, Value> {
    match arguments.get("context").map(|c| serde_json::from_str(c)) {
        Some(Ok(Value::Object(context))) => context,
        _ => Map::new(),
    }
}

/// Why the records could not be rendered.
enum Failure {
    Refused(Fault),
    Missing(Fault),
}

impl Failure {
    fn into_response(self, version: OdooVersion) -> Response {
        match (self, version) {
            (Failure::Refused(fault), _) => error_page(StatusCode::FORBIDDEN, &fault.message),
            (Failure::Missing(fault), OdooVersion::V18) => {
                error_page(StatusCode::BAD_REQUEST, &fault.message)
            }
            (Failure::Missing(_), OdooVersion::V19) => server_error(),
        }
    }
}

/// The report's page: each record under its name, read as the user.
fn records_page(db: &Db, env: &Env, report: &Report, ids: &[i64]) -> Result<String, Failure> {
    let model = db
        .model(&report.model)
        .ok_or_else(|| Failure::Missing(Fault::missing(&report.model, ids, env.uid)))?;
    check_companies(db, env.uid, &env.context).map_err(Failure::Refused)?;
    db.check_access(env, model, Operation::Read)
        .map_err(Failure::Refused)?;
    let existing = db.existing(model.name, ids);
    db.check_rules(env, model, &existing, "read")
        .map_err(Failure::Refused)?;
    db.require_existing(model.name, ids, env.uid)
        .map_err(Failure::Missing)?;
    let mut page = String::from(
        "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>Odoo Report</title>\n</head>\n<body>\n<main>\n",
    );
    for id in ids {
        page.push_str(&format!(
            "<div class=\"article\" data-oe-model=\"{}\" data-oe-id=\"{id}\">\n<h2>{}</h2>\n<p>{}</p>\n</div>\n",
            model.name,
            escape(&report.name),
            escape(&db.display_name(model.name, *id)),
        ));
    }
    page.push_str("</main>\n</body>\n</html>\n");
    Ok(page)
}

/// Odoo's `auth='user'` redirect of an anonymous visitor, werkzeug's page word for word.
fn to_login(path: &str, query: &str) -> Response {
    let location = format!("/web/login?redirect={}", quote(&format!("{path}?{query}")));
    let page = format!(
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: <a href=\"{0}\">{0}</a>. If not, click the link.\n",
        escape(&location)
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::LOCATION, location),
        ],
        page,
    )
        .into_response()
}

/// Odoo's error page for an exception in a website route (shortened), the message in `<pre>`.
fn error_page(status: StatusCode, message: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\"/>\n<title>Odoo</title>\n</head>\n<body>\n<main>\n<div class=\"container\">\n<h1 class=\"mt-5\">Oops! Something went wrong.</h1>\n<p>Take a look at the error message below.</p>\n</div>\n<div class=\"container\">\n<p>\n<strong>Error message:</strong>\n<pre>{}</pre>\n</p>\n</div>\n</main>\n</body>\n</html>\n",
        escape(message)
    );
    html_error(status, page)
}

fn server_error() -> Response {
    let page = "<!DOCTYPE html>\n<html>\n<head>\n<title>Internal Server Error</title>\n</head>\n<body>\n<h1>500: Internal Server Error</h1>\n</body>\n</html>\n";
    html_error(StatusCode::INTERNAL_SERVER_ERROR, page.to_owned())
}

fn html_error(status: StatusCode, page: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html;charset=utf-8")],
        page,
    )
        .into_response()
}

/// HTML-escaped text (Python's `markupsafe.escape`).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// werkzeug's `url_quote(…, safe='')`: all but letters, digits and `_.-~` percent-encoded.
fn quote(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{SimOptions, Simulator};
    use super::*;
    use serde_json::json;

    struct Web {
        url: String,
        http: reqwest::Client,
        _sim: super::super::RunningSimulator,
    }

    impl Web {
        async fn start(version: OdooVersion) -> Self {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let options = SimOptions {
                version,
                ..SimOptions::default()
            };
            let running = Simulator::spawn(options).await.unwrap();
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            Web {
                url: running.url.clone(),
                http,
                _sim: running,
            }
        }

        async fn post(&self, path: &str, cookie: Option<&str>, params: Value) -> reqwest::Response {
            let mut request = self
                .http
                .post(format!("{}{path}", self.url))
                .json(&json!({"jsonrpc": "2.0", "method": "call", "params": params, "id": 5}));
            if let Some(cookie) = cookie {
                request = request.header("cookie", format!("session_id={cookie}"));
            }
            request.send().await.unwrap()
        }

        /// demo's session cookie.
        async fn sign_in(&self) -> String {
            let params = json!({"db": "demo", "login": "demo", "password": "demo"});
            let response = self.post("/web/session/authenticate", None, params).await;
            let cookie = response.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .to_owned();
            let value = cookie.split(';').next().unwrap();
            value.strip_prefix("session_id=").unwrap().to_owned()
        }

        async fn get(&self, path: &str, cookie: Option<&str>) -> (u16, String, String) {
            let mut request = self.http.get(format!("{}{path}", self.url));
            if let Some(cookie) = cookie {
                request = request.header("cookie", format!("session_id={cookie}"));
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            let location = response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            let body = response.text().await.unwrap();
            (status, content_type, location.unwrap_or(body))
        }
    }

    #[tokio::test]
    async fn a_signed_in_user_gets_the_html_of_what_he_may_read() {
        let web = Web::start(OdooVersion::V19).await;
        let session = web.sign_in().await;
        let context = "?context=%7B%22allowed_company_ids%22%3A%5B1%5D%7D";
        let (status, content_type, page) = web
            .get(
                &format!("/report/html/sale.report_saleorder/1{context}"),
                Some(&session),
            )
            .await;
        assert_eq!(
            (status, content_type.as_str()),
            (200, "text/html; charset=utf-8")
        );
        assert!(page.contains("<h2>PDF Quote</h2>\n<p>S00001</p>"), "{page}");

        // Order 2 is the administrator's: demo's record rule hides it.
        let (status, content_type, page) = web
            .get("/report/html/sale.report_saleorder/1,2", Some(&session))
            .await;
        assert_eq!(
            (status, content_type.as_str()),
            (403, "text/html;charset=utf-8")
        );
        assert!(
            page.contains("<pre>Uh-oh! Looks like you have stumbled upon some top-secret records.\n\nSorry, Marc Demo (id=5) doesn&#39;t have &#39;read&#39; access to:\n- Sales Order (sale.order)"),
            "{page}"
        );
        let (status, ..) = web
            .get("/report/html/sale.report_saleorder/999999", Some(&session))
            .await;
        assert_eq!(status, 500, "19 fails on a missing record");
        let (status, ..) = web
            .get("/report/html/sale.report_nosuch/1", Some(&session))
            .await;
        assert_eq!(status, 500);
        let (status, _, page) = web
            .get("/report/html/sale.report_saleorder/abc", Some(&session))
            .await;
        assert!(status == 200 && !page.contains("<h2>"), "{page}");

        let (status, content_type, page) = web
            .get("/report/pdf/sale.report_saleorder/1", Some(&session))
            .await;
        assert_eq!(
            (status, content_type.as_str()),
            (422, "text/html;charset=utf-8")
        );
        assert!(
            page.contains(&format!("<pre>{NO_WKHTMLTOPDF}</pre>")),
            "{page}"
        );
    }

    #[tokio::test]
    async fn without_a_session_the_report_redirects_to_the_login() {
        let web = Web::start(OdooVersion::V18).await;
        let expected = "/web/login?redirect=%2Freport%2Fhtml%2Fsale.report_saleorder%2F1%3F";
        let (status, content_type, location) =
            web.get("/report/html/sale.report_saleorder/1", None).await;
        assert_eq!(
            (status, content_type.as_str(), location.as_str()),
            (303, "text/html; charset=utf-8", expected)
        );
        let (status, ..) = web
            .get("/report/pdf/sale.report_saleorder/1", Some("bogus"))
            .await;
        assert_eq!(status, 303);

        // A signed-out session is gone; signing out again is a SessionExpired error.
        let session = web.sign_in().await;
        let (status, ..) = web
            .get("/report/pdf/sale.report_saleorder/1", Some(&session))
            .await;
        assert_eq!(status, 400, "18 answers 400 for a PDF it cannot make");
        let (status, ..) = web
            .get("/report/html/sale.report_saleorder/999999", Some(&session))
            .await;
        assert_eq!(status, 400, "18 answers a missing record with 400");
        let destroyed = web
            .post("/web/session/destroy", Some(&session), json!({}))
            .await;
        assert!(destroyed.headers().contains_key("set-cookie"));
        let body: Value = destroyed.json().await.unwrap();
        assert_eq!(body, json!({"jsonrpc": "2.0", "id": 5}));
        let (status, _, location) = web
            .get("/report/html/sale.report_saleorder/1", Some(&session))
            .await;
        assert_eq!((status, location.as_str()), (303, expected));
        let again = web
            .post("/web/session/destroy", Some(&session), json!({}))
            .await;
        let body: Value = again.json().await.unwrap();
        assert_eq!(body["error"]["code"], 100, "{body}");
    }
}
