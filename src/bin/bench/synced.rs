//! redb's own file, timed: a storage backend that passes every call to redb's
//! `FileBackend` and records how long each `sync_data` (one per durable commit) takes
//! and how many bytes were written since the one before. The 4 KiB probe of
//! `baseline::fsync_floor` is the disk's floor; this is what a grouped commit, which
//! writes a page or more of every table it touched, actually waits for.

use std::fs::{File, OpenOptions};
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

/// The I/O error of redb's storage calls (without its `experimental-api-5` feature).
type BackendIoError = std::io::Error;

use crate::load::{Stats, stats_of};

/// What the commits' syncs took.
#[derive(Debug, Clone, Copy, Default)]
pub struct Syncs {
    /// fdatasync latency; `per_sec` is syncs per second of the measured span.
    pub stats: Stats,
    /// Mean bytes written between two syncs: what one commit wrote.
    pub bytes_per_commit: f64,
}

/// One sync: its latency in µs and the bytes written before it.
type Sample = (u32, u64);

/// What a [`TimedFile`] recorded; the bench keeps this while redb owns the file.
#[derive(Debug, Default)]
pub struct SyncLog {
    written: AtomicU64,
    samples: Mutex<Vec<Sample>>,
}

impl SyncLog {
    /// Forgets what was recorded so far (the set-up's commits).
    pub fn reset(&self) {
        self.written.store(0, Ordering::Relaxed);
        if let Ok(mut samples) = self.samples.lock() {
            samples.clear();
        }
    }

    /// The syncs recorded since the last [`Self::reset`], over `elapsed`.
    pub fn syncs(&self, elapsed: Duration) -> Syncs {
        let samples = self.samples.lock().map(|s| s.clone()).unwrap_or_default();
        if samples.is_empty() {
            return Syncs::default();
        }
        let bytes: u64 = samples.iter().map(|&(_, b)| b).sum();
        let mut micros: Vec<u32> = samples.iter().map(|&(us, _)| us).collect();
        Syncs {
            stats: stats_of(&mut micros, elapsed),
            bytes_per_commit: bytes as f64 / samples.len() as f64,
        }
    }
}

#[derive(Debug)]
pub struct TimedFile {
    inner: FileBackend,
    log: Arc<SyncLog>,
}

impl TimedFile {
    /// Opens (or creates) `path` as redb's own file backend would, with the log that
    /// will record its syncs.
    pub fn open(path: &Path) -> std::io::Result<(Self, Arc<SyncLog>)> {
        let file: File = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let inner = FileBackend::new(file).map_err(std::io::Error::other)?;
        let log = Arc::new(SyncLog::default());
        let log_kept = Arc::clone(&log);
        Ok((Self { inner, log }, log_kept))
    }
}

impl StorageBackend for TimedFile {
    fn len(&self) -> Result<u64, BackendIoError> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), BackendIoError> {
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), BackendIoError> {
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> Result<(), BackendIoError> {
        let started = Instant::now();
        let result = self.inner.sync_data();
        let micros = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
        let bytes = self.log.written.swap(0, Ordering::Relaxed);
        if let Ok(mut samples) = self.log.samples.lock() {
            samples.push((micros, bytes));
        }
        result
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), BackendIoError> {
        self.log
            .written
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        self.inner.write(offset, data)
    }

    fn close(&self) -> Result<(), BackendIoError> {
        self.inner.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sync_is_timed_with_the_bytes_written_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let (file, log) = TimedFile::open(&dir.path().join("timed.bin")).unwrap();
        file.set_len(16384).unwrap();
        file.write(0, &[1; 100]).unwrap();
        file.sync_data().unwrap();
        log.reset();
        file.write(0, &[1; 4096]).unwrap();
        file.write(8192, &[2; 4096]).unwrap();
        file.sync_data().unwrap();
        file.write(4096, &[3; 2048]).unwrap();
        file.sync_data().unwrap();
        let syncs = log.syncs(Duration::from_secs(1));
        assert_eq!(syncs.stats.per_sec, 2.0, "two syncs since the reset");
        assert_eq!(syncs.bytes_per_commit, (8192.0 + 2048.0) / 2.0);
        let mut back = [0u8; 4];
        file.read(8192, &mut back).unwrap();
        assert_eq!(back, [2; 4], "writes reach the file");
    }

    #[test]
    fn redb_runs_on_it_and_every_durable_commit_syncs() {
        use redb::{Database, ReadableDatabase, ReadableTableMetadata, TableDefinition};
        const T: TableDefinition<u64, u64> = TableDefinition::new("t");
        let dir = tempfile::tempdir().unwrap();
        let (file, log) = TimedFile::open(&dir.path().join("timed.redb")).unwrap();
        let db = Database::builder().create_with_backend(file).unwrap();
        log.reset();
        for i in 0..3 {
            let txn = db.begin_write().unwrap();
            txn.open_table(T).unwrap().insert(i, i).unwrap();
            txn.commit().unwrap();
        }
        let syncs = log.syncs(Duration::from_secs(1));
        assert!(syncs.stats.per_sec >= 3.0, "{syncs:?}");
        assert!(syncs.bytes_per_commit >= 4096.0, "{syncs:?}");
        let read = db.begin_read().unwrap();
        assert_eq!(read.open_table(T).unwrap().len().unwrap(), 3);
    }
}
