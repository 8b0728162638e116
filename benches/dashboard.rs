//! Benchmark of the Dashboard's aggregates on a million audit entries, on SQLite and on
//! PostgreSQL (`TEST_POSTGRES_URL`; skipped without it).
//!
//! Each engine gets a fresh database (a temporary SQLite file; a temporary PostgreSQL database,
//! dropped at the end) brought up by the gateway's migrations, 5 linked users owning 20 API-key
//! connections, and `BENCH_ROWS` entries (default 1,000,000) spread evenly over the last 30
//! days: skewed tools (12) and models (8), 90 % success, 4 % error, 3 % denied (tools, models or
//! ip rule), 2 % rate limited, 1 % pending approval, log-normal-ish durations. They go through
//! `Store::insert_audit_events` in batches of 512 — the audit writer's own path, which builds
//! the rollups in each batch's transaction — so seeding also measures the writer's cost.
//!
//! Then each dashboard aggregate runs `BENCH_RUNS` times (default 7) and its median is printed
//! beside the 200 ms aim with PASS or MISS: the 24-hour and 30-day views (all four rollup
//! queries each) for an administrator and for an MCP User, the Connections list's sparklines,
//! one connection's 30-day chart; and once, for comparison, the 30-day chart as a plain
//! GROUP BY over `audit_events` (what the rollups replace).
//!
//! Run with `cargo bench --bench dashboard` (`BENCH_ROWS`, `BENCH_RUNS`, `TEST_POSTGRES_URL`).

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use odoo_mcp_gateway::clock::{Clock, DAY_MS, Millis};
use odoo_mcp_gateway::connections::{Kind, Scope};
use odoo_mcp_gateway::console::dashboard::{self, view::Period};
use odoo_mcp_gateway::store::rollup::{Dim, RollupQuery};
use odoo_mcp_gateway::store::{AuditRow, NewConnection, NewOdooUser, Store};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

const AIM: Duration = Duration::from_millis(200);
const BATCH: usize = 512;
const CONNECTIONS: i64 = 20;
const USERS: i64 = 5;
const TOOLS: &[&str] = &[
    "search_records",
    "read_record",
    "count_records",
    "list_models",
    "describe_model",
    "create_record",
    "update_record",
    "read_group",
    "post_message",
    "schedule_activity",
    "delete_record",
    "call_button",
];
const MODELS: &[&str] = &[
    "res.partner",
    "sale.order",
    "account.move",
    "product.product",
    "crm.lead",
    "stock.picking",
    "project.task",
    "hr.employee",
];

/// xorshift64*: reproducible entries without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Index in `0..n`, smaller ones likelier (the min of two draws, squared-ish skew).
    fn skewed(&mut self, n: usize) -> usize {
        let a = self.below(n as u64);
        let b = self.below(n as u64);
        a.min(b) as usize
    }
}

fn entry(rng: &mut Rng, at: Millis, first_connection: i64) -> AuditRow {
    let roll = rng.below(100);
    let (outcome, rule) = match roll {
        0..=89 => ("success", None),
        90..=93 => ("error", None),
        94..=96 => (
            "denied",
            Some(["tools", "models", "ip"][rng.below(3) as usize]),
        ),
        97..=98 => ("rate_limited", Some("rate")),
        _ => ("pending_approval", Some("approval")),
    };
    let refused_early = rule == Some("ip") || rule == Some("rate");
    let tool = (!refused_early).then(|| TOOLS[rng.skewed(TOOLS.len())]);
    let model = tool.map(|_| MODELS[rng.skewed(MODELS.len())]);
    // Mostly tens of milliseconds, a long tail to seconds.
    let duration_ms = (2.0_f64 * 1.9_f64.powi(rng.below(12) as i32)) as i64 + rng.below(5) as i64;
    AuditRow {
        at,
        method: "tools/call".into(),
        tool: tool.map(Into::into),
        model: model.map(Into::into),
        user_login: Some("bench".into()),
        connection_id: Some(first_connection + rng.below(CONNECTIONS as u64) as i64),
        outcome: outcome.into(),
        duration_ms,
        rule: rule.map(Into::into),
        ..AuditRow::default()
    }
}

/// Users and connections, then `rows` entries; returns an MCP User's id and one connection.
async fn seed(store: &Store, rows: usize, now: Millis) -> Result<(i64, i64)> {
    let mut user_ids = Vec::new();
    for u in 0..USERS {
        let login = format!("bench{u}");
        let user = NewOdooUser {
            login: &login,
            odoo_uid: 100 + u,
            name: &login,
            protocol: "jsonrpc",
            secret_sealed: b"sealed",
        };
        user_ids.push(store.upsert_odoo_user(&user, now).await?.id);
    }
    let mut first = None;
    for c in 0..CONNECTIONS {
        let name = format!("bench connection {c}");
        let hash = format!("hash{c}");
        let id = store
            .insert_connection(
                &NewConnection {
                    kind: Kind::ApiKey,
                    name: &name,
                    odoo_user_id: user_ids[(c % USERS) as usize],
                    scope: Scope::Full,
                    key_prefix: "omg_bench",
                    key_hash: hash.as_bytes(),
                    description: "",
                },
                now,
            )
            .await?;
        first.get_or_insert(id);
    }
    let first = first.context("no connection")?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let span = 30 * DAY_MS;
    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..rows {
        // Evenly over the 30 days, oldest first, as a writer appends.
        let at = now - span + (i as i64 * span) / rows as i64;
        batch.push(entry(&mut rng, at, first));
        if batch.len() == BATCH || i + 1 == rows {
            store.insert_audit_events(&batch).await?;
            batch.clear();
        }
    }
    let took = started.elapsed();
    println!(
        "  seeded {rows} entries in {:.1} s ({:.0} entries/s through insert_audit_events)",
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64()
    );
    Ok((user_ids[0], first))
}

/// The median of `runs` timings of `f`.
async fn median<F, Fut>(runs: usize, mut f: F) -> Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn report(engine: &str, what: &str, took: Duration, aimed: bool) {
    let verdict = match (aimed, took <= AIM) {
        (false, _) => "(comparison)",
        (true, true) => "PASS",
        (true, false) => "MISS",
    };
    println!(
        "| {engine} | {what} | {:.1} ms | ≤ {} ms | {verdict} |",
        took.as_secs_f64() * 1000.0,
        AIM.as_millis()
    );
}

async fn measure(engine: &str, store: &Store, rows: usize, runs: usize) -> Result<()> {
    let now = Clock::system().now();
    println!("{engine}:");
    let (user, connection) = seed(store, rows, now).await?;
    let rollup_rows: i64 = match store {
        Store::Sqlite(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_rollup")
                .fetch_one(pool)
                .await?
        }
        Store::Postgres(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_rollup")
                .fetch_one(pool)
                .await?
        }
    };
    println!("  audit_rollup holds {rollup_rows} rows");
    println!("| Engine | Aggregate | Median | Aim | |\n| --- | --- | ---: | ---: | --- |");
    for (period, name) in [(Period::Day, "24 h"), (Period::Month, "30 days")] {
        for (owner, who) in [(None, "administrator"), (Some(user), "MCP User")] {
            let took = median(runs, || async {
                dashboard::figures(store, period, now, owner).await?;
                Ok(())
            })
            .await?;
            report(
                engine,
                &format!("dashboard {name}, {who} (4 queries)"),
                took,
                true,
            );
        }
    }
    let took = median(runs, || async {
        dashboard::activity(store, now, None).await?;
        Ok(())
    })
    .await?;
    report(engine, "Connections list sparklines (30 days)", took, true);
    let (since, until) = Period::Month.range(now);
    let took = median(runs, || async {
        store
            .rollup(&RollupQuery {
                span: Period::Month.span(),
                since,
                until,
                dim: Dim::Outcome,
                owner: None,
                connection: Some(connection),
                by_bucket: true,
                by_connection: false,
            })
            .await?;
        Ok(())
    })
    .await?;
    report(engine, "one connection's 30-day chart", took, true);
    let raw = "SELECT at - (at % 86400000), outcome, COUNT(*) FROM audit_events
               WHERE at >= $1 AND at < $2 GROUP BY at - (at % 86400000), outcome";
    let took = median(1, || async {
        match store {
            Store::Sqlite(pool) => sqlx::query(AssertSqlSafe(raw))
                .bind(since)
                .bind(until)
                .fetch_all(pool)
                .await
                .map(drop)?,
            Store::Postgres(pool) => sqlx::query(AssertSqlSafe(raw))
                .bind(since)
                .bind(until)
                .fetch_all(pool)
                .await
                .map(drop)?,
        }
        Ok(())
    })
    .await?;
    report(
        engine,
        "30-day chart as GROUP BY over audit_events",
        took,
        false,
    );
    Ok(())
}

fn env_number(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .with_context(|| format!("{name}={v} is not a number")),
        _ => Ok(default),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let rows = env_number("BENCH_ROWS", 1_000_000)?;
    let runs = env_number("BENCH_RUNS", 7)?.max(1);

    let dir = tempfile::tempdir()?;
    let sqlite = Store::open(None, dir.path()).await?;
    measure("SQLite", &sqlite, rows, runs).await?;
    sqlite.close().await;

    match std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        None => println!("PostgreSQL: skipped (TEST_POSTGRES_URL is not set)"),
        Some(admin_url) => {
            let name = format!("omg_dash_bench_{}", std::process::id());
            let mut admin = PgConnection::connect(&admin_url).await?;
            sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await?;
            let mut url = url::Url::parse(&admin_url)?;
            url.set_path(&format!("/{name}"));
            let result = async {
                let pg = Store::open(Some(url.as_str()), dir.path()).await?;
                measure("PostgreSQL", &pg, rows, runs).await?;
                pg.close().await;
                Ok::<(), anyhow::Error>(())
            }
            .await;
            sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await?;
            result?;
        }
    }
    Ok(())
}
