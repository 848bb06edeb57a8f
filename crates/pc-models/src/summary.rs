//! Summaries over a batch: counts by status and the failed devices with their hints.
//!
//! The rules that judge a batch are stated once, as pure functions over borrowed text
//! ([`is_failed_device`], [`is_allowed_error`], [`is_failed_batch`]), so a reader that
//! does not build the typed resources (a light pass over the raw bytes) decides as the
//! typed methods here do.

use crate::{BatchUploadDetails, DeviceUploadDetails, ErrorCode, UploadStatus, ZtdError};

/// Whether a device failed, from its status and its `errorCode` as text (a number
/// written in decimal): it carries a code that is neither absent nor blank, or its
/// status is `finished_with_errors`.
///
/// ```
/// use pc_models::{UploadStatus, is_failed_device};
///
/// assert!(is_failed_device(Some(&UploadStatus::Finished), Some("808")));
/// assert!(is_failed_device(Some(&UploadStatus::FinishedWithErrors), None));
/// // The service sends `""` for no error.
/// assert!(!is_failed_device(Some(&UploadStatus::Finished), Some("")));
/// assert!(!is_failed_device(None, Some("  ")));
/// ```
pub fn is_failed_device(status: Option<&UploadStatus>, error_code: Option<&str>) -> bool {
    error_code.is_some_and(|code| !code.trim().is_empty())
        || status == Some(&UploadStatus::FinishedWithErrors)
}

/// Whether `allowed` (codes or names, as `--allow-error-codes` lists them) excuses a
/// device's error: one of them equals its `errorCode` or its `errorDescription`
/// exactly.
///
/// ```
/// use pc_models::is_allowed_error;
///
/// let allowed = ["806".to_owned(), "ZtdDeviceDuplicated".to_owned()];
/// assert!(is_allowed_error(Some("806"), None, &allowed));
/// assert!(is_allowed_error(Some("808"), Some("ZtdDeviceDuplicated"), &allowed));
/// assert!(!is_allowed_error(Some("808"), Some("ZtdDeviceAssignedToOtherTenant"), &allowed));
/// // Matched verbatim: no trimming, no case folding.
/// assert!(!is_allowed_error(Some(" 806"), Some("ztddeviceduplicated"), &allowed));
/// ```
pub fn is_allowed_error<S: AsRef<str>>(
    code: Option<&str>,
    description: Option<&str>,
    allowed: &[S],
) -> bool {
    allowed
        .iter()
        .map(AsRef::as_ref)
        .any(|allowed| code == Some(allowed) || description == Some(allowed))
}

/// Whether a batch failed: one of its failed devices, given as their `(errorCode,
/// errorDescription)` (the devices [`is_failed_device`] judged failed), has an error
/// that `allowed` does not excuse ([`is_allowed_error`]), or the batch's status is
/// `finished_with_errors` with no failed device to explain it.
///
/// ```
/// use pc_models::{UploadStatus, is_failed_batch};
///
/// let finished = Some(&UploadStatus::Finished);
/// let with_errors = Some(&UploadStatus::FinishedWithErrors);
/// let none: [String; 0] = [];
/// assert!(!is_failed_batch(finished, [], &none));
/// assert!(is_failed_batch(with_errors, [(Some("808"), None)], &none));
/// assert!(!is_failed_batch(with_errors, [(Some("808"), None)], &["808"]));
/// // `finished_with_errors` and no failed device: unexplained, a failure.
/// assert!(is_failed_batch(with_errors, [], &["808"]));
/// ```
pub fn is_failed_batch<'a, I, S>(
    status: Option<&UploadStatus>,
    failed_devices: I,
    allowed: &[S],
) -> bool
where
    I: IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
    S: AsRef<str>,
{
    let mut failed = failed_devices.into_iter().peekable();
    let unexplained = status == Some(&UploadStatus::FinishedWithErrors) && failed.peek().is_none();
    unexplained || failed.any(|(code, description)| !is_allowed_error(code, description, allowed))
}

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
    /// empty), or its status is `finished_with_errors` ([`is_failed_device`]).
    pub fn is_failed(&self) -> bool {
        is_failed_device(self.status.as_ref(), self.code())
    }

    /// The `errorCode` as text, when there is one.
    fn code(&self) -> Option<&str> {
        self.error_code.as_ref().map(ErrorCode::as_str)
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
    /// `errorDescription` exactly (as `--allow-error-codes` matches; see
    /// [`is_allowed_error`]).
    pub fn has_error(&self, code: &str) -> bool {
        is_allowed_error(self.code(), self.error_description.as_deref(), &[code])
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
    /// Whether `allowed` excuses the device's error: one of them equals its
    /// `errorCode` or its `errorDescription` exactly ([`is_allowed_error`]).
    pub fn is_allowed<S: AsRef<str>>(&self, allowed: &[S]) -> bool {
        is_allowed_error(
            self.device.code(),
            self.device.error_description.as_deref(),
            allowed,
        )
    }

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

    /// Whether the batch failed: a failed device whose error `allowed` does not
    /// excuse, or the status `finished_with_errors` with no failed device to explain
    /// it ([`is_failed_batch`]).
    ///
    /// ```
    /// let details: pc_models::BatchUploadDetails = pc_models::from_slice(br#"{"status":"finished_with_errors","devicesStatus":[
    ///     {"status":"finished"},
    ///     {"status":"finished_with_errors","errorCode":806,"errorDescription":"ZtdDeviceDuplicated"}]}"#)?;
    /// assert!(details.is_failed(&[] as &[&str]));
    /// assert!(!details.is_failed(&["806"]));
    /// assert!(!details.is_failed(&["ZtdDeviceDuplicated"]));
    /// # Ok::<(), pc_models::ParseError>(())
    /// ```
    pub fn is_failed<S: AsRef<str>>(&self, allowed: &[S]) -> bool {
        let failed = self.failed_devices().map(|failed| {
            (
                failed.device.code(),
                failed.device.error_description.as_deref(),
            )
        });
        is_failed_batch(self.status.as_ref(), failed, allowed)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const NONE: [&str; 0] = [];

    #[test]
    fn a_device_fails_on_a_code_that_is_not_blank_or_on_finished_with_errors() {
        let finished = Some(&UploadStatus::Finished);
        let with_errors = Some(&UploadStatus::FinishedWithErrors);
        for code in [None, Some(""), Some(" \t")] {
            assert!(!is_failed_device(finished, code), "{code:?}");
            assert!(!is_failed_device(None, code), "{code:?}");
            assert!(is_failed_device(with_errors, code), "{code:?}");
        }
        assert!(is_failed_device(finished, Some("808")));
        assert!(is_failed_device(None, Some("0")));
        // Another spelling is another status: not `finished_with_errors`.
        let other = UploadStatus::Other("finished-with-errors".into());
        assert!(!is_failed_device(Some(&other), None));
    }

    #[test]
    fn an_error_is_allowed_by_its_code_or_description_verbatim() {
        let allowed = ["806", "ZtdDeviceDuplicated"];
        assert!(is_allowed_error(Some("806"), None, &allowed));
        assert!(is_allowed_error(
            None,
            Some("ZtdDeviceDuplicated"),
            &allowed
        ));
        assert!(is_allowed_error(Some("808"), Some("806"), &allowed));
        assert!(!is_allowed_error(Some("808"), Some("other"), &allowed));
        assert!(!is_allowed_error(None, None, &allowed));
        assert!(!is_allowed_error(Some("806 "), None, &allowed));
        assert!(!is_allowed_error(Some("806"), Some("806"), &NONE));
        // Owned lists, as a command line holds them, work alike.
        assert!(is_allowed_error(Some("806"), None, &["806".to_owned()]));
    }

    #[test]
    fn a_batch_fails_on_a_device_not_allowed_or_an_unexplained_status() {
        let with_errors = Some(&UploadStatus::FinishedWithErrors);
        let duplicated = (Some("806"), Some("ZtdDeviceDuplicated"));
        let elsewhere = (Some("808"), None);
        for status in [None, Some(&UploadStatus::Finished), with_errors] {
            assert!(!is_failed_batch(status, [duplicated], &["806"]));
            assert!(is_failed_batch(status, [duplicated, elsewhere], &["806"]));
            assert!(!is_failed_batch(
                status,
                [duplicated, elsewhere],
                &["806", "808"]
            ));
            assert!(is_failed_batch(status, [duplicated], &NONE));
        }
        assert!(!is_failed_batch(None, [], &NONE));
        assert!(!is_failed_batch(Some(&UploadStatus::Processing), [], &NONE));
        // Nothing can excuse a status no device explains.
        assert!(is_failed_batch(with_errors, [], &["806"]));
    }

    #[test]
    fn the_typed_methods_follow_the_rules_over_text() {
        let details: BatchUploadDetails = crate::from_slice(
            br#"{"status":"Finished_With_Errors","devicesStatus":[
                {"status":"finished","errorCode":""},
                {"status":"finished","errorCode":806,"errorDescription":"ZtdDeviceDuplicated"},
                {"status":"FINISHED_WITH_ERRORS"},
                {"status":"finished","errorCode":"  "},
                {"errorCode":"808"}]}"#,
        )
        .unwrap();
        let failed: Vec<bool> = details.devices().iter().map(|d| d.is_failed()).collect();
        assert_eq!(failed, [false, true, true, false, true]);
        for device in details.devices() {
            assert_eq!(
                device.is_failed(),
                is_failed_device(device.status.as_ref(), device.code())
            );
        }
        assert_eq!(details.status_counts().failed, 3);
        let devices = details.devices();
        assert!(devices[1].has_error("806") && devices[1].has_error("ZtdDeviceDuplicated"));
        assert!(!devices[1].has_error("808"));
        let failed: Vec<FailedDevice<'_>> = details.failed_devices().collect();
        assert!(failed[0].is_allowed(&["806"]));
        // The device without a code has nothing to allow.
        assert!(!failed[1].is_allowed(&["806", "808"]));
        assert!(failed[2].is_allowed(&["808"]));
        assert!(details.is_failed(&["806", "808"]));
        assert!(details.is_failed(&NONE));
        let explained: BatchUploadDetails = crate::from_slice(
            br#"{"status":"finished_with_errors","devicesStatus":[{"errorCode":"808"}]}"#,
        )
        .unwrap();
        assert!(!explained.is_failed(&["808"]));
        let unexplained: BatchUploadDetails =
            crate::from_slice(br#"{"status":"finished_with_errors","devicesStatus":[]}"#).unwrap();
        assert!(unexplained.is_failed(&["808"]));
    }
}
