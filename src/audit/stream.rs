//! The continuous audit stream: entries POSTed, as they are committed, in batches to a webhook
//! that the Standard Webhooks headers sign — at least once, each chain in its order, resuming
//! from a stored position per writer, and never in a request's way.
//!
//! Why per writer: a writer (one gateway process) numbers its entries 1, 2, 3 … and commits
//! them in that order, so "everything of writer W up to seq N" is an exact position, where an
//! id would not be (on PostgreSQL a replica's batch can commit after a later id's). A
//! streaming process registers its own writer and holds a lease on it; when a process is
//! gone, its lease runs out and any streaming replica takes over the rest of its chain. A
//! position moves only after the receiver answered 2xx, so a receiver that dies mid-batch gets
//! the batch again: receivers de-duplicate on (writer, seq).
//! Requests never wait on the stream: it reads what the audit writer committed, so a slow or
//! absent receiver only makes the stream lag behind the database.

use std::time::Duration;

use serde_json::json;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::AuditLog;
use crate::clock::{Clock, Millis};
use crate::store::{self, AuditRow, Store};
use crate::webhook;

/// Most entries a delivery carries.
const BATCH: i64 = 200;
/// How long a process holds a writer without renewing it before a replica may take it over.
const LEASE: Millis = 30_000;
/// How often an idle stream looks for writers whose process is gone.
const IDLE: Duration = Duration::from_secs(1);
/// Waits between failed deliveries: doubling from the first to the last.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(250), Duration::from_secs(10));
/// How long shutdown waits for the last entries to be delivered.
pub const DRAIN: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("--audit-stream-url: '{0}' is not an http(s) URL")]
    BadUrl(String),
    #[error(
        "--audit-stream-url: '{0}' would send the audit log in plain text: use https (plain \
         http is accepted only to this machine: localhost, 127.0.0.1, ::1)"
    )]
    PlainHttp(String),
    #[error("--audit-stream-secret (GATEWAY_AUDIT_STREAM_SECRET): {0}")]
    Secret(#[from] webhook::Error),
    #[error("cannot start the audit stream's HTTP client: {0}")]
    Client(String),
}

/// Why one delivery round stopped: the database, or the receiver.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("the receiver did not take the entries: {0}")]
    Receiver(String),
}

/// Where the stream goes: the webhook's URL and the secret its deliveries are signed with.
#[derive(Debug, Clone)]
pub struct Target {
    url: Url,
    secret: webhook::Secret,
}

impl Target {
    /// An https URL (or http to this machine) and a `whsec_` secret.
    pub fn new(url: &str, secret: &str) -> Result<Self, Error> {
        let parsed = webhook::url(url).map_err(|e| match e {
            webhook::Error::PlainHttp(_) => Error::PlainHttp(url.to_owned()),
            _ => Error::BadUrl(url.to_owned()),
        })?;
        Ok(Self {
            url: parsed,
            secret: secret.parse()?,
        })
    }
}

/// A running stream: what [`Stream::run`] needs.
pub struct Stream {
    store: Store,
    clock: Clock,
    audit: AuditLog,
    target: Target,
    client: webhook::Sender,
}

impl Stream {
    pub fn new(store: Store, clock: Clock, audit: AuditLog, target: Target) -> Result<Self, Error> {
        let client = webhook::Sender::new().map_err(|e| Error::Client(e.to_string()))?;
        Ok(Self {
            store,
            clock,
            audit,
            target,
            client,
        })
    }

    /// This process's name in the leases: its audit writer's id (one per process).
    fn owner(&self) -> &str {
        self.audit.writer()
    }

    /// Delivers until `stop` is cancelled (after the last audit entries are committed), then
    /// for up to [`DRAIN`] more while entries remain.
    pub async fn run(self, stop: CancellationToken) {
        let mut backoff = BACKOFF.0;
        let mut failing = false;
        let mut registered = false;
        while !stop.is_cancelled() {
            let result = match registered {
                false => self.register().await.map(|()| true),
                true => self.round().await,
            };
            match result {
                Ok(more) => {
                    if failing {
                        tracing::info!("audit stream: the receiver takes entries again");
                    }
                    (failing, backoff, registered) = (false, BACKOFF.0, true);
                    if more {
                        continue;
                    }
                    tokio::select! {
                        () = self.audit.committed().notified() => {}
                        () = tokio::time::sleep(IDLE) => {}
                        () = stop.cancelled() => {}
                    }
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "audit stream: delivery failed; retrying with backoff");
                    }
                    failing = true;
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = stop.cancelled() => {}
                    }
                    backoff = (backoff * 2).min(BACKOFF.1);
                }
            }
        }
        if registered {
            self.drain().await;
        }
    }

    /// The last rounds at shutdown, so that a stopping gateway leaves no tail for a replica.
    async fn drain(&self) {
        let rounds = async { while let Ok(true) = self.round().await {} };
        if tokio::time::timeout(DRAIN, rounds).await.is_err() {
            tracing::warn!(
                "audit stream: shutdown came before every entry was delivered; a streaming replica or the next start delivers the rest"
            );
        }
    }

    async fn register(&self) -> Result<(), Failure> {
        let now = self.clock.now();
        let owner = self.owner();
        Ok(self
            .store
            .register_stream_writer(owner, owner, now + LEASE)
            .await?)
    }

    /// One delivery per writer held: true when a writer has more entries waiting.
    async fn round(&self) -> Result<bool, Failure> {
        let now = self.clock.now();
        let held = self
            .store
            .claim_stream_writers(self.owner(), now, now + LEASE)
            .await?;
        let mut more = false;
        for position in held {
            let page = self
                .store
                .audit_writer_page(&position.writer, position.seq, BATCH)
                .await?;
            let (Some(first), Some(last)) = (page.first(), page.last()) else {
                continue;
            };
            let (first, last) = (first.seq.unwrap_or(0), last.seq.unwrap_or(0));
            if first != position.seq + 1 {
                tracing::warn!(
                    writer = %position.writer,
                    missing_from = position.seq + 1,
                    missing_to = first - 1,
                    "audit stream: entries were deleted (retention) before they were delivered"
                );
            }
            self.deliver(&position.writer, (first, last), &page).await?;
            self.store
                .advance_stream(&position.writer, self.owner(), last)
                .await?;
            more |= page.len() as i64 == BATCH;
        }
        Ok(more)
    }

    /// POSTs one batch, signed; Ok only for a 2xx answer.
    async fn deliver(
        &self,
        writer: &str,
        (first, last): (i64, i64),
        page: &[AuditRow],
    ) -> Result<(), Failure> {
        let now = self.clock.now();
        let body = message(writer, now, page).to_string().into_bytes();
        let id = format!("audit_{writer}_{first}-{last}");
        self.client
            .post(&self.target.url, &self.target.secret, &id, now / 1000, body)
            .await
            .map_err(Failure::Receiver)
    }
}

/// A delivery's body: Standard Webhooks' `type`, `timestamp`, `data` envelope around the
/// writer and its entries, each as `audit export --format jsonl` writes it.
fn message(writer: &str, now: Millis, page: &[AuditRow]) -> serde_json::Value {
    let timestamp = chrono::DateTime::from_timestamp_millis(now)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    json!({
        "type": "audit.entries",
        "timestamp": timestamp,
        "data": {
            "writer": writer,
            "entries": page.iter().map(super::export::entry).collect::<Vec<_>>(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn takes_https_anywhere_and_plain_http_only_to_this_machine() {
        for ok in [
            "https://siem.example.com/ingest",
            "http://127.0.0.1:9000/audit",
            "http://localhost/audit",
            "http://[::1]:8080/",
        ] {
            assert!(Target::new(ok, SECRET).is_ok(), "{ok}");
        }
        assert!(matches!(
            Target::new("http://siem.example.com/ingest", SECRET),
            Err(Error::PlainHttp(_))
        ));
        assert!(matches!(
            Target::new("ftp://siem.example.com/", SECRET),
            Err(Error::BadUrl(_))
        ));
        assert!(matches!(
            Target::new("siem.example.com", SECRET),
            Err(Error::BadUrl(_))
        ));
        assert!(matches!(
            Target::new("https://siem.example.com/", "hunter2"),
            Err(Error::Secret(_))
        ));
    }

    #[test]
    fn a_message_carries_the_writer_and_its_entries_in_order() {
        let rows: Vec<AuditRow> = (1..=3)
            .map(|seq| AuditRow {
                id: seq * 10,
                seq: Some(seq),
                writer: Some("w".into()),
                method: "tools/list".into(),
                ..AuditRow::default()
            })
            .collect();
        let m = message("w", 1_764_547_200_000, &rows);
        assert_eq!(m["type"], "audit.entries");
        assert_eq!(m["timestamp"], "2025-12-01T00:00:00.000Z");
        assert_eq!(m["data"]["writer"], "w");
        let seqs: Vec<i64> = m["data"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, [1, 2, 3]);
    }
}
