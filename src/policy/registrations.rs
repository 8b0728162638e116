//! Dynamic registration is open to anyone (RFC 7591 without an initial access token), so it is
//! limited per client address: at most [`REGISTRATIONS_PER_HOUR`] in any sliding hour. Real
//! clients register once per connect (claude.ai, Claude Code), far below it; a script filling
//! the Connections list with registrations is stopped.
//!
//! Counted in this process (per replica), which is enough for its purpose. IPv6 addresses are
//! counted per /64, the block one host usually has to itself.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use crate::clock::{HOUR_MS, Millis};
use crate::locks::lock;

pub const REGISTRATIONS_PER_HOUR: usize = 20;
const WINDOW: Millis = HOUR_MS;
/// Past this many addresses, those with nothing in the window are forgotten.
const PRUNE_AT: usize = 10_000;

#[derive(Debug, Default)]
pub struct RegistrationLimiter {
    seen: Mutex<HashMap<IpAddr, VecDeque<Millis>>>,
}

impl RegistrationLimiter {
    /// Counts one registration from `ip` at `now`, or refuses it with the milliseconds until
    /// the next one is allowed.
    pub fn take(&self, ip: IpAddr, now: Millis) -> Result<(), Millis> {
        let mut seen = lock(&self.seen);
        if seen.len() >= PRUNE_AT {
            seen.retain(|_, times| times.back().is_some_and(|t| now - t < WINDOW));
        }
        let times = seen.entry(key(ip)).or_default();
        while times.front().is_some_and(|t| now - t >= WINDOW) {
            times.pop_front();
        }
        if times.len() >= REGISTRATIONS_PER_HOUR {
            let oldest = times.front().copied().unwrap_or(now);
            return Err((oldest + WINDOW - now).max(1));
        }
        times.push_back(now);
        Ok(())
    }
}

/// The counted unit: an IPv4 address, or an IPv6 /64.
fn key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(segments.into())
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn twenty_per_sliding_hour_per_address() {
        let limiter = RegistrationLimiter::default();
        let a = ip("203.0.113.7");
        for i in 0..REGISTRATIONS_PER_HOUR {
            assert_eq!(limiter.take(a, i as Millis * 1000), Ok(()));
        }
        assert_eq!(limiter.take(a, 30_000), Err(WINDOW - 30_000));
        assert_eq!(limiter.take(ip("203.0.113.8"), 30_000), Ok(()));
        // The first one leaves the window an hour after it was made.
        assert_eq!(limiter.take(a, WINDOW), Ok(()));
        assert!(limiter.take(a, WINDOW).is_err());
    }

    #[test]
    fn an_ipv6_host_counts_as_its_64() {
        let limiter = RegistrationLimiter::default();
        for i in 0..REGISTRATIONS_PER_HOUR {
            let addr = ip(&format!("2001:db8:1:2::{i:x}"));
            assert_eq!(limiter.take(addr, 0), Ok(()));
        }
        assert!(limiter.take(ip("2001:db8:1:2:ffff::1"), 0).is_err());
        assert_eq!(limiter.take(ip("2001:db8:1:3::1"), 0), Ok(()));
        assert_eq!(key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }
}
