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

    // Deletes and patches are kept too; reads are not.
    let delete = |id: &str| {
        api.call("DELETE", "policies/none", &[("MS-RequestId", id)], b"")
            .status
    };
    assert_eq!(delete(REQUEST_ID), 404);
}

#[test]
fn concurrent_duplicates_create_one_batch() {
    let sim = pc_sim::spawn(SimConfig::default()).unwrap();
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
}
