//! One logical call as a state machine: build each attempt, judge each outcome.
//!
//! Both pipelines drive it; the blocking and async loops differ only in how they send,
//! sleep and fetch tokens.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method, Uri};

use crate::TransportErrorKind;
use crate::endpoint::{Resolver, check_uri};
use crate::error::{
    DecodeError, DecodeErrorKind, Diagnostics, InterruptedCall, TransportFailure, status_text,
};
use crate::headers::{MS_CONTRACT_VERSION, MS_CORRELATION_ID, MS_REQUEST_ID, X_LOCALE, text};
use crate::interrupt::Interrupt;
use crate::retry::{Decision, Outcome, retry_after};
use crate::runtime::{Clock, Jitter};
use crate::{AttemptTimeout, CallDeadline, Error, RetryPolicy, Secret, TransportError};

/// What a pipeline shares with every call it makes.
#[derive(Clone)]
pub(crate) struct Core {
    pub(crate) base: Resolver,
    pub(crate) locale: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    pub(crate) correlation_id: HeaderValue,
    pub(crate) retry: RetryPolicy,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) jitter: Arc<dyn Jitter>,
    pub(crate) authorization: Arc<AuthorizationCache>,
    /// Once set, no attempt starts.
    pub(crate) interrupt: Interrupt,
}

/// The `Authorization` value of the last token seen: a pipeline's token changes
/// rarely, so `Bearer …` is formatted and checked once per token rather than once per
/// attempt. The value is marked sensitive; nothing here prints either.
#[derive(Default)]
pub(crate) struct AuthorizationCache(Mutex<Option<(Secret, HeaderValue)>>);

impl AuthorizationCache {
    fn value(&self, token: &Secret) -> Result<HeaderValue, Error> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((cached, value)) = slot.as_ref()
            && cached == token
        {
            return Ok(value.clone());
        }
        let mut value =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                Error::config("the access token holds characters an HTTP header cannot carry")
            })?;
        value.set_sensitive(true);
        *slot = Some((token.clone(), value.clone()));
        Ok(value)
    }
}

/// The next move of a loop (short-lived, so its size does not matter).
#[allow(clippy::large_enum_variant)]
pub(crate) enum Step {
    /// The call is over: its final response, whatever the status (the call's
    /// [`Diagnostics`] in its extensions), or why no response could be had.
    Done(Result<http::Response<Vec<u8>>, Error>),
    /// Sleep, then attempt again.
    Retry(Duration),
    /// Invalidate the token that was refused, then attempt again at once.
    Refresh,
}

pub(crate) struct Call {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Vec<u8>,
    diagnostics: Diagnostics,
    start: Instant,
    retries: u32,
    refreshed: bool,
    /// What the last attempt came to, when it is to be followed by another.
    last_failure: Option<String>,
    /// The retry rules of this call: the pipeline's, with the request's
    /// [`CallDeadline`] when it is the sooner.
    retry: Option<RetryPolicy>,
}

impl Call {
    /// A call to the API: the URI is resolved against the base URL and every
    /// Partner Center header is added unless the caller set it.
    pub(crate) fn api(core: &Core, request: http::Request<Vec<u8>>) -> Result<Self, Error> {
        let (parts, body) = request.into_parts();
        let deadline = parts.extensions.get::<CallDeadline>().copied();
        let uri = core.base.join(parts.uri)?;
        let mut headers = parts.headers;
        headers.remove(AUTHORIZATION);
        if !headers.contains_key(MS_REQUEST_ID) {
            // The same text as `new_request_id`, without a `String` in between.
            let mut buffer = uuid::Uuid::encode_buffer();
            let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
            let id =
                HeaderValue::from_str(id).map_err(|e| Error::config(format!("request id: {e}")))?;
            headers.insert(MS_REQUEST_ID, id);
        }
        if !headers.contains_key(MS_CORRELATION_ID) {
            headers.insert(MS_CORRELATION_ID, core.correlation_id.clone());
        }
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        }
        if !headers.contains_key(X_LOCALE) {
            headers.insert(X_LOCALE, core.locale.clone());
        }
        if !headers.contains_key(MS_CONTRACT_VERSION) {
            headers.insert(MS_CONTRACT_VERSION, HeaderValue::from_static("v1"));
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, core.user_agent.clone());
        }
        if !body.is_empty() && !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let mut call = Self::new(core, parts.method, uri, headers, body);
        if let Some(CallDeadline(deadline)) = deadline
            && core.retry.deadline.is_none_or(|own| deadline < own)
        {
            call.retry = Some(RetryPolicy {
                deadline: Some(deadline),
                ..core.retry.clone()
            });
        }
        Ok(call)
    }

    /// The retry rules of this call.
    fn retry<'a>(&'a self, core: &'a Core) -> &'a RetryPolicy {
        self.retry.as_ref().unwrap_or(&core.retry)
    }

    /// A call to a token endpoint: an absolute URI, no Partner Center headers.
    pub(crate) fn token_endpoint(
        core: &Core,
        request: http::Request<Vec<u8>>,
    ) -> Result<Self, Error> {
        let (parts, body) = request.into_parts();
        check_uri(&parts.uri).map_err(Error::Config)?;
        let mut headers = parts.headers;
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, core.user_agent.clone());
        }
        Ok(Self::new(core, parts.method, parts.uri, headers, body))
    }

    fn new(core: &Core, method: Method, uri: Uri, headers: HeaderMap, body: Vec<u8>) -> Self {
        let diagnostics = Diagnostics {
            method: method.clone(),
            host: uri.host().unwrap_or_default().to_owned(),
            path: uri.path().to_owned(),
            request_id: text(&headers, &MS_REQUEST_ID),
            correlation_id: text(&headers, &MS_CORRELATION_ID),
            cv: None,
            server_id: None,
            attempts: 0,
        };
        Self {
            method,
            uri,
            headers,
            body,
            diagnostics,
            start: core.clock.instant(),
            retries: 0,
            refreshed: false,
            last_failure: None,
            retry: None,
        }
    }

    /// The span that wraps every attempt of this call; it never holds a secret.
    pub(crate) fn span(&self) -> tracing::Span {
        let d = &self.diagnostics;
        tracing::info_span!(
            "pc_http_call",
            method = %d.method,
            host = %d.host,
            path = %d.path,
            request_id = d.request_id.as_deref().unwrap_or(""),
            correlation_id = d.correlation_id.as_deref().unwrap_or(""),
        )
    }

    /// The request for the next attempt.
    pub(crate) fn next_request(
        &mut self,
        core: &Core,
        token: Option<&Secret>,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        self.diagnostics.attempts += 1;
        let mut request = http::Request::new(self.body.clone());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        if let Some(token) = token {
            let value = core.authorization.value(token)?;
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        if let Some(deadline) = self.retry(core).deadline {
            let left = deadline.saturating_sub(core.clock.instant().duration_since(self.start));
            request
                .extensions_mut()
                .insert(AttemptTimeout(left.max(Duration::from_millis(1))));
        }
        Ok(request)
    }

    /// Judges the outcome of the attempt that started at `attempt_start`.
    pub(crate) fn finish(
        &mut self,
        core: &Core,
        outcome: Result<http::Response<Vec<u8>>, TransportError>,
        attempt_start: Instant,
        can_refresh: bool,
    ) -> Step {
        let now = core.clock.instant();
        let attempt_ms = now.duration_since(attempt_start).as_millis() as u64;
        let elapsed = now.duration_since(self.start);
        let attempt = self.diagnostics.attempts;
        match outcome {
            Ok(response) => {
                self.diagnostics.note_response(response.headers());
                let status = response.status();
                if status.is_success() {
                    tracing::debug!(
                        method = %self.method, path = %self.diagnostics.path, attempt,
                        status = status.as_u16(), elapsed_ms = attempt_ms, "attempt succeeded"
                    );
                    return self.done(response);
                }
                if status == http::StatusCode::UNAUTHORIZED && can_refresh && !self.refreshed {
                    self.refreshed = true;
                    self.last_failure = Some(format!("HTTP {}", status_text(status)));
                    tracing::info!(
                        method = %self.method, path = %self.diagnostics.path, attempt,
                        status = status.as_u16(), elapsed_ms = attempt_ms, delay_ms = 0u64,
                        "token refused; fetching a new one and trying once more"
                    );
                    return Step::Refresh;
                }
                let now = core.clock.now();
                let retry_after = retry_after(response.headers(), now);
                let outcome = Outcome::Status {
                    status,
                    retry_after,
                };
                match self.decide(core, &outcome, elapsed) {
                    Decision::Retry(delay) => {
                        tracing::info!(
                            method = %self.method, path = %self.diagnostics.path, attempt,
                            status = status.as_u16(), elapsed_ms = attempt_ms,
                            delay_ms = delay.as_millis() as u64, "attempt failed; retrying"
                        );
                        self.last_failure = Some(format!("HTTP {}", status_text(status)));
                        Step::Retry(delay)
                    }
                    Decision::GiveUp(reason) => {
                        tracing::debug!(
                            method = %self.method, path = %self.diagnostics.path, attempt,
                            status = status.as_u16(), elapsed_ms = attempt_ms,
                            reason = ?reason, "attempt failed; giving up"
                        );
                        self.done(response)
                    }
                }
            }
            Err(error) => {
                let kind = error.kind();
                let decision = self.decide(core, &Outcome::Transport(kind), elapsed);
                if let Decision::Retry(delay) = decision {
                    tracing::info!(
                        method = %self.method, path = %self.diagnostics.path, attempt,
                        error = %kind, elapsed_ms = attempt_ms,
                        delay_ms = delay.as_millis() as u64, "attempt failed; retrying"
                    );
                    self.last_failure = Some(kind.to_string());
                    return Step::Retry(delay);
                }
                tracing::debug!(
                    method = %self.method, path = %self.diagnostics.path, attempt,
                    error = %kind, elapsed_ms = attempt_ms, reason = ?decision,
                    "attempt failed; giving up"
                );
                Step::Done(Err(self.transport_error(error)))
            }
        }
    }

    /// The call ends before its next attempt because `core`'s interrupt is set: its
    /// diagnostics so far, and what the last attempt came to.
    pub(crate) fn interrupted(&mut self) -> Error {
        tracing::info!(
            method = %self.method, path = %self.diagnostics.path,
            attempts = self.diagnostics.attempts, "interrupted; no further attempt"
        );
        Error::Interrupted(Box::new(InterruptedCall {
            diagnostics: std::mem::take(&mut self.diagnostics),
            last_attempt: self.last_failure.take(),
        }))
    }

    /// The call ends with `response`: its diagnostics move into the answer.
    fn done(&mut self, mut response: http::Response<Vec<u8>>) -> Step {
        let diagnostics = std::mem::take(&mut self.diagnostics);
        response.extensions_mut().insert(diagnostics);
        Step::Done(Ok(response))
    }

    fn decide(&mut self, core: &Core, outcome: &Outcome, elapsed: Duration) -> Decision {
        let random = if outcome.is_retryable() {
            core.jitter.next_unit()
        } else {
            0.0
        };
        let decision = self
            .retry(core)
            .decide(outcome, self.retries, elapsed, random);
        if matches!(decision, Decision::Retry(_)) {
            self.retries += 1;
        }
        decision
    }

    fn transport_error(&self, error: TransportError) -> Error {
        let decode = |kind| {
            Error::Decode(Box::new(DecodeError {
                kind,
                message: error.message().to_owned(),
                status: None,
                diagnostics: self.diagnostics.clone(),
            }))
        };
        match error.kind() {
            TransportErrorKind::TooLarge => decode(DecodeErrorKind::TooLarge),
            TransportErrorKind::Truncated => decode(DecodeErrorKind::Truncated),
            TransportErrorKind::InvalidRequest => Error::Config(error.message().to_owned()),
            _ => Error::Transport(Box::new(TransportFailure {
                error,
                diagnostics: self.diagnostics.clone(),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_value_is_cached_per_token_and_stays_sensitive() {
        let cache = AuthorizationCache::default();
        let first = cache.value(&Secret::new("t0ken")).unwrap();
        let again = cache.value(&Secret::new("t0ken")).unwrap();
        let next = cache.value(&Secret::new("n3w")).unwrap();
        assert_eq!(first, "Bearer t0ken");
        assert_eq!(again, "Bearer t0ken");
        assert_eq!(next, "Bearer n3w");
        assert!(first.is_sensitive() && again.is_sensitive() && next.is_sensitive());
        let error = cache.value(&Secret::new("bad\ntoken")).unwrap_err();
        assert!(!error.to_string().contains("bad"), "{error}");
        assert_eq!(cache.value(&Secret::new("n3w")).unwrap(), "Bearer n3w");
    }
}
