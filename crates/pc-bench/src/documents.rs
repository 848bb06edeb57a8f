//! The documents the benchmarks parse, and the bare baseline types.

use serde::Deserialize;
use std::fmt::Write;

/// How a successful device says it has no error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoError {
    /// `"errorCode": "", "errorDescription": ""`.
    Empty,
    /// `"errorCode": null, "errorDescription": null`.
    Null,
}

impl NoError {
    /// How the figures name the document.
    pub fn label(self) -> &'static str {
        match self {
            NoError::Empty => "errorCode \"\"",
            NoError::Null => "errorCode null",
        }
    }
}

/// A `BatchUploadDetails` of `devices` devices in the service's shape: about 200
/// bytes a device, a tenth of them failed with a catalog error, the others saying they
/// have none as `no_error` says.
pub fn batch_upload_details(devices: usize, no_error: NoError) -> Vec<u8> {
    let mut out = String::with_capacity(devices * 220 + 300);
    out.push_str(
        "{\"batchTrackingId\":\"0127ed8e-ff72-4983-a3d8-e8d8bd378932\",\"status\":\"finished_with_errors\",\
         \"startedTime\":\"2019-02-05T21:57:06.7367164-08:00\",\"completedTime\":\"2019-02-05T22:07:06.1234567-08:00\",\
         \"devicesStatus\":[",
    );
    for index in 0..devices {
        if index > 0 {
            out.push(',');
        }
        let failed = index % 10 == 7;
        let (status, code, description) = match (failed, no_error) {
            (true, _) => (
                "finished_with_errors",
                "\"808\"",
                "\"ZtdDeviceAssignedToOtherTenant\"",
            ),
            (false, NoError::Empty) => ("finished", "\"\"", "\"\""),
            (false, NoError::Null) => ("finished", "null", "null"),
        };
        let _ = write!(
            out,
            "{{\"deviceId\":\"9993-8627-3608-6844-6369-{:04}-{:02}\",\"serialNumber\":\"SN-{index:08}\",\
             \"productKey\":\"00329-00000-{:05}-AA606\",\"status\":\"{status}\",\"errorCode\":{code},\
             \"errorDescription\":{description},\"attributes\":{{\"objectType\":\"DeviceUploadDetails\"}}}}",
            index % 10_000,
            index % 100,
            index % 100_000,
        );
    }
    out.push_str("],\"attributes\":{\"objectType\":\"BatchUploadDetails\"}}");
    out.into_bytes()
}

/// The baseline of target 1: a bare derive with no compatibility features. It reads
/// the batch's `batchTrackingId`, `status`, `startedTime`, `completedTime` and
/// `devicesStatus`, and each device's `serialNumber`, `productKey`, `status`,
/// `errorCode` and `errorDescription`, as `Option<String>`; everything else (`deviceId`,
/// `attributes`, unknown fields) is skipped, statuses stay strings, and absent and
/// `null` are confused.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "the fields are filled to be measured, not read")]
pub struct BareBatch {
    /// `batchTrackingId`.
    pub batch_tracking_id: Option<String>,
    /// `status`.
    pub status: Option<String>,
    /// `startedTime`.
    pub started_time: Option<String>,
    /// `completedTime`.
    pub completed_time: Option<String>,
    /// `devicesStatus`.
    pub devices_status: Option<Vec<BareDevice>>,
}

/// A device of [`BareBatch`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "the fields are filled to be measured, not read")]
pub struct BareDevice {
    /// `serialNumber`.
    pub serial_number: Option<String>,
    /// `productKey`.
    pub product_key: Option<String>,
    /// `status`.
    pub status: Option<String>,
    /// `errorCode`.
    pub error_code: Option<String>,
    /// `errorDescription`.
    pub error_description: Option<String>,
}
