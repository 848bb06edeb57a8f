//! Targets 4, 4b, 4c, 4d and 5: the `pc` binary as a user runs it.
//!
//! pc-sim builds the 50,000-device batch once; its answer is then served as canned
//! bytes by a loopback server of this harness ([`crate::canned`]), which writes the same
//! prepared response for every request, so that the server's own time counts on neither
//! side and the client's cost shows.
//!
//! - 4: `pc -o json devices batch-status` of that batch, the whole process, against
//!   `curl -s` fetching the same bytes from the same server (the floor: transfer only);
//!   4b against `curl -s … | jq -c .` (skipped, with a note, when jq is absent).
//! - 4c: pc's peak RSS for the same command (GNU time's maximum resident set size),
//!   against the document's size: at most 4× the document + 16 MB.
//! - 4d: the table output of the same batch against `pc -o json`, in the same run.
//! - Reported beside: `pc -o json` against `curl -s` with pc-sim answering, which
//!   builds the document on every request.
//! - 5: the crates in the blocking-only pc-devices graph (from `cargo tree`; no tokio,
//!   no hyper) and the size of the release `pc`.
//!
//! The simulator runs in this process on its own runtime with its request log off; `pc`
//! is the release binary beside this one (`cargo build --release -p pc-cli`, which
//! `cargo xtask bench` runs first). Every side writes to `/dev/null`.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use pc_devices::DevicesClient;
use pc_models::{BatchId, CustomerId, Device, DeviceBatchCreationRequest};

use crate::canned::CannedServer;
use crate::clients::BenchError;
use crate::{Figure, Target, format_size, interleave};

const TOKEN: &str = "bench-access-token";
const CUSTOMER: &str = "47021739-3426-40bf-9601-61b4b6d7c793";
const DEVICES: usize = 50_000;

/// The `pc` binary beside this executable.
fn pc_binary() -> Option<PathBuf> {
    let path = std::env::current_exe().ok()?.with_file_name("pc");
    path.is_file().then_some(path)
}

/// Whether a tool answers `--version`.
fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs a command to the end with its output thrown away; a failure is remembered.
fn run_quiet(command: &mut Command, failed: &Cell<Option<String>>) {
    match command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(status) if status.success() => {}
        Ok(status) => failed.set(Some(format!("{command:?} exited with {status}"))),
        Err(error) => failed.set(Some(format!("{command:?} did not run: {error}"))),
    }
}

/// A simulator holding one finished 50,000-device batch (one device in ten failing with
/// 808); answers the simulator, the base URL and the tracking id.
fn batch() -> Result<(pc_sim::SimHandle, String, String), BenchError> {
    let sim = pc_sim::spawn(pc_sim::SimConfig {
        log_requests: false,
        queue_time: Duration::ZERO,
        process_time: Duration::ZERO,
        limits: pc_sim::Limits {
            max_devices_per_upload: DEVICES,
            max_body_bytes: 64 << 20,
            ..Default::default()
        },
        ..Default::default()
    })?;
    let base_url = sim.base_url();
    let client = DevicesClient::builder()
        .base_url(&base_url)
        .token(TOKEN)
        .build()?;
    let customer: CustomerId = CUSTOMER.parse()?;
    let devices: Vec<Device> = (0..DEVICES)
        .map(|index| Device {
            serial_number: Some(if index % 10 == 7 {
                format!("OTHER-E2E-{index:05}")
            } else {
                format!("E2E-{index:05}")
            }),
            product_key: Some(format!("00329-00000-{index:05}-AA606")),
            ..Device::default()
        })
        .collect();
    let accepted = client.create_device_batch(
        &customer,
        DeviceBatchCreationRequest::new(BatchId::new("end to end")?, devices),
    )?;
    let tracking = accepted.tracking_id;
    for _ in 0..200 {
        let details = client.batch_upload_status(&customer, &tracking)?;
        if details.is_terminal() && details.devices().len() == DEVICES {
            return Ok((sim, base_url, tracking.to_string()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err("the 50,000-device batch did not finish".into())
}

/// The commands compared, on one batch.
struct Sides {
    pc: PathBuf,
    base_url: String,
    url: String,
    tracking: String,
}

impl Sides {
    fn pc(&self, json: bool) -> Command {
        let mut command = Command::new(&self.pc);
        if json {
            command.args(["-o", "json"]);
        }
        command
            .args(["devices", "batch-status", CUSTOMER, &self.tracking])
            .args(["--allow-error-codes", "808", "--base-url", &self.base_url])
            .env("PARTNER_CENTER_ACCESS_TOKEN", TOKEN)
            .env("NO_COLOR", "1");
        command
    }

    fn curl(&self) -> Command {
        let mut command = Command::new("curl");
        command
            .args(["-s", "-f", "-H"])
            .arg(format!("Authorization: Bearer {TOKEN}"))
            .arg(&self.url);
        command
    }

    fn curl_jq(&self) -> Command {
        let mut command = Command::new("sh");
        command.arg("-c").arg(format!(
            "curl -s -f -H 'Authorization: Bearer {TOKEN}' '{}' | jq -c .",
            self.url
        ));
        command
    }
}

/// Pairs `candidate` with `baseline`, interleaved; a failed run of either fails the figure.
fn pair(
    rounds: usize,
    mut candidate: Command,
    mut baseline: Command,
) -> Result<(Vec<Duration>, Vec<Duration>), BenchError> {
    let failed = Cell::new(None);
    let samples = interleave(
        rounds,
        || run_quiet(&mut candidate, &failed),
        || run_quiet(&mut baseline, &failed),
    );
    match failed.take() {
        Some(error) => Err(error.into()),
        None => Ok(samples),
    }
}

/// pc's peak resident set size, in bytes, by GNU time; `None` without it.
fn peak_rss(command: Command) -> Result<Option<u64>, BenchError> {
    let time = Path::new("/usr/bin/time");
    if !time.is_file() {
        return Ok(None);
    }
    let mut timed = Command::new(time);
    timed
        .args(["-f", "%M"])
        .arg(command.get_program())
        .args(command.get_args());
    for (name, value) in command.get_envs() {
        if let Some(value) = value {
            timed.env(name, value);
        }
    }
    let output = timed.stdout(Stdio::null()).output()?;
    if !output.status.success() {
        return Err(format!("{command:?} failed under time: {}", output.status).into());
    }
    let text = String::from_utf8_lossy(&output.stderr);
    let kilobytes: u64 = text
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .ok_or_else(|| format!("GNU time printed no maximum RSS: {text:?}"))?;
    Ok(Some(kilobytes * 1024))
}

/// The crates in the blocking-only pc-devices graph, and whether tokio or hyper is in it.
fn blocking_graph() -> Option<(usize, Vec<String>)> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args([
            "tree",
            "--quiet",
            "--package",
            "pc-devices",
            "--no-default-features",
            "--features",
            "blocking",
            "--edges",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let mut crates: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    crates.sort();
    crates.dedup();
    let forbidden = crates
        .iter()
        .filter(|name| matches!(name.as_str(), "tokio" | "hyper" | "hyper-util"))
        .cloned()
        .collect();
    Some((crates.len(), forbidden))
}

/// Targets 4, 4b, 4c, 4d and 5. Lines that are not ratios (4c, 5) are printed here; a missed
/// 4c is an error.
pub fn end_to_end_figures(quick: bool, slack: f64) -> Result<Vec<Figure>, BenchError> {
    let Some(pc) = pc_binary() else {
        println!(
            "note: targets 4, 4b, 4c, 4d and 5 skipped: no release `pc` beside pc-bench \
             (cargo build --release -p pc-cli)"
        );
        return Ok(Vec::new());
    };
    if !have("curl") {
        println!("note: targets 4, 4b, 4c, 4d and 5 skipped: curl is not installed");
        return Ok(Vec::new());
    }
    let (_sim, sim_url, tracking) = batch()?;
    let path = format!("/v1/customers/{CUSTOMER}/batchJobStatus/{tracking}");
    let simulated = Sides {
        url: format!("{sim_url}{path}"),
        pc: pc.clone(),
        base_url: sim_url,
        tracking: tracking.clone(),
    };
    // The document as pc-sim sends it, serialized once; from here on it is canned.
    let document = simulated.curl().output()?.stdout;
    let size = document.len();
    let server = CannedServer::start(&document)?;
    let canned_url = server.base_url();
    let sides = Sides {
        url: format!("{canned_url}{path}"),
        pc,
        base_url: canned_url,
        tracking,
    };
    let served = sides.curl().output()?.stdout;
    if served != document {
        return Err("the canned-bytes server did not send the document back".into());
    }
    let label = format!("{DEVICES} devices ({})", format_size(size));
    let rounds = if quick { 7 } else { 21 };
    let mut figures = vec![Figure::times(
        format!("4: pc -o json devices batch-status, {label}, canned bytes"),
        "curl -s",
        pair(rounds, sides.pc(true), sides.curl())?,
        1,
        Some(Target::AtMost(2.0)),
    )];
    if have("jq") {
        figures.push(Figure::times(
            format!("4b: pc -o json devices batch-status, {label}, canned bytes"),
            "curl -s \\| jq -c .",
            pair(rounds.min(11), sides.pc(true), sides.curl_jq())?,
            1,
            Some(Target::AtMost(1.0)),
        ));
    } else {
        println!("note: target 4b skipped: jq is not installed");
    }
    figures.push(Figure::times(
        format!("4d: pc devices batch-status (table), {label}, canned bytes"),
        "pc -o json",
        pair(rounds, sides.pc(false), sides.pc(true))?,
        1,
        Some(Target::AtMost(2.0)),
    ));
    figures.push(Figure::times(
        format!("4 (reported): pc -o json devices batch-status, {label}, served by pc-sim"),
        "curl -s",
        pair(rounds.min(11), simulated.pc(true), simulated.curl())?,
        1,
        None,
    ));

    match peak_rss(sides.pc(true))? {
        Some(peak) => {
            let limit = 4 * size as u64 + (16 << 20);
            let met = (peak as f64) <= limit as f64 * slack;
            println!(
                "4c: pc -o json peak RSS {} for a {} document; limit 4× + 16 MiB = {} ({:.2}× the document): {}",
                format_size(peak as usize),
                format_size(size),
                format_size(limit as usize),
                peak as f64 / size as f64,
                if met { "met" } else { "MISSED" }
            );
            if !met {
                return Err("target 4c (peak RSS) missed".into());
            }
        }
        None => println!("note: target 4c skipped: /usr/bin/time (GNU time) is not installed"),
    }
    let binary = std::fs::metadata(&sides.pc)
        .map(|meta| meta.len())
        .unwrap_or(0);
    match blocking_graph() {
        Some((crates, forbidden)) => {
            println!(
                "5: blocking-only pc-devices graph: {crates} crates{}; release pc: {}",
                if forbidden.is_empty() {
                    ", no tokio, no hyper".to_owned()
                } else {
                    format!(", with {}", forbidden.join(", "))
                },
                format_size(binary as usize)
            );
            if !forbidden.is_empty() {
                return Err("target 5: tokio or hyper in the blocking-only graph".into());
            }
        }
        None => println!(
            "5: release pc: {} (cargo tree unavailable: graph not counted)",
            format_size(binary as usize)
        ),
    }
    Ok(figures)
}
