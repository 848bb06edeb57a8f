//! The blocking client against pc-http's scripted transport: paging, the poller,
//! errors, and every operation as a method of the client.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "blocking")]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pc_devices::{DevicesClient, Error, ErrorKind, PagingStop, WaitOptions};
use pc_http::testing::{FakeClock, ScriptedTransport};
use pc_models::{
    ConfigurationPolicy, Device, DeviceBatchCreationRequest, DeviceId, DevicePolicyUpdateRequest,
    PolicyId, UploadStatus,
};
use support::*;

fn client(transport: &ScriptedTransport, clock: &FakeClock) -> DevicesClient {
    DevicesClient::builder()
        .base_url("https://partner-center.invalid")
        .token("t0ken")
        .correlation_id("c0rrelation")
        .transport(transport.clone())
        .clock(clock.clone())
        .sleep(clock.clone())
        .build()
        .unwrap()
}

#[test]
fn listing_follows_every_page() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, &device_page(0, 100, Some("p2")))
        .push_json(200, &device_page(100, 100, Some("p3")))
        .push_json(200, &device_page(200, 17, None));
    let client = client(&transport, &FakeClock::new());
    let devices = client
        .devices(&customer(), &batch("Lab A"))
        .try_collect()
        .unwrap();
    assert_eq!(devices.len(), 217);
    assert_eq!(devices[216].serial_number.as_deref(), Some("SN-216"));
    let tokens: Vec<String> = transport
        .requests()
        .iter()
        .map(|request| header(request, "ms-continuationtoken"))
        .collect();
    assert_eq!(tokens, ["-", "p2", "p3"]);
    assert!(calls(&transport).iter().all(|call| call
        == "GET /v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/deviceBatches/Lab%20A/devices"));
}

#[test]
fn a_repeated_token_ends_the_listing_with_an_error_after_its_items() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, &device_page(0, 2, Some("p2")))
        .push_json(200, &device_page(2, 2, Some("p2")))
        .push_json(200, &device_page(4, 2, Some("p2")));
    let client = client(&transport, &FakeClock::new());
    let results: Vec<_> = client.devices(&customer(), &batch("b")).collect();
    assert_eq!(results.len(), 5);
    assert!(results[..4].iter().all(Result::is_ok));
    let Err(error) = &results[4] else {
        panic!("{results:?}")
    };
    assert!(matches!(
        error,
        Error::PagingLoop {
            reason: PagingStop::RepeatedToken,
            pages: 2,
            ..
        }
    ));
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(transport.request_count(), 2);
}

#[test]
fn a_listing_that_never_ends_is_stopped_by_the_page_bound() {
    let transport = ScriptedTransport::new();
    for page in 0..10 {
        transport.push_json(200, &device_page(page, 1, Some(&format!("t{page}"))));
    }
    let client = DevicesClient::builder()
        .base_url("https://partner-center.invalid")
        .token("t0ken")
        .transport(transport.clone())
        .clock(FakeClock::new())
        .sleep(FakeClock::new())
        .max_pages(3)
        .build()
        .unwrap();
    let error = client
        .device_batches(&customer())
        .try_collect()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "listing /v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/deviceBatches did not end: \
         the service still named a next page after 3 pages, the limit is 3"
    );
    assert_eq!(transport.request_count(), 3);
}

#[test]
fn the_poller_waits_until_the_batch_is_terminal() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, &batch_status("queued", &["queued", "queued"]))
        .push_json(
            200,
            &batch_status("processing", &["finished", "processing"]),
        )
        .push_json(
            200,
            &batch_status(
                "finished_with_errors",
                &["finished", "finished_with_errors"],
            ),
        );
    let clock = FakeClock::new();
    let client = client(&transport, &clock);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let options = WaitOptions::default().with_progress(move |progress| {
        log.lock().unwrap().push(format!(
            "{} {}/{} failed {} poll {} at {}s",
            progress.status.map_or("-", UploadStatus::as_str),
            progress.counts.done(),
            progress.counts.total,
            progress.counts.failed,
            progress.polls,
            progress.elapsed.as_secs(),
        ));
    });
    let details = client
        .wait_for_completion(&customer(), &tracking(), &options)
        .unwrap();
    assert_eq!(details.status, Some(UploadStatus::FinishedWithErrors));
    assert_eq!(details.failed_devices().count(), 1);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "queued 0/2 failed 0 poll 1 at 0s",
            "processing 1/2 failed 0 poll 2 at 5s",
            "finished_with_errors 2/2 failed 1 poll 3 at 10s",
        ]
    );
    assert_eq!(clock.sleeps(), [Duration::from_secs(5); 2]);
    let requests = transport.requests();
    let ids: std::collections::HashSet<String> = requests
        .iter()
        .map(|request| header(request, "ms-requestid"))
        .collect();
    assert_eq!(ids.len(), 3, "each poll is a new logical call");
    assert!(
        requests
            .iter()
            .all(|request| header(request, "ms-correlationid") == "c0rrelation")
    );
}

#[test]
fn the_poller_gives_up_at_the_deadline_with_the_last_details() {
    let transport = ScriptedTransport::new();
    for _ in 0..10 {
        transport.push_json(200, &batch_status("processing", &["processing"]));
    }
    let clock = FakeClock::new();
    let client = client(&transport, &clock);
    let options = WaitOptions {
        interval: Duration::from_secs(5),
        deadline: Duration::from_secs(12),
        ..Default::default()
    };
    let error = client
        .wait_for_completion(&customer(), &tracking(), &options)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::WaitTimeout);
    assert_eq!(
        error.last_details().and_then(|d| d.status.clone()),
        Some(UploadStatus::Processing)
    );
    assert_eq!(
        error.to_string(),
        "batch 0127ed8e-ff72-4983-a3d8-e8d8bd378932 of customer 47021739-3426-40bf-9601-61b4b6d7c793 \
         was still processing after waiting 12s; ask for its status again later"
    );
    assert_eq!(transport.request_count(), 4);
    assert_eq!(
        clock.sleeps(),
        [5, 5, 2].map(Duration::from_secs),
        "the last poll falls on the deadline"
    );
}

#[test]
fn errors_name_status_code_and_ids_and_sort_into_kinds() {
    let transport = ScriptedTransport::new();
    transport.push_response(
        404,
        &[
            ("MS-RequestId", "r-404"),
            ("content-type", "application/json"),
        ],
        r#"{"code": 600, "description": "The customer id is not valid.", "source": "PartnerFD"}"#,
    );
    let clock = FakeClock::new();
    let client = client(&transport, &clock);
    let error = client
        .batch_upload_status(&customer(), &tracking())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
    assert_eq!(error.service_code(), Some("600"));
    assert_eq!(error.request_id(), Some("r-404"));
    assert_eq!(error.correlation_id(), Some("c0rrelation"));
    assert!(
        error
            .to_string()
            .contains("HTTP 404 Not Found: error 600: The customer id is not valid."),
        "{error}"
    );

    // A 503 is retried by the pipeline; the wait sleeps on the fake clock.
    transport
        .push_status(503)
        .push_json(200, &batch_status("finished", &[]));
    let details = client
        .batch_upload_status(&customer(), &tracking())
        .unwrap();
    assert!(details.is_terminal());

    // An accepted upload without a tracking id.
    transport.push_response(202, &[("MS-RequestId", "r-202")], "");
    let error = client
        .add_devices(&customer(), &batch("b"), vec![Device::default()])
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.request_id(), Some("r-202"));
    assert!(
        error.to_string().contains("The upload may have happened"),
        "{error}"
    );

    // Ids that cannot be a path segment: nothing is sent.
    let before = transport.request_count();
    let error = client
        .delete_device(&customer(), &batch(".."), &DeviceId::new("d").unwrap())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_eq!(transport.request_count(), before);

    // A transport failure after the retries.
    for _ in 0..5 {
        transport.push_error(pc_http::TransportErrorKind::Connect);
    }
    let error = client
        .batch_upload_status(&customer(), &tracking())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
}

#[test]
fn every_operation_is_a_method_of_the_client() {
    let transport = ScriptedTransport::new();
    let client = client(&transport, &FakeClock::new());
    let customer = &customer();
    let accepted = |transport: &ScriptedTransport| {
        transport.push_response(202, &[("Location", LOCATION)], "");
    };
    let policy = r#"{"id":"p 1","name":"Profile"}"#;
    let page = r#"{"items":[]}"#;
    let id = PolicyId::new("p 1").unwrap();
    let lab = batch("Lab A");

    transport.push_json(200, &batch_status("queued", &[]));
    client.batch_upload_status(customer, &tracking()).unwrap();
    accepted(&transport);
    let created = client
        .create_device_batch(
            customer,
            DeviceBatchCreationRequest::new(lab.clone(), vec![]),
        )
        .unwrap();
    assert_eq!(created.tracking_id, tracking());
    transport.push_json(200, page);
    client
        .send(&pc_devices::ops::ListDeviceBatches::new(*customer))
        .unwrap();
    transport.push_json(200, page);
    client.device_batches(customer).try_collect().unwrap();
    accepted(&transport);
    client.add_devices(customer, &lab, vec![]).unwrap();
    transport.push_json(200, page);
    let second_page = pc_devices::ops::ListDevices {
        page: Some(pc_devices::paging::NextPage::token("t2")),
        ..pc_devices::ops::ListDevices::new(*customer, lab.clone())
    };
    client.send(&second_page).unwrap();
    transport.push_json(200, page);
    assert_eq!(client.devices(customer, &lab).count(), 0);
    transport.push_status(204);
    client
        .delete_device(customer, &lab, &DeviceId::new("d/1").unwrap())
        .unwrap();
    accepted(&transport);
    client
        .update_device_policies(customer, DevicePolicyUpdateRequest::new(vec![]))
        .unwrap();
    transport.push_json(200, page);
    client
        .configuration_policies(customer)
        .try_collect()
        .unwrap();
    transport.push_json(201, policy);
    client
        .create_configuration_policy(customer, ConfigurationPolicy::default())
        .unwrap();
    transport.push_json(200, policy);
    client.configuration_policy(customer, &id).unwrap();
    transport.push_json(200, policy);
    client
        .update_configuration_policy(customer, &id, ConfigurationPolicy::default())
        .unwrap();
    transport.push_status(204);
    client.delete_configuration_policy(customer, &id).unwrap();

    let base = "/v1/customers/47021739-3426-40bf-9601-61b4b6d7c793";
    let expected: Vec<String> = [
        "GET /batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932",
        "POST /deviceBatches",
        "GET /deviceBatches",
        "GET /deviceBatches",
        "POST /deviceBatches/Lab%20A/devices",
        "GET /deviceBatches/Lab%20A/devices",
        "GET /deviceBatches/Lab%20A/devices",
        "DELETE /deviceBatches/Lab%20A/devices/d%2F1",
        "PATCH /DevicePolicyUpdates",
        "GET /policies",
        "POST /policies",
        "GET /policies/p%201",
        "PUT /policies/p%201",
        "DELETE /policies/p%201",
    ]
    .iter()
    .map(|call| call.replacen(' ', &format!(" {base}"), 1))
    .collect();
    assert_eq!(calls(&transport), expected);
    assert_eq!(transport.remaining(), 0);
}

#[test]
fn the_token_never_shows_in_debug_output_or_errors() {
    let transport = ScriptedTransport::new();
    transport.push_response(401, &[], r#"{"code": 900, "description": "Unauthorized"}"#);
    let client = client(&transport, &FakeClock::new());
    let error = client
        .batch_upload_status(&customer(), &tracking())
        .unwrap_err();
    for text in [
        format!("{client:?}"),
        format!("{error:?}"),
        error.to_string(),
        format!("{:?}", DevicesClient::builder().token("t0ken")),
    ] {
        assert!(!text.contains("t0ken"), "{text}");
    }
    assert_eq!(
        transport.requests()[0].headers()["authorization"],
        "Bearer t0ken"
    );
}

#[test]
fn an_error_answer_debugs_as_a_sentence_with_its_body_as_text() {
    let transport = ScriptedTransport::new();
    transport.push_response(
        404,
        &[("MS-RequestId", "rid-1")],
        r#"{"code": 600, "description": "Customer not found"}"#,
    );
    let client = client(&transport, &FakeClock::new());
    let error = client
        .batch_upload_status(&customer(), &tracking())
        .unwrap_err();
    // What `fn main() -> Result<(), Box<dyn Error>>` prints.
    let debug = format!("{error:?}");
    assert!(
        debug.starts_with("Partner Center answered GET /v1/customers/"),
        "{debug}"
    );
    assert!(
        debug.contains("HTTP 404 Not Found: error 600: Customer not found"),
        "{debug}"
    );
    assert!(debug.contains("MS-RequestId rid-1"), "{debug}");
    assert!(
        debug.contains(r#"response body: {"code": 600, "description": "Customer not found"}"#),
        "{debug}"
    );
    assert!(!debug.contains("[123, 34"), "no body bytes: {debug}");
    assert!(!debug.contains("headers"), "no header map: {debug}");
}

#[test]
fn an_empty_token_is_refused_before_anything_is_sent() {
    let transport = ScriptedTransport::new();
    for token in ["", "  "] {
        let error = DevicesClient::builder()
            .base_url("https://partner-center.invalid")
            .token(token)
            .transport(transport.clone())
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert!(
            error.to_string().contains("the access token is empty"),
            "{error}"
        );
    }
    let error = DevicesClient::builder()
        .base_url("https://partner-center.invalid")
        .transport(transport.clone())
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("no access token"), "{error}");
    assert_eq!(transport.request_count(), 0);
}

#[test]
fn the_builders_setters_win_over_the_options_whatever_the_order() {
    use pc_devices::{ClientOptions, Cloud, DevicesClientBuilder};

    let options = || ClientOptions {
        base_url: "https://from-options.invalid".parse().unwrap(),
        correlation_id: Some("from-options".into()),
        locale: "fr-FR".into(),
        ..Default::default()
    };
    let finished = batch_status("finished", &["finished"]);
    // The first request of a client built by `builder`.
    let first_request = |builder: DevicesClientBuilder| {
        let transport = ScriptedTransport::new();
        transport.push_json(200, &finished);
        let client = builder
            .token("t0ken")
            .transport(transport.clone())
            .build()
            .unwrap();
        client
            .batch_upload_status(&customer(), &tracking())
            .unwrap();
        let request = transport.requests().remove(0);
        (client.pipeline().base_url().to_string(), request)
    };
    let china = Cloud::China.base_url().to_string();
    for (order, builder) in [
        (
            "options first",
            DevicesClient::builder()
                .options(options())
                .cloud(Cloud::China)
                .correlation_id("c-1"),
        ),
        (
            "options last",
            DevicesClient::builder()
                .cloud(Cloud::China)
                .correlation_id("c-1")
                .options(options()),
        ),
        (
            "options between",
            DevicesClient::builder()
                .correlation_id("c-1")
                .options(options())
                .cloud(Cloud::China),
        ),
    ] {
        let (base_url, request) = first_request(builder);
        assert_eq!(base_url, china, "{order}");
        assert!(
            request.uri().to_string().starts_with(&china),
            "{order}: {}",
            request.uri()
        );
        assert_eq!(header(&request, "ms-correlationid"), "c-1", "{order}");
        // The rest of the options holds.
        assert_eq!(header(&request, "x-locale"), "fr-FR", "{order}");
    }
    // Of a cloud and a base URL, the last called wins, and either over the options.
    let (base_url, _) = first_request(
        DevicesClient::builder()
            .cloud(Cloud::China)
            .base_url("https://mine.invalid")
            .options(options()),
    );
    assert_eq!(base_url, "https://mine.invalid");
    let (base_url, _) = first_request(
        DevicesClient::builder()
            .base_url("https://mine.invalid")
            .options(options())
            .cloud(Cloud::China),
    );
    assert_eq!(base_url, china);
    // Without the setters, the options' own values serve; a later `options` replaces
    // an earlier one whole.
    let (base_url, request) = first_request(
        DevicesClient::builder()
            .options(ClientOptions {
                locale: "de-DE".into(),
                ..Default::default()
            })
            .options(options()),
    );
    assert_eq!(base_url, "https://from-options.invalid");
    assert_eq!(header(&request, "ms-correlationid"), "from-options");
    assert_eq!(header(&request, "x-locale"), "fr-FR");
}
