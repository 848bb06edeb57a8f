//! Turning an error response into an [`ApiError`]: the service's two error shapes.

use std::time::SystemTime;

use crate::error::{ApiError, Diagnostics};

impl ApiError {
    /// The error for a final non-success `response`, reading whichever error shape the
    /// body has (the service error, or the throttling body of a `429`) and its
    /// `Retry-After` (seconds, or an HTTP date measured from `now`).
    ///
    /// A body in neither shape is kept raw; nothing here fails. The pipeline builds its
    /// errors with this function; a parser that was handed a response from another
    /// HTTP client builds the same error with it and [`Diagnostics::from_response`].
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use http::Method;
    /// use pc_http::{ApiError, Diagnostics, Error};
    ///
    /// let response = http::Response::builder()
    ///     .status(429)
    ///     .header("MS-RequestId", "r-1")
    ///     .header("MS-CorrelationId", "c-1")
    ///     .header("Retry-After", "11")
    ///     .body(br#"{"statusCode": 429, "message": "Rate limit is exceeded."}"#.to_vec())?;
    /// let diagnostics = Diagnostics::from_response(Method::GET, "/v1/customers/x", &response);
    /// let error = Error::from(ApiError::from_response(&response, diagnostics, SystemTime::now()));
    /// assert_eq!(error.status(), Some(http::StatusCode::TOO_MANY_REQUESTS));
    /// assert_eq!(
    ///     error.to_string(),
    ///     "Partner Center answered GET /v1/customers/x with HTTP 429 Too Many Requests: \
    ///      Rate limit is exceeded. (Retry-After 11s; MS-CorrelationId c-1, MS-RequestId r-1)"
    /// );
    /// # Ok::<(), http::Error>(())
    /// ```
    pub fn from_response(
        response: &http::Response<Vec<u8>>,
        diagnostics: Diagnostics,
        now: SystemTime,
    ) -> Self {
        let body = response.body();
        let service_error = pc_models::from_slice::<pc_models::ServiceError>(body)
            .ok()
            .filter(|e| e.code.is_some() || e.description.is_some());
        let throttle = pc_models::from_slice::<pc_models::ThrottleError>(body)
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
        Self {
            status: response.status(),
            code,
            description,
            service_error,
            throttle,
            retry_after: crate::retry::retry_after(response.headers(), now),
            headers: response.headers().clone(),
            body: body.clone(),
            diagnostics,
        }
    }
}
