//! The upload journal and `pc jobs`: every part sent is recorded before it is sent and
//! once accepted, and a later `pc jobs wait` follows what an upload left.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

/// A simulator that processes a batch within a second.
fn quick_sim() -> pc_sim::SimHandle {
    pc_sim::spawn(pc_sim::SimConfig {
        queue_time: Duration::from_millis(100),
        process_time: Duration::from_millis(100),
        ..Default::default()
    })
    .unwrap()
}

/// A CSV of these serials (an `OTHER-` one comes back 808).
fn csv(serials: &[&str]) -> PathBuf {
    let mut text = String::from("Device Serial Number,Windows Product ID,Hardware Hash\n");
    for serial in serials {
        text.push_str(&format!("{serial},,T0FCAAEA\n"));
    }
    temp_file("lab.csv", text.as_bytes())
}

/// `pc` with a token, the simulator's base URL and this journal.
fn pc_at(sim: &pc_sim::SimHandle, journal: &Path, args: &[&str]) -> Output {
    pc(args)
        .token()
        .base(&sim.base_url())
        .env("PARTNER_CENTER_JOURNAL", journal.to_str().unwrap())
        .run()
}

/// The journal's lines, as JSON.
fn lines(journal: &Path) -> Vec<Value> {
    std::fs::read_to_string(journal)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn upload_args<'a>(csv: &'a Path, batch: &'a str) -> Vec<&'a str> {
    vec![
        "devices",
        "upload",
        CUSTOMER,
        "--csv",
        csv.to_str().unwrap(),
        "--new-batch",
        batch,
        "--devices-per-request",
        "2",
    ]
}

#[test]
fn an_upload_left_behind_is_followed_later_by_jobs_wait() {
    let sim = quick_sim();
    let journal = fresh_journal();
    let csv = csv(&["LAB-1", "OTHER-2", "LAB-3"]);
    let upload = pc_at(&sim, &journal, &upload_args(&csv, "Lab 1"));
    upload.assert_code(0);

    // Each part: its sending line, then its accepted line, with the same request id,
    // which is the MS-RequestId the service saw first.
    let recorded = lines(&journal);
    let events: Vec<&str> = recorded
        .iter()
        .map(|l| l["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["sending", "accepted", "sending", "accepted"]);
    let sent_ids: Vec<String> = sim
        .request_log()
        .iter()
        .filter(|entry| entry.method == "POST")
        .map(|entry| entry.header("ms-requestid").unwrap().to_owned())
        .collect();
    assert_eq!(sent_ids.len(), 2);
    for (part, pair) in recorded.chunks(2).enumerate() {
        assert_eq!(pair[0]["requestId"], pair[1]["requestId"]);
        assert_eq!(pair[0]["requestId"], sent_ids[part].as_str());
        assert_eq!(pair[1]["part"], part + 1);
        assert_eq!(pair[1]["parts"], 2);
        assert_eq!(pair[1]["customerId"], CUSTOMER);
        assert_eq!(pair[1]["batchId"], "Lab 1");
        assert_eq!(pair[1]["baseUrl"], sim.base_url().trim_end_matches('/'));
        assert_eq!(pair[1]["csvFile"], csv.to_str().unwrap());
        // The tracking id was on stderr too.
        let tracking = pair[1]["trackingId"].as_str().unwrap();
        assert!(upload.stderr.contains(tracking), "{}", upload.stderr);
    }
    assert_eq!(
        recorded[1]["serialNumbers"],
        serde_json::json!(["LAB-1", "OTHER-2"])
    );
    assert_eq!(recorded[3]["serialNumbers"], serde_json::json!(["LAB-3"]));
    assert_eq!(recorded[0]["csvSha256"].as_str().unwrap().len(), 64);
    // No secret and no hardware hash in it.
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        !text.contains(TOKEN) && !text.contains("T0FCAAEA"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&journal), 0o600);
        assert_eq!(mode(journal.parent().unwrap()), 0o700);
    }

    // Later: what is pending, then followed to its end.
    let pending = pc_at(&sim, &journal, &["-o", "json", "jobs", "list", "--pending"]);
    pending.assert_code(0);
    let listed = pending.json();
    assert_eq!(listed["totalCount"], 2);
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|job| job["state"] == "pending")
    );
    let waited = pc_at(
        &sim,
        &journal,
        &[
            "-o",
            "json",
            "jobs",
            "wait",
            "--pending",
            "--poll-interval",
            "100ms",
        ],
    );
    waited.assert_code(3);
    let document = waited.json();
    let jobs = document["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(document["errors"], serde_json::json!([]));
    // In journal order, each with its details as the service sent them.
    assert_eq!(jobs[0]["part"], 1);
    assert_eq!(jobs[0]["details"]["status"], "finished_with_errors");
    assert_eq!(jobs[0]["details"]["devicesStatus"][1]["errorCode"], "808");
    assert_eq!(jobs[1]["details"]["status"], "finished");
    assert!(jobs.iter().all(|job| job["error"].is_null()));
    assert!(waited.stderr.contains("808"), "{}", waited.stderr);

    // The endings are recorded once, and the list says so.
    let finished: Vec<Value> = lines(&journal)
        .into_iter()
        .filter(|line| line["event"] == "finished")
        .collect();
    assert_eq!(finished.len(), 2);
    let failed = finished.iter().find(|line| line["failed"] == 1).unwrap();
    assert_eq!(
        failed["errors"],
        serde_json::json!([{"code": "808", "description": "ZtdDeviceAssignedToOtherTenant", "count": 1}])
    );
    let again = pc_at(&sim, &journal, &["jobs", "wait", "--pending"]);
    again.assert_code(0);
    assert_eq!(
        lines(&journal).len(),
        6,
        "nothing pending, nothing recorded"
    );
    let table = pc_at(&sim, &journal, &["jobs", "list"]);
    table.assert_code(0);
    assert!(
        table.stdout.contains("finished_with_errors"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("808:1"), "{}", table.stdout);
    assert!(table.stdout.contains("2 jobs"), "{}", table.stdout);
    // Acceptance times to the second for people; the journal keeps the fraction.
    let accepted_at = recorded[1]["acceptedAt"].as_str().unwrap();
    let (seconds, _) = accepted_at
        .split_once('.')
        .unwrap_or((accepted_at.trim_end_matches('Z'), ""));
    assert!(
        table.stdout.contains(&format!("{seconds}Z ")),
        "{}",
        table.stdout
    );
}

#[test]
fn a_journal_that_cannot_be_written_stops_the_upload_before_anything_is_sent() {
    let sim = quick_sim();
    let csv = csv(&["LAB-1"]);
    // A journal whose folder would be a file.
    let blocker = temp_file("not-a-folder", b"");
    let journal = blocker.join("jobs.jsonl");
    let out = pc_at(&sim, &journal, &upload_args(&csv, "Lab 2"));
    out.assert_code(2);
    assert!(out.stderr.contains("--journal off"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    #[cfg(unix)]
    {
        // A journal that is a symbolic link.
        let real = fresh_journal();
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(&real, b"").unwrap();
        let link = real.with_file_name("link.jsonl");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let out = pc_at(&sim, &link, &upload_args(&csv, "Lab 2"));
        out.assert_code(2);
        assert!(out.stderr.contains("link.jsonl"), "{}", out.stderr);
    }
    let posted = sim
        .request_log()
        .iter()
        .filter(|entry| entry.method == "POST")
        .count();
    assert_eq!(posted, 0, "nothing uploaded");
    // With --journal off, the same upload goes.
    let off = pc(&upload_args(&csv, "Lab 2"))
        .token()
        .base(&sim.base_url())
        .env("PARTNER_CENTER_JOURNAL", "off")
        .run();
    off.assert_code(0);
}

#[test]
fn the_same_csv_uploaded_again_warns_naming_the_earlier_jobs() {
    let sim = quick_sim();
    let journal = fresh_journal();
    let csv = csv(&["LAB-1"]);
    let first = pc_at(&sim, &journal, &upload_args(&csv, "Lab 3"));
    first.assert_code(0);
    assert!(
        !first.stderr.contains("already uploaded"),
        "{}",
        first.stderr
    );
    let tracking = lines(&journal)[1]["trackingId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut again = upload_args(&csv, "Lab 3");
    again[5] = "--batch";
    let second = pc_at(&sim, &journal, &again);
    second.assert_code(0);
    assert!(
        second.stderr.contains("already uploaded"),
        "{}",
        second.stderr
    );
    assert!(
        second
            .stderr
            .contains(&format!("{tracking} (pending, accepted ")),
        "{}",
        second.stderr
    );
    // Another batch is another upload.
    let other = pc_at(&sim, &journal, &upload_args(&csv, "Lab 4"));
    assert!(
        !other.stderr.contains("already uploaded"),
        "{}",
        other.stderr
    );
}

#[test]
fn batch_status_records_the_ending_of_a_journaled_job_and_jobs_show_reads_it() {
    let sim = quick_sim();
    let journal = fresh_journal();
    let csv = csv(&["LAB-1"]);
    pc_at(&sim, &journal, &upload_args(&csv, "Lab 5")).assert_code(0);
    let tracking = lines(&journal)[1]["trackingId"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = pc_at(
        &sim,
        &journal,
        &[
            "devices",
            "batch-status",
            CUSTOMER,
            &tracking,
            "--wait",
            "--poll-interval",
            "100ms",
        ],
    );
    status.assert_code(0);
    let recorded = lines(&journal);
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[2]["event"], "finished");
    assert_eq!(recorded[2]["status"], "finished");
    assert_eq!(recorded[2]["devices"], 1);
    // Asked again: recorded once.
    pc_at(
        &sim,
        &journal,
        &["devices", "batch-status", CUSTOMER, &tracking],
    )
    .assert_code(0);
    assert_eq!(lines(&journal).len(), 3);

    let shown = pc_at(&sim, &journal, &["-o", "json", "jobs", "show", &tracking]);
    shown.assert_code(0);
    let events: Vec<String> = shown.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events, ["sending", "accepted", "finished"]);
    let text = pc_at(&sim, &journal, &["jobs", "show", &tracking]);
    assert_eq!(text.stdout.lines().count(), 3, "{}", text.stdout);
}

#[test]
fn ids_the_journal_does_not_hold_or_may_not_poll_are_refused_sending_nothing() {
    let sim = quick_sim();
    let journal = fresh_journal();
    let unknown = "9d7c3a0e-1b2f-4c5d-8e9f-0a1b2c3d4e5f";
    for args in [&["jobs", "show", unknown][..], &["jobs", "wait", unknown]] {
        let out = pc_at(&sim, &journal, args);
        out.assert_code(2);
        assert!(out.stderr.contains(unknown), "{}", out.stderr);
    }
    // Neither ids nor --pending.
    pc_at(&sim, &journal, &["jobs", "wait"]).assert_code(2);
    // A job sent to another base URL is listed, never polled.
    pc_at(&sim, &journal, &upload_args(&csv(&["LAB-1"]), "Lab 6")).assert_code(0);
    let tracking = lines(&journal)[1]["trackingId"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = sim.request_log().len();
    let elsewhere = pc(&["jobs", "wait", &tracking])
        .token()
        .base("https://partner-center.invalid")
        .env("PARTNER_CENTER_JOURNAL", journal.to_str().unwrap())
        .run();
    elsewhere.assert_code(2);
    assert!(elsewhere.stderr.contains(&tracking), "{}", elsewhere.stderr);
    let skipped = pc(&["-o", "json", "jobs", "wait", "--pending"])
        .token()
        .base("https://partner-center.invalid")
        .env("PARTNER_CENTER_JOURNAL", journal.to_str().unwrap())
        .run();
    skipped.assert_code(0);
    assert_eq!(
        skipped.json(),
        serde_json::json!({"jobs": [], "errors": []})
    );
    assert!(
        skipped.stderr.contains(&format!("skipped job {tracking}")),
        "{}",
        skipped.stderr
    );
    assert_eq!(sim.request_log().len(), before, "nothing sent");
    let listed = pc_at(&sim, &journal, &["-o", "json", "jobs", "list"]);
    assert_eq!(listed.json()["totalCount"], 1);
}

#[test]
fn prune_drops_what_ended_and_forgets_a_base_url() {
    let sim = quick_sim();
    let journal = fresh_journal();
    pc_at(&sim, &journal, &upload_args(&csv(&["LAB-1"]), "Lab 7")).assert_code(0);
    pc_at(&sim, &journal, &["jobs", "prune"]).assert_code(2);
    // Pending jobs of this base URL are never pruned by age.
    let kept = pc_at(
        &sim,
        &journal,
        &["-o", "json", "jobs", "prune", "--older-than", "1ms"],
    );
    kept.assert_code(0);
    assert_eq!(kept.json(), serde_json::json!({"dropped": 0, "kept": 1}));
    let forgotten = pc_at(
        &sim,
        &journal,
        &[
            "-o",
            "json",
            "jobs",
            "prune",
            "--forget-base-url",
            &sim.base_url().to_uppercase(),
        ],
    );
    forgotten.assert_code(0);
    assert_eq!(
        forgotten.json(),
        serde_json::json!({"dropped": 1, "kept": 0})
    );
    let listed = pc_at(&sim, &journal, &["-o", "json", "jobs", "list"]);
    assert_eq!(listed.json()["totalCount"], 0);
}

/// Concurrent uploads into one journal, some killed (`SIGKILL`) at random moments:
/// no line is torn or interleaved, every POST the service answered was journaled as
/// sent first, and every tracking id a process named was journaled as accepted before
/// (lost: 0). `PC_CRASH_ROUNDS` sets the rounds (default 3); the figures go to stderr.
#[cfg(unix)]
#[test]
fn uploads_killed_at_random_into_one_journal_lose_no_accepted_part() {
    use std::io::Read;
    use std::process::{Command, Stdio};

    let rounds: u64 = std::env::var("PC_CRASH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(3);
    let sim = pc_sim::spawn(pc_sim::SimConfig {
        queue_time: Duration::from_millis(30),
        process_time: Duration::from_millis(30),
        faults: pc_sim::FaultConfig {
            rate: 0.5,
            kinds: vec![pc_sim::FaultKind::Latency],
            latency: Duration::from_millis(15),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    let journal = fresh_journal();
    let csv = csv(&["K-1", "K-2", "K-3", "K-4", "K-5", "K-6"]);
    let (mut kills, mut named) = (0, Vec::new());
    for round in 0..rounds {
        let mut children: Vec<_> = (0..4)
            .map(|index| {
                Command::new(PC)
                    .env_clear()
                    .env("PARTNER_CENTER_ACCESS_TOKEN", TOKEN)
                    .env("PARTNER_CENTER_BASE_URL", sim.base_url())
                    .env("PARTNER_CENTER_JOURNAL", &journal)
                    .args(["devices", "upload", CUSTOMER, "--devices-per-request", "1"])
                    .args(["--csv", csv.to_str().unwrap()])
                    .args(["--new-batch", &format!("crash {round}-{index}")])
                    .args([
                        "--wait",
                        "--poll-interval",
                        "20ms",
                        "--allow-error-codes",
                        "806",
                    ])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        // Two of the four are killed, each at its own moment of the upload.
        for (index, child) in children.iter_mut().enumerate().take(2) {
            let at = (round * 37 + index as u64 * 53) % 120;
            std::thread::sleep(Duration::from_millis(at));
            child.kill().unwrap();
            kills += 1;
        }
        for mut child in children {
            let status = child.wait().unwrap();
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            assert!(
                status.code().is_none_or(|code| code == 0),
                "{status:?}: {stderr}"
            );
            named.extend(
                stderr
                    .split("tracking id ")
                    .skip(1)
                    .filter_map(|rest| rest.split_whitespace().next().map(str::to_owned)),
            );
        }
    }
    let text = std::fs::read_to_string(&journal).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("torn line {line:?}: {e}"))
        })
        .collect();
    let of = |event: &str, key: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|line| line["event"] == event)
            .map(|line| line[key].as_str().unwrap().to_owned())
            .collect()
    };
    let (sent, accepted) = (of("sending", "requestId"), of("accepted", "trackingId"));
    let answered: Vec<String> = sim
        .request_log()
        .iter()
        .filter(|entry| entry.method == "POST" && entry.status == Some(202))
        .map(|entry| entry.header("ms-requestid").unwrap().to_owned())
        .collect();
    let unsent: Vec<&String> = answered.iter().filter(|id| !sent.contains(id)).collect();
    assert!(
        unsent.is_empty(),
        "answered but never journaled as sent: {unsent:?}"
    );
    let lost: Vec<&String> = named.iter().filter(|id| !accepted.contains(id)).collect();
    assert!(lost.is_empty(), "named but not journaled: {lost:?}");
    eprintln!(
        "rounds {rounds}, processes {}, kills {kills}, lines {}, sent {}, answered {}, \
         accepted {}, named {}, unknown {}, torn 0, lost 0",
        rounds * 4,
        lines.len(),
        sent.len(),
        answered.len(),
        accepted.len(),
        named.len(),
        sent.len() - of("accepted", "requestId").len()
    );
}

/// Eight `pc` processes upload 50 parts each into one journal at once: every line
/// whole, 400 `accepted` lines, each process's parts in order.
#[test]
fn eight_processes_appending_at_once_leave_every_line_whole() {
    use std::process::{Command, Stdio};

    let sim = quick_sim();
    let journal = fresh_journal();
    let serials: Vec<String> = (0..50).map(|index| format!("P-{index:02}")).collect();
    let csv = csv(&serials.iter().map(String::as_str).collect::<Vec<_>>());
    let children: Vec<_> = (0..8)
        .map(|index| {
            Command::new(PC)
                .env_clear()
                .env("PARTNER_CENTER_ACCESS_TOKEN", TOKEN)
                .env("PARTNER_CENTER_BASE_URL", sim.base_url())
                .env("PARTNER_CENTER_JOURNAL", &journal)
                .args(["devices", "upload", CUSTOMER, "--devices-per-request", "1"])
                .args(["--csv", csv.to_str().unwrap()])
                .args(["--new-batch", &format!("together {index}")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let recorded = lines(&journal);
    let accepted: Vec<&Value> = recorded
        .iter()
        .filter(|line| line["event"] == "accepted")
        .collect();
    assert_eq!(accepted.len(), 400);
    assert_eq!(recorded.len(), 800);
    for index in 0..8 {
        let batch = format!("together {index}");
        let parts: Vec<u64> = accepted
            .iter()
            .filter(|line| line["batchId"] == batch.as_str())
            .map(|line| line["part"].as_u64().unwrap())
            .collect();
        assert_eq!(parts, (1..=50).collect::<Vec<u64>>(), "{batch}");
    }
}

/// A journal holding one accepted job of `base` (accepted now), as an upload writes it.
fn journal_with_job(base: &str) -> PathBuf {
    let journal = fresh_journal();
    std::fs::create_dir_all(journal.parent().unwrap()).unwrap();
    let now = {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        pc_models::UtcDateTime::from_unix_seconds(since.as_secs() as i64).to_string()
    };
    let accepted = serde_json::json!({
        "event": "accepted", "trackingId": TRACKING, "customerId": CUSTOMER,
        "batchId": "Lab 8", "devices": 1, "serialNumbers": ["LAB-1"],
        "csvSha256": "00", "csvFile": "/lab.csv", "part": 1, "parts": 1,
        "acceptedAt": now, "baseUrl": base, "partnerTenant": null,
        "correlationId": "c", "requestId": "r-1"
    });
    std::fs::write(&journal, format!("{accepted}\n")).unwrap();
    journal
}

#[test]
fn jobs_wait_polls_again_a_404_within_the_grace_from_the_acceptance() {
    let finished = format!(
        r#"{{"batchTrackingId":"{TRACKING}","status":"finished","devicesStatus":[{{"serialNumber":"LAB-1","status":"finished"}}]}}"#
    );
    let server = Scripted::start(vec![
        Reply::json(404, &[], r#"{"code":600,"description":"not known yet"}"#),
        Reply::json(404, &[], r#"{"code":600,"description":"not known yet"}"#),
        Reply::json(200, &[], &finished),
    ]);
    let journal = journal_with_job(&server.url);
    let out = pc(&[
        "-o",
        "json",
        "jobs",
        "wait",
        TRACKING,
        "--poll-interval",
        "50ms",
    ])
    .token()
    .base(&server.url)
    .env("PARTNER_CENTER_JOURNAL", journal.to_str().unwrap())
    .run();
    out.assert_code(0);
    assert_eq!(out.json()["jobs"][0]["details"]["status"], "finished");
    let recorded = lines(&journal);
    assert_eq!(recorded.last().unwrap()["event"], "finished");

    // Once the grace has passed since the acceptance, a 404 is the job's ending.
    let server = Scripted::start(vec![Reply::json(
        404,
        &[],
        r#"{"code":600,"description":"gone"}"#,
    )]);
    let journal = journal_with_job(&server.url);
    let out = pc(&[
        "-o",
        "json",
        "jobs",
        "wait",
        TRACKING,
        "--not-found-grace",
        "0s",
    ])
    .token()
    .base(&server.url)
    .env("PARTNER_CENTER_JOURNAL", journal.to_str().unwrap())
    .run();
    out.assert_code(4);
    let document = out.json();
    assert_eq!(document["jobs"][0]["details"], Value::Null);
    assert_eq!(document["jobs"][0]["error"]["status"], 404);
    let ending = lines(&journal).pop().unwrap();
    assert_eq!(ending["status"], "not_found");
    assert_eq!(ending["failed"], Value::Null);
}
