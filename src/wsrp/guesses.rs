//! A bound on guessing a consumer's `wsrp_secret`.
//!
//! A registration acts, through `userContextKey`, as any user of its portal, and
//! `register` is open to anyone who can reach the host: without a bound, a consumer id
//! and a fast loop try secrets as quickly as the host answers. Registering is rare (a
//! portal does it once, when it is set up), so after [`MAX_WRONG_SECRETS`] wrong
//! secrets within [`WINDOW`] the producer checks none, right or wrong, until that
//! window ends. Attempts are counted before their secret is checked, so that many
//! checked at once cannot pass the bound together. The count is the host's, not a
//! consumer's: a guess at an id that is not configured counts too, so the bound does
//! not tell which ids are. While it holds, a portal being set up is refused as well
//! and told to try again; its registrations already made keep working, since they
//! prove no secret again.
//!
//! `modifyRegistration` proves a secret too, but only after its caller has shown a
//! stored handle (128 random bits), and only the handle's own consumer's secret: its
//! wrong secrets count against that consumer alone ([`HandleGuesses`]), ten a minute
//! however many handles it holds. A consumer whose secret was rotated, whose handles
//! then serve nothing until modified, is not held out by strangers filling the
//! host's count with `register` calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Wrong secrets the producer takes within one [`WINDOW`].
pub const MAX_WRONG_SECRETS: u32 = 10;

/// How long the count runs from the first attempt counted in it.
pub const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct SecretGuesses {
    window: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    /// When the first attempt of this window came; `None` while none has.
    began: Option<Instant>,
    /// Attempts found wrong.
    wrong: u32,
    /// Attempts being checked now: they hold a place within the bound until their
    /// answer, so that a burst cannot pass it.
    pending: u32,
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

/// An attempt admitted by [`SecretGuesses::attempt_at`]; its answer goes to
/// [`SecretGuesses::proved`] or [`SecretGuesses::wrong`], once.
#[derive(Debug)]
pub struct Attempt {
    window: Instant,
}

impl SecretGuesses {
    fn lock(&self) -> MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether anything still counts at `now`: a window not yet ended, or an attempt
    /// being checked.
    fn counts_at(&self, now: Instant) -> bool {
        let mut window = self.lock();
        let window = window.at(now);
        window.began.is_some() || window.pending > 0
    }

    /// Admits an attempt at `now`, before its secret is checked: `Err` with how long
    /// until one may be checked while the wrong attempts and those being checked fill
    /// the bound.
    pub fn attempt_at(&self, now: Instant) -> Result<Attempt, Duration> {
        let mut window = self.lock();
        let window = window.at(now);
        let began = *window.began.get_or_insert(now);
        if window.wrong + window.pending >= MAX_WRONG_SECRETS {
            return Err(WINDOW.saturating_sub(now.saturating_duration_since(began)));
        }
        window.pending += 1;
        Ok(Attempt { window: began })
    }

    /// `attempt`'s secret was right: its place is free again.
    pub fn proved(&self, attempt: Attempt) {
        let mut window = self.lock();
        if window.began == Some(attempt.window) {
            window.pending = window.pending.saturating_sub(1);
            if window.pending == 0 && window.wrong == 0 {
                *window = Window::default();
            }
        }
    }

    /// `attempt`'s secret was wrong: it counts. Answers whether it is the one that
    /// reached the bound, for the log. An attempt whose window ended while it was
    /// checked counts in none.
    pub fn wrong(&self, attempt: Attempt) -> bool {
        let mut window = self.lock();
        if window.began != Some(attempt.window) {
            return false;
        }
        window.pending = window.pending.saturating_sub(1);
        window.wrong += 1;
        window.wrong == MAX_WRONG_SECRETS
    }
}

/// Most consumers with a budget of their own at once. Only a stored handle's consumer
/// gets one, and only a consumer that proved its secret stores a handle; past this
/// many, budgets whose window ended are let go, and while all still count, further
/// consumers share one budget.
const MAX_CONSUMERS: usize = 1024;

/// Wrong secrets counted per consumer of a stored handle, for `modifyRegistration`.
#[derive(Debug, Default)]
pub struct HandleGuesses {
    budgets: Mutex<HashMap<String, Arc<SecretGuesses>>>,
    shared: Arc<SecretGuesses>,
}

impl HandleGuesses {
    /// The budget of `consumer` at `now`: its own, made on first use.
    pub fn of(&self, consumer: &str, now: Instant) -> Arc<SecretGuesses> {
        let mut budgets = self.budgets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(budget) = budgets.get(consumer) {
            return Arc::clone(budget);
        }
        if budgets.len() >= MAX_CONSUMERS {
            budgets.retain(|_, budget| budget.counts_at(now));
            if budgets.len() >= MAX_CONSUMERS {
                return Arc::clone(&self.shared);
            }
        }
        Arc::clone(budgets.entry(consumer.to_owned()).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wrong attempt `seconds` after `start`: whether it reached the bound, or the
    /// wait when it was not admitted.
    fn wrong_at(guesses: &SecretGuesses, start: Instant, seconds: u64) -> Result<bool, Duration> {
        let attempt = guesses.attempt_at(start + Duration::from_secs(seconds))?;
        Ok(guesses.wrong(attempt))
    }

    #[test]
    fn the_bound_closes_checks_until_its_window_ends() {
        let guesses = SecretGuesses::default();
        let start = Instant::now();
        for i in 0..u64::from(MAX_WRONG_SECRETS) - 1 {
            assert_eq!(wrong_at(&guesses, start, i), Ok(false), "attempt {i}");
        }
        assert_eq!(
            wrong_at(&guesses, start, 30),
            Ok(true),
            "the tenth reaches it"
        );
        // Closed for what is left of the window, counted from its first attempt.
        assert_eq!(wrong_at(&guesses, start, 30), Err(Duration::from_secs(30)));
        let almost = start + WINDOW - Duration::from_millis(1);
        assert_eq!(
            guesses.attempt_at(almost).map(|_| ()),
            Err(Duration::from_millis(1))
        );
        // The window ends, and so does the count.
        assert_eq!(wrong_at(&guesses, start, WINDOW.as_secs()), Ok(false));
    }

    #[test]
    fn attempts_spread_over_windows_never_close_it() {
        let guesses = SecretGuesses::default();
        let start = Instant::now();
        for i in 0..3 * u64::from(MAX_WRONG_SECRETS) {
            // Five a window: half the bound.
            let at = start + WINDOW / 5 * u32::try_from(i).expect("small");
            let attempt = guesses.attempt_at(at).expect("open");
            assert!(!guesses.wrong(attempt), "attempt {i}");
        }
    }

    /// Right secrets never count. Attempts being checked hold their places, so a
    /// burst cannot pass the bound together; a right one among them frees its place,
    /// and only the tenth wrong answer reports the bound.
    #[test]
    fn a_burst_counts_whole_and_right_secrets_are_free() {
        let guesses = SecretGuesses::default();
        let start = Instant::now();
        for _ in 0..MAX_WRONG_SECRETS * 3 {
            guesses.proved(guesses.attempt_at(start).expect("open"));
        }
        // Ten begun before any is answered: the eleventh is refused.
        let mut burst: Vec<Attempt> = (0..MAX_WRONG_SECRETS)
            .map(|_| guesses.attempt_at(start).expect("open"))
            .collect();
        assert!(guesses.attempt_at(start).is_err());
        // One proves right: room for one more.
        guesses.proved(burst.pop().expect("one"));
        burst.push(guesses.attempt_at(start).expect("its place"));
        assert!(guesses.attempt_at(start).is_err());
        let last = burst.pop().expect("one");
        for attempt in burst {
            assert!(!guesses.wrong(attempt));
        }
        assert!(
            guesses.attempt_at(start).is_err(),
            "nine wrong, one pending"
        );
        assert!(guesses.wrong(last), "the tenth wrong reports the bound");
        assert!(guesses.attempt_at(start).is_err());
        // An answer from an ended window counts in none.
        let old = Attempt { window: start };
        let next = start + WINDOW;
        assert!(guesses.attempt_at(next).is_ok());
        assert!(!guesses.wrong(old));
    }

    /// Each consumer has its own count: one's wrong secrets close checks for it alone,
    /// and one whose window ended gives its place up when the map is full.
    #[test]
    fn consumers_count_apart_and_ended_ones_are_let_go() {
        let handles = HandleGuesses::default();
        let start = Instant::now();
        let guessed = handles.of("guessed", start);
        for _ in 0..MAX_WRONG_SECRETS {
            guessed.wrong(guessed.attempt_at(start).expect("open"));
        }
        assert!(handles.of("guessed", start).attempt_at(start).is_err());
        assert!(handles.of("other", start).attempt_at(start).is_ok());
        // Fill the map with handles still counting; the next shares one budget.
        let held = handles.budgets.lock().expect("lock").len();
        for i in held..MAX_CONSUMERS {
            let budget = handles.of(&format!("h{i}"), start);
            budget.wrong(budget.attempt_at(start).expect("open"));
        }
        let (a, b) = (handles.of("late-a", start), handles.of("late-b", start));
        assert!(Arc::ptr_eq(&a, &b), "the map is full of counting budgets");
        assert!(!Arc::ptr_eq(&a, &handles.of("guessed", start)));
        // Once their windows end, they make room.
        let later = start + WINDOW;
        let (a, b) = (handles.of("late-a", later), handles.of("late-b", later));
        assert!(!Arc::ptr_eq(&a, &b), "ended budgets were let go");
        assert!(a.attempt_at(later).is_ok());
    }
}
