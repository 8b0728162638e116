//! Taking a lock whose holder panicked: every value behind the gateway's mutexes is replaced,
//! cleared or counted in one step, so a poisoned one is still whole and is used as it is.

use std::sync::{Mutex, MutexGuard};

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
