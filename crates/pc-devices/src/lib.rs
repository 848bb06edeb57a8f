//! `pc-devices`: the Microsoft Partner Center device deployment operations (Windows
//! Autopilot batches), blocking and async.
//!
//! The operation at the centre is the status of a device batch upload
//! (`GET /v1/customers/{customer-id}/batchJobStatus/{tracking-id}`); around it: create
//! a batch, add devices, list batches and devices (every page), delete a device, update
//! device policies, configuration policies, a wait poller, and the import of the CSV
//! that `Get-WindowsAutopilotInfo` writes.
//!
//! Layers, each usable alone:
//! - [`ops`]: sans-IO operations. Each is a value with its method, path and body, and
//!   a pure response parser over `http` types ([`ops::Operation`]); bring any HTTP
//!   client.
//! - `DevicesClient` (feature `blocking`, the default; no async runtime) and
//!   `AsyncDevicesClient` (feature `async`; no ureq): one method per operation, with the
//!   same names and arguments on both, over a [`pc_http`] pipeline (headers, token,
//!   retries honouring `Retry-After`); listings that follow every page ([`paging`]) and
//!   a wait poller ([`wait`]).
//! - [`csv_import`]: the Autopilot CSV file into devices, all or nothing.
//! - [`Error`]: one error type; [`Error::kind`] sorts it.
//! - [`models`]: `pc-models` re-exported (ids, resources, statuses, the error catalog),
//!   so a crate that depends on this one alone has every type it needs.
//! - [`http`]: `pc-http` re-exported (token providers, transports, clouds, options,
//!   retries), so a crate that passes a token provider or a transport to a client needs
//!   no second dependency to keep at a matching version. It is the transport layer,
//!   not the `http` crate whose `Request` and `Response` the operations take and give.
//!
//! Features: `blocking` (the default) gives `DevicesClient` on ureq; `async` gives
//! `AsyncDevicesClient` on reqwest. For an async-only build, turn the default off:
//! `pc-devices = { version = "0.1", default-features = false, features = ["async"] }`
//! (with the default on, both backends are built). For tests against a simulated
//! Partner Center, add `pc-sim` under `[dev-dependencies]`: it brings tokio and axum.
//!
//! Pick another crate for less: `pc-models` for the typed resources only (no I/O),
//! `pc-http` for an authenticated transport without the device operations, `pc-sim`
//! for a simulated Partner Center to test against.
//!
//! ```no_run
//! # #[cfg(feature = "blocking")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use pc_devices::DevicesClient;
//! use pc_devices::models::{CustomerId, TrackingId};
//!
//! let client = DevicesClient::builder()
//!     .token(std::env::var("PARTNER_CENTER_ACCESS_TOKEN")?)
//!     .build()?;
//! let customer: CustomerId = "47021739-3426-40bf-9601-61b4b6d7c793".parse()?;
//! let tracking: TrackingId = "0127ed8e-ff72-4983-a3d8-e8d8bd378932".parse()?;
//! let details = client.batch_upload_status(&customer, &tracking)?;
//! for failed in details.failed_devices() {
//!     println!("{:?}: {}", failed.device.serial_number, failed.hint());
//! }
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "blocking"))]
//! # fn main() {}
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod accepted;
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub mod asynchronous;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
#[cfg(any(feature = "blocking", feature = "async"))]
mod client;
pub mod csv_import;
mod error;
pub mod ops;
pub mod paging;
pub mod path;
pub mod upload;
pub mod wait;

pub use accepted::{UploadAccepted, UploadPart};
#[cfg(feature = "async")]
pub use asynchronous::{AsyncDevicesClient, AsyncDevicesClientBuilder};
#[cfg(feature = "blocking")]
pub use blocking::{DevicesClient, DevicesClientBuilder};
pub use csv_import::{CsvError, CsvImport, CsvWarning, parse_autopilot_csv};
pub use error::{DecodeFailure, DecodeProblem, Error, ErrorKind, MissingTrackingId, PagingStop};
pub use pc_http::{ClientOptions, Cloud, RetryPolicy};
pub use upload::{UploadOptions, UploadTarget};
pub use wait::{WaitOptions, WaitProgress};

/// The resource types, ids and helpers of `pc-models`, re-exported.
pub use pc_models as models;

/// The transport layer, `pc-http`, re-exported: token providers, transports, clouds,
/// client options, retries and the transport's errors. A crate that passes a token
/// provider or a transport to a client needs no second dependency, kept at the version
/// this crate was built with.
///
/// This is `pc-http`, not the `http` crate of request and response types.
///
/// ```
/// # #[cfg(feature = "blocking")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use pc_devices::DevicesClient;
/// use pc_devices::http::{Cloud, StaticToken};
///
/// let client = DevicesClient::builder()
///     .cloud(Cloud::China)
///     .token_provider(StaticToken::new("t0ken"))
///     .build()?;
/// assert_eq!(client.pipeline().base_url().to_string(), Cloud::China.base_url().to_string());
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "blocking"))]
/// # fn main() {}
/// ```
pub use pc_http as http;

/// The README's examples, compiled as doc tests so they stay true.
#[cfg(all(doctest, feature = "blocking"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
