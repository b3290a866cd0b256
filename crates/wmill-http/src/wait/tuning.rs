//! The settings of waits: [`WaitTuning`] (the `Auto` strategy's schedules and bounds),
//! [`ServerWait`] (when synchronous runs may hold `run_wait_result`) and [`WaitHistory`] (what
//! runs learn from earlier runs).

use std::time::Duration;

use wmill_core::PollSchedule;

use crate::wait::first_wait::FirstWait;

/// When synchronous runs may wait on the server's `run_wait_result` (one long request that
/// the server answers with the result).
///
/// The server cancels the job when that connection breaks, and a proxy in front of it may
/// break a quiet connection on its own (nginx's and AWS load balancers' default idle timeout
/// is 60 s): through such a proxy, a long job would be cancelled although nobody asked.
///
/// The server also bounds the long request by its `TIMEOUT_WAIT_RESULT` setting (600 s by
/// default, set by the server's administrator; [`WaitTuning::server_wait_bound`] tells the
/// client what it is) and, when the bound is reached, answers `500 timeout after 600s` **and
/// cancels the job**, as for a broken connection. So by default ([`ServerWait::Direct`]) the
/// long request is used only where neither can happen to a run: on a direct connection, for a
/// script or flow whose recent runs, as this client timed them ([`WaitHistory`]), all took
/// less than half of that bound. A first run, or one whose recent runs took longer, starts
/// with `POST jobs/run/..` and waits on the job (the event stream, with polls between its
/// checks: [`FirstWait`]), which has no bound and cancels nothing.
///
/// ```
/// use std::time::Duration;
/// use wmill_http::{ServerWait, WaitTuning, Windmill};
///
/// // A server whose administrator set TIMEOUT_WAIT_RESULT to 120 s: run_wait_result only
/// // for scripts known to take less than 60 s (the default rule, with the right bound).
/// let tuning = WaitTuning::default().server_wait_bound(Duration::from_secs(120));
/// // Or never hold the long request, or always (accepting the cancel risk above).
/// let never = WaitTuning::default().server_wait(ServerWait::Never);
/// let always = WaitTuning::default().server_wait(ServerWait::Always);
/// # let _ = (never, always);
/// let wm = Windmill::builder()
///     .with_base_url("http://localhost:8000")
///     .with_token("my-token")
///     .with_workspace("demo")
///     .with_wait_tuning(tuning)
///     .build()?;
/// # drop(wm);
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ServerWait {
    /// Only when the client talks to the server directly (its base URL came from
    /// `BASE_INTERNAL_URL`, what Windmill sets inside a job, or is on `localhost` /
    /// `127.0.0.1` / `[::1]`) **and** the [`WaitHistory`] of the script or flow says that its
    /// recent runs (up to [`WaitHistory::SAMPLES`], timed from the start request to the
    /// completion seen) all took less than half of [`WaitTuning::server_wait_bound`].
    /// Otherwise (another connection, a first run, a longer or unknown history, learning
    /// turned off): `POST jobs/run/..`, then the event stream with polls between its checks
    /// ([`FirstWait`]).
    ///
    /// The half is the margin against a run that suddenly takes longer than its recent
    /// ones: a run that takes more than twice as long as the longest of them, and longer than
    /// the server's bound, is still canceled by the server.
    #[default]
    Direct,
    /// Always, whatever the connection and the history: you know that no proxy cuts long
    /// requests between you and the server, and that every job run synchronously ends within
    /// the server's `TIMEOUT_WAIT_RESULT` (**a job still running when that bound is reached is
    /// canceled by the server**, and the run ends with [`Error::JobFailed`](wmill_core::Error::JobFailed) carrying the
    /// cancel).
    Always,
    /// Never: `POST jobs/run/..`, then the event stream with polls between its checks, whatever
    /// the connection.
    Never,
}

/// The server's default bound of `run_wait_result` (`TIMEOUT_WAIT_RESULT`).
pub(crate) const DEFAULT_SERVER_WAIT_BOUND: Duration = Duration::from_secs(600);

/// Tuning of [`WaitStrategy::Auto`](wmill_core::WaitStrategy::Auto) (see the crate docs,
/// "Waiting for jobs").
///
/// ```
/// use std::time::Duration;
/// use wmill_http::WaitTuning;
///
/// let t = WaitTuning::default().poll_window(Duration::from_millis(500));
/// assert_eq!(t.poll_window, Duration::from_millis(500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct WaitTuning {
    /// The adaptive polling schedule while a `run_wait_result` request is open (during
    /// [`poll_window`](Self::poll_window)), and the longest gaps of a run that overran its
    /// history's prediction ([`WaitHistory`]).
    pub poll: PollSchedule,
    /// How long a synchronous run that holds `run_wait_result` polls beside it before it relies
    /// on the long request alone, and how far past its prediction a run with a history polls
    /// before it relies on the event stream. Default 300 ms. (A wait without history follows
    /// [`first`](Self::first) instead.)
    pub poll_window: Duration,
    /// The schedule of a wait without history (a first run, a client that does not learn,
    /// `wait_job` on a job this client did not start): the event stream at once, and polls
    /// between its checks (see [`FirstWait`]).
    pub first: FirstWait,
    /// The polling schedule used when server-side waiting is not available.
    pub fallback_poll: PollSchedule,
    /// When synchronous runs use `run_wait_result` (default [`ServerWait::Direct`]).
    pub server_wait: ServerWait,
    /// The server's bound of `run_wait_result` (its `TIMEOUT_WAIT_RESULT` setting; default
    /// 600 s, the server's default). With [`ServerWait::Direct`], a run uses
    /// `run_wait_result` only when its script's recent runs all took less than half of it;
    /// the long request itself is given this bound plus a tenth plus 20 s before the client
    /// gives up on it.
    pub server_wait_bound: Duration,
    /// While a `run_wait_result` request is open past the polling window, how often the job
    /// is checked anyway (default 30 s): the long request answers when the job completes, so
    /// this only bounds how long a long request held silent (by a proxy) outlives its job.
    pub long_request_check: Duration,
    /// How synchronous runs use the durations of earlier runs of the same script or flow
    /// (default: on; see [`WaitHistory`]).
    pub history: WaitHistory,
}

impl Default for WaitTuning {
    fn default() -> Self {
        WaitTuning {
            poll: PollSchedule::default(),
            poll_window: Duration::from_millis(300),
            first: FirstWait::default(),
            fallback_poll: PollSchedule::new(
                Duration::from_millis(4),
                Duration::from_secs(2),
                0.12,
            ),
            server_wait: ServerWait::Direct,
            server_wait_bound: DEFAULT_SERVER_WAIT_BOUND,
            long_request_check: Duration::from_secs(30),
            history: WaitHistory::default(),
        }
    }
}

impl WaitTuning {
    setters! {
        #![must_use]
        /// Sets the initial polling schedule.
        poll(schedule: PollSchedule) => poll: schedule;
        /// Sets the polling window.
        poll_window(window: Duration) => poll_window: window;
        /// Sets the schedule of waits without history ([`FirstWait`]).
        first(first: FirstWait) => first: first;
        /// Sets the fallback polling schedule.
        fallback_poll(schedule: PollSchedule) => fallback_poll: schedule;
        /// Sets when synchronous runs use `run_wait_result`.
        server_wait(when: ServerWait) => server_wait: when;
        /// Sets the server's bound of `run_wait_result` (its `TIMEOUT_WAIT_RESULT`, in seconds on
        /// the server; at least 1 s here); see [`server_wait_bound`](Self::server_wait_bound).
        server_wait_bound(bound: Duration) => server_wait_bound: bound.max(Duration::from_secs(1));
        /// Sets how often a job is checked while its `run_wait_result` request is open past the
        /// polling window (at least 10 ms).
        long_request_check(every: Duration) => long_request_check: every.max(Duration::from_millis(10));
        /// Sets how synchronous runs learn from earlier runs ([`WaitHistory::disabled`] turns it
        /// off).
        history(history: WaitHistory) => history: history;
    }
}

/// How a synchronous run ([`WaitStrategy::Auto`](wmill_core::WaitStrategy::Auto)) schedules its
/// polls from the durations of earlier runs of the same script (by path or hash) or flow.
///
/// The client remembers, per script path, script hash and flow path, the last
/// [`WaitHistory::SAMPLES`] successful synchronous runs: how long each took from the start
/// request to the completion seen, and how long from the last moment the job was seen still
/// queued (`get_result_maybe?get_started=true` says `started: false`, or the job did not exist
/// yet) to its completion. The expected end of a new run is the later of *start + the shortest
/// recent total* and *last seen queued + the shortest recent run time* (the shortest: a run is
/// seen a little after it ends, so each figure is an upper bound, and the fastest recent one is
/// the closest). Around that expected end `E`, with the margin `m` the largest of
/// [`lead`](WaitHistory::lead), [`lead_fraction`](WaitHistory::lead_fraction) × the shortest
/// total, and the distance from `E` back to the latest recent poll (before `E`) that still
/// found the job running (a steady script ends between the two):
///
/// 1. no request until `E - m`;
/// 2. from `E - m` to `E`, polls that halve the remaining distance (never closer than `step`);
/// 3. past `E` (the job overran), polls whose gaps double from `step`, never longer than the
///    ordinary adaptive schedule ([`WaitTuning::poll`]) would wait;
/// 4. once past both `E + m` and the poll window ([`WaitTuning::poll_window`]), the
///    server-side wait alone (`run_wait_result` or the event stream).
///
/// The adaptive schedule and the window of steps 3 and 4 are timed from the last moment the
/// job was seen queued (the start request if never).
///
/// A poll that finds the job still queued moves `E` (it cannot end before its run time has
/// passed from then) and, while it stays queued, the next poll comes after the longer of
/// `E - m` and the adaptive interval. A job queued for longer than the poll window plus twice
/// its usual total is left to the server-side wait.
///
/// A run with no history (the first of its script in this client, or one whose script was
/// evicted) waits as described in the crate docs ("Waiting for jobs"). So do scheduled runs
/// and the explicit [`WaitStrategy::Poll`](wmill_core::WaitStrategy::Poll) and
/// [`ServerEvents`](wmill_core::WaitStrategy::ServerEvents) strategies.
///
/// Waits on a job id (`wait_job`, and so `JobHandle::wait` and batches) learn the same way
/// when this client started the job (`run_*_async`, `start_*`): the client remembers what
/// each job it started runs and when its start request was sent (at most four times
/// [`capacity`](WaitHistory::capacity) jobs, the oldest forgotten first; a job is forgotten
/// once a wait saw it complete), so no request is added. The wait's polls follow the script's
/// history, timed from that start request, and its duration is recorded when the wait was
/// there to see the end: a poll of this wait found the job still running, or the wait began
/// before the expected end (a job found already completed by a late wait only says that it
/// ended earlier). A job this client did not start (an id from elsewhere) is waited for as a
/// first run and not recorded.
///
/// The history also decides whether a synchronous run may hold `run_wait_result` (see
/// [`ServerWait::Direct`]): with learning off, no run does, unless [`ServerWait::Always`].
///
/// The history lives in the client and is shared by its clones; it holds at most
/// [`capacity`](WaitHistory::capacity) scripts and flows (the least recently used is
/// forgotten first), each a fixed-size entry of about 300 bytes: 256 entries (the default) are
/// under 80 KiB. Failed runs are not recorded.
///
/// With a steady 200 ms script, a repeated synchronous run costs about 3 requests (the start
/// included) instead of ~21, for the same lateness (a few ms); see `docs/performance.md`.
///
/// ```
/// use std::time::Duration;
/// use wmill_http::{WaitHistory, WaitTuning, Windmill};
///
/// let tuning = WaitTuning::default().history(
///     WaitHistory::default()
///         .capacity(64)
///         .lead(Duration::from_millis(10))
///         .lead_fraction(0.05),
/// );
/// let wm = Windmill::builder()
///     .with_base_url("http://localhost:8000")
///     .with_token("my-token")
///     .with_workspace("demo")
///     .with_wait_tuning(tuning)
///     .build()?;
/// # drop(wm);
/// // Every run scheduled from zero, as without history:
/// let off = WaitTuning::default().history(WaitHistory::disabled());
/// assert!(!off.history.enabled);
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct WaitHistory {
    /// Whether synchronous runs learn from earlier runs (default true).
    pub enabled: bool,
    /// How many scripts and flows are remembered (default 256; 0 turns learning off).
    pub capacity: usize,
    /// The smallest margin before and after the expected end (default 5 ms).
    pub lead: Duration,
    /// The margin as a fraction of the expected duration, when larger than
    /// [`lead`](WaitHistory::lead) (default 0.02: 200 ms for a 10 s job).
    pub lead_fraction: f64,
    /// The smallest gap between two polls around the expected end (default 3 ms).
    pub step: Duration,
}

impl Default for WaitHistory {
    fn default() -> Self {
        WaitHistory {
            enabled: true,
            capacity: 256,
            lead: Duration::from_millis(5),
            lead_fraction: 0.02,
            step: Duration::from_millis(3),
        }
    }
}

impl WaitHistory {
    /// How many recent runs are kept per script or flow.
    pub const SAMPLES: usize = 8;

    /// No learning: every synchronous run waits as a first run does.
    pub fn disabled() -> Self {
        WaitHistory {
            enabled: false,
            ..WaitHistory::default()
        }
    }

    setters! {
        #![must_use]
        /// Turns learning on or off.
        enabled(on: bool) => enabled: on;
        /// Sets how many scripts and flows are remembered.
        capacity(entries: usize) => capacity: entries;
        /// Sets the smallest margin around the expected end.
        lead(margin: Duration) => lead: margin;
        /// Sets the margin as a fraction of the expected duration (a negative or non-finite
        /// value counts as 0).
        lead_fraction(fraction: f64) => lead_fraction: fraction;
        /// Sets the smallest gap between two polls around the expected end (at least 1 ms).
        step(gap: Duration) => step: gap.max(Duration::from_millis(1));
    }

    /// Whether a client with this setting learns at all.
    pub(crate) fn active(&self) -> bool {
        self.enabled && self.capacity > 0
    }

    /// The margin around an expected duration of `total`.
    pub(crate) fn margin(&self, total: Duration) -> Duration {
        let fraction = if self.lead_fraction.is_finite() {
            self.lead_fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        total.mul_f64(fraction).max(self.lead)
    }

    /// The smallest gap between polls (the field is public: at least 1 ms here too).
    pub(crate) fn min_step(&self) -> Duration {
        self.step.max(Duration::from_millis(1))
    }
}
