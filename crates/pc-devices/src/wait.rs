//! Waiting for a batch to finish: the options, and the polling as a pure state machine
//! ([`WaitFlow`]).
//!
//! The clients' `wait_for_completion` is a thin driver of a [`WaitFlow`]: ask it how
//! long the poll may take, poll, report progress, hand it the outcome, then sleep,
//! return or give up as it says. The clock and the sleep are injected, so every
//! decision is tested without waiting.

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

/// The shortest time left that a poll is given, even at the deadline: a last poll is
/// made at the deadline, and a call given no time at all could not be made.
const MIN_POLL_TIME_LEFT: Duration = Duration::from_millis(1);

/// What a wait does next; see [`WaitFlow::after_poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStep {
    /// The batch is terminal: return its details.
    Done,
    /// Sleep this long, then poll again.
    Poll {
        /// How long to sleep first.
        after: Duration,
    },
    /// The deadline has passed: give up with the last details
    /// ([`Error::WaitTimeout`](crate::Error::WaitTimeout)).
    GiveUp,
    /// The wait ends with the poll's error.
    Fail,
}

/// How a poll went, for [`WaitFlow::after_poll`].
#[derive(Debug, Clone, Copy)]
pub enum PollOutcome<'a> {
    /// The service answered with the batch's details.
    Answered {
        /// Whether the batch's status is terminal
        /// ([`BatchUploadDetails::is_terminal`]).
        terminal: bool,
    },
    /// The poll failed, after the pipeline's retries, with this error.
    Failed(&'a crate::Error),
}

impl<'a> PollOutcome<'a> {
    /// The outcome of a poll read as [`BatchUploadDetails`].
    pub fn of(polled: &'a Result<BatchUploadDetails, crate::Error>) -> Self {
        match polled {
            Ok(details) => PollOutcome::Answered {
                terminal: details.is_terminal(),
            },
            Err(error) => PollOutcome::Failed(error),
        }
    }
}

/// The polling of a wait as a pure state machine: the clock is given to each step, so
/// every branch is tested without waiting.
///
/// A driver asks [`before_poll`](Self::before_poll) how long the poll may take (to put
/// in [`pc_http::CallDeadline`], so that no retry inside the poll carries it past the
/// deadline), polls, and hands the outcome to [`after_poll`](Self::after_poll), which
/// says what to do next:
///
/// - a terminal batch is [`WaitStep::Done`], even after the deadline;
/// - a batch not yet terminal is polled again after [`WaitOptions::interval`] (at
///   least [`MIN_POLL_INTERVAL`]), the last sleep cut short so that the last poll falls
///   on the deadline; once the deadline is reached, [`WaitStep::GiveUp`];
/// - a `404` within [`WaitOptions::not_found_grace`] of this flow's first poll is
///   polled again after the interval (the service may not know a tracking id just
///   obtained); the deadline still holds;
/// - an interrupted poll ([`ErrorKind::Interrupted`](crate::ErrorKind::Interrupted):
///   the pipeline's [`pc_http::Interrupt`] was set) is [`WaitStep::Fail`] at once,
///   within the not-found grace or past the deadline alike: it is never polled again;
/// - a failure whose answer asks to come back (`Retry-After`) no sooner than the
///   deadline gives up at once, as does any failure once the deadline has passed;
///   any other failure is [`WaitStep::Fail`].
///
/// The deadline counts from `started`, given to [`new`](Self::new): a wait that follows
/// several tracking ids in turn under one deadline gives each its own flow with the
/// wait's start, and each tracking id's grace counts from its own first poll.
///
/// ```
/// use std::time::{Duration, Instant};
/// use pc_devices::WaitOptions;
/// use pc_devices::wait::{PollOutcome, WaitFlow, WaitStep};
///
/// let options = WaitOptions {
///     interval: Duration::from_secs(5),
///     deadline: Duration::from_secs(12),
///     ..Default::default()
/// };
/// let t0 = Instant::now();
/// let at = |secs| t0 + Duration::from_secs(secs);
/// let queued = PollOutcome::Answered { terminal: false };
/// let mut flow = WaitFlow::new(&options, t0);
/// assert_eq!(flow.before_poll(at(0)), Duration::from_secs(12));
/// assert_eq!(flow.after_poll(queued, at(0)), WaitStep::Poll { after: Duration::from_secs(5) });
/// flow.before_poll(at(10));
/// // The last sleep is cut short: the last poll falls on the deadline.
/// assert_eq!(flow.after_poll(queued, at(10)), WaitStep::Poll { after: Duration::from_secs(2) });
/// flow.before_poll(at(12));
/// assert_eq!(flow.after_poll(queued, at(12)), WaitStep::GiveUp);
/// assert_eq!((flow.polls(), flow.elapsed(at(12))), (3, Duration::from_secs(12)));
/// ```
#[derive(Debug, Clone)]
pub struct WaitFlow {
    interval: Duration,
    deadline: Duration,
    not_found_grace: Option<Duration>,
    started: Instant,
    first_poll: Option<Instant>,
    polls: u32,
}

impl WaitFlow {
    /// A flow polling as `options` say, for a wait that started at `started` (which
    /// may be earlier than this flow's first poll).
    pub fn new(options: &WaitOptions, started: Instant) -> Self {
        Self {
            interval: options.interval.max(MIN_POLL_INTERVAL),
            deadline: options.deadline,
            not_found_grace: options.not_found_grace,
            started,
            first_poll: None,
            polls: 0,
        }
    }

    /// Before a poll at `now`: the time left until the deadline, at least 1 ms, for
    /// the poll's [`pc_http::CallDeadline`]. The first call records the flow's first
    /// poll, from which the not-found grace counts.
    pub fn before_poll(&mut self, now: Instant) -> Duration {
        self.first_poll.get_or_insert(now);
        self.deadline
            .saturating_sub(self.elapsed(now))
            .max(MIN_POLL_TIME_LEFT)
    }

    /// After a poll that ended at `now` with `outcome`: what the wait does next (see
    /// [`WaitFlow`] for the rules).
    pub fn after_poll(&mut self, outcome: PollOutcome<'_>, now: Instant) -> WaitStep {
        match outcome {
            PollOutcome::Answered { terminal } => {
                self.polls = self.polls.saturating_add(1);
                self.after_answer(terminal, now)
            }
            PollOutcome::Failed(error) => self.after_failure(error, now),
        }
    }

    /// How many polls were answered so far.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// How long the wait has lasted at `now`, counted from its start.
    pub fn elapsed(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.started)
    }

    /// The time left until the deadline at `now`; `None` once it is reached.
    fn left(&self, now: Instant) -> Option<Duration> {
        self.deadline
            .checked_sub(self.elapsed(now))
            .filter(|left| !left.is_zero())
    }

    /// The decision after an answer: terminal wins; else the interval, cut short at
    /// the deadline; at the deadline, give up.
    fn after_answer(&self, terminal: bool, now: Instant) -> WaitStep {
        if terminal {
            return WaitStep::Done;
        }
        match self.left(now) {
            Some(left) => WaitStep::Poll {
                after: self.interval.min(left),
            },
            None => WaitStep::GiveUp,
        }
    }

    /// The decision after a failed poll: an interruption ends the wait; give up at the
    /// deadline; a `404` within the grace is polled again; a `Retry-After` reaching the deadline gives up; anything
    /// else ends the wait with the error.
    fn after_failure(&self, error: &crate::Error, now: Instant) -> WaitStep {
        if error.kind() == crate::ErrorKind::Interrupted {
            // Whoever interrupted wants the wait to end now, with what it has.
            return WaitStep::Fail;
        }
        let Some(left) = self.left(now) else {
            // The deadline came during the poll (its last attempt ran out of time with it).
            return WaitStep::GiveUp;
        };
        let first_poll = self.first_poll.unwrap_or(self.started);
        let in_grace = self
            .not_found_grace
            .is_some_and(|grace| now.saturating_duration_since(first_poll) < grace);
        if error.status() == Some(http::StatusCode::NOT_FOUND) && in_grace {
            return WaitStep::Poll {
                after: self.interval.min(left),
            };
        }
        match error.retry_after() {
            Some(after) if after >= left => WaitStep::GiveUp,
            _ => WaitStep::Fail,
        }
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

    const QUEUED: PollOutcome<'static> = PollOutcome::Answered { terminal: false };
    const TERMINAL: PollOutcome<'static> = PollOutcome::Answered { terminal: true };

    fn poll(secs: u64) -> WaitStep {
        WaitStep::Poll {
            after: Duration::from_secs(secs),
        }
    }

    /// A flow of a wait started at `t0`, whose first poll was at `first`.
    fn flow(options: &WaitOptions, t0: Instant, first: Instant) -> WaitFlow {
        let mut flow = WaitFlow::new(options, t0);
        flow.before_poll(first);
        flow
    }

    /// The step after one outcome at `now`, for a wait started at `t0` first polled at
    /// `first`.
    fn step(
        options: &WaitOptions,
        t0: Instant,
        first: Instant,
        outcome: PollOutcome<'_>,
        now: Instant,
    ) -> WaitStep {
        flow(options, t0, first).after_poll(outcome, now)
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
        let not_found = answer(404, None);
        let failed = PollOutcome::Failed(&not_found);
        assert_eq!(step(&graced, t0, t0, failed, at(0)), poll(5));
        assert_eq!(step(&graced, t0, t0, failed, at(59)), poll(5));
        // The grace's end is exactly `not_found_grace` after the first poll.
        assert_eq!(step(&graced, t0, t0, failed, at(60)), WaitStep::Fail);
        // No grace for a tracking id a user gave.
        let plain = WaitOptions {
            not_found_grace: None,
            ..graced.clone()
        };
        assert_eq!(step(&plain, t0, t0, failed, at(0)), WaitStep::Fail);
        // The deadline comes first: the wait gives up (a timeout, not the 404).
        let short = WaitOptions {
            deadline: Duration::from_secs(30),
            ..graced.clone()
        };
        assert_eq!(step(&short, t0, t0, failed, at(28)), poll(2));
        assert_eq!(step(&short, t0, t0, failed, at(30)), WaitStep::GiveUp);
        // The grace counts from this flow's own first poll, not the wait's start (a
        // wait that follows several parts in turn).
        assert_eq!(step(&graced, t0, at(50), failed, at(70)), poll(5));
        assert_eq!(step(&graced, t0, at(50), failed, at(110)), WaitStep::GiveUp);
        // Other errors end the wait, unless the deadline has passed by then.
        let server = answer(500, None);
        assert_eq!(
            step(&graced, t0, t0, PollOutcome::Failed(&server), at(0)),
            WaitStep::Fail
        );
        assert_eq!(
            step(&graced, t0, t0, PollOutcome::Failed(&server), at(100)),
            WaitStep::GiveUp
        );
        let forbidden = answer(403, None);
        assert_eq!(
            step(&graced, t0, t0, PollOutcome::Failed(&forbidden), at(0)),
            WaitStep::Fail
        );
    }

    #[test]
    fn the_grace_counts_from_the_first_poll_only() {
        let t0 = Instant::now();
        let at = |secs| t0 + Duration::from_secs(secs);
        let options = WaitOptions {
            interval: Duration::from_secs(5),
            deadline: Duration::from_secs(100),
            not_found_grace: Some(Duration::from_secs(60)),
            ..Default::default()
        };
        let not_found = answer(404, None);
        let mut flow = WaitFlow::new(&options, t0);
        flow.before_poll(at(10));
        assert_eq!(
            flow.after_poll(PollOutcome::Failed(&not_found), at(11)),
            poll(5)
        );
        // A later poll does not move the grace's start.
        flow.before_poll(at(65));
        assert_eq!(
            flow.after_poll(PollOutcome::Failed(&not_found), at(70)),
            WaitStep::Fail
        );
        // A flow that was never told of a poll counts the grace from the wait's start.
        let mut unpolled = WaitFlow::new(&options, t0);
        assert_eq!(
            unpolled.after_poll(PollOutcome::Failed(&not_found), at(59)),
            poll(5)
        );
        assert_eq!(
            unpolled.after_poll(PollOutcome::Failed(&not_found), at(60)),
            WaitStep::Fail
        );
    }

    use crate::error::tests::interrupted;

    #[test]
    fn an_interrupted_poll_ends_the_wait_at_once_even_within_the_grace() {
        let t0 = Instant::now();
        let at = |secs| t0 + Duration::from_secs(secs);
        let graced = WaitOptions {
            interval: Duration::from_secs(5),
            deadline: Duration::from_secs(100),
            not_found_grace: Some(Duration::from_secs(60)),
            ..Default::default()
        };
        let error = interrupted();
        assert_eq!(error.kind(), crate::ErrorKind::Interrupted);
        let failed = PollOutcome::Failed(&error);
        for now in [at(0), at(30), at(100), at(500)] {
            assert_eq!(
                step(&graced, t0, t0, failed, now),
                WaitStep::Fail,
                "{now:?}"
            );
        }
        // After answers that were not terminal, too.
        let mut flow = flow(&graced, t0, t0);
        assert_eq!(flow.after_poll(QUEUED, at(0)), poll(5));
        flow.before_poll(at(5));
        assert_eq!(flow.after_poll(failed, at(5)), WaitStep::Fail);
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
            step(&options, t0, t0, PollOutcome::Failed(&throttled), at(0)),
            WaitStep::GiveUp
        );
        let soon = answer(429, Some("20"));
        assert_eq!(
            step(&options, t0, t0, PollOutcome::Failed(&soon), at(0)),
            WaitStep::Fail
        );
        // A `Retry-After` that lands exactly on the deadline gives up too.
        assert_eq!(
            step(&options, t0, t0, PollOutcome::Failed(&soon), at(80)),
            WaitStep::GiveUp
        );
        assert_eq!(
            step(&options, t0, t0, PollOutcome::Failed(&soon), at(85)),
            WaitStep::GiveUp
        );
    }

    fn details(status: &str) -> BatchUploadDetails {
        pc_models::from_slice(format!(r#"{{"status":"{status}"}}"#).as_bytes()).unwrap()
    }

    fn answered(status: &str) -> PollOutcome<'static> {
        PollOutcome::Answered {
            terminal: details(status).is_terminal(),
        }
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
        let after = |outcome, secs| step(&options, t0, t0, outcome, at(secs));
        assert_eq!(after(answered("queued"), 0), poll(5));
        assert_eq!(after(answered("processing"), 5), poll(5));
        // The last sleep is cut short so that the last poll falls on the deadline.
        assert_eq!(after(answered("processing"), 10), poll(2));
        assert_eq!(after(answered("processing"), 12), WaitStep::GiveUp);
        assert_eq!(after(answered("in-progress"), 99), WaitStep::GiveUp);
        // Terminal wins, even after the deadline.
        assert_eq!(after(answered("finished"), 99), WaitStep::Done);
        assert_eq!(after(answered("finished_with_errors"), 1), WaitStep::Done);
        assert_eq!(after(TERMINAL, 12), WaitStep::Done);
        // A status never sent, or one unknown, is not terminal.
        let empty = BatchUploadDetails::default();
        let outcome = PollOutcome::Answered {
            terminal: empty.is_terminal(),
        };
        assert_eq!(after(outcome, 0), poll(5));
    }

    #[test]
    fn each_poll_is_given_the_time_left_and_answers_are_counted() {
        let t0 = Instant::now();
        let at = |secs| t0 + Duration::from_secs(secs);
        let options = WaitOptions {
            interval: Duration::from_secs(5),
            deadline: Duration::from_secs(12),
            ..Default::default()
        };
        let mut flow = WaitFlow::new(&options, t0);
        assert_eq!(flow.before_poll(at(0)), Duration::from_secs(12));
        assert_eq!(flow.after_poll(QUEUED, at(1)), poll(5));
        assert_eq!(flow.before_poll(at(6)), Duration::from_secs(6));
        let server = answer(500, None);
        assert_eq!(
            flow.after_poll(PollOutcome::Failed(&server), at(7)),
            WaitStep::Fail
        );
        // Only answers count as polls.
        assert_eq!(flow.polls(), 1);
        assert_eq!(flow.elapsed(at(7)), Duration::from_secs(7));
        // At the deadline and past it, a last poll still gets a millisecond.
        assert_eq!(flow.before_poll(at(12)), Duration::from_millis(1));
        assert_eq!(flow.before_poll(at(99)), Duration::from_millis(1));
        // A wait that started before this flow (an earlier tracking id) keeps its
        // deadline.
        let mut later = WaitFlow::new(&options, t0);
        assert_eq!(later.before_poll(at(10)), Duration::from_secs(2));
        assert_eq!(later.after_poll(TERMINAL, at(11)), WaitStep::Done);
        assert_eq!(later.polls(), 1);
    }

    #[test]
    fn a_typed_poll_is_an_outcome() {
        let terminal = Ok(details("finished"));
        assert!(matches!(
            PollOutcome::of(&terminal),
            PollOutcome::Answered { terminal: true }
        ));
        let queued = Ok(details("queued"));
        assert!(matches!(
            PollOutcome::of(&queued),
            PollOutcome::Answered { terminal: false }
        ));
        let failed = Err(answer(404, None));
        assert!(matches!(
            PollOutcome::of(&failed),
            PollOutcome::Failed(error) if error.status() == Some(http::StatusCode::NOT_FOUND)
        ));
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
            not_found_grace: Some(Duration::from_secs(60)),
            ..Default::default()
        };
        let min = WaitStep::Poll {
            after: MIN_POLL_INTERVAL,
        };
        assert_eq!(step(&options, t0, t0, QUEUED, t0), min);
        let not_found = answer(404, None);
        assert_eq!(
            step(&options, t0, t0, PollOutcome::Failed(&not_found), t0),
            min
        );
    }

    #[test]
    fn a_clock_that_goes_back_does_not_panic() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let now = Instant::now();
        let mut flow = WaitFlow::new(&WaitOptions::default(), t0);
        assert_eq!(flow.before_poll(now), DEFAULT_WAIT_DEADLINE);
        assert_eq!(flow.elapsed(now), Duration::ZERO);
        assert_eq!(
            flow.after_poll(QUEUED, now),
            WaitStep::Poll {
                after: DEFAULT_POLL_INTERVAL
            }
        );
    }
}
