//! Counted limits of a connection, in fixed windows that reset at each UTC minute and at
//! midnight UTC: its requests per minute and per day (the rate limits), and in the same
//! counters its calls that change data (the write budget) and its calls of one tool (tool
//! limits). Counting is atomic: with a limit of N, exactly N calls of a window pass, also with
//! several replicas on one PostgreSQL database.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use crate::catalog::Tool;
use crate::clock::{DAY_MS, MINUTE_MS, Millis, format_utc};
use crate::locks::lock;
use crate::settings::ServerSettings;
use crate::store::{self, RateKey, Store};
use crate::values::{Limit, Policy};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    Minute,
    Day,
}

impl Window {
    fn length(self) -> Millis {
        match self {
            Self::Minute => MINUTE_MS,
            Self::Day => DAY_MS,
        }
    }

    pub fn start(self, now: Millis) -> Millis {
        now - now.rem_euclid(self.length())
    }

    pub fn resets_at(self, now: Millis) -> Millis {
        self.start(now) + self.length()
    }

    fn kind(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Day => "day",
        }
    }
}

/// What a counter counts, for one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Every MCP request (the rate limits).
    Requests,
    /// Calls of tools that change data (the write budget).
    Writes,
    /// Calls of one tool (its tool limit).
    Tool(Tool),
}

impl Bucket {
    /// The bucket's name in the shared counters table.
    fn key(self) -> Cow<'static, str> {
        match self {
            Self::Requests => "requests".into(),
            Self::Writes => "writes".into(),
            Self::Tool(tool) => format!("tool:{}", tool.spec().name).into(),
        }
    }
}

/// One counted limit: at most `limit` calls of `bucket` per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub bucket: Bucket,
    pub window: Window,
    pub limit: i64,
}

impl Rule {
    pub fn new(bucket: Bucket, window: Window, limit: Limit) -> Self {
        Self {
            bucket,
            window,
            limit: limit.get(),
        }
    }
}

/// The request limits in force for one connection: its own, else the server defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_minute: i64,
    pub per_day: i64,
}

impl Limits {
    pub fn effective(policy: &Policy, settings: &ServerSettings) -> Self {
        Self {
            per_minute: policy
                .rate_per_minute
                .map_or(i64::from(settings.rate_per_minute), Limit::get),
            per_day: policy
                .rate_per_day
                .map_or(i64::from(settings.rate_per_day), Limit::get),
        }
    }

    /// The minute first: a request it refuses never reaches the day's counter.
    fn rules(self) -> [Rule; 2] {
        [
            (Window::Minute, self.per_minute),
            (Window::Day, self.per_day),
        ]
        .map(|(window, limit)| Rule {
            bucket: Bucket::Requests,
            window,
            limit,
        })
    }
}

/// A refused call: which rule, and when its window starts over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    pub rule: Rule,
    pub resets_at: Millis,
}

impl Exceeded {
    /// Names the rule, its count and window, and the reset time (UTC).
    pub fn message(&self) -> String {
        let Rule {
            bucket,
            window,
            limit,
        } = self.rule;
        let per = match window {
            Window::Minute => "minute",
            Window::Day => "day (UTC)",
        };
        let resets = format_utc_seconds(self.resets_at);
        match bucket {
            Bucket::Requests => format!(
                "Rate limit exceeded: this connection may make {limit} requests per {per}. The limit resets at {resets}."
            ),
            Bucket::Writes => {
                let calls = match limit {
                    1 => "1 call that changes".to_owned(),
                    n => format!("{n} calls that change"),
                };
                format!(
                    "Refused by Write budget: this connection may make {calls} data per {per}. The budget resets at {resets}."
                )
            }
            Bucket::Tool(tool) => {
                let times = match limit {
                    1 => "once".to_owned(),
                    n => format!("{n} times"),
                };
                format!(
                    "Refused by Tool limits: {} may be called {times} per {per}. The limit resets at {resets}.",
                    tool.spec().name
                )
            }
        }
    }

    /// Whole seconds until the reset, at least 1, for `Retry-After`.
    pub fn retry_after_secs(&self, now: Millis) -> i64 {
        ((self.resets_at - now + 999) / 1000).max(1)
    }
}

fn format_utc_seconds(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.format("%H:%M:%S UTC on %Y-%m-%d").to_string())
        .unwrap_or_else(|| format_utc(at))
}

/// A local counter: connection, bucket, window and the window's start.
type LocalKey = (i64, Bucket, Window, Millis);

/// Where the counters live: in this process (SQLite, one node) or in the shared database.
#[derive(Debug)]
pub enum RateLimiter {
    Local(Mutex<HashMap<LocalKey, i64>>),
    Shared,
}

impl RateLimiter {
    pub fn for_store(store: &Store) -> Self {
        match store {
            Store::Sqlite(_) => Self::Local(Mutex::default()),
            Store::Postgres(_) => Self::Shared,
        }
    }

    /// Step 4: counts the request against the connection's request limits.
    pub async fn take(
        &self,
        store: &Store,
        connection_id: i64,
        limits: Limits,
        now: Millis,
    ) -> Result<Result<(), Exceeded>, store::Error> {
        self.take_all(store, connection_id, &limits.rules(), now)
            .await
    }

    /// Counts one call against each rule, in order. A rule that refuses stops the count, and
    /// the slots the rules before it took are given back, so a refused call spends nothing
    /// (a minute refusal never reaches the day's counter at all). The give-back is not atomic
    /// with the take: a call racing it may be refused by a slot about to be freed — never
    /// admitted beyond a limit.
    pub async fn take_all(
        &self,
        store: &Store,
        connection_id: i64,
        rules: &[Rule],
        now: Millis,
    ) -> Result<Result<(), Exceeded>, store::Error> {
        for (taken, rule) in rules.iter().enumerate() {
            if !self
                .count(store, connection_id, rule, now, Step::Take)
                .await?
            {
                for earlier in &rules[..taken] {
                    self.count(store, connection_id, earlier, now, Step::GiveBack)
                        .await?;
                }
                return Ok(Err(Exceeded {
                    rule: *rule,
                    resets_at: rule.window.resets_at(now),
                }));
            }
        }
        Ok(Ok(()))
    }

    /// Takes or gives back one slot of `rule`'s current window; whether it was counted (a take
    /// is not, in a full window).
    async fn count(
        &self,
        store: &Store,
        connection_id: i64,
        rule: &Rule,
        now: Millis,
        step: Step,
    ) -> Result<bool, store::Error> {
        let start = rule.window.start(now);
        match self {
            Self::Local(counters) => {
                let key = (connection_id, rule.bucket, rule.window, start);
                Ok(count_local(counters, key, rule.limit, step))
            }
            Self::Shared => {
                let bucket = rule.bucket.key();
                let key = RateKey {
                    connection_id,
                    bucket: &bucket,
                    window_kind: rule.window.kind(),
                    window_start: start,
                };
                match step {
                    Step::Take => Ok(store.take_rate_slot(&key, rule.limit).await?.is_some()),
                    Step::GiveBack => store.give_back_rate_slot(&key).await.map(|()| true),
                }
            }
        }
    }

    /// Drops counters of windows that are over (the local map; the shared table is pruned by a job).
    pub fn forget_before(&self, now: Millis) {
        if let Self::Local(counters) = self {
            let mut map = lock(counters);
            map.retain(|(_, _, window, start), _| *start >= window.start(now));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Take,
    GiveBack,
}

/// One step of a local counter: a take only while under `limit`, a give-back down to zero.
fn count_local(
    counters: &Mutex<HashMap<LocalKey, i64>>,
    key: LocalKey,
    limit: i64,
    step: Step,
) -> bool {
    let mut map = lock(counters);
    let count = map.entry(key).or_insert(0);
    match step {
        Step::Take if *count >= limit => false,
        Step::Take => {
            *count += 1;
            true
        }
        Step::GiveBack => {
            *count = (*count - 1).max(0);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: Millis = 1_800_000_000_000 - 1_800_000_000_000 % DAY_MS + DAY_MS / 2;

    fn rule(bucket: Bucket, window: Window, limit: i64) -> Rule {
        Rule {
            bucket,
            window,
            limit,
        }
    }

    #[test]
    fn windows_start_on_the_utc_minute_and_midnight() {
        let t = NOON + 37_500;
        assert_eq!(Window::Minute.start(t), NOON);
        assert_eq!(Window::Minute.resets_at(t), NOON + MINUTE_MS);
        assert_eq!(Window::Day.start(t), NOON - DAY_MS / 2);
        assert_eq!(Window::Day.resets_at(t), NOON + DAY_MS / 2);
    }

    #[test]
    fn connection_overrides_win_over_server_defaults() {
        let settings = ServerSettings::default();
        let none = Policy::default();
        assert_eq!(
            Limits::effective(&none, &settings),
            Limits {
                per_minute: 60,
                per_day: 10_000
            }
        );
        let own = Policy {
            rate_per_minute: Limit::new(5),
            ..Policy::default()
        };
        assert_eq!(Limits::effective(&own, &settings).per_minute, 5);
    }

    #[test]
    fn the_refusal_names_the_limit_and_the_reset() {
        let e = Exceeded {
            rule: rule(Bucket::Requests, Window::Minute, 60),
            resets_at: NOON + MINUTE_MS,
        };
        assert_eq!(
            e.message(),
            format!(
                "Rate limit exceeded: this connection may make 60 requests per minute. The limit resets at {}.",
                format_utc_seconds(NOON + MINUTE_MS)
            )
        );
        assert!(e.message().contains("12:01:00 UTC"));
        assert_eq!(e.retry_after_secs(NOON + 59_001), 1);
        assert_eq!(e.retry_after_secs(NOON), 60);
    }

    #[test]
    fn budget_refusals_name_their_rule_count_window_and_reset() {
        let refusal = |bucket, window, limit| {
            Exceeded {
                rule: rule(bucket, window, limit),
                resets_at: window.resets_at(NOON),
            }
            .message()
        };
        let midnight = format_utc_seconds(NOON + DAY_MS / 2);
        assert_eq!(
            refusal(Bucket::Writes, Window::Minute, 5),
            format!(
                "Refused by Write budget: this connection may make 5 calls that change data per minute. The budget resets at {}.",
                format_utc_seconds(NOON + MINUTE_MS)
            )
        );
        assert_eq!(
            refusal(Bucket::Writes, Window::Day, 1),
            format!(
                "Refused by Write budget: this connection may make 1 call that changes data per day (UTC). The budget resets at {midnight}."
            )
        );
        assert_eq!(
            refusal(Bucket::Tool(Tool::DeleteRecord), Window::Day, 2),
            format!(
                "Refused by Tool limits: delete_record may be called 2 times per day (UTC). The limit resets at {midnight}."
            )
        );
        assert!(midnight.starts_with("00:00:00 UTC on "), "{midnight}");
        assert!(
            refusal(Bucket::Tool(Tool::RunAction), Window::Minute, 1)
                .contains("run_action may be called once per minute")
        );
    }

    #[test]
    fn buckets_have_distinct_keys() {
        assert_eq!(Bucket::Requests.key(), "requests");
        assert_eq!(Bucket::Writes.key(), "writes");
        assert_eq!(Bucket::Tool(Tool::DeleteRecord).key(), "tool:delete_record");
    }

    fn local() -> RateLimiter {
        RateLimiter::Local(Mutex::default())
    }

    fn counters(limiter: &RateLimiter) -> &Mutex<HashMap<LocalKey, i64>> {
        match limiter {
            RateLimiter::Local(c) => c,
            RateLimiter::Shared => unreachable!(),
        }
    }

    #[test]
    fn local_counting_admits_exactly_the_limit_per_window() {
        let limiter = local();
        let counters = counters(&limiter);
        let key = |id, bucket, start| (id, bucket, Window::Minute, start);
        let passed = (0..5)
            .filter(|_| count_local(counters, key(1, Bucket::Requests, NOON), 3, Step::Take))
            .count();
        assert_eq!(passed, 3);
        for (other, what) in [
            (key(1, Bucket::Requests, NOON + MINUTE_MS), "a new window"),
            (key(2, Bucket::Requests, NOON), "another connection"),
            (key(1, Bucket::Writes, NOON), "another bucket"),
        ] {
            assert!(count_local(counters, other, 3, Step::Take), "{what}");
        }
        limiter.forget_before(NOON + MINUTE_MS);
        assert_eq!(counters.lock().unwrap().len(), 1);
    }

    /// The stores are never touched by the local limiter.
    async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(None, dir.path()).await.unwrap();
        (store, dir)
    }

    #[tokio::test]
    async fn a_call_refused_by_a_later_rule_gives_back_the_slots_it_took() {
        let (store, _dir) = store().await;
        let limiter = local();
        let writes = rule(Bucket::Writes, Window::Minute, 5);
        let tool = rule(Bucket::Tool(Tool::DeleteRecord), Window::Day, 2);
        let rules = [writes, tool];
        let take = || limiter.take_all(&store, 1, &rules, NOON);
        assert_eq!(take().await.unwrap(), Ok(()));
        assert_eq!(take().await.unwrap(), Ok(()));
        let refused = take().await.unwrap().unwrap_err();
        assert_eq!(refused.rule, tool);
        assert_eq!(refused.resets_at, NOON + DAY_MS / 2);
        // Three writes allowed in the minute were left by the refused call: five in all.
        let counters = counters(&limiter);
        let write_count = counters.lock().unwrap()[&(1, Bucket::Writes, Window::Minute, NOON)];
        assert_eq!(write_count, 2);
        let others = (0..4)
            .filter(|_| {
                count_local(
                    counters,
                    (1, Bucket::Writes, Window::Minute, NOON),
                    5,
                    Step::Take,
                )
            })
            .count();
        assert_eq!(others, 3);
    }
}
