//! Bulk edge writes for generators and migrations (`seed`): many edges in one
//! transaction, with the same bookkeeping as [`Graph::link`] but done in sorted order.
//!
//! Linking one edge at a time costs several random B-tree probes per edge (the edge,
//! its reverse row, two count rows, two list rows). Here every row of a batch is
//! collected first, sorted by key and inserted in order, and each person's counts are
//! read and written once per batch, which is what makes a 100,000-person seed fast.
//!
//! This module is a child of `tables` so that it can reach the open tables directly.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use redb::ReadableTable;

use super::{Tables, count, list};
use crate::store::graph::{Edge, Graph};
use crate::store::{StoreError, UserId};

impl Tables<'_> {
    /// Adds every edge of `edges` in this transaction, keeping reverse rows, counts and
    /// list indexes exact. Self-edges, edges naming someone not in the directory and
    /// edges already present are skipped; a connection may be given either way round.
    ///
    /// The social rules (nothing across a block, no connection with a request pending)
    /// are the caller's to respect: this is storage, and `check_invariants` verifies.
    /// Returns how many edges were added.
    pub fn link_many(&mut self, edges: &[(Edge, UserId, UserId)]) -> Result<usize, StoreError> {
        let mut known: HashMap<UserId, bool> = HashMap::new();
        let mut fresh: BTreeSet<(Edge, UserId, UserId)> = BTreeSet::new();
        for &(edge, a, b) in edges {
            if a == b {
                continue;
            }
            let (a, b) = match edge {
                Edge::Connection => (a.min(b), a.max(b)),
                _ => (a, b),
            };
            if !self.is_known(&mut known, a)? || !self.is_known(&mut known, b)? {
                continue;
            }
            if fresh.contains(&(edge, a, b)) || self.has(edge, a, b)? {
                continue;
            }
            fresh.insert((edge, a, b));
        }

        let mut connected: Vec<(u64, u64)> = Vec::new();
        let mut following: Vec<(u64, u64)> = Vec::new();
        let mut followers: Vec<(u64, u64)> = Vec::new();
        let mut blocked: Vec<(u64, u64)> = Vec::new();
        let mut blockers: Vec<(u64, u64)> = Vec::new();
        // (owner, list kind, other): the sort key of `other` is filled in below.
        let mut lists: Vec<(u64, u8, u64)> = Vec::new();
        let mut deltas: HashMap<UserId, [u64; 5]> = HashMap::new();
        let mut bump = |user: UserId, which: usize| deltas.entry(user).or_default()[which] += 1;
        for &(edge, a, b) in &fresh {
            match edge {
                Edge::Connection => {
                    connected.push((a, b));
                    connected.push((b, a));
                    lists.push((a, list::CONNECTIONS, b));
                    lists.push((b, list::CONNECTIONS, a));
                    bump(a, count::CONNECTIONS);
                    bump(b, count::CONNECTIONS);
                }
                Edge::Follow => {
                    following.push((a, b));
                    followers.push((b, a));
                    lists.push((a, list::FOLLOWING, b));
                    lists.push((b, list::FOLLOWERS, a));
                    bump(a, count::FOLLOWING);
                    bump(b, count::FOLLOWERS);
                }
                Edge::Block => {
                    blocked.push((a, b));
                    blockers.push((b, a));
                    lists.push((a, list::BLOCKED, b));
                }
            }
        }

        for (rows, table) in [
            (&mut connected, &mut self.userid_connectedid),
            (&mut following, &mut self.userid_followingid),
            (&mut followers, &mut self.userid_followerid),
            (&mut blocked, &mut self.userid_blockedid),
            (&mut blockers, &mut self.userid_blockerid),
        ] {
            rows.sort_unstable();
            for &key in rows.iter() {
                table.insert(key, ())?;
            }
        }

        let mut sort_keys: HashMap<UserId, String> = HashMap::new();
        for &(_, _, other) in &lists {
            if let Entry::Vacant(slot) = sort_keys.entry(other) {
                slot.insert(self.sort_key(other)?);
            }
        }
        let mut rows: Vec<(u64, u8, &str, u64)> = lists
            .iter()
            .map(|&(owner, kind, other)| {
                let key = sort_keys.get(&other).map_or("", String::as_str);
                (owner, kind, key, other)
            })
            .collect();
        rows.sort_unstable();
        for row in rows {
            self.userid_list_sortkey_otherid.insert(row, ())?;
        }

        let mut users: Vec<(UserId, [u64; 5])> = deltas.into_iter().collect();
        users.sort_unstable_by_key(|&(user, _)| user);
        for (user, delta) in users {
            let mut counts = self
                .userid_counts
                .get(user)?
                .map(|v| v.value())
                .unwrap_or([0; 5]);
            for (c, d) in counts.iter_mut().zip(delta) {
                *c = c.saturating_add(d);
            }
            self.userid_counts.insert(user, counts)?;
        }
        Ok(fresh.len())
    }

    /// Whether `user` is in the directory (every person has a counts row), cached.
    fn is_known(
        &self,
        cache: &mut HashMap<UserId, bool>,
        user: UserId,
    ) -> Result<bool, StoreError> {
        if let Some(&k) = cache.get(&user) {
            return Ok(k);
        }
        let k = self.userid_person.get(user)?.is_some();
        cache.insert(user, k);
        Ok(k)
    }
}
