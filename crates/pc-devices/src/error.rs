//! The one error type of this crate, and the facts each variant carries.

use std::fmt;
use std::time::Duration;

use http::StatusCode;
use pc_http::{Diagnostics, body_snippet, status_text};
use pc_models::{BatchUploadDetails, CustomerId, TrackingId};

use crate::csv_import::CsvError;

/// Everything that can go wrong while talking device deployment to Partner Center.
///
/// `Display` is one sentence a person can act on. API errors name the HTTP status, the
/// service's code and description, `MS-CorrelationId` and `MS-RequestId`; nothing here
/// ever holds a token. [`Error::kind`] sorts the variants into the broad classes a
/// command-line tool maps to exit codes.
#[derive(Debug, thiserror::Error)]
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

/// The broad class of an [`Error`], for mapping to exit codes and the like.
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
}

impl ErrorKind {
    /// The `pc` command line's exit code for this class (see its contract): `2` invalid
    /// input, `4` an error answer, `5` transport or unreadable answer, `6` wait timeout.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::InvalidInput => 2,
            ErrorKind::Api => 4,
            ErrorKind::Transport | ErrorKind::Decode => 5,
            ErrorKind::WaitTimeout => 6,
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
    /// assert_eq!(error.kind().exit_code(), 2);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Http(error) => match error.kind() {
                pc_http::ErrorKind::Config => ErrorKind::InvalidInput,
                pc_http::ErrorKind::Api | pc_http::ErrorKind::TokenEndpoint => ErrorKind::Api,
                pc_http::ErrorKind::Decode => ErrorKind::Decode,
                _ => ErrorKind::Transport,
            },
            Error::Decode(_) | Error::MissingTrackingId(_) | Error::PagingLoop { .. } => {
                ErrorKind::Decode
            }
            Error::InvalidInput { .. } | Error::Csv(_) => ErrorKind::InvalidInput,
            Error::WaitTimeout { .. } => ErrorKind::WaitTimeout,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Http(error) => error.status(),
            Error::Decode(failure) => Some(failure.status),
            Error::MissingTrackingId(failure) => Some(failure.status),
            _ => None,
        }
    }

    /// The service's error code (e.g. `600`), for an error answer that carried one.
    pub fn service_code(&self) -> Option<&str> {
        match self {
            Error::Http(error) => error.service_code(),
            _ => None,
        }
    }

    /// The `MS-RequestId` of the failing call, when a call was made.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Http(error) => error.diagnostics()?.request_id.as_deref(),
            Error::Decode(failure) => failure.diagnostics.request_id.as_deref(),
            Error::MissingTrackingId(failure) => failure.diagnostics.request_id.as_deref(),
            _ => None,
        }
    }

    /// The `MS-CorrelationId` of the failing call, when a call was made.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Error::Http(error) => error.diagnostics()?.correlation_id.as_deref(),
            Error::Decode(failure) => failure.diagnostics.correlation_id.as_deref(),
            Error::MissingTrackingId(failure) => failure.diagnostics.correlation_id.as_deref(),
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
    /// What was wrong with the body.
    pub problem: DecodeProblem,
    /// The call: method, path, `MS-RequestId`, `MS-CorrelationId`, ...
    pub diagnostics: Diagnostics,
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the response to {} {} could not be read: {} (HTTP {}; {})",
            self.diagnostics.method,
            self.diagnostics.path,
            self.problem,
            status_text(self.status),
            self.diagnostics.support_ids()
        )
    }
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
            self.diagnostics.method,
            self.diagnostics.path,
            status_text(self.status)
        )?;
        match &self.location {
            Some(location) => write!(f, "the Location {location:?} holds none")?,
            None => write!(f, "no Location header")?,
        }
        match body_snippet(&self.body) {
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
        "batch {tracking_id} of customer {customer} was still {status} after waiting {}s; \
         ask for its status again later",
        waited.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_stays_small() {
        assert!(
            std::mem::size_of::<Error>() <= 80,
            "{}",
            std::mem::size_of::<Error>()
        );
    }
}
