//! The tamper-evident audit log, on SQLite and on PostgreSQL: entries written by the real
//! server, `audit verify` run as the real binary, and rows edited or deleted with SQL the way
//! someone with database access would; and `audit export` in each format.

use odoo_mcp_gateway::clock::DAY_MS;
use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::jobs;
use odoo_mcp_gateway::odoo::sim::SimOptions;
use odoo_mcp_gateway::store::AuditRow;

use crate::cli::{Run, run_cli};
use crate::helpers::{TestApp, execute_sql};

const LIST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;

on_both_engines!(
    gateway;
    an_intact_log_verifies_and_an_edited_entry_is_named,
    a_deleted_entry_is_named_as_missing,
    retention_keeps_the_chain_verifiable_but_other_deletes_still_show,
    retention_runs_while_the_writer_commits,
    two_writers_keep_two_chains_that_both_verify,
    export_writes_jsonl_oldest_first_within_the_window,
    export_writes_cef_lines,
);

async fn gateway(database_url: Option<&str>) -> Gateway {
    Gateway::start(database_url).await
}

/// The server, and where `audit verify` finds its database.
struct Gateway {
    app: TestApp,
    database_url: Option<String>,
    key: String,
}

impl Gateway {
    async fn start(database_url: Option<&str>) -> Self {
        let app = TestApp::spawn_on(SimOptions::default(), database_url).await;
        let (_, key) = app.api_key("demo", Scope::Full).await;
        Self {
            app,
            database_url: database_url.map(str::to_owned),
            key,
        }
    }

    /// `n` MCP requests, each one audit entry, committed.
    async fn requests(&self, app: &TestApp, n: usize) {
        for _ in 0..n {
            let status = app
                .post(Some(&self.key), LIST)
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 200);
        }
        app.state.audit.flush().await;
    }

    async fn verify(&self) -> Run {
        self.cli(&["audit", "verify"]).await
    }

    /// The real binary on this gateway's database.
    async fn cli(&self, args: &[&str]) -> Run {
        let mut env = vec![];
        if let Some(url) = &self.database_url {
            env.push(("GATEWAY_DATABASE_URL", url.as_str()));
        }
        run_cli(self.app.data_dir.path(), &env, args, "").await
    }

    /// One statement on the gateway's database, as someone with access to it would run.
    async fn sql(&self, statement: String) {
        execute_sql(&self.app.state.store, &statement).await;
    }

    /// `row` edited with `UPDATE … SET {set}`: `audit verify` names it as altered.
    async fn edit(&self, row: &AuditRow, set: &str) -> Run {
        self.sql(format!(
            "UPDATE audit_events SET {set} WHERE id = {}",
            row.id
        ))
        .await;
        let run = self.verify().await;
        assert_broken(&run, &altered(row));
        run
    }

    /// Every entry, in chain order (writer by writer, each by sequence).
    async fn chained(&self) -> Vec<AuditRow> {
        let mut rows = self.app.audit().await;
        rows.sort_by(|a, b| (&a.writer, a.seq).cmp(&(&b.writer, b.seq)));
        rows
    }
}

fn assert_intact(run: &Run, chains: usize, entries: usize) {
    assert!(run.ok, "verify failed: {}{}", run.stdout, run.stderr);
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let expected = format!(
        "Audit log intact: {}, {} checked.",
        plural(chains, "chain", "chains"),
        plural(entries, "entry", "entries")
    );
    assert_eq!(run.stdout.trim(), expected, "{}", run.stderr);
}

fn assert_broken(run: &Run, line: &str) {
    assert!(!run.ok, "verify passed a tampered log: {}", run.stdout);
    assert!(
        run.stdout.lines().any(|l| l == line),
        "expected the line\n  {line}\nin\n{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("the audit log was tampered with"),
        "{}",
        run.stderr
    );
}

/// What `audit verify` says of an edited entry.
fn altered(row: &AuditRow) -> String {
    format!(
        "BROKEN: {} was altered: its hash does not match its content",
        place(row)
    )
}

/// How `audit verify` names an entry.
fn place(row: &AuditRow) -> String {
    format!(
        "entry {} (writer {}, #{}, {})",
        row.id,
        row.writer.as_deref().unwrap(),
        row.seq.unwrap(),
        odoo_mcp_gateway::clock::format_utc_ms(row.at)
    )
}

async fn an_intact_log_verifies_and_an_edited_entry_is_named(g: Gateway) {
    g.requests(&g.app, 5).await;
    let rows = g.chained().await;
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows.iter().map(|r| r.seq.unwrap()).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_intact(&g.verify().await, 1, 5);

    // One column of one entry, changed by hand: that entry is named, not its neighbours.
    let third = &rows[2];
    let run = g.edit(third, "outcome = 'denied'").await;
    assert!(
        run.stdout
            .contains("Audit log NOT intact: 1 chain, 5 entries checked."),
        "{}",
        run.stdout
    );

    // Put back, it verifies again: the hash is over the content, nothing else.
    g.sql(format!(
        "UPDATE audit_events SET outcome = 'success' WHERE id = {}",
        third.id
    ))
    .await;
    assert_intact(&g.verify().await, 1, 5);

    // A payload edited.
    g.edit(&rows[4], "request_payload = '{}'").await;
    g.app.stop().await;
}

async fn a_deleted_entry_is_named_as_missing(g: Gateway) {
    g.requests(&g.app, 5).await;
    let rows = g.chained().await;
    let writer = rows[0].writer.clone().unwrap();
    g.sql(format!(
        "DELETE FROM audit_events WHERE id = {}",
        rows[2].id
    ))
    .await;
    assert_broken(
        &g.verify().await,
        &format!(
            "BROKEN: entry #3 of writer {writer} is missing (deleted), just before {}",
            place(&rows[3])
        ),
    );

    // The oldest entries, deleted without the retention job, are missing too.
    g.sql(format!(
        "DELETE FROM audit_events WHERE id IN ({}, {})",
        rows[0].id, rows[1].id
    ))
    .await;
    assert_broken(
        &g.verify().await,
        &format!(
            "BROKEN: entries #1–#3 of writer {writer} are missing (deleted), just before {}",
            place(&rows[3])
        ),
    );
    g.app.stop().await;
}

async fn retention_keeps_the_chain_verifiable_but_other_deletes_still_show(g: Gateway) {
    g.requests(&g.app, 4).await;
    g.app.state.clock.advance(10 * DAY_MS);
    g.requests(&g.app, 3).await;
    // 95 and 85 days later: the retention (90 days) takes the first four.
    let now = g.app.state.clock.now() + 85 * DAY_MS;
    assert_eq!(jobs::audit_retention(&g.app.state, now).await.unwrap(), 4);
    let rows = g.chained().await;
    assert_eq!(
        rows.iter().map(|r| r.seq.unwrap()).collect::<Vec<_>>(),
        [5, 6, 7]
    );
    assert_intact(&g.verify().await, 1, 3);

    // The writer goes on after the cut; a second cut moves the checkpoint on.
    g.app.state.clock.advance(10 * DAY_MS);
    g.requests(&g.app, 2).await;
    assert_intact(&g.verify().await, 1, 5);
    assert_eq!(
        jobs::audit_retention(&g.app.state, now + 10 * DAY_MS)
            .await
            .unwrap(),
        3
    );
    assert_intact(&g.verify().await, 1, 2);

    // The first entry after the checkpoint, deleted by hand, is missing.
    let rows = g.chained().await;
    g.sql(format!(
        "DELETE FROM audit_events WHERE id = {}",
        rows[0].id
    ))
    .await;
    assert_broken(
        &g.verify().await,
        &format!(
            "BROKEN: entry #8 of writer {} is missing (deleted), just before {}",
            rows[0].writer.as_deref().unwrap(),
            place(&rows[1])
        ),
    );
    g.app.stop().await;
}

/// The retention job reads each chain's cut before it deletes: on SQLite a read-first
/// transaction failed ("database is locked", SQLITE_BUSY_SNAPSHOT) whenever the audit writer
/// committed in between, as it does every few milliseconds under load.
async fn retention_runs_while_the_writer_commits(g: Gateway) {
    let load = async {
        // The server's default rate limit: 60 a minute.
        let sends = (0..60).map(|_| async {
            let sent = g.app.post(Some(&g.key), LIST).send().await.unwrap();
            assert_eq!(sent.status(), 200);
        });
        futures::future::join_all(sends).await;
    };
    let cuts = async {
        let mut deleted = 0;
        for _ in 0..40 {
            let later = g.app.state.clock.now() + 100 * DAY_MS;
            deleted += jobs::audit_retention(&g.app.state, later)
                .await
                .expect("retention beside the writer");
            tokio::task::yield_now().await;
        }
        deleted
    };
    let ((), deleted) = tokio::join!(load, cuts);
    g.app.state.audit.flush().await;
    let left = g.chained().await.len() as u64;
    assert_eq!(deleted + left, 60, "every entry cut or kept, none lost");
    // A chain whose every entry was cut has nothing left to check.
    assert_intact(&g.verify().await, usize::from(left > 0), left as usize);
    g.app.stop().await;
}

async fn two_writers_keep_two_chains_that_both_verify(g: Gateway) {
    let replica = g.app.replica().await;
    // Interleaved, so both writers append to the one table at once.
    futures::join!(g.requests(&g.app, 6), g.requests(&replica, 6));
    let rows = g.chained().await;
    assert_eq!(rows.len(), 12);
    let writers: std::collections::BTreeSet<_> = rows.iter().map(|r| r.writer.clone()).collect();
    assert_eq!(writers.len(), 2, "{writers:?}");
    assert_intact(&g.verify().await, 2, 12);

    // Edited in one chain: that chain is named, the other still verifies.
    let victim = &rows[8];
    let run = g.edit(victim, "duration_ms = duration_ms + 1").await;
    assert_eq!(
        run.stdout
            .lines()
            .filter(|l| l.starts_with("BROKEN"))
            .count(),
        1,
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("tampered with: 1 of 2 chains broken"),
        "{}",
        run.stderr
    );
    replica.stop().await;
    g.app.stop().await;
}

/// The test clock starts at 2027-01-15 08:00 UTC: three entries then, two an hour later.
async fn two_hours(g: &Gateway) -> Vec<AuditRow> {
    g.requests(&g.app, 3).await;
    g.app.state.clock.advance(3_600_000);
    g.requests(&g.app, 2).await;
    let mut rows = g.app.audit().await;
    rows.reverse();
    rows
}

/// `audit export --format FORMAT --since SINCE --until UNTIL`: its lines, after it succeeded.
async fn export(g: &Gateway, format: &str, since: &str, until: &str) -> Vec<String> {
    let args = [
        "audit", "export", "--format", format, "--since", since, "--until", until,
    ];
    let run = g.cli(&args).await;
    assert!(run.ok, "{}", run.stderr);
    run.stdout.lines().map(str::to_owned).collect()
}

async fn export_writes_jsonl_oldest_first_within_the_window(g: Gateway) {
    let rows = two_hours(&g).await;
    // 10:00+01:00 is 09:00 UTC: an empty window.
    let none = export(
        &g,
        "jsonl",
        "2027-01-15T09:00:00Z",
        "2027-01-15T10:00:00+01:00",
    )
    .await;
    assert!(none.is_empty(), "{none:?}");

    let all = export(&g, "jsonl", "30d", "2027-01-15T09:00:00.001Z").await;
    let lines: Vec<serde_json::Value> = all
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{all:?}");
    for (line, row) in lines.iter().zip(&rows) {
        assert_eq!(line["id"], row.id);
        assert_eq!(line["at"], row.at);
        assert_eq!(line["method"], "tools/list");
        assert_eq!(line["outcome"], "success");
        assert_eq!(line["seq"], row.seq.unwrap());
        assert_eq!(line["writer"], row.writer.as_deref().unwrap());
        assert_eq!(line["hash"].as_str().unwrap().len(), 64);
    }

    let first_hour = export(&g, "jsonl", "2027-01-15T08:00:00Z", "2027-01-15T09:00:00Z").await;
    assert_eq!(first_hour.len(), 3, "{first_hour:?}");

    let bad = g
        .cli(&[
            "audit",
            "export",
            "--format",
            "jsonl",
            "--since",
            "yesterday",
        ])
        .await;
    assert!(!bad.ok && bad.stdout.is_empty());
    assert!(
        bad.stderr.contains("'yesterday' is not a time"),
        "{}",
        bad.stderr
    );
    g.app.stop().await;
}

async fn export_writes_cef_lines(g: Gateway) {
    let rows = two_hours(&g).await;
    let lines = export(&g, "cef", "2027-01-15T09:00:00Z", "2027-01-16T00:00:00Z").await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    for (line, row) in lines.iter().zip(&rows[3..]) {
        let expected = format!(
            "CEF:0|odoo-mcp-gateway|odoo-mcp-gateway|{}|tools/list|tools/list|3|rt={} externalId={} \
             act=tools/list outcome=success cn1Label=duration_ms cn1={} suser=demo src=127.0.0.1 \
             cn2Label=connection_id cn2={}",
            env!("CARGO_PKG_VERSION"),
            row.at,
            row.id,
            row.duration_ms,
            row.connection_id.unwrap()
        );
        assert_eq!(*line, expected);
    }
    g.app.stop().await;
}
