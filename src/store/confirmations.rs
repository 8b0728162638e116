//! SQL for used in-chat confirmations: one row per confirmation that let a call run, so that a
//! replayed confirmation (on this process or another replica) cannot run the call again.

use super::{Result, Store, on_pool};
use crate::clock::Millis;

impl Store {
    /// Spends the confirmation whose state hashes to `state_hash` on a run: true the first time,
    /// and again for a retry carrying the same idempotency key (the idempotency layer makes it
    /// the same run); false when it already let another run happen.
    pub async fn use_confirmation(
        &self,
        state_hash: &[u8],
        idem_key: Option<&str>,
        expires_at: Millis,
    ) -> Result<bool> {
        let spent: Option<Option<String>> = on_pool!(self, pool => async {
            let inserted = sqlx::query(
                "INSERT INTO used_confirmations (state_hash, idem_key, expires_at)
                 VALUES ($1, $2, $3) ON CONFLICT (state_hash) DO NOTHING")
                .bind(state_hash)
                .bind(idem_key)
                .bind(expires_at)
                .execute(pool)
                .await?
                .rows_affected();
            if inserted == 1 {
                return Ok(None);
            }
            sqlx::query_scalar("SELECT idem_key FROM used_confirmations WHERE state_hash = $1")
                .bind(state_hash)
                .fetch_one(pool)
                .await
                .map(Some)
        }.await)?;
        Ok(match spent {
            None => true,
            Some(earlier) => idem_key.is_some() && earlier.as_deref() == idem_key,
        })
    }

    /// Forgets confirmations whose answer time is over (they no longer open anyway).
    pub async fn delete_used_confirmations_before(&self, now: Millis) -> Result<u64> {
        Ok(on_pool!(self, pool => sqlx::query(
            "DELETE FROM used_confirmations WHERE expires_at <= $1")
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?)
    }
}
