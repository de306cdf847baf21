//! The single writer. Callers submit a job and wait, blocking or as a future; the
//! writer drains everything queued, runs the jobs in order inside one write transaction (taking in
//! those that arrive in its first moments, see [`StoreOptions::late_window`]), commits once
//! with `Durability::Immediate`, and only then answers each caller (through a second
//! thread, so that waking fifty callers does not hold up the next batch). One fsync serves
//! the whole batch, which is what makes 64 concurrent writers fast.
//!
//! Jobs must not write before they have decided to act (validate, then apply): a
//! refused job then leaves the shared transaction exactly as it found it. A job that
//! fails (a storage error, a damaged record, a panic) aborts the batch: its caller gets
//! the error, and the batch's other jobs, those that ran before it too, run again in
//! the next batch, which holds them alone ([`WriteJob`]).

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, TryRecvError, channel, sync_channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use redb::{Database, Durability, ReadableDatabase};

use super::commit_times::{CommitTimes, CommitTotals};
use super::reader::{ReadTotals, Snapshot};
use super::tables::{RESORT_STEP, Tables, USERID_RESORT, prepare};
use super::{Reader, StoreError, UserId};

/// A caller's write: its writes, run inside a batch's transaction, and the caller's
/// answer once the batch's commit is known.
///
/// A job may run more than once. When a job fails (a storage error, a damaged record,
/// a bug that panics), its batch is rolled back, and the jobs before it in the batch,
/// which did nothing wrong, run again in the next one: nothing of their first run was
/// written. Only the failing job's caller is told of the failure.
trait WriteJob: Send {
    /// Runs the writes; why they failed, which rolls the batch back.
    fn run(&mut self, tables: &mut Tables<'_>) -> Result<(), String>;
    /// Tells the caller how the batch's commit went.
    fn answer(self: Box<Self>, commit: Result<(), StoreError>);
}

type Job = Box<dyn WriteJob>;

/// A batch's jobs and how its commit went, for the thread that answers them.
type Answers = (Vec<Job>, Result<(), StoreError>);

/// A [`WriteJob`] from a caller's closure and the way its answer goes back.
struct Queued<F, D, R> {
    writes: F,
    deliver: D,
    /// The last run's result, kept for the answer.
    result: Option<Result<R, StoreError>>,
    failure: Arc<OnceLock<String>>,
}

impl<F, D, R> WriteJob for Queued<F, D, R>
where
    F: for<'a, 'b> FnMut(&'a mut Tables<'b>) -> Result<R, StoreError> + Send,
    D: FnOnce(Result<R, StoreError>) + Send,
    R: Send,
{
    fn run(&mut self, tables: &mut Tables<'_>) -> Result<(), String> {
        let result = (self.writes)(tables);
        // A read or write the system refused inside the job: the batch then fails as
        // "aborted", which hides the cause, so it is kept here.
        let why = match &result {
            Err(e) => {
                note_failure(&self.failure, e);
                Err(e.to_string())
            }
            Ok(_) => Ok(()),
        };
        self.result = Some(result);
        why
    }

    fn answer(self: Box<Self>, commit: Result<(), StoreError>) {
        let outcome = match (commit, self.result) {
            (Ok(()), Some(result)) => result,
            // Its own error tells more than the batch's.
            (Err(e), Some(result)) => Err(result.err().unwrap_or(e)),
            (Err(e), None) => Err(e),
            // Committed without having run: cannot happen, and must not read as done.
            (Ok(()), None) => Err(StoreError::WriterGone),
        };
        (self.deliver)(outcome);
    }
}

/// The writer thread and its queue. When the last [`Store`] clone goes, dropping this
/// closes the queue and waits for the thread: queued jobs finish, and the database file
/// is released before the drop returns (so the same process can open it again at once).
struct Writer {
    jobs: Option<Sender<Job>>,
    /// The writer, then the thread that answers its callers: the writer's end closes
    /// the answers' queue, so joining both in turn leaves no caller unanswered.
    threads: Vec<thread::JoinHandle<()>>,
}

impl Writer {
    fn send(&self, job: Job) -> Result<(), StoreError> {
        self.jobs
            .as_ref()
            .ok_or(StoreError::WriterGone)?
            .send(job)
            .map_err(|_| StoreError::WriterGone)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.jobs.take();
        for thread in self.threads.drain(..) {
            // Each thread ends when its queue closes; a panic there was already reported.
            let _ = thread.join();
        }
    }
}

/// How the writer commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Group every queued job into one commit (the normal mode). `false` commits once
    /// per job, for comparison in the benchmark.
    pub grouped: bool,
    /// Ceiling of redb's page cache. redb's own default (1 GiB) let a 1 GB file sit
    /// almost wholly in memory; the interior pages every lookup touches fit easily in
    /// [`DEFAULT_CACHE_BYTES`].
    pub cache_bytes: usize,
    /// How long after a batch begins jobs that arrive may still join it (until it
    /// holds `MAX_BATCH` jobs): they then wait for its commit instead of for the
    /// whole next batch as well. Bounded so that a late long job (a bulk import
    /// chunk) cannot hold back the commit of the callers who were there first.
    pub late_window: Duration,
}

/// The page cache the host runs with unless told otherwise: 96 MiB.
pub const DEFAULT_CACHE_BYTES: usize = 96 * 1024 * 1024;

/// Late jobs join a batch during its first 2 ms: a group of fifty follows takes
/// about half of that on the benchmark's machine.
pub const DEFAULT_LATE_WINDOW: Duration = Duration::from_millis(2);

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            grouped: true,
            cache_bytes: DEFAULT_CACHE_BYTES,
            late_window: DEFAULT_LATE_WINDOW,
        }
    }
}

/// Handle on the database: cheap to clone, shareable across threads.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    writer: Arc<Writer>,
    host_key: [u8; 32],
    /// Readers made, for tests and metrics that check a render takes one snapshot. A
    /// relaxed increment: nothing orders on it.
    snapshots: Arc<AtomicU64>,
    /// What the readers did, for the tests that hold a render to its budget.
    read_totals: Arc<ReadTotals>,
    /// The snapshot readers share until the next commit.
    shared: Arc<SharedSnapshot>,
    /// The first I/O failure of the database file, once one happened: see
    /// [`Self::storage_failure`].
    failure: Arc<OnceLock<String>>,
    /// How long the writer's commits took, for `/metrics`.
    commit_times: Arc<CommitTimes>,
    /// When the store was opened, and when [`Self::claim_recheck`] last claimed a
    /// recheck (milliseconds after that, plus one; 0 for never).
    opened: std::time::Instant,
    rechecked_at: Arc<AtomicU64>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// Tells the kernel that the database file is read page by page, at random, so that
/// it reads no more than redb asks for and caches it in page-sized folios. redb reads
/// one B-tree page at a time and keeps its own cache, so read-ahead would bring in
/// little it uses; what the advice is for is the writes. A host started on a file
/// out of the cache (after a reboot) read it with the kernel's default read-ahead,
/// Linux 6.18 on ext4 cached what it read in large folios, and every 4 KiB page a
/// commit then wrote cost the kernel a walk over a whole folio's buffers, at the write
/// and again at the fdatasync: a durable action cost the host 323–340 µs of CPU
/// instead of 110–114 µs, for as long as the file stayed cached (BENCHMARKS.md, "The
/// page cache's shape"). The price is that a read of pages the cache lacks is never
/// widened: an online backup of a file out of the cache reads it page by page.
/// Advice is advice: where the call fails, the file is served as before.
fn advise_random_access(file: &std::fs::File) {
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::Random) {
        tracing::warn!(%error, "the kernel refused the random-access advice for the database file");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// Says that a file not closed cleanly is being repaired, and how far it has got. redb
/// checks and repairs such a file (its host or command killed, a power cut) as it
/// opens, reading all of it: minutes on a large file, during which a host's port is
/// open and answers nothing. Said, nobody takes the wait for a hang and kills the
/// host, which would start the repair over.
fn repair_said(path: &Path) -> impl Fn(&mut redb::RepairSession) + 'static {
    let path = path.display().to_string();
    // The tenths of the file repaired so far that have been said (redb tells the
    // callback at each of its passes, not as it reads).
    let said = std::cell::Cell::new(None::<u8>);
    move |session| {
        let tenths = (session.progress().clamp(0.0, 1.0) * 10.0) as u8;
        match said.get() {
            None => tracing::warn!(
                %path,
                "the database was not closed cleanly (the host or a command was killed, or the machine lost power): repairing it before it is used, which reads the whole file"
            ),
            Some(before) if tenths > before => {
                tracing::info!(%path, done = format!("{}%", u32::from(tenths) * 10), "repairing the database");
            }
            Some(_) => return,
        }
        said.set(Some(tenths));
    }
}

/// Takes a file that was empty back to empty after redb failed to make a database in
/// it. redb sizes the file before it writes its header, and a full disk refuses the
/// header: the file is then neither empty nor a database ("magic number mismatch"),
/// and after the administrator made room every start would refuse it as damaged. An
/// empty file is one a start makes the database in. Only under the file's lock: a
/// process that opened the file since keeps what it made.
fn leave_empty(path: &Path) {
    // Said when it fails: the next start would call the file damaged and advise a
    // restore, for a file that never was a database.
    let failed = |error: &dyn std::fmt::Display| tracing::warn!(file = %path.display(), %error, "a database file whose making failed could not be emptied again; delete it (it holds no data) before the next start");
    let file = match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(file) => file,
        Err(e) => return failed(&e),
    };
    if file.try_lock().is_ok()
        && let Err(e) = file.set_len(0).and_then(|()| file.sync_all())
    {
        failed(&e);
    }
}

impl Store {
    /// Opens (or creates) the database file, creates tables and migrates.
    pub fn open(path: impl AsRef<Path>, options: StoreOptions) -> Result<Self, StoreError> {
        Self::open_through(path.as_ref(), options, redb::backends::FileBackend::new)
    }

    /// [`Store::open`], the file handed to redb through `backend` (a test's disk
    /// that fails its writes wraps the file's own backend).
    fn open_through<B: redb::StorageBackend>(
        path: &Path,
        options: StoreOptions,
        backend: impl FnOnce(std::fs::File) -> Result<B, redb::DatabaseError>,
    ) -> Result<Self, StoreError> {
        if !path.exists() {
            // Made its owner's alone (see `create_owner_only`); a file that exists
            // keeps what its administrator gave it. Any failure here, the open
            // below meets and reports.
            let _ = super::backup::create_owner_only(path);
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|source| StoreError::File {
                path: path.to_owned(),
                source,
            })?;
        advise_random_access(&file);
        let was_empty = file.metadata().is_ok_and(|m| m.len() == 0);
        // The file's name is synced into its folder before any commit to it can be
        // acknowledged, so that a power cut cannot take it back: on every open, as
        // the file may have been made by a command that stopped before it synced the
        // name (a restore killed mid-copy leaves an empty one), or by the open above.
        // One fsync, once a start. The data folder's own name was synced when it
        // was made (`create_folder`).
        super::folders::sync_name_of(path);
        // Another process holding the file (a second host, an offline command) is
        // said as such, where redb's words ("Database already open. Cannot acquire
        // lock.") leave an administrator to guess which process.
        let locked = |error: redb::DatabaseError| match error {
            redb::DatabaseError::DatabaseAlreadyOpen
            | redb::DatabaseError::LockProtocolMismatch => StoreError::Locked(path.to_owned()),
            other => other.into(),
        };
        let made = Database::builder()
            .set_cache_size(options.cache_bytes)
            .set_repair_callback(repair_said(path))
            .create_with_backend(backend(file).map_err(locked)?);
        let db = match made.map_err(locked) {
            Ok(db) => db,
            Err(error) => {
                if was_empty && !matches!(error, StoreError::Locked(_)) {
                    leave_empty(path);
                }
                return Err(error);
            }
        };
        Self::start(db, options)
    }

    /// Opens (or creates) the database on a storage backend of the caller's: the
    /// benchmark wraps the file to time the commits' own fdatasync.
    pub fn open_on(
        backend: impl redb::StorageBackend,
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        let db = Database::builder()
            .set_cache_size(options.cache_bytes)
            .create_with_backend(backend)?;
        Self::start(db, options)
    }

    /// A database that lives in memory only, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        Self::start(db, StoreOptions::default())
    }

    fn start(db: Database, options: StoreOptions) -> Result<Self, StoreError> {
        // A migration reads every person of an older file, and redb's decoding panics
        // on bytes no build of the host wrote there: such a file is damaged, said as
        // such (the commands exit 1, `serve` says why it cannot open), not a crash.
        let host_key = super::backup::read_damaged(|| prepare(&db))?;
        let db = Arc::new(db);
        let (jobs, queue) = channel::<Job>();
        let writer_db = Arc::clone(&db);
        let shared = Arc::new(SharedSnapshot::default());
        let ended = Arc::clone(&shared);
        let failure = Arc::new(OnceLock::new());
        let noted = Arc::clone(&failure);
        let commit_times = Arc::new(CommitTimes::default());
        let timed = Arc::clone(&commit_times);
        // Answering a caller wakes its thread, a system call each: about a quarter of
        // the writer's time when it answered a batch's fifty callers itself. A second
        // thread answers them while the writer already runs the next batch.
        let (answers, answering) = channel::<Answers>();
        let answerer = thread::Builder::new()
            .name("store-answers".into())
            .spawn(move || {
                for (replies, commit) in answering {
                    answer(replies, commit);
                }
            })
            .map_err(|e| StoreError::Db(redb::Error::Io(e)))?;
        let thread = thread::Builder::new()
            .name(WRITER_THREAD.into())
            .spawn(move || {
                run_writer(
                    &writer_db, &queue, &answers, options, &noted, &ended, &timed,
                )
            })
            .map_err(|e| StoreError::Db(redb::Error::Io(e)))?;
        Ok(Self {
            db,
            writer: Arc::new(Writer {
                jobs: Some(jobs),
                threads: vec![thread, answerer],
            }),
            host_key,
            snapshots: Arc::new(AtomicU64::new(0)),
            read_totals: Arc::default(),
            shared,
            failure,
            commit_times,
            opened: std::time::Instant::now(),
            rechecked_at: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The first I/O failure of the database file, if one happened. redb serves the
    /// file no more after one (every later write fails), and only opening it again,
    /// that is restarting the host, recovers: `/healthz` and `/readyz` report it so
    /// that a supervisor restarts the host and a balancer stops sending it requests.
    /// What was acknowledged before is durable, so the restart loses nothing.
    pub fn storage_failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }

    /// Keeps `e` as the store's failure if it is the first I/O failure of the file.
    pub fn note_failure(&self, e: &StoreError) {
        note_failure(&self.failure, e);
    }

    /// Asks redb whether the file has failed since the store last looked: redb keeps
    /// the first I/O failure of any read or write, and refuses every later use. For a
    /// failure met by a read that passed it on as an error without noting it here.
    /// Takes the write lock only if it is free, and never commits: if the writer holds
    /// it, its own commit will meet any failure.
    pub fn recheck(&self) {
        if self.failure.get().is_some() {
            return;
        }
        match self.db.try_begin_write() {
            Ok(txn) => {
                if let Err(e) = txn.abort() {
                    note_failure(&self.failure, &e.into());
                }
            }
            Err(redb::TransactionError::Storage(e)) => note_failure(&self.failure, &e.into()),
            Err(_) => {}
        }
    }

    /// Whether a [`Self::recheck`] is due: none was claimed in the last `interval`.
    /// Claims it when it is, so that of callers racing one gets it. For rechecks a
    /// client can provoke (every WSRP fault is a 500), which must not keep the write
    /// lock busy; a failure a skipped recheck would have found, the next one finds.
    /// Cheap and never blocking: callers ask before they hand the recheck off.
    pub fn claim_recheck(&self, interval: std::time::Duration) -> bool {
        let last = self.rechecked_at.load(Ordering::Relaxed);
        let now = self.opened.elapsed().as_millis() as u64 + 1;
        let due = last == 0 || now.saturating_sub(last) >= interval.as_millis() as u64;
        due && self
            .rechecked_at
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }

    /// The random 32-byte key made on first open; signs `p_auth` tokens.
    pub fn host_key(&self) -> [u8; 32] {
        self.host_key
    }

    /// A consistent snapshot for one render. Never waits for writers.
    ///
    /// Readers share one snapshot until the writer commits again, and the writer
    /// ends the sharing before it answers anyone (see [`SharedSnapshot`]): a read
    /// begun after an action was acknowledged sees it, as with a snapshot of its own.
    pub fn read(&self) -> Result<Reader, StoreError> {
        self.snapshots.fetch_add(1, Ordering::Relaxed);
        let snap = self.shared.get(&self.db, &self.read_totals).map_err(|e| {
            let e = StoreError::from(e);
            note_failure(&self.failure, &e);
            e
        })?;
        Ok(Reader::of(snap))
    }

    /// How long the commits since the store was opened took, and what they wrote.
    pub fn commit_totals(&self) -> CommitTotals {
        self.commit_times.totals()
    }

    /// How many readers [`Self::read`] has made since the store was opened.
    pub fn snapshots_taken(&self) -> u64 {
        self.snapshots.load(Ordering::Relaxed)
    }

    /// The standing lookups and the mutual-connection walks of the readers
    /// [`Self::read`] made that have ended (see [`Reader::standing_lookups`]).
    pub fn reads_done(&self) -> (u64, u64) {
        self.read_totals.get()
    }

    /// Runs `job` on the writer thread and blocks until its effects are durable.
    /// The job must return `Err` only for storage errors and must not write anything
    /// when it refuses.
    pub fn write<R, F>(&self, job: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: for<'a, 'b> FnMut(&'a mut Tables<'b>) -> Result<R, StoreError> + Send + 'static,
    {
        let (answer, wait): (SyncSender<Result<R, StoreError>>, _) = sync_channel(1);
        self.submit(job, move |outcome| {
            // The caller may have gone away; nothing to do then.
            let _ = answer.send(outcome);
        })?;
        wait.recv().map_err(|_| StoreError::WriterGone)?
    }

    /// [`Self::write`] for async callers: the job is queued when the future is first
    /// polled (the queue is unbounded, so that never blocks), and the future waits for
    /// the commit without holding a thread. An action's request spends most of its time
    /// in that wait, and on a thread of its own each waiting action would be a thread
    /// to schedule: with 64 clients on two cores, waking 64 threads after each commit
    /// tripled the p99 of a grouped action (BENCHMARKS.md). A future dropped before the
    /// commit leaves its job queued: it still runs, and its answer goes nowhere.
    pub async fn write_async<R, F>(&self, job: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: for<'a, 'b> FnMut(&'a mut Tables<'b>) -> Result<R, StoreError> + Send + 'static,
    {
        let (answer, wait) = tokio::sync::oneshot::channel();
        self.submit(job, move |outcome| {
            let _ = answer.send(outcome);
        })?;
        wait.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Queues `job` for the writer; `deliver` gets its result once the batch's commit
    /// is known. `job` may run more than once ([`WriteJob`]): it must do nothing
    /// but its writes.
    fn submit<R, F>(
        &self,
        job: F,
        deliver: impl FnOnce(Result<R, StoreError>) + Send + 'static,
    ) -> Result<(), StoreError>
    where
        R: Send + 'static,
        F: for<'a, 'b> FnMut(&'a mut Tables<'b>) -> Result<R, StoreError> + Send + 'static,
    {
        self.writer.send(Box::new(Queued {
            writes: job,
            deliver,
            result: None,
            failure: Arc::clone(&self.failure),
        }))
    }
}

/// The read snapshot that readers share while no commit has happened since it began.
///
/// A render opened a snapshot of its own and its tables in it, about 5% of a list
/// render's instructions, for data that changes only when the writer commits. Now the
/// first reader after a commit begins one and later readers take it too, until the
/// writer ends it after its next commit and before it answers that commit's callers.
/// The writer ending it also keeps an old snapshot from holding pages the writer
/// could reuse: only readers still running hold it then, as they always did.
///
/// A snapshot is begun outside the lock, and shared only if no commit ended the
/// sharing meanwhile (the generation says so): begun under the lock, it kept the
/// writer waiting to answer a whole batch behind a render thread, which runs at a
/// lower priority and may be preempted holding it. One begun before a commit's end
/// is then never shared after it, and the reader that began it uses it alone, as a
/// read that started before the commit was acknowledged.
#[derive(Default)]
struct SharedSnapshot(Mutex<Shared>);

#[derive(Default)]
struct Shared {
    snapshot: Option<Arc<Snapshot>>,
    /// How many times the writer has ended the sharing.
    generation: u64,
}

impl SharedSnapshot {
    fn get(
        &self,
        db: &Database,
        totals: &Arc<ReadTotals>,
    ) -> Result<Arc<Snapshot>, redb::TransactionError> {
        let generation = match self.current() {
            Ok(shared) => return Ok(shared),
            Err(generation) => generation,
        };
        let begun = Arc::new(Snapshot::counted(db.begin_read()?, totals));
        Ok(self.offer(begun, generation))
    }

    /// The shared snapshot, or the generation a new one would begin in.
    fn current(&self) -> Result<Arc<Snapshot>, u64> {
        let held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        held.snapshot
            .as_ref()
            .map(Arc::clone)
            .ok_or(held.generation)
    }

    /// Shares `begun`, a snapshot begun in `generation`, unless the writer has ended
    /// the sharing since, and returns the snapshot the reader should use: one another
    /// reader shared first, or its own.
    fn offer(&self, begun: Arc<Snapshot>, generation: u64) -> Arc<Snapshot> {
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if held.generation != generation {
            return begun;
        }
        if let Some(first) = &held.snapshot {
            // `begun` is let go after the guard (parameters drop after locals): its
            // transaction, closed here, would otherwise close under the lock.
            return Arc::clone(first);
        }
        held.snapshot = Some(Arc::clone(&begun));
        begun
    }

    /// After a commit: readers from now on begin a snapshot that holds it.
    fn end(&self) {
        let ended = {
            let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            held.generation = held.generation.wrapping_add(1);
            held.snapshot.take()
        };
        // Closed (when no reader holds it) outside the lock.
        drop(ended);
    }
}

fn run_writer(
    db: &Database,
    queue: &Receiver<Job>,
    answers: &Sender<Answers>,
    options: StoreOptions,
    failure: &OnceLock<String>,
    shared: &SharedSnapshot,
    times: &CommitTimes,
) {
    // A rename's rows left to move (see `resort.rs`) move in steps of their own,
    // one after each batch while actions keep coming, back to back when none do.
    // A panic here (redb on a damaged page) would end the thread before its loop,
    // with every later write answered "gone" while `/healthz` still said ok.
    let Ok(mut resorting) = std::panic::catch_unwind(AssertUnwindSafe(|| resorts_pending(db)))
    else {
        let _ = failure.set(START_PANICKED.into());
        tracing::error!(
            "reading the database as the store started panicked; it takes no writes until the host restarts (/healthz now answers 503): stop the host and run check-db"
        );
        return;
    };
    // Whose rows the last step moved: steps take turns among the renamed.
    let mut last_resorted: UserId = 0;
    // The other jobs of a batch that a failing job rolled back: they run first, in a
    // batch of their own.
    let mut carried: VecDeque<Job> = VecDeque::new();
    loop {
        // A rolled-back batch's jobs run again by themselves, no new job joining them:
        // each rollback then leaves one job fewer, and no stream of new writes that
        // fail (a client resending one) can keep them from ever committing.
        let rerun = !carried.is_empty();
        let first = if let Some(job) = carried.pop_front() {
            job
        } else if resorting {
            match queue.try_recv() {
                Ok(job) => job,
                Err(TryRecvError::Empty) => {
                    let step = resort_step(db, failure, &mut last_resorted);
                    shared.end();
                    match step {
                        Step::Stop => return,
                        step => resorting = step == Step::More,
                    }
                    continue;
                }
                Err(TryRecvError::Disconnected) => break,
            }
        } else {
            match queue.recv() {
                Ok(job) => job,
                Err(_) => break,
            }
        };
        let mut batch = vec![first];
        if options.grouped {
            batch.extend(carried.drain(..));
            if !rerun {
                batch.extend(queue.try_iter());
            }
        }
        // Jobs that arrive while the batch runs join it, within the late window: they
        // then wait for this commit, not for the whole of the next batch too.
        let began = Instant::now();
        let joins = move || options.grouped && !rerun && began.elapsed() < options.late_window;
        let mut late = (batch.len()..MAX_BATCH)
            .map_while(|_| joins().then(|| queue.try_recv().ok()).flatten());
        // Jobs' panics are caught inside (see `run_batch`); this is for one of redb's
        // own (beginning, opening the tables, committing), which no request controls.
        // redb's state after it is unknown, so the store stops writing as after an I/O
        // failure: the batch's callers, whose answers went with it, and every later
        // one are told the writer failed them, and `/healthz` asks for a restart.
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| {
            run_batch(db, batch, &mut late, failure, shared, times)
        }));
        // `run_batch` noted the failure as it unwound, and ended the shared snapshot
        // (the commit may have landed) before its callers heard of it.
        let Ok(ran) = ran else {
            return;
        };
        // Before anyone hears of the commit: their next read must see it.
        shared.end();
        let (replies, commit) = match ran {
            BatchResult::Committed(replies, commit, started) => {
                resorting |= started && commit.is_ok();
                (replies, commit)
            }
            BatchResult::Stopped(replies, e) => {
                // Once the file has failed every batch stops so (its first failure is
                // logged when noted, below): one line a while, not one a batch.
                static FAILURES: crate::throttle::Throttle = crate::throttle::Throttle::new();
                crate::throttle::log_error(&FAILURES, "write batch failed", &e);
                (replies, Err(e))
            }
            BatchResult::RolledBack(failed, e, again) => {
                say_rolled_back(&ROLLBACKS, &e);
                // Ahead of anything carried before (there is nothing when grouped:
                // the batch took it all), in their order.
                for job in again.into_iter().rev() {
                    carried.push_front(job);
                }
                (vec![failed], Err(e))
            }
        };
        if let Err(e) = &commit {
            note_failure(failure, e);
        }
        if let Err(back) = answers.send((replies, commit)) {
            // The answering thread is gone (it panicked): answer here instead.
            let (replies, commit) = back.0;
            answer(replies, commit);
        }
        if resorting {
            let step = resort_step(db, failure, &mut last_resorted);
            shared.end();
            match step {
                Step::Stop => return,
                step => resorting = step == Step::More,
            }
        }
    }
}

/// Whether a move of list rows was left when the file was last closed.
fn resorts_pending(db: &Database) -> bool {
    let pending = || -> Result<bool, StoreError> {
        let txn = db.begin_read()?;
        let table = txn.open_table(USERID_RESORT)?;
        Ok(!redb::ReadableTableMetadata::is_empty(&table)?)
    };
    pending().unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not tell whether renamed people's rows are left to move");
        false
    })
}

/// Moves one step of renamed people's list rows in a commit of its own. Returns
/// whether more is left. A failed step changes nothing, and steps start again only
/// with a rename that leaves rows to move, or at the next start: the lists stay
/// consistent meanwhile, only the renamed people's places in them are old. (A record
/// the step cannot read fails every step; `check-db` names it.)
fn resort_step(db: &Database, failure: &OnceLock<String>, last: &mut UserId) -> Step {
    let step = || -> Result<Step, StoreError> {
        let mut txn = db.begin_write()?;
        // The step's own code reads records and keys: a panic there (an altered
        // record, a bug) is caught inside the transaction, which is aborted, as a
        // job's is. Only the steps stop.
        let moved = std::panic::catch_unwind(AssertUnwindSafe(|| {
            Tables::open(&txn)?.resort_step_after(RESORT_STEP, *last)
        }));
        let Ok(moved) = moved else {
            txn.abort()?;
            tracing::error!(
                "moving a renamed person's rows panicked; they stay in their old places until the next rename or restart"
            );
            return Ok(Step::Done);
        };
        let (more, moved) = moved?;
        txn.set_durability(Durability::Immediate)?;
        txn.commit()?;
        *last = moved;
        Ok(if more { Step::More } else { Step::Done })
    };
    // Beginning or committing: the engine's own, as for a batch.
    match std::panic::catch_unwind(AssertUnwindSafe(step)) {
        Ok(Ok(step)) => step,
        Ok(Err(e)) => {
            note_failure(failure, &e);
            tracing::error!(error = %e, "moving a renamed person's rows in everyone's lists failed; they stay in their old places until the next rename or restart");
            Step::Done
        }
        Err(_) => {
            engine_panicked(failure);
            Step::Stop
        }
    }
}

/// What a rename step left to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// More rows to move.
    More,
    /// Nothing left, or nothing more to try until the next rename or start.
    Done,
    /// The engine panicked: the writer stops.
    Stop,
}

/// Notes [`ENGINE_PANICKED`] when dropped by a panic, and ends the shared snapshot:
/// the commit may have landed, and the callers hear of the panic as the batch unwinds.
struct NotesUnwinding<'a>(&'a OnceLock<String>, &'a SharedSnapshot);

impl Drop for NotesUnwinding<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            engine_panicked(self.0);
            self.1.end();
        }
    }
}

/// The failure the writer's first read leaves when it panics (a damaged page).
const START_PANICKED: &str = "the store's first read panicked: the file may be damaged";

/// The failure a write that panicked outside any job leaves.
const ENGINE_PANICKED: &str = "a write panicked inside the database engine";

/// Notes that a write panicked outside any job. The writer stops after it.
fn engine_panicked(failure: &OnceLock<String>) {
    let _ = failure.set(ENGINE_PANICKED.into());
    tracing::error!(
        "a write panicked outside any job; the store takes no more writes until the host restarts (/healthz now answers 503)"
    );
}

/// Tells each caller of a batch how its commit went. Only one caller can own the
/// original error; the rest get a copy of its text.
fn answer(jobs: Vec<Job>, commit: Result<(), StoreError>) {
    let mut commit = Some(commit);
    for job in jobs {
        let result = match commit.take() {
            Some(Ok(())) => {
                commit = Some(Ok(()));
                Ok(())
            }
            Some(Err(e)) => {
                let copy = StoreError::BatchFailed(e.to_string());
                commit = Some(Err(copy));
                Err(e)
            }
            None => Err(StoreError::WriterGone),
        };
        job.answer(result);
    }
}

/// Keeps `e` as the store's failure if it is the first I/O failure of the file.
fn note_failure(failure: &OnceLock<String>, e: &StoreError) {
    if e.is_storage_failure() && failure.set(e.to_string()).is_ok() {
        tracing::error!(error = %e, "the database file failed an I/O operation; the store takes no more writes until the host restarts (/healthz now answers 503)");
    }
}

/// The name of the thread that runs every write and commits it: the one thread all
/// durable actions pass through, whose busy share the benchmark reports.
pub const WRITER_THREAD: &str = "store-writer";

/// Jobs that arrive while a batch runs stop joining it once it holds this many (what
/// was already queued when it began is taken whole, however many).
const MAX_BATCH: usize = 256;

/// How a batch ended.
enum BatchResult {
    /// The jobs that ran, the commit, and whether the batch left rows of a rename to
    /// move in later steps.
    Committed(Vec<Job>, Result<(), StoreError>, bool),
    /// The engine failed the batch (beginning, opening the tables, setting its
    /// durability): the jobs that ran, told why.
    Stopped(Vec<Job>, StoreError),
    /// A job failed and the batch was rolled back: that job, why, and the batch's
    /// other jobs in their order (those that ran before it, and those that never ran),
    /// to run in the next batch.
    RolledBack(Job, StoreError, Vec<Job>),
}

/// Runs `batch` in one write transaction. Where it stops before its jobs ran, the
/// failure is noted before the jobs are dropped: dropping them answers their
/// callers, who must find the store's failure already reported.
fn run_batch(
    db: &Database,
    batch: Vec<Job>,
    late: &mut dyn Iterator<Item = Job>,
    failure: &OnceLock<String>,
    shared: &SharedSnapshot,
    times: &CommitTimes,
) -> BatchResult {
    let mut ran: Vec<Job> = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter().chain(std::iter::from_fn(|| late.next()));
    // Declared after the answers and the jobs, so dropped before them: a panic leaving
    // this function is noted before any caller hears that the writer failed them.
    let _unwinding = NotesUnwinding(failure, shared);
    let txn = match db.begin_write() {
        Ok(t) => t,
        Err(e) => {
            let e = StoreError::from(e);
            note_failure(failure, &e);
            // The jobs never ran; dropping them tells their callers the writer failed.
            drop(jobs);
            return BatchResult::Stopped(ran, e);
        }
    };
    let mut failed = None;
    let started;
    {
        let mut tables = match Tables::open(&txn) {
            Ok(t) => t,
            Err(e) => {
                note_failure(failure, &e);
                return BatchResult::Stopped(ran, e);
            }
        };
        for mut job in jobs.by_ref() {
            // A job that panics (a bug) must not end the writer: every later write
            // would fail while the host looked healthy. It is caught here, inside the
            // transaction, so that the transaction is aborted as usual below: dropped
            // while unwinding, redb would leave the file to be repaired at next open.
            match std::panic::catch_unwind(AssertUnwindSafe(|| job.run(&mut tables))) {
                Ok(Ok(())) => ran.push(job),
                // The cause goes with it to the log's line of the rollback, which
                // would otherwise tell the administrator only that something failed.
                Ok(Err(cause)) => {
                    let why = format!("the write failed ({cause}); nothing of it was written");
                    failed = Some((job, why));
                    break;
                }
                Err(_) => {
                    tracing::error!("a write job panicked; its batch is rolled back");
                    let why = "the write panicked; nothing of it was written".to_owned();
                    failed = Some((job, why));
                    break;
                }
            }
        }
        started = tables.resorts_started();
    }
    if let Some((job, why)) = failed {
        let _ = txn.abort();
        // The others did nothing wrong: those before it run again and those behind it
        // for the first time, in the next batch. If the file itself failed, that
        // batch finds it and tells them so.
        ran.extend(jobs);
        return BatchResult::RolledBack(job, StoreError::BatchFailed(why), ran);
    }
    let mut txn = txn;
    if let Err(e) = txn.set_durability(Durability::Immediate) {
        return BatchResult::Stopped(ran, e.into());
    }
    let began = Instant::now();
    let commit = txn.commit().map_err(StoreError::from);
    let took = began.elapsed();
    times.record(took, if commit.is_ok() { ran.len() } else { 0 });
    if took >= SLOW_COMMIT {
        say_slow_commit(&SLOW_COMMITS, took, ran.len());
    }
    BatchResult::Committed(ran, commit, started)
}

/// A commit this slow is said in the log: a disk that takes seconds to sync (a
/// failing drive, a throttled or remote volume) keeps every action waiting, and
/// without a line the first sign would be requests answered busy or cut off by a
/// proxy. A healthy disk commits a group in a few milliseconds.
const SLOW_COMMIT: Duration = Duration::from_secs(1);

/// The log's line for slow commits.
static SLOW_COMMITS: crate::throttle::Throttle = crate::throttle::Throttle::new();

/// Logs a commit that took `took` for `writes` writes, at `warn`, once a while.
fn say_slow_commit(throttle: &crate::throttle::Throttle, took: Duration, writes: usize) {
    match throttle.admit() {
        Some(unlogged) => tracing::warn!(
            secs = took.as_secs_f64(),
            writes,
            unlogged,
            "a commit to the database took over a second (the disk is slow to sync); actions wait for it (one such line per 10 s; `unlogged` counts those left out)"
        ),
        None => tracing::debug!(secs = took.as_secs_f64(), writes, "a slow commit"),
    }
}

/// The log's line for writes that rolled their batch back.
static ROLLBACKS: crate::throttle::Throttle = crate::throttle::Throttle::new();

/// Logs a write that failed and rolled its batch back. Throttled: a record that does
/// not decode (a damaged file) fails every write that touches its person, and a person
/// pressing again and again, or a script, would write a line a press.
fn say_rolled_back(throttle: &crate::throttle::Throttle, error: &StoreError) {
    crate::throttle::log_error(
        throttle,
        "a write failed; its batch was rolled back, and its other writes run in the next one",
        error,
    );
}

#[cfg(test)]
mod tests {
    use super::super::tables::RESORT_INLINE;
    use super::*;
    use crate::store::flaky_disk::FlakyDisk;

    /// Bytes stored under a person record's type name, as no build of the host
    /// writes them: what a damaged or crafted file holds.
    #[derive(Debug)]
    struct Forged;

    impl redb::Value for Forged {
        type SelfType<'a> = &'a [u8];
        type AsBytes<'a> = &'a [u8];

        fn fixed_width() -> Option<usize> {
            None
        }

        fn from_bytes<'a>(data: &'a [u8]) -> &'a [u8]
        where
            Self: 'a,
        {
            data
        }

        fn as_bytes<'a, 'b: 'a>(value: &'a &'b [u8]) -> &'a [u8]
        where
            Self: 'b,
        {
            value
        }

        fn type_name() -> redb::TypeName {
            <super::super::record::PersonRecord as redb::Value>::type_name()
        }
    }

    /// A file of an older schema whose migration reads a person record redb cannot
    /// decode is refused as damaged, not with a panic, and is left as it was.
    #[test]
    fn a_damaged_row_met_by_a_migration_is_damage_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("widget-host.redb");
        drop(Store::open(&path, StoreOptions::default()).expect("a new file"));
        {
            let db = Database::create(&path).expect("reopen");
            let txn = db.begin_write().expect("write");
            {
                use redb::TableHandle;
                let name = super::super::record::USERID_PERSON.name();
                let forged: redb::TableDefinition<u64, Forged> = redb::TableDefinition::new(name);
                let mut people = txn.open_table(forged).expect("people");
                let bad: &[u8] = &[0xff; 40];
                people.insert(1, bad).expect("insert");
                let mut meta = txn.open_table(super::super::tables::META).expect("meta");
                meta.insert(
                    super::super::tables::META_SCHEMA,
                    5u64.to_le_bytes().as_slice(),
                )
                .expect("version");
            }
            txn.commit().expect("commit");
        }
        let Err(err) = Store::open(&path, StoreOptions::default()) else {
            panic!("a damaged file opened");
        };
        assert!(err.is_damage(), "{err}");
        assert!(
            err.to_string().contains("reading it stopped the store"),
            "{err}"
        );
        // The migration's transaction was not committed: the file still says schema 5.
        let db = Database::create(&path).expect("reopen");
        let read = redb::ReadableDatabase::begin_read(&db).expect("read");
        let meta = read.open_table(super::super::tables::META).expect("meta");
        let version = meta
            .get(super::super::tables::META_SCHEMA)
            .expect("get")
            .map(|v| v.value().to_vec());
        assert_eq!(version, Some(5u64.to_le_bytes().to_vec()));
    }

    /// A job whose caller is told, through `told`, how the commit went and which
    /// thread told it.
    fn probe(told: &Sender<(Result<(), String>, Option<String>)>, handle: String) -> Job {
        probe_after(told, handle, || {})
    }

    /// [`probe`] that calls `before` first, each time it runs.
    fn probe_after(
        told: &Sender<(Result<(), String>, Option<String>)>,
        handle: String,
        mut before: impl FnMut() + Send + 'static,
    ) -> Job {
        let told = told.clone();
        Box::new(Queued {
            writes: move |tables: &mut Tables<'_>| {
                before();
                tables.put_registration(&handle, b"1")
            },
            deliver: move |commit: Result<(), StoreError>| {
                // A slow caller to wake: answers lag well behind the writer.
                thread::sleep(std::time::Duration::from_millis(1));
                let by = thread::current().name().map(str::to_owned);
                let _ = told.send((commit.map_err(|e| e.to_string()), by));
            },
            result: None,
            failure: Arc::default(),
        })
    }

    /// The host opens its file itself (to advise the kernel on it) and hands it to
    /// redb: redb's lock still keeps a second open out, and a path that is no file
    /// is named in the error.
    #[test]
    fn the_file_is_locked_and_a_path_that_is_no_file_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("host.redb");
        let store = Store::open(&path, StoreOptions::default()).expect("created");
        assert!(path.is_file());
        let second = Store::open(&path, StoreOptions::default()).expect_err("in use");
        assert!(
            matches!(&second, StoreError::Locked(locked) if locked == &path),
            "a second open is refused by redb's lock, as a lock: {second}"
        );
        // Dropping the store joins its writer and releases the file.
        drop(store);
        Store::open(&path, StoreOptions::default()).expect("opened again");
        let folder = Store::open(dir.path(), StoreOptions::default()).expect_err("a folder");
        match folder {
            StoreError::File { path, .. } => assert_eq!(path, dir.path()),
            other => panic!("expected the path named: {other}"),
        }
    }

    fn fan(i: usize) -> crate::store::Person {
        crate::store::Person {
            id: format!("f{i}"),
            given_name: "Fan".into(),
            family_name: format!("Fan{i}"),
            ..Default::default()
        }
    }

    /// Writes `hub` (Aaron Ahn) and Mia Mori, each followed by `fans` people.
    fn hub_with_fans(tables: &mut Tables<'_>, fans: usize) -> Result<(), StoreError> {
        use crate::store::{Edge, Graph, Person};
        let named = |id: &str, given: &str, family: &str| Person {
            id: id.into(),
            given_name: given.into(),
            family_name: family.into(),
            ..Person::default()
        };
        let mut people = vec![named("hub", "Aaron", "Ahn"), named("mia", "Mia", "Mori")];
        people.extend((0..fans).map(fan));
        tables.upsert_people(&people)?;
        let id = |t: &Tables<'_>, id: &str| t.user_id(id).map(Option::unwrap_or_default);
        let (hub, mia) = (id(tables, "hub")?, id(tables, "mia")?);
        let mut edges = Vec::new();
        for i in 0..fans {
            let f = id(tables, &format!("f{i}"))?;
            edges.extend([(Edge::Follow, f, hub), (Edge::Follow, f, mia)]);
        }
        tables.link_many(&edges)?;
        Ok(())
    }

    /// Renames the hub to Zoe `family`; whether rows were left to move in steps.
    fn rename_hub(tables: &mut Tables<'_>, family: &str) -> Result<bool, StoreError> {
        tables.upsert_person(&crate::store::Person {
            id: "hub".into(),
            given_name: "Zoe".into(),
            family_name: family.into(),
            ..Default::default()
        })?;
        Ok(tables.resorts_started())
    }

    /// A file at `dir/moving.redb` closed with 17 of the rows of a rename of the hub
    /// to Zoe `family` left to move, as a stop between steps leaves it.
    fn closed_mid_rename(dir: &std::path::Path, family: &str) -> std::path::PathBuf {
        let path = dir.join("moving.redb");
        let db = Database::create(&path).expect("create");
        prepare(&db).expect("prepare");
        let txn = db.begin_write().expect("write");
        {
            let mut tables = Tables::open(&txn).expect("tables");
            hub_with_fans(&mut tables, 20).expect("hub");
            tables.set_resort_inline(3);
            assert!(rename_hub(&mut tables, family).expect("rename"));
        }
        txn.commit().expect("commit");
        let reader = Reader::new(db.begin_read().expect("read"));
        assert_eq!(reader.resorts_pending().unwrap(), 1);
        path
    }

    /// Waits for the writer's steps to leave no row to move, then returns the family
    /// names of `viewer`'s Following list in order.
    fn settled_following(store: &Store, viewer: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while store.read().unwrap().resorts_pending().unwrap() > 0 {
            assert!(
                Instant::now() < deadline,
                "the rename's rows never finished moving"
            );
            thread::sleep(Duration::from_millis(5));
        }
        let reader = store.read().unwrap();
        assert_eq!(crate::store::check_invariants(&reader).unwrap(), []);
        let page = reader
            .list(viewer, crate::store::Filter::Following, None, 10)
            .unwrap();
        page.items
            .into_iter()
            .map(|item| match item {
                crate::store::Listed::Person(p) => p.family_name,
                crate::store::Listed::Entry(e) => panic!("an entry in Following: {e:?}"),
            })
            .collect()
    }

    #[test]
    fn a_hubs_rename_leaves_rows_that_the_writer_moves_in_steps_of_its_own() {
        let store = Store::in_memory().expect("store");
        let fans = RESORT_INLINE + 2 * RESORT_STEP + 10;
        store.write(move |t| hub_with_fans(t, fans)).expect("hub");
        let left = store.write(|t| rename_hub(t, "Zorn")).expect("rename");
        assert!(left, "{fans} rows are more than a rename moves itself");
        let last = format!("f{}", fans - 1);
        assert_eq!(settled_following(&store, &last), ["Mori", "Zorn"]);
    }

    /// Each commit counts once in `/metrics`' figures, with the writes it made durable;
    /// a write refused (rolled back) counts in neither.
    #[test]
    fn commits_are_counted_with_their_writes() {
        let store = Store::in_memory().expect("store");
        // Opening migrates and commits; what follows counts from there.
        let before = store.commit_totals();
        store
            .write(|t| t.put_registration("r", b"1"))
            .expect("write");
        let refused =
            store.write(|_| -> Result<(), StoreError> { Err(StoreError::Refused("no".into())) });
        assert!(refused.is_err());
        let after = store.commit_totals();
        assert_eq!(after.commits - before.commits, 1);
        assert_eq!(after.writes - before.writes, 1);
        assert_eq!(after.at_most.last(), Some(&after.commits));
    }

    /// A first start on a full disk (the file sized, its header refused) leaves the
    /// file empty, and the start after the room was made makes the database in it.
    #[test]
    fn a_first_start_on_a_full_disk_leaves_its_file_empty() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("full.redb");
        // The file's own backend, whose writes fail as on a full disk: sizing the file
        // works (it writes nothing), the header does not.
        let full = |file| {
            redb::backends::FileBackend::new(file).map(|backend| {
                let disk = FlakyDisk::over(backend);
                disk.full.store(true, Ordering::SeqCst);
                disk
            })
        };
        let refused = Store::open_through(&path, StoreOptions::default(), full);
        assert!(refused.is_err(), "the disk was full");
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), 0);
        drop(Store::open(&path, StoreOptions::default()).expect("made once there is room"));
        // A file that held a database is never emptied for a failure.
        let held = std::fs::metadata(&path).expect("meta").len();
        assert!(held > 0);
        let _ = Store::open_through(&path, StoreOptions::default(), full);
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), held);
    }

    /// [`leave_empty`] leaves a file another process holds alone.
    #[test]
    fn a_database_not_made_leaves_its_file_empty() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("first.redb");
        std::fs::write(&path, vec![0u8; 1 << 20]).expect("write");
        let held = std::fs::File::open(&path).expect("open");
        held.try_lock().expect("lock");
        leave_empty(&path);
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), 1 << 20);
        drop(held);
        leave_empty(&path);
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), 0);
        drop(Store::open(&path, StoreOptions::default()).expect("made on the empty file"));
    }

    /// A file left open (a copy taken while its host ran reads as one whose host was
    /// killed) is repaired as it opens, and the log says so first.
    #[test]
    fn a_repair_at_open_is_said() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, copy) = (dir.path().join("open.redb"), dir.path().join("copy.redb"));
        let store = Store::open(&path, StoreOptions::default()).expect("open");
        store
            .write(|t| t.put_registration("r", b"1"))
            .expect("write");
        std::fs::copy(&path, &copy).expect("copy");
        drop(store);
        let opened = |file: &Path| {
            let (store, log) = crate::captured_log::CapturedLog::during(|| {
                Store::open(file, StoreOptions::default())
            });
            drop(store.expect("reopen"));
            log
        };
        let log = opened(&copy);
        assert!(log.contains("not closed cleanly"), "{log}");
        assert!(log.contains("copy.redb"), "{log}");
        let log = opened(&path);
        assert!(!log.contains("not closed cleanly"), "closed cleanly: {log}");
    }

    /// A commit slower than a second is a `warn` line saying how long it took and for
    /// how many writes (once a while, however many there are); a fast one is not.
    #[test]
    fn a_slow_commit_is_said() {
        let disk = FlakyDisk::new();
        let slow = Arc::clone(&disk.slow_ms);
        let db = Database::builder()
            .create_with_backend(disk)
            .expect("create");
        prepare(&db).expect("prepare");
        let job = || -> Job {
            Box::new(Queued {
                writes: |t: &mut Tables<'_>| t.put_registration("r", b"1"),
                deliver: |_: Result<(), StoreError>| {},
                result: None,
                failure: Arc::default(),
            })
        };
        let failure = OnceLock::new();
        let times = CommitTimes::default();
        let commit = |jobs: Vec<Job>| {
            let ran = run_batch(
                &db,
                jobs,
                &mut std::iter::empty(),
                &failure,
                &SharedSnapshot::default(),
                &times,
            );
            assert!(matches!(ran, BatchResult::Committed(_, Ok(()), _)));
        };
        let ((), fast) = crate::captured_log::CapturedLog::during(|| commit(vec![job()]));
        assert!(!fast.contains("took over a second"), "{fast}");
        slow.store(1_100, Ordering::SeqCst);
        // Shared by the process's writers: one of another test's, on a loaded machine,
        // may have been slow a moment ago.
        SLOW_COMMITS.forget();
        let ((), said) = crate::captured_log::CapturedLog::during(|| commit(vec![job(), job()]));
        assert!(said.contains("WARN"), "{said}");
        assert!(
            said.contains("a commit to the database took over a second"),
            "{said}"
        );
        assert!(said.contains("writes=2"), "{said}");
        // `/metrics` has both commits and their three writes, the slow one in no
        // bucket of a second or less.
        let totals = times.totals();
        assert_eq!((totals.commits, totals.writes), (2, 3));
        let second = crate::store::COMMIT_BUCKETS
            .iter()
            .position(|upper| *upper == 1.0)
            .expect("a bucket of a second");
        assert_eq!(totals.at_most[second], 1);
        assert!(totals.seconds >= 1.1, "{}", totals.seconds);
        // Said once a while, however often it happens.
        let throttle = crate::throttle::Throttle::new();
        let ((), said) = crate::captured_log::CapturedLog::during(|| {
            for _ in 0..3 {
                say_slow_commit(&throttle, Duration::from_secs(2), 5);
            }
        });
        assert_eq!(said.matches("took over a second").count(), 1, "{said}");
    }

    /// The rollback's line in the log says what the failing write met, not only that
    /// one failed: its error is the batch's.
    #[test]
    fn a_rolled_back_batch_says_why() {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("create");
        prepare(&db).expect("prepare");
        let failing: Job = Box::new(Queued {
            writes: |_: &mut Tables<'_>| -> Result<(), StoreError> {
                Err(StoreError::Refused("no such person 42".into()))
            },
            deliver: |_: Result<(), StoreError>| {},
            result: None,
            failure: Arc::default(),
        });
        let failure = OnceLock::new();
        let ran = run_batch(
            &db,
            vec![failing],
            &mut std::iter::empty(),
            &failure,
            &SharedSnapshot::default(),
            &CommitTimes::default(),
        );
        let BatchResult::RolledBack(_, e, _) = ran else {
            panic!("the batch was not rolled back");
        };
        let text = e.to_string();
        assert!(text.contains("no such person 42"), "{text}");
        assert!(text.contains("nothing of it was written"), "{text}");
        // Said once a while, however often it happens.
        let throttle = crate::throttle::Throttle::new();
        let ((), said) = crate::captured_log::CapturedLog::during(|| {
            for _ in 0..3 {
                say_rolled_back(&throttle, &e);
            }
        });
        assert_eq!(said.matches("was rolled back").count(), 1, "{said}");
        assert!(said.contains("no such person 42"), "{said}");
    }

    #[test]
    fn a_job_that_panics_fails_its_batch_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("panic.redb");
        let store = Store::open(&path, StoreOptions::default()).expect("open");
        let panicked = store.write(|t| -> Result<(), StoreError> {
            t.put_registration("lost", b"1")?;
            panic!("a bug in a job");
        });
        // Its caller is told the write panicked and nothing of it was written.
        assert!(
            matches!(&panicked, Err(StoreError::BatchFailed(why)) if why.contains("panicked")),
            "{panicked:?}"
        );
        store
            .write(|t| t.put_registration("after", b"1"))
            .expect("the writer still runs");
        let reader = store.read().expect("read");
        assert_eq!(
            reader.registration("lost").expect("read"),
            None,
            "rolled back"
        );
        assert!(reader.registration("after").expect("read").is_some());
        drop((reader, store));
        // Rolled back the usual way: the file opens without a repair.
        let repaired = std::rc::Rc::new(std::cell::Cell::new(false));
        let seen = std::rc::Rc::clone(&repaired);
        let db = Database::builder()
            .set_repair_callback(move |_| seen.set(true))
            .open(&path)
            .expect("reopen");
        drop(db);
        assert!(!repaired.get(), "the file needed a repair");
    }

    #[cfg(unix)]
    #[test]
    fn a_database_file_the_store_makes_and_its_backups_are_its_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("new.redb");
        let store = Store::open(&path, StoreOptions::default()).expect("open");
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600, "it holds the host key");
        let copy = dir.path().join("copy.redb");
        crate::store::backup_to(&store.read().expect("read"), &copy).expect("backup");
        assert_eq!(mode(&copy), 0o600);
        drop(store);
        // A file that was there keeps what its administrator gave it.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        drop(Store::open(&path, StoreOptions::default()).expect("reopen"));
        assert_eq!(mode(&path), 0o640);
        // A restore puts the file in place as its owner's alone, whatever the
        // backup's own mode.
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        crate::store::restore_file(&copy, &path).expect("restore");
        assert_eq!(mode(&path), 0o600);
    }

    /// While a rename's rows wait under the old sort key, a page's standings are
    /// looked up row by row: a read of a fan's Following list over the page's place
    /// (Fan0 to Zorn) would not reach the hub's row, still under Ahn, before the page.
    #[test]
    fn standings_on_a_page_are_looked_up_while_rows_wait_to_move() {
        let dir = tempfile::tempdir().expect("dir");
        let path = closed_mid_rename(dir.path(), "Zorn");
        // No store, so no writer to move the rows meanwhile.
        let db = Database::open(&path).expect("open");
        for fan in 0..20 {
            let reader = Reader::new(db.begin_read().expect("read"));
            let viewer = format!("f{fan}");
            let page = reader
                .list(&viewer, crate::store::Filter::All, None, 30)
                .expect("page");
            assert_eq!(page.items.len(), 22);
            let standing = reader.standing(&viewer, "hub").expect("standing");
            assert!(standing.following, "{viewer} follows the hub");
        }
    }

    #[test]
    fn rows_left_to_move_when_the_host_stopped_move_when_it_starts_again() {
        let dir = tempfile::tempdir().expect("dir");
        let path = closed_mid_rename(dir.path(), "Zorn");
        let store = Store::open(&path, StoreOptions::default()).expect("open");
        assert_eq!(settled_following(&store, "f19"), ["Mori", "Zorn"]);
    }

    /// A panic in a rename step's own code (an altered record, a bug) aborts the step
    /// and stops the steps, not the writer: writes go on and no failure is reported,
    /// where a panic of the engine's own would stop them.
    #[test]
    fn a_rename_step_whose_code_panics_stops_the_steps_and_not_the_writer() {
        let dir = tempfile::tempdir().expect("dir");
        let path = closed_mid_rename(dir.path(), "Panicinstep");
        let store = Store::open(&path, StoreOptions::default()).expect("open");
        // A step runs after each batch, and at once when idle: the second write comes
        // after at least one.
        for value in [b"1", b"2"] {
            store
                .write(move |tables| tables.put_registration("probe", value))
                .expect("writes go on");
        }
        assert_eq!(store.storage_failure(), None);
        assert_eq!(store.read().unwrap().resorts_pending().unwrap(), 1);
    }

    #[test]
    fn callers_hear_from_the_answering_thread_and_none_is_left_unanswered_at_close() {
        let store = Store::in_memory().expect("store");
        let (told, heard) = channel();
        for i in 0..100 {
            store
                .writer
                .send(probe(&told, format!("probe-{i}")))
                .expect("queued");
        }
        // Closing waits for the writer, then for its answers: every caller has heard
        // by the time the drop returns, without waiting here.
        drop(store);
        let answers: Vec<_> = heard.try_iter().collect();
        assert_eq!(answers.len(), 100);
        for (commit, by) in answers {
            assert_eq!(commit, Ok(()));
            assert_eq!(by.as_deref(), Some("store-answers"));
        }
    }

    /// How many syncs a store makes while a first job runs and a second is queued
    /// behind it, after both have been answered.
    fn syncs_for_a_job_queued_while_another_runs(options: StoreOptions) -> u64 {
        let disk = FlakyDisk::new();
        let syncs = Arc::clone(&disk.syncs);
        let store = Store::open_on(disk, options).expect("open");
        let (told, heard) = channel();
        let (started, running) = channel();
        let (release, hold) = channel::<()>();
        let first = probe_after(&told, "first".into(), move || {
            let _ = started.send(());
            let _ = hold.recv();
        });
        store.writer.send(first).expect("queued");
        running.recv().expect("the first job runs");
        let before = syncs.load(Ordering::SeqCst);
        store
            .writer
            .send(probe(&told, "second".into()))
            .expect("queued");
        release.send(()).expect("the first job waits");
        for _ in 0..2 {
            let (commit, _) = heard.recv().expect("answered");
            assert_eq!(commit, Ok(()));
        }
        syncs.load(Ordering::SeqCst) - before
    }

    #[test]
    fn a_job_queued_while_a_batch_runs_shares_its_commit_within_the_late_window() {
        let options = |grouped, late_window| StoreOptions {
            grouped,
            late_window,
            ..StoreOptions::default()
        };
        let hour = Duration::from_secs(3600);
        let one_per_job = syncs_for_a_job_queued_while_another_runs(options(false, hour));
        assert!(one_per_job >= 2, "two commits sync at least twice");
        let grouped = syncs_for_a_job_queued_while_another_runs(options(true, hour));
        assert_eq!(grouped * 2, one_per_job, "one commit for both jobs");
        // Past the window the late job waits for the next commit.
        let closed = syncs_for_a_job_queued_while_another_runs(options(true, Duration::ZERO));
        assert_eq!(closed, one_per_job, "a commit each");
    }

    /// The jobs of a rolled-back batch run again by themselves: a failing write that
    /// arrives meanwhile (a client resending it) waits for the next batch instead of
    /// rolling them back again, however long the late window.
    #[test]
    fn a_rolled_back_batch_runs_again_without_newcomers() {
        let options = StoreOptions {
            grouped: true,
            late_window: Duration::from_secs(3600),
            ..StoreOptions::default()
        };
        let store = Store::open_on(FlakyDisk::new(), options).expect("open");
        let (told, heard) = channel();
        let (started, running) = channel();
        let (release, hold) = channel::<()>();
        // The jobs below join the blocker's batch (the window is long), and the failing
        // one rolls it back: the blocker runs again too, and waits only the first time.
        let mut first = true;
        let blocker = probe_after(&told, "blocker".into(), move || {
            if std::mem::take(&mut first) {
                let _ = started.send(());
                let _ = hold.recv();
            }
        });
        store.writer.send(blocker).expect("queued");
        running.recv().expect("the blocker runs");
        // The good job's second run (the rerun) waits until a new failing job is
        // queued, so that it could join if newcomers were let in.
        let runs = Arc::new(AtomicU64::new(0));
        let (rerunning, in_rerun) = channel();
        let (go_on, gate) = channel::<()>();
        let counted = Arc::clone(&runs);
        let good = probe_after(&told, "good".into(), move || {
            if counted.fetch_add(1, Ordering::SeqCst) == 1 {
                let _ = rerunning.send(());
                let _ = gate.recv();
            }
        });
        store.writer.send(good).expect("queued");
        let (told_bad, heard_bad) = channel::<Result<(), String>>();
        let failing = || -> Job {
            let told = told_bad.clone();
            Box::new(Queued {
                writes: |_: &mut Tables<'_>| -> Result<(), StoreError> {
                    Err(StoreError::Corrupt {
                        table: "registrations",
                        why: "a damaged record".into(),
                    })
                },
                deliver: move |r: Result<(), StoreError>| {
                    let _ = told.send(r.map_err(|e| e.to_string()));
                },
                result: None,
                failure: Arc::default(),
            })
        };
        store.writer.send(failing()).expect("queued");
        release.send(()).expect("the blocker waits");
        in_rerun
            .recv_timeout(Duration::from_secs(30))
            .expect("the good job runs again");
        store.writer.send(failing()).expect("queued");
        go_on.send(()).expect("the rerun waits");
        let answer = || {
            heard
                .recv_timeout(Duration::from_secs(30))
                .expect("answered")
                .0
        };
        assert_eq!(answer(), Ok(()), "the blocker");
        assert_eq!(answer(), Ok(()), "the good job, committed in its rerun");
        assert_eq!(runs.load(Ordering::SeqCst), 2, "run once, then once again");
        for _ in 0..2 {
            let bad = heard_bad
                .recv_timeout(Duration::from_secs(30))
                .expect("answered");
            assert!(bad.is_err());
        }
    }

    /// A failing job (a bug that panics, a damaged record) fails its own caller only:
    /// its batch is rolled back, and the other jobs of the batch, before it and behind
    /// it, are written in the next one, their callers answered as if nothing had
    /// happened.
    #[test]
    fn jobs_behind_a_failing_job_run_in_the_next_batch() {
        // No late joining: the three jobs queued while the blocker runs make the next
        // batch together, taken from the queue at once.
        let options = StoreOptions {
            grouped: true,
            late_window: Duration::ZERO,
            ..StoreOptions::default()
        };
        let store = Store::open_on(FlakyDisk::new(), options).expect("open");
        let (told, heard) = channel();
        let (started, running) = channel();
        let (release, hold) = channel::<()>();
        let blocker = probe_after(&told, "blocker".into(), move || {
            let _ = started.send(());
            let _ = hold.recv();
        });
        store.writer.send(blocker).expect("queued");
        running.recv().expect("the blocker runs");
        store
            .writer
            .send(probe(&told, "before".into()))
            .expect("queued");
        // Two failing jobs: a bug that panics, and a job that meets a damaged record.
        let (told_bad, heard_bad) = channel::<Result<(), String>>();
        let failing = |fails: fn() -> Result<(), StoreError>| -> Job {
            let told = told_bad.clone();
            Box::new(Queued {
                writes: move |_: &mut Tables<'_>| fails(),
                deliver: move |r: Result<(), StoreError>| {
                    let _ = told.send(r.map_err(|e| e.to_string()));
                },
                result: None,
                failure: Arc::default(),
            })
        };
        store
            .writer
            .send(failing(|| panic!("a bug in a job")))
            .expect("queued");
        store
            .writer
            .send(probe(&told, "between".into()))
            .expect("queued");
        store
            .writer
            .send(failing(|| {
                Err(StoreError::Corrupt {
                    table: "registrations",
                    why: "a damaged record".into(),
                })
            }))
            .expect("queued");
        store
            .writer
            .send(probe(&told, "behind".into()))
            .expect("queued");
        release.send(()).expect("the blocker waits");
        let answer = || {
            heard
                .recv_timeout(Duration::from_secs(30))
                .expect("answered")
                .0
        };
        assert_eq!(answer(), Ok(()), "the blocker's own batch");
        for job in ["before", "between", "behind"] {
            assert_eq!(answer(), Ok(()), "{job} is written in a later batch");
        }
        let bad = || {
            heard_bad
                .recv_timeout(Duration::from_secs(30))
                .expect("answered")
        };
        let panicked = bad().expect_err("the bug is refused");
        assert!(panicked.contains("panicked"), "{panicked}");
        let damaged = bad().expect_err("the damaged record is refused");
        assert!(
            damaged.contains("a damaged record"),
            "its own error: {damaged}"
        );
        let reader = store.read().expect("read");
        for job in ["blocker", "before", "between", "behind"] {
            assert!(reader.registration(job).expect("read").is_some(), "{job}");
        }
    }

    /// A panic inside the engine's commit, outside any job, leaves redb's state
    /// unknown: the caller is refused, the store reports the failure (so `/healthz`
    /// asks for a restart), and no later write is tried, the disk being fine or not.
    #[test]
    fn a_panic_inside_a_commit_stops_the_writer_and_is_reported() {
        let disk = FlakyDisk::new();
        let panicking = Arc::clone(&disk.panicking);
        let store = Store::open_on(disk, FlakyDisk::uncached()).expect("open");
        store
            .write(|tables| tables.put_registration("probe", b"1"))
            .expect("a healthy write");
        let before = store.read().expect("a shared snapshot");
        panicking.store(true, Ordering::SeqCst);
        let refused = store.write(|tables| tables.put_registration("probe", b"2"));
        assert!(
            matches!(refused, Err(StoreError::WriterGone)),
            "{refused:?}"
        );
        assert_eq!(store.storage_failure(), Some(ENGINE_PANICKED));
        // The commit may have landed: a read after the refusal is a new snapshot.
        let after = store.read().expect("a read");
        assert!(!after.shares_snapshot_with(&before));
        panicking.store(false, Ordering::SeqCst);
        let later = store.write(|tables| tables.put_registration("probe", b"3"));
        assert!(matches!(later, Err(StoreError::WriterGone)), "{later:?}");
    }

    /// Readers share a snapshot until the next commit, and one made after it sees it.
    #[test]
    fn readers_share_a_snapshot_until_the_next_commit() {
        let store = Store::in_memory().expect("store");
        let put = |handle: &'static str| store.write(move |t| t.put_registration(handle, b"1"));
        put("first").expect("write");
        let (a, b) = (store.read().expect("read"), store.read().expect("read"));
        assert!(a.shares_snapshot_with(&b));
        put("second").expect("write");
        let c = store.read().expect("read");
        assert!(!c.shares_snapshot_with(&a));
        assert!(c.registration("second").expect("read").is_some());
        assert!(
            a.registration("second").expect("read").is_none(),
            "a snapshot stays"
        );
        assert!(store.read().expect("read").shares_snapshot_with(&c));
    }

    /// A snapshot begun before the writer ended the sharing serves its own reader and
    /// is never shared after; one begun since is, and a reader that finds one shared
    /// first takes that.
    #[test]
    fn a_snapshot_begun_before_a_commit_ended_is_not_shared_after_it() {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("db");
        let begin = || Arc::new(Snapshot::new(db.begin_read().expect("begin")));
        let shared = SharedSnapshot::default();
        let Err(generation) = shared.current() else {
            panic!("nothing is shared yet");
        };
        let early = begin();
        shared.end();
        let used = shared.offer(Arc::clone(&early), generation);
        assert!(Arc::ptr_eq(&used, &early), "its reader keeps it");
        let Err(next) = shared.current() else {
            panic!("a snapshot begun before the end was shared after it");
        };
        assert_ne!(next, generation);
        let first = begin();
        let second = begin();
        assert!(Arc::ptr_eq(&shared.offer(Arc::clone(&first), next), &first));
        assert!(
            Arc::ptr_eq(&shared.offer(second, next), &first),
            "a later reader takes the one shared first"
        );
        assert!(shared.current().is_ok_and(|s| Arc::ptr_eq(&s, &first)));
        shared.end();
        assert!(shared.current().is_err());
    }

    /// While readers keep a shared snapshot busy on other threads, every read begun
    /// after a write was acknowledged sees the write.
    #[test]
    fn a_read_after_an_acknowledged_write_sees_it_while_others_read() {
        let store = Store::in_memory().expect("store");
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let (store, done) = (store.clone(), Arc::clone(&done));
                thread::spawn(move || {
                    while !done.load(Ordering::Relaxed) {
                        let reader = store.read().expect("read");
                        let _ = reader.registration("h0").expect("lookup");
                    }
                })
            })
            .collect();
        for i in 0..300 {
            let handle = format!("h{i}");
            let written = handle.clone();
            store
                .write(move |t| t.put_registration(&written, b"1"))
                .expect("write");
            let seen = store.read().expect("read").registration(&handle);
            assert!(seen.expect("lookup").is_some(), "write {i} not seen");
        }
        done.store(true, Ordering::Relaxed);
        for reader in readers {
            reader.join().expect("reader");
        }
    }

    /// A read that fails in a snapshot returns its error to whoever read; redb keeps
    /// the failure, and a recheck finds it there, at most once an interval when a
    /// client can provoke it.
    #[test]
    fn a_recheck_finds_a_failure_a_reader_did_not_note() {
        let disk = FlakyDisk::new();
        let unreadable = Arc::clone(&disk.unreadable);
        let store = Store::open_on(disk, FlakyDisk::uncached()).expect("open");
        store
            .write(|tables| tables.put_registration("probe", b"1"))
            .expect("a healthy write");
        let hour = std::time::Duration::from_secs(3600);
        assert!(store.claim_recheck(hour), "the first is due");
        store.recheck();
        assert_eq!(store.storage_failure(), None, "a healthy file");

        let reader = store.read().expect("a snapshot");
        unreadable.store(true, Ordering::SeqCst);
        let failed = reader.registration("probe").expect_err("the read fails");
        assert!(failed.is_storage_failure(), "{failed}");
        assert_eq!(store.storage_failure(), None, "nobody noted it");
        unreadable.store(false, Ordering::SeqCst);
        assert!(!store.claim_recheck(hour), "within the hour: not due");
        assert_eq!(store.storage_failure(), None, "within the hour: not asked");
        store.recheck();
        assert!(store.storage_failure().is_some());
    }

    #[test]
    fn a_failed_sync_is_reported_and_stays_reported() {
        let disk = FlakyDisk::new();
        let failing = Arc::clone(&disk.failing);
        let store = Store::open_on(disk, StoreOptions::default()).expect("open");
        let write = || {
            store.write(|tables| {
                tables.put_registration("probe", b"1")?;
                Ok(())
            })
        };
        write().expect("a healthy write");
        assert_eq!(store.storage_failure(), None);

        failing.store(true, Ordering::SeqCst);
        let failed = write().expect_err("the sync fails");
        assert!(failed.is_storage_failure(), "{failed}");
        let reported = store.storage_failure().expect("reported").to_owned();
        assert!(reported.contains("no space left"), "{reported}");

        // Space is back, but redb takes no more writes on this open file: the report
        // stays, with its first cause.
        failing.store(false, Ordering::SeqCst);
        assert!(write().is_err());
        assert_eq!(store.storage_failure(), Some(reported.as_str()));
    }

    /// A read the system refuses while a batch opens its tables is kept as the
    /// failure itself, and is reported by the time the callers hear of it.
    #[test]
    fn a_failed_read_in_a_batch_is_reported_with_its_cause() {
        let disk = FlakyDisk::new();
        let unreadable = Arc::clone(&disk.unreadable);
        let store = Store::open_on(disk, FlakyDisk::uncached()).expect("open");
        let write = |handle: &'static str| {
            store.write(move |tables| {
                tables.put_registration(handle, b"1")?;
                Ok(())
            })
        };
        write("first").expect("a healthy write");
        unreadable.store(true, Ordering::SeqCst);
        assert!(write("second").is_err());
        let reported = store.storage_failure().expect("reported");
        assert!(reported.contains("input/output error"), "{reported}");
    }
}
