//! Every resource against fixtures written after the spec's shapes: snapshots of the
//! typed view of each and of the JSON each serializes to, and round trips that lose
//! nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pc_models::{
    BatchUploadDetails, Collection, ConfigurationPolicy, Device, DeviceBatch,
    DeviceBatchCreationRequest, DevicePolicyUpdateRequest, ServiceError, ThrottleError,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Parses a fixture as `T`, checks that nothing was lost (the serialized value equals
/// the fixture's JSON value) and that parse → serialize → parse is stable, then returns
/// the typed value.
fn check<T>(name: &str) -> T
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let bytes = fixture(name);
    let typed: T = pc_models::from_slice(&bytes).unwrap_or_else(|error| panic!("{name}: {error}"));
    let received: serde_json::Value = pc_models::from_slice(&bytes).unwrap();
    let written = serde_json::to_value(&typed).unwrap();
    assert_eq!(
        written, received,
        "{name}: serializing lost or changed something"
    );
    let again: T = serde_json::from_slice(&serde_json::to_vec(&typed).unwrap()).unwrap();
    assert_eq!(
        again, typed,
        "{name}: parse → serialize → parse changed the value"
    );
    insta::assert_json_snapshot!(name, written);
    // The typed view: which values have one, and what was kept beside it.
    insta::assert_debug_snapshot!(format!("{name}-typed"), typed);
    typed
}

#[test]
fn documented_batch_status() {
    let details: BatchUploadDetails = check("batch-status-documented.json");
    assert_eq!(details.status, Some(pc_models::UploadStatus::Finished));
    let device = &details.devices()[0];
    assert_eq!(
        device.status,
        Some(pc_models::UploadStatus::FinishedWithErrors)
    );
    assert_eq!(device.error_code.as_ref().map(|c| c.as_str()), Some("808"));
    assert_eq!(
        device.ztd_error(),
        Some(pc_models::ZtdError::DeviceAssignedToOtherTenant)
    );
    assert_eq!(
        details
            .started_time
            .as_ref()
            .map(|t| t.to_string())
            .as_deref(),
        Some("2017-07-25T10:00:00Z")
    );
}

#[test]
fn documented_batch_status_serializes_back_to_the_same_json() {
    let bytes = fixture("batch-status-documented.json");
    let details: BatchUploadDetails = pc_models::from_slice(&bytes).unwrap();
    let expected: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(serde_json::to_value(&details).unwrap(), expected);
}

#[test]
fn batch_status_with_nulls_unknown_fields_and_values() {
    let details: BatchUploadDetails = check("batch-status-processing.json");
    assert!(details.completed_time.is_none() && details.extra.is_null("completedTime"));
    assert_eq!(
        details.extra.get("batchName"),
        Some(&serde_json::json!("Lab A/1"))
    );
    let counts = details.status_counts();
    assert_eq!(
        (
            counts.total,
            counts.finished,
            counts.queued,
            counts.finished_with_errors,
            counts.other,
            counts.failed
        ),
        (4, 1, 1, 1, 1, 2)
    );
    let failed: Vec<String> = details
        .failed_devices()
        .map(|failed| {
            format!(
                "{:?} {:?}: {}",
                failed.device.serial_number,
                failed.error,
                failed.hint()
            )
        })
        .collect();
    insta::assert_debug_snapshot!(failed);
}

#[test]
fn device_batches_page() {
    let page: Collection<DeviceBatch> = check("device-batches-page.json");
    let counts: Vec<_> = page.items().iter().map(DeviceBatch::count).collect();
    assert_eq!(counts, [Some(2), Some(100), Some(0)]);
    assert!(page.items()[1].created().is_some());
    assert_eq!(
        page.next_token(),
        Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    );
}

#[test]
fn devices_page_with_a_key_that_has_a_leading_space() {
    let page: Collection<Device> = check("devices-page.json");
    assert_eq!(page.items().len(), 2);
    assert!(page.items()[1].extra.get(" attributes").is_some());
    assert_eq!(page.next_token(), None);
}

#[test]
fn device_batch_creation_request() {
    let request: DeviceBatchCreationRequest = check("device-batch-creation-request.json");
    assert_eq!(
        request.batch_id.as_ref().map(|id| id.as_str()),
        Some("Lab A/1")
    );
}

#[test]
fn device_policy_update_request() {
    let _: DevicePolicyUpdateRequest = check("device-policy-update-request.json");
}

#[test]
fn configuration_policy_behind_a_byte_order_mark() {
    let policy: ConfigurationPolicy = check("configuration-policy.json");
    assert_eq!(policy.devices_assigned(), Some(55));
    let settings = policy.policy_settings.unwrap();
    assert_eq!(
        settings[3],
        pc_models::PolicySetting::Other("hide_privacy_settings".into())
    );
}

#[test]
fn configuration_policies_page() {
    let page: Collection<ConfigurationPolicy> = check("configuration-policies-page.json");
    assert_eq!(page.items()[0].devices_assigned(), Some(3));
    assert_eq!(
        page.items()[1].category,
        Some(pc_models::PolicyCategory::Other("a_new_category".into()))
    );
}

#[test]
fn service_errors_with_numeric_and_string_codes() {
    let error: ServiceError = check("service-error.json");
    assert_eq!(error.to_string(), "600: The customer id is not valid.");
    let error: ServiceError = check("service-error-string-code.json");
    assert_eq!(
        error.code.as_ref().and_then(|code| code.as_i64()),
        Some(2000)
    );
}

#[test]
fn throttle_error() {
    let error: ThrottleError = check("throttle-error.json");
    assert_eq!(error.status_code, Some(429));
}

#[test]
fn malformed_json_says_where_and_what_was_expected() {
    let error =
        pc_models::from_slice::<Collection<Device>>(&fixture("malformed-typographic-quotes.json"))
            .unwrap_err();
    assert_eq!((error.line(), error.column()), (2, 3));
    insta::assert_snapshot!(error.to_string());

    let truncated = &fixture("batch-status-documented.json")[..200];
    let error = pc_models::from_slice::<BatchUploadDetails>(truncated).unwrap_err();
    assert!(error.is_eof());
    insta::assert_snapshot!(error.to_string());

    // A top level of the wrong kind is the one shape error left.
    let error =
        pc_models::from_slice::<BatchUploadDetails>(br#"[{"status": "queued"}]"#).unwrap_err();
    insta::assert_snapshot!(error.to_string());
}

#[test]
fn absent_and_null_stay_apart() {
    let absent: Device = pc_models::from_slice(br#"{"id":"d"}"#).unwrap();
    let null: Device = pc_models::from_slice(br#"{"id":"d","modelName":null}"#).unwrap();
    assert_ne!(absent, null);
    assert_eq!(serde_json::to_string(&absent).unwrap(), r#"{"id":"d"}"#);
    assert_eq!(
        serde_json::to_string(&null).unwrap(),
        r#"{"id":"d","modelName":null}"#
    );
}
