//! SQL for rate-limit counters shared by replicas: one atomic conditional upsert per window.

use super::{Result, Store, on_pool};
use crate::clock::Millis;

impl Store {
    /// Counts one request in the window if it is still under `limit`; returns the new count,
    /// or `None` when the window is full. Atomic on both engines, so N concurrent requests
    /// against a limit of N all pass and the next one does not, on any number of replicas.
    pub async fn take_rate_slot(
        &self,
        connection_id: i64,
        window_kind: &str,
        window_start: Millis,
        limit: i64,
    ) -> Result<Option<i64>> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, i64>(
            "INSERT INTO rate_counters AS r (connection_id, window_kind, window_start, count)
             VALUES ($1, $2, $3, 1)
             ON CONFLICT (connection_id, window_kind, window_start)
             DO UPDATE SET count = r.count + 1 WHERE r.count < $4
             RETURNING count")
            .bind(connection_id)
            .bind(window_kind)
            .bind(window_start)
            .bind(limit)
            .fetch_optional(pool)
            .await)?)
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
