//! Injected faults, seen on the wire by a raw TCP client.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pc_sim::{FaultConfig, FaultKind, FaultRule, Operation, SimConfig, SimHandle};
use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::{Api, devices, exchange, parse};

fn simulator(faults: FaultConfig) -> (SimHandle, Api) {
    let sim = pc_sim::spawn(SimConfig {
        seed: 11,
        faults,
        ..Default::default()
    })
    .unwrap();
    let api = Api::new(sim.local_addr());
    (sim, api)
}

fn list_batches_request(api: &Api) -> Vec<u8> {
    format!(
        "GET {} HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n",
        api.path("deviceBatches")
    )
    .into_bytes()
}

#[test]
fn a_throttled_request_gets_429_retry_after_and_the_throttle_body() {
    let (sim, api) = simulator(FaultConfig {
        retry_after_secs: 7,
        ..Default::default()
    });
    sim.fail_next(Some(Operation::ListBatches), &[FaultKind::Throttle]);
    let reply = api.get("deviceBatches");
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), Some("7"));
    assert_eq!(
        reply.json(),
        serde_json::json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 7 seconds."})
    );
    assert_eq!(api.get("deviceBatches").status, 200);
    let log = sim.request_log();
    assert_eq!(log[0].fault, Some(FaultKind::Throttle));
    assert_eq!(log[0].status, Some(429));
}

#[test]
fn retry_after_zero_is_allowed() {
    let (_sim, api) = simulator(FaultConfig {
        rate: 1.0,
        kinds: vec![FaultKind::Throttle],
        retry_after_secs: 0,
        ..Default::default()
    });
    let reply = api.get("deviceBatches");
    assert_eq!(reply.header("retry-after"), Some("0"));
    assert_eq!(
        reply.json()["message"],
        "Rate limit is exceeded. Try again in 0 seconds."
    );
}

#[test]
fn server_errors_carry_the_service_error_body_and_change_nothing() {
    let (sim, api) = simulator(FaultConfig::default());
    sim.fail_next(None, &[FaultKind::InternalError, FaultKind::Unavailable]);
    let reply = api.create_batch("b", devices("SN", 1));
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json()["source"], "PartnerFD");
    let reply = api.create_batch("b", devices("SN", 1));
    assert_eq!(reply.status, 503);
    assert_eq!(
        api.get("deviceBatches").json()["items"],
        serde_json::json!([])
    );
    assert_eq!(api.create_batch("b", devices("SN", 1)).status, 202);
}

#[test]
fn latency_delays_then_serves() {
    let (sim, api) = simulator(FaultConfig {
        latency: Duration::from_millis(5),
        ..Default::default()
    });
    sim.fail_next(None, &[FaultKind::Latency]);
    assert_eq!(api.get("deviceBatches").status, 200);
    let entry = &sim.request_log()[0];
    assert_eq!(entry.fault, Some(FaultKind::Latency));
    assert!(
        entry.elapsed >= Duration::from_millis(5),
        "{:?}",
        entry.elapsed
    );
}

#[test]
fn a_reset_closes_the_connection_without_an_answer() {
    let (sim, api) = simulator(FaultConfig::default());
    sim.fail_next(Some(Operation::CreateBatch), &[FaultKind::Reset]);
    let body = serde_json::json!({"batchId": "b", "devices": devices("SN", 1)}).to_string();
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer t\r\nMS-RequestId: 5d7e1c3a-1111-4a5b-9c8d-000000000001\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        api.path("deviceBatches"),
        body.len()
    );
    let mut stream = TcpStream::connect(sim.local_addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut received = Vec::new();
    match stream.read_to_end(&mut received) {
        Ok(_) => assert!(
            received.is_empty(),
            "{:?}",
            String::from_utf8_lossy(&received)
        ),
        Err(error) => assert_eq!(error.kind(), ErrorKind::ConnectionReset),
    }
    let log = sim.request_log();
    assert_eq!(log[0].status, None);
    assert_eq!(log[0].fault, Some(FaultKind::Reset));
    // The request was processed: a retry with the same MS-RequestId gets its answer.
    let retry = api.call(
        "POST",
        "deviceBatches",
        &[("MS-RequestId", "5d7e1c3a-1111-4a5b-9c8d-000000000001")],
        body.as_bytes(),
    );
    assert_eq!(retry.status, 202);
    assert!(sim.request_log()[1].replayed);
}

#[test]
fn a_truncated_answer_is_shorter_than_its_content_length() {
    let (sim, api) = simulator(FaultConfig::default());
    assert_eq!(
        api.create_batch("a batch with a long name", devices("SN", 3))
            .status,
        202
    );
    let whole = exchange(sim.local_addr(), &list_batches_request(&api)).unwrap();
    let whole = parse(&whole);
    sim.fail_next(Some(Operation::ListBatches), &[FaultKind::Truncate]);
    let raw = exchange(sim.local_addr(), &list_batches_request(&api)).unwrap();
    let cut = parse(&raw);
    assert_eq!(cut.status, 200);
    let declared: usize = cut.header("content-length").unwrap().parse().unwrap();
    assert_eq!(declared, whole.body.len());
    assert_eq!(cut.body.len(), declared / 2, "{}", cut.text());
    assert_eq!(cut.body[..], whole.body[..declared / 2]);
    assert_eq!(sim.request_log()[2].fault, Some(FaultKind::Truncate));
}

#[test]
fn an_empty_answer_can_be_truncated_too() {
    let (sim, api) = simulator(FaultConfig::default());
    sim.fail_next(Some(Operation::CreateBatch), &[FaultKind::Truncate]);
    let body = serde_json::json!({"batchId": "b", "devices": []}).to_string();
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer t\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        api.path("deviceBatches"),
        body.len()
    );
    let cut = parse(&exchange(sim.local_addr(), request.as_bytes()).unwrap());
    assert_eq!(cut.status, 202);
    assert_eq!(cut.header("content-length"), Some("1"));
    assert!(cut.body.is_empty());
}

/// Whether `hits` out of `draws` is within five standard deviations of `rate`.
fn within_binomial_bound(hits: usize, draws: usize, rate: f64) -> bool {
    let mean = draws as f64 * rate;
    let sd = (draws as f64 * rate * (1.0 - rate)).sqrt();
    (hits as f64 - mean).abs() <= 5.0 * sd
}

#[test]
fn the_fault_rate_holds_over_http_and_per_operation() {
    let (sim, api) = simulator(FaultConfig {
        rate: 0.3,
        kinds: vec![
            FaultKind::Throttle,
            FaultKind::InternalError,
            FaultKind::Unavailable,
        ],
        per_operation: BTreeMap::from([(
            Operation::BatchStatus,
            FaultRule {
                rate: 0.0,
                kinds: vec![],
            },
        )]),
        retry_after_secs: 0,
        ..Default::default()
    });
    let draws = 400;
    let mut statuses = Vec::new();
    for _ in 0..draws {
        statuses.push(api.get("deviceBatches").status);
        // Never faulted: its rule has rate 0.
        assert_eq!(
            api.get("batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932")
                .status,
            404
        );
    }
    let faulted = statuses.iter().filter(|status| **status != 200).count();
    assert!(
        within_binomial_bound(faulted, draws, 0.3),
        "{faulted} faults in {draws}"
    );
    for status in [429, 500, 503] {
        let count = statuses.iter().filter(|s| **s == status).count();
        assert!(
            within_binomial_bound(count, faulted, 1.0 / 3.0),
            "{count} × {status}"
        );
    }
    assert!(statuses.iter().all(|s| [200, 429, 500, 503].contains(s)));
    // The same seed and the same requests give the same faults.
    let (_again, api) = simulator(sim.config().faults.clone());
    let replayed: Vec<u16> = (0..draws)
        .map(|_| {
            let status = api.get("deviceBatches").status;
            api.get("batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932");
            status
        })
        .collect();
    assert_eq!(statuses, replayed);
}
