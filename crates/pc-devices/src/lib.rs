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
//! - [`ops`]: sans-IO operations. Each is a value with a pure request builder and a
//!   pure response parser over `http` types ([`ops::Operation`]); bring any HTTP
//!   client.
//! - `DevicesClient` (feature `blocking`, the default; no async runtime) and
//!   `AsyncDevicesClient` (feature `async`; no ureq): the same operations with the same
//!   names on a [`pc_http`] pipeline (headers, token, retries honouring `Retry-After`),
//!   as direct methods and as a .NET-style path
//!   (`client.customer(cid).batch_upload_status(tid).get()`), with listings that follow
//!   every continuation token ([`paging`]) and a wait poller ([`wait`]).
//! - [`csv_import`]: the Autopilot CSV file into devices, all or nothing.
//! - [`Error`]: one error type; [`Error::kind`] sorts it for exit codes.
//!
//! Pick another crate for less: `pc-models` for the typed resources only (no I/O),
//! `pc-http` for an authenticated transport without the device operations, `pc-sim`
//! for a simulated Partner Center to test against.
//!
//! ```no_run
//! # #[cfg(feature = "blocking")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use pc_devices::DevicesClient;
//!
//! let client = DevicesClient::builder().token("eyJ0eXAi…").build()?;
//! let customer = "47021739-3426-40bf-9601-61b4b6d7c793".parse()?;
//! let tracking = "0127ed8e-ff72-4983-a3d8-e8d8bd378932".parse()?;
//! let details = client.customer(customer).batch_upload_status(tracking).get()?;
//! for failed in details.failed_devices() {
//!     println!("{:?}: {}", failed.device.serial_number, failed.hint());
//! }
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "blocking"))]
//! # fn main() {}
//! ```

#[cfg(feature = "async")]
pub mod asynchronous;
#[cfg(feature = "blocking")]
pub mod blocking;
pub mod csv_import;
mod error;
// The .NET-style path only leads somewhere from a client.
#[cfg(any(feature = "blocking", feature = "async"))]
pub mod fluent;
#[cfg(any(feature = "blocking", feature = "async"))]
mod glue;
pub mod ops;
pub mod paging;
pub mod path;
pub mod wait;

#[cfg(feature = "async")]
pub use asynchronous::{AsyncDevicesClient, AsyncDevicesClientBuilder};
#[cfg(feature = "blocking")]
pub use blocking::{DevicesClient, DevicesClientBuilder};
pub use csv_import::{CsvError, CsvImport, CsvWarning, parse_autopilot_csv};
pub use error::{DecodeFailure, DecodeProblem, Error, ErrorKind, MissingTrackingId, PagingStop};
pub use ops::UploadAccepted;
pub use wait::{WaitOptions, WaitProgress};

/// The transport layer, re-exported: options, token providers, test doubles.
pub use pc_http as http_pipeline;
/// The resource types, ids and helpers of `pc-models`, re-exported.
pub use pc_models as models;

/// The README's examples, compiled as doc tests so they stay true.
#[cfg(all(doctest, feature = "blocking"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
