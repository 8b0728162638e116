//! Background work of the authorization server, as single steps the tests call directly;
//! `crate::jobs` repeats them.

use super::cimd;
use crate::clock::{DAY_MS, HOUR_MS, Millis};
use crate::state::AppState;
use crate::store::{self, Pruned};

/// A dynamic registration nobody consented to within a day is deleted. Clients such as claude.ai
/// register anew on every connect, so these pile up otherwise.
pub const UNCLAIMED_FOR: Millis = DAY_MS;
/// Used codes are kept this long past expiry, so a replay still revokes what they issued.
const USED_CODES_KEPT: Millis = HOUR_MS;

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
