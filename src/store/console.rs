//! SQL for the console: browser sessions (stored by hash), sign-in throttling counters, and the
//! OAuth client columns of `connections` (client id, type, redirect URIs, secret hash, dynamic).

use sqlx::AssertSqlSafe;

use super::{OdooUserRow, Result, Store, on_pool};
use crate::clock::Millis;
use crate::values::Role;

/// A live console session joined with its user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub csrf_token: String,
    pub flash: Option<String>,
    pub reveal_sealed: Option<Vec<u8>>,
    pub expires_at: Millis,
    #[sqlx(flatten)]
    pub user: OdooUserRow,
}

/// Failed sign-ins counted under one key (`login:…` or `ip:…`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ThrottleRow {
    pub failures: i64,
    pub first_failure_at: Millis,
    pub locked_until: Option<Millis>,
}

const SESSION_SELECT: &str = "SELECT s.csrf_token, s.flash, s.reveal_sealed, s.expires_at,
        u.id, u.login, u.odoo_uid, u.name, u.protocol, u.secret_sealed, u.role, u.linked_at,
        u.updated_at
    FROM console_sessions s JOIN odoo_users u ON u.id = s.odoo_user_id";

impl Store {
    pub async fn insert_session(
        &self,
        id_hash: &[u8],
        odoo_user_id: i64,
        csrf_token: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO console_sessions (id_hash, odoo_user_id, csrf_token, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)")
            .bind(id_hash)
            .bind(odoo_user_id)
            .bind(csrf_token)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// The session with this hash if it has not expired at `now`.
    pub async fn find_session(&self, id_hash: &[u8], now: Millis) -> Result<Option<SessionRow>> {
        let sql = format!("{SESSION_SELECT} WHERE s.id_hash = $1 AND s.expires_at > $2");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, SessionRow>(AssertSqlSafe(sql))
            .bind(id_hash)
            .bind(now)
            .fetch_optional(pool)
            .await)?,
        )
    }

    pub async fn delete_session(&self, id_hash: &[u8]) -> Result<()> {
        on_pool!(self, pool => sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Removes expired sessions (called on sign-in, so the table never grows unbounded).
    pub async fn delete_expired_sessions(&self, now: Millis) -> Result<()> {
        on_pool!(self, pool => sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn set_session_flash(&self, id_hash: &[u8], flash: Option<&str>) -> Result<()> {
        on_pool!(self, pool => sqlx::query("UPDATE console_sessions SET flash = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(flash)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Keeps a just-issued secret (sealed) until the next page shows it once.
    pub async fn set_session_reveal(&self, id_hash: &[u8], sealed: Option<&[u8]>) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE console_sessions SET reveal_sealed = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(sealed)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Counts one sign-in attempt under `key` in a single atomic statement, before the
    /// credential is checked, so parallel attempts cannot all pass one stale count. The window
    /// starts over once it is `window` old or a lock has run out; reaching `max` locks until
    /// `lock_until`. Returns the counter after this attempt.
    pub async fn count_signin_attempt(
        &self,
        key: &str,
        now: Millis,
        window: Millis,
        max: i64,
        lock_until: Millis,
    ) -> Result<ThrottleRow> {
        const FRESH: &str = "($2 - t.first_failure_at >= $5 OR (t.locked_until IS NOT NULL AND t.locked_until <= $2))";
        let sql = format!(
            "INSERT INTO signin_throttle AS t (key, failures, first_failure_at, locked_until)
             VALUES ($1, 1, $2, CASE WHEN 1 >= $3 THEN $4 END)
             ON CONFLICT (key) DO UPDATE SET
                 failures = CASE WHEN {FRESH} THEN 1 ELSE t.failures + 1 END,
                 first_failure_at = CASE WHEN {FRESH} THEN $2 ELSE t.first_failure_at END,
                 locked_until = CASE
                     WHEN (CASE WHEN {FRESH} THEN 1 ELSE t.failures + 1 END) < $3 THEN NULL
                     WHEN t.locked_until > $2 THEN t.locked_until
                     ELSE $4 END
             RETURNING failures, first_failure_at, locked_until"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, ThrottleRow>(AssertSqlSafe(sql))
            .bind(key)
            .bind(now)
            .bind(max)
            .bind(lock_until)
            .bind(window)
            .fetch_one(pool)
            .await)?,
        )
    }

    /// Takes back one counted attempt that turned out not to be a failure (a successful
    /// sign-in from a shared address, or Odoo being unreachable).
    pub async fn forgive_signin_attempt(&self, key: &str, max: i64) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE signin_throttle SET failures = failures - 1,
                 locked_until = CASE WHEN failures - 1 >= $2 THEN locked_until END
             WHERE key = $1 AND failures > 0")
            .bind(key)
            .bind(max)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn signin_throttle(&self, key: &str) -> Result<Option<ThrottleRow>> {
        Ok(on_pool!(self, pool => sqlx::query_as::<_, ThrottleRow>(
            "SELECT failures, first_failure_at, locked_until FROM signin_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await)?)
    }

    pub async fn clear_throttle(&self, key: &str) -> Result<()> {
        on_pool!(self, pool => sqlx::query("DELETE FROM signin_throttle WHERE key = $1")
            .bind(key)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Gives `login` the role `role` (`None` removes it) unless that would leave no MCP
    /// Administrator: the check and the change are one statement. On PostgreSQL the count
    /// locks the administrators' rows (`FOR UPDATE`), so two administrators removing each other
    /// at once are serialised and the second sees one administrator left; SQLite runs one
    /// writer at a time. `Ok(false)`: nothing changed (no such login, or the last administrator).
    pub async fn set_role_keeping_an_admin(
        &self,
        login: &str,
        role: Option<Role>,
        now: Millis,
    ) -> Result<bool> {
        let admins = match self {
            Store::Sqlite(_) => "(SELECT COUNT(*) FROM odoo_users WHERE role = 'admin')",
            Store::Postgres(_) => {
                "(SELECT COUNT(*) FROM (SELECT 1 FROM odoo_users WHERE role = 'admin' FOR UPDATE)
                     AS admins)"
            }
        };
        let sql = format!(
            "UPDATE odoo_users SET role = $2, updated_at = $3
             WHERE login = $1 AND ($2 = 'admin' OR role IS DISTINCT FROM 'admin' OR {admins} > 1)"
        );
        let done = on_pool!(self, pool => sqlx::query(AssertSqlSafe(sql))
            .bind(login)
            .bind(role.map(Role::as_db))
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    pub async fn count_admins(&self) -> Result<i64> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM odoo_users WHERE role = 'admin'")
            .fetch_one(pool)
            .await)?)
    }
}
