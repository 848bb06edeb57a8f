//! Uploads in parts, the not-found grace, a retried create answered 409, and waits
//! that meet a long throttle: the blocking client over a scripted transport (the async
//! client shares the same code).
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "blocking")]

mod support;

use std::time::Duration;

use pc_devices::{DevicesClient, Error, ErrorKind, UploadOptions, UploadTarget, WaitOptions};
use pc_http::testing::{FakeClock, ScriptedTransport};
use pc_models::Device;
use support::*;

fn client(transport: &ScriptedTransport, clock: &FakeClock) -> DevicesClient {
    DevicesClient::builder()
        .base_url("https://partner-center.invalid")
        .token("t0ken")
        .transport(transport.clone())
        .clock(clock.clone())
        .sleep(clock.clone())
        .build()
        .unwrap()
}

fn devices(n: usize) -> Vec<Device> {
    (0..n)
        .map(|i| Device {
            serial_number: Some(format!("SN-{i}")),
            ..Device::default()
        })
        .collect()
}

fn location(n: u32) -> String {
    format!("/customers/{CUSTOMER}/batchJobStatus/00000000-0000-0000-0000-{n:012}")
}

fn accepted(transport: &ScriptedTransport, n: u32) {
    transport.push_response(202, &[("Location", location(n).as_str())], "");
}

fn request_ids(transport: &ScriptedTransport) -> Vec<String> {
    transport
        .requests()
        .iter()
        .map(|request| header(request, "ms-requestid"))
        .collect()
}

fn body_len(request: &http::Request<Vec<u8>>) -> usize {
    let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
    match body {
        serde_json::Value::Array(devices) => devices.len(),
        object => object["devices"].as_array().unwrap().len(),
    }
}

#[test]
fn a_large_upload_goes_in_parts_in_file_order() {
    let transport = ScriptedTransport::new();
    for n in 1..=3 {
        accepted(&transport, n);
    }
    let client = client(&transport, &FakeClock::new());
    let options = UploadOptions {
        devices_per_request: 1000,
        ..Default::default()
    };
    let parts = client
        .upload(
            &customer(),
            &UploadTarget::NewBatch(batch("Lab A")),
            devices(2500),
            &options,
        )
        .unwrap();
    let counts: Vec<usize> = parts.iter().map(|part| part.devices).collect();
    assert_eq!(counts, [1000, 1000, 500]);
    let ids: Vec<String> = parts.iter().map(|p| p.tracking_id.to_string()).collect();
    assert_eq!(
        ids,
        [1, 2, 3].map(|n| format!("00000000-0000-0000-0000-{n:012}"))
    );
    assert_eq!(
        calls(&transport),
        [
            format!("POST /v1/customers/{CUSTOMER}/deviceBatches"),
            format!("POST /v1/customers/{CUSTOMER}/deviceBatches/Lab%20A/devices"),
            format!("POST /v1/customers/{CUSTOMER}/deviceBatches/Lab%20A/devices"),
        ]
    );
    let sizes: Vec<usize> = transport.requests().iter().map(body_len).collect();
    assert_eq!(sizes, [1000, 1000, 500]);
    // Each part is its own logical call.
    let ids = request_ids(&transport);
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
    // The first device of the second part is the 1001st of the file.
    let second: serde_json::Value = serde_json::from_slice(transport.requests()[1].body()).unwrap();
    assert_eq!(second[0]["serialNumber"], "SN-1000");
}

#[test]
fn an_add_answered_404_is_tried_again_within_the_grace() {
    let transport = ScriptedTransport::new();
    let not_found = r#"{"code": 600, "description": "Batch not found"}"#;
    accepted(&transport, 1);
    transport
        .push_response(404, &[], not_found)
        .push_response(404, &[], not_found);
    accepted(&transport, 2);
    let clock = FakeClock::new();
    let client = client(&transport, &clock);
    let options = UploadOptions {
        devices_per_request: 2,
        ..Default::default()
    };
    let parts = client
        .upload(
            &customer(),
            &UploadTarget::NewBatch(batch("Lab")),
            devices(3),
            &options,
        )
        .unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(clock.sleeps(), [Duration::from_secs(5); 2]);
    // A new logical call each time: a replayed request id would replay the 404.
    let ids = request_ids(&transport);
    assert_eq!(ids.len(), 4);
    assert!(ids[1] != ids[2] && ids[2] != ids[3], "{ids:?}");
}

#[test]
fn after_the_grace_a_404_ends_the_upload_naming_the_accepted_parts() {
    let transport = ScriptedTransport::new();
    accepted(&transport, 1);
    for _ in 0..20 {
        transport.push_response(
            404,
            &[],
            r#"{"code": 600, "description": "Batch not found"}"#,
        );
    }
    let clock = FakeClock::new();
    let client = client(&transport, &clock);
    let options = UploadOptions {
        devices_per_request: 2,
        not_found_grace: Duration::from_secs(12),
        ..Default::default()
    };
    let error = client
        .upload(
            &customer(),
            &UploadTarget::NewBatch(batch("Lab")),
            devices(5),
            &options,
        )
        .unwrap_err();
    // Tried at 0, 5, 10 and 15 s: the last try, past the grace of 12 s, is final.
    assert_eq!(transport.request_count(), 1 + 4);
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
    let Error::UploadIncomplete(incomplete) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(incomplete.accepted.len(), 1);
    assert_eq!(incomplete.accepted[0].devices, 2);
    assert_eq!(incomplete.devices_not_sent, 3);
    let message = error.to_string();
    assert!(
        message.contains("after 1 accepted part(s) holding 2 device(s)"),
        "{message}"
    );
    assert!(
        message.contains("00000000-0000-0000-0000-000000000001"),
        "{message}"
    );
    assert!(message.contains("3 device(s) were not sent"), "{message}");
}

#[test]
fn a_first_part_that_fails_is_its_own_error_and_an_existing_batch_is_never_created() {
    let transport = ScriptedTransport::new();
    transport.push_response(403, &[], r#"{"code": 3, "description": "Forbidden"}"#);
    let client = client(&transport, &FakeClock::new());
    let error = client
        .upload(
            &customer(),
            &UploadTarget::ExistingBatch(batch("Lab")),
            devices(1),
            &UploadOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(error, Error::Http(_)), "{error:?}");
    assert_eq!(
        calls(&transport),
        [format!(
            "POST /v1/customers/{CUSTOMER}/deviceBatches/Lab/devices"
        )]
    );
}

#[test]
fn a_retried_create_answered_409_says_the_upload_probably_happened() {
    let transport = ScriptedTransport::new();
    transport
        .push_error(pc_http::TransportErrorKind::Timeout)
        .push_response(
            409,
            &[("MS-RequestId", "rid-9")],
            r#"{"code": 600, "description": "Batch already exists"}"#,
        );
    let client = client(&transport, &FakeClock::new());
    let error = client
        .upload(
            &customer(),
            &UploadTarget::NewBatch(batch("Lab")),
            devices(1),
            &UploadOptions::default(),
        )
        .unwrap_err();
    assert!(
        matches!(error, Error::RetriedUploadConflict(_)),
        "{error:?}"
    );
    assert_eq!(error.kind(), ErrorKind::Api);
    let message = error.to_string();
    assert!(message.contains("HTTP 409 Conflict"), "{message}");
    assert!(message.contains("probably succeeded"), "{message}");
    assert!(message.contains("MS-RequestId rid-9"), "{message}");
    let ids = request_ids(&transport);
    assert_eq!(ids[0], ids[1], "the retry repeats the request id");

    // A 409 to a first attempt is a plain error.
    transport.push_response(
        409,
        &[],
        r#"{"code": 600, "description": "Batch already exists"}"#,
    );
    let error = client
        .upload(
            &customer(),
            &UploadTarget::NewBatch(batch("Lab")),
            devices(1),
            &UploadOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(error, Error::Http(_)), "{error:?}");
}

#[test]
fn a_wait_on_a_new_tracking_id_rides_out_404s_within_its_grace() {
    let transport = ScriptedTransport::new();
    transport
        .push_response(404, &[], r#"{"code": 600, "description": "not found"}"#)
        .push_json(200, &batch_status("finished", &["finished"]));
    let clock = FakeClock::new();
    let client = client(&transport, &clock);
    let options = WaitOptions {
        not_found_grace: Some(Duration::from_secs(60)),
        ..Default::default()
    };
    let details = client
        .wait_for_completion(&customer(), &tracking(), &options)
        .unwrap();
    assert!(details.is_terminal());
    assert_eq!(clock.sleeps(), [Duration::from_secs(5)]);

    // Without a grace (a tracking id a user gave) the 404 is the answer.
    transport.push_response(404, &[], r#"{"code": 600, "description": "not found"}"#);
    let error = client
        .wait_for_completion(&customer(), &tracking(), &WaitOptions::default())
        .unwrap_err();
    assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
}

#[test]
fn a_wait_whose_grace_outlasts_the_deadline_times_out() {
    let transport = ScriptedTransport::new();
    for _ in 0..10 {
        transport.push_response(404, &[], r#"{"code": 600, "description": "not found"}"#);
    }
    let clock = FakeClock::new();
    let client = client(&transport, &clock);
    let options = WaitOptions {
        deadline: Duration::from_secs(12),
        not_found_grace: Some(Duration::from_secs(60)),
        ..Default::default()
    };
    let error = client
        .wait_for_completion(&customer(), &tracking(), &options)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::WaitTimeout, "{error:?}");
    assert!(error.last_details().is_none());
    assert_eq!(transport.request_count(), 4, "polls at 0, 5, 10 and 12 s");
}

#[test]
fn a_throttle_that_outlasts_the_wait_ends_it_at_once_with_the_last_details() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, &batch_status("processing", &["processing"]))
        .push_response(
            429,
            &[("Retry-After", "100")],
            r#"{"statusCode":429,"message":"Rate limit is exceeded. Try again in 100 seconds."}"#,
        );
    let clock = FakeClock::new();
    let client = client(&transport, &clock);
    let options = WaitOptions {
        deadline: Duration::from_secs(60),
        ..Default::default()
    };
    let error = client
        .wait_for_completion(&customer(), &tracking(), &options)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::WaitTimeout, "{error:?}");
    assert_eq!(
        error
            .last_details()
            .and_then(|d| d.status.clone())
            .map(|s| s.as_str().to_owned()),
        Some("processing".to_owned())
    );
    // Slept the poll interval once, never the 100 s the service asked for.
    assert_eq!(clock.sleeps(), [Duration::from_secs(5)]);
}

#[test]
fn a_batch_id_of_white_space_is_refused_before_sending() {
    let transport = ScriptedTransport::new();
    let client = client(&transport, &FakeClock::new());
    let error = client
        .add_devices(&customer(), &batch("   "), devices(1))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.to_string().contains("white space"), "{error}");
    assert_eq!(transport.request_count(), 0);
}
