//! The token file: where `pc auth login` keeps an app+user sign-in, and where every
//! refresh writes the rolled refresh token back.
//!
//! A JSON object (`tenant`, `clientId`, `authority`, `refreshToken`), mode 0600, written
//! to a temporary file in the same folder and renamed over the old one, so a reader
//! never sees half a file. Refreshes take an exclusive lock on `FILE.lock` first (30
//! seconds at most), so two `pc` processes never both spend one refresh token.

use std::fs::{self, OpenOptions};
use std::path::Path;
use std::time::{Duration, SystemTime};

use pc_http::Secret;
use serde::{Deserialize, Serialize};

use crate::exit::Exit;
use crate::exit::Failure;
use crate::lock::{LockError, create_private_dir, lock_path};

/// How long a refresh waits for another `pc` holding the lock.
pub const LOCK_WAIT: Duration = Duration::from_secs(30);
/// A token file older than this gets a warning: the refresh token inside expires after
/// 90 days unused.
pub const STALE_AFTER: Duration = Duration::from_secs(80 * 24 * 60 * 60);

/// An app+user sign-in, as stored.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    /// The tenant signed in to.
    pub tenant: String,
    /// The app (client) id.
    pub client_id: String,
    /// The token authority used, e.g. `https://login.microsoftonline.com`.
    pub authority: String,
    /// The refresh token.
    #[serde(with = "secret_text")]
    pub refresh_token: Secret,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

/// A secret read from and written to JSON as plain text (the file itself is private).
mod secret_text {
    use pc_http::Secret;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(secret.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

/// Reads the token file: `None` when it does not exist. A file readable by group or
/// others, or one that is not the JSON object of a sign-in, is exit 2 naming it (and
/// it is left as it is).
pub fn read(path: &Path) -> Result<Option<SignIn>, Failure> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(Failure::usage(format!(
                "cannot read the token file {}: {error}",
                path.display()
            )));
        }
    };
    check_private(path)?;
    let sign_in: SignIn =
        serde_json::from_slice(pc_models::strip_bom(&bytes)).map_err(|error| {
            Failure::usage(format!(
                "the token file {} is not a pc sign-in (a JSON object with tenant, clientId, \
             authority and refreshToken): {error}; it was left as it is; run `pc auth login` \
             to replace it, or point --token-file elsewhere",
                path.display()
            ))
        })?;
    if [&sign_in.tenant, &sign_in.client_id]
        .iter()
        .any(|text| text.trim().is_empty())
        || sign_in.refresh_token.expose().trim().is_empty()
    {
        return Err(Failure::usage(format!(
            "the token file {} has an empty tenant, clientId or refreshToken; it was left as \
             it is; run `pc auth login` to replace it",
            path.display()
        )));
    }
    Ok(Some(sign_in))
}

/// Like ssh with its keys: a token file others can read is refused.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)
        .map_err(|error| Failure::usage(format!("{}: {error}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Failure::usage(format!(
            "the token file {} can be read by others (mode {:o}); it holds a refresh token: \
             run `chmod 600 {}` and try again",
            path.display(),
            mode & 0o777,
            path.display()
        )));
    }
    Ok(())
}

/// On Windows the folder's ACL is left to keep the file private.
#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), Failure> {
    Ok(())
}

/// Writes the token file safely: parent folders created, a temporary file beside it
/// (a random name, mode 0600, removed if anything fails or `pc` stops first) written
/// and synced, then renamed over the old one.
pub fn write(path: &Path, sign_in: &SignIn) -> Result<(), Failure> {
    let failed = |what: &str, error: std::io::Error| {
        Failure::new(
            Exit::Transport,
            format!("cannot {what} the token file {}: {error}", path.display()),
        )
    };
    let folder = path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty());
    if let Some(folder) = folder {
        create_private_dir(folder).map_err(|error| failed("create the folder of", error))?;
    }
    let mut bytes = serde_json::to_vec_pretty(sign_in)
        .map_err(|error| failed("write", std::io::Error::other(error)))?;
    bytes.push(b'\n');
    crate::lock::replace(path, ".refresh-token.", &bytes).map_err(|error| failed("write", error))
}

/// When the token file was last written, if it exists.
pub fn last_written(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|meta| meta.modified()).ok()
}

/// Deletes the token file (and its lock file); whether there was one.
pub fn remove(path: &Path) -> Result<bool, Failure> {
    let _ = fs::remove_file(lock_path(path));
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(Failure::usage(format!(
            "cannot delete the token file {}: {error}",
            path.display()
        ))),
    }
}

/// An exclusive lock on `FILE.lock`, released when dropped.
pub type Lock = crate::lock::Lock;

/// Takes the token file's lock, waiting at most `wait` for another `pc` to release it
/// (exit 5 saying which file is locked).
pub fn lock(path: &Path, wait: Duration) -> Result<Lock, Failure> {
    let lock = lock_path(path);
    if let Some(folder) = lock
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        let _ = create_private_dir(folder);
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|error| {
            Failure::new(
                Exit::Transport,
                format!("cannot open the lock file {}: {error}", lock.display()),
            )
        })?;
    crate::lock::exclusive(file, wait).map_err(|error| match error {
        LockError::Busy => Failure::new(
            Exit::Transport,
            format!(
                "the token file {} is locked by another pc ({} held for over {}s); \
                 try again when it is done",
                path.display(),
                lock.display(),
                wait.as_secs()
            ),
        ),
        LockError::Failed(error) => Failure::new(
            Exit::Transport,
            format!("cannot lock {}: {error}", lock.display()),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_in(token: &str) -> SignIn {
        SignIn {
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: "app-1".into(),
            authority: "https://login.microsoftonline.com".into(),
            refresh_token: Secret::new(token),
        }
    }

    /// A fresh folder, removed when it is dropped (a failing test's too).
    fn scratch(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("pc-token-file-{name}-"))
            .tempdir()
            .unwrap()
    }

    #[test]
    fn a_sign_ins_debug_names_who_and_where_but_never_the_refresh_token() {
        let shown = format!("{:?}", sign_in("R3freshToken"));
        assert_eq!(
            shown,
            r#"SignIn { tenant: "contoso.onmicrosoft.com", client_id: "app-1", authority: "https://login.microsoftonline.com", .. }"#
        );
    }

    #[test]
    fn written_private_with_its_folders_and_read_back() {
        let scratch = scratch("write");
        let dir = scratch.path();
        let path = dir.join("a/b/refresh-token");
        write(&path, &sign_in("R3fresh")).unwrap();
        let read_back = read(&path).unwrap().unwrap();
        assert_eq!(read_back.refresh_token.expose(), "R3fresh");
        assert_eq!(read_back.client_id, "app-1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#""refreshToken": "R3fresh""#), "{text}");
        write(&path, &sign_in("R0lled")).unwrap();
        assert_eq!(
            read(&path).unwrap().unwrap().refresh_token.expose(),
            "R0lled"
        );
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["refresh-token"], "no temporary file left");
        assert!(!format!("{read_back:?}").contains("R3fresh"));
        assert!(remove(&path).unwrap());
        assert!(!remove(&path).unwrap());
        assert!(read(&path).unwrap().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_or_not_a_sign_in_is_refused_and_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let scratch = scratch("refuse");
        let dir = scratch.path();
        let path = dir.join("refresh-token");
        write(&path, &sign_in("R3fresh")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let failure = read(&path).unwrap_err();
        assert_eq!(failure.exit, Exit::Usage);
        assert!(
            failure
                .message
                .contains(&format!("chmod 600 {}", path.display())),
            "{failure}"
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, b"not json").unwrap();
        let failure = read(&path).unwrap_err();
        assert_eq!(failure.exit, Exit::Usage);
        assert!(
            failure.message.contains(&path.display().to_string()),
            "{failure}"
        );
        assert_eq!(fs::read(&path).unwrap(), b"not json", "left as it is");
    }

    #[test]
    fn a_sign_in_with_an_empty_field_is_refused_and_left_alone() {
        let scratch = scratch("empty");
        let dir = scratch.path();
        let path = dir.join("refresh-token");
        let mut no_tenant = sign_in("R3fresh");
        no_tenant.tenant = " ".into();
        let mut no_client = sign_in("R3fresh");
        no_client.client_id = String::new();
        for (what, stored) in [
            ("tenant", no_tenant),
            ("clientId", no_client),
            ("refreshToken", sign_in(" ")),
        ] {
            write(&path, &stored).unwrap();
            let failure = read(&path).unwrap_err();
            assert_eq!(failure.exit, Exit::Usage, "{what}");
            assert!(
                failure
                    .message
                    .contains("has an empty tenant, clientId or refreshToken"),
                "{what}: {failure}"
            );
            assert!(path.exists(), "{what}: left as it is");
        }
    }

    #[test]
    fn only_a_missing_file_is_no_sign_in_and_nothing_to_delete() {
        let scratch = scratch("missing");
        let dir = scratch.path();
        let path = dir.join("refresh-token");
        assert!(read(&path).unwrap().is_none());
        assert!(!remove(&path).unwrap());
        // A folder where the file should be is an error, never "no sign-in".
        fs::create_dir_all(&path).unwrap();
        let failure = read(&path).unwrap_err();
        assert!(
            failure.message.starts_with("cannot read the token file"),
            "{failure}"
        );
        let failure = remove(&path).unwrap_err();
        assert!(
            failure.message.starts_with("cannot delete the token file"),
            "{failure}"
        );
    }

    #[test]
    fn the_lock_is_exclusive_and_a_wait_is_bounded() {
        let scratch = scratch("lock");
        let dir = scratch.path();
        let path = dir.join("refresh-token");
        let held = lock(&path, LOCK_WAIT).unwrap();
        let failure = lock(&path, Duration::from_millis(200)).unwrap_err();
        assert_eq!(failure.exit, Exit::Transport);
        assert!(
            failure.message.contains("is locked by another pc"),
            "{failure}"
        );
        drop(held);
        assert!(lock(&path, Duration::from_millis(200)).is_ok());
    }
}
