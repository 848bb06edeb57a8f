//! The performance harness: each figure is a ratio to a baseline measured in the same
//! run, candidate and baseline interleaved round by round (A B A B …), reported as
//! medians with their spread. See docs/PERFORMANCE.md for the targets.
//!
//! `--quick` is a smoke check: fewer rounds, and it fails only when a figure misses its
//! target by more than a factor of 1.5 in the bad direction.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

mod documents;

/// How a figure is judged against its target.
#[derive(Clone, Copy)]
enum Target {
    /// The candidate must take at most this many times the baseline's time.
    AtMost(f64),
}

struct Figure {
    name: String,
    baseline: String,
    candidate: Vec<Duration>,
    reference: Vec<Duration>,
    target: Option<Target>,
}

impl Figure {
    fn ratio(&self) -> f64 {
        median(&self.candidate).as_secs_f64() / median(&self.reference).as_secs_f64()
    }

    /// `Some(true)` when the target is met, `Some(false)` when missed by more than the
    /// slack factor, `None` when there is no target.
    fn verdict(&self, slack: f64) -> Option<bool> {
        self.target
            .map(|Target::AtMost(limit)| self.ratio() <= limit * slack)
    }
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn spread(samples: &[Duration]) -> (Duration, Duration) {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let low = sorted.get(sorted.len() / 10).copied().unwrap_or_default();
    let high = sorted
        .get(sorted.len() - 1 - sorted.len() / 10)
        .copied()
        .unwrap_or_default();
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
/// against a bare derived struct, on the same bytes.
fn parse_figures(quick: bool) -> Vec<Figure> {
    let mut figures = Vec::new();
    for devices in [1usize, 1_000, 50_000] {
        let bytes = documents::batch_upload_details(devices);
        let rounds = match (quick, devices) {
            (true, 50_000) => 11,
            (true, _) => 201,
            (false, 50_000) => 41,
            (false, _) => 2001,
        };
        let size = format_size(bytes.len());
        let typed = || {
            let details: pc_models::BatchUploadDetails =
                pc_models::from_slice(black_box(&bytes)).unwrap_or_default();
            black_box(details);
        };
        let (candidate, reference) = interleave(rounds, typed, || {
            let value: serde_json::Value =
                serde_json::from_slice(black_box(&bytes)).unwrap_or_default();
            black_box(value);
        });
        // Throughput ≥ 1.5× the Value parse means time ≤ 1/1.5 of it.
        figures.push(Figure {
            name: format!("typed parse, {devices} devices ({size})"),
            baseline: "serde_json::Value".to_owned(),
            candidate,
            reference,
            target: (devices == 50_000).then_some(Target::AtMost(1.0 / 1.5)),
        });
        let (candidate, reference) = interleave(rounds, typed, || {
            let bare: Result<documents::BareBatch, _> = serde_json::from_slice(black_box(&bytes));
            let _ = black_box(bare);
        });
        figures.push(Figure {
            name: format!("typed parse, {devices} devices ({size})"),
            baseline: "bare #[derive(Deserialize)]".to_owned(),
            candidate,
            reference,
            target: (devices == 50_000).then_some(Target::AtMost(1.25)),
        });
    }
    figures
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = match args.as_slice() {
        [] => false,
        [flag] if flag == "--quick" => true,
        _ => {
            eprintln!("usage: pc-bench [--quick]");
            return ExitCode::from(2);
        }
    };
    let slack = if quick { 1.5 } else { 1.0 };
    let figures = parse_figures(quick);
    println!(
        "| figure | baseline | candidate median | baseline median | ratio | candidate p10–p90 | target | verdict |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut missed = 0;
    for figure in &figures {
        let (low, high) = spread(&figure.candidate);
        let target = match figure.target {
            Some(Target::AtMost(limit)) => format!("≤ {limit:.2}×"),
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
            "| {} | {} | {:.3} ms | {:.3} ms | {:.2}× | {:.3}–{:.3} ms | {target} | {verdict} |",
            figure.name,
            figure.baseline,
            median(&figure.candidate).as_secs_f64() * 1e3,
            median(&figure.reference).as_secs_f64() * 1e3,
            figure.ratio(),
            low.as_secs_f64() * 1e3,
            high.as_secs_f64() * 1e3,
        );
    }
    if missed > 0 {
        eprintln!(
            "pc-bench: {missed} figure(s) missed their target{}",
            if quick { " by more than 1.5×" } else { "" }
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
