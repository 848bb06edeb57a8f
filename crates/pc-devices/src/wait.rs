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
    /// Called after each successful poll.
    pub on_progress: Option<ProgressCallback>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            interval: DEFAULT_POLL_INTERVAL,
            deadline: DEFAULT_WAIT_DEADLINE,
            on_progress: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("interval", &self.interval)
            .field("deadline", &self.deadline)
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

/// The decision after a poll that answered `last` at `now`, for a wait that started at
/// `started`.
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
/// assert_eq!(next_step(started, started, &queued, &options), WaitStep::Poll { after: Duration::from_secs(5) });
/// let late = started + Duration::from_secs(30 * 60);
/// assert_eq!(next_step(late, started, &queued, &options), WaitStep::GiveUp);
/// # Ok::<(), pc_models::ParseError>(())
/// ```
pub fn next_step(
    now: Instant,
    started: Instant,
    last: &BatchUploadDetails,
    options: &WaitOptions,
) -> WaitStep {
    if last.is_terminal() {
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

    fn details(status: &str) -> BatchUploadDetails {
        pc_models::from_slice(format!(r#"{{"status":"{status}"}}"#).as_bytes()).unwrap()
    }

    #[test]
    fn each_branch_of_the_decision() {
        let t0 = Instant::now();
        let options = WaitOptions {
            interval: Duration::from_secs(5),
            deadline: Duration::from_secs(12),
            on_progress: None,
        };
        let at = |secs| t0 + Duration::from_secs(secs);
        let poll = |secs| WaitStep::Poll {
            after: Duration::from_secs(secs),
        };
        assert_eq!(next_step(at(0), t0, &details("queued"), &options), poll(5));
        assert_eq!(
            next_step(at(5), t0, &details("processing"), &options),
            poll(5)
        );
        // The last sleep is cut short so that the last poll falls on the deadline.
        assert_eq!(
            next_step(at(10), t0, &details("processing"), &options),
            poll(2)
        );
        assert_eq!(
            next_step(at(12), t0, &details("processing"), &options),
            WaitStep::GiveUp
        );
        assert_eq!(
            next_step(at(99), t0, &details("in-progress"), &options),
            WaitStep::GiveUp
        );
        // Terminal wins, even after the deadline.
        assert_eq!(
            next_step(at(99), t0, &details("finished"), &options),
            WaitStep::Done
        );
        assert_eq!(
            next_step(at(1), t0, &details("finished_with_errors"), &options),
            WaitStep::Done
        );
        // A status never sent, or one unknown, is not terminal.
        let empty = BatchUploadDetails::default();
        assert_eq!(next_step(at(0), t0, &empty, &options), poll(5));
    }

    #[test]
    fn a_zero_interval_still_moves_time_forward() {
        let t0 = Instant::now();
        let options = WaitOptions {
            interval: Duration::ZERO,
            ..Default::default()
        };
        assert_eq!(
            next_step(t0, t0, &details("queued"), &options),
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
            &details("queued"),
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
