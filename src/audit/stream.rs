//! The continuous audit stream: entries sent, as they are committed, in batches to a webhook
//! that the Standard Webhooks headers sign, or to a syslog collector ([`syslog`]) — at least
//! once, each chain in its order, resuming from a stored position per writer, and never in a
//! request's way.
//!
//! Why per writer: a writer (one gateway process) numbers its entries 1, 2, 3 … and commits
//! them in that order, so "everything of writer W up to seq N" is an exact position, where an
//! id would not be (on PostgreSQL a replica's batch can commit after a later id's). A
//! streaming process registers its own writer and holds a lease on it; when a process is
//! gone, its lease runs out and any streaming replica takes over the rest of its chain. A
//! position moves only after the receiver answered 2xx (a syslog collector, which answers
//! nothing: once the connection outlived the batch, see [`syslog`]), so a receiver that dies
//! mid-batch gets the batch again: receivers de-duplicate on (writer, seq).
//! Requests never wait on the stream: it reads what the audit writer committed, so a slow or
//! absent receiver only makes the stream lag behind the database.

pub mod syslog;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::AuditLog;
use crate::clock::{Clock, Millis, rfc3339_ms};
use crate::metrics::{Channel, Delivery, Metrics};
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
    #[error(
        "--audit-stream-url: '{0}' is not an http(s) or syslog URL (https://…, \
         syslog+tls://host[:port], syslog+tcp://localhost:port)"
    )]
    BadUrl(String),
    #[error(
        "--audit-stream-url: '{0}' would send the audit log in plain text: use https (plain \
         http is accepted only to this machine: localhost, 127.0.0.1, ::1)"
    )]
    PlainHttp(String),
    #[error("--audit-stream-secret (GATEWAY_AUDIT_STREAM_SECRET): {0}")]
    Secret(#[from] webhook::Error),
    #[error(
        "--audit-stream-url: a webhook stream is signed: give --audit-stream-secret \
         (GATEWAY_AUDIT_STREAM_SECRET) too"
    )]
    NoSecret,
    #[error(
        "--audit-stream-secret signs webhook deliveries; a syslog stream has no signature \
         (leave it out)"
    )]
    SecretForSyslog,
    #[error(transparent)]
    Syslog(#[from] syslog::Error),
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

/// Where the stream goes: a webhook's URL and the secret its deliveries are signed with, or a
/// syslog collector.
#[derive(Debug, Clone)]
pub enum Target {
    Webhook { url: Url, secret: webhook::Secret },
    Syslog(syslog::Destination),
}

impl Target {
    /// An https URL (or http to this machine) with a `whsec_` secret, or a syslog URL
    /// without one.
    pub fn new(url: &str, secret: Option<&str>) -> Result<Self, Error> {
        if let Some(destination) = Url::parse(url)
            .ok()
            .as_ref()
            .and_then(syslog::Destination::parse)
        {
            return match secret {
                Some(_) => Err(Error::SecretForSyslog),
                None => Ok(Self::Syslog(destination?)),
            };
        }
        let parsed = webhook::url(url).map_err(|e| match e {
            webhook::Error::PlainHttp(_) => Error::PlainHttp(url.to_owned()),
            _ => Error::BadUrl(url.to_owned()),
        })?;
        Ok(Self::Webhook {
            url: parsed,
            secret: secret.ok_or(Error::NoSecret)?.parse()?,
        })
    }

    /// The URL without a query (which may hold options), for log lines.
    pub fn shown(&self) -> String {
        match self {
            Self::Webhook { url, .. } => {
                format!("{}{}", url.origin().ascii_serialization(), url.path())
            }
            Self::Syslog(d) => d.shown().to_owned(),
        }
    }
}

/// How entries leave: signed POSTs, or syslog with its batches awaiting confirmation.
enum Sink {
    Webhook {
        url: Url,
        secret: webhook::Secret,
        client: webhook::Sender,
    },
    Syslog {
        sender: syslog::Syslog,
        /// Per writer, the last entry written on the current connection but not yet
        /// confirmed, with the time of each batch's write.
        unconfirmed: Mutex<HashMap<String, Vec<(Instant, i64)>>>,
    },
}

/// A running stream: what [`Stream::run`] needs.
pub struct Stream {
    store: Store,
    clock: Clock,
    audit: AuditLog,
    sink: Sink,
    metrics: Arc<Metrics>,
}

impl Stream {
    /// `public` is the gateway's public URL: a syslog message's HOSTNAME is its host.
    pub fn new(
        store: Store,
        clock: Clock,
        audit: AuditLog,
        metrics: Arc<Metrics>,
        target: Target,
        public: &str,
    ) -> Result<Self, Error> {
        let sink = match target {
            Target::Webhook { url, secret } => Sink::Webhook {
                url,
                secret,
                client: webhook::Sender::new().map_err(|e| Error::Client(e.to_string()))?,
            },
            Target::Syslog(destination) => Sink::Syslog {
                sender: syslog::Syslog::new(destination, public),
                unconfirmed: Mutex::default(),
            },
        };
        Ok(Self {
            store,
            clock,
            audit,
            sink,
            metrics,
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
    /// A syslog connection is then closed gracefully: a collector that closes its side in turn
    /// has read everything, which confirms what was still waiting.
    async fn drain(&self) {
        let rounds = async { while let Ok(true) = self.round().await {} };
        let finished = tokio::time::timeout(DRAIN, rounds).await.is_ok();
        if let Sink::Syslog {
            sender,
            unconfirmed,
        } = &self.sink
            && sender.close(Duration::from_secs(2)).await
        {
            // Everything written so far is confirmed.
            let mut unconfirmed = unconfirmed.lock().await;
            if let Err(e) = self.confirm(&mut unconfirmed, Instant::now()).await {
                tracing::warn!(error = %e, "audit stream: cannot store the last position");
            }
        }
        if !finished {
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
        let result = self.deliver_held(&held).await;
        if let Sink::Syslog {
            sender,
            unconfirmed,
        } = &self.sink
        {
            let mut unconfirmed = unconfirmed.lock().await;
            if result.is_err() || !sender.alive().await {
                // What the lost connection carried is written again from the stored positions.
                unconfirmed.clear();
                sender.reset().await;
            } else {
                unconfirmed.retain(|writer, _| held.iter().any(|p| &p.writer == writer));
                if let Some(due) = Instant::now().checked_sub(syslog::CONFIRM_AFTER) {
                    self.confirm(&mut unconfirmed, due).await?;
                }
            }
        }
        result
    }

    async fn deliver_held(&self, held: &[store::StreamPosition]) -> Result<bool, Failure> {
        let mut more = false;
        for position in held {
            let from = self.sent(&position.writer, position.seq).await;
            let page = self
                .store
                .audit_writer_page(&position.writer, from, BATCH)
                .await?;
            let (Some(first), Some(last)) = (page.first(), page.last()) else {
                continue;
            };
            let (first, last) = (first.seq.unwrap_or(0), last.seq.unwrap_or(0));
            if first != from + 1 {
                tracing::warn!(
                    writer = %position.writer,
                    missing_from = from + 1,
                    missing_to = first - 1,
                    "audit stream: entries were deleted (retention) before they were delivered"
                );
            }
            self.deliver(&position.writer, (first, last), &page).await?;
            more |= page.len() as i64 == BATCH;
        }
        Ok(more)
    }

    /// Where `writer`'s next page starts: its stored position, or past what this connection
    /// has written and not yet confirmed.
    async fn sent(&self, writer: &str, stored: i64) -> i64 {
        match &self.sink {
            Sink::Webhook { .. } => stored,
            Sink::Syslog { unconfirmed, .. } => unconfirmed
                .lock()
                .await
                .get(writer)
                .and_then(|batches| batches.last())
                .map_or(stored, |&(_, seq)| seq.max(stored)),
        }
    }

    /// Stores the position of every syslog batch written at or before `due`.
    async fn confirm(
        &self,
        unconfirmed: &mut HashMap<String, Vec<(Instant, i64)>>,
        due: Instant,
    ) -> Result<(), Failure> {
        for (writer, batches) in unconfirmed.iter_mut() {
            let ripe = batches.iter().take_while(|(at, _)| *at <= due).count();
            if let Some(&(_, seq)) = ripe.checked_sub(1).and_then(|i| batches.get(i)) {
                self.store.advance_stream(writer, self.owner(), seq).await?;
                batches.drain(..ripe);
            }
        }
        unconfirmed.retain(|_, batches| !batches.is_empty());
        Ok(())
    }

    /// Sends one batch, counted in the metrics.
    async fn deliver(
        &self,
        writer: &str,
        seqs: (i64, i64),
        page: &[AuditRow],
    ) -> Result<(), Failure> {
        let sent = self.send(writer, seqs, page).await;
        let result = match &sent {
            Ok(()) => Delivery::Delivered,
            Err(_) => Delivery::Failed,
        };
        self.metrics
            .delivery(Channel::AuditStream, result, page.len() as u64);
        sent
    }

    /// A signed POST (Ok only for a 2xx answer, and the position stored at once), or syslog
    /// messages (written; the position waits for confirmation).
    async fn send(
        &self,
        writer: &str,
        (first, last): (i64, i64),
        page: &[AuditRow],
    ) -> Result<(), Failure> {
        match &self.sink {
            Sink::Webhook {
                url,
                secret,
                client,
            } => {
                let now = self.clock.now();
                let body = message(writer, now, page).to_string().into_bytes();
                let id = format!("audit_{writer}_{first}-{last}");
                client
                    .post(url, secret, &id, now / 1000, body)
                    .await
                    .map_err(Failure::Receiver)?;
                self.store
                    .advance_stream(writer, self.owner(), last)
                    .await?;
                Ok(())
            }
            Sink::Syslog {
                sender,
                unconfirmed,
            } => {
                sender.send(page).await.map_err(Failure::Receiver)?;
                unconfirmed
                    .lock()
                    .await
                    .entry(writer.to_owned())
                    .or_default()
                    .push((Instant::now(), last));
                Ok(())
            }
        }
    }
}

/// A delivery's body: Standard Webhooks' `type`, `timestamp`, `data` envelope around the
/// writer and its entries, each as `audit export --format jsonl` writes it.
fn message(writer: &str, now: Millis, page: &[AuditRow]) -> serde_json::Value {
    json!({
        "type": "audit.entries",
        "timestamp": rfc3339_ms(now),
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
            assert!(Target::new(ok, Some(SECRET)).is_ok(), "{ok}");
        }
        assert!(matches!(
            Target::new("http://siem.example.com/ingest", Some(SECRET)),
            Err(Error::PlainHttp(_))
        ));
        assert!(matches!(
            Target::new("ftp://siem.example.com/", Some(SECRET)),
            Err(Error::BadUrl(_))
        ));
        assert!(matches!(
            Target::new("siem.example.com", Some(SECRET)),
            Err(Error::BadUrl(_))
        ));
        assert!(matches!(
            Target::new("https://siem.example.com/", Some("hunter2")),
            Err(Error::Secret(_))
        ));
        assert!(matches!(
            Target::new("https://siem.example.com/", None),
            Err(Error::NoSecret)
        ));
        assert!(matches!(
            Target::new("syslog+tls://siem.example.com", Some(SECRET)),
            Err(Error::SecretForSyslog)
        ));
        assert!(matches!(
            Target::new("syslog+tcp://siem.example.com:514", None),
            Err(Error::Syslog(syslog::Error::PlainTcp(_)))
        ));
        assert!(matches!(
            Target::new("syslog+tcp://127.0.0.1:514", None),
            Ok(Target::Syslog(_))
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
