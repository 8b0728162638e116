//! Notification webhooks end to end: a receiver started here checks every delivery's Standard
//! Webhooks signature with the secret the console showed once, and the payload of each event
//! kind, each triggered through the real server (console forms, MCP calls, the expiry job's
//! step); a receiver that fails first still gets the event (retry), one that never recovers
//! makes the gateway give up after a bounded number of attempts; the settings form refuses
//! bad URLs and non-administrators; `rotate-secret-key` reseals the secret; and the secret
//! never reaches the logs.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::jobs;
use odoo_mcp_gateway::notify::deliver::MAX_ATTEMPTS;
use odoo_mcp_gateway::notify::{self, Config};
use odoo_mcp_gateway::odoo::sim::{SimOptions, Simulator};
use odoo_mcp_gateway::secrets::Keyring;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::audit_stream::read_signed;
use crate::cli::run_cli;
use crate::console::{Console, console_app_on, element_text};
use crate::helpers::{TestApp, error_text, ok_result};
use crate::replicas;

on_both_engines!(
    gateway;
    every_event_kind_reaches_the_receiver_signed_and_a_failed_delivery_is_retried,
    rotating_the_secret_key_reseals_the_webhook_secret,
    replicas_share_the_outbox_and_send_each_event_once,
);

async fn gateway(database_url: Option<&str>) -> (TestApp, Option<String>) {
    let app = console_app_on(database_url).await;
    (app, database_url.map(str::to_owned))
}

/// What the receiver saw: signed messages, and how many had a wrong signature.
#[derive(Default)]
struct Seen {
    messages: Mutex<Vec<(String, Value)>>,
    bad_signatures: AtomicUsize,
    /// Requests answered 503 before it recovers (then decremented to 0).
    fail_first: AtomicUsize,
    attempts: AtomicUsize,
    /// The secret to check with, as the console showed it.
    secret: Mutex<String>,
}

struct Receiver {
    addr: SocketAddr,
    seen: Arc<Seen>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Seen::default());
        seen.fail_first.store(fail_first, Ordering::SeqCst);
        let shared = seen.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let seen = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |r| receive(r, seen.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, seen }
    }

    fn url(&self) -> String {
        format!("http://{}/hooks/gateway", self.addr)
    }

    fn of_type(&self, kind: &str) -> Vec<(String, Value)> {
        let all = self.seen.messages.lock().unwrap();
        all.iter()
            .filter(|(_, m)| m["type"] == kind)
            .cloned()
            .collect()
    }

    /// The one message of `kind`, waiting up to 10 s for it.
    async fn one(&self, kind: &str) -> Value {
        let start = Instant::now();
        loop {
            let got = self.of_type(kind);
            if let [(_, m)] = got.as_slice() {
                return m.clone();
            }
            assert!(got.len() < 2, "{kind} delivered twice: {got:?}");
            assert!(start.elapsed() < Duration::from_secs(10), "no {kind} event");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Checks the signature against the shown secret; records a good one; 204 (503 while set to
/// fail, 401 for a bad signature).
async fn receive(
    request: hyper::Request<Incoming>,
    seen: Arc<Seen>,
) -> Result<hyper::Response<String>, std::convert::Infallible> {
    seen.attempts.fetch_add(1, Ordering::SeqCst);
    let answer = |status: u16| {
        Ok(hyper::Response::builder()
            .status(status)
            .body(String::new())
            .unwrap())
    };
    let failing = seen
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        return answer(503);
    }
    let secret = seen.secret.lock().unwrap().clone();
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or_default())
        .unwrap_or_default();
    let (id, body, signed) = read_signed(request, &key).await;
    if key.len() < 24 || !signed {
        seen.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return answer(401);
    }
    let message: Value = serde_json::from_slice(&body).unwrap();
    seen.messages.lock().unwrap().push((id, message));
    answer(204)
}

/// Every event kind's form field, checked.
fn all_events() -> Vec<(String, &'static str)> {
    notify::Kind::ALL
        .iter()
        .map(|k| (format!("event:{}", k.as_str()), "on"))
        .collect()
}

/// Saves the notification settings pointing at `receiver`; returns the secret shown once.
async fn configure(c: &Console, receiver: &Receiver) -> String {
    configure_as(c, receiver, "standard").await
}

/// [`configure`] with the body's `format`.
async fn configure_as(c: &Console, receiver: &Receiver, format: &str) -> String {
    let events = all_events();
    let url = receiver.url();
    let mut fields: Vec<(&str, &str)> = vec![("notify_url", &url), ("notify_format", format)];
    fields.extend(events.iter().map(|(n, v)| (n.as_str(), *v)));
    let saved = c.post("/console/settings/notifications", &fields).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let secret = element_text(&saved.body, "notify-secret").expect("the secret is shown once");
    assert!(secret.starts_with("whsec_"), "{secret}");
    *receiver.seen.secret.lock().unwrap() = secret.clone();
    assert!(
        element_text(&c.get("/console/settings").await.body, "notify-secret").is_none(),
        "the secret is shown only once"
    );
    secret
}

/// The outbox once every row is marked delivered (just after the receiver answered).
async fn delivered(app: &TestApp) -> Vec<odoo_mcp_gateway::store::OutboxState> {
    let start = Instant::now();
    loop {
        let rows = app.state.store.list_outbox().await.unwrap();
        if rows.iter().all(|r| r.delivered_at.is_some()) {
            return rows;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{rows:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// No message carries what the AI sent, keys or secrets.
fn assert_nothing_secret(receiver: &Receiver, secrets: &[&str]) {
    for (_, m) in receiver.seen.messages.lock().unwrap().iter() {
        let text = m.to_string();
        for s in secrets {
            assert!(!text.contains(s), "{s} in {text}");
        }
        assert!(
            m["data"].get("arguments").is_none() && !text.contains("\"ids\""),
            "{text}"
        );
    }
}

async fn every_event_kind_reaches_the_receiver_signed_and_a_failed_delivery_is_retried(
    (app, _): (TestApp, Option<String>),
) {
    let receiver = Receiver::start(1).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let secret = configure(&admin, &receiver).await;
    let public = app.base.clone();

    // connection.created, through the console's wizard; the first attempt gets a 503.
    let made = admin
        .post(
            "/console/new/api-key",
            &[
                ("name", "Claude Desktop"),
                ("user", "demo"),
                ("scope", "full"),
            ],
        )
        .await;
    let issued = admin.get(&made.location.unwrap()).await;
    let key = element_text(&issued.body, "api-key").unwrap();
    // The failed attempt recorded (its retry due a second later on the gateway's clock)...
    let start = Instant::now();
    while app.state.store.list_outbox().await.unwrap()[0]
        .last_error
        .is_none()
    {
        assert!(start.elapsed() < Duration::from_secs(10), "never attempted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ... and the second comes.
    app.state.clock.advance(1_000);
    let created = receiver.one("connection.created").await;
    let connection = created["data"]["connection_id"].as_i64().unwrap();
    assert_eq!(created["data"]["connection_name"], "Claude Desktop");
    assert_eq!(created["data"]["user_login"], "demo");
    assert_eq!(
        created["text"],
        format!(
            "Connection created: \"Claude Desktop\" for demo. {public}/console/connections/{connection}"
        )
    );
    assert!(created["timestamp"].as_str().unwrap().ends_with('Z'));
    let rows = delivered(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].attempts, 2, "{rows:?}");
    assert!(rows[0].delivered_at.is_some() && rows[0].failed_at.is_none());
    assert_eq!(rows[0].last_error, None);
    let page = admin.get("/console/settings").await;
    assert_eq!(
        page.body
            .matches(r#"<tr class="row" data-status="delivered">"#)
            .count(),
        1,
        "Server Settings lists the delivered event"
    );

    // approval.requested, through an MCP call of a gated tool.
    app.set_policy(connection, |p| {
        p.approval_tools = "delete_record".parse().unwrap()
    })
    .await;
    let asked = |id: i64| {
        let (app, key) = (&app, &key);
        async move {
            let answer = app
                .call(
                    key,
                    "delete_record",
                    json!({"model": "res.partner", "ids": [id]}),
                )
                .await;
            ok_result(&answer)["approval_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let first = asked(41).await;
    let requested = receiver.one("approval.requested").await;
    assert_eq!(requested["data"]["approval_id"], first.as_str());
    assert_eq!(requested["data"]["tool"], "delete_record");
    assert_eq!(requested["data"]["model"], "res.partner");
    assert_eq!(requested["data"]["user_login"], "demo");
    assert_eq!(
        requested["text"],
        format!(
            "Approval requested: demo wants to run delete_record on res.partner through \
             connection \"Claude Desktop\". Decide: {public}/console/approvals/{first}"
        )
    );

    // approval.decided, through the console.
    let rejected = admin
        .post(
            &format!("/console/approvals/{first}/reject"),
            &[("reason", "not this one")],
        )
        .await;
    assert_eq!(rejected.status, StatusCode::SEE_OTHER);
    let decided = receiver.one("approval.decided").await;
    assert_eq!(decided["data"]["decision"], "rejected");
    assert_eq!(decided["data"]["decided_by"], "admin");
    assert!(
        decided["text"]
            .as_str()
            .unwrap()
            .starts_with("Approval rejected by admin")
    );
    assert!(
        !decided.to_string().contains("not this one"),
        "the reason is not sent"
    );

    // approval.expired, by the expiry job's step once the clock passed the expiry.
    let second = asked(42).await;
    let state = &app.state;
    state.clock.advance(25 * 3_600_000);
    odoo_mcp_gateway::approvals::expire_due(state, state.clock.now())
        .await
        .unwrap();
    let expired = receiver.one("approval.expired").await;
    assert_eq!(expired["data"]["approval_id"], second.as_str());

    // connection.refused_repeatedly: five refusals make one event, a sixth none more.
    app.set_policy(connection, |p| {
        p.allowed_tools = "search_records".parse().unwrap()
    })
    .await;
    for _ in 0..6 {
        let refused = app
            .call(&key, "count_records", json!({"model": "res.partner"}))
            .await;
        assert!(error_text(&refused).starts_with("Refused by Allowed Tools"));
        app.state.audit.flush().await;
    }
    let refusals = receiver.one("connection.refused_repeatedly").await;
    assert_eq!(refusals["data"]["refusals"], 5);
    assert_eq!(refusals["data"]["window_minutes"], 5);
    assert!(
        refusals["text"].as_str().unwrap().starts_with(
            "Repeated refusals: connection \"Claude Desktop\" of demo was refused 5 times within 5 minutes."
        ),
        "{refusals}"
    );
    // A new window after five minutes can make another one.
    state.clock.advance(5 * 60_000);
    for _ in 0..5 {
        app.call(&key, "count_records", json!({"model": "res.partner"}))
            .await;
    }
    app.state.audit.flush().await;
    let start = Instant::now();
    while receiver.of_type("connection.refused_repeatedly").len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no second window's event"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // connection.revoked, through the console (signed in anew: the clock passed the session's end).
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let revoked = admin
        .post(&format!("/console/connections/{connection}/revoke"), &[])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let revoked = receiver.one("connection.revoked").await;
    assert_eq!(revoked["data"]["connection_id"], connection);
    assert!(
        revoked["text"]
            .as_str()
            .unwrap()
            .starts_with("Connection revoked: \"Claude Desktop\" of demo."),
        "{revoked}"
    );

    assert_eq!(receiver.seen.bad_signatures.load(Ordering::SeqCst), 0);
    assert_nothing_secret(&receiver, &[&key, &secret, &secret[6..]]);
    // Each event once, under its own id.
    let ids: std::collections::HashSet<_> = receiver
        .seen
        .messages
        .lock()
        .unwrap()
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(ids.len(), receiver.seen.messages.lock().unwrap().len());
    app.stop().await;
}

async fn rotating_the_secret_key_reseals_the_webhook_secret((app, db): (TestApp, Option<String>)) {
    let receiver = Receiver::start(0).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let secret = configure(&admin, &receiver).await;
    let mut env = vec![];
    if let Some(url) = &db {
        env.push(("GATEWAY_DATABASE_URL", url.as_str()));
    }
    let run = run_cli(app.data_dir.path(), &env, &["rotate-secret-key"], "").await;
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("Encrypted the notification webhook's signing secret anew"),
        "{}",
        run.stdout
    );
    assert!(!format!("{}{}", run.stdout, run.stderr).contains(&secret[6..]));
    // The stored secret opens under the new key alone, and is the one shown.
    let after = app.replica().await;
    let config = Config::load(&after.state.store).await.unwrap();
    let opened = config.secret(&after.state.keyring).unwrap().unwrap();
    let shown: odoo_mcp_gateway::webhook::Secret = secret.parse().unwrap();
    assert_eq!(
        odoo_mcp_gateway::webhook::signature(&opened, "m", 1, b"x"),
        odoo_mcp_gateway::webhook::signature(&shown, "m", 1, b"x")
    );
    let key_file = std::fs::read_to_string(app.data_dir.path().join("secret.key")).unwrap();
    let old_key = key_file
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .nth(1)
        .unwrap();
    assert!(
        config
            .secret(&Keyring::from_encoded(old_key).unwrap())
            .is_err()
    );
    // The gateway started after the rotation signs with the same secret (the one before it,
    // on the old key alone, cannot open it and claims nothing).
    after.api_key("demo", Scope::Full).await;
    receiver.one("connection.created").await;
    assert_eq!(receiver.seen.bad_signatures.load(Ordering::SeqCst), 0);
    // Their (shared) pool closed, so the test database can be dropped.
    after.stop().await;
    app.stop().await;
}

/// Two gateways on one database, both delivering: every event arrives, none twice.
async fn replicas_share_the_outbox_and_send_each_event_once((app, _): (TestApp, Option<String>)) {
    let receiver = Receiver::start(0).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    configure(&admin, &receiver).await;
    let replica = app.replica().await;
    for i in 0..12 {
        let on = if i % 2 == 0 { &app } else { &replica };
        on.api_key("demo", Scope::Full).await;
    }
    let start = Instant::now();
    while receiver.of_type("connection.created").len() < 12 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "not every event arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Both have had time for another round: still each event once.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let got = receiver.of_type("connection.created");
    let ids: std::collections::HashSet<_> = got.iter().map(|(id, _)| id).collect();
    assert_eq!((got.len(), ids.len()), (12, 12));
    let rows = delivered(&app).await;
    assert!(rows.iter().all(|r| r.attempts == 1), "{rows:?}");
    replica.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn the_settings_form_refuses_bad_urls_and_anyone_but_an_administrator() {
    let (app, _) = gateway(None).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    for (url, says) in [
        (
            "http://hooks.example.com/x",
            "would send in plain text: use https",
        ),
        ("ftp://hooks.example.com/x", "is not an http(s) URL"),
        ("hooks.slack.com/services/x", "is not an http(s) URL"),
    ] {
        let bad = admin
            .post(
                "/console/settings/notifications",
                &[("notify_url", url), ("event:approval.requested", "on")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let error = element_text(&bad.body, "notify_url-error").unwrap();
        assert!(
            error.starts_with("Notification webhook URL: '") && error.contains(says),
            "{error}"
        );
        assert!(element_text(&bad.body, "notify-secret").is_none());
        // What was typed stays in the form, and nothing was saved.
        assert!(bad.body.contains(&format!("value=\"{url}\"")));
    }
    let stored = Config::load(&app.state.store).await.unwrap();
    assert!(stored.url.is_none() && stored.events.is_empty() && stored.sealed_secret.is_none());

    let demo = Console::signed_in(&app, "demo", "demo").await;
    let refused = demo
        .post(
            "/console/settings/notifications",
            &[("notify_url", "https://hooks.example.com/x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(Config::load(&app.state.store).await.unwrap().url.is_none());

    // Saved; again without asking keeps the secret (none shown); regenerating shows a new one.
    let fields = [
        ("notify_url", "https://hooks.example.com/x"),
        ("event:approval.requested", "on"),
    ];
    let first = admin.post("/console/settings/notifications", &fields).await;
    let first = element_text(&first.body, "notify-secret").unwrap();
    let again = admin.post("/console/settings/notifications", &fields).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(element_text(&again.body, "notify-secret").is_none());
    let mut regenerate = fields.to_vec();
    regenerate.push(("regenerate", "on"));
    let renewed = admin
        .post("/console/settings/notifications", &regenerate)
        .await;
    let renewed = element_text(&renewed.body, "notify-secret").unwrap();
    assert_ne!(first, renewed);
    let stored = Config::load(&app.state.store).await.unwrap();
    assert_eq!(stored.events, [notify::Kind::ApprovalRequested]);
    let opened = stored.secret(&app.state.keyring).unwrap().unwrap();
    let renewed: odoo_mcp_gateway::webhook::Secret = renewed.parse().unwrap();
    assert_eq!(
        odoo_mcp_gateway::webhook::signature(&opened, "m", 1, b"x"),
        odoo_mcp_gateway::webhook::signature(&renewed, "m", 1, b"x")
    );
    // Stored sealed: the secret's text is nowhere in the settings table.
    let pairs = app.state.store.load_settings().await.unwrap();
    let text = format!("{pairs:?}");
    assert!(text.contains("notify_secret"));
    assert!(!text.contains(&first[6..]) && !text.contains("whsec_"));
}

#[tokio::test]
async fn the_teams_format_posts_an_adaptive_card_signed_like_the_rest() {
    let (app, _) = gateway(None).await;
    let receiver = Receiver::start(0).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    configure_as(&admin, &receiver, "teams").await;
    let settings = admin.get("/console/settings").await;
    assert!(
        settings.body.contains(r#"<option value="teams" selected>"#),
        "the stored format is shown"
    );
    assert!(settings.body.contains(r#"id="notify-no-deliveries""#));
    let made = admin
        .post(
            "/console/new/api-key",
            &[("name", "Teams bot"), ("user", "demo"), ("scope", "read")],
        )
        .await;
    assert!(made.location.is_some(), "{}", made.body);
    let message = receiver.one("message").await;
    // Signed and identified as every format is: the webhook-id is the outbox event's id.
    let outbox = delivered(&app).await;
    assert_eq!(receiver.of_type("message")[0].0, outbox[0].id);
    let card = &message["attachments"][0];
    assert_eq!(
        card["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &card["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["body"][0]["text"], "Connection created");
    assert_eq!(card["body"][1]["text"], "\"Teams bot\" for demo.");
    assert_eq!(
        card["body"][2]["facts"],
        json!([{"title": "Connection", "value": "Teams bot"}, {"title": "User", "value": "demo"}])
    );
    let button = &card["actions"][0];
    assert_eq!(button["type"], "Action.OpenUrl");
    assert!(
        button["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/console/connections/", app.base)),
        "{button}"
    );
    assert_eq!(receiver.seen.bad_signatures.load(Ordering::SeqCst), 0);

    // An unknown format is refused by name, and nothing changes.
    let bad = admin
        .post(
            "/console/settings/notifications",
            &[
                ("notify_url", &receiver.url()),
                ("notify_format", "discord"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        element_text(&bad.body, "notify_url-error").as_deref(),
        Some("unknown notification format 'discord': use standard or teams")
    );
    // A Teams Workflows URL with the Standard body (which it would not show) is refused.
    let flow =
        "https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke";
    let bad = admin
        .post(
            "/console/settings/notifications",
            &[("notify_url", flow), ("notify_format", "standard")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        element_text(&bad.body, "notify_url-error").as_deref(),
        Some(
            "prod-12.westeurope.logic.azure.com is a Microsoft Teams Workflows address, which \
             takes Adaptive Cards only: choose the Microsoft Teams Workflows format"
        )
    );
    let stored = Config::load(&app.state.store).await.unwrap();
    assert_eq!(stored.format, notify::Format::Teams);
    assert_eq!(stored.url.unwrap().as_str(), receiver.url());
}

#[tokio::test]
async fn a_receiver_that_never_recovers_is_given_up_after_the_bounded_attempts() {
    let (app, _) = gateway(None).await;
    let receiver = Receiver::start(usize::MAX).await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    configure(&admin, &receiver).await;
    app.api_key("demo", Scope::Full).await;
    let start = Instant::now();
    loop {
        let rows = app.state.store.list_outbox().await.unwrap();
        assert_eq!(rows.len(), 1);
        if rows[0].failed_at.is_some() {
            assert_eq!(rows[0].attempts, MAX_ATTEMPTS);
            assert_eq!(rows[0].last_error.as_deref(), Some("HTTP 503"));
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{rows:?}");
        // Past any backoff (a quarter hour at most).
        app.state.clock.advance(16 * 60_000);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tried = receiver.seen.attempts.load(Ordering::SeqCst);
    assert_eq!(tried, MAX_ATTEMPTS as usize);
    let series = |result: &str| {
        app.metric(&format!(
            "omg_deliveries_total{{channel=\"notifications\",result=\"{result}\"}}"
        ))
    };
    assert_eq!(
        (series("failed"), series("given_up"), series("delivered")),
        (MAX_ATTEMPTS as u64 - 1, 1, 0),
        "every attempt counted once"
    );
    app.state.clock.advance(16 * 60_000);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(
        receiver.seen.attempts.load(Ordering::SeqCst),
        tried,
        "tried after giving up"
    );
    // Server Settings lists it, given up, with its attempts and the last error (signed in
    // anew: the hours of backoff on the test clock ended the first session).
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let page = admin.get("/console/settings").await;
    let table = &page.body[page
        .body
        .find(r#"id="notify-deliveries""#)
        .expect("the list")..];
    let row = &table[table.find(r#"<tr class="row""#).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    for shown in [
        r#"data-status="failed""#,
        "<code>connection.created</code>",
        ">Given up</span>",
        &format!(r#"class="num">{MAX_ATTEMPTS}</td>"#),
        ">HTTP 503</td>",
    ] {
        assert!(row.contains(shown), "{shown} in {row}");
    }

    // The cleanup job keeps a closed event 30 days, then forgets it.
    let state = &app.state;
    state.clock.advance(29 * 24 * 3_600_000);
    assert_eq!(
        jobs::notification_outbox(state, state.clock.now())
            .await
            .unwrap(),
        0
    );
    state.clock.advance(2 * 24 * 3_600_000);
    assert_eq!(
        jobs::notification_outbox(state, state.clock.now())
            .await
            .unwrap(),
        1
    );
    assert!(state.store.list_outbox().await.unwrap().is_empty());
}

/// A gateway process's log, at debug level, while it signs with the secret and retries: the
/// secret's text is nowhere in it, nor in what the CLI printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_never_reaches_the_logs() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Simulator::spawn(SimOptions::default()).await.unwrap();
    let odoo_key = sim.sim.issue_api_key("demo").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_owned();
    let env = [
        ("GATEWAY_DATA_DIR", data_dir.as_str()),
        ("ODOO_URL", sim.url.as_str()),
        ("ODOO_DB", "demo"),
    ];
    let linked = replicas::run_cli(&["user", "link", "demo"], &env, &format!("{odoo_key}\n")).await;
    // Notifications set as the console's form sets them, under the data directory's key.
    let receiver = Receiver::start(1).await;
    let keyring = Keyring::load_or_create(None, &[], dir.path()).unwrap();
    let (secret, sealed) = notify::new_secret(&keyring).unwrap();
    let secret = secret.expose_secret().to_owned();
    *receiver.seen.secret.lock().unwrap() = secret.clone();
    let store = odoo_mcp_gateway::store::Store::open(None, dir.path())
        .await
        .unwrap();
    let url = receiver.url();
    store
        .put_settings(&[
            (notify::URL_SETTING, &url),
            (notify::EVENTS_SETTING, "connection.created"),
            (notify::SECRET_SETTING, &sealed),
        ])
        .await
        .unwrap();
    let gateway = replicas::start_replica(&env).await;
    let created = replicas::run_cli(
        &["connection", "create", "--user", "demo", "--name", "logged"],
        &env,
        "",
    )
    .await;
    let message = receiver.one("connection.created").await;
    assert_eq!(message["data"]["connection_name"], "logged");
    let logs = gateway.log.lock().unwrap().clone();
    assert!(
        logs.contains("retrying with backoff"),
        "the failed attempt was logged: {logs}"
    );
    let printed = format!("{linked}{created}{logs}");
    assert!(
        !printed.contains(&secret[6..]),
        "the secret reached the logs"
    );
    assert!(
        !printed.contains(&sealed),
        "the sealed secret reached the logs"
    );
}
