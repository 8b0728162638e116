//! Logging set-up: JSON lines for machines or a readable format for people, filtered by level.

use std::time::Duration;

use tracing_subscriber::EnvFilter;

use crate::config::{LogArgs, LogFormat};

const RMCP_SERVICE: &str = "rmcp::service=error";

/// Installs the process's subscriber. Called once, by `main`; library code only emits events.
pub fn init(args: &LogArgs) {
    let filter = EnvFilter::try_new(&args.log_level)
        .unwrap_or_else(|_| EnvFilter::new("info"))
        // rmcp logs whole requests (tool arguments: data, sometimes secrets) at debug level, a
        // line per stateless request at info, and every JSON-RPC error it answers (a client's
        // bad request, already counted and audited by us) at warn; none of it goes to our logs,
        // whatever the filter.
        .add_directive(RMCP_SERVICE.parse().expect("a valid directive"));
    // Colours only for a person at a terminal: a file, a pipe or journald gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    // A second init (tests) is harmless, so its error is ignored.
    let _ = match args.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// A duration as a log field: whole milliseconds, rounded to the nearest. Every duration in a
/// log line goes through here, so they all read alike (`ms=12`), never `12.345678ms` or µs.
pub fn ms(duration: Duration) -> u64 {
    let rounded = duration.as_micros().saturating_add(500) / 1000;
    u64::try_from(rounded).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_whole_milliseconds_rounded_to_the_nearest() {
        assert_eq!(ms(Duration::from_micros(0)), 0);
        assert_eq!(ms(Duration::from_micros(499)), 0);
        assert_eq!(ms(Duration::from_micros(500)), 1);
        assert_eq!(ms(Duration::from_micros(12_345)), 12);
        assert_eq!(ms(Duration::from_micros(12_678)), 13);
        assert_eq!(ms(Duration::from_secs(3)), 3000);
    }
}
