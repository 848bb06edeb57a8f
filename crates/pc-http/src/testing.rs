//! Test doubles for code built on this crate: a scripted in-memory transport and a
//! fake clock that sleeps instantly.
//!
//! Not part of a production build: the module exists with the `testing` feature,
//! which a crate enables for its tests only
//! (`pc-http = { version = "0.1", features = ["testing"] }` under `[dev-dependencies]`).
//!
//! ```
//! use pc_http::testing::{FakeClock, ScriptedTransport};
//! use pc_http::{ClientOptions, Pipeline, StaticToken, TransportErrorKind};
//!
//! let transport = ScriptedTransport::new();
//! transport
//!     .push_error(TransportErrorKind::Timeout)
//!     .push_response(429, &[("Retry-After", "7")], r#"{"statusCode":429,"message":"slow down"}"#)
//!     .push_json(200, r#"{"ok":true}"#);
//! let clock = FakeClock::new();
//! let pipeline = Pipeline::new(transport.clone(), StaticToken::new("t"), ClientOptions::default())?
//!     .with_clock(clock.clone())
//!     .with_sleep(clock.clone())
//!     .with_jitter(|| 1.0);
//!
//! pipeline.get("/v1/anything")?;
//! assert_eq!(transport.request_count(), 3);
//! assert_eq!(clock.sleeps(), [std::time::Duration::from_millis(500), std::time::Duration::from_secs(7)]);
//! let ids: Vec<_> = transport.requests().iter().map(|r| r.headers()["ms-requestid"].clone()).collect();
//! assert!(ids.iter().all(|id| *id == ids[0]));
//! # Ok::<(), pc_http::Error>(())
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;

use crate::runtime::{AsyncSleep, Clock, Sleep};
use crate::{AsyncHttpTransport, HttpTransport, Interrupt, TransportError, TransportErrorKind};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

enum Scripted {
    Response(http::Response<Vec<u8>>),
    Error(TransportErrorKind, String),
}

#[derive(Default)]
struct ScriptState {
    script: VecDeque<Scripted>,
    requests: Vec<http::Request<Vec<u8>>>,
    latency: Option<(FakeClock, Duration)>,
    /// Set while answering the request of this number (1 for the first).
    interrupt_during: Option<(usize, Interrupt)>,
}

/// An in-memory transport that answers from a script and records every request.
///
/// Clones share the script and the record, so keep one handle for assertions and give
/// another to the pipeline. It implements both [`HttpTransport`] and
/// [`AsyncHttpTransport`]. When the script runs out it answers with a transport error of
/// kind [`TransportErrorKind::Other`] (never a panic).
#[derive(Clone, Default)]
pub struct ScriptedTransport {
    state: Arc<Mutex<ScriptState>>,
}

impl fmt::Debug for ScriptedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("ScriptedTransport")
            .field("remaining", &state.script.len())
            .field("requests", &state.requests.len())
            .finish()
    }
}

impl ScriptedTransport {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a whole response.
    pub fn push(&self, response: http::Response<Vec<u8>>) -> &Self {
        lock(&self.state)
            .script
            .push_back(Scripted::Response(response));
        self
    }

    /// Queues a response with a status, headers and a body.
    ///
    /// Invalid header names or values are skipped.
    pub fn push_response(
        &self,
        status: u16,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> &Self {
        let mut response = http::Response::new(body.into());
        *response.status_mut() =
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in headers {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                response.headers_mut().append(n, v);
            }
        }
        self.push(response)
    }

    /// Queues a response with a status and an empty body.
    pub fn push_status(&self, status: u16) -> &Self {
        self.push_response(status, &[], Vec::new())
    }

    /// Queues a JSON response (`Content-Type: application/json`).
    pub fn push_json(&self, status: u16, body: &str) -> &Self {
        self.push_response(status, &[("content-type", "application/json")], body)
    }

    /// Queues a transport failure of `kind`.
    pub fn push_error(&self, kind: TransportErrorKind) -> &Self {
        self.push_error_message(kind, "scripted failure")
    }

    /// Queues a transport failure with a message.
    pub fn push_error_message(&self, kind: TransportErrorKind, message: &str) -> &Self {
        lock(&self.state)
            .script
            .push_back(Scripted::Error(kind, message.to_owned()));
        self
    }

    /// Makes every request take `latency` on `clock` (for deadline tests).
    pub fn with_latency(self, clock: &FakeClock, latency: Duration) -> Self {
        lock(&self.state).latency = Some((clock.clone(), latency));
        self
    }

    /// Sets `interrupt` while answering the `request`-th request (1 for the first),
    /// as a Ctrl-C that comes while that attempt is in flight: the request is
    /// recorded and answered from the script as usual.
    ///
    /// ```
    /// use pc_http::testing::{FakeClock, ScriptedTransport};
    /// use pc_http::{ClientOptions, ErrorKind, Interrupt, Pipeline, StaticToken};
    ///
    /// let interrupt = Interrupt::new();
    /// let transport = ScriptedTransport::new();
    /// transport.push_status(503).push_json(200, "{}").interrupt_during(1, &interrupt);
    /// let clock = FakeClock::new();
    /// let pipeline = Pipeline::new(transport.clone(), StaticToken::new("t"), ClientOptions::default())?
    ///     .with_clock(clock.clone())
    ///     .with_sleep(clock.clone())
    ///     .with_interrupt(interrupt);
    /// let error = pipeline.get("/v1/x").unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::Interrupted);
    /// assert_eq!((transport.request_count(), clock.sleeps().len()), (1, 0));
    /// # Ok::<(), pc_http::Error>(())
    /// ```
    pub fn interrupt_during(&self, request: usize, interrupt: &Interrupt) -> &Self {
        lock(&self.state).interrupt_during = Some((request, interrupt.clone()));
        self
    }

    /// Copies of the requests received so far, in order (extensions dropped).
    pub fn requests(&self) -> Vec<http::Request<Vec<u8>>> {
        lock(&self.state)
            .requests
            .iter()
            .map(|r| {
                let mut copy = http::Request::new(r.body().clone());
                *copy.method_mut() = r.method().clone();
                *copy.uri_mut() = r.uri().clone();
                *copy.version_mut() = r.version();
                *copy.headers_mut() = r.headers().clone();
                copy
            })
            .collect()
    }

    /// How many requests were received.
    pub fn request_count(&self) -> usize {
        lock(&self.state).requests.len()
    }

    /// How many scripted answers are left.
    pub fn remaining(&self) -> usize {
        lock(&self.state).script.len()
    }

    fn answer(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let mut state = lock(&self.state);
        state.requests.push(request);
        if let Some((clock, latency)) = &state.latency {
            clock.advance(*latency);
        }
        if let Some((number, interrupt)) = &state.interrupt_during
            && *number == state.requests.len()
        {
            interrupt.interrupt();
        }
        match state.script.pop_front() {
            Some(Scripted::Response(r)) => Ok(r),
            Some(Scripted::Error(kind, message)) => Err(TransportError::new(kind, message)),
            None => Err(TransportError::new(
                TransportErrorKind::Other,
                "the scripted transport has no answer left",
            )),
        }
    }
}

impl HttpTransport for ScriptedTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.answer(request)
    }
}

#[async_trait]
impl AsyncHttpTransport for ScriptedTransport {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.answer(request)
    }
}

#[derive(Default)]
struct ClockState {
    offset: Duration,
    sleeps: Vec<Duration>,
}

/// A clock that only moves when told to, and whose sleep returns at once after moving
/// the clock forward and recording the duration. Implements [`Clock`], [`Sleep`] and
/// [`AsyncSleep`]; clones share the time.
#[derive(Clone)]
pub struct FakeClock {
    base_instant: Instant,
    base_time: SystemTime,
    state: Arc<Mutex<ClockState>>,
}

impl fmt::Debug for FakeClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeClock")
            .field("elapsed", &self.elapsed())
            .finish_non_exhaustive()
    }
}

impl Default for FakeClock {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeClock {
    /// A clock starting at 2024-01-01T00:00:00Z.
    pub fn new() -> Self {
        Self::at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200))
    }

    /// A clock starting at `time`.
    pub fn at(time: SystemTime) -> Self {
        Self {
            base_instant: Instant::now(),
            base_time: time,
            state: Arc::default(),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut state = lock(&self.state);
        state.offset = state.offset.saturating_add(by);
    }

    /// How far the clock has moved since it was made.
    pub fn elapsed(&self) -> Duration {
        lock(&self.state).offset
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        lock(&self.state).sleeps.clone()
    }

    fn record_sleep(&self, duration: Duration) {
        let mut state = lock(&self.state);
        state.sleeps.push(duration);
        state.offset = state.offset.saturating_add(duration);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> SystemTime {
        self.base_time + self.elapsed()
    }

    fn instant(&self) -> Instant {
        self.base_instant + self.elapsed()
    }
}

impl Sleep for FakeClock {
    fn sleep(&self, duration: Duration) {
        self.record_sleep(duration);
    }
}

#[async_trait]
impl AsyncSleep for FakeClock {
    async fn sleep(&self, duration: Duration) {
        self.record_sleep(duration);
    }
}
