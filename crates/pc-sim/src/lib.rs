//! `pc-sim`: an in-memory Partner Center device-deployment service, for tests, demos
//! and benchmarks.
//!
//! Nobody can test against the real Partner Center without a partner tenant, so this
//! crate serves the device-deployment API from memory, over plain HTTP on any address
//! (`127.0.0.1:0` picks a free port): the token endpoint, the bearer check, and every
//! device and configuration-policy operation, with the service's JSON shapes, status
//! codes, headers and quirks. It is what `pc sim` and `pc demo` run and what the
//! integration tests and benchmarks talk to. Pick `pc-devices` to *call* the service
//! (real or simulated), `pc-models` for the types alone.
//!
//! # Starting one
//!
//! - [`spawn`] (or [`Simulator::spawn`]) runs it on a thread with its own tokio runtime:
//!   for blocking code and plain `#[test]` functions. It stops when the [`SimHandle`] is
//!   dropped.
//! - [`Simulator::start`] runs it on the caller's tokio runtime; stop it with
//!   [`RunningSimulator::shutdown`].
//!
//! Both handles dereference to [`SimControl`]: [`base_url`](SimControl::base_url)
//! (`http://127.0.0.1:PORT`, to give a client as its base URL and token authority),
//! the [`request_log`](SimControl::request_log), and
//! [`fail_next`](SimControl::fail_next) to script faults.
//!
//! ```
//! use pc_sim::{SimConfig, ManualClock};
//! use std::io::{Read, Write};
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let clock = Arc::new(ManualClock::default());
//! let sim = pc_sim::spawn(SimConfig { clock: clock.clone(), ..Default::default() })?;
//! let send = |request: String| -> std::io::Result<String> {
//!     let mut stream = std::net::TcpStream::connect(sim.local_addr())?;
//!     stream.write_all(request.as_bytes())?;
//!     let mut answer = String::new();
//!     stream.read_to_string(&mut answer)?;
//!     Ok(answer)
//! };
//! let body = r#"{"batchId":"Lab A","devices":[{"serialNumber":"OTHER-1","productKey":"K1"}]}"#;
//! let answer = send(format!(
//!     "POST /v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/deviceBatches HTTP/1.1\r\n\
//!      Host: sim\r\nAuthorization: Bearer any\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
//!     body.len()
//! ))?;
//! assert!(answer.starts_with("HTTP/1.1 202 Accepted"));
//! let location = answer.lines().find_map(|line| line.strip_prefix("location: ")).unwrap();
//! assert!(location.starts_with("/customers/47021739-3426-40bf-9601-61b4b6d7c793/batchJobStatus/"));
//!
//! // The job finishes 1.3 s after the upload on the simulator's clock; no waiting.
//! clock.advance(Duration::from_millis(1300));
//! let answer = send(format!(
//!     "GET /v1{location} HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer any\r\nConnection: close\r\n\r\n"
//! ))?;
//! assert!(answer.contains(r#""errorCode":"808""#));
//! assert_eq!(sim.request_log().len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it serves
//!
//! | operation | request | answer |
//! |---|---|---|
//! | token | `POST /{tenant}/oauth2/token` (also `/oauth2/v2.0/token`), form body, `client_credentials`, `refresh_token` or `device_code` grant | `200` `{"token_type":"Bearer","expires_in":"3599","access_token":…}`, plus `refresh_token` for the app+user grants; Azure AD's `{"error": …}` with `400` otherwise (`authorization_pending`, `slow_down`, `expired_token`, `access_denied` for a device code, as [`LoginConfig`] says) |
//! | device code | `POST /{tenant}/oauth2/devicecode`, form body with `client_id` | `200` `{"device_code", "user_code", "verification_url", "expires_in", "interval", "message"}` |
//! | batch status | `GET /v1/customers/{cid}/batchJobStatus/{tracking-id}` | `200` `BatchUploadDetails` |
//! | create batch | `POST …/deviceBatches`, `DeviceBatchCreationRequest` | `202`, empty body, `Location: /customers/{cid}/batchJobStatus/{tid}` |
//! | add devices | `POST …/deviceBatches/{batch-id}/devices`, array of `Device` | `202` + `Location` |
//! | list batches | `GET …/deviceBatches` | `200` collection of `DeviceBatch`, paged |
//! | list devices | `GET …/deviceBatches/{batch-id}/devices` | `200` collection of `Device`, paged |
//! | delete device | `DELETE …/deviceBatches/{batch-id}/devices/{device-id}` | `204` |
//! | update device policies | `PATCH …/DevicePolicyUpdates`, `DevicePolicyUpdateRequest` | `202` + `Location` |
//! | policies | `GET`/`POST …/policies`, `GET`/`PUT`/`DELETE …/policies/{policy-id}` | `200` with the policy (the docs' create example answers `200`), `204` on delete |
//!
//! - Paths are matched on the raw path, segment by segment, literal segments in any case
//!   (`/V1/Customers/…/batchjobstatus/…`); each id segment is percent-decoded on its own,
//!   so `Lab%20A%2F1` is the one batch id `Lab A/1`.
//! - Request bodies may start with a UTF-8 byte-order mark, and their keys are read in
//!   any case (the docs' `BatchId`, `Devices`, `Policies`).
//! - Every answer carries `MS-RequestId` and `MS-CorrelationId` (echoed, or made up
//!   when missing), `MS-CV` and `MS-ServerId`.
//! - Lists (batches, devices, policies) come 100 items a page ([`SimConfig::page_size`])
//!   with `continuationToken` and `links.next`, whose `MS-ContinuationToken` header
//!   entry holds the same token and whose `uri` looks like the service's: relative, no
//!   `/v1`, the batch name unencoded, and always `?seekOperation=Next`
//!   (`/customers/{cid}/deviceBatches/{batch}/devices?seekOperation=Next`). The next
//!   page is asked for with the token in the `MS-ContinuationToken` request header (and,
//!   in [strict mode](#strict-mode), the link's query). `totalCount` counts the items of
//!   the page.
//! - Errors carry the service error body
//!   `{"code": …, "description": …, "data": [], "source": "PartnerFD"}`, with the codes
//!   of [`codes`]: `400` for a bad GUID, body or continuation token; `401` without a
//!   bearer token; `404` for an unknown batch, tracking id, device, policy or path;
//!   `405` (with `Allow`); `409` when the batch exists (and, in strict mode, `409`
//!   with [`codes::REQUEST_ID_REUSED`] for a reused `MS-RequestId`); `413` for a body over
//!   [`Limits::max_body_bytes`]; `400` with code 601 past the other [`Limits`].
//! - Any bearer token is accepted unless [`SimConfig::accept_any_token`] is false; then
//!   only the access tokens it issued, until they expire (and a refresh token only
//!   once).
//!
//! # Processing
//!
//! An upload is a batch job: `queued` for [`SimConfig::queue_time`], then `processing`
//! for [`SimConfig::process_time`], then `finished`, or `finished_with_errors` when a
//! device failed. The phase is computed from the time elapsed on [`SimConfig::clock`],
//! so a test with a [`ManualClock`] never waits. Each device is decided when the upload
//! arrives, in this order, and reported when the job finishes:
//!
//! 1. a hardware hash that is not valid base64: `802 InvalidZtdHardwareHash`;
//! 2. none of a hardware hash, a product key, or a serial number with manufacturer and
//!    model name: `803 MissingZtdSerialNumberAndProductKey`;
//! 3. the same device earlier in the same upload (same serial number in any case, else
//!    product key, else hash): `ZtdDeviceDuplicated` as both code and description;
//! 4. a serial number starting with [`SimConfig::other_tenant_prefix`] (`OTHER-`) or
//!    listed in [`SimConfig::other_tenant_serials`], or (with
//!    [`SimConfig::cross_tenant_conflicts`]) registered by another customer:
//!    `808 ZtdDeviceAssignedToOtherTenant`;
//! 5. already in one of this customer's batches: `806 ZtdDeviceAlreadyAssigned`;
//! 6. otherwise `finished`, with a device id like `9993-8627-3608-6844-6369-4361-72`;
//!    the device is listed in its batch once the job finishes.
//!
//! A policy update is a batch job too; its devices fail with `812 ZtdDeviceNotFound`
//! for an unknown device id and `809 ZtdProfileIsNotRegistered` for an unknown policy.
//! Ids (tracking, device, policy) and fault draws come from [`SimConfig::seed`].
//!
//! # Idempotency
//!
//! A `POST`, `PATCH`, `PUT` or `DELETE` that repeats the `MS-RequestId` of an earlier
//! one to the same path gets the first answer again (the same `Location`) and changes
//! nothing, also when the repeats arrive together: requests are served under one lock.
//!
//! # Strict mode
//!
//! With [`SimConfig::strict`] (`pc sim --strict`; off by default) the simulator refuses
//! what the real service may refuse and a careful client never sends, so that such a
//! client bug fails a test:
//!
//! - `400` in the service's error shape (`{"code": 600, "description": …}`, the
//!   description naming the header) for an API request whose `Accept` lacks
//!   `application/json`, whose `MS-RequestId` or `MS-CorrelationId` is missing, empty
//!   or not a GUID, or with a body whose `Content-Type` is not `application/json`
//!   (media-type parameters such as `charset` ignored). `MS-Contract-Version` is not
//!   required. The token endpoint is not checked.
//! - `400` for a next page asked for without the query of the simulator's own
//!   `links.next` (`seekOperation=Next`) when it sent one, or with a continuation token
//!   issued for another collection (each token names its collection).
//! - `409` with [`codes::REQUEST_ID_REUSED`] (not [`codes::CONFLICT`], "the batch
//!   already exists") for an `MS-RequestId` already used on the same route with a
//!   different body; the same body replays the first answer, as always.
//!
//! ```
//! use std::io::{Read, Write};
//!
//! let sim = pc_sim::spawn(pc_sim::SimConfig { strict: true, ..Default::default() })?;
//! let mut stream = std::net::TcpStream::connect(sim.local_addr())?;
//! stream.write_all(
//!     b"GET /v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/deviceBatches HTTP/1.1\r\n\
//!       Host: sim\r\nAuthorization: Bearer any\r\nAccept: application/json\r\n\
//!       Connection: close\r\n\r\n",
//! )?;
//! let mut answer = String::new();
//! stream.read_to_string(&mut answer)?;
//! assert!(answer.starts_with("HTTP/1.1 400 Bad Request"));
//! assert!(answer.contains("the MS-RequestId header is missing"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Quirks mode
//!
//! With [`SimConfig::quirks`] (`pc sim --quirks`; off by default) every answer carries,
//! every time, the quirks the service's documentation shows, so that tests meet them
//! deterministically. It composes with strict mode.
//!
//! - Each JSON body (errors and the token endpoint's included) starts with a UTF-8
//!   byte-order mark.
//! - `startedTime` has no offset (`2017-07-25T10:00:00`, UTC to the second) and
//!   `completedTime` has seven fractional digits and an offset
//!   (`2019-02-05T21:57:06.7367164-08:00`, the same instant at `-08:00`).
//! - Listed batches spell `creationTime` and `deviceCount`; policies (listed, read,
//!   created, updated) `devicesAssignedCount`.
//! - Every device of a batch status without an error carries `"errorCode": null` and
//!   `"errorDescription": null`.
//! - Device listings page with `continuationToken` alone (no `links.next`), batch
//!   listings with `links.next` alone (no `continuationToken`); policy listings carry
//!   both.
//! - An accepted upload (and a policy update) is answered `202` with no `Location` and a
//!   JSON string body holding the status path (`"/customers/{cid}/batchJobStatus/{tid}"`).
//! - Injected `429`s alternate between `Retry-After` as an HTTP date (the configured
//!   seconds from now, rounded up) and no `Retry-After` at all, starting with the date.
//! - An injected `500` or `503` is an HTML page (`text/html`), as a front end sends.
//!
//! # Faults
//!
//! [`FaultConfig`] injects faults at a rate, per operation if wanted, drawn from a
//! generator seeded by [`SimConfig::seed`]; [`SimControl::fail_next`] scripts them.
//! `429` (with `Retry-After` and the throttle body), `500` and `503` answer before the
//! request is processed; `latency` delays it; `reset` and `truncate` happen after it was
//! processed, as a lost answer does: the connection is reset without an answer, or the
//! answer stops short of its `Content-Length` and the connection closes.
//!
//! # Bounds
//!
//! Everything it keeps is bounded by [`Limits`]: batches, devices and jobs, per
//! customer and in all, the answers kept for idempotency, the tokens and the request
//! log (whose entries redact `Authorization` and other secrets; see [`LoggedRequest`]).

mod answer;
mod clock;
mod config;
mod faults;
mod json;
mod log;
mod quirks;
mod route;
mod rules;
mod server;
mod store;
mod strict;
mod tokens;

pub use answer::codes;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{FaultConfig, FaultKind, FaultRule, Limits, LoginConfig, SimConfig, UnknownFault};
pub use log::{LoggedRequest, REDACTED};
pub use route::{Operation, UnknownOperation};
pub use server::{RunningSimulator, SimControl, SimError, SimHandle, Simulator, spawn};
pub use tokens::RESOURCE;
