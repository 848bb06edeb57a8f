//! Where bearer tokens come from: a static token, the client-credentials grant, the
//! refresh-token grant, or anything implementing [`TokenProvider`] /
//! [`AsyncTokenProvider`].
//!
//! The grants are sans-IO at heart ([`ClientCredentials::token_request`],
//! [`parse_token_response`]); they send through the pipeline's own transport, so token
//! requests obey the same timeout and retry rules as API calls.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, Uri};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::driver::{AsyncTokenProvider, TokenProvider};
use crate::endpoint::{PARTNER_CENTER_RESOURCE, check_uri};
use crate::{AsyncTokenContext, Cloud, Error, Secret, TokenContext};

/// A bearer token used as it is (`PARTNER_CENTER_ACCESS_TOKEN`). Never refreshed.
#[derive(Debug, Clone)]
pub struct StaticToken(Secret);

impl StaticToken {
    /// Wraps a token.
    pub fn new(token: impl Into<Secret>) -> Self {
        Self(token.into())
    }
}

impl TokenProvider for StaticToken {
    fn token(&self, _ctx: &TokenContext<'_>) -> Result<Secret, Error> {
        Ok(self.0.clone())
    }
}

#[async_trait]
impl AsyncTokenProvider for StaticToken {
    async fn token(&self, _ctx: &AsyncTokenContext<'_>) -> Result<Secret, Error> {
        Ok(self.0.clone())
    }
}

/// A token endpoint's successful answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: Secret,
    /// Its lifetime, when given: `expires_in`, seconds as a number (integer or not) or
    /// as a string holding one. A value that is none of these (negative, not a number)
    /// is treated as absent, never as a failed sign-in.
    pub expires_in: Option<Duration>,
    /// A new refresh token, when the endpoint rolled it.
    pub refresh_token: Option<Secret>,
    /// `token_type`, normally `Bearer`.
    pub token_type: Option<String>,
}

impl TokenResponse {
    /// When a token from this answer, fetched at `fetched_at`, should be replaced: five
    /// minutes before it expires (half-way for a short lifetime), five minutes assumed
    /// when the endpoint does not say, and at most a day whatever it says, so an
    /// absurd `expires_in` never overflows the clock. The rule of this crate's own
    /// providers, for one written elsewhere.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let answer = http::Response::new(br#"{"access_token":"t","expires_in":3599}"#.to_vec());
    /// let token = pc_http::parse_token_response(&answer)?;
    /// let fetched = Instant::now();
    /// assert_eq!(token.refresh_at(fetched), fetched + Duration::from_secs(3599 - 300));
    /// # Ok::<(), pc_http::Error>(())
    /// ```
    pub fn refresh_at(&self, fetched_at: Instant) -> Instant {
        refresh_at(self.expires_in, fetched_at)
    }
}

fn refresh_at(lifetime: Option<Duration>, fetched_at: Instant) -> Instant {
    let lifetime = lifetime
        .unwrap_or(ASSUMED_LIFETIME)
        .min(MAX_CACHED_LIFETIME);
    fetched_at
        .checked_add(lifetime.saturating_sub(refresh_margin(lifetime)))
        .unwrap_or(fetched_at)
}

/// Reads a token endpoint's successful answer.
pub fn parse_token_response(response: &http::Response<Vec<u8>>) -> Result<TokenResponse, Error> {
    let value: serde_json::Value = pc_models::from_slice(response.body())
        .map_err(|error| Error::malformed(response, error.to_string()))?;
    let field = |key: &str| match value.get(key) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let access_token = field("access_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::malformed(response, "the token answer has no access_token"))?;
    let expires_in = value.get("expires_in").and_then(lifetime);
    Ok(TokenResponse {
        access_token: Secret::new(access_token),
        expires_in,
        refresh_token: field("refresh_token")
            .filter(|t| !t.is_empty())
            .map(Secret::new),
        token_type: field("token_type"),
    })
}

/// Reads `expires_in`: a number of seconds, integer or not, or a string holding one.
fn lifetime(value: &serde_json::Value) -> Option<Duration> {
    let seconds = match value {
        serde_json::Value::Number(number) => number.as_f64()?,
        serde_json::Value::String(text) => text.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

/// How long before expiry a cached token is replaced.
fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 2).min(Duration::from_secs(300))
}

/// The lifetime assumed when the endpoint does not say.
const ASSUMED_LIFETIME: Duration = Duration::from_secs(300);

/// The longest a token is cached, whatever lifetime the endpoint states.
const MAX_CACHED_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The cached token, and the gates that let one fetch run at a time: callers that find
/// the cache empty while a fetch is under way wait for it and take its token, so
/// concurrent calls (and concurrent `401`s) cause one token request, not one each. A
/// refresh token that rolls on use would otherwise be spent twice.
#[derive(Default)]
struct TokenCache {
    slot: Mutex<Option<(Secret, Instant)>>,
    blocking_fetch: Mutex<()>,
    async_fetch: gate::Gate,
}

impl TokenCache {
    fn lock(&self) -> MutexGuard<'_, Option<(Secret, Instant)>> {
        match self.slot.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn fresh(&self, now: Instant) -> Option<Secret> {
        match &*self.lock() {
            Some((token, refresh_at)) if now < *refresh_at => Some(token.clone()),
            _ => None,
        }
    }

    fn store(&self, token: Secret, lifetime: Option<Duration>, fetched_at: Instant) {
        *self.lock() = Some((token, refresh_at(lifetime, fetched_at)));
    }

    fn forget(&self, rejected: &Secret) {
        let mut slot = self.lock();
        if slot.as_ref().is_some_and(|(t, _)| t == rejected) {
            *slot = None;
        }
    }
}

/// Characters escaped in a form value or a path segment.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(crate) fn form_body(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, FORM)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// `{authority}/{tenant}/oauth2/token`, checked like every URL.
fn token_url(authority: &str, tenant: &str) -> Result<Uri, Error> {
    oauth2_url(authority, tenant, "token")
}

/// `{authority}/{tenant}/oauth2/{endpoint}`, checked like every URL.
pub(crate) fn oauth2_url(authority: &str, tenant: &str, endpoint: &str) -> Result<Uri, Error> {
    if tenant.trim().is_empty() {
        return Err(Error::config("the tenant id is empty"));
    }
    let url = format!(
        "{}/{}/oauth2/{endpoint}",
        authority.trim().trim_end_matches('/'),
        utf8_percent_encode(tenant.trim(), FORM)
    );
    let uri: Uri = url
        .parse()
        .map_err(|e| Error::config(format!("the authority {authority:?} is not a URL: {e}")))?;
    check_uri(&uri).map_err(Error::Config)?;
    Ok(uri)
}

pub(crate) fn form_request(uri: &Uri, body: Vec<u8>) -> Result<http::Request<Vec<u8>>, Error> {
    http::Request::builder()
        .method(Method::POST)
        .uri(uri.clone())
        .header(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        )
        .body(body)
        .map_err(|e| Error::config(format!("token request: {e}")))
}

/// A token grant: the request to send, and what to do with the answer.
trait Grant: Send + Sync {
    fn request(&self) -> Result<http::Request<Vec<u8>>, Error>;
    fn accept(&self, _answer: &TokenResponse) {}
    fn cache(&self) -> &TokenCache;
}

/// Both token-provider traits for a grant: fetch through its cache, forget a rejected
/// token, always refreshable.
macro_rules! grant_token_providers {
    ($grant:ty) => {
        impl TokenProvider for $grant {
            fn token(&self, ctx: &TokenContext<'_>) -> Result<Secret, Error> {
                fetch_blocking(self, ctx)
            }

            fn invalidate(&self, rejected: &Secret) {
                self.cache().forget(rejected);
            }

            fn can_refresh(&self) -> bool {
                true
            }
        }

        #[async_trait]
        impl AsyncTokenProvider for $grant {
            async fn token(&self, ctx: &AsyncTokenContext<'_>) -> Result<Secret, Error> {
                fetch_async(self, ctx).await
            }

            fn invalidate(&self, rejected: &Secret) {
                self.cache().forget(rejected);
            }

            fn can_refresh(&self) -> bool {
                true
            }
        }
    };
}

fn fetch_blocking(grant: &dyn Grant, ctx: &TokenContext<'_>) -> Result<Secret, Error> {
    if let Some(token) = grant.cache().fresh(ctx.now()) {
        return Ok(token);
    }
    let _one_fetch = match grant.cache().blocking_fetch.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    // Another caller may have fetched while this one waited.
    let started = ctx.now();
    if let Some(token) = grant.cache().fresh(started) {
        return Ok(token);
    }
    let response = ctx.send(grant.request()?)?;
    finish_fetch(grant, &response, started)
}

async fn fetch_async(grant: &dyn Grant, ctx: &AsyncTokenContext<'_>) -> Result<Secret, Error> {
    if let Some(token) = grant.cache().fresh(ctx.now()) {
        return Ok(token);
    }
    let _one_fetch = grant.cache().async_fetch.enter().await;
    // Another task may have fetched while this one waited.
    let started = ctx.now();
    if let Some(token) = grant.cache().fresh(started) {
        return Ok(token);
    }
    let response = ctx.send(grant.request()?).await?;
    finish_fetch(grant, &response, started)
}

/// A gate one task passes at a time, for any async runtime (std only): a waiting task
/// is woken when the task inside leaves, whether it finished or was dropped.
mod gate {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Mutex, MutexGuard};
    use std::task::{Context, Poll, Waker};

    #[derive(Default)]
    pub(super) struct Gate {
        state: Mutex<State>,
    }

    #[derive(Default)]
    struct State {
        taken: bool,
        waiting: Vec<Waker>,
    }

    impl Gate {
        fn state(&self) -> MutexGuard<'_, State> {
            match self.state.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            }
        }

        /// Waits until the gate is free and passes it; leaving is dropping the pass.
        pub(super) fn enter(&self) -> Enter<'_> {
            Enter { gate: self }
        }
    }

    pub(super) struct Enter<'a> {
        gate: &'a Gate,
    }

    impl<'a> Future for Enter<'a> {
        type Output = Pass<'a>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Pass<'a>> {
            let mut state = self.gate.state();
            if state.taken {
                if !state
                    .waiting
                    .iter()
                    .any(|waker| waker.will_wake(cx.waker()))
                {
                    state.waiting.push(cx.waker().clone());
                }
                return Poll::Pending;
            }
            state.taken = true;
            Poll::Ready(Pass { gate: self.gate })
        }
    }

    /// Inside the gate until dropped.
    pub(super) struct Pass<'a> {
        gate: &'a Gate,
    }

    impl Drop for Pass<'_> {
        fn drop(&mut self) {
            let waiting = {
                let mut state = self.gate.state();
                state.taken = false;
                std::mem::take(&mut state.waiting)
            };
            // Every waiter tries again; one passes, the others wait anew.
            waiting.into_iter().for_each(Waker::wake);
        }
    }
}

fn finish_fetch(
    grant: &dyn Grant,
    response: &http::Response<Vec<u8>>,
    started: Instant,
) -> Result<Secret, Error> {
    let answer = parse_token_response(response)?;
    grant.accept(&answer);
    grant
        .cache()
        .store(answer.access_token.clone(), answer.expires_in, started);
    tracing::debug!(
        expires_in_s = answer.expires_in.map(|d| d.as_secs()),
        "fetched a new access token"
    );
    Ok(answer.access_token)
}

/// App-only tokens: the client-credentials grant against
/// `{authority}/{tenant}/oauth2/token`, cached until shortly before expiry and fetched
/// anew once when the API answers `401`.
///
/// ```
/// use pc_http::{ClientCredentials, Cloud, Secret};
///
/// let creds = ClientCredentials::new(Cloud::Global.authority(), "contoso.onmicrosoft.com", "app-id", Secret::new("s3cret"))?;
/// let request = creds.token_request()?;
/// assert_eq!(request.uri(), "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/token");
/// assert!(!format!("{creds:?}").contains("s3cret"));
/// # Ok::<(), pc_http::Error>(())
/// ```
pub struct ClientCredentials {
    uri: Uri,
    client_id: String,
    client_secret: Secret,
    resource: String,
    cache: TokenCache,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.uri.to_string())
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    /// Credentials for `tenant` at `authority` (`https://login.microsoftonline.com`;
    /// plain http only to a loopback host).
    pub fn new(
        authority: &str,
        tenant: &str,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> Result<Self, Error> {
        Ok(Self {
            uri: token_url(authority, tenant)?,
            client_id: client_id.into(),
            client_secret,
            resource: PARTNER_CENTER_RESOURCE.to_owned(),
            cache: TokenCache::default(),
        })
    }

    /// Credentials at a cloud's authority.
    pub fn for_cloud(
        cloud: Cloud,
        tenant: &str,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> Result<Self, Error> {
        Self::new(cloud.authority(), tenant, client_id, client_secret)
    }

    /// Asks for tokens for another resource (default `https://api.partnercenter.microsoft.com`).
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = resource.into();
        self
    }

    /// The token request (pure): a form `POST` to the token URL.
    pub fn token_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        let body = form_body(&[
            ("grant_type", "client_credentials"),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose()),
            ("resource", &self.resource),
        ]);
        form_request(&self.uri, body)
    }
}

impl Grant for ClientCredentials {
    fn request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        self.token_request()
    }

    fn cache(&self) -> &TokenCache {
        &self.cache
    }
}

grant_token_providers!(ClientCredentials);

/// A callback told about each new refresh token the endpoint hands out.
pub type RefreshTokenCallback = Arc<dyn Fn(&Secret) + Send + Sync>;

/// App+user tokens: the refresh-token grant (`grant_type=refresh_token`).
///
/// When the endpoint answers with a new refresh token it replaces the old one in
/// memory; [`refresh_token`](Self::refresh_token) reads it and
/// [`on_new_refresh_token`](Self::on_new_refresh_token) is told, so a caller can persist it.
pub struct RefreshTokenGrant {
    uri: Uri,
    client_id: String,
    client_secret: Option<Secret>,
    resource: String,
    refresh_token: Mutex<Secret>,
    on_new: Option<RefreshTokenCallback>,
    cache: TokenCache,
}

impl fmt::Debug for RefreshTokenGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshTokenGrant")
            .field("token_url", &self.uri.to_string())
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("refresh_token", &Secret::default())
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

impl RefreshTokenGrant {
    /// A refresh-token grant for `tenant` at `authority`; `client_secret` for a
    /// confidential app.
    pub fn new(
        authority: &str,
        tenant: &str,
        client_id: impl Into<String>,
        client_secret: Option<Secret>,
        refresh_token: Secret,
    ) -> Result<Self, Error> {
        Ok(Self {
            uri: token_url(authority, tenant)?,
            client_id: client_id.into(),
            client_secret,
            resource: PARTNER_CENTER_RESOURCE.to_owned(),
            refresh_token: Mutex::new(refresh_token),
            on_new: None,
            cache: TokenCache::default(),
        })
    }

    /// Asks for tokens for another resource.
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = resource.into();
        self
    }

    /// Calls `callback` with each new refresh token (to write it back to a token file).
    pub fn on_new_refresh_token(
        mut self,
        callback: impl Fn(&Secret) + Send + Sync + 'static,
    ) -> Self {
        self.on_new = Some(Arc::new(callback));
        self
    }

    /// The current refresh token (the latest one the endpoint handed out).
    pub fn refresh_token(&self) -> Secret {
        match self.refresh_token.lock() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The token request (pure): a form `POST` with the current refresh token.
    pub fn token_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        let refresh = self.refresh_token();
        let mut pairs = vec![
            ("grant_type", "refresh_token"),
            ("client_id", self.client_id.as_str()),
            ("refresh_token", refresh.expose()),
            ("resource", self.resource.as_str()),
        ];
        if let Some(secret) = &self.client_secret {
            pairs.push(("client_secret", secret.expose()));
        }
        form_request(&self.uri, form_body(&pairs))
    }
}

impl Grant for RefreshTokenGrant {
    fn request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        self.token_request()
    }

    fn accept(&self, answer: &TokenResponse) {
        let Some(new) = &answer.refresh_token else {
            return;
        };
        {
            let mut slot = match self.refresh_token.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            if *slot == *new {
                return;
            }
            *slot = new.clone();
        }
        if let Some(callback) = &self.on_new {
            callback(new);
        }
    }

    fn cache(&self) -> &TokenCache {
        &self.cache
    }
}

grant_token_providers!(RefreshTokenGrant);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn answer(body: &str) -> http::Response<Vec<u8>> {
        http::Response::new(body.as_bytes().to_vec())
    }

    #[test]
    fn expires_in_is_read_as_a_number_a_float_or_a_string() {
        let cases = [
            (r#""3599""#, Some(Duration::from_secs(3599))),
            ("3599", Some(Duration::from_secs(3599))),
            ("3599.0", Some(Duration::from_secs(3599))),
            ("3599.5", Some(Duration::from_millis(3_599_500))),
            (r#"" 3599.5 ""#, Some(Duration::from_millis(3_599_500))),
            ("3.599e3", Some(Duration::from_secs(3599))),
            // Odd values never fail the sign-in: the lifetime is then unknown.
            ("-1", None),
            (r#""soon""#, None),
            ("null", None),
            ("true", None),
            ("[3599]", None),
        ];
        for (expires_in, expected) in cases {
            let body = format!(r#"{{"access_token":"t","expires_in":{expires_in}}}"#);
            let token = parse_token_response(&answer(&body)).unwrap();
            assert_eq!(token.expires_in, expected, "{expires_in}");
        }
        let token = parse_token_response(&answer(r#"{"access_token":"t"}"#)).unwrap();
        assert_eq!(token.expires_in, None);
    }

    #[test]
    fn a_token_given_as_a_number_is_read_as_its_digits() {
        let token = parse_token_response(&answer(
            r#"{"access_token":12345,"refresh_token":678,"token_type":"Bearer"}"#,
        ))
        .unwrap();
        assert_eq!(token.access_token.expose(), "12345");
        assert_eq!(token.refresh_token.unwrap().expose(), "678");
        assert_eq!(token.token_type.as_deref(), Some("Bearer"));
        for refused in [r#"{"access_token":""}"#, r#"{"access_token":null}"#, "{}"] {
            assert!(parse_token_response(&answer(refused)).is_err(), "{refused}");
        }
    }

    #[test]
    fn a_cached_token_is_fresh_until_its_refresh_time_and_not_at_it() {
        let cache = TokenCache::default();
        let fetched = Instant::now();
        // 600 s: replaced 300 s before expiry, so at 300 s exactly.
        cache.store(Secret::new("t"), Some(Duration::from_secs(600)), fetched);
        let at = |secs| fetched + Duration::from_secs(secs);
        assert!(cache.fresh(at(299)).is_some());
        assert!(cache.fresh(at(300)).is_none());
        // No lifetime given: five minutes assumed, replaced half-way.
        cache.store(Secret::new("t"), None, fetched);
        assert!(cache.fresh(at(149)).is_some());
        assert!(cache.fresh(at(150)).is_none());
        // Any longer lifetime is cut to a day, replaced five minutes before.
        cache.store(
            Secret::new("t"),
            Some(Duration::from_secs(u64::MAX)),
            fetched,
        );
        assert!(cache.fresh(at(24 * 3600 - 301)).is_some());
        assert!(cache.fresh(at(24 * 3600 - 300)).is_none());
    }

    #[test]
    fn the_grants_debug_names_where_and_who_but_no_secret() {
        let credentials = ClientCredentials::new(
            "https://login.example.invalid",
            "tenant-1",
            "client-1",
            Secret::new("S3cretValue"),
        )
        .unwrap();
        let refresh = RefreshTokenGrant::new(
            "https://login.example.invalid",
            "tenant-1",
            "client-1",
            Some(Secret::new("S3cretValue")),
            Secret::new("Refr3shValue"),
        )
        .unwrap();
        for (shown, name) in [
            (format!("{credentials:?}"), "ClientCredentials"),
            (format!("{refresh:?}"), "RefreshTokenGrant"),
        ] {
            assert!(shown.starts_with(name), "{shown}");
            for expected in [
                "https://login.example.invalid/tenant-1/oauth2/token",
                "client-1",
                "https://api.partnercenter.microsoft.com",
                "[redacted]",
            ] {
                assert!(shown.contains(expected), "{expected} missing: {shown}");
            }
            for secret in ["S3cretValue", "Refr3shValue"] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
    }
}
