//! Bulk writes for imports, generators and migrations (`import-users`, `seed`): many
//! people or edges in one transaction, with the same bookkeeping as
//! [`Tables::upsert_person`] and [`Graph::link`] but done in sorted order.
//!
//! Linking one edge at a time costs several random B-tree probes per edge (the edge,
//! its reverse row, two count rows, two list rows). Here every row of a batch is
//! collected first, sorted by key and inserted in order, and each person's counts are
//! read and written once per batch, which is what makes a 100,000-person seed fast.
//!
//! This module is a child of `tables` so that it can reach the open tables directly.

use std::collections::{HashMap, HashSet};

use redb::ReadableTable;

use super::{Decode, META_NEXT_USER, Tables, count, list, record};
use crate::store::graph::{Edge, Graph};
use crate::store::normalize::{is_portal_user_id, prefix_slices};
use crate::store::{Person, StoreError, UserId};

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
        let mut candidates: Vec<(Edge, UserId, UserId)> = Vec::with_capacity(edges.len());
        for &(edge, a, b) in edges {
            if a == b {
                continue;
            }
            let (a, b) = match edge {
                Edge::Connection => (a.min(b), a.max(b)),
                _ => (a, b),
            };
            if self.is_known(&mut known, a)? && self.is_known(&mut known, b)? {
                candidates.push((edge, a, b));
            }
        }
        // Probing in key order keeps the B-tree pages of one probe hot for the next.
        candidates.sort_unstable();
        candidates.dedup();
        let mut fresh: Vec<(Edge, UserId, UserId)> = Vec::with_capacity(candidates.len());
        for (edge, a, b) in candidates {
            if !self.has(edge, a, b)? {
                fresh.push((edge, a, b));
            }
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

        // Rank everyone named in a list by (sort key, id): sorting rows by (owner, list,
        // rank) gives key order without comparing the long shared sort keys.
        let mut others: Vec<UserId> = lists.iter().map(|&(_, _, other)| other).collect();
        others.sort_unstable();
        others.dedup();
        let mut ranked: Vec<(String, UserId)> = Vec::with_capacity(others.len());
        for other in others {
            ranked.push((self.sort_key(other)?, other));
        }
        ranked.sort_unstable();
        let rank: HashMap<UserId, usize> = ranked
            .iter()
            .enumerate()
            .map(|(r, &(_, other))| (other, r))
            .collect();
        let mut rows: Vec<(u64, u8, usize)> = lists
            .iter()
            .filter_map(|&(owner, kind, other)| Some((owner, kind, *rank.get(&other)?)))
            .collect();
        rows.sort_unstable();
        for (owner, kind, r) in rows {
            let (key, other) = &ranked[r];
            self.userid_list_sortkey_otherid
                .insert((owner, kind, key.as_str(), *other), ())?;
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

/// People per sorted run when the search index is rebuilt: bounds the rows held in
/// memory at once (about 40 per person).
const REBUILD_CHUNK: usize = 20_000;

impl Tables<'_> {
    /// Creates or refreshes every person of `people` in this transaction, with the same
    /// effect as [`Tables::upsert_person`] on each in turn.
    ///
    /// People not stored yet (the whole of a first import or a seed) go in as sorted
    /// runs: their rows are built first, sorted per table and inserted in key order,
    /// so each B-tree page is visited once per run instead of once per row. People
    /// already stored, and repeats within `people`, then go through `upsert_person`
    /// in their original order. Nothing is written when an id is malformed. Returns
    /// how many of `people` were new: the rest updated someone stored already or
    /// listed earlier in `people`.
    pub fn upsert_people(&mut self, people: &[Person]) -> Result<usize, StoreError> {
        if let Some(bad) = people.iter().find(|p| !is_portal_user_id(&p.id)) {
            return Err(StoreError::InvalidPerson(format!(
                "malformed user id {:?}",
                bad.id
            )));
        }
        let mut seen: HashSet<&str> = HashSet::with_capacity(people.len());
        let mut fresh: Vec<&Person> = Vec::new();
        let mut known: Vec<&Person> = Vec::new();
        for p in people {
            let stored = self.portalid_userid.get(p.id.as_str())?.is_some();
            if seen.insert(p.id.as_str()) && !stored {
                fresh.push(p);
            } else {
                known.push(p);
            }
        }
        self.insert_fresh(&fresh)?;
        for p in known {
            self.upsert_person(p)?;
        }
        Ok(fresh.len())
    }

    /// Inserts people known to be absent, each table's rows in key order.
    fn insert_fresh(&mut self, fresh: &[&Person]) -> Result<(), StoreError> {
        if fresh.is_empty() {
            return Ok(());
        }
        let first = self.take_ids(META_NEXT_USER, fresh.len() as u64)?;
        let built: Vec<Indexed> = fresh
            .iter()
            .enumerate()
            .map(|(n, p)| (first + n as u64, p.sort_key(), p.search_tokens()))
            .collect();
        // Ids are handed out in order, so these tables are appended to as they are.
        for (p, (user, key, _)) in fresh.iter().zip(&built) {
            record::put(&mut self.userid_person, *user, p)?;
            self.userid_counts.insert(*user, [0; 5])?;
            self.userid_sortkey.insert(*user, key.as_str())?;
        }
        let mut portal: Vec<(&str, u64)> = fresh
            .iter()
            .zip(&built)
            .map(|(p, (user, _, _))| (p.id.as_str(), *user))
            .collect();
        portal.sort_unstable();
        for (id, user) in portal {
            self.portalid_userid.insert(id, user)?;
        }
        let order = sorted_order(&built);
        for &n in &order {
            let (user, key, _) = &built[n];
            self.sortkey_userid.insert((key.as_str(), *user), ())?;
        }
        self.insert_search_rows(&built, &order)
    }

    /// Inserts the `prefix_sortkey_userid` rows of `people` in key order. `order` is
    /// [`sorted_order`] of `people`: sorting rows by (prefix, rank in that order)
    /// gives key order while comparing short prefixes and integers only, not the
    /// long shared sort keys.
    fn insert_search_rows(
        &mut self,
        people: &[Indexed],
        order: &[usize],
    ) -> Result<(), StoreError> {
        let mut rank = vec![0usize; people.len()];
        for (r, &n) in order.iter().enumerate() {
            rank[n] = r;
        }
        let mut rows: Vec<(&str, usize)> = Vec::new();
        for ((_, _, tokens), &r) in people.iter().zip(&rank) {
            let prefixes = prefix_slices(tokens.iter().map(String::as_str));
            rows.extend(prefixes.into_iter().map(|p| (p, r)));
        }
        rows.sort_unstable();
        for (prefix, r) in rows {
            let (user, key, _) = &people[order[r]];
            self.prefix_sortkey_userid
                .insert((prefix, key.as_str(), *user), ())?;
        }
        Ok(())
    }

    /// Refills `prefix_sortkey_userid` from `userid_person` (the table must be empty):
    /// the schema migration that changed which prefixes are indexed.
    pub(super) fn rebuild_search_index(&mut self) -> Result<(), StoreError> {
        let mut after: Option<UserId> = None;
        loop {
            let mut chunk: Vec<Indexed> = Vec::with_capacity(REBUILD_CHUNK);
            let range = match after {
                None => self.userid_person.range::<u64>(..)?,
                // The largest id (a foreign file's) has nothing after it.
                Some(u64::MAX) => return Ok(()),
                Some(a) => self.userid_person.range((a + 1)..)?,
            };
            let mut last = None;
            for row in range.take(REBUILD_CHUNK) {
                let (user, stored) = row?;
                last = Some(user.value());
                // One record that does not decode (a damaged page's, which `check-db`
                // names) is left out of the index, found by nobody's search, rather
                // than refuse the whole file at the upgrade: the host on the older
                // schema served it. As before the upgrade, the plain lists they are
                // on still read; their card and a keyword search of a list that
                // holds them fail at their record.
                match record::person(stored.value(), Decode::Row) {
                    Ok(p) => chunk.push((user.value(), p.sort_key(), p.search_tokens())),
                    Err(error) => tracing::warn!(
                        user = user.value(),
                        %error,
                        "a person's record does not decode: left out of the search index (check-db names it)"
                    ),
                }
            }
            let Some(last) = last else {
                return Ok(());
            };
            after = Some(last);
            let order = sorted_order(&chunk);
            self.insert_search_rows(&chunk, &order)?;
        }
    }
}

/// A person as the indexes see them: internal id, sort key, search tokens.
type Indexed = (UserId, String, Vec<String>);

/// Positions of `people` in list order: by sort key, then id.
fn sorted_order(people: &[Indexed]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..people.len()).collect();
    order.sort_unstable_by(|&x, &y| {
        let (a, b) = (&people[x], &people[y]);
        (a.1.as_str(), a.0).cmp(&(b.1.as_str(), b.0))
    });
    order
}

#[cfg(test)]
mod tests {
    use redb::{Database, ReadableDatabase};

    use super::*;
    use crate::store::{Filter, Reader, check_invariants};

    fn person(id: &str, given: &str, family: &str) -> Person {
        Person {
            id: id.into(),
            given_name: given.into(),
            family_name: family.into(),
            email_address: format!("{id}@acme.test"),
            ..Person::default()
        }
    }

    /// Runs `write` on a fresh in-memory store and returns it with its snapshot.
    fn with_store(write: impl FnOnce(&mut Tables<'_>)) -> (Database, Reader) {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("in-memory database");
        super::super::prepare(&db).expect("prepare");
        let txn = db.begin_write().expect("write");
        {
            let mut tables = Tables::open(&txn).expect("tables");
            write(&mut tables);
        }
        txn.commit().expect("commit");
        let reader = Reader::new(db.begin_read().expect("read"));
        (db, reader)
    }

    fn listing(r: &Reader) -> Vec<(String, String)> {
        let page = r.list("x", Filter::All, None, 100).expect("list");
        page.items
            .into_iter()
            .map(|i| match i {
                crate::store::Listed::Person(p) => (p.id, p.family_name),
                crate::store::Listed::Entry(e) => (e.entry_id.to_string(), e.full_name),
            })
            .collect()
    }

    #[test]
    fn bulk_upsert_matches_one_by_one() {
        // Screen names and addresses that folding splits have index rows for each
        // word: written alike both ways, and replaced alike by a later record.
        let split = |mut p: Person, screen: &str, email: &str| {
            p.alternate_name = screen.into();
            p.email_address = email.into();
            p
        };
        let earlier = split(person("b", "Ana", "Old"), "@ana old", "ana+old@acme.test");
        let batch = vec![
            person("c", "Zoë", "Núñez"),
            split(
                person("a", "José", "Álvarez"),
                "Pepe Alv",
                "jose+news@acme.test",
            ),
            split(person("b", "Ana", "Brown"), "@ana", "ana+new@acme.test"),
            person("c", "Zoë", "Ng"),
            person("d", "Wei", "Chen"),
        ];
        let (_db, bulk) = with_store(|t| {
            t.upsert_person(&earlier).expect("earlier");
            // a, c and d are new; b was stored, and c comes twice.
            assert_eq!(t.upsert_people(&batch).expect("bulk"), 3);
        });
        let (_db2, single) = with_store(|t| {
            t.upsert_person(&earlier).expect("earlier");
            for p in &batch {
                t.upsert_person(p).expect("one");
            }
        });
        assert_eq!(check_invariants(&bulk).expect("check"), Vec::new());
        assert_eq!(listing(&bulk), listing(&single));
        for id in ["a", "b", "c", "d"] {
            assert_eq!(
                bulk.user_id(id).expect("id"),
                single.user_id(id).expect("id")
            );
        }
        assert_eq!(
            bulk.person("c").expect("c").map(|p| p.family_name),
            Some("Ng".to_owned())
        );
        for (query, found) in [
            ("news", vec!["a"]),
            ("new", vec!["a", "b"]),
            ("old", vec![]),
        ] {
            for r in [&bulk, &single] {
                let page = r.search("x", query, Filter::All, None, 10).expect("search");
                let ids: Vec<String> = page
                    .items
                    .into_iter()
                    .map(|i| match i {
                        crate::store::Listed::Person(p) => p.id,
                        crate::store::Listed::Entry(e) => e.entry_id.to_string(),
                    })
                    .collect();
                assert_eq!(ids, found, "{query}");
            }
        }
    }

    #[test]
    fn bulk_upsert_writes_nothing_on_a_malformed_id() {
        let (_db, r) = with_store(|t| {
            let batch = [person("ok", "A", "B"), person("not ok", "C", "D")];
            assert!(matches!(
                t.upsert_people(&batch),
                Err(StoreError::InvalidPerson(_))
            ));
        });
        assert_eq!(r.user_id("ok").expect("id"), None);
    }
}
