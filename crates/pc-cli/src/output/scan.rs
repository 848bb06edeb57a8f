//! The light validating pass over a batch status as the service sent it.
//!
//! `pc -o json devices batch-status` prints the service's bytes unchanged (less a
//! byte-order mark). Before it does, one borrowed pass checks that they are JSON with an
//! object at the top, and reads only what the exit code and a wait need: the batch's
//! status and, for each device, its status, `errorCode` and `errorDescription`.
//! Everything else is skipped without being built, so the pass costs about as much as
//! reading the bytes.
//!
//! The rules are the typed model's (`pc_models`): a value of an unexpected type is
//! kept out of the decision rather than refusing the document; a key that appears
//! twice counts once, the last one winning.

use std::borrow::Cow;
use std::fmt;

use pc_models::UploadStatus;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::exit::Exit;

/// What the pass read from a batch status.
#[derive(Debug, Default)]
pub struct BatchScan<'a> {
    /// The batch's status, when it is text.
    pub status: Option<Cow<'a, str>>,
    /// The devices listed (objects in `devicesStatus`).
    pub total: usize,
    /// The devices whose status is terminal.
    pub done: usize,
    /// The devices that failed, with their code and description.
    pub failed: Vec<FailedDevice<'a>>,
}

/// A device that failed: it carries an error code, or its status is
/// `finished_with_errors`.
#[derive(Debug, Default)]
pub struct FailedDevice<'a> {
    /// `errorCode` as text (a number in decimal).
    pub code: Option<Cow<'a, str>>,
    /// `errorDescription`.
    pub description: Option<Cow<'a, str>>,
}

impl FailedDevice<'_> {
    /// Whether `--allow-error-codes` lists the device's code or description verbatim
    /// (pc-models' rule).
    pub fn is_allowed(&self, allowed: &[String]) -> bool {
        pc_models::is_allowed_error(self.code.as_deref(), self.description.as_deref(), allowed)
    }
}

/// A status as far as a decision goes: known values match without regard to ASCII case
/// (`Finished` is finished); anything else is not terminal.
fn status_of(text: Option<&str>) -> Option<UploadStatus> {
    // pc-models' reading tries the service's own spelling first, then any ASCII case.
    match UploadStatus::parse(text?) {
        UploadStatus::Other(_) => None,
        known => Some(known),
    }
}

/// Text that holds its own bytes.
fn owned(text: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    text.map(|text| Cow::Owned(text.into_owned()))
}

impl BatchScan<'_> {
    /// This scan, holding its own text (the batch's status and the failed devices'
    /// codes and descriptions), so that it can be kept beside the bytes it was read from.
    pub fn into_owned(self) -> BatchScan<'static> {
        BatchScan {
            status: owned(self.status),
            total: self.total,
            done: self.done,
            failed: self
                .failed
                .into_iter()
                .map(|device| FailedDevice {
                    code: owned(device.code),
                    description: owned(device.description),
                })
                .collect(),
        }
    }

    /// The batch's status, when it is a known one.
    pub fn upload_status(&self) -> Option<UploadStatus> {
        status_of(self.status.as_deref())
    }

    /// Whether the batch's status is terminal (`finished`, `finished_with_errors`).
    pub fn is_terminal(&self) -> bool {
        self.upload_status()
            .is_some_and(|status| status.is_terminal())
    }

    /// How many devices failed.
    pub fn failed_count(&self) -> usize {
        self.failed.len()
    }

    /// The exit code the batch earns: 3 when a device failed and is not allowed, or the
    /// batch is `finished_with_errors` with no failed device to explain it; else 0.
    pub fn exit(&self, allowed: &[String]) -> Exit {
        let failed = self
            .failed
            .iter()
            .map(|device| (device.code.as_deref(), device.description.as_deref()));
        if pc_models::is_failed_batch(self.upload_status().as_ref(), failed, allowed) {
            Exit::DeviceFailed
        } else {
            Exit::Success
        }
    }
}

/// Reads a batch status (a leading byte-order mark is allowed). Fails only on bytes that
/// are not JSON, or a top level that is not an object.
pub fn scan(bytes: &[u8]) -> Result<BatchScan<'_>, serde_json::Error> {
    serde_json::from_slice(pc_models::strip_bom(bytes))
}

/// The keys the pass reads; anything else is skipped.
enum Key {
    Status,
    DevicesStatus,
    ErrorCode,
    ErrorDescription,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "status" => Key::Status,
                    "devicesStatus" => Key::DevicesStatus,
                    "errorCode" => Key::ErrorCode,
                    "errorDescription" => Key::ErrorDescription,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// Any JSON value, read as text when it is a string or a number and skipped otherwise.
struct Text<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Borrowed(text))))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(text.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(text))))
            }
            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(number.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, number: i64) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(number.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, number: f64) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(number.to_string()))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

impl<'de> Deserialize<'de> for BatchScan<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BatchVisitor;
        impl<'de> Visitor<'de> for BatchVisitor {
            type Value = BatchScan<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a BatchUploadDetails object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut scan = BatchScan::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Status => scan.status = map.next_value::<Text<'de>>()?.0,
                        Key::DevicesStatus => {
                            let devices = map.next_value::<Devices<'de>>()?;
                            scan.total = devices.total;
                            scan.done = devices.done;
                            scan.failed = devices.failed;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(scan)
            }
        }
        deserializer.deserialize_map(BatchVisitor)
    }
}

/// The `devicesStatus` array, folded into counts as it is read.
#[derive(Default)]
struct Devices<'a> {
    total: usize,
    done: usize,
    failed: Vec<FailedDevice<'a>>,
}

impl<'de> Deserialize<'de> for Devices<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DevicesVisitor;
        impl<'de> Visitor<'de> for DevicesVisitor {
            type Value = Devices<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of devices")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut devices = Devices::default();
                while let Some(device) = seq.next_element::<Device<'de>>()? {
                    let Some(device) = device.0 else { continue };
                    devices.total += 1;
                    let status = status_of(device.status.as_deref());
                    if status.as_ref().is_some_and(UploadStatus::is_terminal) {
                        devices.done += 1;
                    }
                    if pc_models::is_failed_device(status.as_ref(), device.failed.code.as_deref()) {
                        devices.failed.push(device.failed);
                    }
                }
                Ok(devices)
            }
            // Anything but an array is kept out of the decision, as the typed model does.
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Devices::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Devices::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Devices::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Devices::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Devices::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Devices::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Devices::default())
            }
        }
        deserializer.deserialize_any(DevicesVisitor)
    }
}

/// One device: its status and error fields; `None` for an element that is not an object.
struct Device<'a>(Option<DeviceFields<'a>>);

struct DeviceFields<'a> {
    status: Option<Cow<'a, str>>,
    failed: FailedDevice<'a>,
}

impl<'de> Deserialize<'de> for Device<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DeviceVisitor;
        impl<'de> Visitor<'de> for DeviceVisitor {
            type Value = Device<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a device")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = DeviceFields {
                    status: None,
                    failed: FailedDevice::default(),
                };
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Status => fields.status = map.next_value::<Text<'de>>()?.0,
                        Key::ErrorCode => fields.failed.code = map.next_value::<Text<'de>>()?.0,
                        Key::ErrorDescription => {
                            fields.failed.description = map.next_value::<Text<'de>>()?.0;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Device(Some(fields)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Device(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Device(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Device(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Device(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Device(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Device(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Device(None))
            }
        }
        deserializer.deserialize_any(DeviceVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(list: &[&str]) -> Vec<String> {
        list.iter().map(|code| (*code).to_owned()).collect()
    }

    #[test]
    fn the_exit_code_follows_the_failed_devices() {
        let cases: [(&str, &[&str], Exit); 9] = [
            (
                r#"{"status":"finished","devicesStatus":[{"status":"finished","errorCode":""}]}"#,
                &[],
                Exit::Success,
            ),
            (
                r#"{"status":"finished","devicesStatus":[{"status":"finished","errorCode":null}]}"#,
                &[],
                Exit::Success,
            ),
            (
                r#"{"status":"finished","devicesStatus":[{"status":"finished_with_errors","errorCode":"808"}]}"#,
                &[],
                Exit::DeviceFailed,
            ),
            (
                r#"{"status":"finished","devicesStatus":[{"status":"finished","errorCode":808}]}"#,
                &["808"],
                Exit::Success,
            ),
            (
                r#"{"status":"finished_with_errors","devicesStatus":[{"errorCode":"","errorDescription":"ZtdDeviceDuplicated","status":"Finished_With_Errors"}]}"#,
                &["ZtdDeviceDuplicated"],
                Exit::Success,
            ),
            (
                r#"{"status":"finished_with_errors","devicesStatus":[{"status":"finished"}]}"#,
                &["806"],
                Exit::DeviceFailed,
            ),
            (
                r#"{"status":"FINISHED_WITH_ERRORS"}"#,
                &[],
                Exit::DeviceFailed,
            ),
            (
                r#"{"status":"queued","devicesStatus":[null,1,"x",{"status":"queued"}]}"#,
                &[],
                Exit::Success,
            ),
            (
                r#"{"status":"finished","devicesStatus":[{"errorCode":"806"},{"errorCode":"808"}]}"#,
                &["806"],
                Exit::DeviceFailed,
            ),
        ];
        for (body, allow, expected) in cases {
            let scan = scan(body.as_bytes()).unwrap();
            assert_eq!(scan.exit(&allowed(allow)), expected, "{body}");
        }
    }

    #[test]
    fn counts_statuses_and_terminal_batches() {
        let body = "\u{feff}{\"status\":\"processing\",\"status\":\"Finished\",\"x\":{\"status\":\"queued\"},\
            \"devicesStatus\":[{\"status\":\"finished\"},{\"status\":\"processing\"},{\"status\":\"finished_with_errors\",\"errorCode\":\"802\"}]}";
        let scan = scan(body.as_bytes()).unwrap();
        assert!(scan.is_terminal());
        assert_eq!((scan.total, scan.done, scan.failed_count()), (3, 2, 1));
        // Escaped text is read too.
        let scan = super::scan(br#"{"status":"fin\u0069shed"}"#).unwrap();
        assert!(scan.is_terminal());
        // None failed, and two.
        let scan = super::scan(br#"{"devicesStatus":[{"status":"finished"}]}"#).unwrap();
        assert_eq!((scan.total, scan.done, scan.failed_count()), (1, 1, 0));
        let body = br#"{"devicesStatus":[{"status":"finished_with_errors","errorCode":"808"},{"status":"finished_with_errors","errorDescription":"ZtdDeviceDuplicated"}]}"#;
        let scan = super::scan(body).unwrap();
        assert_eq!((scan.total, scan.done, scan.failed_count()), (2, 2, 2));
    }

    #[test]
    fn odd_values_do_not_refuse_the_document() {
        for body in [
            r#"{"status":5,"devicesStatus":{"a":1}}"#,
            r#"{"status":null,"devicesStatus":"none"}"#,
            r#"{"status":["finished"],"devicesStatus":[{"errorCode":{"x":1},"status":true}]}"#,
        ] {
            let scan = scan(body.as_bytes()).unwrap();
            assert!(!scan.is_terminal(), "{body}");
            assert_eq!(scan.exit(&[]), Exit::Success, "{body}");
        }
    }

    #[test]
    fn bytes_that_are_not_a_json_object_are_refused() {
        for body in [
            "",
            "[]",
            "\"finished\"",
            r#"{"status":"finished""#,
            r#"{"status":"finished"} {}"#,
            "{\u{201c}status\u{201d}: 1}",
        ] {
            assert!(scan(body.as_bytes()).is_err(), "{body}");
        }
    }
}
