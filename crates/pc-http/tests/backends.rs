//! One behavioural suite, run against each real backend built (both in the workspace's
//! run, one in a feature-alone run) on a local server at 127.0.0.1 port 0: statuses,
//! headers, timeouts, truncation, the body cap, the loopback-only plain http rule, TLS
//! trust, and the proxy.
#![cfg(any(feature = "ureq", feature = "reqwest"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pc_http::testing::FakeClock;
#[cfg(feature = "reqwest")]
use pc_http::{AsyncHttpTransport, AsyncPipeline, ReqwestTransport};
use pc_http::{
    ClientOptions, Error, Secret, StaticToken, TransportError, TransportErrorKind,
    proxy::ProxyOptions,
};
#[cfg(feature = "ureq")]
use pc_http::{HttpTransport, Pipeline, UreqTransport};
use support::server::{Reply, start, tls_config, tls_config_for};

#[derive(Debug, Clone, Copy)]
enum Backend {
    #[cfg(feature = "ureq")]
    Ureq,
    #[cfg(feature = "reqwest")]
    Reqwest,
}

/// The backends this build has: both in the workspace's run.
const BACKENDS: &[Backend] = &[
    #[cfg(feature = "ureq")]
    Backend::Ureq,
    #[cfg(feature = "reqwest")]
    Backend::Reqwest,
];

#[cfg(feature = "reqwest")]
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn options() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        proxy: ProxyOptions::Direct,
        correlation_id: Some("corr-b".into()),
        ..Default::default()
    }
}

/// Sends one request straight through a backend's transport.
fn send(
    backend: Backend,
    options: &ClientOptions,
    request: http::Request<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, TransportError> {
    match backend {
        #[cfg(feature = "ureq")]
        Backend::Ureq => UreqTransport::new(options).unwrap().send(request),
        #[cfg(feature = "reqwest")]
        Backend::Reqwest => {
            let transport = ReqwestTransport::new(options).unwrap();
            runtime().block_on(transport.send(request))
        }
    }
}

fn get(url: &str) -> http::Request<Vec<u8>> {
    http::Request::get(url).body(Vec::new()).unwrap()
}

fn failure_kind(backend: Backend, options: &ClientOptions, url: &str) -> TransportErrorKind {
    match send(backend, options, get(url)) {
        Ok(r) => panic!("{backend:?}: expected a failure, got {}", r.status()),
        Err(e) => e.kind(),
    }
}

/// A whole call through the pipeline over a backend (retries sleep on a fake clock).
fn call(
    backend: Backend,
    options: ClientOptions,
    request: http::Request<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, Error> {
    let clock = FakeClock::new();
    match backend {
        #[cfg(feature = "ureq")]
        Backend::Ureq => Pipeline::with_ureq(StaticToken::new("b-t0ken"), options)?
            .with_sleep(clock)
            .send(request),
        #[cfg(feature = "reqwest")]
        Backend::Reqwest => {
            let p = AsyncPipeline::with_reqwest(StaticToken::new("b-t0ken"), options)?
                .with_sleep(clock);
            runtime().block_on(p.send(request))
        }
    }
}

#[test]
fn statuses_are_data() {
    for &backend in BACKENDS {
        let server = start(None, |_| Reply::status(503, &[("MS-CV", "cv.9")], b"busy"));
        let response = send(backend, &options(), get(&server.url("http", "/x"))).unwrap();
        assert_eq!(response.status(), 503, "{backend:?}");
        assert_eq!(response.body(), b"busy", "{backend:?}");
        assert_eq!(response.headers()["ms-cv"], "cv.9", "{backend:?}");
    }
}

#[test]
fn redirects_are_not_followed() {
    for &backend in BACKENDS {
        let server = start(None, |_| {
            Reply::status(302, &[("Location", "http://127.0.0.1:1/elsewhere")], b"")
        });
        let response = send(backend, &options(), get(&server.url("http", "/x"))).unwrap();
        assert_eq!(response.status(), 302, "{backend:?}");
    }
}

#[test]
fn the_pipeline_sends_its_headers_and_keeps_the_answers() {
    for &backend in BACKENDS {
        let server = start(None, |_| {
            Reply::status(
                202,
                &[
                    ("MS-CV", "cv.1"),
                    ("MS-ServerId", "srv-1"),
                    ("MS-RequestId", "echo"),
                ],
                b"",
            )
        });
        let opts = ClientOptions {
            base_url: server.url("http", "/pre").parse().unwrap(),
            ..options()
        };
        let request = http::Request::post("/v1/customers/c/deviceBatches")
            .body(br#"{"batchId":"b"}"#.to_vec())
            .unwrap();
        let response = call(backend, opts, request).unwrap();
        assert_eq!(response.status(), 202);
        assert_eq!(diagnostics(&response).cv.as_deref(), Some("cv.1"));
        assert_eq!(diagnostics(&response).server_id.as_deref(), Some("srv-1"));
        let seen = &server.requests()[0];
        assert!(
            seen.head
                .starts_with("POST /pre/v1/customers/c/deviceBatches HTTP/1.1\r\n"),
            "{backend:?}: {}",
            seen.head
        );
        assert_eq!(
            seen.header("authorization").as_deref(),
            Some("Bearer b-t0ken")
        );
        assert_eq!(seen.header("accept").as_deref(), Some("application/json"));
        assert_eq!(
            seen.header("content-type").as_deref(),
            Some("application/json")
        );
        assert_eq!(seen.header("ms-correlationid").as_deref(), Some("corr-b"));
        assert_eq!(seen.header("x-locale").as_deref(), Some("en-US"));
        assert_eq!(seen.header("ms-contract-version").as_deref(), Some("v1"));
        assert_eq!(
            seen.header("user-agent").as_deref(),
            Some(concat!("pc/", env!("CARGO_PKG_VERSION")))
        );
        assert!(seen.header("ms-requestid").is_some());
        assert_eq!(seen.body, br#"{"batchId":"b"}"#);
    }
}

#[test]
fn the_pipeline_retries_over_the_wire_with_one_request_id() {
    for &backend in BACKENDS {
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        let server = start(None, move |_| {
            if c.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::status(503, &[("Retry-After", "0")], b"")
            } else {
                Reply::status(200, &[], br#"{"ok":true}"#)
            }
        });
        let opts = ClientOptions {
            base_url: server.url("http", "").parse().unwrap(),
            ..options()
        };
        let response = call(backend, opts, get("/v1/x")).unwrap();
        assert_eq!(response.body(), br#"{"ok":true}"#);
        let seen = server.requests();
        assert_eq!(seen.len(), 2, "{backend:?}");
        assert_eq!(
            seen[0].header("ms-requestid"),
            seen[1].header("ms-requestid")
        );
    }
}

#[test]
fn one_timeout_covers_connect_to_last_byte() {
    for &backend in BACKENDS {
        let opts = ClientOptions {
            timeout: Duration::from_millis(300),
            ..options()
        };
        // No answer at all.
        let server = start(None, |_| {
            Reply::Stall(Vec::new(), Duration::from_secs(3), Vec::new())
        });
        assert_eq!(
            failure_kind(backend, &opts, &server.url("http", "/x")),
            TransportErrorKind::Timeout,
            "{backend:?}"
        );
        // Headers arrive, the body stalls.
        let server = start(None, |_| {
            Reply::Stall(
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec(),
                Duration::from_secs(3),
                b"defghij".to_vec(),
            )
        });
        assert_eq!(
            failure_kind(backend, &opts, &server.url("http", "/x")),
            TransportErrorKind::Timeout,
            "{backend:?}"
        );
    }
}

#[test]
fn a_body_that_drips_a_byte_at_a_time_still_times_out_as_a_whole() {
    // A per-read idle timeout would never fire: a byte comes every 100 ms, well within
    // the 300 ms limit, but the whole body would take 5 s.
    for &backend in BACKENDS {
        let opts = ClientOptions {
            timeout: Duration::from_millis(300),
            ..options()
        };
        let server = start(None, |_| {
            Reply::Drip(
                b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n".to_vec(),
                Duration::from_millis(100),
                vec![b'x'; 50],
            )
        });
        // Without a whole-call limit the body would complete, and this would fail.
        assert_eq!(
            failure_kind(backend, &opts, &server.url("http", "/x")),
            TransportErrorKind::Timeout,
            "{backend:?}"
        );
    }
}

#[test]
fn a_body_cut_short_is_truncated() {
    for &backend in BACKENDS {
        let server = start(None, |_| {
            Reply::Bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b".to_vec())
        });
        assert_eq!(
            failure_kind(backend, &options(), &server.url("http", "/x")),
            TransportErrorKind::Truncated,
            "{backend:?}"
        );
    }
}

#[test]
fn bodies_over_the_cap_are_refused() {
    for &backend in BACKENDS {
        let opts = ClientOptions {
            max_body_bytes: 1000,
            ..options()
        };
        let server = start(None, |_| Reply::status(200, &[], &[b'x'; 5000]));
        assert_eq!(
            failure_kind(backend, &opts, &server.url("http", "/x")),
            TransportErrorKind::TooLarge,
            "{backend:?}: with a Content-Length"
        );
        let server = start(None, |_| {
            let mut bytes =
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    .to_vec();
            for _ in 0..5 {
                bytes.extend_from_slice(b"3e8\r\n");
                bytes.extend_from_slice(&[b'y'; 1000]);
                bytes.extend_from_slice(b"\r\n");
            }
            bytes.extend_from_slice(b"0\r\n\r\n");
            Reply::Bytes(bytes)
        });
        assert_eq!(
            failure_kind(backend, &opts, &server.url("http", "/x")),
            TransportErrorKind::TooLarge,
            "{backend:?}: chunked"
        );
        let server = start(None, |_| Reply::status(200, &[], &[b'z'; 1000]));
        let ok = send(backend, &opts, get(&server.url("http", "/x"))).unwrap();
        assert_eq!(ok.body().len(), 1000, "{backend:?}: exactly at the cap");
    }
}

#[test]
fn plain_http_goes_only_to_loopback_hosts() {
    for &backend in BACKENDS {
        for url in [
            "http://api.example.invalid/v1/x",
            "http://10.0.0.1/v1/x",
            "ftp://127.0.0.1/x",
        ] {
            assert_eq!(
                failure_kind(backend, &options(), url),
                TransportErrorKind::InvalidRequest,
                "{backend:?} {url}"
            );
        }
        // Through the pipeline the base URL is refused before anything is built.
        let opts = ClientOptions {
            base_url: pc_http::BaseUrl::parse("http://127.0.0.1:1").unwrap(),
            ..options()
        };
        let err = call(backend, opts, get("http://api.example.invalid/v1/x")).unwrap_err();
        assert_eq!(err.kind(), pc_http::ErrorKind::Config, "{err}");
    }
}

#[test]
fn refused_connections_are_connect_errors() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for &backend in BACKENDS {
        assert_eq!(
            failure_kind(backend, &options(), &format!("http://127.0.0.1:{port}/x")),
            TransportErrorKind::Connect,
            "{backend:?}"
        );
    }
}

#[test]
fn tls_trusts_the_extra_root_and_nothing_unknown() {
    let (config, ca_pem) = tls_config();
    let extra = pc_http::tls::parse_pem_certificates(ca_pem.as_bytes()).unwrap();
    for &backend in BACKENDS {
        let server = start(Some(config.clone()), |_| Reply::status(200, &[], b"secure"));
        let trusted = ClientOptions {
            extra_root_certificates: extra.clone(),
            ..options()
        };
        let response = send(backend, &trusted, get(&server.url("https", "/x"))).unwrap();
        assert_eq!(response.body(), b"secure", "{backend:?}");

        let kind = failure_kind(backend, &options(), &server.url("https", "/x"));
        assert_eq!(kind, TransportErrorKind::Tls, "{backend:?}: untrusted");
    }
}

#[test]
fn a_trusted_certificate_for_another_host_name_is_refused() {
    let (config, ca_pem) = tls_config_for(&["other.invalid"], &[]);
    let trusted = ClientOptions {
        extra_root_certificates: pc_http::tls::parse_pem_certificates(ca_pem.as_bytes()).unwrap(),
        ..options()
    };
    for &backend in BACKENDS {
        let server = start(Some(config.clone()), |_| Reply::status(200, &[], b"secure"));
        let kind = failure_kind(backend, &trusted, &server.url("https", "/x"));
        assert_eq!(
            kind,
            TransportErrorKind::Tls,
            "{backend:?}: wrong host name"
        );
        assert!(
            server.requests().is_empty(),
            "{backend:?}: nothing was sent"
        );
    }
}

#[test]
fn remote_https_goes_through_the_proxy_and_loopback_does_not() {
    for &backend in BACKENDS {
        let proxy = start(None, |_| {
            Reply::Bytes(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".to_vec())
        });
        let direct = start(None, |_| Reply::status(200, &[], b"direct"));
        let opts = ClientOptions {
            proxy: ProxyOptions::Url {
                url: Secret::new(format!("http://user:pa55@{}", proxy.addr)),
                no_proxy: "skip.example.invalid".into(),
            },
            ..options()
        };
        let err = send(backend, &opts, get("https://api.example.invalid/v1/x")).unwrap_err();
        assert!(!err.to_string().contains("pa55"), "{backend:?}: {err}");
        let seen = proxy.requests();
        assert_eq!(seen.len(), 1, "{backend:?}");
        assert!(
            seen[0]
                .head
                .starts_with("CONNECT api.example.invalid:443 HTTP/1.1"),
            "{backend:?}: {}",
            seen[0].head
        );
        assert_eq!(
            seen[0].header("proxy-authorization").as_deref(),
            Some("Basic dXNlcjpwYTU1"),
            "{backend:?}"
        );
        let ok = send(backend, &opts, get(&direct.url("http", "/x"))).unwrap();
        assert_eq!(ok.body(), b"direct");
        assert_eq!(
            proxy.requests().len(),
            1,
            "{backend:?}: loopback went direct"
        );
    }
}

/// The diagnostics a pipeline attached to its answer.
fn diagnostics(response: &http::Response<Vec<u8>>) -> &pc_http::Diagnostics {
    pc_http::Diagnostics::of(response).expect("a pipeline attaches diagnostics")
}
