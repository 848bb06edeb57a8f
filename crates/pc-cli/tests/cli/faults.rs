//! Exact faults from scripted servers: throttling, 5xx, 404, timeouts, malformed and
//! truncated answers, a 50,000-device batch.

use std::time::Duration;

use crate::support::*;

fn status(server: &Scripted, extra: &[&str]) -> Output {
    pc(&["devices", "batch-status", CUSTOMER, TRACKING])
        .args(extra)
        .token()
        .base(&server.url)
        .run()
}

const FINISHED: &str = r#"{"batchTrackingId":"0127ed8e-ff72-4983-a3d8-e8d8bd378932","status":"finished","devicesStatus":[{"serialNumber":"SN-1","status":"finished","errorCode":""}]}"#;

#[test]
fn a_429_with_retry_after_is_retried_with_the_same_request_id() {
    let server = Scripted::start(vec![
        Reply::json(
            429,
            &[("Retry-After", "1")],
            r#"{"statusCode":429,"message":"Rate limit is exceeded. Try again in 1 seconds."}"#,
        ),
        Reply::json(200, &[], FINISHED),
    ]);
    let out = status(&server, &["-o", "json"]);
    out.assert_code(0);
    assert!(out.elapsed >= Duration::from_secs(1), "{:?}", out.elapsed);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].header("MS-RequestId"),
        seen[1].header("MS-RequestId")
    );
    assert_eq!(
        seen[0].header("MS-CorrelationId"),
        seen[1].header("MS-CorrelationId")
    );
}

#[test]
fn five_hundreds_are_retried_until_the_retries_run_out() {
    let server = Scripted::start(vec![
        Reply::json(503, &[("MS-RequestId", "r-1")], "{}"),
        Reply::json(500, &[], "{}"),
        Reply::json(
            502,
            &[("MS-RequestId", "r-3")],
            r#"{"code":"2001","description":"Backend unavailable"}"#,
        ),
    ]);
    let out = status(&server, &["-o", "json", "--max-retries", "2"]);
    out.assert_code(4);
    assert!(out.stdout.is_empty());
    assert_eq!(server.seen().len(), 3);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    for part in [
        "502",
        "2001",
        "Backend unavailable",
        "MS-RequestId r-3",
        "MS-CorrelationId",
        "3 attempts",
    ] {
        assert!(out.stderr.contains(part), "{part}: {}", out.stderr);
    }
}

#[test]
fn a_404_is_not_retried_and_the_error_names_everything_support_needs() {
    let server = Scripted::start(vec![Reply::json(
        404,
        &[
            ("MS-RequestId", "11111111-2222-3333-4444-555555555555"),
            ("MS-CorrelationId", "66666666-7777-8888-9999-000000000000"),
        ],
        r#"{"code":600,"description":"The batch was not found","data":[],"source":"PartnerFD"}"#,
    )]);
    let out = status(&server, &[]);
    out.assert_code(4);
    assert_eq!(server.seen().len(), 1);
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!("error_404", redact(&out.stderr));
}

#[test]
fn hints_for_401_403_and_429() {
    for (code, hint) in [
        (401, "the token was refused"),
        (403, "the credentials lack the right"),
        (429, "raise --max-retry-after"),
    ] {
        let server = Scripted::start(vec![Reply::json(code, &[("Retry-After", "1")], "{}")]);
        let out = status(&server, &["--max-retries", "0"]);
        out.assert_code(4);
        assert!(
            out.stderr.contains(&format!("HTTP {code}")),
            "{}",
            out.stderr
        );
        let hint_line = out
            .stderr
            .lines()
            .find(|line| line.starts_with("hint: "))
            .unwrap_or_default();
        assert!(hint_line.contains(hint), "{code}: {}", out.stderr);
    }
}

#[test]
fn a_retry_after_beyond_max_retry_after_is_not_slept_through() {
    let server = Scripted::start(vec![
        Reply::json(429, &[("Retry-After", "30")], "{}"),
        Reply::json(429, &[("Retry-After", "30")], "{}"),
    ]);
    let out = status(
        &server,
        &["--max-retry-after", "200ms", "--max-retries", "1"],
    );
    out.assert_code(4);
    assert!(out.elapsed < Duration::from_secs(15), "{:?}", out.elapsed);
    assert!(out.stderr.contains("Retry-After 30s"), "{}", out.stderr);
}

#[test]
fn a_retry_after_past_the_wait_deadline_ends_the_wait_with_6() {
    let queued = r#"{"status":"queued","devicesStatus":[]}"#;
    let server = Scripted::start(vec![
        Reply::json(200, &[], queued),
        Reply::json(429, &[("Retry-After", "60")], "{}"),
    ]);
    let out = status(
        &server,
        &[
            "-o",
            "json",
            "--wait",
            "--poll-interval",
            "10ms",
            "--wait-timeout",
            "1s",
        ],
    );
    out.assert_code(6);
    assert!(out.elapsed < Duration::from_secs(15), "{:?}", out.elapsed);
    assert_eq!(out.json()["status"], "queued");
    assert!(out.stderr.contains(TRACKING), "{}", out.stderr);
}

#[test]
fn a_silent_server_times_out_with_5() {
    let server = Scripted::start(vec![Reply::Silence(Duration::from_secs(5))]);
    let out = status(
        &server,
        &["-o", "json", "--timeout", "200ms", "--max-retries", "0"],
    );
    out.assert_code(5);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
}

#[test]
fn malformed_and_truncated_answers_exit_5_with_nothing_on_stdout() {
    for (reply, what) in [
        (
            Reply::json(200, &[], "this is not JSON"),
            "could not be read",
        ),
        (Reply::json(200, &[], "[1, 2]"), "BatchUploadDetails"),
        (Reply::json(200, &[], ""), "empty"),
        (
            Reply::json(200, &[], "{\u{201c}status\u{201d}: 1}"),
            "could not be read",
        ),
        (Reply::truncated(r#"{"status":"fini"#), "cut short"),
    ] {
        for format in ["json", "table"] {
            let server = Scripted::start(vec![reply.clone()]);
            let out = status(&server, &["-o", format, "--max-retries", "0"]);
            out.assert_code(5);
            assert!(out.stdout.is_empty(), "{}", out.stdout);
            assert!(out.stderr.contains(what), "{what}: {}", out.stderr);
        }
    }
}

#[test]
fn json_output_is_the_service_document_without_its_bom() {
    let document = r#"{"batchTrackingId":"{0127ED8E-FF72-4983-A3D8-E8D8BD378932}","status":"Finished","startedTime":"2017-07-25T10:00:00","newField":{"x":[1,2.50,null]},"devicesStatus":[{"serialNumber":"S","status":"finished","errorCode":null,"errorDescription":null," attributes":{}}]}"#;
    let mut body = pc_models::UTF8_BOM.to_vec();
    body.extend_from_slice(document.as_bytes());
    let server = Scripted::start(vec![Reply::bytes(200, &[], &body)]);
    let out = status(&server, &["-o", "json"]);
    out.assert_code(0);
    assert_eq!(out.stdout.trim_end(), document);
}

#[test]
fn a_50000_device_batch_in_json_and_table() {
    let document = batch_document(50_000);
    let server = Scripted::start(vec![
        Reply::json(200, &[], &document),
        Reply::json(200, &[], &document),
    ]);
    let out = status(&server, &["-o", "json"]);
    out.assert_code(3);
    assert_eq!(out.stdout.trim_end(), document);
    assert!(
        out.stderr.contains("5000 devices failed (error 808)"),
        "{}",
        out.stderr
    );
    let out = status(&server, &["--allow-error-codes", "808"]);
    out.assert_code(0);
    assert_eq!(out.stdout.lines().count(), 4 + 1 + 50_000);
    assert!(
        out.stdout
            .contains("50000 devices: 45000 finished, 5000 failed (5000 allowed)")
    );
}

#[test]
fn an_accepted_upload_without_a_tracking_id_exits_5() {
    let server = Scripted::start(vec![Reply::json(202, &[], "")]);
    let csv = fixture("get-windowsautopilotinfo.csv");
    let out = pc(&[
        "devices",
        "upload",
        CUSTOMER,
        "--new-batch",
        "X",
        "--csv",
        csv.to_str().unwrap(),
    ])
    .token()
    .base(&server.url)
    .run();
    out.assert_code(5);
    assert!(out.stderr.contains("may have happened"), "{}", out.stderr);
}

#[test]
fn a_404_just_after_an_upload_is_tried_again_during_the_grace() {
    let location = format!("/customers/{CUSTOMER}/batchJobStatus/{TRACKING}");
    let server = Scripted::start(vec![
        Reply::json(404, &[], r#"{"code":600,"description":"Batch not found"}"#),
        Reply::json(202, &[("Location", &location)], ""),
        Reply::json(
            404,
            &[],
            r#"{"code":600,"description":"Tracking id not found"}"#,
        ),
        Reply::json(200, &[], FINISHED),
    ]);
    let csv = fixture("get-windowsautopilotinfo.csv");
    let out = pc(&[
        "-o",
        "json",
        "devices",
        "upload",
        CUSTOMER,
        "--batch",
        "Lab",
        "--csv",
        csv.to_str().unwrap(),
    ])
    .args(&["--wait", "--poll-interval", "20ms"])
    .token()
    .base(&server.url)
    .run();
    out.assert_code(0);
    assert_eq!(out.json()["status"], "finished");
    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    let methods: Vec<&str> = seen.iter().map(|request| request.method.as_str()).collect();
    assert_eq!(methods, ["POST", "POST", "GET", "GET"]);
    assert!(
        seen[0].path.ends_with("/deviceBatches/Lab/devices"),
        "{}",
        seen[0].path
    );
    assert_ne!(
        seen[0].header("MS-RequestId"),
        seen[1].header("MS-RequestId")
    );
    // After the grace, a 404 ends the upload like any error.
    let server = Scripted::start(vec![
        Reply::json(404, &[], "{}"),
        Reply::json(404, &[], "{}"),
        Reply::json(404, &[], "{}"),
    ]);
    let out = pc(&[
        "devices",
        "upload",
        CUSTOMER,
        "--batch",
        "Lab",
        "--csv",
        csv.to_str().unwrap(),
    ])
    .args(&["--poll-interval", "20ms", "--not-found-grace", "0s"])
    .token()
    .base(&server.url)
    .run();
    out.assert_code(4);
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_part_failing_after_others_were_accepted_keeps_them_on_stdout() {
    let location = format!("/customers/{CUSTOMER}/batchJobStatus/{TRACKING}");
    let server = Scripted::start(vec![
        Reply::json(202, &[("Location", &location)], ""),
        Reply::json(400, &[], r#"{"code":601,"description":"Too many devices"}"#),
    ]);
    let csv = fixture("get-windowsautopilotinfo.csv");
    let out = pc(&[
        "-o",
        "json",
        "devices",
        "upload",
        CUSTOMER,
        "--new-batch",
        "Big",
        "--csv",
        csv.to_str().unwrap(),
    ])
    .args(&["--devices-per-request", "2", "--wait"])
    .token()
    .base(&server.url)
    .run();
    out.assert_code(4);
    let document = out.json();
    assert_eq!(
        document["parts"],
        serde_json::json!([{"trackingId": TRACKING, "location": location, "devices": 2}])
    );
    // The failure is in the document's errors, with what support needs.
    let errors = document["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{document}");
    assert_eq!(errors[0]["customerId"], CUSTOMER);
    assert_eq!(errors[0]["trackingId"], serde_json::Value::Null);
    assert_eq!(errors[0]["status"], 400);
    assert_eq!(errors[0]["code"], "601");
    assert_eq!(errors[0]["description"], "Too many devices");
    assert!(errors[0]["requestId"].is_string() && errors[0]["correlationId"].is_string());
    assert!(
        out.stderr
            .contains("--batch \"Big\" --allow-error-codes 806"),
        "{}",
        out.stderr
    );
    // The second part holds the third device, added to the batch the first created.
    let seen = server.seen();
    let second: serde_json::Value = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(second[0]["serialNumber"], "PF3CDEFG");
    assert!(
        seen[1].path.ends_with("/deviceBatches/Big/devices"),
        "{}",
        seen[1].path
    );
    assert!(out.stderr.contains(TRACKING), "{}", out.stderr);
}
