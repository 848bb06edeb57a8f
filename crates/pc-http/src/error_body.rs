//! Turning an error response into an [`ApiError`]: the service's two error shapes.

use std::time::Duration;

use http::{HeaderMap, StatusCode};

use crate::error::{ApiError, Diagnostics};

/// Builds the error for a final non-success response, reading whichever error shape
/// the body has. A body in neither shape is kept raw; nothing here fails.
pub(crate) fn api_error(
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
    retry_after: Option<Duration>,
    diagnostics: Diagnostics,
) -> ApiError {
    let (code, description) = read_error_body(&body);
    ApiError {
        status,
        code,
        description,
        retry_after,
        headers,
        body,
        diagnostics,
    }
}

fn read_error_body(body: &[u8]) -> (Option<String>, Option<String>) {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return (None, None);
    };
    let text = |key: &str| match map.get(key) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let code = text("code");
    let description = text("description").or_else(|| text("message"));
    (code, description)
}

/// Parses a JSON body, accepting a leading byte-order mark.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    serde_json::from_slice(body).map_err(|e| e.to_string())
}
