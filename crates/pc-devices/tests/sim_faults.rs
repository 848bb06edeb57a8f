//! The clients against a simulator that misbehaves on the wire: throttling with
//! `Retry-After`, 500s, 503s, reset connections and truncated bodies, at a fixed seed.
//! Every call must still succeed through the retries, each retry must carry the same
//! `MS-RequestId`, and a retried upload must create its batch once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pc_devices::WaitOptions;
use pc_http::{ClientOptions, RetryPolicy};
use pc_models::{BatchUploadDetails, Device, DeviceBatchCreationRequest, UploadStatus};
use pc_sim::{FaultConfig, FaultKind, LoggedRequest, SimConfig};
use support::*;

/// Faults on a third of the requests, every kind that makes a client retry.
fn faulty_config(seed: u64) -> SimConfig {
    SimConfig {
        strict: true,
        seed,
        queue_time: Duration::ZERO,
        process_time: Duration::ZERO,
        faults: FaultConfig {
            rate: 0.35,
            kinds: vec![
                FaultKind::Throttle,
                FaultKind::InternalError,
                FaultKind::Unavailable,
                FaultKind::Reset,
                FaultKind::Truncate,
            ],
            retry_after_secs: 7,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Enough retries that a fault on a third of the attempts never exhausts them here.
fn patient_options() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy {
            max_retries: 12,
            ..Default::default()
        },
        timeout: Duration::from_secs(10),
        ..Default::default()
    }
}

fn devices() -> Vec<Device> {
    ["F-1", "F-2", "OTHER-F-3"]
        .iter()
        .map(|serial| Device {
            serial_number: Some((*serial).to_owned()),
            hardware_hash: Some("T0FCAAEAHAAAAAoA".to_owned()),
            ..Device::default()
        })
        .collect()
}

/// What the test checks of a finished run, for both clients.
fn check_run(log: &[LoggedRequest], slept: &[Duration], details: &BatchUploadDetails) {
    assert_eq!(details.status, Some(UploadStatus::FinishedWithErrors));
    let failed: Vec<_> = details
        .failed_devices()
        .map(|failed| failed.device.serial_number.clone().unwrap())
        .collect();
    assert_eq!(failed, ["OTHER-F-3"]);

    let faults: BTreeSet<_> = log.iter().filter_map(|entry| entry.fault).collect();
    assert!(
        faults.len() >= 3,
        "the seed should inject several kinds of fault, got {faults:?}"
    );
    // A throttled attempt is followed by a wait of exactly its Retry-After (the first
    // request is always throttled).
    assert!(faults.contains(&FaultKind::Throttle), "{faults:?}");
    assert!(slept.contains(&Duration::from_secs(7)), "{slept:?}");

    // Every attempt of one logical call carries the same MS-RequestId: the attempts
    // group by request id, and each group ends in the one answer that got through.
    let mut attempts: BTreeMap<String, Vec<&LoggedRequest>> = BTreeMap::new();
    for entry in log {
        let id = entry.header("ms-requestid").unwrap().to_owned();
        attempts.entry(id).or_default().push(entry);
    }
    let retried = attempts.values().filter(|group| group.len() > 1).count();
    eprintln!(
        "{} requests, {} calls, {retried} retried, faults {faults:?}",
        log.len(),
        attempts.len()
    );
    assert!(retried > 0, "no call was retried");
    for group in attempts.values() {
        let paths: BTreeSet<_> = group.iter().map(|entry| entry.path.as_str()).collect();
        assert_eq!(
            paths.len(),
            1,
            "one request id used for two calls: {paths:?}"
        );
        let last = group.last().unwrap();
        assert!(
            last.fault.is_none(),
            "a call ended on a fault: {:?}",
            last.fault
        );
        assert!(
            group[..group.len() - 1]
                .iter()
                .all(|entry| entry.fault.is_some())
        );
    }

    // The upload was processed once, however often it was sent.
    let uploads: BTreeSet<_> = log
        .iter()
        .filter(|entry| entry.method == "POST" && entry.path.ends_with("/deviceBatches"))
        .map(|entry| entry.header("ms-requestid").unwrap())
        .collect();
    assert_eq!(uploads.len(), 1);
}

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_client_rides_out_faults() {
    use pc_devices::DevicesClient;

    let sim = pc_sim::spawn(faulty_config(7)).unwrap();
    // Whatever the seed draws, the first request is throttled.
    sim.fail_next(None, &[FaultKind::Throttle]);
    let slept = Arc::new(Mutex::new(Vec::new()));
    let record = slept.clone();
    let client = DevicesClient::builder()
        .base_url(sim.base_url())
        .token("any")
        .options(patient_options())
        .sleep(move |duration: Duration| record.lock().unwrap().push(duration))
        .build()
        .unwrap();

    let accepted = client
        .create_device_batch(
            &customer(),
            DeviceBatchCreationRequest::new(batch("Faulty lab"), devices()),
        )
        .unwrap();
    let wait = WaitOptions {
        interval: Duration::from_millis(10),
        deadline: Duration::from_secs(30),
        ..Default::default()
    };
    let details = client
        .wait_for_completion(&customer(), &accepted.tracking_id, &wait)
        .unwrap();
    for _ in 0..10 {
        assert_eq!(
            client
                .batch_upload_status(&customer(), &accepted.tracking_id)
                .unwrap(),
            details
        );
    }
    let listed = client
        .devices(&customer(), &batch("Faulty lab"))
        .try_collect()
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        client
            .device_batches(&customer())
            .try_collect()
            .unwrap()
            .len(),
        1
    );

    check_run(&sim.request_log(), &slept.lock().unwrap(), &details);
}

#[cfg(feature = "async")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_client_rides_out_faults() {
    use pc_devices::AsyncDevicesClient;
    use pc_http::runtime::AsyncSleep;

    /// Records each wait and returns at once.
    struct Recorder(Arc<Mutex<Vec<Duration>>>);

    #[async_trait::async_trait]
    impl AsyncSleep for Recorder {
        async fn sleep(&self, duration: Duration) {
            self.0.lock().unwrap().push(duration);
        }
    }

    let sim = pc_sim::Simulator::start(faulty_config(11), "127.0.0.1:0")
        .await
        .unwrap();
    sim.fail_next(None, &[FaultKind::Throttle]);
    let slept = Arc::new(Mutex::new(Vec::new()));
    let client = AsyncDevicesClient::builder()
        .base_url(sim.base_url())
        .token("any")
        .options(patient_options())
        .sleep(Recorder(slept.clone()))
        .build()
        .unwrap();

    let accepted = client
        .create_device_batch(
            &customer(),
            DeviceBatchCreationRequest::new(batch("Faulty lab"), devices()),
        )
        .await
        .unwrap();
    let wait = WaitOptions {
        interval: Duration::from_millis(10),
        deadline: Duration::from_secs(30),
        ..Default::default()
    };
    let details = client
        .wait_for_completion(&customer(), &accepted.tracking_id, &wait)
        .await
        .unwrap();
    for _ in 0..10 {
        let again = client
            .batch_upload_status(&customer(), &accepted.tracking_id)
            .await
            .unwrap();
        assert_eq!(again, details);
    }
    let listed = client
        .devices(&customer(), &batch("Faulty lab"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);

    check_run(&sim.request_log(), &slept.lock().unwrap(), &details);
    sim.shutdown().await;
}

/// The quirks of a front end under load: a 429 whose `Retry-After` is an HTTP date,
/// one without `Retry-After`, and 5xx answers that are HTML pages. The client rides
/// them out with one request id.
#[cfg(feature = "blocking")]
#[test]
fn the_blocking_client_rides_out_quirky_faults() {
    use pc_devices::DevicesClient;
    use pc_sim::Operation;

    let sim = pc_sim::spawn(SimConfig {
        strict: true,
        quirks: true,
        faults: FaultConfig {
            retry_after_secs: 0,
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    sim.fail_next(
        Some(Operation::ListBatches),
        &[
            FaultKind::Throttle,
            FaultKind::Throttle,
            FaultKind::InternalError,
            FaultKind::Unavailable,
        ],
    );
    let slept = Arc::new(Mutex::new(Vec::new()));
    let record = slept.clone();
    // The real clock: an HTTP-date `Retry-After` is measured against the wall clock,
    // which the simulator's dates are written from.
    let client = DevicesClient::builder()
        .base_url(sim.base_url())
        .token("any")
        .options(patient_options())
        .sleep(move |duration: Duration| record.lock().unwrap().push(duration))
        .build()
        .unwrap();
    let batches = client.device_batches(&customer()).try_collect().unwrap();
    assert!(batches.is_empty());
    let log = sim.request_log();
    let statuses: Vec<_> = log.iter().map(|entry| entry.status).collect();
    assert_eq!(
        statuses,
        [Some(429), Some(429), Some(500), Some(503), Some(200)]
    );
    let ids: BTreeSet<_> = log
        .iter()
        .filter_map(|entry| entry.header("ms-requestid"))
        .collect();
    assert_eq!(ids.len(), 1, "one logical call");
    assert_eq!(slept.lock().unwrap().len(), 4);
}
