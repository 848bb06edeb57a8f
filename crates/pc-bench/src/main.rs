//! The performance harness: each figure is a ratio to a baseline measured in the same
//! run, candidate and baseline interleaved round by round (A B A B …), reported as
//! medians with their spread. See docs/PERFORMANCE.md for the targets.
//!
//! `--quick` is a smoke check: fewer rounds, and it fails only when a figure misses its
//! target by more than a factor of 1.5 in the bad direction. `--only 1|2|2b|3` runs one
//! target's figures (for profiling).

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

mod canned;
mod clients;
mod documents;
mod end_to_end;

/// How a figure is judged against its target (on the ratio candidate ÷ baseline).
#[derive(Clone, Copy)]
enum Target {
    /// The candidate must take at most this many times the baseline's time.
    AtMost(f64),
    /// The candidate must reach at least this many times the baseline's rate.
    AtLeast(f64),
}

/// What a sample is, and how it is printed.
#[derive(Clone, Copy)]
enum Unit {
    /// A time in seconds (lower is better), printed in milliseconds.
    Time,
    /// Calls per second (higher is better).
    Rate,
}

struct Figure {
    name: String,
    baseline: String,
    unit: Unit,
    candidate: Vec<f64>,
    reference: Vec<f64>,
    target: Option<Target>,
}

impl Figure {
    /// A time figure: each sample is the time of one round divided by `per_round`
    /// (the operations in a round).
    fn times(
        name: String,
        baseline: &str,
        (candidate, reference): (Vec<Duration>, Vec<Duration>),
        per_round: usize,
        target: Option<Target>,
    ) -> Self {
        let per = |samples: Vec<Duration>| -> Vec<f64> {
            samples
                .iter()
                .map(|d| d.as_secs_f64() / per_round as f64)
                .collect()
        };
        Self {
            name,
            baseline: baseline.to_owned(),
            unit: Unit::Time,
            candidate: per(candidate),
            reference: per(reference),
            target,
        }
    }

    /// A rate figure: each sample is `calls` divided by the time of one round.
    fn rates(
        name: String,
        baseline: &str,
        (candidate, reference): (Vec<Duration>, Vec<Duration>),
        calls: usize,
        target: Option<Target>,
    ) -> Self {
        let per = |samples: Vec<Duration>| -> Vec<f64> {
            samples
                .iter()
                .map(|d| calls as f64 / d.as_secs_f64().max(1e-9))
                .collect()
        };
        Self {
            name,
            baseline: baseline.to_owned(),
            unit: Unit::Rate,
            candidate: per(candidate),
            reference: per(reference),
            target,
        }
    }

    fn ratio(&self) -> f64 {
        median(&self.candidate) / median(&self.reference)
    }

    /// `Some(true)` when the target is met (with `slack` the allowed factor in the bad
    /// direction), `Some(false)` when missed, `None` when there is no target.
    fn verdict(&self, slack: f64) -> Option<bool> {
        let ratio = self.ratio();
        self.target.map(|target| match target {
            Target::AtMost(limit) => ratio <= limit * slack,
            Target::AtLeast(limit) => ratio >= limit / slack,
        })
    }

    fn format(&self, value: f64) -> String {
        match self.unit {
            Unit::Time => format!("{:.3} ms", value * 1e3),
            Unit::Rate => format!("{value:.0} calls/s"),
        }
    }

    fn format_range(&self, low: f64, high: f64) -> String {
        match self.unit {
            Unit::Time => format!("{:.3}–{:.3} ms", low * 1e3, high * 1e3),
            Unit::Rate => format!("{low:.0}–{high:.0} calls/s"),
        }
    }
}

fn sorted(samples: &[f64]) -> Vec<f64> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
}

fn median(samples: &[f64]) -> f64 {
    sorted(samples)
        .get(samples.len() / 2)
        .copied()
        .unwrap_or(f64::NAN)
}

fn spread(samples: &[f64]) -> (f64, f64) {
    let sorted = sorted(samples);
    if sorted.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let low = sorted[sorted.len() / 10];
    let high = sorted[sorted.len() - 1 - sorted.len() / 10];
    (low, high)
}

/// Times `candidate` and `baseline` alternately, `rounds` times each, after one
/// unmeasured warm-up of each.
fn interleave(
    rounds: usize,
    mut candidate: impl FnMut(),
    mut baseline: impl FnMut(),
) -> (Vec<Duration>, Vec<Duration>) {
    candidate();
    baseline();
    let mut a = Vec::with_capacity(rounds);
    let mut b = Vec::with_capacity(rounds);
    for round in 0..rounds {
        // Alternate which goes first, so neither always runs on a warmer cache.
        let (first, second): (&mut dyn FnMut(), &mut dyn FnMut()) = if round % 2 == 0 {
            (&mut candidate, &mut baseline)
        } else {
            (&mut baseline, &mut candidate)
        };
        let started = Instant::now();
        first();
        let first_time = started.elapsed();
        let started = Instant::now();
        second();
        let second_time = started.elapsed();
        if round % 2 == 0 {
            a.push(first_time);
            b.push(second_time);
        } else {
            a.push(second_time);
            b.push(first_time);
        }
    }
    (a, b)
}

/// Target 1: a typed parse of `BatchUploadDetails` against `serde_json::Value` and
/// against a bare derived struct, on the same bytes, for both ways a successful device
/// may say it has no error. Fails when a parse does not read every device.
fn parse_figures(quick: bool) -> Result<Vec<Figure>, String> {
    let mut figures = Vec::new();
    for no_error in [documents::NoError::Empty, documents::NoError::Null] {
        for devices in [1usize, 1_000, 50_000] {
            let bytes = documents::batch_upload_details(devices, no_error);
            check_parses(&bytes, devices, no_error)?;
            let rounds = match (quick, devices) {
                (true, 50_000) => 11,
                (true, _) => 201,
                (false, 50_000) => 41,
                (false, _) => 2001,
            };
            let name = format!(
                "1: typed parse, {devices} devices, {} ({})",
                no_error.label(),
                format_size(bytes.len())
            );
            let typed = || {
                let details: pc_models::BatchUploadDetails =
                    pc_models::from_slice(black_box(&bytes)).unwrap_or_default();
                black_box(details);
            };
            let samples = interleave(rounds, typed, || {
                let value: serde_json::Value =
                    serde_json::from_slice(black_box(&bytes)).unwrap_or_default();
                black_box(value);
            });
            // Throughput ≥ 1.5× the Value parse means time ≤ 1/1.5 of it.
            figures.push(Figure::times(
                name.clone(),
                "serde_json::Value",
                samples,
                1,
                (devices == 50_000).then_some(Target::AtMost(1.0 / 1.5)),
            ));
            let samples = interleave(rounds, typed, || {
                let bare: Result<documents::BareBatch, _> =
                    serde_json::from_slice(black_box(&bytes));
                let _ = black_box(bare);
            });
            figures.push(Figure::times(
                name,
                "bare #[derive(Deserialize)]",
                samples,
                1,
                (devices == 50_000).then_some(Target::AtMost(1.25)),
            ));
        }
    }
    Ok(figures)
}

/// Checks, before timing, that the candidate and the bare baseline both read every
/// device of the document, and that the candidate kept nothing unexpected.
fn check_parses(bytes: &[u8], devices: usize, no_error: documents::NoError) -> Result<(), String> {
    let what = format!("the {devices}-device document with {}", no_error.label());
    let details: pc_models::BatchUploadDetails =
        pc_models::from_slice(bytes).map_err(|error| format!("{what}: {error}"))?;
    let nulls = details
        .devices()
        .iter()
        .filter(|device| device.extra.is_null("errorCode"))
        .count();
    let expected_nulls = match no_error {
        documents::NoError::Empty => 0,
        documents::NoError::Null => devices - (devices + 2) / 10,
    };
    if details.devices().len() != devices || !details.extra.is_empty() || nulls != expected_nulls {
        return Err(format!(
            "{what}: the typed parse read {} devices and {nulls} null error codes",
            details.devices().len()
        ));
    }
    let bare: documents::BareBatch =
        serde_json::from_slice(bytes).map_err(|error| format!("{what}: {error}"))?;
    let bare_devices = bare.devices_status.as_ref().map_or(0, Vec::len);
    if bare_devices != devices || bare.batch_tracking_id.is_none() {
        return Err(format!(
            "{what}: the bare parse read {bare_devices} devices"
        ));
    }
    Ok(())
}

fn format_size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else if bytes >= 1 << 10 {
        format!("{:.1} KiB", bytes as f64 / f64::from(1 << 10))
    } else {
        format!("{bytes} B")
    }
}

/// Which targets to run.
struct Selection {
    quick: bool,
    only: Option<String>,
}

impl Selection {
    fn parse(args: &[String]) -> Option<Self> {
        let mut selection = Self {
            quick: false,
            only: None,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => selection.quick = true,
                "--only" => match args.next().map(String::as_str) {
                    Some(target @ ("1" | "2" | "2b" | "3" | "4")) => {
                        selection.only = Some(target.to_owned());
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
        Some(selection)
    }

    fn runs(&self, target: &str) -> bool {
        self.only.as_deref().is_none_or(|only| only == target)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(selection) = Selection::parse(&args) else {
        eprintln!("usage: pc-bench [--quick] [--only 1|2|2b|3|4]");
        return ExitCode::from(2);
    };
    let quick = selection.quick;
    let slack = if quick { 1.5 } else { 1.0 };
    let mut figures = Vec::new();
    if selection.runs("1") {
        match parse_figures(quick) {
            Ok(parsed) => figures.extend(parsed),
            Err(error) => {
                eprintln!("pc-bench: target 1 cannot run: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    if ["2", "2b", "3"].iter().any(|target| selection.runs(target)) {
        let bench = match clients::Bench::start() {
            Ok(bench) => bench,
            Err(error) => {
                eprintln!("pc-bench: cannot set up the client benchmarks: {error}");
                return ExitCode::FAILURE;
            }
        };
        let mut run = |target: &str,
                       figures_of: fn(
            &clients::Bench,
            bool,
        ) -> Result<Vec<Figure>, clients::BenchError>| {
            if !selection.runs(target) {
                return Ok(());
            }
            figures.extend(figures_of(&bench, quick)?);
            Ok::<(), clients::BenchError>(())
        };
        let outcome = run("2", clients::blocking_figures)
            .and_then(|()| run("2b", clients::concurrent_figures))
            .and_then(|()| run("3", clients::throughput_figures));
        if let Err(error) = outcome {
            eprintln!("pc-bench: a client benchmark failed: {error}");
            return ExitCode::FAILURE;
        }
    }
    if selection.runs("4") {
        match end_to_end::end_to_end_figures(quick, slack) {
            Ok(end_to_end) => figures.extend(end_to_end),
            Err(error) => {
                eprintln!("pc-bench: the end-to-end benchmark failed: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "| figure | baseline | candidate median | baseline median | ratio | candidate p10–p90 | target | verdict |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut missed = 0;
    for figure in &figures {
        let (low, high) = spread(&figure.candidate);
        let target = match figure.target {
            Some(Target::AtMost(limit)) => format!("≤ {limit:.2}×"),
            Some(Target::AtLeast(limit)) => format!("≥ {limit:.2}×"),
            None => "reported".to_owned(),
        };
        let verdict = match figure.verdict(slack) {
            Some(true) => "met",
            Some(false) => {
                missed += 1;
                "MISSED"
            }
            None => "-",
        };
        println!(
            "| {} | {} | {} | {} | {:.2}× | {} | {target} | {verdict} |",
            figure.name,
            figure.baseline,
            figure.format(median(&figure.candidate)),
            figure.format(median(&figure.reference)),
            figure.ratio(),
            figure.format_range(low, high),
        );
    }
    if missed > 0 {
        eprintln!(
            "pc-bench: {missed} figure(s) missed their target{}. Each is a ratio to a \
             baseline measured in the same run; a machine busy with other work can still \
             tip one over: run `cargo xtask bench{}` again on a quiet machine before \
             looking for a slowdown",
            if quick { " by more than 1.5×" } else { "" },
            if quick { " --quick" } else { "" }
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
