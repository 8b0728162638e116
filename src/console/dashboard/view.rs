//! The dashboard's figures, from rollup rows to what the page shows: the period's buckets, the
//! stacked series per outcome, ranked bars, the slowest tools. Pure: the handler loads, this
//! shapes.

use std::collections::BTreeMap;

use crate::audit::outcome;
use crate::clock::{Millis, format_with};
use crate::console::charts::{Bar, Series};
use crate::store::rollup::{RollupRow, Span, Tally, merge_by_value};

/// The outcomes in stacking order (success at the bottom), with their labels.
pub const OUTCOMES: &[(&str, &str)] = &[
    (outcome::SUCCESS, "Success"),
    (outcome::ERROR, "Error"),
    (outcome::DENIED, "Denied"),
    (outcome::RATE_LIMITED, "Rate limited"),
    (outcome::PENDING_APPROVAL, "Pending approval"),
];

/// The dashboard's two periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The last 24 hours, by hour (the current hour included).
    Day,
    /// The last 30 days, by UTC day (today included).
    Month,
}

/// `period` was neither `24h` nor `30d`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown period {0:?}: use 24h or 30d")]
pub struct UnknownPeriod(pub String);

impl std::str::FromStr for Period {
    type Err = UnknownPeriod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" | "24h" => Ok(Self::Day),
            "30d" => Ok(Self::Month),
            other => Err(UnknownPeriod(other.to_owned())),
        }
    }
}

impl Period {
    pub fn span(self) -> Span {
        match self {
            Self::Day => Span::Hour,
            Self::Month => Span::Day,
        }
    }

    pub fn buckets(self) -> usize {
        match self {
            Self::Day => 24,
            Self::Month => 30,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::Month => "30d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Day => "Last 24 hours, by hour",
            Self::Month => "Last 30 days, by day",
        }
    }

    /// The start of each bucket, oldest first, the last one holding `now`.
    pub fn starts(self, now: Millis) -> Vec<Millis> {
        let span = self.span();
        let last = span.floor(now);
        let n = self.buckets() as i64;
        (0..n).map(|i| last - (n - 1 - i) * span.ms()).collect()
    }

    /// `since <= bucket < until` for the whole period.
    pub fn range(self, now: Millis) -> (Millis, Millis) {
        let starts = self.starts(now);
        (starts[0], starts[starts.len() - 1] + self.span().ms())
    }

    /// A bucket's label under its bar.
    pub fn bucket_label(self, start: Millis) -> String {
        match self {
            Self::Day => format_with(start, "%H:%M"),
            Self::Month => format_with(start, "%d %b"),
        }
    }
}

/// Per outcome, the count in each bucket of `starts` (rows grouped by bucket), in
/// [`OUTCOMES`] order; an outcome the gateway does not know stacks last as itself.
pub fn outcome_series(rows: &[RollupRow], starts: &[Millis]) -> Vec<Series> {
    let index: BTreeMap<Millis, usize> = starts.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut by_outcome: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in rows {
        if let Some(&i) = index.get(&r.bucket) {
            by_outcome
                .entry(r.value.clone())
                .or_insert_with(|| vec![0; starts.len()])[i] += r.tally.events;
        }
    }
    let mut out: Vec<Series> = OUTCOMES
        .iter()
        .filter_map(|(key, label)| {
            by_outcome.remove(*key).map(|values| Series {
                name: (*label).to_owned(),
                class: (*key).to_owned(),
                values,
            })
        })
        .collect();
    out.extend(by_outcome.into_iter().map(|(key, values)| Series {
        name: key,
        class: "other".to_owned(),
        values,
    }));
    out
}

/// Values ranked by count, largest first (ties by name), at most `most`.
pub fn top(rows: &[RollupRow], most: usize) -> Vec<Bar> {
    let mut ranked: Vec<(String, Tally)> = merge_by_value(rows).into_iter().collect();
    ranked.sort_by(|a, b| b.1.events.cmp(&a.1.events).then_with(|| a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(most)
        .map(|(label, t)| Bar {
            text: t.events.to_string(),
            value: t.events,
            label,
        })
        .collect()
}

/// One tool's latency: how many calls and the p50 and p95 bucket bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latency {
    pub tool: String,
    pub calls: i64,
    /// `None`: above the last bucket (10 s).
    pub p50: Option<i64>,
    pub p95: Option<i64>,
}

/// A bucket bound as text: "≤ 250 ms", "> 10 s".
pub fn bound(ms: Option<i64>) -> String {
    match ms {
        Some(ms) if ms >= 1000 => format!("≤ {} s", ms as f64 / 1000.0),
        Some(ms) => format!("≤ {ms} ms"),
        None => "> 10 s".to_owned(),
    }
}

/// The tools by p95, slowest first (then by p50, then by calls), at most `most`.
pub fn slowest(rows: &[RollupRow], most: usize) -> Vec<Latency> {
    let rank = |ms: Option<i64>| ms.unwrap_or(i64::MAX);
    let mut tools: Vec<Latency> = merge_by_value(rows)
        .into_iter()
        .map(|(tool, t)| Latency {
            tool,
            calls: t.events,
            p50: t.quantile(0.5),
            p95: t.quantile(0.95),
        })
        .collect();
    tools.sort_by(|a, b| {
        rank(b.p95)
            .cmp(&rank(a.p95))
            .then_with(|| rank(b.p50).cmp(&rank(a.p50)))
            .then_with(|| b.calls.cmp(&a.calls))
            .then_with(|| a.tool.cmp(&b.tool))
    });
    tools.truncate(most);
    tools
}

/// The slowest tools as bars sized by p95 (the open bucket drawn as 20 s).
pub fn latency_bars(tools: &[Latency]) -> Vec<Bar> {
    tools
        .iter()
        .map(|t| Bar {
            label: t.tool.clone(),
            value: t.p95.unwrap_or(20_000),
            text: format!("p95 {}", bound(t.p95)),
        })
        .collect()
}

/// Per connection, its count in each bucket of `starts` (rows grouped by bucket and connection).
pub fn per_connection(rows: &[RollupRow], starts: &[Millis]) -> BTreeMap<i64, Vec<i64>> {
    let index: BTreeMap<Millis, usize> = starts.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut out: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for r in rows {
        if let Some(&i) = index.get(&r.bucket) {
            out.entry(r.connection_id)
                .or_insert_with(|| vec![0; starts.len()])[i] += r.tally.events;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{DAY_MS, HOUR_MS};
    use crate::store::rollup::LATENCY_BUCKETS;

    fn row(bucket: Millis, connection_id: i64, value: &str, events: i64) -> RollupRow {
        let mut latency = [0; LATENCY_BUCKETS];
        latency[0] = events;
        RollupRow {
            bucket,
            connection_id,
            value: value.into(),
            tally: Tally {
                events,
                total_ms: 0,
                latency,
            },
        }
    }

    #[test]
    fn periods_end_with_the_bucket_holding_now() {
        let now = 10 * DAY_MS + 5 * HOUR_MS + 7;
        let hours = Period::Day.starts(now);
        assert_eq!(hours.len(), 24);
        assert_eq!(*hours.last().unwrap(), 10 * DAY_MS + 5 * HOUR_MS);
        assert_eq!(hours[0], 9 * DAY_MS + 6 * HOUR_MS);
        assert_eq!(Period::Month.range(now), (-19 * DAY_MS, 11 * DAY_MS));
        assert_eq!("30d".parse(), Ok(Period::Month));
        assert_eq!("".parse(), Ok(Period::Day));
        assert_eq!("7d".parse::<Period>(), Err(UnknownPeriod("7d".into())));
    }

    #[test]
    fn series_stack_in_outcome_order_and_ignore_other_buckets() {
        let starts = [0, HOUR_MS];
        let rows = [
            row(HOUR_MS, 1, "denied", 2),
            row(0, 1, "success", 3),
            row(HOUR_MS, 2, "success", 1),
            row(5 * HOUR_MS, 1, "success", 9),
        ];
        let series = outcome_series(&rows, &starts);
        let names: Vec<&str> = series.iter().map(|s| s.class.as_str()).collect();
        assert_eq!(names, ["success", "denied"]);
        assert_eq!(series[0].values, [3, 1]);
        assert_eq!(series[1].values, [0, 2]);
        assert_eq!(per_connection(&rows, &starts)[&1], [3, 2]);
    }

    #[test]
    fn tops_rank_by_count_and_slowest_by_p95() {
        let bars = top(
            &[row(0, 1, "b", 2), row(0, 2, "a", 2), row(0, 1, "c", 5)],
            2,
        );
        let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["c", "a"]);
        let mut slow = row(0, 1, "slow", 1);
        slow.tally.latency = [0; LATENCY_BUCKETS];
        slow.tally.latency[5] = 1;
        let ranked = slowest(&[row(0, 1, "fast", 10), slow], 5);
        assert_eq!(ranked[0].tool, "slow");
        assert_eq!(ranked[0].p95, Some(500));
        assert_eq!(ranked[1].p50, Some(10));
        assert_eq!(bound(Some(2500)), "≤ 2.5 s");
        assert_eq!(bound(None), "> 10 s");
    }
}
