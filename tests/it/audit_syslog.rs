//! The audit stream to syslog collectors started here: octet-counted RFC 5424 frames over TCP,
//! parsed with this file's own code. The collector is killed mid-stream (its sockets closed
//! with data unread, as its process's death would) and started again — nothing lost, nothing
//! out of order, requests never waiting; a graceful shutdown stores the last position once the
//! collector has closed its side; over TLS, against a CA made here with `openssl`, each entry
//! arrives as a CEF line; and a real rsyslog parses every message as RFC 5424.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use odoo_mcp_gateway::app::AuditStreamTarget as Target;
use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::store::Store;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::task::JoinSet;

use crate::audit_stream::{Deliveries, delivered, list, received, stored};
use crate::helpers::TestApp;

/// A syslog collector on a fixed address; killing it ends the accept loop and every
/// connection at once.
struct Collector {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    /// While set, the collector reads nothing more: what is sent waits in its socket.
    stalled: Arc<AtomicBool>,
}

/// Every message a collector read, whole, in arrival order.
type Messages = Arc<Mutex<Vec<String>>>;

impl Collector {
    /// Plain TCP, or TLS with `tls`'s certificate.
    async fn start(
        addr: SocketAddr,
        messages: Messages,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(addr).unwrap();
        let listener = socket.listen(64).unwrap();
        let addr = listener.local_addr().unwrap();
        let stalled = Arc::new(AtomicBool::new(false));
        let stall = stalled.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (messages, tls, stall) = (messages.clone(), tls.clone(), stall.clone());
                connections.spawn(async move {
                    match tls {
                        None => read_frames(stream, messages, stall).await,
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                read_frames(stream, messages, stall).await;
                            }
                        }
                    }
                });
            }
        });
        Self {
            addr,
            task,
            stalled,
        }
    }

    fn url(&self, scheme: &str, options: &str) -> String {
        format!("{scheme}://localhost:{}{options}", self.addr.port())
    }

    async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Reads `LEN SP MSG` frames until the sender closes (then closes too, by returning).
async fn read_frames(
    mut stream: impl AsyncRead + Unpin,
    messages: Messages,
    stalled: Arc<AtomicBool>,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
        while let Some(space) = buffer.iter().position(|b| *b == b' ') {
            let len: usize = std::str::from_utf8(&buffer[..space])
                .unwrap()
                .parse()
                .expect("a frame starts with its length");
            if buffer.len() < space + 1 + len {
                break;
            }
            let message = String::from_utf8(buffer[space + 1..space + 1 + len].to_vec()).unwrap();
            buffer.drain(..space + 1 + len);
            messages.lock().unwrap().push(message);
        }
    }
}

/// The RFC 5424 header every message has (PRI, version, time, this gateway's host, app,
/// no PROCID, MSGID `audit`, no structured data), and the MSG after it.
fn msg(message: &str) -> &str {
    let fields: Vec<&str> = message.splitn(8, ' ').collect();
    assert_eq!(fields.len(), 8, "{message}");
    let pri: u8 = fields[0]
        .strip_prefix('<')
        .and_then(|p| p.strip_suffix(">1"))
        .expect("<PRI>1")
        .parse()
        .unwrap();
    assert_eq!(pri / 8, 13, "facility log audit: {message}");
    assert!(
        fields[1].ends_with('Z') && fields[1].len() == 24,
        "{message}"
    );
    assert_eq!(fields[2], "127.0.0.1", "the public URL's host");
    assert_eq!(&fields[3..7], ["odoo-mcp-gateway", "-", "audit", "-"]);
    fields[7]
}

/// The JSON messages as deliveries of one entry each, for the audit stream's checks.
fn as_deliveries(messages: &Messages, got: &Deliveries) {
    let mut got = got.lock().unwrap();
    got.clear();
    for m in messages.lock().unwrap().iter() {
        let entry: Value = serde_json::from_str(msg(m)).unwrap();
        got.push((
            entry["writer"].as_str().unwrap().to_owned(),
            vec![(
                entry["seq"].as_i64().unwrap(),
                entry["hash"].as_str().unwrap().to_owned(),
            )],
        ));
    }
}

/// `delivered` over what the collector read, refreshed while it waits.
async fn all_read(app: &TestApp, messages: &Messages, writer: &str) -> Vec<(i64, String)> {
    let got = Deliveries::default();
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        app.state.audit.flush().await;
        as_deliveries(messages, &got);
        if received(&got, writer) == stored(app, writer).await || Instant::now() > deadline {
            return delivered(app, &got, writer).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The stored position of `writer`'s stream.
async fn position(store: &Store, writer: &str) -> i64 {
    let sql = "SELECT seq FROM audit_stream WHERE writer = $1";
    let (seq,): (i64,) = match store {
        Store::Sqlite(pool) => sqlx::query_as(sql).bind(writer).fetch_one(pool).await,
        Store::Postgres(pool) => sqlx::query_as(sql).bind(writer).fetch_one(pool).await,
    }
    .unwrap();
    seq
}

async fn plain(database_url: Option<&str>) -> (TestApp, Collector, Messages) {
    let messages = Messages::default();
    let collector = Collector::start("127.0.0.1:0".parse().unwrap(), messages.clone(), None).await;
    let target = Target::new(&collector.url("syslog+tcp", ""), None).unwrap();
    let app = TestApp::spawn_streaming(database_url, target).await;
    (app, collector, messages)
}

async fn a_killed_collector_loses_nothing_and_shutdown_confirms_the_rest(
    (app, collector, messages): (TestApp, Collector, Messages),
) {
    let (_, key) = app.api_key("admin", Scope::ReadOnly).await;
    let writer = app.state.audit.writer().to_owned();
    for _ in 0..15 {
        list(&app, &key).await;
    }
    assert_eq!(all_read(&app, &messages, &writer).await.len(), 15);
    // Confirmed once the connection has outlived them (a few seconds), not before.
    let written = Instant::now();
    let mut stored_at = position(&app.state.store, &writer).await;
    while stored_at < 15 {
        assert!(
            written.elapsed() < Duration::from_secs(10),
            "never confirmed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        stored_at = position(&app.state.store, &writer).await;
    }
    assert!(
        written.elapsed() >= Duration::from_secs(1),
        "confirmed after {:?}",
        written.elapsed()
    );
    // Mid-stream: the collector stops reading, so what is sent waits unread in its socket
    // (written, as far as the gateway can tell); then it dies, dropping that, and stays dead
    // a while.
    let addr = collector.addr;
    let mut collector = Some(collector);
    for i in 0..39 {
        if i == 10 {
            collector
                .as_ref()
                .unwrap()
                .stalled
                .store(true, Ordering::SeqCst);
        }
        if i == 15
            && let Some(c) = collector.take()
        {
            // Long enough for the gateway to write them (a round runs at least every second),
            // well short of confirming them.
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            let unread = received_now(&messages, &writer);
            assert!(unread < 30, "the stalled collector read {unread}");
            c.kill().await;
        }
        list(&app, &key).await;
    }
    let _back = Collector::start(addr, messages.clone(), None).await;
    for _ in 0..5 {
        list(&app, &key).await;
    }
    let all = all_read(&app, &messages, &writer).await;
    assert_eq!(all.len(), 59, "every entry, once each after de-duplication");
    // One more (the 60th: the default rate limit is 60 a minute), and at once a graceful shutdown: well before the connection could outlive
    // the last batch, the collector's answering close confirms it, so the position is stored.
    list(&app, &key).await;
    let store = app.state.store.clone();
    app.stop().await;
    assert_eq!(position(&store, &writer).await, 60);
    assert_eq!(received_now(&messages, &writer), 60);
}

/// How many of `writer`'s entries the collector has read, de-duplicated and in order.
fn received_now(messages: &Messages, writer: &str) -> usize {
    let got = Deliveries::default();
    as_deliveries(messages, &got);
    received(&got, writer).len()
}

on_both_engines!(plain; a_killed_collector_loses_nothing_and_shutdown_confirms_the_rest);

/// `openssl` makes a CA and a certificate for `localhost` signed by it, in `dir`.
fn certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs (apt-get install openssl)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=test syslog CA",
        ],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ],
    ]
    .concat());
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    ]);
}

fn acceptor(dir: &Path) -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(dir.join("leaf.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_each_entry_arrives_as_a_cef_line_and_an_unknown_ca_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let messages = Messages::default();
    let collector = Collector::start(
        "127.0.0.1:0".parse().unwrap(),
        messages.clone(),
        Some(acceptor(dir.path())),
    )
    .await;
    let ca = dir.path().join("ca.pem");
    let url = collector.url("syslog+tls", &format!("?format=cef&ca={}", ca.display()));
    let app = TestApp::spawn_streaming(None, Target::new(&url, None).unwrap()).await;
    let (_, key) = app.api_key("admin", Scope::ReadOnly).await;
    for _ in 0..3 {
        list(&app, &key).await;
    }
    app.state.audit.flush().await;
    let ids: Vec<String> = app
        .audit()
        .await
        .iter()
        .rev()
        .map(|r| format!("externalId={}", r.id))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while messages.lock().unwrap().len() < ids.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let read = messages.lock().unwrap().clone();
    assert_eq!(read.len(), ids.len(), "{read:?}");
    for (message, id) in read.iter().zip(&ids) {
        let cef = msg(message);
        assert!(cef.starts_with("CEF:0|odoo-mcp-gateway|"), "{cef}");
        assert!(cef.contains(&format!("{id} ")), "{id} in {cef}");
    }
    app.stop().await;

    // The system's roots do not know this CA: nothing is delivered, and requests go on.
    let refused = Messages::default();
    let stranger = Collector::start(
        "127.0.0.1:0".parse().unwrap(),
        refused.clone(),
        Some(acceptor(dir.path())),
    )
    .await;
    let url = stranger.url("syslog+tls", "");
    let app = TestApp::spawn_streaming(None, Target::new(&url, None).unwrap()).await;
    let (_, key) = app.api_key("admin", Scope::ReadOnly).await;
    list(&app, &key).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(refused.lock().unwrap().is_empty());
    app.stop().await;
}

/// A real syslog daemon, rsyslog, with a TCP input on a free port writing each message's
/// parsed RFC 5424 fields, one line per message, into a file.
struct Rsyslog {
    port: u16,
    out: std::path::PathBuf,
    _child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

const RSYSLOGD: &str = "/usr/sbin/rsyslogd";

impl Rsyslog {
    /// `None` when rsyslog is not installed here (an error under `CI`).
    async fn start() -> Option<Self> {
        if !Path::new(RSYSLOGD).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "rsyslog is required under CI: run .ci/setup"
            );
            eprintln!("SKIPPED: the rsyslog test needs {RSYSLOGD} (apt-get install rsyslog)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = dir.path().join("messages");
        let config = format!(
            r#"global(workDirectory="{work}")
module(load="imtcp")
template(name="fields" type="string" string="%pri%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\n")
ruleset(name="gateway") {{ action(type="omfile" file="{out}" template="fields") }}
input(type="imtcp" address="127.0.0.1" port="{port}" ruleset="gateway")
"#,
            work = dir.path().display(),
            out = out.display(),
        );
        let conf = dir.path().join("rsyslog.conf");
        std::fs::write(&conf, config).unwrap();
        let child = tokio::process::Command::new(RSYSLOGD)
            .arg("-n")
            .arg("-f")
            .arg(&conf)
            .arg("-i")
            .arg(dir.path().join("rsyslogd.pid"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("rsyslogd starts");
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "rsyslogd never listened"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(Self {
            port,
            out,
            _child: child,
            _dir: dir,
        })
    }

    /// The lines written so far.
    fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsyslog_parses_every_message_as_rfc_5424_with_the_entry_as_its_msg() {
    let Some(rsyslog) = Rsyslog::start().await else {
        return;
    };
    let url = format!("syslog+tcp://127.0.0.1:{}", rsyslog.port);
    let app = TestApp::spawn_streaming(None, Target::new(&url, None).unwrap()).await;
    let (_, key) = app.api_key("admin", Scope::ReadOnly).await;
    for _ in 0..3 {
        list(&app, &key).await;
    }
    let entries = app.audit().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while rsyslog.lines().len() < entries.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lines = rsyslog.lines();
    assert_eq!(lines.len(), entries.len(), "{lines:#?}");
    for (line, entry) in lines.iter().zip(entries.iter().rev()) {
        let fields: Vec<&str> = line.splitn(8, '|').collect();
        assert_eq!(fields.len(), 8, "{line}");
        // PRI: facility 13 (log audit), severity 6 (informational) for a success.
        assert_eq!(fields[0], "110", "{line}");
        let at = chrono::DateTime::parse_from_rfc3339(fields[1]).expect("an RFC 3339 time");
        assert_eq!(at.timestamp_millis(), entry.at, "{line}");
        assert_eq!(
            &fields[2..7],
            ["127.0.0.1", "odoo-mcp-gateway", "-", "audit", "-"],
            "{line}"
        );
        let msg: Value = serde_json::from_str(fields[7].trim_start()).expect("the MSG is JSON");
        assert_eq!(msg["id"], entry.id, "{line}");
        assert_eq!(msg["seq"], json!(entry.seq), "{line}");
        assert_eq!(msg["method"], entry.method.as_str(), "{line}");
    }
    app.stop().await;
}
