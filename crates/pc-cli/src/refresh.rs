//! Access tokens from the token file: each refresh takes the file's lock, reads the
//! refresh token the file holds now (another `pc` may have rolled it), spends it, and
//! writes the rolled one back before the new access token is used.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use pc_http::{RefreshTokenGrant, Secret, TokenContext, TokenProvider, parse_token_response};

use crate::api::Failure;
use crate::token_file::{self, LOCK_WAIT, SignIn};

/// Why a refresh from the token file failed: the token endpoint's answer (typed, so it
/// keeps its exit code and `invalid_grant`'s advice), or the file itself.
#[derive(Debug)]
pub enum RefreshFailure {
    /// The token endpoint or the transport.
    Library(pc_http::Error),
    /// The file: locked, unreadable, not a sign-in.
    File(Failure),
}

impl From<pc_http::Error> for RefreshFailure {
    fn from(error: pc_http::Error) -> Self {
        Self::Library(error)
    }
}

impl From<Failure> for RefreshFailure {
    fn from(failure: Failure) -> Self {
        Self::File(failure)
    }
}

impl From<RefreshFailure> for Failure {
    fn from(failure: RefreshFailure) -> Self {
        match failure {
            RefreshFailure::Library(error) => error.into(),
            RefreshFailure::File(failure) => failure,
        }
    }
}

/// A token provider over the token file.
pub struct TokenFileProvider {
    path: PathBuf,
    authority: String,
    client_secret: Option<Secret>,
    cache: Mutex<Option<(Secret, Instant)>>,
}

impl std::fmt::Debug for TokenFileProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenFileProvider")
            .field("path", &self.path)
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

impl TokenFileProvider {
    /// Refreshes from `path` at `authority`; `client_secret` for a confidential app.
    pub fn new(path: PathBuf, authority: String, client_secret: Option<Secret>) -> Self {
        Self {
            path,
            authority,
            client_secret,
            cache: Mutex::new(None),
        }
    }

    /// A new access token: under the file's lock, the file's refresh token is spent
    /// and the rolled one (if the endpoint hands one out) written back. A refused
    /// refresh token leaves the file as it is.
    pub fn refresh(&self, ctx: &TokenContext<'_>) -> Result<Secret, RefreshFailure> {
        let _lock = token_file::lock(&self.path, LOCK_WAIT)?;
        let sign_in = token_file::read(&self.path)?.ok_or_else(|| {
            Failure::usage(format!(
                "the token file {} is gone; run `pc auth login`",
                self.path.display()
            ))
        })?;
        let started = ctx.now();
        let grant = RefreshTokenGrant::new(
            &self.authority,
            &sign_in.tenant,
            sign_in.client_id.clone(),
            self.client_secret.clone(),
            sign_in.refresh_token.clone(),
        )?;
        let response = ctx.send(grant.token_request()?)?;
        let answer = parse_token_response(&response)?;
        // Written back even when not rolled: the file's age says when it was last used.
        token_file::write(
            &self.path,
            &SignIn {
                refresh_token: answer
                    .refresh_token
                    .clone()
                    .unwrap_or(sign_in.refresh_token.clone()),
                ..sign_in
            },
        )?;
        *self.slot() = Some((answer.access_token.clone(), answer.refresh_at(started)));
        Ok(answer.access_token)
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<(Secret, Instant)>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TokenProvider for TokenFileProvider {
    fn token(&self, ctx: &TokenContext<'_>) -> Result<Secret, pc_http::Error> {
        if let Some((token, refresh_at)) = self.slot().as_ref()
            && ctx.now() < *refresh_at
        {
            return Ok(token.clone());
        }
        self.refresh(ctx).map_err(|failure| match failure {
            RefreshFailure::Library(error) => error,
            // A later refresh (after an hour, or a 401) that meets a locked or broken
            // file: the library knows no such class, so it says it as a configuration
            // problem.
            RefreshFailure::File(failure) => pc_http::Error::config(failure.message),
        })
    }

    fn invalidate(&self, rejected: &Secret) {
        let mut slot = self.slot();
        if slot.as_ref().is_some_and(|(token, _)| token == rejected) {
            *slot = None;
        }
    }

    fn can_refresh(&self) -> bool {
        true
    }
}
