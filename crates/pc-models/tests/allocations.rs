//! The typed path allocates nothing beyond the values' own text (docs/ARCHITECTURE.md):
//! a batch status parses with one allocation per string value it must own, plus the
//! growth of its devices array, however many fields and explicit `null`s it has.
//!
//! Allocations are counted on the test's own thread by allocation-counter's global
//! allocator (the workspace forbids `unsafe`, which an allocator of our own would need).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pc_models::{BatchUploadDetails, UploadStatus};

/// The devices of the batch status parsed.
const DEVICES: usize = 100;

/// How often the devices array may grow: it doubles, so once per power of two up to
/// its length, and once more.
const VEC_GROWTH: usize = (usize::BITS - DEVICES.leading_zeros()) as usize + 1;

/// A batch status of `DEVICES` devices with every known field, and the number of string
/// values in it that a parse must own. With `nulls`, each device's product key, error
/// code and error description are explicit `null`s.
fn batch_status(nulls: bool) -> (Vec<u8>, usize) {
    let (optional, owned_per_device) = if nulls {
        (
            r#""productKey":null,"errorCode":null,"errorDescription":null"#.to_owned(),
            2,
        )
    } else {
        (
            r#""productKey":"00329-00000-00003-AA606","errorCode":"808","#.to_owned()
                + r#""errorDescription":"ZtdDeviceAssignedToOtherTenant""#,
            5,
        )
    };
    let devices: Vec<String> = (0..DEVICES)
        .map(|n| {
            format!(
                r#"{{"deviceId":"9993-8627-{n:04}","serialNumber":"SN-{n:04}",{optional},"status":"finished","attributes":{{"objectType":"DeviceUploadDetails"}}}}"#
            )
        })
        .collect();
    let body = format!(
        r#"{{"batchTrackingId":"0127ed8e-ff72-4983-a3d8-e8d8bd378932","status":"finished","startedTime":"2019-02-05T21:57:06","completedTime":"2019-02-05T21:57:06.7367164-08:00","devicesStatus":[{}],"attributes":{{"objectType":"BatchUploadDetails"}}}}"#,
        devices.join(",")
    );
    // The two timestamps, and each device's owned text (its id, serial number and
    // what is not `null`); the GUID, the statuses and the object types own nothing.
    (body.into_bytes(), 2 + DEVICES * owned_per_device)
}

/// Parses `body` on this thread, counting its allocations; checks that every value
/// took the typed path (a typed view, or a `null` bit, and nothing kept).
fn allocations(body: &[u8], nulls: bool) -> u64 {
    let mut parsed = None;
    let info = allocation_counter::measure(|| {
        parsed = Some(pc_models::from_slice::<BatchUploadDetails>(body));
    });
    let details = parsed.unwrap().unwrap();
    assert!(details.tracking_id().is_some() && details.completed_time.is_some());
    assert!(details.extra.is_empty());
    assert_eq!(details.devices().len(), DEVICES);
    for device in details.devices() {
        assert_eq!(device.status, Some(UploadStatus::Finished));
        assert!(device.device_id.is_some() && device.attributes.is_some());
        assert_eq!(device.error_code.is_none(), nulls);
        assert_eq!(device.extra.is_null("errorCode"), nulls);
        assert_eq!(device.extra.iter().next(), None, "no unknown field");
        assert_eq!(device.extra.kept("deviceId"), None, "nothing kept");
    }
    info.count_total
}

/// Checks that a parse of the batch status allocates once per owned string value, plus
/// at most the growth of the devices array.
fn check(nulls: bool) {
    let (body, owned) = batch_status(nulls);
    let counted = allocations(&body, nulls);
    let (owned, bound) = (owned as u64, (owned + VEC_GROWTH) as u64);
    assert!(
        (owned..=bound).contains(&counted),
        "{counted} allocations for {DEVICES} devices (nulls: {nulls}): expected from {owned} \
         (the owned strings) to {bound} (plus the growth of the devices array)"
    );
}

#[test]
fn a_batch_status_allocates_only_its_owned_text() {
    check(false);
}

#[test]
fn explicit_nulls_allocate_nothing() {
    check(true);
}
