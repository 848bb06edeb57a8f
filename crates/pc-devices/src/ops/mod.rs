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

pub use batches::{
    AddDevices, CreateDeviceBatch, DeleteDevice, GetBatchStatus, ListDeviceBatches, ListDevices,
    UpdateDevicePolicies,
};
pub use policies::{
    CreateConfigurationPolicy, DeleteConfigurationPolicy, GetConfigurationPolicy,
    ListConfigurationPolicies, UpdateConfigurationPolicy,
};
pub use tracking::{UploadAccepted, tracking_id_from_body, tracking_id_from_location};

use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderValue, Method, StatusCode};
use pc_http::{ApiError, Diagnostics};
use pc_models::{Collection, CustomerId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::SystemTime;

use crate::Error;
use crate::error::{DecodeFailure, DecodeProblem};

/// One Partner Center operation: a pure request builder and a pure response parser.
///
/// The blocking and async clients differ only in the line that sends
/// [`to_request`](Self::to_request)'s request; any other HTTP client can do the same.
pub trait Operation {
    /// What a successful answer holds.
    type Output;

    /// The request: method, path-only URI, `Accept`, and for a body
    /// `Content-Type: application/json` with camelCase JSON. Refuses inputs that cannot
    /// be sent with [`Error::InvalidInput`].
    fn to_request(&self) -> Result<http::Request<Vec<u8>>, Error>;

    /// Reads the answer: the typed output of a success; for an error status
    /// [`Error::Http`] holding [`pc_http::Error::Api`], the same error a [`pc_http`]
    /// pipeline gives; [`Error::Decode`] for a body that is not the expected resource.
    ///
    /// The call's ids come from the response headers, or from the
    /// [`pc_http::Diagnostics`] in its extensions ([`Diagnostics::from_response`]).
    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error>;
}

/// An operation that lists one page of a collection; the next page is the same
/// operation with the page's continuation token.
pub trait PagedOperation: Operation<Output = Collection<Self::Item>> + Clone {
    /// One item of the collection.
    type Item;

    /// The continuation token this request sends (`MS-ContinuationToken`), if any.
    fn continuation_token(&self) -> Option<&str>;

    /// The same listing, asking for the page of `token`.
    fn with_continuation_token(&self, token: Option<String>) -> Self;
}

/// The [`PagedOperation`] impl of a listing whose struct has a
/// `continuation_token: Option<String>` field.
macro_rules! paged_operation {
    ($operation:ty, $item:ty) => {
        impl $crate::ops::PagedOperation for $operation {
            type Item = $item;

            fn continuation_token(&self) -> Option<&str> {
                self.continuation_token.as_deref()
            }

            fn with_continuation_token(&self, token: Option<String>) -> Self {
                Self {
                    continuation_token: token,
                    ..self.clone()
                }
            }
        }
    };
}
use paged_operation;

/// `/v1/customers/{customer-id}`.
fn customer_path(customer: &CustomerId) -> String {
    format!("/v1/customers/{customer}")
}

/// A request with `Accept: application/json`, and a JSON body when one is given.
fn request(
    method: Method,
    path: &str,
    body: Option<Vec<u8>>,
) -> Result<http::Request<Vec<u8>>, Error> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(path)
        .header(ACCEPT, HeaderValue::from_static("application/json"));
    if body.is_some() {
        builder = builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    builder
        .body(body.unwrap_or_default())
        .map_err(|error| Error::invalid("request path", path, error.to_string()))
}

/// A `GET` for one page, with the continuation token as `MS-ContinuationToken`.
fn page_request(path: &str, token: Option<&str>) -> Result<http::Request<Vec<u8>>, Error> {
    let mut request = request(Method::GET, path, None)?;
    if let Some(token) = token.filter(|token| !token.is_empty()) {
        let value = HeaderValue::from_str(token).map_err(|_| {
            Error::invalid(
                "continuation token",
                token,
                "it holds characters an HTTP header cannot carry",
            )
        })?;
        request
            .headers_mut()
            .insert(pc_http::headers::MS_CONTINUATION_TOKEN, value);
    }
    Ok(request)
}

/// Serializes a body as JSON.
fn json_body(what: &'static str, body: &impl Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body).map_err(|error| Error::invalid(what, "(body)", error.to_string()))
}

/// A parser's way to the request path: called only when an error needs diagnostics and
/// the response carries none, so a success never formats the path a second time.
type PathFn<'a> = &'a dyn Fn() -> String;

/// The call's diagnostics for an error: [`Diagnostics::from_response`], with the path
/// formatted only when the response has no diagnostics attached (a pipeline's do).
fn diagnostics(
    method: Method,
    path: PathFn<'_>,
    response: &http::Response<Vec<u8>>,
) -> Diagnostics {
    let path = if response.extensions().get::<Diagnostics>().is_some() {
        String::new()
    } else {
        path()
    };
    Diagnostics::from_response(method, path, response)
}

/// Turns an error status into [`pc_http::Error::Api`]; a success passes.
fn check_status(
    method: Method,
    path: PathFn<'_>,
    response: &http::Response<Vec<u8>>,
) -> Result<(), Error> {
    if response.status().is_success() {
        return Ok(());
    }
    let diagnostics = diagnostics(method, path, response);
    // A parser has no clock of its own: a `Retry-After` date is measured from now.
    let error = ApiError::from_response(response, diagnostics, SystemTime::now());
    Err(Error::Http(error.into()))
}

/// The JSON resource of a success answer; an empty body is a decode error that says so.
fn parse_json<T: DeserializeOwned>(
    method: Method,
    path: PathFn<'_>,
    response: &http::Response<Vec<u8>>,
) -> Result<T, Error> {
    check_status(method.clone(), path, response)?;
    if is_blank(response.body()) {
        let expected = expected_type::<T>();
        return Err(decode(
            diagnostics(method, path, response),
            response.status(),
            DecodeProblem::Empty { expected },
        ));
    }
    pc_models::from_slice(response.body()).map_err(|source| {
        decode(
            diagnostics(method, path, response),
            response.status(),
            DecodeProblem::Json(source),
        )
    })
}

/// The JSON resource of a success answer, or `None` when the body is empty.
fn parse_optional_json<T: DeserializeOwned>(
    method: Method,
    path: PathFn<'_>,
    response: &http::Response<Vec<u8>>,
) -> Result<Option<T>, Error> {
    check_status(method.clone(), path, response)?;
    if is_blank(response.body()) {
        return Ok(None);
    }
    pc_models::from_slice(response.body())
        .map(Some)
        .map_err(|source| {
            decode(
                diagnostics(method, path, response),
                response.status(),
                DecodeProblem::Json(source),
            )
        })
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

fn decode(diagnostics: Diagnostics, status: StatusCode, problem: DecodeProblem) -> Error {
    Error::Decode(Box::new(DecodeFailure {
        status,
        problem,
        diagnostics,
    }))
}

#[cfg(test)]
mod tests;
