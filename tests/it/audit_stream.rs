//! The continuous audit stream against a real webhook receiver started here: every delivery's
//! Standard Webhooks signature checked with this file's own HMAC code, the receiver killed
//! mid-stream (its process gone: listener and connections closed) and started again, and a
//! replica taking over the chain of a gateway that stopped while the receiver was down —
//! nothing lost, nothing out of order, requests never waiting for the stream.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use odoo_mcp_gateway::app::AuditStreamTarget as Target;
use odoo_mcp_gateway::connections::Scope;
use serde_json::Value;
use sha2::Sha256;
use tokio::task::JoinSet;

use crate::helpers::TestApp;

const SECRET_B64: &str = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What the receiver took: each delivery's writer and its entries' (seq, hash), in arrival order.
pub type Deliveries = Arc<Mutex<Vec<(String, Vec<(i64, String)>)>>>;

/// A webhook receiver on a fixed port; dropping (or killing) it closes the listener and every
/// connection, as the death of its process would.
struct Receiver {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(addr: SocketAddr, got: Deliveries) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(addr).unwrap();
        let listener = socket.listen(64).unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let got = got.clone();
                connections.spawn(async move {
                    let service = service_fn(move |request| receive(request, got.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, task }
    }

    fn url(&self) -> String {
        format!("http://{}/audit", self.addr)
    }

    /// Kills it: the accept loop and every connection task (with their sockets) end now.
    async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// A webhook request's `webhook-id`, its body, and whether its `webhook-signature` is the
/// Standard Webhooks signature with `key` (computed here, apart from the gateway's code).
pub async fn read_signed(
    request: hyper::Request<Incoming>,
    key: &[u8],
) -> (String, axum::body::Bytes, bool) {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, timestamp, signature) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let body = axum::body::to_bytes(axum::body::Body::new(request.into_body()), 1 << 24)
        .await
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    let signed = !key.is_empty() && signature == expected;
    (id, body, signed)
}

/// Checks the signature, records the entries, answers 204 (401 for a bad signature).
async fn receive(
    request: hyper::Request<Incoming>,
    got: Deliveries,
) -> Result<hyper::Response<String>, std::convert::Infallible> {
    let key = STANDARD.decode(SECRET_B64).unwrap();
    let (_, body, signed) = read_signed(request, &key).await;
    let status = if signed { 204 } else { 401 };
    if status == 204 {
        let message: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(message["type"], "audit.entries");
        let writer = message["data"]["writer"].as_str().unwrap().to_owned();
        let entries = message["data"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["writer"], writer.as_str());
                (
                    e["seq"].as_i64().unwrap(),
                    e["hash"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        got.lock().unwrap().push((writer, entries));
    }
    Ok(hyper::Response::builder()
        .status(status)
        .body(String::new())
        .unwrap())
}

fn target(url: &str) -> Target {
    Target::new(url, Some(&format!("whsec_{SECRET_B64}"))).unwrap()
}

/// A port nothing listens on (bound, then released).
pub async fn free_addr() -> SocketAddr {
    let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    probe.local_addr().unwrap()
}

/// `writer`'s entries as the receiver has them: duplicates (re-deliveries) dropped, and
/// checked never to go back to an earlier entry otherwise.
pub fn received(got: &Deliveries, writer: &str) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = Vec::new();
    for (w, entries) in got.lock().unwrap().iter().filter(|(w, _)| w == writer) {
        for (seq, hash) in entries {
            match out.iter().find(|(s, _)| s == seq) {
                Some((_, earlier)) => assert_eq!(earlier, hash, "{w}: entry {seq} changed"),
                None => {
                    let last = out.last().map_or(0, |(s, _)| *s);
                    assert_eq!(*seq, last + 1, "{w}: entry {seq} arrived after {last}");
                    out.push((*seq, hash.clone()));
                }
            }
        }
    }
    out
}

/// The writer's chain as the database has it: (seq, hash in hex).
pub async fn stored(app: &TestApp, writer: &str) -> Vec<(i64, String)> {
    let mut rows: Vec<(i64, String)> = app
        .audit()
        .await
        .into_iter()
        .filter(|r| r.writer.as_deref() == Some(writer))
        .map(|r| {
            let hex = r.hash.unwrap().iter().map(|b| format!("{b:02x}")).collect();
            (r.seq.unwrap(), hex)
        })
        .collect();
    rows.sort();
    rows
}

/// Waits until the receiver has every stored entry of `writer`.
pub async fn delivered(app: &TestApp, got: &Deliveries, writer: &str) -> Vec<(i64, String)> {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        app.state.audit.flush().await;
        let want = stored(app, writer).await;
        let have = received(got, writer);
        if have == want || Instant::now() > deadline {
            assert_eq!(have, want, "the receiver has {writer}'s chain as stored");
            return have;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn list(app: &TestApp, key: &str) {
    let started = Instant::now();
    let status = app
        .post(
            Some(key),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
        )
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    // A request never waits for the stream (the receiver may be dead meanwhile).
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

async fn streaming(database_url: Option<&str>) -> (TestApp, Receiver, Deliveries) {
    let got = Deliveries::default();
    let receiver = Receiver::start("127.0.0.1:0".parse().unwrap(), got.clone()).await;
    let app = TestApp::spawn_streaming(database_url, target(&receiver.url())).await;
    (app, receiver, got)
}

async fn survives_a_killed_receiver((app, receiver, got): (TestApp, Receiver, Deliveries)) {
    let (_, key) = app.api_key("admin", Scope::ReadOnly).await;
    let writer = app.state.audit.writer().to_owned();
    for _ in 0..15 {
        list(&app, &key).await;
    }
    delivered(&app, &got, &writer).await;
    // Mid-stream: requests keep coming while the receiver dies and stays dead a while.
    let addr = receiver.addr;
    let mut receiver = Some(receiver);
    for i in 0..40 {
        if i == 10
            && let Some(r) = receiver.take()
        {
            r.kill().await;
        }
        list(&app, &key).await;
    }
    let while_dead = received(&got, &writer).len();
    app.state.audit.flush().await;
    assert!(
        while_dead < stored(&app, &writer).await.len(),
        "entries written while the receiver was dead were not delivered"
    );
    let _back = Receiver::start(addr, got.clone()).await;
    for _ in 0..5 {
        list(&app, &key).await;
    }
    let all = delivered(&app, &got, &writer).await;
    assert!(all.len() >= 60, "{} entries", all.len());
    // The metrics saw it: failed batches while the receiver was dead, every entry sent.
    let stream = |result: &str| {
        app.metric(&format!(
            "omg_deliveries_total{{channel=\"audit_stream\",result=\"{result}\"}}"
        ))
    };
    assert!(stream("failed") > 0 && stream("delivered") > 0);
    // The receiver holds a batch before its sender has read the answer and counted it: the
    // count may trail the last batch by a moment.
    let counted = || app.metric("omg_audit_stream_entries_total");
    let deadline = Instant::now() + Duration::from_secs(10);
    while counted() < all.len() as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(counted() >= all.len() as u64, "{} counted", counted());
    app.stop().await;
}

async fn a_replica_delivers_a_stopped_gateways_tail(
    (app, receiver, got): (TestApp, Receiver, Deliveries),
) {
    // A first replica streams to a receiver that is not there (the simulator stays `app`'s).
    receiver.kill().await;
    let dead = free_addr().await;
    let first = app
        .replica_streaming(target(&format!("http://{dead}/audit")))
        .await;
    let (_, key) = first.api_key("admin", Scope::ReadOnly).await;
    let orphan = first.state.audit.writer().to_owned();
    for _ in 0..5 {
        list(&first, &key).await;
    }
    let live = Receiver::start("127.0.0.1:0".parse().unwrap(), got.clone()).await;
    let replica = app.replica_streaming(target(&live.url())).await;
    first.stop().await;
    assert!(received(&got, &orphan).is_empty());
    // Past the stopped gateway's lease, the replica takes its chain over.
    replica.state.clock.advance(31_000);
    let tail = delivered(&replica, &got, &orphan).await;
    assert_eq!(tail.len(), 5);
    let own = replica.state.audit.writer().to_owned();
    let (_, key) = replica.api_key("admin", Scope::ReadOnly).await;
    list(&replica, &key).await;
    assert_eq!(delivered(&replica, &got, &own).await.len(), 1);
    replica.stop().await;
    app.stop().await;
}

on_both_engines!(streaming; survives_a_killed_receiver, a_replica_delivers_a_stopped_gateways_tail);
