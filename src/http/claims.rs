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
    /// How many times the user API has changed an entry; see [`ClaimsMemo::ticket`].
    forgets: u64,
}

/// Taken before a directory refresh and handed to [`ClaimsMemo::applied`] after it.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

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

    /// Taken just before a refresh starts writing. An entry the user API changes while
    /// the refresh runs may land after the refresh's write and be forgotten before the
    /// refresh is recorded; the ticket tells [`Self::applied`] that happened.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.seen.lock().map(|seen| seen.forgets).unwrap_or(0))
    }

    /// Records that the directory now holds these claims, unless the user API changed
    /// an entry since `ticket` was taken: the entry may then hold the API's values,
    /// and the next request checks again (one read more, never a stale entry).
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
            if seen.users.len() >= CAPACITY {
                // Its room is kept, as `clear` kept it: refilled from nothing, the
                // map would grow (and rehash every id) under the lock instead.
                full = Some(std::mem::replace(
                    &mut seen.users,
                    HashMap::with_capacity(CAPACITY),
                ));
            }
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
        PortalUser {
            consumer: "p".into(),
            user_id: "u".into(),
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
}
