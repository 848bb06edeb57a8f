//! What a handler answers, before it becomes an HTTP response: a status, headers and
//! a JSON body (or none).

use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use pc_models::{ErrorCode, ServiceError, ThrottleError};
use serde::Serialize;

/// The `code`s the simulator writes in its service error bodies.
pub mod codes {
    /// The request is malformed: a bad GUID, body or continuation token (400).
    pub const INVALID_REQUEST: i64 = 600;
    /// A limit of the simulator was reached (400, or 413 for a body).
    pub const LIMIT_EXCEEDED: i64 = 601;
    /// No such customer batch, tracking id, device, policy or path (404).
    pub const NOT_FOUND: i64 = 602;
    /// The batch already exists (409).
    pub const CONFLICT: i64 = 603;
    /// The path does not take this method (405).
    pub const METHOD_NOT_ALLOWED: i64 = 604;
    /// Strict mode: the `MS-RequestId` was already used on this route with another
    /// body (409). Distinct from [`CONFLICT`], so that a client never takes it for "the
    /// batch already exists".
    pub const REQUEST_ID_REUSED: i64 = 605;
    /// No bearer token, or one the simulator does not accept (401).
    pub const UNAUTHORIZED: i64 = 900;
    /// The token is valid but may not do this: an app-only token creating a batch,
    /// which is App+User only (403, `--strict-auth`).
    pub const FORBIDDEN: i64 = 901;
    /// An injected internal error (500).
    pub const INTERNAL_ERROR: i64 = 500;
    /// An injected unavailability (503).
    pub const UNAVAILABLE: i64 = 503;
}

/// A status, headers and a body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
}

impl Answer {
    /// An answer without a body.
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// An answer with `value` as its JSON body.
    pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self {
                status,
                headers: vec![(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                )],
                body: Bytes::from(body),
            },
            Err(error) => Self::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                codes::INTERNAL_ERROR,
                format!("the simulator could not write its answer: {error}"),
            ),
        }
    }

    /// An answer with the service error body.
    pub(crate) fn error(status: StatusCode, code: i64, description: impl Into<String>) -> Self {
        let body = ServiceError {
            code: Some(ErrorCode::from(code)),
            description: Some(description.into()),
            data: Some(Vec::new()),
            source: Some("PartnerFD".to_owned()),
            ..Default::default()
        };
        Self::json(status, &body)
    }

    /// A 400 with the service error body.
    pub(crate) fn bad_request(description: impl Into<String>) -> Self {
        Self::error(StatusCode::BAD_REQUEST, codes::INVALID_REQUEST, description)
    }

    /// A 404 with the service error body.
    pub(crate) fn not_found(description: impl Into<String>) -> Self {
        Self::error(StatusCode::NOT_FOUND, codes::NOT_FOUND, description)
    }

    /// A 400 (or 413) saying which limit was reached.
    pub(crate) fn limit(description: impl Into<String>) -> Self {
        Self::error(StatusCode::BAD_REQUEST, codes::LIMIT_EXCEEDED, description)
    }

    /// The throttled answer: 429, `Retry-After` and the throttle body.
    pub(crate) fn throttled(retry_after_secs: u64) -> Self {
        let body = ThrottleError {
            status_code: Some(429),
            message: Some(format!(
                "Rate limit is exceeded. Try again in {retry_after_secs} seconds."
            )),
            ..Default::default()
        };
        Self::json(StatusCode::TOO_MANY_REQUESTS, &body)
            .with_header(header::RETRY_AFTER, &retry_after_secs.to_string())
    }

    /// A 202 pointing at a batch job: `Location: /customers/{cid}/batchJobStatus/{tid}`.
    pub(crate) fn accepted(location: &str) -> Self {
        Self::empty(StatusCode::ACCEPTED).with_header(header::LOCATION, location)
    }

    /// The answer with one more header; a value that is not a valid header value is
    /// left out.
    pub(crate) fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }
}
