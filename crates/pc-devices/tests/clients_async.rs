//! The async client against pc-http's scripted transport: paging as a stream, the
//! poller, errors, and every operation as a method of the client.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "async")]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pc_devices::{AsyncDevicesClient, Error, ErrorKind, PagingStop, WaitOptions};
use pc_http::testing::{FakeClock, ScriptedTransport};
use pc_models::{
    ConfigurationPolicy, DeviceBatchCreationRequest, DeviceId, DevicePolicyUpdateRequest, PolicyId,
    UploadStatus,
};
use support::*;

fn client(transport: &ScriptedTransport, clock: &FakeClock) -> AsyncDevicesClient {
    AsyncDevicesClient::builder()
        .base_url("https://partner-center.invalid")
        .token("t0ken")
        .correlation_id("c0rrelation")
        .transport(transport.clone())
        .clock(clock.clone())
        .sleep(clock.clone())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_stream_follows_every_page() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, &device_page(0, 100, Some("p2")))
        .push_json(200, &device_page(100, 100, Some("p3")))
        .push_json(200, &device_page(200, 17, None));
    let client = client(&transport, &FakeClock::new());
    let mut stream = client.devices(&customer(), &batch("Lab A"));
    let mut serials = Vec::new();
    while let Some(device) = stream.next().await {
        serials.push(device.unwrap().serial_number.unwrap());
    }
    assert_eq!(serials.len(), 217);
    assert_eq!(serials[216], "SN-216");
    let tokens: Vec<String> = transport
        .requests()
        .iter()
        .map(|request| header(request, "ms-continuationtoken"))
        .collect();
    assert_eq!(tokens, ["-", "p2", "p3"]);

    // Collect-all does the same.
    transport
        .push_json(200, &device_page(0, 3, Some("x")))
        .push_json(200, &device_page(3, 3, None));
    let all = client
        .devices(&customer(), &batch("Lab A"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 6);
}

#[tokio::test]
async fn a_repeated_token_ends_the_stream_with_an_error() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, &device_page(0, 2, Some("p2")))
        .push_json(200, &device_page(2, 2, Some("p2")))
        .push_json(200, &device_page(4, 2, Some("p2")));
    let client = client(&transport, &FakeClock::new());
    let mut pages = client.pages(pc_devices::ops::ListDevices::new(customer(), batch("b")));
    assert!(pages.next().await.unwrap().is_ok());
    assert!(pages.next().await.unwrap().is_ok());
    let error = pages.next().await.unwrap().unwrap_err();
    assert!(matches!(
        error,
        Error::PagingLoop {
            reason: PagingStop::RepeatedToken,
            ..
        }
    ));
    assert!(pages.next().await.is_none());
    assert_eq!(transport.request_count(), 2);

    // Collecting stops at the repeated token with the guard's own error, not because
    // the script ran out.
    let transport = ScriptedTransport::new();
    let client = self::client(&transport, &FakeClock::new());
    transport
        .push_json(200, &device_page(0, 1, Some("again")))
        .push_json(200, &device_page(1, 1, Some("again")))
        .push_json(200, &device_page(2, 1, None));
    let error = client
        .devices(&customer(), &batch("b"))
        .try_collect()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::PagingLoop {
                reason: PagingStop::RepeatedToken,
                pages: 2,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(transport.request_count(), 2);
    assert_eq!(transport.remaining(), 1);
}

#[tokio::test]
async fn the_poller_waits_until_the_batch_is_terminal() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, &batch_status("queued", &["queued"]))
        .push_json(200, &batch_status("processing", &["processing"]))
        .push_json(200, &batch_status("finished", &["finished"]));
    let clock = FakeClock::new();
    let client = client(&transport, &clock);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let options = WaitOptions {
        interval: Duration::from_secs(2),
        ..Default::default()
    }
    .with_progress(move |progress| {
        log.lock()
            .unwrap()
            .push(progress.status.map_or("-", UploadStatus::as_str).to_owned());
    });
    let details = client
        .wait_for_completion(&customer(), &tracking(), &options)
        .await
        .unwrap();
    assert_eq!(details.status, Some(UploadStatus::Finished));
    assert_eq!(*seen.lock().unwrap(), ["queued", "processing", "finished"]);
    assert_eq!(clock.sleeps(), [Duration::from_secs(2); 2]);
    let ids: std::collections::HashSet<String> = transport
        .requests()
        .iter()
        .map(|request| header(request, "ms-requestid"))
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(
        transport
            .requests()
            .iter()
            .all(|request| header(request, "ms-correlationid") == "c0rrelation")
    );
}

#[tokio::test]
async fn the_poller_gives_up_at_the_deadline_with_the_last_details() {
    let transport = ScriptedTransport::new();
    for _ in 0..10 {
        transport.push_json(200, &batch_status("queued", &["queued"]));
    }
    let clock = FakeClock::new();
    let client = client(&transport, &clock);
    let options = WaitOptions {
        interval: Duration::from_secs(5),
        deadline: Duration::from_secs(10),
        ..Default::default()
    };
    let error = client
        .wait_for_completion(&customer(), &tracking(), &options)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::WaitTimeout);
    assert_eq!(
        error.last_details().and_then(|d| d.status.clone()),
        Some(UploadStatus::Queued)
    );
    assert_eq!(transport.request_count(), 3);
}

#[tokio::test]
async fn errors_sort_into_kinds() {
    let transport = ScriptedTransport::new();
    transport.push_response(
        429,
        &[("Retry-After", "0"), ("MS-RequestId", "r-1")],
        r#"{"statusCode":429,"message":"Rate limit is exceeded."}"#,
    );
    let client = client(&transport, &FakeClock::new());
    let options = pc_http::ClientOptions {
        retry: pc_http::RetryPolicy {
            max_retries: 0,
            ..Default::default()
        },
        base_url: "https://partner-center.invalid".parse().unwrap(),
        ..Default::default()
    };
    let strict = AsyncDevicesClient::builder()
        .options(options)
        .token("t")
        .transport(transport.clone())
        .build()
        .unwrap();
    let error = strict
        .batch_upload_status(&customer(), &tracking())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert!(
        error.to_string().contains("Rate limit is exceeded."),
        "{error}"
    );

    transport.push_response(202, &[], "");
    let error = client
        .create_device_batch(
            &customer(),
            DeviceBatchCreationRequest::new(batch("b"), vec![]),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::MissingTrackingId(_)));

    let error = client
        .configuration_policy(&customer(), &PolicyId::new(".").unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn every_operation_is_a_method_of_the_client() {
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
    client
        .batch_upload_status(customer, &tracking())
        .await
        .unwrap();
    accepted(&transport);
    client
        .create_device_batch(
            customer,
            DeviceBatchCreationRequest::new(lab.clone(), vec![]),
        )
        .await
        .unwrap();
    transport.push_json(200, page);
    client
        .send(&pc_devices::ops::ListDeviceBatches::new(*customer))
        .await
        .unwrap();
    transport.push_json(200, page);
    let mut batches = client.device_batches(customer);
    assert!(batches.next().await.is_none());
    accepted(&transport);
    client.add_devices(customer, &lab, vec![]).await.unwrap();
    transport.push_json(200, page);
    client.devices(customer, &lab).try_collect().await.unwrap();
    transport.push_status(204);
    client
        .delete_device(customer, &lab, &DeviceId::new("d/1").unwrap())
        .await
        .unwrap();
    accepted(&transport);
    client
        .update_device_policies(customer, DevicePolicyUpdateRequest::new(vec![]))
        .await
        .unwrap();
    transport.push_json(200, page);
    client
        .configuration_policies(customer)
        .try_collect()
        .await
        .unwrap();
    transport.push_json(200, policy);
    client
        .create_configuration_policy(customer, ConfigurationPolicy::default())
        .await
        .unwrap();
    transport.push_json(200, policy);
    client.configuration_policy(customer, &id).await.unwrap();
    transport.push_json(200, policy);
    client
        .update_configuration_policy(customer, &id, ConfigurationPolicy::default())
        .await
        .unwrap();
    transport.push_status(204);
    client
        .delete_configuration_policy(customer, &id)
        .await
        .unwrap();

    let base = "/v1/customers/47021739-3426-40bf-9601-61b4b6d7c793";
    let expected: Vec<String> = [
        "GET /batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932",
        "POST /deviceBatches",
        "GET /deviceBatches",
        "GET /deviceBatches",
        "POST /deviceBatches/Lab%20A/devices",
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
}

#[tokio::test]
async fn a_listing_stream_shows_where_it_is_but_never_the_token() {
    let transport = ScriptedTransport::new();
    transport.push_json(200, &device_page(0, 2, Some("p2")));
    let client = client(&transport, &FakeClock::new());
    let mut stream = client.devices(&customer(), &batch("Lab A"));
    let before = format!("{stream:?}");
    stream.next().await.unwrap().unwrap();
    let after = format!("{stream:?}");
    assert!(
        before.starts_with("ItemStream { pages: PageStream { cursor: "),
        "{before}"
    );
    assert!(before.contains("Lab A"), "{before}");
    assert!(before.ends_with("buffered: 0 }"), "{before}");
    assert!(after.ends_with("buffered: 1 }"), "{after}");
    for shown in [&before, &after] {
        assert!(!shown.contains("t0ken"), "{shown}");
    }
    assert_eq!(
        transport.requests()[0].uri().host(),
        Some("partner-center.invalid")
    );
}

#[tokio::test]
async fn the_builders_setters_win_over_the_options_whatever_the_order() {
    use pc_devices::{ClientOptions, Cloud};

    let options = || ClientOptions {
        base_url: "https://from-options.invalid".parse().unwrap(),
        correlation_id: Some("from-options".into()),
        ..Default::default()
    };
    let china = Cloud::China.base_url().to_string();
    for builder in [
        AsyncDevicesClient::builder()
            .options(options())
            .cloud(Cloud::China)
            .correlation_id("c-1"),
        AsyncDevicesClient::builder()
            .cloud(Cloud::China)
            .correlation_id("c-1")
            .options(options()),
    ] {
        let transport = ScriptedTransport::new();
        transport.push_json(200, &batch_status("finished", &["finished"]));
        let client = builder
            .token("t0ken")
            .transport(transport.clone())
            .build()
            .unwrap();
        assert_eq!(client.pipeline().base_url().to_string(), china);
        client
            .batch_upload_status(&customer(), &tracking())
            .await
            .unwrap();
        let request = transport.requests().remove(0);
        assert!(request.uri().to_string().starts_with(&china));
        assert_eq!(header(&request, "ms-correlationid"), "c-1");
    }
}
