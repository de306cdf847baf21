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
    // An empty file is what a restore cut short leaves where there was no database:
    // no database yet, as a server that starts on it finds, not a damaged one. A file
    // the command may not look at says so, not that there is none.
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() > 0 => {}
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(file_error(path)(e)),
        _ => {
            return Err(StoreError::File {
                path: path.to_owned(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no database file here"),
            });
        }
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
        // Another version of redb's lock is a host of another version, running.
        Err(DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch) => {
            Err(StoreError::Locked(path.to_owned()))
        }
        Err(e) => Err(open_error(path, e)),
    }
}

/// A file that would not open for a reason of its own (its permissions, a read-only
/// mount), named: redb's error names no file, and `restore` would have seemed to
/// blame the backup it was given. redb opens every file for writing, so one the
/// command may only read says what it needs. Damage stays redb's error, which
/// callers tell apart ([`StoreError::is_damage`]).
fn open_error(path: &Path, error: DatabaseError) -> StoreError {
    match error {
        DatabaseError::Storage(redb::StorageError::Io(source))
            if !matches!(
                source.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
            ) =>
        {
            let source = match source.kind() {
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                    std::io::Error::new(
                        source.kind(),
                        format!(
                            "{source}; the database is opened for writing (check-db repairs \
                             and commits, backup and restore lock it), so run this as the \
                             file's owner, or on a copy you may write"
                        ),
                    )
                }
                _ => source,
            };
            StoreError::File {
                path: path.to_owned(),
                source,
            }
        }
        other => other.into(),
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

/// Whether `name` is one [`temp_beside`] makes: `.NAME.tmp-PID-RANDOM`, the random
/// part 16 hexadecimal digits.
fn is_temporary(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let Some((_, tail)) = rest.rsplit_once(".tmp-") else {
        return false;
    };
    let Some((pid, random)) = tail.split_once('-') else {
        return false;
    };
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && random.len() == 16
        && random.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes the temporary files a backup or restore left in `dir` when its process
/// was killed mid-copy: each as large as the database, hidden from `ls` and from a
/// clean-up by `*.redb`, on the disk the commits need. Only safe while this process
/// holds the database's lock: every writer of such a file in the data folder (the
/// host's backups, `backup`, `restore`) holds it while the file exists. Returns how
/// many files and bytes went.
pub fn remove_stale_temporaries(dir: &Path) -> (usize, u64) {
    let Ok(entries) = fs::read_dir(dir) else {
        return (0, 0);
    };
    let mut removed = (0, 0);
    for entry in entries.flatten() {
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file || !is_temporary(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let bytes = entry.metadata().map_or(0, |m| m.len());
        match fs::remove_file(entry.path()) {
            Ok(()) => {
                tracing::warn!(file = %entry.path().display(), bytes, "removed a temporary file an interrupted backup or restore left");
                removed.0 += 1;
                removed.1 += bytes;
            }
            // Said: on a tight disk it holds the room a later copy or commit needs,
            // and "no room" alone would not say where the room went.
            Err(error) => {
                tracing::warn!(file = %entry.path().display(), bytes, %error, "a temporary file an interrupted backup or restore left could not be removed; remove it by hand")
            }
        }
    }
    removed
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

/// How a finished copy takes its name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Naming {
    /// Over whatever has the name: a restore's live file, the API's fresh names.
    Replacing,
    /// Only if nothing has it, checked by the link that gives it (`backup FILE`): a
    /// file made under that name during the copy is not replaced either.
    New,
}

/// Gives the finished `temp` the name `dest` without replacing anything there: a hard
/// link (which fails if the name is taken), then the temporary name removed. A file
/// system without hard links gets a rename that refuses a taken name
/// (`RENAME_NOREPLACE`; elsewhere than Linux, a rename after a last look).
fn link_new(temp: &Path, dest: &Path) -> Result<(), StoreError> {
    let taken = || StoreError::File {
        path: dest.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "it already exists (choose a new name, or remove it first)",
        ),
    };
    match fs::hard_link(temp, dest) {
        Ok(()) => {
            if let Err(error) = fs::remove_file(temp) {
                tracing::warn!(%error, path = %temp.display(), "the backup has its name, but its temporary name could not be removed: delete it");
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(taken()),
        // EPERM, EOPNOTSUPP: a file system that makes no hard links.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::Unsupported
            ) =>
        {
            rename_new(temp, dest).map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => taken(),
                _ => file_error(dest)(e),
            })
        }
        Err(e) => Err(file_error(dest)(e)),
    }
}

/// Renames `temp` to `dest` unless `dest` is taken (`AlreadyExists`).
fn rename_new(temp: &Path, dest: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        renameat_with(CWD, temp, CWD, dest, RenameFlags::NOREPLACE).map_err(std::io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        if fs::symlink_metadata(dest).is_ok() {
            return Err(std::io::ErrorKind::AlreadyExists.into());
        }
        fs::rename(temp, dest)
    }
}

/// Whether a committed file's new name must be known durable before the commit
/// counts as done.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NameSync {
    /// A backup: one reported written must survive a power cut, name and all, so a
    /// folder that cannot be synced fails it (the file stays, under its name).
    Required,
    /// A restore: once the file has its name it is the database, and the restore
    /// must not then undo itself (it would drop the kept copy of the file it
    /// replaced); the log says what a power cut may still do.
    Logged,
}

/// Flushes a finished file and its directory entry, then gives it the name `dest`
/// (see [`Naming`]). The file is made its owner's alone first (should it have been
/// made otherwise): a file system that keeps no modes is only warned of.
fn commit_file(
    temp: &Path,
    dest: &Path,
    naming: Naming,
    name_sync: NameSync,
) -> Result<(), StoreError> {
    commit_file_syncing(temp, dest, naming, name_sync, super::folders::sync_folder)
}

/// [`commit_file`], the folder that holds `dest` synced by `sync_folder`.
fn commit_file_syncing(
    temp: &Path,
    dest: &Path,
    naming: Naming,
    name_sync: NameSync,
    sync_folder: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<(), StoreError> {
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
    match naming {
        Naming::Replacing => fs::rename(temp, dest).map_err(file_error(dest))?,
        Naming::New => link_new(temp, dest)?,
    }
    // Make the rename itself durable.
    let Some(folder) = super::folders::folder_of(dest) else {
        return Ok(());
    };
    match (sync_folder(folder), name_sync) {
        (Ok(()), _) => Ok(()),
        (Err(source), NameSync::Required) => Err(StoreError::File {
            path: folder.to_owned(),
            source: std::io::Error::new(
                source.kind(),
                format!(
                    "{} was written, but this folder could not be synced, so a power cut may still lose its name: {source}",
                    dest.display()
                ),
            ),
        }),
        (Err(error), NameSync::Logged) => {
            tracing::warn!(%error, path = %folder.display(), file = %dest.display(), "the folder could not be synced: a power cut before the system writes it out may lose the file's name");
            Ok(())
        }
    }
}

fn copy_table<K: Key + 'static, V: Value + 'static>(
    from: &Reader,
    to: &WriteTransaction,
    def: TableDefinition<K, V>,
    stop: Stop<'_>,
) -> Result<(), StoreError> {
    let source = from.table(def)?;
    copy_rows(&source, to, def, stop)
}

/// Copies `def` when the snapshot has it. The people table changed with schema 3: an
/// offline backup of a file an older host left holds the older one, and a restore
/// migrates it.
fn copy_table_if_present<K: Key + 'static, V: Value + 'static>(
    from: &Reader,
    to: &WriteTransaction,
    def: TableDefinition<K, V>,
    stop: Stop<'_>,
) -> Result<(), StoreError> {
    match from.table_if_present(def)? {
        Some(source) => copy_rows(&source, to, def, stop),
        None => Ok(()),
    }
}

/// Asked now and then while a copy runs: whether to give it up (the host stopping).
pub type Stop<'a> = &'a (dyn Fn() -> bool + Sync);

/// Rows copied between two looks at [`Stop`]: a few milliseconds of copying.
const ROWS_PER_LOOK: usize = 4096;

fn copy_rows<K: Key + 'static, V: Value + 'static>(
    source: &redb::ReadOnlyTable<K, V>,
    to: &WriteTransaction,
    def: TableDefinition<K, V>,
    stop: Stop<'_>,
) -> Result<(), StoreError> {
    if stop() {
        return Err(StoreError::ShuttingDown);
    }
    let mut target = to.open_table(def)?;
    for (n, row) in redb::ReadableTable::iter(source)?.enumerate() {
        if n > 0 && n % ROWS_PER_LOOK == 0 && stop() {
            return Err(StoreError::ShuttingDown);
        }
        let (k, v) = row?;
        target.insert(k.value(), v.value())?;
    }
    Ok(())
}

/// Copies every table of the snapshot `reader` into a fresh database at `dest`
/// (replaced atomically if it exists).
pub fn backup_to(reader: &Reader, dest: &Path) -> Result<(), StoreError> {
    backup_until(reader, dest, &|| false)
}

/// [`backup_until`] into a name nothing has: refused, with nothing replaced, if a
/// file has it when the copy is done.
fn backup_to_new(reader: &Reader, dest: &Path, stop: Stop<'_>) -> Result<(), StoreError> {
    backup_named(reader, dest, stop, Naming::New)
}

/// [`backup_to`], given up with [`StoreError::ShuttingDown`] once `stop` says so:
/// what `POST /api/backup` runs. A host stopping mid-copy would otherwise exit with
/// the copy still running and its database never closed, so that the next start
/// repairs the whole file, and leave a temporary file as large as the database.
pub fn backup_until(reader: &Reader, dest: &Path, stop: Stop<'_>) -> Result<(), StoreError> {
    backup_named(reader, dest, stop, Naming::Replacing)
}

fn backup_named(
    reader: &Reader,
    dest: &Path,
    stop: Stop<'_>,
    naming: Naming,
) -> Result<(), StoreError> {
    let temp = temp_beside(dest);
    // A page whose checksum holds but whose key is not what its table stores stops
    // redb with a panic: that is a damaged database, said so, and the temporary file
    // is removed all the same.
    let result = read_damaged(|| write_copy(reader, &temp, stop))
        .and_then(|()| commit_file(&temp, dest, naming, NameSync::Required));
    if let Err(StoreError::ShuttingDown) = &result {
        // Said here: the request that asked for it has usually been dropped by now.
        tracing::warn!(file = %dest.display(), "a backup was stopped unfinished by a shutdown signal; nothing took its name");
    }
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

fn write_copy(reader: &Reader, temp: &Path, stop: Stop<'_>) -> Result<(), StoreError> {
    // Asked to stop while the file was opened and checked: nothing is written at all.
    if stop() {
        return Err(StoreError::ShuttingDown);
    }
    create_owner_only(temp)?;
    let db = Database::builder()
        .set_cache_size(COPY_CACHE_BYTES)
        .create(temp)?;
    let txn = db.begin_write()?;
    copy_table(reader, &txn, tables::META, stop)?;
    copy_table(reader, &txn, tables::PORTALID_USERID, stop)?;
    copy_table_if_present(reader, &txn, tables::USERID_PERSON, stop)?;
    copy_table_if_present(reader, &txn, super::record::USERID_PERSON_JSON, stop)?;
    copy_table(reader, &txn, tables::USERID_SORTKEY, stop)?;
    copy_table(reader, &txn, tables::SORTKEY_USERID, stop)?;
    copy_table(reader, &txn, tables::PREFIX_SORTKEY_USERID, stop)?;
    copy_table(reader, &txn, tables::USERID_CONNECTEDID, stop)?;
    copy_table(reader, &txn, tables::USERID_FOLLOWINGID, stop)?;
    copy_table(reader, &txn, tables::USERID_FOLLOWERID, stop)?;
    copy_table(reader, &txn, tables::USERID_BLOCKEDID, stop)?;
    copy_table(reader, &txn, tables::USERID_BLOCKERID, stop)?;
    copy_table(reader, &txn, tables::REQUESTID_REQUEST, stop)?;
    copy_table(reader, &txn, tables::RECEIVERID_REQUESTERID, stop)?;
    copy_table(reader, &txn, tables::REQUESTERID_RECEIVERID, stop)?;
    // Added with schema 4, like `userid_resort` below.
    copy_table_if_present(reader, &txn, tables::RECEIVERID_REQUESTID, stop)?;
    copy_table(reader, &txn, tables::USERID_REQUESTID, stop)?;
    copy_table(reader, &txn, tables::USERID_COUNTS, stop)?;
    copy_table(reader, &txn, tables::USERID_LIST_SORTKEY_OTHERID, stop)?;
    copy_table(reader, &txn, tables::ENTRYID_ENTRY, stop)?;
    copy_table(reader, &txn, tables::USERID_ENTRYID, stop)?;
    copy_table(reader, &txn, tables::USERID_ENTRYEMAIL, stop)?;
    copy_table(reader, &txn, tables::USERID_ENTRYSORTKEY_ENTRYID, stop)?;
    copy_table(reader, &txn, tables::PORTLETID_PREFERENCES, stop)?;
    // Added within schema 1, so a file from before it may lack the table.
    copy_table_if_present(reader, &txn, tables::REGISTRATIONHANDLE_REGISTRATION, stop)?;
    // Added with schema 4: an offline backup of an older file lacks it.
    copy_table_if_present(reader, &txn, tables::USERID_RESORT, stop)?;
    txn.commit()?;
    drop(db);
    Ok(())
}

/// Backs up the database at `db_path` (server stopped) into `dest`, given up with
/// [`StoreError::ShuttingDown`] and no file left behind once `stop` says so (Ctrl-C).
/// A file of a newer schema is refused: this host copies only the tables it knows,
/// and the copy would lose the others while its schema version still named them.
pub fn backup_file(db_path: &Path, dest: &Path, stop: Stop<'_>) -> Result<(), StoreError> {
    let copied = (|| {
        let db = open_existing(db_path)?;
        let reader = Reader::new(db.begin_read()?);
        let found = schema_version(&reader)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        backup_to_new(&reader, dest, stop)
    })();
    if read_through(&copied, db_path) {
        let _ = forget_cached_pages(db_path);
    }
    copied
}

/// How many people the database file at `path` holds (server stopped), read without
/// opening it as a host does, which migrates an older schema for good: `seed` asks
/// first, and a seed certain to be refused leaves an older file as it was, one its
/// own release still opens. 0 where there is no file, or an empty one. Every page's
/// checksum is checked first, as the other offline commands do: seconds for a file of
/// a million relations.
pub fn people_in_file(path: &Path) -> Result<u64, StoreError> {
    if !fs::metadata(path).is_ok_and(|m| m.len() > 0) {
        return Ok(0);
    }
    let counted = read_damaged(|| {
        let db = open_existing(path)?;
        let reader = Reader::new(db.begin_read()?);
        Ok(match reader.table_if_present(tables::PORTALID_USERID)? {
            Some(people) => redb::ReadableTableMetadata::len(&people)?,
            None => 0,
        })
    });
    if read_through(&counted, path) {
        let _ = forget_cached_pages(path);
    }
    counted
}

/// Opens a database file (server stopped), checks its schema version and every
/// invariant, and counts what it holds.
pub fn inspect_file(path: &Path) -> Result<DbSummary, StoreError> {
    let summary = read_damaged(|| {
        let db = open_existing(path)?;
        let reader = Reader::new(db.begin_read()?);
        summarize(&reader)
    });
    if read_through(&summary, path) {
        let _ = forget_cached_pages(path);
    }
    summary
}

/// Whether a command read the file at `path`, whose pages it should then drop from
/// the cache: not when it was refused before opening it. A file locked is a running
/// host's, whose cached pages are its own and stay; a file that is not there has
/// none.
fn read_through<T>(result: &Result<T, StoreError>, path: &Path) -> bool {
    match result {
        Err(StoreError::Locked(_)) => false,
        Err(StoreError::File { path: at, .. }) => at != path,
        _ => true,
    }
}

/// Runs `read` over a file the host is checking or restoring, where a panic is the
/// file's damage, not the command's failure. redb trusts what its pages hold once
/// they open: a table key that is not UTF-8, or a tuple whose lengths do not add up,
/// makes it panic mid-read. `check-db` and `restore` then say the file is damaged and
/// exit as for any damage, instead of crashing with a panic's exit status; so does
/// opening a file whose migration reads such a row.
///
/// The panic is said once, in those words: the default panic hook, which would also
/// print a panic's "thread … panicked at …" and the backtrace hint to an
/// administrator, stays quiet on this thread meanwhile.
pub(crate) fn read_damaged<T>(
    read: impl FnOnce() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    quiet_panics();
    let was = READING_DAMAGED.replace(true);
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    READING_DAMAGED.set(was);
    read.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        Err(StoreError::corrupt(
            "a table",
            format!("reading it stopped the store: {why}"),
        ))
    })
}

thread_local! {
    /// Whether this thread is in [`read_damaged`], where a panic is reported as damage.
    static READING_DAMAGED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Puts a panic hook in front of the one in place (once per process) that says
/// nothing for a panic [`read_damaged`] reports itself, and hands every other panic
/// to the hook before it, as it was.
fn quiet_panics() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !READING_DAMAGED.get() {
                before(info);
            }
        }));
    });
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

/// The schema version a file says it has.
fn schema_version(reader: &Reader) -> Result<u64, StoreError> {
    match reader.table(tables::META)?.get(tables::META_SCHEMA)? {
        Some(v) => <[u8; 8]>::try_from(v.value())
            .map(u64::from_le_bytes)
            .map_err(|_| StoreError::corrupt("meta", "schema version is not 8 bytes")),
        None => Err(StoreError::corrupt("meta", "no schema version")),
    }
}

fn summarize(reader: &Reader) -> Result<DbSummary, StoreError> {
    let schema_version = schema_version(reader)?;
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
    read_damaged(|| {
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
    })
}

/// Whether `e` is the disk refusing a write (full, or over a quota).
fn is_out_of_room(e: &StoreError) -> bool {
    use std::io::ErrorKind::{QuotaExceeded, StorageFull};
    matches!(e, StoreError::Db(redb::Error::Io(io)) if matches!(io.kind(), StorageFull | QuotaExceeded))
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
    Open { held: Database },
    /// A live file that does not open as a database: an exclusive lock on the file,
    /// which a redb open honours as well.
    Damaged { _held: File },
    /// There was no live file: an empty file made to hold the name, its owner's
    /// alone and locked as the damaged one is, removed again if the restore fails.
    /// Not a database: a restore cut short (Ctrl-C, a kill) leaves at most this empty
    /// file, which a host opens as it would open no file at all, where an empty
    /// database made with the default mode would have given its new host key to
    /// every reader of the folder.
    Made(File, PathBuf),
}

impl LiveFileGuard {
    fn take(db_path: &Path) -> Result<Self, StoreError> {
        if !db_path.exists() {
            // Made new (`create_new`): a server that made the file meanwhile holds
            // its lock, and this fails as "exists" rather than taking its name.
            create_owner_only(db_path).map_err(|e| match e {
                StoreError::File { source, .. }
                    if source.kind() == std::io::ErrorKind::AlreadyExists =>
                {
                    StoreError::Locked(db_path.to_owned())
                }
                other => other,
            })?;
            let file = File::open(db_path).map_err(file_error(db_path))?;
            return match file.try_lock() {
                Ok(()) => Ok(Self::Made(file, db_path.to_owned())),
                Err(std::fs::TryLockError::WouldBlock) => {
                    Err(StoreError::Locked(db_path.to_owned()))
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    let _ = fs::remove_file(db_path);
                    Err(file_error(db_path)(e))
                }
            };
        }
        // A live file that does not open at all (truncated, zeroed by a full disk) is
        // just what a restore is for: it is replaced like a whole one. Anything else
        // that stops the open (another redb version's lock, a file we may not read)
        // says nothing about whether the file is in use: refuse then.
        match Database::open(db_path) {
            Ok(db) => Ok(Self::Open { held: db }),
            // Another redb version's lock is a host of another release holding it.
            Err(DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch) => {
                Err(StoreError::Locked(db_path.to_owned()))
            }
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
            Err(other) => Err(open_error(db_path, other)),
        }
    }

    /// A failed restore leaves no file where there was none. The name goes while the
    /// lock is still held: released first, a server starting in between could open
    /// the empty file and go on writing to it after it is unlinked.
    fn abandon(self) {
        if let Self::Made(file, path) = self {
            let _ = fs::remove_file(path);
            drop(file);
        }
    }
}

/// The first bytes of every redb file, its format's magic number: a backup the host
/// made starts with them.
const REDB_SIGNATURE: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

/// Whether the file at `path` starts as a redb database does; a file shorter than
/// the signature does not. An error is a file that could not be read at all.
pub fn has_redb_signature(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut head = [0u8; REDB_SIGNATURE.len()];
    match File::open(path)?.read_exact(&mut head) {
        Ok(()) => Ok(head == REDB_SIGNATURE),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// What `restore` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// What the restored database holds.
    pub summary: DbSummary,
    /// Where the database it replaced was kept, if there was one.
    pub replaced_kept_as: Option<PathBuf>,
    /// Whether the restored copy's id counters were moved past those of the database
    /// it replaced: false where there was none, where its counters did not read or
    /// were behind the backup's, and the copy's moved 2^32 ahead instead.
    pub ids_kept_ahead: bool,
}

/// Replaces the database at `db_path` (server stopped) with the backup `backup`,
/// after checking that the backup opens, has a schema this host reads and breaks no
/// invariant. The swap is a rename, so the old database stays whole until the new
/// one is fully in place, and it is kept under a name of its own
/// ([`replaced_name`]): restoring the wrong backup, or one older than meant, must not
/// throw away everything written since.
pub fn restore_file(backup: &Path, db_path: &Path) -> Result<Restored, StoreError> {
    // Before the live file is opened: a mistyped name is told at once, where opening
    // a live file a crash left unclean first repairs it (minutes on a large one).
    if backup.is_dir() {
        return Err(StoreError::File {
            path: backup.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "is a folder: name the backup file in it",
            ),
        });
    }
    // "No such file" only where there is none: one the service user may not look at
    // (under root's home) says so, where "no such file" would send them looking.
    match fs::metadata(backup) {
        Ok(meta) if meta.is_file() => {}
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(file_error(backup)(e)),
        _ => {
            return Err(StoreError::File {
                path: backup.to_owned(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
    }
    // Said of the backup: its empty copy would be refused under the copy's hidden
    // temporary name, which is gone by the time the message is read.
    if fs::metadata(backup).is_ok_and(|m| m.len() == 0) {
        return Err(StoreError::BadBackup {
            path: backup.to_owned(),
            why: "the file is empty (a copy that failed?)".into(),
        });
    }
    // Said plainly, where redb's own words for a file that is no database of its
    // (an unknown header) would leave the reader guessing which file was meant.
    if !has_redb_signature(backup).map_err(file_error(backup))? {
        return Err(StoreError::BadBackup {
            path: backup.to_owned(),
            why: "not a database: a backup made by `widget-host backup` or POST /api/backup starts with redb's file signature, and this file does not".into(),
        });
    }
    // Held until the new file has taken the name: a server started meanwhile finds
    // the database locked and stops, where it would otherwise open the old file (or
    // create a new one) and go on committing to a file the rename is about to unlink.
    let guard = LiveFileGuard::take(db_path)?;
    // What an earlier restore or backup killed mid-copy left, each as large as the
    // database, goes first: on a tight disk it would take the room this copy needs,
    // and "no room" would not say where the room went. Safe now, with the lock held.
    if let Some(dir) = db_path.parent() {
        remove_stale_temporaries(dir);
        remove_stale_temporaries(&dir.join("backups"));
    }
    let temp = temp_beside(db_path);
    let result = (|| {
        // Made its owner's alone before any byte of it is written: it holds the host
        // key (`fs::copy` would give it the backup's own mode until the rename).
        create_owner_only(&temp)?;
        let mut from = fs::File::open(backup).map_err(file_error(backup))?;
        let mut to = fs::OpenOptions::new()
            .write(true)
            .open(&temp)
            .map_err(file_error(&temp))?;
        // The copy's own hidden name is gone by the time a full disk is reported.
        copy_naming((&mut from, backup), (&mut to, &temp)).map_err(|e| no_room_in(e, db_path))?;
        drop(to);
        // A backup from an older host is migrated in the copy, as serving it would.
        let summary = migrate(&temp)
            .and_then(|()| inspect_file(&temp))
            .map_err(|e| match no_room_in(e, db_path) {
                // The copy could not be written (a full disk): not the backup's fault.
                // Only the disk refusing room says so: a cut-short backup fails on
                // reads, and is the backup's.
                e @ (StoreError::File { .. } | StoreError::Locked(_)) => e,
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
        // After the check, which must see the backup's own counters.
        let ids_kept_ahead = match &guard {
            LiveFileGuard::Open { held } => {
                keep_ids_ahead(Some(held), &temp).map_err(|e| no_room_in(e, db_path))?
            }
            // No live file (a lost disk, a new machine): what was issued since the
            // backup is no more known than a damaged file's ids.
            LiveFileGuard::Damaged { .. } | LiveFileGuard::Made(..) => {
                keep_ids_ahead(None, &temp).map_err(|e| no_room_in(e, db_path))?
            }
        };
        // A second name for the live file, which the rename then leaves as the only
        // one: it costs no copy, and fails (nothing changed) rather than replace a
        // database it could not keep.
        let replaced_kept_as = match &guard {
            LiveFileGuard::Open { .. } | LiveFileGuard::Damaged { .. } => {
                let kept = replaced_name(db_path);
                fs::hard_link(db_path, &kept).map_err(|source| StoreError::File {
                    path: kept.clone(),
                    source: std::io::Error::new(
                        source.kind(),
                        format!(
                            "cannot keep the database being replaced under this name: {source}"
                        ),
                    ),
                })?;
                Some(kept)
            }
            LiveFileGuard::Made(..) => None,
        };
        if let Err(e) = commit_file(&temp, db_path, Naming::Replacing, NameSync::Logged) {
            if let Some(kept) = &replaced_kept_as {
                let _ = fs::remove_file(kept);
            }
            return Err(e);
        }
        Ok(Restored {
            summary,
            replaced_kept_as,
            ids_kept_ahead,
        })
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

/// Moves the restored copy's id counters past those of the database it replaces. A
/// request or contact id issued after the backup was taken would otherwise be issued
/// again, and a form still open in someone's browser (or a request id a portal kept
/// from the notifications API) would confirm, ignore or delete whatever took the id:
/// a person could find themselves connected to someone they never chose. Where the
/// replaced database's counters are not known (it does not open, they do not read),
/// the copy's move [`UNKNOWN_IDS_GAP`] past their own instead. So they do where
/// there is no live file (`live` is `None` for it as for one that does not open), and
/// where a live counter is behind the backup's: counters only grow, so that file is
/// no descendant of the backup (one a start made after the database was lost, or
/// another backup's restore), and what the lost one issued is not known. Whether the
/// replaced database's counters were known.
fn keep_ids_ahead(live: Option<&Database>, copy: &Path) -> Result<bool, StoreError> {
    use redb::ReadableTable;
    /// A counter this near the end is none the host wrote (it counts from 1, one id
    /// at a time): taken over, it would leave the restored file no ids to give.
    const NEAR_THE_END: u64 = u64::MAX - (1 << 32);
    let counters = [
        tables::META_NEXT_USER,
        tables::META_NEXT_REQUEST,
        tables::META_NEXT_ENTRY,
    ];
    let number = |bytes: &[u8]| <[u8; 8]>::try_from(bytes).ok().map(u64::from_le_bytes);
    // A live file that opens but whose counters do not read is one a restore is
    // replacing for its damage: its ids are not known, and the gap is taken.
    let read_live = || -> Result<Vec<Option<u64>>, StoreError> {
        let Some(live) = live else {
            return Ok(vec![Some(u64::MAX); 3]);
        };
        let txn = live.begin_read()?;
        let meta = match txn.open_table(tables::META) {
            Ok(meta) => meta,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(vec![None; 3]),
            Err(e) => return Err(e.into()),
        };
        // A value that is no 8-byte number reads as one at the end: not known.
        counters
            .iter()
            .map(|key| {
                Ok(meta
                    .get(*key)?
                    .map(|v| number(v.value()).unwrap_or(u64::MAX)))
            })
            .collect()
    };
    // Read as a damaged file is: the file being replaced may be one, and redb can
    // panic on an altered page.
    let live_next = match read_damaged(read_live) {
        Ok(next) => next,
        Err(e) => {
            tracing::warn!(error = %e, "the ids of the database being replaced do not read; the backup's counters move ahead of their own");
            vec![Some(u64::MAX); 3]
        }
    };
    let db = Database::open(copy)?;
    let txn = db.begin_write()?;
    let mut meta = txn.open_table(tables::META)?;
    let ours = counters
        .iter()
        .map(|key| Ok(meta.get(*key)?.and_then(|v| number(v.value()))))
        .collect::<Result<Vec<_>, StoreError>>()?;
    // A counter that does not read as one the host wrote, or one behind the backup's
    // (`None`, never issued, is behind any), leaves the file's ids unknown: all of
    // them, since either says the file is not what the backup became.
    let known = live_next
        .iter()
        .zip(&ours)
        .all(|(live, ours)| live.is_none_or(|live| live < NEAR_THE_END) && live >= ours);
    for ((key, live), ours) in counters.iter().zip(live_next).zip(ours) {
        let next = match known {
            true if live > ours => live,
            true => None,
            // Past any id issued since the backup, whatever it was.
            false => {
                let readable = live.filter(|&live| live < NEAR_THE_END);
                Some(
                    readable
                        .max(ours)
                        .unwrap_or(1)
                        .saturating_add(UNKNOWN_IDS_GAP),
                )
            }
        };
        if let Some(next) = next {
            meta.insert(*key, next.to_le_bytes().as_slice())?;
        }
    }
    drop(meta);
    txn.commit()?;
    drop(db);
    // As the check before left it: the restored file is read by the host that opens
    // it, not kept in the page cache by this command.
    let _ = forget_cached_pages(copy);
    Ok(known)
}

/// How far past its own a restored copy's id counter moves when the replaced
/// database's is not known: more ids than a host issues between a backup and its
/// restore (a request a second for 136 years), and few enough that a counter never
/// runs out (2^32 of 2^64, and the host counts from 1).
const UNKNOWN_IDS_GAP: u64 = 1 << 32;

/// A restore that finds no room names the data folder, where its copy's own hidden
/// name is gone by the time the message is read.
fn no_room_in(error: StoreError, db_path: &Path) -> StoreError {
    use std::io::ErrorKind::{QuotaExceeded, StorageFull};
    let full = match &error {
        StoreError::File { source, .. } => matches!(source.kind(), StorageFull | QuotaExceeded),
        other => is_out_of_room(other),
    };
    match full {
        true => StoreError::File {
            path: db_path.parent().unwrap_or(db_path).to_owned(),
            source: std::io::Error::new(
                StorageFull,
                format!("no room to write the restored copy here: {error}"),
            ),
        },
        false => error,
    }
}

/// `widget-host.redb.replaced-20261203T154500Z`: beside the database, named for the
/// time (UTC) a restore replaced it.
pub fn replaced_name(db_path: &Path) -> PathBuf {
    let at = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_else(|_| "unknown-time".to_owned());
    replaced_name_at(db_path, &at)
}

/// [`replaced_name`] for the time written `at`.
fn replaced_name_at(db_path: &Path, at: &str) -> PathBuf {
    let name = db_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "database".into());
    let mut kept = db_path.with_file_name(format!("{name}.replaced-{at}"));
    // Two restores in one second: the second's name gets a number.
    for n in 2..100 {
        if !kept.exists() {
            break;
        }
        kept = db_path.with_file_name(format!("{name}.replaced-{at}-{n}"));
    }
    kept
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
    /// What redb does on a key that is not UTF-8 (`from_utf8(..).unwrap()`): the
    /// command reports damage, with the panic's own words.
    #[test]
    fn a_panic_while_reading_a_file_is_reported_as_damage() {
        let damaged = read_damaged::<()>(|| {
            let key = vec![b'u', 0xff];
            match String::from_utf8(key) {
                Ok(_) => Ok(()),
                Err(e) => panic!("called `Result::unwrap()` on an `Err` value: {e}"),
            }
        });
        match damaged {
            Err(StoreError::Corrupt { why, .. }) => {
                assert!(why.contains("invalid utf-8"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        let static_message = read_damaged::<()>(|| panic!("bad tuple"));
        assert!(
            matches!(&static_message, Err(StoreError::Corrupt { why, .. }) if why.ends_with("bad tuple")),
            "{static_message:?}"
        );
        assert_eq!(read_damaged(|| Ok(7)).ok(), Some(7));
    }

    /// The panic hook is quiet while a damaged file is read, and only then: a panic
    /// inside reports itself as damage, and the thread's panics are told again after.
    #[test]
    fn panics_are_quiet_only_while_a_damaged_file_is_read() {
        let reading = || super::READING_DAMAGED.get();
        assert!(!reading());
        assert_eq!(read_damaged(|| Ok(reading())).ok(), Some(true));
        assert!(!reading(), "after a read");
        let _ = read_damaged::<()>(|| panic!("bad tuple"));
        assert!(!reading(), "after a panic");
        // Nested, as a migration's read inside an open's is, the outer one stays quiet.
        let nested = read_damaged(|| {
            let _ = read_damaged(|| Ok(()));
            Ok(reading())
        });
        assert_eq!(nested.ok(), Some(true));
    }

    #[test]
    fn a_file_refused_before_it_was_opened_keeps_its_cached_pages() {
        let live = Path::new("data/widget-host.redb");
        let locked: Result<(), StoreError> = Err(StoreError::Locked(live.to_owned()));
        assert!(!read_through(&locked, live));
        let missing: Result<(), StoreError> = Err(StoreError::File {
            path: live.to_owned(),
            source: std::io::ErrorKind::NotFound.into(),
        });
        assert!(!read_through(&missing, live));
        // Read, then refused writing the copy: the file's pages were read in.
        let unwritable: Result<(), StoreError> = Err(StoreError::File {
            path: PathBuf::from("elsewhere/copy.redb"),
            source: std::io::ErrorKind::PermissionDenied.into(),
        });
        assert!(read_through(&unwritable, live));
        assert!(read_through(&Ok(()), live));
    }

    #[test]
    fn a_second_restore_in_the_same_second_keeps_a_name_of_its_own() {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("widget-host.redb");
        let first = replaced_name_at(&db, "20261203T160000Z");
        assert_eq!(
            first.file_name().and_then(|n| n.to_str()),
            Some("widget-host.redb.replaced-20261203T160000Z")
        );
        fs::write(&first, b"kept").expect("write");
        let second = replaced_name_at(&db, "20261203T160000Z");
        assert_eq!(
            second.file_name().and_then(|n| n.to_str()),
            Some("widget-host.redb.replaced-20261203T160000Z-2")
        );
        fs::write(&second, b"kept").expect("write");
        assert!(
            replaced_name_at(&db, "20261203T160000Z")
                .ends_with("widget-host.redb.replaced-20261203T160000Z-3")
        );
    }

    use super::*;

    /// A backup whose folder cannot be synced is not reported written: its name could
    /// still be lost in a power cut. The file keeps its name (the data in it is
    /// synced), and the error says so. A restore's replaced database is not undone
    /// for it: that is only logged.
    #[test]
    fn a_backup_whose_folder_cannot_be_synced_is_not_reported_written() {
        let dir = tempfile::tempdir().expect("dir");
        let failing = |_: &Path| Err(std::io::Error::other("EIO"));
        for (name_sync, naming) in [
            (NameSync::Required, Naming::New),
            (NameSync::Required, Naming::Replacing),
            (NameSync::Logged, Naming::Replacing),
        ] {
            let (temp, dest) = (dir.path().join("copy.tmp"), dir.path().join("backup.redb"));
            let _ = fs::remove_file(&dest);
            fs::write(&temp, b"pages").expect("temp");
            let result = commit_file_syncing(&temp, &dest, naming, name_sync, failing);
            assert_eq!(fs::read(&dest).expect("named"), b"pages");
            match name_sync {
                NameSync::Required => {
                    let said = match result {
                        Err(e @ StoreError::File { .. }) => e.to_string(),
                        other => panic!("not refused: {other:?}"),
                    };
                    assert!(said.contains("could not be synced"), "{said}");
                    assert!(said.contains("backup.redb"), "{said}");
                }
                NameSync::Logged => result.expect("a restore stands"),
            }
        }
        let (temp, dest) = (dir.path().join("ok.tmp"), dir.path().join("ok.redb"));
        fs::write(&temp, b"pages").expect("temp");
        commit_file(&temp, &dest, Naming::New, NameSync::Required).expect("a folder that syncs");
    }

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

    /// A restore's copy that meets a full disk names the data folder, where the
    /// copy's hidden name is gone by the time the message is read; anything else is
    /// left as it was said.
    #[test]
    fn a_restore_out_of_room_names_the_data_folder() {
        let db = Path::new("data").join("widget-host.redb");
        let copy = Path::new("data").join(".widget-host.redb.tmp-1-2");
        let failed = |kind: std::io::ErrorKind| StoreError::File {
            path: copy.clone(),
            source: kind.into(),
        };
        let engine = StoreError::Db(redb::Error::Io(std::io::ErrorKind::StorageFull.into()));
        for error in [
            failed(std::io::ErrorKind::StorageFull),
            failed(std::io::ErrorKind::QuotaExceeded),
            engine,
        ] {
            match no_room_in(error, &db) {
                StoreError::File { path, source } => {
                    assert_eq!(path, Path::new("data"));
                    assert!(
                        source
                            .to_string()
                            .starts_with("no room to write the restored copy here")
                    );
                }
                other => panic!("{other:?}"),
            }
        }
        match no_room_in(failed(std::io::ErrorKind::PermissionDenied), &db) {
            StoreError::File { path, .. } => assert_eq!(path, copy),
            other => panic!("{other:?}"),
        }
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

    /// A redb file starts with the signature; a shorter or foreign file does not;
    /// one that cannot be read is an error, not a "no" (check-db then says it could
    /// not check, rather than calling a good backup no database).
    #[test]
    fn the_signature_tells_a_database_from_other_files_and_from_no_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("db.redb");
        drop(Database::create(&db).expect("create"));
        assert!(has_redb_signature(&db).expect("read"));
        let short = dir.path().join("short");
        fs::write(&short, b"redb").expect("write");
        assert!(!has_redb_signature(&short).expect("read"));
        let text = dir.path().join("notes.txt");
        fs::write(&text, b"restore on Monday").expect("write");
        assert!(!has_redb_signature(&text).expect("read"));
        // A folder opens on Linux but does not read.
        assert!(has_redb_signature(dir.path()).is_err());
        assert!(has_redb_signature(&dir.path().join("missing")).is_err());
    }

    /// Where there was no live file, restore holds the name with an empty file that
    /// is its owner's alone, not with a database: a restore killed mid-copy leaves
    /// nothing a host would read as a database made with the default mode, and a host
    /// then starts on it as on no file at all, keeping the mode.
    #[cfg(unix)]
    #[test]
    fn restore_holds_a_missing_name_with_an_empty_file_of_its_owners() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing.redb");
        let guard = LiveFileGuard::take(&missing).expect("take");
        let held = fs::metadata(&missing).expect("made");
        assert_eq!((held.len(), held.permissions().mode() & 0o777), (0, 0o600));
        // As if the process were killed now: its lock goes, the file stays.
        match guard {
            LiveFileGuard::Made(file, _) => drop(file),
            _ => panic!("no live file: one made"),
        }
        // `check-db` and `backup` find no database there, not a damaged one.
        let checked = inspect_file(&missing);
        assert!(
            matches!(&checked, Err(StoreError::File { source, .. }) if source.kind() == std::io::ErrorKind::NotFound),
            "{checked:?}"
        );
        let store = crate::store::Store::open(&missing, crate::store::StoreOptions::default())
            .expect("a host opens what is left");
        drop(store);
        let after = fs::metadata(&missing).expect("kept");
        assert!(after.len() > 0, "a database now");
        assert_eq!(after.permissions().mode() & 0o777, 0o600);
    }

    /// Asked to stop, a backup gives up within a few thousand rows: nothing takes the
    /// backup's name, and its temporary file goes.
    #[test]
    fn a_backup_asked_to_stop_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::create(dir.path().join("live.redb")).expect("create");
        tables::prepare(&db).expect("prepare");
        let reader = Reader::new(db.begin_read().expect("read"));
        let dest = dir.path().join("backup.redb");
        let looks = std::sync::atomic::AtomicUsize::new(0);
        let stop = || looks.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 1;
        let stopped = backup_until(&reader, &dest, &stop);
        assert!(
            matches!(stopped, Err(StoreError::ShuttingDown)),
            "{stopped:?}"
        );
        assert!(looks.load(std::sync::atomic::Ordering::Relaxed) >= 2);
        let left: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left, [std::ffi::OsString::from("live.redb")], "{left:?}");
        // Not asked, the same backup is written.
        backup_until(&reader, &dest, &|| false).expect("backup");
        assert!(dest.is_file());
    }

    /// A read that stops redb with a panic mid-copy (a damaged page) is reported as
    /// damage, and the half-written temporary file goes as on any other failure.
    #[test]
    fn a_backup_stopped_by_a_panic_says_damaged_and_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::create(dir.path().join("live.redb")).expect("create");
        tables::prepare(&db).expect("prepare");
        let reader = Reader::new(db.begin_read().expect("read"));
        let dest = dir.path().join("backup.redb");
        let failed = backup_until(&reader, &dest, &|| panic!("a key that is not UTF-8"));
        assert!(
            matches!(&failed, Err(e @ StoreError::Corrupt { .. }) if e.is_damage()
                && e.to_string().contains("a key that is not UTF-8")),
            "{failed:?}"
        );
        let left: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left, [std::ffi::OsString::from("live.redb")], "{left:?}");
    }

    /// Only the names a backup or restore gives its temporary files are removed at
    /// start, in the folder given; anything else stays.
    #[test]
    fn stale_temporaries_are_told_from_other_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stale = [
            ".widget-host.redb.tmp-4242-0123456789abcdef",
            ".widget-host-20261203T101500Z-0badf00d.redb.tmp-7-FEDCBA9876543210",
        ];
        let kept = [
            "widget-host.redb",
            ".widget-host.redb.tmp-4242-0123456789abcde",
            ".widget-host.redb.tmp-42x-0123456789abcdef",
            ".widget-host.redb.tmp--0123456789abcdef",
            "widget-host.redb.tmp-4242-0123456789abcdef",
            ".notes.tmp-draft",
        ];
        for name in stale.iter().chain(&kept) {
            fs::write(dir.path().join(name), b"12345").expect("write");
        }
        fs::create_dir(dir.path().join(".dir.tmp-1-0123456789abcdef")).expect("mkdir");
        assert_eq!(remove_stale_temporaries(dir.path()), (2, 10));
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut expected: Vec<String> = kept.iter().map(|n| (*n).to_owned()).collect();
        expected.push(".dir.tmp-1-0123456789abcdef".into());
        expected.sort();
        assert_eq!(left, expected);
        assert_eq!(remove_stale_temporaries(&dir.path().join("none")), (0, 0));
        // The names are the ones `temp_beside` gives.
        let made = temp_beside(&dir.path().join("x.redb"));
        assert!(is_temporary(
            &made.file_name().expect("name").to_string_lossy()
        ));
    }

    /// `backup FILE` stopped (Ctrl-C) gives up with nothing left beside `FILE`: no
    /// copy under its name and no temporary file, which no later start would remove.
    #[test]
    fn an_offline_backup_stopped_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("dir");
        let live = dir.path().join("widget-host.redb");
        drop(
            crate::store::Store::open(&live, crate::store::StoreOptions::default()).expect("open"),
        );
        let out = tempfile::tempdir().expect("dir");
        let dest = out.path().join("nightly.redb");
        let looks = std::sync::atomic::AtomicUsize::new(0);
        let stop = || looks.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 3;
        assert!(matches!(
            backup_file(&live, &dest, &stop),
            Err(StoreError::ShuttingDown)
        ));
        let left: Vec<_> = fs::read_dir(out.path()).expect("list").collect();
        assert!(left.is_empty(), "{left:?}");
        // Asked before the copy began (while the file opened): nothing is made at all.
        assert!(matches!(
            backup_file(&live, &dest, &|| true),
            Err(StoreError::ShuttingDown)
        ));
        let left: Vec<_> = fs::read_dir(out.path()).expect("list").collect();
        assert!(left.is_empty(), "{left:?}");
    }

    /// `backup FILE` gives its copy the name only if nothing has it: a file made
    /// under that name while the copy ran (after the command's own look) is left as
    /// it is, and no temporary file stays behind.
    #[test]
    fn a_backup_replaces_no_file_that_took_its_name_meanwhile() {
        let dir = tempfile::tempdir().expect("dir");
        let live = dir.path().join("widget-host.redb");
        drop(
            crate::store::Store::open(&live, crate::store::StoreOptions::default()).expect("open"),
        );
        let dest = dir.path().join("nightly.redb");
        fs::write(&dest, b"someone else's").expect("write");
        match backup_file(&live, &dest, &|| false) {
            Err(StoreError::File { path, source }) => {
                assert_eq!(path, dest);
                assert_eq!(source.kind(), std::io::ErrorKind::AlreadyExists, "{source}");
            }
            other => panic!("not refused: {other:?}"),
        }
        assert_eq!(fs::read(&dest).expect("read"), b"someone else's");
        let names: Vec<String> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !is_temporary(n)), "{names:?}");
        // With the name free, the copy takes it and is whole.
        fs::remove_file(&dest).expect("remove");
        backup_file(&live, &dest, &|| false).expect("backed up");
        assert!(
            inspect_file(&dest)
                .expect("a database")
                .violations
                .is_empty()
        );
    }

    /// Without hard links, the rename that names a backup refuses a taken name too.
    #[test]
    fn the_fallback_rename_replaces_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let (temp, dest) = (dir.path().join(".copy.tmp"), dir.path().join("copy.redb"));
        fs::write(&temp, b"copy").expect("write");
        fs::write(&dest, b"theirs").expect("write");
        let taken = rename_new(&temp, &dest).expect_err("taken");
        assert_eq!(taken.kind(), std::io::ErrorKind::AlreadyExists, "{taken}");
        assert_eq!(fs::read(&dest).expect("read"), b"theirs");
        fs::remove_file(&dest).expect("remove");
        rename_new(&temp, &dest).expect("free");
        assert_eq!(fs::read(&dest).expect("read"), b"copy");
        assert!(!temp.exists());
    }
}
