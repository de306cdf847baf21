//! The profile claims last applied to each user's directory entry. A portal sends the
//! same claims on every request; remembering them lets a render skip the directory
//! check (a read snapshot of its own) so that a steady-state render takes exactly one
//! snapshot, the widget's.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use crate::portal::PortalUser;

/// Users remembered at most; past that the memory starts over (the cost of forgetting
/// is one extra read per user, not a wrong answer).
const CAPACITY: usize = 65_536;

#[derive(Default)]
pub struct ClaimsMemo {
    seen: Mutex<HashMap<String, u64>>,
    hasher: RandomState,
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
            .map(|seen| seen.get(&user.user_id) == Some(&print))
            .unwrap_or(false)
    }

    /// Records that the directory now holds these claims.
    pub fn applied(&self, user: &PortalUser) {
        let print = self.fingerprint(user);
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() >= CAPACITY {
                seen.clear();
            }
            seen.insert(user.user_id.clone(), print);
        }
    }

    /// Forgets a user whose entry changed by another road (the user API), so the next
    /// request checks the directory again.
    pub fn forget(&self, user_id: &str) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.remove(user_id);
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
        memo.applied(&user("Ann"));
        assert!(memo.is_current(&user("Ann")));
        assert!(
            !memo.is_current(&user("Anna")),
            "changed claims are applied again"
        );
        memo.forget("u");
        assert!(!memo.is_current(&user("Ann")));
    }
}
