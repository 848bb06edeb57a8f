//! Quirks mode: every answer carries the quirks the service's documentation shows,
//! every time; and it composes with strict mode.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pc_sim::{FaultKind, ManualClock, Operation, SimConfig, SimHandle};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use support::{Api, CUSTOMER, HASH, Reply, devices, finish, send, simulator_with};

fn quirky() -> (SimHandle, Arc<ManualClock>, Api) {
    simulator_with(SimConfig {
        quirks: true,
        ..Default::default()
    })
}

/// An accepted upload's answer: 202, no `Location`, the status path as a JSON string.
/// Returns the tracking id.
fn accepted(reply: &Reply) -> String {
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(reply.header("location"), None);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let path = reply.json_after_bom();
    let path = path.as_str().unwrap();
    let prefix = format!("/customers/{CUSTOMER}/batchJobStatus/");
    let tracking = path
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{path}"));
    assert_eq!(tracking.len(), 36, "{path}");
    tracking.to_owned()
}

#[test]
fn uploads_are_answered_with_the_status_path_as_a_json_string() {
    let (_sim, clock, api) = quirky();
    let created = accepted(&api.create_batch("b", devices("SN", 1)));
    let added = accepted(&api.post("deviceBatches/b/devices", &devices("MORE", 1)));
    assert_ne!(created, added);
    finish(&clock);
    let device = api.get("deviceBatches/b/devices").json_after_bom()["items"][0]["id"].clone();
    let updated = api.call(
        "PATCH",
        "DevicePolicyUpdates",
        &[],
        json!({"devices": [{"id": device, "policies": []}]})
            .to_string()
            .as_bytes(),
    );
    let updated = accepted(&updated);
    let status = api.get(&format!("batchJobStatus/{updated}"));
    assert_eq!(status.status, 200);
    assert_eq!(status.json_after_bom()["batchTrackingId"], updated.as_str());
}

#[test]
fn batch_status_has_the_documented_times_and_nulls() {
    let (_sim, clock, api) = quirky();
    let tracking = accepted(&api.create_batch(
        "b",
        json!([
            { "serialNumber": "OK-1", "hardwareHash": HASH },
            { "serialNumber": "OTHER-1", "hardwareHash": HASH },
        ]),
    ));
    let queued = api
        .get(&format!("batchJobStatus/{tracking}"))
        .json_after_bom();
    assert!(queued.get("startedTime").is_none());
    for device in queued["devicesStatus"].as_array().unwrap() {
        assert_eq!(device["errorCode"], Value::Null);
        assert_eq!(device["errorDescription"], Value::Null);
    }
    finish(&clock);
    let reply = api.get(&format!("batchJobStatus/{tracking}"));
    let details = reply.json_after_bom();
    // ManualClock starts at 2024-01-01T00:00:00Z; queued 300 ms, processing 1 s.
    assert_eq!(details["startedTime"], "2024-01-01T00:00:00");
    assert_eq!(
        details["completedTime"],
        "2023-12-31T16:00:01.3000000-08:00"
    );
    let ok = details["devicesStatus"][0].as_object().unwrap();
    assert_eq!(ok["status"], "finished");
    assert!(ok.contains_key("errorCode") && ok["errorCode"].is_null());
    assert!(ok.contains_key("errorDescription") && ok["errorDescription"].is_null());
    let failed = &details["devicesStatus"][1];
    assert_eq!(failed["errorCode"], "808");
    assert_eq!(failed["errorDescription"], "ZtdDeviceAssignedToOtherTenant");
    // Every time: the same answer again.
    assert_eq!(
        api.get(&format!("batchJobStatus/{tracking}")).body,
        reply.body
    );
}

#[test]
fn listings_use_the_other_spellings() {
    let (_sim, clock, api) = quirky();
    accepted(&api.create_batch("b", devices("SN", 2)));
    finish(&clock);
    let batches = api.get("deviceBatches").json_after_bom();
    let batch = batches["items"][0].as_object().unwrap();
    assert_eq!(batch["deviceCount"], 2);
    assert_eq!(batch["creationTime"], "2024-01-01T00:00:00Z");
    assert!(!batch.contains_key("devicesCount") && !batch.contains_key("creationDate"));

    let created = api.post("policies", &json!({ "name": "Autopilot" }));
    assert_eq!(created.status, 200, "{}", created.text());
    let created = created.json_after_bom();
    assert_eq!(created["devicesAssignedCount"], 0);
    assert!(created.get("devicesAssigned").is_none());
    let id = created["id"].as_str().unwrap();
    let one = api.get(&format!("policies/{id}")).json_after_bom();
    assert_eq!(one["devicesAssignedCount"], 0);
    let all = api.get("policies").json_after_bom();
    assert_eq!(all["items"][0]["devicesAssignedCount"], 0);
    assert!(all["items"][0].get("devicesAssigned").is_none());
}

#[test]
fn every_json_body_starts_with_a_byte_order_mark() {
    let (sim, _, api) = quirky();
    let replies = [
        api.get("deviceBatches"),
        api.get("deviceBatches/none/devices"),
        api.get("batchJobStatus/nope"),
        api.call("PUT", "deviceBatches", &[], b"{}"),
        send(sim.local_addr(), "GET", &api.path("policies"), &[], b""),
        send(
            sim.local_addr(),
            "POST",
            "/tenant/oauth2/token",
            &[],
            b"grant_type=client_credentials&client_id=a&client_secret=b",
        ),
    ];
    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    assert_eq!(statuses, [200, 404, 400, 405, 401, 200]);
    for reply in &replies {
        assert!(reply.json_after_bom().is_object());
    }
}

#[test]
fn devices_page_by_token_and_batches_by_link() {
    let (_sim, clock, api) = simulator_with(SimConfig {
        quirks: true,
        page_size: 2,
        ..Default::default()
    });
    for batch in ["a", "b", "c"] {
        accepted(&api.create_batch(batch, devices(batch, 3)));
    }
    finish(&clock);
    let mut serials = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..5 {
        let headers: Vec<(&str, &str)> = token
            .as_deref()
            .map(|token| vec![("MS-ContinuationToken", token)])
            .unwrap_or_default();
        let page = api
            .call("GET", "deviceBatches/a/devices", &headers, b"")
            .json_after_bom();
        assert!(page["links"].get("next").is_none(), "{page}");
        serials.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["serialNumber"].clone()),
        );
        token = page["continuationToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(serials, ["a-0", "a-1", "a-2"]);

    let mut ids = Vec::new();
    let mut link: Option<Value> = None;
    for _ in 0..5 {
        let (rest, token) = match &link {
            Some(next) => {
                let uri = next["uri"].as_str().unwrap();
                let tail = uri
                    .strip_prefix(&format!("/customers/{CUSTOMER}/"))
                    .unwrap();
                assert_eq!(tail, "deviceBatches?seekOperation=Next");
                (
                    tail.to_owned(),
                    next["headers"][0]["value"].as_str().unwrap().to_owned(),
                )
            }
            None => ("deviceBatches".to_owned(), String::new()),
        };
        let headers: Vec<(&str, &str)> = if token.is_empty() {
            vec![]
        } else {
            vec![("MS-ContinuationToken", token.as_str())]
        };
        let page = api.call("GET", &rest, &headers, b"").json_after_bom();
        assert!(page.get("continuationToken").is_none(), "{page}");
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["id"].clone()),
        );
        link = page["links"].get("next").cloned();
        if link.is_none() {
            break;
        }
    }
    assert_eq!(ids, ["a", "b", "c"]);
}

#[test]
fn throttles_alternate_between_a_date_and_no_retry_after() {
    let (sim, _, api) = quirky();
    sim.fail_next(Some(Operation::ListBatches), &[FaultKind::Throttle; 4]);
    let before = SystemTime::now();
    let replies: Vec<Reply> = (0..4).map(|_| api.get("deviceBatches")).collect();
    for (n, reply) in replies.iter().enumerate() {
        assert_eq!(reply.status, 429);
        assert_eq!(reply.json_after_bom()["statusCode"], 429);
        let retry_after = reply.header("retry-after");
        if n % 2 == 0 {
            let date = httpdate::parse_http_date(retry_after.unwrap()).unwrap();
            // One second (the default) from when it was sent, in whole seconds.
            assert!(date >= before, "{retry_after:?}");
            assert!(
                date <= SystemTime::now() + Duration::from_secs(2),
                "{retry_after:?}"
            );
        } else {
            assert_eq!(retry_after, None);
        }
    }
    assert_eq!(api.get("deviceBatches").status, 200);
}

#[test]
fn injected_server_errors_are_html_pages() {
    let (sim, _, api) = quirky();
    sim.fail_next(None, &[FaultKind::InternalError, FaultKind::Unavailable]);
    for status in [500, 503] {
        let reply = api.create_batch("b", devices("SN", 1));
        assert_eq!(reply.status, status);
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with("text/html"),
            "{:?}",
            reply.headers
        );
        let text = reply.text();
        assert!(text.starts_with("<!DOCTYPE html>"), "{text}");
        assert!(text.contains(&status.to_string()), "{text}");
        assert!(reply.header("ms-requestid").is_some());
    }
    accepted(&api.create_batch("b", devices("SN", 1)));
}

#[test]
fn quirks_and_strict_compose() {
    let (_sim, clock, api) = simulator_with(SimConfig {
        quirks: true,
        strict: true,
        page_size: 2,
        ..Default::default()
    });
    // A careless request: 400 in the service's error shape, behind a BOM.
    let reply = api.get("deviceBatches");
    assert_eq!(reply.status, 400);
    let error = reply.json_after_bom();
    assert_eq!(error["code"], pc_sim::codes::INVALID_REQUEST);
    assert!(
        error["description"]
            .as_str()
            .unwrap()
            .contains("MS-RequestId")
    );
    // A careful upload: the quirky 202.
    let body = json!({"batchId": "a", "devices": devices("a", 3)}).to_string();
    accepted(&api.careful("POST", "deviceBatches", &[], body.as_bytes()));
    let body = json!({"batchId": "b", "devices": []}).to_string();
    accepted(&api.careful("POST", "deviceBatches", &[], body.as_bytes()));
    let body = json!({"batchId": "c", "devices": []}).to_string();
    accepted(&api.careful("POST", "deviceBatches", &[], body.as_bytes()));
    finish(&clock);
    // Devices send no links.next, so their token alone is enough.
    let first = api
        .careful("GET", "deviceBatches/a/devices", &[], b"")
        .json_after_bom();
    let token = first["continuationToken"].as_str().unwrap();
    let reply = api.careful(
        "GET",
        "deviceBatches/a/devices",
        &[("MS-ContinuationToken", token)],
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json_after_bom()["items"][0]["serialNumber"], "a-2");
    // Batches send only links.next: its query is required.
    let first = api
        .careful("GET", "deviceBatches", &[], b"")
        .json_after_bom();
    let token = first["links"]["next"]["headers"][0]["value"]
        .as_str()
        .unwrap();
    let reply = api.careful(
        "GET",
        "deviceBatches",
        &[("MS-ContinuationToken", token)],
        b"",
    );
    assert_eq!(reply.status, 400);
    assert!(
        reply.json_after_bom()["description"]
            .as_str()
            .unwrap()
            .contains("seekOperation")
    );
    let reply = api.careful(
        "GET",
        "deviceBatches?seekOperation=Next",
        &[("MS-ContinuationToken", token)],
        b"",
    );
    assert_eq!(reply.json_after_bom()["items"][0]["id"], "c");
}

/// A mutation repeated with its `MS-RequestId` is answered with what the store kept of
/// the first answer, and the quirks rewrite the replay as they rewrote the first:
/// the same bytes.
#[test]
fn a_replayed_answer_gets_the_same_quirks_as_the_first() {
    let (sim, _clock, api) = quirky();
    let twice = |method: &str, rest: &str, request_id: &str, body: Value| {
        let body = body.to_string();
        let send = || {
            api.call(
                method,
                rest,
                &[("MS-RequestId", request_id)],
                body.as_bytes(),
            )
        };
        let first = send();
        let again = send();
        assert_eq!(again.status, first.status, "{method} {rest}");
        assert!(
            again.body == first.body,
            "{method} {rest}: {:?}, then {:?}",
            first.text(),
            again.text()
        );
        assert_eq!(again.header("content-type"), first.header("content-type"));
        assert_eq!(again.header("location"), first.header("location"));
        first
    };
    let created = twice(
        "POST",
        "deviceBatches",
        "a4f9d2c1-0000-4000-8000-000000000001",
        json!({"batchId": "b", "devices": devices("SN", 2)}),
    );
    accepted(&created);
    let updated = twice(
        "PATCH",
        "DevicePolicyUpdates",
        "a4f9d2c1-0000-4000-8000-000000000002",
        json!({"devices": []}),
    );
    accepted(&updated);
    let policy = twice(
        "POST",
        "policies",
        "a4f9d2c1-0000-4000-8000-000000000003",
        json!({"name": "Autopilot"}),
    );
    assert_eq!(policy.status, 200, "{}", policy.text());
    let policy = policy.json_after_bom();
    assert_eq!(policy["devicesAssignedCount"], 0);
    assert!(policy.get("devicesAssigned").is_none());
    // The second of each was a replay, not a second call into the store.
    let log = sim.request_log();
    let replayed: Vec<(&str, &str)> = log
        .iter()
        .filter(|entry| entry.replayed)
        .map(|entry| {
            (
                entry.method.as_str(),
                entry.path.rsplit('/').next().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        replayed,
        [
            ("POST", "deviceBatches"),
            ("PATCH", "DevicePolicyUpdates"),
            ("POST", "policies")
        ]
    );
}
