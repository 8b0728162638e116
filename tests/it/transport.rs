//! Slow and idle clients on loopback: half-sent headers, stalled bodies and parked keep-alive
//! connections are closed by the gateway's timeouts, and open connections never exceed the cap.
//! Timeouts are set to a second or two, so every test is bounded.

use std::time::{Duration, Instant};

use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::transport::HttpLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;

fn limits(max_connections: usize) -> HttpLimits {
    HttpLimits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(2),
        max_connections,
    }
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Everything the server sends until it closes the connection, or `None` if it is still open
/// after `within`.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut seen = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&seen).into_owned())
}

/// The value of one un-labelled series of the gateway's own metrics.
fn gauge(app: &TestApp, name: &str) -> i64 {
    let text = app.metrics();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} in {text}"))
}

#[tokio::test]
async fn half_sent_headers_are_cut_off_and_the_cap_holds_meanwhile() {
    let app = TestApp::spawn_limited(limits(8)).await;
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..24 {
        let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
        stream
            .write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: app")
            .await
            .unwrap();
        slow.push(stream);
    }
    let mut most_open = 0;
    let watch = async {
        loop {
            most_open = most_open.max(gauge(&app, "omg_http_connections"));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let closes = futures::future::join_all(
        slow.iter_mut()
            .map(|s| until_closed(s, Duration::from_secs(20))),
    );
    let closed = tokio::select! {
        closed = closes => closed,
        () = watch => unreachable!(),
    };
    assert!(
        closed.iter().all(Option::is_some),
        "every half-sent request is closed by the server"
    );
    // 24 clients through 8 slots with a 1 s header timeout: about three rounds.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        most_open <= 8,
        "at most 8 connections open at once, saw {most_open}"
    );
    assert!(gauge(&app, "omg_http_connection_waits_total") >= 1);

    // The server still serves, and the slow ones are gone.
    let health = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(
        app.metrics()
            .contains(r#"omg_http_timeouts_total{kind="header"} 24"#),
        "{}",
        app.metrics()
    );
}

#[tokio::test]
async fn a_full_server_makes_new_connections_wait_instead_of_dropping_them() {
    let app = TestApp::spawn_limited(HttpLimits {
        header_timeout: Duration::from_secs(30),
        ..limits(4)
    })
    .await;
    let mut parked = Vec::new();
    for _ in 0..4 {
        parked.push(TcpStream::connect(addr(&app)).await.unwrap());
    }
    // Let the server accept the four before the fifth arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fifth = TcpStream::connect(addr(&app)).await.unwrap();
    fifth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(
        until_closed(&mut fifth, Duration::from_millis(700)).await,
        None,
        "no answer while all four slots are taken"
    );
    drop(parked.pop());
    let answer = until_closed(&mut fifth, Duration::from_secs(10))
        .await
        .expect("served once a slot is free");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_and_audited() {
    let app = TestApp::spawn_limited(limits(16)).await;
    let (connection, key) = app.api_key("demo", Scope::Full).await;
    let calls_before = app.sim().calls_served();

    let mut mcp = TcpStream::connect(addr(&app)).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
         Content-Length: 200\r\n\r\n{{\"jsonrpc\":\"2.0\",\"id\":1,"
    );
    mcp.write_all(head.as_bytes()).await.unwrap();
    let answer = until_closed(&mut mcp, Duration::from_secs(10))
        .await
        .expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(answer.contains("not received in full"), "{answer}");

    let audit = app.audit().await;
    let entry = audit
        .iter()
        .find(|e| {
            e.error
                .as_deref()
                .is_some_and(|m| m.contains("not received in full"))
        })
        .unwrap_or_else(|| panic!("an audit entry: {audit:#?}"));
    assert_eq!(entry.connection_id, Some(connection));
    assert_eq!(
        app.sim().calls_served(),
        calls_before,
        "nothing reached Odoo"
    );

    // Any other route gets the same treatment.
    let mut form = TcpStream::connect(addr(&app)).await.unwrap();
    form.write_all(
        b"POST /console/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nlogin=ad",
    )
    .await
    .unwrap();
    let answer = until_closed(&mut form, Duration::from_secs(10))
        .await
        .expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        app.metrics()
            .contains(r#"omg_http_timeouts_total{kind="body"} 2"#)
    );
}

#[tokio::test]
async fn idle_connections_are_closed_over_http1_and_http2() {
    let app = TestApp::spawn_limited(limits(16)).await;

    // HTTP/1.1 keep-alive: the wait for the next request's headers is bounded.
    let mut http1 = TcpStream::connect(addr(&app)).await.unwrap();
    http1
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut http1, Duration::from_secs(10))
        .await
        .expect("closed after the keep-alive wait");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // HTTP/2 (prior knowledge): one request, then the connection sits in the client's pool
    // until the gateway's idle timeout closes it.
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let health = h2
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.version(), reqwest::Version::HTTP_2);
    assert_eq!(health.text().await.unwrap(), "ok");
    assert_eq!(gauge(&app, "omg_http_connections"), 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while gauge(&app, "omg_http_connections") > 0 {
        assert!(
            Instant::now() < deadline,
            "the idle HTTP/2 connection stayed open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        app.metrics()
            .contains(r#"omg_http_timeouts_total{kind="idle"} 1"#)
    );
}
