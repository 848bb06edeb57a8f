//! What the pipeline needs from the world besides a transport: a clock, a way to
//! sleep, and randomness for jitter. Injected, so tests never really sleep.
//!
//! Each sleep also sleeps interruptibly ([`Sleep::sleep_interruptibly`],
//! [`AsyncSleep::sleep_interruptibly`]): it ends early once an [`Interrupt`] is set.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;

use crate::interrupt::{Interrupt, UnlessInterrupted};

/// A source of time: wall-clock time for HTTP dates, monotonic time for durations.
pub trait Clock: Send + Sync {
    /// The wall-clock time (compared with `Retry-After` dates).
    fn now(&self) -> SystemTime;
    /// The monotonic time (elapsed times, deadlines, token lifetimes).
    fn instant(&self) -> Instant;
}

impl<T: Clock + ?Sized> Clock for Arc<T> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }

    fn instant(&self) -> Instant {
        (**self).instant()
    }
}

/// The operating system's clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// A blocking sleep. Closures `Fn(Duration)` implement it.
pub trait Sleep: Send + Sync {
    /// Blocks the current thread for `duration`.
    fn sleep(&self, duration: Duration);

    /// Blocks for `duration`, or less once `interrupt` is set: not at all when it is
    /// set already. The default sleeps the whole `duration` unless the interrupt is set
    /// before it starts (a test double that only records the sleep needs nothing
    /// more); [`ThreadSleep`] wakes as soon as it is set.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pc_http::Interrupt;
    /// use pc_http::runtime::{Sleep, ThreadSleep};
    ///
    /// let interrupt = Interrupt::new();
    /// interrupt.interrupt();
    /// let started = std::time::Instant::now();
    /// ThreadSleep.sleep_interruptibly(Duration::from_secs(30), &interrupt);
    /// assert!(started.elapsed() < Duration::from_secs(1));
    /// ```
    fn sleep_interruptibly(&self, duration: Duration, interrupt: &Interrupt) {
        if !interrupt.is_interrupted() {
            self.sleep(duration);
        }
    }
}

impl<F: Fn(Duration) + Send + Sync> Sleep for F {
    fn sleep(&self, duration: Duration) {
        self(duration);
    }
}

impl<T: Sleep + ?Sized> Sleep for Arc<T> {
    fn sleep(&self, duration: Duration) {
        (**self).sleep(duration);
    }

    fn sleep_interruptibly(&self, duration: Duration, interrupt: &Interrupt) {
        (**self).sleep_interruptibly(duration, interrupt);
    }
}

/// `std::thread::sleep`; interruptibly, a wait on the interrupt that ends as soon as it
/// is set ([`Interrupt::wait_for`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleep;

impl Sleep for ThreadSleep {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn sleep_interruptibly(&self, duration: Duration, interrupt: &Interrupt) {
        interrupt.wait_for(duration);
    }
}

/// An async sleep.
#[async_trait]
pub trait AsyncSleep: Send + Sync {
    /// Completes after `duration`.
    async fn sleep(&self, duration: Duration);

    /// Completes after `duration`, or as soon as `interrupt` is set: at once when it is
    /// set already, without starting the sleep. The default races
    /// [`sleep`](Self::sleep) against [`Interrupt::interrupted`] (dropping the sleep
    /// when the interrupt wins), so any runtime's timer ends early without more code.
    async fn sleep_interruptibly(&self, duration: Duration, interrupt: &Interrupt) {
        UnlessInterrupted::new(self.sleep(duration), interrupt).await;
    }
}

#[async_trait]
impl<T: AsyncSleep + ?Sized> AsyncSleep for Arc<T> {
    async fn sleep(&self, duration: Duration) {
        (**self).sleep(duration).await;
    }

    async fn sleep_interruptibly(&self, duration: Duration, interrupt: &Interrupt) {
        (**self).sleep_interruptibly(duration, interrupt).await;
    }
}

/// An async sleep that works under any executor: a short-lived helper thread wakes
/// the task. Retries are rare, so the thread costs nothing that matters, and no
/// particular runtime is required.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadTimer;

#[async_trait]
impl AsyncSleep for ThreadTimer {
    async fn sleep(&self, duration: Duration) {
        TimerFuture::new(duration, None).await;
    }

    /// The helper thread waits on the interrupt ([`Interrupt::wait_for`]), so it ends,
    /// and wakes the task, as soon as the interrupt is set.
    async fn sleep_interruptibly(&self, duration: Duration, interrupt: &Interrupt) {
        if !interrupt.is_interrupted() {
            TimerFuture::new(duration, Some(interrupt.clone())).await;
        }
    }
}

#[derive(Default)]
struct TimerState {
    done: bool,
    waker: Option<Waker>,
}

struct TimerFuture {
    duration: Duration,
    state: Arc<Mutex<TimerState>>,
    started: bool,
    /// When set, the helper thread waits on it rather than sleeping blind.
    interrupt: Option<Interrupt>,
}

impl TimerFuture {
    fn new(duration: Duration, interrupt: Option<Interrupt>) -> Self {
        Self {
            duration,
            state: Arc::default(),
            started: false,
            interrupt,
        }
    }
}

impl Future for TimerFuture {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.duration.is_zero() {
            return Poll::Ready(());
        }
        {
            let mut state = match self.state.lock() {
                Ok(s) => s,
                Err(poisoned) => poisoned.into_inner(),
            };
            if state.done {
                return Poll::Ready(());
            }
            state.waker = Some(cx.waker().clone());
        }
        if !self.started {
            self.started = true;
            let state = Arc::clone(&self.state);
            let duration = self.duration;
            let interrupt = self.interrupt.clone();
            let spawned = std::thread::Builder::new()
                .name("pc-http-timer".into())
                .spawn(move || {
                    match interrupt {
                        Some(interrupt) => {
                            interrupt.wait_for(duration);
                        }
                        None => std::thread::sleep(duration),
                    }
                    let mut state = match state.lock() {
                        Ok(s) => s,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    state.done = true;
                    if let Some(w) = state.waker.take() {
                        w.wake();
                    }
                });
            if spawned.is_err() {
                // No thread to wait with: do not wait rather than hang forever.
                return Poll::Ready(());
            }
        }
        Poll::Pending
    }
}

/// Randomness for retry jitter: a number in `[0, 1)`. Closures `Fn() -> f64` implement it.
pub trait Jitter: Send + Sync {
    /// A uniformly distributed number in `[0, 1)`.
    fn next_unit(&self) -> f64;
}

impl<F: Fn() -> f64 + Send + Sync> Jitter for F {
    fn next_unit(&self) -> f64 {
        self()
    }
}

/// Jitter from the operating system's random source (the one behind random UUIDs).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsJitter;

impl Jitter for OsJitter {
    fn next_unit(&self) -> f64 {
        // The first six bytes of a v4 UUID are random: 48 bits, ample for a delay.
        let bytes = uuid::Uuid::new_v4().into_bytes();
        let mut n: u64 = 0;
        for b in &bytes[..6] {
            n = (n << 8) | u64::from(*b);
        }
        n as f64 / (1u64 << 48) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_jitter_stays_in_range_and_spreads() {
        let draws: Vec<f64> = (0..1000).map(|_| OsJitter.next_unit()).collect();
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        // Random, not a constant: the mean of 1,000 uniform draws is 0.5 ± 0.03 with
        // overwhelming odds, and they are all different.
        let mean = draws.iter().sum::<f64>() / 1000.0;
        assert!((0.4..0.6).contains(&mean), "{mean}");
        let mut sorted = draws;
        sorted.sort_by(f64::total_cmp);
        sorted.dedup();
        assert!(sorted.len() > 990, "{}", sorted.len());
    }

    #[test]
    fn thread_timer_completes_under_a_plain_executor() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        rt.block_on(ThreadTimer.sleep(Duration::from_millis(20)));
        assert!(started.elapsed() >= Duration::from_millis(20), "it slept");
        rt.block_on(ThreadTimer.sleep(Duration::ZERO));
    }

    /// A 30 s sleep interrupted after 50 ms from another thread ends within seconds,
    /// with the thread timer and with the race any other async sleep gets.
    #[test]
    fn a_long_sleep_ends_soon_after_an_interrupt_from_another_thread() {
        struct Blind;
        #[async_trait]
        impl AsyncSleep for Blind {
            async fn sleep(&self, duration: Duration) {
                TimerFuture::new(duration, None).await;
            }
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let long = Duration::from_secs(30);
        let interrupted_soon = || {
            let interrupt = Interrupt::new();
            let handler = interrupt.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                handler.interrupt();
            });
            interrupt
        };
        for sleep in [&ThreadTimer as &dyn AsyncSleep, &Blind] {
            let interrupt = interrupted_soon();
            let started = std::time::Instant::now();
            rt.block_on(sleep.sleep_interruptibly(long, &interrupt));
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{:?}",
                started.elapsed()
            );
        }
        let interrupt = interrupted_soon();
        let started = std::time::Instant::now();
        ThreadSleep.sleep_interruptibly(long, &interrupt);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        // Set already: nothing sleeps, and a closure's sleep is not even called.
        let called = Mutex::new(false);
        let closure = |_: Duration| *called.lock().unwrap() = true;
        closure.sleep_interruptibly(long, &interrupt);
        assert!(!*called.lock().unwrap());
    }
}
