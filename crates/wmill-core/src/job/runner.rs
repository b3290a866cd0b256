//! [`JobRunner`]: the trait every backend implements to run jobs, and its contract.

use std::fmt::Debug;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use serde_json::Value;

use crate::{
    Error, FlowVersion, ItemPath, Job, JobCursor, JobId, JobQuery, JobSummary, LogChunk, LogUpdate,
    Page, Result, ScriptHash,
};

use super::args::Args;
use super::options::RunOptions;
use super::runnable::Runnable;
use super::status::JobStatus;
use super::wait::WaitOptions;

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
/// A backend implements one start, [`JobRunner::start`], for every [`Runnable`]; the per-kind
/// starts and runs (`run_script_by_path_async`, `run_flow`, ... the Python client's names) call
/// [`JobRunner::start`] and [`JobRunner::run`]. The synchronous run has a default
/// implementation (start, then [`JobRunner::wait_job`]); backends override it when they can do
/// better. A mock (`MockJobRunner`, feature `mock`) mocks every method: set expectations on
/// the ones the code under test calls (the umbrella's module-level functions call the per-kind
/// ones).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait JobRunner: Debug + Send + Sync + 'static {
    /// Starts `target`; returns the job id. The one start every backend implements: the
    /// per-kind starts ([`run_script_by_path_async`](Self::run_script_by_path_async), ...) call
    /// it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use wmill_core::{InMemory, ItemPath, JobRunner, RunOptions, Runnable};
    ///
    /// let wm = InMemory::new();
    /// wm.register_script("f/jobs/hello", |_| async { Ok(serde_json::json!("hi")) })?;
    /// let hello = Runnable::ScriptPath(ItemPath::parse("f/jobs/hello")?);
    /// let id = wm.start(hello, Default::default(), &RunOptions::new()).await?;
    /// assert_eq!(wm.wait_job(&id, &Default::default()).await?, serde_json::json!("hi"));
    /// # Ok(()) }
    /// ```
    async fn start(&self, target: Runnable, args: Args, options: &RunOptions) -> Result<JobId>;

    /// Runs `target` and returns its result, as the contract says for synchronous runs; the
    /// per-kind runs ([`run_script_by_path`](Self::run_script_by_path), ...) call it. The
    /// default starts the job with [`start`](Self::start), then waits with
    /// [`wait_job`](Self::wait_job) and checks the result ([`RunOptions::check_result`]).
    async fn run(&self, target: Runnable, args: Args, options: &RunOptions) -> Result<Value> {
        let id = self.start(target, args, options).await?;
        let value = self.wait_job(&id, &options.wait).await?;
        options.check_result(&id, value)
    }

    /// Starts the script at `path`; returns the job id ([`start`](Self::start)).
    async fn run_script_by_path_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start(Runnable::ScriptPath(path.clone()), args, options)
            .await
    }

    /// Starts the script version with `hash`; returns the job id ([`start`](Self::start)).
    async fn run_script_by_hash_async(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start(Runnable::ScriptHash(hash.clone()), args, options)
            .await
    }

    /// Starts the flow at `path`; returns the job id ([`start`](Self::start)).
    async fn run_flow_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start(Runnable::Flow(path.clone()), args, options)
            .await
    }

    /// Starts the saved flow version `version` (`jobs/run/fv/{version}`); returns the job id
    /// ([`start`](Self::start)).
    async fn run_flow_by_version_async(
        &self,
        version: FlowVersion,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start(Runnable::FlowVersion(version), args, options)
            .await
    }

    /// Runs the script at `path` and returns its result ([`run`](Self::run)).
    async fn run_script_by_path(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.run(Runnable::ScriptPath(path.clone()), args, options)
            .await
    }

    /// Runs the script version with `hash` and returns its result ([`run`](Self::run)).
    async fn run_script_by_hash(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.run(Runnable::ScriptHash(hash.clone()), args, options)
            .await
    }

    /// Runs the flow at `path` and returns its result ([`run`](Self::run)).
    async fn run_flow(&self, path: &ItemPath, args: Args, options: &RunOptions) -> Result<Value> {
        self.run(Runnable::Flow(path.clone()), args, options).await
    }

    /// Runs the saved flow version `version` and returns its result ([`run`](Self::run)).
    async fn run_flow_by_version(
        &self,
        version: FlowVersion,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.run(Runnable::FlowVersion(version), args, options)
            .await
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
        unsupported("get_job_logs")
    }

    /// One incremental read of a job's log: what it wrote after the log offset `offset` (a
    /// count of characters, see [`crate::logs`]; `0` reads from the start), the offset to read
    /// from next, and whether the job has completed.
    ///
    /// The default implementation returns [`Error::Unsupported`].
    async fn get_log_update(&self, id: &JobId, offset: u64) -> Result<LogUpdate> {
        let _ = (id, offset);
        unsupported("get_log_update")
    }

    /// Follows a job's log from the log offset `offset` (`0`: from the start) until the job
    /// completes: each item is the text written since the previous one, the last one comes
    /// after the job completed, then the stream ends. No text is yielded twice; dropping the
    /// stream stops following. [`JobRunnerExt::job_logs`](crate::JobRunnerExt::job_logs) follows from the start.
    ///
    /// The default implementation yields one [`Error::Unsupported`].
    fn job_logs_from(&self, id: &JobId, offset: u64) -> BoxStream<'static, Result<LogChunk>> {
        let _ = (id, offset);
        Box::pin(futures_util::stream::once(futures_util::future::ready(
            unsupported("job_logs"),
        )))
    }

    /// The log of a flow and of every job it ran (its steps, loop iterations, branches and
    /// sub-flows), one after the other, each under a header line naming the step and its job
    /// (`=== Step a (Job: <id>) ===`), as the server formats it.
    ///
    /// The default implementation returns [`Error::Unsupported`].
    async fn get_flow_all_logs(&self, id: &JobId) -> Result<String> {
        let _ = id;
        unsupported("get_flow_all_logs")
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
        unsupported("get_job")
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
        unsupported("list_jobs_page")
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
        unsupported("cancel_job_in_background")
    }
}

/// What a provided method the backend does not override returns: [`Error::Unsupported`] of
/// `operation`.
fn unsupported<T>(operation: &'static str) -> Result<T> {
    Err(Error::Unsupported {
        operation,
        backend: "this backend",
    })
}
