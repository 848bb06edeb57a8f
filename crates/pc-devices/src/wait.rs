//! Waiting for a batch to finish: the options, and the pure decision of each step.
//!
//! The clients' `wait_for_completion` loops over [`next_step`]: poll, report progress,
//! decide, sleep. The clock and the sleep are injected, so the decision logic is tested
//! without waiting.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pc_models::{BatchUploadDetails, StatusCounts, UploadStatus};

/// The default time between polls: 5 seconds (what the PowerShell module does).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// The default deadline of a wait: 30 minutes.
pub const DEFAULT_WAIT_DEADLINE: Duration = Duration::from_secs(30 * 60);
/// The shortest time between polls, whatever the options say.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(1);

/// What a progress callback is told after each poll.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WaitProgress<'a> {
    /// The batch's status, as the service sent it.
    pub status: Option<&'a UploadStatus>,
    /// How many devices are in each status.
    pub counts: StatusCounts,
    /// The whole answer of this poll.
    pub details: &'a BatchUploadDetails,
    /// How many polls were made, this one included.
    pub polls: u32,
    /// How long the wait has lasted.
    pub elapsed: Duration,
}

/// A progress callback; see [`WaitOptions::with_progress`].
pub type ProgressCallback = Arc<dyn Fn(&WaitProgress<'_>) + Send + Sync>;

/// How to wait for a batch: plain data with documented defaults.
///
/// ```
/// use std::time::Duration;
/// use pc_devices::WaitOptions;
///
/// let options = WaitOptions {
///     interval: Duration::from_secs(2),
///     ..Default::default()
/// }
/// .with_progress(|progress| eprintln!("{:?}: {} of {} done", progress.status, progress.counts.done(), progress.counts.total));
/// assert_eq!(options.deadline, Duration::from_secs(30 * 60));
/// ```
#[derive(Clone)]
pub struct WaitOptions {
    /// Time between polls. Default 5 s; at least [`MIN_POLL_INTERVAL`].
    pub interval: Duration,
    /// How long to wait in all before giving up with
    /// [`Error::WaitTimeout`](crate::Error::WaitTimeout). Default 30 min. A last poll is
    /// made at the deadline.
    pub deadline: Duration,
    /// How long a `404` is taken for "the service does not know this tracking id yet"
    /// and polled again, counted from the first poll. Default none: a tracking id
    /// given by a user is either known or wrong. An upload that just obtained the
    /// tracking id sets it (one minute by default; see `UploadOptions::not_found_grace`).
    pub not_found_grace: Option<Duration>,
    /// Called after each successful poll.
    pub on_progress: Option<ProgressCallback>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            interval: DEFAULT_POLL_INTERVAL,
            deadline: DEFAULT_WAIT_DEADLINE,
            not_found_grace: None,
            on_progress: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("interval", &self.interval)
            .field("deadline", &self.deadline)
            .field("not_found_grace", &self.not_found_grace)
            .field(
                "on_progress",
                &self.on_progress.as_ref().map(|_| "callback"),
            )
            .finish()
    }
}

impl WaitOptions {
    /// These options with a progress callback, called after each successful poll.
    pub fn with_progress(
        mut self,
        callback: impl Fn(&WaitProgress<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.on_progress = Some(Arc::new(callback));
        self
    }

    /// Tells the progress callback, if any, about a poll.
    #[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
    pub(crate) fn report(&self, details: &BatchUploadDetails, polls: u32, elapsed: Duration) {
        if let Some(callback) = &self.on_progress {
            callback(&WaitProgress {
                status: details.status.as_ref(),
                counts: details.status_counts(),
                details,
                polls,
                elapsed,
            });
        }
    }
}

/// What a wait does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStep {
    /// The batch is terminal: return its details.
    Done,
    /// Sleep this long, then poll again.
    Poll {
        /// How long to sleep first.
        after: Duration,
    },
    /// The deadline has passed: give up with the last details.
    GiveUp,
}

/// The decision after a poll that failed with `error` at `now`, for a wait that started
/// at `started` and a tracking id first polled at `first_poll`; `None`: the wait ends
/// with that error.
///
/// - A `404` within [`WaitOptions::not_found_grace`] of `first_poll` is polled again
///   after the interval (the service may not know a tracking id just obtained); the
///   deadline still holds.
/// - An answer asking to come back (`Retry-After`) later than the deadline gives up at
///   once ([`WaitStep::GiveUp`]), as does any failure once the deadline has passed.
///
/// ```
/// use std::time::{Duration, Instant};
/// use pc_devices::wait::{after_failed_poll, WaitStep};
/// use pc_devices::WaitOptions;
///
/// let not_found: pc_devices::Error = pc_http::Error::from(pc_http::ApiError::from_response(
///     &http::Response::builder().status(404).body(Vec::new())?,
///     pc_http::Diagnostics::default(),
///     std::time::SystemTime::now(),
/// )).into();
/// let started = Instant::now();
/// let options = WaitOptions { not_found_grace: Some(Duration::from_secs(60)), ..Default::default() };
/// assert_eq!(after_failed_poll(started, started, started, &not_found, &options), Some(WaitStep::Poll { after: Duration::from_secs(5) }));
/// let late = started + Duration::from_secs(61);
/// assert_eq!(after_failed_poll(late, started, started, &not_found, &options), None);
/// # Ok::<(), http::Error>(())
/// ```
pub fn after_failed_poll(
    now: Instant,
    started: Instant,
    first_poll: Instant,
    error: &crate::Error,
    options: &WaitOptions,
) -> Option<WaitStep> {
    let elapsed = now.saturating_duration_since(started);
    let left = options.deadline.saturating_sub(elapsed);
    let in_grace = options
        .not_found_grace
        .is_some_and(|grace| now.saturating_duration_since(first_poll) < grace);
    if left.is_zero() {
        // The deadline came during the poll (its last attempt ran out of time with it).
        return Some(WaitStep::GiveUp);
    }
    if error.status() == Some(http::StatusCode::NOT_FOUND) && in_grace {
        return Some(WaitStep::Poll {
            after: options.interval.max(MIN_POLL_INTERVAL).min(left),
        });
    }
    match error.retry_after() {
        Some(after) if after >= left => Some(WaitStep::GiveUp),
        _ => None,
    }
}

/// The decision after a poll answered at `now` (`terminal`: whether the batch's status
/// is terminal), for a wait that started at `started`.
///
/// Terminal → [`WaitStep::Done`]; deadline reached → [`WaitStep::GiveUp`]; otherwise
/// sleep the interval, cut short so that the last poll falls on the deadline.
///
/// ```
/// use std::time::{Duration, Instant};
/// use pc_devices::wait::{next_step, WaitStep};
/// use pc_devices::WaitOptions;
///
/// let started = Instant::now();
/// let queued: pc_models::BatchUploadDetails = pc_models::from_slice(br#"{"status":"queued"}"#)?;
/// let options = WaitOptions::default();
/// assert_eq!(next_step(started, started, queued.is_terminal(), &options), WaitStep::Poll { after: Duration::from_secs(5) });
/// let late = started + Duration::from_secs(30 * 60);
/// assert_eq!(next_step(late, started, queued.is_terminal(), &options), WaitStep::GiveUp);
/// # Ok::<(), pc_models::ParseError>(())
/// ```
pub fn next_step(
    now: Instant,
    started: Instant,
    terminal: bool,
    options: &WaitOptions,
) -> WaitStep {
    if terminal {
        return WaitStep::Done;
    }
    let elapsed = now.saturating_duration_since(started);
    let Some(left) = options
        .deadline
        .checked_sub(elapsed)
        .filter(|left| !left.is_zero())
    else {
        return WaitStep::GiveUp;
    };
    WaitStep::Poll {
        after: options.interval.max(MIN_POLL_INTERVAL).min(left),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, retry_after: Option<&str>) -> crate::Error {
        let mut response = http::Response::builder().status(status);
        if let Some(after) = retry_after {
            response = response.header("Retry-After", after);
        }
        let response = response.body(Vec::new()).unwrap();
        let error = pc_http::ApiError::from_response(
            &response,
            pc_http::Diagnostics::default(),
            std::time::SystemTime::now(),
        );
        crate::Error::Http(error.into())
    }

    #[test]
    fn a_failed_poll_is_polled_again_only_within_the_grace() {
        let t0 = Instant::now();
        let at = |secs| t0 + Duration::from_secs(secs);
        let graced = WaitOptions {
            interval: Duration::from_secs(5),
            deadline: Duration::from_secs(100),
            not_found_grace: Some(Duration::from_secs(60)),
            ..Default::default()
        };
        let poll = |secs| {
            Some(WaitStep::Poll {
                after: Duration::from_secs(secs),
            })
        };
        let not_found = answer(404, None);
        assert_eq!(
            after_failed_poll(at(0), t0, t0, &not_found, &graced),
            poll(5)
        );
        assert_eq!(
            after_failed_poll(at(59), t0, t0, &not_found, &graced),
            poll(5)
        );
        assert_eq!(after_failed_poll(at(60), t0, t0, &not_found, &graced), None);
        // No grace for a tracking id a user gave.
        let plain = WaitOptions {
            not_found_grace: None,
            ..graced.clone()
        };
        assert_eq!(after_failed_poll(at(0), t0, t0, &not_found, &plain), None);
        // The deadline comes first: the wait gives up (a timeout, not the 404).
        let short = WaitOptions {
            deadline: Duration::from_secs(30),
            ..graced.clone()
        };
        assert_eq!(
            after_failed_poll(at(28), t0, t0, &not_found, &short),
            poll(2)
        );
        assert_eq!(
            after_failed_poll(at(30), t0, t0, &not_found, &short),
            Some(WaitStep::GiveUp)
        );
        // The grace counts from the tracking id's own first poll, not the wait's start
        // (a wait that follows several parts in turn).
        assert_eq!(
            after_failed_poll(at(70), t0, at(50), &not_found, &graced),
            poll(5)
        );
        // Other errors end the wait, unless the deadline has passed by then.
        assert_eq!(
            after_failed_poll(at(0), t0, t0, &answer(500, None), &graced),
            None
        );
        assert_eq!(
            after_failed_poll(at(100), t0, t0, &answer(500, None), &graced),
            Some(WaitStep::GiveUp)
        );
        assert_eq!(
            after_failed_poll(at(0), t0, t0, &answer(403, None), &graced),
            None
        );
    }

    #[test]
    fn a_retry_after_past_the_deadline_gives_up_at_once() {
        let t0 = Instant::now();
        let at = |secs| t0 + Duration::from_secs(secs);
        let options = WaitOptions {
            deadline: Duration::from_secs(100),
            ..Default::default()
        };
        let throttled = answer(429, Some("200"));
        assert_eq!(
            after_failed_poll(at(0), t0, t0, &throttled, &options),
            Some(WaitStep::GiveUp)
        );
        let soon = answer(429, Some("20"));
        assert_eq!(after_failed_poll(at(0), t0, t0, &soon, &options), None);
        assert_eq!(
            after_failed_poll(at(85), t0, t0, &soon, &options),
            Some(WaitStep::GiveUp)
        );
    }

    fn details(status: &str) -> BatchUploadDetails {
        pc_models::from_slice(format!(r#"{{"status":"{status}"}}"#).as_bytes()).unwrap()
    }

    #[test]
    fn each_branch_of_the_decision() {
        let t0 = Instant::now();
        let options = WaitOptions {
            interval: Duration::from_secs(5),
            deadline: Duration::from_secs(12),
            ..Default::default()
        };
        let at = |secs| t0 + Duration::from_secs(secs);
        let poll = |secs| WaitStep::Poll {
            after: Duration::from_secs(secs),
        };
        assert_eq!(
            next_step(at(0), t0, details("queued").is_terminal(), &options),
            poll(5)
        );
        assert_eq!(
            next_step(at(5), t0, details("processing").is_terminal(), &options),
            poll(5)
        );
        // The last sleep is cut short so that the last poll falls on the deadline.
        assert_eq!(
            next_step(at(10), t0, details("processing").is_terminal(), &options),
            poll(2)
        );
        assert_eq!(
            next_step(at(12), t0, details("processing").is_terminal(), &options),
            WaitStep::GiveUp
        );
        assert_eq!(
            next_step(at(99), t0, details("in-progress").is_terminal(), &options),
            WaitStep::GiveUp
        );
        // Terminal wins, even after the deadline.
        assert_eq!(
            next_step(at(99), t0, details("finished").is_terminal(), &options),
            WaitStep::Done
        );
        assert_eq!(
            next_step(
                at(1),
                t0,
                details("finished_with_errors").is_terminal(),
                &options
            ),
            WaitStep::Done
        );
        // A status never sent, or one unknown, is not terminal.
        let empty = BatchUploadDetails::default();
        assert_eq!(next_step(at(0), t0, empty.is_terminal(), &options), poll(5));
    }

    #[test]
    fn the_defaults_are_five_seconds_between_polls_for_half_an_hour() {
        let options = WaitOptions::default();
        assert_eq!(options.interval, Duration::from_secs(5));
        assert_eq!(options.deadline, Duration::from_secs(1800));
        assert_eq!(options.not_found_grace, None);
        let debug = format!("{:?}", options.with_progress(|_| {}));
        assert_eq!(
            debug,
            "WaitOptions { interval: 5s, deadline: 1800s, not_found_grace: None, on_progress: Some(\"callback\") }"
        );
    }

    #[test]
    fn a_zero_interval_still_moves_time_forward() {
        let t0 = Instant::now();
        let options = WaitOptions {
            interval: Duration::ZERO,
            ..Default::default()
        };
        assert_eq!(
            next_step(t0, t0, details("queued").is_terminal(), &options),
            WaitStep::Poll {
                after: MIN_POLL_INTERVAL
            }
        );
    }

    #[test]
    fn a_clock_that_goes_back_does_not_panic() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let step = next_step(
            Instant::now(),
            t0,
            details("queued").is_terminal(),
            &WaitOptions::default(),
        );
        assert_eq!(
            step,
            WaitStep::Poll {
                after: DEFAULT_POLL_INTERVAL
            }
        );
    }
}
