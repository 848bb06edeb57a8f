//! Access tokens from the token file: each refresh takes the file's lock, reads the
//! refresh token the file holds now (another `pc` may have rolled it), spends it, and
//! writes the rolled one back before the new access token is used.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use pc_http::{RefreshTokenGrant, Secret, TokenContext, TokenProvider, parse_token_response};

use crate::exit::Failure;
use crate::signin::token_file::{self, LOCK_WAIT, SignIn};

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
    lock_wait: Duration,
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
            lock_wait: LOCK_WAIT,
        }
    }

    /// How long a refresh waits for another `pc` to release the file's lock.
    #[cfg(test)]
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// A new access token: under the file's lock, the file's refresh token is spent
    /// and the rolled one (if the endpoint hands one out) written back. A refused
    /// refresh token leaves the file as it is.
    pub fn refresh(&self, ctx: &TokenContext<'_>) -> Result<Secret, RefreshFailure> {
        let _lock = token_file::lock(&self.path, self.lock_wait)?;
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
            // A refresh (at start, after an hour, or on a 401) that meets a locked or
            // broken file: the provider's own failure, which comes back to `pc` as it
            // is, with its exit code.
            RefreshFailure::File(failure) => pc_http::Error::token_provider(failure),
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

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use pc_http::testing::{FakeClock, ScriptedTransport};
    use pc_http::{ClientOptions, Pipeline};

    use super::*;

    /// The authority of [`token_file`]'s sign-in.
    pub(crate) const AUTHORITY: &str = "https://login.example.invalid";

    /// A token file holding a sign-in, in a fresh folder (removed when the first
    /// value is dropped) named after `name`.
    pub(crate) fn token_file(name: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::Builder::new()
            .prefix(&format!("pc-refresh-{name}-"))
            .tempdir()
            .unwrap();
        let path = dir.path().join("refresh-token");
        let sign_in = SignIn {
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: "app-1".into(),
            authority: AUTHORITY.into(),
            refresh_token: Secret::new("R3fresh"),
        };
        token_file::write(&path, &sign_in).unwrap();
        (dir, path)
    }

    fn token_answer(access: &str) -> String {
        format!(r#"{{"access_token":"{access}","expires_in":600,"refresh_token":"R0lled"}}"#)
    }

    fn pipeline(transport: &ScriptedTransport, clock: &FakeClock, path: PathBuf) -> Pipeline {
        let provider = TokenFileProvider::new(path, AUTHORITY.into(), None);
        let options = ClientOptions {
            base_url: "https://api.example.invalid".parse().unwrap(),
            ..ClientOptions::default()
        };
        Pipeline::new(transport.clone(), provider, options)
            .unwrap()
            .with_clock(clock.clone())
            .with_sleep(clock.clone())
    }

    fn bearers(transport: &ScriptedTransport) -> Vec<String> {
        transport
            .requests()
            .iter()
            .map(|request| {
                request.headers().get("authorization").map_or_else(
                    || format!("token request to {}", request.uri().path()),
                    |value| value.to_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn a_token_is_used_until_five_minutes_before_it_expires_and_not_at_that_moment() {
        let (_dir, path) = token_file("cache");
        let transport = ScriptedTransport::new();
        transport
            .push_json(200, &token_answer("first"))
            .push_json(200, "{}")
            .push_json(200, "{}")
            .push_json(200, &token_answer("second"))
            .push_json(200, "{}");
        let clock = FakeClock::new();
        let pipeline = pipeline(&transport, &clock, path.clone());
        pipeline.get("/v1/x").unwrap();
        // 600 s: replaced at 300 s.
        clock.advance(Duration::from_secs(299));
        pipeline.get("/v1/x").unwrap();
        clock.advance(Duration::from_secs(1));
        pipeline.get("/v1/x").unwrap();
        let token_request = "token request to /contoso.onmicrosoft.com/oauth2/token";
        assert_eq!(
            bearers(&transport),
            [
                token_request,
                "Bearer first",
                "Bearer first",
                token_request,
                "Bearer second"
            ]
        );
        let stored = token_file::read(&path).unwrap().unwrap();
        assert_eq!(stored.refresh_token.expose(), "R0lled");
    }

    #[test]
    fn a_refused_token_is_forgotten_and_replaced_once() {
        let transport = ScriptedTransport::new();
        transport
            .push_json(200, &token_answer("first"))
            .push_status(401)
            .push_json(200, &token_answer("second"))
            .push_json(200, "{}");
        let (_dir, path) = token_file("refused");
        let pipeline = pipeline(&transport, &FakeClock::new(), path);
        pipeline.get("/v1/x").unwrap();
        let seen = bearers(&transport);
        assert_eq!(seen[1], "Bearer first");
        assert_eq!(seen[3], "Bearer second");
        // Another token than the one held is not a reason to forget it.
        let (_other, path) = token_file("other");
        let provider = TokenFileProvider::new(path, AUTHORITY.into(), None);
        *provider.slot() = Some((
            Secret::new("held"),
            Instant::now() + Duration::from_secs(60),
        ));
        TokenProvider::invalidate(&provider, &Secret::new("another"));
        assert!(provider.slot().is_some());
        TokenProvider::invalidate(&provider, &Secret::new("held"));
        assert!(provider.slot().is_none());
    }

    #[test]
    fn its_debug_names_the_file_and_authority_and_no_secret() {
        let (_dir, path) = token_file("debug");
        let provider =
            TokenFileProvider::new(path.clone(), AUTHORITY.into(), Some(Secret::new("S3cret")));
        let shown = format!("{provider:?}");
        assert!(shown.starts_with("TokenFileProvider"), "{shown}");
        assert!(shown.contains(&format!("{path:?}")), "{shown}");
        assert!(shown.contains(AUTHORITY), "{shown}");
        assert!(!shown.contains("S3cret"), "{shown}");
    }
}
