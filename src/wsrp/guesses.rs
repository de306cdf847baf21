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

/// An attempt counted by [`SecretGuesses::attempt_at`], to take back if it proves right.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    window: Instant,
}

impl SecretGuesses {
    /// Counts an attempt at `now`, before its secret is checked: `Err` with how long
    /// until one may be checked when the bound is reached. Counted first, so that
    /// attempts checked at the same time cannot pass the bound together; one that
    /// proves its secret is taken back ([`Self::proved`]). The `bool` says whether
    /// this attempt reached the bound, for the log.
    pub fn attempt_at(&self, now: Instant) -> Result<(Attempt, bool), Duration> {
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        let window = window.at(now);
        let began = *window.began.get_or_insert(now);
        if window.wrong >= MAX_WRONG_SECRETS {
            return Err(WINDOW.saturating_sub(now.saturating_duration_since(began)));
        }
        window.wrong += 1;
        Ok((Attempt { window: began }, window.wrong == MAX_WRONG_SECRETS))
    }

    /// Takes back `attempt`, whose secret was right (unless its window has ended).
    pub fn proved(&self, attempt: Attempt) {
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        if window.began == Some(attempt.window) {
            window.wrong = window.wrong.saturating_sub(1);
            if window.wrong == 0 {
                *window = Window::default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wrong attempts `n` seconds after `start`, none proved.
    fn wrong(guesses: &SecretGuesses, start: Instant, seconds: u64) -> Result<bool, Duration> {
        guesses
            .attempt_at(start + Duration::from_secs(seconds))
            .map(|(_, reached)| reached)
    }

    #[test]
    fn the_bound_closes_checks_until_its_window_ends() {
        let guesses = SecretGuesses::default();
        let start = Instant::now();
        for i in 0..u64::from(MAX_WRONG_SECRETS) - 1 {
            assert_eq!(wrong(&guesses, start, i), Ok(false), "attempt {i}");
        }
        assert_eq!(wrong(&guesses, start, 30), Ok(true), "the tenth reaches it");
        // Closed for what is left of the window, counted from its first attempt.
        assert_eq!(wrong(&guesses, start, 30), Err(Duration::from_secs(30)));
        let almost = start + WINDOW - Duration::from_millis(1);
        assert_eq!(
            guesses.attempt_at(almost).map(|_| ()),
            Err(Duration::from_millis(1))
        );
        // The window ends, and so does the count.
        assert_eq!(wrong(&guesses, start, WINDOW.as_secs()), Ok(false));
    }

    #[test]
    fn attempts_spread_over_windows_never_close_it() {
        let guesses = SecretGuesses::default();
        let start = Instant::now();
        for i in 0..3 * u64::from(MAX_WRONG_SECRETS) {
            // Five a window: half the bound.
            let at = start + WINDOW / 5 * u32::try_from(i).expect("small");
            assert!(guesses.attempt_at(at).is_ok(), "attempt {i}");
        }
    }

    /// A right secret is taken back; attempts made at once all count until then, so
    /// a burst cannot pass the bound together.
    #[test]
    fn proved_attempts_are_taken_back_and_a_burst_counts_whole() {
        let guesses = SecretGuesses::default();
        let start = Instant::now();
        for i in 0..u64::from(MAX_WRONG_SECRETS) * 3 {
            let (attempt, _) = guesses.attempt_at(start).expect("open");
            guesses.proved(attempt);
            assert!(
                guesses
                    .attempt_at(start)
                    .map(|(a, _)| guesses.proved(a))
                    .is_ok(),
                "{i}"
            );
        }
        // Ten begun before any is answered: the eleventh is refused.
        let burst: Vec<Attempt> = (0..MAX_WRONG_SECRETS)
            .map(|_| guesses.attempt_at(start).expect("open").0)
            .collect();
        assert!(guesses.attempt_at(start).is_err());
        // One of them proves right: room for one more.
        guesses.proved(burst[0]);
        assert!(guesses.attempt_at(start).is_ok());
        assert!(guesses.attempt_at(start).is_err());
        // An attempt of an ended window takes nothing back from the next one.
        let next = start + WINDOW;
        assert!(guesses.attempt_at(next).is_ok());
        guesses.proved(burst[1]);
        for _ in 1..MAX_WRONG_SECRETS {
            assert!(guesses.attempt_at(next).is_ok());
        }
        assert!(guesses.attempt_at(next).is_err());
    }
}
