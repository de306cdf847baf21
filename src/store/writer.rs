//! The single writer. Callers on any thread submit a job and block; the writer drains
//! everything queued, runs the jobs in order inside one write transaction, commits once
//! with `Durability::Immediate`, and only then answers each caller. One fsync serves
//! the whole batch, which is what makes 64 concurrent writers fast.
//!
//! Jobs must not write before they have decided to act (validate, then apply): a
//! refused job then leaves the shared transaction exactly as it found it. A storage
//! error aborts the whole batch and every caller in it gets the error.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread;

use redb::{Database, Durability, ReadableDatabase};

use super::tables::{Tables, prepare};
use super::{Reader, StoreError};

/// Answers a caller once the batch's commit is known.
type Reply = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// A job runs inside the shared transaction and returns whether it hit a storage
/// error, and how to answer its caller.
type Job = Box<dyn for<'a, 'b> FnOnce(&'a mut Tables<'b>) -> (bool, Reply) + Send>;

/// The writer thread and its queue. When the last [`Store`] clone goes, dropping this
/// closes the queue and waits for the thread: queued jobs finish, and the database file
/// is released before the drop returns (so the same process can open it again at once).
struct Writer {
    jobs: Option<Sender<Job>>,
    thread: Option<thread::JoinHandle<()>>,
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
        if let Some(thread) = self.thread.take() {
            // The thread ends when its queue closes; a panic there was already reported.
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
}

/// The page cache the host runs with unless told otherwise: 96 MiB.
pub const DEFAULT_CACHE_BYTES: usize = 96 * 1024 * 1024;

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            grouped: true,
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

/// Handle on the database: cheap to clone, shareable across threads.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    writer: Arc<Writer>,
    host_key: [u8; 32],
    /// Read transactions begun, for tests and metrics that check a render takes one
    /// snapshot. A relaxed increment: nothing orders on it.
    snapshots: Arc<AtomicU64>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the database file, creates tables and migrates.
    pub fn open(path: impl AsRef<Path>, options: StoreOptions) -> Result<Self, StoreError> {
        let db = Database::builder()
            .set_cache_size(options.cache_bytes)
            .create(path)?;
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
        let host_key = prepare(&db)?;
        let db = Arc::new(db);
        let (jobs, queue) = channel::<Job>();
        let writer_db = Arc::clone(&db);
        let thread = thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run_writer(&writer_db, &queue, options))
            .map_err(|e| StoreError::Db(redb::Error::Io(e)))?;
        Ok(Self {
            db,
            writer: Arc::new(Writer {
                jobs: Some(jobs),
                thread: Some(thread),
            }),
            host_key,
            snapshots: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The random 32-byte key made on first open; signs `p_auth` tokens.
    pub fn host_key(&self) -> [u8; 32] {
        self.host_key
    }

    /// A consistent snapshot for one render. Never waits for writers.
    pub fn read(&self) -> Result<Reader, StoreError> {
        self.snapshots.fetch_add(1, Ordering::Relaxed);
        Ok(Reader::new(self.db.begin_read()?))
    }

    /// How many snapshots [`Self::read`] has begun since the store was opened.
    pub fn snapshots_taken(&self) -> u64 {
        self.snapshots.load(Ordering::Relaxed)
    }

    /// Runs `job` on the writer thread and waits until its effects are durable.
    /// The job must return `Err` only for storage errors and must not write anything
    /// when it refuses.
    pub fn write<R, F>(&self, job: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: for<'a, 'b> FnOnce(&'a mut Tables<'b>) -> Result<R, StoreError> + Send + 'static,
    {
        let (answer, wait): (SyncSender<Result<R, StoreError>>, _) = sync_channel(1);
        let job: Job = Box::new(move |tables| {
            let result = job(tables);
            let failed = result.is_err();
            let reply: Reply = Box::new(move |commit| {
                let outcome = match commit {
                    Ok(()) => result,
                    Err(e) => Err(result.err().unwrap_or(e)),
                };
                // The caller may have gone away; nothing to do then.
                let _ = answer.send(outcome);
            });
            (failed, reply)
        });
        self.writer.send(job)?;
        wait.recv().map_err(|_| StoreError::WriterGone)?
    }
}

fn run_writer(db: &Database, queue: &Receiver<Job>, options: StoreOptions) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        if options.grouped {
            batch.extend(queue.try_iter());
        }
        let replies = run_batch(db, batch);
        let (replies, commit) = match replies {
            Ok((replies, commit)) => (replies, commit),
            Err((replies, e)) => {
                let text = e.to_string();
                tracing::error!(error = %text, "write batch failed");
                (replies, Err(e))
            }
        };
        // Only one caller can own the original error; the rest get a copy of its text.
        let mut commit = Some(commit);
        for reply in replies {
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
            reply(result);
        }
    }
}

type BatchResult = Result<(Vec<Reply>, Result<(), StoreError>), (Vec<Reply>, StoreError)>;

fn run_batch(db: &Database, batch: Vec<Job>) -> BatchResult {
    let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    let txn = match db.begin_write() {
        Ok(t) => t,
        Err(e) => {
            // The jobs never ran; dropping them tells their callers the writer failed.
            drop(jobs);
            return Err((replies, e.into()));
        }
    };
    let mut failed = false;
    {
        let mut tables = match Tables::open(&txn) {
            Ok(t) => t,
            Err(e) => return Err((replies, e)),
        };
        for job in jobs.by_ref() {
            let (job_failed, reply) = job(&mut tables);
            replies.push(reply);
            if job_failed {
                failed = true;
                break;
            }
        }
    }
    if failed {
        let _ = txn.abort();
        // Later jobs never ran; dropping them answers their callers with `WriterGone`.
        drop(jobs);
        return Err((
            replies,
            StoreError::BatchFailed("aborted by a storage error".into()),
        ));
    }
    let mut txn = txn;
    if let Err(e) = txn.set_durability(Durability::Immediate) {
        return Err((replies, e.into()));
    }
    let commit = txn.commit().map_err(StoreError::from);
    Ok((replies, commit))
}
