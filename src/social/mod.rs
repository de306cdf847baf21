//! The Contacts Center's social rules and the handle widgets use.
//!
//! [`Social`] is what the widget layer holds: `read()` gives one consistent snapshot
//! per render, `act()` applies an action durably (blocking until the grouped commit).
//! The rules themselves live in [`rules`], pure over [`crate::store::Graph`].

mod outcome;
mod profile;
mod registrations;
pub mod rules;

use std::path::Path;

pub use outcome::{Done, Outcome, Refusal, TargetOutcome};
pub use profile::{MAX_URL_CHARS, Profile, apply_profile, breaks_text};
pub use rules::MAX_CONTACTS;

use crate::clock::unix_now as now;
use crate::store::{
    Edge, EntryId, Graph, Person, Preferences, Reader, RequestId, Store, StoreError, StoreOptions,
    Tables, UserId, Violation, is_portal_user_id,
};

/// The social layer's one error enum: only storage can fail here; rule refusals are
/// [`Refusal`]s inside an [`Outcome`].
#[derive(Debug, thiserror::Error)]
pub enum SocialError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An action on other people (`userId` or `userIds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonVerb {
    Connect,
    Disconnect,
    Follow,
    Unfollow,
    Block,
    Unblock,
    RemoveFollower,
}

/// An answer to a connection request (`requestId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestVerb {
    Accept,
    Ignore,
    Withdraw,
}

/// A personal contact to create (`entry_id: None`) or update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryDraft {
    pub entry_id: Option<EntryId>,
    pub full_name: String,
    pub email_address: String,
    pub comments: String,
}

/// Everything a user can do in the Contacts Center.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// One outcome per user id, all in one transaction.
    People {
        verb: PersonVerb,
        user_ids: Vec<String>,
    },
    Request {
        verb: RequestVerb,
        request_id: RequestId,
    },
    SaveEntry(EntryDraft),
    DeleteEntry {
        entry_id: EntryId,
    },
}

impl Action {
    /// Shorthand for a person action on one user.
    pub fn on(verb: PersonVerb, user_id: impl Into<String>) -> Self {
        Action::People {
            verb,
            user_ids: vec![user_id.into()],
        }
    }
}

/// One relation for [`Social::link_many`], between two portal user ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkEdge {
    /// Stored both ways.
    Connection(String, String),
    /// The first follows the second.
    Follow(String, String),
    /// The first blocks the second.
    Block(String, String),
    /// A pending connection request from the first to the second.
    Request(String, String),
}

/// People per transaction in bulk imports: large enough that fsyncs don't dominate,
/// small enough that one batch doesn't hold the writer for long.
const IMPORT_BATCH: usize = 10_000;

/// The handle widgets hold. Cheap to clone; every method blocks (call it off the
/// async runtime) but those named `_async`, which wait for a commit as futures.
#[derive(Clone, Debug)]
pub struct Social {
    store: Store,
}

/// The writer's job for one action, stamped now.
fn acting(
    actor: &str,
    action: Action,
) -> impl for<'a, 'b> FnMut(&'a mut Tables<'b>) -> Result<Outcome, StoreError> + Send + 'static {
    let actor = actor.to_owned();
    let at = now();
    move |tables| rules::apply(tables, &actor, &action, at)
}

/// The writer's job that stores one person, once their record is valid, when their
/// existence is as `when` asks, looked at in the same write: whether they were new,
/// or `None` (nothing written) when it was not.
fn storing(
    person: Person,
    when: Existing,
) -> Result<
    impl for<'a, 'b> FnMut(&'a mut Tables<'b>) -> Result<Option<bool>, StoreError> + Send + 'static,
    StoreError,
> {
    validate(&person)?;
    Ok(move |tables: &mut Tables<'_>| {
        let created = tables.user_id(&person.id)?.is_none();
        if !when.holds(!created) {
            return Ok(None);
        }
        tables.upsert_person(&person)?;
        Ok(Some(created))
    })
}

/// The writer's job that removes a person who is there when `when` holds for them:
/// whether they were known, or `None` (nothing removed) when it does not hold. A
/// person not there is not known (RFC 9110, section 13.2.1: a condition is not looked
/// at where the request would fail without it).
fn deleting(
    portal_id: &str,
    when: Existing,
) -> impl for<'a, 'b> FnMut(&'a mut Tables<'b>) -> Result<Option<bool>, StoreError> + Send + 'static
{
    let id = portal_id.to_owned();
    move |tables| {
        if tables.user_id(&id)?.is_some() && !when.holds(true) {
            return Ok(None);
        }
        Ok(Some(tables.delete_person(&id)?))
    }
}

/// What a conditional write of the user API asks of the person it names, as HTTP's
/// `If-Match: *` (they exist) and `If-None-Match: *` (they do not) ask it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Existing {
    #[default]
    Any,
    Required,
    Refused,
    /// A condition nobody meets: an `If-Match` naming entity tags, which the host
    /// never gives, or both of the above at once.
    Unmet,
}

impl Existing {
    fn holds(self, exists: bool) -> bool {
        match self {
            Self::Any => true,
            Self::Required => exists,
            Self::Refused => !exists,
            Self::Unmet => false,
        }
    }
}

/// The writer's job that replaces one placement's preferences.
fn saving(
    portlet_id: &str,
    preferences: Preferences,
) -> impl for<'a, 'b> FnMut(&'a mut Tables<'b>) -> Result<(), StoreError> + Send + 'static {
    let id = portlet_id.to_owned();
    move |tables| tables.save_preferences(&id, &preferences)
}

fn validate(person: &Person) -> Result<(), StoreError> {
    if is_portal_user_id(&person.id) {
        Ok(())
    } else {
        Err(StoreError::InvalidPerson(format!(
            "malformed user id {:?}",
            person.id
        )))
    }
}

/// What a bulk upsert stored: people new to the directory, and records that updated
/// someone already there (stored before, or earlier in the same list).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Upserted {
    pub added: usize,
    pub updated: usize,
}

impl Social {
    /// Opens (or creates) the database file with grouped commits.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SocialError> {
        Self::open_with(path, StoreOptions::default())
    }

    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Self, SocialError> {
        Ok(Self {
            store: Store::open(path, options)?,
        })
    }

    /// Opens the graph on a storage backend of the caller's (see [`Store::open_on`]).
    pub fn open_on(
        backend: impl redb::StorageBackend,
        options: StoreOptions,
    ) -> Result<Self, SocialError> {
        Ok(Self {
            store: Store::open_on(backend, options)?,
        })
    }

    /// A database in memory, for tests.
    pub fn in_memory() -> Result<Self, SocialError> {
        Ok(Self {
            store: Store::in_memory()?,
        })
    }

    /// The store underneath, for tests that hold its writer.
    #[cfg(test)]
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The host's 32-byte secret for signing `p_auth` tokens.
    pub fn host_key(&self) -> [u8; 32] {
        self.store.host_key()
    }

    /// One snapshot for one render.
    pub fn read(&self) -> Result<Reader, SocialError> {
        Ok(self.store.read()?)
    }

    /// The database file's first I/O failure, after which nothing more is written
    /// until the host restarts (see [`Store::storage_failure`]).
    pub fn storage_failure(&self) -> Option<&str> {
        self.store.storage_failure()
    }

    /// Keeps `e` as the file's failure if it is the first I/O failure of the file: for
    /// failures met outside a write, such as a read during a render.
    pub fn note_storage_failure(&self, e: &StoreError) {
        self.store.note_failure(e);
    }

    /// Whether a storage recheck is due (at most one a second), claiming it if so:
    /// see [`Store::claim_recheck`].
    pub fn storage_recheck_due(&self) -> bool {
        self.store.claim_recheck(std::time::Duration::from_secs(1))
    }

    /// Asks the database whether its file has failed (see [`Store::recheck`]): after
    /// an answer of 500, whose cause may have been a read nobody noted. Blocking.
    pub fn recheck_storage(&self) {
        self.store.recheck();
    }

    /// How long the store's commits took, and what they wrote (see [`Store::commit_totals`]).
    pub fn commit_totals(&self) -> crate::store::CommitTotals {
        self.store.commit_totals()
    }

    /// How many snapshots [`Self::read`] has begun: a render should add exactly one.
    pub fn snapshots_taken(&self) -> u64 {
        self.store.snapshots_taken()
    }

    /// The standing lookups and mutual-connection walks of every snapshot ended so
    /// far: a list row's standing is a few lookups, a card's count is one walk.
    pub fn reads_done(&self) -> (u64, u64) {
        self.store.reads_done()
    }

    /// Applies `action` for `actor` (a portal user id); returns once durable.
    pub fn act(&self, actor: &str, action: Action) -> Result<Outcome, SocialError> {
        Ok(self.store.write(acting(actor, action))?)
    }

    /// [`Self::act`] as a future that waits for the commit without a thread.
    pub async fn act_async(&self, actor: &str, action: Action) -> Result<Outcome, SocialError> {
        Ok(self.store.write_async(acting(actor, action)).await?)
    }

    /// A starting state in one durable transaction: `people`, then each actor's
    /// action, then each placement's preferences. A seed left half written by a host
    /// stopped part way would never be finished (its people make the directory look
    /// seeded), so it is written whole or not at all. For the few dozen people of a
    /// demo; an import goes by [`Self::upsert_people`]. An action the rules refuse
    /// (a mistake in the seed: a person it does not have) fails the whole seed.
    pub fn seed_at_once(
        &self,
        people: Vec<Person>,
        actions: Vec<(String, Action)>,
        preferences: Vec<(String, Preferences)>,
    ) -> Result<(), SocialError> {
        for person in &people {
            validate(person)?;
        }
        let at = now();
        Ok(self.store.write(move |tables| {
            tables.upsert_people(&people)?;
            for (actor, action) in &actions {
                let outcome = rules::apply(tables, actor, action, at)?;
                if let Err(refusal) = outcome.first() {
                    return Err(StoreError::Refused(format!(
                        "the seed's action by {actor} was refused: {refusal:?}"
                    )));
                }
            }
            for (portlet_id, preferences) in &preferences {
                tables.save_preferences(portlet_id, preferences)?;
            }
            Ok(())
        })?)
    }

    /// Creates or refreshes a person of the directory.
    pub fn upsert_person(&self, person: Person) -> Result<(), SocialError> {
        self.store.write(storing(person, Existing::Any)?)?;
        Ok(())
    }

    /// [`Self::upsert_person`] as a future that waits for the commit without a thread,
    /// when the person's existence is as `when` asks: whether the person was new to
    /// the directory, or `None` when nothing was written since it was not.
    pub async fn upsert_person_async(
        &self,
        person: Person,
        when: Existing,
    ) -> Result<Option<bool>, SocialError> {
        Ok(self.store.write_async(storing(person, when)?).await?)
    }

    /// Bulk import: many people per transaction. Validates every record before
    /// writing any. Returns how many were stored. A storage error part way leaves
    /// the transactions before it committed (each [`IMPORT_BATCH`] people): an import
    /// stores each person whole or not at all, so running it again completes it.
    pub fn upsert_people(&self, people: Vec<Person>) -> Result<Upserted, SocialError> {
        for p in &people {
            validate(p)?;
        }
        let total = people.len();
        let mut added = 0;
        let mut people = people.into_iter().peekable();
        while people.peek().is_some() {
            let batch: Vec<Person> = people.by_ref().take(IMPORT_BATCH).collect();
            added += self
                .store
                .write(move |tables| tables.upsert_people(&batch))?;
        }
        Ok(Upserted {
            added,
            updated: total - added,
        })
    }

    /// Removes a person with all their edges, requests and entries. False when the
    /// person was unknown.
    pub fn delete_person(&self, portal_id: &str) -> Result<bool, SocialError> {
        // Asking nothing of the person, the job always answers.
        Ok(self
            .store
            .write(deleting(portal_id, Existing::Any))?
            .unwrap_or(false))
    }

    /// [`Self::delete_person`] as a future that waits for the commit without a thread,
    /// when the person's existence is as `when` asks (`None`, nothing removed, when not).
    pub async fn delete_person_async(
        &self,
        portal_id: &str,
        when: Existing,
    ) -> Result<Option<bool>, SocialError> {
        Ok(self.store.write_async(deleting(portal_id, when)).await?)
    }

    /// Replaces the preferences of one portlet placement (portlet id with instance).
    pub fn save_preferences(
        &self,
        portlet_id: &str,
        preferences: Preferences,
    ) -> Result<(), SocialError> {
        Ok(self.store.write(saving(portlet_id, preferences))?)
    }

    /// [`Self::save_preferences`] as a future that waits for the commit without a
    /// thread.
    pub async fn save_preferences_async(
        &self,
        portlet_id: &str,
        preferences: Preferences,
    ) -> Result<(), SocialError> {
        Ok(self
            .store
            .write_async(saving(portlet_id, preferences))
            .await?)
    }

    /// Every broken invariant of the database (empty when consistent).
    pub fn check_invariants(&self) -> Result<Vec<Violation>, SocialError> {
        Ok(crate::store::check_invariants(&self.read()?)?)
    }

    /// Writes many relations in one transaction (generators such as `seed`). Counts
    /// and indexes stay exact; self-edges, unknown people and relations already present
    /// are skipped, and a request is skipped when the pair is connected or a request
    /// is already pending either way. The caller keeps two rules: nothing across a
    /// block, and no connection for a pair with a request pending (a connection is
    /// written even then, and the request stays open beside it). `seed` keeps both;
    /// `check_invariants` verifies. Returns how many relations were added.
    pub fn link_many(&self, edges: Vec<BulkEdge>) -> Result<usize, SocialError> {
        let at = now();
        Ok(self.store.write(move |tables| {
            let mut ids: std::collections::HashMap<String, Option<UserId>> = Default::default();
            // Borrowed, not taken: the job may run again (a rolled-back batch).
            let mut resolve = |tables: &crate::store::Tables<'_>, id: &str| {
                if let Some(&known) = ids.get(id) {
                    return Ok(known);
                }
                let known = tables.user_id(id)?;
                ids.insert(id.to_owned(), known);
                Ok::<_, StoreError>(known)
            };
            let mut links = Vec::with_capacity(edges.len());
            let mut requests = Vec::new();
            for edge in &edges {
                let (kind, a, b) = match edge {
                    BulkEdge::Connection(a, b) => (Some(Edge::Connection), a, b),
                    BulkEdge::Follow(a, b) => (Some(Edge::Follow), a, b),
                    BulkEdge::Block(a, b) => (Some(Edge::Block), a, b),
                    BulkEdge::Request(a, b) => (None, a, b),
                };
                let (Some(a), Some(b)) = (resolve(tables, a)?, resolve(tables, b)?) else {
                    continue;
                };
                match kind {
                    Some(kind) => links.push((kind, a, b)),
                    None => requests.push((a, b)),
                }
            }
            let mut added = tables.link_many(&links)?;
            for (a, b) in requests {
                let open = a == b
                    || tables.has(Edge::Connection, a, b)?
                    || tables.pending_request(a, b)?.is_some()
                    || tables.pending_request(b, a)?.is_some();
                if !open {
                    tables.open_request(a, b, at)?;
                    added += 1;
                }
            }
            Ok(added)
        })?)
    }

    /// Writes a consistent snapshot of the whole database to `dest` (a fresh redb
    /// file, fsynced and renamed into place). Safe while actions are being applied:
    /// the copy reads one MVCC snapshot and never blocks the writer.
    pub fn backup_to(&self, dest: impl AsRef<Path>) -> Result<(), SocialError> {
        Ok(crate::store::backup_to(&self.read()?, dest.as_ref())?)
    }

    /// [`Self::backup_to`], given up once `stop` says so (the host stopping).
    pub fn backup_until(
        &self,
        dest: impl AsRef<Path>,
        stop: crate::store::Stop<'_>,
    ) -> Result<(), SocialError> {
        Ok(crate::store::backup_until(
            &self.read()?,
            dest.as_ref(),
            stop,
        )?)
    }
}
