//! Waiting for batches: each poll a new logical call under the invocation's one
//! `MS-CorrelationId`, every `--poll-interval`, until `--wait-timeout`.
//!
//! The decisions are the library's ([`pc_devices::wait`]: when to poll again, the
//! not-found grace, a `Retry-After` that would pass the deadline); this loop keeps each
//! answer's bytes (for `-o json`) and judges them with the light scan instead of a
//! typed parse.

use std::time::{Duration, Instant};

use pc_devices::WaitOptions;
use pc_devices::wait::{PollOutcome, WaitFlow, WaitStep};
use pc_models::{CustomerId, TrackingId};

use crate::api::{Api, StatusAnswer};
use crate::exit::Failure;
use crate::output::scan::BatchScan;

/// How one batch's wait ended.
#[derive(Debug)]
pub enum Polled {
    /// The batch reached a terminal status.
    Done(StatusAnswer),
    /// A poll failed (after its retries), or the answer could not be read.
    Failed(Failure),
    /// The wait's deadline came first (or a `Retry-After` would have passed it).
    TimedOut,
    /// Ctrl-C: no poll more was sent.
    Interrupted,
}

/// A wait: its polling interval and deadline, shared by every batch it follows.
#[derive(Debug)]
pub struct Wait<'a> {
    api: &'a Api,
    customer: CustomerId,
    options: WaitOptions,
    started: Instant,
}

impl<'a> Wait<'a> {
    /// A wait starting now.
    pub fn new(api: &'a Api, customer: CustomerId, interval: Duration, timeout: Duration) -> Self {
        Self::started_at(api, customer, interval, timeout, Instant::now())
    }

    /// A wait that started at `started` (several waits under one deadline).
    pub fn started_at(
        api: &'a Api,
        customer: CustomerId,
        interval: Duration,
        timeout: Duration,
        started: Instant,
    ) -> Self {
        Self {
            api,
            customer,
            options: WaitOptions {
                interval,
                deadline: timeout,
                ..WaitOptions::default()
            },
            started,
        }
    }

    /// How long the wait has lasted.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Polls `tracking` until it is terminal or the deadline passes. `last` holds the
    /// last answer seen that was not terminal; `on_poll` hears about every answer. A
    /// `404` is polled again while `grace` (counted from this tracking id's first
    /// poll) lasts.
    pub fn follow(
        &self,
        tracking: TrackingId,
        grace: Option<Duration>,
        last: &mut Option<StatusAnswer>,
        on_poll: &mut dyn FnMut(&BatchScan<'_>),
    ) -> Polled {
        let options = WaitOptions {
            not_found_grace: grace,
            ..self.options.clone()
        };
        let mut flow = WaitFlow::new(&options, self.started);
        loop {
            // No retry inside a poll may carry it past the deadline.
            let left = flow.before_poll(Instant::now());
            let polled = self.api.batch_status(self.customer, tracking, Some(left));
            let now = Instant::now();
            // The flow decides; this loop only keeps the answer's bytes.
            let step = match &polled {
                Ok(answer) => match answer.scan() {
                    Ok(scan) => {
                        on_poll(scan);
                        let terminal = scan.is_terminal();
                        flow.after_poll(PollOutcome::Answered { terminal }, now)
                    }
                    Err(failure) => return Polled::Failed(failure),
                },
                Err(error) => flow.after_poll(PollOutcome::Failed(error), now),
            };
            match polled {
                Ok(answer) if step == WaitStep::Done => return Polled::Done(answer),
                Ok(answer) => *last = Some(answer),
                Err(error) if error.kind() == pc_devices::ErrorKind::Interrupted => {
                    return Polled::Interrupted;
                }
                Err(error) if step == WaitStep::Fail => return Polled::Failed(error.into()),
                Err(_) => {}
            }
            match step {
                // The pipeline's sleep: cut short by Ctrl-C.
                WaitStep::Poll { after } => self.api.sleep(after),
                WaitStep::Done | WaitStep::GiveUp | WaitStep::Fail => return Polled::TimedOut,
            }
        }
    }
}
