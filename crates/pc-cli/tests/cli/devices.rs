//! Every command against the simulator.

use crate::support::*;

/// A CSV of `count` devices with serials `{prefix}-{index}`.
fn csv_of(prefix: &str, count: usize) -> std::path::PathBuf {
    let mut text = String::from("Device Serial Number,Windows Product ID,Hardware Hash\n");
    for index in 0..count {
        text.push_str(&format!("{prefix}-{index:04},,T0FCAAEA\n"));
    }
    temp_file("devices.csv", text.as_bytes())
}

/// Uploads `csv` as a new batch without waiting; answers the tracking id.
fn upload(base: &str, batch: &str, csv: &std::path::Path) -> String {
    let out = pc(&[
        "-o",
        "json",
        "devices",
        "upload",
        CUSTOMER,
        "--new-batch",
        batch,
        "--csv",
    ])
    .args(&[csv.to_str().unwrap()])
    .token()
    .base(base)
    .run();
    out.assert_code(0);
    let json = out.json();
    assert!(
        json["location"]
            .as_str()
            .unwrap()
            .ends_with(json["trackingId"].as_str().unwrap())
    );
    assert!(
        out.stderr.contains(json["trackingId"].as_str().unwrap()),
        "{}",
        out.stderr
    );
    json["trackingId"].as_str().unwrap().to_owned()
}

#[test]
fn batch_status_with_and_without_wait_in_both_formats() {
    let sim = sim(150, 150);
    let csv = fixture("get-windowsautopilotinfo.csv");
    let tracking = upload(&sim.base_url(), "Lab 1", &csv);
    // Right away: queued, not terminal, nothing failed yet.
    let out = pc(&["-o", "json", "devices", "batch-status", CUSTOMER, &tracking])
        .token()
        .base(&sim.base_url())
        .run();
    out.assert_code(0);
    assert_eq!(out.json()["status"], "queued");
    let out = pc(&[
        "devices",
        "batch-status",
        CUSTOMER,
        &tracking,
        "--wait",
        "--poll-interval",
        "20ms",
    ])
    .token()
    .base(&sim.base_url())
    .run();
    out.assert_code(0);
    assert!(
        out.stdout
            .starts_with(&format!("Batch {tracking}: finished\n")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("3 devices: 3 finished, 0 failed"),
        "{}",
        out.stdout
    );
    // Progress only on a terminal: stderr is quiet here.
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    // Each poll a new MS-RequestId under one MS-CorrelationId.
    let polls: Vec<_> = sim
        .request_log()
        .into_iter()
        .filter(|entry| entry.method == "GET")
        .skip(1)
        .collect();
    assert!(polls.len() >= 2, "{polls:?}");
    let correlation = polls[0].header("MS-CorrelationId").unwrap().to_owned();
    let mut ids: Vec<&str> = polls
        .iter()
        .map(|poll| poll.header("MS-RequestId").unwrap())
        .collect();
    assert!(
        polls
            .iter()
            .all(|poll| poll.header("MS-CorrelationId") == Some(&correlation))
    );
    ids.dedup();
    assert_eq!(ids.len(), polls.len());
}

#[test]
fn a_failed_device_exits_3_unless_its_code_is_allowed() {
    let sim = sim(0, 0);
    let text = "Device Serial Number,Windows Product ID,Hardware Hash\nSN-1,,T0FCAAEA\nOTHER-2,,T0FCAAEA\n";
    let csv = temp_file("other.csv", text.as_bytes());
    let tracking = upload(&sim.base_url(), "Lab 808", &csv);
    let wait = ["--wait", "--poll-interval", "10ms"];
    let out = pc(&["devices", "batch-status", CUSTOMER, &tracking])
        .args(&wait)
        .token()
        .base(&sim.base_url())
        .run();
    out.assert_code(3);
    assert!(out.stdout.contains("OTHER-2"), "{}", out.stdout);
    assert!(
        out.stdout.contains("must deregister it first"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("--allow-error-codes 808"),
        "{}",
        out.stderr
    );
    for allow in ["808", "ZtdDeviceAssignedToOtherTenant", "806,808"] {
        let out = pc(&["-o", "json", "devices", "batch-status", CUSTOMER, &tracking])
            .args(&["--allow-error-codes", allow])
            .token()
            .base(&sim.base_url())
            .run();
        out.assert_code(0);
        assert_eq!(out.json()["status"], "finished_with_errors");
    }
}

#[test]
fn upload_wait_rerun_with_806_allowed_stays_green() {
    let sim = sim(0, 0);
    let csv = csv_of("RERUN", 3);
    let args = [
        "-o",
        "json",
        "devices",
        "upload",
        CUSTOMER,
        "--csv",
        csv.to_str().unwrap(),
    ];
    let first = pc(&args)
        .args(&["--new-batch", "Rerun", "--wait", "--poll-interval", "10ms"])
        .token()
        .base(&sim.base_url())
        .run();
    first.assert_code(0);
    assert_eq!(first.json()["status"], "finished");
    let again = pc(&args)
        .args(&["--batch", "Rerun", "--wait", "--poll-interval", "10ms"])
        .token()
        .base(&sim.base_url())
        .run();
    again.assert_code(3);
    assert_eq!(again.json()["devicesStatus"][0]["errorCode"], "806");
    let allowed = pc(&args)
        .args(&[
            "--batch",
            "Rerun",
            "--wait",
            "--poll-interval",
            "10ms",
            "--allow-error-codes",
            "806",
        ])
        .token()
        .base(&sim.base_url())
        .run();
    allowed.assert_code(0);
}

#[test]
fn the_wait_timeout_exits_6_with_the_last_details_and_the_tracking_id() {
    let sim = sim(30_000, 0);
    let tracking = upload(
        &sim.base_url(),
        "Slow",
        &fixture("get-windowsautopilotinfo.csv"),
    );
    let out = pc(&["-o", "json", "devices", "batch-status", CUSTOMER, &tracking])
        .args(&[
            "--wait",
            "--poll-interval",
            "50ms",
            "--wait-timeout",
            "300ms",
        ])
        .token()
        .base(&sim.base_url())
        .run();
    out.assert_code(6);
    assert_eq!(out.json()["status"], "queued");
    assert!(out.stderr.contains(&tracking), "{}", out.stderr);
    // How long it waited, as a duration is written: at least the 300ms asked for.
    let waited = out
        .stderr
        .split("after waiting ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("{}", out.stderr));
    let at_least_asked = match waited.strip_suffix("ms") {
        Some(millis) => millis.parse::<u64>().is_ok_and(|millis| millis >= 300),
        None => waited.ends_with('s') && !waited.starts_with('0'),
    };
    assert!(at_least_asked, "{}", out.stderr);
    assert!(out.elapsed.as_secs() < 20, "{:?}", out.elapsed);
    // In table mode the last table is printed.
    let out = pc(&["devices", "batch-status", CUSTOMER, &tracking])
        .args(&[
            "--wait",
            "--poll-interval",
            "50ms",
            "--wait-timeout",
            "100ms",
        ])
        .token()
        .base(&sim.base_url())
        .run();
    out.assert_code(6);
    assert!(
        out.stdout.starts_with(&format!("Batch {tracking}: queued")),
        "{}",
        out.stdout
    );
    // An upload's wait names the tracking id on stderr too.
    let out = pc(&[
        "-o",
        "json",
        "devices",
        "upload",
        CUSTOMER,
        "--new-batch",
        "Slow 2",
        "--csv",
    ])
    .args(&[fixture("get-windowsautopilotinfo.csv").to_str().unwrap()])
    .args(&[
        "--wait",
        "--poll-interval",
        "50ms",
        "--wait-timeout",
        "200ms",
    ])
    .token()
    .base(&sim.base_url())
    .run();
    out.assert_code(6);
    let tracking = out.json()["batchTrackingId"].as_str().unwrap().to_owned();
    assert!(out.stderr.matches(&tracking).count() >= 2, "{}", out.stderr);
}

#[test]
fn listings_follow_every_page_and_delete_removes_a_device() {
    let sim = sim(0, 0);
    let csv = csv_of("PAGE", 250);
    let out = pc(&[
        "-o",
        "json",
        "devices",
        "upload",
        CUSTOMER,
        "--new-batch",
        "Lab A/1 #2",
        "--csv",
    ])
    .args(&[csv.to_str().unwrap(), "--wait", "--poll-interval", "10ms"])
    .token()
    .base(&sim.base_url())
    .run();
    out.assert_code(0);
    let list = pc(&["-o", "json", "devices", "list", CUSTOMER, "Lab A/1 #2"])
        .token()
        .base(&sim.base_url())
        .run();
    list.assert_code(0);
    let json = list.json();
    assert_eq!(json["totalCount"], 250);
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 250);
    assert_eq!(items[249]["serialNumber"], "PAGE-0249");
    let pages = sim
        .request_log()
        .iter()
        .filter(|entry| entry.method == "GET" && entry.path.ends_with("/devices"))
        .count();
    assert_eq!(pages, 3);

    let batches = pc(&["-o", "json", "devices", "batches", CUSTOMER])
        .token()
        .base(&sim.base_url())
        .run();
    batches.assert_code(0);
    assert_eq!(batches.json()["items"][0]["id"], "Lab A/1 #2");
    let table = pc(&["devices", "batches", CUSTOMER])
        .token()
        .base(&sim.base_url())
        .run();
    table.assert_code(0);
    assert!(table.stdout.starts_with("BATCH"), "{}", table.stdout);
    assert!(table.stdout.contains("Lab A/1 #2  250"), "{}", table.stdout);

    let device = items[0]["id"].as_str().unwrap().to_owned();
    let out = pc(&[
        "-o",
        "json",
        "devices",
        "delete",
        CUSTOMER,
        "Lab A/1 #2",
        &device,
    ])
    .token()
    .base(&sim.base_url())
    .run();
    out.assert_code(0);
    assert_eq!(
        out.json(),
        serde_json::json!({"batchId": "Lab A/1 #2", "deviceId": device, "deleted": true})
    );
    let out = pc(&["devices", "delete", CUSTOMER, "Lab A/1 #2", &device])
        .token()
        .base(&sim.base_url())
        .run();
    out.assert_code(4);
    assert!(out.stderr.contains("404"), "{}", out.stderr);
    let list = pc(&["devices", "list", CUSTOMER, "Lab A/1 #2"])
        .token()
        .base(&sim.base_url())
        .run();
    list.assert_code(0);
    assert!(list.stdout.ends_with("249 devices\n"), "{}", list.stdout);
}

#[test]
fn an_upload_in_parts_reports_every_part() {
    let sim = sim(0, 0);
    let csv = csv_of("PART", 25);
    let args = [
        "devices",
        "upload",
        CUSTOMER,
        "--csv",
        csv.to_str().unwrap(),
        "--devices-per-request",
        "10",
    ];
    let out = pc(&["-o", "json"])
        .args(&args)
        .args(&["--new-batch", "Parts"])
        .token()
        .base(&sim.base_url())
        .run();
    out.assert_code(0);
    let json = out.json();
    assert!(json.get("trackingId").is_none());
    let parts = json["parts"].as_array().unwrap();
    let counts: Vec<u64> = parts
        .iter()
        .map(|part| part["devices"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [10, 10, 5]);
    for part in parts {
        assert!(out.stderr.contains(part["trackingId"].as_str().unwrap()));
    }
    let posts: Vec<String> = sim
        .request_log()
        .iter()
        .filter(|entry| entry.method == "POST")
        .map(|entry| entry.path.clone())
        .collect();
    assert_eq!(posts.len(), 3);
    assert!(posts[0].ends_with("/deviceBatches"));
    assert!(posts[1].ends_with("/deviceBatches/Parts/devices"));

    // With --wait: each part's details, in order; the re-run's 806s are allowed.
    let out = pc(&["-o", "json"])
        .args(&args)
        .args(&[
            "--batch",
            "Parts",
            "--wait",
            "--poll-interval",
            "10ms",
            "--allow-error-codes",
            "806",
        ])
        .token()
        .base(&sim.base_url())
        .run();
    out.assert_code(0);
    let parts = out.json()["parts"].as_array().unwrap().clone();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[2]["devicesStatus"].as_array().unwrap().len(), 5);
    assert_eq!(parts[0]["devicesStatus"][0]["errorCode"], "806");
    // The table names each part; without the allowance the exit is 3.
    let out = pc(&args)
        .args(&["--batch", "Parts", "--wait", "--poll-interval", "10ms"])
        .token()
        .base(&sim.base_url())
        .run();
    out.assert_code(3);
    assert!(out.stdout.starts_with("Part 1/3\n"), "{}", out.stdout);
    assert!(out.stdout.contains("\nPart 3/3\n"), "{}", out.stdout);
    // Without --wait, the table lists the parts.
    let out = pc(&args)
        .args(&["--new-batch", "Parts table"])
        .token()
        .base(&sim.base_url())
        .run();
    out.assert_code(0);
    assert!(
        out.stdout.starts_with("PART  TRACKING ID"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_demo_runs_as_intended() {
    let out = pc(&["demo"]).run();
    out.assert_code(0);
    assert!(out.stdout.contains("OTHER-0003"), "{}", out.stdout);
    assert!(out.stdout.contains("808"), "{}", out.stdout);
    assert!(out.stdout.contains("806"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("nothing to do: the device is already registered here")
    );
    assert!(out.stderr.contains("registered first"), "{}", out.stderr);
    insta::assert_snapshot!("demo_table", redact(&out.stdout));
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = pc(&["completions", shell]).run();
        out.assert_code(0);
        assert!(out.stdout.contains("batch-status"), "{shell}");
        assert!(out.stdout.contains("allow-error-codes"), "{shell}");
    }
    pc(&["completions", "tcsh"]).run().assert_code(2);
}

#[test]
fn version_prints_the_name_and_version() {
    let out = pc(&["--version"]).run();
    out.assert_code(0);
    assert_eq!(out.stdout, format!("pc {}\n", env!("CARGO_PKG_VERSION")));
}
