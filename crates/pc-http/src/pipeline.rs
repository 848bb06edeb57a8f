//! The request pipeline: base URL, headers, auth, retries, diagnostics.
//!
//! The order is fixed: per-call work (URL, headers, `MS-RequestId`) once, then the
//! retry loop, and inside it per-attempt work (a token, the `Authorization` header, the
//! attempt timeout), the transport last. The decisions live in a pure state machine
//! shared by [`Pipeline`] and [`AsyncPipeline`].

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::HeaderValue;
use rustls_pki_types::CertificateDer;
use tracing::Instrument;

use crate::auth::{AsyncTokenProvider, TokenProvider};
use crate::call::{Call, Core, Step};
use crate::endpoint::Resolver;
use crate::error::Diagnostics;
use crate::proxy::ProxyOptions;
use crate::runtime::{
    AsyncSleep, Clock, Jitter, OsJitter, Sleep, SystemClock, ThreadSleep, ThreadTimer,
};
use crate::{AsyncHttpTransport, BaseUrl, Error, HttpTransport, RetryPolicy};

/// The default limit for one attempt, connect to last byte: 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default cap on a response body: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;
/// The default `User-Agent`: `pc/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("pc/", env!("CARGO_PKG_VERSION"));

/// A fresh `MS-RequestId` (a random GUID).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// How a pipeline and its transport behave. Plain data with documented defaults;
/// override what you need:
///
/// ```
/// use std::time::Duration;
/// use pc_http::{ClientOptions, Cloud, RetryPolicy};
///
/// let options = ClientOptions {
///     base_url: Cloud::China.base_url(),
///     timeout: Duration::from_secs(10),
///     retry: RetryPolicy { max_retries: 5, ..Default::default() },
///     ..Default::default()
/// };
/// assert_eq!(options.locale, "en-US");
/// ```
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Where API paths are resolved. Default: the global cloud.
    pub base_url: BaseUrl,
    /// Sent as `X-Locale`. Default `en-US`.
    pub locale: String,
    /// Sent as `MS-CorrelationId` on every request of the pipeline. Default: a new
    /// random GUID per pipeline.
    pub correlation_id: Option<String>,
    /// Sent as `User-Agent`. Default `pc/<version>`.
    pub user_agent: String,
    /// The limit for one attempt, connect to last byte (used by the backends). Default 30 s.
    pub timeout: Duration,
    /// The retry rules. Default: [`RetryPolicy::default`].
    pub retry: RetryPolicy,
    /// The largest response body accepted (used by the backends). Default 64 MiB.
    pub max_body_bytes: u64,
    /// Root certificates trusted on top of the bundled web PKI roots (used by the
    /// backends); see [`crate::tls::load_pem_file`].
    pub extra_root_certificates: Vec<CertificateDer<'static>>,
    /// Which proxy the backends use. Default: from the environment.
    pub proxy: ProxyOptions,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            base_url: BaseUrl::default(),
            locale: "en-US".to_owned(),
            correlation_id: None,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            extra_root_certificates: Vec::new(),
            proxy: ProxyOptions::default(),
        }
    }
}

fn header_value(what: &str, value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value).map_err(|_| {
        Error::config(format!(
            "the {what} {value:?} cannot be sent in an HTTP header"
        ))
    })
}

impl ClientOptions {
    fn core(&self) -> Result<Core, Error> {
        let correlation_id = match &self.correlation_id {
            Some(id) => id.clone(),
            None => new_request_id(),
        };
        Ok(Core {
            base: Resolver::new(self.base_url.clone())?,
            locale: header_value("locale", &self.locale)?,
            user_agent: header_value("user agent", &self.user_agent)?,
            correlation_id: header_value("correlation id", &correlation_id)?,
            retry: self.retry.clone(),
            clock: Arc::new(SystemClock),
            jitter: Arc::new(OsJitter),
            authorization: Arc::default(),
        })
    }
}

/// A successful response (any `2xx`), with the call's diagnostics.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response {
    /// The status.
    pub status: http::StatusCode,
    /// The response headers.
    pub headers: http::HeaderMap,
    /// The whole body.
    pub body: Vec<u8>,
    /// Ids and call facts (`MS-RequestId`, `MS-CorrelationId`, `MS-CV`, `MS-ServerId`).
    pub diagnostics: Diagnostics,
}

impl Response {
    /// A response header as text, if present and printable.
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// This response as an `http::Response`, with its [`Diagnostics`] in the extensions,
    /// for parsers over `http` types; [`Diagnostics::from_response`] reads them back.
    ///
    /// ```
    /// use pc_http::testing::ScriptedTransport;
    /// use pc_http::{ClientOptions, Diagnostics, Pipeline, StaticToken};
    ///
    /// let transport = ScriptedTransport::new();
    /// transport.push_json(200, "{}");
    /// let pipeline = Pipeline::new(transport, StaticToken::new("t0ken"), ClientOptions::default())?;
    /// let response = pipeline.get("/v1/customers/c")?.into_http();
    /// let diagnostics = Diagnostics::from_response(http::Method::GET, "/v1/customers/c", &response);
    /// assert_eq!(diagnostics.host, "api.partnercenter.microsoft.com");
    /// assert_eq!(diagnostics.attempts, 1);
    /// # Ok::<(), pc_http::Error>(())
    /// ```
    pub fn into_http(self) -> http::Response<Vec<u8>> {
        let mut response = http::Response::new(self.body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response.extensions_mut().insert(self.diagnostics);
        response
    }

    /// Parses the body as JSON (a leading byte-order mark is accepted); a failure is
    /// [`Error::Decode`] with the call's ids.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        crate::error_body::parse_json(&self.body).map_err(|message| Error::malformed(self, message))
    }
}

/// What a blocking [`TokenProvider`] may use: the pipeline's transport, with the same
/// timeout and retry rules, and its clock.
pub struct TokenContext<'a> {
    core: &'a Core,
    transport: &'a dyn HttpTransport,
    sleep: &'a dyn Sleep,
}

impl fmt::Debug for TokenContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenContext").finish_non_exhaustive()
    }
}

impl TokenContext<'_> {
    /// Sends a request with an absolute URI (a token endpoint) under the pipeline's
    /// retry rules, without `Authorization` or Partner Center headers. A non-success
    /// final status is [`Error::Api`].
    pub fn send(&self, request: http::Request<Vec<u8>>) -> Result<crate::Response, Error> {
        let call = Call::token_endpoint(self.core, request)?;
        run_blocking(self.core, self.transport, self.sleep, call, None)
    }

    /// The pipeline's monotonic time (token lifetimes are measured with it).
    pub fn now(&self) -> Instant {
        self.core.clock.instant()
    }
}

/// What an [`AsyncTokenProvider`] may use: the async twin of [`TokenContext`].
pub struct AsyncTokenContext<'a> {
    core: &'a Core,
    transport: &'a dyn AsyncHttpTransport,
    sleep: &'a dyn AsyncSleep,
}

impl fmt::Debug for AsyncTokenContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncTokenContext").finish_non_exhaustive()
    }
}

impl AsyncTokenContext<'_> {
    /// Sends a request with an absolute URI (a token endpoint) under the pipeline's
    /// retry rules, without `Authorization` or Partner Center headers.
    pub async fn send(&self, request: http::Request<Vec<u8>>) -> Result<crate::Response, Error> {
        let call = Call::token_endpoint(self.core, request)?;
        run_async_unauthenticated(self.core, self.transport, self.sleep, call).await
    }

    /// The pipeline's monotonic time.
    pub fn now(&self) -> Instant {
        self.core.clock.instant()
    }
}

fn run_blocking(
    core: &Core,
    transport: &dyn HttpTransport,
    sleep: &dyn Sleep,
    mut call: Call,
    auth: Option<&dyn TokenProvider>,
) -> Result<crate::Response, Error> {
    let span = call.span();
    let _entered = span.enter();
    let can_refresh = auth.is_some_and(|p| p.can_refresh());
    loop {
        let token = match auth {
            Some(provider) => Some(provider.token(&TokenContext {
                core,
                transport,
                sleep,
            })?),
            None => None,
        };
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

async fn run_async_unauthenticated(
    core: &Core,
    transport: &dyn AsyncHttpTransport,
    sleep: &dyn AsyncSleep,
    mut call: Call,
) -> Result<crate::Response, Error> {
    let span = call.span();
    async move {
        loop {
            let request = call.next_request(core, None)?;
            let started = core.clock.instant();
            let outcome = transport.send(request).await;
            match call.finish(core, outcome, started, false) {
                Step::Done(result) => return result,
                Step::Retry(delay) => sleep.sleep(delay).await,
                Step::Refresh => {}
            }
        }
    }
    .instrument(span)
    .await
}

async fn run_async(
    core: &Core,
    transport: &dyn AsyncHttpTransport,
    sleep: &dyn AsyncSleep,
    mut call: Call,
    auth: &dyn AsyncTokenProvider,
) -> Result<crate::Response, Error> {
    let span = call.span();
    async move {
        let can_refresh = auth.can_refresh();
        loop {
            let ctx = AsyncTokenContext {
                core,
                transport,
                sleep,
            };
            let token = auth.token(&ctx).await?;
            let request = call.next_request(core, Some(&token))?;
            let started = core.clock.instant();
            let outcome = transport.send(request).await;
            match call.finish(core, outcome, started, can_refresh) {
                Step::Done(result) => return result,
                Step::Retry(delay) => sleep.sleep(delay).await,
                Step::Refresh => auth.invalidate(&token),
            }
        }
    }
    .instrument(span)
    .await
}

/// The blocking pipeline: resolves paths against the base URL, adds the headers,
/// authenticates, retries, and keeps the diagnostics. Cheap to clone.
///
/// ```
/// use pc_http::testing::ScriptedTransport;
/// use pc_http::{ClientOptions, Pipeline, StaticToken};
///
/// let transport = ScriptedTransport::new();
/// transport.push_json(200, r#"{"status":"finished"}"#);
/// let pipeline = Pipeline::new(transport.clone(), StaticToken::new("t0ken"), ClientOptions::default())?;
///
/// let response = pipeline.get("/v1/customers/c/batchJobStatus/t")?;
/// assert_eq!(response.status, 200);
/// let sent = &transport.requests()[0];
/// assert_eq!(sent.uri(), "https://api.partnercenter.microsoft.com/v1/customers/c/batchJobStatus/t");
/// assert_eq!(sent.headers()["ms-contract-version"], "v1");
/// # Ok::<(), pc_http::Error>(())
/// ```
#[derive(Clone)]
pub struct Pipeline {
    core: Arc<Core>,
    transport: Arc<dyn HttpTransport>,
    sleep: Arc<dyn Sleep>,
    token: Arc<dyn TokenProvider>,
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("base_url", &self.core.base.base().to_string())
            .field("correlation_id", &self.core.correlation_id)
            .field("retry", &self.core.retry)
            .finish_non_exhaustive()
    }
}

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
            sleep: Arc::new(ThreadSleep),
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

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        Arc::make_mut(&mut self.core).clock = Arc::new(clock);
        self
    }

    /// Replaces the sleep between retries (tests).
    pub fn with_sleep(mut self, sleep: impl Sleep + 'static) -> Self {
        self.sleep = Arc::new(sleep);
        self
    }

    /// Replaces the jitter source (tests).
    pub fn with_jitter(mut self, jitter: impl Jitter + 'static) -> Self {
        Arc::make_mut(&mut self.core).jitter = Arc::new(jitter);
        self
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

    /// Sends one logical call.
    ///
    /// The URI is a path (`/v1/customers/...`, already percent-encoded) or an absolute
    /// URI on the base URL. Headers the request already has (`MS-RequestId`,
    /// `MS-CorrelationId`, `X-Locale`, ...) are kept; `Authorization` is always the
    /// pipeline's. A `2xx` is `Ok`; any other final status is [`Error::Api`].
    pub fn send(&self, request: http::Request<Vec<u8>>) -> Result<Response, Error> {
        let call = Call::api(&self.core, request)?;
        run_blocking(
            &self.core,
            self.transport.as_ref(),
            self.sleep.as_ref(),
            call,
            Some(self.token.as_ref()),
        )
    }

    /// `GET` a path.
    pub fn get(&self, path: &str) -> Result<Response, Error> {
        self.send(get_request(path)?)
    }
}

fn get_request(path: &str) -> Result<http::Request<Vec<u8>>, Error> {
    http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| Error::config(format!("{path:?} is not a valid request path: {e}")))
}

/// The async pipeline: the same behaviour as [`Pipeline`] over an async transport.
/// Cheap to clone.
#[derive(Clone)]
pub struct AsyncPipeline {
    core: Arc<Core>,
    transport: Arc<dyn AsyncHttpTransport>,
    sleep: Arc<dyn AsyncSleep>,
    token: Arc<dyn AsyncTokenProvider>,
}

impl fmt::Debug for AsyncPipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncPipeline")
            .field("base_url", &self.core.base.base().to_string())
            .field("correlation_id", &self.core.correlation_id)
            .field("retry", &self.core.retry)
            .finish_non_exhaustive()
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
            sleep: Arc::new(ThreadTimer),
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

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        Arc::make_mut(&mut self.core).clock = Arc::new(clock);
        self
    }

    /// Replaces the sleep between retries (tests, or a runtime's own timer).
    pub fn with_sleep(mut self, sleep: impl AsyncSleep + 'static) -> Self {
        self.sleep = Arc::new(sleep);
        self
    }

    /// Replaces the jitter source (tests).
    pub fn with_jitter(mut self, jitter: impl Jitter + 'static) -> Self {
        Arc::make_mut(&mut self.core).jitter = Arc::new(jitter);
        self
    }

    /// The same pipeline under another `MS-CorrelationId`.
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

    /// Sends one logical call; see [`Pipeline::send`].
    pub async fn send(&self, request: http::Request<Vec<u8>>) -> Result<Response, Error> {
        let call = Call::api(&self.core, request)?;
        run_async(
            &self.core,
            self.transport.as_ref(),
            self.sleep.as_ref(),
            call,
            self.token.as_ref(),
        )
        .await
    }

    /// `GET` a path.
    pub async fn get(&self, path: &str) -> Result<Response, Error> {
        self.send(get_request(path)?).await
    }
}
