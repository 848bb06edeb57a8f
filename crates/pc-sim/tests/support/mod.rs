//! A tiny blocking HTTP/1.1 client over `std::net::TcpStream`, so the simulator is
//! tested with a plain client that hides nothing (no retries, no redirects, raw bytes).

#![allow(dead_code)]

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A simulator on its own thread with a manual clock, and a client for its API.
pub fn simulator_with(
    config: pc_sim::SimConfig,
) -> (pc_sim::SimHandle, std::sync::Arc<pc_sim::ManualClock>, Api) {
    let clock = std::sync::Arc::new(pc_sim::ManualClock::default());
    let sim = pc_sim::spawn(pc_sim::SimConfig {
        clock: clock.clone(),
        ..config
    })
    .unwrap();
    let api = Api::new(sim.local_addr());
    (sim, clock, api)
}

/// Moves the simulator's clock past the default queue and processing times.
pub fn finish(clock: &pc_sim::ManualClock) {
    clock.advance(Duration::from_millis(1300));
}

pub const CUSTOMER: &str = "47021739-3426-40bf-9601-61b4b6d7c793";
pub const OTHER_CUSTOMER: &str = "0e4c2a5b-8d51-4f0b-9a57-2e7a0c9f3d11";
/// A valid base64 hardware hash.
pub const HASH: &str = "T0FCAAEAHAAAAAoAHgZhSgAACgAAAAAA";

/// An answer as received.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.text()))
    }

    /// The body after the byte-order mark it must start with (quirks mode), as JSON.
    pub fn json_after_bom(&self) -> Value {
        let body = self
            .body
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or_else(|| panic!("no byte-order mark: {:?}", self.text()));
        serde_json::from_slice(body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The tracking id: the last segment of `Location`.
    pub fn tracking_id(&self) -> String {
        let location = self.header("location").expect("a Location header");
        location.rsplit('/').next().unwrap().to_owned()
    }
}

/// Sends raw bytes and reads until the server closes the connection.
pub fn exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request)?;
    let mut received = Vec::new();
    stream.read_to_end(&mut received)?;
    Ok(received)
}

/// Splits a raw answer into status, headers and the body bytes that came.
pub fn parse(raw: &[u8]) -> Reply {
    let end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    Reply {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}

/// Sends one request (`Connection: close`) and reads the whole answer.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    let raw = exchange(addr, &bytes).expect("an answer");
    let reply = parse(&raw);
    if let Some(length) = reply.header("content-length") {
        assert_eq!(
            length.parse::<usize>().unwrap(),
            reply.body.len(),
            "whole body"
        );
    }
    reply
}

/// A client of one customer's API with a bearer token.
#[derive(Debug, Clone)]
pub struct Api {
    pub addr: SocketAddr,
    pub customer: String,
    pub token: String,
}

impl Api {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            customer: CUSTOMER.to_owned(),
            token: "any-token".to_owned(),
        }
    }

    pub fn for_customer(&self, customer: &str) -> Self {
        Self {
            customer: customer.to_owned(),
            ..self.clone()
        }
    }

    pub fn path(&self, rest: &str) -> String {
        format!("/v1/customers/{}/{rest}", self.customer)
    }

    pub fn call(&self, method: &str, rest: &str, extra: &[(&str, &str)], body: &[u8]) -> Reply {
        let auth = format!("Bearer {}", self.token);
        let mut headers = vec![
            ("Authorization", auth.as_str()),
            ("Accept", "application/json"),
        ];
        if !body.is_empty() {
            headers.push(("Content-Type", "application/json"));
        }
        headers.extend_from_slice(extra);
        send(self.addr, method, &self.path(rest), &headers, body)
    }

    /// A call as a careful client makes it: `Accept`, a JSON `Content-Type` on a body,
    /// and a new `MS-RequestId` and `MS-CorrelationId`, plus `extra`.
    pub fn careful(&self, method: &str, rest: &str, extra: &[(&str, &str)], body: &[u8]) -> Reply {
        let request_id = new_guid();
        let correlation_id = new_guid();
        let mut headers = vec![
            ("MS-RequestId", request_id.as_str()),
            ("MS-CorrelationId", correlation_id.as_str()),
        ];
        headers.retain(|(name, _)| {
            !extra
                .iter()
                .any(|(other, _)| other.eq_ignore_ascii_case(name))
        });
        headers.extend_from_slice(extra);
        self.call(method, rest, &headers, body)
    }

    pub fn get(&self, rest: &str) -> Reply {
        self.call("GET", rest, &[], b"")
    }

    pub fn post(&self, rest: &str, body: &Value) -> Reply {
        self.call("POST", rest, &[], body.to_string().as_bytes())
    }

    pub fn create_batch(&self, batch: &str, devices: Value) -> Reply {
        self.post(
            "deviceBatches",
            &serde_json::json!({ "batchId": batch, "devices": devices }),
        )
    }

    pub fn status(&self, tracking_id: &str) -> Value {
        let reply = self.get(&format!("batchJobStatus/{tracking_id}"));
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    }
}

/// A new GUID for each call: distinct within a test run.
pub fn new_guid() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "00000000-0000-4000-8000-{:012x}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Devices with a serial number and a valid hash: `PREFIX-0`, `PREFIX-1`, ...
pub fn devices(prefix: &str, count: usize) -> Value {
    Value::Array(
        (0..count)
            .map(|n| serde_json::json!({ "serialNumber": format!("{prefix}-{n}"), "hardwareHash": HASH }))
            .collect(),
    )
}

/// Replaces values that change from run to run (ids, times, tokens) with placeholders,
/// at every depth, so a snapshot pins the shape and the meaningful values.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                let volatile = matches!(
                    key.as_str(),
                    "batchTrackingId"
                        | "deviceId"
                        | "startedTime"
                        | "completedTime"
                        | "uploadedDate"
                        | "creationDate"
                        | "createdDate"
                        | "lastModifiedDate"
                        | "access_token"
                        | "refresh_token"
                        | "expires_on"
                        | "not_before"
                ) || (key == "id" && inner.as_str().is_some_and(|id| id.len() > 20))
                    || (key == "uri"
                        && inner.as_str().is_some_and(|uri| uri.contains("/devices/")));
                if volatile && !inner.is_null() {
                    *inner = Value::String(format!("[{key}]"));
                } else {
                    redact(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}
