//! Property tests: no parser panics on any input, and generated resources survive a
//! round trip with nothing lost.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pc_models::{
    BatchUploadDetails, Collection, ConfigurationPolicy, Device, DeviceBatch,
    DeviceBatchCreationRequest, DevicePolicyUpdateRequest, ServiceError, ThrottleError,
};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::path::Path;

fn parse_everything(bytes: &[u8]) {
    let _ = pc_models::from_slice::<BatchUploadDetails>(bytes);
    let _ = pc_models::from_slice::<Collection<Device>>(bytes);
    let _ = pc_models::from_slice::<Collection<DeviceBatch>>(bytes);
    let _ = pc_models::from_slice::<ConfigurationPolicy>(bytes);
    let _ = pc_models::from_slice::<ServiceError>(bytes);
    let _ = pc_models::from_slice::<ThrottleError>(bytes);
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z ]{1,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn status() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("queued")),
        Just(json!("processing")),
        Just(json!("finished")),
        Just(json!("finished_with_errors")),
        "[a-z_-]{0,12}".prop_map(Value::from),
    ]
}

fn timestamp() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("2017-07-25T10:00:00")),
        Just(json!("2017-07-25T10:00:00Z")),
        Just(json!("2019-02-05T21:57:06.7367164-08:00")),
        "\\PC{0,20}".prop_map(Value::from),
    ]
}

/// An object of some known fields (each maybe `null`) and some unknown ones.
fn object(known: Vec<(&'static str, BoxedStrategy<Value>)>) -> impl Strategy<Value = Value> {
    let fields: Vec<_> = known
        .into_iter()
        .map(|(name, value)| {
            prop_oneof![
                Just(None),
                Just(Some((name, Value::Null))),
                value.prop_map(move |value| Some((name, value))),
            ]
        })
        .collect();
    (
        fields,
        prop::collection::btree_map("x[a-zA-Z]{0,6}", any_json(), 0..3),
    )
        .prop_map(|(known, unknown)| {
            let mut object = Map::new();
            for (name, value) in known.into_iter().flatten() {
                object.insert(name.to_owned(), value);
            }
            object.extend(unknown);
            Value::Object(object)
        })
}

fn device_upload_details() -> impl Strategy<Value = Value> {
    object(vec![
        ("deviceId", "\\PC{0,10}".prop_map(Value::from).boxed()),
        ("serialNumber", "\\PC{0,10}".prop_map(Value::from).boxed()),
        (
            "productKey",
            "[0-9A-Z-]{0,12}".prop_map(Value::from).boxed(),
        ),
        ("status", status().boxed()),
        (
            "errorCode",
            prop_oneof![
                "[0-9]{0,3}".prop_map(Value::from),
                (0i64..1000).prop_map(Value::from)
            ]
            .boxed(),
        ),
        (
            "errorDescription",
            "\\PC{0,16}".prop_map(Value::from).boxed(),
        ),
        (
            "attributes",
            object(vec![(
                "objectType",
                Just(json!("DeviceUploadDetails")).boxed(),
            )])
            .boxed(),
        ),
    ])
}

fn batch_upload_details() -> impl Strategy<Value = Value> {
    object(vec![
        (
            "batchTrackingId",
            any::<u128>()
                .prop_map(|bits| Value::from(pc_models::Uuid::from_u128(bits).to_string()))
                .boxed(),
        ),
        ("status", status().boxed()),
        ("startedTime", timestamp().boxed()),
        ("completedTime", timestamp().boxed()),
        (
            "devicesStatus",
            prop::collection::vec(device_upload_details(), 0..5)
                .prop_map(Value::Array)
                .boxed(),
        ),
    ])
}

fn device_batch() -> impl Strategy<Value = Value> {
    object(vec![
        ("id", "\\PC{1,10}".prop_map(Value::from).boxed()),
        ("createdBy", "\\PC{0,10}".prop_map(Value::from).boxed()),
        ("creationDate", timestamp().boxed()),
        ("creationTime", timestamp().boxed()),
        ("devicesCount", any::<u32>().prop_map(Value::from).boxed()),
        ("deviceCount", any::<u32>().prop_map(Value::from).boxed()),
        ("status", status().boxed()),
    ])
}

/// Parses `bytes` as `T` and serializes it back, or says why it failed.
fn through<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Result<Value, String> {
    let typed: T = pc_models::from_slice(bytes).map_err(|error| error.to_string())?;
    serde_json::to_value(&typed).map_err(|error| error.to_string())
}

type Parser = fn(&[u8]) -> Result<Value, String>;

/// A valid document of each resource, with the type that reads it.
fn valid_documents() -> Vec<(&'static str, Parser, Value)> {
    let documents: [(&'static str, Parser); 11] = [
        (
            "batch-status-documented.json",
            through::<BatchUploadDetails>,
        ),
        (
            "batch-status-processing.json",
            through::<BatchUploadDetails>,
        ),
        (
            "device-batches-page.json",
            through::<Collection<DeviceBatch>>,
        ),
        ("devices-page.json", through::<Collection<Device>>),
        (
            "device-batch-creation-request.json",
            through::<DeviceBatchCreationRequest>,
        ),
        (
            "device-policy-update-request.json",
            through::<DevicePolicyUpdateRequest>,
        ),
        ("configuration-policy.json", through::<ConfigurationPolicy>),
        (
            "configuration-policies-page.json",
            through::<Collection<ConfigurationPolicy>>,
        ),
        ("service-error.json", through::<ServiceError>),
        ("service-error-string-code.json", through::<ServiceError>),
        ("throttle-error.json", through::<ThrottleError>),
    ];
    documents
        .into_iter()
        .map(|(name, parser)| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name);
            let bytes = std::fs::read(&path).unwrap();
            let value = pc_models::from_slice::<Value>(&bytes).unwrap();
            (name, parser, value)
        })
        .collect()
}

/// A step into a JSON value: an object's key or an array's index.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// The path of every value inside `value` (every field at every depth, and every
/// element of every array), the root aside.
fn paths(value: &Value) -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    let mut walk = |step: Step, inner: &Value| {
        out.push(vec![step.clone()]);
        for mut rest in paths(inner) {
            rest.insert(0, step.clone());
            out.push(rest);
        }
    };
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(key, inner)| walk(Step::Key(key.clone()), inner)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(index, inner)| walk(Step::Index(index), inner)),
        _ => {}
    }
    out
}

fn at<'a>(value: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(value, |value, step| match step {
        Step::Key(key) => &mut value[key.as_str()],
        Step::Index(index) => &mut value[*index],
    })
}

/// One value of each JSON type, and the forms the service gets wrong.
fn every_kind() -> Vec<Value> {
    vec![
        json!("text"),
        json!(""),
        json!(42),
        json!(-7),
        json!(4.5),
        json!(true),
        Value::Null,
        json!([]),
        json!([1, "a", null, {"k": "v"}]),
        json!({}),
        json!({"objectType": 5, "status": null}),
        json!("0127ED8E-FF72-4983-A3D8-E8D8BD378932"),
        json!("FINISHED"),
    ]
}

#[test]
fn every_known_field_of_every_type_may_hold_any_json_kind() {
    let mut checked = 0;
    for (name, parse, document) in valid_documents() {
        assert_eq!(
            parse(&serde_json::to_vec(&document).unwrap()).as_ref(),
            Ok(&document),
            "{name}"
        );
        for path in paths(&document) {
            for kind in every_kind() {
                let mut swapped = document.clone();
                *at(&mut swapped, &path) = kind.clone();
                let bytes = serde_json::to_vec(&swapped).unwrap();
                assert_eq!(
                    parse(&bytes).as_ref(),
                    Ok(&swapped),
                    "{name}: {path:?} set to {kind}"
                );
                checked += 1;
            }
        }
    }
    // The fixtures hold a few hundred values; make sure the walk saw them.
    assert!(checked > 2_000, "only {checked} swaps were checked");
}

/// A valid document with a few of its values swapped for values of any JSON kind.
fn swapped_document() -> impl Strategy<Value = (&'static str, Parser, Value)> {
    let documents = valid_documents();
    (0..documents.len()).prop_flat_map(move |index| {
        let (name, parse, document) = documents[index].clone();
        let count = paths(&document).len();
        prop::collection::vec((0..count, any_json()), 1..5).prop_map(move |swaps| {
            let mut swapped = document.clone();
            for (path, value) in swaps {
                // An earlier swap may have removed this path: then it names nothing.
                if let Some(path) = paths(&swapped).get(path) {
                    *at(&mut swapped, path) = value;
                }
            }
            (name, parse, swapped)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn documents_with_values_of_any_kind_anywhere_round_trip((name, parse, document) in swapped_document()) {
        let bytes = serde_json::to_vec(&document).unwrap();
        prop_assert_eq!(parse(&bytes), Ok(document), "{}", name);
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_parser(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        parse_everything(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics_a_parser(value in any_json()) {
        parse_everything(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn generated_batch_status_round_trips(value in batch_upload_details()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        let typed: BatchUploadDetails = pc_models::from_slice(&bytes).unwrap();
        prop_assert_eq!(&serde_json::to_value(&typed).unwrap(), &value);
        let again: BatchUploadDetails = serde_json::from_value(serde_json::to_value(&typed).unwrap()).unwrap();
        prop_assert_eq!(again, typed);
    }

    #[test]
    fn generated_batch_pages_round_trip(items in prop::collection::vec(device_batch(), 0..4), token in prop::option::of("[A-Za-z0-9=]{0,12}")) {
        let mut page = json!({"totalCount": items.len(), "items": items, "attributes": {"objectType": "Collection"}});
        if let Some(token) = token {
            page["continuationToken"] = json!(token);
        }
        let typed: Collection<DeviceBatch> = serde_json::from_value(page.clone()).unwrap();
        prop_assert_eq!(serde_json::to_value(&typed).unwrap(), page);
    }
}
