//! Targets 2, 2b and 3: the clients of pc-devices against pc-sim on loopback, each
//! against the raw HTTP client under it doing the same calls.
//!
//! Fairness: both sides send the same headers (the same bearer token, `Accept`,
//! `X-Locale`, `MS-Contract-Version`, `User-Agent`, one `MS-CorrelationId`, and a fresh
//! random `MS-RequestId` per call), reuse one agent or client (and so its pooled
//! connections) across calls, have the same 30 s timeout, and parse the body into the
//! same type, `pc_models::BatchUploadDetails`. The raw sides parse with
//! `serde_json::from_slice::<BatchUploadDetails>`: the same `Deserialize` as the
//! clients' `pc_models::from_slice`, without its byte-order-mark check.
//!
//! The simulator runs on its own thread and tokio runtime (`pc_sim::spawn`), with its
//! request log off; no tracing subscriber is installed, so neither side traces. The
//! batches are created once through the blocking client, with queue and process times
//! of zero so they are finished at once; then only their status is fetched.

use std::cell::RefCell;
use std::fmt::Display;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use pc_devices::{AsyncDevicesClient, DevicesClient};
use pc_models::{
    BatchId, BatchUploadDetails, CustomerId, Device, DeviceBatchCreationRequest, TrackingId,
};

use crate::{Figure, Target, format_size, interleave};

/// Any failure of a client benchmark; a benchmark stops at the first.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

const TOKEN: &str = "bench-access-token";
const CUSTOMER: &str = "47021739-3426-40bf-9601-61b4b6d7c793";
const CORRELATION_ID: &str = "5b1bd2c1-7b3e-4a28-9e0e-2f4f5a3c6d71";
/// The same limit on both sides (pc-http's default).
const TIMEOUT: Duration = pc_http::DEFAULT_TIMEOUT;

/// A finished batch whose status the benchmarks fetch.
struct Batch {
    tracking: TrackingId,
    /// The absolute URL of its status, for the raw clients.
    url: Arc<str>,
    devices: usize,
    /// The size of its status document.
    bytes: usize,
}

impl Batch {
    fn label(&self) -> String {
        format!("{} devices ({})", self.devices, format_size(self.bytes))
    }

    /// Checks one answer (both sides alike): the right number of devices.
    fn check(&self, details: &BatchUploadDetails) -> Result<(), BenchError> {
        let devices = details.devices().len();
        if devices == self.devices {
            Ok(())
        } else {
            Err(format!("expected {} devices, got {devices}", self.devices).into())
        }
    }
}

/// The simulator, the batches, the clients under test and the raw baselines.
pub struct Bench {
    _sim: pc_sim::SimHandle,
    customer: CustomerId,
    /// 100 devices: targets 2 and 2b.
    medium: Batch,
    /// 3 devices: target 3.
    small: Batch,
    /// The client side's runtime (the simulator has its own).
    runtime: tokio::runtime::Runtime,
    blocking: DevicesClient,
    asynchronous: AsyncDevicesClient,
    agent: ureq::Agent,
    reqwest: reqwest::Client,
    authorization: Arc<str>,
}

impl Bench {
    /// Starts the simulator, builds the four clients and creates the two batches.
    pub fn start() -> Result<Self, BenchError> {
        // The raw clients are built without a provider of their own: ring as the
        // process default (pc-http's backends name theirs).
        let _ = Arc::unwrap_or_clone(pc_http::tls::crypto_provider()).install_default();
        let sim = pc_sim::spawn(pc_sim::SimConfig {
            log_requests: false,
            queue_time: Duration::ZERO,
            process_time: Duration::ZERO,
            ..Default::default()
        })?;
        let base_url = sim.base_url();
        let customer: CustomerId = CUSTOMER.parse()?;
        let blocking = DevicesClient::builder()
            .base_url(&base_url)
            .token(TOKEN)
            .correlation_id(CORRELATION_ID)
            .build()?;
        let asynchronous = AsyncDevicesClient::builder()
            .base_url(&base_url)
            .token(TOKEN)
            .correlation_id(CORRELATION_ID)
            .build()?;
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .build()
            .new_agent();
        let reqwest = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .no_proxy()
            .build()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let authorization: Arc<str> = format!("Bearer {TOKEN}").into();
        let setup = Setup {
            base_url: &base_url,
            customer,
            blocking: &blocking,
            agent: &agent,
            authorization: &authorization,
        };
        let medium = setup.create_batch("bench medium", 100)?;
        let small = setup.create_batch("bench small", 3)?;
        Ok(Self {
            _sim: sim,
            customer,
            medium,
            small,
            runtime,
            blocking,
            asynchronous,
            agent,
            reqwest,
            authorization,
        })
    }

    /// The raw ureq request, with the same headers as the client's.
    fn raw_request(&self, url: &str) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        raw_request(&self.agent, &self.authorization, url)
    }
}

/// The raw ureq request, with the same headers as the client's.
fn raw_request(
    agent: &ureq::Agent,
    authorization: &str,
    url: &str,
) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
    agent
        .get(url)
        .header("Authorization", authorization)
        .header("MS-RequestId", &uuid::Uuid::new_v4().to_string())
        .header("MS-CorrelationId", CORRELATION_ID)
        .header("Accept", "application/json")
        .header("X-Locale", "en-US")
        .header("MS-Contract-Version", "v1")
        .header("User-Agent", pc_http::DEFAULT_USER_AGENT)
}

impl Bench {
    /// Candidate of target 2: one status call through the blocking client.
    fn client_status(&self, batch: &Batch) -> Result<(), BenchError> {
        let details = self
            .blocking
            .batch_upload_status(&self.customer, &batch.tracking)?;
        batch.check(&details)?;
        black_box(details);
        Ok(())
    }

    /// Baseline of target 2: raw ureq GET, body read, `serde_json` parse.
    fn raw_status(&self, batch: &Batch) -> Result<(), BenchError> {
        let body = self
            .raw_request(&batch.url)
            .call()?
            .body_mut()
            .read_to_vec()?;
        let details: BatchUploadDetails = serde_json::from_slice(&body)?;
        batch.check(&details)?;
        black_box(details);
        Ok(())
    }

    /// One caller for the async side, cloned into each task.
    fn caller(&self, batch: &Batch, raw: bool) -> Caller {
        if raw {
            Caller::Raw {
                client: self.reqwest.clone(),
                url: Arc::clone(&batch.url),
                authorization: Arc::clone(&self.authorization),
                devices: batch.devices,
            }
        } else {
            Caller::Client {
                client: self.asynchronous.clone(),
                customer: self.customer,
                tracking: batch.tracking,
                devices: batch.devices,
            }
        }
    }

    /// `concurrency` tasks, each making `calls` status calls one after the other; waits
    /// for all of them.
    fn wave(
        &self,
        batch: &Batch,
        raw: bool,
        concurrency: usize,
        calls: usize,
    ) -> Result<(), BenchError> {
        self.runtime.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..concurrency {
                let caller = self.caller(batch, raw);
                tasks.spawn(async move {
                    for _ in 0..calls {
                        caller.call().await?;
                    }
                    Ok::<(), BenchError>(())
                });
            }
            let mut outcome = Ok(());
            while let Some(joined) = tasks.join_next().await {
                let result = joined.map_err(BenchError::from).and_then(|done| done);
                if outcome.is_ok() {
                    outcome = result;
                }
            }
            outcome
        })
    }
}

/// What creating the batches needs.
struct Setup<'a> {
    base_url: &'a str,
    customer: CustomerId,
    blocking: &'a DevicesClient,
    agent: &'a ureq::Agent,
    authorization: &'a str,
}

impl Setup<'_> {
    /// Uploads a batch of `devices` devices (one in ten registered to another tenant,
    /// so failing with 808, as in target 1's document) and waits until it is finished.
    fn create_batch(&self, name: &str, devices: usize) -> Result<Batch, BenchError> {
        let list: Vec<Device> = (0..devices)
            .map(|index| {
                let prefix = if index % 10 == 7 { "OTHER" } else { "BENCH" };
                Device {
                    serial_number: Some(format!("{prefix}-{name}-{index:05}")),
                    product_key: Some(format!("00329-00000-{index:05}-AA606")),
                    oem_manufacturer_name: Some("Contoso".to_owned()),
                    model_name: Some("Laptop 9".to_owned()),
                    ..Device::default()
                }
            })
            .collect();
        let request = DeviceBatchCreationRequest::new(BatchId::new(name)?, list);
        let accepted = self.blocking.create_device_batch(&self.customer, request)?;
        let tracking = accepted.tracking_id;
        // Queue and process times are zero: finished at once; a few polls at most.
        let mut finished = false;
        for _ in 0..100 {
            let details = self
                .blocking
                .batch_upload_status(&self.customer, &tracking)?;
            if details.is_terminal() && details.devices().len() == devices {
                finished = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if !finished {
            return Err(format!("batch {name:?} did not finish").into());
        }
        let url: Arc<str> = format!(
            "{}/v1/customers/{}/batchJobStatus/{tracking}",
            self.base_url, self.customer
        )
        .into();
        let mut batch = Batch {
            tracking,
            url,
            devices,
            bytes: 0,
        };
        let body = raw_request(self.agent, self.authorization, &batch.url)
            .call()?
            .body_mut()
            .read_to_vec()?;
        batch.bytes = body.len();
        batch.check(&serde_json::from_slice(&body)?)?;
        Ok(batch)
    }
}

/// One side of the async figures.
#[derive(Clone)]
enum Caller {
    Client {
        client: AsyncDevicesClient,
        customer: CustomerId,
        tracking: TrackingId,
        devices: usize,
    },
    Raw {
        client: reqwest::Client,
        url: Arc<str>,
        authorization: Arc<str>,
        devices: usize,
    },
}

impl Caller {
    async fn call(&self) -> Result<(), BenchError> {
        let (details, expected) = match self {
            Caller::Client {
                client,
                customer,
                tracking,
                devices,
            } => (
                client.batch_upload_status(customer, tracking).await?,
                *devices,
            ),
            Caller::Raw {
                client,
                url,
                authorization,
                devices,
            } => {
                let response = client
                    .get(&**url)
                    .header("Authorization", &**authorization)
                    .header("MS-RequestId", uuid::Uuid::new_v4().to_string())
                    .header("MS-CorrelationId", CORRELATION_ID)
                    .header("Accept", "application/json")
                    .header("X-Locale", "en-US")
                    .header("MS-Contract-Version", "v1")
                    .header("User-Agent", pc_http::DEFAULT_USER_AGENT)
                    .send()
                    .await?
                    .error_for_status()?;
                let body = response.bytes().await?;
                let details: BatchUploadDetails = serde_json::from_slice(&body)?;
                (details, *devices)
            }
        };
        if details.devices().len() != expected {
            return Err(format!(
                "expected {expected} devices, got {}",
                details.devices().len()
            )
            .into());
        }
        black_box(details);
        Ok(())
    }
}

/// The first error met inside a measured closure (which cannot return one).
#[derive(Default)]
struct Errors(RefCell<Option<String>>);

impl Errors {
    fn note<E: Display>(&self, result: Result<(), E>) {
        if let Err(error) = result {
            self.0.borrow_mut().get_or_insert_with(|| error.to_string());
        }
    }

    fn check(self) -> Result<(), BenchError> {
        match self.0.into_inner() {
            Some(error) => Err(error.into()),
            None => Ok(()),
        }
    }
}

/// Target 2: the blocking client's batch status, per call, against raw ureq + serde_json
/// (100 devices, with the target); 3 devices reported beside it.
pub fn blocking_figures(bench: &Bench, quick: bool) -> Result<Vec<Figure>, BenchError> {
    let (rounds, calls) = if quick { (31, 10) } else { (201, 20) };
    let mut figures = Vec::new();
    for (batch, target) in [
        (&bench.medium, Some(Target::AtMost(1.10))),
        (&bench.small, None),
    ] {
        let errors = Errors::default();
        let samples = interleave(
            rounds,
            || (0..calls).for_each(|_| errors.note(bench.client_status(batch))),
            || (0..calls).for_each(|_| errors.note(bench.raw_status(batch))),
        );
        errors.check()?;
        figures.push(Figure::times(
            format!("2: blocking batch status, {}, per call", batch.label()),
            "raw ureq GET + serde_json::from_slice",
            samples,
            calls,
            target,
        ));
    }
    Ok(figures)
}

/// Target 2b: 64 concurrent batch-status calls through the async client, wall time,
/// against raw reqwest doing the same.
pub fn concurrent_figures(bench: &Bench, quick: bool) -> Result<Vec<Figure>, BenchError> {
    let rounds = if quick { 21 } else { 151 };
    let batch = &bench.medium;
    let errors = Errors::default();
    let samples = interleave(
        rounds,
        || errors.note(bench.wave(batch, false, 64, 1)),
        || errors.note(bench.wave(batch, true, 64, 1)),
    );
    errors.check()?;
    Ok(vec![Figure::times(
        format!(
            "2b: async, 64 concurrent batch-status calls, {}, wall time",
            batch.label()
        ),
        "raw reqwest + serde_json::from_slice",
        samples,
        1,
        Some(Target::AtMost(1.10)),
    )])
}

/// Target 3: the async client's throughput on a small batch at several concurrencies,
/// each against raw reqwest at the same concurrency; the target applies at the
/// concurrency where the client is fastest.
pub fn throughput_figures(bench: &Bench, quick: bool) -> Result<Vec<Figure>, BenchError> {
    const CALLS: usize = 256;
    let rounds = if quick { 7 } else { 41 };
    let batch = &bench.small;
    let mut figures = Vec::new();
    for concurrency in [1usize, 8, 32, 64] {
        let errors = Errors::default();
        let per_task = CALLS / concurrency;
        let samples = interleave(
            rounds,
            || errors.note(bench.wave(batch, false, concurrency, per_task)),
            || errors.note(bench.wave(batch, true, concurrency, per_task)),
        );
        errors.check()?;
        figures.push(Figure::rates(
            format!(
                "3: async throughput, {}, concurrency {concurrency}",
                batch.label()
            ),
            "raw reqwest + serde_json::from_slice",
            samples,
            per_task * concurrency,
            None,
        ));
    }
    let best = figures
        .iter()
        .enumerate()
        .max_by(|(_, a), (_, b)| {
            crate::median(&a.candidate).total_cmp(&crate::median(&b.candidate))
        })
        .map(|(index, _)| index);
    if let Some(best) = best.and_then(|index| figures.get_mut(index)) {
        best.name.push_str(" (best)");
        best.target = Some(Target::AtLeast(0.9));
    }
    Ok(figures)
}
