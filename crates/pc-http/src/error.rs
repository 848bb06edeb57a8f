//! The one error type of this crate, and the transport error the backends produce.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::{HeaderMap, Method, StatusCode};

/// What went wrong while moving bytes, as a transport reports it.
///
/// The pipeline decides from the kind whether to retry (see [`crate::retry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, unreachable, name not resolved). Retried.
    Connect,
    /// The attempt ran out of time between connecting and the last byte. Retried.
    Timeout,
    /// The TLS handshake failed (for example an untrusted certificate). Not retried.
    Tls,
    /// The connection was reset or closed before a whole response arrived. Retried.
    Reset,
    /// The body ended before its `Content-Length` (or chunked framing) said it would. Retried.
    Truncated,
    /// The body is larger than the configured cap. Not retried.
    TooLarge,
    /// The request cannot be sent as it is (for example plain `http://` to a remote
    /// host); nothing was sent. Not retried.
    InvalidRequest,
    /// Anything else. Not retried.
    Other,
}

impl TransportErrorKind {
    /// Whether the retry rules allow another attempt after this kind of failure.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::Connect | Self::Timeout | Self::Reset | Self::Truncated
        )
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Connect => "the connection failed",
            Self::Timeout => "the request timed out",
            Self::Tls => "the TLS handshake failed",
            Self::Reset => "the connection was reset",
            Self::Truncated => "the response body was cut short",
            Self::TooLarge => "the response body is too large",
            Self::InvalidRequest => "the request was refused before sending",
            Self::Other => "the transport failed",
        }
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A failure reported by an [`HttpTransport`](crate::HttpTransport) or
/// [`AsyncHttpTransport`](crate::AsyncHttpTransport): no usable response arrived.
///
/// HTTP statuses are not transport errors: a `503` is a response.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl TransportError {
    /// A transport error of `kind` with a message for people.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The message for people.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.kind, self.message)
        }
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// What Microsoft support needs to find a call, plus what the pipeline knows about it.
///
/// The ids are the ones the response echoed, or the ones sent when it echoed none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostics {
    /// The request method.
    pub method: Method,
    /// The request host (`api.partnercenter.microsoft.com`, `login.microsoftonline.com`, ...).
    pub host: String,
    /// The request path, without the query.
    pub path: String,
    /// `MS-RequestId`: one per logical call, the same on every retry.
    pub request_id: Option<String>,
    /// `MS-CorrelationId`: ties together the calls of one user action.
    pub correlation_id: Option<String>,
    /// `MS-CV`, the service's correlation vector.
    pub cv: Option<String>,
    /// `MS-ServerId`, the server that answered.
    pub server_id: Option<String>,
    /// How many attempts the call took (retries and the token-refresh attempt included).
    pub attempts: u32,
}

impl Diagnostics {
    /// The facts of the call that received `response`, for a parser that was handed the
    /// response rather than making the call.
    ///
    /// When the response carries a `Diagnostics` in its extensions (a pipeline's
    /// response does: [`Diagnostics::of`]), that is the starting point; otherwise `method`, `path` and one attempt, with no host.
    /// The ids the response headers name (`MS-RequestId`, `MS-CorrelationId`, `MS-CV`,
    /// `MS-ServerId`) take the place of those sent.
    ///
    /// ```
    /// use http::Method;
    /// use pc_http::Diagnostics;
    ///
    /// let response = http::Response::builder()
    ///     .status(404)
    ///     .header("MS-RequestId", "r-1")
    ///     .header("MS-CorrelationId", "c-1")
    ///     .body(Vec::<u8>::new())?;
    /// let diagnostics = Diagnostics::from_response(Method::GET, "/v1/customers/x", &response);
    /// assert_eq!(diagnostics.path, "/v1/customers/x");
    /// assert_eq!(diagnostics.request_id.as_deref(), Some("r-1"));
    /// assert_eq!(diagnostics.correlation_id.as_deref(), Some("c-1"));
    /// # Ok::<(), http::Error>(())
    /// ```
    pub fn from_response<B>(
        method: Method,
        path: impl Into<String>,
        response: &http::Response<B>,
    ) -> Self {
        let mut diagnostics = match response.extensions().get::<Self>() {
            Some(attached) => attached.clone(),
            None => Self {
                method,
                path: path.into(),
                attempts: 1,
                ..Self::default()
            },
        };
        diagnostics.note_response(response.headers());
        diagnostics
    }

    /// The diagnostics a pipeline attached to the final response of a call.
    pub fn of<B>(response: &http::Response<B>) -> Option<&Self> {
        response.extensions().get::<Self>()
    }

    /// Takes the ids a response names in place of those sent.
    pub(crate) fn note_response(&mut self, headers: &HeaderMap) {
        use crate::headers::{MS_CORRELATION_ID, MS_CV, MS_REQUEST_ID, MS_SERVER_ID};
        note(&mut self.request_id, headers, &MS_REQUEST_ID);
        note(&mut self.correlation_id, headers, &MS_CORRELATION_ID);
        note(&mut self.cv, headers, &MS_CV);
        note(&mut self.server_id, headers, &MS_SERVER_ID);
    }

    /// `MS-CorrelationId …, MS-RequestId …`: what Microsoft support asks for, the tail
    /// of every message about a call (`none` where an id is unknown).
    ///
    /// ```
    /// let mut diagnostics = pc_http::Diagnostics::default();
    /// diagnostics.request_id = Some("r-1".into());
    /// assert_eq!(diagnostics.support_ids(), "MS-CorrelationId none, MS-RequestId r-1");
    /// ```
    pub fn support_ids(&self) -> String {
        format!(
            "MS-CorrelationId {}, MS-RequestId {}",
            clip(self.correlation_id.as_deref().unwrap_or("none"), MAX_ID),
            clip(self.request_id.as_deref().unwrap_or("none"), MAX_ID),
        )
    }

    /// The support ids, after the number of attempts when there was more than one.
    fn ids(&self) -> String {
        if self.attempts > 1 {
            format!("after {} attempts; {}", self.attempts, self.support_ids())
        } else {
            self.support_ids()
        }
    }
}

/// Puts a header's printable value in `slot`, allocating only when it differs from what
/// the slot holds (the pipeline notes a response's ids once, a parser again).
fn note(slot: &mut Option<String>, headers: &HeaderMap, name: &http::HeaderName) {
    if let Some(text) = headers.get(name).and_then(|value| value.to_str().ok())
        && slot.as_deref() != Some(text)
    {
        *slot = Some(text.to_owned());
    }
}

/// The service answered with a status that is not a success, and retrying did not help
/// (or was not allowed).
///
/// The pipeline builds it with [`ApiError::from_response`], and so can a parser handed
/// a response from any other HTTP client.
#[derive(Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status of the last attempt.
    pub status: StatusCode,
    /// The service's error code (`600`; kept as text whether it came as a number or a string).
    pub code: Option<String>,
    /// The service's description, or the throttling message of a `429`.
    pub description: Option<String>,
    /// The service error body, when it had that shape.
    pub service_error: Option<pc_models::ServiceError>,
    /// The throttling body of a `429`, when it had that shape.
    pub throttle: Option<pc_models::ThrottleError>,
    /// The `Retry-After` the last response asked for, if any (uncapped, as sent).
    pub retry_after: Option<Duration>,
    /// The response headers of the last attempt.
    pub headers: http::HeaderMap,
    /// The raw response body of the last attempt.
    pub body: Vec<u8>,
    /// Ids and call facts.
    pub diagnostics: Diagnostics,
}

impl fmt::Debug for ApiError {
    /// The fields a person needs, the body as a text snippet (not bytes, no headers).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &status_text(self.status))
            .field("code", &self.code)
            .field("description", &self.description)
            .field("retry_after", &self.retry_after)
            .field("request_id", &self.diagnostics.request_id)
            .field("correlation_id", &self.diagnostics.correlation_id)
            .field("body", &body_snippet(&self.body).unwrap_or_default())
            .finish_non_exhaustive()
    }
}

/// Why a response body could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The body is not the JSON that was expected.
    Malformed,
    /// The body ended before the whole response arrived.
    Truncated,
    /// The body is larger than the configured cap.
    TooLarge,
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "the body is malformed",
            Self::Truncated => "the body was cut short",
            Self::TooLarge => "the body is too large",
        })
    }
}

/// A response arrived but its body could not be used.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DecodeError {
    /// What was wrong with the body.
    pub kind: DecodeErrorKind,
    /// Details for people.
    pub message: String,
    /// The HTTP status, when the status line arrived.
    pub status: Option<StatusCode>,
    /// Ids and call facts.
    pub diagnostics: Diagnostics,
}

/// A failure to reach the service: no usable response after the retries allowed.
#[derive(Debug)]
#[non_exhaustive]
pub struct TransportFailure {
    /// The last transport error.
    pub error: TransportError,
    /// Ids and call facts.
    pub diagnostics: Diagnostics,
}

/// The token endpoint refused to issue a token (`invalid_grant`, `invalid_client`, ...).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenEndpointError {
    /// The HTTP status of the answer.
    pub status: Option<StatusCode>,
    /// The OAuth error code (`invalid_grant`).
    pub error: Option<String>,
    /// The endpoint's `error_description`.
    pub description: Option<String>,
    /// The endpoint's `trace_id`, for Azure AD support.
    pub trace_id: Option<String>,
    /// The endpoint's `correlation_id`, for Azure AD support.
    pub correlation_id: Option<String>,
    /// Ids and call facts of the token request.
    pub diagnostics: Diagnostics,
}

impl TokenEndpointError {
    /// Whether the endpoint refused the refresh token itself (`invalid_grant`: expired,
    /// revoked, or already used): the sign-in must be renewed, retrying cannot help.
    pub fn needs_new_sign_in(&self) -> bool {
        self.error.as_deref() == Some("invalid_grant")
    }

    /// The refusal a token endpoint's error answer (`{"error": "invalid_grant",
    /// "error_description": "..."}`) states; fields the answer lacks stay `None`.
    pub fn from_response(response: &http::Response<Vec<u8>>) -> Self {
        let value = pc_models::from_slice::<serde_json::Value>(response.body()).unwrap_or_default();
        let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        Self {
            status: Some(response.status()),
            error: text("error"),
            description: text("error_description"),
            trace_id: text("trace_id"),
            correlation_id: text("correlation_id"),
            diagnostics: Diagnostics::of(response).cloned().unwrap_or_default(),
        }
    }
}

/// A call the pipeline did not send, or did not send again, because its
/// [`Interrupt`](crate::Interrupt) was set; see [`Error::Interrupted`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InterruptedCall {
    /// Ids and call facts: `attempts` is how many attempts were made (none when the
    /// call was not sent at all).
    pub diagnostics: Diagnostics,
    /// What the last attempt came to (`HTTP 503 Service Unavailable`, `the request
    /// timed out`), when one was made and would have been retried.
    pub last_attempt: Option<String>,
}

/// Everything that can go wrong on the way to Partner Center and back.
///
/// `Display` is one sentence a person can act on; it names the HTTP status, the
/// service's code and description, `MS-CorrelationId` and `MS-RequestId` where they
/// exist, and never a secret.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service could not be reached or stopped answering (connect, timeout, TLS, reset).
    #[error("{}", display_transport(.0))]
    Transport(Box<TransportFailure>),
    /// The service answered with an error status.
    #[error("{}", display_api(.0))]
    Api(Box<ApiError>),
    /// A response arrived but could not be read (malformed, truncated, too large).
    #[error("{}", display_decode(.0))]
    Decode(Box<DecodeError>),
    /// The configuration is unusable (a bad URL, plain http to a remote host, a bad CA
    /// file, ...). Nothing was sent.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The token endpoint refused to issue a token.
    #[error("{}", display_token(.0))]
    TokenEndpoint(Box<TokenEndpointError>),
    /// A token provider failed for a reason of its own (a token store that is locked,
    /// unreadable or unreachable), before any token endpoint answered: no request was
    /// sent with a token from it. The provider's error is kept as it was made, so its
    /// caller can take it back ([`Error::token_provider_error`]); `Display` is its
    /// sentence.
    #[error("{0}")]
    TokenProvider(#[source] Box<dyn StdError + Send + Sync>),
    /// The pipeline's [`Interrupt`](crate::Interrupt) was set before an attempt of
    /// the call: that attempt (the first one, or a retry) was not started. Attempts
    /// already made ran to their end; what they answered was not a final answer.
    #[error("{}", display_interrupted(.0))]
    Interrupted(Box<InterruptedCall>),
}

impl fmt::Debug for Error {
    /// The sentence of `Display`, then the body of an error answer as text: what
    /// `fn main() -> Result<(), Box<dyn Error>>` prints should be read, not decoded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")?;
        if let Self::Api(api) = self
            && let Some(body) = body_snippet(&api.body)
        {
            write!(f, "\n    response body: {body}")?;
        }
        Ok(())
    }
}

impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        Self::Api(Box::new(error))
    }
}

/// The broad class of an [`Error`], for code that treats whole classes alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Transport`].
    Transport,
    /// [`Error::Api`].
    Api,
    /// [`Error::Decode`].
    Decode,
    /// [`Error::Config`].
    Config,
    /// [`Error::TokenEndpoint`].
    TokenEndpoint,
    /// [`Error::TokenProvider`].
    TokenProvider,
    /// [`Error::Interrupted`].
    Interrupted,
}

impl Error {
    /// A configuration error with a message for people.
    pub fn config(message: impl Into<String>) -> Self {
        Self::Config(message.into())
    }

    /// A token provider's own failure, kept as it is (see [`Error::TokenProvider`]).
    ///
    /// ```
    /// use pc_http::{Error, ErrorKind};
    ///
    /// #[derive(Debug)]
    /// struct VaultLocked;
    /// impl std::fmt::Display for VaultLocked {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         f.write_str("the vault is locked")
    ///     }
    /// }
    /// impl std::error::Error for VaultLocked {}
    ///
    /// let error = Error::token_provider(VaultLocked);
    /// assert_eq!(error.kind(), ErrorKind::TokenProvider);
    /// assert_eq!(error.to_string(), "the vault is locked");
    /// assert!(error.token_provider_error().is_some_and(|e| e.is::<VaultLocked>()));
    /// ```
    pub fn token_provider(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::TokenProvider(error.into())
    }

    /// The error a token provider failed with, for [`Error::TokenProvider`]: downcast it
    /// to the provider's own type to take its details back.
    pub fn token_provider_error(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        match self {
            Self::TokenProvider(error) => Some(error.as_ref()),
            _ => None,
        }
    }

    /// A malformed-body error for a response (its [`Diagnostics`] when a pipeline
    /// attached them), for parsers built on this crate.
    pub fn malformed(response: &http::Response<Vec<u8>>, message: impl Into<String>) -> Self {
        Self::Decode(Box::new(DecodeError {
            kind: DecodeErrorKind::Malformed,
            message: message.into(),
            status: Some(response.status()),
            diagnostics: Diagnostics::of(response).cloned().unwrap_or_default(),
        }))
    }

    /// The broad class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Transport(_) => ErrorKind::Transport,
            Self::Api(_) => ErrorKind::Api,
            Self::Decode(_) => ErrorKind::Decode,
            Self::Config(_) => ErrorKind::Config,
            Self::TokenEndpoint(_) => ErrorKind::TokenEndpoint,
            Self::TokenProvider(_) => ErrorKind::TokenProvider,
            Self::Interrupted(_) => ErrorKind::Interrupted,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::Decode(e) => e.status,
            Self::TokenEndpoint(e) => e.status,
            Self::Transport(_)
            | Self::Config(_)
            | Self::TokenProvider(_)
            | Self::Interrupted(_) => None,
        }
    }

    /// The service's error code, for an API error that carried one.
    pub fn service_code(&self) -> Option<&str> {
        match self {
            Self::Api(e) => e.code.as_deref(),
            _ => None,
        }
    }

    /// Whether this is the token endpoint refusing a refresh token (`invalid_grant`):
    /// the sign-in must be renewed.
    pub fn needs_new_sign_in(&self) -> bool {
        matches!(self, Self::TokenEndpoint(refusal) if refusal.needs_new_sign_in())
    }

    /// The call's ids and facts, when a call was made.
    pub fn diagnostics(&self) -> Option<&Diagnostics> {
        match self {
            Self::Transport(e) => Some(&e.diagnostics),
            Self::Api(e) => Some(&e.diagnostics),
            Self::Decode(e) => Some(&e.diagnostics),
            Self::TokenEndpoint(e) => Some(&e.diagnostics),
            Self::Interrupted(e) => Some(&e.diagnostics),
            Self::Config(_) | Self::TokenProvider(_) => None,
        }
    }

    /// The transport error kind, for transport errors.
    pub fn transport_kind(&self) -> Option<TransportErrorKind> {
        match self {
            Self::Transport(e) => Some(e.error.kind()),
            _ => None,
        }
    }
}

/// An HTTP status for a message: `404 Not Found`, or the bare number when it has no
/// standard reason.
pub(crate) fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

fn display_interrupted(e: &InterruptedCall) -> String {
    let d = &e.diagnostics;
    match &e.last_attempt {
        None => format!(
            "{} {} on {} was not sent because of an interruption ({})",
            d.method,
            d.path,
            d.host,
            d.support_ids()
        ),
        Some(last) => format!(
            "{} {} on {} was not retried because of an interruption; the last attempt \
             ended with {last} ({})",
            d.method,
            d.path,
            d.host,
            d.ids()
        ),
    }
}

fn display_transport(e: &TransportFailure) -> String {
    let d = &e.diagnostics;
    format!(
        "{} {} on {} did not complete: {} ({})",
        d.method,
        d.path,
        d.host,
        e.error,
        d.ids()
    )
}

fn display_api(e: &ApiError) -> String {
    let d = &e.diagnostics;
    let mut out = format!(
        "Partner Center answered {} {} with HTTP {}",
        d.method,
        d.path,
        status_text(e.status)
    );
    let code = e.code.as_deref().map(|code| clip(code, MAX_CODE));
    let description = e
        .description
        .as_deref()
        .map(|text| clip(text, MAX_DESCRIPTION));
    match (&code, &description) {
        (Some(code), Some(desc)) => out.push_str(&format!(": error {code}: {desc}")),
        (Some(code), None) => out.push_str(&format!(": error {code}")),
        (None, Some(desc)) => out.push_str(&format!(": {desc}")),
        (None, None) => out.push_str(&body_hint(&e.body)),
    }
    match e.retry_after {
        Some(after) => out.push_str(&format!(" (Retry-After {}s; {})", after.as_secs(), d.ids())),
        None => out.push_str(&format!(" ({})", d.ids())),
    }
    out
}

/// A short, printable view of a body that carried no recognisable error.
fn body_hint(body: &[u8]) -> String {
    match body_snippet(body) {
        Some(snippet) => format!(": {snippet}"),
        None => " and an empty body".to_owned(),
    }
}

/// The most characters of a service's description a message shows.
const MAX_DESCRIPTION: usize = 500;
/// The most characters of an error code a message shows.
const MAX_CODE: usize = 100;
/// The most characters of an id (request, correlation, trace) a message shows.
const MAX_ID: usize = 100;

/// `text` for a message: control characters blanked and at most `max` characters,
/// `…` when cut, so no answer, however long or odd, makes a message unbounded or
/// breaks its line.
fn clip(text: &str, max: usize) -> String {
    let mut clipped: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(max).is_some() {
        clipped.push('…');
    }
    clipped
}

/// The first 200 characters of a body for a message, without a byte-order mark, trimmed,
/// control characters blanked, `…` when cut; `None` when nothing printable is left.
pub(crate) fn body_snippet(body: &[u8]) -> Option<String> {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(pc_models::strip_bom(body));
    let text: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.is_empty() {
        return None;
    }
    let mut snippet: String = text.chars().take(MAX).collect();
    if text.chars().count() > MAX {
        snippet.push('…');
    }
    Some(snippet)
}

fn display_decode(e: &DecodeError) -> String {
    let d = &e.diagnostics;
    let status = e
        .status
        .map(|s| format!("HTTP {}; ", status_text(s)))
        .unwrap_or_default();
    format!(
        "the response to {} {} could not be read: {}: {} ({status}{})",
        d.method,
        d.path,
        e.kind,
        e.message,
        d.ids()
    )
}

fn display_token(e: &TokenEndpointError) -> String {
    let d = &e.diagnostics;
    let mut out = format!("the token endpoint {} refused to issue a token", d.host);
    if let Some(status) = e.status {
        out.push_str(&format!(" (HTTP {})", status_text(status)));
    }
    let code = e.error.as_deref().map(|code| clip(code, MAX_CODE));
    let description = e
        .description
        .as_deref()
        .map(|text| clip(text, MAX_DESCRIPTION));
    match (&code, &description) {
        (Some(code), Some(desc)) => out.push_str(&format!(": {code}: {desc}")),
        (Some(code), None) => out.push_str(&format!(": {code}")),
        (None, Some(desc)) => out.push_str(&format!(": {desc}")),
        (None, None) => {}
    }
    let mut ids = Vec::new();
    if let Some(t) = &e.trace_id {
        ids.push(format!("trace id {}", clip(t, MAX_ID)));
    }
    if let Some(c) = &e.correlation_id {
        ids.push(format!("correlation id {}", clip(c, MAX_ID)));
    }
    if !ids.is_empty() {
        out.push_str(&format!(" ({})", ids.join(", ")));
    }
    if e.needs_new_sign_in() {
        out.push_str("; the sign-in has expired or was revoked and must be renewed");
    }
    out
}
