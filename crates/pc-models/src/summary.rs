//! Summaries over a batch: counts by status and the failed devices with their hints.

use crate::{BatchUploadDetails, DeviceUploadDetails, UploadStatus, ZtdError};

/// How many devices of a batch are in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCounts {
    /// Devices in all.
    pub total: usize,
    /// `unknown`.
    pub unknown: usize,
    /// `queued`.
    pub queued: usize,
    /// `processing`.
    pub processing: usize,
    /// `finished`.
    pub finished: usize,
    /// `finished_with_errors`.
    pub finished_with_errors: usize,
    /// Any other value, or no status at all.
    pub other: usize,
    /// Devices that failed (see [`DeviceUploadDetails::is_failed`]).
    pub failed: usize,
}

impl StatusCounts {
    /// Devices whose status is terminal.
    pub fn done(&self) -> usize {
        self.finished + self.finished_with_errors
    }
}

impl DeviceUploadDetails {
    /// True when the device failed: it carries an error code (neither absent nor
    /// empty), or its status is `finished_with_errors`.
    pub fn is_failed(&self) -> bool {
        self.error_code
            .as_ref()
            .is_some_and(|code| !code.is_empty())
            || self.status == Some(UploadStatus::FinishedWithErrors)
    }

    /// The catalog entry of the device's error: looked up by `errorCode`, then by
    /// `errorDescription` (which often holds the error's name).
    pub fn ztd_error(&self) -> Option<ZtdError> {
        self.error_code
            .as_ref()
            .and_then(|code| code.ztd_error())
            .or_else(|| self.error_description.as_deref().and_then(ZtdError::lookup))
    }

    /// True when `code` names this device's error: it equals the `errorCode` or the
    /// `errorDescription` exactly (as `--allow-error-codes` matches).
    pub fn has_error(&self, code: &str) -> bool {
        self.error_code
            .as_ref()
            .is_some_and(|own| own.as_str() == code)
            || self.error_description.as_deref() == Some(code)
    }
}

/// A device that failed, with what the catalog knows of its error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailedDevice<'a> {
    /// The device's status as the service sent it.
    pub device: &'a DeviceUploadDetails,
    /// The catalog entry of its error, when the code or name is known.
    pub error: Option<ZtdError>,
}

impl FailedDevice<'_> {
    /// A one-line hint of what to do: the catalog's, or the service's description
    /// when the error is not in the catalog.
    pub fn hint(&self) -> &str {
        match self.error {
            Some(error) => error.hint(),
            None => self
                .device
                .error_description
                .as_deref()
                .unwrap_or("unknown error: see the service's description"),
        }
    }
}

impl BatchUploadDetails {
    /// How many devices are in each status, and how many failed.
    ///
    /// ```
    /// let details: pc_models::BatchUploadDetails = pc_models::from_slice(br#"{"devicesStatus":[
    ///     {"status":"finished"},
    ///     {"status":"finished_with_errors","errorCode":"808"}]}"#)?;
    /// let counts = details.status_counts();
    /// assert_eq!((counts.total, counts.finished, counts.failed), (2, 1, 1));
    /// # Ok::<(), pc_models::ParseError>(())
    /// ```
    pub fn status_counts(&self) -> StatusCounts {
        let mut counts = StatusCounts::default();
        for device in self.devices() {
            counts.total += 1;
            let slot = match &device.status {
                Some(UploadStatus::Unknown) => &mut counts.unknown,
                Some(UploadStatus::Queued) => &mut counts.queued,
                Some(UploadStatus::Processing) => &mut counts.processing,
                Some(UploadStatus::Finished) => &mut counts.finished,
                Some(UploadStatus::FinishedWithErrors) => &mut counts.finished_with_errors,
                Some(UploadStatus::Other(_)) | None => &mut counts.other,
            };
            *slot += 1;
            counts.failed += usize::from(device.is_failed());
        }
        counts
    }

    /// The devices that failed, in the order the service sent them, each with its
    /// catalog entry.
    pub fn failed_devices(&self) -> impl Iterator<Item = FailedDevice<'_>> {
        self.devices()
            .iter()
            .filter(|device| device.is_failed())
            .map(|device| FailedDevice {
                device,
                error: device.ztd_error(),
            })
    }
}
