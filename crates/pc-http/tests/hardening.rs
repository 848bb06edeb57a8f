//! Hardening, one point a test: the token grants over real HTTP on each backend built
//! (both in the workspace's run), a token endpoint that stalls or shows an untrusted
//! certificate, header values that would break a request line, error messages from
//! huge answers, and one token fetch for many concurrent calls and `401`s.
#![cfg(any(feature = "ureq", feature = "reqwest"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pc_http::testing::{FakeClock, ScriptedTransport};
use pc_http::{
    AsyncPipeline, AsyncTokenProvider, ClientCredentials, ClientOptions, Error, ErrorKind,
    Pipeline, RefreshTokenGrant, RetryPolicy, Secret, StaticToken, TokenProvider,
    TransportErrorKind, proxy::ProxyOptions,
};
use support::server::{Received, Reply, start, tls_config};

const CLIENT_SECRET: &str = "cl1ent-S3CRET";
const REFRESH: &str = "refr3sh-T0KEN";

#[cfg(feature = "reqwest")]
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Options for a local server: no proxy, no retries, a short timeout.
fn local(base: &str, timeout: Duration) -> ClientOptions {
    ClientOptions {
        base_url: base.parse().unwrap(),
        timeout,
        proxy: ProxyOptions::Direct,
        retry: RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        },
        ..ClientOptions::default()
    }
}

fn path(received: &Received) -> &str {
    received.head.split(' ').nth(1).unwrap_or_default()
}

/// A token endpoint and an API on one local server: the token endpoint issues
/// `issued-N` and `rolled-N` (N counting from 1); the API answers `{}` to a token it
/// issued and `401` to anything else.
fn token_server() -> support::server::Server {
    let issued = Arc::new(AtomicUsize::new(0));
    start(None, move |request| {
        if path(request).ends_with("/oauth2/token") {
            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
            let body = format!(
                r#"{{"token_type":"Bearer","expires_in":"3599","access_token":"issued-{n}","refresh_token":"rolled-{n}"}}"#
            );
            Reply::status(
                200,
                &[("Content-Type", "application/json")],
                body.as_bytes(),
            )
        } else if request
            .header("authorization")
            .is_some_and(|value| value.starts_with("Bearer issued-"))
        {
            Reply::status(200, &[], b"{}")
        } else {
            Reply::status(401, &[], b"")
        }
    })
}

/// How many backends this build has: both in the workspace's run.
const BACKENDS: usize = cfg!(feature = "ureq") as usize + cfg!(feature = "reqwest") as usize;

/// One `GET /v1/x` through each backend built ([`BACKENDS`] of them, ureq first) with a
/// new `token`.
fn get_each<T>(token: impl Fn() -> T, options: &ClientOptions) -> Vec<Result<(), Error>>
where
    T: TokenProvider + AsyncTokenProvider + 'static,
{
    let results = vec![
        #[cfg(feature = "ureq")]
        Pipeline::with_ureq(token(), options.clone())
            .and_then(|pipeline| pipeline.get("/v1/x"))
            .map(drop),
        #[cfg(feature = "reqwest")]
        runtime().block_on(async {
            AsyncPipeline::with_reqwest(token(), options.clone())?
                .get("/v1/x")
                .await
                .map(drop)
        }),
    ];
    assert_eq!(results.len(), BACKENDS);
    results
}

#[test]
fn the_client_credentials_grant_over_real_http_on_each_backend() {
    let server = token_server();
    let authority = server.url("http", "");
    let options = local(&server.url("http", ""), Duration::from_secs(5));
    let credentials = || {
        ClientCredentials::new(
            &authority,
            "tenant-1",
            "client-1",
            Secret::new(CLIENT_SECRET),
        )
        .unwrap()
    };
    for result in get_each(credentials, &options) {
        result.unwrap();
    }
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        2 * BACKENDS,
        "a token and a call, per backend"
    );
    for token_request in requests.iter().step_by(2) {
        assert!(
            token_request
                .head
                .starts_with("POST /tenant-1/oauth2/token ")
        );
        assert_eq!(
            token_request.header("content-type").as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        let form = String::from_utf8(token_request.body.clone()).unwrap();
        assert!(
            form.starts_with(
                "grant_type=client_credentials&client_id=client-1&client_secret=cl1ent-S3CRET&"
            ),
            "{form}"
        );
        assert!(token_request.header("authorization").is_none());
    }
}

#[test]
fn the_refresh_token_grant_over_real_http_rolls_the_token_on_each_backend() {
    let server = token_server();
    let authority = server.url("http", "");
    let options = local(&server.url("http", ""), Duration::from_secs(5));
    let grants: Arc<std::sync::Mutex<Vec<Arc<RefreshTokenGrant>>>> = Arc::default();
    let made = grants.clone();
    let grant = move || {
        let grant = Arc::new(
            RefreshTokenGrant::new(
                &authority,
                "tenant-1",
                "client-1",
                None,
                Secret::new(REFRESH),
            )
            .unwrap(),
        );
        made.lock().unwrap().push(grant.clone());
        grant
    };
    for result in get_each(grant, &options) {
        result.unwrap();
    }
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        2 * BACKENDS,
        "a token and a call, per backend"
    );
    for token_request in requests.iter().step_by(2) {
        let form = String::from_utf8(token_request.body.clone()).unwrap();
        assert!(
            form.starts_with(
                "grant_type=refresh_token&client_id=client-1&refresh_token=refr3sh-T0KEN"
            ),
            "{form}"
        );
    }
    // Each grant now holds the token the endpoint rolled.
    let grants = grants.lock().unwrap();
    assert_eq!(grants.len(), BACKENDS);
    for (n, grant) in grants.iter().enumerate() {
        assert_eq!(grant.refresh_token().expose(), format!("rolled-{}", n + 1));
    }
}

#[test]
fn a_token_endpoint_that_never_answers_ends_within_the_timeout_on_each_backend() {
    // The endpoint reads the request and says nothing for longer than the test may run.
    let server = start(None, |_| {
        Reply::Stall(Vec::new(), Duration::from_secs(10), Vec::new())
    });
    let authority = server.url("http", "");
    let timeout = Duration::from_millis(500);
    let options = local(&server.url("http", ""), timeout);
    let credentials =
        || ClientCredentials::new(&authority, "t", "c", Secret::new(CLIENT_SECRET)).unwrap();
    let started = Instant::now();
    for result in get_each(credentials, &options) {
        let error = result.unwrap_err();
        assert_eq!(
            error.transport_kind(),
            Some(TransportErrorKind::Timeout),
            "{error}"
        );
        assert!(!error.to_string().contains(CLIENT_SECRET));
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn an_untrusted_certificate_fails_for_the_token_endpoint_on_each_backend() {
    let (config, _ca_pem) = tls_config();
    let server = start(Some(config), |_| {
        Reply::status(200, &[], br#"{"access_token":"x"}"#)
    });
    let authority = server.url("https", "");
    let options = local(&server.url("https", ""), Duration::from_secs(5));
    let credentials =
        || ClientCredentials::new(&authority, "t", "c", Secret::new(CLIENT_SECRET)).unwrap();
    for result in get_each(credentials, &options) {
        let error = result.unwrap_err();
        assert_eq!(
            error.transport_kind(),
            Some(TransportErrorKind::Tls),
            "{error}"
        );
    }
    assert!(
        server.requests().is_empty(),
        "no request passed the handshake"
    );
}

#[test]
fn an_issued_token_that_would_break_a_header_is_refused_before_sending_it() {
    let transport = ScriptedTransport::new();
    transport.push_json(200, r#"{"access_token":"issued\r\nX-Evil: S3CRETPART"}"#);
    let credentials = ClientCredentials::new(
        "https://login.example.invalid",
        "t",
        "c",
        Secret::new(CLIENT_SECRET),
    )
    .unwrap();
    let options = ClientOptions {
        base_url: "https://api.example.invalid".parse().unwrap(),
        ..ClientOptions::default()
    };
    let clock = FakeClock::new();
    let pipeline = Pipeline::new(transport.clone(), credentials, options)
        .unwrap()
        .with_clock(clock.clone())
        .with_sleep(clock);
    let error = pipeline.get("/v1/x").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config, "{error}");
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains("S3CRETPART"), "{shown}");
        assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    }
    assert_eq!(
        transport.request_count(),
        1,
        "only the token request was sent"
    );
}

#[test]
fn a_correlation_id_that_would_break_a_header_is_refused_before_sending() {
    for bad in ["corr\r\nX-Evil: 1", "corr\n", "corr\r"] {
        let options = ClientOptions {
            correlation_id: Some(bad.into()),
            ..ClientOptions::default()
        };
        let transport = ScriptedTransport::new();
        let error = Pipeline::new(transport.clone(), StaticToken::new("t0k"), options).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config, "{error}");
        assert!(error.to_string().contains("correlation id"), "{error}");
        assert_eq!(transport.request_count(), 0);
    }
}

#[test]
fn a_one_megabyte_error_answer_gives_a_message_of_bounded_length() {
    let megabyte = 1 << 20;
    let html = format!("<html>{}</html>", "x".repeat(megabyte));
    let described = serde_json::json!({"code": "c".repeat(megabyte), "description": "d\n".repeat(megabyte / 2)})
        .to_string();
    for (status, body) in [(404, html), (400, described)] {
        let transport = ScriptedTransport::new();
        transport.push_json(status, &body);
        let options = ClientOptions {
            base_url: "https://api.example.invalid".parse().unwrap(),
            ..ClientOptions::default()
        };
        let error = Pipeline::new(transport, StaticToken::new("t0k"), options)
            .unwrap()
            .get("/v1/x")
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Api);
        let message = error.to_string();
        assert!(message.len() < 2_000, "{} bytes", message.len());
        assert!(format!("{error:?}").len() < 4_000);
    }
    // The token endpoint's refusal too.
    let transport = ScriptedTransport::new();
    transport.push_json(
        400,
        &serde_json::json!({"error": "invalid_client", "error_description": "d".repeat(megabyte)})
            .to_string(),
    );
    let credentials =
        ClientCredentials::new("https://login.example.invalid", "t", "c", Secret::new("s"))
            .unwrap();
    let options = ClientOptions {
        base_url: "https://api.example.invalid".parse().unwrap(),
        ..ClientOptions::default()
    };
    let error = Pipeline::new(transport, credentials, options)
        .unwrap()
        .get("/v1/x")
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenEndpoint);
    assert!(
        error.to_string().len() < 2_000,
        "{} bytes",
        error.to_string().len()
    );
}

#[test]
fn an_absurd_token_lifetime_is_cached_without_overflowing_the_clock() {
    let transport = ScriptedTransport::new();
    transport
        .push_json(200, r#"{"access_token":"a","expires_in":1e18}"#)
        .push_json(200, "{}")
        .push_json(200, "{}");
    let credentials =
        ClientCredentials::new("https://login.example.invalid", "t", "c", Secret::new("s"))
            .unwrap();
    let options = ClientOptions {
        base_url: "https://api.example.invalid".parse().unwrap(),
        ..ClientOptions::default()
    };
    let pipeline = Pipeline::new(transport.clone(), credentials, options).unwrap();
    pipeline.get("/v1/x").unwrap();
    pipeline.get("/v1/y").unwrap();
    assert_eq!(transport.request_count(), 3, "one token, cached");
}

/// An async transport on the scripted rules of [`token_server`], yielding between
/// steps so concurrent calls interleave; it counts the token requests.
/// What the yielding transport answers.
type Answer = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<http::Response<Vec<u8>>, pc_http::TransportError>>
            + Send,
    >,
>;

fn yielding_transport(
    token_requests: Arc<AtomicUsize>,
) -> impl Fn(http::Request<Vec<u8>>) -> Answer + Send + Sync {
    move |request| {
        let token_requests = token_requests.clone();
        Box::pin(async move {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            let (status, body) = if request.uri().path().ends_with("/oauth2/token") {
                let n = token_requests.fetch_add(1, Ordering::SeqCst) + 1;
                (
                    200,
                    format!(r#"{{"access_token":"issued-{n}","expires_in":3599}}"#),
                )
            } else {
                let bearer = request
                    .headers()
                    .get("authorization")
                    .map(|value| value.to_str().unwrap().to_owned());
                // The first token is refused; any later one is accepted.
                match bearer.as_deref() {
                    Some("Bearer issued-1") | None => (401, String::new()),
                    Some(_) => (200, "{}".to_owned()),
                }
            };
            Ok(http::Response::builder()
                .status(status)
                .body(body.into_bytes())
                .unwrap())
        })
    }
}

/// An async pipeline with client credentials over [`yielding_transport`], and its count
/// of token requests.
fn yielding_pipeline() -> (AsyncPipeline, Arc<AtomicUsize>) {
    let token_requests = Arc::new(AtomicUsize::new(0));
    let credentials =
        ClientCredentials::new("https://login.example.invalid", "t", "c", Secret::new("s"))
            .unwrap();
    let options = ClientOptions {
        base_url: "https://api.example.invalid".parse().unwrap(),
        ..ClientOptions::default()
    };
    let transport = yielding_transport(token_requests.clone());
    let pipeline = AsyncPipeline::new(transport, credentials, options).unwrap();
    (pipeline, token_requests)
}

#[tokio::test]
async fn concurrent_calls_and_their_401s_fetch_one_token_each_on_one_async_pipeline() {
    let (pipeline, token_requests) = yielding_pipeline();
    let (a, b, c, d) = tokio::join!(
        pipeline.get("/v1/a"),
        pipeline.get("/v1/b"),
        pipeline.get("/v1/c"),
        pipeline.get("/v1/d"),
    );
    for result in [a, b, c, d] {
        result.unwrap();
    }
    // One fetch for the first token, and one refresh after the four 401s it met.
    assert_eq!(token_requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn tasks_waiting_for_a_token_fetch_are_woken_when_it_ends() {
    // Separate tasks, unlike the branches of one `join!`, have their own wakers: a
    // waiter that was never woken would hang, and the deadline below would end it.
    let (pipeline, token_requests) = yielding_pipeline();
    let tasks: Vec<_> = (0..4)
        .map(|n| {
            let pipeline = pipeline.clone();
            tokio::spawn(async move { pipeline.get(&format!("/v1/{n}")).await.map(drop) })
        })
        .collect();
    let all = async {
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(10), all)
        .await
        .expect("every task waiting for the token fetch was woken");
    assert_eq!(token_requests.load(Ordering::SeqCst), 2);
}
