//! The simulator's clock: real time by default, a manual one for tests.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the simulator reads the time: the processing schedule and every timestamp it
/// writes come from here, so a test that injects a [`ManualClock`] decides when a batch
/// moves from `queued` to `processing` to `finished` without waiting.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The time elapsed since 1970-01-01T00:00:00Z.
    fn now(&self) -> Duration;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }
}

/// A clock that moves only when told to: share it (`Arc<ManualClock>`) between the
/// [`SimConfig`](crate::SimConfig) and the test.
///
/// ```
/// use pc_sim::{Clock, ManualClock};
/// use std::time::Duration;
/// let clock = ManualClock::default();
/// let start = clock.now();
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(clock.now() - start, Duration::from_secs(2));
/// ```
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Duration>,
}

impl ManualClock {
    /// 2024-01-01T00:00:00Z, where [`ManualClock::default`] starts.
    pub const DEFAULT_START: Duration = Duration::from_secs(1_704_067_200);

    /// A clock standing at `since_epoch` after 1970-01-01T00:00:00Z.
    pub fn starting_at(since_epoch: Duration) -> Self {
        Self {
            now: Mutex::new(since_epoch),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now.saturating_add(by);
    }

    /// Sets the clock to `since_epoch` after 1970-01-01T00:00:00Z.
    pub fn set(&self, since_epoch: Duration) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = since_epoch;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::starting_at(Self::DEFAULT_START)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
