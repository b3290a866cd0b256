//! Configuration: [`WindmillBuilder`], [`WmillConfigKey`] and [`RetryConfig`].

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use url::Url;
use wmill_core::{Error, ItemPath, JobId, PollSchedule, Result, Workspace};

use crate::client::{Inner, PoolSettings, Windmill};
use crate::first_wait::FirstWait;

/// The default timeout of one ordinary request (everything but the long waits and streamed
/// transfers): 30 s, as object_store's.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The default idle timeout of streamed transfers (uploads and downloads through Windmill,
/// streamed answers): the longest time without a byte moving.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default limit on the size of one answer's body (256 MiB): a larger answer is an error
/// rather than a process that runs out of memory. Raise it with
/// [`WindmillBuilder::with_max_response_bytes`].
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 256 << 20;

/// A setting of the client, with the environment variable that provides it inside a job.
///
/// [`FromStr`] accepts the environment variable name (`WM_TOKEN`) and a lower-case alias
/// (`token`); [`AsRef<str>`] gives the environment variable name.
///
/// ```
/// use wmill_http::WmillConfigKey;
///
/// let key: WmillConfigKey = "WM_WORKSPACE".parse()?;
/// assert_eq!(key, WmillConfigKey::Workspace);
/// assert_eq!("base_url".parse::<WmillConfigKey>()?.as_ref(), "WM_BASE_URL");
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WmillConfigKey {
    /// `BASE_INTERNAL_URL`: the URL workers use to reach the server (first choice for the base URL).
    BaseInternalUrl,
    /// `WM_BASE_URL`: the public URL of the instance (base URL when `BASE_INTERNAL_URL` is unset).
    BaseUrl,
    /// `WM_TOKEN`: the API token.
    Token,
    /// `WM_WORKSPACE`: the workspace id.
    Workspace,
    /// `WM_JOB_ID`: the current job (parent of the jobs it starts; default job of the helpers).
    JobId,
    /// `WM_ROOT_FLOW_JOB_ID`: the top-level flow of the current job.
    RootFlowJobId,
    /// `WM_FLOW_JOB_ID`: the flow the current job is a step of.
    FlowJobId,
    /// `WM_STATE_PATH_NEW`: the state resource path (preferred).
    StatePathNew,
    /// `WM_STATE_PATH`: the state resource path (legacy name, used when `WM_STATE_PATH_NEW` is unset).
    StatePath,
    /// `WM_FLOW_STEP_ID`: the id of the current step inside its flow (Slack/Teams approvals).
    FlowStepId,
    /// `WM_JOB_PATH`: the path of the running script (`cancel_running`).
    JobPath,
}

impl WmillConfigKey {
    /// Every key, in precedence-neutral order.
    pub const ALL: [WmillConfigKey; 11] = [
        WmillConfigKey::BaseInternalUrl,
        WmillConfigKey::BaseUrl,
        WmillConfigKey::Token,
        WmillConfigKey::Workspace,
        WmillConfigKey::JobId,
        WmillConfigKey::RootFlowJobId,
        WmillConfigKey::FlowJobId,
        WmillConfigKey::StatePathNew,
        WmillConfigKey::StatePath,
        WmillConfigKey::FlowStepId,
        WmillConfigKey::JobPath,
    ];

    /// The key for an environment variable name, if it is one of ours (exact, upper case).
    pub fn from_env_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_ref() == name)
    }

    fn alias(self) -> &'static str {
        match self {
            WmillConfigKey::BaseInternalUrl => "base_internal_url",
            WmillConfigKey::BaseUrl => "base_url",
            WmillConfigKey::Token => "token",
            WmillConfigKey::Workspace => "workspace",
            WmillConfigKey::JobId => "job_id",
            WmillConfigKey::RootFlowJobId => "root_flow_job_id",
            WmillConfigKey::FlowJobId => "flow_job_id",
            WmillConfigKey::StatePathNew => "state_path",
            WmillConfigKey::StatePath => "legacy_state_path",
            WmillConfigKey::FlowStepId => "flow_step_id",
            WmillConfigKey::JobPath => "job_path",
        }
    }
}

impl AsRef<str> for WmillConfigKey {
    fn as_ref(&self) -> &str {
        match self {
            WmillConfigKey::BaseInternalUrl => "BASE_INTERNAL_URL",
            WmillConfigKey::BaseUrl => "WM_BASE_URL",
            WmillConfigKey::Token => "WM_TOKEN",
            WmillConfigKey::Workspace => "WM_WORKSPACE",
            WmillConfigKey::JobId => "WM_JOB_ID",
            WmillConfigKey::RootFlowJobId => "WM_ROOT_FLOW_JOB_ID",
            WmillConfigKey::FlowJobId => "WM_FLOW_JOB_ID",
            WmillConfigKey::StatePathNew => "WM_STATE_PATH_NEW",
            WmillConfigKey::StatePath => "WM_STATE_PATH",
            WmillConfigKey::FlowStepId => "WM_FLOW_STEP_ID",
            WmillConfigKey::JobPath => "WM_JOB_PATH",
        }
    }
}

impl fmt::Display for WmillConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_ref())
    }
}

impl FromStr for WmillConfigKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_ref() == s || k.alias() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "config key",
                    format!("{s:?} is not a wmill setting (expected one of WM_TOKEN, WM_WORKSPACE, BASE_INTERNAL_URL, WM_BASE_URL, WM_JOB_ID, WM_ROOT_FLOW_JOB_ID, WM_FLOW_JOB_ID, WM_STATE_PATH_NEW, WM_STATE_PATH, WM_FLOW_STEP_ID, WM_JOB_PATH)"),
                )
            })
    }
}

/// Retries of idempotent requests (reads, upserts, deletes, cancels) and of job starts that
/// carry a caller-chosen id.
///
/// A request is retried on transport errors, HTTP 429 (waiting `Retry-After` when the server
/// sends one, up to [`max_retry_after`](RetryConfig::max_retry_after)), 500, 502, 503 and 504, at most
/// [`max_retries`](RetryConfig::max_retries) times, with exponential backoff and jitter. Starting
/// a job without a caller-chosen id is never retried (it could start the job twice), except
/// when the connection could not even be opened.
///
/// ```
/// use std::time::Duration;
/// use wmill_http::RetryConfig;
///
/// let retry = RetryConfig::default().max_retries(5).initial_backoff(Duration::from_millis(50));
/// assert_eq!(retry.max_retries, 5);
/// assert_eq!(RetryConfig::disabled().max_retries, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Retries after the first attempt (default 3).
    pub max_retries: u32,
    /// The first backoff (default 100 ms); doubled after each retry.
    pub initial_backoff: Duration,
    /// The longest backoff (default 5 s).
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured (default 30 s); a longer one is not retried.
    pub max_retry_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryConfig {
    /// No retries at all.
    pub fn disabled() -> Self {
        RetryConfig {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Sets the number of retries.
    #[must_use]
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the first backoff.
    #[must_use]
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Sets the longest backoff.
    #[must_use]
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Sets the longest `Retry-After` honoured.
    #[must_use]
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }
}

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
    /// canceled by the server**, and the run ends with [`Error::JobFailed`] carrying the
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
    /// Sets the initial polling schedule.
    #[must_use]
    pub fn poll(mut self, schedule: PollSchedule) -> Self {
        self.poll = schedule;
        self
    }

    /// Sets the polling window.
    #[must_use]
    pub fn poll_window(mut self, window: Duration) -> Self {
        self.poll_window = window;
        self
    }

    /// Sets the schedule of waits without history ([`FirstWait`]).
    #[must_use]
    pub fn first(mut self, first: FirstWait) -> Self {
        self.first = first;
        self
    }

    /// Sets the fallback polling schedule.
    #[must_use]
    pub fn fallback_poll(mut self, schedule: PollSchedule) -> Self {
        self.fallback_poll = schedule;
        self
    }

    /// Sets when synchronous runs use `run_wait_result`.
    #[must_use]
    pub fn server_wait(mut self, when: ServerWait) -> Self {
        self.server_wait = when;
        self
    }

    /// Sets the server's bound of `run_wait_result` (its `TIMEOUT_WAIT_RESULT`, in seconds on
    /// the server; at least 1 s here); see [`server_wait_bound`](Self::server_wait_bound).
    #[must_use]
    pub fn server_wait_bound(mut self, bound: Duration) -> Self {
        self.server_wait_bound = bound.max(Duration::from_secs(1));
        self
    }

    /// Sets how often a job is checked while its `run_wait_result` request is open past the
    /// polling window (at least 10 ms).
    #[must_use]
    pub fn long_request_check(mut self, every: Duration) -> Self {
        self.long_request_check = every.max(Duration::from_millis(10));
        self
    }

    /// Sets how synchronous runs learn from earlier runs ([`WaitHistory::disabled`] turns it
    /// off).
    #[must_use]
    pub fn history(mut self, history: WaitHistory) -> Self {
        self.history = history;
        self
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

    /// Turns learning on or off.
    #[must_use]
    pub fn enabled(mut self, on: bool) -> Self {
        self.enabled = on;
        self
    }

    /// Sets how many scripts and flows are remembered.
    #[must_use]
    pub fn capacity(mut self, entries: usize) -> Self {
        self.capacity = entries;
        self
    }

    /// Sets the smallest margin around the expected end.
    #[must_use]
    pub fn lead(mut self, margin: Duration) -> Self {
        self.lead = margin;
        self
    }

    /// Sets the margin as a fraction of the expected duration (a negative or non-finite
    /// value counts as 0).
    #[must_use]
    pub fn lead_fraction(mut self, fraction: f64) -> Self {
        self.lead_fraction = fraction;
        self
    }

    /// Sets the smallest gap between two polls around the expected end (at least 1 ms).
    #[must_use]
    pub fn step(mut self, gap: Duration) -> Self {
        self.step = gap.max(Duration::from_millis(1));
        self
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

/// Builds a [`Windmill`] client: explicit settings win over the environment.
///
/// Setters are infallible; [`build`](WindmillBuilder::build) validates everything and returns
/// [`Error::NotConfigured`] naming the environment variable (or setter) for a missing setting,
/// or [`Error::InvalidInput`] for a malformed one.
///
/// Precedence (explicit setter first, empty values count as unset):
/// - base URL: [`with_base_url`](WindmillBuilder::with_base_url), `BASE_INTERNAL_URL`, `WM_BASE_URL`;
/// - token: [`with_token`](WindmillBuilder::with_token), `WM_TOKEN`;
/// - workspace: [`with_workspace`](WindmillBuilder::with_workspace), `WM_WORKSPACE`;
/// - state path: [`with_state_path`](WindmillBuilder::with_state_path), `WM_STATE_PATH_NEW`,
///   `WM_STATE_PATH`.
///
/// ```
/// use wmill_http::WindmillBuilder;
///
/// let wm = WindmillBuilder::from_vars([
///     ("WM_BASE_URL".to_owned(), "http://public.example".to_owned()),
///     ("BASE_INTERNAL_URL".to_owned(), "http://windmill:8000".to_owned()),
///     ("WM_TOKEN".to_owned(), "secret-token".to_owned()),
/// ])
/// .with_workspace("demo")
/// .build()?;
/// assert_eq!(wm.base_url().as_str(), "http://windmill:8000/api/");
/// assert_eq!(wm.workspace().as_str(), "demo");
/// assert!(!format!("{wm:?}").contains("secret-token"));
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct WindmillBuilder {
    base_url: Option<String>,
    base_internal_url: Option<String>,
    public_base_url: Option<String>,
    token: Option<String>,
    workspace: Option<String>,
    job_id: Option<String>,
    root_flow_job_id: Option<String>,
    flow_job_id: Option<String>,
    state_path: Option<String>,
    legacy_state_path: Option<String>,
    flow_step_id: Option<String>,
    job_path: Option<String>,
    accept_invalid_certs: bool,
    client: Option<reqwest::Client>,
    request_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_response_bytes: Option<u64>,
    user_agent: Option<String>,
    retry: RetryConfig,
    wait: WaitTuning,
}

impl fmt::Debug for WindmillBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindmillBuilder")
            .field("base_url", &self.base_url)
            .field("base_internal_url", &self.base_internal_url)
            .field("public_base_url", &self.public_base_url)
            .field(
                "token",
                if self.token.is_some() {
                    &"***"
                } else {
                    &"<unset>"
                },
            )
            .field("workspace", &self.workspace)
            .field("job_id", &self.job_id)
            .field("root_flow_job_id", &self.root_flow_job_id)
            .field("flow_job_id", &self.flow_job_id)
            .field("state_path", &self.state_path)
            .field("legacy_state_path", &self.legacy_state_path)
            .field("flow_step_id", &self.flow_step_id)
            .field("job_path", &self.job_path)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("custom_client", &self.client.is_some())
            .field("request_timeout", &self.request_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("wait", &self.wait)
            .finish()
    }
}

fn non_empty(value: impl Into<String>) -> Option<String> {
    let v = value.into();
    if v.trim().is_empty() { None } else { Some(v) }
}

impl WindmillBuilder {
    /// An empty builder (nothing read from the environment).
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder seeded from the process environment (see [`WmillConfigKey`]).
    pub fn from_env() -> Self {
        Self::from_vars(std::env::vars())
    }

    /// A builder seeded from `(name, value)` pairs shaped like the environment; names that are
    /// not wmill settings are ignored. Tests use this instead of mutating the process environment.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        vars.into_iter().fold(
            Self::new(),
            |b, (name, value)| match WmillConfigKey::from_env_name(&name) {
                Some(key) => b.with_config(key, value),
                None => b,
            },
        )
    }

    /// Sets one setting by key.
    pub fn with_config(mut self, key: WmillConfigKey, value: impl Into<String>) -> Self {
        let v = non_empty(value);
        match key {
            WmillConfigKey::BaseInternalUrl => self.base_internal_url = v,
            WmillConfigKey::BaseUrl => self.public_base_url = v,
            WmillConfigKey::Token => self.token = v,
            WmillConfigKey::Workspace => self.workspace = v,
            WmillConfigKey::JobId => self.job_id = v,
            WmillConfigKey::RootFlowJobId => self.root_flow_job_id = v,
            WmillConfigKey::FlowJobId => self.flow_job_id = v,
            WmillConfigKey::StatePathNew => self.state_path = v,
            WmillConfigKey::StatePath => self.legacy_state_path = v,
            WmillConfigKey::FlowStepId => self.flow_step_id = v,
            WmillConfigKey::JobPath => self.job_path = v,
        }
        self
    }

    /// The server's base URL (`https://windmill.example.com`); requests go to `{base}/api/...`.
    /// Overrides `BASE_INTERNAL_URL` and `WM_BASE_URL`.
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = non_empty(url);
        self
    }

    /// The API token. Overrides `WM_TOKEN`.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = non_empty(token);
        self
    }

    /// The workspace id. Overrides `WM_WORKSPACE`.
    pub fn with_workspace(mut self, workspace: impl Into<String>) -> Self {
        self.workspace = non_empty(workspace);
        self
    }

    /// The current job id (parent of started jobs, default of the job helpers). Overrides `WM_JOB_ID`.
    pub fn with_job_id(mut self, id: impl Into<String>) -> Self {
        self.job_id = non_empty(id);
        self
    }

    /// The root flow job id. Overrides `WM_ROOT_FLOW_JOB_ID`.
    pub fn with_root_flow_job_id(mut self, id: impl Into<String>) -> Self {
        self.root_flow_job_id = non_empty(id);
        self
    }

    /// The flow job id of the current step. Overrides `WM_FLOW_JOB_ID`.
    pub fn with_flow_job_id(mut self, id: impl Into<String>) -> Self {
        self.flow_job_id = non_empty(id);
        self
    }

    /// The default state path. Overrides `WM_STATE_PATH_NEW` and `WM_STATE_PATH`.
    pub fn with_state_path(mut self, path: impl Into<String>) -> Self {
        self.state_path = non_empty(path);
        self.legacy_state_path = None;
        self
    }

    /// The id of the current step in its flow. Overrides `WM_FLOW_STEP_ID`.
    pub fn with_flow_step_id(mut self, id: impl Into<String>) -> Self {
        self.flow_step_id = non_empty(id);
        self
    }

    /// The path of the running script. Overrides `WM_JOB_PATH`.
    pub fn with_job_path(mut self, path: impl Into<String>) -> Self {
        self.job_path = non_empty(path);
        self
    }

    /// Accepts any TLS certificate, like the Python client's `verify=False`. Dangerous: only for
    /// self-signed test instances. Not applied to a client given with
    /// [`with_client`](Self::with_client).
    pub fn with_danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// Uses this `reqwest::Client` (its own TLS, proxy, timeouts and headers). The connect
    /// timeout and user agent of this builder are then not applied; request timeouts still are.
    pub fn with_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The timeout of one ordinary request (default [`DEFAULT_REQUEST_TIMEOUT`]). Long waits
    /// (`run_wait_result`, event streams) have their own bounds.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// The idle timeout of streamed transfers (default [`DEFAULT_IDLE_TIMEOUT`]): a request
    /// with a streamed or chunked body, or a body read as a stream, fails when no byte moves
    /// for this long, however long the whole transfer takes.
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// The connect timeout (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The largest answer body accepted (default [`DEFAULT_MAX_RESPONSE_BYTES`]). A larger one
    /// fails with [`Error::Transport`] as soon as it is known to be larger (from its
    /// `Content-Length`, or while it is read), without being retried. Event streams are not
    /// affected: they are read event by event.
    pub fn with_max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// The `User-Agent` header (default `wmill-rs/<version>`).
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The retry policy (default [`RetryConfig::default`]).
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Tells the client the server's bound of `run_wait_result` (its `TIMEOUT_WAIT_RESULT`
    /// setting, 600 s by default): the same as
    /// [`WaitTuning::server_wait_bound`] on the current tuning (a later
    /// [`with_wait_tuning`](Self::with_wait_tuning) replaces it).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wmill_http::Windmill;
    ///
    /// let wm = Windmill::builder()
    ///     .with_base_url("http://localhost:8000")
    ///     .with_token("my-token")
    ///     .with_workspace("demo")
    ///     .with_server_wait_bound(Duration::from_secs(120))
    ///     .build()?;
    /// # drop(wm);
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn with_server_wait_bound(mut self, bound: Duration) -> Self {
        self.wait = self.wait.server_wait_bound(bound);
        self
    }

    /// The tuning of automatic waits (default [`WaitTuning::default`]).
    pub fn with_wait_tuning(mut self, wait: WaitTuning) -> Self {
        self.wait = wait;
        self
    }

    /// Validates the settings and builds the client.
    pub fn build(self) -> Result<Windmill> {
        let public_base = self
            .public_base_url
            .as_deref()
            .and_then(|u| Url::parse(u.trim()).ok());
        let internal = self.base_url.is_none() && self.base_internal_url.is_some();
        let raw_base = self
            .base_url
            .or(self.base_internal_url)
            .or(self.public_base_url)
            .ok_or_else(|| Error::NotConfigured {
                what: "base URL",
                hint:
                    "set BASE_INTERNAL_URL or WM_BASE_URL, or call WindmillBuilder::with_base_url"
                        .into(),
            })?;
        let base = api_base(&raw_base)?;
        let direct = internal
            || matches!(
                base.host(),
                Some(url::Host::Domain("localhost"))
                    | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
                    | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
            );
        let token = self.token.ok_or_else(|| Error::NotConfigured {
            what: "token",
            hint: "set WM_TOKEN, or call WindmillBuilder::with_token".into(),
        })?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            Error::invalid(
                "token",
                "the token contains characters that cannot be sent in an HTTP header",
            )
        })?;
        auth.set_sensitive(true);
        let workspace = self.workspace.ok_or_else(|| Error::NotConfigured {
            what: "workspace",
            hint: "set WM_WORKSPACE, or call WindmillBuilder::with_workspace".into(),
        })?;
        let workspace = Workspace::parse(workspace)?;
        let job = |raw: Option<String>, key: WmillConfigKey| -> Result<Option<JobId>> {
            raw.map(|r| {
                JobId::parse(&r).map_err(|e| Error::invalid("job id", format!("{key}: {e}")))
            })
            .transpose()
        };
        let job_id = job(self.job_id, WmillConfigKey::JobId)?;
        let root_flow_job_id = job(self.root_flow_job_id, WmillConfigKey::RootFlowJobId)?;
        let flow_job_id = job(self.flow_job_id, WmillConfigKey::FlowJobId)?;
        // Checked now, reported when used: a malformed value from the environment must not
        // stop the calls that do not need it.
        let lazy = |raw: Option<String>| match raw {
            None => Ok(None),
            Some(raw) => ItemPath::parse(&raw).map(Some).map_err(|e| e.to_string()),
        };
        let state_path = lazy(self.state_path.or(self.legacy_state_path));
        let job_path = lazy(self.job_path);
        let request_timeout = self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        let custom_client = self.client.is_some();
        let pool = PoolSettings {
            user_agent: self
                .user_agent
                .unwrap_or_else(|| format!("wmill-rs/{}", env!("CARGO_PKG_VERSION"))),
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            accept_invalid_certs: self.accept_invalid_certs,
        };
        let (http, pool) = match self.client {
            Some(c) => (c, None),
            None => (pool.build()?, Some(pool)),
        };
        Ok(Windmill {
            inner: Arc::new(Inner {
                http,
                base,
                workspace,
                auth,
                token: token.into_boxed_str(),
                public_base,
                job_id,
                root_flow_job_id,
                flow_job_id,
                state_path,
                flow_step_id: self.flow_step_id,
                job_path,
                request_timeout,
                idle_timeout: self.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT),
                max_response_bytes: self
                    .max_response_bytes
                    .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
                custom_client,
                pool,
                isolated_http: std::sync::OnceLock::new(),
                retry: self.retry,
                wait: self.wait,
                direct,
                history: crate::history::History::new(if self.wait.history.active() {
                    self.wait.history.capacity
                } else {
                    0
                }),
            }),
        })
    }
}

/// Parses the base URL and appends `api/`, so requests are `{base}/api/...`.
fn api_base(raw: &str) -> Result<Url> {
    let trimmed = raw.trim().trim_end_matches('/');
    let mut url = Url::parse(trimmed)
        .map_err(|e| Error::invalid("base URL", format!("{trimmed:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(Error::invalid(
            "base URL",
            format!("{trimmed:?} must be an http:// or https:// URL"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            "base URL",
            format!("{trimmed:?} must not have a query or fragment"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // (Not echoed: the URL holds a password. reqwest would also send it as a second
        // `Authorization` header beside the token.)
        return Err(Error::invalid(
            "base URL",
            "must not carry a user name or password (the token authenticates)",
        ));
    }
    // Users sometimes pass the URL with /api already; do not double it.
    let path = url.path().trim_end_matches('/').to_owned();
    let path = path.strip_suffix("/api").unwrap_or(&path).to_owned();
    url.set_path(&format!("{path}/api/"));
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn direct_connections_are_the_internal_url_and_loopback() {
        let direct = |pairs: &[(&str, &str)], explicit: Option<&str>| {
            let mut all = vec![("WM_TOKEN", "t"), ("WM_WORKSPACE", "ws")];
            all.extend_from_slice(pairs);
            let mut b = WindmillBuilder::from_vars(vars(&all));
            if let Some(url) = explicit {
                b = b.with_base_url(url);
            }
            b.build().unwrap().inner.direct
        };
        assert!(direct(
            &[("BASE_INTERNAL_URL", "http://windmill_server:8000")],
            None
        ));
        assert!(direct(
            &[
                ("BASE_INTERNAL_URL", "http://windmill_server:8000"),
                ("WM_BASE_URL", "https://windmill.example.com")
            ],
            None
        ));
        assert!(!direct(
            &[("WM_BASE_URL", "https://windmill.example.com")],
            None
        ));
        assert!(!direct(&[], Some("https://windmill.example.com")));
        // An explicit URL wins over BASE_INTERNAL_URL, and says nothing about proxies.
        assert!(!direct(
            &[("BASE_INTERNAL_URL", "http://windmill_server:8000")],
            Some("https://windmill.example.com")
        ));
        for local in [
            "http://localhost:8000",
            "http://127.0.0.1:8000",
            "http://[::1]:8000",
        ] {
            assert!(direct(&[], Some(local)), "{local}");
        }
        assert!(!direct(&[], Some("http://127.0.0.2:8000")));
    }

    #[tokio::test]
    async fn malformed_state_and_job_paths_fail_only_where_they_are_used() {
        let all = [
            ("BASE_INTERNAL_URL", "http://127.0.0.1:9"),
            ("WM_TOKEN", "t"),
            ("WM_WORKSPACE", "w"),
            ("WM_STATE_PATH_NEW", "not a path!"),
            ("WM_JOB_PATH", "../x"),
        ];
        // The client builds: calls that need neither path work as usual.
        let wm = WindmillBuilder::from_vars(vars(&all)).build().unwrap();
        assert!(wm.state_path().is_none());
        assert!(matches!(
            wm.default_state_path(),
            Err(Error::InvalidInput {
                what: "state path",
                ..
            })
        ));
        assert!(matches!(
            wm.cancel_running(None).await,
            Err(Error::InvalidInput {
                what: "job path",
                ..
            })
        ));
        let ok = ItemPath::parse("f/jobs/x").unwrap();
        // With the path given, the bad variable does not matter (the call then fails on the
        // closed port, which shows it was sent).
        assert!(matches!(
            wm.cancel_running(Some(&ok)).await,
            Err(Error::Transport { .. })
        ));
    }

    #[test]
    fn base_url_precedence() {
        let base = [
            ("WM_BASE_URL", "http://public:3000"),
            ("BASE_INTERNAL_URL", "http://internal:8000/"),
            ("WM_TOKEN", "t"),
            ("WM_WORKSPACE", "ws"),
        ];
        let wm = WindmillBuilder::from_vars(vars(&base)).build().unwrap();
        assert_eq!(wm.base_url().as_str(), "http://internal:8000/api/");
        assert_eq!(
            wm.public_base_url().unwrap().as_str(),
            "http://public:3000/"
        );
        assert_eq!(wm.expose_token(), "t");
        let wm = WindmillBuilder::from_vars(vars(&base[..1]))
            .with_token("t")
            .with_workspace("w")
            .build()
            .unwrap();
        assert_eq!(wm.base_url().as_str(), "http://public:3000/api/");
        let wm = WindmillBuilder::from_vars(vars(&base))
            .with_base_url("https://explicit.example/prefix/api")
            .build()
            .unwrap();
        assert_eq!(
            wm.base_url().as_str(),
            "https://explicit.example/prefix/api/"
        );
    }

    #[test]
    fn missing_settings_name_the_variable() {
        let err = WindmillBuilder::new().build().unwrap_err();
        assert!(
            matches!(&err, Error::NotConfigured { what: "base URL", hint } if hint.contains("BASE_INTERNAL_URL")),
            "{err}"
        );
        let err = WindmillBuilder::new()
            .with_base_url("http://x")
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::NotConfigured { what: "token", hint } if hint.contains("WM_TOKEN"))
        );
        let err = WindmillBuilder::new()
            .with_base_url("http://x")
            .with_token("t")
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::NotConfigured { what: "workspace", hint } if hint.contains("WM_WORKSPACE"))
        );
        // empty counts as unset
        let err = WindmillBuilder::from_vars(vars(&[("WM_TOKEN", "")]))
            .with_base_url("http://x")
            .with_workspace("w")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::NotConfigured { what: "token", .. }));
    }

    #[test]
    fn state_path_precedence_and_job_ids() {
        let id = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12";
        let all = [
            ("BASE_INTERNAL_URL", "http://x"),
            ("WM_TOKEN", "t"),
            ("WM_WORKSPACE", "w"),
            ("WM_STATE_PATH", "u/a/legacy"),
            ("WM_STATE_PATH_NEW", "u/a/new"),
            ("WM_JOB_ID", id),
            ("WM_ROOT_FLOW_JOB_ID", id),
            ("WM_FLOW_JOB_ID", id),
            ("UNRELATED", "x"),
        ];
        let wm = WindmillBuilder::from_vars(vars(&all)).build().unwrap();
        assert_eq!(wm.state_path().unwrap().as_str(), "u/a/new");
        assert_eq!(wm.job_id().unwrap().to_string(), id);
        assert_eq!(wm.root_flow_job_id().unwrap().to_string(), id);
        assert_eq!(wm.flow_job_id().unwrap().to_string(), id);
        let wm = WindmillBuilder::from_vars(vars(&all[..4])).build().unwrap();
        assert_eq!(wm.state_path().unwrap().as_str(), "u/a/legacy");
        assert!(wm.job_id().is_none());
        let bad = WindmillBuilder::from_vars(vars(&all[..3]))
            .with_job_id("nope")
            .build()
            .unwrap_err();
        assert!(bad.to_string().contains("WM_JOB_ID"), "{bad}");
    }

    #[test]
    fn bad_base_urls() {
        for bad in ["not a url", "ftp://x", "http://x/?a=b"] {
            let err = WindmillBuilder::new()
                .with_base_url(bad)
                .with_token("t")
                .with_workspace("w")
                .build()
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidInput {
                        what: "base URL",
                        ..
                    }
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn keys_parse() {
        for k in WmillConfigKey::ALL {
            assert_eq!(k.as_ref().parse::<WmillConfigKey>().unwrap(), k);
            assert_eq!(k.alias().parse::<WmillConfigKey>().unwrap(), k);
        }
        assert!("nope".parse::<WmillConfigKey>().is_err());
    }

    #[test]
    fn transport_knobs_build() {
        let wm = WindmillBuilder::new()
            .with_base_url("https://self-signed.local")
            .with_token("t")
            .with_workspace("w")
            .with_danger_accept_invalid_certs(true)
            .with_connect_timeout(Duration::from_secs(1))
            .with_request_timeout(Duration::from_secs(2))
            .with_user_agent("ua/1")
            .with_retry(RetryConfig::disabled())
            .with_wait_tuning(WaitTuning::default().poll_window(Duration::ZERO))
            .with_flow_step_id("step")
            .with_job_path("f/jobs/x")
            .build()
            .unwrap();
        assert_eq!(wm.flow_step_id(), Some("step"));
        assert_eq!(wm.job_path().unwrap().as_str(), "f/jobs/x");
        assert!(format!("{wm:?}").contains("request_timeout: 2s"));
    }

    #[test]
    fn builder_debug_hides_token() {
        let b = WindmillBuilder::new().with_token("super-secret-123");
        let dbg = format!("{b:?}");
        assert!(!dbg.contains("super-secret-123"));
        assert!(dbg.contains("token: \"***\""), "{dbg}");
    }
}
