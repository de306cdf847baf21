//! The database file's size and its disk's free space, for `/metrics`.
//!
//! Read on the blocking pool, since a file system that stalls (a network volume) must
//! not stall a runtime thread; waited for [`WAIT`] at most, so that a scrape of a
//! stalled one still answers, with the rest, within the scraper's own timeout; and one
//! read at a time, so that scrapes of a stalled volume do not each hold a blocking
//! thread that the WSRP producer and backups need. A scrape that meets a read under
//! way, or one that does not end in time, is given the last figures read if they are
//! at most [`FRESH`] old: two scrapers a moment apart both get them, and a volume that
//! stalls longer leaves them out, which an `absent()` alert sees.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a scrape waits for a read it started.
pub const WAIT: Duration = Duration::from_secs(1);

/// How old the last figures may be and still stand in for a read not done.
pub const FRESH: Duration = Duration::from_secs(10);

/// The file's size and the free bytes of its file system, each `None` when unknown.
pub type Figures = (Option<u64>, Option<u64>);

/// One host's reads of its database's disk figures.
#[derive(Debug, Default)]
pub struct DiskFigures(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    reading: AtomicBool,
    last: Mutex<Option<(Instant, Figures)>>,
}

impl DiskFigures {
    /// The figures of the database file at `database`.
    pub async fn of(&self, database: PathBuf) -> Figures {
        self.read_with(WAIT, move || {
            let size = std::fs::metadata(&database).map(|m| m.len()).ok();
            let free = database.parent().and_then(super::api::free_bytes);
            (size, free)
        })
        .await
    }

    /// `read`'s figures, read on the blocking pool unless a read is under way, and
    /// waited for `wait` at most; else the last figures while they are fresh.
    async fn read_with(
        &self,
        wait: Duration,
        read: impl FnOnce() -> Figures + Send + 'static,
    ) -> Figures {
        if self.0.reading.swap(true, Ordering::AcqRel) {
            return self.last_fresh();
        }
        /// Clears the flag when the read ends, also by a panic, or when its task is
        /// dropped unrun (a runtime shutting down): either would otherwise leave every
        /// later scrape without the figures.
        struct Ended(Arc<Shared>);
        impl Drop for Ended {
            fn drop(&mut self) {
                self.0.reading.store(false, Ordering::Release);
            }
        }
        let ended = Ended(Arc::clone(&self.0));
        let read = tokio::task::spawn_blocking(move || {
            let figures = read();
            *ended.0.last.lock().unwrap_or_else(PoisonError::into_inner) =
                Some((Instant::now(), figures));
            drop(ended);
            figures
        });
        match tokio::time::timeout(wait, read).await {
            Ok(Ok(figures)) => figures,
            _ => self.last_fresh(),
        }
    }

    fn last_fresh(&self) -> Figures {
        match *self.0.last.lock().unwrap_or_else(PoisonError::into_inner) {
            Some((at, figures)) if at.elapsed() <= FRESH => figures,
            _ => (None, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A disk that does not answer in time leaves the figures out, and so does every
    /// scrape while its read is under way, until a read has ended: then a scrape that
    /// meets a read under way gets the last figures. A read that panics is lost, and
    /// the next scrape reads again.
    #[tokio::test]
    async fn a_stalled_read_leaves_the_figures_out_and_a_finished_one_stands_in() {
        let disk = DiskFigures::default();
        let short = Duration::from_millis(50);
        let long = Duration::from_secs(20);
        let slow = |figures: Figures| {
            move || {
                std::thread::sleep(Duration::from_millis(400));
                figures
            }
        };
        assert_eq!(
            disk.read_with(short, slow((Some(1), Some(1)))).await,
            (None, None)
        );
        let meanwhile = disk.read_with(short, || (Some(2), Some(2))).await;
        assert_eq!(meanwhile, (None, None), "no read has ended yet");
        let deadline = Instant::now() + long;
        while disk.0.reading.load(Ordering::Acquire) {
            assert!(Instant::now() < deadline, "the read never ended");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            disk.read_with(long, || (Some(3), None)).await,
            (Some(3), None)
        );
        // A read under way, or one that is late: the last figures stand in.
        assert_eq!(
            disk.read_with(short, slow((Some(4), None))).await,
            (Some(3), None)
        );
        assert_eq!(
            disk.read_with(short, || (Some(5), None)).await,
            (Some(3), None)
        );
        while disk.0.reading.load(Ordering::Acquire) {
            assert!(Instant::now() < deadline, "the read never ended");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let lost = disk.read_with(long, || panic!("a read that fails")).await;
        assert_eq!(
            lost,
            (Some(4), None),
            "the last figures, read by the slow one"
        );
        assert_eq!(
            disk.read_with(long, || (None, Some(6))).await,
            (None, Some(6))
        );
    }
}
