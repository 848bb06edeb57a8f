//! Typed Partner Center device-deployment resources: ids, batches, devices, statuses,
//! timestamps, the service's error payloads and the device (ZTD) error catalog.
//!
//! This crate is pure data: no I/O, no transport. Pick `pc-devices` to call the
//! service, `pc-http` for a transport only, `pc-sim` for a simulated service.
//!
//! Every resource implements serde's `Serialize` and `Deserialize`, so
//! `serde_json::from_slice::<pc_models::BatchUploadDetails>` is the plain way in;
//! [`from_slice`] also accepts a leading byte-order mark and names the expected type and
//! the line and column in its errors.
//!
//! The service adds fields and values without notice, so nothing here rejects what it
//! does not know, and nothing received is lost: unknown fields are kept in each
//! resource's [`Extra`], unknown statuses in [`UploadStatus::Other`], timestamps as their
//! text, and an absent field stays apart from a `null` one. Parse → serialize gives back
//! the same JSON value, strings exact.
//!
//! One odd value never fails a document either. A known field whose value has an
//! unexpected JSON type or form (a count sent as a string, a tracking id that is not a
//! GUID, a `null` inside `devicesStatus`) is left without a typed view (the field is
//! `None`, or the array element is not in the `Vec`) and kept as received in the
//! resource's [`Extra`] (see [`Kept`]); the rest of the document parses. Only bytes
//! that are not JSON, or a top level of the wrong kind, are a [`ParseError`].
//!
//! ```
//! let details: pc_models::BatchUploadDetails = pc_models::from_slice(
//!     br#"{"batchTrackingId":"","status":"Finished","devicesStatus":[null,{"status":"finished"}]}"#,
//! )?;
//! assert_eq!(details.tracking_id(), None);
//! assert_eq!(details.extra.untyped("batchTrackingId"), Some(&serde_json::json!("")));
//! assert!(details.is_terminal());
//! assert_eq!(details.devices().len(), 1);
//! assert_eq!(
//!     serde_json::to_string(&details).unwrap(),
//!     r#"{"batchTrackingId":"","status":"Finished","devicesStatus":[null,{"status":"finished"}]}"#
//! );
//! # Ok::<(), pc_models::ParseError>(())
//! ```
//!
//! ```
//! let body = std::fs::read("tests/fixtures/batch-status-documented.json").unwrap();
//! let details: pc_models::BatchUploadDetails = pc_models::from_slice(&body)?;
//! let failed: Vec<_> = details.failed_devices().collect();
//! assert_eq!(failed[0].error, Some(pc_models::ZtdError::DeviceAssignedToOtherTenant));
//! assert_eq!(
//!     serde_json::to_value(&details).unwrap(),
//!     serde_json::from_slice::<serde_json::Value>(&body).unwrap()
//! );
//! # Ok::<(), pc_models::ParseError>(())
//! ```

mod catalog;
mod extra;
mod ids;
mod lenient;
mod parse;
mod payload;
mod resources;
mod status;
mod summary;
mod text;
mod time;

pub use catalog::{ErrorCode, ZtdError};
pub use extra::Extra;
pub use ids::{BatchId, CustomerId, DeviceId, IdError, PolicyId, TrackingId};
pub use lenient::{Kept, Lenient};
pub use parse::{ParseError, ParseErrorKind, UTF8_BOM, from_slice, strip_bom};
pub use payload::{ServiceError, ThrottleError};
pub use resources::{
    Attributes, BatchUploadDetails, Collection, ConfigurationPolicy, Device, DeviceBatch,
    DeviceBatchCreationRequest, DevicePolicyUpdateRequest, DeviceUploadDetails, KeyValuePair, Link,
    Links, PolicyCategory, PolicySetting,
};
pub use status::{BatchStatus, DeviceStatus, UploadStatus};
pub use summary::{
    FailedDevice, StatusCounts, is_allowed_error, is_failed_batch, is_failed_device,
};
pub use time::{Timestamp, UtcDateTime};
pub use uuid::Uuid;
