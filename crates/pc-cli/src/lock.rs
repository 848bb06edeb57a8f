//! Exclusive file locks waited for a bounded time, and the one way a guarded file is
//! replaced: how two `pc` processes take turns with the token file and the upload
//! journal.
//!
//! A lock lives on its own file, `FILE.lock`, beside the file it guards, so that the
//! guarded file may be replaced by a rename while the lock is held. Closing the lock
//! file releases the lock, so a `pc` that dies never leaves one behind.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a waiting `pc` tries the lock again.
const RETRY_EVERY: Duration = Duration::from_millis(50);

/// The lock file guarding `path`: `PATH.lock`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Replaces `path` with `bytes` in one step for any reader: a temporary file in the
/// same folder (a random name starting with `prefix`, mode 0600, removed if anything
/// fails or `pc` stops first), written and synced, then renamed over `path`, and on
/// unix the folder synced so that the rename itself is on disk.
pub fn replace(path: &Path, prefix: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let folder = path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(prefix)
        .suffix(".tmp")
        .tempfile_in(folder)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    #[cfg(unix)]
    File::open(folder)?.sync_all()?;
    Ok(())
}

/// Creates `folder` and its missing parents, each with mode 0700 on unix (the files
/// beside a lock are private).
pub fn create_private_dir(folder: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(folder)
}

/// An exclusive lock, released when dropped (closing the file releases its lock).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Why a lock was not taken.
#[derive(Debug)]
pub enum LockError {
    /// Another holder kept it for the whole wait.
    Busy,
    /// Locking failed for another reason.
    Failed(std::io::Error),
}

/// Takes an exclusive lock on the open `file`, waiting at most `wait` for another
/// holder to release it.
pub fn exclusive(file: File, wait: Duration) -> Result<Lock, LockError> {
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(TryLockError::WouldBlock) if started.elapsed() < wait => {
                std::thread::sleep(RETRY_EVERY);
            }
            Err(TryLockError::WouldBlock) => return Err(LockError::Busy),
            Err(TryLockError::Error(error)) => return Err(LockError::Failed(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_path_is_the_file_with_lock_appended() {
        assert_eq!(
            lock_path(Path::new("/a/jobs.jsonl")),
            PathBuf::from("/a/jobs.jsonl.lock")
        );
    }

    #[test]
    fn a_lock_is_exclusive_until_dropped_and_a_wait_is_bounded() {
        let scratch = tempfile::TempDir::new().unwrap();
        let path = scratch.path().join("f.lock");
        let open = || File::create(&path).unwrap();
        let held = exclusive(open(), Duration::ZERO).unwrap();
        let started = Instant::now();
        let busy = exclusive(open(), Duration::from_millis(120));
        assert!(matches!(busy, Err(LockError::Busy)), "{busy:?}");
        assert!(started.elapsed() >= Duration::from_millis(120));
        drop(held);
        assert!(exclusive(open(), Duration::ZERO).is_ok());
    }
}
