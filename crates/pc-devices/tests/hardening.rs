//! Hardening, checked on the requests that reach a transport: no batch, device or
//! policy id can change a request's path, whatever it holds; and the async listing is
//! bounded like the blocking one.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(all(feature = "blocking", feature = "async"))]

mod support;

use pc_devices::{AsyncDevicesClient, DevicesClient, PagingStop};
use pc_http::testing::{FakeClock, ScriptedTransport};
use pc_models::{BatchId, DeviceId, PolicyId};
use percent_encoding::percent_decode_str;
use support::*;

/// Ids that would change a path if they were not one encoded segment.
const HOSTILE: &[&str] = &[
    "../x",
    "../../../v1/customers/other",
    "..%2F..%2Fother",
    "a/b",
    "%2F",
    "%2e%2e",
    "a?b=c",
    "a#frag",
    "a\\..\\b",
    " ..",
    "...",
    "a%00b",
    "Büro/2",
];

const BASE: &str = "/v1/customers/47021739-3426-40bf-9601-61b4b6d7c793";

/// The request paths a transport received, each checked to be `BASE` plus `shape`'s
/// segments with the id in place of `{}`: the id is one segment that decodes to itself.
fn check_paths(transport: &ScriptedTransport, id: &str, shapes: &[&str]) {
    let requests = transport.requests();
    assert_eq!(requests.len(), shapes.len(), "{id:?}");
    for (request, shape) in requests.iter().zip(shapes) {
        let uri = request.uri();
        assert_eq!(uri.query(), None, "{id:?}: {uri}");
        let path = uri
            .path()
            .strip_prefix(BASE)
            .unwrap_or_else(|| panic!("{id:?}: {uri}"));
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let expected: Vec<&str> = shape.split('/').skip(1).collect();
        assert_eq!(segments.len(), expected.len(), "{id:?}: {uri}");
        for (segment, expected) in segments.iter().zip(&expected) {
            if *expected == "{}" {
                assert_eq!(
                    percent_decode_str(segment).decode_utf8().unwrap(),
                    id,
                    "{uri}"
                );
            } else {
                assert_eq!(segment, expected, "{id:?}: {uri}");
            }
        }
    }
}

const SHAPES: &[&str] = &[
    "/deviceBatches/{}/devices",
    "/deviceBatches/{}/devices",
    "/deviceBatches/{}/devices/{}",
    "/policies/{}",
    "/policies/{}",
    "/policies/{}",
];

fn script(transport: &ScriptedTransport) {
    transport
        .push_response(202, &[("Location", LOCATION)], "")
        .push_json(200, r#"{"items":[]}"#)
        .push_status(204)
        .push_json(200, r#"{"id":"p"}"#)
        .push_json(200, r#"{"id":"p"}"#)
        .push_status(204);
}

#[test]
fn no_id_changes_the_path_of_a_blocking_request() {
    for id in HOSTILE {
        let transport = ScriptedTransport::new();
        script(&transport);
        let client = DevicesClient::builder()
            .base_url("https://partner-center.invalid")
            .token("t0ken")
            .transport(transport.clone())
            .clock(FakeClock::new())
            .sleep(FakeClock::new())
            .build()
            .unwrap();
        let (customer, batch) = (customer(), BatchId::new(*id).unwrap());
        let (device, policy) = (DeviceId::new(*id).unwrap(), PolicyId::new(*id).unwrap());
        client.add_devices(&customer, &batch, vec![]).unwrap();
        client.devices(&customer, &batch).try_collect().unwrap();
        client.delete_device(&customer, &batch, &device).unwrap();
        client.configuration_policy(&customer, &policy).unwrap();
        client
            .update_configuration_policy(&customer, &policy, Default::default())
            .unwrap();
        client
            .delete_configuration_policy(&customer, &policy)
            .unwrap();
        check_paths(&transport, id, SHAPES);
    }
}

#[tokio::test]
async fn no_id_changes_the_path_of_an_async_request() {
    for id in HOSTILE {
        let transport = ScriptedTransport::new();
        script(&transport);
        let client = AsyncDevicesClient::builder()
            .base_url("https://partner-center.invalid")
            .token("t0ken")
            .transport(transport.clone())
            .clock(FakeClock::new())
            .sleep(FakeClock::new())
            .build()
            .unwrap();
        let (customer, batch) = (customer(), BatchId::new(*id).unwrap());
        let (device, policy) = (DeviceId::new(*id).unwrap(), PolicyId::new(*id).unwrap());
        client.add_devices(&customer, &batch, vec![]).await.unwrap();
        client
            .devices(&customer, &batch)
            .try_collect()
            .await
            .unwrap();
        client
            .delete_device(&customer, &batch, &device)
            .await
            .unwrap();
        client
            .configuration_policy(&customer, &policy)
            .await
            .unwrap();
        client
            .update_configuration_policy(&customer, &policy, Default::default())
            .await
            .unwrap();
        client
            .delete_configuration_policy(&customer, &policy)
            .await
            .unwrap();
        check_paths(&transport, id, SHAPES);
    }
}

#[test]
fn dot_segments_are_refused_before_anything_is_sent() {
    for id in [".", ".."] {
        let transport = ScriptedTransport::new();
        let client = DevicesClient::builder()
            .base_url("https://partner-center.invalid")
            .token("t0ken")
            .transport(transport.clone())
            .build()
            .unwrap();
        let error = client
            .add_devices(&customer(), &BatchId::new(id).unwrap(), vec![])
            .unwrap_err();
        assert!(error.to_string().starts_with("invalid batch id"), "{error}");
        let error = client
            .delete_device(&customer(), &batch("b"), &DeviceId::new(id).unwrap())
            .unwrap_err();
        assert!(
            error.to_string().starts_with("invalid device id"),
            "{error}"
        );
        assert_eq!(transport.request_count(), 0);
    }
}

#[tokio::test]
async fn an_async_listing_that_never_ends_is_stopped_by_the_page_bound() {
    let transport = ScriptedTransport::new();
    for page in 0..10 {
        transport.push_json(200, &device_page(page, 1, Some(&format!("t{page}"))));
    }
    let client = AsyncDevicesClient::builder()
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
        .await
        .unwrap_err();
    match &error {
        pc_devices::Error::PagingLoop { pages, reason, .. } => {
            assert_eq!(*pages, 3);
            assert!(matches!(reason, PagingStop::TooManyPages { max_pages: 3 }));
        }
        other => panic!("{other}"),
    }
    assert_eq!(transport.request_count(), 3);
}
