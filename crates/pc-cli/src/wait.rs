//! Waiting for batches: each poll a new logical call under the invocation's one
//! `MS-CorrelationId`, every `--poll-interval`, until `--wait-timeout`.
//!
//! The CLI polls itself rather than through the library's wait, because it keeps each
//! answer's bytes (for `-o json`), forgives a `404` during the not-found grace, and
//! bounds each poll's retries by what is left of the wait.

use std::time::{Duration, Instant};

use pc_models::{CustomerId, TrackingId};

use crate::api::{Api, Failure, StatusAnswer};
use crate::scan::BatchScan;

/// The shortest sleep between polls, whatever `--poll-interval` says.
const MIN_SLEEP: Duration = Duration::from_millis(1);

/// How one batch's wait ended.
#[derive(Debug)]
pub enum Polled {
    /// The batch reached a terminal status.
    Done(StatusAnswer),
    /// A poll failed (after its retries), or the answer could not be read.
    Failed(Failure),
    /// The wait's deadline came first (or a `Retry-After` would have passed it).
    TimedOut,
}

/// A wait: its polling interval and deadline, shared by every batch it follows.
#[derive(Debug)]
pub struct Wait<'a> {
    api: &'a Api,
    customer: CustomerId,
    interval: Duration,
    timeout: Duration,
    started: Instant,
}

impl<'a> Wait<'a> {
    /// A wait starting now.
    pub fn new(api: &'a Api, customer: CustomerId, interval: Duration, timeout: Duration) -> Self {
        Self {
            api,
            customer,
            interval,
            timeout,
            started: Instant::now(),
        }
    }

    /// How long the wait has lasted.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Polls `tracking` until it is terminal or the deadline passes. `last` holds the
    /// last answer seen that was not terminal; `on_poll` hears about every answer. A
    /// `404` is polled again while `grace` (counted from the first poll) lasts.
    pub fn follow(
        &self,
        tracking: TrackingId,
        grace: Option<Duration>,
        last: &mut Option<StatusAnswer>,
        on_poll: &mut dyn FnMut(&BatchScan<'_>),
    ) -> Polled {
        let first = Instant::now();
        loop {
            let left = self.timeout.saturating_sub(self.elapsed());
            match self
                .api
                .batch_status(self.customer, tracking, Some(left.max(MIN_SLEEP)))
            {
                Ok(answer) => {
                    let terminal = match answer.scan() {
                        Ok(scan) => {
                            on_poll(&scan);
                            scan.is_terminal()
                        }
                        Err(failure) => return Polled::Failed(failure),
                    };
                    if terminal {
                        return Polled::Done(answer);
                    }
                    *last = Some(answer);
                }
                Err(failure)
                    if failure.is_not_found()
                        && grace.is_some_and(|grace| first.elapsed() < grace) => {}
                Err(failure) => {
                    let outlasts = failure
                        .retry_after
                        .is_some_and(|after| self.elapsed() + after >= self.timeout);
                    return if outlasts {
                        Polled::TimedOut
                    } else {
                        Polled::Failed(failure)
                    };
                }
            }
            let elapsed = self.elapsed();
            if elapsed >= self.timeout {
                return Polled::TimedOut;
            }
            // The last sleep is cut short so that the last poll falls on the deadline.
            std::thread::sleep(self.interval.min(self.timeout - elapsed).max(MIN_SLEEP));
        }
    }
}
