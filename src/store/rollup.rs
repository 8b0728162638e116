//! The dashboard's rollups (`audit_rollup`, migration 0026): what a batch of audit entries adds
//! to them (a pure fold), the upsert the audit writer runs in the batch's own transaction, the
//! aggregates the dashboard reads, and the retention cut.

use std::collections::BTreeMap;

use sqlx::AssertSqlSafe;

use super::{AuditRow, Result, Store, on_pool};
use crate::clock::{DAY_MS, HOUR_MS, Millis};

/// Upper bounds (exclusive, ms) of the latency histogram's buckets; the last bucket is the rest.
pub const LATENCY_EDGES: [i64; 10] = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
/// How many latency buckets: one per edge and the open one above.
pub const LATENCY_BUCKETS: usize = LATENCY_EDGES.len() + 1;

/// How long each span's rows are kept: hourly ones serve the last 24 hours only, daily ones the
/// 30-day views and a year of history beyond the entries' own retention.
pub const HOURLY_KEPT: Millis = 7 * DAY_MS;
pub const DAILY_KEPT: Millis = 400 * DAY_MS;

/// A bucket's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Span {
    Hour,
    Day,
}

impl Span {
    pub fn ms(self) -> Millis {
        match self {
            Self::Hour => HOUR_MS,
            Self::Day => DAY_MS,
        }
    }

    /// The start of the bucket holding `at`.
    pub fn floor(self, at: Millis) -> Millis {
        at - at.rem_euclid(self.ms())
    }
}

/// What a rollup row counts by, besides time and connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dim {
    Outcome,
    Rule,
    Tool,
    Model,
}

impl Dim {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Outcome => "outcome",
            Self::Rule => "rule",
            Self::Tool => "tool",
            Self::Model => "model",
        }
    }
}

/// One rollup row's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RollupKey {
    pub span: Span,
    pub bucket: Millis,
    /// 0 for entries without a connection.
    pub connection_id: i64,
    pub dim: Dim,
    pub value: String,
}

/// What entries add to one rollup row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub events: i64,
    pub total_ms: i64,
    pub latency: [i64; LATENCY_BUCKETS],
}

impl Tally {
    fn add(&mut self, duration_ms: i64) {
        self.events += 1;
        self.total_ms += duration_ms;
        self.latency[latency_bucket(duration_ms)] += 1;
    }

    fn merge(&mut self, other: &Self) {
        self.events += other.events;
        self.total_ms += other.total_ms;
        for (a, b) in self.latency.iter_mut().zip(other.latency) {
            *a += b;
        }
    }

    /// The upper bound (ms) of the bucket holding the `q`-quantile (0 < q ≤ 1), `None` when
    /// there is nothing or it falls in the open bucket above the last edge.
    pub fn quantile(&self, q: f64) -> Option<i64> {
        let total: i64 = self.latency.iter().sum();
        if total == 0 {
            return None;
        }
        // The rank of the quantile entry, 1-based: the smallest with rank/total >= q.
        let rank = ((q * total as f64).ceil() as i64).max(1);
        let mut seen = 0;
        for (i, n) in self.latency.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return LATENCY_EDGES.get(i).copied();
            }
        }
        None
    }
}

/// The histogram bucket of a duration.
pub fn latency_bucket(duration_ms: i64) -> usize {
    LATENCY_EDGES
        .iter()
        .position(|&edge| duration_ms < edge)
        .unwrap_or(LATENCY_EDGES.len())
}

/// What `events` add to the rollups: for each span, the entry's outcome, its rule (when set),
/// tool and model (when set). Sorted by key, so concurrent writers lock rows in one order.
pub fn fold(events: &[AuditRow]) -> BTreeMap<RollupKey, Tally> {
    let mut out: BTreeMap<RollupKey, Tally> = BTreeMap::new();
    for e in events {
        let dims = [
            (Dim::Outcome, Some(e.outcome.as_str())),
            (Dim::Rule, e.rule.as_deref().filter(|r| !r.is_empty())),
            (Dim::Tool, e.tool.as_deref()),
            (Dim::Model, e.model.as_deref()),
        ];
        for span in [Span::Hour, Span::Day] {
            for (dim, value) in dims {
                let Some(value) = value else { continue };
                let key = RollupKey {
                    span,
                    bucket: span.floor(e.at),
                    connection_id: e.connection_id.unwrap_or(0),
                    dim,
                    value: value.to_owned(),
                };
                out.entry(key).or_default().add(e.duration_ms);
            }
        }
    }
    out
}

/// Who the dashboard counts for: `None` every connection, `Some(id)` only the connections
/// acting as that Odoo user (an MCP User's own).
pub type Owner = Option<i64>;

/// One aggregate row: a bucket (0 when not grouped by time), a connection (0 when not grouped
/// by connection), a value and its tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRow {
    pub bucket: Millis,
    pub connection_id: i64,
    pub value: String,
    pub tally: Tally,
}

/// The latency columns, in order.
const LATENCY_COLUMNS: &str = "l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10";

/// Read by position: bucket, connection, value, events, total, then the latency buckets.
impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for RollupRow
where
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> std::result::Result<Self, sqlx::Error> {
        let mut latency = [0; LATENCY_BUCKETS];
        for (i, n) in latency.iter_mut().enumerate() {
            *n = row.try_get(5 + i)?;
        }
        Ok(Self {
            bucket: row.try_get(0)?,
            connection_id: row.try_get(1)?,
            value: row.try_get(2)?,
            tally: Tally {
                events: row.try_get(3)?,
                total_ms: row.try_get(4)?,
                latency,
            },
        })
    }
}

/// `INSERT INTO audit_rollup … ON CONFLICT … DO UPDATE` adding `tallies` to the rows there.
pub(super) fn upsert_rollups<'a, DB>(tallies: &'a [(RollupKey, Tally)]) -> sqlx::QueryBuilder<DB>
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut q = sqlx::QueryBuilder::<DB>::new(format!(
        "INSERT INTO audit_rollup (span_ms, bucket, connection_id, dim, value, events, \
         total_ms, {LATENCY_COLUMNS}) "
    ));
    q.push_values(tallies, |mut row, (k, t)| {
        row.push_bind(k.span.ms())
            .push_bind(k.bucket)
            .push_bind(k.connection_id)
            .push_bind(k.dim.as_str())
            .push_bind(k.value.as_str())
            .push_bind(t.events)
            .push_bind(t.total_ms);
        for n in t.latency {
            row.push_bind(n);
        }
    });
    let updates: Vec<String> = ["events", "total_ms"]
        .into_iter()
        .chain(LATENCY_COLUMNS.split(", "))
        .map(|c| format!("{c} = audit_rollup.{c} + excluded.{c}"))
        .collect();
    q.push(format!(
        " ON CONFLICT (span_ms, dim, bucket, connection_id, value) DO UPDATE SET {}",
        updates.join(", ")
    ));
    q
}

impl Store {
    /// The tallies of `dim` in `since <= bucket < until` of `span`, summed per value and, when
    /// asked, per bucket and per connection. `owner` scopes to an MCP User's connections;
    /// `connection` to one.
    pub async fn rollup(&self, q: &RollupQuery) -> Result<Vec<RollupRow>> {
        // A constant stands in for a column not grouped by (never in GROUP BY: a number there
        // names a column by position).
        let bucket = if q.by_bucket {
            "bucket"
        } else {
            "CAST(0 AS BIGINT)"
        };
        let connection = if q.by_connection {
            "connection_id"
        } else {
            "CAST(0 AS BIGINT)"
        };
        let group: Vec<&str> = [(q.by_bucket, "bucket"), (q.by_connection, "connection_id")]
            .into_iter()
            .filter_map(|(on, column)| on.then_some(column))
            .chain(["value"])
            .collect();
        let sums: Vec<String> = LATENCY_COLUMNS
            .split(", ")
            .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
            .collect();
        let sql = format!(
            "SELECT {bucket}, {connection}, value, CAST(SUM(events) AS BIGINT),
                    CAST(SUM(total_ms) AS BIGINT), {}
             FROM audit_rollup
             WHERE span_ms = $1 AND bucket >= $2 AND bucket < $3 AND dim = $4
               AND ($5 IS NULL OR connection_id IN
                    (SELECT id FROM connections WHERE odoo_user_id = $5))
               AND ($6 IS NULL OR connection_id = $6)
             GROUP BY {}",
            sums.join(", "),
            group.join(", ")
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, RollupRow>(AssertSqlSafe(sql))
            .bind(q.span.ms())
            .bind(q.since)
            .bind(q.until)
            .bind(q.dim.as_str())
            .bind(q.owner)
            .bind(q.connection)
            .fetch_all(pool)
            .await)?,
        )
    }

    /// The retention cut of the rollups: hourly rows older than [`HOURLY_KEPT`], daily ones
    /// older than [`DAILY_KEPT`]. Returns how many rows went.
    pub async fn prune_rollups(&self, now: Millis) -> Result<u64> {
        Ok(on_pool!(self, pool => sqlx::query(
                "DELETE FROM audit_rollup WHERE (span_ms = $1 AND bucket < $2)
                 OR (span_ms = $3 AND bucket < $4)")
            .bind(Span::Hour.ms())
            .bind(now - HOURLY_KEPT)
            .bind(Span::Day.ms())
            .bind(now - DAILY_KEPT)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?)
    }
}

/// One dashboard aggregate's question.
#[derive(Debug, Clone)]
pub struct RollupQuery {
    pub span: Span,
    pub since: Millis,
    pub until: Millis,
    pub dim: Dim,
    pub owner: Owner,
    pub connection: Option<i64>,
    pub by_bucket: bool,
    pub by_connection: bool,
}

/// Sums tallies per value, for callers that grouped finer than they show.
pub fn merge_by_value(rows: &[RollupRow]) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for r in rows {
        out.entry(r.value.clone()).or_default().merge(&r.tally);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(at: Millis, outcome: &str, tool: Option<&str>, ms: i64) -> AuditRow {
        AuditRow {
            at,
            outcome: outcome.into(),
            tool: tool.map(Into::into),
            connection_id: Some(3),
            duration_ms: ms,
            ..AuditRow::default()
        }
    }

    #[test]
    fn a_batch_folds_into_one_tally_per_key_and_span() {
        let rolled = fold(&[
            row(HOUR_MS + 5, "success", Some("search_records"), 12),
            row(HOUR_MS + 9, "success", Some("search_records"), 700),
            AuditRow {
                rule: Some("rate".into()),
                connection_id: None,
                ..row(2 * HOUR_MS, "rate_limited", None, 1)
            },
        ]);
        let key = |span, bucket, connection_id, dim, value: &str| RollupKey {
            span,
            bucket,
            connection_id,
            dim,
            value: value.into(),
        };
        let tools = &rolled[&key(Span::Hour, HOUR_MS, 3, Dim::Tool, "search_records")];
        assert_eq!((tools.events, tools.total_ms), (2, 712));
        assert_eq!(tools.latency[1], 1);
        assert_eq!(tools.latency[6], 1);
        assert_eq!(
            rolled[&key(Span::Day, 0, 3, Dim::Outcome, "success")].events,
            2
        );
        assert_eq!(
            rolled[&key(Span::Hour, 2 * HOUR_MS, 0, Dim::Rule, "rate")].events,
            1
        );
        // 2 entries × (outcome, tool) + 1 × (outcome, rule), each in two spans.
        assert_eq!(rolled.len(), 2 * (2 + 2));
    }

    #[test]
    fn quantiles_are_the_bucket_upper_bounds() {
        let mut t = Tally::default();
        for ms in [1, 2, 3, 4, 5, 6, 7, 8, 9, 300] {
            t.add(ms);
        }
        assert_eq!(t.quantile(0.5), Some(10));
        assert_eq!(t.quantile(0.95), Some(500));
        t.add(20_000);
        assert_eq!(t.quantile(1.0), None);
        assert_eq!(Tally::default().quantile(0.5), None);
        assert_eq!(latency_bucket(10), 1);
        assert_eq!(latency_bucket(9), 0);
        assert_eq!(latency_bucket(10_000), 10);
    }
}
