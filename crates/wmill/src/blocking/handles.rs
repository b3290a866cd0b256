//! Blocking job handles and batches.

use futures::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wmill_core::{
    BatchItem, BatchJob, BatchOptions, BatchStream, JobId, JobStatus, Result, WaitOptions,
};

use super::runtime::{block_on, run, runtime};
use crate::JobRef;

blocking_runs! {
    (path: &str) {
        /// ```
        /// use serde_json::json;
        /// use wmill::{Client, InMemory, WaitOptions};
        ///
        /// let wm = InMemory::new();
        /// wm.register_script("f/etl/load", |args| async move { Ok(args["day"].clone()) })?;
        /// wmill::set_client(Client::new(wm));
        ///
        /// let job = wmill::blocking::start_script_by_path("f/etl/load", &json!({"day": 3}))?;
        /// assert_eq!(job.wait(&WaitOptions::new())?, json!(3));
        /// assert!(job.status()?.is_completed());
        /// # Ok::<(), wmill::Error>(())
        /// ```
        start_script_by_path, start_script_by_path_with -> JobHandle => JobHandle::from;
        start_flow, start_flow_with -> JobHandle => JobHandle::from;
    }

    (hash: &str) {
        start_script_by_hash, start_script_by_hash_with -> JobHandle => JobHandle::from;
    }
}

/// Blocking [`crate::job_handle`].
pub fn job_handle(job_id: impl JobRef) -> Result<JobHandle> {
    crate::job_handle(job_id).map(JobHandle::from)
}

/// A [`JobHandle`](wmill_core::JobHandle) whose calls block: each runs on the runtime of
/// this module.
#[derive(Debug, Clone)]
pub struct JobHandle {
    inner: wmill_core::JobHandle,
}

impl From<wmill_core::JobHandle> for JobHandle {
    fn from(inner: wmill_core::JobHandle) -> Self {
        JobHandle { inner }
    }
}

impl JobHandle {
    /// The async handle on the same job.
    pub fn into_async(self) -> wmill_core::JobHandle {
        self.inner
    }

    /// The job's id.
    pub fn id(&self) -> JobId {
        self.inner.id()
    }

    /// Blocking [`JobHandle::status`](wmill_core::JobHandle::status).
    pub fn status(&self) -> Result<JobStatus> {
        block_on(self.inner.status())
    }

    /// Blocking [`JobHandle::result`](wmill_core::JobHandle::result).
    pub fn result(&self) -> Result<Value> {
        block_on(self.inner.result())
    }

    /// Blocking [`JobHandle::wait`](wmill_core::JobHandle::wait).
    pub fn wait(&self, options: &WaitOptions) -> Result<Value> {
        block_on(self.inner.wait(options))
    }

    /// Blocking [`JobHandle::wait_as`](wmill_core::JobHandle::wait_as).
    pub fn wait_as<R: DeserializeOwned + Send>(&self, options: &WaitOptions) -> Result<R> {
        block_on(self.inner.wait_as(options))
    }

    /// Blocking [`JobHandle::cancel`](wmill_core::JobHandle::cancel).
    pub fn cancel(&self, reason: &str) -> Result<()> {
        block_on(self.inner.cancel(reason))
    }

    /// Blocking [`JobHandle::cancel_on_drop`](wmill_core::JobHandle::cancel_on_drop): the
    /// drop of the guard sends the cancel before it returns (bounded in time).
    pub fn cancel_on_drop(self, reason: impl Into<String>) -> JobGuard {
        JobGuard {
            inner: self.inner.cancel_on_drop(reason),
        }
    }
}

/// A [`JobGuard`](wmill_core::JobGuard) whose calls block.
#[derive(Debug)]
pub struct JobGuard {
    inner: wmill_core::JobGuard,
}

impl JobGuard {
    /// The job's id.
    pub fn id(&self) -> JobId {
        self.inner.id()
    }

    /// Whether dropping the guard would cancel the job.
    pub fn is_armed(&self) -> bool {
        self.inner.is_armed()
    }

    /// Blocking [`JobGuard::status`](wmill_core::JobGuard::status).
    pub fn status(&self) -> Result<JobStatus> {
        block_on(self.inner.status())
    }

    /// Blocking [`JobGuard::wait`](wmill_core::JobGuard::wait).
    pub fn wait(&self, options: &WaitOptions) -> Result<Value> {
        block_on(self.inner.wait(options))
    }

    /// Blocking [`JobGuard::cancel`](wmill_core::JobGuard::cancel).
    pub fn cancel(&self, reason: &str) -> Result<()> {
        block_on(self.inner.cancel(reason))
    }

    /// Gives the handle back; the job is no longer canceled on drop.
    pub fn disarm(self) -> JobHandle {
        JobHandle::from(self.inner.disarm())
    }
}

/// Blocking [`crate::run_batch`]: an iterator over the outcomes, in completion order; each
/// `next` waits for the next job to complete. The jobs run on the runtime of this module,
/// also between two calls of `next`.
///
/// ```
/// use serde_json::json;
/// use wmill::{BatchJob, BatchOptions, Client, InMemory, ItemPath, to_args};
///
/// let wm = InMemory::new();
/// wm.register_script("f/math/inc", |a| async move { Ok(json!(a["n"].as_i64().unwrap_or(0) + 1)) })?;
/// wmill::set_client(Client::new(wm));
/// let path = ItemPath::parse("f/math/inc")?;
/// let jobs: Vec<_> = (0..4)
///     .map(|n| BatchJob::script_by_path(path.clone(), to_args(&json!({"n": n})).unwrap_or_default()))
///     .collect();
/// let mut total = 0;
/// for item in wmill::blocking::run_batch(jobs, &BatchOptions::new())? {
///     total += item.into_result_as::<i64>()?;
/// }
/// assert_eq!(total, 1 + 2 + 3 + 4);
/// # Ok::<(), wmill::Error>(())
/// ```
pub fn run_batch<I>(jobs: I, options: &BatchOptions) -> Result<BatchIter>
where
    I: IntoIterator<Item = BatchJob>,
    I::IntoIter: Send + 'static,
{
    // The jobs progress on the runtime of this module between two `next`.
    let runtime = runtime()?.handle().clone();
    let options = options.clone().spawner(move |job| {
        runtime.spawn(job);
    });
    Ok(BatchIter {
        stream: Some(crate::run_batch(jobs, &options)?),
    })
}

/// The outcomes of a batch, without `async`: see [`run_batch`]. Dropping it drops the
/// waits in flight (their jobs are canceled as their `cancel_on_drop` option says).
#[derive(Debug)]
pub struct BatchIter {
    /// `None` once the batch ended.
    stream: Option<BatchStream>,
}

impl Iterator for BatchIter {
    type Item = BatchItem;

    fn next(&mut self) -> Option<BatchItem> {
        // (An error here means the runtime, checked when the batch was made, is gone: the
        // batch is gone with it.)
        let item = run(self.stream.as_mut()?.next()).ok().flatten();
        if item.is_none() {
            self.stream = None;
        }
        item
    }
}
