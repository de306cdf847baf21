//! Each person's part of something the host holds for everyone (the budget of large
//! answers, the slots of writes waiting for the writer): one person may hold so much
//! of it at most, so that one person's clients, however many, keep nobody else out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What each person holds now, and how much they may. A clone counts with the same
/// holdings.
#[derive(Clone)]
pub struct Shares {
    /// Held per person (their portal user id), only while they hold some.
    held: Arc<Mutex<HashMap<String, usize>>>,
    per_person: usize,
}

impl Shares {
    pub fn new(per_person: usize) -> Self {
        Self {
            held: Arc::default(),
            per_person,
        }
    }

    /// Takes `size` of `who`'s part, if what they already hold leaves room.
    pub fn take(&self, who: &str, size: usize) -> Option<Share> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let mine = held.entry(who.to_owned()).or_default();
        if mine.saturating_add(size) > self.per_person {
            if *mine == 0 {
                held.remove(who);
            }
            return None;
        }
        *mine += size;
        Some(Share {
            held: Arc::clone(&self.held),
            who: who.to_owned(),
            size,
        })
    }

    /// What `who` holds now.
    pub fn held_by(&self, who: &str) -> usize {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.get(who).copied().unwrap_or(0)
    }

    /// How many people hold some now.
    pub fn holders(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// A part of one person's share, given back when dropped.
pub struct Share {
    held: Arc<Mutex<HashMap<String, usize>>>,
    who: String,
    size: usize,
}

impl Drop for Share {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mine) = held.get_mut(&self.who) {
            *mine = mine.saturating_sub(self.size);
            if *mine == 0 {
                held.remove(&self.who);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_holds_their_part_at_most_and_gets_it_back() {
        let shares = Shares::new(3);
        let two = shares.take("ann", 2).expect("two of three");
        assert!(shares.take("ann", 2).is_none(), "four of three");
        assert_eq!(shares.held_by("ann"), 2, "the refused one holds nothing");
        let bob = shares.take("bob", 3).expect("someone else's part");
        let one = shares.take("ann", 1).expect("the last one");
        drop(two);
        assert_eq!(shares.held_by("ann"), 1);
        drop((one, bob));
        assert_eq!(shares.holders(), 0, "no one's part is kept");
        assert!(shares.take("ann", 4).is_none());
        assert_eq!(shares.holders(), 0, "nor a refused one's");
    }
}
