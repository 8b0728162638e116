//! Throttling of failed console sign-ins. Per login it is strict: 5 failures in 15 minutes lock
//! that login for 15 minutes, whoever tries. Per client address it counts *distinct logins*
//! that failed (a password spray), not failures: 20 in 15 minutes lock the address for 15
//! minutes — but not for a browser that login signed in from before (its known-device cookie).
//! So repeated guesses at one login lock only that login, and a spray from an office's shared
//! address locks out newcomers there, not the people already working from it.

use std::net::IpAddr;

use crate::clock::{MINUTE_MS, Millis};
use crate::store::{self, Store, ThrottleRow};

/// Failures of one login within [`WINDOW`] before it is locked.
pub const MAX_FAILURES_PER_LOGIN: i64 = 5;
/// Distinct logins failing from one client address within [`WINDOW`] before it is locked.
pub const MAX_LOGINS_PER_ADDRESS: i64 = 20;
pub const WINDOW: Millis = 15 * MINUTE_MS;
pub const LOCKOUT: Millis = 15 * MINUTE_MS;

/// One counted sign-in attempt; [`Attempt::forgive`] takes it back when it was no failure.
pub struct Attempt {
    login_key: String,
    address_key: String,
    /// The (address, login) counter, unless a known-device cookie exempted the address.
    pair_key: Option<String>,
}

pub enum Verdict {
    Go(Attempt),
    /// Sign-in is paused for this many more minutes.
    Locked {
        minutes: i64,
    },
}

/// Counts an attempt before the credential is checked, each counter in one atomic statement,
/// so parallel attempts cannot share one stale count.
pub async fn count(
    store: &Store,
    login: &str,
    address: IpAddr,
    known_device: bool,
    now: Millis,
) -> store::Result<Verdict> {
    let login = login.to_lowercase();
    let attempt = Attempt {
        login_key: format!("login:{login}"),
        address_key: format!("ip:{address}"),
        pair_key: (!known_device).then(|| format!("ip-login:{address} {login}")),
    };
    let lock_until = now + LOCKOUT;
    let by_login = store
        .count_signin_attempt(
            &attempt.login_key,
            now,
            WINDOW,
            MAX_FAILURES_PER_LOGIN,
            lock_until,
        )
        .await?;
    let login_lock = (by_login.failures > MAX_FAILURES_PER_LOGIN)
        .then(|| locked_until(&by_login, now).unwrap_or(lock_until));
    let address_lock = match &attempt.pair_key {
        None => None,
        Some(pair_key) => {
            let pair = store
                .count_signin_attempt(pair_key, now, WINDOW, i64::MAX, lock_until)
                .await?;
            if pair.failures == 1 {
                // A login new to this address in the window: one more distinct login.
                let by_address = store
                    .count_signin_attempt(
                        &attempt.address_key,
                        now,
                        WINDOW,
                        MAX_LOGINS_PER_ADDRESS,
                        lock_until,
                    )
                    .await?;
                (by_address.failures > MAX_LOGINS_PER_ADDRESS)
                    .then(|| locked_until(&by_address, now).unwrap_or(lock_until))
            } else {
                // A login already counted: the address's lock applies, its count stays.
                store
                    .signin_throttle(&attempt.address_key)
                    .await?
                    .filter(|row| row.failures >= MAX_LOGINS_PER_ADDRESS)
                    .and_then(|row| locked_until(&row, now))
            }
        }
    };
    Ok(match login_lock.max(address_lock) {
        Some(until) => Verdict::Locked {
            minutes: ((until - now) + MINUTE_MS - 1) / MINUTE_MS,
        },
        None => Verdict::Go(attempt),
    })
}

/// Until when a counter locks sign-in, if it does at `now`.
fn locked_until(row: &ThrottleRow, now: Millis) -> Option<Millis> {
    row.locked_until.filter(|until| *until > now)
}

impl Attempt {
    /// Takes the attempt back: it signed in, or Odoo could not be asked. The login's count
    /// starts over, and the address no longer counts this login among its failed ones.
    pub async fn forgive(&self, store: &Store) -> store::Result<()> {
        store.clear_throttle(&self.login_key).await?;
        if let Some(pair_key) = &self.pair_key {
            store.clear_throttle(pair_key).await?;
            store
                .forgive_signin_attempt(&self.address_key, MAX_LOGINS_PER_ADDRESS)
                .await?;
        }
        Ok(())
    }
}
