//! Interruption as a value: [`Interrupt`], which a caller sets (on a Ctrl-C, say) to
//! tell every pipeline holding it to start nothing new, and the waits that end early
//! when it is set, blocking ([`Interrupt::wait_for`]) and async
//! ([`Interrupt::interrupted`]).
//!
//! Built on std alone (an atomic flag, a `Condvar`, a list of `Waker`s), so it works
//! under any executor and in a build without an async runtime. It reads no signal: the
//! program that owns the terminal sets it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A cancellation flag shared by clones: once [`interrupt`](Self::interrupt) is called
/// on any clone, every clone [`is_interrupted`](Self::is_interrupted), and every wait
/// on it ends.
///
/// A pipeline holding one ([`Pipeline::with_interrupt`](crate::Pipeline::with_interrupt))
/// starts no attempt once it is set: the call ends with
/// [`Error::Interrupted`](crate::Error::Interrupted); an attempt already in flight runs
/// to its end, and a retry delay is cut short. Cheap to clone, `Send + Sync`.
///
/// ```
/// use std::time::Duration;
/// use pc_http::Interrupt;
///
/// let interrupt = Interrupt::new();
/// let handler = interrupt.clone(); // what a Ctrl-C handler keeps
/// assert!(!interrupt.is_interrupted());
/// handler.interrupt();
/// assert!(interrupt.is_interrupted());
/// // A wait on an interrupted value ends at once.
/// assert!(interrupt.wait_for(Duration::from_secs(30)));
/// ```
#[derive(Clone, Default)]
pub struct Interrupt {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    set: AtomicBool,
    waiters: Mutex<Waiters>,
    woken: Condvar,
}

/// The tasks waiting for the interrupt, each under the id of its future so that a
/// future polled again replaces its waker and a dropped one takes it away.
#[derive(Default)]
struct Waiters {
    next_id: u64,
    wakers: Vec<(u64, Waker)>,
}

impl fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interrupt")
            .field("interrupted", &self.is_interrupted())
            .finish()
    }
}

impl Interrupt {
    /// A flag not yet set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the flag, for this value and every clone, and wakes every wait on it. Once
    /// set it stays set; calling it again does nothing more. Cheap and non-blocking
    /// but for a short lock: fine to call from a signal-handling thread.
    pub fn interrupt(&self) {
        let wakers = {
            let mut waiters = self.waiters();
            self.shared.set.store(true, Ordering::SeqCst);
            std::mem::take(&mut waiters.wakers)
        };
        self.shared.woken.notify_all();
        for (_, waker) in wakers {
            waker.wake();
        }
    }

    /// Whether [`interrupt`](Self::interrupt) was called on this value or a clone.
    pub fn is_interrupted(&self) -> bool {
        self.shared.set.load(Ordering::SeqCst)
    }

    /// Blocks the current thread until the flag is set or `duration` has passed,
    /// whichever comes first, and answers whether it is set. Returns at once when it
    /// already is. The real sleep of a blocking pipeline
    /// ([`ThreadSleep`](crate::runtime::ThreadSleep)) waits with it.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pc_http::Interrupt;
    ///
    /// let interrupt = Interrupt::new();
    /// let handler = interrupt.clone();
    /// let started = Instant::now();
    /// std::thread::spawn(move || {
    ///     std::thread::sleep(Duration::from_millis(20));
    ///     handler.interrupt();
    /// });
    /// assert!(interrupt.wait_for(Duration::from_secs(30)));
    /// assert!(started.elapsed() < Duration::from_secs(20));
    /// ```
    pub fn wait_for(&self, duration: Duration) -> bool {
        let deadline = Instant::now().checked_add(duration);
        let mut waiters = self.waiters();
        loop {
            if self.is_interrupted() {
                return true;
            }
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                // Past what the clock can say: as good as forever.
                None => Duration::from_secs(u64::from(u32::MAX)),
            };
            if left.is_zero() {
                return false;
            }
            waiters = match self.shared.woken.wait_timeout(waiters, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// A future that completes once the flag is set (at once when it already is), for
    /// an async caller to race its own work against. Runtime-agnostic: `interrupt`
    /// wakes its task.
    ///
    /// ```
    /// use pc_http::Interrupt;
    ///
    /// let interrupt = Interrupt::new();
    /// interrupt.interrupt();
    /// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// runtime.block_on(interrupt.interrupted()); // already set: completes at once
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn interrupted(&self) -> InterruptedFuture {
        InterruptedFuture {
            interrupt: self.clone(),
            id: None,
        }
    }

    fn waiters(&self) -> MutexGuard<'_, Waiters> {
        self.shared
            .waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The future of [`Interrupt::interrupted`]: completes once the interrupt is set.
#[derive(Debug)]
#[must_use = "a future does nothing unless polled"]
pub struct InterruptedFuture {
    interrupt: Interrupt,
    /// Its place among the waiters, once it has waited.
    id: Option<u64>,
}

impl Future for InterruptedFuture {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.interrupt.is_interrupted() {
            return Poll::Ready(());
        }
        let id = self.id;
        let mut waiters = self.interrupt.waiters();
        // Checked again under the lock: `interrupt` sets the flag under it.
        if self.interrupt.is_interrupted() {
            return Poll::Ready(());
        }
        let id = match id {
            Some(id) => {
                match waiters.wakers.iter_mut().find(|(own, _)| *own == id) {
                    Some((_, waker)) => waker.clone_from(cx.waker()),
                    None => waiters.wakers.push((id, cx.waker().clone())),
                }
                id
            }
            None => {
                let id = waiters.next_id;
                waiters.next_id = waiters.next_id.wrapping_add(1);
                waiters.wakers.push((id, cx.waker().clone()));
                id
            }
        };
        drop(waiters);
        self.id = Some(id);
        Poll::Pending
    }
}

impl Drop for InterruptedFuture {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.interrupt
                .waiters()
                .wakers
                .retain(|(own, _)| *own != id);
        }
    }
}

/// Polls `work` until it completes or `interrupt` is set, whichever comes first: the
/// async sleeps' way of ending early. Both futures are polled on every wake; the
/// interrupt first, so that work not yet started is never started once it is set.
pub(crate) struct UnlessInterrupted<F> {
    work: Pin<Box<F>>,
    interrupted: InterruptedFuture,
}

impl<F: Future<Output = ()>> UnlessInterrupted<F> {
    pub(crate) fn new(work: F, interrupt: &Interrupt) -> Self {
        Self {
            work: Box::pin(work),
            interrupted: interrupt.interrupted(),
        }
    }
}

impl<F: Future<Output = ()>> Future for UnlessInterrupted<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Pin::new(&mut self.interrupted).poll(cx).is_ready() {
            return Poll::Ready(());
        }
        self.work.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn clones_share_the_flag_and_it_stays_set() {
        let interrupt = Interrupt::new();
        let clone = interrupt.clone();
        assert!(!clone.is_interrupted());
        assert_eq!(format!("{interrupt:?}"), "Interrupt { interrupted: false }");
        interrupt.interrupt();
        interrupt.interrupt();
        assert!(clone.is_interrupted());
        assert_eq!(format!("{clone:?}"), "Interrupt { interrupted: true }");
    }

    #[test]
    fn a_wait_not_interrupted_lasts_its_duration() {
        let interrupt = Interrupt::new();
        let started = Instant::now();
        assert!(!interrupt.wait_for(Duration::from_millis(20)));
        assert!(started.elapsed() >= Duration::from_millis(20));
        assert!(!interrupt.wait_for(Duration::ZERO));
    }

    #[test]
    fn a_long_wait_ends_soon_after_the_interrupt_from_another_thread() {
        let interrupt = Interrupt::new();
        let handler = interrupt.clone();
        let started = Instant::now();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            handler.interrupt();
        });
        assert!(interrupt.wait_for(Duration::from_secs(30)));
        let waited = started.elapsed();
        assert!(waited < Duration::from_secs(10), "{waited:?}");
        setter.join().unwrap();
    }

    #[test]
    fn the_future_wakes_its_task_once_and_forgets_it_when_dropped() {
        let interrupt = Interrupt::new();
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);
        let mut future = interrupt.interrupted();
        assert!(Pin::new(&mut future).poll(&mut cx).is_pending());
        // Polled again, it keeps one place among the waiters.
        assert!(Pin::new(&mut future).poll(&mut cx).is_pending());
        assert_eq!(interrupt.waiters().wakers.len(), 1);
        let mut dropped = interrupt.interrupted();
        assert!(Pin::new(&mut dropped).poll(&mut cx).is_pending());
        drop(dropped);
        assert_eq!(interrupt.waiters().wakers.len(), 1);
        interrupt.interrupt();
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert!(Pin::new(&mut future).poll(&mut cx).is_ready());
        assert!(interrupt.waiters().wakers.is_empty());
    }

    #[test]
    fn work_raced_against_an_interrupt_already_set_never_starts() {
        let interrupt = Interrupt::new();
        interrupt.interrupt();
        let started = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&started);
        let work = async move { flag.store(true, Ordering::SeqCst) };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(UnlessInterrupted::new(work, &interrupt));
        assert!(!started.load(Ordering::SeqCst));
    }
}
