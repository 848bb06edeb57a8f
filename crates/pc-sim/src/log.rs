//! The request log: what each request asked and what it got, secrets redacted.

use crate::config::FaultKind;
use crate::route::Operation;
use axum::http::HeaderMap;
use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// What replaces a secret in the log.
pub const REDACTED: &str = "[redacted]";

/// One request as the simulator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The path as received, still percent-encoded.
    pub path: String,
    /// The query string, without `?`, when there was one.
    pub query: Option<String>,
    /// The request headers in the order received, names lower-case. `Authorization`
    /// and any header whose name speaks of a secret, password or token (except
    /// `MS-ContinuationToken`) read [`REDACTED`].
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8), cut at `Limits::max_logged_body_bytes`; in a
    /// token request the values of `client_secret`, `refresh_token`, `code`,
    /// `device_code`, `assertion` and `password` read [`REDACTED`].
    pub body: String,
    /// The operation it matched, if any.
    pub operation: Option<Operation>,
    /// The status answered; `None` when the connection was reset without an answer.
    pub status: Option<u16>,
    /// The fault injected, if any.
    pub fault: Option<FaultKind>,
    /// True when the answer was the one kept for an earlier request with the same
    /// `MS-RequestId`.
    pub replayed: bool,
    /// How long the simulator took to answer.
    pub elapsed: Duration,
}

impl LoggedRequest {
    /// The value of the first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A bounded log shared by the server and its handles.
#[derive(Debug)]
pub(crate) struct RequestLog {
    enabled: bool,
    capacity: usize,
    entries: Mutex<VecDeque<LoggedRequest>>,
}

impl RequestLog {
    pub(crate) fn new(enabled: bool, capacity: usize) -> Self {
        Self {
            enabled,
            capacity,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    pub(crate) fn push(&self, entry: LoggedRequest) {
        if !self.enabled || self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub(crate) fn snapshot(&self) -> Vec<LoggedRequest> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// True for a header whose value must not be logged.
pub(crate) fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if name == "ms-continuationtoken" {
        return false;
    }
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) || ["secret", "password", "token", "api-key", "apikey"]
        .iter()
        .any(|word| name.contains(word))
}

pub(crate) fn redact_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if is_secret_header(name.as_str()) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect()
}

const SECRET_FORM_FIELDS: [&str; 6] = [
    "client_secret",
    "refresh_token",
    "code",
    "device_code",
    "assertion",
    "password",
];

/// The body as loggable text: a form body with its secret fields redacted.
pub(crate) fn redact_body(body: &[u8], is_form: bool, limit: usize) -> String {
    let body = &body[..body.len().min(limit)];
    let text = String::from_utf8_lossy(body);
    if !is_form {
        return text.into_owned();
    }
    text.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if SECRET_FORM_FIELDS.contains(&key) => format!("{key}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        assert!(is_secret_header("Authorization"));
        assert!(is_secret_header("X-Client-Secret"));
        assert!(is_secret_header("x-ms-token-aad-id-token"));
        assert!(!is_secret_header("MS-ContinuationToken"));
        assert!(!is_secret_header("MS-RequestId"));
        assert_eq!(
            redact_body(
                b"grant_type=refresh_token&client_id=c&refresh_token=rt&client_secret=s",
                true,
                1000
            ),
            "grant_type=refresh_token&client_id=c&refresh_token=[redacted]&client_secret=[redacted]"
        );
        assert_eq!(redact_body(b"{\"batchId\":\"b\"}", false, 5), "{\"bat");
    }
}
