//! The journal's lines, as the contract spells them: `sending` before a part's first
//! attempt, `accepted` once the service took it, `finished` once its status is terminal.
//!
//! Each line is one JSON object whose `event` comes first. Reading keeps going past
//! fields it does not know, so a newer `pc` may add some.

use pc_models::{BatchId, CustomerId, Timestamp, TrackingId, UtcDateTime};
use serde::{Deserialize, Serialize};

/// The `status` of a `finished` line for a job the service still answered `404` once
/// the not-found grace had passed.
pub const NOT_FOUND: &str = "not_found";

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Line {
    /// A part about to be sent.
    Sending(Sending),
    /// A part the service accepted.
    Accepted(Accepted),
    /// A job whose status was seen terminal.
    Finished(Finished),
}

/// `{"event": "sending", …}`: written once per part, before its first attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sending {
    /// The part's `MS-RequestId`, kept on every retry of it.
    pub request_id: String,
    /// The customer uploaded to.
    pub customer_id: CustomerId,
    /// The batch the part goes to.
    pub batch_id: BatchId,
    /// The part, from 1.
    pub part: u32,
    /// How many parts the upload has.
    pub parts: u32,
    /// How many devices the part holds.
    pub devices: u32,
    /// The SHA-256 of the CSV file's bytes, lower-case hex ([`csv_sha256`]).
    pub csv_sha256: String,
    /// The base URL the part is sent to.
    pub base_url: String,
    /// When it was about to be sent.
    #[serde(with = "rfc3339")]
    pub at: UtcDateTime,
}

/// `{"event": "accepted", …}`: written once the part was accepted, before `pc` says
/// anything about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    /// The tracking id the service gave the part.
    pub tracking_id: TrackingId,
    /// The customer uploaded to.
    pub customer_id: CustomerId,
    /// The batch the part went to.
    pub batch_id: BatchId,
    /// How many devices the part holds.
    pub devices: u32,
    /// The part's serial numbers in file order, empty for rows without one.
    pub serial_numbers: Vec<String>,
    /// The SHA-256 of the CSV file's bytes, lower-case hex ([`csv_sha256`]).
    pub csv_sha256: String,
    /// The CSV file's absolute path.
    pub csv_file: String,
    /// The part, from 1.
    pub part: u32,
    /// How many parts the upload has.
    pub parts: u32,
    /// When its acceptance reached `pc`.
    #[serde(with = "rfc3339")]
    pub accepted_at: UtcDateTime,
    /// The base URL the part was sent to.
    pub base_url: String,
    /// The token's `tid` when readable, else the credentials' tenant, else unknown.
    pub partner_tenant: Option<String>,
    /// The upload's `MS-CorrelationId`.
    pub correlation_id: String,
    /// The part's `MS-RequestId`, as in its `sending` line.
    pub request_id: String,
}

/// `{"event": "finished", …}`: a job's ending, written once per tracking id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finished {
    /// The job's tracking id.
    pub tracking_id: TrackingId,
    /// The terminal status as the service wrote it, or [`NOT_FOUND`].
    pub status: String,
    /// How many devices the batch reports (null for `not_found`).
    pub devices: Option<u32>,
    /// How many of them failed (null for `not_found`).
    pub failed: Option<u32>,
    /// The failed devices counted by error (null for `not_found`).
    pub errors: Option<Vec<ErrorCount>>,
    /// The batch's completion time as the service wrote it (null for `not_found`).
    pub completed_time: Option<Timestamp>,
    /// When `pc` saw the status terminal.
    #[serde(with = "rfc3339")]
    pub seen_at: UtcDateTime,
}

impl Finished {
    /// The ending of a job still answered `404` once the not-found grace had passed.
    pub fn not_found(tracking_id: TrackingId, seen_at: UtcDateTime) -> Self {
        Self {
            tracking_id,
            status: NOT_FOUND.to_owned(),
            devices: None,
            failed: None,
            errors: None,
            completed_time: None,
            seen_at,
        }
    }
}

/// How many failed devices carry one error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCount {
    /// The error code as the service wrote it, `""` for failed devices without one.
    pub code: String,
    /// What the code means (the catalog's name, else the service's description).
    pub description: String,
    /// How many devices failed with it.
    pub count: u32,
}

/// The SHA-256 of a CSV file's bytes, in lower-case hex, as `csvSha256` holds it.
pub fn csv_sha256(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Reads one line: `Ok(None)` for an event this version does not know (kept, not
/// understood), `Err` with the reason for a line that cannot be read.
pub(super) fn parse(bytes: &[u8]) -> Result<Option<Line>, String> {
    #[derive(Deserialize)]
    struct Event {
        event: String,
    }
    let bytes = pc_models::strip_bom(bytes);
    let event: Event = serde_json::from_slice(bytes).map_err(|error| error.to_string())?;
    let line = match event.event.as_str() {
        "sending" => serde_json::from_slice(bytes).map(Line::Sending),
        "accepted" => serde_json::from_slice(bytes).map(Line::Accepted),
        "finished" => serde_json::from_slice(bytes).map(Line::Finished),
        _ => return Ok(None),
    };
    line.map(Some).map_err(|error| error.to_string())
}

/// The line as written: one JSON object, without its newline.
pub(super) fn to_json(line: &Line) -> Vec<u8> {
    // These types hold only strings, numbers, options and lists: they always serialize.
    serde_json::to_vec(line).unwrap_or_default()
}

/// Times as RFC 3339 UTC text (`2026-01-01T12:00:00Z`).
mod rfc3339 {
    use pc_models::UtcDateTime;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(time: &UtcDateTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(time)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<UtcDateTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        UtcDateTime::parse(&text)
            .ok_or_else(|| D::Error::custom(format!("{text:?} is not an RFC 3339 time")))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub const CUSTOMER: &str = "47021739-3426-40bf-9601-61b4b6d7c793";
    pub const TRACKING: &str = "5e8b1c1a-58b4-4b6f-a4a9-2a4a7f3f0b01";
    pub const OTHER_TRACKING: &str = "6f9c2d2b-69c5-4c70-b5ba-3b5b8040c102";

    pub fn at(seconds: i64) -> UtcDateTime {
        UtcDateTime::from_unix_seconds(seconds)
    }

    pub fn sending(request_id: &str, at_seconds: i64) -> Sending {
        Sending {
            request_id: request_id.to_owned(),
            customer_id: CUSTOMER.parse().unwrap(),
            batch_id: BatchId::new("lab-1").unwrap(),
            part: 1,
            parts: 2,
            devices: 3,
            csv_sha256: csv_sha256(b"Device Serial Number\n"),
            base_url: "https://api.partnercenter.microsoft.com".to_owned(),
            at: at(at_seconds),
        }
    }

    pub fn accepted(request_id: &str, tracking_id: &str, at_seconds: i64) -> Accepted {
        Accepted {
            tracking_id: tracking_id.parse().unwrap(),
            customer_id: CUSTOMER.parse().unwrap(),
            batch_id: BatchId::new("lab-1").unwrap(),
            devices: 3,
            serial_numbers: vec!["SN-1".into(), String::new(), "SN-3".into()],
            csv_sha256: csv_sha256(b"Device Serial Number\n"),
            csv_file: "/home/u/devices.csv".to_owned(),
            part: 1,
            parts: 2,
            accepted_at: at(at_seconds),
            base_url: "https://api.partnercenter.microsoft.com".to_owned(),
            partner_tenant: Some("0f7a1a43-1111-4a55-9e5e-1c3b52a5c0de".to_owned()),
            correlation_id: "c0ffee00-0000-4000-8000-000000000001".to_owned(),
            request_id: request_id.to_owned(),
        }
    }

    pub fn finished(tracking_id: &str, status: &str, at_seconds: i64) -> Finished {
        Finished {
            tracking_id: tracking_id.parse().unwrap(),
            status: status.to_owned(),
            devices: Some(3),
            failed: Some(1),
            errors: Some(vec![ErrorCount {
                code: "808".into(),
                description: "ZtdDeviceAssignedToOtherTenant".into(),
                count: 1,
            }]),
            completed_time: Some(Timestamp::new("2026-03-01T10:05:00.123")),
            seen_at: at(at_seconds),
        }
    }

    fn json(line: &Line) -> String {
        String::from_utf8(to_json(line)).unwrap()
    }

    #[test]
    fn a_sending_line_is_written_with_the_contracts_fields_in_order() {
        assert_eq!(
            json(&Line::Sending(sending("r-1", 1_772_359_200))),
            r#"{"event":"sending","requestId":"r-1","customerId":"47021739-3426-40bf-9601-61b4b6d7c793","batchId":"lab-1","part":1,"parts":2,"devices":3,"csvSha256":"27a7a50d23d2c5e37af67c613a4efc87671021cca186b7b8244d97d33abd7a15","baseUrl":"https://api.partnercenter.microsoft.com","at":"2026-03-01T10:00:00Z"}"#
        );
    }

    #[test]
    fn an_accepted_line_is_written_with_the_contracts_fields_in_order() {
        let mut line = accepted("r-1", TRACKING, 1_772_359_201);
        assert_eq!(
            json(&Line::Accepted(line.clone())),
            r#"{"event":"accepted","trackingId":"5e8b1c1a-58b4-4b6f-a4a9-2a4a7f3f0b01","customerId":"47021739-3426-40bf-9601-61b4b6d7c793","batchId":"lab-1","devices":3,"serialNumbers":["SN-1","","SN-3"],"csvSha256":"27a7a50d23d2c5e37af67c613a4efc87671021cca186b7b8244d97d33abd7a15","csvFile":"/home/u/devices.csv","part":1,"parts":2,"acceptedAt":"2026-03-01T10:00:01Z","baseUrl":"https://api.partnercenter.microsoft.com","partnerTenant":"0f7a1a43-1111-4a55-9e5e-1c3b52a5c0de","correlationId":"c0ffee00-0000-4000-8000-000000000001","requestId":"r-1"}"#
        );
        line.partner_tenant = None;
        assert!(json(&Line::Accepted(line)).contains(r#""partnerTenant":null,"#));
    }

    #[test]
    fn a_finished_line_is_written_with_the_contracts_fields_in_order() {
        assert_eq!(
            json(&Line::Finished(finished(
                TRACKING,
                "finished_with_errors",
                1_772_359_500
            ))),
            r#"{"event":"finished","trackingId":"5e8b1c1a-58b4-4b6f-a4a9-2a4a7f3f0b01","status":"finished_with_errors","devices":3,"failed":1,"errors":[{"code":"808","description":"ZtdDeviceAssignedToOtherTenant","count":1}],"completedTime":"2026-03-01T10:05:00.123","seenAt":"2026-03-01T10:05:00Z"}"#
        );
        let not_found = Finished::not_found(TRACKING.parse().unwrap(), at(1_772_359_500));
        assert_eq!(
            json(&Line::Finished(not_found)),
            r#"{"event":"finished","trackingId":"5e8b1c1a-58b4-4b6f-a4a9-2a4a7f3f0b01","status":"not_found","devices":null,"failed":null,"errors":null,"completedTime":null,"seenAt":"2026-03-01T10:05:00Z"}"#
        );
    }

    #[test]
    fn every_line_reads_back_as_written() {
        for line in [
            Line::Sending(sending("r-1", 1)),
            Line::Accepted(accepted("r-1", TRACKING, 2)),
            Line::Finished(finished(TRACKING, "finished", 3)),
            Line::Finished(Finished::not_found(TRACKING.parse().unwrap(), at(4))),
        ] {
            assert_eq!(parse(&to_json(&line)), Ok(Some(line)));
        }
    }

    #[test]
    fn reading_goes_past_unknown_fields_and_keeps_unknown_events_unread() {
        let mut value = serde_json::to_value(Line::Sending(sending("r-1", 1))).unwrap();
        value["addedLater"] = serde_json::json!({"any": [1, 2]});
        let bytes = serde_json::to_vec(&value).unwrap();
        assert_eq!(parse(&bytes), Ok(Some(Line::Sending(sending("r-1", 1)))));
        assert_eq!(
            parse(br#"{"event":"cancelled","trackingId":"x"}"#),
            Ok(None)
        );
    }

    #[test]
    fn a_line_that_is_not_json_or_holds_a_bad_id_or_time_cannot_be_read() {
        let good = String::from_utf8(to_json(&Line::Accepted(accepted("r", TRACKING, 1)))).unwrap();
        for (bad, why) in [
            (r#"{"event":"sending","requestId":"r"#.to_owned(), "EOF"),
            ("not json".to_owned(), "expected"),
            (r#"{"trackingId":"x"}"#.to_owned(), "missing field `event`"),
            (
                good.replace(CUSTOMER, "contoso"),
                "invalid customer id \"contoso\"",
            ),
            (good.replace(TRACKING, "T-1"), "invalid tracking id \"T-1\""),
            (
                good.replace("1970-01-01T00:00:01Z", "yesterday"),
                "not an RFC 3339 time",
            ),
            (
                good.replace(r#""devices":3"#, r#""devices":"3""#),
                "invalid type",
            ),
        ] {
            let error = parse(bad.as_bytes()).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn the_csv_hash_is_sha256_in_lower_case_hex() {
        assert_eq!(
            csv_sha256(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            csv_sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
