//! The run options every start endpoint documents: which endpoint takes which option, their
//! checks, the retry policy type and flow versions.
//!
//! The fields live on [`RunOptions`] (in `job.rs`); this module holds their builder methods, the
//! table of [`RunEndpoint`]s and the check that turns an option an endpoint does not take into
//! [`Error::InvalidInput`] before any request.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::job::json_kind;
use crate::{Error, Result, RunOptions, WaitStrategy};

/// The `what` of the [`Error::InvalidInput`] raised for run options.
const WHAT: &str = "run option";

/// The version of a flow (`jobs/run/fv/{version}`): the id of one saved version, as the flow's
/// version history lists them.
///
/// ```
/// use wmill_core::FlowVersion;
///
/// let v = FlowVersion::new(42);
/// assert_eq!(v.get(), 42);
/// assert_eq!(v.to_string(), "42");
/// assert_eq!(FlowVersion::from(7), FlowVersion::new(7));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FlowVersion(i64);

impl FlowVersion {
    /// The version with this id.
    pub const fn new(id: i64) -> Self {
        FlowVersion(id)
    }

    /// The version id.
    pub const fn get(&self) -> i64 {
        self.0
    }
}

impl From<i64> for FlowVersion {
    fn from(id: i64) -> Self {
        FlowVersion(id)
    }
}

impl fmt::Display for FlowVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A retry policy: the server runs the job again when it fails (the `retry` query parameter,
/// the JSON policy of a schedule).
///
/// The returned job id is the first attempt's; each retry is a job of its own, recorded as a
/// child of the first attempt. A synchronous run therefore waits for the first attempt: use
/// an asynchronous start when the retries matter. The server does not retry hub scripts, runs
/// [invisible to their owner](RunOptions::invisible_to_owner) (refused here before any
/// request), or scripts whose preprocessor runs.
///
/// Delays are whole seconds (a [`Duration`] is rounded down). The `n`-th exponential retry
/// waits `multiplier × base^n` seconds, where `n` counts the constant retries too.
///
/// ```
/// use std::time::Duration;
/// use serde_json::json;
/// use wmill_core::RetryPolicy;
///
/// let p = RetryPolicy::constant(3, Duration::from_secs(10));
/// assert_eq!(p.to_json(), json!({"constant": {"attempts": 3, "seconds": 10}}));
///
/// let p = RetryPolicy::exponential(5, Duration::from_secs(2), 1).random_factor(20);
/// assert_eq!(
///     p.to_json(),
///     json!({"exponential": {"attempts": 5, "seconds": 2, "multiplier": 1, "random_factor": 20}})
/// );
///
/// // Anything else the server's policy has (`retry_if`, ...), as JSON, checked:
/// let p = RetryPolicy::from_json(json!({
///     "constant": {"attempts": 2, "seconds": 1},
///     "retry_if": {"expr": "error.name == 'Timeout'"}
/// }))?;
/// assert!(p.to_json()["retry_if"].is_object());
/// assert!(RetryPolicy::from_json(json!({"constant": {"attempts": -1}})).is_err());
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy(Map<String, Value>);

impl RetryPolicy {
    /// `attempts` retries, each `delay` after the previous failure.
    pub fn constant(attempts: u32, delay: Duration) -> Self {
        let mut map = Map::new();
        map.insert(
            "constant".into(),
            serde_json::json!({"attempts": attempts, "seconds": delay.as_secs()}),
        );
        RetryPolicy(map)
    }

    /// `attempts` retries with exponential backoff: the `n`-th waits `multiplier × base^n`
    /// seconds (`base` of at least one second, checked before any request).
    pub fn exponential(attempts: u32, base: Duration, multiplier: u32) -> Self {
        RetryPolicy(Map::new()).and_exponential(attempts, base, multiplier)
    }

    /// Adds exponential retries after the constant ones (see [`exponential`](Self::exponential)).
    #[must_use]
    pub fn and_exponential(mut self, attempts: u32, base: Duration, multiplier: u32) -> Self {
        self.0.insert(
            "exponential".into(),
            serde_json::json!({
                "attempts": attempts,
                "seconds": base.as_secs(),
                "multiplier": multiplier,
            }),
        );
        self
    }

    /// Random jitter of the exponential delays, in percent (0-100, checked before any request).
    /// Without exponential retries it is an error when the options are checked.
    #[must_use]
    pub fn random_factor(mut self, percent: u8) -> Self {
        match self.0.get_mut("exponential") {
            Some(Value::Object(exp)) => {
                exp.insert("random_factor".into(), Value::from(percent));
            }
            _ => {
                // Kept where the check will find it and say what is wrong.
                self.0.insert("random_factor".into(), Value::from(percent));
            }
        }
        self
    }

    /// A policy given as the server's JSON, for what the constructors do not cover. It must be
    /// an object with `constant` and/or `exponential` policies of the right shape; other keys
    /// (`retry_if`, ...) are passed as they are.
    pub fn from_json(policy: Value) -> Result<Self> {
        match policy {
            Value::Object(map) => {
                let p = RetryPolicy(map);
                p.check()?;
                Ok(p)
            }
            other => Err(Error::invalid(
                WHAT,
                format!(
                    "`retry`: a retry policy is a JSON object, got {}",
                    json_kind(&other)
                ),
            )),
        }
    }

    /// The policy as the server's JSON.
    pub fn to_json(&self) -> Value {
        Value::Object(self.0.clone())
    }

    /// The value of the `retry` query parameter: the policy JSON-encoded.
    pub fn to_query_value(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }

    /// Checks the shape the server expects.
    pub(crate) fn check(&self) -> Result<()> {
        let bad = |reason: String| Err(Error::invalid(WHAT, format!("`retry`: {reason}")));
        if self.0.contains_key("random_factor") {
            return bad(
                "random_factor applies to exponential retries, and this policy has none".into(),
            );
        }
        let constant = self.0.get("constant");
        let exponential = self.0.get("exponential");
        if constant.is_none() && exponential.is_none() {
            return bad("a retry policy needs `constant` or `exponential` retries".into());
        }
        let int = |part: &str, obj: &Map<String, Value>, key: &str, min: u64, max: u64| match obj
            .get(key)
        {
            None | Some(Value::Null) => Ok(()),
            Some(v) => match v.as_u64() {
                Some(n) if (min..=max).contains(&n) => Ok(()),
                _ => Err(Error::invalid(
                    WHAT,
                    format!("`retry`: {part}.{key} must be an integer in {min}..={max}, got {v}"),
                )),
            },
        };
        let max = i32::MAX as u64;
        if let Some(c) = constant {
            let Value::Object(c) = c else {
                return bad(format!(
                    "`constant` must be an object, got {}",
                    json_kind(c)
                ));
            };
            int("constant", c, "attempts", 0, max)?;
            int("constant", c, "seconds", 0, max)?;
        }
        if let Some(e) = exponential {
            let Value::Object(e) = e else {
                return bad(format!(
                    "`exponential` must be an object, got {}",
                    json_kind(e)
                ));
            };
            int("exponential", e, "attempts", 0, max)?;
            int("exponential", e, "multiplier", 0, max)?;
            int("exponential", e, "seconds", 1, max)?;
            int("exponential", e, "random_factor", 0, 100)?;
        }
        Ok(())
    }
}

/// The endpoints that start a job, as the spec names them: the asynchronous starts
/// (`jobs/run/...`, answer: the job id) and the synchronous ones (`jobs/run_wait_result/...`,
/// answer: the result). See the table on [`RunOptions`] for the options each takes.
///
/// ```
/// use wmill_core::{RunEndpoint, RunOption};
///
/// assert_eq!(RunEndpoint::ScriptByPath.path(), "jobs/run/p/{path}");
/// assert_eq!(RunEndpoint::ScriptByPath.operation_id(), "runScriptByPath");
/// assert!(RunEndpoint::ScriptByPath.takes(RunOption::CacheTtl));
/// assert!(!RunEndpoint::FlowByPath.takes(RunOption::CacheTtl));
/// assert_eq!(RunEndpoint::FlowByPath.wait_result(), Some(RunEndpoint::WaitResultFlowByPath));
/// assert_eq!(RunEndpoint::ScriptByHash.wait_result(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RunEndpoint {
    /// `POST jobs/run/p/{path}` (`runScriptByPath`).
    ScriptByPath,
    /// `POST jobs/run/h/{hash}` (`runScriptByHash`).
    ScriptByHash,
    /// `POST jobs/run/f/{path}` (`runFlowByPath`).
    FlowByPath,
    /// `POST jobs/run/fv/{version}` (`runFlowByVersion`).
    FlowByVersion,
    /// `POST jobs/run_wait_result/p/{path}` (`runWaitResultScriptByPath`).
    WaitResultScriptByPath,
    /// `POST jobs/run_wait_result/f/{path}` (`runWaitResultFlowByPath`).
    WaitResultFlowByPath,
    /// `POST jobs/run_wait_result/fv/{version}` (`runWaitResultFlowByVersion`).
    WaitResultFlowByVersion,
}

/// Every endpoint, in the order of the table on [`RunOptions`].
const ENDPOINTS: [RunEndpoint; 7] = [
    RunEndpoint::ScriptByPath,
    RunEndpoint::ScriptByHash,
    RunEndpoint::FlowByPath,
    RunEndpoint::FlowByVersion,
    RunEndpoint::WaitResultScriptByPath,
    RunEndpoint::WaitResultFlowByPath,
    RunEndpoint::WaitResultFlowByVersion,
];

impl RunEndpoint {
    /// Every endpoint.
    pub fn all() -> &'static [RunEndpoint] {
        &ENDPOINTS
    }

    /// The path under `/api/w/{workspace}/`, with its parameter in braces.
    pub fn path(&self) -> &'static str {
        match self {
            RunEndpoint::ScriptByPath => "jobs/run/p/{path}",
            RunEndpoint::ScriptByHash => "jobs/run/h/{hash}",
            RunEndpoint::FlowByPath => "jobs/run/f/{path}",
            RunEndpoint::FlowByVersion => "jobs/run/fv/{version}",
            RunEndpoint::WaitResultScriptByPath => "jobs/run_wait_result/p/{path}",
            RunEndpoint::WaitResultFlowByPath => "jobs/run_wait_result/f/{path}",
            RunEndpoint::WaitResultFlowByVersion => "jobs/run_wait_result/fv/{version}",
        }
    }

    /// The spec's `operationId`.
    pub fn operation_id(&self) -> &'static str {
        match self {
            RunEndpoint::ScriptByPath => "runScriptByPath",
            RunEndpoint::ScriptByHash => "runScriptByHash",
            RunEndpoint::FlowByPath => "runFlowByPath",
            RunEndpoint::FlowByVersion => "runFlowByVersion",
            RunEndpoint::WaitResultScriptByPath => "runWaitResultScriptByPath",
            RunEndpoint::WaitResultFlowByPath => "runWaitResultFlowByPath",
            RunEndpoint::WaitResultFlowByVersion => "runWaitResultFlowByVersion",
        }
    }

    /// The synchronous twin of an asynchronous start (`None` for a script by hash, which has
    /// none, and for the synchronous endpoints themselves).
    pub fn wait_result(&self) -> Option<RunEndpoint> {
        match self {
            RunEndpoint::ScriptByPath => Some(RunEndpoint::WaitResultScriptByPath),
            RunEndpoint::FlowByPath => Some(RunEndpoint::WaitResultFlowByPath),
            RunEndpoint::FlowByVersion => Some(RunEndpoint::WaitResultFlowByVersion),
            _ => None,
        }
    }

    /// Whether the endpoint answers with the result (`run_wait_result`) rather than the id.
    pub fn is_wait_result(&self) -> bool {
        matches!(
            self,
            RunEndpoint::WaitResultScriptByPath
                | RunEndpoint::WaitResultFlowByPath
                | RunEndpoint::WaitResultFlowByVersion
        )
    }

    /// Whether the endpoint takes `option` (the spec's parameters of that operation; `root_job`,
    /// which the spec leaves out, goes wherever `parent_job` goes, as the server reads both).
    pub fn takes(&self, option: RunOption) -> bool {
        use RunEndpoint as E;
        use RunOption as O;
        let is_start = !self.is_wait_result();
        let is_script = matches!(
            self,
            E::ScriptByPath | E::ScriptByHash | E::WaitResultScriptByPath
        );
        match option {
            O::JobId | O::SkipPreprocessor => true,
            // The synchronous flow endpoints take neither a tag nor a parent job.
            O::Tag | O::ParentJob | O::RootJob => is_start || *self == E::WaitResultScriptByPath,
            O::ScheduledIn | O::ScheduledFor | O::InvisibleToOwner => is_start,
            O::CacheTtl => is_script,
            O::Retry => matches!(self, E::ScriptByPath | E::ScriptByHash),
            O::QueueLimit => !is_start,
            O::MemoryId => !is_script,
        }
    }

    /// The endpoints that take `option`, for messages (`jobs/run/p, jobs/run/h`).
    fn takers(option: RunOption) -> String {
        let names: Vec<&str> = ENDPOINTS
            .iter()
            .filter(|e| e.takes(option))
            .map(RunEndpoint::short)
            .collect();
        names.join(", ")
    }

    /// The path without its parameter (`jobs/run/p`).
    fn short(&self) -> &'static str {
        let p = self.path();
        p.rsplit_once('/').map_or(p, |(head, _)| head)
    }
}

impl fmt::Display for RunEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.short(), self.operation_id())
    }
}

/// One option of [`RunOptions`] that goes into a start request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RunOption {
    /// [`RunOptions::tag`]: `tag`.
    Tag,
    /// [`RunOptions::scheduled_in`]: `scheduled_in_secs`.
    ScheduledIn,
    /// [`RunOptions::scheduled_for`]: `scheduled_for`.
    ScheduledFor,
    /// [`RunOptions::job_id`]: `job_id`.
    JobId,
    /// [`RunOptions::parent_job`] (or the current job): `parent_job`.
    ParentJob,
    /// [`RunOptions::root_job`] (or the current root flow): `root_job`.
    RootJob,
    /// [`RunOptions::cache_ttl`]: `cache_ttl`.
    CacheTtl,
    /// [`RunOptions::skip_preprocessor`]: `skip_preprocessor`.
    SkipPreprocessor,
    /// [`RunOptions::invisible_to_owner`]: `invisible_to_owner`.
    InvisibleToOwner,
    /// [`RunOptions::queue_limit`]: `queue_limit`.
    QueueLimit,
    /// [`RunOptions::memory_id`]: `memory_id`.
    MemoryId,
    /// [`RunOptions::retry`]: `retry`.
    Retry,
}

impl RunOption {
    /// The query parameter it becomes.
    pub fn query_name(&self) -> &'static str {
        match self {
            RunOption::Tag => "tag",
            RunOption::ScheduledIn => "scheduled_in_secs",
            RunOption::ScheduledFor => "scheduled_for",
            RunOption::JobId => "job_id",
            RunOption::ParentJob => "parent_job",
            RunOption::RootJob => "root_job",
            RunOption::CacheTtl => "cache_ttl",
            RunOption::SkipPreprocessor => "skip_preprocessor",
            RunOption::InvisibleToOwner => "invisible_to_owner",
            RunOption::QueueLimit => "queue_limit",
            RunOption::MemoryId => "memory_id",
            RunOption::Retry => "retry",
        }
    }

    /// The [`RunOptions`] method that sets it.
    pub fn method_name(&self) -> &'static str {
        match self {
            RunOption::ScheduledIn => "scheduled_in",
            other => other.query_name(),
        }
    }
}

impl RunOptions {
    /// Schedules the job to start at `time` (`scheduled_for`, RFC 3339 UTC; sub-second
    /// precision is kept to the millisecond). Replaces [`scheduled_in`](Self::scheduled_in): the
    /// two are exclusive. A time in the past starts the job now. Taken by the asynchronous
    /// starts; a synchronous run with it starts the job, then waits.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use wmill_core::RunOptions;
    ///
    /// let at = SystemTime::now() + Duration::from_secs(3600);
    /// let o = RunOptions::new().scheduled_in(Duration::from_secs(5)).scheduled_for(at);
    /// assert_eq!((o.scheduled_for, o.scheduled_in), (Some(at), None));
    /// ```
    #[must_use]
    pub fn scheduled_for(mut self, time: SystemTime) -> Self {
        self.scheduled_for = Some(time);
        self.scheduled_in = None;
        self
    }

    /// Overrides the script's cache lifetime (`cache_ttl`, whole seconds, at least one). It
    /// cannot turn caching off, only change how long a cached result lives. Scripts only
    /// (`jobs/run/p`, `jobs/run/h`, `jobs/run_wait_result/p`).
    #[must_use]
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = Some(ttl);
        self
    }

    /// Skips the script's or flow's preprocessor (`skip_preprocessor=true`). Every start
    /// endpoint takes it.
    #[must_use]
    pub fn skip_preprocessor(mut self, skip: bool) -> Self {
        self.skip_preprocessor = skip;
        self
    }

    /// Hides the run from the script's or flow's owner (`invisible_to_owner=true`).
    /// Asynchronous starts only; not with [`retry`](Self::retry).
    #[must_use]
    pub fn invisible_to_owner(mut self, invisible: bool) -> Self {
        self.invisible_to_owner = invisible;
        self
    }

    /// Refuses to start the job when more than `limit` jobs are queued (`queue_limit`; the
    /// server answers 500 `Number of queued job is too high: <count> > <limit>`, a retryable
    /// error). Only the synchronous endpoints (`jobs/run_wait_result/...`) take it: a
    /// synchronous run with it always uses them (see [`RunOptions`], "Synchronous runs"), and
    /// an asynchronous start with it is an error. The server cancels a job whose
    /// `run_wait_result` request breaks: through a proxy that cuts quiet connections, a run
    /// longer than that cut is canceled, and a request that fails before the job exists is
    /// an error to retry (the job is never started another way, which would drop the limit).
    #[must_use]
    pub fn queue_limit(mut self, limit: u32) -> Self {
        self.queue_limit = Some(limit);
        self
    }

    /// The memory of the flow's AI agent steps (`memory_id`): a UUID is used as it is, any other
    /// string names the same memory of that flow every time. Flows only.
    #[must_use]
    pub fn memory_id(mut self, id: impl Into<String>) -> Self {
        self.memory_id = Some(id.into());
        self
    }

    /// Lets the server run the job again when it fails (`retry`, see [`RetryPolicy`]). Scripts
    /// started asynchronously only (`jobs/run/p`, `jobs/run/h`); a synchronous run with it
    /// starts the job, then waits for the first attempt.
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The options set here that go into a start request (`job_id`, `parent_job` and
    /// `root_job` only when given explicitly; `scheduled_in` only from one second on, as
    /// shorter delays are not sent).
    pub fn set_options(&self) -> Vec<RunOption> {
        let mut out = Vec::new();
        let mut push = |set: bool, o: RunOption| {
            if set {
                out.push(o);
            }
        };
        push(self.tag.is_some(), RunOption::Tag);
        push(
            self.scheduled_in.is_some_and(|d| d.as_secs() > 0),
            RunOption::ScheduledIn,
        );
        push(self.scheduled_for.is_some(), RunOption::ScheduledFor);
        push(self.job_id.is_some(), RunOption::JobId);
        push(self.parent_job.is_some(), RunOption::ParentJob);
        push(self.root_job.is_some(), RunOption::RootJob);
        push(self.cache_ttl.is_some(), RunOption::CacheTtl);
        push(self.skip_preprocessor, RunOption::SkipPreprocessor);
        push(self.invisible_to_owner, RunOption::InvisibleToOwner);
        push(self.queue_limit.is_some(), RunOption::QueueLimit);
        push(self.memory_id.is_some(), RunOption::MemoryId);
        push(self.retry.is_some(), RunOption::Retry);
        out
    }

    /// Checks the options against `endpoint`: each option set must be one the endpoint takes,
    /// and each value must be one the server accepts. Backends call this before any request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the option and the endpoint (or the bad value).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wmill_core::{RunEndpoint, RunOptions};
    ///
    /// let o = RunOptions::new().cache_ttl(Duration::from_secs(60));
    /// assert!(o.check_for(RunEndpoint::ScriptByPath).is_ok());
    /// let err = o.check_for(RunEndpoint::FlowByPath).unwrap_err();
    /// assert!(err.to_string().contains("`cache_ttl` is not taken by jobs/run/f (runFlowByPath)"));
    /// ```
    pub fn check_for(&self, endpoint: RunEndpoint) -> Result<()> {
        self.check_values()?;
        for option in self.set_options() {
            if !endpoint.takes(option) {
                return Err(not_taken(option, endpoint));
            }
        }
        Ok(())
    }

    /// Checks the options of a synchronous run that would start with `start` (an asynchronous
    /// endpoint) and wait: the run is possible when `start` takes every option, or, with
    /// [`queue_limit`](Self::queue_limit), when the synchronous twin of `start` does (the run
    /// then has to use it, so the wait must be one it can do: [`WaitStrategy::Auto`], and a
    /// timeout must cancel the job, as closing that request does).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the option, the endpoint and the rule.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wmill_core::{RunEndpoint, RunOptions};
    ///
    /// // queue_limit: only run_wait_result takes it, and run_wait_result/p takes a tag.
    /// let o = RunOptions::new().queue_limit(100).tag("gpu");
    /// assert!(o.check_sync(RunEndpoint::ScriptByPath).is_ok());
    /// assert!(o.check_for(RunEndpoint::ScriptByPath).is_err());
    /// // run_wait_result/f takes no tag, and there is no run_wait_result/h at all.
    /// assert!(o.check_sync(RunEndpoint::FlowByPath).is_err());
    /// assert!(RunOptions::new().queue_limit(1).check_sync(RunEndpoint::ScriptByHash).is_err());
    /// // scheduled_in: only the asynchronous starts take it; a synchronous run starts, then waits.
    /// let o = RunOptions::new().scheduled_in(Duration::from_secs(5));
    /// assert!(o.check_sync(RunEndpoint::FlowByPath).is_ok());
    /// ```
    pub fn check_sync(&self, start: RunEndpoint) -> Result<()> {
        if self.queue_limit.is_none() {
            return self.check_for(start);
        }
        let Some(sync) = start.wait_result() else {
            return Err(Error::invalid(
                WHAT,
                format!(
                    "`queue_limit` is taken only by {}, and {start} has no such twin",
                    RunEndpoint::takers(RunOption::QueueLimit)
                ),
            ));
        };
        self.check_values()?;
        for option in self.set_options() {
            if !sync.takes(option) {
                return Err(Error::invalid(
                    WHAT,
                    format!(
                        "`queue_limit` makes a synchronous run use {sync}, which does not take `{}` (taken by: {})",
                        option.method_name(),
                        RunEndpoint::takers(option)
                    ),
                ));
            }
        }
        if !matches!(self.wait.strategy, WaitStrategy::Auto) {
            return Err(Error::invalid(
                WHAT,
                format!(
                    "`queue_limit` makes a synchronous run wait on {sync}, so the wait strategy must be WaitStrategy::Auto, not {:?}",
                    self.wait.strategy
                ),
            ));
        }
        if self.wait.timeout.is_some() && !self.wait.cancel_on_timeout {
            return Err(Error::invalid(
                WHAT,
                format!(
                    "`queue_limit` makes a synchronous run wait on {sync}, and the server cancels the job when that request ends: a timeout cannot leave the job running (cancel_on_timeout(false))"
                ),
            ));
        }
        Ok(())
    }

    /// The values the server would refuse, whatever the endpoint.
    fn check_values(&self) -> Result<()> {
        if self.scheduled_for.is_some() && self.scheduled_in.is_some_and(|d| d.as_secs() > 0) {
            return Err(Error::invalid(
                WHAT,
                "`scheduled_for` and `scheduled_in` are exclusive (the server would ignore `scheduled_in`)",
            ));
        }
        if let Some(t) = self.scheduled_for {
            rfc3339_millis(t)?;
        }
        if let Some(ttl) = self.cache_ttl {
            let secs = ttl.as_secs();
            if secs == 0 || secs > i32::MAX as u64 {
                return Err(Error::invalid(
                    WHAT,
                    format!(
                        "`cache_ttl` must be from 1 s to {} s (whole seconds), got {ttl:?}",
                        i32::MAX
                    ),
                ));
            }
        }
        if let Some(id) = &self.memory_id
            && (id.trim().is_empty() || id.chars().any(char::is_control))
        {
            return Err(Error::invalid(
                WHAT,
                "`memory_id` must be non-empty and without control characters",
            ));
        }
        if let Some(policy) = &self.retry {
            if self.invisible_to_owner {
                return Err(Error::invalid(
                    WHAT,
                    "`retry` and `invisible_to_owner` cannot be combined (the server does not retry runs invisible to their owner)",
                ));
            }
            policy.check()?;
        }
        Ok(())
    }

    /// The delay before the job may start: [`scheduled_in`](Self::scheduled_in), or the time
    /// until [`scheduled_for`](Self::scheduled_for) (zero when it has passed).
    pub fn start_delay(&self) -> Option<Duration> {
        match (self.scheduled_for, self.scheduled_in) {
            (Some(at), _) => Some(
                at.duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO),
            ),
            (None, d) => d,
        }
    }

    /// [`scheduled_for`](Self::scheduled_for) as the server reads it: RFC 3339 in UTC,
    /// `YYYY-MM-DDTHH:MM:SS[.mmm]Z`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a time before 1970 or after 9999.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use wmill_core::RunOptions;
    ///
    /// let o = RunOptions::new().scheduled_for(UNIX_EPOCH + Duration::from_millis(1_700_000_000_250));
    /// assert_eq!(o.scheduled_for_rfc3339()?.as_deref(), Some("2023-11-14T22:13:20.250Z"));
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn scheduled_for_rfc3339(&self) -> Result<Option<String>> {
        self.scheduled_for.map(rfc3339_millis).transpose()
    }
}

/// The error for an option an endpoint does not take.
fn not_taken(option: RunOption, endpoint: RunEndpoint) -> Error {
    Error::invalid(
        WHAT,
        format!(
            "`{}` is not taken by {endpoint}; it is taken by: {}",
            option.method_name(),
            RunEndpoint::takers(option)
        ),
    )
}

/// The last second of year 9999.
const MAX_RFC3339_SECS: u64 = 253_402_300_799;

/// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` for a time from 1970 to 9999.
fn rfc3339_millis(t: SystemTime) -> Result<String> {
    let since = t.duration_since(UNIX_EPOCH).map_err(|_| {
        Error::invalid(
            WHAT,
            "`scheduled_for` must not be before 1970-01-01T00:00:00Z",
        )
    })?;
    let secs = since.as_secs();
    if secs > MAX_RFC3339_SECS {
        return Err(Error::invalid(
            WHAT,
            "`scheduled_for` must not be after 9999-12-31T23:59:59Z",
        ));
    }
    let rem = secs % 86_400;
    let (y, m, d) = crate::listing::civil_from_days(i128::from(secs / 86_400));
    let millis = since.subsec_millis();
    let frac = if millis == 0 {
        String::new()
    } else {
        format!(".{millis:03}")
    };
    Ok(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    ))
}

#[cfg(test)]
mod tests;
