//! Whole-database consistency check, for tests and the `check-db` command: every
//! derived row (reverse edges, counts, indexes) must agree with the rows it derives from.

use std::collections::{BTreeMap, BTreeSet};

use redb::{ReadableTable, ReadableTableMetadata};

use super::StoreError;
use super::graph::RequestStatus;
use super::reader::Reader;
use super::record::{self, Decode};
use super::tables::{self, count, list};

/// One broken rule, described for a person to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn pair_set(
    reader: &Reader,
    def: redb::TableDefinition<(u64, u64), ()>,
) -> Result<BTreeSet<(u64, u64)>, StoreError> {
    let mut out = BTreeSet::new();
    for row in reader.table(def)?.iter()? {
        out.insert(row?.0.value());
    }
    Ok(out)
}

/// Every violation found; empty when the database is consistent.
pub fn check_invariants(reader: &Reader) -> Result<Vec<Violation>, StoreError> {
    let mut v = Vec::new();
    let directory = check_people(reader, &mut v)?;
    let relations = check_edges(reader, &directory, &mut v)?;
    let requests = check_requests(reader, &directory, &relations, &mut v)?;
    let entries_of = check_entries(reader, &directory, &mut v)?;
    check_counts(
        reader,
        &directory,
        &relations,
        &requests,
        &entries_of,
        &mut v,
    )?;
    check_lists(reader, &directory, &relations, &requests, &mut v)?;
    check_counters(reader, &directory, &mut v)?;
    check_settings(reader, &mut v)?;
    Ok(v)
}

/// What the host reads besides the graph: each placement's saved preferences (a row
/// that does not decode fails every render of that placement) and the host key (one
/// that is not 32 bytes stops the host from starting).
fn check_settings(reader: &Reader, v: &mut Vec<Violation>) -> Result<(), StoreError> {
    for row in reader.table(tables::PORTLETID_PREFERENCES)?.iter()? {
        let (portlet, value) = row?;
        if let Err(e) = tables::decode::<super::Preferences>("portletid_preferences", value.value())
        {
            v.push(Violation(format!(
                "the preferences of placement {} do not decode: {e}",
                portlet.value()
            )));
        }
    }
    let meta = reader.table(tables::META)?;
    if let Some(key) = meta.get(tables::META_HOST_KEY)?
        && key.value().len() != 32
    {
        v.push(Violation(format!(
            "meta {} is {} bytes, not 32",
            tables::META_HOST_KEY,
            key.value().len()
        )));
    }
    Ok(())
}

/// The people as the checks after [`check_people`] need them.
struct Directory {
    /// Internal id → portal id (empty when the record does not decode) and sort key.
    people: BTreeMap<u64, (String, String)>,
    /// Internal id → the sort key `userid_sortkey` holds.
    sortkeys: BTreeMap<u64, String>,
}

impl Directory {
    fn known(&self, id: u64) -> bool {
        self.people.contains_key(&id)
    }

    fn who(&self, id: u64) -> String {
        named(&self.people, id)
    }
}

/// A person as a violation names them: by the portal id an administrator knows
/// (which `DELETE /api/users/{id}` takes), with the internal one the rows hold.
fn named(people: &BTreeMap<u64, (String, String)>, id: u64) -> String {
    match people.get(&id) {
        Some((portal_id, _)) if !portal_id.is_empty() => format!("{portal_id} (#{id})"),
        Some(_) => format!("#{id} (undecodable)"),
        None => format!("#{id} (no such person)"),
    }
}

/// The relations as the later checks need them (the blockers' rows were checked
/// against the blocks).
struct Relations {
    connected: BTreeSet<(u64, u64)>,
    following: BTreeSet<(u64, u64)>,
    followers: BTreeSet<(u64, u64)>,
    blocked: BTreeSet<(u64, u64)>,
}

impl Relations {
    fn is_blocked(&self, a: u64, b: u64) -> bool {
        self.blocked.contains(&(a, b)) || self.blocked.contains(&(b, a))
    }
}

/// The pending requests as the counts and lists need them.
struct Pending {
    /// (receiver, requester) → request id, from `receiverid_requesterid`.
    by_receiver: BTreeMap<(u64, u64), u64>,
    /// Receiver → how many wait for them.
    received: BTreeMap<u64, u64>,
}

/// People, their portal ids, and the sort and search indexes.
fn check_people(reader: &Reader, v: &mut Vec<Violation>) -> Result<Directory, StoreError> {
    let mut bad = |s: String| v.push(Violation(s));
    // People and their directory rows. Each record is decoded whole (a field that
    // does not decode is a violation of its own), but only its portal id and sort key
    // are kept: the search index is checked here, person by person.
    let prefixes = reader.table(tables::PREFIX_SORTKEY_USERID)?;
    let (mut prefix_rows, mut prefixes_agree) = (0u64, true);
    let mut people: BTreeMap<u64, (String, String)> = BTreeMap::new();
    let mut expected_sort = BTreeSet::new();
    for row in reader.table(tables::USERID_PERSON)?.iter()? {
        let (k, val) = row?;
        let id = k.value();
        let p = match record::person(val.value(), Decode::Full) {
            Ok(p) => p,
            Err(e) => {
                bad(format!("person {id} does not decode: {e}"));
                // Still a person of the directory: the edges and lists that name them
                // are not dangling, and only their own rows are reported.
                people.insert(id, (String::new(), String::new()));
                continue;
            }
        };
        let key = p.sort_key();
        let own: BTreeSet<String> = p.search_prefixes().into_iter().collect();
        for prefix in own {
            prefix_rows += 1;
            prefixes_agree &= prefixes.get((prefix.as_str(), key.as_str(), id))?.is_some();
        }
        expected_sort.insert((key.clone(), id));
        people.insert(id, (p.id, key));
    }
    let mut portal = BTreeMap::new();
    for row in reader.table(tables::PORTALID_USERID)?.iter()? {
        let (k, val) = row?;
        portal.insert(k.value().to_owned(), val.value());
    }
    for (pid, uid) in &portal {
        // Every way in (a request, a token, an import, `DELETE /api/users/{id}`)
        // refuses an id outside the form, so a person stored under one (a foreign
        // or damaged backup restored) could never be acted on or removed.
        if !super::normalize::is_portal_user_id(pid) {
            bad(format!(
                "portal id {pid:?} is not a user id (1-64 of A-Z a-z 0-9 . _ @ -): no request can name or delete this person"
            ));
        }
        match people.get(uid) {
            Some((id, _)) if id == pid => {}
            _ => bad(format!(
                "portal id {pid} maps to {uid}, which is not that person"
            )),
        }
    }
    if portal.len() != people.len() {
        bad(format!(
            "{} portal ids for {} people",
            portal.len(),
            people.len()
        ));
    }
    // Sort and search indexes.
    let mut sortkeys = BTreeMap::new();
    for row in reader.table(tables::USERID_SORTKEY)?.iter()? {
        let (k, val) = row?;
        sortkeys.insert(k.value(), val.value().to_owned());
    }
    let mut by_sortkey = BTreeSet::new();
    for row in reader.table(tables::SORTKEY_USERID)?.iter()? {
        let guard = row?;
        let (key, id) = guard.0.value();
        by_sortkey.insert((key.to_owned(), id));
    }
    for (id, (_, key)) in &people {
        if sortkeys.get(id) != Some(key) {
            bad(format!("{} has a stale sort key", named(&people, *id)));
        }
    }
    if by_sortkey != expected_sort || sortkeys.len() != people.len() {
        bad("sortkey_userid does not agree with the people".into());
    }
    // The search index was looked up row by row above rather than held in memory (18
    // rows a person): every row a person should have is there, and there are no others.
    if !prefixes_agree || prefixes.len()? != prefix_rows {
        bad("prefix_sortkey_userid does not agree with the people".into());
    }

    Ok(Directory { people, sortkeys })
}

/// Both directions of every relation, nothing across a block, no dangling ends.
fn check_edges(
    reader: &Reader,
    directory: &Directory,
    v: &mut Vec<Violation>,
) -> Result<Relations, StoreError> {
    let mut bad = |s: String| v.push(Violation(s));
    let (known, who) = (|id| directory.known(id), |id| directory.who(id));
    // Edges.
    let connected = pair_set(reader, tables::USERID_CONNECTEDID)?;
    let following = pair_set(reader, tables::USERID_FOLLOWINGID)?;
    let followers = pair_set(reader, tables::USERID_FOLLOWERID)?;
    let blocked = pair_set(reader, tables::USERID_BLOCKEDID)?;
    let blockers = pair_set(reader, tables::USERID_BLOCKERID)?;
    let is_blocked = |a: u64, b: u64| blocked.contains(&(a, b)) || blocked.contains(&(b, a));
    for &(a, b) in &connected {
        if !connected.contains(&(b, a)) {
            bad(format!("connection {} - {} is one-sided", who(a), who(b)));
        }
        if is_blocked(a, b) {
            bad(format!("connection {} - {} across a block", who(a), who(b)));
        }
    }
    for &(a, b) in &following {
        if !followers.contains(&(b, a)) {
            bad(format!(
                "follow {} -> {} has no follower row",
                who(a),
                who(b)
            ));
        }
        if is_blocked(a, b) {
            bad(format!("follow {} -> {} across a block", who(a), who(b)));
        }
    }
    for &(b, a) in &followers {
        if !following.contains(&(a, b)) {
            bad(format!(
                "follower row {} <- {} has no follow",
                who(b),
                who(a)
            ));
        }
    }
    for &(a, b) in &blocked {
        if !blockers.contains(&(b, a)) {
            bad(format!("block {} -> {} has no blocker row", who(a), who(b)));
        }
    }
    for &(b, a) in &blockers {
        if !blocked.contains(&(a, b)) {
            bad(format!("blocker row {} <- {} has no block", who(b), who(a)));
        }
    }
    for set in [&connected, &following, &followers, &blocked, &blockers] {
        for &(a, b) in set {
            if !known(a) || !known(b) || a == b {
                bad(format!(
                    "edge {} - {} names an unknown person or a self-edge",
                    who(a),
                    who(b)
                ));
            }
        }
    }

    Ok(Relations {
        connected,
        following,
        followers,
        blocked,
    })
}

/// Requests, their indexes, and what may not stand beside a pending one.
fn check_requests(
    reader: &Reader,
    directory: &Directory,
    relations: &Relations,
    v: &mut Vec<Violation>,
) -> Result<Pending, StoreError> {
    let mut bad = |s: String| v.push(Violation(s));
    let (known, who) = (|id| directory.known(id), |id| directory.who(id));
    let is_blocked = |a, b| relations.is_blocked(a, b);
    let connected = &relations.connected;
    // Requests.
    let mut by_receiver = BTreeMap::new();
    for row in reader.table(tables::RECEIVERID_REQUESTERID)?.iter()? {
        let (k, val) = row?;
        by_receiver.insert(k.value(), val.value());
    }
    let mut by_requester = BTreeMap::new();
    for row in reader.table(tables::REQUESTERID_RECEIVERID)?.iter()? {
        let (k, val) = row?;
        let (from, to) = k.value();
        by_requester.insert((to, from), val.value());
    }
    if by_receiver != by_requester {
        bad("pending request indexes disagree".into());
    }
    let participation = pair_set(reader, tables::USERID_REQUESTID)?;
    let mut parties: BTreeSet<(u64, u64)> = BTreeSet::new();
    let mut pending_received: BTreeMap<u64, u64> = BTreeMap::new();
    // (receiver, requester) → id of every pending record, to hold the index to.
    let mut pending_pairs: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    for row in reader.table(tables::REQUESTID_REQUEST)?.iter()? {
        let (k, val) = row?;
        let id = k.value();
        let r: super::SocialRequest = match tables::decode("requestid_request", val.value()) {
            Ok(r) => r,
            Err(e) => {
                bad(format!("request {id} does not decode: {e}"));
                // Its index rows are taken at their word, so that they are not
                // reported as naming nothing and the other lines are not buried.
                parties.extend(participation.iter().filter(|&&(_, r)| r == id));
                if let Some((&key, _)) = by_receiver.iter().find(|&(_, &r)| r == id) {
                    pending_pairs.insert(key, id);
                    *pending_received.entry(key.0).or_default() += 1;
                }
                continue;
            }
        };
        if !known(r.requester) || !known(r.receiver) {
            bad(format!("request {id} names an unknown person"));
        }
        // The store refuses to write one; a file written by something else, or
        // damaged, could hold one, and a restore must not take it in.
        if r.requester == r.receiver {
            bad(format!(
                "request {id} is of {} to themselves",
                who(r.requester)
            ));
        }
        if !participation.contains(&(r.requester, id)) || !participation.contains(&(r.receiver, id))
        {
            bad(format!("request {id} is missing from userid_requestid"));
        }
        parties.extend([(r.requester, id), (r.receiver, id)]);
        let indexed = by_receiver.get(&(r.receiver, r.requester)) == Some(&id);
        let pending = r.status == RequestStatus::Pending;
        if pending != indexed {
            bad(format!(
                "request {id} is {:?} but indexed={indexed}",
                r.status
            ));
        }
        if pending {
            pending_pairs.insert((r.receiver, r.requester), id);
            *pending_received.entry(r.receiver).or_default() += 1;
            if is_blocked(r.requester, r.receiver) {
                bad(format!(
                    "request {id} of {} to {} pending across a block",
                    who(r.requester),
                    who(r.receiver)
                ));
            }
            if connected.contains(&(r.requester, r.receiver)) {
                bad(format!(
                    "request {id} of {} to {} pending between connected people",
                    who(r.requester),
                    who(r.receiver)
                ));
            }
        }
    }
    // The newest-first notifications scan reads these rows and trusts each to name a
    // request of that person.
    for (user, id) in participation.difference(&parties) {
        bad(format!(
            "userid_requestid row ({user}, {id}) names no request of that person"
        ));
    }
    // The other way round: every index row names a pending request of those two. A
    // row left behind would answer "already requested" forever, and its request
    // could be neither accepted nor closed by a block.
    for (&(receiver, requester), &id) in &by_receiver {
        if pending_pairs.get(&(receiver, requester)) != Some(&id) {
            bad(format!(
                "pending request index row {receiver}<-{requester} names request {id}, which is not pending between them"
            ));
        }
    }
    // The newest-first notifications read pending requests by (receiver, id).
    let by_id = match reader.table_if_present(tables::RECEIVERID_REQUESTID)? {
        Some(_) => pair_set(reader, tables::RECEIVERID_REQUESTID)?,
        None => BTreeSet::new(),
    };
    let expected_by_id: BTreeSet<(u64, u64)> = pending_pairs
        .iter()
        .map(|(&(receiver, _), &id)| (receiver, id))
        .collect();
    if by_id != expected_by_id {
        bad("receiverid_requestid does not agree with the pending requests".into());
    }
    for &(receiver, requester) in by_receiver.keys() {
        if by_receiver.contains_key(&(requester, receiver)) {
            bad(format!(
                "requests pending both ways between {} and {}",
                who(receiver),
                who(requester)
            ));
        }
    }

    Ok(Pending {
        by_receiver,
        received: pending_received,
    })
}

/// Personal contacts and their indexes; how many each person has.
fn check_entries(
    reader: &Reader,
    directory: &Directory,
    v: &mut Vec<Violation>,
) -> Result<BTreeMap<u64, u64>, StoreError> {
    let mut bad = |s: String| v.push(Violation(s));
    let known = |id| directory.known(id);
    // Entries.
    let mut entries_of: BTreeMap<u64, u64> = BTreeMap::new();
    let owned = pair_set(reader, tables::USERID_ENTRYID)?;
    let mut emails = BTreeSet::new();
    for row in reader.table(tables::USERID_ENTRYEMAIL)?.iter()? {
        let (k, val) = row?;
        let (owner, email) = k.value();
        emails.insert((owner, email.to_owned(), val.value()));
    }
    let mut expected_emails = BTreeSet::new();
    let mut entry_sort = BTreeSet::new();
    for row in reader.table(tables::USERID_ENTRYSORTKEY_ENTRYID)?.iter()? {
        let guard = row?;
        let (o, k, id) = guard.0.value();
        entry_sort.insert((o, k.to_owned(), id));
    }
    let mut expected_entry_sort = BTreeSet::new();
    let mut entry_count = 0usize;
    let mut first_with_email = BTreeMap::new();
    for row in reader.table(tables::ENTRYID_ENTRY)?.iter()? {
        let (k, val) = row?;
        entry_count += 1;
        let e: super::Entry = match tables::decode("entryid_entry", val.value()) {
            Ok(e) => e,
            Err(error) => {
                let id = k.value();
                bad(format!("entry {id} does not decode: {error}"));
                // As with a request: its index rows are taken at their word.
                for &(owner, _) in owned.iter().filter(|&&(_, e)| e == id) {
                    *entries_of.entry(owner).or_default() += 1;
                }
                expected_emails.extend(emails.iter().filter(|row| row.2 == id).cloned());
                expected_entry_sort.extend(entry_sort.iter().filter(|row| row.2 == id).cloned());
                continue;
            }
        };
        if e.entry_id != k.value() || !known(e.owner) || !owned.contains(&(e.owner, e.entry_id)) {
            bad(format!("entry {} is orphaned or misfiled", k.value()));
        }
        // What the rules let into an entry: a name, and an address a mail client
        // takes (section 4).
        if e.full_name.trim().is_empty() {
            bad(format!("entry {} has no name", e.entry_id));
        }
        if !super::normalize::is_plausible_email(&e.email_address) {
            bad(format!(
                "entry {} has an email address that is not valid: {:?}",
                e.entry_id, e.email_address
            ));
        }
        *entries_of.entry(e.owner).or_default() += 1;
        let email_key = tables::entry_email_key_of(&e.email_address);
        if let Some(first) = first_with_email.insert((e.owner, email_key.clone()), e.entry_id) {
            bad(format!(
                "entries {first} and {} of one person have the same email address {:?}",
                e.entry_id, e.email_address
            ));
        }
        expected_emails.insert((e.owner, email_key, e.entry_id));
        expected_entry_sort.insert((e.owner, tables::entry_sort_key_of(&e), e.entry_id));
    }
    if owned.len() != entry_count || emails != expected_emails || entry_sort != expected_entry_sort
    {
        bad("entry indexes do not agree with the entries".into());
    }

    Ok(entries_of)
}

/// Each person's counts row against the relations, requests and contacts it counts.
fn check_counts(
    reader: &Reader,
    directory: &Directory,
    relations: &Relations,
    pending: &Pending,
    entries_of: &BTreeMap<u64, u64>,
    v: &mut Vec<Violation>,
) -> Result<(), StoreError> {
    let mut bad = |s: String| v.push(Violation(s));
    let known = |id| directory.known(id);
    let (people, pending_received) = (&directory.people, &pending.received);
    let Relations {
        connected,
        following,
        followers,
        ..
    } = relations;
    // Counts.
    let degree =
        |set: &BTreeSet<(u64, u64)>, id: u64| set.range((id, 0)..=(id, u64::MAX)).count() as u64;
    let mut counted = 0usize;
    for row in reader.table(tables::USERID_COUNTS)?.iter()? {
        let (k, val) = row?;
        let (id, c) = (k.value(), val.value());
        counted += 1;
        let expected = [
            degree(connected, id),
            degree(following, id),
            degree(followers, id),
            pending_received.get(&id).copied().unwrap_or(0),
            entries_of.get(&id).copied().unwrap_or(0),
        ];
        if c != expected {
            bad(format!("counts of {id} are {c:?}, edges say {expected:?}"));
        }
        if !known(id) {
            bad(format!("counts for unknown user {id}"));
        }
    }
    if counted != people.len() {
        bad("a person has no counts row".into());
    }
    let _ = count::CONTACTS;

    Ok(())
}

/// The sorted list index against the relations and requests it mirrors.
fn check_lists(
    reader: &Reader,
    directory: &Directory,
    relations: &Relations,
    pending: &Pending,
    v: &mut Vec<Violation>,
) -> Result<(), StoreError> {
    let mut bad = |s: String| v.push(Violation(s));
    let known = |id| directory.known(id);
    let sortkeys = &directory.sortkeys;
    let by_receiver = &pending.by_receiver;
    let Relations {
        connected,
        following,
        followers,
        blocked,
        ..
    } = relations;
    // Sorted list index equals the edges it mirrors: one row per relation, under the
    // listed person's sort key, or under an older one while a rename's rows are still
    // moving (`userid_resort`).
    let mut moving = BTreeMap::new();
    if let Some(table) = reader.table_if_present(tables::USERID_RESORT)? {
        for row in table.iter()? {
            let (k, val) = row?;
            let id = k.value();
            let resort = match tables::resort_record(val.value()) {
                Ok(resort) => resort,
                Err(e) => {
                    bad(format!(
                        "the move of user {id}'s list rows cannot be read: {e}"
                    ));
                    continue;
                }
            };
            if !known(id) {
                bad(format!("rows of unknown user {id} are listed as moving"));
            }
            let current = sortkeys.get(&id);
            if resort.from.is_empty() || resort.from.iter().any(|key| Some(key) == current) {
                bad(format!("user {id}'s rows are moving from no older key"));
            }
            if !resort.in_stages() {
                bad(format!(
                    "the move of user {id}'s list rows is past its last stage"
                ));
            }
            moving.insert(id, resort);
        }
    }
    // Row by row, not held in memory (two or more rows a relation): each row names a
    // relation and sits under a key its person allows, no relation has two rows, and
    // there are as many rows as relations.
    let names_a_relation = |owner: u64, kind: u8, other: u64| match kind {
        list::CONNECTIONS => connected.contains(&(owner, other)),
        list::FOLLOWING => following.contains(&(owner, other)),
        list::FOLLOWERS => followers.contains(&(owner, other)),
        list::BLOCKED => blocked.contains(&(owner, other)),
        list::RECEIVED => by_receiver.contains_key(&(owner, other)),
        list::SENT => by_receiver.contains_key(&(other, owner)),
        _ => false,
    };
    // Under the current key; or under an older key of a move that has not yet
    // passed the row (rows it passed are under the current key).
    let placed = |owner: u64, kind: u8, other: u64, key: &str| {
        sortkeys.get(&other).is_some_and(|current| current == key)
            || moving.get(&other).is_some_and(|resort| {
                resort.from.iter().any(|k| k == key) && !resort.has_passed(kind, owner)
            })
    };
    let relations =
        connected.len() + following.len() + followers.len() + blocked.len() + 2 * by_receiver.len();
    let (mut rows, mut rows_agree) = (0usize, true);
    // The others of the one list being read: a second row of one of them is a
    // relation listed twice (its rows differ in key, so they need not be adjacent).
    let mut list_of: Option<(u64, u8)> = None;
    let mut others = std::collections::HashSet::new();
    for row in reader.table(tables::USERID_LIST_SORTKEY_OTHERID)?.iter()? {
        let guard = row?;
        let (owner, kind, key, other) = guard.0.value();
        if list_of != Some((owner, kind)) {
            list_of = Some((owner, kind));
            others.clear();
        }
        rows += 1;
        rows_agree &= others.insert(other)
            && names_a_relation(owner, kind, other)
            && placed(owner, kind, other, key);
    }
    if !rows_agree || rows != relations {
        bad("userid_list_sortkey_otherid does not agree with the edges".into());
    }

    Ok(())
}

/// The id counters in `meta`, each ahead of the ids in use.
fn check_counters(
    reader: &Reader,
    directory: &Directory,
    v: &mut Vec<Violation>,
) -> Result<(), StoreError> {
    let mut bad = |s: String| v.push(Violation(s));
    let people = &directory.people;
    // Ids are handed out from counters in `meta`, from 1 when a counter is missing.
    // A counter at or below an id in use would hand that id out again, and the next
    // person, request or entry would overwrite a live one's rows.
    let meta = reader.table(tables::META)?;
    let newest = [
        (tables::META_NEXT_USER, people.keys().next_back().copied()),
        (
            tables::META_NEXT_REQUEST,
            last_key(reader, tables::REQUESTID_REQUEST)?,
        ),
        (
            tables::META_NEXT_ENTRY,
            last_key(reader, tables::ENTRYID_ENTRY)?,
        ),
    ];
    for (counter, newest) in newest {
        let next = match meta.get(counter)? {
            None => Some(1),
            Some(value) => <[u8; 8]>::try_from(value.value())
                .ok()
                .map(u64::from_le_bytes),
        };
        match (next, newest) {
            (None, _) => bad(format!("meta {counter} is not an 8-byte number")),
            (Some(next), Some(newest)) if next <= newest => bad(format!(
                "meta {counter} is {next}, but id {newest} is already in use"
            )),
            _ => {}
        }
    }
    Ok(())
}

/// The highest key of a table keyed by id, if it has a row.
fn last_key(
    reader: &Reader,
    def: redb::TableDefinition<u64, &[u8]>,
) -> Result<Option<u64>, StoreError> {
    Ok(reader.table(def)?.last()?.map(|(k, _)| k.value()))
}
