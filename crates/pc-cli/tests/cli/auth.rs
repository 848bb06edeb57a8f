//! App+user sign-in: `pc auth login | status | logout`, the token file, the credential
//! order, and refreshes that write the rolled refresh token back.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::support::*;

const REFRESH_A: &str = "rt-A-Qm4pX8sV";
const REFRESH_B: &str = "rt-B-Lw2nC6dT";
const ACCESS: &str = "at-Zk5rH1yJ";
const DEVICE_CODE: &str = "dc-Ux9eB3qN";

fn token_path() -> PathBuf {
    temp_file("placeholder", b"")
        .with_file_name("nested")
        .join("pc")
        .join("refresh-token")
}

fn write_sign_in(path: &Path, authority: &str, refresh: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let json = format!(
        r#"{{"tenant":"contoso.onmicrosoft.com","clientId":"app-1","authority":"{authority}","refreshToken":"{refresh}"}}"#
    );
    std::fs::write(path, json).unwrap();
    set_mode(path, 0o600);
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

fn stored(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn assert_no_secret(out: &Output) {
    for secret in [REFRESH_A, REFRESH_B, ACCESS, DEVICE_CODE] {
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "{secret} leaked: {out:#?}"
        );
    }
}

fn device_code_answer() -> Reply {
    Reply::json(
        200,
        &[],
        &format!(
            r#"{{"device_code":"{DEVICE_CODE}","user_code":"WXYZ-1234","verification_url":"https://microsoft.com/devicelogin","expires_in":"900","interval":"0.05","message":"To sign in, open https://microsoft.com/devicelogin and enter WXYZ-1234."}}"#
        ),
    )
}

fn pending() -> Reply {
    Reply::json(
        400,
        &[],
        r#"{"error":"authorization_pending","error_description":"AADSTS70016: pending"}"#,
    )
}

fn token(refresh: &str) -> Reply {
    Reply::json(
        200,
        &[],
        &format!(
            r#"{{"token_type":"Bearer","expires_in":"3599","access_token":"{ACCESS}","refresh_token":"{refresh}"}}"#
        ),
    )
}

#[test]
fn login_keeps_the_sign_in_in_a_private_file_and_says_where() {
    let server = Scripted::start(vec![device_code_answer(), pending(), token(REFRESH_A)]);
    let path = token_path();
    let out = pc(&[
        "-vvv",
        "auth",
        "login",
        "--tenant",
        "contoso.onmicrosoft.com",
    ])
    .env("PARTNER_CENTER_CLIENT_ID", "app-1")
    .env("PARTNER_CENTER_AUTHORITY_URL", &server.url)
    .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
    .run();
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("open https://microsoft.com/devicelogin and enter WXYZ-1234"),
        "{out:#?}"
    );
    assert!(out.stdout.contains(&path.display().to_string()), "{out:#?}");
    assert_no_secret(&out);
    let file = stored(&path);
    assert_eq!(file["tenant"], "contoso.onmicrosoft.com");
    assert_eq!(file["clientId"], "app-1");
    assert_eq!(file["authority"], server.url.as_str());
    assert_eq!(file["refreshToken"], REFRESH_A);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let seen = server.seen();
    assert_eq!(seen[0].path, "/contoso.onmicrosoft.com/oauth2/devicecode");
    let poll = String::from_utf8(seen[1].body.clone()).unwrap();
    assert!(poll.contains("grant_type=device_code"), "{poll}");
    assert!(poll.contains(&format!("code={DEVICE_CODE}")), "{poll}");

    // In json: where the file went, nothing else.
    let server = Scripted::start(vec![device_code_answer(), token(REFRESH_B)]);
    let out = pc(&[
        "-o",
        "json",
        "auth",
        "login",
        "--tenant",
        "t",
        "--client-id",
        "app-1",
    ])
    .env("PARTNER_CENTER_AUTHORITY_URL", &server.url)
    .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
    .run();
    out.assert_code(0);
    assert_eq!(
        out.json(),
        serde_json::json!({"tokenFile": path.display().to_string()})
    );
    assert_eq!(stored(&path)["refreshToken"], REFRESH_B);
}

#[test]
fn a_refused_or_expired_sign_in_exits_4_and_writes_nothing() {
    for (code, description) in [
        ("access_denied", "AADSTS70000: the user declined"),
        ("expired_token", "AADSTS70020: the code expired"),
    ] {
        let refusal = Reply::json(
            400,
            &[],
            &format!(r#"{{"error":"{code}","error_description":"{description}"}}"#),
        );
        let server = Scripted::start(vec![device_code_answer(), pending(), refusal]);
        let path = token_path();
        let out = pc(&["auth", "login", "--tenant", "t", "--client-id", "app-1"])
            .env("PARTNER_CENTER_AUTHORITY_URL", &server.url)
            .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
            .run();
        out.assert_code(4);
        assert!(out.stderr.contains(description), "{out:#?}");
        assert!(!path.exists(), "{code}: no file written");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn login_needs_the_tenant_and_client_id() {
    let out = pc(&["auth", "login", "--tenant", "t"])
        .env("PARTNER_CENTER_TOKEN_FILE", token_path().to_str().unwrap())
        .run();
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("--client-id (or PARTNER_CENTER_CLIENT_ID)"),
        "{out:#?}"
    );
}

#[test]
fn a_command_refreshes_from_the_file_and_writes_the_rolled_token_back() {
    let path = token_path();
    let server = Scripted::start(vec![
        token(REFRESH_B),
        Reply::json(200, &[], r#"{"totalCount":0,"items":[]}"#),
    ]);
    // The file's authority is used: no authority flag or variable is set.
    write_sign_in(&path, &server.url, REFRESH_A);
    let out = pc(&["-vvv", "devices", "batches", CUSTOMER])
        .base(&server.url)
        .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
        .run();
    out.assert_code(0);
    assert_no_secret(&out);
    let seen = server.seen();
    assert_eq!(seen[0].path, "/contoso.onmicrosoft.com/oauth2/token");
    let refresh = String::from_utf8(seen[0].body.clone()).unwrap();
    assert!(refresh.contains("grant_type=refresh_token"), "{refresh}");
    assert!(
        refresh.contains(&format!("refresh_token={REFRESH_A}")),
        "{refresh}"
    );
    assert!(
        !refresh.contains("client_secret"),
        "a public app: {refresh}"
    );
    assert_eq!(
        seen[1].header("authorization"),
        Some(format!("Bearer {ACCESS}").as_str())
    );
    assert_eq!(stored(&path)["refreshToken"], REFRESH_B);
}

#[test]
fn an_absurd_token_lifetime_from_a_refresh_is_taken_without_overflowing_the_clock() {
    let path = token_path();
    let server = Scripted::start(vec![
        Reply::json(
            200,
            &[],
            &format!(
                r#"{{"access_token":"{ACCESS}","expires_in":1e19,"refresh_token":"{REFRESH_B}"}}"#
            ),
        ),
        Reply::json(200, &[], r#"{"totalCount":0,"items":[]}"#),
    ]);
    write_sign_in(&path, &server.url, REFRESH_A);
    pc(&["devices", "batches", CUSTOMER])
        .base(&server.url)
        .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
        .run()
        .assert_code(0);
    assert_eq!(server.seen().len(), 2);
    assert_eq!(stored(&path)["refreshToken"], REFRESH_B);
}

#[test]
fn a_refused_refresh_token_exits_4_says_to_sign_in_again_and_keeps_the_file() {
    let server = Scripted::start(vec![Reply::json(
        400,
        &[],
        r#"{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity."}"#,
    )]);
    let path = token_path();
    write_sign_in(&path, &server.url, REFRESH_A);
    let before = std::fs::read(&path).unwrap();
    let out = pc(&["devices", "batches", CUSTOMER])
        .base(&server.url)
        .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
        .run();
    out.assert_code(4);
    assert!(out.stderr.contains("AADSTS700082"), "{out:#?}");
    assert!(out.stderr.contains("pc auth login"), "{out:#?}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "left as it is");
    assert_eq!(server.seen().len(), 1, "no API call");
}

#[cfg(unix)]
#[test]
fn a_token_file_others_can_read_or_not_json_exits_2_and_is_left_alone() {
    let path = token_path();
    write_sign_in(&path, "https://login.example.invalid", REFRESH_A);
    set_mode(&path, 0o644);
    let out = pc(&["devices", "batches", CUSTOMER])
        .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
        .run();
    out.assert_code(2);
    assert!(
        out.stderr
            .contains(&format!("chmod 600 {}", path.display())),
        "{out:#?}"
    );
    set_mode(&path, 0o600);
    std::fs::write(&path, b"{not json").unwrap();
    let out = pc(&["auth", "status"])
        .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
        .run();
    out.assert_code(2);
    assert!(out.stderr.contains(&path.display().to_string()), "{out:#?}");
    assert_eq!(std::fs::read(&path).unwrap(), b"{not json");
}

/// `pc -o json auth status` with these variables.
fn status(path: &Path, env: &[(&str, &str)]) -> Output {
    let mut run = pc(&["-o", "json", "auth", "status"])
        .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap());
    for (name, value) in env {
        run = run.env(name, value);
    }
    run.run()
}

#[test]
fn the_credential_order_one_row_at_a_time() {
    let path = token_path();
    let app_only = [
        ("PARTNER_CENTER_TENANT_ID", "tenant-x"),
        ("PARTNER_CENTER_CLIENT_ID", "app-x"),
        ("PARTNER_CENTER_CLIENT_SECRET", "s3cret-x"),
    ];
    // Nothing at all: exit 2 naming the variables and `pc auth login`.
    let out = status(&path, &[]);
    out.assert_code(2);
    assert!(out.stderr.contains("pc auth login"), "{out:#?}");
    assert!(out.stdout.is_empty());
    // Client credentials alone.
    let out = status(&path, &app_only);
    out.assert_code(0);
    let json = out.json();
    assert!(
        json["source"].as_str().unwrap().contains("app-only"),
        "{json}"
    );
    assert_eq!(json["tenant"], "tenant-x");
    assert_eq!(json["tokenFile"], serde_json::Value::Null);
    // A token file wins over app-only credentials (creating batches needs app+user).
    write_sign_in(&path, "https://login.example.invalid", REFRESH_A);
    let out = status(&path, &app_only);
    out.assert_code(0);
    let json = out.json();
    assert!(
        json["source"].as_str().unwrap().contains("token file"),
        "{json}"
    );
    assert_eq!(json["tenant"], "contoso.onmicrosoft.com");
    assert_eq!(json["clientId"], "app-1");
    assert_eq!(json["authority"], "https://login.example.invalid");
    assert_eq!(json["tokenFile"], path.display().to_string());
    assert!(
        json["lastWritten"].as_str().unwrap().ends_with('Z'),
        "{json}"
    );
    // The command line's authority wins over the file's.
    let out = pc(&[
        "-o",
        "json",
        "auth",
        "status",
        "--authority-url",
        "https://other.example.invalid",
    ])
    .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
    .run();
    assert_eq!(out.json()["authority"], "https://other.example.invalid");
    // A refresh token in the environment wins over the file.
    let mut with_refresh = app_only.to_vec();
    with_refresh.push(("PARTNER_CENTER_REFRESH_TOKEN", REFRESH_B));
    let out = status(&path, &with_refresh);
    let json = out.json();
    assert!(
        json["source"]
            .as_str()
            .unwrap()
            .contains("PARTNER_CENTER_REFRESH_TOKEN"),
        "{json}"
    );
    assert_eq!(json["clientId"], "app-x");
    // An access token wins over everything.
    let mut with_token = with_refresh.clone();
    with_token.push(("PARTNER_CENTER_ACCESS_TOKEN", ACCESS));
    let out = status(&path, &with_token);
    assert_eq!(out.json()["source"], "PARTNER_CENTER_ACCESS_TOKEN");
    // A refresh token without its tenant and client id is incomplete.
    let out = status(
        &token_path(),
        &[("PARTNER_CENTER_REFRESH_TOKEN", REFRESH_B)],
    );
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("PARTNER_CENTER_TENANT_ID and PARTNER_CENTER_CLIENT_ID are missing"),
        "{out:#?}"
    );
    for out in [status(&path, &with_token), status(&path, &with_refresh)] {
        assert_no_secret(&out);
        assert!(!out.stdout.contains("s3cret-x") && !out.stderr.contains("s3cret-x"));
    }
}

#[test]
fn the_client_secret_goes_with_the_refresh_only_for_the_files_own_app() {
    for (client_id, sent) in [
        (None, true),
        (Some("app-1"), true),
        (Some("app-other"), false),
    ] {
        let server = Scripted::start(vec![
            token(REFRESH_B),
            Reply::json(200, &[], r#"{"totalCount":0,"items":[]}"#),
        ]);
        let path = token_path();
        write_sign_in(&path, &server.url, REFRESH_A);
        let mut run = pc(&["devices", "batches", CUSTOMER])
            .base(&server.url)
            .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
            .env("PARTNER_CENTER_CLIENT_SECRET", "s3cret-conf");
        if let Some(client_id) = client_id {
            run = run.env("PARTNER_CENTER_CLIENT_ID", client_id);
        }
        run.run().assert_code(0);
        let refresh = String::from_utf8(server.seen()[0].body.clone()).unwrap();
        assert_eq!(
            refresh.contains("client_secret=s3cret-conf"),
            sent,
            "{client_id:?}: {refresh}"
        );
    }
}

#[test]
fn status_warns_about_a_token_file_nearing_its_90_days() {
    // Warned from 80 days on: not at 79, at 81 and 85.
    for (days, warned) in [(79, false), (81, true), (85, true)] {
        let path = token_path();
        write_sign_in(&path, "https://login.example.invalid", REFRESH_A);
        let old = SystemTime::now() - Duration::from_secs(days * 24 * 60 * 60);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let out = pc(&["auth", "status"])
            .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
            .run();
        out.assert_code(0);
        assert_eq!(
            out.stderr
                .contains(&format!("last written {days} days ago")),
            warned,
            "{out:#?}"
        );
        assert!(out.stdout.contains("token file"), "{out:#?}");
    }
}

#[test]
fn logout_deletes_the_token_file() {
    let path = token_path();
    write_sign_in(&path, "https://login.example.invalid", REFRESH_A);
    let out = pc(&["-o", "json", "auth", "logout"])
        .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
        .run();
    out.assert_code(0);
    assert_eq!(out.json()["deleted"], true);
    assert!(!path.exists());
    let out = pc(&["auth", "logout"])
        .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
        .run();
    out.assert_code(0);
    assert!(out.stdout.contains("nothing to do"), "{out:#?}");
}

#[test]
fn two_processes_sharing_a_token_file_never_corrupt_it_or_lose_the_token() {
    let sim = pc_sim::spawn(pc_sim::SimConfig {
        accept_any_token: false,
        ..Default::default()
    })
    .unwrap();
    let path = token_path();
    write_sign_in(&path, &sim.base_url(), &sim.issue_refresh_token());
    let first = stored(&path)["refreshToken"].clone();
    for round in 0..20 {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let base = sim.base_url();
                let file = path.clone();
                std::thread::spawn(move || {
                    pc(&["devices", "batches", CUSTOMER])
                        .base(&base)
                        .env("PARTNER_CENTER_TOKEN_FILE", file.to_str().unwrap())
                        .run()
                })
            })
            .collect();
        for run in runs {
            let out = run.join().unwrap();
            out.assert_code(0);
            assert!(!out.stderr.contains("sim-rt"), "round {round}: {out:#?}");
        }
        // Whole and valid after every round.
        let file = stored(&path);
        assert!(file["refreshToken"].as_str().is_some_and(|t| !t.is_empty()));
    }
    // Every refresh rolled the token; the first one is spent, and the simulator refuses it.
    assert_ne!(stored(&path)["refreshToken"], first);
    let out = pc(&["devices", "batches", CUSTOMER])
        .base(&sim.base_url())
        .env("PARTNER_CENTER_AUTHORITY_URL", &sim.base_url())
        .env("PARTNER_CENTER_REFRESH_TOKEN", first.as_str().unwrap())
        .env("PARTNER_CENTER_TENANT_ID", "contoso.onmicrosoft.com")
        .env("PARTNER_CENTER_CLIENT_ID", "app-1")
        .run();
    out.assert_code(4);
    assert!(out.stderr.contains("invalid_grant"), "{out:#?}");
    assert!(out.stderr.contains("pc auth login"), "{out:#?}");
}

/// A strict simulator: only its own tokens, each refresh token once, app-only tokens
/// cannot create batches; a sign-in approved after one pending poll.
fn strict_sim() -> pc_sim::SimHandle {
    pc_sim::spawn(pc_sim::SimConfig {
        accept_any_token: false,
        queue_time: Duration::from_millis(20),
        process_time: Duration::from_millis(40),
        login: pc_sim::LoginConfig {
            pending_polls: 1,
            interval: Duration::from_millis(50),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn sign_in_against_the_simulator_then_upload_and_wait_with_no_token_in_the_environment() {
    let sim = strict_sim();
    let path = token_path();
    let login = pc(&[
        "auth",
        "login",
        "--tenant",
        "contoso.onmicrosoft.com",
        "--client-id",
        "app-1",
    ])
    .env("PARTNER_CENTER_AUTHORITY_URL", &sim.base_url())
    .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
    .run();
    login.assert_code(0);
    assert!(login.stderr.contains("pc-sim approves it"), "{login:#?}");
    let first = stored(&path)["refreshToken"].as_str().unwrap().to_owned();
    let csv = fixture("get-windowsautopilotinfo.csv");
    let upload = pc(&[
        "-vvv",
        "devices",
        "upload",
        CUSTOMER,
        "--new-batch",
        "signed in",
        "--csv",
    ])
    .args(&[csv.to_str().unwrap(), "--wait", "--poll-interval", "20ms"])
    .base(&sim.base_url())
    .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
    .run();
    upload.assert_code(0);
    assert!(
        !upload.stderr.contains(&first),
        "no refresh token in the output"
    );
    let rolled = stored(&path)["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(rolled, first, "the rolled refresh token was written back");
    // The spent one is refused by the strict simulator.
    let old = pc(&["devices", "batches", CUSTOMER])
        .base(&sim.base_url())
        .env("PARTNER_CENTER_AUTHORITY_URL", &sim.base_url())
        .env("PARTNER_CENTER_REFRESH_TOKEN", &first)
        .env("PARTNER_CENTER_TENANT_ID", "contoso.onmicrosoft.com")
        .env("PARTNER_CENTER_CLIENT_ID", "app-1")
        .run();
    old.assert_code(4);
    let status = pc(&["-o", "json", "auth", "status"])
        .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
        .run();
    assert_eq!(status.json()["authority"], sim.base_url().as_str());
    pc(&["auth", "logout"])
        .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
        .run()
        .assert_code(0);
    assert!(!path.exists());
}

#[test]
fn an_app_only_token_is_refused_creating_a_batch_with_the_403_hint() {
    let sim = strict_sim();
    let csv = fixture("get-windowsautopilotinfo.csv");
    let out = pc(&[
        "devices",
        "upload",
        CUSTOMER,
        "--new-batch",
        "app only",
        "--csv",
    ])
    .args(&[csv.to_str().unwrap()])
    .base(&sim.base_url())
    .env("PARTNER_CENTER_AUTHORITY_URL", &sim.base_url())
    .env("PARTNER_CENTER_TENANT_ID", "contoso.onmicrosoft.com")
    .env("PARTNER_CENTER_CLIENT_ID", "app-1")
    .env("PARTNER_CENTER_CLIENT_SECRET", "s3cret-app")
    .run();
    out.assert_code(4);
    assert!(out.stderr.contains("HTTP 403"), "{out:#?}");
    assert!(out.stderr.contains("App+User only"), "{out:#?}");
    assert!(
        out.stderr.contains("app+user sign-in"),
        "the hint: {out:#?}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn denied_and_slowed_sign_ins_against_the_simulator() {
    for (deny, slow_down, code) in [(true, false, 4), (false, true, 0)] {
        let sim = pc_sim::spawn(pc_sim::SimConfig {
            login: pc_sim::LoginConfig {
                pending_polls: 0,
                interval: Duration::from_millis(20),
                deny,
                slow_down,
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap();
        let path = token_path();
        let out = pc(&["auth", "login", "--tenant", "t", "--client-id", "app-1"])
            .env("PARTNER_CENTER_AUTHORITY_URL", &sim.base_url())
            .env("PARTNER_CENTER_TOKEN_FILE", path.to_str().unwrap())
            .run();
        out.assert_code(code);
        assert_eq!(path.exists(), !deny);
        if deny {
            assert!(out.stderr.contains("access_denied"), "{out:#?}");
        } else {
            // slow_down added 5 s to the 20 ms interval before the next poll.
            assert!(out.elapsed >= Duration::from_secs(5), "{out:#?}");
        }
    }
}
