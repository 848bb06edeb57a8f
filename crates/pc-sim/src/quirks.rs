//! Quirks mode ([`SimConfig::quirks`]): every answer carries, every time, the quirks the
//! service's documentation shows, so that a client meets them in tests rather than in
//! production. The store renders the timestamps and picks the paging style; the rest is
//! a rewrite of the finished answer, applied to replayed answers too.

use crate::answer::Answer;
use crate::config::SimConfig;
use crate::route::Operation;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use pc_models::{Timestamp, UtcDateTime};
use serde_json::{Map, Value};
use std::time::{Duration, SystemTime};

/// The UTF-8 byte-order mark that starts each JSON body.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The offset written in a quirky `completedTime` (the documented example's).
const COMPLETED_OFFSET_SECS: i64 = -8 * 3600;

/// Which of the two paging signals a collection carries when more items follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    /// `continuationToken` at the collection's top level.
    pub(crate) token: bool,
    /// `links.next`, with the token in its `MS-ContinuationToken` header entry.
    pub(crate) link: bool,
}

/// How `operation` pages: both signals normally; with quirks, device listings carry
/// only `continuationToken` and batch listings only `links.next`.
pub(crate) fn paging(config: &SimConfig, operation: Operation) -> Paging {
    match operation {
        Operation::ListDevices if config.quirks => Paging {
            token: true,
            link: false,
        },
        Operation::ListBatches if config.quirks => Paging {
            token: false,
            link: true,
        },
        _ => Paging {
            token: true,
            link: true,
        },
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of `seconds` since the epoch: the UTC view's text without
/// its `Z` (a whole second has no fraction).
fn date_time(seconds: i64) -> String {
    let mut text = UtcDateTime::from_unix_seconds(seconds).to_string();
    text.pop();
    text
}

fn whole_seconds(at: Duration) -> i64 {
    i64::try_from(at.as_secs()).unwrap_or(i64::MAX / 2)
}

/// A `startedTime` as the documentation shows it: UTC without an offset, to the
/// second (`2017-07-25T10:00:00`).
pub(crate) fn started_time(at: Duration) -> Timestamp {
    Timestamp::new(date_time(whole_seconds(at)))
}

/// A `completedTime` as the documentation shows it: seven fractional digits and an
/// offset (`2019-02-05T21:57:06.7367164-08:00`), the same instant as `at`.
pub(crate) fn completed_time(at: Duration) -> Timestamp {
    let local = whole_seconds(at) + COMPLETED_OFFSET_SECS;
    let sign = if COMPLETED_OFFSET_SECS < 0 { '-' } else { '+' };
    let offset = COMPLETED_OFFSET_SECS.unsigned_abs();
    Timestamp::new(format!(
        "{}.{:07}{sign}{:02}:{:02}",
        date_time(local),
        at.subsec_nanos() / 100,
        offset / 3600,
        offset % 3600 / 60
    ))
}

/// `Retry-After` as an HTTP date: `secs` from `now`, rounded up to the next whole
/// second so that a client never retries before the service allows it.
pub(crate) fn retry_after_date(now: SystemTime, secs: u64) -> String {
    let since = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let rounded = since.as_secs() + u64::from(since.subsec_nanos() > 0) + secs;
    httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(rounded))
}

/// An injected `5xx` as a front end sends it: an HTML page.
pub(crate) fn html_error(status: StatusCode, description: &str) -> Answer {
    let reason = status.canonical_reason().unwrap_or("Error");
    let code = status.as_u16();
    let page = format!(
        "<!DOCTYPE html>\r\n<html><head><title>{code} {reason}</title></head>\r\n\
         <body><h1>{code} {reason}</h1><p>{description}</p></body></html>\r\n"
    );
    Answer {
        status,
        headers: vec![(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body: Bytes::from(page),
    }
}

fn is_json(answer: &Answer) -> bool {
    answer.headers.iter().any(|(name, value)| {
        name == header::CONTENT_TYPE
            && value
                .to_str()
                .is_ok_and(|value| value.starts_with("application/json"))
    })
}

fn rename(object: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(value) = object.remove(from) {
        object.insert(to.to_owned(), value);
    }
}

fn each_item(value: &mut Value, mut change: impl FnMut(&mut Map<String, Value>)) {
    if let Some(items) = value.get_mut("items").and_then(Value::as_array_mut) {
        items
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(&mut change);
    }
}

/// The documented spellings and `null`s of a successful answer's body.
fn rewrite_body(operation: Operation, value: &mut Value) {
    match operation {
        Operation::BatchStatus => {
            let devices = value
                .get_mut("devicesStatus")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object_mut);
            for device in devices {
                if device.get("errorCode").is_none_or(Value::is_null) {
                    device.insert("errorCode".to_owned(), Value::Null);
                    device.entry("errorDescription").or_insert(Value::Null);
                }
            }
        }
        Operation::ListBatches => each_item(value, |batch| {
            rename(batch, "creationDate", "creationTime");
            rename(batch, "devicesCount", "deviceCount");
        }),
        Operation::ListPolicies => each_item(value, |policy| {
            rename(policy, "devicesAssigned", "devicesAssignedCount");
        }),
        Operation::GetPolicy | Operation::CreatePolicy | Operation::UpdatePolicy => {
            if let Some(policy) = value.as_object_mut() {
                rename(policy, "devicesAssigned", "devicesAssignedCount");
            }
        }
        _ => {}
    }
}

/// Rewrites a finished answer with the quirks: a `202` without `Location` whose body
/// is the status path as a JSON string, the documented spellings and `null`s, and a
/// byte-order mark before every JSON body.
pub(crate) fn apply(operation: Option<Operation>, mut answer: Answer) -> Answer {
    if answer.status == StatusCode::ACCEPTED {
        let location = answer
            .headers
            .iter()
            .position(|(name, _)| name == header::LOCATION)
            .map(|index| answer.headers.remove(index).1);
        if let Some(path) = location.as_ref().and_then(|value| value.to_str().ok()) {
            let body = Value::String(path.to_owned()).to_string();
            answer.body = Bytes::from(body);
            answer.headers.push((
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ));
        }
    }
    if !is_json(&answer) || answer.body.is_empty() || answer.body.starts_with(BOM) {
        return answer;
    }
    if let Some(operation) = operation.filter(|_| answer.status.is_success())
        && let Ok(mut value) = serde_json::from_slice::<Value>(&answer.body)
    {
        rewrite_body(operation, &mut value);
        if let Ok(body) = serde_json::to_vec(&value) {
            answer.body = Bytes::from(body);
        }
    }
    let mut body = Vec::with_capacity(BOM.len() + answer.body.len());
    body.extend_from_slice(BOM);
    body.extend_from_slice(&answer.body);
    answer.body = Bytes::from(body);
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_look_like_the_documented_ones() {
        // 2019-02-06T05:57:06.7367164Z is 2019-02-05T21:57:06.7367164-08:00.
        let at = Duration::new(1_549_432_626, 736_716_400);
        assert_eq!(started_time(at).as_str(), "2019-02-06T05:57:06");
        assert_eq!(
            completed_time(at).as_str(),
            "2019-02-05T21:57:06.7367164-08:00"
        );
        assert_eq!(
            started_time(Duration::from_secs(1_500_976_800)).as_str(),
            "2017-07-25T10:00:00"
        );
        assert_eq!(
            completed_time(Duration::ZERO).as_str(),
            "1969-12-31T16:00:00.0000000-08:00"
        );
        assert_eq!(
            started_time(Duration::from_secs(951_782_400)).as_str(),
            "2000-02-29T00:00:00"
        );
    }

    #[test]
    fn retry_after_dates_round_up() {
        let now = SystemTime::UNIX_EPOCH + Duration::new(1_704_067_200, 1);
        assert_eq!(retry_after_date(now, 5), "Mon, 01 Jan 2024 00:00:06 GMT");
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200);
        assert_eq!(retry_after_date(now, 0), "Mon, 01 Jan 2024 00:00:00 GMT");
    }
}
