//! SQL for connections: API keys (and, later, OAuth clients) with their policy columns and usage.

use sqlx::AssertSqlSafe;

use super::settings::MCP_SWITCH;
use super::{Result, Store, on_pool};
use crate::clock::Millis;
use crate::values::{Kind, Limit, Policy, Scope};

/// A connection joined with the login and name of the Odoo user it acts as.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: i64,
    pub kind: Kind,
    pub name: String,
    pub odoo_user_id: Option<i64>,
    pub user_login: Option<String>,
    pub user_name: Option<String>,
    pub scope: Scope,
    pub key_prefix: Option<String>,
    pub key_hash: Option<Vec<u8>>,
    pub description: String,
    #[sqlx(flatten)]
    pub policy: Policy,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
    pub request_count: i64,
}

/// A connection found by its key, with what is needed to act as its Odoo user: one read per
/// request on the hot path.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyHolderRow {
    #[sqlx(flatten)]
    pub connection: ConnectionRow,
    pub holder_uid: Option<i64>,
    pub holder_protocol: Option<String>,
    pub holder_secret: Option<Vec<u8>>,
    /// The stored master switch, read with the key (see [`MCP_SWITCH`]).
    pub mcp_switch: Option<String>,
}

pub struct NewConnection<'a> {
    pub kind: Kind,
    pub name: &'a str,
    pub odoo_user_id: i64,
    pub scope: Scope,
    pub key_prefix: &'a str,
    pub key_hash: &'a [u8],
    pub description: &'a str,
}

/// A connection by its key hash, with its user's credential: the hot path's one read.
pub(super) fn key_holder_sql() -> String {
    SELECT.replacen(
        "c.request_count",
        &format!(
            "c.request_count, u.odoo_uid AS holder_uid, u.protocol AS holder_protocol,
             u.secret_sealed AS holder_secret, {MCP_SWITCH}"
        ),
        1,
    ) + " WHERE c.key_hash = $1"
}

const SELECT: &str = "SELECT c.id, c.kind, c.name, c.odoo_user_id, u.login AS user_login,
        u.name AS user_name, c.scope, c.key_prefix, c.key_hash, c.description,
        c.allowed_tools, c.allowed_models, c.model_operations, c.allowed_companies, c.approval_tools, c.confirm_tools, c.approver_user_id,
        c.approval_expiry_hours, c.allowed_ips, c.blocked_ips, c.rate_per_minute, c.rate_per_day,
        c.record_limits, c.field_limits, c.write_per_minute, c.write_per_day, c.tool_limits,
        c.created_at, c.revoked_at, c.last_used_at, c.request_count
    FROM connections c LEFT JOIN odoo_users u ON u.id = c.odoo_user_id";

impl Store {
    pub async fn insert_connection(&self, new: &NewConnection<'_>, now: Millis) -> Result<i64> {
        let id: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "INSERT INTO connections (kind, name, odoo_user_id, scope, key_prefix, key_hash,
                 description, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(new.kind.as_db())
            .bind(new.name)
            .bind(new.odoo_user_id)
            .bind(new.scope.as_db())
            .bind(new.key_prefix)
            .bind(new.key_hash)
            .bind(new.description)
            .bind(now)
            .fetch_one(pool)
            .await)?;
        Ok(id)
    }

    pub async fn get_connection(&self, id: i64) -> Result<Option<ConnectionRow>> {
        let sql = format!("{SELECT} WHERE c.id = $1");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, ConnectionRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(pool)
            .await)?,
        )
    }

    /// The hot path of every MCP request: one indexed equality lookup on the keyed hash.
    pub async fn find_connection_by_key_hash(&self, hash: &[u8]) -> Result<Option<ConnectionRow>> {
        let sql = format!("{SELECT} WHERE c.key_hash = $1");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, ConnectionRow>(AssertSqlSafe(sql))
            .bind(hash)
            .fetch_optional(pool)
            .await)?,
        )
    }

    pub async fn find_key_holder(&self, hash: &[u8]) -> Result<Option<KeyHolderRow>> {
        let sql = key_holder_sql();
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, KeyHolderRow>(AssertSqlSafe(sql))
            .bind(hash)
            .fetch_optional(pool)
            .await)?,
        )
    }

    /// Files a connection's API key under a new hash (after a secret-key rotation). False when
    /// it is no longer filed under `old`.
    pub async fn refile_api_key(&self, id: i64, old: &[u8], new: &[u8]) -> Result<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE connections SET key_hash = $3 WHERE id = $1 AND key_hash = $2")
            .bind(id)
            .bind(old)
            .bind(new)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    pub async fn list_connections(&self) -> Result<Vec<ConnectionRow>> {
        let sql = format!("{SELECT} ORDER BY c.id");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, ConnectionRow>(AssertSqlSafe(sql))
            .fetch_all(pool)
            .await)?,
        )
    }

    /// Replaces the key: the old hash is gone in the same statement, so the old key stops at once.
    pub async fn replace_key(&self, id: i64, prefix: &str, hash: &[u8]) -> Result<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE connections SET key_prefix = $2, key_hash = $3 WHERE id = $1")
            .bind(id)
            .bind(prefix)
            .bind(hash)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Revokes (`Some(now)`) or reactivates (`None`). Returns whether the connection exists.
    /// Revokes a connection at `at`, noting whether an administrator did. Returns whether it
    /// exists.
    pub async fn set_revoked(&self, id: i64, at: Millis, by_admin: bool) -> Result<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE connections SET revoked_at = $2, revoked_by_admin = $3 WHERE id = $1")
            .bind(id)
            .bind(at)
            .bind(i64::from(by_admin))
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Reactivates a connection, unless an administrator revoked it and `by_admin` is false: one
    /// conditional statement, so a revocation landing in between is never undone by the wrong
    /// person. Returns whether it changed (false: unknown, or refused).
    pub async fn clear_revoked(&self, id: i64, by_admin: bool) -> Result<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE connections SET revoked_at = NULL, revoked_by_admin = 0
             WHERE id = $1 AND (revoked_by_admin = 0 OR $2 = 1)")
            .bind(id)
            .bind(i64::from(by_admin))
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Counts one request and moves Last used forward (never backwards, across replicas).
    pub async fn record_use(&self, id: i64, now: Millis) -> Result<()> {
        self.record_uses(id, 1, now).await
    }

    /// Counts `count` requests whose latest was at `last`.
    pub async fn record_uses(&self, id: i64, count: i64, last: Millis) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE connections SET request_count = request_count + $3,
                 last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < $2
                                     THEN $2 ELSE last_used_at END
             WHERE id = $1")
            .bind(id)
            .bind(last)
            .bind(count)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn update_policy(&self, id: i64, description: &str, p: &Policy) -> Result<bool> {
        self.update_policies(&[(id, description, p)]).await
    }

    /// Writes each connection's description and policy in one transaction: all of them, or —
    /// when one is gone or a statement fails — none. Returns whether all were written.
    pub async fn update_policies(&self, changes: &[(i64, &str, &Policy)]) -> Result<bool> {
        let written = on_pool!(self, pool => async {
            let mut tx = pool.begin().await?;
            for (id, description, p) in changes {
                let done = sqlx::query(
                    "UPDATE connections SET description = $2, allowed_tools = $3,
                         allowed_models = $4, approval_tools = $5, approver_user_id = $6,
                         approval_expiry_hours = $7, allowed_ips = $8, blocked_ips = $9,
                         rate_per_minute = $10, rate_per_day = $11, allowed_companies = $12,
                         model_operations = $13, record_limits = $14, field_limits = $15,
                         write_per_minute = $16, write_per_day = $17, tool_limits = $18,
                         confirm_tools = $19
                     WHERE id = $1")
                    .bind(id)
                    .bind(description)
                    .bind(p.allowed_tools.to_string())
                    .bind(p.allowed_models.to_string())
                    .bind(p.approval_tools.to_string())
                    .bind(p.approver_user_id)
                    .bind(p.approval_expiry_hours.map(Limit::get))
                    .bind(p.allowed_ips.as_text())
                    .bind(p.blocked_ips.as_text())
                    .bind(p.rate_per_minute.map(Limit::get))
                    .bind(p.rate_per_day.map(Limit::get))
                    .bind(p.allowed_companies.to_string())
                    .bind(p.model_operations.to_string())
                    .bind(p.record_limits.to_string())
                    .bind(p.field_limits.to_string())
                    .bind(p.write_per_minute.map(Limit::get))
                    .bind(p.write_per_day.map(Limit::get))
                    .bind(p.tool_limits.to_string())
                    .bind(p.confirm_tools.to_string())
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    // Dropping the transaction rolls back what it wrote so far.
                    return Ok(false);
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(true)
        }.await)?;
        Ok(written)
    }
}
