//! Table definitions, schema version and migrate-on-open, and the write side: the
//! [`Graph`] implementation over one redb write transaction plus directory writes.
//!
//! Names spell their keys (`userid_followingid` is keyed by (user, followed)). Edges are
//! fixed-width integer tuples with a reverse table per direction; the sorted list index
//! `userid_list_sortkey_otherid` lets every list page come out of one range scan.

use std::ops::Bound;

use redb::{Database, ReadableTable, Table, TableDefinition, TableHandle, WriteTransaction};

// A child of this module so that bulk writes reach the open tables directly.
#[path = "bulk.rs"]
mod bulk;
#[path = "resort.rs"]
mod resort;
#[cfg(test)]
pub(crate) use resort::RESORT_INLINE;
pub(crate) use resort::{RESORT_STEP, USERID_RESORT, resort_record};

use super::graph::{Edge, Entry, Graph, RequestStatus, SocialRequest};
use super::normalize::is_portal_user_id;
use super::{EntryId, Person, RequestId, StoreError, UserId};

pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub(crate) const PORTALID_USERID: TableDefinition<&str, u64> =
    TableDefinition::new("portalid_userid");
pub(crate) use super::record::USERID_PERSON;
use super::record::{self, Decode, PersonRecord, USERID_PERSON_JSON};
pub(crate) const USERID_SORTKEY: TableDefinition<u64, &str> =
    TableDefinition::new("userid_sortkey");
pub(crate) const SORTKEY_USERID: TableDefinition<(&str, u64), ()> =
    TableDefinition::new("sortkey_userid");
pub(crate) const PREFIX_SORTKEY_USERID: TableDefinition<(&str, &str, u64), ()> =
    TableDefinition::new("prefix_sortkey_userid");
pub(crate) const USERID_CONNECTEDID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("userid_connectedid");
pub(crate) const USERID_FOLLOWINGID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("userid_followingid");
pub(crate) const USERID_FOLLOWERID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("userid_followerid");
pub(crate) const USERID_BLOCKEDID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("userid_blockedid");
pub(crate) const USERID_BLOCKERID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("userid_blockerid");
pub(crate) const REQUESTID_REQUEST: TableDefinition<u64, &[u8]> =
    TableDefinition::new("requestid_request");
/// Pending requests only, by (receiver, requester).
pub(crate) const RECEIVERID_REQUESTERID: TableDefinition<(u64, u64), u64> =
    TableDefinition::new("receiverid_requesterid");
/// Pending requests only, by (requester, receiver).
pub(crate) const REQUESTERID_RECEIVERID: TableDefinition<(u64, u64), u64> =
    TableDefinition::new("requesterid_receiverid");
/// Pending requests only, by (receiver, request id): a person's newest come first from
/// the end of their range, however many requests they answered or sent.
pub(crate) const RECEIVERID_REQUESTID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("receiverid_requestid");
/// Every request record a person takes part in, so deleting them finds all.
pub(crate) const USERID_REQUESTID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("userid_requestid");
pub(crate) const USERID_COUNTS: TableDefinition<u64, [u64; 5]> =
    TableDefinition::new("userid_counts");
pub(crate) const USERID_LIST_SORTKEY_OTHERID: TableDefinition<(u64, u8, &str, u64), ()> =
    TableDefinition::new("userid_list_sortkey_otherid");
pub(crate) const ENTRYID_ENTRY: TableDefinition<u64, &[u8]> = TableDefinition::new("entryid_entry");
pub(crate) const USERID_ENTRYID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("userid_entryid");
pub(crate) const USERID_ENTRYEMAIL: TableDefinition<(u64, &str), u64> =
    TableDefinition::new("userid_entryemail");
pub(crate) const USERID_ENTRYSORTKEY_ENTRYID: TableDefinition<(u64, &str, u64), ()> =
    TableDefinition::new("userid_entrysortkey_entryid");
pub(crate) const PORTLETID_PREFERENCES: TableDefinition<&str, &[u8]> =
    TableDefinition::new("portletid_preferences");
/// WSRP consumer registrations by handle; the value is the producer's own record.
pub(crate) const REGISTRATIONHANDLE_REGISTRATION: TableDefinition<&str, &[u8]> =
    TableDefinition::new("registrationhandle_registration");

/// Index into a `userid_counts` row.
pub(crate) mod count {
    pub const CONNECTIONS: usize = 0;
    pub const FOLLOWING: usize = 1;
    pub const FOLLOWERS: usize = 2;
    pub const REQUESTS: usize = 3;
    pub const CONTACTS: usize = 4;
}

/// The `list` component of `userid_list_sortkey_otherid`.
pub(crate) mod list {
    pub const CONNECTIONS: u8 = 1;
    pub const FOLLOWING: u8 = 2;
    pub const FOLLOWERS: u8 = 3;
    pub const BLOCKED: u8 = 4;
    pub const RECEIVED: u8 = 5;
    pub const SENT: u8 = 6;
}

/// 2: search prefixes index token heads only. 3: people are stored as records, not
/// JSON documents (see `record.rs`). 4: a renamed person's list rows may still sit
/// under an older sort key that `userid_resort` names (see `resort.rs`), which a host
/// of schema 3 would not find; pending requests are indexed by receiver and id. 5: the
/// parts of a hyphenated name are search words of their own (`normalize::name_words`).
/// 6: names in Chinese, Japanese or Korean letters are search words in those letters
/// too (`normalize::fold_for_search`). 7: a name with an apostrophe is a search word
/// without it too (`normalize::fold_without_apostrophes`). 8: apostrophes are looked
/// for after transliteration (’ ´ ʻ, the Cyrillic soft sign): a build of schema 7
/// looked before it, and left Кузьмина out of the index as kuzmina. 9: each word of a
/// screen name or an address that folding split ("john news@acme.com") is a token of
/// its own, so that a query can be scanned by its longest word
/// (`normalize::scan_prefix`): "J. Smith" by "smith", "tess news" by either. 10: a
/// screen name that starts with `@` (a handle) is a search word without it too, where
/// its head ended at the `@` and nothing of it was indexed.
pub(crate) const SCHEMA_VERSION: u64 = 10;
pub(crate) const META_SCHEMA: &str = "schema_version";
pub(crate) const META_HOST_KEY: &str = "host_key";
pub(crate) const META_NEXT_USER: &str = "next_user_id";
pub(crate) const META_NEXT_REQUEST: &str = "next_request_id";
pub(crate) const META_NEXT_ENTRY: &str = "next_entry_id";

/// Creates every table, migrates older schemas and makes the host key on first open.
///
/// Migrations run in the opening transaction, so a file is either wholly on the old
/// schema or wholly on the new one:
/// - 1 → 2: search prefixes now cover each token's head only (see
///   `normalize::prefixes`); `prefix_sortkey_userid` is dropped and rebuilt from
///   the people table.
/// - 2 → 3: each person moves from a JSON document in `userid_person` to a record in
///   `userid_person_record`, and the old table is dropped.
/// - 3 → 4: `userid_resort` is created empty, and `receiverid_requestid` is filled
///   from the pending requests.
/// - 4 → 5: the parts of hyphenated names join the search tokens, so the search index
///   is dropped and rebuilt as for 1 → 2 (5.6 s for the benchmark's 100,000 people,
///   once); and
///   `receiverid_requestid` is built anew, since a build of schema 4 from before it
///   existed could have written to the file without keeping it.
/// - 5 → 6: names in Chinese, Japanese or Korean letters join the search tokens as
///   written, and the search index is rebuilt as for 4 → 5.
/// - 6 → 7: names with an apostrophe join the search tokens without it (`obrien`),
///   and the search index is rebuilt as for 4 → 5.
/// - 7 → 8: the apostrophes are looked for after transliteration, so names with
///   ’ ´ ʻ or a Cyrillic soft sign gain the spelling without them; the search index
///   is rebuilt as for 4 → 5.
/// - 8 → 9: the later words of a screen name or an address that folding split
///   ("john news@acme.com") join the index, which a query's longest word may now be
///   scanned by; the search index is rebuilt as for 4 → 5.
/// - 9 → 10: a screen name that starts with `@` joins the index without it, and the
///   search index is rebuilt as for 4 → 5.
pub(crate) fn prepare(db: &Database) -> Result<[u8; 32], StoreError> {
    let txn = db.begin_write()?;
    let found = {
        let meta = txn.open_table(META)?;
        let value = meta.get(META_SCHEMA)?;
        match value {
            None => None,
            Some(v) => Some(
                <[u8; 8]>::try_from(v.value())
                    .map(u64::from_le_bytes)
                    .map_err(|_| StoreError::corrupt("meta", META_SCHEMA))?,
            ),
        }
    };
    if let Some(v) = found.filter(|&v| v > SCHEMA_VERSION) {
        return Err(StoreError::SchemaTooNew {
            found: v,
            supported: SCHEMA_VERSION,
        });
    }
    // Every file the host made has had its version since its first commit: tables
    // without one are another application's redb file (a data folder pointed at the
    // wrong place), which the host must not stamp as its own and fill. Refused with
    // nothing written: the transaction is dropped, and `meta` with it.
    if found.is_none() {
        let others = txn
            .list_tables()?
            .filter(|t| t.name() != META.name())
            .count()
            + txn.list_multimap_tables()?.count();
        if others > 0 {
            return Err(StoreError::corrupt(
                "meta",
                format!(
                    "no schema version beside {others} table(s): not widget-host's database (another application's redb file?)"
                ),
            ));
        }
    }
    // A migration holds the start for seconds on a large file (5.6 s for 100,000
    // people) while the port is already bound: the log says why nothing answers yet.
    let migrating = found.filter(|&v| v < SCHEMA_VERSION).map(|from| {
        tracing::info!(
            from,
            to = SCHEMA_VERSION,
            "migrating the database to this host's schema (its search index is rebuilt); a large file takes seconds"
        );
        std::time::Instant::now()
    });
    if found.is_some_and(|v| v < 3) {
        migrate_person_records(&txn)?;
    }
    // Below 10 the index lacked handles without their `@`, below 9 the later words of
    // screen names and addresses, below 8 names spelt without the apostrophes
    // transliteration makes (kuzmina), below 7 without any (obrien), below 6 the names
    // in their own script (Chinese, Japanese and Korean letters), below 5 the parts of
    // hyphenated names.
    let old_prefixes = found.is_some_and(|v| v < 10);
    if old_prefixes {
        txn.delete_table(PREFIX_SORTKEY_USERID)?;
    }
    // By the table, not the version: a file some build of schema 4 made before the
    // index existed has none either. And a file such a build wrote to after a newer
    // one made the index holds it stale: below 5 it is built anew.
    let mut indexed_by_id = txn
        .list_tables()?
        .any(|t| t.name() == RECEIVERID_REQUESTID.name());
    if indexed_by_id && found.is_some_and(|v| v < 5) {
        txn.delete_table(RECEIVERID_REQUESTID)?;
        indexed_by_id = false;
    }
    let key = {
        let mut tables = Tables::open(&txn)?;
        if old_prefixes {
            tables.rebuild_search_index()?;
        }
        if !indexed_by_id {
            tables.index_pending_requests_by_id()?;
        }
        tables.set_meta_u64(META_SCHEMA, SCHEMA_VERSION)?;
        let existing = tables
            .meta
            .get(META_HOST_KEY)?
            .map(|v| <[u8; 32]>::try_from(v.value()));
        match existing {
            Some(Ok(key)) => key,
            Some(Err(_)) => return Err(StoreError::corrupt("meta", "host key is not 32 bytes")),
            None => {
                let key: [u8; 32] = rand::random();
                tables.meta.insert(META_HOST_KEY, key.as_slice())?;
                key
            }
        }
    };
    txn.commit()?;
    if let Some(began) = migrating {
        tracing::info!(secs = began.elapsed().as_secs_f64(), "database migrated");
    }
    Ok(key)
}

/// Schema 2 → 3: every JSON person becomes a record; the JSON table goes.
fn migrate_person_records(txn: &WriteTransaction) -> Result<(), StoreError> {
    {
        let old = txn.open_table(USERID_PERSON_JSON)?;
        let mut new = txn.open_table(USERID_PERSON)?;
        for row in old.iter()? {
            let (user, bytes) = row?;
            let person: Person = decode("userid_person", bytes.value())?;
            record::put(&mut new, user.value(), &person)?;
        }
    }
    txn.delete_table(USERID_PERSON_JSON)?;
    Ok(())
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    table: &'static str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::corrupt(table, e))
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::corrupt("encode", e))
}

type PairTable<'t> = Table<'t, (u64, u64), ()>;
/// An edge's forward table and, for one-way edges, its reverse table.
type EdgeTables<'a, 't> = (&'a mut PairTable<'t>, Option<&'a mut PairTable<'t>>);

/// Every table, opened once for a whole write batch.
pub struct Tables<'t> {
    meta: Table<'t, &'static str, &'static [u8]>,
    portalid_userid: Table<'t, &'static str, u64>,
    userid_person: Table<'t, u64, PersonRecord>,
    userid_sortkey: Table<'t, u64, &'static str>,
    sortkey_userid: Table<'t, (&'static str, u64), ()>,
    prefix_sortkey_userid: Table<'t, (&'static str, &'static str, u64), ()>,
    userid_connectedid: Table<'t, (u64, u64), ()>,
    userid_followingid: Table<'t, (u64, u64), ()>,
    userid_followerid: Table<'t, (u64, u64), ()>,
    userid_blockedid: Table<'t, (u64, u64), ()>,
    userid_blockerid: Table<'t, (u64, u64), ()>,
    requestid_request: Table<'t, u64, &'static [u8]>,
    receiverid_requesterid: Table<'t, (u64, u64), u64>,
    requesterid_receiverid: Table<'t, (u64, u64), u64>,
    receiverid_requestid: Table<'t, (u64, u64), ()>,
    userid_requestid: Table<'t, (u64, u64), ()>,
    userid_counts: Table<'t, u64, [u64; 5]>,
    userid_list_sortkey_otherid: Table<'t, (u64, u8, &'static str, u64), ()>,
    entryid_entry: Table<'t, u64, &'static [u8]>,
    userid_entryid: Table<'t, (u64, u64), ()>,
    userid_entryemail: Table<'t, (u64, &'static str), u64>,
    userid_entrysortkey_entryid: Table<'t, (u64, &'static str, u64), ()>,
    portletid_preferences: Table<'t, &'static str, &'static [u8]>,
    registrationhandle_registration: Table<'t, &'static str, &'static [u8]>,
    userid_resort: Table<'t, u64, &'static [u8]>,
    /// Whether a write in this transaction left a move of list rows for the writer's
    /// steps (see `resort.rs`).
    resorts_started: bool,
    /// Rows a rename moves in its own write ([`resort::RESORT_INLINE`]; tests lower it).
    resort_inline: usize,
}

/// Keys `(a, 0..=MAX)`: everything a user has in a pair table.
fn pairs<V: redb::Value + 'static>(
    table: &Table<'_, (u64, u64), V>,
    a: u64,
) -> Result<Vec<u64>, StoreError> {
    let mut out = Vec::new();
    for row in table.range((a, 0)..=(a, u64::MAX))? {
        out.push(row?.0.value().1);
    }
    Ok(out)
}

impl<'t> Tables<'t> {
    pub(crate) fn open(txn: &'t WriteTransaction) -> Result<Self, StoreError> {
        Ok(Self {
            meta: txn.open_table(META)?,
            portalid_userid: txn.open_table(PORTALID_USERID)?,
            userid_person: txn.open_table(USERID_PERSON)?,
            userid_sortkey: txn.open_table(USERID_SORTKEY)?,
            sortkey_userid: txn.open_table(SORTKEY_USERID)?,
            prefix_sortkey_userid: txn.open_table(PREFIX_SORTKEY_USERID)?,
            userid_connectedid: txn.open_table(USERID_CONNECTEDID)?,
            userid_followingid: txn.open_table(USERID_FOLLOWINGID)?,
            userid_followerid: txn.open_table(USERID_FOLLOWERID)?,
            userid_blockedid: txn.open_table(USERID_BLOCKEDID)?,
            userid_blockerid: txn.open_table(USERID_BLOCKERID)?,
            requestid_request: txn.open_table(REQUESTID_REQUEST)?,
            receiverid_requesterid: txn.open_table(RECEIVERID_REQUESTERID)?,
            requesterid_receiverid: txn.open_table(REQUESTERID_RECEIVERID)?,
            receiverid_requestid: txn.open_table(RECEIVERID_REQUESTID)?,
            userid_requestid: txn.open_table(USERID_REQUESTID)?,
            userid_counts: txn.open_table(USERID_COUNTS)?,
            userid_list_sortkey_otherid: txn.open_table(USERID_LIST_SORTKEY_OTHERID)?,
            entryid_entry: txn.open_table(ENTRYID_ENTRY)?,
            userid_entryid: txn.open_table(USERID_ENTRYID)?,
            userid_entryemail: txn.open_table(USERID_ENTRYEMAIL)?,
            userid_entrysortkey_entryid: txn.open_table(USERID_ENTRYSORTKEY_ENTRYID)?,
            portletid_preferences: txn.open_table(PORTLETID_PREFERENCES)?,
            registrationhandle_registration: txn.open_table(REGISTRATIONHANDLE_REGISTRATION)?,
            userid_resort: txn.open_table(USERID_RESORT)?,
            resorts_started: false,
            resort_inline: resort::RESORT_INLINE,
        })
    }

    /// Schema 3 → 4: `receiverid_requestid` from the pending requests.
    fn index_pending_requests_by_id(&mut self) -> Result<(), StoreError> {
        let mut rows = Vec::new();
        for row in self.receiverid_requesterid.iter()? {
            let (pair, id) = row?;
            rows.push((pair.value().0, id.value()));
        }
        rows.sort_unstable();
        for row in rows {
            self.receiverid_requestid.insert(row, ())?;
        }
        Ok(())
    }

    /// Whether a write in this transaction left rows to move in later steps.
    pub(crate) fn resorts_started(&self) -> bool {
        self.resorts_started
    }

    /// Lets a test leave most of a rename's rows to the writer's steps.
    #[cfg(test)]
    pub(crate) fn set_resort_inline(&mut self, rows: usize) {
        self.resort_inline = rows;
    }

    fn meta_u64(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self.meta.get(key)? {
            None => Ok(None),
            Some(v) => <[u8; 8]>::try_from(v.value())
                .map(|b| Some(u64::from_le_bytes(b)))
                .map_err(|_| StoreError::corrupt("meta", key)),
        }
    }

    fn set_meta_u64(&mut self, key: &str, value: u64) -> Result<(), StoreError> {
        self.meta.insert(key, value.to_le_bytes().as_slice())?;
        Ok(())
    }

    /// Ids start at 1 so that 0 can mean "not stored yet".
    fn next_id(&mut self, key: &str) -> Result<u64, StoreError> {
        self.take_ids(key, 1)
    }

    /// The first of `n` fresh ids from counter `key`, moving the counter past them. A
    /// counter that would wrap (only a file written by something else holds one that
    /// high) is refused rather than handing out ids in use.
    pub(crate) fn take_ids(&mut self, key: &str, n: u64) -> Result<u64, StoreError> {
        let first = self.meta_u64(key)?.unwrap_or(1);
        let next = first
            .checked_add(n)
            .ok_or_else(|| StoreError::corrupt("meta", format!("{key} is exhausted")))?;
        self.set_meta_u64(key, next)?;
        Ok(first)
    }

    fn bump(&mut self, user: UserId, which: usize, up: bool) -> Result<(), StoreError> {
        let mut counts = self
            .userid_counts
            .get(user)?
            .map(|v| v.value())
            .unwrap_or([0; 5]);
        counts[which] = if up {
            counts[which].saturating_add(1)
        } else {
            counts[which].saturating_sub(1)
        };
        self.userid_counts.insert(user, counts)?;
        Ok(())
    }

    fn sort_key(&self, user: UserId) -> Result<String, StoreError> {
        Ok(self
            .userid_sortkey
            .get(user)?
            .map(|v| v.value().to_owned())
            .unwrap_or_default())
    }

    fn list_add(&mut self, owner: UserId, kind: u8, other: UserId) -> Result<(), StoreError> {
        let key = self.sort_key(other)?;
        self.userid_list_sortkey_otherid
            .insert((owner, kind, key.as_str(), other), ())?;
        Ok(())
    }

    fn list_remove(&mut self, owner: UserId, kind: u8, other: UserId) -> Result<(), StoreError> {
        let key = self.sort_key(other)?;
        let removed = self
            .userid_list_sortkey_otherid
            .remove((owner, kind, key.as_str(), other))?
            .is_some();
        if !removed {
            // `other` was renamed and this row has not moved yet.
            self.remove_unmoved_row(owner, kind, other)?;
        }
        Ok(())
    }

    /// Creates or refreshes a person; keeps the sort and search indexes in step on
    /// rename. Returns the internal id.
    pub fn upsert_person(&mut self, person: &Person) -> Result<UserId, StoreError> {
        if !is_portal_user_id(&person.id) {
            return Err(StoreError::InvalidPerson(format!(
                "malformed user id {:?}",
                person.id
            )));
        }
        let new_key = person.sort_key();
        let new_prefixes = person.search_prefixes();
        let existing = self
            .portalid_userid
            .get(person.id.as_str())?
            .map(|v| v.value());
        let user = match existing {
            Some(user) => {
                let old = match self.userid_person.get(user)? {
                    // Sort key and search prefixes need only what a row reads.
                    Some(v) => record::person(v.value(), Decode::Row)?,
                    None => return Err(StoreError::corrupt("userid_person_record", user)),
                };
                // The key the rows were written under, as stored: the same as the
                // record's unless folding changed since.
                let old_key = self.sort_key(user)?;
                for p in old.search_prefixes() {
                    self.prefix_sortkey_userid
                        .remove((p.as_str(), old_key.as_str(), user))?;
                }
                if old_key != new_key {
                    self.rekey(user, &old_key, &new_key)?;
                }
                user
            }
            None => {
                let user = self.next_id(META_NEXT_USER)?;
                self.portalid_userid.insert(person.id.as_str(), user)?;
                self.userid_counts.insert(user, [0; 5])?;
                self.userid_sortkey.insert(user, new_key.as_str())?;
                self.sortkey_userid.insert((new_key.as_str(), user), ())?;
                user
            }
        };
        for p in &new_prefixes {
            self.prefix_sortkey_userid
                .insert((p.as_str(), new_key.as_str(), user), ())?;
        }
        record::put(&mut self.userid_person, user, person)?;
        Ok(user)
    }

    /// Gives a renamed person their new sort key: the directory's rows now, the rows
    /// in everyone's lists now or in the writer's later steps (see `resort.rs`).
    fn rekey(&mut self, user: UserId, old: &str, new: &str) -> Result<(), StoreError> {
        self.sortkey_userid.remove((old, user))?;
        self.sortkey_userid.insert((new, user), ())?;
        self.userid_sortkey.insert(user, new)?;
        self.resort(user, old, new)
    }

    /// The person with this portal id as this transaction sees it.
    pub fn person(&self, portal_id: &str) -> Result<Option<Person>, StoreError> {
        let Some(user) = self.portalid_userid.get(portal_id)?.map(|v| v.value()) else {
            return Ok(None);
        };
        match self.userid_person.get(user)? {
            Some(v) => Ok(Some(record::person(v.value(), Decode::Full)?)),
            None => Err(StoreError::corrupt("userid_person_record", user)),
        }
    }

    /// Removes a person with every edge, request and entry, fixing everyone's counts.
    /// Returns false when the person was not in the directory.
    pub fn delete_person(&mut self, portal_id: &str) -> Result<bool, StoreError> {
        let Some(user) = self.portalid_userid.get(portal_id)?.map(|v| v.value()) else {
            return Ok(false);
        };
        for o in pairs(&self.userid_connectedid, user)? {
            self.unlink(Edge::Connection, user, o)?;
        }
        for o in pairs(&self.userid_followingid, user)? {
            self.unlink(Edge::Follow, user, o)?;
        }
        for o in pairs(&self.userid_followerid, user)? {
            self.unlink(Edge::Follow, o, user)?;
        }
        for o in pairs(&self.userid_blockedid, user)? {
            self.unlink(Edge::Block, user, o)?;
        }
        for o in pairs(&self.userid_blockerid, user)? {
            self.unlink(Edge::Block, o, user)?;
        }
        for id in pairs(&self.userid_requestid, user)? {
            // Its record, the other person's row and the pending indexes go; an
            // index row whose request is gone (check-db names it) goes all the same.
            self.close_request(id)?;
            self.userid_requestid.remove((user, id))?;
        }
        for id in pairs(&self.userid_entryid, user)? {
            self.delete_entry(id)?;
        }
        // A contact whose record is gone (check-db names it) left its index rows, which
        // only the record could name: every row of this owner goes all the same, or
        // they would outlive their owner with nothing left to remove them.
        let next = user.checked_add(1);
        let emails = (
            Bound::Included((user, "")),
            next.map_or(Bound::Unbounded, |n| Bound::Excluded((n, ""))),
        );
        self.userid_entryemail.retain_in(emails, |_, _| false)?;
        let sorted = (
            Bound::Included((user, "", 0)),
            next.map_or(Bound::Unbounded, |n| Bound::Excluded((n, "", 0))),
        );
        self.userid_entrysortkey_entryid
            .retain_in(sorted, |_, ()| false)?;
        for id in pairs(&self.userid_entryid, user)? {
            self.userid_entryid.remove((user, id))?;
        }
        let key = self.sort_key(user)?;
        if let Some(person) = self.userid_person.remove(user)? {
            let person = record::person(person.value(), Decode::Row)?;
            for p in person.search_prefixes() {
                self.prefix_sortkey_userid
                    .remove((p.as_str(), key.as_str(), user))?;
            }
        }
        self.sortkey_userid.remove((key.as_str(), user))?;
        self.userid_sortkey.remove(user)?;
        // Every row a move was left for went with the relations above.
        self.userid_resort.remove(user)?;
        self.userid_counts.remove(user)?;
        self.portalid_userid.remove(portal_id)?;
        Ok(true)
    }

    /// Replaces a portlet's preferences (name → values).
    pub fn save_preferences(
        &mut self,
        portlet_id: &str,
        preferences: &super::Preferences,
    ) -> Result<(), StoreError> {
        self.portletid_preferences
            .insert(portlet_id, encode(preferences)?.as_slice())?;
        Ok(())
    }

    /// Stores (or replaces) the record of a WSRP registration handle.
    pub(crate) fn put_registration(
        &mut self,
        handle: &str,
        record: &[u8],
    ) -> Result<(), StoreError> {
        self.registrationhandle_registration
            .insert(handle, record)?;
        Ok(())
    }

    /// Replaces the record of a WSRP registration handle that exists; `false`, with
    /// nothing stored, when it does not. One transaction: a deregistration that
    /// committed first is not undone.
    pub(crate) fn replace_registration(
        &mut self,
        handle: &str,
        record: &[u8],
    ) -> Result<bool, StoreError> {
        if self.registrationhandle_registration.get(handle)?.is_none() {
            return Ok(false);
        }
        self.put_registration(handle, record)?;
        Ok(true)
    }

    /// Forgets a WSRP registration handle; `false` when it was unknown.
    pub(crate) fn delete_registration(&mut self, handle: &str) -> Result<bool, StoreError> {
        Ok(self
            .registrationhandle_registration
            .remove(handle)?
            .is_some())
    }

    /// The forward table of `edge` and, for one-way edges, its reverse table.
    fn edge_tables(&mut self, edge: Edge) -> EdgeTables<'_, 't> {
        match edge {
            Edge::Connection => (&mut self.userid_connectedid, None),
            Edge::Follow => (
                &mut self.userid_followingid,
                Some(&mut self.userid_followerid),
            ),
            Edge::Block => (&mut self.userid_blockedid, Some(&mut self.userid_blockerid)),
        }
    }
}

fn entry_email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn entry_sort_key(entry: &Entry) -> String {
    let mut key = super::fold(&entry.full_name);
    super::normalize::cut_to(&mut key, 128);
    key
}

impl Graph for Tables<'_> {
    fn user_id(&self, portal_id: &str) -> Result<Option<UserId>, StoreError> {
        Ok(self.portalid_userid.get(portal_id)?.map(|v| v.value()))
    }

    fn portal_id(&self, user: UserId) -> Result<Option<String>, StoreError> {
        match self.userid_person.get(user)? {
            None => Ok(None),
            Some(v) => Ok(Some(v.value().0.to_owned())),
        }
    }

    fn has(&self, edge: Edge, a: UserId, b: UserId) -> Result<bool, StoreError> {
        let table = match edge {
            Edge::Connection => &self.userid_connectedid,
            Edge::Follow => &self.userid_followingid,
            Edge::Block => &self.userid_blockedid,
        };
        Ok(table.get((a, b))?.is_some())
    }

    fn link(&mut self, edge: Edge, a: UserId, b: UserId) -> Result<(), StoreError> {
        // A self-connection would be written twice and counted twice.
        if a == b {
            return Err(StoreError::Refused(format!(
                "a {edge:?} needs two people, not person {a} twice"
            )));
        }
        if self.has(edge, a, b)? {
            return Ok(());
        }
        let (forward, reverse) = self.edge_tables(edge);
        forward.insert((a, b), ())?;
        match reverse {
            Some(reverse) => reverse.insert((b, a), ())?,
            None => forward.insert((b, a), ())?,
        };
        match edge {
            Edge::Connection => {
                self.bump(a, count::CONNECTIONS, true)?;
                self.bump(b, count::CONNECTIONS, true)?;
                self.list_add(a, list::CONNECTIONS, b)?;
                self.list_add(b, list::CONNECTIONS, a)?;
            }
            Edge::Follow => {
                self.bump(a, count::FOLLOWING, true)?;
                self.bump(b, count::FOLLOWERS, true)?;
                self.list_add(a, list::FOLLOWING, b)?;
                self.list_add(b, list::FOLLOWERS, a)?;
            }
            Edge::Block => self.list_add(a, list::BLOCKED, b)?,
        }
        Ok(())
    }

    fn unlink(&mut self, edge: Edge, a: UserId, b: UserId) -> Result<(), StoreError> {
        if !self.has(edge, a, b)? {
            return Ok(());
        }
        let (forward, reverse) = self.edge_tables(edge);
        forward.remove((a, b))?;
        match reverse {
            Some(reverse) => reverse.remove((b, a))?,
            None => forward.remove((b, a))?,
        };
        match edge {
            Edge::Connection => {
                self.bump(a, count::CONNECTIONS, false)?;
                self.bump(b, count::CONNECTIONS, false)?;
                self.list_remove(a, list::CONNECTIONS, b)?;
                self.list_remove(b, list::CONNECTIONS, a)?;
            }
            Edge::Follow => {
                self.bump(a, count::FOLLOWING, false)?;
                self.bump(b, count::FOLLOWERS, false)?;
                self.list_remove(a, list::FOLLOWING, b)?;
                self.list_remove(b, list::FOLLOWERS, a)?;
            }
            Edge::Block => self.list_remove(a, list::BLOCKED, b)?,
        }
        Ok(())
    }

    fn pending_request(
        &self,
        requester: UserId,
        receiver: UserId,
    ) -> Result<Option<RequestId>, StoreError> {
        Ok(self
            .requesterid_receiverid
            .get((requester, receiver))?
            .map(|v| v.value()))
    }

    fn request(&self, id: RequestId) -> Result<Option<SocialRequest>, StoreError> {
        match self.requestid_request.get(id)? {
            None => Ok(None),
            Some(v) => decode("requestid_request", v.value()).map(Some),
        }
    }

    fn open_request(
        &mut self,
        requester: UserId,
        receiver: UserId,
        created_at: u64,
    ) -> Result<RequestId, StoreError> {
        if requester == receiver {
            return Err(StoreError::Refused(format!(
                "person {requester} cannot ask themselves to connect"
            )));
        }
        let id = self.next_id(META_NEXT_REQUEST)?;
        let request = SocialRequest {
            id,
            requester,
            receiver,
            created_at,
            status: RequestStatus::Pending,
        };
        self.requestid_request
            .insert(id, encode(&request)?.as_slice())?;
        self.receiverid_requesterid
            .insert((receiver, requester), id)?;
        self.requesterid_receiverid
            .insert((requester, receiver), id)?;
        self.receiverid_requestid.insert((receiver, id), ())?;
        self.userid_requestid.insert((requester, id), ())?;
        self.userid_requestid.insert((receiver, id), ())?;
        self.bump(receiver, count::REQUESTS, true)?;
        self.list_add(receiver, list::RECEIVED, requester)?;
        self.list_add(requester, list::SENT, receiver)?;
        Ok(id)
    }

    fn issued_request(&self, id: RequestId) -> Result<bool, StoreError> {
        Ok(id >= 1 && id < self.meta_u64(META_NEXT_REQUEST)?.unwrap_or(1))
    }

    fn close_request(&mut self, id: RequestId) -> Result<(), StoreError> {
        let Some(request) = self.request(id)? else {
            return Ok(());
        };
        let (from, to) = (request.requester, request.receiver);
        if request.status == RequestStatus::Pending {
            self.receiverid_requesterid.remove((to, from))?;
            self.requesterid_receiverid.remove((from, to))?;
            self.receiverid_requestid.remove((to, id))?;
            self.bump(to, count::REQUESTS, false)?;
            self.list_remove(to, list::RECEIVED, from)?;
            self.list_remove(from, list::SENT, to)?;
        }
        self.requestid_request.remove(id)?;
        self.userid_requestid.remove((from, id))?;
        self.userid_requestid.remove((to, id))?;
        Ok(())
    }

    fn entry(&self, id: EntryId) -> Result<Option<Entry>, StoreError> {
        match self.entryid_entry.get(id)? {
            None => Ok(None),
            Some(v) => decode("entryid_entry", v.value()).map(Some),
        }
    }

    fn issued_entry(&self, id: EntryId) -> Result<bool, StoreError> {
        Ok(id >= 1 && id < self.meta_u64(META_NEXT_ENTRY)?.unwrap_or(1))
    }

    fn entry_count(&self, owner: UserId) -> Result<u64, StoreError> {
        Ok(self
            .userid_counts
            .get(owner)?
            .map_or(0, |v| v.value()[count::CONTACTS]))
    }

    fn entry_by_email(&self, owner: UserId, email: &str) -> Result<Option<EntryId>, StoreError> {
        let key = entry_email_key(email);
        Ok(self
            .userid_entryemail
            .get((owner, key.as_str()))?
            .map(|v| v.value()))
    }

    fn put_entry(&mut self, mut entry: Entry) -> Result<EntryId, StoreError> {
        if entry.entry_id == 0 {
            entry.entry_id = self.next_id(META_NEXT_ENTRY)?;
            self.userid_entryid
                .insert((entry.owner, entry.entry_id), ())?;
            self.bump(entry.owner, count::CONTACTS, true)?;
        } else {
            // Replacing one that is not there would write it without its owner's row
            // or count; replacing another owner's would move it without either.
            let old = self
                .entry(entry.entry_id)?
                .filter(|old| old.owner == entry.owner)
                .ok_or_else(|| {
                    StoreError::Refused(format!(
                        "person {} has no personal contact {} to replace",
                        entry.owner, entry.entry_id
                    ))
                })?;
            let email = entry_email_key(&old.email_address);
            self.userid_entryemail.remove((old.owner, email.as_str()))?;
            let key = entry_sort_key(&old);
            self.userid_entrysortkey_entryid
                .remove((old.owner, key.as_str(), old.entry_id))?;
        }
        let id = entry.entry_id;
        let email = entry_email_key(&entry.email_address);
        self.userid_entryemail
            .insert((entry.owner, email.as_str()), id)?;
        let key = entry_sort_key(&entry);
        self.userid_entrysortkey_entryid
            .insert((entry.owner, key.as_str(), id), ())?;
        self.entryid_entry.insert(id, encode(&entry)?.as_slice())?;
        Ok(id)
    }

    fn delete_entry(&mut self, id: EntryId) -> Result<(), StoreError> {
        let Some(old) = self.entry(id)? else {
            return Ok(());
        };
        let email = entry_email_key(&old.email_address);
        self.userid_entryemail.remove((old.owner, email.as_str()))?;
        let key = entry_sort_key(&old);
        self.userid_entrysortkey_entryid
            .remove((old.owner, key.as_str(), id))?;
        self.userid_entryid.remove((old.owner, id))?;
        self.entryid_entry.remove(id)?;
        self.bump(old.owner, count::CONTACTS, false)?;
        Ok(())
    }
}

pub(crate) fn entry_sort_key_of(entry: &Entry) -> String {
    entry_sort_key(entry)
}

pub(crate) fn entry_email_key_of(email: &str) -> String {
    entry_email_key(email)
}

#[cfg(test)]
mod tests {
    use redb::ReadableDatabase;

    use super::*;
    use crate::store::{Filter, Listed, Reader, check_invariants};

    fn memory_db() -> Database {
        Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("in-memory database")
    }

    fn person(id: &str, given: &str, family: &str, email: &str) -> Person {
        Person {
            id: id.into(),
            given_name: given.into(),
            family_name: family.into(),
            alternate_name: format!("{id}_screen"),
            email_address: email.into(),
            ..Person::default()
        }
    }

    /// Turns the people table back into what schema 2 and earlier kept: one JSON
    /// document per person in `userid_person`.
    fn back_to_json_people(db: &Database) {
        let txn = db.begin_write().expect("write");
        {
            let records = txn.open_table(USERID_PERSON).expect("records");
            let mut json = txn.open_table(USERID_PERSON_JSON).expect("json");
            for row in records.iter().expect("iter") {
                let (user, stored) = row.expect("row");
                let p = record::person(stored.value(), Decode::Full).expect("decode");
                let bytes = encode(&p).expect("encode");
                json.insert(user.value(), bytes.as_slice()).expect("insert");
            }
        }
        txn.delete_table(USERID_PERSON).expect("drop records");
        txn.commit().expect("commit");
    }

    /// A person stored under an id no request could name (a foreign or damaged
    /// backup restored) breaks an invariant: `check-db` names them.
    #[test]
    fn an_id_outside_the_user_id_form_is_a_violation() {
        let db = memory_db();
        let txn = db.begin_write().expect("write");
        {
            let mut tables = Tables::open(&txn).expect("tables");
            let mut odd = person("qzx9", "Quentin", "Zed", "qz@acme.test");
            tables.upsert_person(&odd).expect("person");
            let user = tables.user_id("qzx9").expect("id").expect("stored");
            // Behind the store's back, as a file from elsewhere would hold it.
            tables.portalid_userid.remove("qzx9").expect("remove");
            tables.portalid_userid.insert("q x9", user).expect("insert");
            odd.id = "q x9".into();
            record::put(&mut tables.userid_person, user, &odd).expect("record");
        }
        txn.commit().expect("commit");
        let found = check_invariants(&Reader::new(db.begin_read().expect("read"))).expect("check");
        let found: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains(r#"portal id "q x9" is not a user id"#),
            "{found:?}"
        );
    }

    fn schema_version(reader: &Reader) -> Option<Vec<u8>> {
        reader
            .table(META)
            .expect("meta")
            .get(META_SCHEMA)
            .expect("get")
            .map(|v| v.value().to_vec())
    }

    #[test]
    fn schema_2_files_get_their_people_moved_to_records_on_open() {
        use crate::store::{EmailAddress, Phone, PostalAddress, WebUrl};
        let db = memory_db();
        prepare(&db).expect("create");
        let mut ja = person("ja", "José", "Álvarez", "jalvarez@acme.test");
        ja.image = Some("https://portal.test/ja.png".into());
        ja.job_title = "Ingeniera <jefa>".into();
        let info = &mut ja.user_account_contact_information;
        info.email_addresses.push(EmailAddress {
            email_address: "ja@home.test".into(),
            kind: "personal".into(),
            primary: false,
        });
        info.telephones.push(Phone {
            phone_number: "+34 600 000".into(),
            ..Phone::default()
        });
        info.postal_addresses.push(PostalAddress {
            address_locality: "Madrid".into(),
            ..PostalAddress::default()
        });
        info.web_urls.push(WebUrl {
            url: "https://ja.test".into(),
            ..WebUrl::default()
        });
        let people = [ja, person("js", "Joan", "Smith", "joan@acme.test")];
        let txn = db.begin_write().expect("write");
        {
            let mut tables = Tables::open(&txn).expect("tables");
            tables.upsert_people(&people).expect("people");
            tables.set_meta_u64(META_SCHEMA, 2).expect("meta");
        }
        txn.commit().expect("commit");
        back_to_json_people(&db);
        let before = Reader::new(db.begin_read().expect("read"));
        assert!(
            before.person("ja").is_err(),
            "a schema 2 file has no records yet"
        );
        drop(before);

        prepare(&db).expect("migrate");
        let reader = Reader::new(db.begin_read().expect("read"));
        assert_eq!(
            schema_version(&reader),
            Some(SCHEMA_VERSION.to_le_bytes().to_vec())
        );
        assert_eq!(check_invariants(&reader).expect("check"), Vec::new());
        for p in &people {
            assert_eq!(reader.person(&p.id).expect("read").as_ref(), Some(p));
        }
        assert!(
            reader.table(USERID_PERSON_JSON).is_err(),
            "the JSON table is dropped"
        );
        assert_eq!(found(&db, "ja@home"), vec!["ja"]);
        assert_eq!(found(&db, "jo"), vec!["ja", "js"]);
        drop(reader);
        // A second open finds nothing to migrate and changes nothing.
        prepare(&db).expect("reopen");
        let reader = Reader::new(db.begin_read().expect("read"));
        for p in &people {
            assert_eq!(reader.person(&p.id).expect("read").as_ref(), Some(p));
        }
    }

    /// The rows schema 1 kept: every prefix (up to 12) of every whole token.
    fn v1_prefixes(p: &Person) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for token in p.search_tokens() {
            let t = &token[..token.len().min(12)];
            out.extend((1..=t.len()).map(|end| t[..end].to_owned()));
        }
        out.sort();
        out.dedup();
        out
    }

    fn found(db: &Database, q: &str) -> Vec<String> {
        let reader = Reader::new(db.begin_read().expect("read"));
        let page = reader
            .search("x", q, Filter::All, None, 50)
            .expect("search");
        page.items
            .into_iter()
            .filter_map(|i| match i {
                Listed::Person(p) => Some(p.id),
                Listed::Entry(_) => None,
            })
            .collect()
    }

    /// A reader of what `db` has committed.
    fn committed(db: &Database) -> crate::store::Reader {
        crate::store::Reader::of(std::sync::Arc::new(crate::store::reader::Snapshot::new(
            db.begin_read().expect("read"),
        )))
    }

    /// The store refuses, whoever asks, what the rules never ask for and what would
    /// break its counts: a relation or request of a person with themselves, and an
    /// entry replaced that is not there or is another person's.
    #[test]
    fn writes_that_would_break_the_counts_are_refused() {
        let db = memory_db();
        prepare(&db).expect("create");
        let txn = db.begin_write().expect("write");
        let mut tables = Tables::open(&txn).expect("tables");
        tables
            .upsert_people(&[
                person("a", "Ann", "A", "a@x.test"),
                person("b", "Bob", "B", "b@x.test"),
            ])
            .expect("people");
        let a = tables.user_id("a").expect("read").expect("a");
        let b = tables.user_id("b").expect("read").expect("b");
        for edge in [Edge::Connection, Edge::Follow, Edge::Block] {
            let refused = tables.link(edge, a, a);
            assert!(
                matches!(refused, Err(StoreError::Refused(_))),
                "{refused:?}"
            );
        }
        let refused = tables.open_request(a, a, 1);
        assert!(
            matches!(refused, Err(StoreError::Refused(_))),
            "{refused:?}"
        );
        let entry = |entry_id, owner| Entry {
            entry_id,
            owner,
            full_name: "Cy".into(),
            email_address: "cy@x.test".into(),
            comments: String::new(),
        };
        let refused = tables.put_entry(entry(99, a));
        assert!(
            matches!(refused, Err(StoreError::Refused(_))),
            "{refused:?}"
        );
        let id = tables.put_entry(entry(0, a)).expect("a new entry");
        let refused = tables.put_entry(entry(id, b));
        assert!(
            matches!(refused, Err(StoreError::Refused(_))),
            "{refused:?}"
        );
        tables
            .put_entry(entry(id, a))
            .expect("its owner replaces it");
        tables.link(Edge::Connection, a, b).expect("two people");
        drop(tables);
        txn.commit().expect("commit");
        let reader = committed(&db);
        assert_eq!(
            crate::store::check_invariants(&reader).expect("check"),
            Vec::new()
        );
        assert_eq!(reader.counts("a").expect("counts").connections, 1);
        assert_eq!(reader.counts("a").expect("counts").contacts, 1);
    }

    /// `check-db` finds entries the rules would not have let in (written here past
    /// them): one with no name, one whose address is not one, and two of one person
    /// with the same address, each named.
    #[test]
    fn entries_the_rules_refuse_are_violations() {
        let db = memory_db();
        prepare(&db).expect("create");
        let txn = db.begin_write().expect("write");
        let mut tables = Tables::open(&txn).expect("tables");
        tables
            .upsert_people(&[person("a", "Ann", "A", "a@x.test")])
            .expect("people");
        let a = tables.user_id("a").expect("read").expect("a");
        let entry = |full_name: &str, email_address: &str| Entry {
            entry_id: 0,
            owner: a,
            full_name: full_name.into(),
            email_address: email_address.into(),
            comments: String::new(),
        };
        let nameless = tables.put_entry(entry("  ", "n@x.test")).expect("put");
        let bad_email = tables.put_entry(entry("Bo", "bo.x.test")).expect("put");
        // Saved before the rules checked an address's parts: data, not damage.
        let old_rule = tables.put_entry(entry("Di", "di..an@x.test")).expect("put");
        let first = tables.put_entry(entry("Cy", "cy@x.test")).expect("put");
        let second = tables.put_entry(entry("Cy too", "CY@x.test")).expect("put");
        drop(tables);
        txn.commit().expect("commit");
        let reader = committed(&db);
        let violations: Vec<String> = crate::store::check_invariants(&reader)
            .expect("check")
            .iter()
            .map(ToString::to_string)
            .collect();
        let says = |text: &str| violations.iter().any(|v| v.contains(text));
        assert!(
            says(&format!("entry {nameless} has no name")),
            "{violations:?}"
        );
        assert!(
            says(&format!(
                "entry {bad_email} has an email address that is not valid"
            )),
            "{violations:?}"
        );
        assert!(
            says(&format!(
                "entries {first} and {second} of one person have the same email address"
            )),
            "{violations:?}"
        );
        assert!(!says(&format!("entry {old_rule} ")), "{violations:?}");
    }

    /// A counter at the top of its range (only a foreign file holds one) is refused,
    /// one person or many, instead of wrapping round to ids in use.
    #[test]
    fn an_exhausted_id_counter_is_refused_not_wrapped() {
        let db = memory_db();
        prepare(&db).expect("create");
        let txn = db.begin_write().expect("write");
        let mut tables = Tables::open(&txn).expect("tables");
        tables
            .upsert_people(&[person("a", "Ann", "A", "a@x.test")])
            .expect("first");
        tables.set_meta_u64(META_NEXT_USER, u64::MAX).expect("meta");
        let one = tables.upsert_person(&person("b", "Bob", "B", "b@x.test"));
        assert!(
            matches!(&one, Err(StoreError::Corrupt { table: "meta", .. })),
            "{one:?}"
        );
        let many = tables.upsert_people(&[person("c", "Cy", "C", "c@x.test")]);
        assert!(
            matches!(&many, Err(StoreError::Corrupt { table: "meta", .. })),
            "{many:?}"
        );
        tables
            .set_meta_u64(META_NEXT_USER, u64::MAX - 1)
            .expect("meta");
        tables
            .upsert_person(&person("d", "Di", "D", "d@x.test"))
            .expect("the last id");
        assert_eq!(tables.user_id("d").expect("read"), Some(u64::MAX - 1));
    }

    #[test]
    fn schema_1_files_get_their_search_index_rebuilt_on_open() {
        let db = memory_db();
        prepare(&db).expect("create");
        let people = [
            person("ja", "José", "Álvarez", "jalvarez@acme.test"),
            person("js", "Joan", "Smith", "joan@acme.test"),
        ];
        // Write the people, then turn the file back into what schema 1 left on disk.
        let txn = db.begin_write().expect("write");
        {
            let mut tables = Tables::open(&txn).expect("tables");
            tables.upsert_people(&people).expect("people");
            tables.set_meta_u64(META_SCHEMA, 1).expect("meta");
            for p in &people {
                let user = tables.user_id(&p.id).expect("id").expect("stored");
                let key = p.sort_key();
                for prefix in v1_prefixes(p) {
                    tables
                        .prefix_sortkey_userid
                        .insert((prefix.as_str(), key.as_str(), user), ())
                        .expect("row");
                }
            }
        }
        txn.commit().expect("commit");
        let stale = check_invariants(&Reader::new(db.begin_read().expect("read"))).expect("check");
        assert!(
            !stale.is_empty(),
            "schema 1 rows must differ from schema 2 rows"
        );
        back_to_json_people(&db);

        prepare(&db).expect("migrate");
        let reader = Reader::new(db.begin_read().expect("read"));
        assert_eq!(check_invariants(&reader).expect("check"), Vec::new());
        assert_eq!(
            schema_version(&reader),
            Some(SCHEMA_VERSION.to_le_bytes().to_vec())
        );
        assert_eq!(found(&db, "José Álv"), vec!["ja"]);
        assert_eq!(found(&db, "jo"), vec!["ja", "js"]);
        assert_eq!(found(&db, "jalvarez@acme"), vec!["ja"]);
        assert!(found(&db, "varez").is_empty());
        // A second open finds nothing to migrate and changes nothing.
        prepare(&db).expect("reopen");
        let reader = Reader::new(db.begin_read().expect("read"));
        assert_eq!(check_invariants(&reader).expect("check"), Vec::new());
    }

    /// A file of schema `version` whose search index lacks the prefixes of
    /// `people[0]` that `lacked` names, as that schema made it: the people stored,
    /// those rows removed, the version set.
    fn older_search_index(
        version: u64,
        people: &[Person],
        lacked: impl Fn(&str) -> bool,
    ) -> Database {
        let db = memory_db();
        prepare(&db).expect("create");
        let txn = db.begin_write().expect("write");
        {
            let mut tables = Tables::open(&txn).expect("tables");
            tables.upsert_people(people).expect("people");
            tables.set_meta_u64(META_SCHEMA, version).expect("meta");
            let p = &people[0];
            let user = tables.user_id(&p.id).expect("id").expect("stored");
            let key = p.sort_key();
            for prefix in p.search_prefixes().into_iter().filter(|x| lacked(x)) {
                tables
                    .prefix_sortkey_userid
                    .remove((prefix.as_str(), key.as_str(), user))
                    .expect("row");
            }
        }
        txn.commit().expect("commit");
        db
    }

    /// Opens `db` as a host does, which migrates it, and checks it came out whole and
    /// on this host's schema.
    fn migrated(db: &Database) {
        prepare(db).expect("migrate");
        let reader = Reader::new(db.begin_read().expect("read"));
        assert_eq!(check_invariants(&reader).expect("check"), Vec::new());
        assert_eq!(
            schema_version(&reader),
            Some(SCHEMA_VERSION.to_le_bytes().to_vec())
        );
    }

    /// A schema 4 file indexed hyphenated names whole: on open its index is rebuilt,
    /// and either half of such a name finds the person.
    #[test]
    fn schema_4_files_get_the_parts_of_hyphenated_names_indexed_on_open() {
        let people = [
            person("jp", "Jean-Pierre", "Dupont-Moretti", "jp@acme.test"),
            person("js", "Joan", "Smith", "joan@acme.test"),
        ];
        // What schema 4 indexed: each name word whole, never its parts.
        let parts = ["jean", "pierre", "dupont", "moretti"];
        let kept: Vec<String> = people[0]
            .search_tokens()
            .into_iter()
            .filter(|t| !parts.contains(&t.as_str()))
            .collect();
        let still = crate::store::normalize::prefixes(kept.iter().map(String::as_str));
        let db = older_search_index(4, &people, |prefix| !still.iter().any(|s| s == prefix));
        assert!(found(&db, "pierre").is_empty(), "the schema 4 index");
        assert!(found(&db, "moretti").is_empty(), "the schema 4 index");

        migrated(&db);
        assert_eq!(found(&db, "pierre"), vec!["jp"]);
        assert_eq!(found(&db, "moretti j"), vec!["jp"]);
        assert_eq!(found(&db, "jo"), vec!["js"]);
    }

    /// A schema 5 file indexed names in Chinese, Japanese or Korean letters only by
    /// their Chinese readings: on open its index is rebuilt, and the letters as
    /// written find the person, where before 山 found nobody it should.
    #[test]
    fn schema_5_files_get_names_in_their_own_script_indexed_on_open() {
        let people = [
            person("yamada", "太郎", "山田", "taro@acme.test"),
            person("shannon", "Shannon", "Smith", "shannon@acme.test"),
        ];
        // What schema 5 indexed: no token with a letter kept as written.
        let db = older_search_index(5, &people, |prefix| {
            prefix
                .chars()
                .any(crate::store::normalize::keeps_its_script)
        });
        assert!(found(&db, "山").is_empty(), "the schema 5 index");

        migrated(&db);
        assert_eq!(found(&db, "山"), vec!["yamada"]);
        assert_eq!(found(&db, "山田太郎"), vec!["yamada"]);
        assert_eq!(
            found(&db, "shan"),
            vec!["yamada", "shannon"],
            "the reading still finds"
        );
    }

    /// A schema 6 file indexed O'Brien as "o" and "brien" only: on open its index is
    /// rebuilt, and the name typed without its apostrophe finds him.
    #[test]
    fn schema_6_files_get_names_without_their_apostrophes_indexed_on_open() {
        let people = [
            person("liam", "Liam", "O'Brien", "liam@acme.test"),
            person("olga", "Olga", "Brown", "olga@acme.test"),
        ];
        let kept: Vec<String> = people[0]
            .search_tokens()
            .into_iter()
            .filter(|t| t != "obrien")
            .collect();
        let still = crate::store::normalize::prefixes(kept.iter().map(String::as_str));
        let db = older_search_index(6, &people, |prefix| !still.iter().any(|s| s == prefix));
        assert!(found(&db, "obrien").is_empty(), "the schema 6 index");

        migrated(&db);
        assert_eq!(found(&db, "obrien"), vec!["liam"]);
        assert_eq!(found(&db, "o'brien"), vec!["liam"]);
        assert_eq!(found(&db, "brien"), vec!["liam"], "the parts still find");
        assert_eq!(found(&db, "o"), vec!["olga", "liam"]);
    }

    /// A schema 7 file looked for apostrophes before transliteration, and indexed
    /// Кузьмина (whose soft sign deunicode spells `'`) as "kuz" and "mina" only: on
    /// open its index is rebuilt, and her name as written finds her.
    #[test]
    fn schema_7_files_get_names_with_a_soft_sign_indexed_on_open() {
        let people = [
            person("olga", "Ольга", "Кузьмина", "olga@acme.test"),
            person("kuzma", "Kuzma", "Petrov", "kuzma@acme.test"),
        ];
        let kept: Vec<String> = people[0]
            .search_tokens()
            .into_iter()
            .filter(|t| t != "kuzmina")
            .collect();
        let still = crate::store::normalize::prefixes(kept.iter().map(String::as_str));
        let db = older_search_index(7, &people, |prefix| !still.iter().any(|s| s == prefix));
        assert!(found(&db, "kuzmina").is_empty(), "the schema 7 index");

        migrated(&db);
        assert_eq!(found(&db, "Кузьмина"), vec!["olga"]);
        assert_eq!(found(&db, "kuzmina"), vec!["olga"]);
        assert_eq!(found(&db, "mina"), vec!["olga"], "the parts still find");
    }

    /// A schema 8 file indexed each token's first word only, and a query was scanned
    /// by its first word: an address whose `+` folding made a space
    /// ("jo news@acme.test") was not found by its second word. On open the index is
    /// rebuilt, and a query scanned by its longest word finds it.
    #[test]
    fn schema_8_files_get_every_word_of_an_address_indexed_on_open() {
        let people = [
            person("jo", "Jo", "Ng", "jo+news@acme.test"),
            person("newton", "Newton", "Wu", "newton@acme.test"),
        ];
        // What schema 8 lacked: the prefixes of "news" that "ng" does not share.
        let db = older_search_index(8, &people, |prefix| ["ne", "new", "news"].contains(&prefix));
        assert!(found(&db, "news").is_empty(), "the schema 8 index");
        assert!(found(&db, "jo news").is_empty(), "the schema 8 index");

        migrated(&db);
        assert_eq!(found(&db, "news"), vec!["jo"]);
        assert_eq!(found(&db, "jo news"), vec!["jo"]);
        assert_eq!(found(&db, "jo+news@acme"), vec!["jo"], "typed whole");
        assert_eq!(found(&db, "new"), vec!["jo", "newton"]);
    }

    /// A schema 9 file indexed a screen name that starts with `@` by nothing (its
    /// head ends at the sign), and a mention typed is looked up without it: on open
    /// the index is rebuilt, and "@jdoe" and "jdoe" find the person.
    #[test]
    fn schema_9_files_get_handles_indexed_without_their_sign_on_open() {
        let mut handle = person("ann", "Ann", "Lee", "ann@acme.test");
        handle.alternate_name = "@jdoe".into();
        let people = [handle, person("bo", "Bo", "Ng", "bo@acme.test")];
        let db = older_search_index(9, &people, |prefix| {
            ["j", "jd", "jdo", "jdoe"].contains(&prefix)
        });
        assert!(found(&db, "@jdoe").is_empty(), "the schema 9 index");

        migrated(&db);
        assert_eq!(found(&db, "@jdoe"), vec!["ann"]);
        assert_eq!(found(&db, "jdo"), vec!["ann"]);
    }

    /// What the index holds for a person is frozen as the folding is: a change to the
    /// words a name makes (an apostrophe looked for after transliteration, a spelling
    /// added) leaves files indexed the old way without rows their searches scan, so it
    /// needs a schema version whose migration rebuilds the index. This fingerprint of
    /// the search words of names of many kinds fails until the fingerprint is written
    /// anew beside the version raised.
    #[test]
    fn search_words_are_what_the_index_was_made_with() {
        let names = [
            ("Liam", "O'Brien"),
            ("Ольга", "Кузьмина"),
            ("Ana", "D’Souza"),
            ("Kekoa", "Kaʻiana"),
            ("Siobhán", "Ó Súilleabháin"),
            ("Jean-Luc", "Picard-Dupont"),
            ("José", "Álvarez García"),
            ("太郎", "山田"),
            ("ｽﾐｽ", "ジョン"),
            ("민준", "김"),
            ("Zoë", "van der Berg"),
            ("Ngọc", "Nguyễn"),
            ("Αλέξης", "Παπαδόπουλος"),
            ("محمد", "العلي"),
            ("Łukasz", "Żółć"),
            ("Bjørn", "Ødegård"),
        ];
        use crate::store::EmailAddress;
        let mut people: Vec<Person> = names
            .iter()
            .enumerate()
            .map(|(n, (given, family))| {
                let id = format!("p{n}");
                person(&id, given, family, &format!("{id}@acme.test"))
            })
            .collect();
        // The other fields whose words are searched: a middle name, screen names and
        // addresses that folding splits or that start with a sign, other addresses,
        // words longer than a prefix.
        for (n, (screen, email, other)) in [
            ("Pepe Alv", "jo+news@acme.test", "jla@work.example"),
            ("@handle", "tess+lists+x@acme.test", "a.b+c@other.example"),
            ("jean-pierre.x", "o'brien@acme.test", "山田@acme.test"),
            (
                "山田 taro",
                "verylongaddresspart@acme.test",
                "Ünïcödé@acme.test",
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let mut p = person(&format!("q{n}"), "Ana", "Bell", email);
            p.additional_name = "María José".into();
            p.alternate_name = screen.into();
            p.user_account_contact_information.email_addresses = vec![EmailAddress {
                email_address: other.into(),
                ..EmailAddress::default()
            }];
            people.push(p);
        }
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for p in &people {
            let mut words = p.search_prefixes();
            words.sort();
            for b in words.join(" ").bytes().chain([0]) {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        // With the version: a new fingerprint cannot be written in without it.
        assert_eq!(
            (SCHEMA_VERSION, hash),
            (10, 7_012_015_317_943_732_008),
            "the words a name is searched by changed: raise SCHEMA_VERSION, whose migration rebuilds the search index, and write both here"
        );
    }

    #[test]
    fn files_without_the_pending_index_get_it_filled_on_open() {
        // Schema 3, a file an early build of schema 4 made without it (missing), and
        // one such a build wrote to after a newer build had made it (stale: a row of
        // a request it answered is left).
        for (version, stale) in [(3, false), (SCHEMA_VERSION, false), (4, true)] {
            let db = memory_db();
            prepare(&db).expect("create");
            let txn = db.begin_write().expect("write");
            let opened = {
                let mut tables = Tables::open(&txn).expect("tables");
                let ids: Vec<UserId> = ["a", "b", "c"]
                    .iter()
                    .map(|id| {
                        let email = format!("{id}@example.com");
                        tables
                            .upsert_person(&person(id, "P", id, &email))
                            .expect("person")
                    })
                    .collect();
                let first = tables.open_request(ids[0], ids[2], 1).expect("a asks c");
                let answered = tables.open_request(ids[1], ids[0], 2).expect("b asks a");
                tables.close_request(answered).expect("a ignores b");
                let second = tables.open_request(ids[1], ids[2], 3).expect("b asks c");
                tables.set_meta_u64(META_SCHEMA, version).expect("meta");
                if stale {
                    tables
                        .receiverid_requestid
                        .insert((ids[0], answered), ())
                        .expect("a row left behind");
                }
                [first, second]
            };
            if !stale {
                txn.delete_table(RECEIVERID_REQUESTID).expect("as it was");
            }
            txn.commit().expect("commit");

            prepare(&db).expect("migrate");
            let reader = Reader::new(db.begin_read().expect("read"));
            assert_eq!(check_invariants(&reader).expect("check"), Vec::new());
            let newest: Vec<u64> = reader
                .newest_requests_received("c", 10)
                .expect("notifications")
                .iter()
                .map(|r| r.request_id)
                .collect();
            assert_eq!(newest, [opened[1], opened[0]], "from schema {version}");
            assert!(reader.newest_requests_received("a", 10).unwrap().is_empty());
        }
    }

    /// Deleting a person takes their own request index rows, even one whose request
    /// record is gone (a damaged file): a row left behind would name a deleted person.
    #[test]
    fn a_deleted_persons_request_rows_go_even_where_the_request_is_gone() {
        let db = memory_db();
        prepare(&db).expect("create");
        let txn = db.begin_write().expect("write");
        let (a, request) = {
            let mut tables = Tables::open(&txn).expect("tables");
            let a = tables
                .upsert_person(&person("a", "P", "a", "a@example.com"))
                .expect("a");
            let b = tables
                .upsert_person(&person("b", "P", "b", "b@example.com"))
                .expect("b");
            let request = tables.open_request(a, b, 1).expect("a asks b");
            tables.requestid_request.remove(request).expect("damage");
            assert!(tables.delete_person("a").expect("delete"));
            (a, request)
        };
        txn.commit().expect("commit");
        let reader = db.begin_read().expect("read");
        let rows = reader.open_table(USERID_REQUESTID).expect("table");
        assert!(rows.get((a, request)).expect("get").is_none());
    }

    /// Likewise a contact's rows: its record lost, only its owner's deletion can still
    /// take them, and does; another person's contacts stay.
    #[test]
    fn a_deleted_persons_contact_rows_go_even_where_the_contact_is_gone() {
        let db = memory_db();
        prepare(&db).expect("create");
        let txn = db.begin_write().expect("write");
        // The one deleted is made between two others, whose rows sit on either side
        // of theirs.
        let kept = {
            let mut tables = Tables::open(&txn).expect("tables");
            let mut ids = Vec::new();
            for id in ["a", "m", "z"] {
                let email = format!("{id}@example.com");
                ids.push(
                    tables
                        .upsert_person(&person(id, "P", id, &email))
                        .expect(id),
                );
            }
            let entry = |owner| Entry {
                entry_id: 0,
                owner,
                full_name: "Cy".into(),
                email_address: "cy@x.test".into(),
                comments: String::new(),
            };
            let mut contacts = Vec::new();
            for &owner in &ids {
                contacts.push(tables.put_entry(entry(owner)).expect("a contact"));
            }
            tables.entryid_entry.remove(contacts[1]).expect("damage");
            assert!(tables.delete_person("m").expect("delete"));
            vec![ids[0], ids[2]]
        };
        txn.commit().expect("commit");
        let reader = db.begin_read().expect("read");
        let ids = reader.open_table(USERID_ENTRYID).expect("table");
        let emails = reader.open_table(USERID_ENTRYEMAIL).expect("table");
        let names = reader
            .open_table(USERID_ENTRYSORTKEY_ENTRYID)
            .expect("table");
        let owners: [Vec<u64>; 3] = [
            ids.iter()
                .expect("rows")
                .map(|r| r.expect("row").0.value().0)
                .collect(),
            emails
                .iter()
                .expect("rows")
                .map(|r| r.expect("row").0.value().0)
                .collect(),
            names
                .iter()
                .expect("rows")
                .map(|r| r.expect("row").0.value().0)
                .collect(),
        ];
        // One row of each index is left for each of the other two.
        assert_eq!(owners, [kept.clone(), kept.clone(), kept]);
    }

    /// Rebuilding the search index ends at the largest id a file can hold, where the
    /// next id to look from would overflow.
    #[test]
    fn the_search_index_rebuild_ends_at_the_largest_id() {
        let db = memory_db();
        prepare(&db).expect("create");
        let txn = db.begin_write().expect("write");
        {
            let mut tables = Tables::open(&txn).expect("tables");
            let a = tables
                .upsert_person(&person("a", "Ana", "Lima", "a@example.com"))
                .expect("a");
            // Only a foreign file holds the largest id: ours stop one short.
            let ana = person("a", "Ana", "Lima", "a@example.com");
            tables.userid_person.remove(a).expect("moved");
            record::put(&mut tables.userid_person, u64::MAX, &ana).expect("at the end");
            tables
                .prefix_sortkey_userid
                .retain(|_, _| false)
                .expect("empty");
            tables.rebuild_search_index().expect("rebuilt");
            let rows = redb::ReadableTableMetadata::len(&tables.prefix_sortkey_userid);
            assert!(rows.expect("len") > 0);
        }
        txn.abort().expect("abort");
    }

    /// Sort keys, search prefixes and contact entries' sort keys are stored folded, and
    /// rows are removed by folding again: a deunicode upgrade that folds any character
    /// differently would leave rows no removal finds. This fingerprint of the folding
    /// of every character is frozen: when it changes, the upgrade needs
    /// a schema version whose migration rebuilds the keys (design-notes, "Stored keys
    /// are folded").
    #[test]
    fn folding_is_what_the_stored_keys_were_made_with() {
        // FNV-1a, 64 bits: stable across Rust releases, as std's hasher is not.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for b in bytes {
                hash ^= u64::from(*b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let text = c.to_string();
            feed(crate::store::fold(&text).as_bytes());
            feed(&[0]);
        }
        assert_eq!(
            hash, 10_191_350_630_413_634_113,
            "folding changed: the stored keys need rebuilding"
        );
        // Search prefixes are also made of `fold_for_search`, which keeps some
        // letters as written (schema 6).
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let text = c.to_string();
            for b in crate::store::fold_for_search(&text).bytes().chain([0]) {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        assert_eq!(
            hash, 1_921_391_896_558_071_011,
            "search folding changed: the search index needs rebuilding"
        );
    }

    #[test]
    fn newer_schemas_are_refused() {
        let db = memory_db();
        prepare(&db).expect("create");
        let txn = db.begin_write().expect("write");
        {
            let mut tables = Tables::open(&txn).expect("tables");
            tables
                .set_meta_u64(META_SCHEMA, SCHEMA_VERSION + 1)
                .expect("meta");
        }
        txn.commit().expect("commit");
        assert!(matches!(
            prepare(&db),
            Err(StoreError::SchemaTooNew { found, .. }) if found == SCHEMA_VERSION + 1
        ));
    }

    /// Another application's redb file is refused, not taken over: no table of the
    /// host's is added to it, and it keeps what it held.
    #[test]
    fn a_redb_file_of_another_application_is_refused_untouched() {
        const THEIRS: TableDefinition<&str, u64> = TableDefinition::new("their_counts");
        let db = memory_db();
        let txn = db.begin_write().expect("write");
        txn.open_table(THEIRS)
            .expect("theirs")
            .insert("visits", 7)
            .expect("insert");
        txn.commit().expect("commit");
        let refused = prepare(&db).expect_err("a file without a schema version");
        assert!(refused.is_damage(), "{refused:?}");
        assert!(
            refused.to_string().contains("not widget-host's database"),
            "{refused}"
        );
        let read = db.begin_read().expect("read");
        let names: Vec<String> = read
            .list_tables()
            .expect("list")
            .map(|t| t.name().to_owned())
            .collect();
        assert_eq!(names, ["their_counts"]);
        let theirs = read.open_table(THEIRS).expect("theirs");
        assert_eq!(
            theirs.get("visits").expect("get").map(|v| v.value()),
            Some(7)
        );
        // A new file, with no table at all, is the host's to make.
        let fresh = memory_db();
        prepare(&fresh).expect("a new file");
        prepare(&fresh).expect("and opened again");
    }
}
