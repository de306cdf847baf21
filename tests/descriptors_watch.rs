//! The descriptors directory is watched: new folders appear, broken changes keep the
//! last good version serving and list their problems.

use std::path::Path;
use std::time::{Duration, Instant};

use widget_host::descriptors::{self, Catalog, CatalogHandle};

mod common;
use common::copy_widget;

/// How long a reload that must come may take: long past the watcher's own settling
/// (at most `LONGEST_SETTLE`), for a CI machine whose two cores are busy with other
/// tests. Only a failure waits this long.
const WAIT: Duration = Duration::from_secs(30);

/// After a change that must reload, waits for that reload and then for any other
/// still on its way: exactly one more than `settled`. It follows each "this reloaded
/// nothing" check, so a reload that was only late shows here rather than passing
/// unseen.
fn reloads_once_more(watcher: &descriptors::Watcher, settled: u64, what: &str) {
    let deadline = Instant::now() + WAIT;
    while watcher.reloads() == settled {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        watcher.reloads(),
        settled + 1,
        "{what}: one reload, no other"
    );
}

/// A watcher that reloads on events only: its look for what no event tells of comes
/// once an hour, so that a reload a test sees is not that look standing in for a
/// watch that failed. The tests of what only that look can see use `spawn_watcher`.
fn by_events(
    dir: std::path::PathBuf,
    handle: CatalogHandle,
) -> Result<descriptors::Watcher, descriptors::DescriptorError> {
    descriptors::spawn_watcher_looking_every(dir, handle, Duration::from_secs(3600))
}

/// Puts `bytes` at `path` in one file-system event: written outside the watched tree
/// and renamed into place. Written in place, a file changes twice (truncated, then
/// written), and a test thread paused between the two for longer than the watcher
/// settles would see two reloads where [`reloads_once_more`] counts one.
fn replace(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut staged = tempfile::NamedTempFile::new().expect("a staged file");
    staged.write_all(bytes).expect("write");
    staged.persist(path).expect("renamed into place");
}

fn wait_for(handle: &CatalogHandle, what: &str, ok: impl Fn(&Catalog) -> bool) {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if ok(&handle.current()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "within {WAIT:?}: {what}; catalog now: {:?}",
        handle.current()
    );
}

#[test]
fn watcher_picks_up_new_folders_and_keeps_last_good_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let handle = CatalogHandle::new(descriptors::load_dir(dir.path()));
    assert!(handle.current().widgets.is_empty());
    let watcher = by_events(dir.path().to_path_buf(), handle.clone()).expect("watch");

    let folder = dir.path().join("notifications");
    copy_widget(Path::new("widget-descriptors/notifications"), &folder);
    wait_for(&handle, "the new widget serves", |c| {
        c.get("notifications").is_some() && c.problems.is_empty()
    });
    let good = handle
        .current()
        .get("notifications")
        .cloned()
        .expect("served");

    let path = folder.join("liferay-portlet.xml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replace(
            "<instanceable>false</instanceable>",
            "<instanceable>maybe</instanceable>",
        ),
    )
    .expect("write");
    wait_for(&handle, "the problem is listed", |c| {
        c.problems.iter().any(|p| {
            p.message
                .contains("<instanceable> is \"maybe\", not a boolean")
        })
    });
    let served = handle
        .current()
        .get("notifications")
        .cloned()
        .expect("still served");
    assert!(
        std::sync::Arc::ptr_eq(&served, &good),
        "the last good version keeps serving"
    );

    // After the guard is dropped, changes are no longer picked up. Dropping it joins
    // the watcher's thread (within its stop wait), so no reload is merely late here:
    // the wait is for an event the file system may still deliver, to no one.
    drop(watcher);
    std::fs::remove_dir_all(&folder).expect("rm");
    std::thread::sleep(Duration::from_millis(400));
    assert!(handle.current().get("notifications").is_some());
}

#[test]
fn a_change_made_before_the_watch_started_is_picked_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let handle = CatalogHandle::new(descriptors::load_dir(dir.path()));
    // Deployed after the first load, before the watch is registered: no event will
    // ever report it.
    copy_widget(
        Path::new("widget-descriptors/notifications"),
        &dir.path().join("notifications"),
    );
    let _watcher = by_events(dir.path().to_path_buf(), handle.clone()).expect("watch");
    wait_for(
        &handle,
        "the widget deployed before the watch serves",
        |c| c.get("notifications").is_some() && c.problems.is_empty(),
    );
}

#[test]
fn a_reload_that_finds_nothing_new_keeps_the_versions_serving() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("notifications");
    copy_widget(Path::new("widget-descriptors/notifications"), &folder);
    let handle = CatalogHandle::new(descriptors::load_dir(dir.path()));
    let before = handle.current();
    let watcher = by_events(dir.path().to_path_buf(), handle.clone()).expect("watch");
    let reloaded = |n: u64| {
        let deadline = Instant::now() + WAIT;
        while watcher.reloads() < n {
            assert!(Instant::now() < deadline, "within {WAIT:?}: reload {n}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // The catch-up reload at start, then a rewrite with the same bytes: both find
    // the same catalog.
    reloaded(1);
    assert!(std::sync::Arc::ptr_eq(&handle.current(), &before));
    let path = folder.join("portlet.xml");
    std::fs::write(&path, std::fs::read(&path).expect("read")).expect("rewrite");
    reloaded(2);
    assert!(
        std::sync::Arc::ptr_eq(&handle.current(), &before),
        "an unchanged folder is not swapped for a copy of itself"
    );
}

/// A widget folder's descriptors lie at its top: what changes in folders below it
/// (a checkout's `.git`, a linked library) reloads nothing.
#[test]
fn changes_below_a_widget_folders_top_reload_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("notifications");
    copy_widget(Path::new("widget-descriptors/notifications"), &folder);
    let below = folder.join("lib").join("deeper");
    std::fs::create_dir_all(&below).expect("mkdir");
    let handle = CatalogHandle::new(descriptors::load_dir(dir.path()));
    let watcher = by_events(dir.path().to_path_buf(), handle.clone()).expect("watch");
    let deadline = Instant::now() + WAIT;
    while watcher.reloads() < 1 {
        assert!(Instant::now() < deadline, "the catch-up reload");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(400));
    let settled = watcher.reloads();
    for (i, at) in [folder.join("lib"), below]
        .iter()
        .cycle()
        .take(6)
        .enumerate()
    {
        std::fs::write(at.join(format!("file-{i}")), b"x").expect("write");
    }
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        watcher.reloads(),
        settled,
        "a change below the top reloaded"
    );
    // The top still reports.
    let path = folder.join("portlet.xml");
    replace(&path, &std::fs::read(&path).expect("read"));
    reloads_once_more(&watcher, settled, "an edit at the top reloads");
}

#[test]
fn watching_a_directory_whose_parent_is_missing_too_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope").join("widget-descriptors");
    let err =
        descriptors::spawn_watcher(missing, CatalogHandle::default()).expect_err("missing dir");
    assert!(
        err.to_string()
            .contains("cannot watch descriptors directory"),
        "{err}"
    );
}

/// The host serves its built-in widgets while `descriptors_dir` is missing, and the
/// folder's own widgets once it is made, without a restart.
#[test]
fn a_directory_missing_at_start_is_loaded_when_it_is_made() {
    let parent = tempfile::tempdir().expect("tempdir");
    let root = parent.path().join("widget-descriptors");
    let handle = CatalogHandle::new(descriptors::builtin());
    let watcher = by_events(root.clone(), handle.clone()).expect("watch");
    // A second watcher of the same path looks for unevented changes every 200 ms,
    // so that five of its looks pass below: it must not reload either.
    let looking = descriptors::spawn_watcher_looking_every(
        root.clone(),
        CatalogHandle::new(descriptors::builtin()),
        Duration::from_millis(200),
    )
    .expect("watch");
    // No catch-up reload of a folder that is not there, nor a retry: the built-in
    // widgets serve, and no problem is listed.
    std::thread::sleep(Duration::from_millis(1_100));
    assert_eq!((watcher.reloads(), looking.reloads()), (0, 0));
    assert!(handle.current().get("contacts_center").is_some());
    assert!(handle.current().problems.is_empty());
    // A sibling changes nothing.
    std::fs::create_dir(parent.path().join("other")).expect("sibling");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        (watcher.reloads(), looking.reloads()),
        (0, 0),
        "a sibling reloaded the catalog"
    );
    // From here on, events alone: the directory's arrival through its parent's
    // watch, and the new folder's own watch.
    drop(looking);

    // Copied in under another name, then renamed into place.
    let staged = parent.path().join("staged");
    copy_widget(
        Path::new("widget-descriptors/notifications"),
        &staged.join("notifications"),
    );
    std::fs::rename(&staged, &root).expect("move in");
    wait_for(&handle, "the new folder's widgets serve", |c| {
        c.get("contacts_center").is_none() && c.get("notifications").is_some()
    });
    // And the new folder is itself watched.
    copy_widget(
        Path::new("widget-descriptors/contacts-center"),
        &root.join("contacts-center"),
    );
    wait_for(&handle, "a widget added to it serves", |c| {
        c.get("contacts_center").is_some() && c.problems.is_empty()
    });
}

#[test]
fn a_directory_replaced_while_watched_stays_watched() {
    let parent = tempfile::tempdir().expect("tempdir");
    let root = parent.path().join("widget-descriptors");
    copy_widget(
        Path::new("widget-descriptors/notifications"),
        &root.join("notifications"),
    );
    let handle = CatalogHandle::new(descriptors::load_dir(&root));
    let watcher = by_events(root.clone(), handle.clone()).expect("watch");

    // Deleted and made again, as `rm -rf` and a copy do.
    std::fs::remove_dir_all(&root).expect("rm");
    copy_widget(
        Path::new("widget-descriptors/notifications"),
        &root.join("notifications"),
    );
    std::thread::sleep(Duration::from_millis(400));
    copy_widget(
        Path::new("widget-descriptors/contacts-center"),
        &root.join("contacts-center"),
    );
    wait_for(&handle, "a widget added to the new folder serves", |c| {
        c.get("contacts_center").is_some()
            && c.get("notifications").is_some()
            && c.problems.is_empty()
    });

    // Swapped by renames: the folder serving is moved aside and another takes its name.
    let staged = parent.path().join("staged");
    copy_widget(
        Path::new("widget-descriptors/notifications"),
        &staged.join("notifications"),
    );
    std::fs::rename(&root, parent.path().join("old")).expect("move aside");
    std::fs::rename(&staged, &root).expect("move in");
    wait_for(&handle, "the swapped-in folder serves", |c| {
        c.get("contacts_center").is_none() && c.get("notifications").is_some()
    });
    copy_widget(
        Path::new("widget-descriptors/contacts-center"),
        &root.join("contacts-center"),
    );
    wait_for(&handle, "a widget added after the swap serves", |c| {
        c.get("contacts_center").is_some()
    });
    // The folder moved aside is no longer watched: a change there reloads nothing.
    std::thread::sleep(Duration::from_millis(400));
    let settled = watcher.reloads();
    copy_widget(
        Path::new("widget-descriptors/notifications"),
        &parent.path().join("old").join("another"),
    );
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(watcher.reloads(), settled, "the old folder still reports");
    assert!(handle.current().get("contacts_center").is_some());
    // Moved out whole, one change, rather than deleted file by file.
    std::fs::rename(root.join("contacts-center"), parent.path().join("removed"))
        .expect("remove a widget");
    reloads_once_more(&watcher, settled, "a change in the new folder reloads");
}

#[cfg(unix)]
#[test]
fn a_repointed_symbolic_link_is_followed_to_its_new_folder() {
    let parent = tempfile::tempdir().expect("tempdir");
    let (a, b) = (parent.path().join("a"), parent.path().join("b"));
    copy_widget(
        Path::new("widget-descriptors/notifications"),
        &a.join("notifications"),
    );
    std::fs::create_dir_all(&b).expect("mkdir b");
    let root = parent.path().join("widget-descriptors");
    std::os::unix::fs::symlink(&a, &root).expect("link");
    let handle = CatalogHandle::new(descriptors::load_dir(&root));
    let _watcher = descriptors::spawn_watcher(root.clone(), handle.clone()).expect("watch");
    // What `ln -sfn b widget-descriptors` does: a new link renamed over the old one.
    let fresh = parent.path().join("link.tmp");
    std::os::unix::fs::symlink(&b, &fresh).expect("new link");
    std::fs::rename(&fresh, &root).expect("repoint");
    wait_for(&handle, "the empty folder now named serves nothing", |c| {
        c.widgets.is_empty()
    });
    copy_widget(
        Path::new("widget-descriptors/contacts-center"),
        &b.join("contacts-center"),
    );
    wait_for(&handle, "a widget added to the new target serves", |c| {
        c.get("contacts_center").is_some()
    });
}

/// A widget folder that is a link, added while the host runs, is watched at its
/// target; repointed, it is watched at the new one, and the old one no longer counts.
#[cfg(unix)]
#[test]
fn a_linked_widget_folder_is_watched_where_it_points() {
    let parent = tempfile::tempdir().expect("tempdir");
    let root = parent.path().join("widget-descriptors");
    std::fs::create_dir_all(&root).expect("mkdir");
    let handle = CatalogHandle::new(descriptors::load_dir(&root));
    let watcher = by_events(root.clone(), handle.clone()).expect("watch");
    let (v1, v2) = (parent.path().join("v1"), parent.path().join("v2"));
    copy_widget(Path::new("widget-descriptors/notifications"), &v1);
    copy_widget(Path::new("widget-descriptors/notifications"), &v2);
    let link = root.join("notifications");
    std::os::unix::fs::symlink(&v1, &link).expect("link");
    wait_for(&handle, "the linked folder serves", |c| {
        c.get("notifications").is_some()
    });
    let title = |c: &Catalog, t: &str| c.get("notifications").is_some_and(|w| w.display_name == t);
    let retitle = |folder: &Path, to: &str| {
        let path = folder.join("portlet.xml");
        let text = std::fs::read_to_string(&path).expect("read");
        let at = text.find("<display-name>").expect("a display-name") + "<display-name>".len();
        let end = at + text[at..].find('<').expect("its end");
        let text = format!("{}{to}{}", &text[..at], &text[end..]);
        replace(&path, text.as_bytes());
    };
    // An edit inside the link's target: only a watch on the target sees it.
    retitle(&v1, "Edited In Place");
    wait_for(&handle, "an edit in the target reloads", |c| {
        title(c, "Edited In Place")
    });

    // `ln -sfn v2 notifications`: a new link renamed over the old one.
    let fresh = root.join(".notifications.tmp");
    std::os::unix::fs::symlink(&v2, &fresh).expect("new link");
    std::fs::rename(&fresh, &link).expect("repoint");
    wait_for(&handle, "the new target serves", |c| {
        c.get("notifications")
            .is_some_and(|w| w.display_name != "Edited In Place")
    });
    retitle(&v2, "Second Version");
    wait_for(&handle, "an edit in the new target reloads", |c| {
        title(c, "Second Version")
    });
    // The old target is watched no more.
    std::thread::sleep(Duration::from_millis(400));
    let settled = watcher.reloads();
    retitle(&v1, "Old Target");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(watcher.reloads(), settled, "the old target still reports");
    assert!(title(&handle.current(), "Second Version"));
    retitle(&v2, "Third Version");
    reloads_once_more(&watcher, settled, "an edit in the new target reloads");
}

/// A folder deleted and made again under its name, within one burst of changes, is
/// watched again: an edit in it afterwards reloads.
#[test]
fn a_folder_made_again_under_its_name_is_watched_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("notifications");
    copy_widget(Path::new("widget-descriptors/notifications"), &folder);
    let handle = CatalogHandle::new(descriptors::load_dir(dir.path()));
    let watcher = by_events(dir.path().to_path_buf(), handle.clone()).expect("watch");
    wait_for(&handle, "served", |c| c.get("notifications").is_some());
    let settled = watcher.reloads();
    let deadline = Instant::now() + Duration::from_secs(2);
    while watcher.reloads() == settled && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Deleted and copied again at once.
    std::fs::remove_dir_all(&folder).expect("remove");
    copy_widget(Path::new("widget-descriptors/notifications"), &folder);
    std::thread::sleep(Duration::from_millis(600));
    let path = folder.join("portlet.xml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replace("<display-name>Notifications<", "<display-name>Made Again<"),
    )
    .expect("write");
    wait_for(&handle, "an edit in the folder made again reloads", |c| {
        c.get("notifications")
            .is_some_and(|w| w.display_name == "Made Again")
    });
}

/// A linked folder whose target is gone has no watch, and no event says when the
/// target is back: it is looked at again every few seconds.
#[cfg(unix)]
#[test]
fn a_linked_folder_whose_target_comes_back_is_served_again() {
    let parent = tempfile::tempdir().expect("tempdir");
    let root = parent.path().join("widget-descriptors");
    std::fs::create_dir_all(&root).expect("mkdir");
    let target = parent.path().join("release");
    std::os::unix::fs::symlink(&target, root.join("notifications")).expect("link");
    let handle = CatalogHandle::new(descriptors::load_dir(&root));
    assert!(handle.current().get("notifications").is_none());
    let _watcher = descriptors::spawn_watcher(root.clone(), handle.clone()).expect("watch");
    std::thread::sleep(Duration::from_millis(300));
    // The target appears, outside the watched directory.
    let staging = parent.path().join("staging");
    copy_widget(Path::new("widget-descriptors/notifications"), &staging);
    std::fs::rename(&staging, &target).expect("into place");
    let deadline = Instant::now() + descriptors::watch::UNWATCHED_RETRY * 3;
    while handle.current().get("notifications").is_none() {
        assert!(Instant::now() < deadline, "{:?}", handle.current());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `descriptors_dir` under a link that a deploy repoints (`current` → the new
/// release): neither watch hears of it, both on the old release's folders. The new
/// release's widgets serve within a few seconds all the same.
#[cfg(unix)]
#[test]
fn a_link_above_the_directory_repointed_to_a_new_release_is_followed() {
    let parent = tempfile::tempdir().expect("tempdir");
    let (r1, r2) = (parent.path().join("r1"), parent.path().join("r2"));
    copy_widget(
        Path::new("widget-descriptors/notifications"),
        &r1.join("widget-descriptors/notifications"),
    );
    copy_widget(
        Path::new("widget-descriptors/contacts-center"),
        &r2.join("widget-descriptors/contacts-center"),
    );
    let current = parent.path().join("current");
    std::os::unix::fs::symlink(&r1, &current).expect("link");
    let dir = current.join("widget-descriptors");
    let handle = CatalogHandle::new(descriptors::load_dir(&dir));
    assert!(handle.current().get("notifications").is_some());
    let _watcher = descriptors::spawn_watcher(dir.clone(), handle.clone()).expect("watch");
    std::thread::sleep(Duration::from_millis(300));
    // What `ln -sfn r2 current` does.
    let fresh = parent.path().join("current.tmp");
    std::os::unix::fs::symlink(&r2, &fresh).expect("new link");
    std::fs::rename(&fresh, &current).expect("repoint");
    let deadline = Instant::now() + descriptors::watch::UNWATCHED_RETRY * 3;
    while handle.current().get("contacts_center").is_none() {
        assert!(Instant::now() < deadline, "{:?}", handle.current());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(handle.current().get("notifications").is_none());
    // And the new release is watched.
    copy_widget(
        Path::new("widget-descriptors/notifications"),
        &r2.join("widget-descriptors/notifications"),
    );
    wait_for(&handle, "a widget added to the new release serves", |c| {
        c.get("notifications").is_some()
    });
}
