//! Running, waiting for and canceling jobs: [`JobRunner`], [`JobRunnerExt`] and their options.

use std::fmt::Debug;
use std::future::Future;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use futures_util::stream::BoxStream;

use crate::{
    AsItemPath, Error, FlowVersion, ItemPath, Job, JobCursor, JobId, JobQuery, JobSummary,
    LogChunk, LogForward, LogUpdate, Page, Result, RetryPolicy, ScriptHash,
};

/// The arguments of a job: a JSON object, argument name -> value.
pub type Args = Map<String, Value>;

/// Turns any serializable value into job [`Args`].
///
/// The value must serialize to a JSON object (a struct, a map, `serde_json::json!({...})`);
/// anything else is [`Error::InvalidInput`], raised before any request is sent.
///
/// ```
/// use serde_json::json;
///
/// let args = wmill_core::to_args(&json!({"x": 1}))?;
/// assert_eq!(args["x"], 1);
/// assert!(wmill_core::to_args(&[1, 2]).is_err());
/// # Ok::<(), wmill_core::Error>(())
/// ```
pub fn to_args<A: Serialize + ?Sized>(args: &A) -> Result<Args> {
    match serde_json::to_value(args) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Args::new()),
        Ok(other) => Err(Error::invalid(
            "job arguments",
            format!(
                "job arguments must be a JSON object (argument name -> value), got {}",
                json_kind(&other)
            ),
        )),
        Err(e) => Err(Error::invalid(
            "job arguments",
            format!("could not serialize the arguments: {e}"),
        )),
    }
}

pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Options for starting a job.
///
/// Built with [`RunOptions::new`] and its setters. The defaults start the job now, on the
/// script's default tag, linked to the current job when running inside Windmill, with no
/// wait timeout.
///
/// ```
/// use std::time::Duration;
/// use wmill_core::{JobId, RunOptions};
///
/// let opts = RunOptions::new()
///     .tag("gpu")
///     .scheduled_in(Duration::from_secs(30))
///     .job_id(JobId::new_random()) // makes the start safe to retry
///     .timeout(Duration::from_secs(600));
/// assert_eq!(opts.tag.as_deref(), Some("gpu"));
/// ```
///
/// # Which endpoint takes which option
///
/// Every option is a query parameter of the start request (the arguments are the JSON body).
/// The table is the spec's (`windmill-openapi.yaml`, one column per [`RunEndpoint`](crate::RunEndpoint)); an option
/// an endpoint does not take is [`Error::InvalidInput`] naming the option and the endpoint,
/// raised before any request ([`RunOptions::check_for`]), never dropped.
///
/// | method | query parameter | `run/p` | `run/h` | `run/f` | `run/fv` | `run_wait_result/p` | `run_wait_result/f` | `run_wait_result/fv` | [`InMemory`](crate::InMemory) |
/// |---|---|---|---|---|---|---|---|---|---|
/// | [`tag`](Self::tag) | `tag` | ✓ | ✓ | ✓ | ✓ | ✓ | | | recorded |
/// | [`scheduled_in`](Self::scheduled_in) | `scheduled_in_secs` (whole seconds; under 1 s not sent) | ✓ | ✓ | ✓ | ✓ | | | | delays the start |
/// | [`scheduled_for`](Self::scheduled_for) | `scheduled_for` (RFC 3339 UTC) | ✓ | ✓ | ✓ | ✓ | | | | delays the start |
/// | [`job_id`](Self::job_id) | `job_id` | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | the job's id |
/// | [`parent_job`](Self::parent_job), [`root_job`](Self::root_job) (explicit or the current job's) | `parent_job`, `root_job` | ✓ | ✓ | ✓ | ✓ | ✓ | | | recorded |
/// | [`cache_ttl`](Self::cache_ttl) | `cache_ttl` (seconds) | ✓ | ✓ | | | ✓ | | | recorded |
/// | [`skip_preprocessor`](Self::skip_preprocessor) | `skip_preprocessor=true` | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | nothing to skip |
/// | [`invisible_to_owner`](Self::invisible_to_owner) | `invisible_to_owner=true` | ✓ | ✓ | ✓ | ✓ | | | | recorded |
/// | [`queue_limit`](Self::queue_limit) | `queue_limit` | | | | | ✓ | ✓ | ✓ | counts its unfinished jobs |
/// | [`memory_id`](Self::memory_id) | `memory_id` | | | ✓ | ✓ | | ✓ | ✓ | recorded |
/// | [`retry`](Self::retry) | `retry` (JSON policy) | ✓ | ✓ | | | | | | recorded, not re-run |
///
/// `root_job` is not in the spec; the server reads it wherever it reads `parent_job`. "Recorded":
/// [`InMemory::started_jobs`](crate::InMemory::started_jobs) keeps the options of every start,
/// so a test can assert them; the in-memory backend has no workers, owners, cache or agents for
/// them to act on. It checks the options exactly as the HTTP backend does.
///
/// # Synchronous runs
///
/// A synchronous run (`run_script_by_path`, `run_flow`, ...) either starts the job and waits, or
/// uses the `run_wait_result` endpoint (a backend choice, see the HTTP backend's "Waiting for
/// jobs"). The rule ([`RunOptions::check_sync`]):
///
/// - without [`queue_limit`](Self::queue_limit), the options are checked against the
///   asynchronous start, and the backend uses `run_wait_result` only when that endpoint takes
///   every option set too (plus the current job's links). An option `run_wait_result` does not
///   take (`scheduled_*`, `invisible_to_owner`, `retry`, a tag or parent on a flow) makes the run
///   start the job and wait: the same job, the same result.
/// - with [`queue_limit`](Self::queue_limit), which only `run_wait_result` takes, the run must
///   use `run_wait_result`: every other option must be one it takes, there must be one (not by
///   hash), the wait strategy must be [`WaitStrategy::Auto`], and a timeout must cancel the job.
///   Otherwise the run is [`Error::InvalidInput`] before any request.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RunOptions {
    /// The worker tag to run on (`tag` query parameter).
    pub tag: Option<String>,
    /// Delay before the job may start (`scheduled_in_secs`, whole seconds).
    pub scheduled_in: Option<Duration>,
    /// A caller-chosen id for the job (`job_id`). The server rejects a second job with the same
    /// id, so a start that carries one can be retried safely.
    pub job_id: Option<JobId>,
    /// The parent job (`parent_job`). `None` lets the backend use the current job
    /// (`WM_JOB_ID`) where the official clients do.
    pub parent_job: Option<JobId>,
    /// The root flow job (`root_job`). `None` lets the backend use `WM_ROOT_FLOW_JOB_ID`.
    pub root_job: Option<JobId>,
    /// Whether to link the job to the current job (parent/root) when the ids above are not
    /// given. `None` uses the official clients' default: scripts are linked, flows are not
    /// (a flow tracked in its parent must be awaited fully, because its state lives there).
    pub track_in_parent: Option<bool>,
    /// How the synchronous `run_*` methods wait for the result.
    pub wait: WaitOptions,
    /// When the job may start (`scheduled_for`); exclusive with `scheduled_in`.
    pub scheduled_for: Option<SystemTime>,
    /// The script's cache lifetime for this run (`cache_ttl`, whole seconds).
    pub cache_ttl: Option<Duration>,
    /// Skip the preprocessor (`skip_preprocessor=true`).
    pub skip_preprocessor: bool,
    /// Hide the run from the owner (`invisible_to_owner=true`).
    pub invisible_to_owner: bool,
    /// Refuse the run when more jobs than this are queued (`queue_limit`, synchronous runs).
    pub queue_limit: Option<u32>,
    /// The memory of a flow's AI agent steps (`memory_id`).
    pub memory_id: Option<String>,
    /// The server's retry policy (`retry`).
    pub retry: Option<RetryPolicy>,
    /// Fail a synchronous run whose job succeeded with a `null` result
    /// ([`Error::NullResult`]). Default `false` (see [`RunOptions::assert_result_is_not_none`]).
    pub assert_result_is_not_none: bool,
}

impl RunOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs the job on workers with this tag.
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// Schedules the job to start after `delay` (`scheduled_in_secs`, whole seconds; a delay
    /// under one second is not sent). Replaces [`scheduled_for`](Self::scheduled_for).
    #[must_use]
    pub fn scheduled_in(mut self, delay: Duration) -> Self {
        self.scheduled_in = Some(delay);
        self.scheduled_for = None;
        self
    }

    /// Gives the job a caller-chosen id, which makes starting it idempotent.
    #[must_use]
    pub fn job_id(mut self, id: JobId) -> Self {
        self.job_id = Some(id);
        self
    }

    /// Sets the parent job explicitly.
    #[must_use]
    pub fn parent_job(mut self, id: JobId) -> Self {
        self.parent_job = Some(id);
        self
    }

    /// Sets the root flow job explicitly.
    #[must_use]
    pub fn root_job(mut self, id: JobId) -> Self {
        self.root_job = Some(id);
        self
    }

    /// Links (or not) the job to the current job when no explicit parent/root is set.
    #[must_use]
    pub fn track_in_parent(mut self, track: bool) -> Self {
        self.track_in_parent = Some(track);
        self
    }

    /// Fails synchronous runs with [`Error::Timeout`] after `timeout` (see [`WaitOptions`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.wait.timeout = Some(timeout);
        self
    }

    /// Whether the job may be canceled on the caller's behalf: `cleanup(false)` turns off both
    /// [`WaitOptions::cancel_on_timeout`] and [`WaitOptions::cancel_on_drop`] (both on by
    /// default); `cleanup(true)` turns both on.
    ///
    /// Not quite the Python client's `cleanup`: there, `cleanup` only governs the cancel sent
    /// when the caller goes away (an `atexit` hook), and a timeout always cancels. Here that
    /// cancel is [`cancel_on_drop`](Self::cancel_on_drop) (see [`WaitOptions::cancel_on_drop`]
    /// for what it covers), and this switch also turns the timeout's cancel on or off. Set
    /// the two separately with [`WaitOptions`].
    ///
    /// ```
    /// use wmill_core::RunOptions;
    ///
    /// let hands_off = RunOptions::new().cleanup(false);
    /// assert!(!hands_off.wait.cancel_on_timeout && !hands_off.wait.cancel_on_drop);
    /// ```
    #[must_use]
    pub fn cleanup(mut self, cleanup: bool) -> Self {
        self.wait.cancel_on_timeout = cleanup;
        self.wait.cancel_on_drop = cleanup;
        self
    }

    /// Whether a synchronous run cancels its job when the caller goes away before it completes
    /// (default `true`, the Python client's `cleanup`); see [`WaitOptions::cancel_on_drop`].
    #[must_use]
    pub fn cancel_on_drop(mut self, cancel: bool) -> Self {
        self.wait.cancel_on_drop = cancel;
        self
    }

    /// Sets all the wait options of synchronous runs.
    #[must_use]
    pub fn wait(mut self, wait: WaitOptions) -> Self {
        self.wait = wait;
        self
    }

    /// Makes a synchronous run (`run_script_by_path`, `run_script_by_hash`, `run_flow` and
    /// their typed forms) fail with [`Error::NullResult`], naming the job, when the job
    /// succeeds with a `null` result. Python's `assert_result_is_not_none`.
    ///
    /// The default is `false` everywhere, for the module functions and the backends' methods
    /// alike. Python defaults it to `true` in its module functions and `false` in the
    /// `Windmill` methods, so the same call behaves differently depending on where it is made;
    /// here one default holds for every entry point. `false` because `null` is what a script
    /// without a return value gives, and a typed run already refuses it where the type has no
    /// room for it (`run_script_by_path_as::<u64>` on `null` is [`Error::Decode`]): the check
    /// matters for untyped `Value` results, where you ask for it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use wmill_core::{Error, InMemory, ItemPath, JobRunner, RunOptions};
    ///
    /// let wm = InMemory::new();
    /// wm.register_script("f/jobs/nothing", |_| async { Ok(serde_json::Value::Null) })?;
    /// let path = ItemPath::parse("f/jobs/nothing")?;
    /// assert!(wm.run_script_by_path(&path, Default::default(), &RunOptions::new()).await?.is_null());
    /// let strict = RunOptions::new().assert_result_is_not_none(true);
    /// let err = wm.run_script_by_path(&path, Default::default(), &strict).await.unwrap_err();
    /// assert!(matches!(err, Error::NullResult { .. }));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn assert_result_is_not_none(mut self, assert: bool) -> Self {
        self.assert_result_is_not_none = assert;
        self
    }
}

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
    /// Give up after this long with [`Error::Timeout`]. `None`: no client-side limit (the
    /// backend still bounds every single request).
    pub timeout: Option<Duration>,
    /// Cancel the job when the timeout hits (default `true`). The job is canceled once and
    /// the wait returns [`Error::Timeout`] at once.
    pub cancel_on_timeout: bool,
    /// Cancel the job, with the reason `"parent job cancelled"`, when the caller goes away
    /// before the wait completes (default `true`, the Python client's `cleanup`).
    ///
    /// Applies to the synchronous `run_*` methods and to [`JobRunner::wait_job`] (so to
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

    /// Sets the timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets whether the job is canceled when the timeout hits.
    #[must_use]
    pub fn cancel_on_timeout(mut self, cancel: bool) -> Self {
        self.cancel_on_timeout = cancel;
        self
    }

    /// Sets whether the job is canceled when the caller goes away before the wait completes
    /// (see [`cancel_on_drop`](Self::cancel_on_drop)).
    #[must_use]
    pub fn cancel_on_drop(mut self, cancel: bool) -> Self {
        self.cancel_on_drop = cancel;
        self
    }

    /// Sets the strategy.
    #[must_use]
    pub fn strategy(mut self, strategy: WaitStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Forwards the job's log, line by line, while waiting (Python's `verbose`): to `tracing`
    /// or a callback. See [`LogForward`].
    #[must_use]
    pub fn logs(mut self, forward: LogForward) -> Self {
        self.logs = forward;
        self
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

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum JobStatus {
    /// Queued, not started yet (or scheduled for later).
    Waiting,
    /// Started, not completed.
    Running,
    /// Completed; `success` is false when it failed or was canceled.
    Completed {
        /// Whether the job succeeded.
        success: bool,
    },
}

impl JobStatus {
    /// Whether the job completed (successfully or not).
    pub fn is_completed(&self) -> bool {
        matches!(self, JobStatus::Completed { .. })
    }
}

/// Starting jobs and flows, waiting for them, reading their results, canceling them.
///
/// # Contract
/// - `*_async` methods return once the job is queued; the id they return can be waited on.
/// - Synchronous `run_*` methods start the job and wait as [`RunOptions::wait`] says; a failed
///   job is [`Error::JobFailed`] with the job's error value, a timeout is [`Error::Timeout`]
///   (after canceling the job when `cancel_on_timeout` is set), a `null` result with
///   [`RunOptions::assert_result_is_not_none`] is [`Error::NullResult`]
///   ([`RunOptions::check_result`]).
/// - Synchronous runs and [`JobRunner::wait_job`] whose future is dropped before they return
///   cancel the job when [`WaitOptions::cancel_on_drop`] is set, through
///   [`JobRunner::cancel_job_in_background`] (a [`CancelOnDrop`](crate::CancelOnDrop) guard
///   does it).
/// - [`JobRunner::get_result`] returns the result of a completed job as data, also for failed
///   jobs (their error value), like the server; a job that has not completed is
///   [`Error::NotFound`] with [`ItemKind::Job`](crate::ItemKind::Job).
/// - A missing script or flow is [`Error::NotFound`].
///
/// The synchronous runs have default implementations (start, then [`JobRunner::wait_job`]);
/// backends override them when they can do better.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait JobRunner: Debug + Send + Sync + 'static {
    /// Starts the script at `path`; returns the job id.
    async fn run_script_by_path_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId>;

    /// Starts the script version with `hash`; returns the job id.
    async fn run_script_by_hash_async(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId>;

    /// Starts the flow at `path`; returns the job id.
    async fn run_flow_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId>;

    /// Runs the script at `path` and returns its result.
    async fn run_script_by_path(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        let id = self.run_script_by_path_async(path, args, options).await?;
        let value = self.wait_job(&id, &options.wait).await?;
        options.check_result(&id, value)
    }

    /// Runs the script version with `hash` and returns its result.
    async fn run_script_by_hash(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        let id = self.run_script_by_hash_async(hash, args, options).await?;
        let value = self.wait_job(&id, &options.wait).await?;
        options.check_result(&id, value)
    }

    /// Runs the flow at `path` and returns its result.
    async fn run_flow(&self, path: &ItemPath, args: Args, options: &RunOptions) -> Result<Value> {
        let id = self.run_flow_async(path, args, options).await?;
        let value = self.wait_job(&id, &options.wait).await?;
        options.check_result(&id, value)
    }

    /// Waits for the job to complete and returns its result ([`Error::JobFailed`] if it failed).
    async fn wait_job(&self, id: &JobId, options: &WaitOptions) -> Result<Value>;

    /// The result of a completed job (its error value if it failed).
    async fn get_result(&self, id: &JobId) -> Result<Value>;

    /// Whether the job is waiting, running or completed.
    async fn get_job_status(&self, id: &JobId) -> Result<JobStatus>;

    /// Cancels a queued or running job. `reason` is recorded with the cancellation.
    async fn cancel_job(&self, id: &JobId, reason: Option<String>) -> Result<()>;

    // ---------------------------------------------------------------- logs

    /// The whole log of a job, as text (what it has written so far if it is still running). A
    /// job that does not exist is [`Error::NotFound`].
    ///
    /// The default implementation returns [`Error::Unsupported`].
    async fn get_job_logs(&self, id: &JobId) -> Result<String> {
        let _ = id;
        Err(Error::Unsupported {
            operation: "get_job_logs",
            backend: "this backend",
        })
    }

    /// One incremental read of a job's log: what it wrote after the log offset `offset` (a
    /// count of characters, see [`crate::logs`]; `0` reads from the start), the offset to read
    /// from next, and whether the job has completed.
    ///
    /// The default implementation returns [`Error::Unsupported`].
    async fn get_log_update(&self, id: &JobId, offset: u64) -> Result<LogUpdate> {
        let _ = (id, offset);
        Err(Error::Unsupported {
            operation: "get_log_update",
            backend: "this backend",
        })
    }

    /// Follows a job's log from the log offset `offset` (`0`: from the start) until the job
    /// completes: each item is the text written since the previous one, the last one comes
    /// after the job completed, then the stream ends. No text is yielded twice; dropping the
    /// stream stops following. [`JobRunnerExt::job_logs`] follows from the start.
    ///
    /// The default implementation yields one [`Error::Unsupported`].
    fn job_logs_from(&self, id: &JobId, offset: u64) -> BoxStream<'static, Result<LogChunk>> {
        let _ = (id, offset);
        Box::pin(futures_util::stream::once(futures_util::future::ready(
            Err(Error::Unsupported {
                operation: "job_logs",
                backend: "this backend",
            }),
        )))
    }

    /// The log of a flow and of every job it ran (its steps, loop iterations, branches and
    /// sub-flows), one after the other, each under a header line naming the step and its job
    /// (`=== Step a (Job: <id>) ===`), as the server formats it.
    ///
    /// The default implementation returns [`Error::Unsupported`].
    async fn get_flow_all_logs(&self, id: &JobId) -> Result<String> {
        let _ = id;
        Err(Error::Unsupported {
            operation: "get_flow_all_logs",
            backend: "this backend",
        })
    }

    /// The job, typed: its [`JobState`](crate::JobState) (queued, scheduled, running,
    /// suspended, success, failure, canceled with who and why), timestamps, script, tag,
    /// worker, parent and root job, flow step status, result once completed, and the raw
    /// JSON for the rest. An unknown job is [`Error::NotFound`] with
    /// [`ItemKind::Job`](crate::ItemKind::Job).
    ///
    /// The default implementation returns [`Error::Unsupported`], so backends written before
    /// this method keep compiling; [`InMemory`](crate::InMemory) and the HTTP backend
    /// implement it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use wmill_core::{InMemory, ItemPath, JobRunner, JobState, RunOptions};
    ///
    /// let wm = InMemory::new();
    /// wm.register_script("f/jobs/hello", |_| async { Ok(serde_json::json!("hi")) })?;
    /// let id = wm
    ///     .run_script_by_path_async(&ItemPath::parse("f/jobs/hello")?, Default::default(), &RunOptions::new())
    ///     .await?;
    /// let job = wm.get_job(&id).await?;
    /// assert_eq!(job.state, JobState::Success);
    /// assert_eq!(job.script_path.as_deref(), Some("f/jobs/hello"));
    /// assert_eq!(job.result(), Some(&serde_json::json!("hi")));
    /// # Ok(()) }
    /// ```
    async fn get_job(&self, id: &JobId) -> Result<Job> {
        let _ = id;
        Err(Error::Unsupported {
            operation: "get_job",
            backend: "this backend",
        })
    }
    /// One page of the jobs `query` selects, newest first, and the cursor of the next page.
    ///
    /// Start with [`JobCursor::start`]; [`job_stream`](crate::job_stream) and
    /// [`JobRunnerListExt::stream_jobs`](crate::JobRunnerListExt::stream_jobs) page through
    /// every job with this method. Implementations check the query
    /// ([`JobQuery::validate`]), ask their store for [`JobCursor::request`] and hand the rows to
    /// [`JobCursor::advance`]. The default body is [`Error::Unsupported`].
    async fn list_jobs_page(
        &self,
        query: &JobQuery,
        cursor: &JobCursor,
    ) -> Result<Page<JobSummary, JobCursor>> {
        let _ = (query, cursor);
        Err(Error::Unsupported {
            operation: "list_jobs_page",
            backend: "this backend",
        })
    }

    // ------------------------------------------------------------ flows by version (runopts)

    /// Starts the saved flow version `version` (`jobs/run/fv/{version}`); returns the job id.
    ///
    /// The default returns [`Error::Unsupported`]; the HTTP and in-memory backends implement it.
    async fn run_flow_by_version_async(
        &self,
        version: FlowVersion,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        let _ = (version, args, options);
        Err(Error::Unsupported {
            operation: "run_flow_by_version_async",
            backend: "this backend",
        })
    }

    /// Runs the saved flow version `version` and returns its result (default: start with
    /// [`run_flow_by_version_async`](Self::run_flow_by_version_async), then
    /// [`wait_job`](Self::wait_job)).
    async fn run_flow_by_version(
        &self,
        version: FlowVersion,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        let id = self
            .run_flow_by_version_async(version, args, options)
            .await?;
        let value = self.wait_job(&id, &options.wait).await?;
        options.check_result(&id, value)
    }

    /// Starts canceling the job and returns at once, without waiting for the answer: what
    /// drop guards call ([`CancelOnDrop`](crate::CancelOnDrop),
    /// [`JobGuard`](crate::JobGuard), [`WaitOptions::cancel_on_drop`]), since `Drop` cannot
    /// `.await`.
    ///
    /// Best effort and bounded in time: a failed cancel is only logged. `Err` means the backend
    /// cannot cancel this way at all. The default returns [`Error::Unsupported`], so guards
    /// over a backend that does not override it cancel nothing; [`InMemory`](crate::InMemory)
    /// cancels at once, and the HTTP backend sends the request on the current runtime (or a
    /// thread of its own when there is none or it is shutting down).
    fn cancel_job_in_background(&self, id: &JobId, reason: &str) -> Result<()> {
        let _ = (id, reason);
        Err(Error::Unsupported {
            operation: "cancel_job_in_background",
            backend: "this backend",
        })
    }
}

/// Typed helpers over any [`JobRunner`]: serializable arguments and deserialized results.
///
/// Implemented for every `JobRunner` (including `dyn JobRunner` and mocks). You MUST NOT
/// implement this trait yourself.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use serde::{Deserialize, Serialize};
/// use wmill_core::{InMemory, ItemPath, JobRunnerExt, RunOptions};
///
/// #[derive(Serialize)]
/// struct Add { a: i64, b: i64 }
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct Sum { sum: i64 }
///
/// let wm = InMemory::new();
/// wm.register_script("f/math/add", |args| async move {
///     let sum = args["a"].as_i64().unwrap_or(0) + args["b"].as_i64().unwrap_or(0);
///     Ok(serde_json::json!({ "sum": sum }))
/// })?;
/// let path = ItemPath::parse("f/math/add")?;
/// let out: Sum = wm.run_script_by_path_as(&path, &Add { a: 2, b: 3 }, &RunOptions::new()).await?;
/// assert_eq!(out, Sum { sum: 5 });
/// # Ok(()) }
/// ```
pub trait JobRunnerExt: JobRunner {
    /// [`JobRunner::run_script_by_path`] with typed arguments and result. `path` is an
    /// [`ItemPath`] or a string (`"f/billing/total"`); `options` is `&RunOptions` or `None`
    /// for the defaults.
    fn run_script_by_path_as<'o, A, R>(
        &self,
        path: &(impl AsItemPath + ?Sized),
        args: &A,
        options: impl Into<Option<&'o RunOptions>>,
    ) -> impl Future<Output = Result<R>> + Send
    where
        A: Serialize + ?Sized + Sync,
        R: DeserializeOwned,
    {
        let path = path.as_item_path();
        let args = to_args(args);
        let options = options.into();
        async move {
            let path = path?;
            let args = args?;
            let default = RunOptions::new();
            let value = self
                .run_script_by_path(&path, args, options.unwrap_or(&default))
                .await?;
            from_result(value, path.as_str())
        }
    }

    /// [`JobRunner::run_script_by_hash`] with typed arguments and result; `options` is
    /// `&RunOptions` or `None`.
    fn run_script_by_hash_as<'o, A, R>(
        &self,
        hash: &ScriptHash,
        args: &A,
        options: impl Into<Option<&'o RunOptions>>,
    ) -> impl Future<Output = Result<R>> + Send
    where
        A: Serialize + ?Sized + Sync,
        R: DeserializeOwned,
    {
        let args = to_args(args);
        let options = options.into();
        async move {
            let default = RunOptions::new();
            let value = self
                .run_script_by_hash(hash, args?, options.unwrap_or(&default))
                .await?;
            from_result(value, hash.as_str())
        }
    }

    /// [`JobRunner::run_flow`] with typed arguments and result. `path` is an [`ItemPath`] or a
    /// string; `options` is `&RunOptions` or `None`.
    fn run_flow_as<'o, A, R>(
        &self,
        path: &(impl AsItemPath + ?Sized),
        args: &A,
        options: impl Into<Option<&'o RunOptions>>,
    ) -> impl Future<Output = Result<R>> + Send
    where
        A: Serialize + ?Sized + Sync,
        R: DeserializeOwned,
    {
        let path = path.as_item_path();
        let args = to_args(args);
        let options = options.into();
        async move {
            let path = path?;
            let args = args?;
            let default = RunOptions::new();
            let value = self
                .run_flow(&path, args, options.unwrap_or(&default))
                .await?;
            from_result(value, path.as_str())
        }
    }

    /// [`JobRunner::run_script_by_path_async`] with typed arguments. `path` is an
    /// [`ItemPath`] or a string; `options` is `&RunOptions` or `None`.
    fn run_script_by_path_async_with<'o, A>(
        &self,
        path: &(impl AsItemPath + ?Sized),
        args: &A,
        options: impl Into<Option<&'o RunOptions>>,
    ) -> impl Future<Output = Result<JobId>> + Send
    where
        A: Serialize + ?Sized + Sync,
    {
        let path = path.as_item_path();
        let args = to_args(args);
        let options = options.into();
        async move {
            let path = path?;
            let args = args?;
            let default = RunOptions::new();
            self.run_script_by_path_async(&path, args, options.unwrap_or(&default))
                .await
        }
    }

    /// Follows a job's log from the start until the job completes: [`JobRunner::job_logs_from`]
    /// with offset 0.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use futures::TryStreamExt;
    /// use wmill_core::{InMemory, ItemPath, JobLog, JobRunner, JobRunnerExt, RunOptions};
    ///
    /// let wm = InMemory::new();
    /// wm.register_script("f/etl/load", |_args| async move {
    ///     if let Some(log) = JobLog::current() {
    ///         log.line("step 1");
    ///         log.line("step 2");
    ///     }
    ///     Ok(serde_json::json!(null))
    /// })?;
    /// let id = wm
    ///     .run_script_by_path_async(&ItemPath::parse("f/etl/load")?, Default::default(), &RunOptions::new())
    ///     .await?;
    /// let text: String = wm.job_logs(&id).map_ok(|chunk| chunk.text).try_collect().await?;
    /// assert_eq!(text, "step 1\nstep 2\n");
    /// # Ok(()) }
    /// ```
    fn job_logs(&self, id: &JobId) -> BoxStream<'static, Result<LogChunk>> {
        self.job_logs_from(id, 0)
    }

    /// [`JobRunner::wait_job`] with a typed result; `options` is `&WaitOptions` or `None`
    /// (wait without a timeout).
    fn wait_job_as<'o, R>(
        &self,
        id: &JobId,
        options: impl Into<Option<&'o WaitOptions>>,
    ) -> impl Future<Output = Result<R>> + Send
    where
        R: DeserializeOwned,
    {
        let options = options.into();
        async move {
            let default = WaitOptions::new();
            let value = self.wait_job(id, options.unwrap_or(&default)).await?;
            from_result(value, &format!("job {id}"))
        }
    }

    /// [`JobRunner::get_result`] with a typed result. A value that does not fit `R` is
    /// [`Error::Decode`] naming the job.
    fn get_result_as<R>(&self, id: &JobId) -> impl Future<Output = Result<R>> + Send
    where
        R: DeserializeOwned,
    {
        async move {
            let value = self.get_result(id).await?;
            from_result(value, &format!("job {id}"))
        }
    }
}

impl<T: JobRunner + ?Sized> JobRunnerExt for T {}

impl RunOptions {
    /// What a synchronous run returns for the result `value` of the job `job_id`:
    /// [`Error::NullResult`] when [`assert_result_is_not_none`](RunOptions::assert_result_is_not_none)
    /// is set and `value` is `null`, else `value`. Backends that implement the synchronous
    /// `run_*` methods themselves call it on the result they return.
    ///
    /// ```
    /// use serde_json::json;
    /// use wmill_core::{JobId, RunOptions};
    ///
    /// let id = JobId::from_u128(7);
    /// let strict = RunOptions::new().assert_result_is_not_none(true);
    /// assert_eq!(strict.check_result(&id, json!(1))?, json!(1));
    /// assert!(strict.check_result(&id, json!(null)).is_err());
    /// assert!(RunOptions::new().check_result(&id, json!(null))?.is_null());
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn check_result(&self, job_id: &JobId, value: Value) -> Result<Value> {
        if self.assert_result_is_not_none && value.is_null() {
            return Err(Error::NullResult { job_id: *job_id });
        }
        Ok(value)
    }
}

pub(crate) fn from_result<R: DeserializeOwned>(value: Value, what: &str) -> Result<R> {
    R::deserialize(&value).map_err(|e| {
        let mut excerpt = value.to_string();
        crate::error::truncate_in_place(&mut excerpt, 200);
        Error::Decode {
            request: format!("result of {what}"),
            body_excerpt: excerpt,
            source: Box::new(e),
        }
    })
}

#[cfg(test)]
mod tests;
