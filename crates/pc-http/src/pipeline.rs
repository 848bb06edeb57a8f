//! The request pipeline: base URL, headers, auth, retries, diagnostics.
//!
//! The order is fixed: per-call work (URL, headers, `MS-RequestId`) once, then the
//! retry loop, and inside it per-attempt work (a token, the `Authorization` header, the
//! attempt timeout), the transport last. The decisions live in one state machine
//! ([`crate::call`]); [`Pipeline`] and [`AsyncPipeline`] differ only in the loop of
//! [`crate::driver`] that drives it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::call::{Call, Core};
use crate::driver::{AsyncTokenProvider, TokenProvider, run_async, run_blocking};
use crate::error::{ApiError, Diagnostics};
use crate::interrupt::Interrupt;
use crate::options::header_value;
use crate::runtime::{AsyncSleep, Clock, Jitter, Sleep, ThreadSleep, ThreadTimer};
use crate::{AsyncHttpTransport, BaseUrl, ClientOptions, Error, HttpTransport};

/// The blocking pipeline: resolves paths against the base URL, adds the headers,
/// authenticates, retries, and keeps the diagnostics. Cheap to clone.
///
/// ```
/// use pc_http::testing::ScriptedTransport;
/// use pc_http::{ClientOptions, Diagnostics, Pipeline, StaticToken};
///
/// let transport = ScriptedTransport::new();
/// transport.push_json(200, r#"{"status":"finished"}"#);
/// let pipeline = Pipeline::new(transport.clone(), StaticToken::new("t0ken"), ClientOptions::default())?;
///
/// let response = pipeline.get("/v1/customers/c/batchJobStatus/t")?;
/// assert_eq!(response.status(), 200);
/// assert_eq!(Diagnostics::of(&response).map(|d| d.attempts), Some(1));
/// let sent = &transport.requests()[0];
/// assert_eq!(sent.uri(), "https://api.partnercenter.microsoft.com/v1/customers/c/batchJobStatus/t");
/// assert_eq!(sent.headers()["ms-contract-version"], "v1");
/// # Ok::<(), pc_http::Error>(())
/// ```
#[derive(Clone)]
pub struct Pipeline {
    core: Arc<Core>,
    transport: Arc<dyn HttpTransport>,
    sleep: Interruptible<dyn Sleep>,
    token: Arc<dyn TokenProvider>,
}

/// The async pipeline: the same behaviour as [`Pipeline`] over an async transport.
/// Cheap to clone.
#[derive(Clone)]
pub struct AsyncPipeline {
    core: Arc<Core>,
    transport: Arc<dyn AsyncHttpTransport>,
    sleep: Interruptible<dyn AsyncSleep>,
    token: Arc<dyn AsyncTokenProvider>,
}

/// A pipeline's sleep: the injected one, slept interruptibly with the pipeline's
/// interrupt, so that every wait made through the pipeline (its retry delays, a
/// sign-in's polls, a caller's own through `sleep()`) ends early once it is set.
struct Interruptible<S: ?Sized> {
    sleep: Arc<S>,
    interrupt: Interrupt,
}

impl<S: ?Sized> Interruptible<S> {
    fn new(sleep: Arc<S>) -> Self {
        Self {
            sleep,
            interrupt: Interrupt::new(),
        }
    }
}

impl<S: ?Sized> Clone for Interruptible<S> {
    fn clone(&self) -> Self {
        Self {
            sleep: Arc::clone(&self.sleep),
            interrupt: self.interrupt.clone(),
        }
    }
}

impl Sleep for Interruptible<dyn Sleep> {
    fn sleep(&self, duration: Duration) {
        self.sleep.sleep_interruptibly(duration, &self.interrupt);
    }

    fn sleep_interruptibly(&self, duration: Duration, interrupt: &Interrupt) {
        // Not the pipeline's own interrupt: both are honoured where the sleep can.
        if !interrupt.is_interrupted() {
            self.sleep.sleep_interruptibly(duration, &self.interrupt);
        }
    }
}

#[async_trait]
impl AsyncSleep for Interruptible<dyn AsyncSleep> {
    async fn sleep(&self, duration: Duration) {
        self.sleep
            .sleep_interruptibly(duration, &self.interrupt)
            .await;
    }
}

/// What both pipelines share, written once: `Debug`, the clock, jitter, interrupt and
/// correlation-id setters, and the accessors. Only the transport, sleep and token types
/// differ between them.
macro_rules! shared_pipeline_methods {
    ($pipeline:ident) => {
        impl fmt::Debug for $pipeline {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($pipeline))
                    .field("base_url", &self.core.base.base().to_string())
                    .field("correlation_id", &self.core.correlation_id)
                    .field("retry", &self.core.retry)
                    .field("interrupt", &self.core.interrupt)
                    .finish_non_exhaustive()
            }
        }

        impl $pipeline {
            /// Replaces the clock (tests).
            pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
                Arc::make_mut(&mut self.core).clock = Arc::new(clock);
                self
            }

            /// Replaces the jitter source (tests).
            pub fn with_jitter(mut self, jitter: impl Jitter + 'static) -> Self {
                Arc::make_mut(&mut self.core).jitter = Arc::new(jitter);
                self
            }

            /// Makes the pipeline honour `interrupt` (a caller's Ctrl-C, say): once it
            /// is set, no attempt starts, neither a call's first nor a retry (token
            /// requests through [`token_context`](Self::token_context) included); the
            /// call ends with [`Error::Interrupted`] and its diagnostics. An attempt
            /// already in flight runs to its end and its answer is returned as usual (a
            /// success stays a success); a retry delay or `Retry-After` sleep, and any
            /// wait through [`sleep`](Self::sleep), ends early, after which the call
            /// ends `Interrupted` instead of retrying. Clones made afterwards share it.
            ///
            /// ```
            /// use pc_http::testing::ScriptedTransport;
            /// use pc_http::{ClientOptions, ErrorKind, Interrupt, Pipeline, StaticToken};
            ///
            /// let transport = ScriptedTransport::new();
            /// transport.push_json(200, "{}");
            /// let interrupt = Interrupt::new();
            /// let pipeline = Pipeline::new(transport.clone(), StaticToken::new("t"), ClientOptions::default())?
            ///     .with_interrupt(interrupt.clone());
            /// interrupt.interrupt(); // the first Ctrl-C
            /// let error = pipeline.get("/v1/customers/c/deviceBatches").unwrap_err();
            /// assert_eq!(error.kind(), ErrorKind::Interrupted);
            /// assert!(error.to_string().starts_with(
            ///     "GET /v1/customers/c/deviceBatches on api.partnercenter.microsoft.com was not sent because of an interruption"
            /// ));
            /// assert_eq!(transport.request_count(), 0);
            /// # Ok::<(), pc_http::Error>(())
            /// ```
            pub fn with_interrupt(mut self, interrupt: Interrupt) -> Self {
                Arc::make_mut(&mut self.core).interrupt = interrupt.clone();
                self.sleep.interrupt = interrupt;
                self
            }

            /// The interrupt this pipeline honours (a new one, never set, unless
            /// [`with_interrupt`](Self::with_interrupt) gave one).
            pub fn interrupt(&self) -> &Interrupt {
                &self.core.interrupt
            }

            /// The same pipeline (same transport, token and rules) under another
            /// `MS-CorrelationId`.
            pub fn with_correlation_id(&self, correlation_id: &str) -> Result<Self, Error> {
                let mut next = self.clone();
                Arc::make_mut(&mut next.core).correlation_id =
                    header_value("correlation id", correlation_id)?;
                Ok(next)
            }

            /// The `MS-CorrelationId` sent on every request.
            pub fn correlation_id(&self) -> &str {
                self.core.correlation_id.to_str().unwrap_or_default()
            }

            /// The base URL paths are resolved against.
            pub fn base_url(&self) -> &BaseUrl {
                self.core.base.base()
            }

            /// The clock of retries and deadlines.
            pub fn clock(&self) -> &dyn Clock {
                self.core.clock.as_ref()
            }

            /// A success passes; another final status becomes [`Error::Api`].
            fn success(
                &self,
                response: http::Response<Vec<u8>>,
            ) -> Result<http::Response<Vec<u8>>, Error> {
                if response.status().is_success() {
                    return Ok(response);
                }
                let diagnostics = Diagnostics::of(&response).cloned().unwrap_or_default();
                let now = self.core.clock.now();
                Err(ApiError::from_response(&response, diagnostics, now).into())
            }
        }
    };
}

shared_pipeline_methods!(Pipeline);
shared_pipeline_methods!(AsyncPipeline);

impl Pipeline {
    /// A pipeline over any blocking transport. Fails with [`Error::Config`] when an
    /// option cannot be used.
    pub fn new(
        transport: impl HttpTransport + 'static,
        token: impl TokenProvider + 'static,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        Ok(Self {
            core: Arc::new(options.core()?),
            transport: Arc::new(transport),
            sleep: Interruptible::new(Arc::new(ThreadSleep)),
            token: Arc::new(token),
        })
    }

    /// A pipeline over the ureq backend built from the same options.
    #[cfg(feature = "ureq")]
    pub fn with_ureq(
        token: impl TokenProvider + 'static,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let transport = crate::UreqTransport::new(&options)?;
        Self::new(transport, token, options)
    }

    /// Replaces the sleep between retries (tests). It is slept interruptibly
    /// ([`Sleep::sleep_interruptibly`]): the default [`ThreadSleep`] wakes as soon as
    /// the pipeline's interrupt is set, a sleep of your own at least never starts then.
    pub fn with_sleep(mut self, sleep: impl Sleep + 'static) -> Self {
        self.sleep.sleep = Arc::new(sleep);
        self
    }

    /// The sleep between retries (and, in pc-devices, between the polls of a wait),
    /// for a caller that waits between calls of its own: it ends early once the
    /// pipeline's [`interrupt`](Self::interrupt) is set, and does not sleep at all
    /// when it is set already.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pc_http::testing::{FakeClock, ScriptedTransport};
    /// use pc_http::{ClientOptions, Interrupt, Pipeline, StaticToken};
    ///
    /// let clock = FakeClock::new();
    /// let interrupt = Interrupt::new();
    /// let pipeline = Pipeline::new(ScriptedTransport::new(), StaticToken::new("t"), ClientOptions::default())?
    ///     .with_sleep(clock.clone())
    ///     .with_interrupt(interrupt.clone());
    /// pipeline.sleep().sleep(Duration::from_secs(5));
    /// interrupt.interrupt();
    /// pipeline.sleep().sleep(Duration::from_secs(5));
    /// assert_eq!(clock.sleeps(), [Duration::from_secs(5)]);
    /// # Ok::<(), pc_http::Error>(())
    /// ```
    pub fn sleep(&self) -> &dyn Sleep {
        &self.sleep
    }

    /// What a token provider may use of this pipeline: its transport, retry rules,
    /// clock, sleep and interrupt, for a call to a token endpoint (a sign-in, say).
    pub fn token_context(&self) -> crate::TokenContext<'_> {
        crate::TokenContext::new(&self.core, self.transport.as_ref(), &self.sleep)
    }

    /// Sends one logical call and answers its final response, whatever its status:
    /// retries have run out or were not allowed. The call's [`Diagnostics`] ride in the
    /// response's extensions ([`Diagnostics::of`]). For a parser that judges the status
    /// itself; [`send`](Self::send) judges it for you.
    ///
    /// The URI is a path (`/v1/customers/...`, already percent-encoded) or an absolute
    /// URI on the base URL. Headers the request already has (`MS-RequestId`,
    /// `MS-CorrelationId`, `X-Locale`, ...) are kept; `Authorization` is always the
    /// pipeline's.
    pub fn execute(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        let call = Call::api(&self.core, request)?;
        run_blocking(
            &self.core,
            self.transport.as_ref(),
            &self.sleep,
            call,
            Some(self.token.as_ref()),
        )
    }

    /// Sends one logical call; see [`execute`](Self::execute). A `2xx` is `Ok`; any
    /// other final status is [`Error::Api`].
    pub fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, Error> {
        self.success(self.execute(request)?)
    }

    /// `GET` a path.
    pub fn get(&self, path: &str) -> Result<http::Response<Vec<u8>>, Error> {
        self.send(get_request(path)?)
    }
}

impl AsyncPipeline {
    /// A pipeline over any async transport. Its default sleep ([`ThreadTimer`]) needs no
    /// particular runtime.
    pub fn new(
        transport: impl AsyncHttpTransport + 'static,
        token: impl AsyncTokenProvider + 'static,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        Ok(Self {
            core: Arc::new(options.core()?),
            transport: Arc::new(transport),
            sleep: Interruptible::new(Arc::new(ThreadTimer)),
            token: Arc::new(token),
        })
    }

    /// A pipeline over the reqwest backend built from the same options.
    #[cfg(feature = "reqwest")]
    pub fn with_reqwest(
        token: impl AsyncTokenProvider + 'static,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let transport = crate::ReqwestTransport::new(&options)?;
        Self::new(transport, token, options)
    }

    /// Replaces the sleep between retries (tests, or a runtime's own timer). It is
    /// slept interruptibly ([`AsyncSleep::sleep_interruptibly`]: by default raced
    /// against the pipeline's interrupt, so any timer ends early once it is set).
    pub fn with_sleep(mut self, sleep: impl AsyncSleep + 'static) -> Self {
        self.sleep.sleep = Arc::new(sleep);
        self
    }

    /// The sleep between retries (and, in pc-devices, between the polls of a wait);
    /// it ends early once the pipeline's [`interrupt`](Self::interrupt) is set; see
    /// [`Pipeline::sleep`].
    pub fn sleep(&self) -> &dyn AsyncSleep {
        &self.sleep
    }

    /// What a token provider may use of this pipeline; see [`Pipeline::token_context`].
    pub fn token_context(&self) -> crate::AsyncTokenContext<'_> {
        crate::AsyncTokenContext::new_async(&self.core, self.transport.as_ref(), &self.sleep)
    }

    /// Sends one logical call and answers its final response, whatever its status; see
    /// [`Pipeline::execute`].
    pub async fn execute(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        let call = Call::api(&self.core, request)?;
        run_async(
            &self.core,
            self.transport.as_ref(),
            &self.sleep,
            call,
            Some(self.token.as_ref()),
        )
        .await
    }

    /// Sends one logical call; see [`Pipeline::send`].
    pub async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        self.success(self.execute(request).await?)
    }

    /// `GET` a path.
    pub async fn get(&self, path: &str) -> Result<http::Response<Vec<u8>>, Error> {
        self.send(get_request(path)?).await
    }
}

fn get_request(path: &str) -> Result<http::Request<Vec<u8>>, Error> {
    http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| Error::config(format!("{path:?} is not a valid request path: {e}")))
}
