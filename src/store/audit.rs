//! SQL for the audit log: batched appends, filtered reads, the chain walk, and the retention
//! delete with its checkpoints. There is no update statement for it anywhere.

use sqlx::AssertSqlSafe;

use super::{Result, Store, on_pool, rollup};
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
    /// The hash chain (see `audit::chain`): the writer that stored the entry, its place in
    /// that writer's chain, the hash of the entry before it, and its own. Set by the writer;
    /// `None` on entries older than the chain.
    pub writer: Option<String>,
    pub seq: Option<i64>,
    pub prev_hash: Option<Vec<u8>>,
    pub hash: Option<Vec<u8>>,
    /// The governance rule that refused the call (ip, rate, tools, models …); `None` otherwise.
    pub rule: Option<String>,
    /// The request's W3C trace id (32 hex digits) when it was traced.
    pub trace_id: Option<String>,
}

/// Where the retention job cut one writer's chain: the last entry it deleted.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditCheckpoint {
    pub writer: String,
    pub seq: i64,
    pub hash: Vec<u8>,
    pub at: Millis,
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
                       duration_ms, error, request_payload, response_payload, writer, seq, \
                       prev_hash, hash, rule, trace_id";

impl Store {
    /// Appends events in one transaction, so a batch is written whole or not at all.
    pub async fn insert_audit_events(&self, events: &[AuditRow]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        // Multi-row statements: a statement per event cost a round trip each to sqlx's SQLite
        // thread (two thread wake-ups), more than the request it records. Their lengths are
        // powers of two (`shaped`), so a handful of shapes serve every batch and each is parsed
        // once per connection and then kept: parsing the statement anew for each batch was
        // 13 % of all instructions per request (callgrind), more than the key lookup. A cache
        // keyed by every batch size instead held ~150 MB.
        // The dashboard's rollups move in the same transaction: exact, whatever the replicas.
        let tallies: Vec<_> = rollup::fold(events).into_iter().collect();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for chunk in shaped(events) {
                insert_audit(chunk).build().execute(&mut *tx).await?;
            }
            for chunk in shaped(&tallies) {
                rollup::upsert_rollups(chunk).build().execute(&mut *tx).await?;
            }
            tx.commit().await
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
    ///
    /// A chain is cut by sequence, not by time: each writer loses its entries up to the newest
    /// one older than `before` (an entry a little newer that was written before it goes too,
    /// so no hole is left), and that entry's place and hash become the writer's checkpoint,
    /// where `audit verify` starts. One transaction: no cut without its checkpoint.
    pub async fn delete_audit_before(&self, before: Millis) -> Result<u64> {
        Ok(on_pool!(self, pool => async {
            let mut tx = pool.begin().await?;
            // A write first: on SQLite a transaction that read before writing fails with
            // SQLITE_BUSY_SNAPSHOT once the audit writer commits meanwhile (busy_timeout cannot
            // help it); one that starts by writing waits for the write lock instead.
            let mut deleted =
                sqlx::query("DELETE FROM audit_events WHERE writer IS NULL AND at < $1")
                    .bind(before)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            let cuts: Vec<(String, i64)> = sqlx::query_as(
                "SELECT writer, MAX(seq) FROM audit_events
                 WHERE writer IS NOT NULL AND seq IS NOT NULL AND at < $1 GROUP BY writer",
            )
            .bind(before)
            .fetch_all(&mut *tx)
            .await?;
            for (writer, seq) in cuts {
                let head: Option<(Option<Vec<u8>>, Millis)> = sqlx::query_as(
                    "SELECT hash, at FROM audit_events WHERE writer = $1 AND seq = $2",
                )
                .bind(&writer)
                .bind(seq)
                .fetch_optional(&mut *tx)
                .await?;
                // Gone meanwhile (another replica's retention run): that run checkpointed it.
                let Some((Some(hash), at)) = head else { continue };
                // Never moved back: two replicas' runs may commit in either order.
                sqlx::query(
                    "INSERT INTO audit_checkpoints (writer, seq, hash, at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (writer) DO UPDATE
                     SET seq = excluded.seq, hash = excluded.hash, at = excluded.at
                     WHERE audit_checkpoints.seq < excluded.seq",
                )
                .bind(&writer)
                .bind(seq)
                .bind(hash)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                deleted += sqlx::query("DELETE FROM audit_events WHERE writer = $1 AND seq <= $2")
                    .bind(&writer)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            Ok::<u64, sqlx::Error>(deleted)
        }
        .await)?)
    }

    /// Up to `limit` chained entries after `after` (writer, seq), in chain order: writer by
    /// writer, each by sequence. `("", 0)` starts at the beginning.
    pub async fn audit_chain_page(&self, after: (&str, i64), limit: i64) -> Result<Vec<AuditRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events
             WHERE writer IS NOT NULL AND (writer > $1 OR (writer = $1 AND seq > $2))
             ORDER BY writer, seq LIMIT $3"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, AuditRow>(AssertSqlSafe(sql))
            .bind(after.0)
            .bind(after.1)
            .bind(limit)
            .fetch_all(pool)
            .await)?,
        )
    }

    /// Up to `limit` entries of `writer`'s chain after `seq`, in chain order.
    pub async fn audit_writer_page(
        &self,
        writer: &str,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events WHERE writer = $1 AND seq > $2
             ORDER BY seq LIMIT $3"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, AuditRow>(AssertSqlSafe(sql))
            .bind(writer)
            .bind(seq)
            .bind(limit)
            .fetch_all(pool)
            .await)?,
        )
    }

    /// Up to `limit` entries with `since <= at < until`, oldest first, after the entry
    /// `after` (at, id): a page of `audit export`. `(i64::MIN, 0)` starts at the beginning.
    pub async fn audit_export_page(
        &self,
        (since, until): (Millis, Millis),
        after: (Millis, i64),
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events
             WHERE at >= $1 AND at < $2 AND (at > $3 OR (at = $3 AND id > $4))
             ORDER BY at, id LIMIT $5"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, AuditRow>(AssertSqlSafe(sql))
            .bind(since)
            .bind(until)
            .bind(after.0)
            .bind(after.1)
            .bind(limit)
            .fetch_all(pool)
            .await)?,
        )
    }

    /// How many entries carry no chain (written before it existed).
    pub async fn count_unchained_audit(&self) -> Result<i64> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM audit_events WHERE writer IS NULL")
            .fetch_one(pool)
            .await)?)
    }

    pub async fn audit_checkpoints(&self) -> Result<Vec<AuditCheckpoint>> {
        Ok(on_pool!(self, pool => sqlx::query_as::<_, AuditCheckpoint>(
                "SELECT writer, seq, hash, at FROM audit_checkpoints ORDER BY writer")
            .fetch_all(pool)
            .await)?)
    }
}

/// The longest multi-row statement: 64 rows of at most 18 parameters stay well within SQLite's
/// 32,766 and PostgreSQL's 65,535 parameters, and the seven shapes up to it are small to keep.
const MAX_ROWS: usize = 64;

/// `items` in runs whose lengths are powers of two up to [`MAX_ROWS`], longest first: 40 rows
/// go as 32 and 8.
fn shaped<T>(mut items: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let n = items.len();
        if n == 0 {
            return None;
        }
        let take = MAX_ROWS.min(1 << n.ilog2());
        let (run, rest) = items.split_at(take);
        items = rest;
        Some(run)
    })
}

/// `INSERT INTO audit_events … VALUES (…), (…), …` for `events`.
fn insert_audit<'a, DB>(events: &'a [AuditRow]) -> sqlx::QueryBuilder<DB>
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<&'a str>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<&'a [u8]>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut insert = sqlx::QueryBuilder::new(
        "INSERT INTO audit_events (at, method, tool, model, user_login, connection_id, \
         client_ip, outcome, duration_ms, error, request_payload, response_payload, writer, seq, \
         prev_hash, hash, rule, trace_id) ",
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
            .push_bind(e.response_payload.as_deref())
            .push_bind(e.writer.as_deref())
            .push_bind(e.seq)
            .push_bind(e.prev_hash.as_deref())
            .push_bind(e.hash.as_deref())
            .push_bind(e.rule.as_deref())
            .push_bind(e.trace_id.as_deref());
    });
    insert
}

#[cfg(test)]
mod tests {
    use super::{MAX_ROWS, shaped};

    #[test]
    fn batches_go_in_runs_of_few_shapes_in_order() {
        for n in 0..=300usize {
            let items: Vec<usize> = (0..n).collect();
            let runs: Vec<&[usize]> = shaped(&items).collect();
            assert!(
                runs.iter()
                    .all(|r| r.len().is_power_of_two() && r.len() <= MAX_ROWS)
            );
            assert!(
                runs.windows(2).all(|w| w[0].len() >= w[1].len()),
                "{n}: longest first"
            );
            assert_eq!(runs.concat(), items, "{n}: every item once, in order");
        }
        let lengths = |n: usize| shaped(&vec![(); n]).map(<[()]>::len).collect::<Vec<_>>();
        assert_eq!(lengths(40), [32, 8]);
        assert_eq!(lengths(1), [1]);
        assert_eq!(lengths(200), [64, 64, 64, 8]);
    }
}
