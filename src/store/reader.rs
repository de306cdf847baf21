//! The read side: one MVCC read transaction per render, so a page sees one consistent
//! snapshot and never waits for the writer.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use redb::{ReadOnlyTable, ReadTransaction, TableDefinition};

use super::graph::{Entry, RequestStatus, SocialRequest};
use super::normalize::{
    every_word_starts, fold, fold_without_apostrophes, name_words, scan_prefix, script_fold,
    search_query, words_of_whole,
};
use super::record::{self, Decode, PersonRecord};
use super::tables::{self, count, decode, list};
use super::{EntryId, Person, RequestId, Searchable, StoreError, UserId};

/// A portlet's preferences: name → values (portlet-id-with-instance keyed).
pub type Preferences = BTreeMap<String, Vec<String>>;

/// How the viewer and another person stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relationship {
    pub connected: bool,
    /// The viewer asked the other to connect; pending.
    pub connection_requested: bool,
    /// The other asked the viewer; pending.
    pub connection_request_received: bool,
    pub following: bool,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub mutual_connections: u64,
}

/// A user's counters, read in O(1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub connections: u64,
    pub following: u64,
    pub followers: u64,
    /// Pending connection requests received.
    pub requests: u64,
    /// Personal contacts ("My Contacts").
    pub contacts: u64,
}

/// Which people a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Filter {
    All,
    Connections,
    Following,
    Followers,
    /// Personal entries.
    Contacts,
    /// Pending requests received.
    Requests,
    /// Pending requests sent.
    RequestsSent,
    Blocked,
}

impl Filter {
    /// The render parameter value (`filter=`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "all" => Self::All,
            "connections" => Self::Connections,
            "following" => Self::Following,
            "followers" => Self::Followers,
            "contacts" => Self::Contacts,
            "requests" => Self::Requests,
            "requests-sent" => Self::RequestsSent,
            "blocked" => Self::Blocked,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Connections => "connections",
            Self::Following => "following",
            Self::Followers => "followers",
            Self::Contacts => "contacts",
            Self::Requests => "requests",
            Self::RequestsSent => "requests-sent",
            Self::Blocked => "blocked",
        }
    }

    fn list_kind(self) -> Option<u8> {
        Some(match self {
            Self::Connections => list::CONNECTIONS,
            Self::Following => list::FOLLOWING,
            Self::Followers => list::FOLLOWERS,
            Self::Requests => list::RECEIVED,
            Self::RequestsSent => list::SENT,
            Self::Blocked => list::BLOCKED,
            Self::All | Self::Contacts => return None,
        })
    }
}

/// One row of a list: a person of the directory, or a personal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    Person(Person),
    Entry(Entry),
}

/// A page of a list, with the opaque cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A pending request as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView {
    pub request_id: RequestId,
    /// The other person (requester for received, receiver for sent).
    pub person: Person,
    pub created_at: u64,
}

/// The key of a received-requests cursor, beside the last request id shown: marks
/// the cursor as one of that order.
const RECEIVED_CURSOR: &str = "received";

/// Most rows of a connection list one mutual-connection count walks: bounds a card's
/// cost (a few milliseconds) for people with huge degrees.
pub const MUTUAL_SCAN_LIMIT: usize = 5_000;

/// How many times longer than the rows walked the other list of a mutual-connection
/// count may be for it to be stepped through rather than probed row by row (see
/// `Reader::walk_mutuals`).
const MUTUAL_MERGE_FACTOR: u64 = 6;

/// Most rows one page of a search reads and rejects before it stops. A query whose
/// scanned word is common (a multi-word name, a filter over a hub's 20,000
/// connections) would otherwise read every candidate to fill one page: the page
/// returns what it found with a cursor after the last row read, and "View more" goes
/// on from there.
pub const SEARCH_SCAN_LIMIT: usize = 1_000;

/// Most rows of a page kept for [`Reader::read_lists_over_page`]: as many as the
/// largest page a placement shows (100, or a first page of up to `MAX_ROWS`, 200,
/// when the script asks for the rows it had) and more than an export reads at once
/// (pages of 100); a tool's call of `list` may ask for more.
const MOST_PAGE_ROWS_KEPT: usize = 200;

/// A page being filled: the rows taken with their index keys, where the scan
/// stopped, whether more follow.
struct Filling {
    items: Vec<Listed>,
    /// The sort key and id of each row taken, in the index's order.
    keys: Vec<(String, u64)>,
    limit: usize,
    /// Where a search stopped after rejecting too many rows, past the last row taken.
    stopped: Option<(String, u64)>,
    more: bool,
    skipped: usize,
}

impl Filling {
    fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        // A page is rarely more than a hundred rows; a larger limit (an export's)
        // grows as it fills.
        let room = limit.min(100);
        Self {
            items: Vec::with_capacity(room),
            keys: Vec::with_capacity(room),
            limit,
            stopped: None,
            more: false,
            skipped: 0,
        }
    }

    /// Keeps a row; false once the page is full and this row is left for the next.
    fn take(&mut self, key: &str, id: u64, item: Listed) -> bool {
        if self.items.len() == self.limit {
            self.more = true;
            return false;
        }
        self.items.push(item);
        self.keys.push((key.to_owned(), id));
        true
    }

    /// Whether the page is already full, so that the row found now only says that
    /// more follow (it is the next page's first, and need not be read): noted so.
    fn full(&mut self) -> bool {
        let full = self.items.len() == self.limit;
        if full {
            self.more = true;
        }
        full
    }

    /// Counts a row the query rejected. The [`SEARCH_SCAN_LIMIT`]th ends the page, and
    /// the next page starts after it; whether one follows, the next row tells
    /// ([`Filling::stopped_before`]): a list whose last row was the one, such as My
    /// Contacts at its 1,000 entries, has nothing more to search.
    fn skip(&mut self, key: &str, id: u64) {
        self.skipped += 1;
        if self.skipped == SEARCH_SCAN_LIMIT {
            self.stopped = Some((key.to_owned(), id));
        }
    }

    /// Whether the page ended at a rejected row before the one found now, which then
    /// only says that more follow (it need not be read): noted so.
    fn stopped_before(&mut self) -> bool {
        let stopped = self.stopped.is_some();
        if stopped {
            self.more = true;
        }
        stopped
    }

    /// The page; the keys of its rows stay for [`Reader::scan`] to keep.
    fn done(&mut self) -> Page<Listed> {
        let last = self.stopped.as_ref().or(self.keys.last());
        let next_cursor = match last {
            Some((k, id)) if self.more => Some(cursor_encode(k, *id)),
            _ => None,
        };
        Page {
            items: std::mem::take(&mut self.items),
            next_cursor,
        }
    }
}

/// Which side of pending connection requests a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestSide {
    /// Requests the user received (the Notifications widget, "Requests").
    Received,
    /// Requests the user sent.
    Sent,
}

type PairTable = ReadOnlyTable<(u64, u64), ()>;

/// A list index: (owner, list kind, sort key, other) rows.
type ListTable = ReadOnlyTable<(u64, u8, &'static str, u64), ()>;

/// The tables a render reads row after row, each opened on first use and then kept for
/// the snapshot's life: opening a table walks redb's table tree, which the profile
/// showed costing more than the point lookups made in it.
#[derive(Default)]
struct OpenTables {
    sortkey_userid: OnceLock<ReadOnlyTable<(&'static str, u64), ()>>,
    prefix_sortkey_userid: OnceLock<ReadOnlyTable<(&'static str, &'static str, u64), ()>>,
    userid_list_sortkey_otherid: OnceLock<ListTable>,
    portletid_preferences: OnceLock<ReadOnlyTable<&'static str, &'static [u8]>>,
    portalid_userid: OnceLock<ReadOnlyTable<&'static str, u64>>,
    userid_person: OnceLock<ReadOnlyTable<u64, PersonRecord>>,
    userid_counts: OnceLock<ReadOnlyTable<u64, [u64; 5]>>,
    userid_connectedid: OnceLock<PairTable>,
    userid_followingid: OnceLock<PairTable>,
    userid_followerid: OnceLock<PairTable>,
    userid_blockedid: OnceLock<PairTable>,
    userid_blockerid: OnceLock<PairTable>,
    requesterid_receiverid: OnceLock<ReadOnlyTable<(u64, u64), u64>>,
    receiverid_requesterid: OnceLock<ReadOnlyTable<(u64, u64), u64>>,
    /// Read a row at a time by My Contacts, the Requests tab and the notifications.
    entryid_entry: OnceLock<ReadOnlyTable<u64, &'static [u8]>>,
    requestid_request: OnceLock<ReadOnlyTable<u64, &'static [u8]>>,
    /// Whether every list row sits under its person's current sort key (no rename
    /// has rows left to move): see [`Reader::read_lists_over_page`].
    lists_in_order: OnceLock<bool>,
}

/// What a snapshot knows of one (owner, other) pair from the owner's lists, one bit
/// per `tables::list` kind.
#[derive(Debug, Clone, Copy, Default)]
struct Listing {
    /// The lists a read found the other in.
    on: u8,
    /// The lists read over the other's place: for these, `on` is the whole answer,
    /// and a bit left clear means the other is not in that list.
    read: u8,
}

/// The people of the last page [`Reader::scan`] filled from the directory or from a
/// list, with their sort keys in the index's order.
#[derive(Default)]
struct PageRows {
    rows: Vec<(String, UserId)>,
    /// The list the page came from, whose rows `listed` already has.
    source: Option<u8>,
    /// The viewer whose lists were read over the page.
    read_for: Option<UserId>,
}

/// Whether a viewer has any block or pending request at all, either way. Most people
/// have none, and then no row of theirs needs the four lookups that would find one.
#[derive(Debug, Clone, Copy)]
struct Sides {
    blocks: bool,
    blocked_by: bool,
    sent: bool,
    received: bool,
}

/// One read transaction of the store and the tables opened in it. Readers share one
/// while no commit has happened since it began (see `Store::read`): a snapshot never
/// changes, and opening its tables afresh for every render was 5% of a list render.
pub(crate) struct Snapshot {
    txn: ReadTransaction,
    open: OpenTables,
    /// Where its readers add up what they did as each ends, for a store's snapshots;
    /// `None` for one made apart from a store. Kept here, not in each reader, so that
    /// a render pays nothing for it but the additions.
    totals: Option<Arc<ReadTotals>>,
}

impl Snapshot {
    pub(crate) fn new(txn: ReadTransaction) -> Self {
        Self {
            txn,
            open: OpenTables::default(),
            totals: None,
        }
    }

    /// A snapshot whose readers add what they did to `totals`.
    pub(crate) fn counted(txn: ReadTransaction, totals: &Arc<ReadTotals>) -> Self {
        Self {
            totals: Some(Arc::clone(totals)),
            ..Self::new(txn)
        }
    }
}

/// One consistent snapshot of the store. A reader belongs to one render on one thread.
pub struct Reader {
    snap: Arc<Snapshot>,
    /// Portal ids already resolved in this snapshot (the viewer, and every person a
    /// page listed), so a row's standing needs no id lookups. The snapshot never
    /// changes, so neither can these.
    ///
    /// This map and the two below hash with Fx, not std's SipHash: they live for one
    /// render and hold the rows it read (at most a page, a search's skipped rows or
    /// an export), keyed by the store's own numbers or by directory ids the portal
    /// wrote, never by keys a browser picks. SipHash's guard against flooding bought
    /// nothing there, and its hashing was 3% of a list render.
    ids: RefCell<FxHashMap<String, UserId>>,
    /// For each (owner, other) pair a page read from the owner's lists, which lists
    /// hold it and which were read over its place. Those are facts of this snapshot,
    /// so a row's standing need not look them up again; see [`Self::standing_of`].
    listed: RefCell<FxHashMap<(UserId, UserId), Listing>>,
    /// The last page's people, for [`Self::read_lists_over_page`].
    page: RefCell<PageRows>,
    /// [`Sides`] of each viewer whose standing this snapshot computed.
    sides: RefCell<FxHashMap<UserId, Sides>>,
    /// Point lookups the standings of this snapshot made, for the tests that hold a
    /// list row to its budget.
    standing_lookups: Cell<u32>,
    /// The last pair whose mutual connections this snapshot walked, with what the walk
    /// found: a card counts them, then shows the first few, from one walk.
    mutuals: RefCell<Option<Mutuals>>,
    /// Walks of a connection list for mutual connections this snapshot made.
    mutual_walks: Cell<u32>,
}

/// The standing lookups and mutual-connection walks of all of a store's readers,
/// added up as each reader ends: a render makes its own reader, and the tests that
/// hold a render to its budget read these around it. At most two relaxed additions a
/// reader, not one a lookup.
#[derive(Debug, Default)]
pub(crate) struct ReadTotals {
    standing_lookups: AtomicU64,
    mutual_walks: AtomicU64,
}

impl ReadTotals {
    /// Standing lookups, and mutual-connection walks, of the readers ended so far.
    pub(crate) fn get(&self) -> (u64, u64) {
        (
            self.standing_lookups.load(Ordering::Relaxed),
            self.mutual_walks.load(Ordering::Relaxed),
        )
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(totals) = &self.snap.totals {
            let (lookups, walks) = (self.standing_lookups.get(), self.mutual_walks.get());
            if lookups > 0 {
                totals
                    .standing_lookups
                    .fetch_add(u64::from(lookups), Ordering::Relaxed);
            }
            if walks > 0 {
                totals
                    .mutual_walks
                    .fetch_add(u64::from(walks), Ordering::Relaxed);
            }
        }
    }
}

/// A pair of people, smaller id first, and the people connected to both.
type Mutuals = ((UserId, UserId), Vec<UserId>);

/// `cell`'s table, opening it from `txn` the first time.
fn opened<'c, K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &ReadTransaction,
    cell: &'c OnceLock<ReadOnlyTable<K, V>>,
    def: TableDefinition<K, V>,
) -> Result<&'c ReadOnlyTable<K, V>, StoreError> {
    if let Some(table) = cell.get() {
        return Ok(table);
    }
    let table = txn.open_table(def)?;
    Ok(cell.get_or_init(|| table))
}

fn cursor_encode(key: &str, id: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{key}\u{0}{id}"))
}

/// Whether `cursor` is one this host writes. Renders drop one that is not and show the
/// first page (a mangled link still shows a page); the JSON resources refuse it.
pub fn is_cursor(cursor: &str) -> bool {
    cursor_decode(cursor).is_ok()
}

fn cursor_decode(cursor: &str) -> Result<(String, u64), StoreError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::BadCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| StoreError::BadCursor)?;
    let (key, id) = text.split_once('\u{0}').ok_or(StoreError::BadCursor)?;
    let id = id.parse().map_err(|_| StoreError::BadCursor)?;
    Ok((key.to_owned(), id))
}

impl Reader {
    /// A reader of a snapshot of its own.
    pub(crate) fn new(txn: ReadTransaction) -> Self {
        Self::of(Arc::new(Snapshot::new(txn)))
    }

    /// Whether `other` reads the same snapshot, shared (see `Store::read`).
    #[cfg(test)]
    pub(crate) fn shares_snapshot_with(&self, other: &Reader) -> bool {
        Arc::ptr_eq(&self.snap, &other.snap)
    }

    /// A reader of `snap`, which other readers may share.
    pub(crate) fn of(snap: Arc<Snapshot>) -> Self {
        Self {
            snap,
            // Room for a page's rows, both ways, without growing.
            ids: RefCell::new(FxHashMap::with_capacity_and_hasher(64, Default::default())),
            listed: RefCell::new(FxHashMap::with_capacity_and_hasher(64, Default::default())),
            page: RefCell::default(),
            sides: RefCell::default(),
            standing_lookups: Cell::new(0),
            mutuals: RefCell::new(None),
            mutual_walks: Cell::new(0),
        }
    }

    pub(crate) fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<ReadOnlyTable<K, V>, StoreError> {
        Ok(self.snap.txn.open_table(def)?)
    }

    /// How many renamed people still have rows to move to their new place in
    /// everyone's lists (see `resort.rs`); 0 once every list is in order.
    pub fn resorts_pending(&self) -> Result<u64, StoreError> {
        match self.table_if_present(tables::USERID_RESORT)? {
            Some(table) => Ok(redb::ReadableTableMetadata::len(&table)?),
            None => Ok(0),
        }
    }

    /// `def`'s table, or `None` when this file has no such table (an older schema).
    pub(crate) fn table_if_present<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<Option<ReadOnlyTable<K, V>>, StoreError> {
        match self.snap.txn.open_table(def) {
            Ok(table) => Ok(Some(table)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// How many people the directory holds.
    pub fn directory_size(&self) -> Result<u64, StoreError> {
        Ok(redb::ReadableTableMetadata::len(
            &self.table(tables::USERID_PERSON)?,
        )?)
    }

    /// Internal id of a portal user id.
    pub fn user_id(&self, portal_id: &str) -> Result<Option<UserId>, StoreError> {
        if let Some(&id) = self.ids.borrow().get(portal_id) {
            return Ok(Some(id));
        }
        let table = opened(
            &self.snap.txn,
            &self.snap.open.portalid_userid,
            tables::PORTALID_USERID,
        )?;
        let id = table.get(portal_id)?.map(|v| v.value());
        if let Some(id) = id {
            self.remember(portal_id, id);
        }
        Ok(id)
    }

    fn remember(&self, portal_id: &str, user: UserId) {
        self.ids.borrow_mut().insert(portal_id.to_owned(), user);
    }

    pub(crate) fn person_by_user(&self, user: UserId) -> Result<Option<Person>, StoreError> {
        self.person_decoded(user, Decode::Full)
    }

    fn person_decoded(&self, user: UserId, how: Decode) -> Result<Option<Person>, StoreError> {
        let table = opened(
            &self.snap.txn,
            &self.snap.open.userid_person,
            tables::USERID_PERSON,
        )?;
        let Some(stored) = table.get(user)? else {
            return Ok(None);
        };
        let person = record::person(stored.value(), how)?;
        self.remember(&person.id, user);
        Ok(Some(person))
    }

    /// A listed person: the row's fields only, unless the page is for vCards.
    fn listed_person(&self, user: UserId, how: Decode) -> Result<Person, StoreError> {
        self.person_decoded(user, how)?.ok_or_else(|| {
            StoreError::corrupt("userid_person_record", format!("dangling id {user}"))
        })
    }

    /// A person of the directory.
    pub fn person(&self, portal_id: &str) -> Result<Option<Person>, StoreError> {
        match self.user_id(portal_id)? {
            None => Ok(None),
            Some(u) => self.person_by_user(u),
        }
    }

    /// How `viewer` and `other` stand: the seven booleans only, at most seven point
    /// lookups (fewer after a list read, see `standing_of`) and no scan, so a list
    /// page costs O(page) whatever the viewer's degree.
    /// `mutual_connections` is left at 0; the person's card uses [`Self::relationship`].
    /// Unknown people stand in no relation.
    pub fn standing(&self, viewer: &str, other: &str) -> Result<Relationship, StoreError> {
        let (Some(a), Some(b)) = (self.user_id(viewer)?, self.user_id(other)?) else {
            return Ok(Relationship::default());
        };
        self.standing_of(a, b)
    }

    /// The seven booleans, looking up only what this snapshot does not already say.
    ///
    /// The writer's rules keep three facts true in every committed snapshot, and
    /// `check_invariants` verifies them: nothing stands across a block (no connection,
    /// follow or pending request either way), no request is pending between connected
    /// people, and a request is pending one way at most. With them, with the rows the
    /// page itself read from the viewer's lists, and with the viewer's [`Sides`], a row
    /// of the viewer's connections costs two lookups (the follows) instead of seven,
    /// and a row of the directory three for a viewer without blocks or requests.
    ///
    /// Every lookup is keyed by the viewer first, in the reverse tables where the fact
    /// is the other's (followed by, blocked by, a request received): a page's lookups
    /// then fall in the few pages that hold the viewer's rows, which stay in the page
    /// cache from row to row, instead of one page each somewhere in the file.
    fn standing_of(&self, a: UserId, b: UserId) -> Result<Relationship, StoreError> {
        let o = &self.snap.open;
        let t = &self.snap.txn;
        let mut r = Relationship::default();
        if a == b {
            return Ok(r);
        }
        self.read_lists_over_page(a, b)?;
        let known = self
            .listed
            .borrow()
            .get(&(a, b))
            .copied()
            .unwrap_or_default();
        let on = |kind: u8| known.on & (1 << kind) != 0;
        // Whether a lookup in `kind` could still find something: not when that list
        // was read over b's place.
        let open = |kind: u8| known.read & (1 << kind) == 0;
        if known.on & !(1 << list::BLOCKED) == 0 {
            let sides = self.sides(a)?;
            let blocked = opened(t, &o.userid_blockedid, tables::USERID_BLOCKEDID)?;
            let blocker = opened(t, &o.userid_blockerid, tables::USERID_BLOCKERID)?;
            r.blocking = on(list::BLOCKED)
                || (sides.blocks && open(list::BLOCKED) && self.has(blocked, a, b)?);
            r.blocked_by = sides.blocked_by && self.has(blocker, a, b)?;
            if r.blocking || r.blocked_by {
                return Ok(r);
            }
        }
        let connected = opened(t, &o.userid_connectedid, tables::USERID_CONNECTEDID)?;
        r.connected =
            on(list::CONNECTIONS) || (open(list::CONNECTIONS) && self.has(connected, a, b)?);
        if !r.connected {
            let sides = self.sides(a)?;
            let sent = opened(t, &o.requesterid_receiverid, tables::REQUESTERID_RECEIVERID)?;
            let received = opened(t, &o.receiverid_requesterid, tables::RECEIVERID_REQUESTERID)?;
            r.connection_requested = on(list::SENT)
                || (!on(list::RECEIVED)
                    && sides.sent
                    && open(list::SENT)
                    && self.has(sent, a, b)?);
            r.connection_request_received = !r.connection_requested
                && (on(list::RECEIVED)
                    || (sides.received && open(list::RECEIVED) && self.has(received, a, b)?));
        }
        let following = opened(t, &o.userid_followingid, tables::USERID_FOLLOWINGID)?;
        let followers = opened(t, &o.userid_followerid, tables::USERID_FOLLOWERID)?;
        r.following =
            on(list::FOLLOWING) || (open(list::FOLLOWING) && self.has(following, a, b)?);
        r.followed_by =
            on(list::FOLLOWERS) || (open(list::FOLLOWERS) && self.has(followers, a, b)?);
        Ok(r)
    }

    /// Reads `a`'s lists over the place of the last page's rows, once per page: a
    /// range read per list, from the page's first row to its last, where every row
    /// would otherwise make a point lookup in each (three for a directory row). A
    /// range read costs about what one lookup does, and its rows a sixth of one each.
    ///
    /// Every list is sorted by the same key as the directory (the person's), so the
    /// rows of a page and of `a`'s list between them can be merged. Only while
    /// every list row sits under its person's current key: a renamed person's rows may
    /// still wait under an older key, outside the range (`resort.rs`), and then each
    /// row is looked up as before. A list read stops after twice the page's rows (a
    /// page of one list may lie far apart in another, with many of `a`'s rows between
    /// its own): the page's rows it went past are known, and the rest are looked up.
    /// Only for a `b` on the page: a card opened after a list has nothing to gain.
    fn read_lists_over_page(&self, a: UserId, b: UserId) -> Result<(), StoreError> {
        let mut page = self.page.borrow_mut();
        if page.read_for == Some(a) || !page.rows.iter().any(|(_, id)| *id == b) {
            return Ok(());
        }
        page.read_for = Some(a);
        // A blocked person's standing is the block, which the page's own list says.
        if page.source == Some(list::BLOCKED) || !self.lists_in_order()? {
            return Ok(());
        }
        // On a page of connections, only the follows are left to learn: a connection
        // rules out a block and a request. Elsewhere, the lists of blocks and requests
        // are read only when `a` has any.
        let sides = match page.source {
            Some(list::CONNECTIONS) => None,
            _ => Some(self.sides(a)?),
        };
        let has = |side: fn(&Sides) -> bool| sides.as_ref().is_some_and(side);
        let table = opened(
            &self.snap.txn,
            &self.snap.open.userid_list_sortkey_otherid,
            tables::USERID_LIST_SORTKEY_OTHERID,
        )?;
        let rows = &page.rows;
        let (Some((first_key, first_id)), Some((last_key, last_id))) = (rows.first(), rows.last())
        else {
            return Ok(());
        };
        let most = rows.len().saturating_mul(2).saturating_add(8);
        let mut listed = self.listed.borrow_mut();
        for (kind, wanted) in [
            (list::CONNECTIONS, true),
            (list::FOLLOWING, true),
            (list::FOLLOWERS, true),
            (list::BLOCKED, has(|s| s.blocks)),
            (list::SENT, has(|s| s.sent)),
            (list::RECEIVED, has(|s| s.received)),
        ] {
            if !wanted || page.source == Some(kind) {
                continue;
            }
            self.count_lookup();
            let from = (a, kind, first_key.as_str(), *first_id);
            let to = (a, kind, last_key.as_str(), *last_id);
            // The page's rows before `at` lie before the last list row read.
            let mut at = 0;
            let mut whole = true;
            for (read, row) in table.range(from..=to)?.enumerate() {
                if read == most {
                    whole = false;
                    break;
                }
                let guard = row?;
                let (_, _, key, id) = guard.0.value();
                while rows
                    .get(at)
                    .is_some_and(|(k, i)| (k.as_str(), *i) < (key, id))
                {
                    at += 1;
                }
                if rows.get(at).is_some_and(|(k, i)| k == key && *i == id) {
                    listed.entry((a, id)).or_default().on |= 1 << kind;
                }
            }
            // A read that stopped early still went over the place of the rows before
            // where it stopped.
            let covered = if whole { rows.len() } else { at };
            for (_, id) in &rows[..covered] {
                listed.entry((a, *id)).or_default().read |= 1 << kind;
            }
        }
        Ok(())
    }

    /// Whether no renamed person has list rows left to move, once per snapshot.
    fn lists_in_order(&self) -> Result<bool, StoreError> {
        if let Some(&in_order) = self.snap.open.lists_in_order.get() {
            return Ok(in_order);
        }
        let in_order = self.resorts_pending()? == 0;
        Ok(*self.snap.open.lists_in_order.get_or_init(|| in_order))
    }

    /// One counted point lookup of a standing: the row `(viewer, other)` of `table`.
    /// Always the viewer first, so that a page's lookups share the viewer's pages.
    fn has<V: redb::Value + 'static>(
        &self,
        table: &ReadOnlyTable<(u64, u64), V>,
        viewer: UserId,
        other: UserId,
    ) -> Result<bool, StoreError> {
        self.count_lookup();
        Ok(table.get((viewer, other))?.is_some())
    }

    /// Counts one read a standing made, for [`Self::standing_lookups`].
    fn count_lookup(&self) {
        self.standing_lookups
            .set(self.standing_lookups.get().saturating_add(1));
    }

    /// Whether `table` has any row keyed by `a` first; counted with the lookups.
    fn any_row<V: redb::Value + 'static>(
        &self,
        table: &ReadOnlyTable<(u64, u64), V>,
        a: UserId,
    ) -> Result<bool, StoreError> {
        self.count_lookup();
        Ok(table.range((a, 0)..=(a, u64::MAX))?.next().is_some())
    }

    /// `a`'s [`Sides`]: four one-row range reads, once per snapshot.
    fn sides(&self, a: UserId) -> Result<Sides, StoreError> {
        if let Some(&sides) = self.sides.borrow().get(&a) {
            return Ok(sides);
        }
        let o = &self.snap.open;
        let t = &self.snap.txn;
        let sides = Sides {
            blocks: self.any_row(opened(t, &o.userid_blockedid, tables::USERID_BLOCKEDID)?, a)?,
            blocked_by: self
                .any_row(opened(t, &o.userid_blockerid, tables::USERID_BLOCKERID)?, a)?,
            sent: self.any_row(
                opened(t, &o.requesterid_receiverid, tables::REQUESTERID_RECEIVERID)?,
                a,
            )?,
            received: self.any_row(
                opened(t, &o.receiverid_requesterid, tables::RECEIVERID_REQUESTERID)?,
                a,
            )?,
        };
        self.sides.borrow_mut().insert(a, sides);
        Ok(sides)
    }

    /// Walks of a connection list for mutual connections this snapshot has made.
    pub fn mutual_walks(&self) -> u32 {
        self.mutual_walks.get()
    }

    /// Point lookups the standings of this snapshot have made so far.
    pub fn standing_lookups(&self) -> u32 {
        self.standing_lookups.get()
    }

    /// How `viewer` and `other` stand, with the number of their mutual connections,
    /// for a person's card. The count walks the smaller of the two connection lists
    /// and probes the other, and stops after [`MUTUAL_SCAN_LIMIT`] rows: it is exact
    /// when either person has at most that many connections, a lower bound otherwise.
    pub fn relationship(&self, viewer: &str, other: &str) -> Result<Relationship, StoreError> {
        let (Some(a), Some(b)) = (self.user_id(viewer)?, self.user_id(other)?) else {
            return Ok(Relationship::default());
        };
        let mut r = self.standing_of(a, b)?;
        if a != b {
            r.mutual_connections = self.with_mutuals(a, b, |ids| ids.len())? as u64;
        }
        Ok(r)
    }

    /// The pending request from `requester` to `receiver`, if any: one point lookup.
    pub fn pending_request_id(
        &self,
        requester: &str,
        receiver: &str,
    ) -> Result<Option<RequestId>, StoreError> {
        let (Some(a), Some(b)) = (self.user_id(requester)?, self.user_id(receiver)?) else {
            return Ok(None);
        };
        let pending = opened(
            &self.snap.txn,
            &self.snap.open.requesterid_receiverid,
            tables::REQUESTERID_RECEIVERID,
        )?;
        Ok(pending.get((a, b))?.map(|v| v.value()))
    }

    /// A user's counters; zeros for an unknown user.
    pub fn counts(&self, portal_id: &str) -> Result<Counts, StoreError> {
        match self.user_id(portal_id)? {
            None => Ok(Counts::default()),
            Some(u) => self.counts_of(u),
        }
    }

    pub(crate) fn counts_of(&self, user: UserId) -> Result<Counts, StoreError> {
        let c = opened(
            &self.snap.txn,
            &self.snap.open.userid_counts,
            tables::USERID_COUNTS,
        )?
        .get(user)?
        .map(|v| v.value())
        .unwrap_or([0; 5]);
        Ok(Counts {
            connections: c[count::CONNECTIONS],
            following: c[count::FOLLOWING],
            followers: c[count::FOLLOWERS],
            requests: c[count::REQUESTS],
            contacts: c[count::CONTACTS],
        })
    }

    /// `f` of the people connected to both `a` and `b`, found by walking the smaller
    /// connection list (at most [`MUTUAL_SCAN_LIMIT`] rows) and probing the other. The
    /// snapshot keeps the last pair's walk: a card asks for the count, then for the
    /// first few people.
    fn with_mutuals<R>(
        &self,
        a: UserId,
        b: UserId,
        f: impl FnOnce(&[UserId]) -> R,
    ) -> Result<R, StoreError> {
        let pair = (a.min(b), a.max(b));
        if let Some((walked, ids)) = self.mutuals.borrow().as_ref()
            && *walked == pair
        {
            return Ok(f(ids));
        }
        let ids = self.walk_mutuals(a, b)?;
        let out = f(&ids);
        *self.mutuals.borrow_mut() = Some((pair, ids));
        Ok(out)
    }

    /// The people connected to both, among the first [`MUTUAL_SCAN_LIMIT`] rows of the
    /// shorter list, in id order. Those rows are matched against the other list either
    /// by stepping through it over the same ids, a range step a row, or by a point
    /// lookup each, a B-tree descent that costs about six range steps: the first when
    /// the other list is at most [`MUTUAL_MERGE_FACTOR`] times as long as what was
    /// walked. Two people of 5,000 connections each cost 10,000 range steps instead of
    /// 5,000 and 5,000 descents, which read the pages of the second list over again.
    fn walk_mutuals(&self, a: UserId, b: UserId) -> Result<Vec<UserId>, StoreError> {
        self.mutual_walks
            .set(self.mutual_walks.get().saturating_add(1));
        let (a_count, b_count) = (
            self.counts_of(a)?.connections,
            self.counts_of(b)?.connections,
        );
        let (walk, probe, probe_count) = if a_count <= b_count {
            (a, b, b_count)
        } else {
            (b, a, a_count)
        };
        let table = opened(
            &self.snap.txn,
            &self.snap.open.userid_connectedid,
            tables::USERID_CONNECTEDID,
        )?;
        let mut walked = Vec::new();
        for row in table
            .range((walk, 0)..=(walk, u64::MAX))?
            .take(MUTUAL_SCAN_LIMIT)
        {
            let other = row?.0.value().1;
            if other != probe {
                walked.push(other);
            }
        }
        let (Some(&first), Some(&last)) = (walked.first(), walked.last()) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        if probe_count <= MUTUAL_MERGE_FACTOR.saturating_mul(walked.len() as u64) {
            let mut mine = walked.iter().copied().peekable();
            for row in table.range((probe, first)..=(probe, last))? {
                let other = row?.0.value().1;
                while mine.next_if(|&m| m < other).is_some() {}
                if mine.next_if_eq(&other).is_some() {
                    out.push(other);
                }
                if mine.peek().is_none() {
                    break;
                }
            }
        } else {
            for other in walked {
                if table.get((probe, other))?.is_some() {
                    out.push(other);
                }
            }
        }
        Ok(out)
    }

    /// People connected to both `a` and `b` (up to `limit`): the first found, which
    /// are those longest in the directory, shown sorted as every list is (family
    /// name, then given name). Sorting all of them first would read every mutual
    /// connection's record for a card that shows a dozen.
    pub fn mutual_connections(
        &self,
        a: &str,
        b: &str,
        limit: usize,
    ) -> Result<Vec<Person>, StoreError> {
        let (Some(a), Some(b)) = (self.user_id(a)?, self.user_id(b)?) else {
            return Ok(Vec::new());
        };
        let ids = self.with_mutuals(a, b, |ids| ids[..limit.min(ids.len())].to_vec())?;
        let mut people = ids
            .into_iter()
            .map(|u| self.listed_person(u, Decode::Shown))
            .collect::<Result<Vec<_>, _>>()?;
        people.sort_by_cached_key(Person::sort_key);
        Ok(people)
    }

    /// A page of `filter` for `viewer`, sorted by family then given name (a person
    /// renamed a moment ago may still be in their old place: see `resort.rs`). Costs
    /// O(limit): each filter is a range scan of a sorted index from the cursor.
    pub fn list(
        &self,
        viewer: &str,
        filter: Filter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Listed>, StoreError> {
        self.scan(viewer, filter, cursor, limit, None, Decode::Full)
    }

    /// Case- and accent-insensitive prefix search on names, screen name and email.
    /// With `Filter::All` a page comes straight from the prefix index in sort order
    /// (O(limit)); other filters scan the viewer's list and keep matches. Empty
    /// keywords list the filter. People come as rows: their contact information holds
    /// the email addresses only, and without keywords not even those (see
    /// [`Self::list`] for whole records).
    pub fn search(
        &self,
        viewer: &str,
        keywords: &str,
        filter: Filter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Listed>, StoreError> {
        self.search_in(viewer, keywords, filter, cursor, limit, Searchable::ALL)
    }

    /// [`Self::search`] on the fields `fields` lets it see: a person whom the query
    /// matches only by a field left out is not found.
    pub fn search_in(
        &self,
        viewer: &str,
        keywords: &str,
        filter: Filter,
        cursor: Option<&str>,
        limit: usize,
        fields: Searchable,
    ) -> Result<Page<Listed>, StoreError> {
        let query = search_query(keywords);
        // Keywords with no letter or digit ("!!!", a lone apostrophe, "-") can start
        // no word: such a search finds nobody, where listing the whole filter would
        // show everyone as if they matched.
        if query.is_none() && !keywords.trim().is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let query = query.as_deref();
        self.scan(
            viewer,
            filter,
            cursor,
            limit,
            query.map(|q| (q, fields)),
            Decode::Row,
        )
    }

    fn scan(
        &self,
        viewer: &str,
        filter: Filter,
        cursor: Option<&str>,
        limit: usize,
        query: Option<(&str, Searchable)>,
        how: Decode,
    ) -> Result<Page<Listed>, StoreError> {
        // Only keywords look at a person's other email addresses: a plain list's rows
        // parse nothing (a short JSON array a row, 0.75% of a home render).
        let how = match (how, query) {
            (Decode::Row, None) => Decode::Shown,
            (how, _) => how,
        };
        let after = cursor.map(cursor_decode).transpose()?;
        *self.page.borrow_mut() = PageRows::default();
        let mut page = Filling::new(limit);
        let (start_key, start_id) = after.clone().unwrap_or_default();
        let after_start =
            |key: &str, id: u64| after.is_none() || (key, id) > (&start_key[..], start_id);
        match filter {
            Filter::All => match query {
                None => {
                    let table = opened(
                        &self.snap.txn,
                        &self.snap.open.sortkey_userid,
                        tables::SORTKEY_USERID,
                    )?;
                    for row in table.range((start_key.as_str(), start_id)..)? {
                        let guard = row?;
                        let (key, id) = guard.0.value();
                        if !after_start(key, id) {
                            continue;
                        }
                        if page.full() {
                            break;
                        }
                        let person = self.listed_person(id, how)?;
                        if !page.take(key, id, Listed::Person(person)) {
                            break;
                        }
                    }
                }
                Some((query, fields)) => {
                    // The prefix index holds every token, emails included: when a
                    // field is left out, each hit is checked against the others.
                    let (prefix, filtered) = scan_prefix(query);
                    let filtered = filtered || fields != Searchable::ALL;
                    let table = opened(
                        &self.snap.txn,
                        &self.snap.open.prefix_sortkey_userid,
                        tables::PREFIX_SORTKEY_USERID,
                    )?;
                    let upper = (prefix, "\u{10FFFF}", u64::MAX);
                    for row in table.range((prefix, start_key.as_str(), start_id)..=upper)? {
                        let guard = row?;
                        let (_, key, id) = guard.0.value();
                        if !after_start(key, id) {
                            continue;
                        }
                        // Every hit of an unfiltered prefix matches.
                        if page.stopped_before() || (!filtered && page.full()) {
                            break;
                        }
                        let person = self.listed_person(id, how)?;
                        if filtered && !person.matches_in(query, fields) {
                            page.skip(key, id);
                            continue;
                        }
                        if !page.take(key, id, Listed::Person(person)) {
                            break;
                        }
                    }
                }
            },
            Filter::Contacts => {
                let Some(owner) = self.user_id(viewer)? else {
                    return Ok(page.done());
                };
                let table = self.table(tables::USERID_ENTRYSORTKEY_ENTRYID)?;
                let upper = (owner, "\u{10FFFF}", u64::MAX);
                for row in table.range((owner, start_key.as_str(), start_id)..=upper)? {
                    let guard = row?;
                    let (_, key, id) = guard.0.value();
                    if !after_start(key, id) {
                        continue;
                    }
                    if page.stopped_before() {
                        break;
                    }
                    let Some(entry) = self.entry_by_id(id)? else {
                        return Err(StoreError::corrupt("entryid_entry", id));
                    };
                    // The viewer's own entries: every field is theirs to search.
                    if let Some((q, _)) = query {
                        let (name, email) = (fold(&entry.full_name), fold(&entry.email_address));
                        // A name in Chinese, Japanese or Korean letters is found by
                        // them, each word and all of them written together (鈴木一郎),
                        // a name of two words in either order (一郎鈴木), as the
                        // directory's people are.
                        let kept = script_fold(&entry.full_name);
                        let together = kept.as_deref().map(|k| k.replace(' ', ""));
                        let reversed = kept.as_deref().and_then(|k| {
                            let mut parts = k.split(' ');
                            match (parts.next(), parts.next(), parts.next()) {
                                (Some(a), Some(b), None) => Some(format!("{b}{a}")),
                                _ => None,
                            }
                        });
                        let joined = fold_without_apostrophes(&entry.full_name);
                        let mut words: Vec<&str> = name_words(&name).collect();
                        words.extend(kept.as_deref().into_iter().flat_map(name_words));
                        words.extend(joined.as_deref().into_iter().flat_map(name_words));
                        words.extend(together.as_deref());
                        words.extend(reversed.as_deref());
                        // The address whole and by the words folding made of it,
                        // as a person's are (`tess+news@…` is found by "news").
                        words.extend(words_of_whole(&email));
                        let hit = email.starts_with(q) || every_word_starts(q, &words);
                        if !hit {
                            page.skip(key, id);
                            continue;
                        }
                    }
                    if !page.take(key, id, Listed::Entry(entry)) {
                        break;
                    }
                }
            }
            _ => {
                let Some(kind) = filter.list_kind() else {
                    return Ok(page.done());
                };
                let Some(owner) = self.user_id(viewer)? else {
                    return Ok(page.done());
                };
                let table = opened(
                    &self.snap.txn,
                    &self.snap.open.userid_list_sortkey_otherid,
                    tables::USERID_LIST_SORTKEY_OTHERID,
                )?;
                let upper = (owner, kind, "\u{10FFFF}", u64::MAX);
                for row in table.range((owner, kind, start_key.as_str(), start_id)..=upper)? {
                    let guard = row?;
                    let (_, _, key, id) = guard.0.value();
                    if !after_start(key, id) {
                        continue;
                    }
                    if page.stopped_before() || (query.is_none() && page.full()) {
                        break;
                    }
                    self.listed.borrow_mut().entry((owner, id)).or_default().on |= 1 << kind;
                    let person = self.listed_person(id, how)?;
                    if let Some((q, fields)) = query
                        && !person.matches_in(q, fields)
                    {
                        page.skip(key, id);
                        continue;
                    }
                    if !page.take(key, id, Listed::Person(person)) {
                        break;
                    }
                }
            }
        }
        let done = page.done();
        // A page of people (not of personal entries, whose ids are the entries'),
        // kept so that their standings can read the viewer's lists over it. Not a
        // search's: its rows lie apart in the index, as far as the query's hits do,
        // and reading the viewer's lists between them cost more than the lookups it
        // saved (the render bench's search, 44.3 million instructions against 45.7).
        // Nor a larger page than any a render reads, whose keys would stay for the
        // reader's life.
        if filter != Filter::Contacts && query.is_none() && page.keys.len() <= MOST_PAGE_ROWS_KEPT {
            *self.page.borrow_mut() = PageRows {
                rows: page.keys,
                source: filter.list_kind(),
                read_for: None,
            };
        }
        Ok(done)
    }

    fn entry_by_id(&self, id: EntryId) -> Result<Option<Entry>, StoreError> {
        let table = opened(
            &self.snap.txn,
            &self.snap.open.entryid_entry,
            tables::ENTRYID_ENTRY,
        )?;
        match table.get(id)? {
            None => Ok(None),
            Some(v) => decode("entryid_entry", v.value()).map(Some),
        }
    }

    /// One of `owner`'s personal entries.
    pub fn entry(&self, owner: &str, entry_id: EntryId) -> Result<Option<Entry>, StoreError> {
        let Some(owner) = self.user_id(owner)? else {
            return Ok(None);
        };
        Ok(self.entry_by_id(entry_id)?.filter(|e| e.owner == owner))
    }

    /// All of a user's personal entries, sorted by full name. Reads every one: for
    /// tests and tools, never a request, whose pages are [`Reader::list`]'s.
    pub fn entries(&self, owner: &str) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.list(owner, Filter::Contacts, cursor.as_deref(), 500)?;
            out.extend(page.items.into_iter().filter_map(|i| match i {
                Listed::Entry(e) => Some(e),
                Listed::Person(_) => None,
            }));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    pub(crate) fn request_by_id(&self, id: RequestId) -> Result<Option<SocialRequest>, StoreError> {
        let table = opened(
            &self.snap.txn,
            &self.snap.open.requestid_request,
            tables::REQUESTID_REQUEST,
        )?;
        match table.get(id)? {
            None => Ok(None),
            Some(v) => decode("requestid_request", v.value()).map(Some),
        }
    }

    fn pending(
        &self,
        def: TableDefinition<(u64, u64), u64>,
        user: &str,
    ) -> Result<Vec<RequestView>, StoreError> {
        let Some(user) = self.user_id(user)? else {
            return Ok(Vec::new());
        };
        let table = self.table(def)?;
        let mut out = Vec::new();
        for row in table.range((user, 0)..=(user, u64::MAX))? {
            let (key, id) = row?;
            let (other, id) = (key.value().1, id.value());
            let request = self
                .request_by_id(id)?
                .filter(|r| r.status == RequestStatus::Pending)
                .ok_or_else(|| StoreError::corrupt("requestid_request", id))?;
            out.push(RequestView {
                request_id: id,
                person: self.listed_person(other, Decode::Shown)?,
                created_at: request.created_at,
            });
        }
        out.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.request_id)));
        Ok(out)
    }

    /// A page of `user`'s pending requests on `side`, with their ids. Received ones
    /// come newest first, as a notifications menu lists them (and Liferay orders
    /// social requests); sent ones are sorted like every list of people (family then
    /// given name). O(limit): a range scan and two point lookups per row.
    pub fn pending_requests(
        &self,
        user: &str,
        side: RequestSide,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<RequestView>, StoreError> {
        let after = cursor.map(cursor_decode).transpose()?;
        let empty = Page {
            items: Vec::new(),
            next_cursor: None,
        };
        let Some(owner) = self.user_id(user)? else {
            return Ok(empty);
        };
        let (kind, ids) = match side {
            RequestSide::Received => {
                let before = match after {
                    None => None,
                    Some((key, id)) if key == RECEIVED_CURSOR => Some(id),
                    // A cursor of another list, or from before received requests came
                    // newest first (a sort key and a user id): it names no place in
                    // this order, and an empty page makes a render start over.
                    Some(_) => return Ok(empty),
                };
                return self.received_newest_first(owner, before, limit);
            }
            RequestSide::Sent => (list::SENT, tables::REQUESTERID_RECEIVERID),
        };
        let ids = self.table(ids)?;
        let index = self.table(tables::USERID_LIST_SORTKEY_OTHERID)?;
        let (start_key, start_id) = after.clone().unwrap_or_default();
        let limit = limit.max(1);
        let mut items = Vec::new();
        let mut last: Option<(String, u64)> = None;
        let mut more = false;
        let upper = (owner, kind, "\u{10FFFF}", u64::MAX);
        for row in index.range((owner, kind, start_key.as_str(), start_id)..=upper)? {
            let guard = row?;
            let (_, _, key, other) = guard.0.value();
            if after.is_some() && (key, other) <= (start_key.as_str(), start_id) {
                continue;
            }
            if items.len() == limit {
                more = true;
                break;
            }
            let id = ids
                .get((owner, other))?
                .map(|v| v.value())
                .ok_or_else(|| StoreError::corrupt("userid_list_sortkey_otherid", other))?;
            let request = self
                .request_by_id(id)?
                .filter(|r| r.status == RequestStatus::Pending)
                .ok_or_else(|| StoreError::corrupt("requestid_request", id))?;
            items.push(RequestView {
                request_id: id,
                person: self.listed_person(other, Decode::Shown)?,
                created_at: request.created_at,
            });
            last = Some((key.to_owned(), other));
        }
        let next_cursor = if more {
            last.map(|(k, id)| cursor_encode(&k, id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Pending requests `user` received, newest first. Reads every one: for tests
    /// and tools; a request reads [`Reader::newest_requests_received`] or a page.
    pub fn requests_received(&self, user: &str) -> Result<Vec<RequestView>, StoreError> {
        self.pending(tables::RECEIVERID_REQUESTERID, user)
    }

    /// Pending requests `user` sent, newest first. Reads every one: for tests and
    /// tools, never a request.
    pub fn requests_sent(&self, user: &str) -> Result<Vec<RequestView>, StoreError> {
        self.pending(tables::REQUESTERID_RECEIVERID, user)
    }

    /// The newest pending requests `user` received, at most `limit`, newest first.
    pub fn newest_requests_received(
        &self,
        user: &str,
        limit: usize,
    ) -> Result<Vec<RequestView>, StoreError> {
        Ok(self
            .pending_requests(user, RequestSide::Received, None, limit)?
            .items)
    }

    /// A page of the requests `me` received, newest first, from those older than
    /// request `before`, in O(limit): request ids grow with time, and
    /// `receiverid_requestid` holds pending requests only, so a reverse scan of the
    /// person's range reads no answered or sent request. The cursor is the last id.
    fn received_newest_first(
        &self,
        me: UserId,
        before: Option<RequestId>,
        limit: usize,
    ) -> Result<Page<RequestView>, StoreError> {
        let limit = limit.max(1);
        let table = self.table(tables::RECEIVERID_REQUESTID)?;
        let end = before.unwrap_or(u64::MAX);
        let mut items = Vec::new();
        let mut more = false;
        for row in table.range((me, 0)..(me, end))?.rev() {
            if items.len() == limit {
                more = true;
                break;
            }
            let id = row?.0.value().1;
            let request = self
                .request_by_id(id)?
                .ok_or_else(|| StoreError::corrupt("requestid_request", id))?;
            if request.receiver != me || request.status != RequestStatus::Pending {
                return Err(StoreError::corrupt("receiverid_requestid", id));
            }
            items.push(RequestView {
                request_id: id,
                person: self.listed_person(request.requester, Decode::Shown)?,
                created_at: request.created_at,
            });
        }
        let next_cursor = match (more, items.last()) {
            (true, Some(last)) => Some(cursor_encode(RECEIVED_CURSOR, last.request_id)),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    /// A pending or answered request by id.
    pub fn request(&self, id: RequestId) -> Result<Option<SocialRequest>, StoreError> {
        self.request_by_id(id)
    }
    /// The stored record of a WSRP registration handle.
    pub fn registration(&self, handle: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let table = self.table(tables::REGISTRATIONHANDLE_REGISTRATION)?;
        Ok(table.get(handle)?.map(|v| v.value().to_vec()))
    }

    /// A portlet's saved preferences (empty when none were saved).
    pub fn preferences(&self, portlet_id: &str) -> Result<Preferences, StoreError> {
        let table = opened(
            &self.snap.txn,
            &self.snap.open.portletid_preferences,
            tables::PORTLETID_PREFERENCES,
        )?;
        match table.get(portlet_id)? {
            None => Ok(Preferences::new()),
            Some(v) => decode("portletid_preferences", v.value()),
        }
    }
}
