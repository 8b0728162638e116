//! The Dashboard in Chromium over entries the gateway wrote itself: real MCP calls over HTTP to
//! the simulator, spread over three days and several hours on the test clock, some refused by
//! Allowed Tools and by the rate limit, one held for approval, one failing. Every chart is
//! photographed (`target/screenshots/dashboard-*.png`), and every number the browser shows —
//! legend totals, each stacked segment, each bar, the slowest tools, the sparklines and a
//! connection's chart — is checked against SQL over `audit_events`, at desktop and phone widths.

use std::collections::BTreeMap;
use std::path::PathBuf;

use odoo_mcp_gateway::clock::{DAY_MS, HOUR_MS, Millis, format_with};
use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::values::Limit;
use serde_json::{Value, json};

use crate::console::console_app;
use crate::console_webdriver::{self, Browser};
use crate::dashboard::{counts, window};
use crate::helpers::TestApp;

fn shot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(name)
}

/// The two connections the traffic went through.
struct Traffic {
    admin_conn: i64,
    demo_conn: i64,
}

const SEARCH: &str = "search_records";

/// Three days of traffic, five hours a day: admin searches more each hour and counts once; demo
/// counts and tries a tool its Allowed Tools leave out. In the last hour demo goes past its rate
/// limit, admin's delete waits for approval, and a search of a model Odoo lacks fails.
async fn traffic(app: &TestApp) -> Traffic {
    let (admin_conn, admin_key) = app.api_key("admin", Scope::Full).await;
    let (demo_conn, demo_key) = app.api_key("demo", Scope::Full).await;
    app.set_policy(demo_conn, |p| {
        p.allowed_tools = "search_records\ncount_records".parse().unwrap();
        p.rate_per_minute = Limit::new(4);
    })
    .await;
    app.set_policy(admin_conn, |p| {
        p.approval_tools = "delete_record".parse().unwrap()
    })
    .await;
    let partners = json!({"model": "res.partner", "limit": 5, "fields": ["name"]});
    let count = json!({"model": "res.partner"});
    for _day in 0..3 {
        for hour in 0..5 {
            for _ in 0..=hour {
                app.call(&admin_key, SEARCH, partners.clone()).await;
            }
            app.call(&admin_key, "count_records", count.clone()).await;
            app.call(&demo_key, "count_records", count.clone()).await;
            let refused = app
                .call(
                    &demo_key,
                    "delete_record",
                    json!({"model": "res.partner", "ids": [41]}),
                )
                .await;
            assert_eq!(refused["result"]["isError"], true, "{refused}");
            app.state.clock.advance(HOUR_MS);
        }
        app.state.clock.advance(DAY_MS - 5 * HOUR_MS);
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "count_records", "arguments": count}})
    .to_string();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            app.post(Some(&demo_key), &body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    let held = app
        .call(
            &admin_key,
            "delete_record",
            json!({"model": "res.partner", "ids": [41]}),
        )
        .await;
    assert_eq!(held["result"]["isError"], false, "{held}");
    let failed = app
        .call(&admin_key, SEARCH, json!({"model": "no.such.model"}))
        .await;
    assert_eq!(failed["result"]["isError"], true, "{failed}");
    app.state.audit.flush().await;
    Traffic {
        admin_conn,
        demo_conn,
    }
}

/// The outcomes' labels, as the legend and the segments' titles print them.
fn label(outcome: &str) -> &str {
    match outcome {
        "success" => "Success",
        "error" => "Error",
        "denied" => "Denied",
        "rate_limited" => "Rate limited",
        "pending_approval" => "Pending approval",
        other => other,
    }
}

fn map(pairs: Vec<(String, i64)>) -> BTreeMap<String, i64> {
    pairs.into_iter().collect()
}

fn from_browser(v: Value) -> BTreeMap<String, i64> {
    serde_json::from_value(v).unwrap()
}

/// Every figure of the dashboard page the browser shows for `period`, against SQL.
async fn check_dashboard(app: &TestApp, b: &Browser, period: &str) {
    let store = &app.state.store;
    let (since, until) = window(app.state.clock.now(), period);
    let by = |column: &str| {
        format!(
            "SELECT {column}, COUNT(*) FROM audit_events
             WHERE at >= $1 AND at < $2 AND {column} IS NOT NULL GROUP BY {column}"
        )
    };

    let outcomes = map(counts(store, &by("outcome"), since, until).await);
    for expected in [
        "success",
        "denied",
        "rate_limited",
        "pending_approval",
        "error",
    ] {
        assert!(
            outcomes.contains_key(expected),
            "{expected} in {outcomes:?}"
        );
    }
    let legend = b
        .run("return Object.fromEntries([...document.querySelectorAll('#requests-legend strong')].map(e => [e.id.slice('total-'.length), Number(e.textContent)]).filter(([, n]) => n > 0))")
        .await;
    assert_eq!(from_browser(legend), outcomes, "legend ({period})");
    let total: i64 = outcomes.values().sum();
    assert_eq!(
        b.text("#total-requests").await,
        total.to_string(),
        "{period}"
    );

    // Each stacked segment's title: "<bucket label>: <count> <outcome>".
    let (span, pattern) = if period == "30d" {
        (DAY_MS, "%d %b")
    } else {
        (HOUR_MS, "%H:%M")
    };
    let per_bucket = counts(
        store,
        &format!(
            "SELECT CAST(at - at % {span} AS TEXT) || ' ' || outcome, COUNT(*) FROM audit_events
             WHERE at >= $1 AND at < $2 GROUP BY at - at % {span}, outcome"
        ),
        since,
        until,
    )
    .await;
    let mut expected: Vec<String> = per_bucket
        .iter()
        .map(|(key, n)| {
            let (bucket, outcome) = key.split_once(' ').unwrap();
            let bucket: Millis = bucket.parse().unwrap();
            format!("{}: {n} {}", format_with(bucket, pattern), label(outcome))
        })
        .collect();
    expected.sort();
    let segments = b
        .run("return [...document.querySelectorAll('#chart-requests rect.seg title')].map(t => t.textContent).sort()")
        .await;
    let mut segments: Vec<String> = serde_json::from_value(segments).unwrap();
    segments.sort();
    assert_eq!(segments, expected, "stacked segments ({period})");

    // Each ranked chart's bars ("label: n"), against a GROUP BY of its column.
    for (chart, column) in [("rules", "rule"), ("tools", "tool"), ("models", "model")] {
        let bars = b
            .run(&format!("return Object.fromEntries([...document.querySelectorAll('#chart-{chart} rect.bar title')].map(t => {{ const i = t.textContent.lastIndexOf(': '); return [t.textContent.slice(0, i), Number(t.textContent.slice(i + 2))]; }}))"))
            .await;
        let sql = map(counts(store, &by(column), since, until).await);
        assert!(!sql.is_empty(), "{column} ({period})");
        assert_eq!(from_browser(bars), sql, "{chart} ({period})");
    }
    let calls = b
        .run("return Object.fromEntries([...document.querySelectorAll('#slow-table td[data-calls]')].map(e => [e.dataset.calls, Number(e.textContent)]))")
        .await;
    let tools = map(
        counts(
            store,
            "SELECT tool, COUNT(*) FROM audit_events
             WHERE at >= $1 AND at < $2 AND tool IS NOT NULL AND duration_ms IS NOT NULL GROUP BY tool",
            since,
            until,
        )
        .await,
    );
    assert_eq!(from_browser(calls), tools, "slowest tools ({period})");
    assert_eq!(b.text("#pending-approvals").await, "1");
    assert_eq!(b.text("#status-connected").await, "2");
}

/// At the window's width: no horizontal scroll, and every chart drawn inside its card with room.
async fn fits(b: &Browser, width: u32) {
    let overflow = b
        .run("return document.documentElement.scrollWidth > window.innerWidth")
        .await;
    if overflow == true {
        let wide = b
            .run("return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className.baseVal + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + '/' + window.innerWidth)")
            .await;
        b.screenshot(&shot(&format!("dashboard-overflow-{width}.png")))
            .await;
        panic!("horizontal scroll at {width} px: {wide}");
    }
    let charts = b
        .run("return [...document.querySelectorAll('svg.chart')].map(s => { const r = s.getBoundingClientRect(), c = s.closest('.card').getBoundingClientRect(); return [s.closest('section').id, r.width > 200 && r.height > 40 && r.left >= c.left && r.right <= c.right + 0.5]; })")
        .await;
    let charts: Vec<(String, bool)> = serde_json::from_value(charts).unwrap();
    assert_eq!(charts.len(), 5, "{charts:?}");
    for (id, ok) in charts {
        assert!(ok, "{id} is drawn inside its card at {width} px");
    }
    // Every label and figure reads at 10 px or more once the viewBox is scaled to the card.
    let smallest = b
        .run("return Math.min(...[...document.querySelectorAll('svg.chart text')].map(t => { const s = t.ownerSVGElement; return parseFloat(getComputedStyle(t).fontSize) * s.getBoundingClientRect().width / s.viewBox.baseVal.width; }))")
        .await;
    let smallest = smallest.as_f64().unwrap();
    assert!(
        (10.0..16.0).contains(&smallest),
        "the smallest chart text is {smallest:.1} px at {width} px"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_chart_is_photographed_with_real_traffic_and_its_numbers_equal_sql() {
    if !console_webdriver::available() {
        return;
    }
    let app = console_app().await;
    let t = traffic(&app).await;
    let b = Browser::start().await;
    b.sign_in_at(&app.base, "/console", "admin", "admin").await;

    check_dashboard(&app, &b, "24h").await;
    fits(&b, 1280).await;
    b.screenshot(&shot("dashboard.png")).await;
    for chart in ["requests", "rules", "tools", "models", "slow"] {
        b.screenshot_of(
            &format!("#chart-{chart}"),
            &shot(&format!("dashboard-{chart}.png")),
        )
        .await;
    }
    b.screenshot_of("#dash-approvals", &shot("dashboard-approvals.png"))
        .await;
    b.screenshot_of("#dash-connections", &shot("dashboard-connections.png"))
        .await;

    b.nav("#period-30d").await;
    assert!(b.url().await.ends_with("period=30d"), "{}", b.url().await);
    check_dashboard(&app, &b, "30d").await;
    b.screenshot_of("#chart-requests", &shot("dashboard-requests-30d.png"))
        .await;

    // A phone: one column, every chart scaled into its card.
    b.set_size(390, 844).await;
    b.goto(&format!("{}/console", app.base)).await;
    fits(&b, 390).await;
    check_dashboard(&app, &b, "24h").await;
    b.screenshot(&shot("dashboard-phone.png")).await;
    b.screenshot_of("#chart-tools", &shot("dashboard-phone-tools.png"))
        .await;
    b.set_size(1280, 900).await;

    // The Connections list's sparklines and each connection's 30-day chart.
    let (since, until) = window(app.state.clock.now(), "30d");
    let per = map(counts(
        &app.state.store,
        "SELECT CAST(connection_id AS TEXT), COUNT(*) FROM audit_events
             WHERE at >= $1 AND at < $2 AND connection_id IS NOT NULL GROUP BY connection_id",
        since,
        until,
    )
    .await);
    b.goto(&format!("{}/console/connections", app.base)).await;
    let sparks = b
        .run("return Object.fromEntries([...document.querySelectorAll('tr.row')].map(r => [r.dataset.id, Number(r.querySelector('svg.spark').getAttribute('aria-label').split(' ')[0])]))")
        .await;
    assert_eq!(from_browser(sparks), per);
    b.screenshot_of("#connections", &shot("dashboard-sparklines.png"))
        .await;
    for (id, name) in [(t.admin_conn, "admin"), (t.demo_conn, "demo")] {
        b.goto(&format!("{}/console/connections/{id}", app.base))
            .await;
        assert_eq!(
            b.text("#activity-total").await,
            per[&id.to_string()].to_string()
        );
        let days = b
            .run("return [...document.querySelectorAll('#connection-activity rect.seg title')].map(t => Number(t.textContent.split(': ')[1].split(' ')[0])).reduce((a, n) => a + n, 0)")
            .await;
        assert_eq!(
            days,
            json!(per[&id.to_string()]),
            "connection {id}'s segments"
        );
        b.screenshot_of(
            "#connection-activity",
            &shot(&format!("dashboard-connection-{name}.png")),
        )
        .await;
    }
    b.quit().await;
}
