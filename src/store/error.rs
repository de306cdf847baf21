//! The storage layer's one error enum.

/// Why the store could not do what was asked. Rule refusals are not errors: they live
/// in [`crate::social`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] redb::Error),
    /// A stored value did not decode: the file was written by something else.
    #[error("corrupt record in {table}: {why}")]
    Corrupt { table: &'static str, why: String },
    #[error("database schema version {found} is newer than this host supports ({supported})")]
    SchemaTooNew { found: u64, supported: u64 },
    /// `check-db` reads a file as it is; an older schema is migrated only by opening
    /// it to serve (or by `restore`, which migrates its copy first).
    #[error(
        "database schema version {found} is older than this host's ({current}): check-db reads a file as it is; a host started on it migrates it first, and `restore` of it migrates and checks its copy"
    )]
    SchemaOlder { found: u64, current: u64 },
    /// A person record the directory refused (bad id, ...).
    #[error("invalid person: {0}")]
    InvalidPerson(String),
    /// A list cursor that this host did not hand out.
    #[error("invalid cursor")]
    BadCursor,
    /// The host, or the `backup` command, began to stop while a backup was being
    /// written: the copy stopped, its temporary file was removed, and nothing took the
    /// backup's name.
    #[error("the backup was stopped by a shutdown signal")]
    ShuttingDown,
    /// A write was rolled back with its batch, nothing of it written: it panicked (a
    /// bug), or the text is of the error another caller of the same commit got.
    #[error("write batch failed: {0}")]
    BatchFailed(String),
    /// A write that would break the store's own invariants, which the rules never ask
    /// for (a relation of a person with themselves, an entry replaced that does not
    /// exist): refused rather than written, whoever called.
    #[error("write refused: {0}")]
    Refused(String),
    /// Another process (normally the running server) holds the database file.
    #[error("the database {} is in use by another process", .0.display())]
    Locked(std::path::PathBuf),
    /// A file operation failed: opening the database file, or one of backup,
    /// restore or check.
    #[error("{}: {source}", path.display())]
    File {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// A file offered for restore is not a consistent database of this host.
    #[error("{} is not a usable backup: {why}", path.display())]
    BadBackup {
        path: std::path::PathBuf,
        why: String,
    },
    /// The writer gave no answer: its thread is gone (it panicked, or the store is
    /// shutting down), or the write never ran because the store failed to begin its
    /// transaction, which is reported on its own (`/healthz`, the error log).
    #[error("the store's writer did not run this write (it has stopped, or the store failed)")]
    WriterGone,
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(e.into())
            }
        }
    )*};
}

from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

impl StoreError {
    /// An I/O failure of the database file (a write, sync or read the system refused,
    /// a full disk among them). redb refuses every later use of the file after one
    /// (`PreviousIo`) until it is opened again, so the host cannot serve on.
    pub fn is_storage_failure(&self) -> bool {
        matches!(
            self,
            StoreError::Db(redb::Error::Io(_) | redb::Error::PreviousIo)
        )
    }

    /// The file is there but its content is not a database this host wrote whole: no
    /// redb file at all (a zeroed block: redb says so as invalid data), one cut short
    /// inside redb's header (an early end of file), a format too old to read, a
    /// checksum or structure redb rejects, or a table that does not decode. `restore`
    /// reads a backup's open failures the same way.
    pub fn is_damage(&self) -> bool {
        match self {
            StoreError::Corrupt { .. }
            | StoreError::Db(redb::Error::Corrupted(_) | redb::Error::UpgradeRequired(_)) => true,
            StoreError::Db(redb::Error::Io(e)) => matches!(
                e.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
            ),
            _ => false,
        }
    }

    pub(crate) fn corrupt(table: &'static str, why: impl ToString) -> Self {
        StoreError::Corrupt {
            table,
            why: why.to_string(),
        }
    }
}
