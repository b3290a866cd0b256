//! How to wait for a job: [`WaitOptions`], [`WaitStrategy`], [`PollSchedule`].

use std::fmt::Debug;
use std::time::Duration;

use crate::LogForward;

/// How long and how to wait for a job.
///
/// ```
/// use std::time::Duration;
/// use wmill_core::{WaitOptions, WaitStrategy};
///
/// let wait = WaitOptions::new()
///     .timeout(Duration::from_secs(30))
///     .cancel_on_timeout(true)
///     .strategy(WaitStrategy::Auto);
/// assert_eq!(wait.timeout, Some(Duration::from_secs(30)));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WaitOptions {
    /// Give up after this long with [`Error::Timeout`](crate::Error::Timeout). `None`: no client-side limit (the
    /// backend still bounds every single request).
    pub timeout: Option<Duration>,
    /// Cancel the job when the timeout hits (default `true`). The job is canceled once and
    /// the wait returns [`Error::Timeout`](crate::Error::Timeout) at once.
    pub cancel_on_timeout: bool,
    /// Cancel the job, with the reason `"parent job cancelled"`, when the caller goes away
    /// before the wait completes (default `true`, the Python client's `cleanup`).
    ///
    /// Applies to the synchronous `run_*` methods and to [`JobRunner::wait_job`](crate::JobRunner::wait_job) (so to
    /// [`JobHandle::wait`](crate::JobHandle::wait)) of the backends of this SDK. "Goes away"
    /// means the wait's future is dropped before it returns:
    /// - the future itself is dropped, or the task that runs it is aborted
    ///   (`JoinHandle::abort`);
    /// - `tokio::select!` or `tokio::time::timeout` picks another branch;
    /// - a panic unwinds through the caller;
    /// - `main` returns while the wait is pending in a task or in `main` itself, and the
    ///   runtime shuts down: the runtime drops its tasks, and the cancel is then sent before
    ///   the drop returns (the process waits for it, bounded in time; `#[tokio::main]` drops
    ///   its runtime when `main` returns).
    ///
    /// The cancel is best effort and bounded in time: it runs in the background (on the
    /// current runtime, else on a thread of its own), its failure is only logged, and a job
    /// that completed meanwhile is left alone by the server. A wait that returns, with
    /// any result or error, cancels nothing (a timeout cancels as
    /// [`cancel_on_timeout`](Self::cancel_on_timeout) says).
    ///
    /// It cannot cover what runs no destructor: `SIGKILL`, `std::process::exit`, an abort
    /// (`panic = "abort"`, `std::process::abort`), the default `SIGINT`/`SIGTERM` handling
    /// (handle Ctrl-C with `tokio::signal::ctrl_c()` in a `select!` to cover it), a future
    /// leaked with `std::mem::forget`, nor a blocking call still waiting on another thread
    /// when the process exits. A job whose start request is still in flight when the caller
    /// goes away is not known yet, so it is canceled only if the backend chose its id
    /// beforehand (the HTTP backend does when it waits with `run_wait_result`).
    pub cancel_on_drop: bool,
    /// How the backend learns that the job completed.
    pub strategy: WaitStrategy,
    /// Where the job's log goes while the wait lasts (default: nowhere). See [`LogForward`].
    pub logs: LogForward,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: None,
            cancel_on_timeout: true,
            cancel_on_drop: true,
            strategy: WaitStrategy::Auto,
            logs: LogForward::None,
        }
    }
}

impl WaitOptions {
    /// The defaults: no timeout, cancel on timeout and on drop, [`WaitStrategy::Auto`].
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Sets the timeout.
        timeout(timeout: Duration) => timeout = timeout;
        /// Sets whether the job is canceled when the timeout hits.
        cancel_on_timeout(cancel: bool) => cancel_on_timeout: cancel;
        /// Sets whether the job is canceled when the caller goes away before the wait completes
        /// (see [`cancel_on_drop`](Self::cancel_on_drop)).
        cancel_on_drop(cancel: bool) => cancel_on_drop: cancel;
        /// Sets the strategy.
        strategy(strategy: WaitStrategy) => strategy: strategy;
        /// Forwards the job's log, line by line, while waiting (Python's `verbose`): to `tracing`
        /// or a callback. See [`LogForward`].
        logs(forward: LogForward) => logs: forward;
    }
}

/// How a backend finds out that a job completed.
///
/// The in-memory backend is told directly and ignores this. The HTTP backend documents what
/// each strategy costs in requests and latency.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WaitStrategy {
    /// The backend's best default: adaptive polling, with server-side waits where they save
    /// requests without costing latency.
    Auto,
    /// Poll the job's completion on an adaptive schedule.
    Poll(PollSchedule),
    /// Let the server push updates (server-sent events); the backend falls back to polling if
    /// the stream breaks.
    ServerEvents,
}

/// An adaptive polling schedule: the next check comes after `fraction` of the time already
/// waited, clamped to `[min_interval, max_interval]`.
///
/// The defaults (4 ms floor, 12 %, 2 s cap) see a 50 ms job within ~6 ms of its end; the
/// number of checks grows with the logarithm of the wait (about 45 for 10 s). Backends combine
/// this with server-side waits for long jobs (see the HTTP backend's docs).
///
/// ```
/// use std::time::Duration;
/// use wmill_core::PollSchedule;
///
/// let s = PollSchedule::default();
/// assert_eq!(s.next_interval(Duration::ZERO), s.min_interval);
/// assert_eq!(s.next_interval(Duration::from_secs(3600)), s.max_interval);
/// // Python client behaviour, for comparison:
/// let fixed = PollSchedule::fixed(Duration::from_millis(500));
/// assert_eq!(fixed.next_interval(Duration::from_secs(7)), Duration::from_millis(500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PollSchedule {
    /// The shortest interval between two checks.
    pub min_interval: Duration,
    /// The longest interval between two checks.
    pub max_interval: Duration,
    /// The interval as a fraction of the time already waited.
    pub fraction: f64,
}

impl Default for PollSchedule {
    fn default() -> Self {
        PollSchedule {
            min_interval: Duration::from_millis(4),
            max_interval: Duration::from_secs(2),
            fraction: 0.12,
        }
    }
}

impl PollSchedule {
    /// A schedule with the given bounds and fraction.
    pub fn new(min_interval: Duration, max_interval: Duration, fraction: f64) -> Self {
        PollSchedule {
            min_interval,
            max_interval: max_interval.max(min_interval),
            fraction: if fraction.is_finite() {
                fraction.max(0.0)
            } else {
                0.0
            },
        }
    }

    /// A fixed interval (what the official clients do, with 500 ms).
    pub fn fixed(interval: Duration) -> Self {
        PollSchedule {
            min_interval: interval,
            max_interval: interval,
            fraction: 0.0,
        }
    }

    /// The interval before the next check, after `elapsed` of waiting.
    pub fn next_interval(&self, elapsed: Duration) -> Duration {
        // The fields are public: a NaN or infinite fraction counts as 0, an overflow as the cap.
        let fraction = if self.fraction.is_finite() {
            self.fraction.clamp(0.0, 1e6)
        } else {
            0.0
        };
        let proportional =
            Duration::try_from_secs_f64(elapsed.as_secs_f64() * fraction).unwrap_or(Duration::MAX);
        proportional.clamp(self.min_interval, self.max_interval.max(self.min_interval))
    }
}
