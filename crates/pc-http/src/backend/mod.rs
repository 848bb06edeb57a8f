//! The bundled transports. Both follow the same rules: statuses are data, one timeout
//! from connect to last byte, a capped body, the shared rustls trust, plain http only
//! to loopback hosts, no redirects followed, proxies per [`crate::proxy`].

#[cfg(feature = "reqwest")]
pub(crate) mod reqwest;
#[cfg(feature = "ureq")]
pub(crate) mod ureq;

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use crate::endpoint::check_uri;
use crate::{AttemptTimeout, TransportError, TransportErrorKind};

/// What both backends decide before sending: whether the URI may be used (https, or
/// plain http to a loopback host), and this attempt's timeout (the request's
/// [`AttemptTimeout`], never above the backend's own).
#[allow(dead_code)]
pub(crate) fn admit(
    request: &http::Request<Vec<u8>>,
    timeout: Duration,
) -> Result<Duration, TransportError> {
    check_uri(request.uri())
        .map_err(|m| TransportError::new(TransportErrorKind::InvalidRequest, m))?;
    Ok(request
        .extensions()
        .get::<AttemptTimeout>()
        .map_or(timeout, |t| t.0.min(timeout)))
}

/// Whether a rustls error hides somewhere in an error's source chain.
#[allow(dead_code)]
pub(crate) fn has_tls_cause(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<rustls::Error>() {
            return true;
        }
        // `io::Error::source` skips the error it wraps, so step into it explicitly.
        current = match e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    false
}

/// The kind of an I/O error; `reading_body` tells a cut-short body from a reset.
#[allow(dead_code)]
pub(crate) fn io_kind(error: &io::Error, reading_body: bool) -> TransportErrorKind {
    use io::ErrorKind::*;
    if error
        .get_ref()
        .is_some_and(|inner| inner.is::<rustls::Error>())
    {
        return TransportErrorKind::Tls;
    }
    match error.kind() {
        TimedOut | WouldBlock => TransportErrorKind::Timeout,
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe if reading_body => {
            TransportErrorKind::Truncated
        }
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe => {
            TransportErrorKind::Reset
        }
        ConnectionRefused | NotFound | AddrNotAvailable | HostUnreachable | NetworkUnreachable
        | NetworkDown => TransportErrorKind::Connect,
        _ => TransportErrorKind::Other,
    }
}

/// The refusal of a body over the cap.
#[allow(dead_code)]
pub(crate) fn too_large(limit: u64) -> TransportError {
    TransportError::new(
        TransportErrorKind::TooLarge,
        format!("the response body exceeds the limit of {limit} bytes"),
    )
}
