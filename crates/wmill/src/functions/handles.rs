//! Job handles and batches: start a job and keep a handle on it, run many at once.

use serde::Serialize;

use super::{
    JobRef, run_flow_async_with, run_script_by_hash_async_with, run_script_by_path_async_with,
};
use crate::global::client;
use wmill_core::{Result, RunOptions};

run_fns! {
    (path: &str) => handle(run_script_by_path_async_with) {
        /// Starts a script by path and returns a [`JobHandle`](wmill_core::JobHandle) on the job
        /// (`id`, `status`, `result`, `wait`, `cancel`, `cancel_on_drop`). The `JobId`-returning
        /// [`run_script_by_path_async`](crate::run_script_by_path_async) stays, as in the Python client.
        ///
        /// ```
        /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
        /// use serde_json::json;
        /// use wmill::{Client, InMemory, WaitOptions};
        ///
        /// let wm = InMemory::new();
        /// wm.register_script("f/etl/load", |args| async move { Ok(args["day"].clone()) })?;
        /// wmill::set_client(Client::new(wm));
        ///
        /// let job = wmill::start_script_by_path("f/etl/load", &json!({"day": 3})).await?;
        /// println!("started {}", job.id());
        /// assert_eq!(job.wait(&WaitOptions::new()).await?, json!(3));
        /// # Ok(()) }
        /// ```
        start_script_by_path,
        /// [`start_script_by_path`] with options.
        start_script_by_path_with -> wmill_core::JobHandle;
    }

    (hash: &str) => handle(run_script_by_hash_async_with) {
        /// Starts a script version by hash and returns a handle on the job.
        start_script_by_hash,
        /// [`start_script_by_hash`] with options.
        start_script_by_hash_with -> wmill_core::JobHandle;
    }

    (path: &str) => handle(run_flow_async_with) {
        /// Starts a flow and returns a handle on the job.
        start_flow,
        /// [`start_flow`] with options.
        start_flow_with -> wmill_core::JobHandle;
    }
}

/// A handle on an existing job, on the global client's backend.
///
/// ```
/// use wmill::{Client, InMemory};
///
/// wmill::set_client(Client::new(InMemory::new()));
/// let job = wmill::job_handle("00000000-0000-0000-0000-000000000007")?;
/// assert_eq!(job.id().to_string(), "00000000-0000-0000-0000-000000000007");
/// # Ok::<(), wmill::Error>(())
/// ```
pub fn job_handle(job_id: impl JobRef) -> Result<wmill_core::JobHandle> {
    let id = job_id.to_job_id()?;
    Ok(wmill_core::JobHandle::new(client()?.jobs()?.clone(), id))
}

/// Runs a batch of jobs on the global client's backend, at most `options.concurrency` at a
/// time, and streams each job's outcome as it completes, tagged with its position in the
/// input: see [`wmill_core::run_batch`]. Called on a Tokio runtime, each job's wait runs as a
/// task of that runtime unless the options name another
/// [`spawner`](wmill_core::BatchOptions::spawner).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// use futures::StreamExt;
/// use serde_json::json;
/// use wmill::{BatchJob, BatchOptions, Client, InMemory, ItemPath, to_args};
///
/// let wm = InMemory::new();
/// wm.register_script("f/math/inc", |args| async move { Ok(json!(args["n"].as_i64().unwrap_or(0) + 1)) })?;
/// wmill::set_client(Client::new(wm));
///
/// let path = ItemPath::parse("f/math/inc")?;
/// let mut jobs = Vec::new();
/// for n in 0..5 {
///     jobs.push(BatchJob::script_by_path(path.clone(), to_args(&json!({"n": n}))?));
/// }
/// let mut results = wmill::run_batch(jobs, &BatchOptions::new().concurrency(2))?;
/// while let Some(item) = results.next().await {
///     assert_eq!(item.result?, json!(item.index + 1));
/// }
/// # Ok(()) }
/// ```
pub fn run_batch<I>(jobs: I, options: &wmill_core::BatchOptions) -> Result<wmill_core::BatchStream>
where
    I: IntoIterator<Item = wmill_core::BatchJob>,
    I::IntoIter: Send + 'static,
{
    let runner = client()?.jobs()?.clone();
    #[cfg(any(feature = "http", feature = "blocking"))]
    if options.spawner.is_none()
        && let Ok(runtime) = tokio::runtime::Handle::try_current()
    {
        let options = options.clone().spawner(move |job| {
            runtime.spawn(job);
        });
        return wmill_core::run_batch_on(runner, jobs, &options);
    }
    wmill_core::run_batch_on(runner, jobs, options)
}
