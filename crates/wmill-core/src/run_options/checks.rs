//! The builder methods of [`RunOptions`] and the check that refuses an option an endpoint
//! does not take, before any request.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{Error, Result, RunOptions, WaitStrategy};

use super::endpoint::{RunEndpoint, RunOption};
use super::retry::{RetryPolicy, WHAT};

impl RunOptions {
    setters! {
        /// Schedules the job to start at `time` (`scheduled_for`, RFC 3339 UTC; sub-second
        /// precision is kept to the millisecond). Replaces [`scheduled_in`](Self::scheduled_in):
        /// the two are exclusive. A time in the past starts the job now. Taken by the asynchronous
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
        scheduled_for(time: SystemTime) => scheduled_for = time, scheduled_in: None;
        /// Overrides the script's cache lifetime (`cache_ttl`, whole seconds, at least one). It
        /// cannot turn caching off, only change how long a cached result lives. Scripts only
        /// (`jobs/run/p`, `jobs/run/h`, `jobs/run_wait_result/p`).
        cache_ttl(ttl: Duration) => cache_ttl = ttl;
        /// Skips the script's or flow's preprocessor (`skip_preprocessor=true`). Every start
        /// endpoint takes it.
        skip_preprocessor(skip: bool) => skip_preprocessor: skip;
        /// Hides the run from the script's or flow's owner (`invisible_to_owner=true`).
        /// Asynchronous starts only; not with [`retry`](Self::retry).
        invisible_to_owner(invisible: bool) => invisible_to_owner: invisible;
        /// Refuses to start the job when more than `limit` jobs are queued (`queue_limit`; the
        /// server answers 500 `Number of queued job is too high: <count> > <limit>`, a retryable
        /// error). Only the synchronous endpoints (`jobs/run_wait_result/...`) take it: a
        /// synchronous run with it always uses them (see [`RunOptions`], "Synchronous runs"), and
        /// an asynchronous start with it is an error. The server cancels a job whose
        /// `run_wait_result` request breaks: through a proxy that cuts quiet connections, a run
        /// longer than that cut is canceled, and a request that fails before the job exists is
        /// an error to retry (the job is never started another way, which would drop the limit).
        queue_limit(limit: u32) => queue_limit = limit;
        /// The memory of the flow's AI agent steps (`memory_id`): a UUID is used as it is, any other
        /// string names the same memory of that flow every time. Flows only.
        memory_id(id: impl Into<String>) => memory_id = id.into();
        /// Lets the server run the job again when it fails (`retry`, see [`RetryPolicy`]). Scripts
        /// started asynchronously only (`jobs/run/p`, `jobs/run/h`); a synchronous run with it
        /// starts the job, then waits for the first attempt.
        retry(policy: RetryPolicy) => retry = policy;
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
pub(super) const MAX_RFC3339_SECS: u64 = 253_402_300_799;

/// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` for a time from 1970 to 9999.
pub(super) fn rfc3339_millis(t: SystemTime) -> Result<String> {
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
