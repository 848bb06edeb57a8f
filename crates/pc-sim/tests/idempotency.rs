//! A repeated `MS-RequestId` gets the first answer and creates nothing new, also when
//! the repeats arrive together.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pc_sim::SimConfig;
use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use support::{Api, devices};

const REQUEST_ID: &str = "a4f9d2c1-0b5e-4c7a-8e3f-6d2b1a0c9e87";

#[test]
fn a_repeated_post_gets_the_first_answer() {
    let sim = pc_sim::spawn(SimConfig::default()).unwrap();
    let api = Api::new(sim.local_addr());
    let body = serde_json::json!({"batchId": "b", "devices": devices("SN", 2)}).to_string();
    let post = |id: &str| {
        api.call(
            "POST",
            "deviceBatches",
            &[("MS-RequestId", id)],
            body.as_bytes(),
        )
    };
    let first = post(REQUEST_ID);
    assert_eq!(first.status, 202);
    let again = post(REQUEST_ID);
    assert_eq!(again.status, 202);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("ms-requestid"), Some(REQUEST_ID));
    // A new logical call is a new request: the batch exists.
    assert_eq!(post("b0c1d2e3-0000-4000-8000-000000000000").status, 409);
    let batches = api.get("deviceBatches").json();
    assert_eq!(batches["totalCount"], 1);
    let log = sim.request_log();
    assert_eq!(log.iter().filter(|entry| entry.replayed).count(), 1);

    // Deletes and patches are kept too: a repeated delete of what the first one
    // removed replays its 204, where a new logical call gets the 404.
    let policy = api
        .post("policies", &serde_json::json!({"name": "P"}))
        .json();
    let policy_path = format!("policies/{}", policy["id"].as_str().unwrap());
    let delete_id = "d1e2f3a4-0000-4000-8000-000000000001";
    let delete = |id: &str| api.call("DELETE", &policy_path, &[("MS-RequestId", id)], b"");
    assert_eq!(delete(delete_id).status, 204);
    let repeated = delete(delete_id);
    assert_eq!(repeated.status, 204, "the first answer, replayed");
    assert_eq!(delete("d1e2f3a4-0000-4000-8000-000000000002").status, 404);
    let patch_id = "d1e2f3a4-0000-4000-8000-000000000003";
    let patch = || {
        api.call(
            "PATCH",
            "DevicePolicyUpdates",
            &[("MS-RequestId", patch_id)],
            br#"{"devices":[]}"#,
        )
    };
    let first_patch = patch();
    assert_eq!(patch().header("location"), first_patch.header("location"));
    // Reads are never replayed: the same id on a GET sees the state of now.
    let read_id = "d1e2f3a4-0000-4000-8000-000000000004";
    let read = || {
        api.call("GET", "deviceBatches", &[("MS-RequestId", read_id)], b"")
            .json()["totalCount"]
            .clone()
    };
    assert_eq!(read(), 1);
    assert_eq!(api.create_batch("another", devices("AN", 1)).status, 202);
    assert_eq!(read(), 2);
    let log = sim.request_log();
    let replayed: Vec<&str> = log
        .iter()
        .filter(|entry| entry.replayed)
        .map(|entry| entry.method.as_str())
        .collect();
    assert_eq!(replayed, ["POST", "DELETE", "PATCH"]);
}

#[test]
fn concurrent_duplicates_create_one_batch() {
    // Jobs finish at once, so that the batch's devices can be listed at the end.
    let sim = pc_sim::spawn(SimConfig {
        queue_time: std::time::Duration::ZERO,
        process_time: std::time::Duration::ZERO,
        ..SimConfig::default()
    })
    .unwrap();
    let api = Api::new(sim.local_addr());
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let api = api.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let body = serde_json::json!({"batchId": "together", "devices": devices("SN", 3)})
                    .to_string();
                barrier.wait();
                api.call(
                    "POST",
                    "deviceBatches",
                    &[("MS-RequestId", REQUEST_ID)],
                    body.as_bytes(),
                )
            })
        })
        .collect();
    let replies: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(replies.iter().all(|reply| reply.status == 202));
    let locations: BTreeSet<_> = replies
        .iter()
        .map(|reply| reply.header("location").unwrap().to_owned())
        .collect();
    assert_eq!(locations.len(), 1, "{locations:?}");
    let batches = api.get("deviceBatches").json();
    assert_eq!(batches["totalCount"], 1);
    let log = sim.request_log();
    assert_eq!(
        log.iter().filter(|entry| entry.replayed).count(),
        threads - 1
    );

    // The same for adding devices: one job, the devices once.
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let api = api.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let body = devices("MORE", 2).to_string();
                barrier.wait();
                api.call(
                    "POST",
                    "deviceBatches/together/devices",
                    &[("MS-RequestId", "11111111-2222-4333-8444-555555555555")],
                    body.as_bytes(),
                )
            })
        })
        .collect();
    let locations: BTreeSet<_> = handles
        .into_iter()
        .map(|h| h.join().unwrap().header("location").unwrap().to_owned())
        .collect();
    assert_eq!(locations.len(), 1);
    // The devices once: three from the create, two from the one add.
    let listed = api
        .get("deviceBatches/together/devices?seekOperation=Next")
        .json();
    let serials: BTreeSet<String> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|device| device["serialNumber"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(serials.len(), 5, "{listed}");
    assert_eq!(listed["totalCount"], 5);
}
