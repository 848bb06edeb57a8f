//! The project's own automation, run as `cargo xtask <task>`.
//!
//! - `ci`: everything a submission must pass (formatting, clippy, tests, doc tests,
//!   rustdoc, the tests again with each backend feature alone, the README's demo, every
//!   example, the dependency-graph invariants, the tidy checks of the source, the quick
//!   bench, the quick soak).
//! - `examples`: every example, run as its doc comment says (part of `ci`).
//! - `snapshots [--accept]`: review pending insta snapshot changes and accept them.
//! - `bench [--quick]`: the performance figures of docs/PERFORMANCE.md.
//! - `soak [--quick|--full]`: both clients and `pc` under injected faults
//!   (docs/RELIABILITY.md); the quick mode is part of `ci`.
//! - `mutants [--all]`: cargo-mutants over the modules that decide something (the
//!   decision modules of pc-devices; `--all` adds pc-http's), each mutant bounded in
//!   time; the figures go to docs/RELIABILITY.md.
//!
//! It installs nothing: where a tool is missing it says how to get it.

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

mod examples;
mod graph;
mod tidy;

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("help", &[][..]),
    };
    let outcome = match task {
        "ci" => ci(rest),
        "snapshots" => snapshots(rest),
        "bench" => bench(rest),
        "soak" => soak(rest),
        "mutants" => mutants(rest),
        "examples" => run_examples(rest),
        "help" | "--help" | "-h" => {
            print_help();
            Ok(())
        }
        other => Err(format!("unknown task `{other}`; run `cargo xtask help`")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    println!(
        "cargo xtask <task>\n\n\
         tasks:\n  \
         ci                  fmt, clippy, tests (also per backend alone), doc tests, rustdoc,\n                      \
         the demo, every example, graph and tidy checks, quick bench and soak\n  \
         examples            run every example (the batch-status ones against `pc sim`)\n  \
         snapshots [--accept] review pending snapshot changes; --accept keeps them\n  \
         bench [--quick]     performance figures (quick: a smoke check)\n  \
         soak [--full]       uploads, waits and listings under injected faults (default: quick)\n  \
         mutants [--all]     mutation testing of the modules that decide (needs cargo-mutants)"
    );
}

/// The workspace root: the parent of this crate's manifest directory.
fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

fn cargo() -> Command {
    let mut command = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

/// Runs one step, printing its name and how long it took.
fn step(name: &str, mut command: Command) -> Result {
    eprintln!("==> {name}");
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|error| format!("{name}: could not start: {error}"))?;
    let elapsed = started.elapsed().as_secs_f64();
    if status.success() {
        eprintln!("    {name}: ok ({elapsed:.1}s)");
        Ok(())
    } else {
        Err(format!("{name} failed ({status})"))
    }
}

fn has_cargo_subcommand(name: &str) -> bool {
    cargo()
        .args([name, "--version"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|status| status.success())
        .unwrap_or(false)
}

/// The libraries' tests with one backend alone: a workspace build unifies features, so
/// without this a blocking-only or async-only build would never be compiled or tested.
const BACKENDS_ALONE: &[(&str, &str)] = &[
    ("blocking (ureq) alone", "pc-http/ureq,pc-devices/blocking"),
    ("async (reqwest) alone", "pc-http/reqwest,pc-devices/async"),
];

/// The test command: nextest when installed, else `cargo test`; `scope` picks the
/// packages and features.
fn tests(scope: &[&str]) -> Command {
    let mut tests = cargo();
    if has_cargo_subcommand("nextest") {
        tests.args(["nextest", "run", "--locked", "--no-fail-fast"]);
    } else {
        eprintln!(
            "    cargo-nextest not found: using cargo test (`cargo install cargo-nextest` for faster runs)"
        );
        tests.args(["test", "--locked", "--no-fail-fast"]);
    }
    tests.args(scope).env("INSTA_UPDATE", "no");
    tests
}

/// Where cargo builds: `CARGO_TARGET_DIR`, else the workspace's `target/`.
fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn ci(args: &[String]) -> Result {
    if let Some(unknown) = args.first() {
        return Err(format!("`ci` takes no arguments, got `{unknown}`"));
    }
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    step("cargo fmt --check", fmt)?;

    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--locked",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]);
    step("cargo clippy", clippy)?;

    step(
        "tests",
        tests(&["--workspace", "--all-targets", "--all-features"]),
    )?;

    let mut doctests = cargo();
    doctests.args(["test", "--locked", "--workspace", "--doc", "--all-features"]);
    doctests.env("INSTA_UPDATE", "no");
    step("doc tests", doctests)?;

    let mut doc = cargo();
    doc.args([
        "doc",
        "--locked",
        "--workspace",
        "--no-deps",
        "--all-features",
    ]);
    doc.env("RUSTDOCFLAGS", "-D warnings");
    step("rustdoc", doc)?;

    for (name, features) in BACKENDS_ALONE {
        let scope = [
            "--package",
            "pc-http",
            "--package",
            "pc-devices",
            "--no-default-features",
            "--features",
            features,
        ];
        step(&format!("tests, {name}"), tests(&scope))?;
    }

    // The README's first command, as a user runs it: `pc demo` on the bundled simulator
    // (`cargo run --release -p pc-cli -- demo`).
    let mut demo = cargo();
    demo.args([
        "run",
        "--quiet",
        "--locked",
        "--release",
        "--package",
        "pc-cli",
        "--",
        "demo",
    ]);
    step("the README's demo", demo)?;
    run_examples(&[])?;

    eprintln!("==> dependency-graph invariants");
    graph::check_all()?;
    eprintln!("    dependency-graph invariants: ok");

    eprintln!("==> tidy checks of the source");
    tidy::check_all()?;
    eprintln!("    tidy checks of the source: ok");

    if root().join("crates/pc-bench").exists() {
        bench(&["--quick".to_owned()])?;
    }
    soak(&[])?;
    eprintln!("ci: all steps passed");
    Ok(())
}

/// Every example; the release `pc` serves the simulator and uploads their batch.
fn run_examples(args: &[String]) -> Result {
    if let Some(unknown) = args.first() {
        return Err(format!("`examples` takes no arguments, got `{unknown}`"));
    }
    examples::run_all(&release_pc()?)
}

/// Builds the release `pc` and gives its path: the examples, the bench's targets 4 and 5
/// run it as a user would.
fn release_pc() -> Result<PathBuf> {
    let mut build = cargo();
    build.args(["build", "--locked", "--release", "--package", "pc-cli"]);
    step("build the release pc", build)?;
    Ok(target_dir().join("release").join("pc"))
}

fn snapshots(args: &[String]) -> Result {
    let accept = match args {
        [] => false,
        [flag] if flag == "--accept" => true,
        _ => return Err("usage: cargo xtask snapshots [--accept]".to_owned()),
    };
    if has_cargo_subcommand("insta") {
        let mut review = cargo();
        review.args(["insta", "test", "--workspace", "--all-features"]);
        review.arg(if accept { "--accept" } else { "--review" });
        return step("cargo insta", review);
    }
    eprintln!(
        "    cargo-insta not found (`cargo install cargo-insta` gives an interactive review); \
         showing pending snapshots as diffs instead"
    );
    let mut tests = cargo();
    tests.args(["test", "--workspace", "--all-features"]);
    tests
        .env("INSTA_UPDATE", "new")
        .env("INSTA_FORCE_PASS", "1");
    step("tests (recording new snapshots)", tests)?;

    let mut pending = Vec::new();
    collect_pending(&root().join("crates"), &mut pending);
    pending.sort();
    if pending.is_empty() {
        eprintln!("no snapshot changes");
        return Ok(());
    }
    for new in &pending {
        let old = new.with_extension("");
        let mut diff = Command::new("git");
        diff.args(["diff", "--no-index", "--"])
            .arg(&old)
            .arg(new)
            .current_dir(root());
        // `git diff --no-index` exits 1 when the files differ: that is the point here.
        let _ = diff.status();
    }
    if accept {
        for new in &pending {
            let old = new.with_extension("");
            std::fs::rename(new, &old)
                .map_err(|error| format!("could not accept {}: {error}", new.display()))?;
            eprintln!("accepted {}", old.display());
        }
        Ok(())
    } else {
        Err(format!(
            "{} snapshot(s) changed; run `cargo xtask snapshots --accept` to keep them",
            pending.len()
        ))
    }
}

fn collect_pending(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name() != Some(OsStr::new("target")) {
                collect_pending(&path, out);
            }
        } else if path.extension() == Some(OsStr::new("new"))
            && path.to_string_lossy().ends_with(".snap.new")
        {
            out.push(path);
        }
    }
}

fn bench(args: &[String]) -> Result {
    let quick = match args {
        [] => false,
        [flag] if flag == "--quick" => true,
        _ => return Err("usage: cargo xtask bench [--quick]".to_owned()),
    };
    // Targets 4 and 5 run the release `pc` as a user would; pc-bench finds it beside itself.
    release_pc()?;
    let mut run = cargo();
    run.args(["run", "--release", "--package", "pc-bench", "--"]);
    if quick {
        run.arg("--quick");
    }
    step(if quick { "bench --quick" } else { "bench" }, run)
}

/// The soak: `pc-soak` (release) driving both clients and the release `pc` against
/// pc-sim with injected faults. Quick unless `--full`.
fn soak(args: &[String]) -> Result {
    let mode = match args {
        [] => "--quick",
        [flag] if flag == "--quick" || flag == "--full" => flag.as_str(),
        _ => return Err("usage: cargo xtask soak [--quick|--full]".to_owned()),
    };
    let mut build = cargo();
    build.args([
        "build",
        "--locked",
        "--release",
        "--package",
        "pc-cli",
        "--package",
        "pc-soak",
    ]);
    step("build pc and pc-soak (release)", build)?;
    let target = target_dir();
    let mut run = Command::new(target.join("release").join("pc-soak"));
    run.arg(mode)
        .env("PC_BIN", target.join("release").join("pc"))
        .current_dir(root());
    step(&format!("soak {mode}"), run)
}

/// The modules mutation testing covers: the ones that decide (wait, paging and the
/// next-page link, upload parts, tracking ids, paths, the Autopilot CSV import, the
/// operations of the client core), by package. `--all` adds the transport's (retries,
/// calls and their deadlines, tokens and the device-code grant, endpoints, proxies) and
/// `pc`'s (the token file, the scan that decides exit codes, the wait, durations, the
/// credential order).
const MUTANT_MODULES: &[(&str, &[&str])] = &[(
    "pc-devices",
    &[
        "crates/pc-devices/src/wait.rs",
        "crates/pc-devices/src/paging.rs",
        "crates/pc-devices/src/upload.rs",
        "crates/pc-devices/src/path.rs",
        "crates/pc-devices/src/csv_import.rs",
        "crates/pc-devices/src/ops/*.rs",
        "crates/pc-devices/src/blocking.rs",
        "crates/pc-devices/src/asynchronous.rs",
    ],
)];
const MORE_MUTANT_MODULES: &[(&str, &[&str])] = &[
    (
        "pc-http",
        &[
            "crates/pc-http/src/retry.rs",
            "crates/pc-http/src/call.rs",
            "crates/pc-http/src/auth.rs",
            "crates/pc-http/src/driver.rs",
            "crates/pc-http/src/device_code.rs",
            "crates/pc-http/src/endpoint.rs",
            "crates/pc-http/src/proxy.rs",
        ],
    ),
    (
        "pc-cli",
        &[
            "crates/pc-cli/src/token_file.rs",
            "crates/pc-cli/src/refresh.rs",
            "crates/pc-cli/src/scan.rs",
            "crates/pc-cli/src/wait.rs",
            "crates/pc-cli/src/exit.rs",
            "crates/pc-cli/src/duration.rs",
            "crates/pc-cli/src/config.rs",
        ],
    ),
];

/// `cargo mutants` over [`MUTANT_MODULES`], each package's own tests judging its
/// mutants, every mutant's test run bounded (a hung mutant counts as caught by time).
fn mutants(args: &[String]) -> Result {
    let all = match args {
        [] => false,
        [flag] if flag == "--all" => true,
        _ => return Err("usage: cargo xtask mutants [--all]".to_owned()),
    };
    if !has_cargo_subcommand("mutants") {
        return Err("cargo-mutants is not installed: `cargo install cargo-mutants`".to_owned());
    }
    let modules = MUTANT_MODULES
        .iter()
        .chain(if all { MORE_MUTANT_MODULES } else { &[] });
    for (package, files) in modules {
        let mut run = cargo();
        run.args([
            "mutants",
            "--package",
            package,
            "--all-features",
            "--test-tool",
            "nextest",
            "--minimum-test-timeout",
            "60",
            "--no-shuffle",
        ]);
        for file in *files {
            run.args(["--file", file]);
        }
        step(&format!("cargo mutants -p {package}"), run)?;
    }
    Ok(())
}
