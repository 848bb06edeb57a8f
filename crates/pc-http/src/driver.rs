//! The loops that drive one logical call ([`Call`]) to its end, one per mode, and what
//! they ask of a token source: the [`TokenProvider`] and [`AsyncTokenProvider`] traits
//! and the [`TokenContext`] / [`AsyncTokenContext`] a provider may send through.
//!
//! Every decision (headers, retry or not, how long to wait, refresh on a `401`) is the
//! call's; a loop only sends, sleeps and fetches tokens, and starts no attempt once the
//! pipeline's [`Interrupt`](crate::Interrupt) is set (the sleep it is given ends early
//! then).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use tracing::Instrument;

use crate::call::{Call, Core, Step};
use crate::error::TokenEndpointError;
use crate::runtime::{AsyncSleep, Sleep};
use crate::{AsyncHttpTransport, Error, HttpTransport, Secret};

/// A source of bearer tokens for a blocking pipeline.
///
/// Closures `Fn() -> Result<Secret, Error>` implement it (tokens from a vault, a test
/// double, ...), and so does `Arc<T>` of any provider.
pub trait TokenProvider: Send + Sync {
    /// A token for the next attempt (from a cache when still fresh).
    fn token(&self, ctx: &TokenContext<'_>) -> Result<Secret, Error>;

    /// The API refused `rejected` with a `401`: forget it, so the next
    /// [`token`](Self::token) fetches a new one.
    fn invalidate(&self, _rejected: &Secret) {}

    /// Whether a new token can be fetched after a `401` (client credentials, refresh
    /// token). When true the pipeline retries a `401` once with a new token.
    fn can_refresh(&self) -> bool {
        false
    }
}

impl<F> TokenProvider for F
where
    F: Fn() -> Result<Secret, Error> + Send + Sync,
{
    fn token(&self, _ctx: &TokenContext<'_>) -> Result<Secret, Error> {
        self()
    }
}

impl<T: TokenProvider + ?Sized> TokenProvider for Arc<T> {
    fn token(&self, ctx: &TokenContext<'_>) -> Result<Secret, Error> {
        (**self).token(ctx)
    }

    fn invalidate(&self, rejected: &Secret) {
        (**self).invalidate(rejected);
    }

    fn can_refresh(&self) -> bool {
        (**self).can_refresh()
    }
}

/// A source of bearer tokens for an async pipeline. Closures returning a `Send` future
/// implement it, and so does `Arc<T>` of any provider.
#[async_trait]
pub trait AsyncTokenProvider: Send + Sync {
    /// A token for the next attempt (from a cache when still fresh).
    async fn token(&self, ctx: &AsyncTokenContext<'_>) -> Result<Secret, Error>;

    /// The API refused `rejected` with a `401`; see [`TokenProvider::invalidate`].
    fn invalidate(&self, _rejected: &Secret) {}

    /// Whether a new token can be fetched after a `401`.
    fn can_refresh(&self) -> bool {
        false
    }
}

#[async_trait]
impl<F, Fut> AsyncTokenProvider for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Secret, Error>> + Send,
{
    async fn token(&self, _ctx: &AsyncTokenContext<'_>) -> Result<Secret, Error> {
        self().await
    }
}

#[async_trait]
impl<T: AsyncTokenProvider + ?Sized> AsyncTokenProvider for Arc<T> {
    async fn token(&self, ctx: &AsyncTokenContext<'_>) -> Result<Secret, Error> {
        (**self).token(ctx).await
    }

    fn invalidate(&self, rejected: &Secret) {
        (**self).invalidate(rejected);
    }

    fn can_refresh(&self) -> bool {
        (**self).can_refresh()
    }
}

/// What a [`TokenProvider`] may use: the pipeline's transport, with the same timeout
/// and retry rules, and its clock. [`AsyncTokenContext`] is the same for an
/// [`AsyncTokenProvider`].
pub struct TokenContext<'a, T: ?Sized = dyn HttpTransport, S: ?Sized = dyn Sleep> {
    core: &'a Core,
    transport: &'a T,
    sleep: &'a S,
}

/// What an [`AsyncTokenProvider`] may use: the async pipeline's transport and clock.
pub type AsyncTokenContext<'a> = TokenContext<'a, dyn AsyncHttpTransport, dyn AsyncSleep>;

impl<T: ?Sized, S: ?Sized> fmt::Debug for TokenContext<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenContext").finish_non_exhaustive()
    }
}

impl<T: ?Sized, S: ?Sized> TokenContext<'_, T, S> {
    /// The pipeline's monotonic time (token lifetimes are measured with it).
    pub fn now(&self) -> Instant {
        self.core.clock.instant()
    }
}

impl<'a> TokenContext<'a> {
    pub(crate) fn new(
        core: &'a Core,
        transport: &'a (dyn HttpTransport + 'static),
        sleep: &'a (dyn Sleep + 'static),
    ) -> Self {
        Self {
            core,
            transport,
            sleep,
        }
    }

    /// Waits `duration` with the pipeline's sleep (a sign-in polling its endpoint); it
    /// ends early once the pipeline's [`Interrupt`](crate::Interrupt) is set.
    pub fn sleep(&self, duration: std::time::Duration) {
        self.sleep.sleep(duration);
    }

    /// Sends a request with an absolute URI (a token endpoint) under the pipeline's
    /// retry rules, without `Authorization` or Partner Center headers. A final answer
    /// that is not a success is [`Error::TokenEndpoint`], with the endpoint's `error`
    /// and `error_description`; an interrupted pipeline sends nothing more
    /// ([`Error::Interrupted`]).
    pub fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, Error> {
        let call = Call::token_endpoint(self.core, request)?;
        run_blocking(self.core, self.transport, self.sleep, call, None)
            .and_then(token_endpoint_success)
    }
}

impl<'a> AsyncTokenContext<'a> {
    pub(crate) fn new_async(
        core: &'a Core,
        transport: &'a (dyn AsyncHttpTransport + 'static),
        sleep: &'a (dyn AsyncSleep + 'static),
    ) -> Self {
        Self {
            core,
            transport,
            sleep,
        }
    }

    /// Waits `duration` with the pipeline's sleep; it ends early once the pipeline's
    /// [`Interrupt`](crate::Interrupt) is set.
    pub async fn sleep(&self, duration: std::time::Duration) {
        self.sleep.sleep(duration).await;
    }

    /// Sends a request with an absolute URI (a token endpoint); see
    /// [`TokenContext::send`].
    pub async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        let call = Call::token_endpoint(self.core, request)?;
        run_async(self.core, self.transport, self.sleep, call, None)
            .await
            .and_then(token_endpoint_success)
    }
}

/// A token endpoint's final answer: a success passes, anything else is the endpoint's
/// refusal.
fn token_endpoint_success(
    response: http::Response<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, Error> {
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(Error::TokenEndpoint(Box::new(
            TokenEndpointError::from_response(&response),
        )))
    }
}

/// Drives `call` to its final response (any status) on a blocking transport.
pub(crate) fn run_blocking(
    core: &Core,
    transport: &(dyn HttpTransport + 'static),
    sleep: &(dyn Sleep + 'static),
    mut call: Call,
    auth: Option<&dyn TokenProvider>,
) -> Result<http::Response<Vec<u8>>, Error> {
    let span = call.span();
    let _entered = span.enter();
    let can_refresh = auth.is_some_and(|provider| provider.can_refresh());
    loop {
        if core.interrupt.is_interrupted() {
            return Err(call.interrupted());
        }
        let token = match auth {
            Some(provider) => Some(provider.token(&TokenContext {
                core,
                transport,
                sleep,
            })?),
            None => None,
        };
        // A token request may have been in flight when the interrupt came.
        if core.interrupt.is_interrupted() {
            return Err(call.interrupted());
        }
        let request = call.next_request(core, token.as_ref())?;
        let started = core.clock.instant();
        let outcome = transport.send(request);
        match call.finish(core, outcome, started, can_refresh) {
            Step::Done(result) => return result,
            Step::Retry(delay) => sleep.sleep(delay),
            Step::Refresh => {
                if let (Some(provider), Some(token)) = (auth, &token) {
                    provider.invalidate(token);
                }
            }
        }
    }
}

/// Drives `call` to its final response (any status) on an async transport.
pub(crate) async fn run_async(
    core: &Core,
    transport: &(dyn AsyncHttpTransport + 'static),
    sleep: &(dyn AsyncSleep + 'static),
    mut call: Call,
    auth: Option<&dyn AsyncTokenProvider>,
) -> Result<http::Response<Vec<u8>>, Error> {
    let span = call.span();
    async move {
        let can_refresh = auth.is_some_and(|provider| provider.can_refresh());
        loop {
            if core.interrupt.is_interrupted() {
                return Err(call.interrupted());
            }
            let token = match auth {
                Some(provider) => Some(
                    provider
                        .token(&AsyncTokenContext {
                            core,
                            transport,
                            sleep,
                        })
                        .await?,
                ),
                None => None,
            };
            // A token request may have been in flight when the interrupt came.
            if core.interrupt.is_interrupted() {
                return Err(call.interrupted());
            }
            let request = call.next_request(core, token.as_ref())?;
            let started = core.clock.instant();
            let outcome = transport.send(request).await;
            match call.finish(core, outcome, started, can_refresh) {
                Step::Done(result) => return result,
                Step::Retry(delay) => sleep.sleep(delay).await,
                Step::Refresh => {
                    if let (Some(provider), Some(token)) = (auth, &token) {
                        provider.invalidate(token);
                    }
                }
            }
        }
    }
    .instrument(span)
    .await
}
