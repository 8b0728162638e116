//! SQL for one-time file links. A link is used up by one conditional update, so of two fetches
//! of the same link — on one process or on two replicas — exactly one gets the file.

use super::{Result, Store, on_pool};
use crate::clock::Millis;

/// A link that was just used up: whose it is and what it leads to.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FileLinkRow {
    pub connection_id: i64,
    /// What the link leads to, JSON (parsed by the calls layer).
    pub target: String,
    pub expires_at: Millis,
}

impl Store {
    pub async fn insert_file_link(
        &self,
        token_hash: &[u8],
        connection_id: i64,
        target: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO file_links (token_hash, connection_id, target, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(connection_id)
            .bind(target)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Marks the link used and returns it, if it exists, is unused and has not expired; `None`
    /// otherwise (the three are not told apart to whoever holds a token).
    pub async fn use_file_link(
        &self,
        token_hash: &[u8],
        now: Millis,
    ) -> Result<Option<FileLinkRow>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "UPDATE file_links SET used_at = $2
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
             RETURNING connection_id, target, expires_at")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await)?)
    }

    /// Makes a used link usable again, after a fetch that failed before the file was sent, so
    /// that nothing is lost to an Odoo hiccup.
    pub async fn release_file_link(&self, token_hash: &[u8]) -> Result<()> {
        on_pool!(self, pool => sqlx::query("UPDATE file_links SET used_at = NULL WHERE token_hash = $1")
            .bind(token_hash)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Forgets links that expired before `before`. Returns how many went.
    pub async fn delete_file_links_before(&self, before: Millis) -> Result<u64> {
        Ok(
            on_pool!(self, pool => sqlx::query("DELETE FROM file_links WHERE expires_at <= $1")
            .bind(before)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?,
        )
    }
}
