//! Header names Partner Center uses, as `http::HeaderName` constants.

use http::{HeaderMap, HeaderName};

/// `MS-RequestId`: one GUID per logical call, the same on every retry (the idempotency key).
pub const MS_REQUEST_ID: HeaderName = HeaderName::from_static("ms-requestid");
/// `MS-CorrelationId`: one GUID per user action.
pub const MS_CORRELATION_ID: HeaderName = HeaderName::from_static("ms-correlationid");
/// `MS-CV`: the service's correlation vector (responses).
pub const MS_CV: HeaderName = HeaderName::from_static("ms-cv");
/// `MS-ServerId`: the server that answered (responses).
pub const MS_SERVER_ID: HeaderName = HeaderName::from_static("ms-serverid");
/// `MS-Contract-Version`: always `v1`.
pub const MS_CONTRACT_VERSION: HeaderName = HeaderName::from_static("ms-contract-version");
/// `MS-ContinuationToken`: sent back to fetch the next page of a collection.
pub const MS_CONTINUATION_TOKEN: HeaderName = HeaderName::from_static("ms-continuationtoken");
/// `X-Locale`: the language of error text (`en-US`).
pub const X_LOCALE: HeaderName = HeaderName::from_static("x-locale");

/// A header's value as text, when present and printable.
pub(crate) fn text(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}
