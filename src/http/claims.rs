//! The profile claims last applied to each user's directory entry. A portal sends the
//! same claims on every request; remembering them lets a render skip the directory
//! check (a read snapshot of its own) so that a steady-state render takes exactly one
//! snapshot, the widget's.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use crate::portal::PortalUser;

/// Users remembered at most; past that the memory starts over (the cost of forgetting
/// is one extra read per user, not a wrong answer). Room for a portal of a quarter
/// of a million active people, some 20 MB when full: the bench's viewers, drawn from
/// all 100,000 people, filled the earlier 65,536 during a full run, which started
/// over and re-checked everyone (home at 64 connections cost the host 182 µs of CPU
/// per render that way, 170 µs with the room; BENCHMARKS.md).
const CAPACITY: usize = 262_144;

#[derive(Default)]
pub struct ClaimsMemo {
    seen: Mutex<Seen>,
    hasher: RandomState,
}

#[derive(Default)]
struct Seen {
    users: HashMap<String, u64>,
    /// How many times an entry was, or began to be, written by another road than a
    /// look that found nothing to change: the user API, and claims being written
    /// (when each starts and when it ends); see [`ClaimsMemo::ticket`].
    forgets: u64,
}

/// Taken before a directory refresh and handed to [`ClaimsMemo::applied`] after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

/// Claims being written: from [`ClaimsMemo::writing`] to [`ClaimsMemo::written`].
#[must_use]
#[derive(Debug)]
pub struct Writing(Option<Ticket>);

impl Seen {
    /// Starts the memo over when it is full, handing back the old one to be freed by
    /// the caller after the lock.
    fn make_room(&mut self) -> Option<HashMap<String, u64>> {
        // Its room is kept, as `clear` kept it: refilled from nothing, the map would
        // grow (and rehash every id) under the lock instead.
        (self.users.len() >= CAPACITY)
            .then(|| std::mem::replace(&mut self.users, HashMap::with_capacity(CAPACITY)))
    }
}

impl ClaimsMemo {
    fn fingerprint(&self, user: &PortalUser) -> u64 {
        self.hasher.hash_one(&user.profile)
    }

    /// Whether these exact claims were already applied for this user.
    pub fn is_current(&self, user: &PortalUser) -> bool {
        let print = self.fingerprint(user);
        self.seen
            .lock()
            .map(|seen| seen.users.get(&user.user_id) == Some(&print))
            .unwrap_or(false)
    }

    /// Taken just before a refresh looks at the entry. An entry the user API or
    /// another refresh writes while the refresh runs may land after the refresh's look
    /// or write and be forgotten before the refresh is recorded; the ticket tells
    /// [`Self::applied`] and [`Self::writing`] that happened.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.seen.lock().map(|seen| seen.forgets).unwrap_or(0))
    }

    /// Records that a look found these claims in the directory, unless an entry was
    /// written by another road since `ticket` was taken (the user API, or claims
    /// being written): the entry may then hold other values, and the next request
    /// checks again (one read more, never a stale entry).
    pub fn applied(&self, user: &PortalUser, ticket: Ticket) {
        let print = self.fingerprint(user);
        // A full memo starts over. Its quarter million ids are freed after the lock
        // is let go: freeing them under it would hold every render's check for the
        // milliseconds that takes.
        let mut full = None;
        if let Ok(mut seen) = self.seen.lock() {
            if seen.forgets != ticket.0 {
                return;
            }
            full = seen.make_room();
            seen.users.insert(user.user_id.clone(), print);
        }
        drop(full);
    }

    /// Claims about to be written for `user_id`, whose look took `ticket`. Two
    /// requests of one person may carry different claims (a token reissued after a
    /// rename, an older one still used in another tab), and their writes may commit in
    /// either order, each caller resuming in either order after: what a caller wrote
    /// is not always what the entry holds. So a write forgets the user when it starts,
    /// and is remembered when it ends only if nothing else wrote, or began to write,
    /// any entry since its look; and both ends make every look begun before them
    /// unfit to be remembered, as the user API's changes do. The price is one more
    /// look, now and then, for people whose looks overlapped someone's write.
    pub fn writing(&self, user_id: &str, ticket: Ticket) -> Writing {
        let Ok(mut seen) = self.seen.lock() else {
            return Writing(None);
        };
        let unchanged = seen.forgets == ticket.0;
        seen.users.remove(user_id);
        seen.forgets = seen.forgets.wrapping_add(1);
        Writing(unchanged.then_some(Ticket(seen.forgets)))
    }

    /// Claims written (or failed to be: `ok` false) since [`Self::writing`]; see there.
    pub fn written(&self, user: &PortalUser, writing: Writing, ok: bool) {
        let print = self.fingerprint(user);
        let mut full = None;
        if let Ok(mut seen) = self.seen.lock() {
            let last = ok && writing.0 == Some(Ticket(seen.forgets));
            seen.forgets = seen.forgets.wrapping_add(1);
            if !last {
                seen.users.remove(&user.user_id);
                return;
            }
            full = seen.make_room();
            seen.users.insert(user.user_id.clone(), print);
        }
        drop(full);
    }

    /// Forgets a user whose entry changed by another road (the user API), so the next
    /// request checks the directory again.
    pub fn forget(&self, user_id: &str) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.users.remove(user_id);
            seen.forgets = seen.forgets.wrapping_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::Profile;

    fn user(given: &str) -> PortalUser {
        user_named("u", given)
    }

    fn user_named(id: &str, given: &str) -> PortalUser {
        PortalUser {
            consumer: "p".into(),
            user_id: id.into(),
            roles: vec![],
            profile: Profile {
                given_name: Some(given.into()),
                ..Profile::default()
            },
        }
    }

    #[test]
    fn remembers_claims_until_they_change_or_are_forgotten() {
        let memo = ClaimsMemo::default();
        assert!(!memo.is_current(&user("Ann")));
        memo.applied(&user("Ann"), memo.ticket());
        assert!(memo.is_current(&user("Ann")));
        assert!(
            !memo.is_current(&user("Anna")),
            "changed claims are applied again"
        );
        memo.forget("u");
        assert!(!memo.is_current(&user("Ann")));
    }

    #[test]
    fn a_refresh_overtaken_by_the_user_api_is_not_remembered() {
        let memo = ClaimsMemo::default();
        // A render's refresh starts; the user API deletes the entry meanwhile.
        let ticket = memo.ticket();
        memo.forget("u");
        memo.applied(&user("Ann"), ticket);
        assert!(
            !memo.is_current(&user("Ann")),
            "the next request must check the directory again"
        );
        memo.applied(&user("Ann"), memo.ticket());
        assert!(memo.is_current(&user("Ann")));
    }

    #[test]
    fn a_lone_write_is_remembered_and_a_failed_one_forgotten() {
        let memo = ClaimsMemo::default();
        memo.applied(&user("Ann"), memo.ticket());
        let writing = memo.writing("u", memo.ticket());
        assert!(!memo.is_current(&user("Ann")), "forgotten while it writes");
        memo.written(&user("Anna"), writing, true);
        assert!(memo.is_current(&user("Anna")));
        let writing = memo.writing("u", memo.ticket());
        memo.written(&user("Ann"), writing, false);
        assert!(!memo.is_current(&user("Ann")) && !memo.is_current(&user("Anna")));
    }

    /// Two requests of one person with different claims (a token reissued after a
    /// rename, and the old one in another tab): both looks find a change, the old
    /// claims' write commits last, and the new claims' caller resumes last. The
    /// entry holds the old claims, so the memo must not say the new ones are there.
    #[test]
    fn writes_of_one_person_that_overlap_are_not_remembered() {
        let memo = ClaimsMemo::default();
        let (renamed, old) = (memo.ticket(), memo.ticket());
        let renamed = memo.writing("u", renamed);
        let old = memo.writing("u", old);
        // The writer commits the rename, then the old claims over it.
        memo.written(&user("Ann"), old, true);
        memo.written(&user("Anna"), renamed, true);
        assert!(
            !memo.is_current(&user("Anna")),
            "the entry holds Ann: the next request with Anna must look again"
        );
        assert!(!memo.is_current(&user("Ann")));
    }

    /// A look begun before a write began, and recorded while it runs, may have read
    /// the entry before the write's commit.
    #[test]
    fn a_look_begun_before_a_write_is_not_remembered_while_it_runs() {
        let memo = ClaimsMemo::default();
        let look = memo.ticket();
        let writing = memo.writing("u", memo.ticket());
        memo.applied(&user("Ann"), look);
        assert!(!memo.is_current(&user("Ann")));
        memo.written(&user("Anna"), writing, true);
        assert!(memo.is_current(&user("Anna")));
    }

    /// A write whose look was overtaken by another person's write is not remembered
    /// at its end: what it looked at may not be what it merged into.
    #[test]
    fn a_write_whose_look_was_overtaken_is_not_remembered() {
        let memo = ClaimsMemo::default();
        let look = memo.ticket();
        let other = memo.writing("v", memo.ticket());
        memo.written(&user_named("v", "Val"), other, true);
        let writing = memo.writing("u", look);
        memo.written(&user("Ann"), writing, true);
        assert!(!memo.is_current(&user("Ann")));
        assert!(memo.is_current(&user_named("v", "Val")));
    }

    /// One write ends, a look records what it wrote, and then an older write of the
    /// same person commits last: the look is forgotten when that write ends.
    #[test]
    fn a_write_that_ends_after_another_forgets_what_was_looked_at_between() {
        let memo = ClaimsMemo::default();
        let first = memo.writing("u", memo.ticket());
        let second = memo.writing("u", memo.ticket());
        memo.written(&user("Bea"), second, true);
        memo.applied(&user("Bea"), memo.ticket());
        assert!(
            memo.is_current(&user("Bea")),
            "the look after the second write"
        );
        memo.written(&user("Ann"), first, true);
        assert!(
            !memo.is_current(&user("Bea")) && !memo.is_current(&user("Ann")),
            "the first write committed last: the entry holds Ann, unconfirmed"
        );
    }

    /// A look that read the entry before a write committed, and is recorded after the
    /// write was, would remember what the write replaced.
    #[test]
    fn a_look_overtaken_by_a_write_is_not_remembered() {
        let memo = ClaimsMemo::default();
        let writing = memo.writing("u", memo.ticket());
        // A request with the old claims looks before the write commits: no change.
        let look = memo.ticket();
        memo.written(&user("Anna"), writing, true);
        memo.applied(&user("Ann"), look);
        assert!(
            memo.is_current(&user("Anna")),
            "the write is what the entry holds"
        );
        assert!(!memo.is_current(&user("Ann")));
    }
}
