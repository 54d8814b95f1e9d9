//! Files written safely: whole or not at all, with the permissions asked for, through a
//! symlink to its target, and under a lock where a file is read, changed and written back.
//!
//! A file is written to a temporary name in its own folder, flushed, renamed over the old one
//! and the folder flushed too, so a crash or a full disk leaves the old file or the new one,
//! never half of one, and a reader never sees a partial file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where writing `path` must go: the file a symlink points to (so `dwh.cfg -> ~/secrets/dwh.cfg`
/// stays a symlink and the secrets stay where the user keeps them), else `path` itself.
pub fn target(path: &Path) -> std::io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    // A chain of links, bounded as the kernel bounds it (ELOOP after 40).
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
            }
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(path),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

/// The folder a file is in, `.` for a bare name.
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A name beside `path` that no other writer (thread or process) uses at the same time. It
/// starts with a dot, so a load of the folder skips it as a hidden file should a crash leave
/// it behind.
pub fn temporary_name(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    folder(path).join(format!(
        ".{name}.sparkify-tmp-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Replaces the file at `path` (or, for a symlink, its target) with `bytes`, atomically, with
/// permissions `mode` from the first byte on. `write` fills the temporary file.
pub fn replace_with(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let path = target(path)?;
    // A device or a pipe (`--out /dev/stdout`, a FIFO) is written into, as before: renaming
    // over it would replace the device node with a plain file.
    if std::fs::metadata(&path).is_ok_and(|m| !m.is_file()) {
        let mut f = OpenOptions::new().write(true).truncate(true).open(&path)?;
        write(&mut f)?;
        return f.flush();
    }
    let tmp = temporary_name(&path);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have cleared bits of `mode`; set exactly what was asked.
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        write(&mut f)?;
        f.flush()?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        sync_folder(folder(&path))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// [`replace_with`] for bytes already in memory.
pub fn replace(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    replace_with(path, mode, |f| f.write_all(bytes))
}

/// Writes data that can be made again (generated files): to a temporary name, then renamed, so
/// a reader (a load running beside `generate`) or a killed run never meets half a file under
/// the final name, and a file hard-linked elsewhere (`cp -al`) is replaced, not overwritten.
/// Not flushed to disk one by one: that would cost a sync per file for data a rerun rewrites.
pub fn publish(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temporary_name(path);
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Flushes a folder's entries, so a rename into it survives a crash.
pub fn sync_folder(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// An exclusive lock on the folder of a file, held until dropped: read-modify-write of that
/// file by two processes (two `infra up`) happens one after the other. The folder is locked
/// rather than the file because the file is replaced by a rename, and rather than a lock file
/// so nothing is left behind; the kernel releases it when the process ends, however it ends.
pub struct FolderLock {
    _dir: File,
}

/// Waits for [`FolderLock`] on the folder `path` is in (its symlink target's folder).
pub fn lock_folder_of(path: &Path) -> std::io::Result<FolderLock> {
    use std::os::fd::AsRawFd;
    let path = target(path)?;
    let dir = File::open(folder(&path))?;
    loop {
        // SAFETY: flock on a descriptor this function owns; no memory is passed.
        let rc = unsafe { libc::flock(dir.as_raw_fd(), libc::LOCK_EX) };
        if rc == 0 {
            return Ok(FolderLock { _dir: dir });
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_stays_a_symlink_and_its_target_gets_the_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("real")).unwrap();
        let real = tmp.path().join("real/dwh.cfg");
        std::fs::write(&real, "old").unwrap();
        let link = tmp.path().join("dwh.cfg");
        std::os::unix::fs::symlink("real/dwh.cfg", &link).unwrap();
        replace(&link, b"new", 0o600).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Nothing is left beside either.
        assert_eq!(
            std::fs::read_dir(tmp.path().join("real")).unwrap().count(),
            1
        );
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_device_is_written_into_not_replaced() {
        // /dev/null stays the device: renaming over it would need root and break the system.
        replace(Path::new("/dev/null"), b"x", 0o600).unwrap();
        let err = replace(Path::new("/dev/full"), b"x", 0o600).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28), "{err}");
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::metadata("/dev/full")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary_one() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("report.html");
        std::fs::write(&path, "old").unwrap();
        let err = replace_with(&path, 0o600, |f| {
            f.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
