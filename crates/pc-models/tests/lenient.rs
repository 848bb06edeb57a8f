//! One odd value never fails a document: each case the service has been seen (or may
//! be expected) to send, checked for what the typed view says and for a round trip
//! that gives back the input exactly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pc_models::{
    BatchUploadDetails, Collection, ConfigurationPolicy, Device, DeviceBatch, Kept, PolicySetting,
    ThrottleError, UploadStatus,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Parses `input` as `T`, checks that serializing gives back the same JSON value (and
/// that a second parse gives the same typed value), and returns the typed value.
fn check<T>(input: &str) -> T
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let typed: T =
        pc_models::from_slice(input.as_bytes()).unwrap_or_else(|error| panic!("{input}: {error}"));
    let received: Value = serde_json::from_str(input).unwrap();
    let written = serde_json::to_value(&typed).unwrap();
    assert_eq!(written, received, "{input}: not written back as received");
    let again: T = serde_json::from_value(written).unwrap();
    assert_eq!(again, typed, "{input}: a second parse differs");
    typed
}

#[test]
fn a_tracking_id_that_is_not_a_guid_or_is_empty_is_kept_without_a_typed_view() {
    for id in ["not-a-guid", "", "0127ed8e-ff72-4983-a3d8", " "] {
        let input = format!(r#"{{"batchTrackingId":"{id}","status":"finished"}}"#);
        let details: BatchUploadDetails = check(&input);
        assert_eq!(details.tracking_id(), None, "{id:?}");
        assert_eq!(details.extra.untyped("batchTrackingId"), Some(&json!(id)));
        assert_eq!(details.status, Some(UploadStatus::Finished));
    }
}

#[test]
fn a_guid_in_another_spelling_has_a_typed_view_and_keeps_its_text() {
    let canonical = "0127ed8e-ff72-4983-a3d8-e8d8bd378932";
    for id in [
        "0127ED8E-FF72-4983-A3D8-E8D8BD378932",
        "{0127ed8e-ff72-4983-a3d8-e8d8bd378932}",
        "0127ed8eff724983a3d8e8d8bd378932",
        " 0127ed8e-ff72-4983-a3d8-e8d8bd378932 ",
    ] {
        let details: BatchUploadDetails = check(&format!(r#"{{"batchTrackingId":"{id}"}}"#));
        assert_eq!(
            details.tracking_id().map(|id| id.to_string()).as_deref(),
            Some(canonical),
            "{id}"
        );
        assert_eq!(
            details.extra.kept("batchTrackingId"),
            Some(&Kept::Spelled(id.to_owned()))
        );
    }
    // The canonical spelling keeps nothing.
    let details: BatchUploadDetails = check(&format!(r#"{{"batchTrackingId":"{canonical}"}}"#));
    assert!(details.extra.is_empty());
    // A changed id is written in its own spelling, not the stale one received.
    let mut details: BatchUploadDetails =
        check(r#"{"batchTrackingId":"0127ED8E-FF72-4983-A3D8-E8D8BD378932"}"#);
    details.batch_tracking_id = Some("47021739-3426-40bf-9601-61b4b6d7c793".parse().unwrap());
    assert_eq!(
        serde_json::to_value(&details).unwrap(),
        json!({"batchTrackingId": "47021739-3426-40bf-9601-61b4b6d7c793"})
    );
}

#[test]
fn counts_sent_as_strings_or_floats_are_kept_without_a_typed_view() {
    for odd in [
        json!("12"),
        json!(12.0),
        json!(12.5),
        json!(-3),
        json!(""),
        json!(true),
    ] {
        for field in ["devicesCount", "deviceCount"] {
            let input = json!({"id": "Lab", field: odd, "status": "finished"}).to_string();
            let batch: DeviceBatch = check(&input);
            assert_eq!(batch.count(), None, "{input}");
            assert_eq!(batch.extra.untyped(field), Some(&odd), "{input}");
            assert_eq!(batch.id.as_ref().map(|id| id.as_str()), Some("Lab"));
        }
        for field in ["devicesAssigned", "devicesAssignedCount"] {
            let input = json!({"id": "p", field: odd, "name": "n"}).to_string();
            let policy: ConfigurationPolicy = check(&input);
            assert_eq!(policy.devices_assigned(), None, "{input}");
            assert_eq!(policy.extra.untyped(field), Some(&odd), "{input}");
            assert_eq!(policy.name.as_deref(), Some("n"));
        }
        let input = json!({"totalCount": odd, "items": [{"id": "d"}]}).to_string();
        let page: Collection<Device> = check(&input);
        assert_eq!(page.total_count, None, "{input}");
        assert_eq!(page.items().len(), 1);
    }
    let throttle: ThrottleError = check(r#"{"statusCode":"429","message":"slow down"}"#);
    assert_eq!(throttle.status_code, None);
    let throttle: ThrottleError = check(r#"{"statusCode":70000}"#);
    assert_eq!(throttle.extra.untyped("statusCode"), Some(&json!(70000)));
}

#[test]
fn a_null_element_loses_only_its_own_typed_view() {
    let details: BatchUploadDetails = check(
        r#"{"devicesStatus":[{"serialNumber":"A","status":"finished"},null,{"serialNumber":"B"},7,"x"]}"#,
    );
    let serials: Vec<_> = details
        .devices()
        .iter()
        .map(|device| device.serial_number.as_deref())
        .collect();
    assert_eq!(serials, [Some("A"), Some("B")]);
    assert_eq!(
        details.extra.kept("devicesStatus"),
        Some(&Kept::Elements(vec![
            (1, Value::Null),
            (3, json!(7)),
            (4, json!("x"))
        ]))
    );
    assert_eq!(details.status_counts().total, 2);

    let page: Collection<Device> = check(r#"{"items":[null,{"id":"d1"},[],{"id":"d2"}]}"#);
    assert_eq!(page.items().len(), 2);

    let policy: ConfigurationPolicy =
        check(r#"{"policySettings":["skip_eula",null,5,"a_new_one",{"x":1}]}"#);
    assert_eq!(
        policy.policy_settings,
        Some(vec![
            PolicySetting::SkipEula,
            PolicySetting::Other("a_new_one".into())
        ])
    );

    let device: Device = check(
        r#"{"policies":[null,{"key":"o_o_b_e","value":"p"}],"allowedOperations":["GET",null,1],
            "links":{"self":{"uri":"/x","headers":[null,{"key":"k","value":"v"}]}}}"#,
    );
    assert_eq!(device.policies.as_ref().map(Vec::len), Some(1));
    assert_eq!(device.allowed_operations, Some(vec!["GET".to_owned()]));
    let headers = device
        .links
        .as_ref()
        .and_then(|links| links.self_link.as_ref())
        .and_then(|link| link.headers.as_ref());
    assert_eq!(headers.map(Vec::len), Some(1));
}

#[test]
fn an_array_of_only_odd_elements_and_an_empty_array_round_trip() {
    let details: BatchUploadDetails = check(r#"{"devicesStatus":[null,null]}"#);
    assert!(details.devices().is_empty());
    let details: BatchUploadDetails = check(r#"{"devicesStatus":[]}"#);
    assert!(details.devices().is_empty() && details.extra.is_empty());
}

#[test]
fn timestamps_sent_as_numbers_are_kept_without_a_typed_view() {
    let details: BatchUploadDetails =
        check(r#"{"startedTime":1500976800,"completedTime":1.5e9,"status":"finished"}"#);
    assert_eq!(details.started_time, None);
    assert_eq!(
        details.extra.untyped("startedTime"),
        Some(&json!(1_500_976_800))
    );
    assert_eq!(details.extra.untyped("completedTime"), Some(&json!(1.5e9)));
    assert!(details.is_terminal());
    // A string in no known style is a timestamp without a UTC view, not an odd value.
    let details: BatchUploadDetails = check(r#"{"startedTime":"yesterday"}"#);
    assert_eq!(details.started_time.as_ref().and_then(|t| t.utc()), None);
    assert!(details.extra.is_empty());
}

#[test]
fn a_number_where_a_string_was_expected_is_kept() {
    let details: BatchUploadDetails = check(
        r#"{"devicesStatus":[{"serialNumber":12345,"productKey":1.5,"deviceId":7,
            "status":3,"errorCode":"808","errorDescription":808}]}"#,
    );
    let device = &details.devices()[0];
    assert_eq!(device.serial_number, None);
    assert_eq!(device.extra.untyped("serialNumber"), Some(&json!(12345)));
    assert_eq!(device.extra.untyped("status"), Some(&json!(3)));
    assert_eq!(device.status, None);
    assert!(device.is_failed());
    assert!(device.has_error("808"));

    let device: Device = check(r#"{"id":5,"modelName":true,"attributes":"Device"}"#);
    assert_eq!(
        (device.id, device.model_name, device.attributes),
        (None, None, None)
    );
}

#[test]
fn a_numeric_or_float_error_code_keeps_its_number() {
    let details: BatchUploadDetails = check(
        r#"{"devicesStatus":[{"errorCode":806},{"errorCode":640.0},{"errorCode":-1},{"errorCode":false}]}"#,
    );
    let codes: Vec<_> = details
        .devices()
        .iter()
        .map(|device| {
            device
                .error_code
                .as_ref()
                .map(|code| code.as_str().to_owned())
        })
        .collect();
    assert_eq!(
        codes,
        [
            Some("806".to_owned()),
            Some("640.0".to_owned()),
            Some("-1".to_owned()),
            None
        ]
    );
    assert!(details.devices()[0].has_error("806"));
}

#[test]
fn objects_where_strings_were_expected_and_strings_where_objects_were_expected() {
    let details: BatchUploadDetails = check(
        r#"{"status":{"value":"finished"},"attributes":"BatchUploadDetails","devicesStatus":{"a":1}}"#,
    );
    assert_eq!(details.status, None);
    assert_eq!(details.attributes, None);
    assert!(details.devices().is_empty());
    assert_eq!(details.extra.len(), 0);
}

#[test]
fn known_statuses_match_in_any_ascii_case_and_keep_their_text() {
    let details: BatchUploadDetails = check(
        r#"{"status":"Finished","devicesStatus":[
            {"status":"FINISHED_WITH_ERRORS","errorCode":"808"},
            {"status":"Queued"},{"status":"finished"},{"status":"In-Progress"}]}"#,
    );
    assert_eq!(details.status, Some(UploadStatus::Finished));
    assert!(details.is_terminal());
    assert_eq!(
        details.extra.kept("status"),
        Some(&Kept::Spelled("Finished".to_owned()))
    );
    let counts = details.status_counts();
    assert_eq!(
        (
            counts.finished_with_errors,
            counts.queued,
            counts.finished,
            counts.other
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(
        details.devices()[3].status,
        Some(UploadStatus::Other("In-Progress".to_owned()))
    );
    // A changed status is written in the service's spelling.
    let mut details = details;
    details.status = Some(UploadStatus::Processing);
    assert_eq!(
        serde_json::to_value(&details).unwrap()["status"],
        json!("processing")
    );
    let batch: DeviceBatch = check(r#"{"status":"Finished"}"#);
    assert_eq!(batch.status, Some(UploadStatus::Finished));
}

#[test]
fn a_repeated_key_keeps_the_last_value_whatever_came_before() {
    let cases = [
        (
            r#"{"status":null,"status":"queued"}"#,
            json!({"status": "queued"}),
        ),
        (
            r#"{"status":"queued","status":null}"#,
            json!({"status": null}),
        ),
        (
            r#"{"status":5,"status":"queued"}"#,
            json!({"status": "queued"}),
        ),
        (r#"{"status":"queued","status":5}"#, json!({"status": 5})),
        (
            r#"{"status":"Queued","status":"queued"}"#,
            json!({"status": "queued"}),
        ),
        (
            r#"{"devicesStatus":[null],"devicesStatus":[{"status":"queued"}]}"#,
            json!({"devicesStatus": [{"status": "queued"}]}),
        ),
        (
            r#"{"attributes":{"objectType":"A","etag":"1"},"attributes":{"objectType":"B"}}"#,
            json!({"attributes": {"objectType": "B"}}),
        ),
        (r#"{"x":1,"x":2}"#, json!({"x": 2})),
    ];
    for (input, expected) in cases {
        let details: BatchUploadDetails = pc_models::from_slice(input.as_bytes()).unwrap();
        assert_eq!(serde_json::to_value(&details).unwrap(), expected, "{input}");
        // serde_json's own reading of a repeated key agrees.
        assert_eq!(serde_json::from_str::<Value>(input).unwrap(), expected);
    }
}

#[test]
fn only_bytes_that_are_not_json_or_a_top_level_of_the_wrong_kind_fail() {
    for input in [
        &b"{\"status\": }"[..],
        b"{\"status\": \xe2\x80\x9cqueued\xe2\x80\x9d}",
        b"{\"devicesStatus\": [null,]}",
        b"[]",
        b"null",
        b"\"finished\"",
        b"",
    ] {
        assert!(
            pc_models::from_slice::<BatchUploadDetails>(input).is_err(),
            "{}",
            String::from_utf8_lossy(input)
        );
    }
    assert!(pc_models::from_slice::<Collection<Device>>(b"{\"items\": 5}").is_ok());
}

#[test]
fn forget_drops_what_was_kept_of_a_field() {
    let mut details: BatchUploadDetails =
        check(r#"{"status":5,"completedTime":null,"batchTrackingId":"X"}"#);
    details.extra.forget("status");
    details.extra.forget("completedTime");
    assert_eq!(
        serde_json::to_value(&details).unwrap(),
        json!({"batchTrackingId": "X"})
    );
}
