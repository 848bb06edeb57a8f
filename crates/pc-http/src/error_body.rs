//! Turning an error response into an [`ApiError`]: the service's two error shapes.

use std::time::Duration;

use http::{HeaderMap, StatusCode};

use crate::error::{ApiError, Diagnostics};

/// Builds the error for a final non-success response, reading whichever error shape
/// the body has (the service error, or the throttling body of a `429`). A body in
/// neither shape is kept raw; nothing here fails.
pub(crate) fn api_error(
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
    retry_after: Option<Duration>,
    diagnostics: Diagnostics,
) -> ApiError {
    let service_error = pc_models::from_slice::<pc_models::ServiceError>(&body)
        .ok()
        .filter(|e| e.code.is_some() || e.description.is_some());
    let throttle = pc_models::from_slice::<pc_models::ThrottleError>(&body)
        .ok()
        .filter(|e| e.message.is_some());
    let code = service_error
        .as_ref()
        .and_then(|e| e.code.as_ref())
        .map(ToString::to_string);
    let description = service_error
        .as_ref()
        .and_then(|e| e.description.clone())
        .or_else(|| throttle.as_ref().and_then(|t| t.message.clone()));
    ApiError {
        status,
        code,
        description,
        service_error,
        throttle,
        retry_after,
        headers,
        body,
        diagnostics,
    }
}

/// Parses a JSON body, accepting a leading byte-order mark.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    pc_models::from_slice(body).map_err(|e| e.to_string())
}
