//! Strict mode: what a careful client never sends is refused, in the service's error
//! shape; off by default.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pc_sim::{ManualClock, SimConfig, SimHandle, codes};
use serde_json::{Value, json};
use std::sync::Arc;
use support::{Api, CUSTOMER, Reply, devices, finish, new_guid, send, simulator_with};

fn strict() -> (SimHandle, Arc<ManualClock>, Api) {
    simulator_with(SimConfig {
        strict: true,
        ..Default::default()
    })
}

/// Asserts a 400 in the service's error shape whose description mentions `what`.
fn assert_refused(reply: &Reply, body: &Value, what: &str) {
    assert_eq!(reply.status, 400, "{what}: {}", reply.text());
    assert_eq!(body["code"], codes::INVALID_REQUEST, "{what}");
    assert_eq!(body["source"], "PartnerFD");
    let description = body["description"].as_str().unwrap();
    assert!(description.contains(what), "{what}: {description}");
}

/// Requests a careful client never sends, each with the word its refusal names.
fn careless_requests(api: &Api) -> Vec<(&'static str, Reply)> {
    let id = new_guid();
    let raw = |headers: &[(&str, &str)], body: &str| {
        let auth = format!("Bearer {}", api.token);
        let mut all = vec![("Authorization", auth.as_str())];
        all.extend_from_slice(headers);
        send(
            api.addr,
            if body.is_empty() { "GET" } else { "POST" },
            &api.path("deviceBatches"),
            &all,
            body.as_bytes(),
        )
    };
    let ids = [
        ("MS-RequestId", id.as_str()),
        ("MS-CorrelationId", id.as_str()),
    ];
    let with_ids = |more: &[(&'static str, &'static str)]| {
        let mut headers = ids.to_vec();
        headers.extend_from_slice(more);
        headers
    };
    let batch = json!({"batchId": "careless", "devices": devices("C", 1)}).to_string();
    vec![
        ("Accept", raw(&with_ids(&[]), "")),
        (
            "Accept",
            raw(&with_ids(&[("Accept", "text/plain, */*")]), ""),
        ),
        (
            "MS-RequestId header is missing",
            raw(
                &[
                    ("Accept", "application/json"),
                    ("MS-CorrelationId", id.as_str()),
                ],
                "",
            ),
        ),
        (
            "MS-RequestId header is empty",
            api.careful("GET", "deviceBatches", &[("MS-RequestId", "")], b""),
        ),
        (
            "is not a GUID",
            api.careful(
                "GET",
                "deviceBatches",
                &[("MS-RequestId", "request-1")],
                b"",
            ),
        ),
        (
            "MS-CorrelationId header is missing",
            raw(
                &[
                    ("Accept", "application/json"),
                    ("MS-RequestId", id.as_str()),
                ],
                "",
            ),
        ),
        (
            "MS-CorrelationId header \"12345\" is not a GUID",
            api.careful(
                "GET",
                "deviceBatches",
                &[("MS-CorrelationId", "12345")],
                b"",
            ),
        ),
        (
            "Content-Type is missing",
            raw(&with_ids(&[("Accept", "application/json")]), &batch),
        ),
        (
            "Content-Type is \"text/plain\"",
            raw(
                &with_ids(&[
                    ("Accept", "application/json"),
                    ("Content-Type", "text/plain"),
                ]),
                &batch,
            ),
        ),
    ]
}

#[test]
fn careless_requests_are_refused_with_the_service_error_shape() {
    let (sim, _, api) = strict();
    for (what, reply) in careless_requests(&api) {
        assert_refused(&reply, &reply.json(), what);
    }
    // None of them got through.
    assert_eq!(
        api.careful("GET", "deviceBatches", &[], b"").json()["items"],
        json!([])
    );
    // A careful client passes, with or without parameters on its media types, and
    // without MS-Contract-Version.
    let reply = api.careful(
        "POST",
        "deviceBatches",
        &[
            ("Content-Type", "application/json; charset=utf-8"),
            ("Accept", "application/json; charset=utf-8"),
        ],
        json!({"batchId": "careful", "devices": devices("SN", 1)})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert!(
        sim.request_log()
            .iter()
            .all(|entry| entry.header("ms-contract-version").is_none())
    );
    // The token endpoint takes its form as before.
    let token = send(
        sim.local_addr(),
        "POST",
        "/tenant/oauth2/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"grant_type=client_credentials&client_id=a&client_secret=b",
    );
    assert_eq!(token.status, 200, "{}", token.text());
}

#[test]
fn strict_is_off_by_default() {
    let (_sim, _, api) = simulator_with(SimConfig::default());
    assert!(!SimConfig::default().strict);
    for (what, reply) in careless_requests(&api) {
        assert!(
            [200, 202].contains(&reply.status),
            "{what}: {} {}",
            reply.status,
            reply.text()
        );
    }
}

#[test]
fn a_next_page_needs_the_links_query_and_a_token_of_the_same_collection() {
    let (_sim, clock, api) = simulator_with(SimConfig {
        strict: true,
        page_size: 2,
        ..Default::default()
    });
    for batch in ["a", "b", "c"] {
        let body = json!({"batchId": batch, "devices": devices(batch, 3)}).to_string();
        let reply = api.careful("POST", "deviceBatches", &[], body.as_bytes());
        assert_eq!(reply.status, 202, "{}", reply.text());
    }
    finish(&clock);
    let first = api
        .careful("GET", "deviceBatches/a/devices", &[], b"")
        .json();
    let next = &first["links"]["next"];
    let uri = next["uri"].as_str().unwrap();
    assert_eq!(
        uri,
        format!("/customers/{CUSTOMER}/deviceBatches/a/devices?seekOperation=Next")
    );
    let token = next["headers"][0]["value"].as_str().unwrap().to_owned();
    assert_eq!(first["continuationToken"], token.as_str());
    let with_token = [("MS-ContinuationToken", token.as_str())];

    // Without the link's query: refused.
    let reply = api.careful("GET", "deviceBatches/a/devices", &with_token, b"");
    assert_refused(&reply, &reply.json(), "seekOperation=Next");
    // With it (the link's uri, under /v1): the next page.
    let reply = api.careful(
        "GET",
        "deviceBatches/a/devices?seekOperation=Next",
        &with_token,
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let second = reply.json();
    assert_eq!(second["items"][0]["serialNumber"], "a-2");
    assert!(second["links"].get("next").is_none());
    // The same token on another batch's devices, or on the batches: refused.
    for rest in [
        "deviceBatches/b/devices?seekOperation=Next",
        "deviceBatches?seekOperation=Next",
        "policies?seekOperation=Next",
    ] {
        let reply = api.careful("GET", rest, &with_token, b"");
        assert_refused(&reply, &reply.json(), "not issued for this collection");
    }
    // A token of the simulator's older form names no collection: refused too.
    let reply = api.careful(
        "GET",
        "deviceBatches/a/devices?seekOperation=Next",
        &[("MS-ContinuationToken", "b2Zmc2V0OjI=")],
        b"",
    );
    assert_refused(&reply, &reply.json(), "not issued for this collection");
    // The batches page the same way.
    let batches = api.careful("GET", "deviceBatches", &[], b"").json();
    let link = &batches["links"]["next"];
    assert_eq!(
        link["uri"],
        format!("/customers/{CUSTOMER}/deviceBatches?seekOperation=Next")
    );
    let token = link["headers"][0]["value"].as_str().unwrap();
    let reply = api.careful(
        "GET",
        "deviceBatches?seekOperation=Next",
        &[("MS-ContinuationToken", token)],
        b"",
    );
    assert_eq!(reply.json()["items"][0]["id"], "c");
}

#[test]
fn a_request_id_reused_with_another_body_is_a_conflict_of_its_own() {
    let (_sim, _, api) = strict();
    let id = new_guid();
    let post = |batch: &str| {
        api.careful(
            "POST",
            "deviceBatches",
            &[("MS-RequestId", id.as_str())],
            json!({"batchId": batch, "devices": devices("SN", 1)})
                .to_string()
                .as_bytes(),
        )
    };
    let first = post("first");
    assert_eq!(first.status, 202);
    // The same body again: the first answer.
    let again = post("first");
    assert_eq!(again.status, 202);
    assert_eq!(again.header("location"), first.header("location"));
    // Another body under the same id: 409 with a code that is not "the batch exists".
    let reused = post("second");
    assert_eq!(reused.status, 409, "{}", reused.text());
    let body = reused.json();
    assert_eq!(body["code"], codes::REQUEST_ID_REUSED);
    assert_ne!(body["code"], codes::CONFLICT);
    assert_eq!(body["source"], "PartnerFD");
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("MS-RequestId")
    );
    let batches = api.careful("GET", "deviceBatches", &[], b"").json();
    assert_eq!(batches["items"].as_array().unwrap().len(), 1);
    // On another route the same id is a new request.
    let other = api.careful(
        "POST",
        "deviceBatches/first/devices",
        &[("MS-RequestId", id.as_str())],
        devices("MORE", 1).to_string().as_bytes(),
    );
    assert_eq!(other.status, 202, "{}", other.text());
}

#[test]
fn without_strict_a_reused_request_id_replays_the_first_answer() {
    let (_sim, _, api) = simulator_with(SimConfig::default());
    let id = new_guid();
    let post = |batch: &str| {
        api.careful(
            "POST",
            "deviceBatches",
            &[("MS-RequestId", id.as_str())],
            json!({"batchId": batch, "devices": []})
                .to_string()
                .as_bytes(),
        )
    };
    let first = post("first");
    let reused = post("second");
    assert_eq!(reused.status, 202);
    assert_eq!(reused.header("location"), first.header("location"));
}
