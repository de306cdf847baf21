//! Folders whose entries must outlive a power cut.
//!
//! A file that is fsynced is safe only once the folder entry that names it is too:
//! on Linux a new name is written out by syncing the folder that holds it. The host
//! creates its data folder, its backups folder and its database file on first use,
//! then acknowledges actions committed to that file; each of those names is synced
//! into its folder before anything written under it counts as durable.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// The folder that holds `path`'s name, whose own sync makes a name in it durable:
/// `.` for a bare file name (`backup nightly.redb`), whose parent is empty.
pub(crate) fn folder_of(path: &Path) -> Option<&Path> {
    path.parent().map(|dir| {
        if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        }
    })
}

/// Writes out the entries of folder `dir`. Some platforms cannot open a folder to
/// sync it; that is not an error, as there is nothing more the host could do.
pub(crate) fn sync_folder(dir: &Path) -> io::Result<()> {
    match File::open(dir).and_then(|d| d.sync_all()) {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
            ) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// Syncs the folder that holds `path`'s name, saying so in the log if it cannot:
/// the file itself is already safe, and only a power cut before the system writes
/// the folder out could still take the name back.
pub(crate) fn sync_name_of(path: &Path) {
    if let Some(dir) = folder_of(path)
        && let Err(error) = sync_folder(dir)
    {
        tracing::warn!(%error, path = %dir.display(), file = %path.display(), "the folder could not be synced: a power cut before the system writes it out may lose the file's name");
    }
}

/// Creates `dir` and the folders above it that are missing, and syncs each new name
/// into the folder above it, so that a folder the host then writes durable files
/// into cannot vanish in a power cut. A sync that fails is logged, not an error:
/// the folder is there, and refusing to start over it would help nobody.
pub fn create_folder(dir: &Path) -> io::Result<()> {
    create_folder_syncing(dir, sync_name_of)
}

/// What a data folder that is a file is told.
pub const A_FILE_NOT_A_FOLDER: &str = "it is a file, not a folder (a data folder is the folder that holds widget-host.redb, not the file)";

fn create_folder_syncing(dir: &Path, mut sync_name: impl FnMut(&Path)) -> io::Result<()> {
    // The database file named where its folder is meant (`--data-dir
    // /var/lib/widget-host/widget-host.redb`): said so, where the system's words would
    // be "File exists".
    if fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            A_FILE_NOT_A_FOLDER,
        ));
    }
    let made = missing_folders(dir);
    owner_only_folders().create(dir)?;
    for folder in made.iter().rev() {
        sync_name(folder);
    }
    Ok(())
}

/// What makes the missing folders: its owner's alone on Unix (0700), whatever the
/// umask. The data folder holds the database, its backups and, for a moment, their
/// copies; one others may write (umask 002) would let them put a database of their
/// own in its place, whose host key they know.
fn owner_only_folders() -> fs::DirBuilder {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
}

/// The permission bits of `path` where any of `shared` (say 0o077, anyone but its
/// owner) is set; `None` where none is, on systems without Unix modes, and where
/// the path cannot be looked at.
pub fn shared_mode(path: &Path, shared: u32) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & shared != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = (path, shared);
        None
    }
}

/// `dir` and the folders above it that do not exist yet, deepest first.
fn missing_folders(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .take_while(|folder| {
            !folder.as_os_str().is_empty() && fs::symlink_metadata(folder).is_err()
        })
        .map(Path::to_path_buf)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_file_name_is_in_the_working_folder() {
        assert_eq!(folder_of(Path::new("nightly.redb")), Some(Path::new(".")));
        assert_eq!(
            folder_of(Path::new("backups/nightly.redb")),
            Some(Path::new("backups"))
        );
        assert_eq!(folder_of(Path::new("/")), None);
    }

    #[test]
    fn only_the_folders_not_there_yet_are_made_and_synced() {
        let root = tempfile::tempdir().expect("tempdir");
        let deep = root.path().join("a/b/c");
        assert_eq!(
            missing_folders(&deep),
            vec![deep.clone(), root.path().join("a/b"), root.path().join("a")]
        );
        let mut synced = Vec::new();
        create_folder_syncing(&deep, |folder| synced.push(folder.to_path_buf())).expect("create");
        assert!(deep.is_dir());
        // Each made its owner's alone, whatever the umask (tests run under 022).
        #[cfg(unix)]
        for made in [root.path().join("a"), root.path().join("a/b"), deep.clone()] {
            assert_eq!(shared_mode(&made, 0o777), Some(0o700), "{}", made.display());
            assert_eq!(shared_mode(&made, 0o077), None, "{}", made.display());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = deep.join("f");
            fs::write(&file, "").expect("file");
            fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).expect("chmod");
            assert_eq!(shared_mode(&file, 0o077), Some(0o640));
            assert_eq!(shared_mode(&file, 0o007), None);
            assert_eq!(shared_mode(&deep.join("none"), 0o077), None);
        }
        // Each new name is synced into the folder that holds it, from the top down.
        assert_eq!(
            synced,
            vec![root.path().join("a"), root.path().join("a/b"), deep.clone()]
        );
        assert!(missing_folders(&deep).is_empty());
        // A folder that exists already is left as it is, and nothing is synced.
        synced.clear();
        create_folder_syncing(&deep, |folder| synced.push(folder.to_path_buf())).expect("again");
        assert!(synced.is_empty(), "{synced:?}");
        assert_eq!(missing_folders(&deep.join("d")), vec![deep.join("d")]);
        // A relative folder stops at the working folder, which is never made.
        assert_eq!(
            missing_folders(Path::new("no-such-folder-here/x")),
            vec![
                PathBuf::from("no-such-folder-here/x"),
                PathBuf::from("no-such-folder-here")
            ]
        );
    }

    #[test]
    fn a_file_in_the_way_is_an_error() {
        let root = tempfile::tempdir().expect("tempdir");
        let file = root.path().join("taken");
        fs::write(&file, b"x").expect("write");
        let e = create_folder(&file.join("data")).expect_err("a file is not a folder");
        assert_eq!(e.kind(), io::ErrorKind::NotADirectory, "{e}");
        assert!(file.is_file());
    }

    #[test]
    fn a_folder_syncs_and_a_missing_one_is_an_error() {
        let root = tempfile::tempdir().expect("tempdir");
        sync_folder(root.path()).expect("sync");
        let e = sync_folder(&root.path().join("gone")).expect_err("missing");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
