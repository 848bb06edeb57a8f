//! The operations, sans I/O: each is a value with a pure request builder and a pure
//! response parser.
//!
//! A client (blocking or async) moves the request to a transport and the response
//! back; nothing here sends a byte. Requests carry path-only URIs
//! (`/v1/customers/{customer-id}/…`, canonical spelling, every free-form id one
//! percent-encoded segment); a [`pc_http`] pipeline resolves them against the base URL
//! and adds the Partner Center headers, the token and the retries.
//!
//! ```
//! use pc_devices::ops::{GetBatchStatus, Operation};
//!
//! let op = GetBatchStatus::new(
//!     "47021739-3426-40bf-9601-61b4b6d7c793".parse()?,
//!     "0127ed8e-ff72-4983-a3d8-e8d8bd378932".parse()?,
//! );
//! let request = op.to_request()?;
//! assert_eq!(
//!     request.uri(),
//!     "/v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932"
//! );
//!
//! // … send it with any HTTP client, then:
//! let response = http::Response::builder()
//!     .status(200)
//!     .body(br#"{"batchTrackingId":"0127ed8e-ff72-4983-a3d8-e8d8bd378932","status":"queued"}"#.to_vec())?;
//! let details = op.parse_response(response)?;
//! assert!(!details.is_terminal());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batches;
mod policies;
mod tracking;

pub use crate::accepted::UploadAccepted;
pub use batches::{
    AddDevices, CreateDeviceBatch, DeleteDevice, GetBatchStatus, ListDeviceBatches, ListDevices,
    UpdateDevicePolicies,
};
pub use policies::{
    CreateConfigurationPolicy, DeleteConfigurationPolicy, GetConfigurationPolicy,
    ListConfigurationPolicies, UpdateConfigurationPolicy,
};
pub use tracking::{tracking_id_from_body, tracking_id_from_location};

use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderValue, Method, StatusCode};
use pc_http::{ApiError, Diagnostics};
use pc_models::{Collection, CustomerId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::SystemTime;

use crate::Error;
use crate::error::{DecodeFailure, DecodeProblem};

/// One Partner Center operation: its method and path, its body, and a pure reader of
/// the answer. The request and the parse are written once, here, for every client.
///
/// The blocking and async clients differ only in the line that sends
/// [`to_request`](Self::to_request)'s request; any other HTTP client can do the same.
pub trait Operation {
    /// What a successful answer holds.
    type Output;

    /// The HTTP method.
    const METHOD: Method;

    /// The request path (and query, for a next page): `/v1/customers/{customer-id}/…`,
    /// canonical spelling, every free-form id one percent-encoded segment. Refuses an
    /// id that cannot be a segment with [`Error::InvalidInput`].
    fn path(&self) -> Result<String, Error>;

    /// The JSON body, if the operation sends one.
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }

    /// The continuation token this request sends as `MS-ContinuationToken` (the next
    /// page of a listing), if any.
    fn continuation_token(&self) -> Option<&str> {
        None
    }

    /// Reads a success answer (any `2xx`) into the output.
    fn parse_success(&self, response: &http::Response<Vec<u8>>) -> Result<Self::Output, Error>;

    /// The request: [`METHOD`](Self::METHOD), the path-only URI, `Accept`, and for a
    /// body `Content-Type: application/json` with camelCase JSON.
    fn to_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        let path = self.path()?;
        let body = self.body()?;
        let mut builder = http::Request::builder()
            .method(Self::METHOD)
            .uri(&path)
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        if body.is_some() {
            builder = builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(token) = self.continuation_token().filter(|token| !token.is_empty()) {
            let value = HeaderValue::from_str(token).map_err(|_| {
                Error::invalid(
                    "continuation token",
                    token,
                    "it holds characters an HTTP header cannot carry",
                )
            })?;
            builder = builder.header(pc_http::headers::MS_CONTINUATION_TOKEN, value);
        }
        builder
            .body(body.unwrap_or_default())
            .map_err(|error| Error::invalid("request path", path, error.to_string()))
    }

    /// Reads the answer: the typed output of a success; for an error status
    /// [`Error::Http`] holding [`pc_http::Error::Api`] (the one place an error status
    /// is judged for a client); [`Error::Decode`] for a body that is not the expected
    /// resource.
    ///
    /// The call's ids come from the [`Diagnostics`] a pipeline attached to the
    /// response, or else from its headers.
    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error>
    where
        Self: Sized,
    {
        let response = success(self, response)?;
        self.parse_success(&response)
    }
}

/// A success answer passes; another status becomes [`pc_http::Error::Api`] with the
/// call's ids.
pub(crate) fn success<O: Operation>(
    op: &O,
    response: http::Response<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, Error> {
    if response.status().is_success() {
        return Ok(response);
    }
    let diagnostics = diagnostics(op, &response);
    let retried = diagnostics.attempts > 1;
    // A parser has no clock of its own: a `Retry-After` date is measured from now.
    let error = ApiError::from_response(&response, diagnostics, SystemTime::now());
    if O::METHOD == Method::POST && response.status() == StatusCode::CONFLICT && retried {
        return Err(Error::RetriedUploadConflict(Box::new(error)));
    }
    Err(Error::Http(error.into()))
}

/// The page after this one, as the service points to it: the query of its next-page
/// link (such as `seekOperation=Next`), and the continuation token to send as
/// `MS-ContinuationToken`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NextPage {
    /// The query to add to the collection's path, without the `?`.
    pub query: Option<String>,
    /// The continuation token.
    pub token: Option<String>,
}

impl NextPage {
    /// The page of a bare continuation token (no query).
    pub fn token(token: impl Into<String>) -> Self {
        Self {
            query: None,
            token: Some(token.into()),
        }
    }

    /// What tells this page from the others, for loop detection.
    pub(crate) fn key(&self) -> String {
        format!(
            "{}\n{}",
            self.token.as_deref().unwrap_or_default(),
            self.query.as_deref().unwrap_or_default()
        )
    }
}

/// An operation that lists one page of a collection; the next page is the same
/// operation pointed at the page the service named (read by the `paging` module's
/// `next_page`).
pub trait PagedOperation: Operation<Output = Collection<Self::Item>> + Clone {
    /// One item of the collection.
    type Item;

    /// The page this request asks for; `None`: the first.
    fn page(&self) -> Option<&NextPage>;

    /// The same listing, asking for `page`.
    fn with_page(&self, page: NextPage) -> Self;
}

/// The [`PagedOperation`] impl of a listing whose struct has a
/// `page: Option<NextPage>` field.
macro_rules! paged_operation {
    ($operation:ty, $item:ty) => {
        impl $crate::ops::PagedOperation for $operation {
            type Item = $item;

            fn page(&self) -> Option<&$crate::ops::NextPage> {
                self.page.as_ref()
            }

            fn with_page(&self, page: $crate::ops::NextPage) -> Self {
                Self {
                    page: Some(page),
                    ..self.clone()
                }
            }
        }
    };
}
use paged_operation;

/// A listing's path: the collection's own, plus the query of the page asked for.
fn page_path(collection: String, page: Option<&NextPage>) -> String {
    match page.and_then(|page| page.query.as_deref()) {
        Some(query) => format!("{collection}?{query}"),
        None => collection,
    }
}

/// `/v1/customers/{customer-id}`.
fn customer_path(customer: &CustomerId) -> String {
    format!("/v1/customers/{customer}")
}

/// Serializes a body as JSON.
fn json_body(what: &'static str, body: &impl Serialize) -> Result<Option<Vec<u8>>, Error> {
    serde_json::to_vec(body)
        .map(Some)
        .map_err(|error| Error::invalid(what, "(body)", error.to_string()))
}

/// The call's diagnostics for an error: those a pipeline attached, else the operation's
/// method and path (formatted only here, when an error needs them).
fn diagnostics<O: Operation>(op: &O, response: &http::Response<Vec<u8>>) -> Diagnostics {
    let path = if Diagnostics::of(response).is_some() {
        String::new()
    } else {
        let path = op.path().unwrap_or_default();
        match path.split_once('?') {
            Some((path, _query)) => path.to_owned(),
            None => path,
        }
    };
    Diagnostics::from_response(O::METHOD, path, response)
}

/// The JSON resource of a success answer; an empty body is a decode error that says so.
fn parse_json<O: Operation, T: DeserializeOwned>(
    op: &O,
    response: &http::Response<Vec<u8>>,
) -> Result<T, Error> {
    if is_blank(response.body()) {
        let expected = expected_type::<T>();
        return Err(decode(op, response, DecodeProblem::Empty { expected }));
    }
    pc_models::from_slice(response.body())
        .map_err(|source| decode(op, response, DecodeProblem::Json(source)))
}

/// Whether a body holds nothing but a byte-order mark and white space.
fn is_blank(body: &[u8]) -> bool {
    pc_models::strip_bom(body)
        .iter()
        .all(u8::is_ascii_whitespace)
}

/// The name of `T` as pc-models' parse errors spell it (`Collection<Device>`).
fn expected_type<T: DeserializeOwned>() -> String {
    // Parsing nothing always fails, and the error names the type expected.
    match pc_models::from_slice::<T>(b"") {
        Err(error) => error.expected().to_owned(),
        Ok(_) => std::any::type_name::<T>().to_owned(),
    }
}

fn decode<O: Operation>(
    op: &O,
    response: &http::Response<Vec<u8>>,
    problem: DecodeProblem,
) -> Error {
    Error::Decode(Box::new(DecodeFailure {
        status: response.status(),
        content_type: response
            .headers()
            .get(CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
        problem,
        body_snippet: crate::error::snippet(response.body()),
        diagnostics: diagnostics(op, response),
    }))
}

#[cfg(test)]
mod tests;
