//! Jobs as values: [`JobHandle`], the guards that cancel a job when dropped ([`JobGuard`],
//! [`CancelOnDrop`]) and [`StartJobs`], which starts jobs as handles.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::batch::{BatchJob, BatchOptions, BatchStream, run_batch};
use crate::job::from_result;
use crate::{Error, ItemPath, JobId, JobRunner, JobStatus, Result, RunOptions, ScriptHash};
use crate::{WaitOptions, to_args};

/// The reason of the cancel sent when a synchronous run or a wait is dropped before it
/// completes ([`WaitOptions::cancel_on_drop`]), as the Python client's `cleanup` sends it.
pub const CANCEL_ON_DROP_REASON: &str = "parent job cancelled";

/// A started job: its id and the backend that runs it.
///
/// Returned by the `start_*` methods of [`StartJobs`] (the `JobId`-returning `*_async`
/// methods stay, as in the Python client). Cheap to clone; a clone names the same job.
/// Dropping a handle leaves the job running; [`cancel_on_drop`](Self::cancel_on_drop) turns
/// it into a [`JobGuard`] that cancels the job unless it completed.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use serde_json::json;
/// use wmill_core::{InMemory, ItemPath, JobStatus, RunOptions, StartJobs, WaitOptions};
///
/// let wm = InMemory::new();
/// wm.register_script("f/math/double", |args| async move {
///     Ok(json!(args["n"].as_i64().unwrap_or(0) * 2))
/// })?;
/// let job = wm
///     .start_script_by_path(&ItemPath::parse("f/math/double")?, &json!({"n": 21}), &RunOptions::new())
///     .await?;
/// println!("started {}", job.id());
/// let doubled: i64 = job.wait_as(&WaitOptions::new()).await?;
/// assert_eq!(doubled, 42);
/// assert_eq!(job.status().await?, JobStatus::Completed { success: true });
/// assert_eq!(job.result().await?, json!(42));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct JobHandle {
    runner: Arc<dyn JobRunner>,
    id: JobId,
}

impl fmt::Debug for JobHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobHandle")
            .field("id", &self.id)
            .field("runner", &self.runner)
            .finish()
    }
}

impl JobHandle {
    /// A handle on the job `id` of `runner` (a job started elsewhere, say).
    pub fn new(runner: Arc<dyn JobRunner>, id: JobId) -> Self {
        JobHandle { runner, id }
    }

    /// The job's id.
    pub fn id(&self) -> JobId {
        self.id
    }

    /// The backend that runs the job.
    pub fn runner(&self) -> &Arc<dyn JobRunner> {
        &self.runner
    }

    /// Whether the job is waiting, running or completed ([`JobRunner::get_job_status`]).
    pub async fn status(&self) -> Result<JobStatus> {
        self.runner.get_job_status(&self.id).await
    }

    /// The result of the completed job, its error value if it failed
    /// ([`JobRunner::get_result`]); a job that has not completed is [`Error::NotFound`].
    pub async fn result(&self) -> Result<Value> {
        self.runner.get_result(&self.id).await
    }

    /// [`result`](Self::result), deserialized into `R`.
    pub async fn result_as<R: DeserializeOwned>(&self) -> Result<R> {
        let value = self.result().await?;
        from_result(value, &self.id.to_string())
    }

    /// Waits for the job and returns its result ([`JobRunner::wait_job`]): a failed job is
    /// [`Error::JobFailed`], an expired timeout [`Error::Timeout`]. With
    /// [`WaitOptions::cancel_on_drop`] (the default), dropping this future before it returns
    /// cancels the job.
    pub async fn wait(&self, options: &WaitOptions) -> Result<Value> {
        self.runner.wait_job(&self.id, options).await
    }

    /// [`wait`](Self::wait), deserialized into `R`.
    pub async fn wait_as<R: DeserializeOwned>(&self, options: &WaitOptions) -> Result<R> {
        let value = self.wait(options).await?;
        from_result(value, &self.id.to_string())
    }

    /// Cancels the job with `reason` ([`JobRunner::cancel_job`]).
    pub async fn cancel(&self, reason: &str) -> Result<()> {
        self.runner
            .cancel_job(&self.id, Some(reason.to_owned()))
            .await
    }

    /// The job's log, followed until the job completes ([`JobRunner::job_logs_from`] from the
    /// start): each item is the text written since the previous one, none is downloaded twice.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use futures::TryStreamExt;
    /// use serde_json::json;
    /// use wmill_core::{InMemory, ItemPath, JobLog, RunOptions, StartJobs};
    ///
    /// let wm = InMemory::new();
    /// wm.register_script("f/etl/load", |_| async move {
    ///     if let Some(log) = JobLog::current() {
    ///         log.line("loaded 3 rows");
    ///     }
    ///     Ok(json!(3))
    /// })?;
    /// let job = wm
    ///     .start_script_by_path(&ItemPath::parse("f/etl/load")?, &json!({}), &RunOptions::new())
    ///     .await?;
    /// let text: String = job.logs().map_ok(|chunk| chunk.text).try_collect().await?;
    /// assert_eq!(text, "loaded 3 rows\n");
    /// # Ok(()) }
    /// ```
    pub fn logs(&self) -> crate::LogStream {
        self.runner.job_logs_from(&self.id, 0)
    }

    /// The whole log so far ([`JobRunner::get_job_logs`]).
    pub async fn get_logs(&self) -> Result<String> {
        self.runner.get_job_logs(&self.id).await
    }

    /// A guard that cancels the job with `reason` when dropped before the job completed.
    ///
    /// The guard knows the job completed when one of its own calls saw it ([`JobGuard::wait`],
    /// [`JobGuard::result`], [`JobGuard::status`], [`JobGuard::cancel`]); otherwise dropping
    /// it sends a cancel, best effort and in the background
    /// ([`JobRunner::cancel_job_in_background`]), which the server ignores for a job that has
    /// completed meanwhile. [`JobGuard::disarm`] gives the handle back without canceling.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use serde_json::json;
    /// use wmill_core::{InMemory, ItemPath, JobStatus, RunOptions, StartJobs};
    ///
    /// let wm = InMemory::new();
    /// wm.register_script("f/etl/slow", |_| async move {
    ///     futures::future::pending::<()>().await; // never ends on its own
    ///     Ok(json!(null))
    /// })?;
    /// let path = ItemPath::parse("f/etl/slow")?;
    /// let job = wm.start_script_by_path(&path, &json!({}), &RunOptions::new()).await?;
    /// let handle = job.clone();
    /// {
    ///     let _guard = job.cancel_on_drop("request aborted");
    ///     // ... an early return or an error here drops the guard ...
    /// }
    /// assert_eq!(handle.status().await?, JobStatus::Completed { success: false });
    /// # Ok(()) }
    /// ```
    pub fn cancel_on_drop(self, reason: impl Into<String>) -> JobGuard {
        JobGuard {
            handle: self,
            reason: reason.into(),
            armed: AtomicBool::new(true),
        }
    }
}

/// A [`JobHandle`] that cancels its job when dropped before the job completed: see
/// [`JobHandle::cancel_on_drop`].
///
/// Its calls disarm it as soon as they see the job completed: [`wait`](Self::wait) once it
/// returns the job's outcome (or a timeout that canceled the job), [`result`](Self::result)
/// once it returns one, [`status`](Self::status) once it reads "completed", and
/// [`cancel`](Self::cancel) once the cancel went through.
pub struct JobGuard {
    handle: JobHandle,
    reason: String,
    armed: AtomicBool,
}

impl fmt::Debug for JobGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobGuard")
            .field("id", &self.handle.id)
            .field("reason", &self.reason)
            .field("armed", &self.is_armed())
            .finish()
    }
}

impl JobGuard {
    /// The job's id.
    pub fn id(&self) -> JobId {
        self.handle.id
    }

    /// The job's handle (its calls do not disarm the guard).
    pub fn handle(&self) -> &JobHandle {
        &self.handle
    }

    /// Whether dropping the guard would cancel the job.
    pub fn is_armed(&self) -> bool {
        self.armed.load(Ordering::SeqCst)
    }

    /// Gives the handle back; the job is no longer canceled on drop.
    pub fn disarm(self) -> JobHandle {
        self.armed.store(false, Ordering::SeqCst);
        self.handle.clone()
    }

    /// [`JobHandle::status`]; a completed job disarms the guard.
    pub async fn status(&self) -> Result<JobStatus> {
        let status = self.handle.status().await?;
        if status.is_completed() {
            self.armed.store(false, Ordering::SeqCst);
        }
        Ok(status)
    }

    /// [`JobHandle::result`]; a result disarms the guard (the job completed).
    pub async fn result(&self) -> Result<Value> {
        let result = self.handle.result().await?;
        self.armed.store(false, Ordering::SeqCst);
        Ok(result)
    }

    /// [`JobHandle::wait`]; the job's outcome (its result or [`Error::JobFailed`]) disarms the
    /// guard, and so does a timeout that canceled the job. Other errors leave it armed.
    pub async fn wait(&self, options: &WaitOptions) -> Result<Value> {
        let outcome = self.handle.wait(options).await;
        let completed = match &outcome {
            Ok(_) | Err(Error::JobFailed { .. }) => true,
            Err(Error::Timeout { .. }) => options.cancel_on_timeout,
            Err(_) => false,
        };
        if completed {
            self.armed.store(false, Ordering::SeqCst);
        }
        outcome
    }

    /// [`wait`](Self::wait), deserialized into `R`.
    pub async fn wait_as<R: DeserializeOwned>(&self, options: &WaitOptions) -> Result<R> {
        let value = self.wait(options).await?;
        from_result(value, &self.handle.id.to_string())
    }

    /// [`JobHandle::cancel`]; a cancel that went through disarms the guard.
    pub async fn cancel(&self, reason: &str) -> Result<()> {
        self.handle.cancel(reason).await?;
        self.armed.store(false, Ordering::SeqCst);
        Ok(())
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        if self.armed.load(Ordering::SeqCst) {
            background_cancel(&*self.handle.runner, &self.handle.id, &self.reason);
        }
    }
}

/// Cancels a job when dropped, unless disarmed: the building block of
/// [`WaitOptions::cancel_on_drop`], for backends and for your own waits.
///
/// `P` is anything that dereferences to a [`JobRunner`]: `&InMemory`, `&Windmill`,
/// `Arc<dyn JobRunner>`. The drop calls [`JobRunner::cancel_job_in_background`] (best
/// effort, bounded in time, never blocking for long).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use serde_json::json;
/// use wmill_core::{CancelOnDrop, InMemory, ItemPath, JobRunner, JobStatus, RunOptions, WaitOptions};
///
/// async fn wait_or_cancel(wm: &InMemory, id: wmill_core::JobId) -> wmill_core::Result<serde_json::Value> {
///     let guard = CancelOnDrop::new(wm, id).reason("caller went away");
///     let out = wm.wait_job(&id, &WaitOptions::new().cancel_on_drop(false)).await;
///     guard.disarm(); // returned: nothing to cancel
///     out
/// }
///
/// let wm = InMemory::new();
/// wm.register_script("f/x/forever", |_| async move {
///     futures::future::pending::<()>().await;
///     Ok(json!(null))
/// })?;
/// let id = wm
///     .run_script_by_path_async(&ItemPath::parse("f/x/forever")?, Default::default(), &RunOptions::new())
///     .await?;
/// // A wait abandoned after 10 ms: the guard cancels the job.
/// let abandoned = tokio::time::timeout(std::time::Duration::from_millis(10), wait_or_cancel(&wm, id)).await;
/// assert!(abandoned.is_err());
/// assert_eq!(wm.get_job_status(&id).await?, JobStatus::Completed { success: false });
/// # Ok(()) }
/// ```
pub struct CancelOnDrop<P>
where
    P: Deref,
    P::Target: JobRunner,
{
    runner: P,
    id: JobId,
    reason: Cow<'static, str>,
    armed: bool,
}

impl<P> fmt::Debug for CancelOnDrop<P>
where
    P: Deref,
    P::Target: JobRunner,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelOnDrop")
            .field("id", &self.id)
            .field("reason", &self.reason)
            .field("armed", &self.armed)
            .finish()
    }
}

impl<P> CancelOnDrop<P>
where
    P: Deref,
    P::Target: JobRunner,
{
    /// An armed guard over the job `id`, with the reason [`CANCEL_ON_DROP_REASON`].
    pub fn new(runner: P, id: JobId) -> Self {
        CancelOnDrop {
            runner,
            id,
            reason: Cow::Borrowed(CANCEL_ON_DROP_REASON),
            armed: true,
        }
    }

    /// Sets the reason of the cancel.
    #[must_use]
    pub fn reason(mut self, reason: impl Into<Cow<'static, str>>) -> Self {
        self.reason = reason.into();
        self
    }

    /// Arms or disarms the guard (for example with [`WaitOptions::cancel_on_drop`]).
    #[must_use]
    pub fn armed(mut self, armed: bool) -> Self {
        self.armed = armed;
        self
    }

    /// The job's id.
    pub fn id(&self) -> JobId {
        self.id
    }

    /// Drops the guard without canceling.
    pub fn disarm(mut self) {
        self.armed = false;
    }
}

impl<P> Drop for CancelOnDrop<P>
where
    P: Deref,
    P::Target: JobRunner,
{
    fn drop(&mut self) {
        if self.armed {
            background_cancel(&*self.runner, &self.id, &self.reason);
        }
    }
}

fn background_cancel<R: JobRunner + ?Sized>(runner: &R, id: &JobId, reason: &str) {
    tracing::debug!(job_id = %id, reason, "canceling a job whose waiter went away");
    if let Err(e) = runner.cancel_job_in_background(id, reason) {
        tracing::debug!(job_id = %id, error = %e, "could not cancel the job on drop");
    }
}

/// Starting jobs as [`JobHandle`]s, and batches of jobs, on any backend that is cheap to
/// clone ([`InMemory`](crate::InMemory), the HTTP backend, `Arc<dyn JobRunner>`).
///
/// Implemented for every `JobRunner + Clone`. You MUST NOT implement this trait yourself.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use serde_json::json;
/// use wmill_core::{InMemory, ItemPath, RunOptions, StartJobs, WaitOptions};
///
/// let wm = InMemory::new();
/// wm.register_flow("f/etl/pipeline", |args| async move { Ok(args["items"].clone()) })?;
/// let flow = wm
///     .start_flow(&ItemPath::parse("f/etl/pipeline")?, &json!({"items": [1, 2]}), &RunOptions::new())
///     .await?;
/// // Later, maybe elsewhere: a handle from the id alone.
/// let again = wm.job_handle(flow.id());
/// assert_eq!(again.wait(&WaitOptions::new()).await?, json!([1, 2]));
/// # Ok(()) }
/// ```
pub trait StartJobs: JobRunner + Clone {
    /// Starts the script at `path` ([`JobRunner::run_script_by_path_async`]) and returns a
    /// handle on the job.
    fn start_script_by_path<A>(
        &self,
        path: &ItemPath,
        args: &A,
        options: &RunOptions,
    ) -> impl Future<Output = Result<JobHandle>> + Send
    where
        A: Serialize + ?Sized + Sync,
    {
        let args = to_args(args);
        async move {
            let id = self.run_script_by_path_async(path, args?, options).await?;
            Ok(self.job_handle(id))
        }
    }

    /// Starts the script version with `hash` ([`JobRunner::run_script_by_hash_async`]) and
    /// returns a handle on the job.
    fn start_script_by_hash<A>(
        &self,
        hash: &ScriptHash,
        args: &A,
        options: &RunOptions,
    ) -> impl Future<Output = Result<JobHandle>> + Send
    where
        A: Serialize + ?Sized + Sync,
    {
        let args = to_args(args);
        async move {
            let id = self.run_script_by_hash_async(hash, args?, options).await?;
            Ok(self.job_handle(id))
        }
    }

    /// Starts the flow at `path` ([`JobRunner::run_flow_async`]) and returns a handle on the
    /// job.
    fn start_flow<A>(
        &self,
        path: &ItemPath,
        args: &A,
        options: &RunOptions,
    ) -> impl Future<Output = Result<JobHandle>> + Send
    where
        A: Serialize + ?Sized + Sync,
    {
        let args = to_args(args);
        async move {
            let id = self.run_flow_async(path, args?, options).await?;
            Ok(self.job_handle(id))
        }
    }

    /// Starts the saved flow version `version` ([`JobRunner::run_flow_by_version_async`]) and
    /// returns a handle on the job.
    fn start_flow_by_version<A>(
        &self,
        version: crate::FlowVersion,
        args: &A,
        options: &RunOptions,
    ) -> impl Future<Output = Result<JobHandle>> + Send
    where
        A: Serialize + ?Sized + Sync,
    {
        let args = to_args(args);
        async move {
            let id = self
                .run_flow_by_version_async(version, args?, options)
                .await?;
            Ok(self.job_handle(id))
        }
    }

    /// A handle on the job `id` of this backend.
    fn job_handle(&self, id: JobId) -> JobHandle {
        JobHandle::new(Arc::new(self.clone()), id)
    }

    /// Runs `jobs` with at most `options.concurrency` at a time; see [`run_batch`].
    fn run_batch<I>(&self, jobs: I, options: &BatchOptions) -> Result<BatchStream>
    where
        I: IntoIterator<Item = BatchJob>,
        I::IntoIter: Send + 'static,
    {
        run_batch(self.clone(), jobs, options)
    }
}

impl<T: JobRunner + Clone> StartJobs for T {}
