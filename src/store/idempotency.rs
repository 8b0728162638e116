//! SQL for idempotency keys. A key is claimed by one conditional upsert — it inserts, or takes
//! over a row whose 24 hours are over — so two requests with the same key, on one process or on
//! two replicas, never both run the call.

use super::{Result, Store, on_pool};
use crate::clock::Millis;
use crate::values::IdempotencyState;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IdempotencyRow {
    pub connection_id: i64,
    pub idem_key: String,
    pub arguments_hash: Vec<u8>,
    pub state: IdempotencyState,
    /// The stored answer, JSON (done and held only).
    pub result: Option<String>,
    pub created_at: Millis,
    pub expires_at: Millis,
}

impl Store {
    /// Claims `key` for a call with `arguments_hash`: true when this request is to run it (the
    /// key was free, or its row had expired), false when a live row holds it.
    pub async fn claim_idempotency(
        &self,
        connection_id: i64,
        key: &str,
        arguments_hash: &[u8],
        now: Millis,
        expires_at: Millis,
    ) -> Result<bool> {
        let claimed = on_pool!(self, pool => sqlx::query(
            "INSERT INTO idempotency (connection_id, idem_key, arguments_hash, state, result,
                 created_at, expires_at)
             VALUES ($1, $2, $3, $4, NULL, $5, $6)
             ON CONFLICT (connection_id, idem_key) DO UPDATE SET
                 arguments_hash = excluded.arguments_hash, state = excluded.state, result = NULL,
                 created_at = excluded.created_at, expires_at = excluded.expires_at
             WHERE idempotency.expires_at <= $5")
            .bind(connection_id)
            .bind(key)
            .bind(arguments_hash)
            .bind(IdempotencyState::Running.as_db())
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(claimed == 1)
    }

    pub async fn get_idempotency(
        &self,
        connection_id: i64,
        key: &str,
    ) -> Result<Option<IdempotencyRow>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "SELECT connection_id, idem_key, arguments_hash, state, result, created_at, expires_at
             FROM idempotency WHERE connection_id = $1 AND idem_key = $2")
            .bind(connection_id)
            .bind(key)
            .fetch_optional(pool)
            .await)?)
    }

    /// Records how the running call with `key` ended.
    pub async fn finish_idempotency(
        &self,
        connection_id: i64,
        key: &str,
        state: IdempotencyState,
        result: Option<&str>,
    ) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE idempotency SET state = $3, result = $4
             WHERE connection_id = $1 AND idem_key = $2 AND state = $5")
            .bind(connection_id)
            .bind(key)
            .bind(state.as_db())
            .bind(result)
            .bind(IdempotencyState::Running.as_db())
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Frees `key` after a call that certainly changed nothing, so that a retry runs.
    pub async fn release_idempotency(&self, connection_id: i64, key: &str) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "DELETE FROM idempotency WHERE connection_id = $1 AND idem_key = $2 AND state = $3")
            .bind(connection_id)
            .bind(key)
            .bind(IdempotencyState::Running.as_db())
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Forgets the keys whose 24 hours are over. Returns how many went.
    pub async fn delete_idempotency_before(&self, now: Millis) -> Result<u64> {
        Ok(
            on_pool!(self, pool => sqlx::query("DELETE FROM idempotency WHERE expires_at <= $1")
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?,
        )
    }
}
