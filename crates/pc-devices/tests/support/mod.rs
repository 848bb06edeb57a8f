//! Shared helpers of the client tests: ids, scripted pages and batch answers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use pc_http::testing::ScriptedTransport;
use pc_models::{BatchId, CustomerId, TrackingId};

pub const CUSTOMER: &str = "47021739-3426-40bf-9601-61b4b6d7c793";
pub const TRACKING: &str = "0127ed8e-ff72-4983-a3d8-e8d8bd378932";
pub const LOCATION: &str = "/customers/47021739-3426-40bf-9601-61b4b6d7c793/batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932";

pub fn customer() -> CustomerId {
    CUSTOMER.parse().unwrap()
}

pub fn tracking() -> TrackingId {
    TRACKING.parse().unwrap()
}

pub fn batch(name: &str) -> BatchId {
    BatchId::new(name).unwrap()
}

/// A page of devices named `first..first+count`, with a continuation token or none.
pub fn device_page(first: usize, count: usize, token: Option<&str>) -> String {
    let items: Vec<serde_json::Value> = (first..first + count)
        .map(|n| serde_json::json!({"id": format!("d{n}"), "serialNumber": format!("SN-{n}")}))
        .collect();
    let mut page = serde_json::json!({
        "totalCount": count,
        "items": items,
        "attributes": {"objectType": "Collection"},
    });
    if let Some(token) = token {
        page["continuationToken"] = serde_json::json!(token);
    }
    page.to_string()
}

/// A batch status answer with `devices` each in `device_status`.
pub fn batch_status(status: &str, device_statuses: &[&str]) -> String {
    let devices: Vec<serde_json::Value> = device_statuses
        .iter()
        .enumerate()
        .map(|(n, status)| {
            let mut device =
                serde_json::json!({"serialNumber": format!("SN-{n}"), "status": status});
            if *status == "finished_with_errors" {
                device["errorCode"] = serde_json::json!("808");
                device["errorDescription"] = serde_json::json!("ZtdDeviceAssignedToOtherTenant");
            }
            device
        })
        .collect();
    serde_json::json!({
        "batchTrackingId": TRACKING,
        "status": status,
        "devicesStatus": devices,
        "attributes": {"objectType": "BatchUploadDetails"},
    })
    .to_string()
}

/// The value of a request header, or `-`.
pub fn header(request: &http::Request<Vec<u8>>, name: &str) -> String {
    request
        .headers()
        .get(name)
        .map_or("-".to_owned(), |value| value.to_str().unwrap().to_owned())
}

/// `METHOD path` of every request the transport received.
pub fn calls(transport: &ScriptedTransport) -> Vec<String> {
    transport
        .requests()
        .iter()
        .map(|request| format!("{} {}", request.method(), request.uri().path()))
        .collect()
}
