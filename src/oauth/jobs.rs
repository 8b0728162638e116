//! Background work of the authorization server, as single steps the tests call directly, and
//! the ticker that repeats them until shutdown.

use std::time::Duration;

use tokio::task::JoinHandle;

use super::cimd;
use crate::app::AppState;
use crate::clock::{DAY_MS, HOUR_MS, Millis};
use crate::store::{self, Pruned};

/// A dynamic registration nobody consented to within a day is deleted. Clients such as claude.ai
/// register anew on every connect, so these pile up otherwise.
pub const UNCLAIMED_FOR: Millis = DAY_MS;
/// Used codes are kept this long past expiry, so a replay still revokes what they issued.
const USED_CODES_KEPT: Millis = HOUR_MS;
const EVERY: Duration = Duration::from_secs(10 * 60);

/// One prune pass: unclaimed dynamic registrations, dead codes and tokens, stale documents.
pub async fn prune_unclaimed(state: &AppState, now: Millis) -> Result<Pruned, store::Error> {
    let pruned = state
        .store
        .prune_oauth(
            now - UNCLAIMED_FOR,
            now - USED_CODES_KEPT,
            now,
            now - cimd::CACHE_FOR,
        )
        .await?;
    if pruned != Pruned::default() {
        tracing::info!(
            clients = pruned.clients,
            codes = pruned.codes,
            tokens = pruned.tokens,
            documents = pruned.documents,
            "OAuth prune"
        );
    }
    Ok(pruned)
}

/// Repeats [`prune_unclaimed`] until the app shuts down.
pub fn spawn_jobs(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        loop {
            tokio::select! {
                () = state.shutdown.cancelled() => break,
                _ = ticks.tick() => {
                    if let Err(e) = prune_unclaimed(&state, state.clock.now()).await {
                        tracing::warn!(error = %e, "OAuth prune failed");
                    }
                }
            }
        }
    })
}
