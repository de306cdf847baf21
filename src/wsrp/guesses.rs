//! A bound on guessing a consumer's `wsrp_secret`.
//!
//! A registration acts, through `userContextKey`, as any user of its portal, and
//! `register` is open to anyone who can reach the host: without a bound, a consumer id
//! and a fast loop try secrets as quickly as the host answers. Registering is rare (a
//! portal does it once, when it is set up), so after [`MAX_WRONG_SECRETS`] wrong
//! secrets within [`WINDOW`] the producer checks none, right or wrong, until that
//! window ends. The count is the host's, not a consumer's: a guess at an id that is not
//! configured counts too, so the bound does not tell which ids are. While it holds, a
//! portal being set up is refused as well and told to try again; its registrations
//! already made keep working, since they prove no secret again.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Wrong secrets the producer takes within one [`WINDOW`].
pub const MAX_WRONG_SECRETS: u32 = 10;

/// How long the count runs from the first wrong secret.
pub const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct SecretGuesses {
    window: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    /// When the first wrong secret of this window came; `None` while none has.
    began: Option<Instant>,
    wrong: u32,
}

impl Window {
    /// Forgets a window that has ended by `now`.
    fn at(&mut self, now: Instant) -> &mut Self {
        if self
            .began
            .is_some_and(|began| now.saturating_duration_since(began) >= WINDOW)
        {
            *self = Self::default();
        }
        self
    }
}

impl SecretGuesses {
    /// `None` when a secret may be checked at `now`; else how long until one may.
    pub fn closed_for(&self, now: Instant) -> Option<Duration> {
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        let window = window.at(now);
        match window.began {
            Some(began) if window.wrong >= MAX_WRONG_SECRETS => {
                Some(WINDOW.saturating_sub(now.saturating_duration_since(began)))
            }
            _ => None,
        }
    }

    /// Counts a wrong secret presented at `now`. Answers whether it was the one that
    /// reached the bound, for the log.
    pub fn wrong_at(&self, now: Instant) -> bool {
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        let window = window.at(now);
        window.began.get_or_insert(now);
        window.wrong = window.wrong.saturating_add(1);
        window.wrong == MAX_WRONG_SECRETS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_closes_checks_until_its_window_ends() {
        let guesses = SecretGuesses::default();
        let start = Instant::now();
        assert_eq!(guesses.closed_for(start), None, "open before any guess");
        for i in 0..MAX_WRONG_SECRETS - 1 {
            let at = start + Duration::from_secs(u64::from(i));
            assert!(!guesses.wrong_at(at), "guess {i}");
            assert_eq!(guesses.closed_for(at), None, "still open after guess {i}");
        }
        let last = start + Duration::from_secs(30);
        assert!(guesses.wrong_at(last), "the tenth reaches the bound");
        // Closed for what is left of the window, counted from its first guess.
        assert_eq!(guesses.closed_for(last), Some(Duration::from_secs(30)));
        let almost = start + WINDOW - Duration::from_millis(1);
        assert_eq!(guesses.closed_for(almost), Some(Duration::from_millis(1)));
        // The window ends, and so does the count.
        assert_eq!(guesses.closed_for(start + WINDOW), None);
        assert!(!guesses.wrong_at(start + WINDOW), "a new window's first");
        assert_eq!(guesses.closed_for(start + WINDOW), None);
    }

    #[test]
    fn wrong_secrets_spread_over_windows_never_close_it() {
        let guesses = SecretGuesses::default();
        let start = Instant::now();
        for i in 0..3 * u64::from(MAX_WRONG_SECRETS) {
            // Five a window: half the bound.
            let at = start + WINDOW / 5 * u32::try_from(i).expect("small");
            guesses.wrong_at(at);
            assert_eq!(guesses.closed_for(at), None, "guess {i}");
        }
    }
}
