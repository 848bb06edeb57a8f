//! The pipeline against the scripted in-memory transport: every retry branch, the
//! headers, request ids, token refresh, token providers, error messages, and secrets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::capture;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Method, StatusCode};
use pc_http::testing::{FakeClock, ScriptedTransport};
use pc_http::{
    AsyncPipeline, AsyncTokenProvider, ClientCredentials, ClientOptions, DecodeErrorKind, Error,
    ErrorKind, Pipeline, RefreshTokenGrant, RetryPolicy, Secret, StaticToken, TokenProvider,
    TransportErrorKind,
};

const TOKEN: &str = "static-T0KEN-value";
const CLIENT_SECRET: &str = "cl1ent-S3CRET-value";
const REFRESH_TOKEN: &str = "refr3sh-TOKEN-value";
const ISSUED_A: &str = "issued-ACCESS-a";
const ISSUED_B: &str = "issued-ACCESS-b";
const ROLLED_REFRESH: &str = "rolled-REFRESH-2";
const AUTHORITY: &str = "https://login.example.invalid";

fn options() -> ClientOptions {
    ClientOptions {
        base_url: "https://api.example.invalid".parse().unwrap(),
        correlation_id: Some("corr-1".into()),
        ..Default::default()
    }
}

/// A pipeline over `transport` with a fake clock and the top of every jitter range.
fn pipeline_with(
    transport: &ScriptedTransport,
    clock: &FakeClock,
    token: impl TokenProvider + 'static,
    options: ClientOptions,
) -> Pipeline {
    Pipeline::new(transport.clone(), token, options)
        .unwrap()
        .with_clock(clock.clone())
        .with_sleep(clock.clone())
        .with_jitter(|| 1.0)
}

struct Run {
    result: Result<http::Response<Vec<u8>>, Error>,
    transport: ScriptedTransport,
    clock: FakeClock,
}

/// Scripts the transport, makes one `GET /v1/x` call with a static token, and returns
/// what happened.
fn check(script: impl FnOnce(&ScriptedTransport)) -> Run {
    check_with(options(), script)
}

fn check_with(options: ClientOptions, script: impl FnOnce(&ScriptedTransport)) -> Run {
    let transport = ScriptedTransport::new();
    script(&transport);
    let clock = FakeClock::new();
    let result = pipeline_with(&transport, &clock, StaticToken::new(TOKEN), options).get("/v1/x");
    Run {
        result,
        transport,
        clock,
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn success_needs_one_attempt() {
    let run = check(|t| {
        t.push_json(200, "{}");
    });
    assert_eq!(run.result.unwrap().status(), StatusCode::OK);
    assert_eq!(run.transport.request_count(), 1);
    assert!(run.clock.sleeps().is_empty());
}

#[test]
fn throttled_with_retry_after_seconds_waits_as_asked() {
    let run = check(|t| {
        t.push_response(
            429,
            &[("Retry-After", "11")],
            r#"{"statusCode":429,"message":"Rate limit is exceeded. Try again in 11 seconds."}"#,
        )
        .push_json(200, "{}");
    });
    assert!(run.result.is_ok());
    assert_eq!(run.clock.sleeps(), [Duration::from_secs(11)]);
}

#[test]
fn throttled_with_retry_after_date_waits_until_then() {
    let clock_start = FakeClock::new();
    let when = httpdate::fmt_http_date(
        pc_http::runtime::Clock::now(&clock_start) + Duration::from_secs(20),
    );
    let run = check(|t| {
        t.push_response(429, &[("Retry-After", when.as_str())], "")
            .push_json(200, "{}");
    });
    assert!(run.result.is_ok());
    assert_eq!(run.clock.sleeps(), [Duration::from_secs(20)]);
}

#[test]
fn a_retry_after_beyond_the_limit_ends_the_call_at_once_as_throttled() {
    let run = check(|t| {
        t.push_response(
            429,
            &[("Retry-After", "3600"), ("MS-RequestId", "rid-1")],
            r#"{"statusCode":429,"message":"Rate limit is exceeded. Try again in 3600 seconds."}"#,
        )
        .push_json(200, "{}");
    });
    let err = run.result.unwrap_err();
    assert!(run.clock.sleeps().is_empty(), "{:?}", run.clock.sleeps());
    assert_eq!(run.transport.request_count(), 1);
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.retry_after, Some(Duration::from_secs(3600)));
    assert!(err.to_string().contains("Retry-After 3600s"), "{err}");
}

#[test]
fn a_retry_after_within_the_limit_is_slept_through() {
    let run = check(|t| {
        t.push_response(503, &[("Retry-After", "120")], "")
            .push_json(200, "{}");
    });
    assert!(run.result.is_ok());
    assert_eq!(run.clock.sleeps(), [Duration::from_secs(120)]);
}

#[test]
fn throttled_without_retry_after_backs_off() {
    let run = check(|t| {
        t.push_status(429).push_status(429).push_json(200, "{}");
    });
    assert!(run.result.is_ok());
    assert_eq!(run.clock.sleeps(), [ms(500), ms(1000)]);
}

#[test]
fn every_retryable_status_is_retried() {
    for status in [408, 429, 500, 502, 503, 504] {
        let run = check(|t| {
            t.push_status(status).push_json(200, "{}");
        });
        assert!(run.result.is_ok(), "{status}");
        assert_eq!(run.transport.request_count(), 2, "{status}");
        assert_eq!(run.clock.sleeps(), [ms(500)], "{status}");
    }
}

#[test]
fn final_statuses_are_not_retried() {
    for status in [400, 401, 403, 404, 409, 412, 501, 505] {
        let run = check(|t| {
            t.push_status(status).push_json(200, "{}");
        });
        let err = run.result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Api, "{status}");
        assert_eq!(err.status().unwrap().as_u16(), status);
        assert_eq!(run.transport.request_count(), 1, "{status}");
        assert!(run.clock.sleeps().is_empty());
    }
}

#[test]
fn retryable_transport_failures_are_retried() {
    use TransportErrorKind::*;
    for kind in [Connect, Timeout, Reset, Truncated] {
        let run = check(|t| {
            t.push_error(kind).push_json(200, "{}");
        });
        assert!(run.result.is_ok(), "{kind:?}");
        assert_eq!(run.transport.request_count(), 2, "{kind:?}");
    }
}

#[test]
fn final_transport_failures_are_not_retried() {
    use TransportErrorKind::*;
    for (kind, class) in [
        (Tls, ErrorKind::Transport),
        (Other, ErrorKind::Transport),
        (TooLarge, ErrorKind::Decode),
        (InvalidRequest, ErrorKind::Config),
    ] {
        let run = check(|t| {
            t.push_error(kind).push_json(200, "{}");
        });
        assert_eq!(run.result.unwrap_err().kind(), class, "{kind:?}");
        assert_eq!(run.transport.request_count(), 1, "{kind:?}");
    }
}

#[test]
fn exhaustion_reports_the_last_outcome_after_max_retries() {
    let run = check(|t| {
        for _ in 0..5 {
            t.push_status(503);
        }
    });
    let err = run.result.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(err.diagnostics().unwrap().attempts, 4);
    assert_eq!(run.transport.request_count(), 4);
    assert_eq!(run.clock.sleeps(), [ms(500), ms(1000), ms(2000)]);

    let run = check(|t| {
        for _ in 0..4 {
            t.push_error(TransportErrorKind::Truncated);
        }
    });
    let err = run.result.unwrap_err();
    assert!(matches!(&err, Error::Decode(d) if d.kind == DecodeErrorKind::Truncated));
    assert_eq!(err.kind(), pc_http::ErrorKind::Decode);

    let run = check(|t| {
        for _ in 0..4 {
            t.push_error(TransportErrorKind::Timeout);
        }
    });
    let err = run.result.unwrap_err();
    assert_eq!(err.transport_kind(), Some(TransportErrorKind::Timeout));
}

#[test]
fn max_retries_is_configurable() {
    let opts = ClientOptions {
        retry: RetryPolicy {
            max_retries: 0,
            ..Default::default()
        },
        ..options()
    };
    let run = check_with(opts, |t| {
        t.push_status(503).push_json(200, "{}");
    });
    assert!(run.result.is_err());
    assert_eq!(run.transport.request_count(), 1);
}

#[test]
fn backoff_ceiling_reaches_ten_seconds() {
    let opts = ClientOptions {
        retry: RetryPolicy {
            max_retries: 7,
            ..Default::default()
        },
        ..options()
    };
    let run = check_with(opts, |t| {
        for _ in 0..8 {
            t.push_error(TransportErrorKind::Connect);
        }
    });
    assert!(run.result.is_err());
    let secs: Vec<f64> = run
        .clock
        .sleeps()
        .iter()
        .map(Duration::as_secs_f64)
        .collect();
    assert_eq!(secs, [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]);
}

#[test]
fn deadline_stops_retrying_and_bounds_each_attempt() {
    let transport = ScriptedTransport::new();
    let clock = FakeClock::new();
    let transport = transport.with_latency(&clock, Duration::from_secs(1));
    for _ in 0..4 {
        transport.push_status(503);
    }
    let opts = ClientOptions {
        retry: RetryPolicy {
            deadline: Some(Duration::from_secs(3)),
            ..Default::default()
        },
        ..options()
    };
    // Attempt 1 ends at 1 s, waits 0.5 s; attempt 2 ends at 2.5 s and a 1 s wait would
    // pass the 3 s deadline.
    let seen: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let seen2 = seen.clone();
    let inner = transport.clone();
    let spy = move |req: http::Request<Vec<u8>>| {
        let t = req.extensions().get::<pc_http::AttemptTimeout>().unwrap().0;
        seen2.lock().unwrap().push(t);
        pc_http::HttpTransport::send(&inner, req)
    };
    let pipeline = Pipeline::new(spy, StaticToken::new(TOKEN), opts)
        .unwrap()
        .with_clock(clock.clone())
        .with_sleep(clock.clone())
        .with_jitter(|| 1.0);
    let err = pipeline.get("/v1/x").unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(transport.request_count(), 2);
    assert_eq!(clock.sleeps(), [ms(500)]);
    assert_eq!(*seen.lock().unwrap(), [ms(3000), ms(1500)]);
}

#[test]
fn every_request_carries_the_partner_center_headers() {
    let run = check(|t| {
        t.push_json(200, "{}");
    });
    run.result.unwrap();
    let req = &run.transport.requests()[0];
    let h = req.headers();
    assert_eq!(req.uri(), "https://api.example.invalid/v1/x");
    assert_eq!(h["authorization"], format!("Bearer {TOKEN}").as_str());
    assert!(h["authorization"].is_sensitive());
    assert_eq!(h["accept"], "application/json");
    assert_eq!(h["ms-correlationid"], "corr-1");
    assert_eq!(h["x-locale"], "en-US");
    assert_eq!(h["ms-contract-version"], "v1");
    assert_eq!(h["user-agent"], concat!("pc/", env!("CARGO_PKG_VERSION")));
    let id = h["ms-requestid"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert!(h.get("content-type").is_none(), "no body, no content type");
}

#[test]
fn bodies_get_a_json_content_type_and_paths_keep_the_prefix() {
    let transport = ScriptedTransport::new();
    transport.push_status(202);
    let clock = FakeClock::new();
    let opts = ClientOptions {
        base_url: "http://127.0.0.1:9/prefix/".parse().unwrap(),
        locale: "de-DE".into(),
        ..options()
    };
    let p = pipeline_with(&transport, &clock, StaticToken::new(TOKEN), opts);
    let req = http::Request::post("/v1/customers/c/deviceBatches/a%20b/devices?x=1")
        .body(b"[]".to_vec())
        .unwrap();
    p.send(req).unwrap();
    let sent = &transport.requests()[0];
    assert_eq!(
        sent.uri(),
        "http://127.0.0.1:9/prefix/v1/customers/c/deviceBatches/a%20b/devices?x=1"
    );
    assert_eq!(sent.method(), Method::POST);
    assert_eq!(sent.headers()["content-type"], "application/json");
    assert_eq!(sent.headers()["x-locale"], "de-DE");
    assert_eq!(sent.body(), b"[]");
}

#[test]
fn one_request_id_per_call_reused_on_every_retry() {
    let transport = ScriptedTransport::new();
    transport
        .push_status(500)
        .push_error(TransportErrorKind::Reset)
        .push_json(200, "{}")
        .push_json(200, "{}");
    let clock = FakeClock::new();
    let p = pipeline_with(&transport, &clock, StaticToken::new(TOKEN), options());
    p.get("/v1/x").unwrap();
    p.get("/v1/x").unwrap();
    let ids: Vec<String> = transport
        .requests()
        .iter()
        .map(|r| r.headers()["ms-requestid"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    assert_ne!(ids[2], ids[3], "the next logical call gets a new id");
    let correlation: Vec<_> = transport
        .requests()
        .iter()
        .map(|r| r.headers()["ms-correlationid"].clone())
        .collect();
    assert!(correlation.iter().all(|c| c == "corr-1"));
}

#[test]
fn callers_may_supply_ids_and_switch_correlation() {
    let transport = ScriptedTransport::new();
    transport.push_json(200, "{}").push_json(200, "{}");
    let clock = FakeClock::new();
    let p = pipeline_with(&transport, &clock, StaticToken::new(TOKEN), options());
    let req = http::Request::get("/v1/x")
        .header("MS-RequestId", "mine")
        .header("MS-CorrelationId", "per-call")
        .body(Vec::new())
        .unwrap();
    let response = p.send(req).unwrap();
    assert_eq!(diagnostics(&response).request_id.as_deref(), Some("mine"));
    let other = p.with_correlation_id("other-corr").unwrap();
    assert_eq!(other.correlation_id(), "other-corr");
    assert_eq!(p.correlation_id(), "corr-1");
    other.get("/v1/x").unwrap();
    let reqs = transport.requests();
    assert_eq!(reqs[0].headers()["ms-requestid"], "mine");
    assert_eq!(reqs[0].headers()["ms-correlationid"], "per-call");
    assert_eq!(reqs[1].headers()["ms-correlationid"], "other-corr");
}

#[test]
fn a_new_correlation_id_per_pipeline_by_default() {
    let t = ScriptedTransport::new();
    let a = Pipeline::new(t.clone(), StaticToken::new(TOKEN), ClientOptions::default()).unwrap();
    let b = Pipeline::new(t, StaticToken::new(TOKEN), ClientOptions::default()).unwrap();
    assert_ne!(a.correlation_id(), b.correlation_id());
    assert!(uuid::Uuid::parse_str(a.correlation_id()).is_ok());
}

#[test]
fn diagnostics_are_kept_on_success_and_on_error() {
    let ids = [
        ("MS-RequestId", "rid-9"),
        ("MS-CorrelationId", "cid-9"),
        ("MS-CV", "cv.1.2"),
        ("MS-ServerId", "server-7"),
    ];
    let run = check(|t| {
        t.push_response(200, &ids, "{}");
    });
    let d = diagnostics(&run.result.unwrap()).clone();
    assert_eq!(d.request_id.as_deref(), Some("rid-9"));
    assert_eq!(d.correlation_id.as_deref(), Some("cid-9"));
    assert_eq!(d.cv.as_deref(), Some("cv.1.2"));
    assert_eq!(d.server_id.as_deref(), Some("server-7"));
    assert_eq!(d.attempts, 1);

    let run = check(|t| {
        t.push_response(404, &ids, r#"{"code":"600","description":"nope"}"#);
    });
    let err = run.result.unwrap_err();
    let d = err.diagnostics().unwrap();
    assert_eq!(d.cv.as_deref(), Some("cv.1.2"));
    assert_eq!(d.server_id.as_deref(), Some("server-7"));
    assert_eq!(err.service_code(), Some("600"));
}

#[test]
fn static_tokens_are_not_refreshed_on_401() {
    let run = check(|t| {
        t.push_status(401).push_json(200, "{}");
    });
    assert_eq!(
        run.result.unwrap_err().status(),
        Some(StatusCode::UNAUTHORIZED)
    );
    assert_eq!(run.transport.request_count(), 1);
    // Shared behind an `Arc`, the same.
    let transport = ScriptedTransport::new();
    transport.push_status(401).push_json(200, "{}");
    let shared = Arc::new(StaticToken::new(TOKEN));
    let error = pipeline_with(&transport, &FakeClock::new(), shared, options())
        .get("/v1/x")
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(transport.request_count(), 1);
}

fn token_answer(token: &str, expires_in: &str) -> String {
    format!(r#"{{"token_type":"Bearer","expires_in":{expires_in},"access_token":"{token}"}}"#)
}

fn credentials() -> ClientCredentials {
    ClientCredentials::new(
        AUTHORITY,
        "tenant-1",
        "client-1",
        Secret::new(CLIENT_SECRET),
    )
    .unwrap()
}

fn bearer(req: &http::Request<Vec<u8>>) -> Option<String> {
    req.headers()
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[test]
fn client_credentials_fetch_cache_and_refresh_once_on_401() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, &token_answer(ISSUED_A, r#""3599""#))
        .push_status(401)
        .push_json(200, &token_answer(ISSUED_B, "3599"))
        .push_json(200, "{}")
        .push_json(200, "{}");
    let clock = FakeClock::new();
    // No retries allowed: the refresh attempt does not count.
    let opts = ClientOptions {
        retry: RetryPolicy {
            max_retries: 0,
            ..Default::default()
        },
        ..options()
    };
    let p = pipeline_with(&transport, &clock, credentials(), opts);
    p.get("/v1/x").unwrap();
    p.get("/v1/y").unwrap();
    let reqs = transport.requests();
    assert_eq!(reqs.len(), 5);
    // The token request.
    assert_eq!(
        reqs[0].uri(),
        "https://login.example.invalid/tenant-1/oauth2/token"
    );
    assert_eq!(reqs[0].method(), Method::POST);
    assert_eq!(
        reqs[0].headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        String::from_utf8(reqs[0].body().clone()).unwrap(),
        format!(
            "grant_type=client_credentials&client_id=client-1&client_secret={CLIENT_SECRET}\
             &resource=https%3A%2F%2Fapi.partnercenter.microsoft.com"
        )
    );
    assert!(bearer(&reqs[0]).is_none());
    assert!(reqs[0].headers().get("ms-requestid").is_none());
    // The refused attempt and its repeat share the request id; the token changed.
    assert_eq!(bearer(&reqs[1]).unwrap(), format!("Bearer {ISSUED_A}"));
    assert_eq!(bearer(&reqs[3]).unwrap(), format!("Bearer {ISSUED_B}"));
    assert_eq!(
        reqs[1].headers()["ms-requestid"],
        reqs[3].headers()["ms-requestid"]
    );
    // The second call used the cached token.
    assert_eq!(bearer(&reqs[4]).unwrap(), format!("Bearer {ISSUED_B}"));
    assert!(clock.sleeps().is_empty());
}

#[test]
fn a_second_401_is_final() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, &token_answer(ISSUED_A, "3599"))
        .push_status(401)
        .push_json(200, &token_answer(ISSUED_B, "3599"))
        .push_status(401)
        .push_json(200, "{}");
    let clock = FakeClock::new();
    let err = pipeline_with(&transport, &clock, credentials(), options())
        .get("/v1/x")
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(transport.request_count(), 4);
    assert_eq!(err.diagnostics().unwrap().attempts, 2);
}

#[test]
fn cached_tokens_are_replaced_shortly_before_expiry() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, &token_answer(ISSUED_A, "3599"))
        .push_json(200, "{}")
        .push_json(200, "{}")
        .push_json(200, &token_answer(ISSUED_B, "3599"))
        .push_json(200, "{}");
    let clock = FakeClock::new();
    let p = pipeline_with(&transport, &clock, credentials(), options());
    p.get("/v1/x").unwrap();
    // Replaced 300 s before its expiry: at 3299 s exactly, not a moment later.
    clock.advance(Duration::from_secs(3299 - 1));
    p.get("/v1/x").unwrap();
    clock.advance(Duration::from_secs(1));
    p.get("/v1/x").unwrap();
    let tokens: Vec<_> = transport.requests().iter().map(bearer).collect();
    assert_eq!(
        tokens,
        [
            None,
            Some(format!("Bearer {ISSUED_A}")),
            Some(format!("Bearer {ISSUED_A}")),
            None,
            Some(format!("Bearer {ISSUED_B}")),
        ]
    );
}

#[test]
fn token_endpoint_requests_obey_the_retry_rules() {
    let transport = ScriptedTransport::new();
    transport
        .push_error(TransportErrorKind::Timeout)
        .push_status(503)
        .push_json(200, &token_answer(ISSUED_A, "3599"))
        .push_json(200, "{}");
    let clock = FakeClock::new();
    pipeline_with(&transport, &clock, credentials(), options())
        .get("/v1/x")
        .unwrap();
    assert_eq!(transport.request_count(), 4);
    assert_eq!(clock.sleeps(), [ms(500), ms(1000)]);
}

#[test]
fn token_endpoint_refusals_are_typed() {
    let transport = ScriptedTransport::new();
    transport.push_json(
        400,
        r#"{"error":"invalid_grant","error_description":"AADSTS70008: The refresh token has expired.","trace_id":"tr-1","correlation_id":"co-1"}"#,
    );
    let clock = FakeClock::new();
    let grant = RefreshTokenGrant::new(
        AUTHORITY,
        "tenant-1",
        "client-1",
        None,
        Secret::new(REFRESH_TOKEN),
    )
    .unwrap();
    let err = pipeline_with(&transport, &clock, grant, options())
        .get("/v1/x")
        .unwrap_err();
    assert_eq!(transport.request_count(), 1);
    let Error::TokenEndpoint(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.error.as_deref(), Some("invalid_grant"));
    assert_eq!(err.kind(), pc_http::ErrorKind::TokenEndpoint);
    insta::assert_snapshot!("token_endpoint_refusal", err);
}

#[test]
fn refresh_token_grant_rolls_the_refresh_token() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(
            200,
            &format!(
                r#"{{"access_token":"{ISSUED_A}","expires_in":3599,"refresh_token":"{ROLLED_REFRESH}"}}"#
            ),
        )
        .push_status(401)
        .push_json(200, &token_answer(ISSUED_B, "3599"))
        .push_json(200, "{}")
        .push_json(200, "{}");
    let clock = FakeClock::new();
    let rolled: Arc<Mutex<Vec<String>>> = Arc::default();
    let rolled2 = rolled.clone();
    let grant = Arc::new(
        RefreshTokenGrant::new(
            AUTHORITY,
            "tenant-1",
            "client-1",
            Some(Secret::new(CLIENT_SECRET)),
            Secret::new(REFRESH_TOKEN),
        )
        .unwrap()
        .on_new_refresh_token(move |s| rolled2.lock().unwrap().push(s.expose().to_owned())),
    );
    // Shared with the test behind an `Arc`, to read the rolled refresh token afterwards.
    let pipeline = pipeline_with(&transport, &clock, grant.clone(), options());
    pipeline.get("/v1/x").unwrap();
    // The new access token is cached: no token request for the next call.
    pipeline.get("/v1/y").unwrap();
    assert_eq!(
        bearer(&transport.requests()[4]).unwrap(),
        format!("Bearer {ISSUED_B}")
    );
    assert_eq!(*rolled.lock().unwrap(), [ROLLED_REFRESH]);
    assert_eq!(grant.refresh_token().expose(), ROLLED_REFRESH);
    let bodies: Vec<String> = transport
        .requests()
        .iter()
        .filter(|r| r.uri().path().ends_with("/oauth2/token"))
        .map(|r| String::from_utf8(r.body().clone()).unwrap())
        .collect();
    assert_eq!(bodies.len(), 2);
    assert!(bodies[0].starts_with(
        "grant_type=refresh_token&client_id=client-1&refresh_token=refr3sh-TOKEN-value&"
    ));
    assert!(bodies[0].ends_with(&format!("&client_secret={CLIENT_SECRET}")));
    assert!(bodies[1].contains(&format!("refresh_token={ROLLED_REFRESH}&")));
}

#[test]
fn closures_are_token_providers() {
    let transport = ScriptedTransport::new();
    transport.push_json(200, "{}");
    let clock = FakeClock::new();
    let provider = || Ok(Secret::new("from-a-vault"));
    pipeline_with(&transport, &clock, provider, options())
        .get("/v1/x")
        .unwrap();
    assert_eq!(
        bearer(&transport.requests()[0]).unwrap(),
        "Bearer from-a-vault"
    );
}

#[test]
fn a_token_context_shows_nothing_of_what_it_holds() {
    let transport = ScriptedTransport::new();
    let pipeline = pipeline_with(
        &transport,
        &FakeClock::new(),
        StaticToken::new(TOKEN),
        options(),
    );
    assert_eq!(
        format!("{:?}", pipeline.token_context()),
        "TokenContext { .. }"
    );
}

/// One `GET /v1/x` on an async pipeline over `transport` with `provider`.
async fn async_get<P: AsyncTokenProvider + 'static>(
    transport: &ScriptedTransport,
    provider: P,
) -> Result<http::Response<Vec<u8>>, Error> {
    let clock = FakeClock::new();
    AsyncPipeline::new(transport.clone(), provider, options())
        .unwrap()
        .with_clock(clock.clone())
        .with_sleep(clock)
        .get("/v1/x")
        .await
}

#[tokio::test]
async fn async_providers_refresh_on_a_401_only_when_they_can_alone_or_shared() {
    // A static token, alone or behind an `Arc`: the 401 is final.
    for shared in [false, true] {
        let transport = ScriptedTransport::new();
        transport.push_status(401).push_json(200, "{}");
        let result = if shared {
            async_get(&transport, Arc::new(StaticToken::new(TOKEN))).await
        } else {
            async_get(&transport, StaticToken::new(TOKEN)).await
        };
        assert_eq!(
            result.unwrap_err().status(),
            Some(StatusCode::UNAUTHORIZED),
            "shared: {shared}"
        );
        assert_eq!(transport.request_count(), 1, "shared: {shared}");
    }
    // Client credentials behind an `Arc`: the refused token is forgotten, a new one
    // fetched, the call repeated once.
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, &token_answer(ISSUED_A, "3599"))
        .push_status(401)
        .push_json(200, &token_answer(ISSUED_B, "3599"))
        .push_json(200, "{}");
    async_get(&transport, Arc::new(credentials()))
        .await
        .unwrap();
    let requests = transport.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(bearer(&requests[1]).unwrap(), format!("Bearer {ISSUED_A}"));
    assert_eq!(bearer(&requests[3]).unwrap(), format!("Bearer {ISSUED_B}"));
}

#[tokio::test]
async fn async_closures_are_token_providers() {
    let transport = ScriptedTransport::new();
    transport.push_json(200, "{}");
    async_get(&transport, || async { Ok(Secret::new("from-a-vault")) })
        .await
        .unwrap();
    assert_eq!(
        bearer(&transport.requests()[0]).unwrap(),
        "Bearer from-a-vault"
    );
}

#[test]
fn bad_configuration_fails_before_sending() {
    let transport = ScriptedTransport::new();
    let bad_locale = ClientOptions {
        locale: "en\nUS".into(),
        ..options()
    };
    assert!(
        Pipeline::new(transport.clone(), StaticToken::new(TOKEN), bad_locale)
            .unwrap_err()
            .kind()
            == pc_http::ErrorKind::Config
    );
    let clock = FakeClock::new();
    let p = pipeline_with(&transport, &clock, StaticToken::new(TOKEN), options());
    assert!(
        p.get("https://elsewhere.invalid/v1/x").unwrap_err().kind() == pc_http::ErrorKind::Config
    );
    let bad_token = pipeline_with(
        &transport,
        &clock,
        StaticToken::new("Tok3nPart\r\nb"),
        options(),
    );
    let err = bad_token.get("/v1/x").unwrap_err();
    assert!(err.kind() == pc_http::ErrorKind::Config);
    assert!(!err.to_string().contains("Tok3nPart"), "{err}");
    assert!(!format!("{err:?}").contains("Tok3nPart"), "{err:?}");
    assert!(
        ClientCredentials::new("http://login.example.invalid", "t", "c", Secret::new("s"))
            .unwrap_err()
            .kind()
            == pc_http::ErrorKind::Config
    );
    assert_eq!(transport.request_count(), 0);
}

#[test]
fn a_malformed_body_is_reported_with_the_calls_ids() {
    let run = check(|t| {
        t.push_response(
            200,
            &[("MS-RequestId", "rid-1")],
            b"\xEF\xBB\xBF{\"a\":1}".to_vec(),
        );
    });
    let response = run.result.unwrap();
    let v: serde_json::Value = pc_models::from_slice(response.body()).unwrap();
    assert_eq!(v["a"], 1);
    let err = pc_http::Error::malformed(&response, "not a list");
    assert_eq!(
        err.kind(),
        pc_http::ErrorKind::Decode,
        "malformed is a read failure"
    );
    assert!(err.to_string().contains("rid-1"), "{err}");
    assert!(err.to_string().contains("not a list"), "{err}");
}

/// Error messages, one sentence each, pinned.
#[test]
fn error_messages() {
    let ids = [("MS-RequestId", "rid-1"), ("MS-CorrelationId", "corr-1")];
    let mut messages = Vec::new();
    let mut add = |name: &str, run: Run| {
        messages.push(format!("{name}:\n{}\n", run.result.unwrap_err()));
    };
    add(
        "service error",
        check(|t| {
            t.push_response(
                404,
                &ids,
                r#"{"code":600,"description":"The customer was not found.","data":[],"source":"PartnerFD"}"#,
            );
        }),
    );
    add(
        "throttled after retries",
        check(|t| {
            for _ in 0..4 {
                t.push_response(
                    429,
                    &[ids[0], ids[1], ("Retry-After", "11")],
                    r#"{"statusCode":429,"message":"Rate limit is exceeded. Try again in 11 seconds."}"#,
                );
            }
        }),
    );
    add(
        "html body",
        check(|t| {
            t.push_response(502, &ids, "<html><body>Bad gateway\n</body></html>");
            t.push_response(403, &ids, "<html><body>Forbidden\n</body></html>");
        }),
    );
    add(
        "empty body",
        check(|t| {
            t.push_response(501, &ids, "");
        }),
    );
    let with_id = |script: &dyn Fn(&ScriptedTransport)| {
        let transport = ScriptedTransport::new();
        script(&transport);
        let clock = FakeClock::new();
        let p = pipeline_with(&transport, &clock, StaticToken::new(TOKEN), options());
        let req = http::Request::get("/v1/customers/c/batchJobStatus/t")
            .header("MS-RequestId", "rid-2")
            .body(Vec::new())
            .unwrap();
        Run {
            result: p.send(req),
            transport,
            clock,
        }
    };
    add(
        "timeouts",
        with_id(&|t| {
            for _ in 0..4 {
                t.push_error_message(TransportErrorKind::Timeout, "no answer within 30s");
            }
        }),
    );
    add(
        "tls",
        with_id(&|t| {
            t.push_error_message(
                TransportErrorKind::Tls,
                "invalid peer certificate: UnknownIssuer",
            );
        }),
    );
    add(
        "too large",
        with_id(&|t| {
            t.push_error_message(
                TransportErrorKind::TooLarge,
                "the response body exceeds the limit of 1024 bytes",
            );
        }),
    );
    add(
        "plain http",
        with_id(&|t| {
            t.push_error_message(
                TransportErrorKind::InvalidRequest,
                "plain http is only allowed to loopback hosts",
            );
        }),
    );
    insta::assert_snapshot!("error_messages", messages.join("\n"));
}

#[tokio::test]
async fn the_async_pipeline_behaves_the_same() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, &token_answer(ISSUED_A, "3599"))
        .push_response(429, &[("Retry-After", "2")], "")
        .push_status(401)
        .push_json(200, &token_answer(ISSUED_B, "3599"))
        .push_error(TransportErrorKind::Reset)
        .push_json(200, r#"{"ok":true}"#);
    let clock = FakeClock::new();
    let p = AsyncPipeline::new(transport.clone(), credentials(), options())
        .unwrap()
        .with_clock(clock.clone())
        .with_sleep(clock.clone())
        .with_jitter(|| 1.0);
    let response = p.get("/v1/x").await.unwrap();
    assert_eq!(response.body(), br#"{"ok":true}"#);
    assert_eq!(clock.sleeps(), [Duration::from_secs(2), ms(1000)]);
    let reqs = transport.requests();
    let api: Vec<_> = reqs
        .iter()
        .filter(|r| r.uri().host() == Some("api.example.invalid"))
        .collect();
    assert_eq!(api.len(), 4);
    assert!(
        api.iter()
            .all(|r| r.headers()["ms-requestid"] == api[0].headers()["ms-requestid"])
    );
    assert_eq!(bearer(api[3]).unwrap(), format!("Bearer {ISSUED_B}"));
}

#[tokio::test]
async fn async_exhaustion_and_final_statuses() {
    let transport = ScriptedTransport::new();
    for _ in 0..4 {
        transport.push_status(500);
    }
    transport.push_status(404);
    let clock = FakeClock::new();
    let p = AsyncPipeline::new(transport.clone(), StaticToken::new(TOKEN), options())
        .unwrap()
        .with_clock(clock.clone())
        .with_sleep(clock.clone())
        .with_jitter(|| 0.5);
    assert_eq!(p.get("/v1/x").await.unwrap_err().status().unwrap(), 500);
    assert_eq!(clock.sleeps(), [ms(250), ms(500), ms(1000)]);
    assert_eq!(p.get("/v1/x").await.unwrap_err().status().unwrap(), 404);
    assert_eq!(transport.request_count(), 5);
}

/// No secret reaches Debug, Display, errors or tracing output, at any level.
#[test]
fn secrets_never_leak() {
    let secrets = [
        TOKEN,
        CLIENT_SECRET,
        REFRESH_TOKEN,
        ISSUED_A,
        ISSUED_B,
        ROLLED_REFRESH,
    ];
    let (log, outputs) = capture::capture(|| {
        let mut outputs = Vec::new();
        // Client credentials: fetch, 401, refresh, retries, an error.
        let transport = ScriptedTransport::new();
        transport
            .push_status(503)
            .push_json(200, &token_answer(ISSUED_A, "3599"))
            .push_status(401)
            .push_json(200, &token_answer(ISSUED_B, "3599"))
            .push_response(429, &[("Retry-After", "1")], "")
            .push_status(404);
        let clock = FakeClock::new();
        let creds = credentials();
        outputs.push(format!("{creds:?}"));
        let p = pipeline_with(&transport, &clock, creds, options());
        outputs.push(format!("{p:?}"));
        let err = p.get("/v1/x").unwrap_err();
        outputs.push(format!("{err} {err:?}"));
        // Refresh token grant refused, and one that rolls.
        let transport = ScriptedTransport::new();
        transport
            .push_json(
                200,
                &format!(r#"{{"access_token":"{ISSUED_A}","refresh_token":"{ROLLED_REFRESH}"}}"#),
            )
            .push_json(200, "{}");
        let grant = RefreshTokenGrant::new(
            AUTHORITY,
            "tenant-1",
            "client-1",
            Some(Secret::new(CLIENT_SECRET)),
            Secret::new(REFRESH_TOKEN),
        )
        .unwrap();
        outputs.push(format!("{grant:?}"));
        let p = pipeline_with(&transport, &clock, grant, options());
        let ok = p.get("/v1/x").unwrap();
        outputs.push(format!("{ok:?}"));
        let transport = ScriptedTransport::new();
        transport.push_json(
            400,
            r#"{"error":"invalid_client","error_description":"bad secret"}"#,
        );
        let p = pipeline_with(&transport, &clock, credentials(), options());
        let err = p.get("/v1/x").unwrap_err();
        outputs.push(format!("{err} {err:?}"));
        // Static token with a transport failure.
        let transport = ScriptedTransport::new();
        transport.push_error(TransportErrorKind::Tls);
        let p = pipeline_with(&transport, &clock, StaticToken::new(TOKEN), options());
        let err = p.get("/v1/x").unwrap_err();
        outputs.push(format!("{err} {err:?}"));
        outputs.push(format!("{:?}", StaticToken::new(TOKEN)));
        // The async pipeline, on this thread so the capture sees its events: a token
        // fetched, refused, fetched again, then an error answer.
        let transport = ScriptedTransport::new();
        transport
            .push_json(200, &token_answer(ISSUED_A, "3599"))
            .push_status(401)
            .push_json(200, &token_answer(ISSUED_B, "3599"))
            .push_response(429, &[("Retry-After", "1")], "")
            .push_status(403);
        let p = AsyncPipeline::new(transport, credentials(), options())
            .unwrap()
            .with_clock(clock.clone())
            .with_sleep(clock);
        outputs.push(format!("{p:?}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = runtime.block_on(p.get("/v1/x")).unwrap_err();
        outputs.push(format!("{err} {err:?}"));
        outputs
    });
    assert!(log.contains("token refused"), "{log}");
    assert!(log.contains("pc_http_call"), "{log}");
    assert!(log.contains("attempt"), "{log}");
    assert!(log.contains("delay_ms"), "{log}");
    for text in outputs.iter().chain(std::iter::once(&log)) {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} leaked into: {text}");
        }
    }
}

#[test]
fn error_bodies_are_read_into_the_pc_models_types() {
    let run = check(|t| {
        t.push_response(
            400,
            &[],
            b"\xEF\xBB\xBF{\"code\":\"600\",\"description\":\"Invalid\",\"data\":[\"x\"],\"source\":\"PartnerFD\"}".to_vec(),
        );
    });
    let Error::Api(api) = run.result.unwrap_err() else {
        panic!("not an API error")
    };
    let service = api.service_error.unwrap();
    assert_eq!(service.source.as_deref(), Some("PartnerFD"));
    assert_eq!(api.code.as_deref(), Some("600"));
    assert!(api.throttle.is_none());

    let opts = ClientOptions {
        retry: RetryPolicy {
            max_retries: 0,
            ..Default::default()
        },
        ..options()
    };
    let run = check_with(opts, |t| {
        t.push_response(
            429,
            &[("Retry-After", "11")],
            r#"{"statusCode":429,"message":"Rate limit is exceeded."}"#,
        );
    });
    let Error::Api(api) = run.result.unwrap_err() else {
        panic!("not an API error")
    };
    assert_eq!(api.throttle.unwrap().status_code, Some(429));
    assert_eq!(api.description.as_deref(), Some("Rate limit is exceeded."));
    assert_eq!(api.retry_after, Some(Duration::from_secs(11)));
    assert!(api.service_error.is_none());
}

/// The diagnostics a pipeline attached to its answer.
fn diagnostics(response: &http::Response<Vec<u8>>) -> &pc_http::Diagnostics {
    pc_http::Diagnostics::of(response).expect("a pipeline attaches diagnostics")
}

#[test]
fn a_call_deadline_on_the_request_stops_retries_that_would_pass_it() {
    let transport = ScriptedTransport::new();
    transport
        .push_response(429, &[("Retry-After", "20")], "")
        .push_json(200, "{}");
    let clock = FakeClock::new();
    let pipeline = pipeline_with(&transport, &clock, StaticToken::new(TOKEN), options());
    let mut request = http::Request::get("/v1/x").body(Vec::new()).unwrap();
    request
        .extensions_mut()
        .insert(pc_http::CallDeadline(Duration::from_secs(10)));
    let err = pipeline.send(request).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.retry_after, Some(Duration::from_secs(20)));
    assert!(clock.sleeps().is_empty(), "{:?}", clock.sleeps());
    assert_eq!(transport.request_count(), 1);

    // Without it, the same answer is waited out.
    let mut request = http::Request::get("/v1/x").body(Vec::new()).unwrap();
    request
        .extensions_mut()
        .insert(pc_http::CallDeadline(Duration::from_secs(30)));
    transport
        .push_response(429, &[("Retry-After", "20")], "")
        .push_json(200, "{}");
    let before = transport.request_count();
    // The first script's success is still queued: drain it.
    let _ = pipeline.get("/v1/x");
    assert!(pipeline.send(request).is_ok());
    assert_eq!(clock.sleeps(), [Duration::from_secs(20)]);
    assert_eq!(transport.request_count(), before + 3);
    assert_eq!(transport.remaining(), 0);

    // The sooner of the two deadlines holds: a pipeline bound to 10 s is not loosened
    // by a request allowing 60 s.
    let bounded = Pipeline::new(
        transport.clone(),
        StaticToken::new(TOKEN),
        ClientOptions {
            retry: RetryPolicy {
                deadline: Some(Duration::from_secs(10)),
                ..RetryPolicy::default()
            },
            ..options()
        },
    )
    .unwrap()
    .with_clock(clock.clone())
    .with_sleep(clock.clone());
    transport.push_response(429, &[("Retry-After", "20")], "");
    let mut request = http::Request::get("/v1/x").body(Vec::new()).unwrap();
    request
        .extensions_mut()
        .insert(pc_http::CallDeadline(Duration::from_secs(60)));
    let err = bounded.send(request).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(clock.sleeps(), [Duration::from_secs(20)], "no new sleep");
    // And a request's sooner deadline tightens a pipeline's later one.
    let loose = Pipeline::new(
        transport.clone(),
        StaticToken::new(TOKEN),
        ClientOptions {
            retry: RetryPolicy {
                deadline: Some(Duration::from_secs(60)),
                ..RetryPolicy::default()
            },
            ..options()
        },
    )
    .unwrap()
    .with_clock(clock.clone())
    .with_sleep(clock.clone());
    transport.push_response(429, &[("Retry-After", "20")], "");
    let mut request = http::Request::get("/v1/x").body(Vec::new()).unwrap();
    request
        .extensions_mut()
        .insert(pc_http::CallDeadline(Duration::from_secs(10)));
    assert!(loose.send(request).is_err());
    assert_eq!(clock.sleeps(), [Duration::from_secs(20)], "no new sleep");
    assert_eq!(transport.remaining(), 0);
}

#[test]
fn a_device_code_sign_in_polls_as_the_service_asks_and_never_shows_the_code() {
    let (log, outputs) = capture::capture(|| {
        let transport = ScriptedTransport::new();
        transport
            .push_json(
                200,
                r#"{"device_code":"DevC0deSecret","user_code":"ABCD-1234","verification_url":"https://login.example.invalid/device","expires_in":"900","interval":"5","message":"Go and type ABCD-1234."}"#,
            )
            .push_json(400, r#"{"error":"authorization_pending","error_description":"AADSTS70016: pending"}"#)
            .push_json(400, r#"{"error":"slow_down","error_description":"AADSTS70016: slow down"}"#)
            .push_response(503, &[], "")
            .push_json(200, &format!(r#"{{"access_token":"{ISSUED_A}","refresh_token":"{ROLLED_REFRESH}","expires_in":3599}}"#));
        let clock = FakeClock::new();
        let pipeline = pipeline_with(&transport, &clock, StaticToken::new(TOKEN), options());
        let grant = pc_http::DeviceCodeGrant::new(AUTHORITY, "tenant-1", "client-1", None).unwrap();
        let mut shown = String::new();
        let token = grant
            .sign_in(&pipeline.token_context(), |authorization| {
                shown = authorization.instructions();
            })
            .unwrap();
        assert_eq!(shown, "Go and type ABCD-1234.");
        assert_eq!(
            token.refresh_token.as_ref().unwrap().expose(),
            ROLLED_REFRESH
        );
        // 5 s, 5 s, then 10 s after slow_down; the 503 is retried under the usual rules.
        assert_eq!(
            clock.sleeps(),
            [
                Duration::from_secs(5),
                Duration::from_secs(5),
                Duration::from_secs(10),
                ms(500)
            ]
        );
        let requests = transport.requests();
        assert_eq!(requests.len(), 5);
        assert_eq!(
            requests[0].uri(),
            "https://login.example.invalid/tenant-1/oauth2/devicecode"
        );
        assert!(
            requests
                .iter()
                .all(|r| !r.headers().contains_key("authorization"))
        );
        vec![format!("{grant:?} {token:?}")]
    });
    for text in outputs.iter().chain(std::iter::once(&log)) {
        for secret in ["DevC0deSecret", ISSUED_A, ROLLED_REFRESH] {
            assert!(!text.contains(secret), "{secret} leaked into: {text}");
        }
    }
}

#[tokio::test]
async fn an_async_device_code_sign_in_polls_as_the_service_asks() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(
            200,
            r#"{"device_code":"d","user_code":"U","verification_uri":"https://login.example.invalid/device","expires_in":900,"interval":5}"#,
        )
        .push_json(400, r#"{"error":"authorization_pending"}"#)
        .push_json(400, r#"{"error":"slow_down"}"#)
        .push_json(200, &format!(r#"{{"access_token":"{ISSUED_A}","expires_in":3599}}"#));
    let clock = FakeClock::new();
    let pipeline = AsyncPipeline::new(transport.clone(), StaticToken::new(TOKEN), options())
        .unwrap()
        .with_clock(clock.clone())
        .with_sleep(clock.clone());
    let grant = pc_http::DeviceCodeGrant::new(AUTHORITY, "tenant-1", "client-1", None).unwrap();
    let token = grant
        .sign_in_async(&pipeline.token_context(), |_| {})
        .await
        .unwrap();
    assert_eq!(token.access_token.expose(), ISSUED_A);
    // 5 s before each poll, then 10 s after slow_down.
    assert_eq!(
        clock.sleeps(),
        [
            Duration::from_secs(5),
            Duration::from_secs(5),
            Duration::from_secs(10)
        ]
    );
    assert_eq!(transport.request_count(), 4);
}

#[test]
fn a_refused_device_code_sign_in_ends_with_the_services_description() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(
            200,
            r#"{"device_code":"d","user_code":"U","verification_uri":"https://login.example.invalid/device","expires_in":900,"interval":1}"#,
        )
        .push_json(400, r#"{"error":"access_denied","error_description":"AADSTS70000: the user declined"}"#);
    let clock = FakeClock::new();
    let pipeline = pipeline_with(&transport, &clock, StaticToken::new(TOKEN), options());
    let grant = pc_http::DeviceCodeGrant::new(AUTHORITY, "tenant-1", "client-1", None).unwrap();
    let error = grant
        .sign_in(&pipeline.token_context(), |_| {})
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenEndpoint);
    assert!(
        error
            .to_string()
            .contains("access_denied: AADSTS70000: the user declined"),
        "{error}"
    );
    assert_eq!(transport.request_count(), 2);
}

#[test]
fn a_refused_refresh_token_says_the_sign_in_must_be_renewed() {
    let transport = ScriptedTransport::new();
    transport.push_json(
        400,
        r#"{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity."}"#,
    );
    let clock = FakeClock::new();
    let grant = RefreshTokenGrant::new(
        AUTHORITY,
        "tenant-1",
        "client-1",
        None,
        Secret::new(REFRESH_TOKEN),
    )
    .unwrap();
    let pipeline = pipeline_with(&transport, &clock, grant, options());
    let error = pipeline.get("/v1/x").unwrap_err();
    assert!(error.needs_new_sign_in(), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("AADSTS700082"), "{message}");
    assert!(message.contains("must be renewed"), "{message}");
    assert!(!message.contains(REFRESH_TOKEN), "{message}");
    assert_eq!(transport.request_count(), 1, "no API call without a token");
}

/// A token store's own failure, as a provider of the caller's reports it.
#[derive(Debug)]
struct StoreLocked(&'static str);

impl std::fmt::Display for StoreLocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the token store {} is locked", self.0)
    }
}

impl std::error::Error for StoreLocked {}

#[test]
fn a_token_providers_own_failure_comes_back_as_it_was_sending_nothing() {
    let transport = ScriptedTransport::new();
    let provider =
        || -> Result<Secret, Error> { Err(Error::token_provider(StoreLocked("vault-1"))) };
    let pipeline = pipeline_with(&transport, &FakeClock::new(), provider, options());
    let error = pipeline.get("/v1/x").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenProvider);
    assert_eq!(error.to_string(), "the token store vault-1 is locked");
    assert_eq!(error.status(), None);
    assert!(error.diagnostics().is_none());
    // The provider's own error, with its details, for the caller to take back.
    let own = error
        .token_provider_error()
        .and_then(|own| own.downcast_ref::<StoreLocked>())
        .unwrap();
    assert_eq!(own.0, "vault-1");
    let source = std::error::Error::source(&error).unwrap();
    assert!(source.is::<StoreLocked>());
    assert!(transport.requests().is_empty());
    // Other errors carry none.
    assert!(Error::config("x").token_provider_error().is_none());
}

#[tokio::test]
async fn an_async_token_providers_own_failure_comes_back_as_it_was() {
    let transport = ScriptedTransport::new();
    let provider = || async { Err::<Secret, Error>(Error::token_provider(StoreLocked("vault-2"))) };
    let pipeline = AsyncPipeline::new(transport.clone(), provider, options()).unwrap();
    let error = pipeline.get("/v1/x").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenProvider);
    assert!(
        error
            .token_provider_error()
            .is_some_and(|own| own.is::<StoreLocked>())
    );
    assert!(transport.requests().is_empty());
}
