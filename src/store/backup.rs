//! Offline and online copies of the database: backup, restore and inspection.
//!
//! A backup copies every table inside ONE read transaction, so it is a consistent
//! snapshot even while the writer keeps committing (MVCC: the reader never waits and
//! never sees half a batch). The copy is written to a temporary file beside the
//! destination, fsynced, then renamed into place, so a crash never leaves a torn
//! backup under the final name.
//!
//! redb locks its file: while the server runs, no other process may open the
//! database. The server therefore takes backups through [`backup_to`] on its own
//! handle; the offline helpers here ([`backup_file`], [`restore_file`],
//! [`inspect_file`]) report [`StoreError::Locked`] instead.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use redb::{
    Database, DatabaseError, Key, ReadableDatabase, ReadableTableMetadata, TableDefinition, Value,
    WriteTransaction,
};

use super::StoreError;
use super::invariants::{Violation, check_invariants};
use super::reader::Reader;
use super::tables::{self, SCHEMA_VERSION};

/// What `check-db` and `restore` report about a database file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DbSummary {
    pub schema_version: u64,
    pub people: u64,
    /// Connections, each counted once.
    pub connections: u64,
    pub follows: u64,
    pub blocks: u64,
    /// Every request on record, whatever its status.
    pub requests: u64,
    pub pending_requests: u64,
    pub entries: u64,
    /// Broken invariants; empty when the database is consistent.
    pub violations: Vec<Violation>,
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::File {
        path: path.to_owned(),
        source,
    }
}

/// Opens an existing database file without creating it; a lock held by another
/// process reads as [`StoreError::Locked`].
fn open_existing(path: &Path) -> Result<Database, StoreError> {
    if !path.is_file() {
        return Err(StoreError::File {
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no database file here"),
        });
    }
    // Read through once: redb's default cache (1 GiB) would hold most of a large file
    // in memory for nothing. Every page's checksum is verified first: redb checks them
    // only when asked, and a value read from an altered page may panic as it is
    // decoded; these offline commands read every page anyway, and a backup is exactly
    // where damage from outside redb turns up.
    match Database::builder()
        .set_cache_size(COPY_CACHE_BYTES)
        .set_check_integrity_on_open(true)
        .open(path)
    {
        Ok(db) => Ok(db),
        Err(DatabaseError::DatabaseAlreadyOpen) => Err(StoreError::Locked(path.to_owned())),
        Err(e) => Err(e.into()),
    }
}

/// `dir/.name.tmp-PID-RANDOM`: the temporary sibling a file is written to before the
/// rename. Random, not just the process id: two backups to the same name at once (two
/// `POST /api/backup` in one second) must not write into, or delete, each other's
/// temporary file.
fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "database".into());
    let unique: u64 = rand::random();
    path.with_file_name(format!(".{name}.tmp-{}-{unique:016x}", std::process::id()))
}

/// Creates `path` empty, readable and writable by its owner only, for a database to
/// be made in: it will hold the host key, which signs every action token, and the WSRP
/// registration handles. Made so from the start, not changed after its first bytes.
pub(crate) fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop).map_err(file_error(path))
}

/// Flushes a finished file and its directory entry, then renames it over `dest`. The
/// file is made its owner's alone first (should it have been made otherwise): a file
/// system that keeps no modes is only warned of.
fn commit_file(temp: &Path, dest: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(error) = fs::set_permissions(temp, fs::Permissions::from_mode(0o600)) {
            tracing::warn!(%error, path = %temp.display(), "cannot make the database file its owner's alone");
        }
    }
    File::open(temp)
        .and_then(|f| f.sync_all())
        .map_err(file_error(temp))?;
    fs::rename(temp, dest).map_err(file_error(dest))?;
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Make the rename itself durable; some platforms cannot open a directory,
        // and the data is already safe, so a failure here is not an error.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn copy_table<K: Key + 'static, V: Value + 'static>(
    from: &Reader,
    to: &WriteTransaction,
    def: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    let source = from.table(def)?;
    copy_rows(&source, to, def)
}

/// Copies `def` when the snapshot has it. The people table changed with schema 3: an
/// offline backup of a file an older host left holds the older one, and a restore
/// migrates it.
fn copy_table_if_present<K: Key + 'static, V: Value + 'static>(
    from: &Reader,
    to: &WriteTransaction,
    def: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    match from.table_if_present(def)? {
        Some(source) => copy_rows(&source, to, def),
        None => Ok(()),
    }
}

fn copy_rows<K: Key + 'static, V: Value + 'static>(
    source: &redb::ReadOnlyTable<K, V>,
    to: &WriteTransaction,
    def: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    let mut target = to.open_table(def)?;
    for row in redb::ReadableTable::iter(source)? {
        let (k, v) = row?;
        target.insert(k.value(), v.value())?;
    }
    Ok(())
}

/// Copies every table of the snapshot `reader` into a fresh database at `dest`
/// (replaced atomically if it exists). This is what `POST /api/backup` runs.
pub fn backup_to(reader: &Reader, dest: &Path) -> Result<(), StoreError> {
    let temp = temp_beside(dest);
    let result = write_copy(reader, &temp).and_then(|()| commit_file(&temp, dest));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Cache of a database read or written through once: a backup's copy, a file
/// `check-db` or `backup` opens. They need little, and inside a serving host redb's
/// default (1 GiB) would let a backup of a large file grow the process far past the
/// store's own cache.
const COPY_CACHE_BYTES: usize = 16 * 1024 * 1024;

fn write_copy(reader: &Reader, temp: &Path) -> Result<(), StoreError> {
    create_owner_only(temp)?;
    let db = Database::builder()
        .set_cache_size(COPY_CACHE_BYTES)
        .create(temp)?;
    let txn = db.begin_write()?;
    copy_table(reader, &txn, tables::META)?;
    copy_table(reader, &txn, tables::PORTALID_USERID)?;
    copy_table_if_present(reader, &txn, tables::USERID_PERSON)?;
    copy_table_if_present(reader, &txn, super::record::USERID_PERSON_JSON)?;
    copy_table(reader, &txn, tables::USERID_SORTKEY)?;
    copy_table(reader, &txn, tables::SORTKEY_USERID)?;
    copy_table(reader, &txn, tables::PREFIX_SORTKEY_USERID)?;
    copy_table(reader, &txn, tables::USERID_CONNECTEDID)?;
    copy_table(reader, &txn, tables::USERID_FOLLOWINGID)?;
    copy_table(reader, &txn, tables::USERID_FOLLOWERID)?;
    copy_table(reader, &txn, tables::USERID_BLOCKEDID)?;
    copy_table(reader, &txn, tables::USERID_BLOCKERID)?;
    copy_table(reader, &txn, tables::REQUESTID_REQUEST)?;
    copy_table(reader, &txn, tables::RECEIVERID_REQUESTERID)?;
    copy_table(reader, &txn, tables::REQUESTERID_RECEIVERID)?;
    // Added with schema 4, like `userid_resort` below.
    copy_table_if_present(reader, &txn, tables::RECEIVERID_REQUESTID)?;
    copy_table(reader, &txn, tables::USERID_REQUESTID)?;
    copy_table(reader, &txn, tables::USERID_COUNTS)?;
    copy_table(reader, &txn, tables::USERID_LIST_SORTKEY_OTHERID)?;
    copy_table(reader, &txn, tables::ENTRYID_ENTRY)?;
    copy_table(reader, &txn, tables::USERID_ENTRYID)?;
    copy_table(reader, &txn, tables::USERID_ENTRYEMAIL)?;
    copy_table(reader, &txn, tables::USERID_ENTRYSORTKEY_ENTRYID)?;
    copy_table(reader, &txn, tables::PORTLETID_PREFERENCES)?;
    // Added within schema 1, so a file from before it may lack the table.
    copy_table_if_present(reader, &txn, tables::REGISTRATIONHANDLE_REGISTRATION)?;
    // Added with schema 4: an offline backup of an older file lacks it.
    copy_table_if_present(reader, &txn, tables::USERID_RESORT)?;
    txn.commit()?;
    drop(db);
    Ok(())
}

/// Backs up the database at `db_path` (server stopped) into `dest`.
pub fn backup_file(db_path: &Path, dest: &Path) -> Result<(), StoreError> {
    let copied = {
        let db = open_existing(db_path)?;
        let reader = Reader::new(db.begin_read()?);
        backup_to(&reader, dest)
    };
    let _ = forget_cached_pages(db_path);
    copied
}

/// Opens a database file (server stopped), checks its schema version and every
/// invariant, and counts what it holds.
pub fn inspect_file(path: &Path) -> Result<DbSummary, StoreError> {
    let summary = {
        let db = open_existing(path)?;
        let reader = Reader::new(db.begin_read()?);
        summarize(&reader)
    };
    let _ = forget_cached_pages(path);
    summary
}

/// Drops a database file's pages from the operating system's cache once an offline
/// command has read it through (the database closed). Those reads came with the
/// kernel's read-ahead, which Linux caches in large folios, and a host started next
/// would pay for them on every page its commits write: about three times the CPU per
/// action (see `advise_random_access` in `writer.rs`). Dropped, the host starts as
/// after a reboot and reads what it needs page by page. `restore`'s new file is
/// dropped the same way, by the check that reads it before it takes the name. The
/// commands take it as best effort: a failure leaves the cache as it was. The
/// benchmark drops its seeded file the same way before a cold first render.
/// `Unsupported` off Linux.
pub fn forget_cached_pages(path: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let file = File::open(path)?;
        // Dirty pages are not dropped: written out first, they are clean.
        file.sync_data()?;
        rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed)?;
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

fn summarize(reader: &Reader) -> Result<DbSummary, StoreError> {
    let schema_version = match reader.table(tables::META)?.get(tables::META_SCHEMA)? {
        Some(v) => <[u8; 8]>::try_from(v.value())
            .map(u64::from_le_bytes)
            .map_err(|_| StoreError::corrupt("meta", "schema version is not 8 bytes"))?,
        None => return Err(StoreError::corrupt("meta", "no schema version")),
    };
    if schema_version > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: schema_version,
            supported: SCHEMA_VERSION,
        });
    }
    if schema_version < SCHEMA_VERSION {
        return Err(StoreError::SchemaOlder {
            found: schema_version,
            current: SCHEMA_VERSION,
        });
    }
    Ok(DbSummary {
        schema_version,
        people: reader.directory_size()?,
        connections: reader.table(tables::USERID_CONNECTEDID)?.len()? / 2,
        follows: reader.table(tables::USERID_FOLLOWINGID)?.len()?,
        blocks: reader.table(tables::USERID_BLOCKEDID)?.len()?,
        requests: reader.table(tables::REQUESTID_REQUEST)?.len()?,
        pending_requests: reader.table(tables::RECEIVERID_REQUESTERID)?.len()?,
        entries: reader.table(tables::ENTRYID_ENTRY)?.len()?,
        violations: check_invariants(reader)?,
    })
}

/// Brings a closed database file of an older schema to this host's. A file with no
/// schema version is left as it is, for the inspection to refuse.
fn migrate(path: &Path) -> Result<(), StoreError> {
    let db = open_existing(path)?;
    let versioned = {
        let txn = db.begin_read()?;
        match txn.open_table(tables::META) {
            Ok(meta) => meta.get(tables::META_SCHEMA)?.is_some(),
            Err(redb::TableError::TableDoesNotExist(_)) => false,
            Err(e) => return Err(e.into()),
        }
    };
    if versioned {
        tables::prepare(&db)?;
    }
    Ok(())
}

/// Whether an open failed on the file's content (cut short, zeroed, not a database, a
/// format too old to read) rather than on locks or permissions.
fn reads_as_damage(error: &DatabaseError) -> bool {
    match error {
        DatabaseError::UpgradeRequired(_) => true,
        DatabaseError::Storage(redb::StorageError::Corrupted(_)) => true,
        DatabaseError::Storage(redb::StorageError::Io(io)) => matches!(
            io.kind(),
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
        ),
        _ => false,
    }
}

/// The live database's lock, held by `restore` from its check that no server runs
/// until its rename.
enum LiveFileGuard {
    /// The live database, open.
    Open { _held: Database },
    /// A live file that does not open as a database: an exclusive lock on the file,
    /// which a redb open honours as well.
    Damaged { _held: File },
    /// There was no live file: an empty database made to hold the name, removed again
    /// if the restore fails.
    Made(Database, PathBuf),
}

impl LiveFileGuard {
    fn take(db_path: &Path) -> Result<Self, StoreError> {
        if !db_path.exists() {
            let made = Database::create(db_path).map_err(|e| match e {
                DatabaseError::DatabaseAlreadyOpen => StoreError::Locked(db_path.to_owned()),
                other => other.into(),
            })?;
            return Ok(Self::Made(made, db_path.to_owned()));
        }
        // A live file that does not open at all (truncated, zeroed by a full disk) is
        // just what a restore is for: it is replaced like a whole one. Anything else
        // that stops the open (another redb version's lock, a file we may not read)
        // says nothing about whether the file is in use: refuse then.
        match Database::open(db_path) {
            Ok(db) => Ok(Self::Open { _held: db }),
            Err(DatabaseError::DatabaseAlreadyOpen) => Err(StoreError::Locked(db_path.to_owned())),
            Err(damaged) if reads_as_damage(&damaged) => {
                tracing::warn!(error = %damaged, "the database being replaced does not open");
                let file = File::open(db_path).map_err(file_error(db_path))?;
                match file.try_lock() {
                    Ok(()) => Ok(Self::Damaged { _held: file }),
                    Err(std::fs::TryLockError::WouldBlock) => {
                        Err(StoreError::Locked(db_path.to_owned()))
                    }
                    Err(std::fs::TryLockError::Error(e)) => Err(file_error(db_path)(e)),
                }
            }
            Err(other) => Err(other.into()),
        }
    }

    /// A failed restore leaves no file where there was none. The name goes while the
    /// lock is still held: released first, a server starting in between could open
    /// the empty file and go on writing to it after it is unlinked.
    fn abandon(self) {
        if let Self::Made(db, path) = self {
            let _ = fs::remove_file(path);
            drop(db);
        }
    }
}

/// Replaces the database at `db_path` (server stopped) with the backup `backup`,
/// after checking that the backup opens, has a schema this host reads and breaks no
/// invariant. The swap is a rename, so the old database stays whole until the new
/// one is fully in place. Returns what the restored database holds.
pub fn restore_file(backup: &Path, db_path: &Path) -> Result<DbSummary, StoreError> {
    // Held until the new file has taken the name: a server started meanwhile finds
    // the database locked and stops, where it would otherwise open the old file (or
    // create a new one) and go on committing to a file the rename is about to unlink.
    let guard = LiveFileGuard::take(db_path)?;
    let temp = temp_beside(db_path);
    let result = (|| {
        if !backup.is_file() {
            return Err(StoreError::File {
                path: backup.to_owned(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        // Made its owner's alone before any byte of it is written: it holds the host
        // key (`fs::copy` would give it the backup's own mode until the rename).
        create_owner_only(&temp)?;
        let mut from = fs::File::open(backup).map_err(file_error(backup))?;
        let mut to = fs::OpenOptions::new()
            .write(true)
            .open(&temp)
            .map_err(file_error(&temp))?;
        copy_naming((&mut from, backup), (&mut to, &temp))?;
        drop(to);
        // A backup from an older host is migrated in the copy, as serving it would.
        let summary = migrate(&temp)
            .and_then(|()| inspect_file(&temp))
            .map_err(|e| match e {
                StoreError::File { .. } | StoreError::Locked(_) => e,
                other => StoreError::BadBackup {
                    path: backup.to_owned(),
                    why: other.to_string(),
                },
            })?;
        if let Some(first) = summary.violations.first() {
            return Err(StoreError::BadBackup {
                path: backup.to_owned(),
                why: format!(
                    "{} broken invariant(s), first: {first}",
                    summary.violations.len()
                ),
            });
        }
        commit_file(&temp, db_path)?;
        Ok(summary)
    })();
    match &result {
        // The new file has the name: the lock can go.
        Ok(_) => drop(guard),
        Err(_) => {
            let _ = fs::remove_file(&temp);
            guard.abandon();
        }
    }
    result
}

/// Copies one file into another. An error names the file that failed: the backup
/// when it could not be read, the copy when it could not be written (a full disk).
fn copy_naming(
    (from, from_path): (&mut impl std::io::Read, &Path),
    (to, to_path): (&mut impl std::io::Write, &Path),
) -> Result<u64, StoreError> {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut copied = 0u64;
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) => return Ok(copied),
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(file_error(from_path)(e)),
        };
        to.write_all(&buffer[..read]).map_err(file_error(to_path))?;
        copied += read as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failed write names the copy, a failed read the backup.
    #[test]
    fn a_failed_copy_names_the_file_that_failed() {
        let named = |result: Result<u64, StoreError>| match result {
            Err(StoreError::File { path, .. }) => path,
            other => panic!("not a file error: {other:?}"),
        };
        let (backup, copy) = (Path::new("backup.redb"), Path::new("copy.redb"));
        struct Full;
        impl std::io::Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::from(std::io::ErrorKind::StorageFull))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        struct Unreadable;
        impl std::io::Read for Unreadable {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("bad sector"))
            }
        }
        let written = copy_naming((&mut &b"pages"[..], backup), (&mut Full, copy));
        assert_eq!(named(written), copy);
        let read = copy_naming((&mut Unreadable, backup), (&mut Vec::new(), copy));
        assert_eq!(named(read), backup);
        let mut into = Vec::new();
        let copied = copy_naming((&mut &b"pages"[..], backup), (&mut into, copy));
        assert_eq!((copied.expect("copied"), into), (5, b"pages".to_vec()));
    }

    #[test]
    fn only_a_damaged_file_reads_as_damage() {
        let io =
            |kind: std::io::ErrorKind| DatabaseError::Storage(redb::StorageError::Io(kind.into()));
        assert!(reads_as_damage(&io(std::io::ErrorKind::InvalidData)));
        assert!(reads_as_damage(&io(std::io::ErrorKind::UnexpectedEof)));
        assert!(reads_as_damage(&DatabaseError::Storage(
            redb::StorageError::Corrupted("bad checksum".into())
        )));
        assert!(reads_as_damage(&DatabaseError::UpgradeRequired(1)));
        // A lock of another redb version, or a file we may not read, may be in use.
        assert!(!reads_as_damage(&DatabaseError::LockProtocolMismatch));
        assert!(!reads_as_damage(&DatabaseError::DatabaseAlreadyOpen));
        assert!(!reads_as_damage(&io(std::io::ErrorKind::PermissionDenied)));
        assert!(!reads_as_damage(&io(std::io::ErrorKind::WouldBlock)));
    }

    /// While `restore` holds the live file, a server cannot open it, whether the file
    /// was whole, damaged or not there; afterwards it can, and a failed restore leaves
    /// no file where there was none.
    #[test]
    fn a_server_cannot_open_the_live_file_while_restore_holds_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let held = |path: &Path| {
            matches!(
                Database::open(path),
                Err(DatabaseError::DatabaseAlreadyOpen)
            )
        };
        let whole = dir.path().join("whole.redb");
        drop(Database::create(&whole).expect("create"));
        let damaged = dir.path().join("damaged.redb");
        fs::write(&damaged, vec![0u8; 8192]).expect("write");
        let missing = dir.path().join("missing.redb");
        for path in [&whole, &damaged, &missing] {
            let guard = LiveFileGuard::take(path).expect("take");
            assert!(held(path), "{}", path.display());
            // A second restore is refused too.
            assert!(matches!(
                LiveFileGuard::take(path),
                Err(StoreError::Locked(_))
            ));
            if path == &missing {
                guard.abandon();
                assert!(!missing.exists(), "a failed restore made a file");
            } else {
                drop(guard);
            }
        }
        assert!(Database::open(&whole).is_ok());
        // The damaged file is free again: redb opens it far enough to say it is not a
        // database, not that it is in use.
        assert!(!held(&damaged));
    }
}
