//! Refusals worth an administrator's eye, logged without letting anyone flood the log.
//!
//! A portal wired with the wrong secret, issuer or audience, or a WSRP consumer whose
//! registration the host does not know, gets the same short refusal every time: the
//! answer says nothing of the cause, so that nobody can probe for it. The cause is
//! what the administrator setting the portal up needs, so it goes to the log at
//! `warn`. Anyone can send bad tokens, though, so at most one such line is written per
//! [`INTERVAL_SECS`] for each kind of refusal, with the count of those left out since;
//! the rest go to `debug`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds between two `warn` lines of one kind of refusal.
pub const INTERVAL_SECS: u64 = 10;

/// When one kind of refusal was last logged at `warn`, and how many were not since.
#[derive(Debug, Default)]
pub struct Throttle {
    /// Seconds since the Unix epoch of the last `warn` line, plus one (0: never).
    last: AtomicU64,
    unlogged: AtomicU64,
}

impl Throttle {
    pub const fn new() -> Self {
        Self {
            last: AtomicU64::new(0),
            unlogged: AtomicU64::new(0),
        }
    }

    /// Whether a refusal at `now` (seconds since the epoch) gets its `warn` line: then
    /// `Some` with the number of refusals left out since the last one, else `None`
    /// and it is counted.
    pub fn admit_at(&self, now: u64) -> Option<u64> {
        let last = self.last.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last - 1) >= INTERVAL_SECS;
        // One of the threads that find it due writes the line.
        if due
            && self
                .last
                .compare_exchange(last, now + 1, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            return Some(self.unlogged.swap(0, Ordering::Relaxed));
        }
        self.unlogged.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// [`Self::admit_at`] the current time.
    pub fn admit(&self) -> Option<u64> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.admit_at(now)
    }
}

/// Bearer tokens refused on the widget routes and the integration API.
pub static BEARER: Throttle = Throttle::new();

/// Faults a WSRP consumer was answered with.
pub static WSRP: Throttle = Throttle::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_and_the_rest_counted() {
        let throttle = Throttle::new();
        assert_eq!(throttle.admit_at(1_000), Some(0), "the first is logged");
        for second in 1_000..1_000 + INTERVAL_SECS {
            assert_eq!(throttle.admit_at(second), None, "{second}");
        }
        assert_eq!(
            throttle.admit_at(1_000 + INTERVAL_SECS),
            Some(INTERVAL_SECS),
            "the next interval logs, with the count left out"
        );
        assert_eq!(throttle.admit_at(1_000 + INTERVAL_SECS), None);
        // A clock set back does not silence it for ever.
        assert_eq!(throttle.admit_at(5), None);
        assert_eq!(throttle.admit_at(2_000), Some(2));
        // The epoch itself is a time like any other.
        let at_zero = Throttle::new();
        assert_eq!(at_zero.admit_at(0), Some(0));
        assert_eq!(at_zero.admit_at(1), None);
    }
}
