//! The Dashboard over HTTP on both engines: audit entries written through the store's insert
//! path (the audit writer's), then every number on `/console`, the Connections list's
//! sparklines and the connection form's chart compared with SQL over `audit_events` itself;
//! an MCP User sees their own connections only; the rollups equal a GROUP BY over the entries,
//! and the migration's backfill builds the same rollups as the writer.

use odoo_mcp_gateway::clock::{DAY_MS, HOUR_MS, Millis};
use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::jobs;
use odoo_mcp_gateway::store::{AuditRow, Store, rollup};
use reqwest::StatusCode;

use crate::console::{Console, console_app_on};
use crate::helpers::TestApp;

on_both_engines!(
    dashboard_app;
    every_number_on_the_dashboard_equals_sql_over_the_entries,
    an_mcp_user_sees_only_their_own_connections,
    sparklines_and_the_connection_chart_count_each_connection,
    the_rollups_equal_a_group_by_and_the_backfill_builds_the_same,
    a_bad_period_is_refused_and_the_page_keeps_the_csp,
);

/// `admin` as MCP Administrator and `demo` as MCP User, on `database_url`'s engine.
async fn dashboard_app(database_url: Option<&str>) -> TestApp {
    console_app_on(database_url).await
}

/// The connections of the seeded log.
struct Seeded {
    admin_conn: i64,
    demo_conn: i64,
}

/// Entries over 40 days: both connections, refusals with rules, tools with known durations,
/// one without a connection, some older than 30 days. Written in two batches, as the writer
/// would, so rollup rows are added to as well as created.
async fn seed(app: &TestApp) -> Seeded {
    let (admin_conn, _) = app.api_key("admin", Scope::Full).await;
    let (demo_conn, _) = app.api_key("demo", Scope::Full).await;
    let now = app.state.clock.now();
    let entry =
        |ago: Millis, conn: Option<i64>, outcome: &str, tool: Option<&str>, ms: i64| AuditRow {
            at: now - ago,
            method: "tools/call".into(),
            tool: tool.map(Into::into),
            model: tool.map(|_| "res.partner".into()),
            connection_id: conn,
            outcome: outcome.into(),
            duration_ms: ms,
            rule: match outcome {
                "denied" => Some("tools".into()),
                "rate_limited" => Some("rate".into()),
                _ => None,
            },
            ..AuditRow::default()
        };
    let mut rows = Vec::new();
    for i in 0..30 {
        rows.push(entry(
            i * 7 * 60_000,
            Some(admin_conn),
            "success",
            Some("search_records"),
            5 + i,
        ));
    }
    for i in 0..4 {
        rows.push(entry(
            3 * HOUR_MS + i,
            Some(admin_conn),
            "success",
            Some("read_record"),
            700,
        ));
    }
    for ago in [HOUR_MS, 2 * DAY_MS, 5 * DAY_MS] {
        rows.push(entry(
            ago,
            Some(demo_conn),
            "success",
            Some("count_records"),
            30,
        ));
        rows.push(entry(
            ago + 1,
            Some(demo_conn),
            "denied",
            Some("delete_record"),
            2,
        ));
    }
    rows.push(entry(
        10 * HOUR_MS,
        Some(demo_conn),
        "rate_limited",
        None,
        1,
    ));
    rows.push(entry(
        20 * HOUR_MS,
        Some(admin_conn),
        "error",
        Some("search_records"),
        3000,
    ));
    rows.push(entry(2 * HOUR_MS, None, "denied", None, 1));
    rows.push(entry(
        12 * DAY_MS,
        Some(admin_conn),
        "pending_approval",
        Some("create_record"),
        40,
    ));
    rows.push(entry(
        40 * DAY_MS,
        Some(admin_conn),
        "success",
        Some("search_records"),
        9,
    ));
    rows.push(entry(
        40 * DAY_MS,
        Some(demo_conn),
        "success",
        Some("count_records"),
        9,
    ));
    let (first, second) = rows.split_at(rows.len() / 2);
    app.state.store.insert_audit_events(first).await.unwrap();
    app.state.store.insert_audit_events(second).await.unwrap();
    Seeded {
        admin_conn,
        demo_conn,
    }
}

/// `SELECT value, COUNT(*) … GROUP BY` over the entries of the window, as (value, count).
pub async fn counts(store: &Store, sql: &str, since: Millis, until: Millis) -> Vec<(String, i64)> {
    let mut rows: Vec<(String, i64)> = match store {
        Store::Sqlite(pool) => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(since)
            .bind(until)
            .fetch_all(pool)
            .await
            .unwrap(),
        Store::Postgres(pool) => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(since)
            .bind(until)
            .fetch_all(pool)
            .await
            .unwrap(),
    };
    rows.sort();
    rows
}

/// The window of a period, computed here on its own: the 24 hours (or 30 UTC days) ending with
/// the one that holds `now`.
pub fn window(now: Millis, period: &str) -> (Millis, Millis) {
    let (width, n) = if period == "30d" {
        (DAY_MS, 30)
    } else {
        (HOUR_MS, 24)
    };
    let end = now - now % width + width;
    (end - n * width, end)
}

/// The text of the element after `marker` (`id="total-success">`), up to the next `<`.
fn after<'a>(body: &'a str, marker: &str) -> Option<&'a str> {
    let at = body.find(marker)? + marker.len();
    Some(&body[at..at + body[at..].find('<')?])
}

fn number(body: &str, marker: &str) -> i64 {
    after(body, marker)
        .unwrap_or_else(|| panic!("{marker} missing"))
        .trim()
        .parse()
        .unwrap()
}

/// Every outcome total, tool, model and rule figure on `body` against SQL scoped by `scope`
/// (a condition on `audit_events`).
async fn check_page(app: &TestApp, body: &str, period: &str, scope: &str) {
    let store = &app.state.store;
    let (since, until) = window(app.state.clock.now(), period);
    let by = |column: &str| {
        format!(
            "SELECT {column}, COUNT(*) FROM audit_events
             WHERE at >= $1 AND at < $2 AND {column} IS NOT NULL AND {scope} GROUP BY {column}"
        )
    };
    let outcomes = counts(store, &by("outcome"), since, until).await;
    assert!(!outcomes.is_empty(), "the window holds entries");
    let mut total = 0;
    for (outcome, n) in &outcomes {
        assert_eq!(
            number(body, &format!(r#"id="total-{outcome}">"#)),
            *n,
            "{outcome} ({period})"
        );
        total += n;
    }
    assert_eq!(number(body, r#"id="total-requests">"#), total, "{period}");
    for (attr, column) in [
        ("data-tool", "tool"),
        ("data-model", "model"),
        ("data-rule", "rule"),
    ] {
        let expected = counts(store, &by(column), since, until).await;
        for (value, n) in &expected {
            assert_eq!(
                number(body, &format!(r#"{attr}="{value}">"#)),
                *n,
                "{column} {value} ({period})"
            );
        }
        assert_eq!(
            body.matches(&format!("{attr}=")).count(),
            expected.len(),
            "{column} ({period})"
        );
    }
}

async fn every_number_on_the_dashboard_equals_sql_over_the_entries(app: TestApp) {
    let s = seed(&app).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let day = admin.get("/console").await;
    assert_eq!(day.status, StatusCode::OK);
    assert!(day.body.contains(r#"id="period-24h" aria-current="page""#));
    check_page(&app, &day.body, "24h", "1 = 1").await;
    let month = admin.get("/console?period=30d").await;
    assert_eq!(month.status, StatusCode::OK);
    check_page(&app, &month.body, "30d", "1 = 1").await;
    // The 40-day-old entries are outside both windows; the 12-day-old one only in the month's.
    assert_eq!(number(&day.body, r#"id="total-pending_approval">"#), 0);
    assert_eq!(number(&month.body, r#"id="total-pending_approval">"#), 1);

    // p50/p95 from the histogram: search_records' 31 calls today are 5..34 ms and one 3 s error.
    assert!(
        day.body.contains(r#"<th scope="row">read_record</th><td data-calls="read_record">4</td><td>≤ 1 s</td><td>≤ 1 s</td>"#),
        "{}",
        after(&day.body, r#"id="slow-table""#).unwrap_or_default()
    );
    assert!(
        day.body
            .contains(r#"<td data-calls="search_records">31</td><td>≤ 25 ms</td><td>≤ 50 ms</td>"#)
    );
    // The slowest first.
    let slow = &day.body[day.body.find(r#"id="slow-table""#).unwrap()..];
    assert!(slow.find("read_record").unwrap() < slow.find("search_records").unwrap());

    // Connections by status and pending approvals, against the store.
    assert_eq!(
        number(&day.body, r#"id="status-connected">"#),
        0,
        "no request went through MCP"
    );
    assert_eq!(number(&day.body, r#"id="status-awaiting">"#), 2);
    assert_eq!(number(&day.body, r#"id="pending-approvals">"#), 0);
    let _ = (s.admin_conn, s.demo_conn);

    // The rule is on the entry's detail page.
    let denied = app
        .state
        .store
        .list_audit_events(&odoo_mcp_gateway::store::AuditFilter {
            outcome: Some("rate_limited".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(denied.len(), 1);
    let detail = admin.get(&format!("/console/audit/{}", denied[0].id)).await;
    assert_eq!(after(&detail.body, r#"id="entry-rule">"#), Some("rate"));

    // Every chart is an SVG with its title, and the bars carry their numbers as text.
    for id in [
        "chart-requests",
        "chart-rules",
        "chart-tools",
        "chart-models",
        "chart-slow",
    ] {
        let section = &day.body[day.body.find(&format!(r#"id="{id}""#)).unwrap()..];
        let svg = &section[section.find("<svg").unwrap()..section.find("</svg>").unwrap()];
        assert!(svg.contains("<title>"), "{id}");
    }
    assert!(day.body.contains("<title>search_records: 31</title>"));
}

async fn an_mcp_user_sees_only_their_own_connections(app: TestApp) {
    let s = seed(&app).await;
    let demo = Console::signed_in(&app, "demo", "demo").await;
    let scope = format!("connection_id = {}", s.demo_conn);
    for period in ["24h", "30d"] {
        let page = demo.get(&format!("/console?period={period}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Your own connections only."));
        check_page(&app, &page.body, period, &scope).await;
        assert!(
            !page.body.contains("search_records"),
            "admin's tool ({period})"
        );
        assert!(!page.body.contains("read_record"));
    }
    let month = demo.get("/console?period=30d").await;
    // demo: three days with a success and a denial, one rate limit; not the unauthenticated one.
    assert_eq!(number(&month.body, r#"id="total-denied">"#), 3);
    assert_eq!(number(&month.body, r#"data-rule="tools">"#), 3);
    assert_eq!(
        number(&month.body, r#"id="status-awaiting">"#),
        1,
        "their one connection"
    );
    assert_eq!(number(&month.body, r#"id="total-requests">"#), 7);
}

async fn sparklines_and_the_connection_chart_count_each_connection(app: TestApp) {
    let s = seed(&app).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let (since, until) = window(app.state.clock.now(), "30d");
    let per = counts(
        &app.state.store,
        "SELECT CAST(connection_id AS TEXT), COUNT(*) FROM audit_events
         WHERE at >= $1 AND at < $2 AND connection_id IS NOT NULL GROUP BY connection_id",
        since,
        until,
    )
    .await;
    assert_eq!(per.len(), 2);
    let list = admin.get("/console/connections").await;
    assert_eq!(list.status, StatusCode::OK);
    for (id, n) in &per {
        let row = &list.body[list.body.find(&format!(r#"data-id="{id}""#)).unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(
            row.contains(&format!(r#"aria-label="{n} requests in the last 30 days""#)),
            "{row}"
        );
        assert!(row.contains("<polyline points="));
        let form = admin.get(&format!("/console/connections/{id}")).await;
        assert_eq!(
            number(&form.body, r#"id="activity-total">"#),
            *n,
            "connection {id}"
        );
        assert!(
            form.body
                .contains("<title>Requests by outcome, last 30 days</title>")
        );
    }
    // demo's list: their connection only, and its figure.
    let demo = Console::signed_in(&app, "demo", "demo").await;
    let list = demo.get("/console/connections").await;
    assert!(
        !list
            .body
            .contains(&format!(r#"data-id="{}""#, s.admin_conn))
    );
    assert!(list.body.contains(&format!(r#"data-id="{}""#, s.demo_conn)));
}

/// Every (span, dimension) of the rollups as SQL over the entries.
const GROUPED: &str = "SELECT span_ms, bucket, connection_id, dim, value, COUNT(*), CAST(SUM(duration_ms) AS BIGINT) FROM (
    SELECT s.span_ms, e.at - (e.at % s.span_ms) AS bucket, COALESCE(e.connection_id, 0) AS connection_id,
           d.dim, CASE d.dim WHEN 'outcome' THEN e.outcome WHEN 'rule' THEN e.rule
                  WHEN 'tool' THEN e.tool ELSE e.model END AS value,
           e.duration_ms
    FROM audit_events e
    CROSS JOIN (SELECT CAST(3600000 AS BIGINT) AS span_ms UNION ALL SELECT CAST(86400000 AS BIGINT)) s
    CROSS JOIN (SELECT 'outcome' AS dim UNION ALL SELECT 'rule' UNION ALL SELECT 'tool'
                UNION ALL SELECT 'model') d
  ) x WHERE value IS NOT NULL AND value <> ''
  GROUP BY span_ms, bucket, connection_id, dim, value";

type Rolled = Vec<(i64, i64, i64, String, String, i64, i64)>;

async fn all(store: &Store, sql: &str) -> Rolled {
    let mut rows: Rolled = match store {
        Store::Sqlite(pool) => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .unwrap(),
        Store::Postgres(pool) => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .unwrap(),
    };
    rows.sort();
    rows
}

async fn execute(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(pool) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .map(drop),
        Store::Postgres(pool) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .map(drop),
    }
    .unwrap();
}

async fn the_rollups_equal_a_group_by_and_the_backfill_builds_the_same(app: TestApp) {
    seed(&app).await;
    let store = &app.state.store;
    // The jobs' ticker runs the retention step once as the app starts, which may land before or
    // after the seeding and cut the hourly rows of the 12- and 40-day-old entries. Run the same
    // step here, on the test clock that does not move, so the rollups hold exactly what
    // retention keeps whichever way that race went (a second run at the same time cuts nothing).
    let now = app.state.clock.now();
    let retain = || async { jobs::audit_retention(&app.state, now).await.unwrap() };
    retain().await;
    let rolled =
        "SELECT span_ms, bucket, connection_id, dim, value, events, total_ms FROM audit_rollup";
    let written = all(store, rolled).await;
    assert!(written.len() > 20, "{}", written.len());
    let kept = |rows: Rolled| -> Rolled {
        rows.into_iter()
            .filter(|r| r.0 != HOUR_MS || r.1 >= now - rollup::HOURLY_KEPT)
            .collect()
    };
    let grouped = all(store, GROUPED).await;
    assert!(
        grouped
            .iter()
            .any(|r| r.0 == HOUR_MS && r.1 < now - rollup::HOURLY_KEPT),
        "the seed has hourly rows older than retention keeps"
    );
    assert_eq!(written, kept(grouped));

    // The migration's backfill, run on the same entries, builds the same rows and histograms
    // once the same retention cut is applied.
    let histogram = "SELECT span_ms, bucket, connection_id, dim, value, \
        l0 + 10 * l1 + 100 * l2 + 1000 * l3 + 10000 * l4 + 100000 * l5 + 1000000 * l6, \
        l7 + 10 * l8 + 100 * l9 + 1000 * l10 FROM audit_rollup";
    let before = all(store, histogram).await;
    let migration = match store {
        Store::Sqlite(_) => include_str!("../../migrations/sqlite/0026_audit_rollup.sql"),
        Store::Postgres(_) => include_str!("../../migrations/postgres/0026_audit_rollup.sql"),
    };
    let backfill = &migration[migration.find("-- Backfill").unwrap()..];
    execute(store, "DELETE FROM audit_rollup").await;
    execute(store, backfill).await;
    retain().await;
    assert_eq!(all(store, rolled).await, written);
    assert_eq!(all(store, histogram).await, before);
}

async fn a_bad_period_is_refused_and_the_page_keeps_the_csp(app: TestApp) {
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let bad = admin.get("/console?period=7d").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains(r#"unknown period "7d": use 24h or 30d"#),
        "{}",
        bad.body
    );
    let response = reqwest::Client::new()
        .get(format!("{}/console", app.base))
        .header("cookie", admin.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
        "{csp}"
    );
    let body = response.text().await.unwrap();
    assert!(
        !body.contains(" style=") && !body.contains("<script>"),
        "no inline style or script"
    );
    assert_eq!(body.matches("<script").count(), 1, "only app.js");
}
