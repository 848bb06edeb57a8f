//! Robustness properties of every parser: `from_slice` of each resource on arbitrary
//! bytes and on arbitrary JSON, the two error payloads, and timestamps from any string.
//!
//! 10,000 cases per property in a normal run; `PROPTEST_CASES` sets another count
//! (e.g. `PROPTEST_CASES=1000000` for a full run).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pc_models::{
    Attributes, BatchUploadDetails, Collection, ConfigurationPolicy, Device, DeviceBatch,
    DeviceBatchCreationRequest, DevicePolicyUpdateRequest, DeviceUploadDetails, KeyValuePair, Link,
    Links, ParseErrorKind, ServiceError, ThrottleError, Timestamp, UtcDateTime,
};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

include!("../../test-support/proptest_cases.rs");

/// What one resource's parse did: parsed, or failed naming `expected` with this kind.
type Outcome = Result<(), (String, ParseErrorKind, String)>;

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Outcome {
    pc_models::from_slice::<T>(bytes)
        .map(drop)
        .map_err(|error| (error.expected().to_owned(), error.kind(), error.to_string()))
}

/// A parse of one resource.
type Parser = fn(&[u8]) -> Outcome;

/// Every resource the crate reads, with the name its errors must give.
const RESOURCES: &[(&str, Parser)] = &[
    ("BatchUploadDetails", parse::<BatchUploadDetails>),
    ("DeviceUploadDetails", parse::<DeviceUploadDetails>),
    ("Device", parse::<Device>),
    ("DeviceBatch", parse::<DeviceBatch>),
    (
        "DeviceBatchCreationRequest",
        parse::<DeviceBatchCreationRequest>,
    ),
    (
        "DevicePolicyUpdateRequest",
        parse::<DevicePolicyUpdateRequest>,
    ),
    ("ConfigurationPolicy", parse::<ConfigurationPolicy>),
    ("Collection<Device>", parse::<Collection<Device>>),
    ("Collection<DeviceBatch>", parse::<Collection<DeviceBatch>>),
    (
        "Collection<ConfigurationPolicy>",
        parse::<Collection<ConfigurationPolicy>>,
    ),
    ("Link", parse::<Link>),
    ("Links", parse::<Links>),
    ("KeyValuePair", parse::<KeyValuePair>),
    ("Attributes", parse::<Attributes>),
    ("ServiceError", parse::<ServiceError>),
    ("ThrottleError", parse::<ThrottleError>),
];

/// A failed parse must say which type it expected, in `expected()` and in its message.
fn check_error(name: &str, outcome: &Outcome) -> Result<(), TestCaseError> {
    if let Err((expected, _, message)) = outcome {
        prop_assert_eq!(expected.as_str(), name);
        prop_assert!(
            message.contains(&format!(" for {name} at line ")),
            "{}",
            message
        );
    }
    Ok(())
}

/// Bytes that are mostly JSON-ish: structural characters, quotes, escapes, digits,
/// a BOM, invalid UTF-8, and anything else.
fn jsonish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        any::<u8>().prop_map(|byte| vec![byte]),
        prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            ":",
            ",",
            "\"",
            "\\",
            "\\u",
            "\\ud800",
            "null",
            "true",
            "1e999",
            "-0",
            "\"status\"",
            "\"items\"",
            "\"code\"",
            " ",
            "\n",
            "\u{feff}",
        ])
        .prop_map(|text| text.as_bytes().to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"\xFF\xFE".to_vec()),
    ];
    prop::collection::vec(piece, 0..48).prop_map(|pieces| pieces.concat())
}

/// Any JSON value, a few levels deep, with the resources' own keys among others.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    let key = prop_oneof![
        prop::sample::select(vec![
            "status",
            "items",
            "links",
            "next",
            "uri",
            "headers",
            "key",
            "value",
            "code",
            "description",
            "data",
            "statusCode",
            "message",
            "batchTrackingId",
            "devicesStatus",
            "errorCode",
            "startedTime",
            "totalCount",
            "continuationToken",
            "attributes",
            "objectType",
            "policySettings",
            "devices",
            "hardwareHash",
            "serialNumber",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,6}",
    ];
    leaf.prop_recursive(4, 32, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(cases(10_000))]

    #[test]
    fn every_resource_reads_arbitrary_bytes_without_panicking(
        bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..128), jsonish_bytes()],
    ) {
        let value = pc_models::from_slice::<Value>(&bytes).ok();
        for (name, parse) in RESOURCES {
            let outcome = parse(&bytes);
            check_error(name, &outcome)?;
            // Bytes that are no JSON value fail every resource.
            if value.is_none() {
                prop_assert!(outcome.is_err(), "{} read bytes that are not JSON", name);
            }
        }
    }

    #[test]
    fn every_resource_reads_every_json_object_and_refuses_every_other_kind(
        value in any_json(),
        bom in any::<bool>(),
    ) {
        let mut bytes = if bom { pc_models::UTF8_BOM.to_vec() } else { Vec::new() };
        bytes.extend(serde_json::to_vec(&value).unwrap());
        for (name, parse) in RESOURCES {
            let outcome = parse(&bytes);
            check_error(name, &outcome)?;
            // Only a top level of the wrong kind fails a parse: any object is read
            // (odd values are kept, never refused).
            match &value {
                Value::Object(_) => prop_assert!(outcome.is_ok(), "{} refused {}: {:?}", name, value, outcome),
                _ => prop_assert!(
                    matches!(outcome, Err((_, ParseErrorKind::Data, _))),
                    "{} on {}: {:?}", name, value, outcome
                ),
            }
        }
    }

    #[test]
    fn error_payloads_keep_what_they_understand(
        code in prop_oneof![
            any::<i64>().prop_map(Value::from),
            "\\PC{0,8}".prop_map(Value::from),
            any_json(),
        ],
        description in prop_oneof!["\\PC{0,40}".prop_map(Value::from), any_json()],
        status_code in prop_oneof![any::<u16>().prop_map(Value::from), any_json()],
        extra in any_json(),
    ) {
        let service = serde_json::json!({"code": code, "description": description, "extra": extra});
        let bytes = serde_json::to_vec(&service).unwrap();
        let parsed: ServiceError = pc_models::from_slice(&bytes).unwrap();
        prop_assert_eq!(&serde_json::to_value(&parsed).unwrap(), &service);
        prop_assert_eq!(parsed.description.as_deref(), description.as_str());
        let _ = parsed.to_string();

        let throttle = serde_json::json!({"statusCode": status_code, "message": description, "extra": extra});
        let bytes = serde_json::to_vec(&throttle).unwrap();
        let parsed: ThrottleError = pc_models::from_slice(&bytes).unwrap();
        prop_assert_eq!(&serde_json::to_value(&parsed).unwrap(), &throttle);
        prop_assert_eq!(parsed.message.as_deref(), description.as_str());
        prop_assert_eq!(parsed.status_code, status_code.as_u64().and_then(|code| u16::try_from(code).ok()));
        let _ = parsed.to_string();
    }

    #[test]
    fn a_timestamp_keeps_any_text(
        text in prop_oneof![
            "\\PC{0,40}",
            // Near misses of the known styles: digits and separators in their places.
            "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,12})?([Zz]|[+-][0-9]{2}:[0-9]{2})?",
            "[0-9:T.Z+-]{0,30}",
        ],
    ) {
        let timestamp = Timestamp::new(text.clone());
        prop_assert_eq!(timestamp.as_str(), text.as_str());
        // Read from JSON and written back, the text is the same.
        let json = serde_json::to_vec(&text).unwrap();
        let read: Timestamp = pc_models::from_slice(&json).unwrap();
        prop_assert_eq!(read.as_str(), text.as_str());
        prop_assert_eq!(serde_json::to_value(&read).unwrap(), Value::from(text.clone()));
        match timestamp.utc() {
            // The UTC view is written in the one style it reads back.
            Some(utc) => {
                prop_assert_eq!(UtcDateTime::parse(&utc.to_string()), Some(utc));
                prop_assert_eq!(timestamp.to_string(), utc.to_string());
            }
            None => prop_assert_eq!(timestamp.to_string(), text),
        }
    }

    #[test]
    fn a_timestamp_in_a_known_style_means_the_instant_it_spells(
        (year, month, day) in (1i64..=9999, 1i64..=12, 1i64..=28),
        (hour, minute, second) in (0i64..24, 0i64..60, 0i64..60),
        offset_minutes in -(23 * 60 + 59)..=(23i64 * 60 + 59),
    ) {
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let text = format!(
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{sign}{:02}:{:02}",
            offset_minutes.abs() / 60,
            offset_minutes.abs() % 60
        );
        let with_offset = Timestamp::new(text).utc().unwrap();
        let plain = Timestamp::new(format!(
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}"
        ))
        .utc()
        .unwrap();
        prop_assert_eq!(with_offset.unix_seconds(), plain.unix_seconds() - offset_minutes * 60);
    }
}
