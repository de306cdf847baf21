//! Watches the descriptors directory and swaps in a new catalog after each burst of
//! changes. Copying a folder produces many events (one file at a time), so changes are
//! debounced; a folder caught half-copied is just a folder with problems, which keeps
//! its last good version until the copy completes and the next event reloads it.
//!
//! The directory itself is watched for its folders' names, and each widget folder has
//! a watch of its own, placed where its name leads now: a folder linked in from
//! elsewhere, or a link repointed, is watched at its target, and one folder that
//! cannot be watched (a `lost+found` the host may not read) costs only its own watch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::ModifyKind;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use super::DescriptorError;
use super::catalog;
use super::model::{Catalog, CatalogHandle};

/// Quiet time after the last change before reloading.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// The longest a burst of changes holds a reload back: something that writes under
/// the directory without pause (a sync tool, an editor's swap file) must not keep the
/// widgets from ever reloading.
pub const LONGEST_SETTLE: Duration = Duration::from_secs(2);

/// Keeps the directory watched; dropping it stops the watching thread.
pub struct Watcher {
    stop: mpsc::Sender<Signal>,
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
        let _ = self.stop.send(Signal::Stop);
        if let Some(thread) = self.thread.take() {
            // The thread only ever waits on the channel: this returns quickly.
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").finish_non_exhaustive()
    }
}

/// What the watching thread hears.
enum Signal {
    /// Something under the directory changed; `root` when the directory itself was
    /// made, removed or renamed.
    Changed {
        root: bool,
    },
    Stop,
}

/// Starts watching `dir`; each settled change reloads it into `handle`.
///
/// The caller loaded `handle` before calling this, and a change made between that load
/// and the watch's registration produces no event. So the thread reloads once as soon
/// as the watch is in place; when nothing changed, that reload replaces nothing.
///
/// A `dir` that does not exist yet is waited for: `handle` (the built-in widgets, at
/// start) serves until a directory takes the name, and is then replaced by what it
/// holds. Only a `dir` whose parent cannot be watched either is an error.
///
/// A watch follows the directory it was placed on, not its name: once that directory
/// is deleted (`rm -rf` and a fresh copy) or moved aside (a swap by renames or a
/// symlink), it reports nothing more. So the parent is watched too, for the name
/// alone, and the directory is watched again whenever its name changes hands.
pub fn spawn_watcher(dir: PathBuf, handle: CatalogHandle) -> Result<Watcher, DescriptorError> {
    let failed = |reason: String| DescriptorError::Watch {
        dir: dir.clone(),
        reason,
    };
    // Events name paths as the watch was given them: an absolute `dir` (symlinks left
    // as they are) makes them comparable with it.
    let dir = std::path::absolute(&dir).map_err(|e| failed(e.to_string()))?;
    let (tx, rx) = mpsc::channel::<Signal>();
    let stop = tx.clone();
    let watched = dir.clone();
    let mut notify =
        notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            Ok(event) => {
                if let Some(signal) = signal_for(&event, &watched) {
                    let _ = tx.send(signal);
                }
            }
            Err(e) => tracing::warn!(error = %e, "descriptor watcher error"),
        })
        .map_err(|e| failed(e.to_string()))?;
    let present = dir.is_dir();
    if present {
        // The widget folders get their watches from the thread, before its first
        // reload (`FolderWatches::sync`).
        notify
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|e| failed(e.to_string()))?;
    }
    let parent_watched = match dir.parent() {
        Some(parent) => notify
            .watch(parent, RecursiveMode::NonRecursive)
            .map_err(|e| e.to_string()),
        None => Err("it has no parent".to_owned()),
    };
    match parent_watched {
        Ok(()) => {}
        // A directory missing at start can only be noticed through its parent.
        Err(reason) if !present => {
            return Err(failed(format!(
                "it does not exist, and its parent cannot be watched for it: {reason}"
            )));
        }
        // Without it, changes inside the directory still reload; only a replaced
        // directory would go unnoticed, so a failure here is a warning.
        Err(error) => {
            tracing::warn!(%error, dir = %dir.display(), "cannot watch the descriptors directory's parent; a replaced directory will not be noticed")
        }
    }
    if present {
        let _ = stop.send(Signal::Changed { root: false });
    } else if dir.is_dir() {
        // Made between the first look and the parent's watch: no event will tell.
        let _ = stop.send(Signal::Changed { root: true });
    }
    let reloads = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&reloads);
    let thread = std::thread::Builder::new()
        .name("descriptor-watcher".into())
        .spawn(move || watch_loop(notify, &dir, &handle, &rx, &counted))
        .map_err(|e| DescriptorError::Watch {
            dir: PathBuf::new(),
            reason: format!("cannot start the watcher thread: {e}"),
        })?;
    Ok(Watcher {
        stop,
        thread: Some(thread),
        reloads,
    })
}

fn watch_loop(
    mut notify: RecommendedWatcher,
    dir: &Path,
    handle: &CatalogHandle,
    rx: &mpsc::Receiver<Signal>,
    reloads: &AtomicU64,
) {
    let mut folders = FolderWatches::default();
    // Each iteration waits for a first change, then for DEBOUNCE of quiet.
    while let Ok(Signal::Changed { root }) = rx.recv() {
        let Some(root) = settle(rx, root, DEBOUNCE, LONGEST_SETTLE) else {
            return;
        };
        if root {
            // Before the reload, so whatever the new directory holds by then is read,
            // and what changes in it afterwards is reported.
            folders.clear(&mut notify);
            rewatch(&mut notify, dir);
        }
        // Likewise before the reload: a folder made or repointed since the last one is
        // watched before it is read.
        folders.sync(&mut notify, dir);
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

/// Waits until changes stop for `quiet`, or `longest` after the first, whichever is
/// sooner: whether the directory's name changed hands meanwhile, or `None` when the
/// watcher is stopping.
fn settle(
    rx: &mpsc::Receiver<Signal>,
    mut root: bool,
    quiet: Duration,
    longest: Duration,
) -> Option<bool> {
    let until = Instant::now() + longest;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Some(root);
        }
        match rx.recv_timeout(quiet.min(left)) {
            Ok(Signal::Changed { root: r }) => root |= r,
            Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => return None,
            Err(RecvTimeoutError::Timeout) => return Some(root),
        }
    }
}

/// The widget folders with a watch, each with the directory its name led to when the
/// watch was placed.
#[derive(Default)]
struct FolderWatches(BTreeMap<PathBuf, PathBuf>);

impl FolderWatches {
    /// Watches each widget folder of `dir` that has no watch yet or whose name now
    /// leads elsewhere (a repointed link), and drops the watches of folders gone. A
    /// folder that cannot be watched is tried again at the next reload.
    fn sync(&mut self, notify: &mut RecommendedWatcher, dir: &Path) {
        let now: BTreeMap<PathBuf, PathBuf> = catalog::widget_folders(dir)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|folder| {
                let target = std::fs::canonicalize(&folder).ok()?;
                Some((folder, target))
            })
            .collect();
        self.0.retain(|folder, target| {
            let same = now.get(folder) == Some(target);
            if !same {
                // Gone already, perhaps, with its watch: nothing to undo then.
                let _ = notify.unwatch(folder);
            }
            same
        });
        for (folder, target) in now {
            if self.0.contains_key(&folder) {
                continue;
            }
            match notify.watch(&folder, RecursiveMode::Recursive) {
                Ok(()) => {
                    self.0.insert(folder, target);
                }
                Err(error) => tracing::warn!(
                    %error, folder = %folder.display(),
                    "cannot watch a widget folder; it is read again at the next reload"
                ),
            }
        }
    }

    /// Drops every folder's watch: the directory that held them was replaced.
    fn clear(&mut self, notify: &mut RecommendedWatcher) {
        for folder in std::mem::take(&mut self.0).into_keys() {
            let _ = notify.unwatch(&folder);
        }
    }
}

/// What an event from either watch means for the directory `watched`, if anything.
fn signal_for(event: &notify::Event, watched: &std::path::Path) -> Option<Signal> {
    if event.need_rescan() || event.paths.is_empty() {
        // The kernel's queue overflowed: events were lost, the name's included
        // perhaps, so look again at everything.
        return Some(Signal::Changed { root: true });
    }
    if event.kind.is_access() {
        return None;
    }
    // The parent's watch reports every sibling; only our name counts.
    if !event.paths.iter().any(|p| p.starts_with(watched)) {
        return None;
    }
    // Made, removed or renamed under our name; not a touch or a chmod.
    let renamed = matches!(
        event.kind,
        EventKind::Create(_) | EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
    );
    let root = renamed && event.paths.iter().any(|p| p == watched);
    Some(Signal::Changed { root })
}

/// Moves the watch to whatever directory now has `dir`'s name. The old watch may be
/// gone already (its directory deleted); when the name is free for now, the parent's
/// watch reports its return.
fn rewatch(notify: &mut RecommendedWatcher, dir: &Path) {
    let _ = notify.unwatch(dir);
    if dir.is_dir() {
        match notify.watch(dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                tracing::info!(dir = %dir.display(), "descriptors directory replaced; watching the new one")
            }
            Err(error) => {
                tracing::warn!(%error, dir = %dir.display(), "cannot watch the replaced descriptors directory")
            }
        }
    } else {
        tracing::warn!(dir = %dir.display(), "descriptors directory gone; the widgets loaded keep serving until it is back");
    }
}

fn unchanged(current: &Catalog, next: &Catalog) -> bool {
    current.problems == next.problems && current.widgets == next.widgets
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, Flag, MetadataKind, RemoveKind};

    /// A burst settles after its quiet time, and a burst without pause is cut at the
    /// longest wait; a name change anywhere in it is kept, and a stop ends it.
    #[test]
    fn a_burst_settles_when_quiet_or_at_the_longest_wait() {
        let quiet = Duration::from_millis(50);
        let longest = Duration::from_millis(400);
        let (tx, rx) = mpsc::channel();
        for root in [false, true, false] {
            tx.send(Signal::Changed { root }).expect("send");
        }
        assert_eq!(settle(&rx, false, quiet, longest), Some(true));

        // A writer that never pauses for `quiet`.
        let (tx, rx) = mpsc::channel();
        let writer = std::thread::spawn(move || {
            while tx.send(Signal::Changed { root: false }).is_ok() {
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        let started = Instant::now();
        assert_eq!(settle(&rx, false, quiet, longest), Some(false));
        let waited = started.elapsed();
        assert!(waited >= longest, "{waited:?}");
        drop(rx);
        writer.join().expect("writer");

        let (tx, rx) = mpsc::channel();
        tx.send(Signal::Stop).expect("send");
        assert_eq!(settle(&rx, false, quiet, longest), None);
    }

    fn root_flag(kind: EventKind, paths: &[&str]) -> Option<bool> {
        let mut event = notify::Event::new(kind);
        for p in paths {
            event = event.add_path(PathBuf::from(p));
        }
        match signal_for(&event, Path::new("/srv/widget-descriptors")) {
            Some(Signal::Changed { root }) => Some(root),
            Some(Signal::Stop) | None => None,
        }
    }

    #[test]
    fn events_are_read_for_the_directory_and_its_name() {
        let inside = "/srv/widget-descriptors/contacts-center/portlet.xml";
        let any = EventKind::Any;
        assert_eq!(root_flag(any, &[inside]), Some(false), "a change inside");
        assert_eq!(
            root_flag(EventKind::Access(notify::event::AccessKind::Any), &[inside]),
            None,
            "a read changes nothing"
        );
        assert_eq!(root_flag(any, &["/srv/data"]), None, "a sibling");
        assert_eq!(
            root_flag(any, &["/srv/widget-descriptors-old"]),
            None,
            "a sibling whose name starts alike"
        );
        let root = "/srv/widget-descriptors";
        for kind in [
            EventKind::Create(CreateKind::Folder),
            EventKind::Remove(RemoveKind::Folder),
            EventKind::Modify(ModifyKind::Name(notify::event::RenameMode::To)),
        ] {
            assert_eq!(root_flag(kind, &[root]), Some(true), "{kind:?}");
        }
        assert_eq!(
            root_flag(
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
                &[root]
            ),
            Some(false),
            "a touch of the directory itself"
        );
        let overflow = notify::Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert!(matches!(
            signal_for(&overflow, Path::new(root)),
            Some(Signal::Changed { root: true })
        ));
    }
}
