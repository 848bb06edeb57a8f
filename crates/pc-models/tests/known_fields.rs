//! Documents holding every field the spec names, and only those, leave nothing in
//! `extra`: a field declared under a wrong JSON name would land there (and still round
//! trip), so only this catches it. The names here are typed from the spec, not taken
//! from the types.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pc_models::{
    Attributes, BatchUploadDetails, Collection, ConfigurationPolicy, Device, DeviceBatch,
    DeviceBatchCreationRequest, DevicePolicyUpdateRequest, DeviceUploadDetails, KeyValuePair, Link,
    Links, ServiceError, ThrottleError,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Checks that `document` names exactly the fields `T` declares, that it parses with
/// every field typed (nothing in `extra`) and that it is written back as received.
macro_rules! check_complete {
    ($ty:ty, $document:expr) => {{
        let document: Value = $document;
        let names: BTreeSet<&str> = document
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let declared: BTreeSet<&str> = <$ty>::FIELDS.iter().copied().collect();
        assert_eq!(names, declared, "{}: the spec's names", stringify!($ty));
        let typed: $ty = serde_json::from_value(document.clone()).unwrap();
        assert!(
            typed.extra.is_empty(),
            "{}: kept {:?}",
            stringify!($ty),
            typed.extra
        );
        assert_eq!(serde_json::to_value(&typed).unwrap(), document);
        typed
    }};
}

fn attributes(object_type: &str) -> Value {
    json!({"objectType": object_type, "etag": "\"1\""})
}

fn link() -> Value {
    json!({"uri": "/customers/c/deviceBatches", "method": "GET",
           "headers": [{"key": "MS-ContinuationToken", "value": "t"}]})
}

fn links() -> Value {
    json!({"self": link(), "next": link(), "previous": link()})
}

fn device() -> Value {
    json!({
        "id": "9993-8627-3608-6844-6369-4361-72",
        "serialNumber": "1R9-ZNP67",
        "productKey": "00329-00000-0003-AA606",
        "hardwareHash": "T0FCAAEAHAAAAAoA",
        "modelName": "Surface Laptop 3",
        "oemManufacturerName": "Microsoft Corporation",
        "policies": [{"key": "o_o_b_e", "value": "p-1"}],
        "createdBy": "admin@contoso.onmicrosoft.com",
        "uploadedDate": "2017-07-25T10:00:00",
        "allowedOperations": ["GET", "DELETE"],
        "links": links(),
        "attributes": attributes("Device"),
    })
}

fn device_upload_details() -> Value {
    json!({
        "deviceId": "9993-8627-3608-6844-6369-4361-72",
        "serialNumber": "1234567890",
        "productKey": "12345-67890-09876-54321-13579",
        "status": "finished_with_errors",
        "errorCode": "808",
        "errorDescription": "ZtdDeviceAssignedToOtherTenant",
        "attributes": attributes("DeviceUploadDetails"),
    })
}

fn device_batch() -> Value {
    json!({
        "id": "Lab A",
        "createdBy": "admin@contoso.onmicrosoft.com",
        "creationDate": "2017-07-25T10:00:00Z",
        "creationTime": "2017-07-25T10:00:00Z",
        "devicesCount": 2,
        "deviceCount": 2,
        "devicesLink": link(),
        "status": "finished",
        "links": links(),
        "attributes": attributes("DeviceBatch"),
    })
}

fn configuration_policy() -> Value {
    json!({
        "id": "p-1",
        "name": "Autopilot profile",
        "category": "o_o_b_e",
        "description": "Skip the EULA",
        "devicesAssigned": 55,
        "devicesAssignedCount": 55,
        "policySettings": ["skip_eula", "remove_oem_preinstalls"],
        "createdDate": "2019-02-05T21:57:06.7367164-08:00",
        "lastModifiedDate": "2019-02-05T21:57:06Z",
        "attributes": attributes("ConfigurationPolicy"),
    })
}

#[test]
fn the_small_shared_resources() {
    check_complete!(Attributes, attributes("Device"));
    check_complete!(KeyValuePair, json!({"key": "o_o_b_e", "value": "p-1"}));
    check_complete!(Link, link());
    let links = check_complete!(Links, links());
    assert!(links.self_link.is_some() && links.next.is_some() && links.previous.is_some());
}

#[test]
fn batch_status_and_its_devices() {
    let device = check_complete!(DeviceUploadDetails, device_upload_details());
    assert!(device.device_id.is_some() && device.error_code.is_some());
    let details = check_complete!(
        BatchUploadDetails,
        json!({
            "batchTrackingId": "0127ed8e-ff72-4983-a3d8-e8d8bd378932",
            "status": "finished",
            "startedTime": "2017-07-25T10:00:00",
            "completedTime": "2017-07-25T10:10:00",
            "devicesStatus": [device_upload_details()],
            "attributes": attributes("BatchUploadDetails"),
        })
    );
    assert!(details.tracking_id().is_some() && details.completed_time.is_some());
}

#[test]
fn devices_batches_and_requests() {
    let typed = check_complete!(Device, device());
    assert!(typed.hardware_hash.is_some() && typed.uploaded_date.is_some());
    let batch = check_complete!(DeviceBatch, device_batch());
    assert_eq!(
        (batch.devices_count, batch.device_count),
        (Some(2), Some(2))
    );
    check_complete!(
        DeviceBatchCreationRequest,
        json!({"batchId": "Lab A/1", "devices": [device()],
               "attributes": attributes("DeviceBatchCreationRequest")})
    );
    check_complete!(
        DevicePolicyUpdateRequest,
        json!({"devices": [device()], "attributes": attributes("DevicePolicyUpdateRequest")})
    );
}

#[test]
fn collections_and_policies() {
    let policy = check_complete!(ConfigurationPolicy, configuration_policy());
    assert!(policy.devices_assigned.is_some() && policy.devices_assigned_count.is_some());
    let page = check_complete!(
        Collection<DeviceBatch>,
        json!({"totalCount": 1, "items": [device_batch()], "links": links(),
               "continuationToken": "t", "attributes": attributes("Collection")})
    );
    assert_eq!(page.items().len(), 1);
    check_complete!(
        Collection<Device>,
        json!({"totalCount": 1, "items": [device()], "links": links(),
               "continuationToken": "t", "attributes": attributes("Collection")})
    );
    check_complete!(
        Collection<ConfigurationPolicy>,
        json!({"totalCount": 1, "items": [configuration_policy()], "links": links(),
               "continuationToken": "t", "attributes": attributes("Collection")})
    );
}

#[test]
fn error_payloads() {
    check_complete!(
        ServiceError,
        json!({"code": 600, "description": "Invalid", "data": ["x"], "source": "PartnerFD"})
    );
    check_complete!(
        ThrottleError,
        json!({"statusCode": 429, "message": "Rate limit is exceeded."})
    );
}
