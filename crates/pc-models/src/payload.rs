//! The bodies of the service's error answers.

use crate::ErrorCode;
use crate::extra::resource;
use std::fmt;

resource! {
    /// The service's error body:
    /// `{"code": 600, "description": "…", "data": ["…"], "source": "PartnerFD"}`.
    ///
    /// ```
    /// let error: pc_models::ServiceError =
    ///     pc_models::from_slice(br#"{"code":"600","description":"Invalid request","source":"PartnerFD"}"#)?;
    /// assert_eq!(error.to_string(), "600: Invalid request");
    /// # Ok::<(), pc_models::ParseError>(())
    /// ```
    pub struct ServiceError {
        /// The service's error code: a number, sometimes a string.
        "code" => code: ErrorCode,
        /// What went wrong, localized by `X-Locale`.
        "description" => description: String,
        /// Details, when the service gives any.
        "data" => data: Vec<serde_json::Value>,
        /// Which part of the service answered, e.g. `PartnerFD`.
        "source" => source: String,
    }
}

/// `CODE: DESCRIPTION`, or whichever of the two is there.
impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, &self.description) {
            (Some(code), Some(description)) => write!(f, "{code}: {description}"),
            (Some(code), None) => write!(f, "{code}"),
            (None, Some(description)) => f.write_str(description),
            (None, None) => f.write_str("no error code or description"),
        }
    }
}

resource! {
    /// The body of a throttled (429) answer:
    /// `{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 11 seconds."}`.
    pub struct ThrottleError {
        /// The HTTP status, 429.
        "statusCode" => status_code: u16,
        /// What to do, usually with the seconds to wait.
        "message" => message: String,
    }
}

impl fmt::Display for ThrottleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message.as_deref().unwrap_or("rate limit exceeded"))
    }
}
