//! SQL for server settings: a small name → value table, read whole and written one at a time.

use super::{Result, Store, on_pool};

impl Store {
    pub async fn load_settings(&self) -> Result<Vec<(String, String)>> {
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, (String, String)>(
            "SELECT name, value FROM settings ORDER BY name")
            .fetch_all(pool)
            .await)?,
        )
    }

    pub async fn put_setting(&self, name: &str, value: &str) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = $2")
            .bind(name)
            .bind(value)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}

/// The master switch's stored value as a column of the hot path's two reads (the key lookup and
/// the access-token lookup): every replica and process then sees it turned off on the very next
/// request, at no extra query. The name is Server Settings' `mcp_enabled`.
pub(super) const MCP_SWITCH: &str =
    "(SELECT value FROM settings WHERE name = 'mcp_enabled') AS mcp_switch";
