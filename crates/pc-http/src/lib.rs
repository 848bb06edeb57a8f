//! `pc-http`: how requests travel to Microsoft Partner Center and back.
//!
//! This crate knows bytes, headers, tokens and retries; it knows nothing about devices.
//! It offers:
//!
//! - the transport seam: [`HttpTransport`] (blocking) and [`AsyncHttpTransport`]
//!   (async), over `http::Request<Vec<u8>>` / `http::Response<Vec<u8>>`, implemented by
//!   closures, by `testing::ScriptedTransport` (feature `testing`, for tests), and by
//!   two backends behind features: [`UreqTransport`] (feature `ureq`, the default; no
//!   async runtime) and [`ReqwestTransport`] (feature `reqwest`; tokio and hyper, no
//!   ureq). Both use rustls with ring and the same trusted roots ([`tls`]).
//! - the pipeline, [`Pipeline`] and [`AsyncPipeline`]: base URL per [`Cloud`], the
//!   Partner Center headers, a bearer token from a [`TokenProvider`], retries by
//!   [`RetryPolicy`] (honouring `Retry-After`), and the response [`Diagnostics`]; an
//!   [`Interrupt`] a caller sets (on a Ctrl-C) stops it starting anything new.
//! - token providers: [`StaticToken`], [`ClientCredentials`], [`RefreshTokenGrant`];
//!   secrets live in [`Secret`], which never prints.
//! - one error type, [`Error`], whose message names the HTTP status, the service's code
//!   and description, `MS-CorrelationId` and `MS-RequestId`.
//!
//! Pick another crate when you want something else: `pc-models` for the typed
//! resources only (no I/O), `pc-devices` for the device-deployment operations (batch
//! status, upload, list, delete, wait) built on this crate, `pc-sim` for an in-memory
//! Partner Center to test against.
//!
//! ```
//! use pc_http::testing::ScriptedTransport;
//! use pc_http::{ClientOptions, Pipeline, StaticToken};
//!
//! let transport = ScriptedTransport::new();
//! transport.push_response(404, &[("MS-RequestId", "r-1")], r#"{"code": 600, "description": "Customer not found"}"#);
//! let pipeline = Pipeline::new(transport, StaticToken::new("t0ken"), ClientOptions {
//!     correlation_id: Some("c-1".into()),
//!     ..Default::default()
//! })?;
//!
//! let err = pipeline.get("/v1/customers/x").unwrap_err();
//! assert_eq!(err.status(), Some(http::StatusCode::NOT_FOUND));
//! assert_eq!(
//!     err.to_string(),
//!     "Partner Center answered GET /v1/customers/x with HTTP 404 Not Found: error 600: \
//!      Customer not found (MS-CorrelationId c-1, MS-RequestId r-1)"
//! );
//! # Ok::<(), pc_http::Error>(())
//! ```

mod auth;
mod backend;
mod call;
mod device_code;
mod driver;
mod endpoint;
mod error;
mod error_body;
pub mod headers;
mod interrupt;
mod options;
mod pipeline;
pub mod proxy;
pub mod retry;
pub mod runtime;
mod secret;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tls;
mod transport;

pub use auth::{
    ClientCredentials, RefreshTokenCallback, RefreshTokenGrant, StaticToken, TokenResponse,
    parse_token_response,
};
#[cfg(feature = "reqwest")]
pub use backend::reqwest::ReqwestTransport;
#[cfg(feature = "ureq")]
pub use backend::ureq::UreqTransport;
pub use device_code::{
    DEFAULT_CODE_LIFETIME, DEFAULT_INTERVAL, DeviceAuthorization, DeviceCodeFlow, DeviceCodeGrant,
    DeviceCodeState, SLOW_DOWN_STEP,
};
pub use driver::{AsyncTokenContext, AsyncTokenProvider, TokenContext, TokenProvider};
pub use endpoint::{BaseUrl, Cloud, PARTNER_CENTER_RESOURCE};
pub use error::{
    ApiError, DecodeError, DecodeErrorKind, Diagnostics, Error, ErrorKind, InterruptedCall,
    TokenEndpointError, TransportError, TransportErrorKind, TransportFailure,
};
pub use interrupt::{Interrupt, InterruptedFuture};
pub use options::{ClientOptions, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT};
pub use pipeline::{AsyncPipeline, Pipeline};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use transport::{AsyncHttpTransport, AttemptTimeout, CallDeadline, HttpTransport};
