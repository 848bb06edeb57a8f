//! `pc sim`: the bundled Partner Center simulator in the foreground.

use crate::duration::parse_duration;
use clap::Args;
use pc_sim::{FaultConfig, FaultKind, LoginConfig, SimConfig, Simulator};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

/// The options of `pc sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Where to listen, HOST:PORT (port 0: any free port).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:0")]
    addr: String,
    /// Seeds ids and fault draws, for reproducible runs (random when absent).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// How long a batch stays `queued`.
    #[arg(long, value_name = "DUR", default_value = "300ms", value_parser = parse_duration)]
    queue_time: Duration,
    /// How long a batch then stays `processing`.
    #[arg(long, value_name = "DUR", default_value = "1s", value_parser = parse_duration)]
    process_time: Duration,
    /// Serial numbers starting with this are registered to another tenant (808).
    #[arg(long, value_name = "PREFIX", default_value = "OTHER-")]
    other_tenant_prefix: String,
    /// The probability (0 to 1) that a request gets a fault.
    #[arg(long, value_name = "RATE", default_value = "0", value_parser = parse_rate)]
    fault_rate: f64,
    /// Which faults to inject (comma-separated).
    #[arg(
        long,
        value_name = "LIST",
        default_value = "429,500,503,reset,truncate,latency",
        value_parser = parse_faults
    )]
    faults: FaultList,
    /// Seconds sent in `Retry-After` with an injected 429 (0 allowed).
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    retry_after: u64,
    /// Accept only tokens this simulator issued (not expired), each refresh token once,
    /// and refuse to create a batch with an app-only token (403: App+User only).
    #[arg(long)]
    strict_auth: bool,
    /// Device-code polls answered `authorization_pending` before a `pc auth login`
    /// against this simulator is approved.
    #[arg(long, value_name = "N", default_value_t = 2)]
    login_polls: u32,
    /// Refuse what the real service may refuse and a careful client never sends.
    ///
    /// 400 for an API request whose Accept lacks application/json, whose
    /// MS-RequestId or MS-CorrelationId is missing, empty or not a GUID, or whose body
    /// is not Content-Type application/json; 400 for a next page asked for without
    /// the `?seekOperation=Next` query of links.next or with another collection's
    /// continuation token; 409 (code 605) for an MS-RequestId used again on the same
    /// route with another body. MS-Contract-Version is not required.
    #[arg(long)]
    strict: bool,
    /// Give every answer, every time, the quirks the service's documentation shows.
    ///
    /// A UTF-8 byte-order mark before each JSON body; startedTime without an offset
    /// and completedTime with seven fractional digits and one; listed batches with
    /// creationTime and deviceCount, policies with devicesAssignedCount; successful
    /// devices with "errorCode": null and "errorDescription": null; device listings
    /// paged by continuationToken alone, batch listings by links.next alone; a 202
    /// without Location whose body is the status path as a JSON string; injected
    /// 429s with an HTTP-date Retry-After or none, in turn; injected 5xx as HTML.
    /// Combines with --strict.
    #[arg(long)]
    quirks: bool,
}

/// A parsed `--faults` list (a newtype so clap takes it as one value).
#[derive(Debug, Clone)]
struct FaultList(Vec<FaultKind>);

fn parse_faults(text: &str) -> Result<FaultList, String> {
    FaultKind::parse_list(text)
        .map(FaultList)
        .map_err(|error| error.to_string())
}

fn parse_rate(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|rate| (0.0..=1.0).contains(rate))
        .ok_or_else(|| format!("invalid fault rate {text:?}: expected a number from 0 to 1"))
}

/// A seed for a run without `--seed`: different each run.
fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

impl SimArgs {
    fn config(&self) -> SimConfig {
        SimConfig {
            seed: self.seed.unwrap_or_else(random_seed),
            queue_time: self.queue_time,
            process_time: self.process_time,
            other_tenant_prefix: self.other_tenant_prefix.clone(),
            accept_any_token: !self.strict_auth,
            login: LoginConfig {
                pending_polls: self.login_polls,
                ..LoginConfig::default()
            },
            strict: self.strict,
            quirks: self.quirks,
            faults: FaultConfig {
                rate: self.fault_rate,
                kinds: self.faults.0.clone(),
                retry_after_secs: self.retry_after,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub fn run(self) -> ExitCode {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                eprintln!("error: cannot start the async runtime: {error}");
                return ExitCode::from(5);
            }
        };
        runtime.block_on(async move {
            let sim = match Simulator::start(self.config(), self.addr.as_str()).await {
                Ok(sim) => sim,
                Err(error) => {
                    eprintln!("error: {error}");
                    return ExitCode::from(5);
                }
            };
            let mut stdout = std::io::stdout().lock();
            if writeln!(stdout, "listening on {}", sim.base_url())
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::from(5);
            }
            drop(stdout);
            stop_signal().await;
            sim.shutdown().await;
            ExitCode::SUCCESS
        })
    }
}

/// Returns on Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
