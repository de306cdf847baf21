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
use notify::{EventKind, RecursiveMode, Watcher as _};

use super::DescriptorError;
use super::catalog;
use super::model::{Catalog, CatalogHandle};

/// Quiet time after the last change before reloading.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// The longest a burst of changes holds a reload back: something that writes under
/// the directory without pause (a sync tool, an editor's swap file) must not keep the
/// widgets from ever reloading.
pub const LONGEST_SETTLE: Duration = Duration::from_secs(2);

/// Keeps the directory watched; dropping it stops the watching thread (or, if the
/// thread is stuck reading the folder, leaves it to end on its own after a second).
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

/// How long dropping a [`Watcher`] waits for its thread to end.
const STOP_WAIT: Duration = Duration::from_secs(1);

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.stop.send(Signal::Stop);
        if let Some(thread) = self.thread.take()
            && !join_within(thread, STOP_WAIT)
        {
            // Between signals the thread reads the folder (a reload, a retry): on a
            // network share that stopped answering, that read may never end, and a
            // host that is stopping must not wait for it.
            tracing::warn!(
                "the descriptors watcher did not stop within {} s (a read of the folder hangs?); the host stops without it",
                STOP_WAIT.as_secs()
            );
        }
    }
}

/// Waits up to `limit` for `thread` to end; whether it did. One that did not is left
/// to end on its own (detached).
fn join_within(thread: JoinHandle<()>, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while !thread.is_finished() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = thread.join();
    true
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").finish_non_exhaustive()
    }
}

/// What the watching thread hears.
enum Signal {
    Changed(Change),
    Stop,
}

/// What changed under the directory, besides file contents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Change {
    /// The directory itself was made, removed or renamed.
    root: bool,
    /// A name in it was made, removed or renamed: a widget folder came or went, or
    /// was replaced by another under the same name.
    folders: bool,
}

impl std::ops::BitOrAssign for Change {
    fn bitor_assign(&mut self, other: Self) {
        self.root |= other.root;
        self.folders |= other.folders;
    }
}

impl Change {
    const CONTENTS: Self = Self {
        root: false,
        folders: false,
    };
    const FOLDERS: Self = Self {
        root: false,
        folders: true,
    };
    const EVERYTHING: Self = Self {
        root: true,
        folders: true,
    };
}

/// How often a folder that could not be watched (a link whose target is gone, a folder
/// the host may not read), and the directory's own path, are looked at again: no event
/// will say a folder is back, or that a link above the directory now leads elsewhere.
pub const UNWATCHED_RETRY: Duration = Duration::from_secs(2);

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
    spawn_watcher_looking_every(dir, handle, UNWATCHED_RETRY)
}

/// [`spawn_watcher`], looking for what no event tells of (a folder back, a link
/// repointed, a file changed on a file system that sends no events) every `retry`
/// rather than every [`UNWATCHED_RETRY`]. Tests give it hours, so that a reload they
/// see came from an event: the look would otherwise stand in for a watch that failed.
#[doc(hidden)]
pub fn spawn_watcher_looking_every(
    dir: PathBuf,
    handle: CatalogHandle,
    retry: Duration,
) -> Result<Watcher, DescriptorError> {
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
        let _ = stop.send(Signal::Changed(Change::CONTENTS));
    } else if dir.is_dir() {
        // Made between the first look and the parent's watch: no event will tell.
        let _ = stop.send(Signal::Changed(Change::EVERYTHING));
    }
    let reloads = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&reloads);
    let thread = std::thread::Builder::new()
        .name("descriptor-watcher".into())
        .spawn(move || watch_loop(notify, &dir, &handle, &rx, &counted, retry))
        .map_err(|e| failed(format!("cannot start the watcher thread: {e}")))?;
    Ok(Watcher {
        stop,
        thread: Some(thread),
        reloads,
    })
}

fn watch_loop<W: notify::Watcher>(
    mut notify: W,
    dir: &Path,
    handle: &CatalogHandle,
    rx: &mpsc::Receiver<Signal>,
    reloads: &AtomicU64,
    retry: Duration,
) {
    // Nothing is known unwatched before the first reload: a directory missing at start
    // is not retried (its parent's watch tells when it comes), so no problem is listed
    // for a host serving its built-in widgets as intended.
    let mut folders = FolderWatches {
        all_watched: true,
        ..FolderWatches::default()
    };
    // Where the directory's path led when its watch was placed. A link above it
    // repointed (`current` switched to a new release) sends no event to either watch,
    // both still on the old directories: the path is looked at every UNWATCHED_RETRY.
    let mut placed = std::fs::canonicalize(dir).ok();
    // What the descriptor files looked like at the last reload. A file system that
    // sends no events for changes made elsewhere (NFS, CIFS, some container mounts)
    // would never reload: their sizes and times are compared every UNWATCHED_RETRY
    // without an event, as the JWKS files are polled.
    let mut seen = Stamps::of(dir);
    // Each iteration waits for a first change, then for DEBOUNCE of quiet. While a
    // folder has no watch, nothing would tell of its return: it is looked at again
    // every UNWATCHED_RETRY too.
    loop {
        let change = match rx.recv_timeout(retry) {
            Ok(Signal::Changed(change)) => change,
            Err(RecvTimeoutError::Timeout) => {
                if std::fs::canonicalize(dir).ok() != placed {
                    Change::EVERYTHING
                } else if !folders.all_watched || Stamps::of(dir) != seen {
                    Change::FOLDERS
                } else {
                    continue;
                }
            }
            Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => return,
        };
        let Some(change) = settle(rx, change, DEBOUNCE, LONGEST_SETTLE) else {
            return;
        };
        if change.root {
            // Before the reload, so whatever the new directory holds by then is read,
            // and what changes in it afterwards is reported.
            folders.clear(&mut notify);
            rewatch(&mut notify, dir);
            placed = std::fs::canonicalize(dir).ok();
        } else if change.folders {
            // A folder deleted and made again under its name keeps its path, and its
            // old watch follows the deleted directory: every folder is watched anew
            // (a handful of watches, at a deploy).
            folders.clear(&mut notify);
        }
        // Likewise before the reload: a folder made or repointed since the last one is
        // watched before it is read.
        folders.sync(&mut notify, dir);
        // Taken before the read: a change made during it is seen by the next poll.
        seen = Stamps::of(dir);
        let current = handle.current();
        let next = catalog::reload(&current, dir);
        if unchanged(&current, &next) {
            // A touched file, or the catch-up reload at start: the versions serving
            // stay (and stay the same `Arc`s), and the log does not repeat itself.
            tracing::debug!("descriptors unchanged");
            reloads.fetch_add(1, Ordering::Release);
            continue;
        }
        catalog::say(&next, dir);
        catalog::say_taken_down(&current, &next);
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
/// sooner: everything that changed meanwhile, or `None` when the watcher is stopping.
fn settle(
    rx: &mpsc::Receiver<Signal>,
    mut change: Change,
    quiet: Duration,
    longest: Duration,
) -> Option<Change> {
    let until = Instant::now() + longest;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Some(change);
        }
        match rx.recv_timeout(quiet.min(left)) {
            Ok(Signal::Changed(more)) => change |= more,
            Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => return None,
            Err(RecvTimeoutError::Timeout) => return Some(change),
        }
    }
}

/// The widget folders with a watch, each with the directory its name led to when the
/// watch was placed; and whether every widget folder has one.
#[derive(Default)]
struct FolderWatches {
    watched: BTreeMap<PathBuf, PathBuf>,
    all_watched: bool,
    /// Folders whose watch failed and was logged: tried again quietly.
    reported: std::collections::BTreeSet<PathBuf>,
}

impl FolderWatches {
    /// Watches each widget folder of `dir` that has no watch yet or whose name now
    /// leads elsewhere (a repointed link), and drops the watches of folders gone. A
    /// folder that cannot be watched (a link whose target is gone, a folder the host
    /// may not read) is tried again at the next reload, which comes within
    /// [`UNWATCHED_RETRY`].
    fn sync(&mut self, notify: &mut impl notify::Watcher, dir: &Path) {
        let listed = catalog::widget_folders(dir);
        let gone_are_known = listed.is_ok();
        let folders = listed.unwrap_or_default();
        // A directory that could not be listed is polled until it can be.
        let mut all_watched = gone_are_known;
        let now: BTreeMap<PathBuf, PathBuf> = folders
            .into_iter()
            .filter_map(|folder| match std::fs::canonicalize(&folder) {
                Ok(target) => Some((folder, target)),
                Err(_) => {
                    all_watched = false;
                    None
                }
            })
            .collect();
        // A folder gone is no longer one to stay quiet about: a deploy that renames
        // uniquely named folders into place would otherwise add one for good each time.
        // Not when the directory could not be listed: nothing is known gone then.
        if gone_are_known {
            self.reported.retain(|folder| now.contains_key(folder));
        }
        self.watched.retain(|folder, target| {
            let same = now.get(folder) == Some(target);
            if !same {
                // Gone already, perhaps, with its watch: nothing to undo then.
                let _ = notify.unwatch(folder);
            }
            same
        });
        for (folder, target) in now {
            if self.watched.contains_key(&folder) {
                continue;
            }
            // The folder itself only: its descriptors lie at its top, and a recursive
            // watch would walk, and follow links through, whatever else it holds (a
            // `lib -> /usr` would cost a watch per directory there and reload on
            // every change under it).
            match notify.watch(&folder, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    self.reported.remove(&folder);
                    self.watched.insert(folder, target);
                }
                Err(error) => {
                    all_watched = false;
                    if self.reported.insert(folder.clone()) {
                        tracing::warn!(
                            %error, folder = %folder.display().to_string().escape_debug(),
                            "cannot watch a widget folder; it is read again every few seconds"
                        );
                    }
                }
            }
        }
        self.all_watched = all_watched;
    }

    /// Drops every folder's watch, to place them afresh.
    fn clear(&mut self, notify: &mut impl notify::Watcher) {
        for folder in std::mem::take(&mut self.watched).into_keys() {
            let _ = notify.unwatch(&folder);
        }
    }
}

/// The [`Stamp`] of each descriptor file under a descriptors directory (in its widget
/// folders, and any lying in it directly), and the names of its folders: a few
/// `stat`s per folder, every couple of seconds.
#[derive(Debug, PartialEq, Eq)]
struct Stamps(Vec<(PathBuf, Option<Stamp>)>);

/// A file's modification time (where the file system keeps one), size, and on Unix
/// its inode and change time: a same-size file copied in with its old time kept
/// (`rsync -a`, a reproducible build's archive) still differs in those.
type Stamp = (Option<std::time::SystemTime>, u64, u64, i64, i64);

impl Stamps {
    fn of(dir: &Path) -> Self {
        let stamp = |path: &Path| {
            std::fs::metadata(path).ok().map(|m| {
                #[cfg(unix)]
                let (inode, changed, changed_ns) = {
                    use std::os::unix::fs::MetadataExt;
                    (m.ino(), m.ctime(), m.ctime_nsec())
                };
                #[cfg(not(unix))]
                let (inode, changed, changed_ns) = (0, 0, 0);
                (m.modified().ok(), m.len(), inode, changed, changed_ns)
            })
        };
        let files = [
            catalog::PORTLET_XML,
            catalog::LIFERAY_PORTLET_XML,
            catalog::LIFERAY_DISPLAY_XML,
        ];
        let mut stamps = Vec::new();
        for place in
            std::iter::once(dir.to_owned()).chain(catalog::widget_folders(dir).unwrap_or_default())
        {
            stamps.push((place.clone(), None));
            for file in files {
                let path = place.join(file);
                let found = stamp(&path);
                stamps.push((path, found));
            }
        }
        Self(stamps)
    }
}

/// What an event from either watch means for the directory `watched`, if anything.
fn signal_for(event: &notify::Event, watched: &std::path::Path) -> Option<Signal> {
    if event.need_rescan() || event.paths.is_empty() {
        // The kernel's queue overflowed: events were lost, the name's included
        // perhaps, so look again at everything.
        return Some(Signal::Changed(Change::EVERYTHING));
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
    let folders = renamed && event.paths.iter().any(|p| p.parent() == Some(watched));
    Some(Signal::Changed(Change { root, folders }))
}

/// Moves the watch to whatever directory now has `dir`'s name. The old watch may be
/// gone already (its directory deleted); when the name is free for now, the parent's
/// watch reports its return.
fn rewatch(notify: &mut impl notify::Watcher, dir: &Path) {
    // The parent's path may lead elsewhere now too (a link above it repointed).
    if let Some(parent) = dir.parent() {
        let _ = notify.unwatch(parent);
        if let Err(error) = notify.watch(parent, RecursiveMode::NonRecursive) {
            tracing::warn!(%error, parent = %parent.display(), "cannot watch the descriptors directory's parent; a replaced directory will not be noticed");
        }
    }
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
    current.problems == next.problems
        && current.widgets == next.widgets
        && current.switched_off == next.switched_off
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::captured_log::CapturedLog;
    use notify::event::{CreateKind, Flag, MetadataKind, RemoveKind, RenameMode};

    /// A stopping host waits a bounded time for the watcher's thread: one stuck in a
    /// read is left behind, one that ends is joined.
    #[test]
    fn a_stuck_watcher_thread_is_not_waited_for() {
        let (release, stuck) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let _ = stuck.recv();
        });
        let started = Instant::now();
        assert!(!join_within(thread, Duration::from_millis(100)));
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(100) && waited < Duration::from_secs(2),
            "{waited:?}"
        );
        let _ = release.send(());
        let quick = std::thread::spawn(|| {});
        assert!(join_within(quick, Duration::from_secs(5)));
    }

    const ROOT: Change = Change {
        root: true,
        folders: false,
    };

    /// A descriptor rewritten with the same size and its old modification time kept
    /// (`rsync -a`, a reproducible build's archive) still reads as changed.
    #[test]
    fn a_same_size_edit_with_its_old_time_kept_is_seen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = dir.path().join("w");
        std::fs::create_dir(&folder).expect("folder");
        let path = folder.join(catalog::PORTLET_XML);
        std::fs::write(&path, "<portlet-app>1</portlet-app>").expect("write");
        let kept = std::fs::metadata(&path)
            .expect("stat")
            .modified()
            .expect("mtime");
        let before = Stamps::of(dir.path());
        // Past a clock tick: a kernel that keeps times per tick (4 ms) must see a new
        // change time.
        std::thread::sleep(Duration::from_millis(30));
        std::fs::write(&path, "<portlet-app>2</portlet-app>").expect("write");
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(kept))
            .expect("set the old time");
        assert_eq!(
            std::fs::metadata(&path)
                .expect("stat")
                .modified()
                .expect("mtime"),
            kept
        );
        assert_ne!(Stamps::of(dir.path()), before);
    }

    /// A copy in `dir` of the shipped widget folder `name`, its three descriptors.
    fn shipped_copy(dir: &Path, name: &str) -> PathBuf {
        let folder = dir.join(name);
        std::fs::create_dir(&folder).expect("folder");
        for file in [
            catalog::PORTLET_XML,
            catalog::LIFERAY_PORTLET_XML,
            catalog::LIFERAY_DISPLAY_XML,
        ] {
            std::fs::copy(
                Path::new("widget-descriptors").join(name).join(file),
                folder.join(file),
            )
            .expect("copy");
        }
        folder
    }

    /// A portlet its liferay-portlet.xml turns off is said when a catalog is loaded or
    /// changes, not at each read of its folder: a folder the watcher must poll was
    /// read again every two seconds, and said it each time. A reload that turns it on
    /// again is a change. What is said is escaped: a descriptor's text may hold a
    /// line feed, which would write a line of its own.
    #[test]
    fn a_portlet_turned_off_is_said_by_the_load_not_by_each_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = shipped_copy(dir.path(), "notifications");
        let shipped = std::fs::read_to_string(
            Path::new("widget-descriptors/notifications").join(catalog::LIFERAY_PORTLET_XML),
        )
        .expect("read");
        let wrapper = "<css-class-wrapper>notifications-portlet</css-class-wrapper>";
        assert!(shipped.contains(wrapper), "the shipped file changed");
        let liferay = folder.join(catalog::LIFERAY_PORTLET_XML);
        let off = shipped.replace(wrapper, &format!("{wrapper}\n<active>false</active>"));
        std::fs::write(&liferay, off).expect("write");

        let ((first, again), said) = CapturedLog::during(|| {
            let first = catalog::load_dir(dir.path());
            let again = catalog::reload(&first, dir.path());
            (first, again)
        });
        assert!(!said.contains("not served"), "{said}");
        assert!(first.get("notifications").is_none());
        assert!(
            matches!(&first.switched_off[..], [(name, at)] if name == "notifications" && at.ends_with("notifications")),
            "{:?}",
            first.switched_off
        );
        assert!(unchanged(&first, &again));
        std::fs::write(&liferay, &shipped).expect("write");
        let on = catalog::reload(&first, dir.path());
        assert!(on.get("notifications").is_some() && on.switched_off.is_empty());
        assert!(!unchanged(&first, &on));
        // Served the same, with other portlets off: a change to say.
        let mut turned_off_elsewhere = first.clone();
        turned_off_elsewhere.switched_off = vec![("a\nb".into(), folder.clone())];
        assert!(
            !unchanged(&first, &turned_off_elsewhere),
            "another portlet is off"
        );
        turned_off_elsewhere.problems = vec![crate::descriptors::xml::problem(
            &folder.join("portlet.xml"),
            crate::descriptors::xml::Pos { line: 3, column: 1 },
            "name",
            "preference x\n2026-01-01T00:00:00Z ERROR forged is declared twice".into(),
            "keep one".into(),
        )];

        let ((), said) = CapturedLog::during(|| catalog::say(&turned_off_elsewhere, dir.path()));
        assert_eq!(said.lines().count(), 2, "{said}");
        assert!(
            said.contains("not served") && said.contains("portlet=a\\nb"),
            "{said}"
        );
        assert!(
            said.contains("preference x\\n2026") && said.contains("descriptor problem"),
            "{said}"
        );
    }

    /// A reload that takes placements down says so: a portlet no folder declares any
    /// more, and one no longer instanceable. One turned off is said as such, and one
    /// kept serving is not said at all.
    #[test]
    fn a_reload_that_takes_placements_down_says_so() {
        let before = catalog::builtin();
        assert!(
            before
                .get("contacts_center")
                .is_some_and(|w| w.instanceable)
        );
        assert!(before.get("notifications").is_some());
        let mut after = before.clone();
        after.widgets.remove("notifications");
        let mut single = (**after.get("contacts_center").expect("served")).clone();
        single.instanceable = false;
        after
            .widgets
            .insert("contacts_center".into(), Arc::new(single));
        let said =
            |after: &Catalog| CapturedLog::during(|| catalog::say_taken_down(&before, after)).1;
        let text = said(&after);
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(
            text.contains("portlet=notifications") && text.contains("no longer served"),
            "{text}"
        );
        assert!(
            text.contains("portlet=contacts_center") && text.contains("no longer instanceable"),
            "{text}"
        );
        after
            .switched_off
            .push(("notifications".into(), PathBuf::from("notifications")));
        after.widgets.insert(
            "contacts_center".into(),
            Arc::clone(before.get("contacts_center").expect("served")),
        );
        let text = said(&after);
        assert_eq!(text, "", "turned off is said as such");
        assert_eq!(said(&before), "");
    }

    /// The watcher's own reload says what it took down: here, the Contacts Center
    /// made not instanceable while it serves.
    #[test]
    fn the_watcher_says_what_a_reload_took_down() {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = shipped_copy(dir.path(), "contacts-center");
        let handle = CatalogHandle::new(catalog::load_dir(dir.path()));
        let instanceable =
            |h: &CatalogHandle| h.current().get("contacts_center").map(|w| w.instanceable);
        assert_eq!(instanceable(&handle), Some(true));
        let (stop, rx) = mpsc::channel();
        let editor = {
            let (handle, path) = (handle.clone(), folder.join(catalog::LIFERAY_PORTLET_XML));
            std::thread::spawn(move || {
                let text = std::fs::read_to_string(&path).expect("read");
                let single = text.replace("<instanceable>true<", "<instanceable>false<");
                let deadline = Instant::now() + 6 * UNWATCHED_RETRY;
                // Written again each poll, longer each time, until a reload shows it.
                let mut spaces = 0;
                while instanceable(&handle) != Some(false) && Instant::now() < deadline {
                    spaces += 1;
                    std::fs::write(&path, format!("{single}{}", " ".repeat(spaces)))
                        .expect("write");
                    std::thread::sleep(UNWATCHED_RETRY + Duration::from_millis(300));
                }
                let _ = stop.send(Signal::Stop);
            })
        };
        let ((), text) = CapturedLog::during(|| {
            watch_loop(
                notify::NullWatcher,
                dir.path(),
                &handle,
                &rx,
                &AtomicU64::new(0),
                UNWATCHED_RETRY,
            );
        });
        editor.join().expect("editor");
        assert_eq!(instanceable(&handle), Some(false));
        assert!(
            text.contains("no longer instanceable") && text.contains("portlet=contacts_center"),
            "{text}"
        );
    }

    /// A watcher that can watch nothing (its limit reached).
    struct Exhausted;

    impl notify::Watcher for Exhausted {
        fn new<F: notify::EventHandler>(_: F, _: notify::Config) -> notify::Result<Self> {
            Ok(Self)
        }
        fn watch(&mut self, _: &Path, _: RecursiveMode) -> notify::Result<()> {
            Err(notify::Error::generic("no watches left"))
        }
        fn unwatch(&mut self, _: &Path) -> notify::Result<()> {
            Ok(())
        }
        fn kind() -> notify::WatcherKind {
            notify::WatcherKind::NullWatcher
        }
    }

    /// A folder that cannot be watched is said once and then tried quietly; once it
    /// is gone it is forgotten, so the folders a deploy renames into place one after
    /// another do not pile up.
    #[test]
    fn folders_that_could_not_be_watched_are_forgotten_when_gone() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["a", "b"] {
            std::fs::create_dir(dir.path().join(name)).expect("folder");
            std::fs::write(dir.path().join(name).join(catalog::PORTLET_XML), "").expect("file");
        }
        let mut folders = FolderWatches::default();
        folders.sync(&mut Exhausted, dir.path());
        folders.sync(&mut Exhausted, dir.path());
        assert_eq!(folders.reported.len(), 2);
        assert!(!folders.all_watched);
        std::fs::remove_dir_all(dir.path().join("a")).expect("remove");
        folders.sync(&mut Exhausted, dir.path());
        let left: Vec<&PathBuf> = folders.reported.iter().collect();
        assert!(left.len() == 1 && left[0].ends_with("b"), "{left:?}");
        // A directory that cannot be listed (here, moved away for a moment) tells
        // nothing of which folders are gone.
        let away = dir.path().with_extension("away");
        std::fs::rename(dir.path(), &away).expect("move away");
        folders.sync(&mut Exhausted, dir.path());
        std::fs::rename(&away, dir.path()).expect("move back");
        assert_eq!(folders.reported.len(), 1);
        assert!(!folders.all_watched, "polled until it lists again");
    }

    /// Where no event ever comes (a network file system, changes made on another
    /// machine), an edited descriptor still reloads within a poll or two.
    #[test]
    fn an_edit_no_event_tells_of_reloads_by_polling() {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = shipped_copy(dir.path(), "notifications");
        let handle = CatalogHandle::new(catalog::load_dir(dir.path()));
        let title = |c: &Catalog| c.get("notifications").map(|w| w.display_name.clone());
        let before = title(&handle.current()).expect("served");
        let (stop, rx) = mpsc::channel();
        let reloads = Arc::new(AtomicU64::new(0));
        let thread = {
            let (dir, handle, reloads) =
                (dir.path().to_owned(), handle.clone(), Arc::clone(&reloads));
            // A watcher that never reports anything.
            std::thread::spawn(move || {
                watch_loop(
                    notify::NullWatcher,
                    &dir,
                    &handle,
                    &rx,
                    &reloads,
                    UNWATCHED_RETRY,
                )
            })
        };
        // Edited again each poll (longer each time, so a coarse clock cannot hide it)
        // until a reload shows it: a thread that took its first stamps late, after
        // an edit, still sees the next one.
        let path = folder.join(catalog::PORTLET_XML);
        let text = std::fs::read_to_string(&path).expect("read");
        let deadline = Instant::now() + 6 * UNWATCHED_RETRY;
        let mut edits = 0;
        let mut next_edit = Instant::now() + Duration::from_millis(300);
        while title(&handle.current()) == Some(before.clone()) && Instant::now() < deadline {
            if Instant::now() >= next_edit {
                edits += 1;
                let edited = format!("<display-name>Polled{} ", "!".repeat(edits));
                std::fs::write(&path, text.replace("<display-name>", &edited)).expect("write");
                next_edit = Instant::now() + UNWATCHED_RETRY + Duration::from_millis(500);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = stop.send(Signal::Stop);
        thread.join().expect("watcher thread");
        let after = title(&handle.current()).expect("still served");
        assert!(
            after.starts_with("Polled!") && after.ends_with(&before),
            "{after}"
        );
        assert!(reloads.load(Ordering::Acquire) >= 1);
    }

    /// A burst settles after its quiet time, and a burst without pause is cut at the
    /// longest wait; every kind of change in it is kept, and a stop ends it.
    #[test]
    fn a_burst_settles_when_quiet_or_at_the_longest_wait() {
        // A quiet spell far above the writer's 2 ms pauses: only a writer thread kept
        // off the CPU for half a second could end the burst early.
        let quiet = Duration::from_millis(500);
        let longest = Duration::from_millis(1_000);
        let (tx, rx) = mpsc::channel();
        for change in [Change::CONTENTS, ROOT, Change::FOLDERS] {
            tx.send(Signal::Changed(change)).expect("send");
        }
        assert_eq!(
            settle(&rx, Change::CONTENTS, quiet, longest),
            Some(Change::EVERYTHING)
        );

        // A writer that never pauses for anything near `quiet`.
        let (tx, rx) = mpsc::channel();
        let writer = std::thread::spawn(move || {
            while tx.send(Signal::Changed(Change::CONTENTS)).is_ok() {
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        let started = Instant::now();
        assert_eq!(
            settle(&rx, Change::CONTENTS, quiet, longest),
            Some(Change::CONTENTS)
        );
        let waited = started.elapsed();
        assert!(waited >= longest, "{waited:?}");
        drop(rx);
        writer.join().expect("writer");

        let (tx, rx) = mpsc::channel();
        tx.send(Signal::Stop).expect("send");
        assert_eq!(settle(&rx, Change::CONTENTS, quiet, longest), None);
    }

    fn change(kind: EventKind, paths: &[&str]) -> Option<Change> {
        let mut event = notify::Event::new(kind);
        for p in paths {
            event = event.add_path(PathBuf::from(p));
        }
        match signal_for(&event, Path::new("/srv/widget-descriptors")) {
            Some(Signal::Changed(change)) => Some(change),
            Some(Signal::Stop) | None => None,
        }
    }

    #[test]
    fn events_are_read_for_the_directory_its_folders_and_its_name() {
        let inside = "/srv/widget-descriptors/contacts-center/portlet.xml";
        let any = EventKind::Any;
        assert_eq!(
            change(any, &[inside]),
            Some(Change::CONTENTS),
            "a change inside"
        );
        assert_eq!(
            change(EventKind::Create(CreateKind::File), &[inside]),
            Some(Change::CONTENTS),
            "a file made in a folder"
        );
        assert_eq!(
            change(EventKind::Access(notify::event::AccessKind::Any), &[inside]),
            None,
            "a read changes nothing"
        );
        assert_eq!(change(any, &["/srv/data"]), None, "a sibling");
        assert_eq!(
            change(any, &["/srv/widget-descriptors-old"]),
            None,
            "a sibling whose name starts alike"
        );
        let root = "/srv/widget-descriptors";
        let folder = "/srv/widget-descriptors/notifications";
        for kind in [
            EventKind::Create(CreateKind::Folder),
            EventKind::Remove(RemoveKind::Folder),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
        ] {
            assert_eq!(change(kind, &[root]), Some(ROOT), "{kind:?}");
            assert_eq!(
                change(kind, &[folder]),
                Some(Change::FOLDERS),
                "a folder: {kind:?}"
            );
        }
        assert_eq!(
            change(
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
                &[root]
            ),
            Some(Change::CONTENTS),
            "a touch of the directory itself"
        );
        let overflow = notify::Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert!(matches!(
            signal_for(&overflow, Path::new(root)),
            Some(Signal::Changed(Change::EVERYTHING))
        ));
    }
}
