//! Two gateway processes on one PostgreSQL database: the rate limit, the write budget,
//! revocation and the master switch hold across replicas; and nothing secret reaches their logs or the audit payloads.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use odoo_mcp_gateway::odoo::sim::{SimOptions, Simulator};
use odoo_mcp_gateway::secrets::Keyring;
use odoo_mcp_gateway::store::{AuditFilter, Store};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::pg::TempDatabase;

const LIST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;

/// One `odoo-mcp-gateway` process, killed when dropped; its stderr is collected.
pub(crate) struct Replica {
    child: Child,
    pub(crate) url: String,
    pub(crate) log: Arc<Mutex<String>>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_odoo-mcp-gateway"))
}

pub(crate) async fn run_cli(args: &[&str], env: &[(&str, &str)], stdin: &str) -> String {
    let mut child = binary()
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) async fn start_replica(env: &[(&str, &str)]) -> Replica {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = binary()
        .args([
            "serve",
            "--listen",
            &listen,
            "--log-format",
            "json",
            "--log-level",
            "debug",
        ])
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let sink = log.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let mut log = sink.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    let url = format!("http://{listen}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while http.get(format!("{url}/healthz")).send().await.is_err() {
        assert!(
            Instant::now() < deadline,
            "replica did not start: {}",
            log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Replica { child, url, log }
}

async fn status(http: &reqwest::Client, replica: &Replica, key: &str) -> u16 {
    http.post(format!("{}/mcp", replica.url))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(LIST)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_rate_limits_revocations_and_the_master_switch() {
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Simulator::spawn(SimOptions::default()).await.unwrap();
    let odoo_key = sim.sim.issue_api_key("demo").unwrap();
    let secret = Keyring::generate_encoded().unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let data_dir = data_dir.path().to_str().unwrap().to_owned();
    let env = [
        ("GATEWAY_DATABASE_URL", database.url.as_str()),
        ("GATEWAY_SECRET_KEY", secret.as_str()),
        ("GATEWAY_DATA_DIR", data_dir.as_str()),
        ("ODOO_URL", sim.url.as_str()),
        ("ODOO_DB", "demo"),
    ];
    run_cli(&["user", "link", "demo"], &env, &format!("{odoo_key}\n")).await;
    let created = run_cli(
        &["connection", "create", "--user", "demo", "--name", "shared"],
        &env,
        "",
    )
    .await;
    let key = created.lines().last().unwrap().trim().to_owned();

    let store = Store::open(Some(&database.url), std::path::Path::new("/nonexistent"))
        .await
        .unwrap();
    store.put_setting("payload_logging", "true").await.unwrap();
    let connection = store.list_connections().await.unwrap().remove(0);
    let mut policy = connection.policy.clone();
    // A day limit: the UTC day cannot roll over during the test the way a minute could.
    policy.rate_per_day = odoo_mcp_gateway::values::Limit::new(6);
    store
        .update_policy(connection.id, "", &policy)
        .await
        .unwrap();

    let a = start_replica(&env).await;
    let b = start_replica(&env).await;
    let http = reqwest::Client::new();

    let requests = (0..14).map(|i| {
        let replica = if i % 2 == 0 { &a } else { &b };
        status(&http, replica, &key)
    });
    let statuses = futures::future::join_all(requests).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        6,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        8,
        "{statuses:?}"
    );

    // The write budget is counted in the same shared table: of ten creates racing on both, four
    // pass.
    policy.rate_per_day = None;
    policy.write_per_day = odoo_mcp_gateway::values::Limit::new(4);
    store
        .update_policy(connection.id, "", &policy)
        .await
        .unwrap();
    let call = |i: i64, arguments: serde_json::Value| {
        let replica = if i % 2 == 0 { &a } else { &b };
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 10 + i, "method": "tools/call",
            "params": {"name": "create_record", "arguments": arguments}});
        http.post(format!("{}/mcp", replica.url))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(body.to_string())
            .send()
    };
    let creates = (0..10).map(|i| async move {
        let arguments = serde_json::json!({"model": "res.partner", "values": {"name": "Budget"}});
        let answer: serde_json::Value = call(i, arguments).await.unwrap().json().await.unwrap();
        answer["result"]["content"][0]["text"]
            .as_str()
            .filter(|_| answer["result"]["isError"] == true)
            .map(str::to_owned)
    });
    let refused: Vec<String> = futures::future::join_all(creates)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(refused.len(), 6, "{refused:?}");
    for text in &refused {
        assert!(
            text.starts_with(
                "Refused by Write budget: this connection may make 4 calls that change data per day (UTC)."
            ),
            "{text}"
        );
    }
    policy.write_per_day = None;
    store
        .update_policy(connection.id, "", &policy)
        .await
        .unwrap();

    // Retry-safe writes hold across replicas: duplicates racing on both create one record,
    // and every caller gets its id.
    let retry = |i: i64| {
        call(
            i,
            serde_json::json!({"model": "res.partner", "values": {"name": "Replica Retry"},
                               "idempotency_key": "replica-k"}),
        )
    };
    let mut ids = Vec::new();
    for answer in futures::future::join_all((0..6).map(retry)).await {
        let answer: serde_json::Value = answer.unwrap().json().await.unwrap();
        ids.push(
            answer["result"]["structuredContent"]["id"]
                .as_i64()
                .expect("an id"),
        );
    }
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    assert!(
        sim.sim.record("res.partner", ids[0] + 1).is_none(),
        "one record was created"
    );
    let call = serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "create_record", "arguments": {"model": "res.partner", "dry_run": true,
        "values": {"name": "Replica Co", "comment": key, "password": "pw-secret-1"}}}});
    let called = http
        .post(format!("{}/mcp", a.url))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(call.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(called.status(), 200);
    assert_eq!(
        (status(&http, &a, &key).await, status(&http, &b, &key).await),
        (200, 200)
    );

    let id = connection.id.to_string();
    run_cli(&["connection", "revoke", &id], &env, "").await;
    assert_eq!(
        (status(&http, &a, &key).await, status(&http, &b, &key).await),
        (401, 401)
    );
    run_cli(&["connection", "reactivate", &id], &env, "").await;
    assert_eq!(
        (status(&http, &a, &key).await, status(&http, &b, &key).await),
        (200, 200)
    );

    // Written behind both replicas' settings caches: refused by both on the very next request.
    store.put_setting("mcp_enabled", "false").await.unwrap();
    assert_eq!(
        (status(&http, &a, &key).await, status(&http, &b, &key).await),
        (503, 503)
    );
    store.put_setting("mcp_enabled", "true").await.unwrap();

    // Graceful stop, so both replicas commit their audit events, then look for secrets.
    for replica in [&a, &b] {
        let pid = replica.child.id().unwrap().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
    }
    let (mut a, mut b) = (a, b);
    for replica in [&mut a, &mut b] {
        tokio::time::timeout(Duration::from_secs(10), replica.child.wait())
            .await
            .unwrap()
            .unwrap();
    }
    let events = store
        .list_audit_events(&AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(events.len() >= 14 + 5, "{} events", events.len());
    assert!(events.iter().any(|e| {
        e.request_payload
            .as_deref()
            .is_some_and(|p| p.contains("Replica Co"))
    }));
    let logs = format!("{}{}", a.log.lock().unwrap(), b.log.lock().unwrap());
    assert!(
        logs.contains("odoo-mcp-gateway serving"),
        "logs were captured"
    );
    let payloads: String = events
        .iter()
        .flat_map(|e| {
            [
                e.request_payload.clone(),
                e.response_payload.clone(),
                e.error.clone(),
            ]
        })
        .flatten()
        .collect();
    for secret_text in [
        key.as_str(),
        odoo_key.as_str(),
        "pw-secret-1",
        secret.as_str(),
    ] {
        if let Some(at) = logs.find(secret_text) {
            let line_start = logs[..at].rfind('\n').map_or(0, |i| i + 1);
            let line_end = logs[at..].find('\n').map_or(logs.len(), |i| at + i);
            panic!(
                "a secret reached the logs: {}",
                logs[line_start..line_end].replace(secret_text, "<SECRET>")
            );
        }
        assert!(
            !payloads.contains(secret_text),
            "a secret reached the audit payloads"
        );
    }
    store.close().await;
    database.remove().await;
}
