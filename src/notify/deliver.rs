//! The notification deliverer: a background task that claims due outbox events (leased, so
//! replicas share them), POSTs each to the configured webhook signed as Standard Webhooks, and
//! retries a failed one with growing waits until it gives up after [`MAX_ATTEMPTS`] (recorded
//! on the row). At least once: a delivery cut short (a crash, a shutdown) is tried again when
//! its lease runs out, with the same `webhook-id` for the receiver to de-duplicate on.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::message::message;
use super::{Config, Format};
use crate::clock::{Clock, Millis};
use crate::metrics::{Channel, Delivery, Metrics};
use crate::secrets::Keyring;
use crate::store::{OutboxRow, Store};
use crate::webhook;

/// Most events one round claims.
const BATCH: i64 = 20;
/// How long a claimed event is this process's before another may try it.
const LEASE: Millis = 60_000;
/// How often the deliverer looks for due events.
const IDLE: Duration = Duration::from_millis(500);
/// Attempts before an event is given up: with the waits below, about 77 minutes of trying
/// (long enough to ride out a receiver's restart or a short outage, bounded so the outbox
/// does not grow without end behind a URL that is gone).
pub const MAX_ATTEMPTS: i64 = 15;
/// The wait after the first failed attempt, doubling up to the last.
const BACKOFF: (Millis, Millis) = (1_000, 15 * 60_000);

/// What [`Deliverer::run`] needs.
pub struct Deliverer {
    store: Store,
    clock: Clock,
    keyring: Arc<Keyring>,
    metrics: Arc<Metrics>,
    /// The console's public base URL, for the link in each message.
    public: String,
    /// This process's name in the leases.
    owner: String,
    client: webhook::Sender,
}

impl Deliverer {
    pub fn new(
        store: Store,
        clock: Clock,
        keyring: Arc<Keyring>,
        metrics: Arc<Metrics>,
        public: &str,
        owner: &str,
    ) -> Result<Self, reqwest::Error> {
        let client = webhook::Sender::new()?;
        Ok(Self {
            store,
            clock,
            keyring,
            metrics,
            public: public.trim_end_matches('/').to_owned(),
            owner: owner.to_owned(),
            client,
        })
    }

    /// Delivers until `stop` is cancelled. An event in flight then is left to its lease.
    pub async fn run(self, stop: CancellationToken) {
        while !stop.is_cancelled() {
            let more = tokio::select! {
                more = self.round() => more,
                () = stop.cancelled() => break,
            };
            if !more {
                tokio::select! {
                    () = tokio::time::sleep(IDLE) => {}
                    () = stop.cancelled() => {}
                }
            }
        }
    }

    /// One round: true when more events may be due at once.
    async fn round(&self) -> bool {
        let config = match Config::load(&self.store).await {
            Ok(config) => config,
            Err(e) => {
                tracing::warn!(error = %e, "notifications: cannot read the settings");
                return false;
            }
        };
        let (Some(url), secret) = (config.url.clone(), config.secret(&self.keyring)) else {
            return false;
        };
        let secret = match secret {
            Ok(Some(secret)) => secret,
            Ok(None) => return false,
            Err(e) => {
                tracing::warn!(error = %e, "notifications: the signing secret does not open");
                return false;
            }
        };
        let now = self.clock.now();
        let claimed = match self
            .store
            .claim_outbox(&self.owner, now, now + LEASE, BATCH)
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "notifications: cannot claim events");
                return false;
            }
        };
        for row in &claimed {
            let result = self.deliver(&url, config.format, &secret, row).await;
            if let Err(e) = self.record(row, result).await {
                tracing::warn!(error = %e, id = %row.id, "notifications: cannot record a delivery");
            }
        }
        claimed.len() as i64 == BATCH
    }

    async fn record(
        &self,
        row: &OutboxRow,
        result: Result<(), String>,
    ) -> Result<(), crate::store::Error> {
        let now = self.clock.now();
        let count = |result| self.metrics.delivery(Channel::Notifications, result, 0);
        match result {
            Ok(()) => {
                count(Delivery::Delivered);
                self.store.outbox_delivered(&row.id, &self.owner, now).await
            }
            Err(error) => {
                let retry_at = (row.attempts < MAX_ATTEMPTS).then(|| now + backoff(row.attempts));
                if retry_at.is_none() {
                    count(Delivery::GivenUp);
                    tracing::warn!(id = %row.id, kind = %row.kind, attempts = row.attempts, %error,
                        "notifications: gave up on an event");
                } else {
                    count(Delivery::Failed);
                    tracing::info!(id = %row.id, attempts = row.attempts, %error,
                        "notifications: delivery failed; retrying with backoff");
                }
                self.store
                    .outbox_failed(&row.id, &self.owner, now, retry_at, &error)
                    .await
            }
        }
    }

    /// POSTs one event; Ok only for a 2xx answer.
    async fn deliver(
        &self,
        url: &url::Url,
        format: Format,
        secret: &webhook::Secret,
        row: &OutboxRow,
    ) -> Result<(), String> {
        let body = message(&self.public, format, row)?.to_string().into_bytes();
        self.client
            .post(url, secret, &row.id, self.clock.now() / 1000, body)
            .await
    }
}

/// The wait after `attempts` failed attempts.
fn backoff(attempts: i64) -> Millis {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(20);
    (BACKOFF.0 << doublings).min(BACKOFF.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_a_second_up_to_a_quarter_hour() {
        assert_eq!(backoff(1), 1_000);
        assert_eq!(backoff(2), 2_000);
        assert_eq!(backoff(5), 16_000);
        assert_eq!(backoff(40), 15 * 60_000);
    }
}
