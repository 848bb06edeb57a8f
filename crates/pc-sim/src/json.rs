//! Reading request bodies as the service does: a leading byte-order mark is skipped
//! and object keys are matched case-insensitively (the docs' examples send `BatchId`,
//! `Devices`, `Policies`).

use pc_models::{
    Attributes, ConfigurationPolicy, Device, DeviceBatchCreationRequest, DevicePolicyUpdateRequest,
    KeyValuePair, Link, Links,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::LazyLock;

/// Every key a request body may hold, by its lower-case spelling.
static KNOWN_KEYS: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    [
        DeviceBatchCreationRequest::FIELDS,
        DevicePolicyUpdateRequest::FIELDS,
        Device::FIELDS,
        KeyValuePair::FIELDS,
        Attributes::FIELDS,
        Link::FIELDS,
        Links::FIELDS,
        ConfigurationPolicy::FIELDS,
    ]
    .into_iter()
    .flatten()
    .map(|key| (key.to_ascii_lowercase(), *key))
    .collect()
});

/// Rewrites every object key that matches a known key in another case to the known
/// spelling, at every depth.
pub(crate) fn normalize_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let old = std::mem::take(map);
            let mut new = Map::with_capacity(old.len());
            for (key, mut inner) in old {
                normalize_keys(&mut inner);
                let key = match KNOWN_KEYS.get(&key.to_ascii_lowercase()) {
                    Some(known) => (*known).to_owned(),
                    None => key,
                };
                new.insert(key, inner);
            }
            *map = new;
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_keys),
        _ => {}
    }
}

/// Why a body could not be read: the text of a 400 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyError(pub String);

/// Parses a request body as `T` (`what` names it in errors).
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, BodyError> {
    let body = pc_models::strip_bom(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError(format!(
            "the request body is empty: expected {what}"
        )));
    }
    let mut value: Value = serde_json::from_slice(body)
        .map_err(|error| BodyError(format!("the request body is not valid JSON: {error}")))?;
    normalize_keys(&mut value);
    serde_json::from_value(value)
        .map_err(|error| BodyError(format!("the request body is not {what}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_and_a_bom_are_read() {
        let body = "\u{feff}{\"BatchId\":\"b1\",\"Devices\":[{\"SerialNumber\":\"S1\",\"HARDWAREHASH\":\"AA==\",\"Policies\":[{\"Key\":\"o_o_b_e\",\"Value\":\"p\"}]}],\"Colour\":1}";
        let request: DeviceBatchCreationRequest =
            parse_body(body.as_bytes(), "a DeviceBatchCreationRequest").unwrap();
        assert_eq!(request.batch_id.unwrap().as_str(), "b1");
        let device = &request.devices.unwrap()[0];
        assert_eq!(device.serial_number.as_deref(), Some("S1"));
        assert_eq!(device.hardware_hash.as_deref(), Some("AA=="));
        assert_eq!(
            device.policies.as_ref().unwrap()[0].value.as_deref(),
            Some("p")
        );
        assert_eq!(request.extra.get("Colour"), Some(&serde_json::json!(1)));
    }

    #[test]
    fn errors_say_what_was_expected() {
        let error = parse_body::<Vec<Device>>(b"{}", "an array of Device").unwrap_err();
        assert!(
            error
                .0
                .starts_with("the request body is not an array of Device"),
            "{error:?}"
        );
        let error = parse_body::<Vec<Device>>(b"[", "an array of Device").unwrap_err();
        assert!(
            error.0.starts_with("the request body is not valid JSON"),
            "{error:?}"
        );
        let error = parse_body::<Vec<Device>>(b" ", "an array of Device").unwrap_err();
        assert_eq!(
            error.0,
            "the request body is empty: expected an array of Device"
        );
    }
}
