//! The built `pc` binary: `pc sim` serves, `pc --version` answers, bad flags exit 2.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

const PC: &str = env!("CARGO_BIN_EXE_pc");

/// Sends one HTTP/1.1 request and returns the whole answer as text.
fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// Runs `pc sim` with `args`, hands its address to `check`, then stops it (also when
/// `check` panics).
fn with_sim(args: &[&str], check: impl FnOnce(&str) + std::panic::UnwindSafe) {
    let mut child = Command::new(PC)
        .arg("sim")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read the first line on a thread, so that a binary that never prints fails the
    // test instead of hanging it.
    let stdout = child.stdout.take().unwrap();
    let (line_tx, line_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = line_tx.send(line);
    });
    let first = line_rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_default();
    let result = std::panic::catch_unwind(|| {
        let addr = first
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("first line: {first:?}"))
            .trim_end()
            .to_owned();
        assert!(addr.starts_with("127.0.0.1:"), "{addr}");
        check(&addr);
    });
    child.kill().unwrap();
    child.wait().unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

const CREATE: &str = "POST /v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/deviceBatches HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer any\r\nContent-Type: application/json\r\n";

#[test]
fn pc_sim_prints_where_it_listens_and_serves() {
    with_sim(
        &["--seed", "3", "--queue-time", "0s", "--process-time", "0ms"],
        |addr| {
            let body = r#"{"batchId":"cli","devices":[{"serialNumber":"S1","productKey":"K1"}]}"#;
            let answer = http(
                addr,
                &format!(
                    "{CREATE}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
            );
            assert!(answer.starts_with("HTTP/1.1 202 Accepted\r\n"), "{answer}");
            let location = answer
                .lines()
                .find_map(|line| line.strip_prefix("location: "))
                .unwrap();
            let answer = http(
                addr,
                &format!(
                    "GET /v1{location} HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer any\r\nConnection: close\r\n\r\n"
                ),
            );
            assert!(answer.contains("\"status\":\"finished\""), "{answer}");
        },
    );
}

#[test]
fn pc_sim_strict_and_quirks_start_together() {
    with_sim(&["--strict", "--quirks"], |addr| {
        let body = r#"{"batchId":"cli","devices":[{"serialNumber":"S1","productKey":"K1"}]}"#;
        // Strict: no MS-RequestId, MS-CorrelationId or Accept is a 400, behind a BOM
        // (quirks).
        let answer = http(
            addr,
            &format!(
                "{CREATE}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        );
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{answer}"
        );
        assert!(answer.contains("\r\n\r\n\u{feff}{"), "{answer}");
        // A careful request: the quirky 202, no Location, the status path as a JSON
        // string.
        let answer = http(
            addr,
            &format!(
                "{CREATE}Accept: application/json\r\nMS-RequestId: a4f9d2c1-0b5e-4c7a-8e3f-6d2b1a0c9e87\r\nMS-CorrelationId: de894e18-f027-4ac0-8b5a-34f0c222af0c\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        );
        assert!(answer.starts_with("HTTP/1.1 202 Accepted\r\n"), "{answer}");
        assert!(
            !answer.to_ascii_lowercase().contains("\r\nlocation:"),
            "{answer}"
        );
        assert!(
            answer.contains(
                "\r\n\r\n\u{feff}\"/customers/47021739-3426-40bf-9601-61b4b6d7c793/batchJobStatus/"
            ),
            "{answer}"
        );
    });
}

#[test]
fn pc_sim_help_documents_strict_and_quirks() {
    let output = Command::new(PC).args(["sim", "--help"]).output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "--strict",
        "--quirks",
        "MS-RequestId",
        "seekOperation=Next",
        "byte-order mark",
        "without Location",
        "Combines with --strict",
    ] {
        assert!(help.contains(expected), "{expected}: {help}");
    }
}

#[test]
fn pc_version_prints_the_name_and_version() {
    let output = Command::new(PC).arg("--version").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("pc {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bad_flags_exit_2_with_a_message() {
    for args in [
        &["sim", "--queue-time", "soon"][..],
        &["sim", "--fault-rate", "2"],
        &["sim", "--faults", "429,teapot"],
        &["sim", "--no-such-flag"],
        &["nothing"],
    ] {
        let output = Command::new(PC).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("error"), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty());
    }
}
