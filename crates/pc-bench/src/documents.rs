//! The documents the benchmarks parse, and the bare baseline types.

use serde::Deserialize;
use std::fmt::Write;

/// A `BatchUploadDetails` of `devices` devices in the service's shape: about 200
/// bytes a device, a tenth of them failed with a catalog error.
pub fn batch_upload_details(devices: usize) -> Vec<u8> {
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
        let _ = write!(
            out,
            "{{\"deviceId\":\"9993-8627-3608-6844-6369-{:04}-{:02}\",\"serialNumber\":\"SN-{index:08}\",\
             \"productKey\":\"00329-00000-{:05}-AA606\",\"status\":\"{}\",\"errorCode\":\"{}\",\
             \"errorDescription\":\"{}\",\"attributes\":{{\"objectType\":\"DeviceUploadDetails\"}}}}",
            index % 10_000,
            index % 100,
            index % 100_000,
            if failed {
                "finished_with_errors"
            } else {
                "finished"
            },
            if failed { "808" } else { "" },
            if failed {
                "ZtdDeviceAssignedToOtherTenant"
            } else {
                ""
            },
        );
    }
    out.push_str("],\"attributes\":{\"objectType\":\"BatchUploadDetails\"}}");
    out.into_bytes()
}

/// The baseline of target 1: a bare derive with no compatibility features (unknown
/// fields dropped, statuses as strings, absent and null confused).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct BareBatch {
    batch_tracking_id: Option<String>,
    status: Option<String>,
    started_time: Option<String>,
    completed_time: Option<String>,
    devices_status: Option<Vec<BareDevice>>,
    attributes: Option<BareAttributes>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct BareDevice {
    device_id: Option<String>,
    serial_number: Option<String>,
    product_key: Option<String>,
    status: Option<String>,
    error_code: Option<String>,
    error_description: Option<String>,
    attributes: Option<BareAttributes>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct BareAttributes {
    object_type: Option<String>,
}
