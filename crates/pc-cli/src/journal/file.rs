//! The journal's file: appends under `PATH.lock`, reads, and the one rewrite (prune).
//!
//! Each append takes the lock, then opens the file (never a descriptor opened before
//! the lock), writes the line in one write, syncs and closes it: concurrent `pc`
//! processes never tear or interleave lines, and a prune never loses an append. Both
//! files are opened without following a final symlink and must be the user's.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[cfg(test)]
use pc_models::TrackingId;

use super::jobs::{Contents, Job};
use super::lines::{self, Finished, Line};
use crate::exit::{Exit, Failure};
use crate::lock::{self, Lock, LockError};

/// How long an upload's line waits for the lock.
pub const UPLOAD_LOCK_WAIT: Duration = Duration::from_secs(30);
/// How long an ending waits for the lock: recording one is best effort.
pub const ENDING_LOCK_WAIT: Duration = Duration::from_secs(1);

/// Why the journal could not be read or written.
#[derive(Debug)]
pub enum JournalError {
    /// Another `pc` held the lock for the whole wait.
    Locked {
        /// The journal.
        journal: PathBuf,
        /// Its lock file.
        lock: PathBuf,
        /// How long `pc` waited.
        waited: Duration,
    },
    /// The journal, its folder or its lock cannot be created, read or written.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What failed, naming the file: `write the journal`, `open the journal's lock`.
        doing: String,
        /// Why.
        error: io::Error,
    },
    /// The journal or its lock is a symbolic link, not a file, or not the user's.
    Refused {
        /// Which file: `the journal` or `the journal's lock`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why, as a phrase (`is a symbolic link`).
        why: String,
    },
}

impl JournalError {
    /// The failure a command ends with: a lock not obtained is exit 5 naming the lock;
    /// a journal that cannot be written, or is not the user's, exit 2 naming the file
    /// and `--journal off`.
    pub fn failure(&self) -> Failure {
        match self {
            JournalError::Locked { .. } => Failure::new(Exit::Transport, self.to_string()),
            JournalError::Io { .. } | JournalError::Refused { .. } => Failure::usage(format!(
                "{self}: fix it, point --journal elsewhere, or pass --journal off to keep \
                 no journal"
            )),
        }
    }
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalError::Locked {
                journal,
                lock,
                waited,
            } => write!(
                f,
                "the journal {} is locked by another pc ({} held for over {}s); try again \
                 when it is done",
                journal.display(),
                lock.display(),
                waited.as_secs()
            ),
            JournalError::Io { path, doing, error } => {
                write!(f, "cannot {doing} {}: {error}", path.display())
            }
            JournalError::Refused { what, path, why } => {
                write!(f, "{what} {} {why}", path.display())
            }
        }
    }
}

impl std::error::Error for JournalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JournalError::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// How many jobs a prune dropped and kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// The jobs dropped.
    pub dropped: usize,
    /// The jobs kept.
    pub kept: usize,
    /// The warnings of reading the journal, for stderr.
    pub warnings: Vec<String>,
}

/// The journal at a path, and its lock beside it (`PATH.lock`).
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
    lock: PathBuf,
}

impl Journal {
    /// The journal at `path`, checked before anything is sent: the journal and its lock,
    /// where they exist, must be files (not symbolic links) owned by the user. Nothing
    /// is created: the first append creates the folders (mode 0700) and the files.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, JournalError> {
        let path = path.into();
        let journal = Self {
            lock: lock::lock_path(&path),
            path,
        };
        for (path, what) in [(&journal.path, JOURNAL), (&journal.lock, LOCK)] {
            match std::fs::symlink_metadata(path) {
                Ok(metadata) => check(path, what, &metadata)?,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(io_error(path, format!("open {what}"), error)),
            }
        }
        Ok(journal)
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its lock's path.
    #[cfg(test)]
    pub fn lock_path(&self) -> &Path {
        &self.lock
    }

    /// Appends `line` under the lock, waiting at most `wait` for it
    /// ([`UPLOAD_LOCK_WAIT`] for an upload's lines).
    pub fn append(&self, line: &Line, wait: Duration) -> Result<(), JournalError> {
        let _lock = self.lock(wait)?;
        self.append_locked(line)
    }

    /// Appends a `finished` line unless, under the lock, the journal holds one of its
    /// tracking id already; whether it was appended. `wait` is [`ENDING_LOCK_WAIT`]
    /// for an ending.
    pub fn append_finished(
        &self,
        finished: &Finished,
        wait: Duration,
    ) -> Result<bool, JournalError> {
        let _lock = self.lock(wait)?;
        if self.read_locked()?.has_finished(&finished.tracking_id) {
            return Ok(false);
        }
        self.append_locked(&Line::Finished(finished.clone()))?;
        Ok(true)
    }

    /// Reads the journal (without the lock: appends are single writes): empty when it
    /// does not exist yet.
    pub fn read(&self) -> Result<Contents, JournalError> {
        self.read_locked()
    }

    /// Whether the journal records an ending for `tracking_id` (a read, no lock).
    #[cfg(test)]
    pub fn has_finished(&self, tracking_id: &TrackingId) -> Result<bool, JournalError> {
        Ok(self.read()?.has_finished(tracking_id))
    }

    /// Drops the lines of the jobs `drop` picks: under the lock (waiting at most
    /// `wait`), the kept lines, byte for byte, go to a temporary file in the same folder
    /// (mode 0600) that is synced and renamed over the journal. Lines of no job (those
    /// that cannot be read, events this version does not know) are kept. Nothing is
    /// rewritten when nothing is dropped.
    pub fn prune(
        &self,
        wait: Duration,
        drop: impl FnMut(&Job) -> bool,
    ) -> Result<Pruned, JournalError> {
        let _lock = self.lock(wait)?;
        let contents = self.read_locked()?;
        let (dropped_lines, dropped) = contents.dropped_lines(drop);
        let pruned = Pruned {
            dropped,
            kept: contents.jobs().len() - dropped,
            warnings: contents.warnings().to_vec(),
        };
        if dropped == 0 {
            return Ok(pruned);
        }
        let mut kept = Vec::new();
        for (entry, dropped) in contents.entries().iter().zip(dropped_lines) {
            if !dropped {
                kept.extend_from_slice(&entry.bytes);
                kept.push(b'\n');
            }
        }
        let written = crate::lock::replace(&self.path, ".jobs.", &kept);
        written.map_err(|error| io_error(&self.path, format!("rewrite {JOURNAL}"), error))?;
        Ok(pruned)
    }

    /// The folder the journal lives in.
    fn folder(&self) -> &Path {
        self.path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    /// Takes the lock: its folders created (0700), the lock file opened without
    /// following a symlink and checked, then locked within `wait`.
    fn lock(&self, wait: Duration) -> Result<Lock, JournalError> {
        let folder = self.folder();
        lock::create_private_dir(folder)
            .map_err(|error| io_error(folder, "create the journal's folder".to_owned(), error))?;
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        let file = open(&self.lock, LOCK, &mut options)?;
        lock::exclusive(file, wait).map_err(|error| match error {
            LockError::Busy => JournalError::Locked {
                journal: self.path.clone(),
                lock: self.lock.clone(),
                waited: wait,
            },
            LockError::Failed(error) => io_error(&self.lock, format!("lock {LOCK}"), error),
        })
    }

    /// Appends one line; the caller holds the lock.
    fn append_locked(&self, line: &Line) -> Result<(), JournalError> {
        let mut options = OpenOptions::new();
        options.create(true).read(true).append(true);
        let mut file = open(&self.path, JOURNAL, &mut options)?;
        let written = (|| {
            let mut buffer = Vec::new();
            // A line torn by a crash stays on its own line.
            if file.metadata()?.len() > 0 {
                let mut last = [0u8];
                file.seek(SeekFrom::End(-1))?;
                file.read_exact(&mut last)?;
                if last != *b"\n" {
                    buffer.push(b'\n');
                }
            }
            buffer.extend(lines::to_json(line));
            buffer.push(b'\n');
            file.write_all(&buffer)?;
            file.sync_all()
        })();
        written.map_err(|error| io_error(&self.path, format!("write {JOURNAL}"), error))
    }

    /// Reads the journal; the lock is the caller's business.
    fn read_locked(&self) -> Result<Contents, JournalError> {
        let mut options = OpenOptions::new();
        options.read(true);
        let mut file = match open(&self.path, JOURNAL, &mut options) {
            Ok(file) => file,
            Err(JournalError::Io { error, .. }) if error.kind() == io::ErrorKind::NotFound => {
                return Ok(Contents::default());
            }
            Err(error) => return Err(error),
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|error| io_error(&self.path, format!("read {JOURNAL}"), error))?;
        Ok(Contents::parse(&self.path, &bytes))
    }
}

/// What the messages call the journal's files.
const JOURNAL: &str = "the journal";
const LOCK: &str = "the journal's lock";

/// Doing something (`write the journal`) to `path` failed.
fn io_error(path: &Path, doing: String, error: io::Error) -> JournalError {
    JournalError::Io {
        path: path.to_owned(),
        doing,
        error,
    }
}

/// Opens `path` without following a final symlink (a new file gets mode 0600), then
/// checks what was opened.
fn open(path: &Path, what: &'static str, options: &mut OpenOptions) -> Result<File, JournalError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits().cast_signed());
    }
    let file = options.open(path).map_err(|error| {
        // O_NOFOLLOW fails on a symlink: say so rather than "too many levels".
        match std::fs::symlink_metadata(path) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                refused(path, what, SYMLINK.to_owned())
            }
            _ => io_error(path, format!("open {what}"), error),
        }
    })?;
    let metadata = file
        .metadata()
        .map_err(|error| io_error(path, format!("open {what}"), error))?;
    check(path, what, &metadata)?;
    Ok(file)
}

const SYMLINK: &str = "is a symbolic link; pc does not follow one there";

fn refused(path: &Path, what: &'static str, why: String) -> JournalError {
    JournalError::Refused {
        what,
        path: path.to_owned(),
        why,
    }
}

/// A file (not a symbolic link, not a folder), the user's own.
fn check(
    path: &Path,
    what: &'static str,
    metadata: &std::fs::Metadata,
) -> Result<(), JournalError> {
    if metadata.file_type().is_symlink() {
        return Err(refused(path, what, SYMLINK.to_owned()));
    }
    if !metadata.is_file() {
        return Err(refused(path, what, "is not a file".to_owned()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let user = rustix::process::getuid().as_raw();
        if metadata.uid() != user {
            return Err(refused(
                path,
                what,
                format!(
                    "is owned by uid {}, not by this user (uid {user})",
                    metadata.uid()
                ),
            ));
        }
    }
    Ok(())
}
