//! SQL for rate-limit counters shared by replicas: one atomic conditional upsert per window of
//! each bucket (a connection's requests, its calls that change data, its calls of one tool).

use super::{Result, Store, on_pool};
use crate::clock::Millis;

/// One counter: a bucket of a connection in one window.
#[derive(Debug, Clone, Copy)]
pub struct RateKey<'a> {
    pub connection_id: i64,
    pub bucket: &'a str,
    pub window_kind: &'a str,
    pub window_start: Millis,
}

impl Store {
    /// Counts one call in the window if it is still under `limit`; returns the new count,
    /// or `None` when the window is full. Atomic on both engines, so N concurrent calls
    /// against a limit of N all pass and the next one does not, on any number of replicas.
    pub async fn take_rate_slot(&self, key: &RateKey<'_>, limit: i64) -> Result<Option<i64>> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, i64>(
            "INSERT INTO rate_counters AS r (connection_id, bucket, window_kind, window_start, count)
             VALUES ($1, $2, $3, $4, 1)
             ON CONFLICT (connection_id, bucket, window_kind, window_start)
             DO UPDATE SET count = r.count + 1 WHERE r.count < $5
             RETURNING count")
            .bind(key.connection_id)
            .bind(key.bucket)
            .bind(key.window_kind)
            .bind(key.window_start)
            .bind(limit)
            .fetch_optional(pool)
            .await)?)
    }

    /// Gives back a slot taken by a call that a later limit refused.
    pub async fn give_back_rate_slot(&self, key: &RateKey<'_>) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE rate_counters SET count = count - 1
             WHERE connection_id = $1 AND bucket = $2 AND window_kind = $3 AND window_start = $4
               AND count > 0")
            .bind(key.connection_id)
            .bind(key.bucket)
            .bind(key.window_kind)
            .bind(key.window_start)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Forgets windows that ended before `before`.
    pub async fn delete_rate_windows_before(&self, before: Millis) -> Result<u64> {
        Ok(
            on_pool!(self, pool => sqlx::query("DELETE FROM rate_counters WHERE window_start < $1")
            .bind(before)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?,
        )
    }
}
