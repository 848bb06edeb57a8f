//! What the service accepted: the tracking id of an upload ([`UploadAccepted`]) and an
//! accepted part of an upload in parts ([`UploadPart`]).
//!
//! Plain data at the bottom of the crate: the operations answer it, the upload collects
//! it, and the error of an upload that stopped half-way carries it.

use pc_models::TrackingId;
use serde::Serialize;

/// The answer to an upload (`202 Accepted`): the tracking id of the batch job.
///
/// Serializes as `{"trackingId": "…", "location": "…"}`, `location` being `null`
/// when the id came from the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UploadAccepted {
    /// The tracking id: ask for the batch's status with it.
    pub tracking_id: TrackingId,
    /// The `Location` header the id was read from, as sent; `None` when it came from
    /// the body.
    pub location: Option<String>,
}

impl UploadAccepted {
    /// An accepted upload with `tracking_id`, read from `location` when given.
    pub fn new(tracking_id: TrackingId, location: Option<String>) -> Self {
        Self {
            tracking_id,
            location,
        }
    }
}

/// One accepted part of an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UploadPart {
    /// The part's tracking id: ask for its status with it.
    pub tracking_id: TrackingId,
    /// The `Location` header it was read from; `None` when it came from the body.
    pub location: Option<String>,
    /// How many devices the part held.
    pub devices: usize,
}

impl UploadPart {
    /// The part of `devices` devices that the service accepted with `accepted`.
    pub(crate) fn new(accepted: UploadAccepted, devices: usize) -> Self {
        Self {
            tracking_id: accepted.tracking_id,
            location: accepted.location,
            devices,
        }
    }
}
