//! A storage backend for tests: a disk that fails on demand.

use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use redb::backends::InMemoryBackend;
use redb::{BackendError, StorageBackend};

/// A storage backend (redb's in-memory one unless another is wrapped: see
/// [`FlakyDisk::over`]) whose syncs fail while `failing` is set (a disk that filled up
/// for a moment), whose writes fail while `full` is, and whose reads fail while
/// `unreadable` is. `syncs` counts the syncs that succeeded: one or more per durable
/// commit.
#[derive(Debug)]
pub(crate) struct FlakyDisk<B: StorageBackend = InMemoryBackend> {
    pub inner: B,
    pub failing: Arc<AtomicBool>,
    pub full: Arc<AtomicBool>,
    pub unreadable: Arc<AtomicBool>,
    /// Syncs panic while set: a fault inside the engine's commit, outside any job.
    pub panicking: Arc<AtomicBool>,
    /// Each sync takes this many milliseconds more: a disk slow to sync.
    pub slow_ms: Arc<AtomicU64>,
    pub syncs: Arc<AtomicU64>,
}

impl FlakyDisk {
    /// A healthy disk; clone `failing` or `unreadable` before handing it to redb.
    pub fn new() -> Self {
        Self::over(InMemoryBackend::new())
    }

    /// Grouped commits with no page cache: every page read comes from this disk.
    pub fn uncached() -> crate::store::StoreOptions {
        crate::store::StoreOptions {
            cache_bytes: 0,
            ..crate::store::StoreOptions::default()
        }
    }
}

impl<B: StorageBackend> FlakyDisk<B> {
    /// `inner`, healthy until told otherwise.
    pub fn over(inner: B) -> Self {
        Self {
            inner,
            failing: Arc::new(AtomicBool::new(false)),
            full: Arc::new(AtomicBool::new(false)),
            unreadable: Arc::new(AtomicBool::new(false)),
            panicking: Arc::new(AtomicBool::new(false)),
            slow_ms: Arc::new(AtomicU64::new(0)),
            syncs: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl<B: StorageBackend> StorageBackend for FlakyDisk<B> {
    fn len(&self) -> Result<u64, std::io::Error> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        if self.unreadable.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("input/output error"));
        }
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> Result<(), std::io::Error> {
        assert!(
            !self.panicking.load(Ordering::SeqCst),
            "a fault inside the engine"
        );
        if self.failing.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("no space left on device"));
        }
        let slow = self.slow_ms.load(Ordering::SeqCst);
        if slow > 0 {
            std::thread::sleep(std::time::Duration::from_millis(slow));
        }
        self.inner.sync_data()?;
        self.syncs.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        if self.full.load(Ordering::SeqCst) {
            return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
        }
        self.inner.write(offset, data)
    }
    fn close(&self) -> Result<(), std::io::Error> {
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
