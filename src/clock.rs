//! The wall clock in whole seconds since the Unix epoch, as tokens, relations and
//! requests are stamped. One function for all of them, so that they agree on a clock
//! set before 1970: it reads as 1970 (tokens then expire early, never late), where
//! `SystemTime`'s own subtraction fails and `jsonwebtoken`'s clock panics.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds from the epoch to `t`; 0 for a time before it.
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// 2026-01-01T00:00:00Z, before this release was written: a clock reading earlier
/// has lost its setting (a dead clock battery, a machine restored without its time).
/// A Bearer token's expiry means nothing against such a clock, and one that names no
/// issue time would pass however long ago it expired: the host refuses them all
/// until the clock is set, and says so at start.
pub const EARLIEST_BELIEVABLE: u64 = 1_767_225_600;

/// Seconds since the epoch now.
pub fn unix_now() -> u64 {
    unix_secs(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_time_before_the_epoch_reads_as_the_epoch() {
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(5)), 0);
        assert_eq!(unix_secs(UNIX_EPOCH + Duration::from_millis(2_500)), 2);
        assert!(unix_now() > EARLIEST_BELIEVABLE);
        // The floor is the date its comment names.
        assert_eq!(EARLIEST_BELIEVABLE % 86_400, 0);
        assert_eq!(EARLIEST_BELIEVABLE / 86_400, 56 * 365 + 14);
    }
}
