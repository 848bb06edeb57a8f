//! The Autopilot CSV import as `pc devices upload` reports it.

use crate::support::*;

fn upload(server_url: &str, csv: &std::path::Path) -> Output {
    pc(&[
        "-o",
        "json",
        "devices",
        "upload",
        CUSTOMER,
        "--new-batch",
        "CSV",
        "--csv",
        csv.to_str().unwrap(),
    ])
    .token()
    .base(server_url)
    .run()
}

#[test]
fn a_bad_file_reports_every_bad_line_and_sends_nothing() {
    let server = Scripted::start(vec![]);
    let out = upload(&server.url, &fixture("bad.csv"));
    out.assert_code(2);
    assert!(out.stdout.is_empty());
    assert!(server.seen().is_empty());
    insta::assert_snapshot!(
        "bad_csv",
        out.stderr.replace(env!("CARGO_MANIFEST_DIR"), "[dir]")
    );
}

#[test]
fn a_bad_file_is_refused_even_without_credentials() {
    let out = pc(&["devices", "upload", CUSTOMER, "--new-batch", "CSV", "--csv"])
        .args(&[fixture("bad.csv").to_str().unwrap()])
        .run();
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("line 3: the hardware hash is not valid base64"),
        "{}",
        out.stderr
    );
}

#[test]
fn missing_files_and_empty_files_exit_2() {
    let out = upload(
        "http://127.0.0.1:9",
        std::path::Path::new("/nonexistent/devices.csv"),
    );
    out.assert_code(2);
    assert!(
        out.stderr.contains("/nonexistent/devices.csv"),
        "{}",
        out.stderr
    );
    let empty = temp_file(
        "empty.csv",
        b"Device Serial Number,Windows Product ID,Hardware Hash\n",
    );
    let out = upload("http://127.0.0.1:9", &empty);
    out.assert_code(2);
    assert!(out.stderr.contains("no device rows"), "{}", out.stderr);
    let utf16_without_bom = temp_file("nobom.csv", b"D\0e\0v\0");
    let out = upload("http://127.0.0.1:9", &utf16_without_bom);
    out.assert_code(2);
    assert!(
        out.stderr.contains("line 1: the file holds NUL bytes"),
        "{}",
        out.stderr
    );
}

#[test]
fn utf16_and_partner_files_upload_every_device() {
    let sim = sim(0, 0);
    for (name, serials) in [
        ("utf16le.csv", &["PF1ABCDE", "PF2BCDEF", "PF3CDEFG"][..]),
        ("utf16be.csv", &["PF1ABCDE", "PF2BCDEF", "PF3CDEFG"]),
        ("partner-bom.csv", &["SN-100", "SN-101", "SN-102"]),
    ] {
        let out = pc(&[
            "-o",
            "json",
            "devices",
            "upload",
            CUSTOMER,
            "--new-batch",
            name,
            "--csv",
        ])
        .args(&[
            fixture(name).to_str().unwrap(),
            "--wait",
            "--poll-interval",
            "10ms",
        ])
        .args(&["--allow-error-codes", "806"])
        .token()
        .base(&sim.base_url())
        .run();
        out.assert_code(0);
        let json = out.json();
        let sent: Vec<&str> = json["devicesStatus"]
            .as_array()
            .unwrap()
            .iter()
            .map(|device| device["serialNumber"].as_str().unwrap())
            .collect();
        assert_eq!(sent, serials, "{name}");
        if name == "partner-bom.csv" {
            assert!(
                out.stderr
                    .contains("warning: Group Tag and Assigned User are read but not sent"),
                "{}",
                out.stderr
            );
        }
    }
    let posted = sim
        .request_log()
        .into_iter()
        .find(|entry| entry.method == "POST" && entry.body.contains("SN-100"))
        .unwrap();
    assert!(
        posted.body.contains(r#""oemManufacturerName":"Contoso""#),
        "{}",
        posted.body
    );
    assert!(
        posted.body.contains(r#""modelName":"Laptop 9""#),
        "{}",
        posted.body
    );
    assert!(!posted.body.contains("Sales"), "{}", posted.body);
}

#[test]
fn rows_repeated_by_append_are_sent_once_with_a_warning() {
    let sim = sim(0, 0);
    let text = "Device Serial Number,Windows Product ID,Hardware Hash\r\nSN-1,,T0FCAAEA\r\nSN-2,,T0FCAAEA\r\nSN-1,,T0FCAAEA\r\n";
    let csv = temp_file("append.csv", text.as_bytes());
    let out = pc(&[
        "-o",
        "json",
        "devices",
        "upload",
        CUSTOMER,
        "--new-batch",
        "Append",
        "--csv",
    ])
    .args(&[csv.to_str().unwrap(), "--wait", "--poll-interval", "10ms"])
    .token()
    .base(&sim.base_url())
    .run();
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("warning: line 4: repeats line 2 exactly; the device is sent once"),
        "{}",
        out.stderr
    );
    assert_eq!(out.json()["devicesStatus"].as_array().unwrap().len(), 2);
}

#[test]
fn devices_per_request_is_bounded_and_a_target_is_required() {
    let csv = fixture("get-windowsautopilotinfo.csv");
    for extra in [
        &["--new-batch", "X", "--devices-per-request", "0"][..],
        &["--new-batch", "X", "--devices-per-request", "10001"],
        &[],
        &["--new-batch", "X", "--batch", "Y"],
        &["--new-batch", ".."],
    ] {
        let out = pc(&[
            "devices",
            "upload",
            CUSTOMER,
            "--csv",
            csv.to_str().unwrap(),
        ])
        .args(extra)
        .token()
        .run();
        out.assert_code(2);
    }
}
