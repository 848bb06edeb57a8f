//! Uploads of any size: the devices split into parts, in order, each its own logical
//! call; the first part creates the batch (for a new batch) and the others add to it.
//!
//! The plan is pure ([`plan`]); the clients' `upload` sends it, trying an add-devices
//! POST again while the service may not know a batch just created (a `404` within
//! [`UploadOptions::not_found_grace`]).

use std::time::Duration;

use pc_models::{BatchId, CustomerId, Device, DeviceBatchCreationRequest};

use crate::Error;
pub use crate::accepted::UploadPart;
pub use crate::error::UploadIncomplete;
use crate::ops::{AddDevices, CreateDeviceBatch};

/// The default devices per request: 1,000.
pub const DEFAULT_DEVICES_PER_REQUEST: usize = 1_000;
/// The most devices one request may carry: 10,000.
pub const MAX_DEVICES_PER_REQUEST: usize = 10_000;
/// The default time a `404` is taken for "not known yet": one minute.
pub const DEFAULT_NOT_FOUND_GRACE: Duration = Duration::from_secs(60);

/// Where an upload's devices go.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadTarget {
    /// Create this batch with the first part; every other part adds to it.
    NewBatch(BatchId),
    /// Add every part to this existing batch.
    ExistingBatch(BatchId),
}

impl UploadTarget {
    /// The batch the devices go to.
    pub fn batch(&self) -> &BatchId {
        match self {
            Self::NewBatch(batch) | Self::ExistingBatch(batch) => batch,
        }
    }
}

/// How an upload is sent: plain data with documented defaults.
///
/// ```
/// use pc_devices::UploadOptions;
/// let options = UploadOptions { devices_per_request: 500, ..Default::default() };
/// assert_eq!(options.not_found_grace, std::time::Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOptions {
    /// The most devices in one request, from 1 to [`MAX_DEVICES_PER_REQUEST`]. Default
    /// [`DEFAULT_DEVICES_PER_REQUEST`].
    pub devices_per_request: usize,
    /// How long a `404` to an add-devices POST of this upload is taken for "the service
    /// does not know the batch yet" and tried again, counted per batch from its first
    /// add. Default [`DEFAULT_NOT_FOUND_GRACE`].
    pub not_found_grace: Duration,
    /// The time between two tries of such an add. Default 5 seconds.
    pub retry_interval: Duration,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            devices_per_request: DEFAULT_DEVICES_PER_REQUEST,
            not_found_grace: DEFAULT_NOT_FOUND_GRACE,
            retry_interval: crate::wait::DEFAULT_POLL_INTERVAL,
        }
    }
}

/// One request of an upload's plan.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PlannedPart {
    /// The first part of a new batch.
    Create(CreateDeviceBatch),
    /// A part added to the batch.
    Add(AddDevices),
}

impl PlannedPart {
    /// How many devices the part holds.
    pub fn devices(&self) -> usize {
        match self {
            Self::Create(op) => op.request.devices.as_ref().map_or(0, Vec::len),
            Self::Add(op) => op.devices.len(),
        }
    }
}

/// The requests of an upload, in file order: `devices` cut into parts of at most
/// `options.devices_per_request`. Refuses, sending nothing, an upload with no devices,
/// a part size out of range, or a batch id that cannot be sent.
///
/// ```
/// use pc_devices::upload::{plan, PlannedPart, UploadTarget};
/// use pc_devices::UploadOptions;
/// use pc_devices::models::{BatchId, Device};
///
/// let devices = vec![Device::default(); 2_500];
/// let target = UploadTarget::NewBatch(BatchId::new("Lab A")?);
/// let parts = plan(&"47021739-3426-40bf-9601-61b4b6d7c793".parse()?, &target, devices, &UploadOptions::default())?;
/// assert_eq!(parts.iter().map(PlannedPart::devices).collect::<Vec<_>>(), [1000, 1000, 500]);
/// assert!(matches!(parts[0], PlannedPart::Create(_)));
/// assert!(matches!(parts[2], PlannedPart::Add(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plan(
    customer: &CustomerId,
    target: &UploadTarget,
    devices: Vec<Device>,
    options: &UploadOptions,
) -> Result<Vec<PlannedPart>, Error> {
    let size = options.devices_per_request;
    if !(1..=MAX_DEVICES_PER_REQUEST).contains(&size) {
        return Err(Error::invalid(
            "devices per request",
            size.to_string(),
            format!("it must be from 1 to {MAX_DEVICES_PER_REQUEST}"),
        ));
    }
    if devices.is_empty() {
        return Err(Error::invalid(
            "upload",
            "(no devices)",
            "there are no devices to upload",
        ));
    }
    // The batch id must be sendable before anything is sent.
    crate::path::encode_segment("batch id", target.batch().as_str())?;
    let mut parts = Vec::with_capacity(devices.len().div_ceil(size));
    let mut devices = devices.into_iter().peekable();
    while devices.peek().is_some() {
        let chunk: Vec<Device> = devices.by_ref().take(size).collect();
        let batch = target.batch().clone();
        parts.push(match target {
            UploadTarget::NewBatch(_) if parts.is_empty() => PlannedPart::Create(
                CreateDeviceBatch::new(*customer, DeviceBatchCreationRequest::new(batch, chunk)),
            ),
            _ => PlannedPart::Add(AddDevices::new(*customer, batch, chunk)),
        });
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> CustomerId {
        "47021739-3426-40bf-9601-61b4b6d7c793".parse().unwrap()
    }

    fn devices(n: usize) -> Vec<Device> {
        (0..n)
            .map(|i| Device {
                serial_number: Some(format!("SN-{i}")),
                ..Device::default()
            })
            .collect()
    }

    fn serials(part: &PlannedPart) -> Vec<String> {
        let devices = match part {
            PlannedPart::Create(op) => op.request.devices.clone().unwrap_or_default(),
            PlannedPart::Add(op) => op.devices.clone(),
        };
        devices
            .into_iter()
            .map(|d| d.serial_number.unwrap_or_default())
            .collect()
    }

    #[test]
    fn parts_keep_file_order_and_only_a_new_batch_is_created() {
        let options = UploadOptions {
            devices_per_request: 2,
            ..Default::default()
        };
        let lab = BatchId::new("Lab").unwrap();
        let parts = plan(
            &customer(),
            &UploadTarget::NewBatch(lab.clone()),
            devices(5),
            &options,
        )
        .unwrap();
        assert_eq!(parts.len(), 3);
        assert!(matches!(parts[0], PlannedPart::Create(_)));
        assert!(parts[1..].iter().all(|p| matches!(p, PlannedPart::Add(_))));
        let all: Vec<String> = parts.iter().flat_map(serials).collect();
        assert_eq!(all, ["SN-0", "SN-1", "SN-2", "SN-3", "SN-4"]);
        let parts = plan(
            &customer(),
            &UploadTarget::ExistingBatch(lab),
            devices(5),
            &options,
        )
        .unwrap();
        assert!(parts.iter().all(|p| matches!(p, PlannedPart::Add(_))));
        assert_eq!(parts.iter().map(PlannedPart::devices).sum::<usize>(), 5);
    }

    #[test]
    fn bad_plans_are_refused_before_anything_is_sent() {
        let lab = UploadTarget::NewBatch(BatchId::new("Lab").unwrap());
        for size in [0, MAX_DEVICES_PER_REQUEST + 1] {
            let options = UploadOptions {
                devices_per_request: size,
                ..Default::default()
            };
            let error = plan(&customer(), &lab, devices(1), &options).unwrap_err();
            assert!(error.to_string().contains("from 1 to 10000"), "{error}");
        }
        let error = plan(&customer(), &lab, vec![], &UploadOptions::default()).unwrap_err();
        assert!(error.to_string().contains("no devices"), "{error}");
        let dots = UploadTarget::ExistingBatch(BatchId::new("..").unwrap());
        let error = plan(&customer(), &dots, devices(1), &UploadOptions::default()).unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::InvalidInput);
    }
}
