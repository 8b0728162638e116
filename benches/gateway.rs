//! Load benchmark of the gateway, against the built-in Odoo simulator or a real Odoo.
//!
//! By default it boots `odoo-mcp-gateway simulator` and `odoo-mcp-gateway serve` as child
//! processes on free local ports, links the simulator's `demo` user, creates an API-key
//! connection, then drives each workload for a fixed duration at concurrency 1 and 32:
//!
//! * `direct search_read`: JSON-RPC `execute_kw` straight to the simulator (the baseline);
//! * `relayed search_read`: the same call through a relay with nothing in between
//!   (`benches/gateway/relay.rs`), interleaved with the two around it: the floor of any hop;
//! * `gw tools/call`: `search_records` through the gateway (which uses JSON-RPC too);
//! * `gw tools/list`;
//! * `gw call, no rules` against `gw call, every rule on`: the same call (with a dotted path)
//!   for a connection without governance settings and one with IP lists, allowed tools,
//!   allowed models, Model Operations, Record and Field limits, approvals, the write budget, a
//!   tool limit and its own rate limits — the pipeline's cost, in one run;
//! * a cost ladder at c=32 (`/healthz`, an unknown key on `/mcp`, `ping`) that splits the
//!   gateway's own per-request cost into axum, the guard's key lookup and the rest.
//!
//! The pairs behind a ratio (direct against `tools/call`, `/healthz` against `tools/list`, no
//! rules against every rule) run interleaved, in alternating slices of `BENCH_SLICE_MS`
//! (default 1000): on a shared machine the load drifts by ±50 % within a minute, and figures
//! measured one after the other would carry that drift into their ratio.
//!
//! It prints p50/p99 latency, throughput and failures per workload, the derived figures
//! against their targets, and a markdown table for the README.
//!
//! **Real-Odoo mode** (`benches/gateway/real_odoo.rs`): `BENCH_REAL_ODOO=18`, `19` or `18,19`
//! skips the simulator and measures the gateway in front of the real Odoo that
//! `../shared/real-odoo/real-odoo` (or `$REAL_ODOO`) runs: `real-odoo env N` names its URL,
//! database and the `demo` user's password and API key (start it first with
//! `real-odoo start N`; the workload only reads). One setup per protocol: `18` is JSON-RPC with
//! the password, `19` is JSON-RPC with the password and then JSON-2 with the API key (`19:jsonrpc`
//! or `19:json2` picks one). Each setup gets a fresh data directory, `user link demo` and
//! `serve` with `--odoo-url/--odoo-db/--odoo-protocol`, then measures the pair `direct
//! search_read` (`execute_kw res.partner search_read` with domain `[]`, fields
//! `["display_name"]`, limit 20, offset 0 — what `search_records` sends; on JSON-2 `POST
//! /json/2/res.partner/search_read` with the bearer key) against `gw tools/call search_records
//! {"model": "res.partner", "limit": 20}`, at c=1 and at the high level, from one HTTP client
//! (the same reqwest the gateway uses towards Odoo). A third side, `relayed search_read`, sends
//! the direct call through an HTTP relay with nothing in between (`benches/gateway/relay.rs`:
//! the gateway's stack, axum in and reqwest out, in a process of its own): the floor that any
//! proxy pays on this machine. At c=1 the three go **in rounds of single requests**
//! (`BENCH_PAIRS` rounds, default 1000), the order changing from round to round, and the added
//! latency is the median of the per-round differences: real Odoo's latency swings by
//! milliseconds from one request to the next, so a difference of two medians over separate
//! slices moved by ±5–10 ms from round to round, many times what is measured. At
//! the high level they are **interleaved** in alternating slices (`BENCH_SLICE_HIGH_MS`,
//! default 5000, where requests queue ~1 s in Odoo) until each side has had `BENCH_SECS`
//! (default 20 in this mode). It reports p50/p99 and req/s for each and the aims: added p50
//! (the median per-pair difference) ≤ 0.3 ms at c=1, gateway/direct throughput ≥ 0.95× at the
//! high level.
//!
//! Environment: `BENCH_SECS` (measured seconds per workload, default 5), `BENCH_WARMUP_SECS`
//! (default 1), `BENCH_CONCURRENCY` (the high level, default 32), `BENCH_TMPDIR` (parent of
//! the temporary data directory, default the system temp dir), `BENCH_ONLY` (comma-separated
//! words; run only the workloads whose name contains one; simulator mode), `BENCH_GW_LOG` (the
//! gateway's log filter, default `warn`; e.g. `info` to see each tool call's Odoo time on
//! stderr), `BENCH_REAL_ODOO`, `BENCH_SLICE_MS` (simulator mode), `BENCH_PAIRS`,
//! `BENCH_SLICE_HIGH_MS` and `REAL_ODOO` (above), `BENCH_GATEWAY` (the path of another build of
//! the gateway to measure instead of this one, for before/after runs; the simulator stays this
//! build's).
//!
//! Run with `cargo bench --bench gateway`, or `BENCH_REAL_ODOO=18,19 cargo bench --bench gateway`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

#[path = "gateway/real_odoo.rs"]
mod real_odoo;
#[path = "gateway/relay.rs"]
mod relay;

const BIN: &str = env!("CARGO_BIN_EXE_odoo-mcp-gateway");

/// The gateway measured (`user link`, `connection create` and `serve`): `BENCH_GATEWAY`, else
/// this build's; the simulator is always this build's, so an A/B run changes only the gateway.
fn gateway_bin() -> String {
    std::env::var("BENCH_GATEWAY").unwrap_or_else(|_| BIN.into())
}
const PROTOCOL_VERSION: &str = "2025-06-18";

// Targets: the aims of the performance issue, as ratios within one run where they can be.
const TARGET_ADDED_P50_US: f64 = 150.0;
const TARGET_RATIO_C32: f64 = 0.70;
/// `tools/list` at the high level against `/healthz` (our axum stack's ceiling) there.
const TARGET_LIST_OF_HEALTHZ: f64 = 0.40;
const TARGET_RSS_KB: u64 = 64 * 1024;
/// p99 within this many times p50, for every gateway workload at the high level.
const TARGET_P99_OVER_P50: f64 = 3.0;
/// The governance pipeline should cost less than 10% of the throughput.
const TARGET_RULES_RATIO: f64 = 0.90;

/// Kills and reaps every child on drop, so a panic or an early error never leaves a
/// simulator or gateway running.
#[derive(Default)]
struct Children(Vec<(&'static str, Child)>);

impl Children {
    fn push(&mut self, name: &'static str, child: Child) -> u32 {
        let pid = child.id();
        self.0.push((name, child));
        pid
    }

    /// Starts `command`, a server that prints its URL as its first line: the URL and its pid.
    fn start_announced(
        &mut self,
        name: &'static str,
        command: &mut Command,
    ) -> Result<(String, u32)> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting the {name}"))?;
        let stdout = child.stdout.take().context("stdout")?;
        let pid = self.push(name, child);
        let mut lines = BufReader::new(stdout);
        let mut url = String::new();
        lines.read_line(&mut url)?;
        let url = url.trim().to_owned();
        ensure!(url.starts_with("http://"), "the {name} printed {url:?}");
        // Keep draining its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
        Ok((url, pid))
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for (name, child) in self.0.iter_mut().rev() {
            if let Err(e) = child.kill() {
                eprintln!("could not kill {name} (pid {}): {e}", child.id());
            }
            let _ = child.wait();
        }
    }
}

/// The measuring parameters every mode shares.
struct Opts {
    measure: Duration,
    warmup: Duration,
    /// The high concurrency level.
    high: usize,
}

fn main() -> Result<()> {
    // Under `cargo bench` libtest-style arguments (`--bench`) are passed; none are used.
    let real = std::env::var("BENCH_REAL_ODOO").unwrap_or_default();
    let opts = Opts {
        // The real-Odoo mode's requests are ~10-100x slower: it needs longer runs for as many
        // samples.
        measure: Duration::from_secs(env_u64("BENCH_SECS", if real.is_empty() { 5 } else { 20 })),
        warmup: Duration::from_secs(env_u64("BENCH_WARMUP_SECS", 1)),
        high: env_u64("BENCH_CONCURRENCY", 32) as usize,
    };

    rustls::crypto::ring::default_provider()
        .install_default()
        .map_err(|_| anyhow::anyhow!("a rustls crypto provider was already installed"))?;
    relay::serve_if_asked()?;

    if real.is_empty() {
        simulator_main(&opts)
    } else {
        real_odoo::main(&real, &opts)
    }
}

/// The default mode: the gateway in front of the built-in simulator.
fn simulator_main(opts: &Opts) -> Result<()> {
    // Declared before `children` so it is dropped after the processes using it are gone.
    let data_dir = temp_data_dir()?;
    let mut children = Children::default();
    let data = data_dir.path().to_str().context("non-UTF-8 temp path")?;

    // 1. The simulator.
    let mut sim = Command::new(BIN);
    sim.args([
        "--log-level",
        "warn",
        "simulator",
        "--listen",
        "127.0.0.1:0",
    ])
    .args(["--odoo-version", "19"]);
    let (odoo_url, sim_pid) = children.start_announced("simulator", &mut sim)?;

    // 2. Link demo and create a connection.
    let odoo_flags = ["--odoo-url", &odoo_url, "--odoo-db", "demo"];
    link_demo(data, &odoo_flags, "demo")?;
    let api_key = create_key(data, "bench")?;
    let governed_key = create_key(data, "bench-governed")?;
    govern(data, "bench-governed")?;

    // 3. The gateway on a free port, and a relay to the simulator with nothing in between.
    let (gw_url, gw_pid) = start_gateway(&mut children, data, &odoo_flags)?;
    let relay_url = relay::start(&mut children, &odoo_url)?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(run(
        RunArgs {
            odoo_url,
            relay_url,
            gw_url,
            api_key,
            governed_key,
            gw_pid,
            sim_pid,
        },
        opts,
    ));
    drop(rt);
    drop(children);
    drop(data_dir);
    report
}

/// A fresh data directory for the gateway, under `BENCH_TMPDIR` when set.
fn temp_data_dir() -> Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("omg-bench-");
    Ok(match std::env::var_os("BENCH_TMPDIR") {
        Some(parent) => builder.tempdir_in(parent)?,
        None => builder.tempdir()?,
    })
}

/// `user link demo` with `secret` (a password or an API key) on its standard input.
fn link_demo(data: &str, odoo_flags: &[&str], secret: &str) -> Result<()> {
    let mut link = Command::new(gateway_bin())
        .args(["--log-level", "warn", "user", "link", "demo"])
        .args(["--data-dir", data])
        .args(odoo_flags)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("running user link")?;
    link.stdin
        .take()
        .context("stdin")?
        .write_all(format!("{secret}\n").as_bytes())?;
    let out = link.wait_with_output()?;
    ensure!(out.status.success(), "user link failed: {:?}", out.status);
    Ok(())
}

/// `serve` on a free local port: its base URL and pid.
fn start_gateway(
    children: &mut Children,
    data: &str,
    odoo_flags: &[&str],
) -> Result<(String, u32)> {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let listen = format!("127.0.0.1:{port}");
    let gw_log = std::env::var("BENCH_GW_LOG").unwrap_or_else(|_| "warn".into());
    let gw = Command::new(gateway_bin())
        .args(["--log-level", &gw_log, "serve", "--listen", &listen])
        .args(["--data-dir", data])
        .args(odoo_flags)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the gateway")?;
    let pid = children.push("gateway", gw);
    Ok((format!("http://{listen}"), pid))
}

struct RunArgs {
    odoo_url: String,
    relay_url: String,
    gw_url: String,
    api_key: String,
    governed_key: String,
    gw_pid: u32,
    sim_pid: u32,
}

async fn run(a: RunArgs, opts: &Opts) -> Result<()> {
    wait_healthy(&a.gw_url).await?;

    // The demo user's uid, for the direct baseline.
    let probe = client(1)?;
    let auth: Value = probe
        .post(format!("{}/jsonrpc", a.odoo_url))
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "call", "params": {
            "service": "common", "method": "authenticate",
            "args": ["demo", "demo", "demo", {}]}}),
        )
        .send()
        .await?
        .json()
        .await?;
    let uid = auth["result"]
        .as_i64()
        .with_context(|| format!("authenticate answered {auth}"))?;

    let direct_body = json!({"jsonrpc": "2.0", "id": 1, "method": "call", "params": {
        "service": "object", "method": "execute_kw",
        "args": ["demo", uid, "demo", "res.partner", "search_read", [],
                 {"domain": [], "fields": ["name"], "limit": 5}]}})
    .to_string();
    let call_body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "search_records",
        "arguments": {"model": "res.partner", "fields": ["name"], "limit": 5}}})
    .to_string();
    let list_body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string();
    // The same call for a connection without rules and one with every rule configured: a
    // dotted path in the domain makes the allowed-models check resolve a relation.
    let ruled_body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "search_records",
        "arguments": {"model": "res.partner", "domain": [["country_id.code", "!=", "XX"]],
                      "fields": ["name"], "limit": 5}}})
    .to_string();
    let ping_body = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}).to_string();

    let direct = Workload {
        name: "direct search_read",
        method: reqwest::Method::POST,
        url: format!("{}/jsonrpc", a.odoo_url),
        bearer: None,
        mcp: false,
        headers: Vec::new(),
        body: Some(direct_body),
        check: Check::JsonRpcResult,
    };
    // The floor of any hop: the same call through the relay.
    let relayed = relay::relayed(&direct, &a.odoo_url, &a.relay_url);
    let gw_mcp = format!("{}/mcp", a.gw_url);
    let call = Workload {
        name: "gw tools/call search_records",
        method: reqwest::Method::POST,
        url: gw_mcp.clone(),
        bearer: Some(a.api_key.clone()),
        mcp: true,
        headers: Vec::new(),
        body: Some(call_body),
        check: Check::ToolOk,
    };
    let list = Workload {
        name: "gw tools/list",
        body: Some(list_body),
        check: Check::JsonRpcResult,
        ..call.clone()
    };
    let ping = Workload {
        name: "gw ping (guard + rmcp)",
        body: Some(ping_body.clone()),
        check: Check::JsonRpcResult,
        ..call.clone()
    };
    let bad_key = Workload {
        name: "gw unknown key (401)",
        bearer: Some("omg_bench_not_a_real_key_0000000000000000".into()),
        body: Some(ping_body),
        check: Check::Status(401),
        ..call.clone()
    };
    let plain = Workload {
        name: "gw call, no rules",
        body: Some(ruled_body.clone()),
        ..call.clone()
    };
    let governed = Workload {
        name: "gw call, every rule on",
        bearer: Some(a.governed_key.clone()),
        body: Some(ruled_body),
        ..call.clone()
    };
    let healthz = Workload {
        name: "gw GET /healthz (axum)",
        method: reqwest::Method::GET,
        url: format!("{}/healthz", a.gw_url),
        bearer: None,
        mcp: false,
        headers: Vec::new(),
        body: None,
        check: Check::Status(200),
    };

    validate(
        &probe,
        &[
            &direct, &relayed, &call, &list, &ping, &bad_key, &healthz, &plain, &governed,
        ],
    )
    .await?;

    // The pairs behind a ratio run interleaved (see `interleaved`); the rest one after another.
    let slice = Duration::from_millis(env_u64("BENCH_SLICE_MS", 1000).max(1));
    let plan: Vec<(Vec<&Workload>, usize)> = vec![
        (vec![&direct, &relayed, &call], 1),
        (vec![&direct, &relayed, &call], opts.high),
        (vec![&list], 1),
        (vec![&healthz, &list], opts.high),
        (vec![&bad_key], opts.high),
        (vec![&ping], opts.high),
        (vec![&plain, &governed], opts.high),
    ];
    // `BENCH_ONLY=list,ping` keeps the steps with a workload whose name contains one of the words.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let wanted = |name: &str| {
        only.is_empty()
            || only
                .split(',')
                .any(|word| !word.is_empty() && name.contains(word))
    };
    let plan: Vec<_> = plan
        .into_iter()
        .filter(|(ws, _)| ws.iter().any(|w| wanted(w.name)))
        .collect();
    eprintln!("pids: gateway {} simulator {}", a.gw_pid, a.sim_pid);
    println!(
        "\nodoo-mcp-gateway load benchmark: {} s per workload after {} s warm-up; pairs \
         interleaved in slices of {} ms",
        opts.measure.as_secs(),
        opts.warmup.as_secs(),
        slice.as_millis()
    );
    print_preamble();
    let mut results = Results::default();
    for (ws, c) in plan {
        match ws[..] {
            [w] => {
                let http = client(c)?;
                let _ = load(&http, w, c, opts.warmup).await;
                results.push(w.name, c, load(&http, w, c, opts.measure).await.stats());
            }
            [first, second] => {
                let ([a, b], steadiness) = interleaved([first, second], c, slice, opts).await?;
                results.push(first.name, c, a);
                results.push(second.name, c, b);
                println!("  ({steadiness})");
            }
            [first, second, third] => {
                let sides = [first, second, third];
                let (stats, steadiness) = interleaved(sides, c, slice, opts).await?;
                for (w, s) in sides.into_iter().zip(stats) {
                    results.push(w.name, c, s);
                }
                println!("  ({steadiness})");
            }
            _ => unreachable!("steps are one to three workloads"),
        }
    }
    let rules_ratio = results
        .find(plain.name, opts.high)
        .zip(results.find(governed.name, opts.high))
        .map(|(p, g)| g.rps / p.rps);

    println!("{}", loadavg());
    let (gw_rss, gw_hwm) = rss_kb(a.gw_pid)?;
    let (sim_rss, _) = rss_kb(a.sim_pid)?;
    println!("\ngateway RSS after load: VmRSS {gw_rss} kB, VmHWM {gw_hwm} kB");
    println!("(simulator VmRSS {sim_rss} kB, for reference)");

    // A target whose workloads were filtered out is skipped.
    let mut targets = Vec::new();
    if let (Some(d1), Some(r1), Some(rh), Some(dh)) = (
        results.find(direct.name, 1),
        results.find(relayed.name, 1),
        results.find(relayed.name, opts.high),
        results.find(direct.name, opts.high),
    ) {
        println!(
            "\nthe floor of any hop: a relay with nothing in between adds {} µs to the p50 at c=1 \
             and runs at {:.0} % of direct at c={}",
            r1.p50_us as i64 - d1.p50_us as i64,
            rh.rps / dh.rps * 100.0,
            opts.high
        );
    }
    if let (Some(d1), Some(g1)) = (results.find(direct.name, 1), results.find(call.name, 1)) {
        let added = g1.p50_us as f64 - d1.p50_us as f64;
        targets.push(Target {
            what: "gateway added p50 at c=1".into(),
            measured: format!("{added:.0} µs"),
            goal: "≤ 150 µs",
            met: added <= TARGET_ADDED_P50_US,
        });
    }
    if let (Some(dh), Some(gh)) = (
        results.find(direct.name, opts.high),
        results.find(call.name, opts.high),
    ) {
        let ratio = gh.rps / dh.rps;
        targets.push(Target {
            what: format!("gateway/direct throughput at c={}", opts.high),
            measured: format!("{:.0} %", ratio * 100.0),
            goal: "≥ 70 %",
            met: ratio >= TARGET_RATIO_C32,
        });
    }
    if let (Some(lh), Some(hh)) = (
        results.find(list.name, opts.high),
        results.find(healthz.name, opts.high),
    ) {
        let ratio = lh.rps / hh.rps;
        targets.push(Target {
            what: format!("tools/list / GET /healthz throughput at c={}", opts.high),
            measured: format!("{:.1} % ({:.0} req/s)", ratio * 100.0, lh.rps),
            goal: "≥ 40 %",
            met: ratio >= TARGET_LIST_OF_HEALTHZ,
        });
    }
    let worst_tail = results
        .0
        .iter()
        .filter(|(n, c, _)| n.starts_with("gw ") && *c == opts.high && *n != healthz.name)
        .map(|(_, _, s)| s.p99_us as f64 / (s.p50_us as f64).max(1.0))
        .fold(None, |worst: Option<f64>, r| {
            Some(worst.map_or(r, |w| w.max(r)))
        });
    if let Some(worst) = worst_tail {
        targets.push(Target {
            what: format!("worst p99 / p50 of the gateway at c={}", opts.high),
            measured: format!("{worst:.1}×"),
            goal: "≤ 3×",
            met: worst <= TARGET_P99_OVER_P50,
        });
    }
    if let Some(ratio) = rules_ratio {
        targets.push(Target {
            what: format!("every rule on / no rules, throughput at c={}", opts.high),
            measured: format!("{:.0} %", ratio * 100.0),
            goal: "≥ 90 %",
            met: ratio >= TARGET_RULES_RATIO,
        });
    }
    targets.push(Target {
        what: "gateway RSS after load (VmHWM)".into(),
        measured: format!("{:.1} MB", gw_hwm as f64 / 1024.0),
        goal: "< 64 MB",
        met: gw_hwm < TARGET_RSS_KB,
    });
    report(
        &results,
        &targets,
        &format!(
            "Gateway memory after load: VmRSS {:.1} MB, VmHWM {:.1} MB.",
            gw_rss as f64 / 1024.0,
            gw_hwm as f64 / 1024.0
        ),
    )
}

/// Sends each workload once and checks its answer thoroughly, before measuring anything.
async fn validate(http: &reqwest::Client, workloads: &[&Workload]) -> Result<()> {
    for w in workloads {
        let (status, text) = w
            .send(http, |s, b| (s, String::from_utf8_lossy(b).into_owned()))
            .await?;
        if !w.check.full(status, &text) {
            bail!(
                "{}: unexpected first response {status}: {}",
                w.name,
                shorten(&text)
            );
        }
    }
    Ok(())
}

/// The measured figures of a run, in order: (workload, concurrency, stats).
#[derive(Default)]
struct Results(Vec<(String, usize, Stats)>);

impl Results {
    /// Records one measurement and prints its line of the live table.
    fn push(&mut self, name: &str, c: usize, s: Stats) {
        println!(
            "{:<40} {:>4} {:>9} {:>9} {:>9} {:>10.0} {:>7}{}",
            name,
            c,
            s.requests,
            s.p50_us,
            s.p99_us,
            s.rps,
            s.errors,
            if s.errors > 0 { "  <-- FAILURES" } else { "" }
        );
        self.0.push((name.to_owned(), c, s));
    }

    fn find(&self, name: &str, c: usize) -> Option<&Stats> {
        self.0
            .iter()
            .find(|(n, cc, _)| n == name && *cc == c)
            .map(|(_, _, s)| s)
    }
}

/// One derived figure against its aim.
struct Target {
    what: String,
    measured: String,
    goal: &'static str,
    met: bool,
}

/// The machine, its load and the live table's header.
fn print_preamble() {
    println!("{}", machine());
    println!("{}", loadavg());
    println!();
    println!(
        "{:<40} {:>4} {:>9} {:>9} {:>9} {:>10} {:>7}",
        "workload", "c", "requests", "p50 µs", "p99 µs", "req/s", "errors"
    );
}

/// Prints the targets and the markdown tables for the figures file, then fails when any
/// request failed (the figures are not valid then).
fn report(results: &Results, targets: &[Target], footer: &str) -> Result<()> {
    let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
    let total_errors: u64 = results.0.iter().map(|(_, _, s)| s.errors).sum();
    println!();
    for t in targets {
        println!(
            "{:<5} {:<48} {:>14}   target {}",
            verdict(t.met),
            t.what,
            t.measured,
            t.goal
        );
    }
    if total_errors > 0 {
        println!("\n!!! {total_errors} FAILED REQUESTS: the figures above are NOT valid !!!");
    }

    println!("\n--- markdown ---\n");
    println!("| Workload | c | p50 (µs) | p99 (µs) | req/s | errors |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (name, c, s) in &results.0 {
        println!(
            "| {name} | {c} | {} | {} | {:.0} | {} |",
            s.p50_us, s.p99_us, s.rps, s.errors
        );
    }
    println!();
    println!("| Target | Measured | Goal | |");
    println!("| --- | ---: | --- | --- |");
    for t in targets {
        println!(
            "| {} | {} | {} | {} |",
            t.what,
            t.measured,
            t.goal,
            verdict(t.met)
        );
    }
    println!("\n{footer}");
    if total_errors > 0 {
        bail!("{total_errors} requests failed");
    }
    Ok(())
}

#[derive(Clone)]
struct Workload {
    name: &'static str,
    method: reqwest::Method,
    url: String,
    bearer: Option<String>,
    /// Send the MCP headers (Accept, protocol version).
    mcp: bool,
    /// More headers (e.g. JSON-2's `X-Odoo-Database`).
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
    check: Check,
}

#[derive(Clone, Copy)]
enum Check {
    /// 200 and a JSON-RPC `result` (no `error`).
    JsonRpcResult,
    /// As above, and a tool result with `isError: false`.
    ToolOk,
    /// 200 and a bare JSON array (a JSON-2 `search_read`).
    JsonArray,
    /// Just this status.
    Status(u16),
}

impl Check {
    /// The thorough check, on the first response: parses the whole body.
    fn full(self, status: u16, body: &str) -> bool {
        match self {
            Check::Status(s) => status == s,
            Check::JsonArray => {
                status == 200 && serde_json::from_str::<Value>(body).is_ok_and(|v| v.is_array())
            }
            Check::JsonRpcResult | Check::ToolOk => {
                let Ok(v) = serde_json::from_str::<Value>(json_part(body)) else {
                    return false;
                };
                let ok = status == 200 && v.get("error").is_none() && v.get("result").is_some();
                match self {
                    Check::ToolOk => ok && v["result"]["isError"] == json!(false),
                    _ => ok,
                }
            }
        }
    }

    /// The cheap check used under load (the client shares the CPUs with the servers): the
    /// JSON-RPC envelope's first key after `id` is `result`, and the tool said no error. On
    /// bytes: validating a 76 KB tool list as UTF-8 on every answer cost the load generator
    /// more than the check tells (the first answer is parsed whole).
    fn fast(self, status: u16, body: &[u8]) -> bool {
        let has = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        match self {
            Check::Status(s) => status == s,
            Check::JsonArray => status == 200 && body.first() == Some(&b'['),
            Check::JsonRpcResult | Check::ToolOk => {
                let head = &body[..body.len().min(96)];
                let ok = status == 200 && has(head, b"\"result\"") && !has(head, b"\"error\"");
                match self {
                    Check::ToolOk => ok && has(body, b"\"isError\":false"),
                    _ => ok,
                }
            }
        }
    }
}

/// The JSON of a body that may be an SSE frame (`data: {...}`).
fn json_part(body: &str) -> &str {
    body.lines()
        .find_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .unwrap_or(body)
}

impl Workload {
    /// Sends one request and checks its answer cheaply: its latency in µs, `None` on a failure.
    async fn timed(&self, http: &reqwest::Client) -> Option<u32> {
        let t0 = Instant::now();
        let ok = self
            .send(http, |status, body| self.check.fast(status, body))
            .await
            .unwrap_or(false);
        ok.then(|| t0.elapsed().as_micros().min(u32::MAX as u128) as u32)
    }

    /// Sends one request and hands the status and body to `inspect`.
    async fn send<T>(
        &self,
        http: &reqwest::Client,
        inspect: impl FnOnce(u16, &[u8]) -> T,
    ) -> Result<T> {
        let mut req = http.request(self.method.clone(), &self.url);
        if let Some(key) = &self.bearer {
            req = req.bearer_auth(key);
        }
        if self.mcp {
            req = req
                .header("Accept", "application/json, text/event-stream")
                .header("MCP-Protocol-Version", PROTOCOL_VERSION);
        }
        for (name, value) in &self.headers {
            req = req.header(*name, value);
        }
        if let Some(body) = &self.body {
            req = req
                .header("Content-Type", "application/json")
                .body(body.clone());
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await?;
        Ok(inspect(status, &body))
    }
}

struct Stats {
    requests: u64,
    errors: u64,
    p50_us: u64,
    p99_us: u64,
    rps: f64,
}

/// What one or more load runs of a workload recorded: the successful requests' latencies, the
/// failures and the time spent.
#[derive(Default)]
struct Sample {
    latencies_us: Vec<u32>,
    errors: u64,
    secs: f64,
}

impl Sample {
    /// Adds another run of the same workload (the interleaved slices of one measurement).
    fn merge(&mut self, other: Sample) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        self.secs += other.secs;
    }

    fn stats(mut self) -> Stats {
        self.latencies_us.sort_unstable();
        let ok = self.latencies_us.len();
        Stats {
            requests: ok as u64 + self.errors,
            errors: self.errors,
            p50_us: percentile(&self.latencies_us, 0.50),
            p99_us: percentile(&self.latencies_us, 0.99),
            rps: ok as f64 / self.secs,
        }
    }
}

/// The `p` quantile (0 to 1) of sorted latencies; 0 when there are none.
fn percentile(sorted: &[u32], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    u64::from(sorted[i])
}

/// The order of the sides in round `round`: rotated by one every two rounds and reversed in odd
/// ones, so each side goes first, last and in between as often as the others.
fn order<const N: usize>(round: usize) -> [usize; N] {
    let mut order: [usize; N] = std::array::from_fn(|i| (i + round / 2) % N);
    if round % 2 == 1 {
        order.reverse();
    }
    order
}

/// Measures `sides` at concurrency `c` in alternating slices on one client, the order changing
/// from round to round (`order`), until each has had `opts.measure`: drift in a shared machine's
/// load then hits all alike, and their ratios hold where figures measured one after the other
/// do not. Also says how steady the p50 difference (last − first) was from round to round.
async fn interleaved<const N: usize>(
    sides: [&Workload; N],
    c: usize,
    slice: Duration,
    opts: &Opts,
) -> Result<([Stats; N], String)> {
    let rounds = opts.measure.as_millis().div_ceil(slice.as_millis()).max(1) as usize;
    let http = client(c)?;
    for w in sides {
        let _ = load(&http, w, c, opts.warmup).await;
    }
    let mut samples: [Sample; N] = std::array::from_fn(|_| Sample::default());
    let mut added_per_round = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let mut p50 = [0i64; N];
        for i in order::<N>(round) {
            let mut s = load(&http, sides[i], c, slice).await;
            s.latencies_us.sort_unstable();
            p50[i] = percentile(&s.latencies_us, 0.50) as i64;
            samples[i].merge(s);
        }
        added_per_round.push(p50[N - 1] - p50[0]);
    }
    added_per_round.sort_unstable();
    let steadiness = format!(
        "per-round p50 difference min {} / median {} / max {} µs over {rounds} rounds",
        added_per_round[0],
        added_per_round[rounds / 2],
        added_per_round[rounds - 1]
    );
    Ok((samples.map(Sample::stats), steadiness))
}

/// Measures `sides` at concurrency 1 request by request on `http`: `rounds` rounds of one
/// request each, in an order that changes from round to round (`order`). Returns each side's
/// figures and the rounds in which every request succeeded, their times in µs: in front of a
/// real Odoo, whose latency swings by milliseconds from one request to the next, the median of
/// the per-round differences (`median_difference`) is a far steadier estimate of what one side
/// adds to another than a difference of two medians, each over slices of its own.
async fn in_rounds<const N: usize>(
    http: &reqwest::Client,
    sides: [&Workload; N],
    rounds: usize,
) -> ([Stats; N], Vec<[u32; N]>) {
    let mut samples: [Sample; N] = std::array::from_fn(|_| Sample::default());
    let mut complete = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let mut took = [None; N];
        for side in order::<N>(round) {
            took[side] = sides[side].timed(http).await;
            match took[side] {
                Some(us) => samples[side].latencies_us.push(us),
                None => samples[side].errors += 1,
            }
        }
        if took.iter().all(Option::is_some) {
            complete.push(took.map(Option::unwrap_or_default));
        }
    }
    // Each side's time is its own requests' time (one at a time).
    for s in &mut samples {
        s.secs = s.latencies_us.iter().map(|&us| f64::from(us)).sum::<f64>() / 1e6;
    }
    (samples.map(Sample::stats), complete)
}

/// The median over `rounds` of side `b`'s time minus side `a`'s, in µs.
fn median_difference<const N: usize>(rounds: &[[u32; N]], a: usize, b: usize) -> i64 {
    let mut differences: Vec<i64> = rounds
        .iter()
        .map(|r| i64::from(r[b]) - i64::from(r[a]))
        .collect();
    differences.sort_unstable();
    differences.get(differences.len() / 2).copied().unwrap_or(0)
}

/// Runs `w` from `concurrency` tasks on one client until `duration` has passed (requests in
/// flight then are finished and counted, and so is the time they take).
async fn load(
    http: &reqwest::Client,
    w: &Workload,
    concurrency: usize,
    duration: Duration,
) -> Sample {
    let w = Arc::new(w.clone());
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let http = http.clone();
        let w = Arc::clone(&w);
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::with_capacity(1 << 16);
            let mut errors = 0u64;
            while Instant::now() < deadline {
                match w.timed(&http).await {
                    Some(us) => latencies.push(us),
                    None => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut sample = Sample::default();
    for t in tasks {
        match t.await {
            Ok((l, e)) => {
                sample.latencies_us.extend(l);
                sample.errors += e;
            }
            Err(_) => sample.errors += 1,
        }
    }
    sample.secs = started.elapsed().as_secs_f64();
    sample
}

/// A new API-key connection for `demo`, with rate limits high enough not to refuse the load:
/// the benchmark measures the pipeline, not the (correct) refusal of its load.
fn create_key(data: &str, name: &str) -> Result<String> {
    let out = Command::new(gateway_bin())
        .args(["--log-level", "warn", "connection", "create"])
        .args(["--user", "demo", "--name", name, "--data-dir", data])
        .args([
            "--rate-per-minute",
            "1000000000",
            "--rate-per-day",
            "1000000000",
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("running connection create")?;
    ensure!(out.status.success(), "connection create failed");
    Ok(String::from_utf8(out.stdout)?
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .context("connection create printed nothing")?
        .trim()
        .to_owned())
}

/// Configures every governance rule on the connection `name`, the way the console's form does,
/// so that its requests go through all of them: IP lists, allowed tools, allowed models (with a
/// dotted path to resolve), Model Operations, Record and Field limits, approvals, the write
/// budget, a tool limit (one more counter taken per call) and its own rate limits.
fn govern(data: &str, name: &str) -> Result<()> {
    // In SQL rather than through the store, which would first migrate the data directory to this
    // build's schema: `BENCH_GATEWAY` may be another build. Each value is the text the form
    // writes, and the gateway parses it on every read (the bench's checks would fail first).
    let max = odoo_mcp_gateway::values::Limit::MAX;
    let db = rusqlite::Connection::open(std::path::Path::new(data).join("gateway.db"))?;
    let changed = db.execute(
        "UPDATE connections SET description = 'benchmark: every rule on',
             allowed_ips = ?2, blocked_ips = ?3, allowed_tools = ?4, allowed_models = ?5,
             model_operations = ?6, record_limits = ?7, field_limits = ?8, approval_tools = ?9,
             write_per_minute = ?10, write_per_day = ?10, tool_limits = ?11
         WHERE name = ?1",
        rusqlite::params![
            name,
            "127.0.0.0/8\n::1",
            "10.0.0.0/8\n2001:db8::/32",
            "search_records\nget_record\ncount_records",
            "res.partner\nres.country\nres.company",
            "res.partner: read\nres.company: read",
            "res.partner: [('active', '=', True), ('id', '>', 0)]",
            "res.partner: vat, bank_*\nres.country: *_format",
            "count_records",
            i64::from(max),
            format!("search_records: {max}/minute, {max}/day"),
        ],
    )?;
    ensure!(
        changed == 1,
        "the governed connection: {changed} rows changed"
    );
    Ok(())
}

fn client(concurrency: usize) -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency.max(1) * 2)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()?)
}

async fn wait_healthy(gw_url: &str) -> Result<()> {
    let http = client(1)?;
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(format!("{gw_url}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > until {
            bail!("the gateway did not answer /healthz within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// (VmRSS, VmHWM) in kB from /proc/<pid>/status.
fn rss_kb(pid: u32) -> Result<(u64, u64)> {
    let mut status = String::new();
    std::fs::File::open(format!("/proc/{pid}/status"))?.read_to_string(&mut status)?;
    let field = |name: &str| -> Result<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("{name} missing in /proc/{pid}/status"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("machine: {cpus} CPUs, {model}")
}

/// The machine is shared: say how busy it was, as the figures depend on it.
fn loadavg() -> String {
    let l = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let l: Vec<&str> = l.split_whitespace().take(3).collect();
    format!("load average (1/5/15 min): {}", l.join(" "))
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn shorten(s: &str) -> String {
    if s.len() <= 300 {
        s.to_owned()
    } else {
        let mut end = 300;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    }
}
