//! Interruption through both pipelines: an interrupted pipeline starts nothing, an
//! attempt in flight runs to its end (a success stays a success), a retry is not made
//! and its delay is cut short, token requests and a device-code sign-in stop too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use pc_http::testing::{FakeClock, ScriptedTransport};
use pc_http::{
    AsyncPipeline, ClientCredentials, ClientOptions, DeviceCodeState, Error, ErrorKind, Interrupt,
    Pipeline, Secret, StaticToken, TransportErrorKind,
};

const AUTHORITY: &str = "https://login.example.invalid";

fn options() -> ClientOptions {
    ClientOptions {
        base_url: "https://api.example.invalid".parse().unwrap(),
        correlation_id: Some("corr-1".into()),
        ..Default::default()
    }
}

fn blocking(transport: &ScriptedTransport, clock: &FakeClock, interrupt: &Interrupt) -> Pipeline {
    Pipeline::new(transport.clone(), StaticToken::new("t0ken"), options())
        .unwrap()
        .with_clock(clock.clone())
        .with_sleep(clock.clone())
        .with_jitter(|| 1.0)
        .with_interrupt(interrupt.clone())
}

fn asynchronous(
    transport: &ScriptedTransport,
    clock: &FakeClock,
    interrupt: &Interrupt,
) -> AsyncPipeline {
    AsyncPipeline::new(transport.clone(), StaticToken::new("t0ken"), options())
        .unwrap()
        .with_clock(clock.clone())
        .with_sleep(clock.clone())
        .with_jitter(|| 1.0)
        .with_interrupt(interrupt.clone())
}

fn post() -> http::Request<Vec<u8>> {
    http::Request::post("/v1/customers/c/deviceBatches")
        .header("MS-RequestId", "req-1")
        .body(br#"{"batchId":"Lab A"}"#.to_vec())
        .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// What one call came to, the transport it went through, and the clock.
type Run = (
    Result<http::Response<Vec<u8>>, Error>,
    ScriptedTransport,
    FakeClock,
);

/// What one call through each pipeline came to, over the same script.
fn both(script: impl Fn(&ScriptedTransport, &Interrupt)) -> Vec<Run> {
    let mut runs = Vec::new();
    for mode in ["blocking", "async"] {
        let transport = ScriptedTransport::new();
        let interrupt = Interrupt::new();
        script(&transport, &interrupt);
        let clock = FakeClock::new();
        let result = if mode == "blocking" {
            blocking(&transport, &clock, &interrupt).execute(post())
        } else {
            runtime().block_on(asynchronous(&transport, &clock, &interrupt).execute(post()))
        };
        runs.push((result, transport, clock));
    }
    runs
}

#[test]
fn an_interrupted_pipeline_sends_nothing() {
    for (result, transport, clock) in both(|transport, interrupt| {
        transport.push_status(202);
        interrupt.interrupt();
    }) {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert_eq!(error.status(), None);
        assert_eq!(
            error.to_string(),
            "POST /v1/customers/c/deviceBatches on api.example.invalid was not sent because \
             of an interruption (MS-CorrelationId corr-1, MS-RequestId req-1)"
        );
        assert_eq!(error.diagnostics().unwrap().attempts, 0);
        assert_eq!(transport.request_count(), 0);
        assert!(clock.sleeps().is_empty());
    }
}

#[test]
fn an_attempt_in_flight_ends_and_its_success_is_returned() {
    for (result, transport, _) in both(|transport, interrupt| {
        transport
            .push_response(202, &[("Location", "/v1/x/batchJobStatus/t")], "")
            .interrupt_during(1, interrupt);
    }) {
        let response = result.unwrap();
        assert_eq!(response.status(), 202);
        assert_eq!(transport.request_count(), 1);
    }
}

#[test]
fn a_final_failure_in_flight_is_returned_as_it_is() {
    for (result, transport, _) in both(|transport, interrupt| {
        transport.push_status(400).interrupt_during(1, interrupt);
    }) {
        assert_eq!(result.unwrap().status(), 400);
        assert_eq!(transport.request_count(), 1);
    }
}

#[test]
fn a_retryable_failure_in_flight_is_not_retried_nor_slept_on() {
    let runs = both(|transport, interrupt| {
        transport
            .push_response(503, &[("Retry-After", "7")], "")
            .push_status(202)
            .interrupt_during(1, interrupt);
    });
    for (result, transport, clock) in runs {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert_eq!(
            error.to_string(),
            "POST /v1/customers/c/deviceBatches on api.example.invalid was not retried because \
             of an interruption; the last attempt ended with HTTP 503 Service Unavailable \
             (MS-CorrelationId corr-1, MS-RequestId req-1)"
        );
        assert_eq!(error.diagnostics().unwrap().attempts, 1);
        assert_eq!(transport.request_count(), 1);
        assert_eq!(transport.remaining(), 1);
        assert!(clock.sleeps().is_empty(), "{:?}", clock.sleeps());
    }
    let runs = both(|transport, interrupt| {
        transport
            .push_error(TransportErrorKind::Reset)
            .push_error(TransportErrorKind::Timeout)
            .push_status(202)
            .interrupt_during(2, interrupt);
    });
    for (result, transport, clock) in runs {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert!(
            error.to_string().ends_with(
                "the last attempt ended with the request timed out (after 2 attempts; \
                 MS-CorrelationId corr-1, MS-RequestId req-1)"
            ),
            "{error}"
        );
        assert_eq!(transport.request_count(), 2);
        // The first retry was slept before the interrupt; the second never.
        assert_eq!(clock.sleeps(), [Duration::from_millis(500)]);
    }
}

/// A 30 s `Retry-After` slept with the real sleeps is cut short by an interrupt from
/// another thread after 50 ms: the call ends `Interrupted` within seconds, with one
/// attempt. Bounded: the assertion allows 10 s, the interrupt comes at 50 ms.
#[test]
fn a_retry_after_sleep_is_not_slept_through() {
    let long = [("Retry-After", "30")];
    let interrupted_soon = || {
        let interrupt = Interrupt::new();
        let handler = interrupt.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            handler.interrupt();
        });
        interrupt
    };

    let transport = ScriptedTransport::new();
    transport.push_response(429, &long, "").push_status(200);
    let pipeline = Pipeline::new(transport.clone(), StaticToken::new("t"), options())
        .unwrap()
        .with_interrupt(interrupted_soon());
    let started = Instant::now();
    let error = pipeline.get("/v1/x").unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(error.kind(), ErrorKind::Interrupted);
    assert_eq!(transport.request_count(), 1);

    let transport = ScriptedTransport::new();
    transport.push_response(429, &long, "").push_status(200);
    let pipeline = AsyncPipeline::new(transport.clone(), StaticToken::new("t"), options())
        .unwrap()
        .with_interrupt(interrupted_soon());
    let started = Instant::now();
    let error = runtime().block_on(pipeline.get("/v1/x")).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(error.kind(), ErrorKind::Interrupted);
    assert_eq!(transport.request_count(), 1);
}

#[test]
fn the_pipelines_sleep_honours_the_interrupt() {
    let clock = FakeClock::new();
    let interrupt = Interrupt::new();
    let transport = ScriptedTransport::new();
    let pipeline = blocking(&transport, &clock, &interrupt);
    let shared = asynchronous(&transport, &clock, &interrupt);
    pipeline.sleep().sleep(Duration::from_secs(1));
    runtime().block_on(shared.sleep().sleep(Duration::from_secs(2)));
    assert!(!pipeline.interrupt().is_interrupted());
    interrupt.interrupt();
    assert!(pipeline.interrupt().is_interrupted() && shared.interrupt().is_interrupted());
    // A clone made afterwards, under another correlation id, shares it.
    let other = pipeline.with_correlation_id("corr-2").unwrap();
    other.sleep().sleep(Duration::from_secs(3));
    runtime().block_on(shared.sleep().sleep(Duration::from_secs(4)));
    assert_eq!(
        clock.sleeps(),
        [Duration::from_secs(1), Duration::from_secs(2)]
    );
    assert_eq!(
        other.get("/v1/x").unwrap_err().kind(),
        ErrorKind::Interrupted
    );
    // Real sleeps, interrupted already: they do not start.
    let real = Pipeline::new(transport.clone(), StaticToken::new("t"), options())
        .unwrap()
        .with_interrupt(interrupt);
    let started = Instant::now();
    real.sleep().sleep(Duration::from_secs(30));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(transport.request_count(), 0);
}

fn credentials() -> ClientCredentials {
    ClientCredentials::new(
        AUTHORITY,
        "tenant-1",
        "client-1",
        Secret::new("cl1ent-S3CRET"),
    )
    .unwrap()
}

#[test]
fn token_requests_stop_too() {
    let token = r#"{"access_token":"issued","expires_in":"3599"}"#;
    // Interrupted before: not even the token endpoint is asked.
    let transport = ScriptedTransport::new();
    transport.push_json(200, token).push_status(200);
    let interrupt = Interrupt::new();
    interrupt.interrupt();
    let clock = FakeClock::new();
    let pipeline = Pipeline::new(transport.clone(), credentials(), options())
        .unwrap()
        .with_clock(clock.clone())
        .with_sleep(clock.clone())
        .with_interrupt(interrupt);
    assert_eq!(
        pipeline.get("/v1/x").unwrap_err().kind(),
        ErrorKind::Interrupted
    );
    assert_eq!(transport.request_count(), 0);

    // Interrupted while the token request is in flight: it ends, the API is not called.
    for mode in ["blocking", "async"] {
        let transport = ScriptedTransport::new();
        let interrupt = Interrupt::new();
        transport
            .push_json(200, token)
            .push_status(200)
            .interrupt_during(1, &interrupt);
        let error = if mode == "blocking" {
            Pipeline::new(transport.clone(), credentials(), options())
                .unwrap()
                .with_clock(clock.clone())
                .with_interrupt(interrupt)
                .get("/v1/x")
                .unwrap_err()
        } else {
            let pipeline = AsyncPipeline::new(transport.clone(), credentials(), options())
                .unwrap()
                .with_clock(clock.clone())
                .with_interrupt(interrupt);
            runtime().block_on(pipeline.get("/v1/x")).unwrap_err()
        };
        assert_eq!(error.kind(), ErrorKind::Interrupted, "{mode}");
        assert!(error.to_string().contains("GET /v1/x"), "{error}");
        assert_eq!(transport.request_count(), 1, "{mode}");
        assert_eq!(
            transport.requests()[0].uri().host(),
            Some("login.example.invalid")
        );
    }

    // Interrupted while a token request waits to be retried: the retry is not made.
    let transport = ScriptedTransport::new();
    let interrupt = Interrupt::new();
    transport
        .push_status(503)
        .push_json(200, token)
        .push_status(200)
        .interrupt_during(1, &interrupt);
    let error = Pipeline::new(transport.clone(), credentials(), options())
        .unwrap()
        .with_clock(clock.clone())
        .with_sleep(clock)
        .with_interrupt(interrupt)
        .get("/v1/x")
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Interrupted);
    assert!(
        error.to_string().starts_with(
            "POST /tenant-1/oauth2/token on login.example.invalid was not retried because of an \
             interruption; the last attempt ended with HTTP 503 Service Unavailable"
        ),
        "{error}"
    );
    assert_eq!(transport.request_count(), 1);
}

const STARTED: &str = r#"{"device_code":"d","user_code":"U","verification_url":"https://login.example.invalid/device","expires_in":900,"interval":5}"#;
const PENDING: &str = r#"{"error":"authorization_pending"}"#;

#[test]
fn a_device_code_sign_in_stops_polling_when_interrupted() {
    let grant = pc_http::DeviceCodeGrant::new(AUTHORITY, "tenant-1", "client-1", None).unwrap();

    // Interrupted while the code is shown: no poll, no sleep.
    let transport = ScriptedTransport::new();
    transport.push_json(200, STARTED).push_json(400, PENDING);
    let clock = FakeClock::new();
    let interrupt = Interrupt::new();
    let pipeline = blocking(&transport, &clock, &interrupt);
    let error = grant
        .sign_in(&pipeline.token_context(), |_| interrupt.interrupt())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Interrupted);
    assert_eq!(transport.request_count(), 1);
    assert!(clock.sleeps().is_empty());

    // Interrupted during a pending poll: the next poll is not sent, for both pipelines.
    let script = |transport: &ScriptedTransport, interrupt: &Interrupt| {
        transport
            .push_json(200, STARTED)
            .push_json(400, PENDING)
            .push_json(400, PENDING)
            .push_json(200, r#"{"access_token":"a","expires_in":3599}"#)
            .interrupt_during(2, interrupt);
    };
    let transport = ScriptedTransport::new();
    let interrupt = Interrupt::new();
    script(&transport, &interrupt);
    let clock = FakeClock::new();
    let pipeline = blocking(&transport, &clock, &interrupt);
    let error = grant
        .sign_in(&pipeline.token_context(), |_| {})
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Interrupted);
    assert_eq!(transport.request_count(), 2);
    assert_eq!(clock.sleeps(), [Duration::from_secs(5)]);

    let transport = ScriptedTransport::new();
    let interrupt = Interrupt::new();
    script(&transport, &interrupt);
    let clock = FakeClock::new();
    let pipeline = asynchronous(&transport, &clock, &interrupt);
    let error = runtime()
        .block_on(grant.sign_in_async(&pipeline.token_context(), |_| {}))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Interrupted);
    assert_eq!(transport.request_count(), 2);
    assert_eq!(clock.sleeps(), [Duration::from_secs(5)]);
}

#[test]
fn the_device_code_flow_names_the_interruption() {
    let started = http::Response::new(STARTED.as_bytes().to_vec());
    let authorization = pc_http::DeviceAuthorization::from_response(&started).unwrap();
    let t0 = Instant::now();
    let mut flow = pc_http::DeviceCodeFlow::new(&authorization, t0);
    let transport = ScriptedTransport::new();
    let interrupt = Interrupt::new();
    interrupt.interrupt();
    let interrupted = blocking(&transport, &FakeClock::new(), &interrupt).get("/v1/x");
    let error = flow.on_answer(interrupted, t0).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Interrupted);
    assert_eq!(flow.state(), DeviceCodeState::Interrupted);
}
