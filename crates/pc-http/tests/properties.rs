//! Robustness properties of every parser of what a server sends: the token answer, the
//! device authorization, `Retry-After`, and both error answers (token endpoint and
//! Partner Center), on arbitrary bodies and headers.
//!
//! 10,000 cases per property in a normal run; `PROPTEST_CASES` sets another count.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderName, HeaderValue, Method};
use pc_http::retry::parse_retry_after;
use pc_http::testing::FakeClock;
use pc_http::{
    ApiError, ClientCredentials, ClientOptions, DeviceAuthorization, DeviceCodeFlow, Diagnostics,
    Error, Pipeline, Secret, TokenEndpointError, parse_token_response,
};
use proptest::prelude::*;
use serde_json::{Value, json};

include!("../../test-support/proptest_cases.rs");

/// The longest message any error answer may give here: the call's own method, path
/// and host are short, so what is left is what the answer could make long.
const MAX_MESSAGE: usize = 1_500;

/// A JSON number or string meant as seconds, of every odd kind.
fn seconds_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        (0u64..100_000).prop_map(Value::from),
        any::<u64>().prop_map(|n| Value::from(n.to_string())),
        any::<f64>().prop_map(|n| Value::from(n.to_string())),
        prop::sample::select(vec!["1e18", "1e300", "-5", "NaN", "inf", " 3599 ", ""])
            .prop_map(Value::from),
        Just(Value::Null),
        Just(json!([1])),
    ]
}

fn text_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        "\\PC{0,16}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
        Just(json!({})),
    ]
}

/// An object with some of `keys`, each of any of the given kinds, or other JSON.
fn answer(keys: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let object = prop::collection::vec(
        (
            prop::sample::select(keys),
            prop_oneof![text_value(), seconds_value()],
        ),
        0..8,
    )
    .prop_map(|fields| {
        let map: serde_json::Map<String, Value> = fields
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect();
        serde_json::to_vec(&Value::Object(map)).unwrap()
    });
    prop_oneof![
        4 => object,
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => "\\PC{0,40}".prop_map(String::into_bytes),
    ]
}

fn response(status: u16, body: Vec<u8>) -> http::Response<Vec<u8>> {
    http::Response::builder().status(status).body(body).unwrap()
}

/// Header values the `http` crate accepts: visible ASCII, tabs, spaces and obs-text.
fn header_value() -> impl Strategy<Value = HeaderValue> {
    prop_oneof![
        "[ -~\t]{0,40}".prop_map(|text| HeaderValue::from_str(&text).unwrap()),
        prop::collection::vec(
            prop_oneof![0x20u8..0x7F, 0x80u8..=0xFF, Just(b'\t')],
            0..300
        )
        .prop_map(|bytes| HeaderValue::from_bytes(&bytes).unwrap()),
        any::<u32>().prop_map(HeaderValue::from),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(HeaderName, HeaderValue)>> {
    let name = prop::sample::select(vec![
        "retry-after",
        "ms-requestid",
        "ms-correlationid",
        "ms-cv",
        "ms-serverid",
        "content-type",
        "location",
    ])
    .prop_map(HeaderName::from_static);
    prop::collection::vec((name, header_value()), 0..6)
}

/// A time between 1970 and 2200.
fn system_time() -> impl Strategy<Value = SystemTime> {
    (0u64..7_258_118_400).prop_map(|seconds| UNIX_EPOCH + Duration::from_secs(seconds))
}

proptest! {
    #![proptest_config(cases(10_000))]

    #[test]
    fn a_token_answer_is_read_or_refused_and_its_lifetime_is_usable(
        body in answer(&["access_token", "expires_in", "refresh_token", "token_type", "ext_expires_in"]),
    ) {
        let response = response(200, body.clone());
        let value: Option<Value> = serde_json::from_slice(&body).ok();
        let access = value.as_ref().and_then(|value| value.get("access_token")).cloned();
        match parse_token_response(&response) {
            Ok(token) => {
                // Read only when the answer names a non-empty token.
                let expected = match access {
                    Some(Value::String(text)) => text,
                    Some(Value::Number(number)) => number.to_string(),
                    other => return Err(TestCaseError::fail(format!("read a token from {other:?}"))),
                };
                prop_assert_eq!(token.access_token.expose(), expected.as_str());
                prop_assert!(!expected.is_empty());
            }
            Err(error) => {
                prop_assert!(matches!(error, Error::Decode(_)), "{:?}", error);
                prop_assert!(
                    !matches!(&access, Some(Value::String(text)) if !text.is_empty())
                        || value.is_none(),
                    "refused a token answer: {}", error
                );
            }
        }
    }

    #[test]
    fn any_token_lifetime_is_cached_without_panicking(expires_in in seconds_value()) {
        let answer = json!({"access_token": "a", "expires_in": expires_in}).to_string();
        let lifetime = parse_token_response(&response(200, answer.clone().into_bytes()))
            .unwrap()
            .expires_in;
        let token_requests = Arc::new(AtomicUsize::new(0));
        let counter = token_requests.clone();
        let transport = move |request: http::Request<Vec<u8>>| {
            let body = if request.uri().path().ends_with("/oauth2/token") {
                counter.fetch_add(1, Ordering::SeqCst);
                answer.clone()
            } else {
                "{}".to_owned()
            };
            Ok(response(200, body.into_bytes()))
        };
        let clock = FakeClock::new();
        let credentials = ClientCredentials::new(
            "https://login.example.invalid",
            "tenant",
            "client",
            Secret::new("s"),
        )
        .unwrap();
        let options = ClientOptions {
            base_url: "https://api.example.invalid".parse().unwrap(),
            ..ClientOptions::default()
        };
        let pipeline = Pipeline::new(transport, credentials, options)
            .unwrap()
            .with_clock(clock.clone())
            .with_sleep(clock);
        pipeline.get("/v1/x").unwrap();
        pipeline.get("/v1/y").unwrap();
        let fetched = token_requests.load(Ordering::SeqCst);
        // A long-lived token is fetched once and cached for the second call.
        if lifetime.is_none_or(|lifetime| lifetime >= Duration::from_secs(60)) {
            prop_assert_eq!(fetched, 1, "lifetime {:?}", lifetime);
        } else {
            prop_assert!((1..=2).contains(&fetched));
        }
    }

    #[test]
    fn a_device_authorization_is_read_or_refused_and_its_flow_is_bounded(
        body in answer(&[
            "device_code", "user_code", "verification_url", "verification_uri",
            "message", "expires_in", "interval",
        ]),
    ) {
        let response = response(200, body);
        if let Ok(authorization) = DeviceAuthorization::from_response(&response) {
            prop_assert!(!authorization.user_code.is_empty());
            prop_assert!(!authorization.verification_url.is_empty());
            prop_assert!(!authorization.interval.is_zero());
            let _ = authorization.instructions();
            let now = Instant::now();
            let mut flow = DeviceCodeFlow::new(&authorization, now);
            if let Ok(wait) = flow.next_poll(now) {
                prop_assert!(wait <= authorization.interval);
                prop_assert!(wait <= authorization.expires_in);
            }
        }
    }

    #[test]
    fn retry_after_never_asks_for_more_than_it_says(
        value in prop_oneof![
            "\\PC{0,40}",
            "[ ]?[+]?[0-9]{1,22}[ ]?",
            system_time().prop_map(httpdate::fmt_http_date),
            (system_time(), "[A-Za-z0-9 ,:-]{0,3}").prop_map(|(time, tail)| format!("{}{tail}", httpdate::fmt_http_date(time))),
        ],
        now in system_time(),
    ) {
        let Some(wait) = parse_retry_after(&value, now) else {
            return Ok(());
        };
        let trimmed = value.trim();
        if let Ok(seconds) = trimmed.parse::<u64>() {
            prop_assert_eq!(wait, Duration::from_secs(seconds));
        } else {
            let when = httpdate::parse_http_date(trimmed);
            prop_assert!(when.is_ok(), "{:?} read as {:?}", value, wait);
            let implied = when.unwrap().duration_since(now).unwrap_or(Duration::ZERO);
            prop_assert!(wait <= implied, "{:?} at {:?}: {:?} > {:?}", value, now, wait, implied);
        }
    }

    #[test]
    fn a_token_endpoint_refusal_is_read_from_any_answer(
        status in 400u16..600,
        body in answer(&["error", "error_description", "trace_id", "correlation_id", "error_codes"]),
        long in prop::option::weighted(0.1, 200usize..2_000),
    ) {
        let mut body = body;
        if let Some(length) = long {
            body = serde_json::to_vec(&json!({
                "error": "x".repeat(length),
                "error_description": "d\r\n".repeat(length),
                "trace_id": "t".repeat(length),
            }))
            .unwrap();
        }
        let refusal = TokenEndpointError::from_response(&response(status, body.clone()));
        prop_assert_eq!(refusal.status.map(|status| status.as_u16()), Some(status));
        let value: Value = serde_json::from_slice(&body).unwrap_or_default();
        prop_assert_eq!(refusal.error.as_deref(), value.get("error").and_then(Value::as_str));
        let message = Error::TokenEndpoint(Box::new(refusal)).to_string();
        prop_assert!(message.chars().count() <= MAX_MESSAGE, "{} characters", message.len());
        prop_assert!(!message.contains(['\r', '\n']), "{:?}", message);
    }

    #[test]
    fn an_error_answer_is_read_from_any_body_and_headers(
        status in 400u16..600,
        body in prop_oneof![
            8 => answer(&["code", "description", "data", "source", "statusCode", "message"]),
            1 => (50usize..2_000).prop_map(|length| "<html>\u{0}".repeat(length).into_bytes()),
            1 => (200usize..2_000).prop_map(|length| serde_json::to_vec(&json!({
                "code": "c".repeat(length),
                "description": "line\n".repeat(length),
            })).unwrap()),
        ],
        headers in headers(),
        now in system_time(),
    ) {
        let mut response = response(status, body.clone());
        for (name, value) in headers {
            response.headers_mut().append(name, value);
        }
        let diagnostics = Diagnostics::from_response(Method::GET, "/v1/x", &response);
        let error = ApiError::from_response(&response, diagnostics, now);
        prop_assert_eq!(error.status.as_u16(), status);
        prop_assert_eq!(&error.body, &body);
        let service: Option<pc_models::ServiceError> = pc_models::from_slice(&body).ok();
        if let Some(code) = service.as_ref().and_then(|service| service.code.as_ref()) {
            let code = code.to_string();
            prop_assert_eq!(error.code.as_deref(), Some(code.as_str()));
        }
        let error = Error::Api(Box::new(error));
        let message = error.to_string();
        prop_assert!(message.chars().count() <= MAX_MESSAGE, "{} characters", message.len());
        prop_assert!(!message.contains(['\r', '\n']), "{:?}", message);
        let debug = format!("{error:?}");
        prop_assert!(debug.chars().count() <= 2 * MAX_MESSAGE, "{} characters", debug.len());
    }
}
