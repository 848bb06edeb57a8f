//! Following many jobs at once: each as `batch-status --wait` follows one, at most
//! `--concurrency` polls in flight over all of them, under one deadline.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use pc_models::{CustomerId, TrackingId};

use crate::api::{Api, StatusAnswer};
use crate::devices::journaled;
use crate::devices::wait::{Polled, Wait};
use crate::exit::Failure;

/// A job to follow.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its tracking id.
    pub tracking: TrackingId,
    /// Its customer.
    pub customer: CustomerId,
    /// When it was accepted, when known: the not-found grace counts from then.
    pub accepted_at: Option<SystemTime>,
}

/// How following a job ended.
#[derive(Debug)]
pub enum Ended {
    /// Its batch reached a terminal status.
    Done(StatusAnswer),
    /// A poll failed (after its retries), or its answer could not be read.
    Failed(Failure),
    /// The deadline came first; the last answer seen, if any.
    TimedOut(Option<StatusAnswer>),
    /// Ctrl-C; the last answer seen, if any.
    Interrupted(Option<StatusAnswer>),
}

/// How to follow: the poll interval, the one deadline, the not-found grace.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// `--poll-interval`.
    pub interval: Duration,
    /// `--wait-timeout`, for all the jobs together.
    pub timeout: Duration,
    /// `--not-found-grace`, counted from each job's acceptance.
    pub grace: Duration,
}

/// Follows every target, `concurrency` at a time, in their order; `ended` hears of
/// each end as it happens (from the thread that saw it). Answers the ends in the
/// targets' order.
pub fn follow_all(
    api: &Api,
    targets: &[Target],
    pace: Pace,
    concurrency: usize,
    ended: &(dyn Fn(&Target, &Ended) + Sync),
) -> Vec<Ended> {
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Ended>>> = targets.iter().map(|_| Mutex::new(None)).collect();
    let worker = || {
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(target) = targets.get(index) else {
                return;
            };
            let outcome = follow(api, target, pace, started);
            ended(target, &outcome);
            if let Ok(mut slot) = slots[index].lock() {
                *slot = Some(outcome);
            }
        }
    };
    let workers = concurrency.clamp(1, targets.len().max(1));
    std::thread::scope(|scope| {
        for _ in 1..workers {
            scope.spawn(worker);
        }
        worker();
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or(Ended::TimedOut(None))
        })
        .collect()
}

/// Follows one job until it ends.
fn follow(api: &Api, target: &Target, pace: Pace, started: Instant) -> Ended {
    let wait = Wait::started_at(api, target.customer, pace.interval, pace.timeout, started);
    let grace = journaled::grace_left(pace.grace, target.accepted_at, SystemTime::now());
    let mut last = None;
    match wait.follow(target.tracking, Some(grace), &mut last, &mut |_| {}) {
        Polled::Done(answer) => Ended::Done(answer),
        Polled::Failed(failure) => Ended::Failed(failure),
        Polled::TimedOut => Ended::TimedOut(last),
        Polled::Interrupted => Ended::Interrupted(last),
    }
}
