//! Wall-clock time as a parameter: the only place that reads the system clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Milliseconds since the Unix epoch, UTC. Every timestamp in the store uses it.
pub type Millis = i64;

pub const MINUTE_MS: Millis = 60_000;
pub const HOUR_MS: Millis = 60 * MINUTE_MS;
pub const DAY_MS: Millis = 24 * HOUR_MS;

/// The source of "now". Production reads the system clock; tests hold a
/// [`Clock::manual`] and move it forward instead of sleeping.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock that stands still at `start` until [`Clock::advance`] moves it.
    pub fn manual(start: Millis) -> Self {
        Self {
            manual: Some(Arc::new(AtomicI64::new(start))),
        }
    }

    pub fn now(&self) -> Millis {
        match &self.manual {
            Some(at) => at.load(Ordering::SeqCst),
            // The one place the gateway reads the wall clock.
            #[allow(clippy::disallowed_methods)]
            None => chrono::Utc::now().timestamp_millis(),
        }
    }

    /// Moves a manual clock forward; a system clock ignores it.
    pub fn advance(&self, by: Millis) {
        if let Some(at) = &self.manual {
            at.fetch_add(by, Ordering::SeqCst);
        }
    }
}

/// `2026-11-26 14:21 UTC`, the way the CLI and messages show a time.
pub fn format_utc(at: Millis) -> String {
    format_with(at, "%Y-%m-%d %H:%M UTC")
}

/// `2026-11-26 14:21:05.123 UTC`: a time that must pick out one event (an audit entry).
pub fn format_utc_ms(at: Millis) -> String {
    format_with(at, "%Y-%m-%d %H:%M:%S%.3f UTC")
}

/// RFC 3339 in UTC to the millisecond (`2026-11-26T14:21:05.123Z`), for machines (webhook
/// bodies, syslog); `None` when out of range.
pub fn rfc3339_ms(at: Millis) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// `at` in UTC after a chrono `pattern` (`%H:%M`, `%d %b`), `-` when out of range.
pub fn format_with(at: Millis, pattern: &str) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.format(pattern).to_string())
        .unwrap_or_else(|| "-".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = Clock::manual(1_000);
        assert_eq!(clock.now(), 1_000);
        clock.advance(DAY_MS);
        assert_eq!(clock.now(), 1_000 + DAY_MS);
    }

    #[test]
    fn formats_utc_minutes() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
    }
}
