//! Watches the descriptors directory and swaps in a new catalog after each burst of
//! changes. Copying a folder produces many events (one file at a time), so changes are
//! debounced; a folder caught half-copied is just a folder with problems, which keeps
//! its last good version until the copy completes and the next event reloads it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};

use super::DescriptorError;
use super::catalog;
use super::model::{Catalog, CatalogHandle};

/// Quiet time after the last change before reloading.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// Keeps the directory watched; dropping it stops the watching thread.
pub struct Watcher {
    // Dropped first: it owns the event sender, so dropping it ends the thread's loop.
    notify: Option<RecommendedWatcher>,
    thread: Option<JoinHandle<()>>,
    reloads: Arc<AtomicU64>,
}

impl Watcher {
    /// Reloads done so far, those that found nothing new included (the catch-up at
    /// start is the first): lets a caller wait for the watcher instead of guessing.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Acquire)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.notify.take();
        if let Some(thread) = self.thread.take() {
            // The thread only ever waits on the channel, now closed: this returns quickly.
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").finish_non_exhaustive()
    }
}

/// Starts watching `dir`; each settled change reloads it into `handle`.
///
/// The caller loaded `handle` before calling this, and a change made between that load
/// and the watch's registration produces no event. So the thread reloads once as soon
/// as the watch is in place; when nothing changed, that reload replaces nothing.
pub fn spawn_watcher(dir: PathBuf, handle: CatalogHandle) -> Result<Watcher, DescriptorError> {
    let (tx, rx) = mpsc::channel::<()>();
    let catch_up = tx.clone();
    let mut notify =
        notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            Ok(event) if event.kind.is_access() => {}
            Ok(_) => {
                let _ = tx.send(());
            }
            Err(e) => tracing::warn!(error = %e, "descriptor watcher error"),
        })
        .map_err(|e| DescriptorError::Watch {
            dir: dir.clone(),
            reason: e.to_string(),
        })?;
    notify
        .watch(&dir, RecursiveMode::Recursive)
        .map_err(|e| DescriptorError::Watch {
            dir: dir.clone(),
            reason: e.to_string(),
        })?;
    // Dropped at once: only the watch's own sender may keep the thread's loop alive.
    let _ = catch_up.send(());
    drop(catch_up);
    let reloads = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&reloads);
    let thread = std::thread::Builder::new()
        .name("descriptor-watcher".into())
        .spawn(move || watch_loop(&dir, &handle, &rx, &counted))
        .map_err(|e| DescriptorError::Watch {
            dir: PathBuf::new(),
            reason: format!("cannot start the watcher thread: {e}"),
        })?;
    Ok(Watcher {
        notify: Some(notify),
        thread: Some(thread),
        reloads,
    })
}

fn watch_loop(
    dir: &std::path::Path,
    handle: &CatalogHandle,
    rx: &mpsc::Receiver<()>,
    reloads: &AtomicU64,
) {
    // Each iteration waits for a first change, then for DEBOUNCE of quiet.
    while rx.recv().is_ok() {
        loop {
            match rx.recv_timeout(DEBOUNCE) {
                Ok(()) => continue,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let current = handle.current();
        let next = catalog::reload(&current, dir);
        if unchanged(&current, &next) {
            // A touched file, or the catch-up reload at start: the versions serving
            // stay (and stay the same `Arc`s), and the log does not repeat itself.
            tracing::debug!("descriptors unchanged");
            reloads.fetch_add(1, Ordering::Release);
            continue;
        }
        for problem in &next.problems {
            tracing::warn!(%problem, "descriptor problem; the last good version keeps serving");
        }
        tracing::info!(
            widgets = next.widgets.len(),
            problems = next.problems.len(),
            "descriptors reloaded"
        );
        handle.replace(next);
        reloads.fetch_add(1, Ordering::Release);
    }
}

fn unchanged(current: &Catalog, next: &Catalog) -> bool {
    current.problems == next.problems && current.widgets == next.widgets
}
