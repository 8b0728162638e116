//! SQL for notifications: the outbox of events for the notification webhook (claimed with a
//! lease, so replicas share the work without sending one attempt twice) and the per-connection
//! refusal counts behind the "repeated refusals" event.

use sqlx::AssertSqlSafe;

use super::{Result, Store, on_pool};
use crate::clock::Millis;

/// An event claimed for one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    /// The event's `data` object as JSON text.
    pub data: String,
    pub created_at: Millis,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// How an outbox row ended, for tests and the console's eyes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxState {
    pub id: String,
    pub kind: String,
    pub created_at: Millis,
    pub attempts: i64,
    pub delivered_at: Option<Millis>,
    pub failed_at: Option<Millis>,
    pub last_error: Option<String>,
}

impl Store {
    pub async fn insert_outbox(&self, id: &str, kind: &str, data: &str, now: Millis) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO notify_outbox (id, kind, data, created_at, next_at) VALUES ($1, $2, $3, $4, $4)")
            .bind(id)
            .bind(kind)
            .bind(data)
            .bind(now)
            .execute(pool)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Takes up to `limit` due events for `owner` until `lease_until`, counting the attempt.
    /// The outer conditions are checked again on the row itself, so on PostgreSQL a replica
    /// that waited on another's claim finds the row no longer due and skips it.
    pub async fn claim_outbox(
        &self,
        owner: &str,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<OutboxRow>> {
        Ok(on_pool!(self, pool => sqlx::query_as::<_, OutboxRow>(
            "UPDATE notify_outbox SET lease_owner = $1, next_at = $3, attempts = attempts + 1
             WHERE id IN (SELECT id FROM notify_outbox
                          WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= $2
                          ORDER BY created_at, id LIMIT $4)
               AND delivered_at IS NULL AND failed_at IS NULL AND next_at <= $2
             RETURNING id, kind, data, created_at, attempts")
            .bind(owner)
            .bind(now)
            .bind(lease_until)
            .bind(limit)
            .fetch_all(pool)
            .await)?)
    }

    pub async fn outbox_delivered(&self, id: &str, owner: &str, now: Millis) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE notify_outbox SET delivered_at = $3, last_error = NULL
             WHERE id = $1 AND lease_owner = $2")
            .bind(id)
            .bind(owner)
            .bind(now)
            .execute(pool)
            .await
            .map(drop))?;
        Ok(())
    }

    /// A failed attempt: tried again from `retry_at`, or given up (`retry_at` `None`).
    pub async fn outbox_failed(
        &self,
        id: &str,
        owner: &str,
        now: Millis,
        retry_at: Option<Millis>,
        error: &str,
    ) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE notify_outbox SET next_at = COALESCE($4, next_at), lease_owner = NULL,
                 failed_at = CASE WHEN $4 IS NULL THEN $3 ELSE NULL END, last_error = $5
             WHERE id = $1 AND lease_owner = $2")
            .bind(id)
            .bind(owner)
            .bind(now)
            .bind(retry_at)
            .bind(error)
            .execute(pool)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Deletes events delivered or given up before `before`; those still due stay.
    pub async fn delete_outbox_closed_before(&self, before: Millis) -> Result<u64> {
        Ok(on_pool!(self, pool => sqlx::query(
            "DELETE FROM notify_outbox WHERE COALESCE(delivered_at, failed_at) < $1")
            .bind(before)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?)
    }

    /// Every outbox row, oldest first.
    pub async fn list_outbox(&self) -> Result<Vec<OutboxState>> {
        self.outbox_states("ORDER BY created_at, id", i64::MAX)
            .await
    }

    /// The newest `limit` events, newest first: what Server Settings shows.
    pub async fn recent_outbox(&self, limit: i64) -> Result<Vec<OutboxState>> {
        self.outbox_states("ORDER BY created_at DESC, id DESC", limit)
            .await
    }

    async fn outbox_states(&self, order: &'static str, limit: i64) -> Result<Vec<OutboxState>> {
        let sql = format!(
            "SELECT id, kind, created_at, attempts, delivered_at, failed_at, last_error
             FROM notify_outbox {order} LIMIT $1"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, OutboxState>(AssertSqlSafe(sql.as_str()))
            .bind(limit)
            .fetch_all(pool)
            .await)?,
        )
    }

    /// Adds `count` refusals at `at` to the connection's window (a new window when the last
    /// began `window` or more before); returns the window's count before and after. One
    /// statement: concurrent replicas add up, and exactly one of them sees a threshold crossed.
    pub async fn add_refusals(
        &self,
        connection_id: i64,
        count: i64,
        at: Millis,
        window: Millis,
    ) -> Result<(i64, i64)> {
        let (after,): (i64,) = on_pool!(self, pool => sqlx::query_as(
            "INSERT INTO notify_refusals (connection_id, window_start, count) VALUES ($1, $3, $2)
             ON CONFLICT (connection_id) DO UPDATE SET
                 count = CASE WHEN notify_refusals.window_start <= $3 - $4 THEN $2
                              ELSE notify_refusals.count + $2 END,
                 window_start = CASE WHEN notify_refusals.window_start <= $3 - $4 THEN $3
                                     ELSE notify_refusals.window_start END
             RETURNING count")
            .bind(connection_id)
            .bind(count)
            .bind(at)
            .bind(window)
            .fetch_one(pool)
            .await)?;
        Ok((after - count, after))
    }

    /// Writes settings together, or none of them.
    pub async fn put_settings(&self, pairs: &[(&str, &str)]) -> Result<()> {
        on_pool!(self, pool => async {
            let mut tx = pool.begin().await?;
            for (name, value) in pairs {
                sqlx::query(
                    "INSERT INTO settings (name, value) VALUES ($1, $2)
                     ON CONFLICT (name) DO UPDATE SET value = $2")
                    .bind(name)
                    .bind(value)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }.await)?;
        Ok(())
    }
}
