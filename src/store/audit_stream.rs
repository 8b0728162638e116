//! SQL for the continuous audit stream: each writer's resume position (the last entry its
//! receiver acknowledged) and the lease that says which gateway process delivers it.

use super::{Result, Store, on_pool};
use crate::clock::Millis;

/// A writer this process holds the lease on, and where its delivery resumes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StreamPosition {
    pub writer: String,
    /// The last acknowledged entry's `seq`; 0 before the first.
    pub seq: i64,
}

impl Store {
    /// Registers `writer` for streaming from its first entry, leased to `owner`. Idempotent.
    pub async fn register_stream_writer(
        &self,
        writer: &str,
        owner: &str,
        lease_until: Millis,
    ) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO audit_stream (writer, seq, owner, lease_until) VALUES ($1, 0, $2, $3)
             ON CONFLICT (writer) DO NOTHING")
            .bind(writer)
            .bind(owner)
            .bind(lease_until)
            .execute(pool)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Renews `owner`'s leases and takes over every writer whose lease ran out before `now`
    /// (its process is gone); returns the writers `owner` now holds. One statement, so two
    /// replicas never both take the same writer.
    pub async fn claim_stream_writers(
        &self,
        owner: &str,
        now: Millis,
        lease_until: Millis,
    ) -> Result<Vec<StreamPosition>> {
        Ok(on_pool!(self, pool => sqlx::query_as::<_, StreamPosition>(
            "UPDATE audit_stream SET owner = $1, lease_until = $3
             WHERE owner = $1 OR lease_until < $2 RETURNING writer, seq")
            .bind(owner)
            .bind(now)
            .bind(lease_until)
            .fetch_all(pool)
            .await)?)
    }

    /// Moves `writer`'s position forward to `seq`, if `owner` still holds its lease; false when
    /// another process took it over meanwhile (it resumes from the stored position, so at
    /// worst the receiver sees the batch twice).
    pub async fn advance_stream(&self, writer: &str, owner: &str, seq: i64) -> Result<bool> {
        let moved = on_pool!(self, pool => sqlx::query(
            "UPDATE audit_stream SET seq = $3 WHERE writer = $1 AND owner = $2 AND seq < $3")
            .bind(writer)
            .bind(owner)
            .bind(seq)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(moved == 1)
    }
}
