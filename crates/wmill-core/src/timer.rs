//! A runtime-agnostic sleep for the in-memory backend (scheduled jobs, wait timeouts): one
//! background thread, started on first use, wakes each sleeper at its deadline.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::sync::Mutex;

/// A future that completes once `after` has passed.
pub(crate) fn sleep(after: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now().checked_add(after),
        slot: None,
    }
}

/// See [`sleep`]. A deadline past what `Instant` can hold never comes.
#[derive(Debug)]
pub(crate) struct Sleep {
    deadline: Option<Instant>,
    /// Where the timer thread finds the waker to call, once registered.
    slot: Option<Arc<Mutex<Option<Waker>>>>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.deadline else {
            return Poll::Pending;
        };
        if Instant::now() >= deadline {
            return Poll::Ready(());
        }
        match &self.slot {
            Some(slot) => {
                let mut waker = slot.lock();
                match waker.as_mut() {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
            }
            None => {
                let slot = Arc::new(Mutex::new(Some(cx.waker().clone())));
                match timer() {
                    Some(timer) => timer.add(deadline, slot.clone()),
                    // No thread to wake us: finish at once rather than never.
                    None => return Poll::Ready(()),
                }
                self.slot = Some(slot);
            }
        }
        // The deadline may have passed while registering.
        if Instant::now() >= deadline {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

type Entry = Reverse<(Instant, u64, WakerSlot)>;

/// A registered sleeper's waker (ordered by nothing: the heap orders by deadline and sequence).
struct WakerSlot(Arc<Mutex<Option<Waker>>>);

impl PartialEq for WakerSlot {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for WakerSlot {}
impl PartialOrd for WakerSlot {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for WakerSlot {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

#[derive(Default)]
struct Timer {
    queue: Mutex<(BinaryHeap<Entry>, u64)>,
    changed: Condvar,
}

impl Timer {
    fn add(&self, deadline: Instant, slot: Arc<Mutex<Option<Waker>>>) {
        let mut queue = self.queue.lock();
        let seq = queue.1;
        queue.1 = seq.wrapping_add(1);
        queue.0.push(Reverse((deadline, seq, WakerSlot(slot))));
        drop(queue);
        self.changed.notify_one();
    }

    /// The thread's loop: wake every sleeper whose deadline passed, then wait for the next one.
    fn run(&self) {
        let mut queue = self.queue.lock();
        loop {
            let now = Instant::now();
            while let Some(Reverse((deadline, _, _))) = queue.0.peek() {
                if *deadline > now {
                    break;
                }
                if let Some(Reverse((_, _, slot))) = queue.0.pop()
                    && let Some(waker) = slot.0.lock().take()
                {
                    waker.wake();
                }
            }
            let wait = queue
                .0
                .peek()
                .map(|Reverse((d, _, _))| d.saturating_duration_since(now));
            queue = match wait {
                Some(wait) => self
                    .changed
                    .wait_timeout(queue, wait)
                    .map_or_else(|poisoned| poisoned.into_inner().0, |(guard, _)| guard),
                None => self
                    .changed
                    .wait(queue)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            };
        }
    }
}

/// The timer, its thread started on first use; `None` if the thread could not be spawned.
fn timer() -> Option<&'static Timer> {
    static TIMER: OnceLock<Option<&'static Timer>> = OnceLock::new();
    *TIMER.get_or_init(|| {
        let timer: &'static Timer = Box::leak(Box::default());
        std::thread::Builder::new()
            .name("wmill-core-timer".into())
            .spawn(move || timer.run())
            .ok()
            .map(|_| timer)
    })
}

#[cfg(test)]
mod tests;
