//! Idle timeouts: a transfer fails when no byte moved for a while, however long it takes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{Stream, StreamExt};

/// When bytes last moved, for idle timeouts (milliseconds since `base`).
#[derive(Debug)]
pub(super) struct Activity {
    base: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self::local())
    }

    pub(super) fn local() -> Self {
        Activity {
            base: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    /// When bytes last moved.
    pub(super) fn last(&self) -> Instant {
        self.base + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    pub(super) fn touch(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }
}

/// Runs `fut` until it completes, or until both `floor` has passed and no activity moved for
/// `idle` (the deadline is `max(floor, last move + idle)`, re-read whenever it is reached).
/// `fut` is polled inside `span`.
///
/// `fut` is `Unpin` (a `Pin<&mut _>` of the caller's): pinning it here would move it into
/// this future's state a second time. One timer serves the whole run, moved when activity
/// pushed the deadline on; it is polled outside the task's budget, so a `fut` that uses up
/// the budget cannot keep its time bound from firing.
pub(super) async fn within<F: Future + Unpin>(
    mut fut: F,
    floor: Instant,
    activities: [&Activity; 2],
    idle: Duration,
    span: &tracing::Span,
) -> Option<F::Output> {
    let deadline = || {
        let last = activities[0].last().max(activities[1].last());
        let idle_end = last
            .checked_add(idle)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365));
        floor.max(idle_end)
    };
    let mut timer = std::pin::pin!(tokio::time::sleep_until(deadline().into()));
    std::future::poll_fn(|cx| {
        {
            let _entered = span.enter();
            if let Poll::Ready(out) = Pin::new(&mut fut).poll(cx) {
                return Poll::Ready(Some(out));
            }
        }
        while std::pin::pin!(tokio::task::unconstrained(timer.as_mut()))
            .poll(cx)
            .is_ready()
        {
            let deadline = deadline();
            if deadline <= Instant::now() {
                return Poll::Ready(None);
            }
            timer.as_mut().reset(deadline.into());
        }
        Poll::Pending
    })
    .await
}

/// A stream of chunks that records each chunk it yields in `activity`.
pub(super) fn tracked<S>(stream: S, activity: Arc<Activity>) -> reqwest::Body
where
    S: Stream<Item = std::result::Result<Bytes, std::io::Error>> + Send + 'static,
{
    reqwest::Body::wrap_stream(stream.inspect(move |_| activity.touch()))
}
