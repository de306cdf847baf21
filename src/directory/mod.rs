//! The portal's user directory, brought into the social graph: Liferay
//! headless-admin-user `UserAccount` JSON mapped into [`crate::store::Person`]
//! ([`account`]), bulk import of exported files ([`import`]), and a synthetic directory
//! with a social graph for demos and benchmarks ([`seed`]).
//!
//! # Which field is the portal user id
//!
//! The id stored for a person must be exactly what the portal later sends as the JWT
//! `sub`, or the signed-in user would not find themselves. By default
//! ([`IdSource::Auto`]) it is the account's `externalReferenceCode` when present (it
//! is stable, set by the portal or an upstream identity system, and survives moves
//! between portal instances), else the numeric `id` written in decimal (Liferay's
//! `userId`, what its own OAuth2 tokens carry), else the screen name
//! (`alternateName`), for hand-written files without ids. Screen names come last
//! because Liferay lets users change them. A deployment whose portal puts something
//! else in `sub` picks the field explicitly (`import-users --id-field`).

pub mod account;
pub mod import;
pub mod seed;

pub use account::{IdSource, UserAccount};
pub use import::{
    ImportOptions, ImportProgress, ImportReport, MAX_INACTIVE_LOOKED_UP, MAX_LISTED_REJECTIONS,
    MAX_RECORD_BYTES, Rejected, check_start, import_file, import_opened, import_reader,
    import_slice,
};
pub use seed::{SeedOptions, SeedReport, refuse_a_peopled_directory, seed, seeded_id};

use std::path::PathBuf;

use crate::social::SocialError;

/// The directory layer's one error enum. A single bad record is not an error of the
/// import (it is a [`Rejected`] line of the report); these stop the whole run.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not one of the accepted shapes, or its JSON breaks off.
    #[error("not UserAccount JSON: {0}")]
    Format(String),
    /// `seed` was asked for something it does not do (too many people, a database
    /// that already has a directory).
    #[error("{0}")]
    Seed(String),
    #[error(transparent)]
    Social(#[from] SocialError),
    /// The database failed during an import: the file was fine as far as it was read.
    #[error("{source} (after {records} record(s), {imported} imported)")]
    Storing {
        records: usize,
        imported: usize,
        source: SocialError,
    },
}
