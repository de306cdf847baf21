//! The small interface the social rules run over. Implemented by the redb write
//! transaction ([`super::Tables`]) and by an in-memory graph ([`super::memory::MemGraph`])
//! for unit tests. Every write keeps reverse rows, counts and indexes in step, so the
//! rules never see (or forget) the bookkeeping.

use serde::{Deserialize, Serialize};

use super::{EntryId, RequestId, StoreError, UserId};

/// A directed relation. A connection is stored both ways; `has(Connection, a, b)` is
/// symmetric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Edge {
    Connection,
    /// `a` follows `b`.
    Follow,
    /// `a` blocks `b`.
    Block,
}

/// Where a connection request stands. Only `Pending` is written now: an answered,
/// withdrawn or cancelled request is deleted (it leaves nothing behind), and a second
/// answer is refused as "not pending" from the request ids already issued. The other
/// statuses are read from files written before that, which may still hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestStatus {
    Pending,
    Accepted,
    Ignored,
    Withdrawn,
    /// Dropped by a block.
    Cancelled,
}

/// A connection request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialRequest {
    pub id: RequestId,
    pub requester: UserId,
    pub receiver: UserId,
    /// Unix seconds.
    pub created_at: u64,
    pub status: RequestStatus,
}

/// A personal contact ("My Contacts") owned by one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// 0 for an entry not yet stored.
    pub entry_id: EntryId,
    /// Internal id of the owning user.
    pub owner: UserId,
    pub full_name: String,
    pub email_address: String,
    pub comments: String,
}

/// What the rules may read and write.
pub trait Graph {
    /// The internal id of a portal user id, if the person is in the directory.
    fn user_id(&self, portal_id: &str) -> Result<Option<UserId>, StoreError>;
    /// The portal user id of an internal id.
    fn portal_id(&self, user: UserId) -> Result<Option<String>, StoreError>;

    fn has(&self, edge: Edge, a: UserId, b: UserId) -> Result<bool, StoreError>;
    /// Adds the edge (and its reverse row, counts, indexes). No-op when present.
    fn link(&mut self, edge: Edge, a: UserId, b: UserId) -> Result<(), StoreError>;
    /// Removes the edge. No-op when absent.
    fn unlink(&mut self, edge: Edge, a: UserId, b: UserId) -> Result<(), StoreError>;

    /// The pending request from `requester` to `receiver`, if any.
    fn pending_request(
        &self,
        requester: UserId,
        receiver: UserId,
    ) -> Result<Option<RequestId>, StoreError>;
    /// A pending request by id (or, in a file from before requests were deleted as
    /// they closed, an answered one).
    fn request(&self, id: RequestId) -> Result<Option<SocialRequest>, StoreError>;
    /// Whether the store ever handed out `id`: requests are numbered in order, so an
    /// id below the next one names a request that was answered, withdrawn, cancelled
    /// or went with a deleted person.
    fn issued_request(&self, id: RequestId) -> Result<bool, StoreError>;
    /// Whether the store ever handed out the personal contact id `id` (numbered in
    /// order, as requests are).
    fn issued_entry(&self, id: EntryId) -> Result<bool, StoreError>;
    fn open_request(
        &mut self,
        requester: UserId,
        receiver: UserId,
        created_at: u64,
    ) -> Result<RequestId, StoreError>;
    /// Ends a request: its record and every index row go. An answered request is
    /// kept by nothing (its outcome, a connection or none, is in the graph), and
    /// keeping them let one person grow the file without bound: 200 requests a bulk
    /// action, closed by a bulk block and opened again after an unblock.
    fn close_request(&mut self, id: RequestId) -> Result<(), StoreError>;

    fn entry(&self, id: EntryId) -> Result<Option<Entry>, StoreError>;
    /// How many personal contacts `owner` keeps (a count kept with the entries).
    fn entry_count(&self, owner: UserId) -> Result<u64, StoreError>;
    /// The owner's entry with this (case-insensitive) email, if any.
    fn entry_by_email(&self, owner: UserId, email: &str) -> Result<Option<EntryId>, StoreError>;
    /// Creates (`entry_id == 0`) or replaces an entry; returns its id.
    fn put_entry(&mut self, entry: Entry) -> Result<EntryId, StoreError>;
    fn delete_entry(&mut self, id: EntryId) -> Result<(), StoreError>;
}
