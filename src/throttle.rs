//! Log lines that anyone can cause as often as they like, kept to one a while.
//!
//! A refusal whose cause an administrator needs (a portal wired with the wrong secret,
//! a busy writer) or a failure that repeats on every request (a database file that
//! has failed) would otherwise write a line per request: at the rate requests come,
//! onto a disk that may be the full one. A [`Throttle`] lets one line through per
//! [`INTERVAL_SECS`] and counts those it held back, which the next line gives.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Seconds between two lines of one throttle.
pub const INTERVAL_SECS: u64 = 10;

/// When one kind of line was last written, and how many were held back since.
#[derive(Debug, Default)]
pub struct Throttle {
    /// [`now`] of the last line written, plus one (0: never).
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

    /// Whether a line at `now` (seconds of a clock that never goes back) is written:
    /// then `Some` with the number held back since the last one, else `None` and it
    /// is counted.
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
        self.admit_at(now())
    }

    /// As new (tests only): a shared throttle another test's line may have taken.
    #[cfg(test)]
    pub(crate) fn forget(&self) {
        self.last.store(0, Ordering::Relaxed);
        self.unlogged.store(0, Ordering::Relaxed);
    }
}

/// Seconds since the first line any throttle was asked about, on the monotonic
/// clock. The wall clock would do until it is set back (an NTP step, a virtual
/// machine restored from a snapshot): every throttle would then hold back every line
/// until the clock had caught up with the time it was set back from, an hour of
/// silence for an hour set back.
pub fn now() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs()
}

/// Logs `error`, which `what` met, at `error` level through `throttle`: the first,
/// and then one a [`INTERVAL_SECS`] with the count held back; the others at `debug`.
/// For failures every request meets alike once they start (a database file that
/// failed, a bug on a path every render takes): the first line tells the cause, and
/// the count how many it cost.
pub fn log_error(throttle: &Throttle, what: &'static str, error: &dyn std::fmt::Display) {
    match throttle.admit() {
        Some(unlogged) => tracing::error!(
            %error, unlogged,
            "{what} (one such line per 10 s; `unlogged` counts those left out)"
        ),
        None => tracing::debug!(%error, "{what}"),
    }
}

/// Most kinds a [`Throttles`] keeps apart; the kinds past them share one throttle.
pub const MOST_KINDS: usize = 64;

/// One [`Throttle`] per kind of line, named as it comes (a panic's place in the code):
/// a flood of one kind holds back that kind alone, and another's first line is still
/// written. At most [`MOST_KINDS`] kinds are kept apart, so that the names themselves
/// cannot grow without end.
#[derive(Debug, Default)]
pub struct Throttles {
    kinds: std::sync::Mutex<std::collections::BTreeMap<String, Throttle>>,
    others: Throttle,
}

impl Throttles {
    pub const fn new() -> Self {
        Self {
            kinds: std::sync::Mutex::new(std::collections::BTreeMap::new()),
            others: Throttle::new(),
        }
    }

    /// [`Throttle::admit_at`] for the line of kind `kind`.
    pub fn admit_at(&self, kind: &str, now: u64) -> Option<u64> {
        // Nothing under the lock panics halfway (it is taken in the panic hook too): a
        // poisoned map is whole.
        let mut kinds = self.kinds.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(throttle) = kinds.get(kind) {
            return throttle.admit_at(now);
        }
        if kinds.len() >= MOST_KINDS {
            return self.others.admit_at(now);
        }
        let throttle = Throttle::new();
        let admitted = throttle.admit_at(now);
        kinds.insert(kind.to_owned(), throttle);
        admitted
    }

    /// [`Self::admit_at`] the current time.
    pub fn admit(&self, kind: &str) -> Option<u64> {
        self.admit_at(kind, now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_interval_and_the_kinds_past_the_most_share_one() {
        let throttles = Throttles::new();
        assert_eq!(throttles.admit_at("a.rs:1", 100), Some(0));
        assert_eq!(throttles.admit_at("a.rs:1", 101), None);
        assert_eq!(throttles.admit_at("a.rs:1", 102), None);
        // Another kind's first line is written in the first one's flood.
        assert_eq!(throttles.admit_at("b.rs:2", 102), Some(0));
        assert_eq!(throttles.admit_at("b.rs:2", 103), None);
        assert_eq!(
            throttles.admit_at("a.rs:1", 100 + INTERVAL_SECS),
            Some(2),
            "its own held-back lines, not the other kind's"
        );
        for n in 2..MOST_KINDS {
            assert_eq!(throttles.admit_at(&format!("k{n}"), 200), Some(0), "{n}");
        }
        // Past the most kinds kept apart, new kinds share one throttle.
        assert_eq!(throttles.admit_at("late.rs:1", 200), Some(0));
        assert_eq!(throttles.admit_at("later.rs:9", 201), None);
        assert_eq!(throttles.kinds.lock().expect("kinds").len(), MOST_KINDS);
    }

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
        // The start of the clock is a time like any other.
        let at_zero = Throttle::new();
        assert_eq!(at_zero.admit_at(0), Some(0));
        assert_eq!(at_zero.admit_at(1), None);
    }

    /// A failure that repeats is one `error` line a while: the first, with its cause,
    /// and the next after the interval with the count held back.
    #[test]
    fn a_repeated_failure_is_logged_once_an_interval() {
        let throttle = Throttle::new();
        let ((), text) = crate::captured_log::CapturedLog::during(|| {
            for n in 0..5 {
                log_error(&throttle, "widget failed", &format!("disk full {n}"));
            }
        });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        assert!(lines[0].contains("ERROR"), "{text}");
        assert!(lines[0].contains("widget failed"), "{text}");
        assert!(lines[0].contains("disk full 0"), "{text}");
        assert_eq!(throttle.unlogged.load(Ordering::Relaxed), 4);
    }

    /// The clock throttles run on counts from the process's start, not from the
    /// epoch: the wall clock's seconds (some 1.8 billion) would mean it is the one
    /// that can be set back.
    #[test]
    fn the_clock_is_the_processs_own() {
        let first = now();
        assert!(
            first < 24 * 3600,
            "{first} s: not a clock started with the process"
        );
        assert!(now() >= first);
        let throttle = Throttle::new();
        assert_eq!(throttle.admit(), Some(0));
        assert_eq!(throttle.admit(), None, "within the interval");
    }
}
