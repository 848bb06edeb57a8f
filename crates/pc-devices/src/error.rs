//! The one error type of this crate, and the facts each variant carries.

use std::fmt;
use std::time::Duration;

use http::StatusCode;
use pc_http::Diagnostics;
use pc_models::{BatchUploadDetails, CustomerId, TrackingId};

use crate::accepted::UploadPart;
use crate::csv_import::CsvError;

/// Everything that can go wrong while talking device deployment to Partner Center.
///
/// `Display` is one sentence a person can act on. API errors name the HTTP status, the
/// service's code and description, `MS-CorrelationId` and `MS-RequestId`; nothing here
/// ever holds a token. [`Error::kind`] sorts the variants into broad classes. `Debug`
/// is the same sentence, with the body of an error answer as text.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status ([`pc_http::Error::Api`], whether the
    /// pipeline or an operation's own response parser saw it), or the transport failed:
    /// no connection, a truncated or oversized body, a bad configuration, a refused
    /// token request.
    #[error(transparent)]
    Http(#[from] pc_http::Error),
    /// A success answer whose body could not be read as the expected resource.
    #[error("{0}")]
    Decode(Box<DecodeFailure>),
    /// An upload was accepted (`202`) but the answer names no tracking id: the upload
    /// may have happened.
    #[error("{0}")]
    MissingTrackingId(Box<MissingTrackingId>),
    /// An input cannot be sent (an id that cannot be a path segment, a body that cannot
    /// be serialized). Nothing was sent.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidInput {
        /// Which input, e.g. `batch id`.
        what: &'static str,
        /// The value refused, as given.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// A listing did not end: the service repeated a continuation token, or sent more
    /// pages than allowed.
    #[error("{}", display_paging(.path, *.pages, .reason))]
    PagingLoop {
        /// The path listed.
        path: String,
        /// How many pages had been fetched.
        pages: usize,
        /// Why the listing was stopped.
        reason: PagingStop,
    },
    /// A page's next-page link points somewhere a listing must not go (another
    /// collection, another host). Nothing was sent to it.
    #[error(
        "listing {path} stopped: the service's next-page link {link:?} was not followed: {reason}"
    )]
    UnexpectedNextPage {
        /// The path listed.
        path: String,
        /// The link, as sent.
        link: String,
        /// Why it was not followed.
        reason: String,
    },
    /// The batch did not reach a terminal status before the deadline.
    #[error("{}", display_timeout(.customer, .tracking_id, *.waited, .last.as_deref()))]
    WaitTimeout {
        /// The customer.
        customer: CustomerId,
        /// The tracking id waited for.
        tracking_id: TrackingId,
        /// How long the wait lasted.
        waited: Duration,
        /// The last details seen, if any poll succeeded.
        last: Option<Box<BatchUploadDetails>>,
    },
    /// An Autopilot CSV file was refused; every bad line is listed. Nothing was sent.
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// An upload in parts stopped after some parts were accepted: their tracking ids,
    /// and why the next part failed.
    #[error("{0}")]
    UploadIncomplete(Box<UploadIncomplete>),
    /// An upload POST was answered `409 Conflict` after an earlier attempt of the same
    /// call (same `MS-RequestId`) got no answer: that attempt probably succeeded.
    #[error("{}", display_retried_conflict(.0))]
    RetriedUploadConflict(Box<pc_http::ApiError>),
}

/// Why a listing was stopped; see [`Error::PagingLoop`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PagingStop {
    /// The service sent a continuation token it had sent before.
    RepeatedToken,
    /// The listing reached the page limit while the service still named a next page.
    TooManyPages {
        /// The limit.
        max_pages: usize,
    },
}

/// The broad class of an [`Error`], for code that treats whole classes alike (a
/// command line maps them to exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad input or configuration: nothing was sent (invalid id, bad CSV, bad URL).
    InvalidInput,
    /// The service or the token endpoint answered with an error.
    Api,
    /// The service could not be reached or stopped answering.
    Transport,
    /// An answer could not be used: malformed, truncated, too large, a `202` without a
    /// tracking id, a listing that does not end.
    Decode,
    /// A wait passed its deadline.
    WaitTimeout,
    /// The token provider failed for a reason of its own (its store locked or
    /// unreadable): no request was sent with a token from it; see
    /// [`pc_http::Error::TokenProvider`].
    TokenProvider,
    /// The pipeline's [`pc_http::Interrupt`] was set: the call was not sent, or not
    /// retried ([`pc_http::Error::Interrupted`]). An upload stopped by it is
    /// [`Error::UploadIncomplete`] of this class when parts were accepted before.
    Interrupted,
}

impl fmt::Debug for Error {
    /// What `fn main() -> Result<(), Box<dyn Error>>` prints: the sentence of
    /// `Display`, and for an error answer its body as text, never a wall of bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Http(error) => write!(f, "{error:?}"),
            other => write!(f, "{other}"),
        }
    }
}

impl Error {
    /// The broad class of this error.
    ///
    /// ```
    /// use pc_devices::{Error, ErrorKind};
    /// let error = pc_devices::path::encode_segment("batch id", "..").unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::InvalidInput);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Http(error) => match error.kind() {
                pc_http::ErrorKind::Config => ErrorKind::InvalidInput,
                pc_http::ErrorKind::Api | pc_http::ErrorKind::TokenEndpoint => ErrorKind::Api,
                pc_http::ErrorKind::Decode => ErrorKind::Decode,
                pc_http::ErrorKind::TokenProvider => ErrorKind::TokenProvider,
                pc_http::ErrorKind::Interrupted => ErrorKind::Interrupted,
                _ => ErrorKind::Transport,
            },
            Error::Decode(_)
            | Error::MissingTrackingId(_)
            | Error::PagingLoop { .. }
            | Error::UnexpectedNextPage { .. } => ErrorKind::Decode,
            Error::InvalidInput { .. } | Error::Csv(_) => ErrorKind::InvalidInput,
            Error::WaitTimeout { .. } => ErrorKind::WaitTimeout,
            Error::UploadIncomplete(incomplete) => incomplete.error.kind(),
            Error::RetriedUploadConflict(_) => ErrorKind::Api,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Http(error) => error.status(),
            Error::RetriedUploadConflict(api) => Some(api.status),
            Error::UploadIncomplete(incomplete) => incomplete.error.status(),
            Error::Decode(failure) => Some(failure.status),
            Error::MissingTrackingId(failure) => Some(failure.status),
            _ => None,
        }
    }

    /// The service's error code (e.g. `600`), for an error answer that carried one.
    pub fn service_code(&self) -> Option<&str> {
        match self {
            Error::Http(error) => error.service_code(),
            Error::RetriedUploadConflict(api) => api.code.as_deref(),
            Error::UploadIncomplete(incomplete) => incomplete.error.service_code(),
            _ => None,
        }
    }

    /// The `MS-RequestId` of the failing call, when a call was made.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Http(error) => error.diagnostics()?.request_id.as_deref(),
            Error::RetriedUploadConflict(api) => api.diagnostics.request_id.as_deref(),
            Error::UploadIncomplete(incomplete) => incomplete.error.request_id(),
            Error::Decode(failure) => failure.diagnostics.request_id.as_deref(),
            Error::MissingTrackingId(failure) => failure.diagnostics.request_id.as_deref(),
            _ => None,
        }
    }

    /// The `MS-CorrelationId` of the failing call, when a call was made.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Error::Http(error) => error.diagnostics()?.correlation_id.as_deref(),
            Error::RetriedUploadConflict(api) => api.diagnostics.correlation_id.as_deref(),
            Error::UploadIncomplete(incomplete) => incomplete.error.correlation_id(),
            Error::Decode(failure) => failure.diagnostics.correlation_id.as_deref(),
            Error::MissingTrackingId(failure) => failure.diagnostics.correlation_id.as_deref(),
            _ => None,
        }
    }

    /// How long the service asked to wait before calling again (`Retry-After` of the
    /// last answer), for an error answer that said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Http(pc_http::Error::Api(api)) => api.retry_after,
            Error::UploadIncomplete(incomplete) => incomplete.error.retry_after(),
            _ => None,
        }
    }

    /// The last batch details a timed-out wait saw.
    pub fn last_details(&self) -> Option<&BatchUploadDetails> {
        match self {
            Error::WaitTimeout { last, .. } => last.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn invalid(
        what: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidInput {
            what,
            value: value.into(),
            reason: reason.into(),
        }
    }
}

/// A success answer whose body could not be read; see [`Error::Decode`].
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodeFailure {
    /// The HTTP status.
    pub status: StatusCode,
    /// The answer's `Content-Type`, as sent (a proxy's HTML page says `text/html`).
    pub content_type: Option<String>,
    /// What was wrong with the body.
    pub problem: DecodeProblem,
    /// The first characters of the body, as text.
    pub body_snippet: Option<String>,
    /// The call: method, path, `MS-RequestId`, `MS-CorrelationId`, ...
    pub diagnostics: Diagnostics,
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the response to {} {} could not be read: {}",
            self.diagnostics.method, self.diagnostics.path, self.problem,
        )?;
        if let Some(content_type) = &self.content_type
            && !content_type.to_ascii_lowercase().contains("json")
        {
            write!(f, "; it is {content_type}, not JSON")?;
        }
        if let Some(snippet) = &self.body_snippet
            && !matches!(self.problem, DecodeProblem::Empty { .. })
        {
            write!(f, "; the body begins {snippet:?}")?;
        }
        write!(
            f,
            " (HTTP {}; {})",
            self.status,
            self.diagnostics.support_ids()
        )
    }
}

/// The first characters of a body for a message: without a byte-order mark, runs of
/// white space and control characters folded to one space, `…` when cut; `None` when
/// nothing printable is left.
pub(crate) fn snippet(body: &[u8]) -> Option<String> {
    const MAX_CHARS: usize = 120;
    let text = String::from_utf8_lossy(pc_models::strip_bom(body));
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect();
    let folded = words.join(" ");
    let mut cut: String = folded.chars().take(MAX_CHARS).collect();
    if cut.len() < folded.len() {
        cut.push('…');
    }
    (!cut.is_empty()).then_some(cut)
}

/// What was wrong with the body of a success answer; see [`DecodeFailure`].
#[derive(Debug)]
#[non_exhaustive]
pub enum DecodeProblem {
    /// The body was empty (or only white space) where a JSON resource was expected.
    Empty {
        /// The type that was expected, e.g. `BatchUploadDetails`.
        expected: String,
    },
    /// The body is not the expected JSON: what broke, where, and which type was expected.
    Json(pc_models::ParseError),
}

impl fmt::Display for DecodeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty { expected } => {
                write!(
                    f,
                    "the body is empty where JSON for {expected} was expected"
                )
            }
            Self::Json(error) => write!(f, "{error}"),
        }
    }
}

/// An upload answer without a tracking id; see [`Error::MissingTrackingId`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MissingTrackingId {
    /// The HTTP status (a success).
    pub status: StatusCode,
    /// The `Location` header, when there was one (without a tracking id in it).
    pub location: Option<String>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The call: method, path, `MS-RequestId`, `MS-CorrelationId`, ...
    pub diagnostics: Diagnostics,
}

impl fmt::Display for MissingTrackingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Partner Center accepted {} {} (HTTP {}) but named no tracking id: ",
            self.diagnostics.method, self.diagnostics.path, self.status
        )?;
        match &self.location {
            Some(location) => write!(f, "the Location {location:?} holds none")?,
            None => write!(f, "no Location header")?,
        }
        match snippet(&self.body) {
            Some(body) => write!(f, ", and the body {body:?} names none")?,
            None => write!(f, ", and the body is empty")?,
        }
        write!(
            f,
            ". The upload may have happened: list the customer's batches before uploading \
             again ({})",
            self.diagnostics.support_ids()
        )
    }
}

/// An upload that stopped after some of its parts were accepted; see
/// [`Error::UploadIncomplete`].
#[derive(Debug)]
#[non_exhaustive]
pub struct UploadIncomplete {
    /// The parts accepted before the failure, in order: their devices were sent.
    pub accepted: Vec<UploadPart>,
    /// How many devices were not sent (the failed part and those after it).
    pub devices_not_sent: usize,
    /// Why the next part failed.
    pub error: Error,
}

impl fmt::Display for UploadIncomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sent: usize = self.accepted.iter().map(|part| part.devices).sum();
        let ids: Vec<String> = self
            .accepted
            .iter()
            .map(|part| part.tracking_id.to_string())
            .collect();
        write!(
            f,
            "the upload stopped after {} accepted part(s) holding {sent} device(s) \
             (tracking ids {}); {} device(s) were not sent: {}",
            self.accepted.len(),
            ids.join(", "),
            self.devices_not_sent,
            self.error
        )
    }
}

fn display_retried_conflict(api: &pc_http::ApiError) -> String {
    format!(
        "{}. An earlier attempt of this same upload (MS-RequestId {}) got no answer and \
         probably succeeded: list the customer's batches, or ask for the batch's status, \
         before uploading again",
        pc_http::Error::Api(Box::new(api.clone())),
        api.diagnostics.request_id.as_deref().unwrap_or("none"),
    )
}

fn display_paging(path: &str, pages: usize, reason: &PagingStop) -> String {
    match reason {
        PagingStop::RepeatedToken => format!(
            "listing {path} did not end: after {pages} pages the service sent a continuation \
             token it had sent before; stopped to avoid an endless loop"
        ),
        PagingStop::TooManyPages { max_pages } => format!(
            "listing {path} did not end: the service still named a next page after {pages} \
             pages, the limit is {max_pages}"
        ),
    }
}

fn display_timeout(
    customer: &CustomerId,
    tracking_id: &TrackingId,
    waited: Duration,
    last: Option<&BatchUploadDetails>,
) -> String {
    let status = last
        .and_then(|details| details.status.as_ref())
        .map_or("unknown", |status| status.as_str());
    format!(
        "batch {tracking_id} of customer {customer} was still {status} after waiting {}; \
         ask for its status again later",
        human_duration(waited)
    )
}

/// A duration for people: `300ms`, `12s`, `2m05s`, `1h30m`.
pub(crate) fn human_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0 => format!("{}ms", duration.as_millis()),
        1..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The error of a call made through an interrupted pipeline (for the flows' tests
    /// too).
    pub(crate) fn interrupted() -> Error {
        let interrupt = pc_http::Interrupt::new();
        interrupt.interrupt();
        let pipeline = pc_http::Pipeline::new(
            pc_http::testing::ScriptedTransport::new(),
            pc_http::StaticToken::new("t"),
            pc_http::ClientOptions::default(),
        )
        .unwrap()
        .with_interrupt(interrupt);
        pipeline.get("/v1/x").unwrap_err().into()
    }

    #[test]
    fn durations_read_as_people_write_them() {
        let ms = Duration::from_millis;
        assert_eq!(human_duration(ms(300)), "300ms");
        assert_eq!(human_duration(ms(12_400)), "12s");
        assert_eq!(human_duration(ms(125_000)), "2m05s");
        assert_eq!(human_duration(ms(5_400_000)), "1h30m");
    }

    #[test]
    fn a_snippet_folds_white_space_and_is_cut() {
        assert_eq!(
            snippet(b"\xEF\xBB\xBF  <html>\r\n <body>x</body>"),
            Some("<html> <body>x</body>".into())
        );
        assert_eq!(snippet(b" \n\t"), None);
        let long = "a".repeat(500);
        let cut = snippet(long.as_bytes()).unwrap();
        assert_eq!(cut.chars().count(), 121);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn a_token_providers_own_failure_is_its_own_class() {
        let own = std::io::Error::other("the token store is locked");
        let error = Error::from(pc_http::Error::token_provider(own));
        assert_eq!(error.kind(), ErrorKind::TokenProvider);
        assert_eq!(error.to_string(), "the token store is locked");
        assert_eq!(error.status(), None);
    }

    #[test]
    fn an_interruption_is_its_own_class_even_after_accepted_parts() {
        let interrupted = interrupted();
        assert_eq!(interrupted.kind(), ErrorKind::Interrupted);
        assert_eq!(interrupted.status(), None);
        let tracking = TrackingId::from_uuid(pc_models::Uuid::from_u128(1));
        let incomplete = Error::UploadIncomplete(Box::new(UploadIncomplete {
            accepted: vec![UploadPart::new(
                crate::accepted::UploadAccepted::new(tracking, None),
                2,
            )],
            devices_not_sent: 3,
            error: interrupted,
        }));
        assert_eq!(incomplete.kind(), ErrorKind::Interrupted);
        assert!(
            incomplete.to_string().starts_with(
                "the upload stopped after 1 accepted part(s) holding 2 device(s) (tracking ids \
                 00000000-0000-0000-0000-000000000001); 3 device(s) were not sent: GET /v1/x on \
                 api.partnercenter.microsoft.com was not sent because of an interruption"
            ),
            "{incomplete}"
        );
    }

    #[test]
    fn the_error_stays_small() {
        assert!(
            std::mem::size_of::<Error>() <= 80,
            "{}",
            std::mem::size_of::<Error>()
        );
    }
}
