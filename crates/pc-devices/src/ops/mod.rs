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
use pc_models::{Collection, CustomerId, ParseError, ServiceError, ThrottleError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

use crate::Error;
use crate::error::{CallInfo, DecodeFailure, ServiceFailure};

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

    /// Reads the answer: the typed output of a success, [`Error::Service`] for an
    /// error status, [`Error::Decode`] for a body that is not the expected resource.
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

/// Turns an error status into [`Error::Service`]; passes a success through.
fn check_status(
    method: Method,
    path: String,
    response: &http::Response<Vec<u8>>,
) -> Result<CallInfo, Error> {
    let call = CallInfo::of_response(method, path, response);
    let status = response.status();
    if status.is_success() {
        return Ok(call);
    }
    Err(Error::Service(Box::new(service_failure(call, response))))
}

/// Reads whichever error shape the body has; a body in neither is kept raw.
fn service_failure(call: CallInfo, response: &http::Response<Vec<u8>>) -> ServiceFailure {
    let body = response.body();
    let (mut code, mut description) = (None, None);
    if let Ok(error) = pc_models::from_slice::<ServiceError>(body) {
        code = error.code.map(|code| code.as_str().to_owned());
        description = error.description;
    }
    if code.is_none()
        && description.is_none()
        && let Ok(throttle) = pc_models::from_slice::<ThrottleError>(body)
    {
        description = throttle.message;
    }
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    ServiceFailure {
        status: response.status(),
        code,
        description,
        retry_after,
        body: body.clone(),
        call,
    }
}

/// The JSON resource of a success answer.
fn parse_json<T: DeserializeOwned>(
    method: Method,
    path: String,
    response: &http::Response<Vec<u8>>,
) -> Result<T, Error> {
    let call = check_status(method, path, response)?;
    pc_models::from_slice(response.body()).map_err(|source| decode(call, response.status(), source))
}

/// The JSON resource of a success answer, or `None` when the body is empty.
fn parse_optional_json<T: DeserializeOwned>(
    method: Method,
    path: String,
    response: &http::Response<Vec<u8>>,
) -> Result<Option<T>, Error> {
    let call = check_status(method, path, response)?;
    let body = pc_models::strip_bom(response.body());
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    pc_models::from_slice(body)
        .map(Some)
        .map_err(|source| decode(call, response.status(), source))
}

fn decode(call: CallInfo, status: StatusCode, source: ParseError) -> Error {
    Error::Decode(Box::new(DecodeFailure {
        status,
        source,
        call,
    }))
}

#[cfg(test)]
mod tests;
