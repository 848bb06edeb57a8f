//! What both clients share: the path of a listing, the missing-token error, and the
//! small adapters that let the builders hold shared trait objects.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use pc_http::runtime::Clock;

use crate::ops::Operation;

/// The path a listing fetches, for its error messages.
pub(crate) fn listing_path(op: &impl Operation) -> String {
    op.to_request()
        .map(|request| request.uri().path().to_owned())
        .unwrap_or_default()
}

/// A shared clock as a clock.
#[derive(Clone)]
pub(crate) struct SharedClock(pub(crate) Arc<dyn Clock>);

impl Clock for SharedClock {
    fn now(&self) -> SystemTime {
        self.0.now()
    }

    fn instant(&self) -> Instant {
        self.0.instant()
    }
}

/// A missing token, said the way pc-http says configuration errors.
pub(crate) fn no_token() -> crate::Error {
    crate::Error::Http(pc_http::Error::config(
        "no access token: give the builder a token or a token provider",
    ))
}
