//! Every route of the simulator, through a plain HTTP client.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pc_sim::{ManualClock, SimConfig, SimHandle};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use support::{Api, CUSTOMER, HASH, OTHER_CUSTOMER, devices, finish, redact, send, simulator_with};

/// A simulator on a manual clock, with the default schedule (300 ms queued, 1 s
/// processing).
fn simulator() -> (SimHandle, Arc<ManualClock>, Api) {
    simulator_with(SimConfig::default())
}

fn snapshot(name: &str, mut value: Value) {
    redact(&mut value);
    insta::assert_json_snapshot!(name, value);
}

#[test]
fn the_token_endpoint_answers_both_grants() {
    let (sim, _, _) = simulator();
    let form = |body: &str| {
        send(
            sim.local_addr(),
            "POST",
            "/contoso.onmicrosoft.com/oauth2/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    };
    let reply = form(
        "grant_type=client_credentials&client_id=app&client_secret=s3cret&resource=https%3A%2F%2Fapi.partnercenter.microsoft.com",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let token = reply.json();
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], "3599");
    assert!(token["access_token"].as_str().unwrap().len() > 20);
    assert!(token.get("refresh_token").is_none());
    snapshot("token_client_credentials", token);

    let reply = form("grant_type=refresh_token&client_id=app&refresh_token=old");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.json()["refresh_token"].as_str().is_some());

    let reply = form("client_id=app");
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"], "invalid_request");
    let reply = form("grant_type=password&client_id=app");
    assert_eq!(reply.json()["error"], "unsupported_grant_type");
    let reply = send(sim.local_addr(), "GET", "/t/oauth2/token", &[], b"");
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST"));

    // The secrets sent never reach the log.
    let log = format!("{:?}", sim.request_log());
    assert!(!log.contains("s3cret") && !log.contains("=old"), "{log}");
}

#[test]
fn api_calls_need_a_bearer_token() {
    let (sim, _, api) = simulator();
    let reply = send(
        sim.local_addr(),
        "GET",
        &api.path("deviceBatches"),
        &[],
        b"",
    );
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    snapshot("unauthorized", reply.json());
    let reply = send(
        sim.local_addr(),
        "GET",
        &api.path("deviceBatches"),
        &[("Authorization", "Basic abc")],
        b"",
    );
    assert_eq!(reply.status, 401);
    assert_eq!(api.get("deviceBatches").status, 200);
}

#[test]
fn strict_mode_accepts_only_tokens_it_issued() {
    let (sim, _, api) = simulator_with(SimConfig {
        accept_any_token: false,
        ..Default::default()
    });
    assert_eq!(api.get("deviceBatches").status, 401);
    let issued = Api {
        token: sim.issue_token(),
        ..api.clone()
    };
    assert_eq!(issued.get("deviceBatches").status, 200);
    let reply = send(
        sim.local_addr(),
        "POST",
        "/tenant/oauth2/token",
        &[],
        b"grant_type=client_credentials&client_id=a&client_secret=b",
    );
    let fetched = Api {
        token: reply.json()["access_token"].as_str().unwrap().to_owned(),
        ..api
    };
    assert_eq!(fetched.get("deviceBatches").status, 200);
    // A refresh token is good once, and only when issued here.
    let refresh = |token: &str| {
        send(
            sim.local_addr(),
            "POST",
            "/tenant/oauth2/token",
            &[],
            format!("grant_type=refresh_token&client_id=a&refresh_token={token}").as_bytes(),
        )
    };
    assert_eq!(refresh("made-up").json()["error"], "invalid_grant");
    let first = send(
        sim.local_addr(),
        "POST",
        "/tenant/oauth2/token",
        &[],
        b"grant_type=refresh_token&client_id=a&refresh_token=seed",
    );
    assert_eq!(first.json()["error"], "invalid_grant");
}

#[test]
fn strict_mode_tokens_expire_and_refresh_tokens_roll() {
    let (sim, clock, api) = simulator_with(SimConfig {
        accept_any_token: false,
        token_lifetime: Duration::from_secs(60),
        ..Default::default()
    });
    let token = sim.issue_token();
    let issued = Api {
        token: token.clone(),
        ..api.clone()
    };
    assert_eq!(issued.get("deviceBatches").status, 200);
    clock.advance(Duration::from_secs(60));
    let reply = issued.get("deviceBatches");
    assert_eq!(reply.status, 401);
    assert!(
        reply.json()["description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    // A refresh token the simulator issued is good once; each refresh issues a new one.
    let refresh = |token: &str| {
        send(
            sim.local_addr(),
            "POST",
            "/tenant/oauth2/token",
            &[],
            format!("grant_type=refresh_token&client_id=a&refresh_token={token}").as_bytes(),
        )
        .json()
    };
    let first = sim.issue_refresh_token();
    let answer = refresh(&first);
    let second = answer["refresh_token"].as_str().unwrap().to_owned();
    let fresh = Api {
        token: answer["access_token"].as_str().unwrap().to_owned(),
        ..api.clone()
    };
    assert_eq!(fresh.get("deviceBatches").status, 200);
    assert_eq!(refresh(&first)["error"], "invalid_grant");
    assert!(refresh(&second)["access_token"].is_string());
    assert_eq!(refresh(&token)["error"], "invalid_grant");
    assert_eq!(api.get("deviceBatches").status, 401);
}

#[test]
fn a_batch_moves_from_queued_to_processing_to_finished() {
    let (sim, clock, api) = simulator();
    let reply = api.create_batch("Lab A", devices("SN", 2));
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert!(reply.body.is_empty());
    let location = reply.header("location").unwrap();
    assert!(
        location.starts_with(&format!("/customers/{CUSTOMER}/batchJobStatus/")),
        "{location}"
    );
    let tracking = reply.tracking_id();

    let queued = api.status(&tracking);
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["batchTrackingId"], tracking.as_str());
    assert!(queued.get("startedTime").is_none());
    assert_eq!(queued["devicesStatus"][0]["status"], "queued");
    // Nothing is listed before the job finishes.
    assert_eq!(
        api.get("deviceBatches/Lab%20A/devices").json()["items"],
        json!([])
    );

    clock.advance(Duration::from_millis(300));
    let processing = api.status(&tracking);
    assert_eq!(processing["status"], "processing");
    assert!(processing["startedTime"].is_string());
    assert!(processing.get("completedTime").is_none());

    clock.advance(Duration::from_millis(999));
    assert_eq!(api.status(&tracking)["status"], "processing");
    clock.advance(Duration::from_millis(1));
    let finished = api.status(&tracking);
    assert_eq!(finished["status"], "finished");
    assert_eq!(finished["startedTime"], "2024-01-01T00:00:00.3Z");
    assert_eq!(finished["completedTime"], "2024-01-01T00:00:01.3Z");
    snapshot("batch_status_finished", finished);

    let batches = api.get("deviceBatches").json();
    assert_eq!(batches["items"][0]["devicesCount"], 2);
    snapshot("device_batches", batches);
    let listed = api.get("deviceBatches/Lab%20A/devices").json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 32 && id.split('-').map(str::len).eq([4, 4, 4, 4, 4, 4, 2]),
        "{id}"
    );
    snapshot("devices", listed);
    drop(sim);
}

#[test]
fn ids_are_the_same_under_the_same_seed() {
    let run = || {
        let (_sim, clock, api) = simulator_with(SimConfig {
            seed: 9,
            ..Default::default()
        });
        let tracking = api.create_batch("b", devices("SN", 3)).tracking_id();
        finish(&clock);
        let ids: Vec<String> = api.get("deviceBatches/b/devices").json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|device| device["id"].as_str().unwrap().to_owned())
            .collect();
        (tracking, ids)
    };
    assert_eq!(run(), run());
}

#[test]
fn each_device_rule_gives_its_code() {
    let (_sim, clock, api) = simulator();
    let first = api.create_batch("first", devices("SN", 1));
    assert_eq!(first.status, 202);
    let other = api.for_customer(OTHER_CUSTOMER);
    assert_eq!(
        other.create_batch("theirs", devices("THEIRS", 1)).status,
        202
    );
    let reply = api.create_batch(
        "rules",
        json!([
            { "serialNumber": "OK-1", "hardwareHash": HASH },
            { "serialNumber": "OK-2", "productKey": "12345-67890-09876-54321-13579" },
            { "serialNumber": "OK-3", "oemManufacturerName": "Contoso", "modelName": "Laptop 7" },
            { "serialNumber": "BAD-HASH", "hardwareHash": "not base64!" },
            { "serialNumber": "NO-IDS" },
            { "serialNumber": "SN-0", "hardwareHash": HASH },
            { "serialNumber": "OTHER-1", "hardwareHash": HASH },
            { "serialNumber": "THEIRS-0", "hardwareHash": HASH },
            { "serialNumber": "OK-1", "hardwareHash": HASH },
        ]),
    );
    assert_eq!(reply.status, 202, "{}", reply.text());
    let tracking = reply.tracking_id();
    finish(&clock);
    let details = api.status(&tracking);
    assert_eq!(details["status"], "finished_with_errors");
    let codes: Vec<(&str, &str, &str)> = details["devicesStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|device| {
            (
                device["serialNumber"].as_str().unwrap(),
                device["status"].as_str().unwrap(),
                device["errorCode"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("OK-1", "finished", ""),
            ("OK-2", "finished", ""),
            ("OK-3", "finished", ""),
            ("BAD-HASH", "finished_with_errors", "802"),
            ("NO-IDS", "finished_with_errors", "803"),
            ("SN-0", "finished_with_errors", "806"),
            ("OTHER-1", "finished_with_errors", "808"),
            ("THEIRS-0", "finished_with_errors", "808"),
            ("OK-1", "finished_with_errors", "ZtdDeviceDuplicated"),
        ]
    );
    snapshot("batch_status_with_each_rule", details);
    let listed = api.get("deviceBatches/rules/devices").json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
}

#[test]
fn devices_are_listed_100_a_page() {
    let (_sim, clock, api) = simulator();
    assert_eq!(api.create_batch("big", devices("SN", 250)).status, 202);
    finish(&clock);
    let mut token: Option<String> = None;
    let mut sizes = Vec::new();
    let mut serials = Vec::new();
    for _ in 0..10 {
        let headers: Vec<(&str, &str)> = token
            .as_deref()
            .map(|token| vec![("MS-ContinuationToken", token)])
            .unwrap_or_default();
        let reply = api.call("GET", "deviceBatches/big/devices", &headers, b"");
        assert_eq!(reply.status, 200, "{}", reply.text());
        let page = reply.json();
        let items = page["items"].as_array().unwrap();
        sizes.push(items.len());
        assert_eq!(page["totalCount"], items.len());
        serials.extend(
            items
                .iter()
                .map(|d| d["serialNumber"].as_str().unwrap().to_owned()),
        );
        token = page["continuationToken"].as_str().map(str::to_owned);
        match &token {
            Some(token) => {
                let next = &page["links"]["next"];
                assert_eq!(next["method"], "GET");
                assert_eq!(
                    next["uri"],
                    format!("/customers/{CUSTOMER}/deviceBatches/big/devices?seekOperation=Next")
                );
                assert_eq!(next["headers"][0]["key"], "MS-ContinuationToken");
                assert_eq!(next["headers"][0]["value"], token.as_str());
            }
            None => {
                assert!(page["links"].get("next").is_none());
                break;
            }
        }
    }
    assert_eq!(sizes, [100, 100, 50]);
    let expected: Vec<String> = (0..250).map(|n| format!("SN-{n}")).collect();
    assert_eq!(serials, expected);
    let reply = api.call(
        "GET",
        "deviceBatches/big/devices",
        &[("MS-ContinuationToken", "garbage")],
        b"",
    );
    assert_eq!(reply.status, 400);
}

#[test]
fn paths_and_body_names_are_read_in_any_case() {
    let (sim, clock, api) = simulator();
    let body = "\u{feff}{\"BatchId\":\"Pascal\",\"Devices\":[{\"SerialNumber\":\"P-1\",\"HardwareHash\":\"T0FCAA==\"}]}";
    let reply = send(
        sim.local_addr(),
        "POST",
        &format!("/V1/Customers/{}/DEVICEBATCHES", CUSTOMER.to_uppercase()),
        &[("authorization", "bearer x")],
        body.as_bytes(),
    );
    assert_eq!(reply.status, 202, "{}", reply.text());
    finish(&clock);
    let reply = send(
        sim.local_addr(),
        "GET",
        &format!(
            "/v1/customers/{CUSTOMER}/batchjobstatus/{}",
            reply.tracking_id()
        ),
        &[("Authorization", "Bearer x")],
        b"",
    );
    assert_eq!(reply.json()["status"], "finished");
    let reply = api.get("DeviceBatches/Pascal/Devices");
    assert_eq!(reply.json()["items"][0]["serialNumber"], "P-1");
}

#[test]
fn batch_ids_with_spaces_and_slashes_are_one_segment() {
    let (_sim, clock, api) = simulator();
    assert_eq!(api.create_batch("Lab A/1", devices("SN", 1)).status, 202);
    let more = api.call(
        "POST",
        "deviceBatches/Lab%20A%2F1/devices",
        &[],
        devices("MORE", 2).to_string().as_bytes(),
    );
    assert_eq!(more.status, 202, "{}", more.text());
    assert!(
        more.header("location")
            .unwrap()
            .contains("/batchJobStatus/")
    );
    finish(&clock);
    let listed = api.get("deviceBatches/Lab%20A%2F1/devices").json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    let reply = api.call(
        "DELETE",
        &format!("deviceBatches/Lab%20A%2F1/devices/{id}"),
        &[],
        b"",
    );
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert!(reply.body.is_empty());
    let listed = api.get("deviceBatches/Lab%20A%2F1/devices").json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let reply = api.call(
        "DELETE",
        &format!("deviceBatches/Lab%20A%2F1/devices/{id}"),
        &[],
        b"",
    );
    assert_eq!(reply.status, 404);
    // The deleted device can be uploaded again.
    let again = api.call(
        "POST",
        "deviceBatches/Lab%20A%2F1/devices",
        &[],
        devices("SN", 1).to_string().as_bytes(),
    );
    finish(&clock);
    assert_eq!(api.status(&again.tracking_id())["status"], "finished");
    assert_eq!(api.get("deviceBatches/Lab%20A/devices").status, 404);
}

#[test]
fn errors_carry_the_service_error_body() {
    let (_sim, _, api) = simulator_with(SimConfig {
        limits: pc_sim::Limits {
            max_body_bytes: 4096,
            max_devices_per_upload: 5,
            max_batches_per_customer: 2,
            ..Default::default()
        },
        ..Default::default()
    });
    let bad_guid = Api::new(api.addr)
        .for_customer("not-a-guid")
        .get("deviceBatches");
    assert_eq!(bad_guid.status, 400);
    snapshot("bad_customer_id", bad_guid.json());
    let reply = api.get("batchJobStatus/nope");
    assert_eq!(reply.status, 400);
    let reply = api.get("batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932");
    assert_eq!(reply.status, 404);
    snapshot("unknown_tracking_id", reply.json());
    assert_eq!(api.get("deviceBatches/none/devices").status, 404);
    assert_eq!(api.get("nothing/here").status, 404);
    let reply = api.call("PUT", "deviceBatches", &[], b"{}");
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    let reply = api.call("POST", "deviceBatches", &[], b"{\"batchId\": ");
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["source"], "PartnerFD");
    assert_eq!(
        api.call("POST", "deviceBatches", &[], b"{\"devices\": []}")
            .status,
        400
    );
    assert_eq!(
        api.call("POST", "deviceBatches/x/devices", &[], b"{}")
            .status,
        400
    );

    assert_eq!(api.create_batch("b1", devices("SN", 1)).status, 202);
    let reply = api.create_batch("b1", devices("SN", 1));
    assert_eq!(reply.status, 409);
    snapshot("batch_exists", reply.json());
    let reply = api.create_batch("b2", devices("MANY", 6));
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["code"], 601);
    assert_eq!(api.create_batch("b2", devices("SN2", 1)).status, 202);
    let reply = api.create_batch("b3", devices("SN3", 1));
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["description"]
            .as_str()
            .unwrap()
            .contains("at most 2 batches")
    );
    let big = format!("[{}]", "1,".repeat(3000));
    let reply = api.call("POST", "deviceBatches/b1/devices", &[], big.as_bytes());
    assert_eq!(reply.status, 413);
    assert_eq!(reply.json()["code"], 601);
}

#[test]
fn responses_carry_the_service_headers() {
    let (_sim, _, api) = simulator();
    let reply = api.call(
        "GET",
        "deviceBatches",
        &[
            ("MS-RequestId", "e88d014d-ab70-41de-90a0-f7fd1797267d"),
            ("MS-CorrelationId", "de894e18-f027-4ac0-8b5a-34f0c222af0c"),
        ],
        b"",
    );
    assert_eq!(
        reply.header("ms-requestid"),
        Some("e88d014d-ab70-41de-90a0-f7fd1797267d")
    );
    assert_eq!(
        reply.header("ms-correlationid"),
        Some("de894e18-f027-4ac0-8b5a-34f0c222af0c")
    );
    assert!(reply.header("ms-cv").unwrap().ends_with(".0"));
    assert!(reply.header("ms-serverid").is_some());
    assert!(reply.header("date").is_some());
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    // Without them, the simulator makes them up.
    let reply = api.get("deviceBatches");
    assert_eq!(reply.header("ms-requestid").unwrap().len(), 36);
    assert_eq!(reply.header("ms-correlationid").unwrap().len(), 36);
}

#[test]
fn device_policies_are_updated_through_a_batch_job() {
    let (_sim, clock, api) = simulator();
    let policy = api.post(
        "policies",
        &json!({ "name": "Autopilot", "category": "o_o_b_e", "policySettings": ["skip_eula"] }),
    );
    assert_eq!(policy.status, 200, "{}", policy.text());
    let policy_id = policy.json()["id"].as_str().unwrap().to_owned();
    api.create_batch("b", devices("SN", 2));
    finish(&clock);
    let listed = api.get("deviceBatches/b/devices").json();
    let device_id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    let reply = api.call(
        "PATCH",
        "DevicePolicyUpdates",
        &[],
        json!({
            "Devices": [
                { "Id": device_id, "Policies": [{ "Key": "o_o_b_e", "Value": policy_id }] },
                { "id": "0000-0000-0000-0000-0000-0000-00", "policies": [] },
                { "id": listed["items"][1]["id"], "policies": [{ "key": "o_o_b_e", "value": "missing" }] },
            ],
            "Attributes": { "ObjectType": "DevicePolicyUpdateRequest" }
        })
        .to_string()
        .as_bytes(),
    );
    assert_eq!(reply.status, 202, "{}", reply.text());
    finish(&clock);
    let details = api.status(&reply.tracking_id());
    assert_eq!(details["status"], "finished_with_errors");
    let codes: Vec<&str> = details["devicesStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["errorCode"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["", "812", "809"]);
    let listed = api.get("deviceBatches/b/devices").json();
    assert_eq!(
        listed["items"][0]["policies"][0]["value"],
        policy_id.as_str()
    );
    let policy = api.get(&format!("policies/{policy_id}")).json();
    assert_eq!(policy["devicesAssigned"], 1);
}

#[test]
fn configuration_policies_are_created_read_updated_and_deleted() {
    let (_sim, _, api) = simulator();
    assert_eq!(api.get("policies").json()["items"], json!([]));
    let created = api.post(
        "policies",
        &json!({ "Name": "Autopilot", "Description": "Skip the EULA", "PolicySettings": ["skip_eula", "skip_express_settings"] }),
    );
    assert_eq!(created.status, 200, "{}", created.text());
    let created = created.json();
    let id = created["id"].as_str().unwrap().to_owned();
    snapshot("policy_created", created);
    assert_eq!(
        api.get(&format!("policies/{id}")).json()["name"],
        "Autopilot"
    );
    let reply = api.call(
        "PUT",
        &format!("policies/{id}"),
        &[],
        json!({ "name": "Renamed", "policySettings": ["none"] })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["name"], "Renamed");
    assert_eq!(reply.json()["description"], "Skip the EULA");
    let list = api.get("policies").json();
    assert_eq!(list["totalCount"], 1);
    assert_eq!(list["items"][0]["policySettings"], json!(["none"]));
    assert_eq!(
        api.call("DELETE", &format!("policies/{id}"), &[], b"")
            .status,
        204
    );
    assert_eq!(api.get(&format!("policies/{id}")).status, 404);
    assert_eq!(
        api.call("DELETE", &format!("policies/{id}"), &[], b"")
            .status,
        404
    );
    assert_eq!(
        api.post("policies", &json!({ "description": "no name" }))
            .status,
        400
    );
}

#[test]
fn the_request_log_records_and_redacts() {
    let (sim, _, api) = simulator();
    api.call(
        "GET",
        "deviceBatches",
        &[
            ("X-Client-Secret", "hush"),
            ("MS-ContinuationToken", "b2Zmc2V0OjA="),
        ],
        b"",
    );
    let log = sim.request_log();
    assert_eq!(log.len(), 1);
    let entry = &log[0];
    assert_eq!(entry.method, "GET");
    assert_eq!(entry.path, api.path("deviceBatches"));
    assert_eq!(entry.status, Some(200));
    assert_eq!(entry.operation, Some(pc_sim::Operation::ListBatches));
    assert_eq!(entry.header("authorization"), Some(pc_sim::REDACTED));
    assert_eq!(entry.header("x-client-secret"), Some(pc_sim::REDACTED));
    assert_eq!(entry.header("ms-continuationtoken"), Some("b2Zmc2V0OjA="));
    assert!(!format!("{log:?}").contains("any-token"));
    sim.clear_request_log();
    assert!(sim.request_log().is_empty());

    let (quiet, _, api) = simulator_with(SimConfig {
        log_requests: false,
        ..Default::default()
    });
    api.get("deviceBatches");
    assert!(quiet.request_log().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_and_stops_on_the_callers_runtime() {
    let sim = pc_sim::Simulator::start(SimConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let addr = sim.local_addr();
    assert_eq!(sim.base_url(), format!("http://{addr}"));
    let reply = tokio::task::spawn_blocking(move || Api::new(addr).get("deviceBatches"))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let control = sim.control();
    sim.shutdown().await;
    assert_eq!(control.request_log().len(), 1);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn no_content_answers_have_no_body_headers() {
    let (_sim, _, api) = simulator();
    let created = api.post("policies", &json!({ "name": "p" })).json();
    let reply = api.call(
        "DELETE",
        &format!("policies/{}", created["id"].as_str().unwrap()),
        &[],
        b"",
    );
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("content-length"), None);
    assert_eq!(reply.header("content-type"), None);
    assert!(reply.header("ms-requestid").is_some());
}

#[test]
fn a_device_code_sign_in_is_pending_then_signed_in_and_the_token_is_app_plus_user() {
    let (sim, clock, api) = simulator_with(SimConfig {
        accept_any_token: false,
        login: pc_sim::LoginConfig {
            pending_polls: 2,
            ..Default::default()
        },
        ..Default::default()
    });
    let start = send(
        sim.local_addr(),
        "POST",
        "/contoso.onmicrosoft.com/oauth2/devicecode",
        &[],
        b"client_id=app-1&resource=https%3A%2F%2Fapi.partnercenter.microsoft.com",
    );
    assert_eq!(start.status, 200);
    let answer = start.json();
    let code = answer["device_code"].as_str().unwrap().to_owned();
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains(answer["user_code"].as_str().unwrap())
    );
    assert_eq!(answer["expires_in"], "900");
    assert_eq!(answer["interval"], 1);
    let poll = || {
        send(
            sim.local_addr(),
            "POST",
            "/contoso.onmicrosoft.com/oauth2/token",
            &[],
            format!("grant_type=device_code&client_id=app-1&code={code}").as_bytes(),
        )
    };
    for _ in 0..2 {
        let pending = poll();
        assert_eq!(pending.status, 400);
        assert_eq!(pending.json()["error"], "authorization_pending");
    }
    let signed_in = poll().json();
    let access = signed_in["access_token"].as_str().unwrap().to_owned();
    assert!(signed_in["refresh_token"].as_str().is_some());
    // The code is spent.
    assert_eq!(poll().json()["error"], "invalid_grant");
    // An app+user token may create a batch.
    let user = Api {
        token: access,
        ..api
    };
    assert_eq!(user.create_batch("signed in", devices("U-", 1)).status, 202);
    // A code past its lifetime is expired.
    let start = send(
        sim.local_addr(),
        "POST",
        "/t/oauth2/devicecode",
        &[],
        b"client_id=app-1",
    );
    let code = start.json()["device_code"].as_str().unwrap().to_owned();
    clock.advance(Duration::from_secs(900));
    let expired = send(
        sim.local_addr(),
        "POST",
        "/t/oauth2/token",
        &[],
        format!("grant_type=device_code&client_id=app-1&code={code}").as_bytes(),
    );
    assert_eq!(expired.json()["error"], "expired_token");
    // The device code never reaches the request log.
    let log = format!("{:?}", sim.request_log());
    assert!(!log.contains(&code), "{log}");
}

#[test]
fn a_sign_in_can_be_made_to_slow_down_or_be_refused() {
    for (slow_down, deny, expected) in [
        (true, false, ["slow_down", "authorization_pending"]),
        (false, true, ["access_denied", "invalid_grant"]),
    ] {
        let (sim, _, _) = simulator_with(SimConfig {
            login: pc_sim::LoginConfig {
                pending_polls: 1,
                slow_down,
                deny,
                ..Default::default()
            },
            ..Default::default()
        });
        let start = send(
            sim.local_addr(),
            "POST",
            "/t/oauth2/devicecode",
            &[],
            b"client_id=a",
        );
        let code = start.json()["device_code"].as_str().unwrap().to_owned();
        for error in expected {
            let reply = send(
                sim.local_addr(),
                "POST",
                "/t/oauth2/token",
                &[],
                format!("grant_type=device_code&client_id=a&code={code}").as_bytes(),
            );
            assert_eq!(reply.json()["error"], error);
        }
    }
}

#[test]
fn strict_auth_refuses_an_app_only_token_creating_a_batch() {
    let (sim, _, api) = simulator_with(SimConfig {
        accept_any_token: false,
        ..Default::default()
    });
    let app_only = Api {
        token: sim.issue_app_only_token(),
        ..api.clone()
    };
    let reply = app_only.create_batch("app only", devices("A-", 1));
    assert_eq!(reply.status, 403);
    assert_eq!(reply.json()["code"], pc_sim::codes::FORBIDDEN);
    assert!(
        reply.json()["description"]
            .as_str()
            .unwrap()
            .contains("App+User only")
    );
    // Reading and adding devices accept it.
    assert_eq!(app_only.get("deviceBatches").status, 200);
    let user = Api {
        token: sim.issue_token(),
        ..api
    };
    assert_eq!(user.create_batch("app user", devices("B-", 1)).status, 202);
    let added = app_only.call(
        "POST",
        "deviceBatches/app%20user/devices",
        &[("Content-Type", "application/json")],
        devices("C-", 1).to_string().as_bytes(),
    );
    assert_eq!(added.status, 202);
}

#[test]
fn policies_are_listed_a_page_at_a_time() {
    let (_sim, _, api) = simulator_with(SimConfig {
        page_size: 2,
        ..Default::default()
    });
    for n in 0..5 {
        let reply = api.post("policies", &json!({ "name": format!("P{n}") }));
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let mut names = Vec::new();
    let mut sizes = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let headers: Vec<(&str, &str)> = token
            .as_deref()
            .map(|token| vec![("MS-ContinuationToken", token)])
            .unwrap_or_default();
        let page = api
            .call("GET", "policies?seekOperation=Next", &headers, b"")
            .json();
        let items = page["items"].as_array().unwrap();
        sizes.push(items.len());
        assert_eq!(page["totalCount"], items.len());
        names.extend(items.iter().map(|p| p["name"].as_str().unwrap().to_owned()));
        token = page["continuationToken"].as_str().map(str::to_owned);
        match &token {
            Some(token) => {
                let next = &page["links"]["next"];
                assert_eq!(
                    next["uri"],
                    format!("/customers/{CUSTOMER}/policies?seekOperation=Next")
                );
                assert_eq!(next["headers"][0]["key"], "MS-ContinuationToken");
                assert_eq!(next["headers"][0]["value"], token.as_str());
            }
            None => {
                assert!(page["links"].get("next").is_none());
                break;
            }
        }
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(names, ["P0", "P1", "P2", "P3", "P4"]);
}

#[test]
fn policy_updates_count_against_the_upload_limits() {
    let (_sim, clock, api) = simulator_with(SimConfig {
        limits: pc_sim::Limits {
            max_devices_per_upload: 3,
            max_devices_per_customer: 5,
            ..Default::default()
        },
        ..Default::default()
    });
    assert_eq!(api.create_batch("b", devices("SN", 3)).status, 202);
    finish(&clock);
    let ids: Vec<Value> = api.get("deviceBatches/b/devices").json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|device| device["id"].clone())
        .collect();
    let patch = |ids: &[Value]| {
        let devices: Vec<Value> = ids
            .iter()
            .map(|id| json!({ "id": id, "policies": [] }))
            .collect();
        api.call(
            "PATCH",
            "DevicePolicyUpdates",
            &[],
            json!({ "devices": devices }).to_string().as_bytes(),
        )
    };
    // More devices than one upload may hold.
    let four = [ids.clone(), vec![ids[0].clone()]].concat();
    let reply = patch(&four);
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()["code"], 601);
    assert!(
        reply.json()["description"]
            .as_str()
            .unwrap()
            .contains("at most 3 devices")
    );
    // Two more bring the customer to its five devices; then nothing more goes in,
    // neither an update nor an upload.
    assert_eq!(patch(&ids[..2]).status, 202);
    let reply = patch(&ids[..1]);
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.json()["description"]
            .as_str()
            .unwrap()
            .contains("at most 5 devices")
    );
    assert_eq!(
        api.call(
            "POST",
            "deviceBatches/b/devices",
            &[],
            devices("MORE", 1).to_string().as_bytes()
        )
        .status,
        400
    );
}

#[test]
fn policy_updates_count_against_the_job_limit() {
    let (_sim, _, api) = simulator_with(SimConfig {
        limits: pc_sim::Limits {
            max_jobs: 1,
            ..Default::default()
        },
        ..Default::default()
    });
    let body = json!({ "devices": [] }).to_string();
    let patch = || api.call("PATCH", "DevicePolicyUpdates", &[], body.as_bytes());
    assert_eq!(patch().status, 202);
    let reply = patch();
    assert_eq!(reply.status, 400);
    assert!(
        reply.text().contains("at most 1 batch jobs"),
        "{}",
        reply.text()
    );
    assert_eq!(api.create_batch("b", devices("SN", 1)).status, 400);
}
