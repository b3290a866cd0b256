//! [`RunOptions`]: how a job is started (the fields; their builders and checks are in
//! `run_options`).

use std::fmt::Debug;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::{Error, JobId, Result, RetryPolicy};

use super::wait::WaitOptions;

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
///   hash), the wait strategy must be [`WaitStrategy::Auto`](crate::WaitStrategy::Auto), and a timeout must cancel the job.
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

    setters! {
        /// Runs the job on workers with this tag.
        tag(tag: impl Into<String>) => tag = tag.into();
        /// Schedules the job to start after `delay` (`scheduled_in_secs`, whole seconds; a delay
        /// under one second is not sent). Replaces [`scheduled_for`](Self::scheduled_for).
        scheduled_in(delay: Duration) => scheduled_in = delay, scheduled_for: None;
        /// Gives the job a caller-chosen id, which makes starting it idempotent.
        job_id(id: JobId) => job_id = id;
        /// Sets the parent job explicitly.
        parent_job(id: JobId) => parent_job = id;
        /// Sets the root flow job explicitly.
        root_job(id: JobId) => root_job = id;
        /// Links (or not) the job to the current job when no explicit parent/root is set.
        track_in_parent(track: bool) => track_in_parent = track;
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

    setters! {
        /// Sets all the wait options of synchronous runs.
        wait(wait: WaitOptions) => wait: wait;
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
        assert_result_is_not_none(assert: bool) => assert_result_is_not_none: assert;
    }
}

impl RunOptions {
    /// What a synchronous run returns for the result `value` of the job `job_id`:
    /// [`Error::NullResult`] when [`assert_result_is_not_none`](RunOptions::assert_result_is_not_none)
    /// is set and `value` is `null`, else `value`. Backends that override
    /// [`JobRunner::run`](crate::JobRunner::run) call it on the result they return.
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
