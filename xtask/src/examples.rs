//! Every example of the workspace, run as its doc comment tells a user to run it: the
//! self-contained ones as they are, the batch-status ones against a `pc sim` holding a
//! batch that `pc devices upload` just created.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::{Result, cargo, root, step};

/// The customer the examples' batch is uploaded for (any GUID: the simulator accepts it).
const CUSTOMER: &str = "47021739-3426-40bf-9601-61b4b6d7c793";
/// A bearer token for the simulator, which accepts any.
const TOKEN: &str = "xtask-examples-token";

/// Runs every example; `pc` is the binary that serves the simulator and uploads.
pub fn run_all(pc: &Path) -> Result {
    step(
        "example pc-models batch_status",
        example("pc-models", "batch_status", &[]),
    )?;
    step(
        "example pc-devices demo",
        example("pc-devices", "demo", &[]),
    )?;

    let sim = Sim::start(pc)?;
    let tracking = upload(pc, &sim.base_url)?;
    for name in ["batch_status_blocking", "batch_status_async"] {
        let mut run = example("pc-devices", name, &[CUSTOMER, &tracking]);
        run.env("PARTNER_CENTER_BASE_URL", &sim.base_url)
            .env("PARTNER_CENTER_ACCESS_TOKEN", TOKEN);
        let output = checked_output(&format!("example pc-devices {name}"), run)?;
        let expected = format!("batch {tracking}: ");
        if !output.starts_with(&expected) {
            return Err(format!(
                "example {name}: expected its first line to start with `{expected}`, got:\n{output}"
            ));
        }
        eprintln!("    {}", output.lines().next().unwrap_or_default());
    }
    Ok(())
}

/// `cargo run --example` with every feature, so the build the tests made is reused.
fn example(package: &str, name: &str, args: &[&str]) -> Command {
    let mut run = cargo();
    run.args([
        "run",
        "--quiet",
        "--locked",
        "--all-features",
        "--package",
        package,
        "--example",
        name,
        "--",
    ]);
    run.args(args);
    run
}

/// Runs `command` and gives its stdout, or an error naming `name` with its stderr.
fn checked_output(name: &str, mut command: Command) -> Result<String> {
    eprintln!("==> {name}");
    let output = command
        .output()
        .map_err(|error| format!("{name}: could not start: {error}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        eprintln!("    {name}: ok");
        Ok(stdout)
    } else {
        Err(format!(
            "{name} failed ({}):\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Uploads the Autopilot CSV fixture as a new batch and gives its tracking id.
fn upload(pc: &Path, base_url: &str) -> Result<String> {
    let csv =
        root().join("crates/pc-devices/tests/fixtures/autopilot/get-windowsautopilotinfo.csv");
    let mut run = Command::new(pc);
    run.args(["-o", "json", "devices", "upload", CUSTOMER, "--csv"])
        .arg(csv)
        .args(["--new-batch", "xtask-examples"])
        .env("PARTNER_CENTER_BASE_URL", base_url)
        .env("PARTNER_CENTER_ACCESS_TOKEN", TOKEN);
    let output = checked_output("pc devices upload (for the examples)", run)?;
    tracking_id(&output)
        .map(str::to_owned)
        .ok_or_else(|| format!("no trackingId in `pc devices upload`'s output: {output}"))
}

/// The `trackingId` of `pc -o json devices upload`'s one-part answer.
fn tracking_id(json: &str) -> Option<&str> {
    let after_key = &json[json.find("\"trackingId\"")? + "\"trackingId\"".len()..];
    let value = after_key.trim_start().strip_prefix(':')?.trim_start();
    let value = value.strip_prefix('"')?;
    Some(&value[..value.find('"')?])
}

/// A `pc sim` in the background, stopped when dropped.
struct Sim {
    child: Child,
    base_url: String,
}

impl Sim {
    fn start(pc: &Path) -> Result<Self> {
        let child = Command::new(pc)
            .args(["sim", "--queue-time", "0s", "--process-time", "0s"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|error| format!("could not start `{} sim`: {error}", pc.display()))?;
        let mut sim = Self {
            child,
            base_url: String::new(),
        };
        let Some(stdout) = sim.child.stdout.take() else {
            return Err("`pc sim`'s stdout was not captured".to_owned());
        };
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        let read = stdout.read_line(&mut line);
        // Whatever it says later is drained, so that it never writes to a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        match (read, line.trim().strip_prefix("listening on ")) {
            (Ok(_), Some(url)) => {
                sim.base_url = url.to_owned();
                Ok(sim)
            }
            _ => Err(format!(
                "`pc sim` did not say where it listens (its first line: {line:?})"
            )),
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::tracking_id;

    #[test]
    fn the_tracking_id_is_read_from_the_upload_answer() {
        assert_eq!(
            tracking_id(r#"{"trackingId": "0127ed8e", "location": null}"#),
            Some("0127ed8e")
        );
        assert_eq!(tracking_id(r#"{"trackingId":"x"}"#), Some("x"));
        assert_eq!(tracking_id(r#"{"parts": []}"#), None);
        assert_eq!(tracking_id(r#"{"trackingId": 5}"#), None);
    }
}
