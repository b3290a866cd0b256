//! The start endpoints ([`RunEndpoint`]) and the options they take ([`RunOption`]).

use std::fmt;

/// The endpoints that start a job, as the spec names them: the asynchronous starts
/// (`jobs/run/...`, answer: the job id) and the synchronous ones (`jobs/run_wait_result/...`,
/// answer: the result). See the table on [`RunOptions`](crate::RunOptions) for the options each takes.
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
    pub(super) fn takers(option: RunOption) -> String {
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

/// One option of [`RunOptions`](crate::RunOptions) that goes into a start request.
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
    /// [`RunOptions::parent_job`](crate::RunOptions::parent_job) (or the current job): `parent_job`.
    ParentJob,
    /// [`RunOptions::root_job`](crate::RunOptions::root_job) (or the current root flow): `root_job`.
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

    /// The [`RunOptions`](crate::RunOptions) method that sets it.
    pub fn method_name(&self) -> &'static str {
        match self {
            RunOption::ScheduledIn => "scheduled_in",
            other => other.query_name(),
        }
    }
}
