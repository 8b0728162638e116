//! The real-Odoo mode (`BENCH_REAL_ODOO=18,19`, described in the bench's header): the gateway
//! in front of a real Odoo started by the `real-odoo` tool, `search_records` through the gateway
//! against the same `search_read` sent straight to Odoo and through a relay with nothing in
//! between, in rounds of single requests at c=1 and alternating slices at the high level.

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::{
    Check, Children, Opts, Results, Target, Workload, client, create_key, env_u64, in_rounds,
    interleaved, link_demo, load, median_difference, print_preamble, relay, report, rss_kb,
    start_gateway, temp_data_dir, validate, wait_healthy,
};

/// Aims of the performance issue on real Odoo: at most 0.3 ms added to the median at c=1, and
/// at least 95 % of the direct throughput at the high level.
const AIM_ADDED_P50_US: f64 = 300.0;
const AIM_RATIO: f64 = 0.95;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// `/jsonrpc` `execute_kw`, demo linked with its password.
    JsonRpc,
    /// `/json/2/<model>/<method>`, demo linked with its Odoo API key (Odoo 19+).
    Json2,
}

/// One way of running the gateway in front of a real Odoo.
#[derive(Clone, Copy)]
struct Setup {
    version: u32,
    protocol: Protocol,
}

impl Setup {
    fn label(self) -> String {
        let protocol = match self.protocol {
            Protocol::JsonRpc => "JSON-RPC",
            Protocol::Json2 => "JSON-2",
        };
        format!("Odoo {} {protocol}", self.version)
    }

    fn protocol_flag(self) -> &'static str {
        match self.protocol {
            Protocol::JsonRpc => "jsonrpc",
            Protocol::Json2 => "json2",
        }
    }
}

/// `18` → JSON-RPC; `19` (JSON-2 exists from 19 on) → JSON-RPC and JSON-2; `19:json2` or
/// `19:jsonrpc` → just that one.
fn setups(spec: &str) -> Result<Vec<Setup>> {
    let mut setups = Vec::new();
    for word in spec.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let (version, protocol) = word.split_once(':').unwrap_or((word, ""));
        let version: u32 = version
            .parse()
            .with_context(|| format!("BENCH_REAL_ODOO: {word:?} is not an Odoo version"))?;
        let protocols: &[Protocol] = match (protocol, version >= 19) {
            ("", true) => &[Protocol::JsonRpc, Protocol::Json2],
            ("" | "jsonrpc", _) => &[Protocol::JsonRpc],
            ("json2", true) => &[Protocol::Json2],
            _ => bail!("BENCH_REAL_ODOO: {word:?}: use 18, 19, 19:jsonrpc or 19:json2"),
        };
        setups.extend(
            protocols
                .iter()
                .map(|&protocol| Setup { version, protocol }),
        );
    }
    Ok(setups)
}

/// The running Odoo of one version and its demo user, as `real-odoo env` prints them.
struct Odoo {
    url: String,
    db: String,
    uid: i64,
    password: String,
    api_key: String,
}

/// The `real-odoo` tool: `REAL_ODOO`, else `../shared/real-odoo/real-odoo` beside the checkout
/// (as for the real-Odoo test suite).
fn discover(version: u32) -> Result<Odoo> {
    let tool = std::env::var("REAL_ODOO").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/real-odoo/real-odoo").into()
    });
    let out = Command::new(&tool)
        .args(["env", &version.to_string()])
        .output()
        .with_context(|| format!("running {tool} env {version}"))?;
    anyhow::ensure!(
        out.status.success(),
        "`{tool} env {version}` failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let text = String::from_utf8(out.stdout)?;
    let vars: HashMap<&str, &str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| (k, v.trim_matches(['\'', '"'])))
        .collect();
    let var = |k: &str| -> Result<String> {
        Ok(vars
            .get(k)
            .with_context(|| format!("`real-odoo env {version}` printed no {k}"))?
            .to_string())
    };
    Ok(Odoo {
        url: var("ODOO_URL")?,
        db: var("ODOO_DB")?,
        uid: var("ODOO_DEMO_UID")?.parse().context("ODOO_DEMO_UID")?,
        password: var("ODOO_DEMO_PASSWORD")?,
        api_key: var("ODOO_DEMO_APIKEY")?,
    })
}

pub(super) fn main(spec: &str, opts: &Opts) -> Result<()> {
    let setups = setups(spec)?;
    // At the high level a request waits ~1 s in Odoo's queue, and each slice ends by draining
    // the requests in flight: its slices are long.
    let run = Run {
        rounds: env_u64("BENCH_PAIRS", 1000).max(1) as usize,
        high_slice: Duration::from_millis(env_u64("BENCH_SLICE_HIGH_MS", 5000).max(1)),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!(
        "\nodoo-mcp-gateway on real Odoo: at c=1 {} rounds of single requests, direct, relayed \
         and through the gateway, in an order that changes each round; at c={} the three \
         interleaved in slices of {} ms, {} s each; after {} s warm-up each",
        run.rounds,
        opts.high,
        run.high_slice.as_millis(),
        opts.measure.as_secs(),
        opts.warmup.as_secs()
    );
    println!(
        "real Odoo runs with workers 0 (threaded), on the same CPUs as the gateway and this \
         load generator"
    );
    print_preamble();
    let mut results = Results::default();
    let mut targets = Vec::new();
    let mut memory = Vec::new();
    for setup in setups {
        let odoo = discover(setup.version)?;
        // Declared before `children` so it is dropped after the gateway using it is gone.
        let data_dir = temp_data_dir()?;
        let mut children = Children::default();
        let data = data_dir.path().to_str().context("non-UTF-8 temp path")?;
        let flags = [
            "--odoo-url",
            &odoo.url,
            "--odoo-db",
            &odoo.db,
            "--odoo-protocol",
            setup.protocol_flag(),
        ];
        let secret = match setup.protocol {
            Protocol::JsonRpc => &odoo.password,
            Protocol::Json2 => &odoo.api_key,
        };
        link_demo(data, &flags, secret)
            .with_context(|| format!("{}: is it running? (real-odoo start)", setup.label()))?;
        let api_key = create_key(data, "bench")?;
        let (gw_url, gw_pid) = start_gateway(&mut children, data, &flags)?;
        eprintln!("{}: gateway pid {gw_pid}", setup.label());
        let relay_url = relay::start(&mut children, &odoo.url)?;
        let (direct, gateway) = workloads(setup, &odoo, &gw_url, api_key);
        let relayed = relay::relayed(&direct, &odoo.url, &relay_url);
        rt.block_on(async {
            wait_healthy(&gw_url).await?;
            validate(&client(1)?, &[&direct, &relayed, &gateway]).await?;
            measure(
                setup,
                &gw_url,
                [&direct, &relayed, &gateway],
                opts,
                run,
                &mut results,
                &mut targets,
            )
            .await
        })?;
        let (_, hwm) = rss_kb(gw_pid)?;
        memory.push(format!("{} {:.1} MB", setup.label(), hwm as f64 / 1024.0));
    }
    println!("{}", super::loadavg());
    report(
        &results,
        &targets,
        &format!("Gateway VmHWM after load: {}.", memory.join(", ")),
    )
}

/// The direct `search_read` and the gateway's `search_records`, which sends Odoo that same
/// call (`src/calls/tools/read.rs`: domain `[]`, `display_name`, limit 20, offset 0).
fn workloads(setup: Setup, odoo: &Odoo, gw_url: &str, api_key: String) -> (Workload, Workload) {
    let kwargs = json!({"domain": [], "fields": ["display_name"], "limit": 20, "offset": 0});
    let direct = match setup.protocol {
        Protocol::JsonRpc => Workload {
            name: "direct search_read",
            method: reqwest::Method::POST,
            url: format!("{}/jsonrpc", odoo.url),
            bearer: None,
            mcp: false,
            headers: Vec::new(),
            body: Some(
                json!({"jsonrpc": "2.0", "id": 1, "method": "call", "params": {
                    "service": "object", "method": "execute_kw",
                    "args": [odoo.db, odoo.uid, odoo.password, "res.partner", "search_read",
                             [], kwargs]}})
                .to_string(),
            ),
            check: Check::JsonRpcResult,
        },
        Protocol::Json2 => Workload {
            name: "direct search_read",
            method: reqwest::Method::POST,
            url: format!("{}/json/2/res.partner/search_read", odoo.url),
            bearer: Some(odoo.api_key.clone()),
            mcp: false,
            headers: vec![("X-Odoo-Database", odoo.db.clone())],
            body: Some(kwargs.to_string()),
            check: Check::JsonArray,
        },
    };
    let gateway = Workload {
        name: "gw tools/call search_records",
        method: reqwest::Method::POST,
        url: format!("{gw_url}/mcp"),
        bearer: Some(api_key),
        mcp: true,
        headers: Vec::new(),
        body: Some(
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
                "name": "search_records",
                "arguments": {"model": "res.partner", "limit": 20}}})
            .to_string(),
        ),
        check: Check::ToolOk,
    };
    (direct, gateway)
}

/// Measures `direct`, `relayed` (the same call through an HTTP relay with nothing in between,
/// `relay.rs`) and `gateway` request by request at c=1 (`in_rounds`) and interleaved in slices at
/// the high level.
async fn measure(
    setup: Setup,
    gw_url: &str,
    sides: [&Workload; 3],
    opts: &Opts,
    run: Run,
    results: &mut Results,
    targets: &mut Vec<Target>,
) -> Result<()> {
    let label = setup.label();
    let [direct, relayed, gateway] = sides;
    let http = client(1)?;
    for w in sides {
        let _ = load(&http, w, 1, opts.warmup).await;
    }
    let before = tool_seconds(&http, gw_url).await?;
    let ([d1, r1, g1], rounds) = in_rounds(&http, sides, run.rounds).await;
    let after = tool_seconds(&http, gw_url).await?;
    let added = median_difference(&rounds, 0, 2);
    println!(
        "  {label} c=1: over {} rounds, the median per-round difference to direct is {} µs \
         through the relay and {added} µs through the gateway, which is {} µs beyond the relay \
         (p50s {}, {} and {} µs)",
        rounds.len(),
        median_difference(&rounds, 0, 1),
        median_difference(&rounds, 1, 2),
        d1.p50_us,
        r1.p50_us,
        g1.p50_us
    );
    // Where the added time goes, from means (each side's time is its requests' time, one at a
    // time): the gateway's own timer around the tool — governance, the tool and its Odoo
    // request — against the whole call, and against the direct call. Odoo's swings cancel in
    // the first, which both sides of each request contain.
    let calls = after.1 - before.1;
    if calls > 0.0 {
        let tool_ms = (after.0 - before.0) / calls * 1e3;
        let (gw_ms, direct_ms) = (1e3 / g1.rps, 1e3 / d1.rps);
        println!(
            "  {label} c=1: on average {:.3} ms outside the tool (HTTP, guard, key lookup, audit \
             entry, answer) and {:.3} ms in it beyond the direct call (governance, the tool, \
             its own Odoo request)",
            gw_ms - tool_ms,
            tool_ms - direct_ms
        );
    }
    for (w, stats) in [(direct, d1), (relayed, r1), (gateway, g1)] {
        results.push(&format!("{label}: {}", w.name), 1, stats);
    }
    let ([dh, rh, gh], steadiness) = interleaved(sides, opts.high, run.high_slice, opts).await?;
    println!(
        "  {label} c={}: {steadiness}; the relay at {:.2}× direct",
        opts.high,
        rh.rps / dh.rps
    );
    let ratio = gh.rps / dh.rps;
    for (w, stats) in [(direct, dh), (relayed, rh), (gateway, gh)] {
        results.push(&format!("{label}: {}", w.name), opts.high, stats);
    }
    targets.push(Target {
        what: format!("{label}: added p50 at c=1 (median per-round difference)"),
        measured: format!("{:.2} ms", added as f64 / 1000.0),
        goal: "≤ 0.3 ms",
        met: added as f64 <= AIM_ADDED_P50_US,
    });
    targets.push(Target {
        what: format!("{label}: gateway/direct throughput at c={}", opts.high),
        measured: format!("{ratio:.2}×"),
        goal: "≥ 0.95×",
        met: ratio >= AIM_RATIO,
    });
    Ok(())
}

/// How long each level runs: rounds of single requests at c=1 (`BENCH_PAIRS`, the name it had
/// when there were two sides), slices at the high level.
#[derive(Clone, Copy)]
struct Run {
    rounds: usize,
    high_slice: Duration,
}

/// The gateway's `search_records` timer so far: its sum in seconds and its count.
async fn tool_seconds(http: &reqwest::Client, gw_url: &str) -> Result<(f64, f64)> {
    let text = http
        .get(format!("{gw_url}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    let series = |name: &str| {
        let prefix = format!("{name}{{tool=\"search_records\",outcome=\"success\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map_or(Ok(0.0), str::parse::<f64>)
    };
    Ok((
        series("omg_tool_call_seconds_sum")?,
        series("omg_tool_call_seconds_count")?,
    ))
}
