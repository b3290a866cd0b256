//! Idle timeouts: a transfer fails when no byte moved for a while, however long it takes.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
///
/// `fut` is `Unpin` (a `Pin<&mut _>` of the caller's): pinning it here would move it into
/// this future's state a second time.
pub(super) async fn within<F: Future + Unpin>(
    mut fut: F,
    floor: Instant,
    activities: [&Activity; 2],
    idle: Duration,
) -> Option<F::Output> {
    let deadline = || {
        let last = activities[0].last().max(activities[1].last());
        let idle_end = last
            .checked_add(idle)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365));
        floor.max(idle_end)
    };
    loop {
        match tokio::time::timeout_at(deadline().into(), &mut fut).await {
            Ok(out) => return Some(out),
            Err(_) if deadline() <= Instant::now() => return None,
            Err(_) => {}
        }
    }
}

/// A stream of chunks that records each chunk it yields in `activity`.
pub(super) fn tracked<S>(stream: S, activity: Arc<Activity>) -> reqwest::Body
where
    S: Stream<Item = std::result::Result<Bytes, std::io::Error>> + Send + 'static,
{
    reqwest::Body::wrap_stream(stream.inspect(move |_| activity.touch()))
}
