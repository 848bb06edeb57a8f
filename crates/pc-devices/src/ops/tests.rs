use super::*;
use crate::error::DecodeProblem;
use http::StatusCode;
use pc_models::{
    Attributes, BatchId, ConfigurationPolicy, Device, DeviceBatchCreationRequest, DeviceId,
    DevicePolicyUpdateRequest, KeyValuePair, PolicyCategory, PolicyId, PolicySetting, UploadStatus,
};

const CUSTOMER: &str = "47021739-3426-40bf-9601-61b4b6d7c793";
const TRACKING: &str = "0127ed8e-ff72-4983-a3d8-e8d8bd378932";
const LOCATION: &str = "/customers/47021739-3426-40bf-9601-61b4b6d7c793/batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932";

fn customer() -> CustomerId {
    CUSTOMER.parse().unwrap()
}

fn tracking() -> pc_models::TrackingId {
    TRACKING.parse().unwrap()
}

fn batch(name: &str) -> BatchId {
    BatchId::new(name).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The request as text: method and URI, the headers in order, the body (JSON pretty).
fn render(request: &http::Request<Vec<u8>>) -> String {
    let mut out = format!("{} {}\n", request.method(), request.uri());
    let mut headers: Vec<String> = request
        .headers()
        .iter()
        .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
        .collect();
    headers.sort();
    for header in headers {
        out.push_str(&header);
        out.push('\n');
    }
    if !request.body().is_empty() {
        let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
        out.push('\n');
        out.push_str(&serde_json::to_string_pretty(&body).unwrap());
        out.push('\n');
    }
    out
}

/// Pins the request an operation builds.
fn check(name: &str, op: &impl Operation) {
    let request = op.to_request().unwrap();
    insta::assert_snapshot!(name, render(&request));
}

fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> http::Response<Vec<u8>> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.to_vec()).unwrap()
}

const IDS: [(&str, &str); 2] = [
    ("MS-RequestId", "7b3e2e00-b330-4480-9d84-59ace713427f"),
    ("MS-CorrelationId", "4a5002a2-0c1b-4e57-b491-dbcf19c0e7b8"),
];

fn sample_device() -> Device {
    Device {
        serial_number: Some("1R9-ZNP67".to_owned()),
        product_key: Some("00329-00000-0003-AA606".to_owned()),
        hardware_hash: Some("T0FCAAEAHAAAAAoA".to_owned()),
        model_name: Some("Surface Laptop 3".to_owned()),
        oem_manufacturer_name: Some("Microsoft Corporation".to_owned()),
        ..Device::default()
    }
}

fn sample_policy() -> ConfigurationPolicy {
    ConfigurationPolicy {
        name: Some("Autopilot profile".to_owned()),
        category: Some(PolicyCategory::OutOfBoxExperience),
        description: Some("Skip the EULA".to_owned()),
        policy_settings: Some(vec![
            PolicySetting::SkipEula,
            PolicySetting::SkipExpressSettings,
        ]),
        attributes: Some(Attributes::of("ConfigurationPolicy")),
        ..ConfigurationPolicy::default()
    }
}

#[test]
fn requests_are_pinned() {
    let c = customer();
    check("get_batch_status", &GetBatchStatus::new(c, tracking()));
    check(
        "create_device_batch",
        &CreateDeviceBatch::new(
            c,
            DeviceBatchCreationRequest::new(batch("Lab A/1"), vec![sample_device()]),
        ),
    );
    check(
        "add_devices",
        &AddDevices::new(c, batch("Lab A/1"), vec![sample_device()]),
    );
    check("list_device_batches", &ListDeviceBatches::new(c));
    check(
        "list_device_batches_next_page",
        &ListDeviceBatches {
            customer: c,
            page: Some(NextPage {
                query: Some("seekOperation=Next".to_owned()),
                token: Some("AAAA+/=".to_owned()),
            }),
        },
    );
    check("list_devices", &ListDevices::new(c, batch("Lab A/1")));
    check(
        "list_devices_next_page",
        &ListDevices::new(c, batch("b2")).with_page(NextPage::token("page 2")),
    );
    check(
        "delete_device",
        &DeleteDevice::new(
            c,
            batch("../x"),
            DeviceId::new("9993-8627-3608-6844-6369-4361-72").unwrap(),
        ),
    );
    let mut device = Device {
        id: Some(DeviceId::new("9993-8627-3608-6844-6369-4361-72").unwrap()),
        policies: Some(vec![KeyValuePair::new(
            "o_o_b_e",
            "e4e1b1f2-0c3e-4a45-8d0a-39a2b2f6b6a1",
        )]),
        ..Device::default()
    };
    device.attributes = Some(Attributes::of("Device"));
    check(
        "update_device_policies",
        &UpdateDevicePolicies::new(c, DevicePolicyUpdateRequest::new(vec![device])),
    );
    let policy = PolicyId::new("e4e1b1f2-0c3e-4a45-8d0a-39a2b2f6b6a1").unwrap();
    check(
        "list_configuration_policies",
        &ListConfigurationPolicies::new(c),
    );
    check(
        "get_configuration_policy",
        &GetConfigurationPolicy::new(c, policy.clone()),
    );
    check(
        "create_configuration_policy",
        &CreateConfigurationPolicy::new(c, sample_policy()),
    );
    check(
        "update_configuration_policy",
        &UpdateConfigurationPolicy::new(c, policy, sample_policy()),
    );
    check(
        "delete_configuration_policy",
        &DeleteConfigurationPolicy::new(c, PolicyId::new("a b?c#d%e").unwrap()),
    );
}

#[test]
fn ids_that_cannot_be_a_segment_are_refused_before_sending() {
    let c = customer();
    for id in [".", ".."] {
        let error = ListDevices::new(c, batch(id)).to_request().unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::InvalidInput);
        assert!(error.to_string().starts_with("invalid batch id"), "{error}");
        let error = DeleteDevice::new(c, batch("b"), DeviceId::new(id).unwrap())
            .to_request()
            .unwrap_err();
        assert!(
            error.to_string().starts_with("invalid device id"),
            "{error}"
        );
        let error = GetConfigurationPolicy::new(c, PolicyId::new(id).unwrap())
            .to_request()
            .unwrap_err();
        assert!(
            error.to_string().starts_with("invalid policy id"),
            "{error}"
        );
    }
    let error = ListDevices::new(c, batch("b"))
        .with_page(NextPage::token("line\nbreak"))
        .to_request()
        .unwrap_err();
    assert!(
        error.to_string().starts_with("invalid continuation token"),
        "{error}"
    );
}

#[test]
fn batch_status_parses_the_documented_answer() {
    let op = GetBatchStatus::new(customer(), tracking());
    let details = op
        .parse_response(response(
            200,
            &IDS,
            &fixture("batch-status-documented.json"),
        ))
        .unwrap();
    assert_eq!(details.status, Some(UploadStatus::Finished));
    assert_eq!(details.status_counts().failed, 1);
    // A byte-order mark is accepted.
    let mut with_bom = pc_models::UTF8_BOM.to_vec();
    with_bom.extend(fixture("batch-status-documented.json"));
    assert!(op.parse_response(response(200, &[], &with_bom)).is_ok());
}

#[test]
fn error_answers_name_status_code_description_and_ids() {
    let op = GetBatchStatus::new(customer(), tracking());
    let cases = [
        (
            "service_error",
            response(404, &IDS, &fixture("service-error.json")),
        ),
        (
            "service_error_string_code",
            response(400, &IDS, &fixture("service-error-string-code.json")),
        ),
        (
            "throttled",
            response(
                429,
                &[IDS[0], IDS[1], ("Retry-After", "11")],
                &fixture("throttle-error.json"),
            ),
        ),
        ("empty_body", response(503, &[], b"")),
        (
            "html_body",
            response(502, &IDS, b"<html>Bad gateway</html>"),
        ),
    ];
    for (name, answer) in cases {
        let error = op.parse_response(answer).unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::Api, "{name}");
        insta::assert_snapshot!(name, error.to_string());
    }
    let error = op
        .parse_response(response(404, &IDS, &fixture("service-error.json")))
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(error.service_code(), Some("600"));
    assert_eq!(error.request_id(), Some(IDS[0].1));
    assert_eq!(error.correlation_id(), Some(IDS[1].1));
    let api = api_error(&error);
    assert_eq!(api.code.as_deref(), Some("600"));
    assert_eq!(
        api.description.as_deref(),
        Some("The customer id is not valid.")
    );
    assert_eq!(api.body, fixture("service-error.json"));

    // `Retry-After` in seconds, or as an HTTP date (one in the past asks for no wait).
    let throttled = |retry_after: &str| {
        op.parse_response(response(
            429,
            &[("Retry-After", retry_after)],
            &fixture("throttle-error.json"),
        ))
        .unwrap_err()
    };
    let error = throttled("11");
    let api = api_error(&error);
    assert_eq!(api.retry_after, Some(std::time::Duration::from_secs(11)));
    assert!(api.throttle.is_some());
    assert_eq!(
        api.description.as_deref(),
        Some("Rate limit is exceeded. Try again in 11 seconds.")
    );
    let error = throttled("Wed, 21 Oct 2015 07:28:00 GMT");
    assert_eq!(
        api_error(&error).retry_after,
        Some(std::time::Duration::ZERO)
    );
}

/// The API error inside `error`, which must be one.
fn api_error(error: &Error) -> &pc_http::ApiError {
    match error {
        Error::Http(pc_http::Error::Api(api)) => api,
        other => panic!("not an API error: {other:?}"),
    }
}

#[test]
fn an_error_answer_is_the_same_error_through_a_pipeline() {
    let op = GetBatchStatus::new(customer(), tracking());
    let answers = [
        (404, &IDS[..], fixture("service-error.json")),
        (429, &IDS[..], fixture("throttle-error.json")),
        (502, &IDS[..], b"<html>Bad gateway</html>".to_vec()),
        (503, &[][..], Vec::new()),
    ];
    for (status, headers, body) in answers {
        let parsed = op
            .parse_response(response(status, headers, &body))
            .unwrap_err();
        let transport = pc_http::testing::ScriptedTransport::new();
        transport.push_response(status, headers, body);
        let pipeline = pc_http::Pipeline::new(
            transport,
            pc_http::StaticToken::new("t0ken"),
            pc_http::ClientOptions {
                retry: pc_http::RetryPolicy {
                    max_retries: 0,
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .unwrap();
        let sent = Error::Http(pipeline.send(op.to_request().unwrap()).unwrap_err());
        let (parsed_api, sent_api) = (api_error(&parsed), api_error(&sent));
        assert_eq!(parsed_api.status, sent_api.status);
        assert_eq!(parsed_api.code, sent_api.code);
        assert_eq!(parsed_api.description, sent_api.description);
        assert_eq!(parsed_api.retry_after, sent_api.retry_after);
        assert_eq!(parsed_api.body, sent_api.body);
        assert_eq!(parsed_api.diagnostics.method, sent_api.diagnostics.method);
        assert_eq!(parsed_api.diagnostics.path, sent_api.diagnostics.path);
        if !headers.is_empty() {
            // The answer names the ids, so the messages agree word for word.
            assert_eq!(parsed.request_id(), sent.request_id());
            assert_eq!(parsed.correlation_id(), sent.correlation_id());
            assert_eq!(parsed.to_string(), sent.to_string());
        }
    }
}

#[test]
fn malformed_and_truncated_bodies_are_decode_errors() {
    let op = ListDevices::new(customer(), batch("Lab A"));
    let error = op
        .parse_response(response(
            200,
            &IDS,
            &fixture("malformed-typographic-quotes.json"),
        ))
        .unwrap_err();
    assert_eq!(error.kind(), crate::ErrorKind::Decode);
    insta::assert_snapshot!("malformed", error.to_string());
    let body = fixture("devices-page.json");
    let error = op
        .parse_response(response(200, &IDS, &body[..body.len() / 2]))
        .unwrap_err();
    let Error::Decode(failure) = &error else {
        panic!("{error:?}")
    };
    assert!(
        matches!(&failure.problem, DecodeProblem::Json(source) if source.is_eof()),
        "{failure}"
    );
}

#[test]
fn an_empty_success_where_a_resource_was_expected_says_the_body_is_empty() {
    let op = GetBatchStatus::new(customer(), tracking());
    for (status, body) in [(204, &b""[..]), (200, b" \r\n"), (200, pc_models::UTF8_BOM)] {
        let error = op.parse_response(response(status, &IDS, body)).unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::Decode);
        assert_eq!(error.request_id(), Some(IDS[0].1));
        let Error::Decode(failure) = &error else {
            panic!("{error:?}")
        };
        assert!(
            matches!(&failure.problem, DecodeProblem::Empty { expected } if expected == "BatchUploadDetails"),
            "{failure}"
        );
        if status == 204 {
            insta::assert_snapshot!("empty_success", error.to_string());
        }
    }
    let error = ListDevices::new(customer(), batch("Lab A"))
        .parse_response(response(200, &IDS, b""))
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the body is empty where JSON for Collection<Device> was expected"),
        "{error}"
    );
}

#[test]
fn the_ids_of_a_pipeline_response_are_used_when_headers_lack_them() {
    let op = GetBatchStatus::new(customer(), tracking());
    let mut answer = response(200, &[], b"{");
    let mut diagnostics = pc_http::Diagnostics::default();
    diagnostics.request_id = Some("sent-request-id".to_owned());
    diagnostics.correlation_id = Some("sent-correlation-id".to_owned());
    answer.extensions_mut().insert(diagnostics);
    let error = op.parse_response(answer).unwrap_err();
    assert_eq!(error.request_id(), Some("sent-request-id"));
    assert_eq!(error.correlation_id(), Some("sent-correlation-id"));
}

#[test]
fn an_accepted_upload_gives_its_tracking_id() {
    let op = CreateDeviceBatch::new(
        customer(),
        DeviceBatchCreationRequest::new(batch("b"), vec![sample_device()]),
    );
    let expected = tracking();
    let guid = TRACKING;
    let located = |location: &str| {
        op.parse_response(response(202, &[("Location", location)], b""))
            .unwrap()
    };
    let accepted = located(LOCATION);
    assert_eq!(accepted.tracking_id, expected);
    assert_eq!(accepted.location.as_deref(), Some(LOCATION));
    for location in [
        format!("/v1/customers/{CUSTOMER}/batchJobStatus/{guid}"),
        format!(
            "https://api.partnercenter.microsoft.com/v1/customers/{CUSTOMER}/batchJobStatus/{guid}"
        ),
        format!("/customers/{CUSTOMER}/batchjobstatus/{guid}/"),
        format!("/customers/{CUSTOMER}/batchJobStatus/{guid}?x=1"),
        format!(
            "/customers/{CUSTOMER}/batchJobStatus/{}",
            guid.to_uppercase()
        ),
    ] {
        assert_eq!(located(&location).tracking_id, expected, "{location}");
    }

    // No Location: the body.
    let bodies = [
        format!("\"{LOCATION}\""),
        format!("\"{guid}\""),
        format!("{{\"batchTrackingId\":\"{guid}\"}}"),
        format!("\u{feff}{{\"BatchTrackingId\":\"{guid}\",\"status\":\"queued\"}}"),
        guid.to_owned(),
    ];
    for body in bodies {
        let accepted = op
            .parse_response(response(202, &[], body.as_bytes()))
            .unwrap();
        assert_eq!(accepted.tracking_id, expected, "{body}");
        assert_eq!(accepted.location, None);
    }
    // A Location without an id, but a body with one.
    let accepted = op
        .parse_response(response(
            202,
            &[("Location", "/customers/x/deviceBatches")],
            format!("\"{guid}\"").as_bytes(),
        ))
        .unwrap();
    assert_eq!(accepted.tracking_id, expected);

    assert_eq!(
        serde_json::to_value(&accepted).unwrap(),
        serde_json::json!({"trackingId": guid, "location": null})
    );
}

#[test]
fn an_accepted_upload_without_a_tracking_id_says_it_may_have_happened() {
    let op = AddDevices::new(customer(), batch("Lab A"), vec![sample_device()]);
    let cases = [
        ("no_location_no_body", response(202, &IDS, b"")),
        (
            "location_without_id",
            response(
                202,
                &[
                    IDS[0],
                    IDS[1],
                    ("Location", "/customers/x/deviceBatches/Lab%20A"),
                ],
                b"{}",
            ),
        ),
    ];
    for (name, answer) in cases {
        let error = op.parse_response(answer).unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::Decode);
        assert_eq!(error.request_id(), Some(IDS[0].1));
        insta::assert_snapshot!(name, error.to_string());
    }
}

#[test]
fn listings_follow_the_services_next_page_link() {
    let op = ListDeviceBatches::new(customer());
    let page = op
        .parse_response(response(200, &IDS, &fixture("device-batches-page.json")))
        .unwrap();
    assert_eq!(page.items().len(), 3);
    assert_eq!(
        page.next_token(),
        Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    );
    // The page the service's `links.next` names (the paging module reads it so).
    let next = NextPage {
        query: Some("seekOperation=Next".into()),
        token: Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()),
    };
    let request = op.with_page(next).to_request().unwrap();
    assert_eq!(
        request.headers()["ms-continuationtoken"],
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    );
    assert_eq!(
        request.uri(),
        "/v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/deviceBatches?seekOperation=Next"
    );
    let devices = ListDevices::new(customer(), batch("Lab A"))
        .parse_response(response(200, &IDS, &fixture("devices-page.json")))
        .unwrap();
    assert_eq!(devices.items().len(), 2);
    assert_eq!(devices.next_token(), None);
}

#[test]
fn every_listing_sends_its_next_pages_continuation_token() {
    let next = NextPage::token("N3xtPage");
    let requests = [
        ListDevices::new(customer(), batch("Lab A"))
            .with_page(next.clone())
            .to_request(),
        ListDeviceBatches::new(customer())
            .with_page(next.clone())
            .to_request(),
        ListConfigurationPolicies::new(customer())
            .with_page(next)
            .to_request(),
    ];
    for request in requests {
        let request = request.unwrap();
        assert_eq!(request.headers()["ms-continuationtoken"], "N3xtPage");
    }
    // A first page sends none.
    let first = ListConfigurationPolicies::new(customer())
        .to_request()
        .unwrap();
    assert!(!first.headers().contains_key("ms-continuationtoken"));
}

#[test]
fn deletes_accept_any_success() {
    let op = DeleteDevice::new(customer(), batch("b"), DeviceId::new("d").unwrap());
    op.parse_response(response(204, &[], b"")).unwrap();
    op.parse_response(response(200, &[], b"{}")).unwrap();
    let error = op
        .parse_response(response(404, &IDS, &fixture("service-error.json")))
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
    DeleteConfigurationPolicy::new(customer(), PolicyId::new("p").unwrap())
        .parse_response(response(204, &[], b""))
        .unwrap();
}

#[test]
fn policies_parse_and_an_empty_success_is_reported() {
    let policy = fixture("configuration-policy.json");
    let id = PolicyId::new("e4e1b1f2-0c3e-4a45-8d0a-39a2b2f6b6a1").unwrap();
    let got = GetConfigurationPolicy::new(customer(), id.clone())
        .parse_response(response(200, &IDS, &policy))
        .unwrap();
    assert_eq!(got.devices_assigned(), Some(55));
    let create = CreateConfigurationPolicy::new(customer(), sample_policy());
    for status in [200, 201] {
        let created = create
            .parse_response(response(status, &IDS, &policy))
            .unwrap();
        assert_eq!(created.id.as_ref(), Some(&id));
    }
    // An empty success is reported, never replaced by the policy as sent.
    let error = create.parse_response(response(201, &IDS, b"")).unwrap_err();
    assert!(
        matches!(&error, Error::Decode(d) if matches!(d.problem, DecodeProblem::Empty { .. })),
        "{error:?}"
    );
    let update = UpdateConfigurationPolicy::new(customer(), id, sample_policy());
    let error = update.parse_response(response(204, &IDS, b"")).unwrap_err();
    assert!(error.to_string().contains("the body is empty"), "{error}");
    let list = ListConfigurationPolicies::new(customer())
        .parse_response(response(
            200,
            &IDS,
            br#"{"totalCount":1,"items":[{"id":"p1","name":"n"}],"attributes":{"objectType":"Collection"}}"#,
        ))
        .unwrap();
    assert_eq!(list.items().len(), 1);
}

#[test]
fn policy_updates_answer_a_tracking_id() {
    let op = UpdateDevicePolicies::new(customer(), DevicePolicyUpdateRequest::new(vec![]));
    let accepted = op
        .parse_response(response(202, &[("Location", LOCATION)], b""))
        .unwrap();
    assert_eq!(accepted.tracking_id, tracking());
}

#[test]
fn a_success_that_is_an_html_page_names_its_content_type_and_first_words() {
    let mut answer = response(
        200,
        &IDS,
        b"<!DOCTYPE html>\n<html><head><title>Sign in to the proxy</title></head></html>",
    );
    answer.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let error = GetBatchStatus::new(customer(), tracking())
        .parse_response(answer)
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("it is text/html; charset=utf-8, not JSON"),
        "{message}"
    );
    assert!(
        message.contains(
            r#"the body begins "<!DOCTYPE html> <html><head><title>Sign in to the proxy"#
        ),
        "{message}"
    );
    assert_eq!(error.kind(), crate::ErrorKind::Decode);
}
