//! [`JobHandle`] (a started job as a value) and [`JobGuard`] (one that cancels its job when
//! dropped).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::WaitOptions;
use crate::job::from_result;
use crate::{Error, JobId, JobRunner, JobStatus, Result};

use super::cancel_on_drop::background_cancel;

/// A started job: its id and the backend that runs it.
///
/// Returned by the `start_*` methods of [`StartJobs`](crate::StartJobs) (the `JobId`-returning `*_async`
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
#[derive(Clone, Debug)]
pub struct JobHandle {
    id: JobId,
    runner: Arc<dyn JobRunner>,
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
