//! The social graph's storage: one redb file, a single writer thread that groups
//! concurrent actions into one durable commit, and MVCC readers that never wait.
//!
//! `store` knows nothing of the social rules: it offers a small [`Graph`] interface
//! (people, directed edges, requests, personal entries) whose every write keeps both
//! directions of an edge, the counts and the sorted list indexes in step. The rules in
//! [`crate::social`] run over that interface, inside the writer's transaction.

mod backup;
mod commit_times;
mod error;
#[cfg(test)]
pub(crate) mod flaky_disk;
mod folders;
mod graph;
mod invariants;
pub mod memory;
mod normalize;
mod person;
mod reader;
mod record;
mod tables;
mod writer;

pub use backup::{
    DbSummary, Restored, Stop, backup_file, backup_to, backup_until, forget_cached_pages,
    has_redb_signature, inspect_file, people_in_file, remove_stale_temporaries, restore_file,
};
pub use commit_times::{COMMIT_BUCKETS, CommitTotals};
pub use error::StoreError;
pub use folders::{A_FILE_NOT_A_FOLDER, create_folder, shared_mode};
pub use graph::{Edge, Entry, Graph, RequestStatus, SocialRequest};
pub use invariants::{Violation, check_invariants};
pub(crate) use normalize::search_query;
pub use normalize::{
    MAX_MARKS, MAX_USER_ID_LEN, fold, fold_for_search, is_invisible, is_portal_user_id, is_shown,
    shows_nothing, with_few_marks,
};
pub use person::{
    ContactInformation, EmailAddress, Person, Phone, PostalAddress, Searchable, WebUrl,
    same_mailbox,
};
pub use reader::{
    Counts, Filter, Listed, MUTUAL_SCAN_LIMIT, Page, Preferences, Reader, Relationship,
    RequestSide, RequestView, SEARCH_SCAN_LIMIT, is_cursor,
};
pub use tables::Tables;
pub use writer::{Store, StoreOptions, WRITER_THREAD};

/// Internal integer id of a person; portal user ids map to one of these once.
pub type UserId = u64;
/// Id of a connection request (shown to the widget layer as `requestId`).
pub type RequestId = u64;
/// Id of a personal contact entry (`entryId`).
pub type EntryId = u64;
