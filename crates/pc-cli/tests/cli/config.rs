//! The configuration table: flags over environment over defaults, credentials from the
//! environment only, and every check that exits 2 before anything is sent.

use crate::support::*;

fn status_args() -> Vec<&'static str> {
    vec!["devices", "batch-status", CUSTOMER, TRACKING]
}

#[test]
fn no_credentials_exit_2_naming_the_variables_and_send_nothing() {
    let server = Scripted::start(vec![]);
    let out = pc(&status_args()).base(&server.url).run();
    out.assert_code(2);
    assert!(out.stderr.starts_with("error: no credentials"), "{out:?}");
    for name in [
        "PARTNER_CENTER_ACCESS_TOKEN",
        "PARTNER_CENTER_TENANT_ID",
        "PARTNER_CENTER_CLIENT_ID",
        "PARTNER_CENTER_CLIENT_SECRET",
    ] {
        assert!(out.stderr.contains(name), "{name}: {}", out.stderr);
    }
    assert!(out.stdout.is_empty());
    assert!(server.seen().is_empty());
}

#[test]
fn an_incomplete_client_credential_set_names_what_it_lacks() {
    let server = Scripted::start(vec![]);
    let out = pc(&status_args())
        .base(&server.url)
        .env("PARTNER_CENTER_CLIENT_ID", "app")
        .run();
    out.assert_code(2);
    assert!(
        out.stderr.contains("PARTNER_CENTER_CLIENT_ID is set but PARTNER_CENTER_TENANT_ID and PARTNER_CENTER_CLIENT_SECRET are missing"),
        "{}",
        out.stderr
    );
    assert!(server.seen().is_empty());
}

#[test]
fn bad_ids_exit_2_naming_the_value() {
    for (args, bad) in [
        (
            vec!["devices", "batch-status", "not-a-guid", TRACKING],
            "not-a-guid",
        ),
        (vec!["devices", "batch-status", CUSTOMER, "12345"], "12345"),
        (vec!["devices", "batches", "{oops}"], "{oops}"),
        (vec!["devices", "list", CUSTOMER, ".."], ".."),
        (vec!["devices", "delete", CUSTOMER, "Lab", "."], "`.`"),
    ] {
        let out = pc(&args).token().base("http://127.0.0.1:9").run();
        out.assert_code(2);
        assert!(out.stderr.contains(bad), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn plain_http_goes_only_to_loopback_hosts() {
    let out = pc(&status_args())
        .token()
        .args(&["--base-url", "http://partner.example.invalid"])
        .run();
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("plain http is only allowed to loopback hosts"),
        "{}",
        out.stderr
    );
    let out = pc(&status_args())
        .base("http://127.0.0.1:9")
        .env("PARTNER_CENTER_TENANT_ID", "t")
        .env("PARTNER_CENTER_CLIENT_ID", "c")
        .env("PARTNER_CENTER_CLIENT_SECRET", "s")
        .env(
            "PARTNER_CENTER_AUTHORITY_URL",
            "http://login.example.invalid",
        )
        .run();
    out.assert_code(2);
    assert!(out.stderr.contains("authority URL"), "{}", out.stderr);
    for url in [
        "ftp://127.0.0.1",
        "127.0.0.1:8080",
        "https://user:pw@host.invalid",
    ] {
        let out = pc(&status_args()).token().args(&["--base-url", url]).run();
        out.assert_code(2);
        assert!(!out.stderr.contains("pw@"), "{}", out.stderr);
    }
}

#[test]
fn a_missing_ca_file_or_one_without_certificates_exits_2() {
    let server = Scripted::start(vec![]);
    let empty = temp_file("empty.pem", b"not a certificate\n");
    for path in ["/nonexistent/ca.pem", empty.to_str().unwrap()] {
        let out = pc(&status_args())
            .token()
            .base(&server.url)
            .env("PARTNER_CENTER_CA_FILE", path)
            .run();
        out.assert_code(2);
        assert!(out.stderr.contains(path), "{}", out.stderr);
    }
    assert!(server.seen().is_empty());
}

#[test]
fn an_unusable_proxy_exits_2() {
    for (name, value) in [
        ("HTTPS_PROXY", "socks5://proxy.invalid:1080"),
        ("https_proxy", "http://"),
    ] {
        let out = pc(&status_args())
            .token()
            .args(&["--base-url", "https://api.example.invalid"])
            .env(name, value)
            .run();
        out.assert_code(2);
        assert!(out.stderr.contains("proxy"), "{}", out.stderr);
    }
}

#[test]
fn bad_flag_values_exit_2() {
    for extra in [
        &["--timeout", "soon"][..],
        &["--max-retries", "-1"],
        &["--max-retry-after", "1x"],
        &["--cloud", "mars"],
        &["--correlation-id", "nope"],
        &["-o", "yaml"],
        &["--wait", "--poll-interval", "5"],
        &["--wait-timeout", "1.5s"],
    ] {
        let out = pc(&status_args()).token().args(extra).run();
        out.assert_code(2);
        assert!(out.stderr.contains("error"), "{extra:?}: {}", out.stderr);
    }
    let out = pc(&["devices", "batch-status", CUSTOMER, TRACKING])
        .token()
        .env("PARTNER_CENTER_TIMEOUT", "later")
        .run();
    out.assert_code(2);
    assert!(out.stderr.contains("later"), "{}", out.stderr);
}

#[test]
fn flags_come_before_or_after_the_subcommand_and_beat_the_environment() {
    let body = batch_document(10);
    let server = Scripted::start(vec![
        Reply::json(200, &[], &body),
        Reply::json(200, &[], &body),
        Reply::json(200, &[], &body),
    ]);
    let correlation = "5cf2a1c0-0000-4000-8000-000000000001";
    let before = pc(&[
        "-o",
        "json",
        "--locale",
        "de-DE",
        "--correlation-id",
        correlation,
    ])
    .args(&status_args())
    .args(&["--allow-error-codes", "808"])
    .token()
    .base(&server.url)
    .run();
    let after = pc(&status_args())
        .args(&[
            "-o",
            "json",
            "--locale",
            "de-DE",
            "--correlation-id",
            correlation,
            "--allow-error-codes",
            "808",
        ])
        .token()
        .base(&server.url)
        .run();
    before.assert_code(0);
    after.assert_code(0);
    assert_eq!(before.stdout, after.stdout);
    // The environment's base URL is unusable; the flag wins.
    let flag = pc(&status_args())
        .args(&["--base-url", &server.url, "--allow-error-codes=808,806"])
        .token()
        .base("http://unusable.example.invalid")
        .env("PARTNER_CENTER_LOCALE", "fr-FR")
        .run();
    flag.assert_code(0);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    for request in &seen[..2] {
        assert_eq!(request.header("X-Locale"), Some("de-DE"));
        assert_eq!(request.header("MS-CorrelationId"), Some(correlation));
    }
    assert_eq!(seen[2].header("X-Locale"), Some("fr-FR"));
    let generated = seen[2].header("MS-CorrelationId").unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");
    for request in &seen {
        assert_eq!(
            request.header("Authorization"),
            Some(&*format!("Bearer {TOKEN}"))
        );
        assert_eq!(
            request.path,
            format!("/v1/customers/{CUSTOMER}/batchJobStatus/{TRACKING}")
        );
    }
}

#[test]
fn max_retries_comes_from_the_environment_or_the_flag() {
    let server = Scripted::start(vec![
        Reply::json(503, &[], "{}"),
        Reply::json(503, &[], "{}"),
    ]);
    let out = pc(&status_args())
        .token()
        .base(&server.url)
        .env("PARTNER_CENTER_MAX_RETRIES", "0")
        .run();
    out.assert_code(4);
    assert_eq!(server.seen().len(), 1);
    let out = pc(&status_args())
        .token()
        .base(&server.url)
        .env("PARTNER_CENTER_MAX_RETRIES", "5")
        .args(&["--max-retries", "0"])
        .run();
    out.assert_code(4);
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn client_credentials_fetch_a_token_and_no_secret_is_ever_printed() {
    let sim = sim(0, 0);
    let secret = "cl13nt-s3cret-Wq7";
    let csv = fixture("get-windowsautopilotinfo.csv");
    let out = pc(&[
        "-vvv",
        "-o",
        "json",
        "devices",
        "upload",
        CUSTOMER,
        "--new-batch",
        "creds",
        "--csv",
    ])
    .args(&[csv.to_str().unwrap(), "--wait", "--poll-interval", "10ms"])
    .base(&sim.base_url())
    .env("PARTNER_CENTER_AUTHORITY_URL", &sim.base_url())
    .env("PARTNER_CENTER_TENANT_ID", "contoso.onmicrosoft.com")
    .env("PARTNER_CENTER_CLIENT_ID", "app-id")
    .env("PARTNER_CENTER_CLIENT_SECRET", secret)
    .run();
    out.assert_code(0);
    assert_eq!(out.json()["status"], "finished");
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    let log = sim.request_log();
    assert!(
        log.iter().any(|entry| entry.path.contains("/oauth2/token")),
        "{log:?}"
    );
}

#[test]
fn the_access_token_never_shows_even_at_the_highest_verbosity() {
    let server = Scripted::start(vec![Reply::json(
        404,
        &[("MS-RequestId", "req-404")],
        r#"{"code":600,"description":"The customer was not found"}"#,
    )]);
    let out = pc(&["-vvv"])
        .args(&status_args())
        .token()
        .base(&server.url)
        .run();
    out.assert_code(4);
    assert!(
        !out.stderr.contains(TOKEN) && !out.stdout.contains(TOKEN),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("DEBUG") || out.stderr.contains("TRACE"),
        "{}",
        out.stderr
    );
}
