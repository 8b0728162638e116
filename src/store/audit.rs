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
    /// Only what this person may see; `None` = everything (administrators).
    pub viewer: Option<AuditViewer>,
    pub limit: i64,
    pub offset: i64,
}

/// An MCP User's view of the log: the entries of connections acting as their Odoo user, and
/// entries without a connection that carry their login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditViewer {
    pub odoo_user_id: i64,
    pub login: String,
}

/// A column the console groups the log by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditGroupBy {
    Outcome,
    Tool,
    Model,
    User,
    Connection,
}

impl AuditGroupBy {
    /// The grouped expression, always text so one row type serves every grouping.
    fn expression(self) -> &'static str {
        match self {
            Self::Outcome => "outcome",
            Self::Tool => "tool",
            Self::Model => "model",
            Self::User => "user_login",
            Self::Connection => "CAST(connection_id AS TEXT)",
        }
    }
}

/// One group of the log: its key (`None` for entries without a value), how many entries and
/// their summed duration.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditGroupRow {
    pub group_key: Option<String>,
    pub entries: i64,
    pub total_ms: i64,
}

/// The conditions of [`AuditFilter`], `$1`…`$9`, shared by the list, the count, the grouping
/// and the detail. A `NULL` parameter disables its condition.
const WHERE: &str = "($1 IS NULL OR outcome = $1) AND ($2 IS NULL OR tool = $2)
   AND ($3 IS NULL OR model = $3) AND ($4 IS NULL OR user_login = $4)
   AND ($5 IS NULL OR connection_id = $5) AND ($6 IS NULL OR at >= $6)
   AND ($7 IS NULL OR at < $7)
   AND ($8 IS NULL
        OR connection_id IN (SELECT id FROM connections WHERE odoo_user_id = $8)
        OR (connection_id IS NULL AND user_login = $9))";

/// Binds [`WHERE`]'s nine parameters from an [`AuditFilter`] (a macro: the query types differ
/// per engine).
macro_rules! bind_filter {
    ($query:expr, $filter:expr) => {{
        let f: &AuditFilter = $filter;
        $query
            .bind(f.outcome.clone())
            .bind(f.tool.clone())
            .bind(f.model.clone())
            .bind(f.user_login.clone())
            .bind(f.connection_id)
            .bind(f.since)
            .bind(f.until)
            .bind(f.viewer.as_ref().map(|v| v.odoo_user_id))
            .bind(f.viewer.as_ref().map(|v| v.login.clone()))
    }};
}

const COLUMNS: &str = "id, at, method, tool, model, user_login, connection_id, client_ip, outcome, \
                       duration_ms, error, request_payload, response_payload";

impl Store {
    /// Appends events in one transaction, so a batch is written whole or not at all.
    pub async fn insert_audit_events(&self, events: &[AuditRow]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        // One statement per batch: a statement per event cost a round trip each to sqlx's
        // SQLite thread (two thread wake-ups), more than the request it records. Not kept in
        // the statement cache: each batch size is another statement, and a cache of a hundred
        // of those held ~150 MB.
        on_pool!(self, pool => {
            if events.len() <= ROWS_PER_INSERT {
                insert_audit(events).build().persistent(false).execute(pool).await.map(drop)
            } else {
                let mut tx = pool.begin().await?;
                for chunk in events.chunks(ROWS_PER_INSERT) {
                    insert_audit(chunk).build().persistent(false).execute(&mut *tx).await?;
                }
                tx.commit().await
            }
        })?;
        Ok(())
    }

    /// Newest first. Every filter is a bound parameter; `NULL` disables it.
    pub async fn list_audit_events(&self, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events WHERE {WHERE}
             ORDER BY at DESC, id DESC LIMIT $10 OFFSET $11"
        );
        Ok(on_pool!(self, pool => bind_filter!(
                sqlx::query_as::<_, AuditRow>(AssertSqlSafe(sql)), f)
            .bind(f.limit)
            .bind(f.offset)
            .fetch_all(pool)
            .await)?)
    }

    /// How many entries match `f` (ignoring limit and offset), and their summed duration.
    pub async fn count_audit_events(&self, f: &AuditFilter) -> Result<(i64, i64)> {
        let sql = format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(duration_ms), 0) AS BIGINT)
             FROM audit_events WHERE {WHERE}"
        );
        Ok(on_pool!(self, pool => bind_filter!(
                sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(sql)), f)
            .fetch_one(pool)
            .await)?)
    }

    /// The entries matching `f` grouped by `by`, largest group first (ties by key, the group
    /// without a value last). Limit and offset are ignored.
    pub async fn group_audit_events(
        &self,
        f: &AuditFilter,
        by: AuditGroupBy,
    ) -> Result<Vec<AuditGroupRow>> {
        let column = by.expression();
        let sql = format!(
            "SELECT {column} AS group_key, COUNT(*) AS entries,
                    CAST(COALESCE(SUM(duration_ms), 0) AS BIGINT) AS total_ms
             FROM audit_events WHERE {WHERE} GROUP BY {column}"
        );
        let mut groups = on_pool!(self, pool => bind_filter!(
                sqlx::query_as::<_, AuditGroupRow>(AssertSqlSafe(sql)), f)
            .fetch_all(pool)
            .await)?;
        // Sorted here: the engines order NULLs differently.
        groups.sort_by(|a, b| {
            b.entries
                .cmp(&a.entries)
                .then_with(|| a.group_key.is_none().cmp(&b.group_key.is_none()))
                .then_with(|| a.group_key.cmp(&b.group_key))
        });
        Ok(groups)
    }

    pub async fn get_audit_event(&self, id: i64) -> Result<Option<AuditRow>> {
        self.get_visible_audit_event(id, None).await
    }

    /// One entry, if `viewer` (`None`: an administrator) may see it.
    pub async fn get_visible_audit_event(
        &self,
        id: i64,
        viewer: Option<&AuditViewer>,
    ) -> Result<Option<AuditRow>> {
        let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE {WHERE} AND id = $10");
        let f = AuditFilter {
            viewer: viewer.cloned(),
            ..AuditFilter::default()
        };
        Ok(on_pool!(self, pool => bind_filter!(
                sqlx::query_as::<_, AuditRow>(AssertSqlSafe(sql)), &f)
            .bind(id)
            .fetch_optional(pool)
            .await)?)
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

/// Rows in one `INSERT`: 12 parameters each stays well within SQLite's 32,766 and PostgreSQL's
/// 65,535 parameters per statement.
const ROWS_PER_INSERT: usize = 512;

/// `INSERT INTO audit_events … VALUES (…), (…), …` for `events`.
fn insert_audit<'a, DB>(events: &'a [AuditRow]) -> sqlx::QueryBuilder<DB>
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<&'a str>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut insert = sqlx::QueryBuilder::new(
        "INSERT INTO audit_events (at, method, tool, model, user_login, connection_id, \
         client_ip, outcome, duration_ms, error, request_payload, response_payload) ",
    );
    insert.push_values(events, |mut row, e| {
        row.push_bind(e.at)
            .push_bind(e.method.as_str())
            .push_bind(e.tool.as_deref())
            .push_bind(e.model.as_deref())
            .push_bind(e.user_login.as_deref())
            .push_bind(e.connection_id)
            .push_bind(e.client_ip.as_deref())
            .push_bind(e.outcome.as_str())
            .push_bind(e.duration_ms)
            .push_bind(e.error.as_deref())
            .push_bind(e.request_payload.as_deref())
            .push_bind(e.response_payload.as_deref());
    });
    insert
}
