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
