//! A renamed person's rows in everyone's sorted lists.
//!
//! Every list is sorted by name (`userid_list_sortkey_otherid` is keyed by the listed
//! person's sort key), so a new name moves one row per list that shows the person: a
//! row in each follower's Following list, in each connection's Connections list, and
//! so on. For most people that is a few hundred rows and moves in the rename's own
//! write. For a hub it is a hundred thousand: in one write that held every other
//! writer for seconds (1.7 s for 110,000 rows in a two-million-row index; `cargo bench
//! --bench store_rename`), and the rename comes from a render, whose user waited too.
//!
//! So the rename's write moves the first [`RESORT_INLINE`] rows and records the rest
//! in `userid_resort`: which older sort keys the person's rows may still sit under,
//! and how far the move got. The writer moves the rest in steps of [`RESORT_STEP`]
//! rows, each its own commit between the batches of actions. Until the last step,
//! each remaining row sits under one of the recorded keys, and a list shows the
//! person (with the new name: a row reads the person's record) in the old place.
//! Every step is a durable commit that leaves the tables consistent, so a crash
//! between steps loses nothing: the writer takes the record up again when it starts.
//!
//! This module is a child of `tables` so that it can reach the open tables directly.

use redb::{ReadableTable, ReadableTableMetadata, Table, TableDefinition};
use serde::{Deserialize, Serialize};

use super::{Tables, decode, encode, list};
use crate::store::{StoreError, UserId};

/// Persons whose list rows are still moving to their current sort key, and how far.
pub(crate) const USERID_RESORT: TableDefinition<u64, &[u8]> = TableDefinition::new("userid_resort");

/// Rows a rename moves in its own write; the rest move in steps. Most people are in
/// fewer lists than this, and their rename moves everything at once.
pub(crate) const RESORT_INLINE: usize = 500;

/// Rows one step moves: about 9 ms of the writer, commit included, on a two-million-row
/// index (`cargo bench --bench store_rename`), so actions queued behind a step wait
/// about as long as behind another batch.
pub const RESORT_STEP: usize = 250;

/// Older sort keys a person's rows may sit under at once. A person given more
/// different names than this before their rows caught up has the rest moved in the
/// rename's write, as before, so that a row removal never tries more keys than this.
///
/// A name that flips between two (two portals that disagree on it, each render setting
/// its own) never gets there: each flip restarts the move, and for a hub it may never
/// end. The lists stay consistent meanwhile, and the writer moves a step of rows after
/// each batch: that costs the writer a step per batch, where each flip used to hold it
/// for the whole move.
const MOST_OLD_KEYS: usize = 8;

/// What is left of one person's move, as `userid_resort` keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Resort {
    /// Sort keys the person's rows may still sit under; never the current one.
    pub from: Vec<String>,
    /// Which of the person's relations ([`STAGES`]) the move is at.
    pub stage: u8,
    /// The other person of the last relation moved in this stage.
    pub after: UserId,
}

/// Where a person's rows are, stage by stage: the relation that puts them in someone's
/// list, and which list of that someone.
const STAGES: [(Relation, u8); 6] = [
    (Relation::Connected, list::CONNECTIONS),
    (Relation::Following, list::FOLLOWERS),
    (Relation::Follower, list::FOLLOWING),
    (Relation::Blocker, list::BLOCKED),
    (Relation::Requested, list::RECEIVED),
    (Relation::RequestedBy, list::SENT),
];

#[derive(Debug, Clone, Copy)]
enum Relation {
    /// `userid_connectedid`: the person's connections.
    Connected,
    /// `userid_followingid`: whom the person follows (the person is in their Followers).
    Following,
    /// `userid_followerid`: who follows the person.
    Follower,
    /// `userid_blockerid`: who blocked the person.
    Blocker,
    /// `requesterid_receiverid`: whom the person asked to connect.
    Requested,
    /// `receiverid_requesterid`: who asked the person to connect.
    RequestedBy,
}

/// A `userid_resort` row, for the consistency check.
pub(crate) fn resort_record(bytes: &[u8]) -> Result<Resort, StoreError> {
    decode("userid_resort", bytes)
}

impl Resort {
    /// Whether the move is at one of the stages, as a readable record must be.
    pub(crate) fn in_stages(&self) -> bool {
        usize::from(self.stage) < STAGES.len()
    }

    /// Whether the move has passed the row in `owner`'s list `kind`: such a row sits
    /// under the current key, never under an older one.
    pub(crate) fn has_passed(&self, kind: u8, owner: UserId) -> bool {
        let at = STAGES.iter().position(|&(_, k)| k == kind);
        at.is_some_and(|at| {
            let stage = usize::from(self.stage);
            at < stage || (at == stage && owner <= self.after)
        })
    }
}

/// Up to `limit` of the others `a` has in a pair table, after `after`.
fn others_after<V: redb::Value + 'static>(
    table: &Table<'_, (u64, u64), V>,
    a: u64,
    after: u64,
    limit: usize,
) -> Result<Vec<u64>, StoreError> {
    let mut out = Vec::new();
    if after == u64::MAX {
        return Ok(out);
    }
    for row in table.range((a, after + 1)..=(a, u64::MAX))?.take(limit) {
        out.push(row?.0.value().1);
    }
    Ok(out)
}

impl Tables<'_> {
    /// Moves `user`'s rows from sort key `old` to `new` (the directory's rows are the
    /// caller's): up to [`RESORT_INLINE`] now, the rest recorded for the writer's steps.
    pub(super) fn resort(&mut self, user: UserId, old: &str, new: &str) -> Result<(), StoreError> {
        let mut resort = self.resort_of(user)?.unwrap_or(Resort {
            from: Vec::new(),
            stage: 0,
            after: 0,
        });
        // Rows moved to a name given since are under an old key now too, so the
        // move starts over; rows already under `new` stay where they are.
        resort.from.retain(|k| k != new);
        if !resort.from.iter().any(|k| k == old) {
            resort.from.push(old.to_owned());
        }
        resort.stage = 0;
        resort.after = 0;
        let budget = if resort.from.len() > MOST_OLD_KEYS {
            usize::MAX
        } else {
            self.resort_inline
        };
        if self.move_rows(user, &mut resort, new, budget)? {
            self.userid_resort.remove(user)?;
        } else {
            self.userid_resort
                .insert(user, encode(&resort)?.as_slice())?;
            self.resorts_started = true;
        }
        Ok(())
    }

    /// One step of the first recorded move: up to `budget` rows. Returns whether any
    /// move is left to do.
    #[cfg(test)]
    pub(crate) fn resort_step(&mut self, budget: usize) -> Result<bool, StoreError> {
        self.resort_step_after(budget, 0).map(|(more, _)| more)
    }

    /// One step of the move recorded for the first person after `after` (or the very
    /// first, past the last): up to `budget` rows. Returns whether any move is left to
    /// do, and whose rows this step moved. The writer passes the last one moved, so
    /// that moves take turns: a hub whose name keeps flipping restarts its own move,
    /// and must not hold back everyone else's.
    pub(crate) fn resort_step_after(
        &mut self,
        budget: usize,
        after: UserId,
    ) -> Result<(bool, UserId), StoreError> {
        let owned = |(k, v): (redb::AccessGuard<'_, u64>, redb::AccessGuard<'_, &[u8]>)| {
            (k.value(), v.value().to_vec())
        };
        let later = match after.checked_add(1) {
            Some(from) => self
                .userid_resort
                .range(from..)?
                .next()
                .transpose()?
                .map(owned),
            None => None,
        };
        let next = match later {
            Some(row) => Some(row),
            None => self.userid_resort.first()?.map(owned),
        };
        let Some((user, stored)) = next else {
            return Ok((false, after));
        };
        let mut resort: Resort = decode("userid_resort", &stored)?;
        let current = self.sort_key(user)?;
        // For the writer's test of a step whose own code panics.
        #[cfg(test)]
        assert!(!current.contains("panicinstep"), "a step's own code failed");
        if self.move_rows(user, &mut resort, &current, budget)? {
            self.userid_resort.remove(user)?;
        } else {
            self.userid_resort
                .insert(user, encode(&resort)?.as_slice())?;
        }
        Ok((!self.userid_resort.is_empty()?, user))
    }

    /// The move of `user`'s rows still to do, if any.
    pub(super) fn resort_of(&self, user: UserId) -> Result<Option<Resort>, StoreError> {
        match self.userid_resort.get(user)? {
            Some(v) => decode("userid_resort", v.value()).map(Some),
            None => Ok(None),
        }
    }

    /// Removes the row of `other` in `owner`'s list `kind` that sits under one of the
    /// older keys of a move not yet done. Returns whether there was one.
    pub(super) fn remove_unmoved_row(
        &mut self,
        owner: UserId,
        kind: u8,
        other: UserId,
    ) -> Result<bool, StoreError> {
        let Some(resort) = self.resort_of(other)? else {
            return Ok(false);
        };
        for key in &resort.from {
            if self
                .userid_list_sortkey_otherid
                .remove((owner, kind, key.as_str(), other))?
                .is_some()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Moves up to `budget` of `user`'s rows under `resort.from` to `to`, from where
    /// `resort` says the move got to, and notes how far it got. Returns whether the
    /// move is done.
    fn move_rows(
        &mut self,
        user: UserId,
        resort: &mut Resort,
        to: &str,
        budget: usize,
    ) -> Result<bool, StoreError> {
        let mut left = budget;
        while let Some(&(relation, kind)) = STAGES.get(usize::from(resort.stage)) {
            // One more than the budget: whether the stage goes on past it.
            let (after, want) = (resort.after, left.saturating_add(1));
            let mut others = match relation {
                Relation::Connected => others_after(&self.userid_connectedid, user, after, want),
                Relation::Following => others_after(&self.userid_followingid, user, after, want),
                Relation::Follower => others_after(&self.userid_followerid, user, after, want),
                Relation::Blocker => others_after(&self.userid_blockerid, user, after, want),
                Relation::Requested => {
                    others_after(&self.requesterid_receiverid, user, after, want)
                }
                Relation::RequestedBy => {
                    others_after(&self.receiverid_requesterid, user, after, want)
                }
            }?;
            let more = others.len() > left;
            others.truncate(left);
            for &owner in &others {
                for key in &resort.from {
                    let moved = self
                        .userid_list_sortkey_otherid
                        .remove((owner, kind, key.as_str(), user))?
                        .is_some();
                    if moved {
                        self.userid_list_sortkey_otherid
                            .insert((owner, kind, to, user), ())?;
                        break;
                    }
                }
            }
            left -= others.len();
            if more {
                if let Some(&last) = others.last() {
                    resort.after = last;
                }
                return Ok(false);
            }
            resort.stage += 1;
            resort.after = 0;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use redb::{Database, ReadableDatabase};

    use super::super::prepare;
    use super::*;
    use crate::store::graph::{Edge, Graph};
    use crate::store::{Filter, Listed, Person, Reader, check_invariants};

    fn person(id: &str, given: &str, family: &str) -> Person {
        Person {
            id: id.into(),
            given_name: given.into(),
            family_name: family.into(),
            ..Person::default()
        }
    }

    fn memory_db() -> Database {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("in-memory database");
        prepare(&db).expect("prepare");
        db
    }

    /// Runs `f` in one committed write, with renames moving `inline` rows at most.
    fn write<R>(db: &Database, inline: usize, f: impl FnOnce(&mut Tables<'_>) -> R) -> R {
        let txn = db.begin_write().expect("write");
        let out = {
            let mut tables = Tables::open(&txn).expect("tables");
            tables.resort_inline = inline;
            f(&mut tables)
        };
        txn.commit().expect("commit");
        out
    }

    fn reader(db: &Database) -> Reader {
        Reader::new(db.begin_read().expect("read"))
    }

    fn violations(db: &Database) -> Vec<String> {
        check_invariants(&reader(db))
            .expect("check")
            .into_iter()
            .map(|v| v.0)
            .collect()
    }

    /// Family names in `viewer`'s Following list, in list order.
    fn following(db: &Database, viewer: &str) -> Vec<String> {
        let page = reader(db)
            .list(viewer, Filter::Following, None, 100)
            .expect("list");
        page.items
            .into_iter()
            .map(|item| match item {
                Listed::Person(p) => p.family_name,
                Listed::Entry(e) => panic!("an entry in Following: {e:?}"),
            })
            .collect()
    }

    /// `hub` (Aaron Ahn) followed by `n` people, each of whom also follows Mia Mori.
    fn hub_with_followers(db: &Database, n: usize) {
        write(db, RESORT_INLINE, |t| {
            let mut people = vec![person("hub", "Aaron", "Ahn"), person("mia", "Mia", "Mori")];
            people.extend((0..n).map(|i| person(&format!("f{i}"), "Fan", &format!("Fan{i}"))));
            t.upsert_people(&people).expect("people");
            let hub = t.user_id("hub").unwrap().unwrap();
            let mia = t.user_id("mia").unwrap().unwrap();
            let mut edges = Vec::new();
            for i in 0..n {
                let fan = t.user_id(&format!("f{i}")).unwrap().unwrap();
                edges.push((Edge::Follow, fan, hub));
                edges.push((Edge::Follow, fan, mia));
            }
            t.link_many(&edges).expect("edges");
        });
    }

    #[test]
    fn a_hubs_rename_moves_some_rows_now_and_the_rest_in_steps() {
        let db = memory_db();
        hub_with_followers(&db, 10);
        assert_eq!(following(&db, "f9"), ["Ahn", "Mori"]);
        write(&db, 4, |t| {
            t.upsert_person(&person("hub", "Zoe", "Zorn"))
                .expect("rename");
            assert!(t.resorts_started(), "ten rows are more than four");
        });
        // The name is new everywhere at once; some places are still the old ones.
        assert_eq!(reader(&db).resorts_pending().unwrap(), 1);
        assert_eq!(violations(&db), Vec::<String>::new());
        assert_eq!(
            following(&db, "f0"),
            ["Mori", "Zorn"],
            "moved in the rename"
        );
        assert_eq!(following(&db, "f9"), ["Zorn", "Mori"], "not moved yet");
        let mut steps = 0;
        while write(&db, RESORT_INLINE, |t| t.resort_step(3).expect("step")) {
            steps += 1;
            assert_eq!(violations(&db), Vec::<String>::new());
        }
        assert_eq!(
            steps, 1,
            "six rows left, three a step: the second step ends it"
        );
        assert_eq!(reader(&db).resorts_pending().unwrap(), 0);
        for i in 0..10 {
            assert_eq!(following(&db, &format!("f{i}")), ["Mori", "Zorn"]);
        }
    }

    #[test]
    fn a_rename_within_the_inline_budget_leaves_nothing_to_move() {
        let db = memory_db();
        hub_with_followers(&db, 10);
        write(&db, 10, |t| {
            t.upsert_person(&person("hub", "Zoe", "Zorn"))
                .expect("rename");
            assert!(!t.resorts_started());
        });
        assert_eq!(reader(&db).resorts_pending().unwrap(), 0);
        assert_eq!(following(&db, "f9"), ["Mori", "Zorn"]);
        assert_eq!(violations(&db), Vec::<String>::new());
    }

    #[test]
    fn unfollowing_a_hub_whose_row_has_not_moved_removes_that_row() {
        let db = memory_db();
        hub_with_followers(&db, 10);
        write(&db, 2, |t| {
            t.upsert_person(&person("hub", "Zoe", "Zorn"))
                .expect("rename");
        });
        write(&db, 2, |t| {
            let (fan, hub) = (
                t.user_id("f9").unwrap().unwrap(),
                t.user_id("hub").unwrap().unwrap(),
            );
            t.unlink(Edge::Follow, fan, hub).expect("unfollow");
        });
        assert_eq!(following(&db, "f9"), ["Mori"]);
        assert_eq!(violations(&db), Vec::<String>::new());
    }

    #[test]
    fn a_second_rename_before_the_first_settles_moves_every_row_to_the_last_name() {
        let db = memory_db();
        hub_with_followers(&db, 10);
        write(&db, 4, |t| {
            t.upsert_person(&person("hub", "Zoe", "Zorn"))
                .expect("rename")
        });
        write(&db, 4, |t| {
            t.upsert_person(&person("hub", "Ben", "Baker"))
                .expect("again")
        });
        assert_eq!(violations(&db), Vec::<String>::new());
        write(&db, 4, |t| {
            t.upsert_person(&person("hub", "Zoe", "Zorn"))
                .expect("back")
        });
        assert_eq!(violations(&db), Vec::<String>::new());
        while write(&db, RESORT_INLINE, |t| t.resort_step(3).expect("step")) {}
        for i in 0..10 {
            assert_eq!(following(&db, &format!("f{i}")), ["Mori", "Zorn"]);
        }
        assert_eq!(violations(&db), Vec::<String>::new());
    }

    #[test]
    fn deleting_a_person_whose_rows_are_moving_leaves_nothing_behind() {
        let db = memory_db();
        hub_with_followers(&db, 10);
        write(&db, 2, |t| {
            t.upsert_person(&person("hub", "Zoe", "Zorn"))
                .expect("rename")
        });
        assert!(write(&db, 2, |t| t.delete_person("hub").expect("delete")));
        assert_eq!(reader(&db).resorts_pending().unwrap(), 0);
        assert_eq!(following(&db, "f9"), ["Mori"]);
        assert_eq!(violations(&db), Vec::<String>::new());
    }

    #[test]
    fn the_check_finds_a_row_under_a_key_no_move_allows() {
        let db = memory_db();
        hub_with_followers(&db, 3);
        write(&db, 1, |t| {
            t.upsert_person(&person("hub", "Zoe", "Zorn"))
                .expect("rename")
        });
        // Forget the move: the rows still under the old key are now misplaced.
        write(&db, 1, |t| {
            let hub = t.user_id("hub").unwrap().unwrap();
            t.userid_resort.remove(hub).expect("remove");
        });
        let found = violations(&db);
        assert!(
            found
                .iter()
                .any(|v| v.contains("userid_list_sortkey_otherid")),
            "{found:?}"
        );
    }

    /// A hub with 10 followers renamed once with 4 rows moved: a move half done.
    fn half_moved(db: &Database) -> UserId {
        hub_with_followers(db, 10);
        write(db, 4, |t| {
            t.upsert_person(&person("hub", "Zoe", "Zorn"))
                .expect("rename");
            t.user_id("hub").unwrap().unwrap()
        })
    }

    fn put_record(db: &Database, hub: UserId, bytes: &[u8]) {
        write(db, 1, |t| {
            t.userid_resort.insert(hub, bytes).expect("insert");
        });
    }

    #[test]
    fn the_check_holds_a_move_to_its_record() {
        let db = memory_db();
        let hub = half_moved(&db);
        let record = write(&db, 1, |t| t.resort_of(hub).unwrap().unwrap());
        assert_eq!((record.stage, record.after > 0), (2, true), "{record:?}");
        assert_eq!(violations(&db), Vec::<String>::new());

        // A cursor past rows still under the old key.
        let ahead = Resort {
            after: u64::MAX - 1,
            ..record.clone()
        };
        put_record(&db, hub, &encode(&ahead).unwrap());
        assert!(
            violations(&db)
                .iter()
                .any(|v| v.contains("userid_list_sortkey_otherid")),
            "{:?}",
            violations(&db)
        );
        let done = Resort {
            stage: 6,
            after: 0,
            ..record.clone()
        };
        put_record(&db, hub, &encode(&done).unwrap());
        assert!(
            violations(&db)
                .iter()
                .any(|v| v.contains("past its last stage"))
        );
        put_record(&db, hub, b"not json");
        assert!(
            violations(&db).iter().any(|v| v.contains("cannot be read")),
            "an unreadable record is a violation the check names, not an error"
        );
        put_record(&db, hub, &encode(&record).unwrap());
        assert_eq!(violations(&db), Vec::<String>::new());
    }

    #[test]
    fn the_check_finds_a_relation_listed_under_both_its_keys() {
        let db = memory_db();
        let hub = half_moved(&db);
        // f9's row of the hub is still under the old key; list it under the new one
        // too, and drop mia's row from f0's list so that the rows still number the
        // relations. Each row alone sits under a key the move allows.
        write(&db, 1, |t| {
            let f9 = t.user_id("f9").unwrap().unwrap();
            let f0 = t.user_id("f0").unwrap().unwrap();
            let mia = t.user_id("mia").unwrap().unwrap();
            let mia_key = t.sort_key(mia).unwrap();
            let current = t.sort_key(hub).unwrap();
            let rows = &mut t.userid_list_sortkey_otherid;
            rows.insert((f9, list::FOLLOWING, current.as_str(), hub), ())
                .unwrap();
            assert!(
                rows.remove((f0, list::FOLLOWING, mia_key.as_str(), mia))
                    .unwrap()
                    .is_some()
            );
        });
        let found = violations(&db);
        assert!(
            found
                .iter()
                .any(|v| v.contains("userid_list_sortkey_otherid")),
            "{found:?}"
        );
    }

    #[test]
    fn steps_take_turns_among_the_renamed() {
        let db = memory_db();
        hub_with_followers(&db, 10);
        let (hub, mia) = write(&db, 1, |t| {
            t.upsert_person(&person("hub", "Zoe", "Zorn"))
                .expect("rename hub");
            t.upsert_person(&person("mia", "Amy", "Abel"))
                .expect("rename mia");
            (
                t.user_id("hub").unwrap().unwrap(),
                t.user_id("mia").unwrap().unwrap(),
            )
        });
        assert!(hub < mia);
        let mut last = 0;
        let mut order = Vec::new();
        for _ in 0..4 {
            let (more, moved) = write(&db, 1, |t| t.resort_step_after(2, last).expect("step"));
            assert!(more);
            order.push(moved);
            last = moved;
        }
        assert_eq!(order, [hub, mia, hub, mia]);
        // Still in turn when the hub's name keeps flipping: its move restarts, Mia's
        // goes on.
        let before = write(&db, 1, |t| t.resort_of(mia).unwrap().unwrap());
        write(&db, 1, |t| {
            t.upsert_person(&person("hub", "Ann", "Ahn")).expect("flip")
        });
        let (_, moved) = write(&db, 1, |t| t.resort_step_after(2, hub).expect("step"));
        assert_eq!(moved, mia);
        let after = write(&db, 1, |t| t.resort_of(mia).unwrap().unwrap());
        assert!((after.stage, after.after) > (before.stage, before.after));
        while write(&db, 1, |t| t.resort_step_after(3, 0).expect("step").0) {}
        assert_eq!(violations(&db), Vec::<String>::new());
        assert_eq!(following(&db, "f9"), ["Abel", "Ahn"]);
    }

    #[test]
    fn a_person_renamed_past_the_most_older_keys_is_moved_whole() {
        let db = memory_db();
        hub_with_followers(&db, 10);
        for n in 0..MOST_OLD_KEYS {
            write(&db, 1, |t| {
                t.upsert_person(&person("hub", "Zoe", &format!("Zorn{n}")))
                    .expect("rename")
            });
            assert_eq!(reader(&db).resorts_pending().unwrap(), 1, "after {n}");
            assert_eq!(violations(&db), Vec::<String>::new());
        }
        // One more name than the record may hold: everything moves now.
        write(&db, 1, |t| {
            t.upsert_person(&person("hub", "Zoe", "Zulu"))
                .expect("rename")
        });
        assert_eq!(reader(&db).resorts_pending().unwrap(), 0);
        assert_eq!(following(&db, "f9"), ["Mori", "Zulu"]);
        assert_eq!(violations(&db), Vec::<String>::new());
    }

    /// What a random history does to a few people.
    #[derive(Debug, Clone)]
    enum Op {
        Follow(usize, usize),
        Unfollow(usize, usize),
        Connect(usize, usize),
        Disconnect(usize, usize),
        Request(usize, usize),
        Answer(usize, usize),
        Block(usize, usize),
        Rename(usize, usize),
        Step(usize),
        Delete(usize),
    }

    const PEOPLE: usize = 6;
    const NAMES: [(&str, &str); 4] = [
        ("Ann", "Ahn"),
        ("Ben", "Baker"),
        ("Cy", "Cole"),
        ("Zoe", "Zorn"),
    ];

    fn op() -> impl Strategy<Value = Op> {
        let pair = (0..PEOPLE, 0..PEOPLE);
        prop_oneof![
            pair.clone().prop_map(|(a, b)| Op::Follow(a, b)),
            pair.clone().prop_map(|(a, b)| Op::Unfollow(a, b)),
            pair.clone().prop_map(|(a, b)| Op::Connect(a, b)),
            pair.clone().prop_map(|(a, b)| Op::Disconnect(a, b)),
            pair.clone().prop_map(|(a, b)| Op::Request(a, b)),
            pair.clone().prop_map(|(a, b)| Op::Answer(a, b)),
            pair.prop_map(|(a, b)| Op::Block(a, b)),
            (0..PEOPLE, 0..NAMES.len()).prop_map(|(p, n)| Op::Rename(p, n)),
            (1..4usize).prop_map(Op::Step),
            (0..PEOPLE).prop_map(Op::Delete),
        ]
    }

    /// Applies `op` the way the social rules would allow it; refused ops write nothing.
    fn apply(t: &mut Tables<'_>, op: &Op) -> Result<(), StoreError> {
        let id = |t: &Tables<'_>, n: usize| t.user_id(&format!("p{n}"));
        let pair = |t: &Tables<'_>, a, b| -> Result<Option<(u64, u64)>, StoreError> {
            match (id(t, a)?, id(t, b)?) {
                (Some(a), Some(b)) if a != b => Ok(Some((a, b))),
                _ => Ok(None),
            }
        };
        let blocked = |t: &Tables<'_>, a, b| -> Result<bool, StoreError> {
            Ok(t.has(Edge::Block, a, b)? || t.has(Edge::Block, b, a)?)
        };
        let pending = |t: &Tables<'_>, a, b| -> Result<Option<u64>, StoreError> {
            Ok(t.pending_request(a, b)?.or(t.pending_request(b, a)?))
        };
        match *op {
            Op::Follow(a, b) => {
                if let Some((a, b)) = pair(t, a, b)?
                    && !t.has(Edge::Follow, a, b)?
                    && !blocked(t, a, b)?
                {
                    t.link(Edge::Follow, a, b)?;
                }
            }
            Op::Unfollow(a, b) => {
                if let Some((a, b)) = pair(t, a, b)?
                    && t.has(Edge::Follow, a, b)?
                {
                    t.unlink(Edge::Follow, a, b)?;
                }
            }
            Op::Connect(a, b) => {
                if let Some((a, b)) = pair(t, a, b)?
                    && !t.has(Edge::Connection, a, b)?
                    && !blocked(t, a, b)?
                    && pending(t, a, b)?.is_none()
                {
                    t.link(Edge::Connection, a, b)?;
                }
            }
            Op::Disconnect(a, b) => {
                if let Some((a, b)) = pair(t, a, b)?
                    && t.has(Edge::Connection, a, b)?
                {
                    t.unlink(Edge::Connection, a, b)?;
                }
            }
            Op::Request(a, b) => {
                if let Some((a, b)) = pair(t, a, b)?
                    && !t.has(Edge::Connection, a, b)?
                    && !blocked(t, a, b)?
                    && pending(t, a, b)?.is_none()
                {
                    t.open_request(a, b, 0)?;
                }
            }
            Op::Answer(a, b) => {
                if let Some((a, b)) = pair(t, a, b)?
                    && let Some(request) = t.pending_request(a, b)?
                {
                    t.close_request(request)?;
                }
            }
            Op::Block(a, b) => {
                if let Some((a, b)) = pair(t, a, b)?
                    && !blocked(t, a, b)?
                {
                    // What a block ends first, as the rules do.
                    for (edge, x, y) in [
                        (Edge::Connection, a, b),
                        (Edge::Follow, a, b),
                        (Edge::Follow, b, a),
                    ] {
                        if t.has(edge, x, y)? {
                            t.unlink(edge, x, y)?;
                        }
                    }
                    if let Some(request) = pending(t, a, b)? {
                        t.close_request(request)?;
                    }
                    t.link(Edge::Block, a, b)?;
                }
            }
            Op::Rename(p, n) => {
                let (given, family) = NAMES[n];
                t.upsert_person(&person(&format!("p{p}"), given, family))?;
            }
            Op::Step(budget) => {
                t.resort_step(budget)?;
            }
            Op::Delete(p) => {
                // Gone, then back under the same portal id with a fresh internal one.
                if t.delete_person(&format!("p{p}"))? {
                    t.upsert_person(&person(&format!("p{p}"), "Dee", "Dunn"))?;
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// Whatever happens while renamed people's rows move, every commit leaves the
        /// database consistent, and once the steps end every row is in its place.
        #[test]
        fn lists_stay_consistent_while_renames_settle(ops in prop::collection::vec(op(), 1..60)) {
            let db = memory_db();
            write(&db, RESORT_INLINE, |t| {
                let people: Vec<Person> = (0..PEOPLE)
                    .map(|p| person(&format!("p{p}"), "Ann", &format!("Person{p}")))
                    .collect();
                t.upsert_people(&people).expect("people");
            });
            for op in &ops {
                // One row at most in the rename's write: nearly every rename leaves a move.
                write(&db, 1, |t| apply(t, op)).expect("apply");
                prop_assert_eq!(violations(&db), Vec::<String>::new(), "after {:?}", op);
            }
            let mut steps = 0;
            while write(&db, 1, |t| t.resort_step(2).expect("step")) {
                steps += 1;
                prop_assert!(steps < 10_000, "the steps never end");
            }
            prop_assert_eq!(reader(&db).resorts_pending().unwrap(), 0);
            let index = reader(&db);
            let rows = index.table(super::super::USERID_LIST_SORTKEY_OTHERID).unwrap();
            let keys = index.table(super::super::USERID_SORTKEY).unwrap();
            for row in rows.iter().unwrap() {
                let guard = row.unwrap();
                let (owner, kind, key, other) = guard.0.value();
                let current = keys.get(other).unwrap().map(|k| k.value().to_owned());
                prop_assert_eq!(current.as_deref(), Some(key), "row ({}, {}, {}) is out of place", owner, kind, other);
            }
        }
    }
}
