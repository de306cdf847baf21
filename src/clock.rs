//! The wall clock in whole seconds since the Unix epoch, as tokens, relations and
//! requests are stamped. One function for all of them, so that they agree on a clock
//! set before 1970: it reads as 1970 (tokens then expire early, never late), where
//! `SystemTime`'s own subtraction fails and `jsonwebtoken`'s clock panics.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds from the epoch to `t`; 0 for a time before it.
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

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
        assert!(unix_now() > 1_700_000_000);
    }
}
