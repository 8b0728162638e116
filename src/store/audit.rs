//! SQL for the audit log: batched appends, filtered reads, and the retention delete. There is
//! no update statement for it anywhere.

use sqlx::AssertSqlSafe;

use super::{Result, Store, on_pool};
use crate::clock::Millis;

#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: Millis,
    pub method: String,
    pub tool: Option<String>,
    pub model: Option<String>,
    pub user_login: Option<String>,
    pub connection_id: Option<i64>,
    pub client_ip: Option<String>,
    pub outcome: String,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub request_payload: Option<String>,
    pub response_payload: Option<String>,
}

/// Filters of the audit list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub outcome: Option<String>,
    pub tool: Option<String>,
    pub model: Option<String>,
    pub user_login: Option<String>,
    pub connection_id: Option<i64>,
    pub since: Option<Millis>,
    pub until: Option<Millis>,
    pub limit: i64,
    pub offset: i64,
}

const COLUMNS: &str = "id, at, method, tool, model, user_login, connection_id, client_ip, outcome, \
                       duration_ms, error, request_payload, response_payload";

impl Store {
    /// Appends events in one transaction, so a batch is written whole or not at all.
    pub async fn insert_audit_events(&self, events: &[AuditRow]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for e in events {
                sqlx::query(
                    "INSERT INTO audit_events (at, method, tool, model, user_login, connection_id,
                         client_ip, outcome, duration_ms, error, request_payload, response_payload)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
                    .bind(e.at)
                    .bind(&e.method)
                    .bind(&e.tool)
                    .bind(&e.model)
                    .bind(&e.user_login)
                    .bind(e.connection_id)
                    .bind(&e.client_ip)
                    .bind(&e.outcome)
                    .bind(e.duration_ms)
                    .bind(&e.error)
                    .bind(&e.request_payload)
                    .bind(&e.response_payload)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })?;
        Ok(())
    }

    /// Newest first. Every filter is a bound parameter; `NULL` disables it.
    pub async fn list_audit_events(&self, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events
             WHERE ($1 IS NULL OR outcome = $1) AND ($2 IS NULL OR tool = $2)
               AND ($3 IS NULL OR model = $3) AND ($4 IS NULL OR user_login = $4)
               AND ($5 IS NULL OR connection_id = $5) AND ($6 IS NULL OR at >= $6)
               AND ($7 IS NULL OR at < $7)
             ORDER BY at DESC, id DESC LIMIT $8 OFFSET $9"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, AuditRow>(AssertSqlSafe(sql))
            .bind(&f.outcome)
            .bind(&f.tool)
            .bind(&f.model)
            .bind(&f.user_login)
            .bind(f.connection_id)
            .bind(f.since)
            .bind(f.until)
            .bind(f.limit)
            .bind(f.offset)
            .fetch_all(pool)
            .await)?,
        )
    }

    pub async fn get_audit_event(&self, id: i64) -> Result<Option<AuditRow>> {
        let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE id = $1");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, AuditRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(pool)
            .await)?,
        )
    }

    /// The retention rule: events older than `before` go. Returns how many.
    pub async fn delete_audit_before(&self, before: Millis) -> Result<u64> {
        Ok(
            on_pool!(self, pool => sqlx::query("DELETE FROM audit_events WHERE at < $1")
            .bind(before)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?,
        )
    }
}
