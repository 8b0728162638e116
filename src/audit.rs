//! The audit log: one event per MCP (and OAuth) request, refusals included, written off the
//! request's hot path by one background writer.
//!
//! Guarantee: an event is handed to the writer before its response is sent (the hand-off waits
//! when the queue is full, it never drops). The writer commits what is queued in batches (group
//! commit: an event waits at most [`LINGER`], 5 ms, for others to share its commit); graceful
//! shutdown drains the queue before exiting. A crash loses only events queued but not yet
//! committed — the last few milliseconds' worth.
//! The writer also counts each request against its connection (Requests, Last used), so the hot
//! path does no write of its own.
//! Each entry is linked into the writer's hash chain ([`chain`]) here, in the background, so
//! the request path pays nothing for it.

pub mod chain;
pub mod export;
pub mod rule;
pub mod stream;
pub mod verify;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::{Notify, mpsc, oneshot};

use self::chain::{Chain, ChainKey};
use crate::clock::Millis;
use crate::store::{AuditRow, Store};

/// How many events the queue holds before request handlers wait for the writer.
const QUEUE: usize = 8192;
/// Most events written in one transaction.
const BATCH: usize = 512;
/// Longest an event waits for others to share its commit.
const LINGER: std::time::Duration = std::time::Duration::from_millis(5);

/// The outcome words of PRODUCT.md's audit log.
pub(crate) mod outcome {
    pub(crate) const SUCCESS: &str = "success";
    pub(crate) const ERROR: &str = "error";
    pub(crate) const DENIED: &str = "denied";
    pub(crate) const RATE_LIMITED: &str = "rate_limited";
    pub(crate) const PENDING_APPROVAL: &str = "pending_approval";
}

enum Command {
    Record(Box<AuditRow>),
    Flush(oneshot::Sender<()>),
}

/// The handle request handlers record through. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AuditLog {
    tx: mpsc::Sender<Command>,
    /// The writer's id in the hash chain (this process's chain).
    writer: Arc<str>,
    /// Signalled after every commit, for the audit stream to deliver without polling.
    committed: Arc<Notify>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("audit command")
    }
}

impl AuditLog {
    /// Starts the writer on `store`, chaining its entries under `key`; it runs until every
    /// handle is dropped. Each writer starts a chain of its own.
    pub fn start(store: Store, key: ChainKey) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let chain = Chain::new(key);
        let writer = chain.writer().into();
        let committed = Arc::new(Notify::new());
        tokio::spawn(write_loop(store, chain, rx, committed.clone()));
        Self {
            tx,
            writer,
            committed,
        }
    }

    /// This writer's id: its entries' `writer` column.
    pub fn writer(&self) -> &str {
        &self.writer
    }

    /// Wakes one waiter after each commit (a commit while nobody waits leaves a permit).
    pub fn committed(&self) -> &Notify {
        &self.committed
    }

    pub async fn record(&self, event: AuditRow) {
        if self
            .tx
            .send(Command::Record(Box::new(event)))
            .await
            .is_err()
        {
            tracing::error!("audit writer is gone; an audit event was not recorded");
        }
    }

    /// Waits until everything recorded before this call is committed.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Command::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}

async fn write_loop(
    store: Store,
    mut chain: Chain,
    mut rx: mpsc::Receiver<Command>,
    committed: Arc<Notify>,
) {
    let mut pending = Pending::default();
    while let Some(first) = rx.recv().await {
        pending.take(first);
        // Group commit: wait up to LINGER for more events, so that a busy gateway commits a
        // few hundred batches a second rather than one per request or two — each commit also
        // makes every reader of the file start over with an empty page cache. A flush, or a
        // full batch, commits at once.
        let deadline = tokio::time::Instant::now() + LINGER;
        while !pending.ready() {
            match rx.try_recv() {
                Ok(command) => pending.take(command),
                Err(_) => match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(command)) => pending.take(command),
                    // Every handle is gone (shutdown), or the linger is over.
                    Ok(None) | Err(_) => break,
                },
            }
        }
        commit(&store, &mut chain, &mut pending.batch).await;
        committed.notify_one();
        for ack in pending.acks.drain(..) {
            let _ = ack.send(());
        }
    }
}

/// What the writer holds until its next commit.
#[derive(Default)]
struct Pending {
    batch: Vec<AuditRow>,
    acks: Vec<oneshot::Sender<()>>,
}

impl Pending {
    fn take(&mut self, command: Command) {
        match command {
            Command::Record(event) => self.batch.push(*event),
            Command::Flush(ack) => self.acks.push(ack),
        }
    }

    /// A full batch, or someone waiting for everything so far to be committed.
    fn ready(&self) -> bool {
        self.batch.len() >= BATCH || !self.acks.is_empty()
    }
}

async fn commit(store: &Store, chain: &mut Chain, batch: &mut Vec<AuditRow>) {
    if batch.is_empty() {
        return;
    }
    let head = chain.link(batch);
    // Retried once: a busy SQLite file or a PostgreSQL failover should not cost the log.
    let mut result = store.insert_audit_events(batch).await;
    if result.is_err() {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        result = store.insert_audit_events(batch).await;
    }
    // The head moves on even when the batch was lost: `audit verify` then shows the loss as
    // missing entries, and a commit that succeeded but reported failure cannot make the next
    // batch reuse its sequence numbers (refused by the unique index, forever).
    chain.advance(head);
    if let Err(e) = result {
        tracing::error!(error = %e, lost = batch.len(), "audit events could not be written");
    }
    for (connection_id, (count, last)) in usage(batch) {
        if let Err(e) = store.record_uses(connection_id, count, last).await {
            tracing::error!(error = %e, connection_id, "request count could not be updated");
        }
    }
    crate::notify::count_refusals(store, &refusals(batch)).await;
    batch.clear();
}

/// Requests and latest time per connection in a batch: MCP requests only (refusals before
/// authentication have no connection, and the OAuth flow's own requests — registration,
/// consent, token exchanges — are not uses of the connection).
fn usage(batch: &[AuditRow]) -> HashMap<i64, (i64, Millis)> {
    per_connection(
        batch
            .iter()
            .filter(|e| !e.method.starts_with(OAUTH_METHOD_PREFIX)),
    )
}

/// How many of `events` each connection had, and the latest one's time.
fn per_connection<'a>(events: impl Iterator<Item = &'a AuditRow>) -> HashMap<i64, (i64, Millis)> {
    let mut per: HashMap<i64, (i64, Millis)> = HashMap::new();
    for e in events {
        if let Some(id) = e.connection_id {
            let entry = per.entry(id).or_insert((0, e.at));
            entry.0 += 1;
            entry.1 = entry.1.max(e.at);
        }
    }
    per
}

/// Denied requests per connection in a batch, with the latest one's time: what the
/// repeated-refusals notification counts (a rate limit is not a refusal of what was asked).
fn refusals(batch: &[AuditRow]) -> Vec<(i64, i64, Millis)> {
    per_connection(batch.iter().filter(|e| e.outcome == outcome::DENIED))
        .into_iter()
        .map(|(id, (n, at))| (id, n, at))
        .collect()
}

/// The method prefix of the OAuth endpoints' events (`oauth/token` …).
pub(crate) const OAUTH_METHOD_PREFIX: &str = "oauth/";

/// Keys whose values are secrets wherever they appear.
const SECRET_KEYS: &[&str] = &["authorization", "code", "code_verifier"];
/// Words that make any key a secret's, as one of its `_`-separated (or camelCase) parts:
/// `new_password`, `x_pwd`, `x_api_secret_key`, `x_totp_seed`, `clientSecret`.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "apikey",
    "credential",
    "credentials",
    "csrf",
    "totp",
    "otp",
    "private",
];

/// Whether `key` names a secret. Words are matched whole, so business fields such as
/// `default_code` or `keyword` stay; a key whose last word is `key` or `token` (`key`,
/// `api_key`, `refresh_token`, but not `token_type`) is one.
fn is_secret_key(key: &str) -> bool {
    let mut snake = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    let words: Vec<&str> = snake
        .split(['_', '-', '.', ' '])
        .filter(|w| !w.is_empty())
        .collect();
    SECRET_KEYS.contains(&words.join("_").as_str())
        || words.iter().any(|w| SECRET_WORDS.contains(w))
        || matches!(words.last(), Some(&("key" | "token")))
}

/// A secret-named value is redacted whatever its type (a numeric PIN, a list of keys), except
/// `null` and the integer under `code` — a JSON-RPC or HTTP status code, never an OAuth code
/// (those are strings).
fn redacts(key: &str, value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Number(n) if n.is_i64() && key == "code" => false,
        _ => is_secret_key(key),
    }
}

/// A copy of `value` safe to store: values under secret-looking keys, and strings that look like
/// our own tokens, are replaced.
pub(crate) fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if redacts(k, v) {
                        Value::String("[redacted]".into())
                    } else {
                        redact(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        // MCP text content often carries the same result serialised as JSON.
        Value::String(s) if s.starts_with(['{', '[']) => match serde_json::from_str::<Value>(s) {
            Ok(inner) => Value::String(redact(&inner).to_string()),
            Err(_) => Value::String(scrub_tokens(s)),
        },
        Value::String(s) => Value::String(scrub_tokens(s)),
        other => other.clone(),
    }
}

/// Replaces anything shaped like one of our tokens (`omg_` and at least 16 token characters).
fn scrub_tokens(text: &str) -> String {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("omg_") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let len = tail.find(|c| !is_token_char(c)).unwrap_or(tail.len());
        if len >= "omg_".len() + 16 {
            out.push_str("[redacted]");
        } else {
            out.push_str(&tail[..len]);
        }
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_wherever_they_sit() {
        let payload = json!({
            "params": {"name": "create_record", "arguments": {"model": "res.users",
                "values": {"login": "x", "password": "hunter2", "new_password": "p", "note": "omg_abcdefghijklmnopqrstuvwx"}}},
            "refresh_token": "r", "keys": ["omg_0123456789abcdefghij", "plain"], "code": null,
        });
        let clean = redact(&payload);
        let text = clean.to_string();
        for secret in [
            "hunter2",
            "\"p\"",
            "omg_abcdefghij",
            "omg_0123456789",
            "\"r\"",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(clean["params"]["arguments"]["values"]["login"], "x");
        assert_eq!(
            redact(&json!({"default_code": "FURN_01"}))["default_code"],
            "FURN_01"
        );
        let text = json!({"text": "{\"comment\":\"see omg_abcdefghijklmnopqrstuvwx now\",\"new_password\":\"s3\"}"});
        let scrubbed = redact(&text).to_string();
        assert!(
            !scrubbed.contains("omg_abcdefghijklmnopqrstuvwx") && !scrubbed.contains("s3"),
            "{scrubbed}"
        );
        assert_eq!(scrub_tokens("a omg_short b"), "a omg_short b");
        assert_eq!(clean["keys"][1], "plain");
        assert_eq!(clean["code"], Value::Null);
    }

    #[test]
    fn secret_names_are_redacted_whatever_the_value() {
        let payload = json!({"password": 987_654_321_012_i64, "x_pwd": ["a1", "b2"],
            "x_passphrase": "horse", "x_api_secret_key": "k1", "x_totp_seed": "JBSW",
            "clientSecret": "cs", "signing_key": {"k": 1}, "otp": 123_456,
            "error": {"code": -32000, "message": "rate limited"},
            "x_api_token": 7, "token_type": "Bearer",
            "default_code": "FURN_01", "keyword": "chair", "key_id": 4, "name": "Acme"});
        let clean = redact(&payload);
        for key in [
            "password",
            "x_pwd",
            "x_passphrase",
            "x_api_secret_key",
            "x_totp_seed",
            "clientSecret",
            "signing_key",
            "otp",
            "x_api_token",
        ] {
            assert_eq!(clean[key], "[redacted]", "{key}: {clean}");
        }
        assert_eq!(clean["error"]["code"], -32000);
        for key in ["default_code", "keyword", "key_id", "name", "token_type"] {
            assert_eq!(clean[key], payload[key], "{key}");
        }
    }

    #[test]
    fn usage_is_summed_per_connection() {
        let row = |id: Option<i64>, at| AuditRow {
            connection_id: id,
            at,
            ..AuditRow::default()
        };
        let oauth = AuditRow {
            method: "oauth/token".into(),
            ..row(Some(2), 7)
        };
        let per = usage(&[
            row(Some(1), 5),
            row(Some(1), 9),
            row(None, 3),
            row(Some(2), 1),
            oauth,
        ]);
        assert_eq!(per[&1], (2, 9));
        assert_eq!(per[&2], (1, 1));
        assert_eq!(per.len(), 2);
    }
}
