//! Ctrl-C: an interrupted `pc` leaves no partial token file, and the tracking id of an
//! accepted upload was already on stderr.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// Starts `pc` with `args` and `env`, waits until its stderr holds `marker` (at most
/// 20 s), sends it SIGINT, and answers its whole stderr.
fn interrupt_after(args: &[&str], env: &[(&str, &str)], marker: &str) -> String {
    interrupted_run(args, env, marker).stderr
}

/// How an interrupted `pc` ended.
struct Interrupted {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// [`interrupt_after`], answering the exit code and stdout too.
fn interrupted_run(args: &[&str], env: &[(&str, &str)], marker: &str) -> Interrupted {
    let mut command = Command::new(PC);
    command
        .env_clear()
        .args(args)
        .env("PARTNER_CENTER_JOURNAL", fresh_journal());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let (sender, receiver) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buffer = [0u8; 256];
        while let Ok(n) = stderr.read(&mut buffer) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buffer[..n]);
            let _ = sender.send(String::from_utf8_lossy(&seen).into_owned());
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let started = Instant::now();
    loop {
        let text = receiver
            .recv_timeout(Duration::from_secs(20))
            .expect("pc wrote nothing in 20 s");
        if text.contains(marker) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{text}");
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "pc ignored SIGINT");
        std::thread::sleep(Duration::from_millis(10));
    };
    Interrupted {
        code: status.code(),
        stderr: reader.join().unwrap(),
        stdout: out.join().unwrap(),
    }
}

#[cfg(unix)]
#[test]
fn an_interrupted_wait_has_already_named_the_tracking_id() {
    // The batch stays queued for a minute: the wait is interrupted long before.
    let sim = pc_sim::spawn(pc_sim::SimConfig {
        queue_time: Duration::from_secs(60),
        ..Default::default()
    })
    .unwrap();
    let csv = fixture("get-windowsautopilotinfo.csv");
    let stderr = interrupt_after(
        &[
            "devices",
            "upload",
            CUSTOMER,
            "--new-batch",
            "interrupted",
            "--csv",
        ]
        .iter()
        .copied()
        .chain([csv.to_str().unwrap(), "--wait", "--poll-interval", "50ms"])
        .collect::<Vec<_>>(),
        &[
            ("PARTNER_CENTER_ACCESS_TOKEN", TOKEN),
            ("PARTNER_CENTER_BASE_URL", &sim.base_url()),
        ],
        "tracking id",
    );
    let log = sim.request_log();
    let created: Vec<_> = log
        .iter()
        .filter(|entry| entry.operation == Some(pc_sim::Operation::CreateBatch))
        .collect();
    assert_eq!(created.len(), 1, "one upload");
    // The id stderr names is the one the service knows.
    let tracking = stderr
        .split("tracking id ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no tracking id: {stderr}"));
    let status = pc(&["-o", "json", "devices", "batch-status", CUSTOMER, tracking])
        .token()
        .base(&sim.base_url())
        .run();
    status.assert_code(0);
    assert_eq!(status.json()["status"], "queued");
}

#[cfg(unix)]
#[test]
fn an_interrupted_sign_in_leaves_no_file() {
    let sim = pc_sim::spawn(pc_sim::SimConfig {
        login: pc_sim::LoginConfig {
            pending_polls: 1_000,
            interval: Duration::from_millis(20),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    let folder = temp_file("placeholder", b"").with_file_name("signin");
    let path = folder.join("refresh-token");
    let stderr = interrupt_after(
        &["auth", "login", "--tenant", "t", "--client-id", "app-1"],
        &[
            ("PARTNER_CENTER_AUTHORITY_URL", &sim.base_url()),
            ("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap()),
        ],
        "enter the code",
    );
    assert!(stderr.contains("enter the code"), "{stderr}");
    assert!(!path.exists(), "no token file");
    let leftovers: Vec<_> = std::fs::read_dir(&folder)
        .map(|entries| entries.map(|entry| entry.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "nothing half-written: {leftovers:?}");
}

#[cfg(unix)]
#[test]
fn an_interrupted_upload_wait_exits_130_with_its_part_journaled_and_its_last_details() {
    let sim = pc_sim::spawn(pc_sim::SimConfig {
        queue_time: Duration::from_secs(60),
        ..Default::default()
    })
    .unwrap();
    let journal = fresh_journal();
    let csv = fixture("get-windowsautopilotinfo.csv");
    let base = sim.base_url();
    let ended = interrupted_run(
        &[
            "-o",
            "json",
            "devices",
            "upload",
            CUSTOMER,
            "--new-batch",
            "interrupted",
            "--csv",
            csv.to_str().unwrap(),
            "--wait",
            "--poll-interval",
            "50ms",
            "-vv",
        ],
        &[
            ("PARTNER_CENTER_ACCESS_TOKEN", TOKEN),
            ("PARTNER_CENTER_BASE_URL", &base),
            ("PARTNER_CENTER_JOURNAL", journal.to_str().unwrap()),
        ],
        // A status poll was answered (its debug line names the path).
        "batchJobStatus",
    );
    assert_eq!(ended.code, Some(130), "{}", ended.stderr);
    let tracking = ended
        .stderr
        .split("tracking id ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no tracking id: {}", ended.stderr));
    // The part was journaled as accepted; stdout holds the last details seen.
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        text.contains(&format!("\"trackingId\":\"{tracking}\"")),
        "{text}"
    );
    let last: serde_json::Value = serde_json::from_str(&ended.stdout)
        .unwrap_or_else(|error| panic!("{error}: {:?}", ended.stdout));
    assert_eq!(last["status"], "queued");
    assert!(ended.stderr.contains("interrupted"), "{}", ended.stderr);
    // Nothing was polled after the interrupt had been handled: the journal's job is
    // still pending, for a later `pc jobs wait`.
    let listed = pc(&["-o", "json", "jobs", "list", "--pending"])
        .env("PARTNER_CENTER_JOURNAL", journal.to_str().unwrap())
        .run();
    listed.assert_code(0);
    assert_eq!(listed.json()["items"][0]["trackingId"], tracking);
}

#[cfg(unix)]
#[test]
fn an_interrupted_batch_status_wait_exits_130_with_its_last_details() {
    let sim = pc_sim::spawn(pc_sim::SimConfig {
        queue_time: Duration::from_secs(60),
        ..Default::default()
    })
    .unwrap();
    let csv = fixture("get-windowsautopilotinfo.csv");
    let uploaded = pc(&[
        "-o",
        "json",
        "devices",
        "upload",
        CUSTOMER,
        "--new-batch",
        "waited",
        "--csv",
    ])
    .args(&[csv.to_str().unwrap()])
    .token()
    .base(&sim.base_url())
    .run();
    uploaded.assert_code(0);
    let tracking = uploaded.json()["trackingId"].as_str().unwrap().to_owned();
    let ended = interrupted_run(
        &[
            "-o",
            "json",
            "devices",
            "batch-status",
            CUSTOMER,
            &tracking,
            "--wait",
            "--poll-interval",
            "50ms",
            "-vv",
        ],
        &[
            ("PARTNER_CENTER_ACCESS_TOKEN", TOKEN),
            ("PARTNER_CENTER_BASE_URL", &sim.base_url()),
        ],
        // A poll was answered.
        "attempt succeeded",
    );
    assert_eq!(ended.code, Some(130), "{}", ended.stderr);
    let last: serde_json::Value = serde_json::from_str(&ended.stdout)
        .unwrap_or_else(|error| panic!("{error}: {:?}", ended.stdout));
    assert_eq!(last["status"], "queued");
    assert!(
        ended
            .stderr
            .contains(&format!("the wait for batch {tracking} was interrupted")),
        "{}",
        ended.stderr
    );
}
