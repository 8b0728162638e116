//! Rate limits of Bearer connections: requests per minute and per day, in fixed windows that
//! reset at each UTC minute and at midnight UTC. Counting is atomic: with a limit of N, exactly
//! N requests of a window pass, also with several replicas on one PostgreSQL database.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::{DAY_MS, MINUTE_MS, Millis, format_utc};
use crate::settings::ServerSettings;
use crate::store::{self, Store};
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

/// The limits in force for one connection: its own, else the server defaults.
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
}

/// A refused request: which limit, and when its window starts over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    pub window: Window,
    pub limit: i64,
    pub resets_at: Millis,
}

impl Exceeded {
    pub fn message(&self) -> String {
        let per = match self.window {
            Window::Minute => "minute",
            Window::Day => "day (UTC)",
        };
        format!(
            "Rate limit exceeded: this connection may make {} requests per {per}. The limit resets at {}.",
            self.limit,
            format_utc_seconds(self.resets_at)
        )
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

/// Where the counters live: in this process (SQLite, one node) or in the shared database.
#[derive(Debug)]
pub enum RateLimiter {
    Local(Mutex<HashMap<(i64, Window, Millis), i64>>),
    Shared,
}

impl RateLimiter {
    pub fn for_store(store: &Store) -> Self {
        match store {
            Store::Sqlite(_) => Self::Local(Mutex::default()),
            Store::Postgres(_) => Self::Shared,
        }
    }

    /// Counts the request against the minute window, then the day window. The minute window is
    /// checked first so a refused request never uses up the day's quota.
    pub async fn take(
        &self,
        store: &Store,
        connection_id: i64,
        limits: Limits,
        now: Millis,
    ) -> Result<Result<(), Exceeded>, store::Error> {
        for (window, limit) in [
            (Window::Minute, limits.per_minute),
            (Window::Day, limits.per_day),
        ] {
            let start = window.start(now);
            let counted = match self {
                Self::Local(counters) => {
                    Ok(take_local(counters, connection_id, window, start, limit))
                }
                Self::Shared => store
                    .take_rate_slot(connection_id, window.kind(), start, limit)
                    .await
                    .map(|c| c.is_some()),
            }?;
            if !counted {
                return Ok(Err(Exceeded {
                    window,
                    limit,
                    resets_at: window.resets_at(now),
                }));
            }
        }
        Ok(Ok(()))
    }

    /// Drops counters of windows that are over (the local map; the shared table is pruned by a job).
    pub fn forget_before(&self, now: Millis) {
        if let Self::Local(counters) = self {
            let mut map = counters.lock().unwrap_or_else(|e| e.into_inner());
            map.retain(|(_, window, start), _| *start >= window.start(now));
        }
    }
}

fn take_local(
    counters: &Mutex<HashMap<(i64, Window, Millis), i64>>,
    connection_id: i64,
    window: Window,
    start: Millis,
    limit: i64,
) -> bool {
    let mut map = counters.lock().unwrap_or_else(|e| e.into_inner());
    let count = map.entry((connection_id, window, start)).or_insert(0);
    if *count < limit {
        *count += 1;
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: Millis = 1_800_000_000_000 - 1_800_000_000_000 % DAY_MS + DAY_MS / 2;

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
            window: Window::Minute,
            limit: 60,
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
    fn local_counting_admits_exactly_the_limit_per_window() {
        let limiter = RateLimiter::Local(Mutex::default());
        let counters = match &limiter {
            RateLimiter::Local(c) => c,
            RateLimiter::Shared => unreachable!(),
        };
        let passed = (0..5)
            .filter(|_| take_local(counters, 1, Window::Minute, NOON, 3))
            .count();
        assert_eq!(passed, 3);
        assert!(
            take_local(counters, 1, Window::Minute, NOON + MINUTE_MS, 3),
            "a new window"
        );
        assert!(
            take_local(counters, 2, Window::Minute, NOON, 3),
            "another connection"
        );
        limiter.forget_before(NOON + MINUTE_MS);
        assert_eq!(counters.lock().unwrap().len(), 1);
    }
}
