//! The tracking id of an accepted upload: from the `Location` header, else the body.

use http::header::LOCATION;
use pc_models::TrackingId;

use super::{Operation, diagnostics};
use crate::Error;
use crate::accepted::UploadAccepted;
use crate::error::MissingTrackingId;

/// The tracking id in a `Location` header: the GUID segment that follows
/// `batchJobStatus`, the last of the path.
///
/// The documented header is relative and lacks `/v1`
/// (`/customers/{cid}/batchJobStatus/{guid}`); absolute URLs, a `/v1` prefix, a query,
/// a trailing slash and any spelling of `batchJobStatus` are tolerated. A GUID
/// anywhere else (the customer id of `/customers/{cid}`) is not a tracking id.
///
/// ```
/// use pc_devices::ops::tracking_id_from_location;
/// let id = tracking_id_from_location(
///     "/customers/47021739-3426-40bf-9601-61b4b6d7c793/batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932",
/// );
/// assert_eq!(id.unwrap().to_string(), "0127ed8e-ff72-4983-a3d8-e8d8bd378932");
/// assert!(tracking_id_from_location("/customers/x/deviceBatches").is_none());
/// assert!(tracking_id_from_location("/customers/47021739-3426-40bf-9601-61b4b6d7c793").is_none());
/// ```
pub fn tracking_id_from_location(location: &str) -> Option<TrackingId> {
    let location = location.trim();
    let path = match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |at| &rest[at..]),
        None => location,
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut segments = path.split('/').rev().filter(|segment| !segment.is_empty());
    let last = segments.next()?;
    let before = segments.next()?;
    if !before.eq_ignore_ascii_case("batchJobStatus") {
        return None;
    }
    last.parse().ok()
}

/// The tracking id in the body of a `202`: a JSON string holding a bare GUID or the
/// `Location` path, or an object with `batchTrackingId`. A body that is not JSON but
/// plain text of either form is read too.
///
/// ```
/// use pc_devices::ops::tracking_id_from_body;
/// let guid = "0127ed8e-ff72-4983-a3d8-e8d8bd378932";
/// assert!(tracking_id_from_body(format!("\"{guid}\"").as_bytes()).is_some());
/// assert!(tracking_id_from_body(format!(r#"{{"batchTrackingId":"{guid}"}}"#).as_bytes()).is_some());
/// assert!(tracking_id_from_body(format!("\"/customers/c/batchJobStatus/{guid}\"").as_bytes()).is_some());
/// assert!(tracking_id_from_body(b"{}").is_none());
/// ```
pub fn tracking_id_from_body(body: &[u8]) -> Option<TrackingId> {
    let body = pc_models::strip_bom(body);
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::String(text)) => guid_or_status_path(&text),
        Ok(serde_json::Value::Object(map)) => map
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("batchTrackingId"))
            .and_then(|(_, value)| value.as_str())
            .and_then(|text| text.trim().parse().ok()),
        Ok(_) => None,
        Err(_) => std::str::from_utf8(body).ok().and_then(guid_or_status_path),
    }
}

/// A bare GUID, or a status path naming one.
fn guid_or_status_path(text: &str) -> Option<TrackingId> {
    text.trim()
        .parse()
        .ok()
        .or_else(|| tracking_id_from_location(text))
}

/// Reads the answer to an upload: a success with a tracking id in `Location` or the
/// body, else [`Error::MissingTrackingId`].
pub(super) fn parse_accepted<O: Operation>(
    op: &O,
    response: &http::Response<Vec<u8>>,
) -> Result<UploadAccepted, Error> {
    let location = response
        .headers()
        .get(LOCATION)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    if let Some(tracking_id) = location.as_deref().and_then(tracking_id_from_location) {
        return Ok(UploadAccepted::new(tracking_id, location));
    }
    if let Some(tracking_id) = tracking_id_from_body(response.body()) {
        return Ok(UploadAccepted::new(tracking_id, None));
    }
    Err(Error::MissingTrackingId(Box::new(MissingTrackingId {
        status: response.status(),
        location,
        body: response.body().clone(),
        diagnostics: diagnostics(op, response),
    })))
}
