//! Background jobs: each a single step of `(state, now)` that tests call directly, repeated by
//! one ticker until shutdown. Every step is idempotent, so all replicas may run them.

use std::time::Duration;

use crate::clock::{DAY_MS, Millis};
use crate::state::AppState;
use crate::store;

/// Deletes audit events older than the retention period. Returns how many went. The
/// dashboard's rollups are cut on their own, longer schedule (hourly 7 days, daily 400): they
/// hold counts, never a payload, so a year of trends outlives the entries.
pub async fn audit_retention(state: &AppState, now: Millis) -> Result<u64, store::Error> {
    let days = state.settings.get(&state.store).await?.audit_retention_days;
    let deleted = state
        .store
        .delete_audit_before(now - Millis::from(days) * DAY_MS)
        .await?;
    state.store.prune_rollups(now).await?;
    Ok(deleted)
}

/// Forgets rate-limit windows that are over (yesterday's day window and older).
pub async fn rate_windows(state: &AppState, now: Millis) -> Result<u64, store::Error> {
    state.rate_limiter.forget_before(now);
    state
        .store
        .delete_rate_windows_before(now - 2 * DAY_MS)
        .await
}

/// Forgets idempotency keys whose 24 hours are over.
pub async fn idempotency_keys(state: &AppState, now: Millis) -> Result<u64, store::Error> {
    state.store.delete_idempotency_before(now).await
}

/// Forgets used in-chat confirmations whose answer time is over.
pub async fn used_confirmations(state: &AppState, now: Millis) -> Result<u64, store::Error> {
    state.store.delete_used_confirmations_before(now).await
}

/// Forgets file links whose time is over (used or not).
pub async fn file_links(state: &AppState, now: Millis) -> Result<u64, store::Error> {
    state.store.delete_file_links_before(now).await
}

/// How long a delivered (or given-up) notification stays in the outbox, for an operator
/// asking whether an event went out.
pub const NOTIFICATIONS_KEPT: Millis = 30 * DAY_MS;

/// Forgets notifications delivered or given up more than [`NOTIFICATIONS_KEPT`] ago.
pub async fn notification_outbox(state: &AppState, now: Millis) -> Result<u64, store::Error> {
    state
        .store
        .delete_outbox_closed_before(now - NOTIFICATIONS_KEPT)
        .await
}

/// Runs every job once a minute until the app shuts down.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = state.shutdown.cancelled() => return,
        }
        let now = state.clock.now();
        if let Err(e) = audit_retention(&state, now).await {
            tracing::warn!(error = %e, "audit retention job failed");
        }
        if let Err(e) = crate::approvals::expire_due(&state, now).await {
            tracing::warn!(error = %e, "approval expiry job failed");
        }
        if let Err(e) = crate::approvals::fail_interrupted(&state, now).await {
            tracing::warn!(error = %e, "interrupted-approval job failed");
        }
        if let Err(e) = crate::oauth::prune_unclaimed(&state, now).await {
            tracing::warn!(error = %e, "OAuth prune failed");
        }
        if let Err(e) = rate_windows(&state, now).await {
            tracing::warn!(error = %e, "rate window cleanup failed");
        }
        if let Err(e) = idempotency_keys(&state, now).await {
            tracing::warn!(error = %e, "idempotency key cleanup failed");
        }
        if let Err(e) = file_links(&state, now).await {
            tracing::warn!(error = %e, "file link cleanup failed");
        }
        if let Err(e) = used_confirmations(&state, now).await {
            tracing::warn!(error = %e, "used confirmation cleanup failed");
        }
        if let Err(e) = notification_outbox(&state, now).await {
            tracing::warn!(error = %e, "notification outbox cleanup failed");
        }
    }
}
