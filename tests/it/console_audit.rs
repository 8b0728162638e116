//! The Audit log page over HTTP: real MCP requests make the entries, then the list, every filter,
//! group by, the detail view, MCP User scoping, validation (422) and the absence of any way to
//! change an entry. The grouping and scoping SQL also runs on SQLite and PostgreSQL directly.

use odoo_mcp_gateway::clock::{DAY_MS, MINUTE_MS};
use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::settings::ServerSettings;
use reqwest::StatusCode;
use serde_json::json;

use crate::console::{Console, Page, console_app, element_text};
use crate::helpers::{TestApp, error_text, ok_result};

const LIST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
/// Shaped like one of our keys, but unknown: a 401.
const BOGUS_KEY: &str = "omg_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The connections of the seeded log, and the entry ids in the order the requests were made.
pub struct Seeded {
    pub admin_conn: i64,
    pub demo_conn: i64,
    pub read_only_conn: i64,
    pub keys: Vec<String>,
    /// `tools/list` by demo, before payload logging was on (one day before the rest).
    pub listed: i64,
    /// admin's `search_records` on res.partner, with payloads.
    pub searched: i64,
    /// demo's `search_records` on ir.config_parameter: Odoo's AccessError.
    pub failed: i64,
    /// demo's Read Only key calling `delete_record`.
    pub denied: i64,
    /// An unknown key: 401, no connection.
    pub unauthenticated: i64,
    pub rate_ok: i64,
    pub rate_limited: i64,
    pub pending: i64,
}

/// Eight entries, one per kind of outcome and more: see [`Seeded`]. The clock moves a minute
/// between requests (a day after the first), so the order is certain.
pub async fn seed(app: &TestApp) -> Seeded {
    let s = &app.state;
    let (demo_conn, demo_key) = app.api_key("demo", Scope::Full).await;
    let (read_only_conn, read_only_key) = app.api_key("demo", Scope::ReadOnly).await;
    let (admin_conn, admin_key) = app.api_key("admin", Scope::Full).await;
    let (limited_conn, limited_key) = app.api_key("admin", Scope::Full).await;
    app.set_policy(limited_conn, |p| {
        p.rate_per_minute = odoo_mcp_gateway::values::Limit::new(1)
    })
    .await;
    let (gated_conn, gated_key) = app.api_key("admin", Scope::Full).await;
    app.set_policy(gated_conn, |p| {
        p.approval_tools = "create_record".parse().unwrap()
    })
    .await;

    let status = |key: &str| {
        let request = app.post(Some(key), LIST);
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(status(&demo_key).await, StatusCode::OK);
    s.clock.advance(DAY_MS);
    s.settings
        .save(
            &s.store,
            &ServerSettings {
                payload_logging: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let found = app
        .call(
            &admin_key,
            "search_records",
            json!({"model": "res.partner", "domain": [["name", "=", &admin_key]], "limit": 2}),
        )
        .await;
    ok_result(&found);
    s.clock.advance(MINUTE_MS);
    let failed = app
        .call(
            &demo_key,
            "search_records",
            json!({"model": "ir.config_parameter"}),
        )
        .await;
    error_text(&failed);
    s.clock.advance(MINUTE_MS);
    let refused = app
        .call(
            &read_only_key,
            "delete_record",
            json!({"model": "res.partner", "ids": [1]}),
        )
        .await;
    assert!(error_text(&refused).contains("Read Only"), "{refused}");
    s.clock.advance(MINUTE_MS);
    assert_eq!(status(BOGUS_KEY).await, StatusCode::UNAUTHORIZED);
    s.clock.advance(MINUTE_MS);
    assert_eq!(status(&limited_key).await, StatusCode::OK);
    assert_eq!(status(&limited_key).await, StatusCode::TOO_MANY_REQUESTS);
    s.clock.advance(MINUTE_MS);
    let gated = app
        .call(
            &gated_key,
            "create_record",
            json!({"model": "res.partner", "values": {"name": "Needs approval"}}),
        )
        .await;
    assert!(gated.to_string().contains("pending"), "{gated}");

    let events = app.audit().await;
    let ids: Vec<i64> = events.iter().rev().map(|e| e.id).collect();
    let outcomes: Vec<&str> = events.iter().rev().map(|e| e.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "success",
            "success",
            "error",
            "denied",
            "denied",
            "success",
            "rate_limited",
            "pending_approval"
        ],
        "{events:?}"
    );
    Seeded {
        admin_conn,
        demo_conn,
        read_only_conn,
        keys: vec![demo_key, read_only_key, admin_key, limited_key, gated_key],
        listed: ids[0],
        searched: ids[1],
        failed: ids[2],
        denied: ids[3],
        unauthenticated: ids[4],
        rate_ok: ids[5],
        rate_limited: ids[6],
        pending: ids[7],
    }
}

/// The entries listed on a page: (id, outcome), top to bottom.
pub fn entries(body: &str) -> Vec<(i64, String)> {
    body.split("<tr class=\"row entry\" data-id=\"")
        .skip(1)
        .map(|rest| {
            let (id, rest) = rest.split_once('"').unwrap();
            let outcome = rest
                .split_once("data-outcome=\"")
                .unwrap()
                .1
                .split('"')
                .next()
                .unwrap();
            (id.parse().unwrap(), outcome.to_owned())
        })
        .collect()
}

fn ids(body: &str) -> Vec<i64> {
    entries(body).into_iter().map(|(id, _)| id).collect()
}

/// The groups shown: (label text, entries).
fn groups(body: &str) -> Vec<(String, i64)> {
    body.split("<tr class=\"row group\">")
        .skip(1)
        .map(|row| {
            let cell = row.split("</td>").next().unwrap();
            let label = strip_tags(cell);
            let count = row
                .split("class=\"num group-count\">")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            (label, count)
        })
        .collect()
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// The link of the group whose label is `label`.
fn group_link(body: &str, label: &str) -> String {
    body.split("<tr class=\"row group\">")
        .skip(1)
        .find(|row| strip_tags(row.split("</td>").next().unwrap()) == label)
        .and_then(|row| row.split("href=\"").nth(1))
        .map(|rest| amp(rest.split('"').next().unwrap()))
        .unwrap_or_else(|| panic!("no group {label}"))
}

/// An attribute value with its `&` unescaped (askama writes `&#38;`).
fn amp(html: &str) -> String {
    html.replace("&#38;", "&").replace("&amp;", "&")
}

async fn ok(c: &Console, path: &str) -> Page {
    let page = c.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    page
}

#[tokio::test]
async fn the_list_shows_every_request_newest_first_with_outcome_badges() {
    let app = console_app().await;
    let s = seed(&app).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let page = ok(&admin, "/console/audit").await;
    let body = &page.body;
    assert!(
        body.contains(r#"<a href="/console/audit" aria-current="page">Audit log</a>"#),
        "the Audit log tab is current"
    );
    assert_eq!(
        entries(body),
        [
            (s.pending, "pending_approval".to_owned()),
            (s.rate_limited, "rate_limited".to_owned()),
            (s.rate_ok, "success".to_owned()),
            (s.unauthenticated, "denied".to_owned()),
            (s.denied, "denied".to_owned()),
            (s.failed, "error".to_owned()),
            (s.searched, "success".to_owned()),
            (s.listed, "success".to_owned()),
        ]
    );
    for badge in [
        r#"<span class="badge badge-success">Success</span>"#,
        r#"<span class="badge badge-error">Error</span>"#,
        r#"<span class="badge badge-denied">Denied</span>"#,
        r#"<span class="badge badge-rate_limited">Rate limited</span>"#,
        r#"<span class="badge badge-pending_approval">Pending approval</span>"#,
    ] {
        assert!(body.contains(badge), "{badge}");
    }
    // One row in full: time, method, tool, model, user, connection link, IP, duration, error.
    let row = body
        .split(&format!("data-id=\"{}\"", s.failed))
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    for part in [
        "2027-01-16 08:01 UTC",
        "<code>tools/call</code>",
        ">search_records<",
        ">ir.config_parameter<",
        ">demo<",
        &format!(
            r#"<a href="/console/connections/{}">test key</a>"#,
            s.demo_conn
        ),
        "<code>127.0.0.1</code>",
        "Odoo refused: You are not allowed to access",
    ] {
        assert!(row.contains(part), "{part} in {row}");
    }
    assert!(
        row.contains(&format!(
            r#"href="/console/audit/{}" class="row-link entry-link""#,
            s.failed
        )),
        "{row}"
    );
    assert!(
        row.contains("…"),
        "a long error is truncated in the list: {row}"
    );
    assert_eq!(
        element_text(body, "total").unwrap(),
        "1–8 of 8 entries, newest first"
    );
    assert!(!body.contains("id=\"older\"") && !body.contains("id=\"newer\""));
    for key in &s.keys {
        assert!(!body.contains(key.as_str()));
    }
}

#[tokio::test]
async fn each_filter_narrows_the_list() {
    let app = console_app().await;
    let s = seed(&app).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let cases: Vec<(String, Vec<i64>)> = vec![
        ("outcome=denied".into(), vec![s.unauthenticated, s.denied]),
        ("outcome=error".into(), vec![s.failed]),
        ("outcome=pending_approval".into(), vec![s.pending]),
        ("tool=search_records".into(), vec![s.failed, s.searched]),
        ("tool=delete_record".into(), vec![s.denied]),
        ("model=ir.config_parameter".into(), vec![s.failed]),
        (
            "model=+res.partner+".into(),
            vec![s.pending, s.denied, s.searched],
        ),
        ("user=demo".into(), vec![s.denied, s.failed, s.listed]),
        (
            "user=admin&outcome=success".into(),
            vec![s.rate_ok, s.searched],
        ),
        (format!("connection={}", s.read_only_conn), vec![s.denied]),
        (
            format!("connection={}", s.demo_conn),
            vec![s.failed, s.listed],
        ),
        ("period=1h".into(), {
            vec![
                s.pending,
                s.rate_limited,
                s.rate_ok,
                s.unauthenticated,
                s.denied,
                s.failed,
                s.searched,
            ]
        }),
        (
            "period=7d&outcome=success".into(),
            vec![s.rate_ok, s.searched, s.listed],
        ),
        // The clock started on 2027-01-15 08:00 UTC; everything else is a day later.
        ("from=2027-01-15&to=2027-01-15".into(), vec![s.listed]),
        (
            "period=custom&from=2027-01-16&outcome=denied".into(),
            vec![s.unauthenticated, s.denied],
        ),
        ("to=2027-01-14".into(), vec![]),
    ];
    for (query, want) in cases {
        let page = ok(&admin, &format!("/console/audit?{query}")).await;
        assert_eq!(ids(&page.body), want, "{query}");
        if want.is_empty() {
            assert!(page.body.contains("No audit entry matches."), "{query}");
        }
    }
    // The filter form shows what is applied.
    let page = ok(&admin, "/console/audit?outcome=denied&tool=delete_record").await;
    assert!(
        page.body
            .contains(r#"<option value="denied" selected>Denied</option>"#)
    );
    assert!(
        page.body
            .contains(r#"<option value="delete_record" selected>delete_record</option>"#)
    );

    // Pages of 50, newest first, with Newer / Older links that keep the filters.
    let (_, key) = app.api_key("admin", Scope::Full).await;
    for _ in 0..55 {
        app.post(Some(&key), LIST).send().await.unwrap();
    }
    app.audit().await;
    let first = ok(&admin, "/console/audit?outcome=success").await;
    assert_eq!(ids(&first.body).len(), 50);
    assert_eq!(
        element_text(&first.body, "total").unwrap(),
        "1–50 of 58 entries, newest first"
    );
    assert!(
        amp(&first.body).contains(r#"href="/console/audit?outcome=success&page=2" id="older""#)
    );
    let second = ok(&admin, "/console/audit?outcome=success&page=2").await;
    assert_eq!(
        ids(&second.body)[5..],
        [s.rate_ok, s.searched, s.listed],
        "the oldest three close the second page"
    );
    assert!(
        second
            .body
            .contains(r#"href="/console/audit?outcome=success" id="newer""#)
    );
    assert!(!second.body.contains("id=\"older\""));
}

#[tokio::test]
async fn group_by_counts_in_sql_and_links_to_the_filtered_list() {
    let app = console_app().await;
    let s = seed(&app).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let page = ok(&admin, "/console/audit?group=outcome").await;
    assert_eq!(
        groups(&page.body),
        [
            ("Success".to_owned(), 3),
            ("Denied".to_owned(), 2),
            ("Error".to_owned(), 1),
            ("Pending approval".to_owned(), 1),
            ("Rate limited".to_owned(), 1),
        ]
    );
    assert_eq!(
        element_text(&page.body, "total").unwrap(),
        "8 entries in 5 groups"
    );
    assert!(
        page.body
            .contains("<th scope=\"col\" class=\"num\">Mean duration (ms)</th>")
    );
    let link = group_link(&page.body, "Denied");
    assert_eq!(link, "/console/audit?outcome=denied");
    assert_eq!(
        ids(&ok(&admin, &link).await.body),
        [s.unauthenticated, s.denied]
    );

    // Grouping applies over the filters, and the group link keeps them.
    let page = ok(&admin, "/console/audit?group=tool&user=demo").await;
    assert_eq!(
        groups(&page.body),
        [
            ("delete_record".to_owned(), 1),
            ("search_records".to_owned(), 1),
            ("No tool (other MCP methods)".to_owned(), 1),
        ]
    );
    let link = group_link(&page.body, "search_records");
    assert_eq!(link, "/console/audit?tool=search_records&user=demo");
    assert_eq!(ids(&ok(&admin, &link).await.body), [s.failed]);

    let page = ok(&admin, "/console/audit?group=connection").await;
    let by_connection = groups(&page.body);
    assert!(
        by_connection.contains(&("No connection (not authenticated)".to_owned(), 1)),
        "{by_connection:?}"
    );
    assert_eq!(by_connection.iter().map(|(_, n)| n).sum::<i64>(), 8);
    let page = ok(&admin, "/console/audit?group=user&period=1h").await;
    assert_eq!(
        groups(&page.body),
        [
            ("admin".to_owned(), 4),
            ("demo".to_owned(), 2),
            ("No user (not authenticated)".to_owned(), 1),
        ]
    );
    let page = ok(&admin, "/console/audit?group=model&outcome=success").await;
    assert_eq!(
        groups(&page.body),
        [("No model".to_owned(), 2), ("res.partner".to_owned(), 1)]
    );
}

#[tokio::test]
async fn the_detail_view_shows_every_field_and_the_payloads_but_never_a_key() {
    let app = console_app().await;
    let s = seed(&app).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let page = ok(
        &admin,
        &format!("/console/audit/{}?outcome=success&page=1", s.searched),
    )
    .await;
    let body = &page.body;
    for (id, want) in [
        ("entry-time", "2027-01-16 08:00:00.000 UTC"),
        ("entry-tool", "search_records"),
        ("entry-model", "res.partner"),
        ("entry-user", "admin"),
        ("entry-outcome", "Success"),
        ("entry-outcome-code", "success"),
    ] {
        assert_eq!(element_text(body, id).as_deref(), Some(want), "{id}");
    }
    assert!(body.contains(&format!(
        r#"<dd id="entry-connection"><a href="/console/connections/{}">test key</a></dd>"#,
        s.admin_conn
    )));
    assert!(body.contains(r#"<dd id="entry-ip"><code>127.0.0.1</code></dd>"#));
    assert!(body.contains(" ms</dd>"));
    assert!(
        body.contains(r#"<a href="/console/audit?outcome=success" id="back">Audit log</a>"#),
        "back to the filtered list"
    );
    // Payloads, pretty-printed and escaped, with the key redacted.
    let request = body
        .split("<pre class=\"payload\" id=\"request-payload\">")
        .nth(1)
        .unwrap()
        .split("</pre>")
        .next()
        .unwrap();
    assert!(request.contains("\n  "), "indented: {request}");
    assert!(
        request.contains("&#34;search_records&#34;")
            || request.contains("&quot;search_records&quot;"),
        "{request}"
    );
    assert!(request.contains("[redacted]"), "{request}");
    assert!(body.contains("<pre class=\"payload\" id=\"response-payload\">"));
    assert!(!body.contains("omg_"), "no key or token anywhere");
    for key in &s.keys {
        assert!(!body.contains(key.as_str()));
    }

    // Before payload logging: a note instead of payloads; an unauthenticated entry.
    let page = ok(&admin, &format!("/console/audit/{}", s.listed)).await;
    assert!(page.body.contains("id=\"request-payload-none\""));
    assert!(page.body.contains(r#"<a href="/console/audit" id="back">"#));
    let page = ok(&admin, &format!("/console/audit/{}", s.unauthenticated)).await;
    assert!(page.body.contains("— (not identified)"));
    assert!(page.body.contains("— (not authenticated)"));
    assert!(!page.body.contains("omg_"));
    let page = ok(&admin, &format!("/console/audit/{}", s.failed)).await;
    assert!(
        element_text(&page.body, "entry-error")
            .unwrap()
            .starts_with("Odoo refused: You are not allowed to access 'System Parameter'")
    );

    for missing in ["/console/audit/999999", "/console/audit/abc"] {
        assert_eq!(admin.get(missing).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn an_mcp_user_sees_only_their_own_entries() {
    let app = console_app().await;
    let s = seed(&app).await;
    let demo = Console::signed_in(&app, "demo", "demo").await;
    let page = ok(&demo, "/console/audit").await;
    assert_eq!(ids(&page.body), [s.denied, s.failed, s.listed]);
    assert!(
        page.body
            .contains(r#"<select id="f-user" name="user" disabled>"#)
    );
    assert!(!page.body.contains(r#"<option value="admin""#));
    assert!(
        !page
            .body
            .contains(&format!(r#"<option value="{}""#, s.admin_conn)),
        "only their connections in the filter"
    );
    // Filters and groups stay within their entries (the SQL is scoped, not the HTML).
    assert_eq!(
        ids(&ok(&demo, "/console/audit?outcome=success").await.body),
        [s.listed]
    );
    assert_eq!(
        ids(&ok(&demo, "/console/audit?outcome=denied").await.body),
        [s.denied],
        "not the unauthenticated request"
    );
    let grouped = ok(&demo, "/console/audit?group=user").await;
    assert_eq!(groups(&grouped.body), [("demo".to_owned(), 3)]);
    let grouped = ok(&demo, "/console/audit?group=outcome").await;
    assert_eq!(grouped.body.matches("<tr class=\"row group\">").count(), 3);

    // Someone else's entry or connection: 404 and 422, never the data.
    for other in [s.searched, s.unauthenticated, s.pending] {
        let page = demo.get(&format!("/console/audit/{other}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "entry {other}");
        assert!(!page.body.contains("search_records"));
    }
    ok(&demo, &format!("/console/audit/{}", s.failed)).await;
    let page = demo.get("/console/audit?user=admin").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        element_text(&page.body, "error-user").unwrap(),
        "You can see only your own entries."
    );
    let page = demo
        .get(&format!("/console/audit?connection={}", s.admin_conn))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(entries(&page.body).is_empty());
    assert_eq!(
        ids(&ok(&demo, "/console/audit?user=demo").await.body),
        [s.denied, s.failed, s.listed]
    );
}

#[tokio::test]
async fn bad_filter_values_get_a_message_and_no_query() {
    let app = console_app().await;
    seed(&app).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    for (query, field, message) in [
        (
            "outcome=exploded",
            "error-outcome",
            "Unknown outcome “exploded”: choose success, error, denied, rate_limited or pending_approval.",
        ),
        (
            "tool=drop_database",
            "error-tool",
            "Unknown tool “drop_database”: choose one of the tool catalog.",
        ),
        (
            "model=res.partner%27%20OR%201%3D1",
            "error-model",
            "“res.partner' OR 1=1” is not a model name: use its technical name, like res.partner.",
        ),
        (
            "user=mallory",
            "error-user",
            "No linked user has the login “mallory”.",
        ),
        (
            "connection=x1",
            "error-connection",
            "No connection “x1” that you can see: choose one from the list.",
        ),
        (
            "period=forever",
            "error-period",
            "Unknown period “forever”: choose one from the list.",
        ),
        (
            "from=2027-02-30",
            "error-from",
            "“2027-02-30” is not a date: From takes a day like 2026-01-31 (UTC).",
        ),
        (
            "from=2027-02-01&to=2027-01-01",
            "error-to",
            "“To” is before “From”.",
        ),
        (
            "group=colour",
            "error-group",
            "Unknown grouping “colour”: group by outcome, tool, model, user or connection.",
        ),
        (
            "page=-1",
            "error-page",
            "“-1” is not a page number (1 to 100000).",
        ),
    ] {
        let page = admin.get(&format!("/console/audit?{query}")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(
            element_text(&page.body, field).as_deref(),
            Some(message),
            "{query}"
        );
        assert!(page.body.contains("id=\"filter-errors\""), "{query}");
        assert!(
            entries(&page.body).is_empty() && !page.body.contains("audit-groups"),
            "{query}: nothing listed"
        );
    }
    // Several at once: each gets its message; the bad text is kept (escaped) in the form.
    let page = admin
        .get("/console/audit?outcome=nope&model=%3Cscript%3E")
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(element_text(&page.body, "error-outcome").is_some());
    assert!(element_text(&page.body, "error-model").is_some());
    assert!(!page.body.contains("<script>"));
    assert!(
        page.body.contains("value=\"&#60;script&#62;\"")
            || page.body.contains("value=\"&lt;script&gt;\"")
    );
}

#[tokio::test]
async fn entries_cannot_be_changed_or_deleted_from_the_console() {
    let app = console_app().await;
    let s = seed(&app).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let before = app.audit().await;
    let csrf = admin.csrf().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = admin.cookie.clone().unwrap();
    for path in [
        "/console/audit".to_owned(),
        format!("/console/audit/{}", s.failed),
    ] {
        for method in [
            reqwest::Method::POST,
            reqwest::Method::DELETE,
            reqwest::Method::PUT,
            reqwest::Method::PATCH,
        ] {
            let response = http
                .request(method.clone(), format!("{}{path}", app.base))
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("csrf={csrf}&outcome=success&error="))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
        }
    }
    assert_eq!(app.audit().await, before, "nothing changed");
    let page = ok(&admin, &format!("/console/audit/{}", s.failed)).await;
    assert!(
        !page
            .body
            .contains("<form method=\"post\" action=\"/console/audit")
    );
    assert!(!page.body.contains("Delete"));
    // And without a session, the pages lead to sign-in.
    let anonymous = Console::new(&app);
    let page = anonymous.get("/console/audit?outcome=error").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/console/login?next=/console/audit%3Foutcome%3Derror")
    );
}

/// The grouping, counting and scoping statements on both engines.
mod store {
    use odoo_mcp_gateway::clock::Millis;
    use odoo_mcp_gateway::store::{
        AuditFilter, AuditGroupBy, AuditRow, AuditViewer, NewConnection, NewOdooUser, Store,
    };

    use crate::store::{on_postgres, on_sqlite};

    const T0: Millis = 1_800_000_000_000;

    async fn case(store: Store) {
        let mut users = Vec::new();
        for login in ["anna", "ben"] {
            let user = store
                .upsert_odoo_user(
                    &NewOdooUser {
                        login,
                        odoo_uid: 7,
                        name: login,
                        protocol: "json2",
                        secret_sealed: b"sealed",
                    },
                    T0,
                )
                .await
                .unwrap();
            let connection = store
                .insert_connection(
                    &NewConnection {
                        kind: odoo_mcp_gateway::connections::Kind::ApiKey,
                        name: login,
                        odoo_user_id: user.id,
                        scope: odoo_mcp_gateway::connections::Scope::Full,
                        key_prefix: "omg_x",
                        key_hash: login.as_bytes(),
                        description: "",
                    },
                    T0,
                )
                .await
                .unwrap();
            users.push((user.id, connection));
        }
        let event = |at: Millis, outcome: &str, login: Option<&str>, c: Option<i64>, ms| AuditRow {
            at,
            method: "tools/call".into(),
            tool: Some("search_records".into()),
            user_login: login.map(str::to_owned),
            connection_id: c,
            outcome: outcome.into(),
            duration_ms: ms,
            ..AuditRow::default()
        };
        let (anna, ben) = (users[0], users[1]);
        store
            .insert_audit_events(&[
                event(T0, "success", Some("anna"), Some(anna.1), 10),
                event(T0 + 1, "error", Some("anna"), Some(anna.1), 20),
                event(T0 + 2, "success", Some("ben"), Some(ben.1), 30),
                event(T0 + 3, "denied", None, None, 1),
                event(T0 + 4, "denied", Some("anna"), None, 2),
            ])
            .await
            .unwrap();
        let all = AuditFilter::default();
        assert_eq!(store.count_audit_events(&all).await.unwrap(), (5, 63));
        let by_outcome = store
            .group_audit_events(&all, AuditGroupBy::Outcome)
            .await
            .unwrap();
        let got: Vec<_> = by_outcome
            .iter()
            .map(|g| (g.group_key.as_deref(), g.entries, g.total_ms))
            .collect();
        assert_eq!(
            got,
            [
                (Some("denied"), 2, 3),
                (Some("success"), 2, 40),
                (Some("error"), 1, 20)
            ]
        );
        let by_connection = store
            .group_audit_events(&all, AuditGroupBy::Connection)
            .await
            .unwrap();
        let got: Vec<_> = by_connection
            .iter()
            .map(|g| (g.group_key.clone(), g.entries))
            .collect();
        assert_eq!(
            got,
            [
                (Some(anna.1.to_string()), 2),
                (None, 2),
                (Some(ben.1.to_string()), 1)
            ]
        );
        // Anna: her connection's entries and her login's entries without a connection.
        let anna_view = AuditFilter {
            viewer: Some(AuditViewer {
                odoo_user_id: anna.0,
                login: "anna".into(),
            }),
            limit: 100,
            ..AuditFilter::default()
        };
        let seen: Vec<Millis> = store
            .list_audit_events(&anna_view)
            .await
            .unwrap()
            .iter()
            .map(|e| e.at - T0)
            .collect();
        assert_eq!(seen, [4, 1, 0]);
        assert_eq!(store.count_audit_events(&anna_view).await.unwrap(), (3, 32));
        let by_user = store
            .group_audit_events(&anna_view, AuditGroupBy::User)
            .await
            .unwrap();
        assert_eq!(by_user.len(), 1);
        assert_eq!(by_user[0].entries, 3);
        let ben_only = AuditFilter {
            user_login: Some("ben".into()),
            limit: 1,
            ..AuditFilter::default()
        };
        let ben_id = store.list_audit_events(&ben_only).await.unwrap()[0].id;
        assert!(
            store
                .get_visible_audit_event(ben_id, anna_view.viewer.as_ref())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .get_visible_audit_event(ben_id, None)
                .await
                .unwrap()
                .is_some()
        );
        let empty = AuditFilter {
            outcome: Some("pending_approval".into()),
            ..AuditFilter::default()
        };
        assert_eq!(store.count_audit_events(&empty).await.unwrap(), (0, 0));
        assert!(
            store
                .group_audit_events(&empty, AuditGroupBy::Model)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouping_counting_and_scoping_on_sqlite() {
        on_sqlite(case).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouping_counting_and_scoping_on_postgres() {
        on_postgres(case).await;
    }
}

/// In Chromium: the page reads well at desktop and phone widths, and filters apply by clicking.
/// Screenshots: target/screenshots/audit-log*.png and audit-entry.png.
mod browser {
    use std::path::PathBuf;

    use crate::console::console_app;
    use crate::console_webdriver::{self, Browser};

    fn shot(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/screenshots")
            .join(name)
    }

    async fn shown(b: &Browser) -> Vec<String> {
        let outcomes = b
            .run("return [...document.querySelectorAll('tr.entry')].map(r => r.dataset.outcome)")
            .await;
        serde_json::from_value(outcomes).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_administrator_filters_groups_and_opens_an_entry() {
        if !console_webdriver::available() {
            return;
        }
        let app = console_app().await;
        let s = super::seed(&app).await;
        let b = Browser::start().await;
        b.sign_in_at(&app.base, "/console/audit", "admin", "admin")
            .await;
        // (At least 8: the browser's own request for /favicon.ico reaches the MCP guard and is
        // logged as an unauthenticated request.)
        assert!(shown(&b).await.len() >= 8);
        let colours = b
            .run("return Object.fromEntries([...document.querySelectorAll('tr.entry .badge')].map(e => ['o_' + e.closest('tr').dataset.outcome, getComputedStyle(e).backgroundColor]))")
            .await;
        assert_eq!(colours["o_success"], "rgb(29, 122, 58)", "green");
        assert_eq!(colours["o_error"], "rgb(180, 35, 24)", "red");
        assert_eq!(colours["o_denied"], "rgb(154, 52, 18)", "dark orange-red");
        assert_eq!(colours["o_rate_limited"], "rgb(240, 165, 0)", "amber");
        assert_eq!(colours["o_pending_approval"], "rgb(29, 78, 216)", "blue");

        // Filter by clicking: Outcome → Error, Apply.
        b.click("#f-outcome option[value='error']").await;
        b.nav("#apply").await;
        assert!(b.url().await.contains("outcome=error"), "{}", b.url().await);
        assert_eq!(shown(&b).await, ["error"]);
        b.screenshot(&shot("audit-log-filtered.png")).await;

        // Back to everything for the main screenshots, at desktop and phone widths.
        b.nav("#reset").await;
        assert!(shown(&b).await.len() >= 8);
        b.screenshot(&shot("audit-log.png")).await;
        let overflow = b
            .run("return document.documentElement.scrollWidth > window.innerWidth")
            .await;
        assert_eq!(overflow, false, "no horizontal scroll at 1280 px");
        let fits = b
            .run("const t = document.querySelector('#audit-entries'); return t.scrollWidth <= t.parentElement.clientWidth")
            .await;
        assert_eq!(fits, true, "every column visible at 1280 px");
        b.set_size(390, 844).await;
        b.goto(&format!("{}/console/audit", app.base)).await;
        b.screenshot(&shot("audit-log-phone.png")).await;
        let overflow = b
            .run("return document.documentElement.scrollWidth > window.innerWidth")
            .await;
        assert_eq!(overflow, false, "no horizontal scroll at 390 px");
        b.run("document.querySelector('#audit-entries').scrollIntoView()")
            .await;
        b.screenshot(&shot("audit-log-phone-entries.png")).await;
        b.set_size(1280, 900).await;

        // Demo's entries grouped by outcome, then a group's link filters the list.
        b.click("#f-user option[value='demo']").await;
        b.click("#f-group option[value='outcome']").await;
        b.nav("#apply").await;
        let groups = b
            .run("return [...document.querySelectorAll('tr.group')].map(r => [r.cells[0].textContent.trim(), Number(r.cells[1].textContent)])")
            .await;
        assert_eq!(
            groups,
            serde_json::json!([["Denied", 1], ["Error", 1], ["Success", 1]])
        );
        b.screenshot(&shot("audit-log-grouped.png")).await;
        b.click_link("row group", "Error").await;
        assert_eq!(shown(&b).await, ["error"]);

        // The entry, and back to the filtered list.
        b.nav("a.entry-link").await;
        assert!(
            b.url()
                .await
                .contains(&format!("/console/audit/{}", s.failed)),
            "{}",
            b.url().await
        );
        assert_eq!(b.text("#entry-outcome").await, "Error");
        b.screenshot(&shot("audit-entry.png")).await;
        b.goto(&format!("{}/console/audit/{}", app.base, s.searched))
            .await;
        assert!(
            b.text("#request-payload")
                .await
                .contains("\"search_records\"")
        );
        b.screenshot(&shot("audit-entry-payloads.png")).await;
        b.nav("#back").await;
        assert!(b.url().await.ends_with("/console/audit"));
        b.quit().await;
    }
}
