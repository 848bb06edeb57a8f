//! The architecture's dependency-graph invariants, checked with `cargo tree`.
//!
//! A workspace build unifies features, so each invariant is checked on the graph of
//! one package with one feature set, as a downstream crate would see it.

use crate::{Result, cargo};

/// One invariant: the graph of `package` with `features` (default features off when
/// `features` is given) must not contain any of `forbidden`.
struct Forbid {
    package: &'static str,
    features: Option<&'static str>,
    forbidden: &'static [&'static str],
    why: &'static str,
}

const FORBIDDEN: &[Forbid] = &[
    Forbid {
        package: "pc-http",
        features: Some("ureq"),
        forbidden: &["tokio", "hyper", "reqwest"],
        why: "a blocking-only build pulls in no async runtime",
    },
    Forbid {
        package: "pc-http",
        features: Some("reqwest"),
        forbidden: &["ureq"],
        why: "an async-only build pulls in no ureq",
    },
    Forbid {
        package: "pc-devices",
        features: Some("blocking"),
        forbidden: &["tokio", "hyper", "reqwest"],
        why: "a blocking-only build pulls in no async runtime",
    },
    Forbid {
        package: "pc-devices",
        features: Some("async"),
        forbidden: &["ureq"],
        why: "an async-only build pulls in no ureq",
    },
];

/// The only direct normal dependencies pc-models may have.
const MODELS_DEPENDENCIES: &[&str] = &["serde", "serde_json", "uuid"];

/// The workspace crates pc-sim may depend on: it never shares code with the client it
/// tests.
const SIM_WORKSPACE_DEPENDENCIES: &[&str] = &["pc-models"];

pub fn check_all() -> Result {
    check_models()?;
    check_sim()?;
    for rule in FORBIDDEN {
        let packages = tree(rule.package, rule.features, "normal", None)?;
        for name in rule.forbidden {
            if packages.iter().any(|package| package == name) {
                return Err(format!(
                    "{} with features {:?} depends on {name}: {}",
                    rule.package, rule.features, rule.why
                ));
            }
        }
    }
    check_one_crypto_provider()
}

fn check_models() -> Result {
    let direct = tree("pc-models", None, "normal", Some(1))?;
    for name in direct.iter().filter(|name| *name != "pc-models") {
        if !MODELS_DEPENDENCIES.contains(&name.as_str()) {
            return Err(format!(
                "pc-models depends on {name}; it may depend only on {MODELS_DEPENDENCIES:?}"
            ));
        }
    }
    Ok(())
}

fn check_sim() -> Result {
    let direct = tree("pc-sim", None, "normal", Some(1))?;
    for name in direct
        .iter()
        .filter(|name| name.starts_with("pc-") && *name != "pc-sim")
    {
        if !SIM_WORKSPACE_DEPENDENCIES.contains(&name.as_str()) {
            return Err(format!(
                "pc-sim depends on {name}; among the workspace crates it may depend only on \
                 {SIM_WORKSPACE_DEPENDENCIES:?}"
            ));
        }
    }
    Ok(())
}

/// rustls with ring everywhere, dev-dependencies included: aws-lc-rs is a long C
/// build on small machines and two providers would disagree on defaults.
fn check_one_crypto_provider() -> Result {
    let mut command = cargo();
    command.args([
        "tree",
        "--workspace",
        "--all-features",
        "--edges",
        "normal,build,dev",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ]);
    let packages = run_tree(command)?;
    for forbidden in ["aws-lc-rs", "aws-lc-sys"] {
        if packages.iter().any(|package| package == forbidden) {
            return Err(format!(
                "the workspace depends on {forbidden}: keep rustls on ring only (see DEPENDENCIES)"
            ));
        }
    }
    Ok(())
}

fn tree(
    package: &str,
    features: Option<&str>,
    edges: &str,
    depth: Option<u32>,
) -> Result<Vec<String>> {
    let mut command = cargo();
    command.args(["tree", "--package", package, "--edges", edges]);
    command.args(["--prefix", "none", "--format", "{p}"]);
    if let Some(features) = features {
        command.args(["--no-default-features", "--features", features]);
    }
    if let Some(depth) = depth {
        command.args(["--depth", &depth.to_string()]);
    }
    run_tree(command)
}

/// The package names of a `cargo tree` run, one per line of its output.
fn run_tree(mut command: std::process::Command) -> Result<Vec<String>> {
    let output = command
        .output()
        .map_err(|error| format!("could not run cargo tree: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    /// The invariants hold: a plain `cargo test` catches a violation, not only
    /// `cargo xtask ci`.
    #[test]
    fn the_dependency_graph_keeps_the_architecture_invariants() {
        if let Err(violation) = super::check_all() {
            panic!("{violation}");
        }
    }
}
