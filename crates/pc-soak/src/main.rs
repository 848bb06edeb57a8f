//! The soak behind `cargo xtask soak`: many uploads (in parts), waits and listings
//! through the blocking client, the async client and the `pc` binary, against pc-sim
//! injecting faults into about a fifth of the requests (429 with `Retry-After`, 500,
//! 503, connections reset after the request was processed, truncated bodies,
//! latency).
//!
//! What must hold, and is checked from both sides (the clients' results and the
//! simulator's own request log):
//! - every operation ends in success or a typed error, within its deadline;
//! - no panic;
//! - duplicates 0: no batch is created twice (a retried create carries the same
//!   `MS-RequestId`, and the simulator processes it once);
//! - lost 0: every device of an upload reported as accepted is in its batch, and every
//!   tracking id the simulator answered in full reached the caller;
//! - (full mode) memory stays flat: resident memory sampled at the start and the end.
//!
//! The simulator runs strict (it refuses what a careless client sends), once plainly
//! and once answering with every quirk the documentation shows. `--quick` (the
//! default, part of `cargo xtask ci`) runs in well under three minutes; `--full` runs
//! ten times as many operations.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pc_devices::models::{BatchId, CustomerId, Device};
use pc_devices::{
    AsyncDevicesClient, DevicesClient, ErrorKind, UploadOptions, UploadPart, UploadTarget,
    WaitOptions,
};
use pc_http::{ClientOptions, RetryPolicy};
use pc_sim::{FaultConfig, FaultKind, Limits, SimConfig};

const CUSTOMER: &str = "47021739-3426-40bf-9601-61b4b6d7c793";
const TOKEN: &str = "soak-access-token";
const DEVICES_PER_UPLOAD: usize = 25;
const DEVICES_PER_REQUEST: usize = 10;
const FAULT_RATE: f64 = 0.2;
/// The bound on one operation (an upload and its wait and listing).
const OPERATION_DEADLINE: Duration = Duration::from_secs(60);
/// A valid (short) base64 hardware hash.
const HASH: &str = "T0FCAAEAHAAAAAoAHgZhSgAACgAeBmFKAAAKAB4GYUoAAA==";

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// How one operation ended.
#[derive(Debug)]
enum Outcome {
    /// Uploaded, followed and listed: the parts' tracking ids.
    Done(Vec<String>),
    /// A typed error of the library (or an exit code of `pc`), with the ids of the
    /// parts accepted before it.
    Typed(String, Vec<String>),
    /// Anything else: a broken promise.
    Broken(String),
}

#[derive(Default)]
struct Tally {
    operations: usize,
    successes: usize,
    typed: BTreeMap<String, usize>,
    broken: Vec<String>,
    overran: usize,
    panics: usize,
    /// How many parts' tracking ids the callers were told about, by batch.
    reported: HashMap<String, usize>,
}

impl Tally {
    fn add(&mut self, batch: String, outcome: std::thread::Result<(Outcome, Duration)>) {
        self.operations += 1;
        let Ok((outcome, took)) = outcome else {
            self.panics += 1;
            return;
        };
        if took > OPERATION_DEADLINE {
            self.overran += 1;
        }
        match outcome {
            Outcome::Done(ids) => {
                self.successes += 1;
                *self.reported.entry(batch).or_default() += ids.len();
            }
            Outcome::Typed(kind, ids) => {
                *self.typed.entry(kind).or_default() += 1;
                *self.reported.entry(batch).or_default() += ids.len();
            }
            Outcome::Broken(why) => self.broken.push(why),
        }
    }
}

fn devices(tag: &str) -> Vec<Device> {
    (0..DEVICES_PER_UPLOAD)
        .map(|n| Device::with_hardware_hash(HASH).serial_number(format!("SOAK-{tag}-{n:03}")))
        .collect()
}

fn options(base_url: &str) -> Result<ClientOptions, Failure> {
    Ok(ClientOptions {
        base_url: base_url.parse()?,
        timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_retries: 4,
            initial_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        },
        ..ClientOptions::default()
    })
}

fn upload_options() -> UploadOptions {
    UploadOptions {
        devices_per_request: DEVICES_PER_REQUEST,
        retry_interval: Duration::from_millis(20),
        ..UploadOptions::default()
    }
}

fn wait_options() -> WaitOptions {
    WaitOptions {
        interval: Duration::from_millis(20),
        deadline: Duration::from_secs(45),
        not_found_grace: Some(Duration::from_secs(10)),
        ..WaitOptions::default()
    }
}

fn ids(parts: &[UploadPart]) -> Vec<String> {
    parts
        .iter()
        .map(|part| part.tracking_id.to_string())
        .collect()
}

/// The typed end of an operation: its class, and the parts accepted before it.
fn typed(error: pc_devices::Error) -> Outcome {
    let accepted = match &error {
        pc_devices::Error::UploadIncomplete(incomplete) => ids(&incomplete.accepted),
        _ => Vec::new(),
    };
    let kind = match error.kind() {
        ErrorKind::InvalidInput => "invalid input",
        ErrorKind::Api => "api",
        ErrorKind::Transport => "transport",
        ErrorKind::Decode => "decode",
        ErrorKind::WaitTimeout => "wait timeout",
        _ => "other",
    };
    Outcome::Typed(kind.to_owned(), accepted)
}

/// One blocking operation: upload in parts, wait for each part, list the batch.
fn blocking_operation(client: &DevicesClient, tag: &str) -> Outcome {
    let customer: CustomerId = match CUSTOMER.parse() {
        Ok(customer) => customer,
        Err(error) => return Outcome::Broken(error.to_string()),
    };
    let Ok(batch) = BatchId::new(format!("soak {tag}")) else {
        return Outcome::Broken("batch id".into());
    };
    let target = UploadTarget::NewBatch(batch.clone());
    let parts = match client.upload(&customer, &target, devices(tag), &upload_options()) {
        Ok(parts) => parts,
        Err(error) => return typed(error),
    };
    let reported = ids(&parts);
    for part in &parts {
        match client.wait_for_completion(&customer, &part.tracking_id, &wait_options()) {
            Ok(details) if details.failed_devices().count() == 0 => {}
            Ok(details) => {
                return Outcome::Broken(format!(
                    "{tag}: {} devices failed",
                    details.failed_devices().count()
                ));
            }
            Err(error) => return with_reported(typed(error), &reported),
        }
    }
    match client.devices(&customer, &batch).try_collect() {
        Ok(listed) if listed.len() == DEVICES_PER_UPLOAD => Outcome::Done(reported),
        Ok(listed) => Outcome::Broken(format!(
            "{tag}: {} devices listed of {DEVICES_PER_UPLOAD} accepted",
            listed.len()
        )),
        Err(error) => with_reported(typed(error), &reported),
    }
}

/// One async operation, the same steps.
async fn async_operation(client: AsyncDevicesClient, tag: String) -> Outcome {
    let Ok(customer) = CUSTOMER.parse::<CustomerId>() else {
        return Outcome::Broken("customer id".into());
    };
    let Ok(batch) = BatchId::new(format!("soak {tag}")) else {
        return Outcome::Broken("batch id".into());
    };
    let target = UploadTarget::NewBatch(batch.clone());
    let parts = match client
        .upload(&customer, &target, devices(&tag), &upload_options())
        .await
    {
        Ok(parts) => parts,
        Err(error) => return typed(error),
    };
    let reported = ids(&parts);
    for part in &parts {
        if let Err(error) = client
            .wait_for_completion(&customer, &part.tracking_id, &wait_options())
            .await
        {
            return with_reported(typed(error), &reported);
        }
    }
    match client.devices(&customer, &batch).try_collect().await {
        Ok(listed) if listed.len() == DEVICES_PER_UPLOAD => Outcome::Done(reported),
        Ok(listed) => Outcome::Broken(format!("{tag}: {} devices listed", listed.len())),
        Err(error) => with_reported(typed(error), &reported),
    }
}

fn with_reported(outcome: Outcome, reported: &[String]) -> Outcome {
    match outcome {
        Outcome::Typed(kind, mut ids) => {
            ids.extend(reported.iter().cloned());
            Outcome::Typed(kind, ids)
        }
        other => other,
    }
}

/// One upload through the `pc` binary: the tracking ids it names on stderr.
fn pc_operation(pc: &str, base_url: &str, tag: &str) -> Outcome {
    let csv = std::env::temp_dir().join(format!("pc-soak-{}-{tag}.csv", std::process::id()));
    let mut text = String::from("Device Serial Number,Windows Product ID,Hardware Hash\n");
    for n in 0..DEVICES_PER_UPLOAD {
        text.push_str(&format!("SOAK-{tag}-{n:03},,{HASH}\n"));
    }
    if let Err(error) = std::fs::write(&csv, text) {
        return Outcome::Broken(error.to_string());
    }
    let output = std::process::Command::new(pc)
        .env_clear()
        .env("PARTNER_CENTER_ACCESS_TOKEN", TOKEN)
        .env("PARTNER_CENTER_BASE_URL", base_url)
        .args(["-o", "json", "devices", "upload", CUSTOMER, "--csv"])
        .arg(&csv)
        .args(["--new-batch", &format!("soak {tag}")])
        .args(["--devices-per-request", &DEVICES_PER_REQUEST.to_string()])
        .args(["--wait", "--poll-interval", "20ms", "--wait-timeout", "45s"])
        .args(["--not-found-grace", "10s", "--max-retries", "4"])
        .output();
    let _ = std::fs::remove_file(&csv);
    let output = match output {
        Ok(output) => output,
        Err(error) => return Outcome::Broken(format!("cannot run {pc}: {error}")),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reported: Vec<String> = stderr
        .lines()
        .filter_map(|line| line.split("tracking id ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    match output.status.code() {
        Some(0) => Outcome::Done(reported),
        Some(code @ 2..=6) => Outcome::Typed(format!("pc exit {code}"), reported),
        other => Outcome::Broken(format!("pc ended with {other:?}: {stderr}")),
    }
}

/// Resident memory of this process, in KiB (Linux), for the full mode.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn timed<T>(run: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let value = run();
    (value, started.elapsed())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = match args.as_slice() {
        [] => false,
        [flag] if flag == "--quick" => false,
        [flag] if flag == "--full" => true,
        _ => {
            eprintln!("usage: pc-soak [--quick|--full] (PC_BIN names the pc binary to drive)");
            return ExitCode::from(2);
        }
    };
    // Both modes refuse what a careless client sends; the second also answers with
    // every quirk the documentation shows.
    let mut healthy = true;
    for quirks in [false, true] {
        match run(full, quirks) {
            Ok(ok) => healthy &= ok,
            Err(error) => {
                eprintln!("pc-soak: {error}");
                healthy = false;
            }
        }
    }
    if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run(full: bool, quirks: bool) -> Result<bool, Failure> {
    let scale = if full { 10 } else { 1 };
    let (blocking_ops, async_ops, pc_ops) = (40 * scale, 40 * scale, 8 * scale);
    let started = Instant::now();
    let sim = pc_sim::spawn(SimConfig {
        seed: 20_261_205,
        queue_time: Duration::from_millis(10),
        process_time: Duration::from_millis(20),
        page_size: 10,
        strict: true,
        quirks,
        faults: FaultConfig {
            rate: FAULT_RATE,
            kinds: FaultKind::ALL.to_vec(),
            retry_after_secs: 0,
            latency: Duration::from_millis(20),
            ..FaultConfig::default()
        },
        limits: Limits {
            max_log_entries: 1_000_000,
            max_idempotency_entries: 1_000_000,
            max_batches_per_customer: 100_000,
            max_batches: 100_000,
            max_devices_per_customer: 1_000_000,
            max_devices: 1_000_000,
            max_jobs: 100_000,
            ..Limits::default()
        },
        ..SimConfig::default()
    })?;
    let base_url = sim.base_url();
    let tally = Arc::new(Mutex::new(Tally::default()));
    // Sampled once the simulator runs: what grows after this is the run's.
    let rss_start = rss_kib();

    // The blocking client, two threads.
    let blocking = DevicesClient::builder()
        .options(options(&base_url)?)
        .token(TOKEN)
        .build()?;
    let threads: Vec<_> = (0..2)
        .map(|thread| {
            let client = blocking.clone();
            let tally = Arc::clone(&tally);
            std::thread::spawn(move || {
                for n in (thread..blocking_ops).step_by(2) {
                    let client = client.clone();
                    let tag = format!("b{n}");
                    let batch = format!("soak {tag}");
                    let outcome =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                            timed(|| blocking_operation(&client, &tag))
                        }));
                    if let Ok(mut tally) = tally.lock() {
                        tally.add(batch, outcome);
                    }
                }
            })
        })
        .collect();

    // The async client, four at a time.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let asynchronous = AsyncDevicesClient::builder()
        .options(options(&base_url)?)
        .token(TOKEN)
        .build()?;
    runtime.block_on(async {
        for chunk in (0..async_ops).collect::<Vec<_>>().chunks(4) {
            let mut tasks = tokio::task::JoinSet::new();
            for n in chunk {
                let client = asynchronous.clone();
                let tag = format!("a{n}");
                tasks.spawn(async move {
                    let started = Instant::now();
                    let batch = format!("soak {tag}");
                    let outcome = async_operation(client, tag).await;
                    (batch, outcome, started.elapsed())
                });
            }
            while let Some(joined) = tasks.join_next().await {
                if let Ok(mut tally) = tally.lock() {
                    match joined {
                        Ok((batch, outcome, took)) => tally.add(batch, Ok((outcome, took))),
                        Err(_) => tally.add(String::new(), Err(Box::new("panic"))),
                    }
                }
            }
        }
    });

    // The pc binary.
    let pc = std::env::var("PC_BIN").unwrap_or_else(|_| "target/release/pc".to_owned());
    for n in 0..pc_ops {
        let tag = format!("p{n}");
        let outcome = timed(|| pc_operation(&pc, &base_url, &tag));
        if let Ok(mut tally) = tally.lock() {
            tally.add(format!("soak {tag}"), Ok(outcome));
        }
    }
    for thread in threads {
        if thread.join().is_err()
            && let Ok(mut tally) = tally.lock()
        {
            tally.panics += 1;
        }
    }

    // The simulator's side of the story.
    let log = sim.request_log();
    let mut faults: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_request_id: HashMap<String, usize> = HashMap::new();
    let mut creates_processed: HashMap<String, usize> = HashMap::new();
    let mut replays = 0;
    // Upload answers delivered in full (a 202 without a fault): the caller got a
    // tracking id for that logical call. By batch, counted once per MS-RequestId.
    let mut delivered: HashMap<String, HashSet<String>> = HashMap::new();
    for entry in &log {
        if let Some(fault) = entry.fault {
            *faults.entry(fault.name()).or_default() += 1;
        }
        if let Some(id) = entry.header("ms-requestid") {
            *per_request_id.entry(id.to_owned()).or_default() += 1;
        }
        replays += usize::from(entry.replayed);
        let processed =
            !entry.replayed && (entry.status == Some(202) || entry.fault == Some(FaultKind::Reset));
        let upload = matches!(
            entry.operation,
            Some(pc_sim::Operation::CreateBatch | pc_sim::Operation::AddDevices)
        );
        if !upload {
            continue;
        }
        let batch = batch_of(entry);
        if processed && entry.operation == Some(pc_sim::Operation::CreateBatch) {
            *creates_processed.entry(batch.clone()).or_default() += 1;
        }
        if entry.status == Some(202)
            && entry.fault.is_none()
            && let Some(id) = entry.header("ms-requestid")
        {
            delivered.entry(batch).or_default().insert(id.to_owned());
        }
    }
    let retries: usize = per_request_id.values().map(|n| n - 1).sum();
    let duplicates: usize = creates_processed.values().map(|n| n - 1).sum();
    let injected: usize = faults.values().sum();

    let tally = tally.lock().map_err(|_| "the tally was poisoned")?;
    // Lost: a part the simulator accepted and answered in full, whose tracking id the
    // caller was not told about.
    let lost: usize = delivered
        .iter()
        .map(|(batch, ids)| {
            ids.len()
                .saturating_sub(tally.reported.get(batch).copied().unwrap_or_default())
        })
        .sum();
    let rss_end = rss_kib();

    println!(
        "soak ({}, simulator strict{}), {:.1}s",
        if full { "full" } else { "quick" },
        if quirks {
            " with every documented quirk"
        } else {
            ""
        },
        started.elapsed().as_secs_f64()
    );
    println!("  requests seen by the simulator: {}", log.len());
    println!("  faults injected: {injected} ({})", describe(&faults));
    println!("  retries (repeated MS-RequestId): {retries}; answers replayed: {replays}");
    println!(
        "  operations: {} (blocking {blocking_ops}, async {async_ops}, pc {pc_ops})",
        tally.operations
    );
    println!("  successes: {}", tally.successes);
    println!(
        "  typed failures: {} ({})",
        tally.typed.values().sum::<usize>(),
        describe_owned(&tally.typed)
    );
    println!("  overran their deadline: {}", tally.overran);
    println!("  panics: {}", tally.panics);
    println!("  duplicates: {duplicates}");
    println!("  lost: {lost}");
    if let (Some(start), Some(end)) = (rss_start, rss_end) {
        println!("  resident memory: {start} KiB at the start, {end} KiB at the end");
    }
    for broken in &tally.broken {
        println!("  broken: {broken}");
    }
    let healthy = tally.panics == 0
        && duplicates == 0
        && lost == 0
        && tally.overran == 0
        && tally.broken.is_empty()
        && tally.operations == blocking_ops + async_ops + pc_ops
        && injected > 0
        && tally.successes > 0;
    if !healthy {
        eprintln!("pc-soak: a promise was broken (see above)");
    }
    Ok(healthy)
}

/// The batch an upload request names: the body's `batchId` of a create, the path's
/// segment of an add.
fn batch_of(entry: &pc_sim::LoggedRequest) -> String {
    if entry.operation == Some(pc_sim::Operation::CreateBatch) {
        return serde_json::from_str::<serde_json::Value>(&entry.body)
            .ok()
            .and_then(|body| body.get("batchId")?.as_str().map(str::to_owned))
            .unwrap_or_default();
    }
    let segment = entry
        .path
        .split('/')
        .skip_while(|segment| !segment.eq_ignore_ascii_case("deviceBatches"))
        .nth(1)
        .unwrap_or_default();
    segment.replace("%20", " ")
}

fn describe(counts: &BTreeMap<&str, usize>) -> String {
    let parts: Vec<String> = counts
        .iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn describe_owned(counts: &BTreeMap<String, usize>) -> String {
    let parts: Vec<String> = counts
        .iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}
