//! [`StartJobs`]: starting jobs as [`JobHandle`]s, one or a batch.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;

use crate::batch::{BatchJob, BatchOptions, BatchStream, run_batch};
use crate::to_args;
use crate::{ItemPath, JobId, JobRunner, Result, RunOptions, ScriptHash};

use super::job_handle::JobHandle;

/// One `start_*` method: serializes the arguments, starts the job with the [`JobRunner`] method
/// `$run` and returns a handle on it.
macro_rules! start_with {
    ($(#[$doc:meta])* $name:ident($target:ident: $ty:ty) => $run:ident) => {
        $(#[$doc])*
        fn $name<A>(
            &self,
            $target: $ty,
            args: &A,
            options: &RunOptions,
        ) -> impl Future<Output = Result<JobHandle>> + Send
        where
            A: Serialize + ?Sized + Sync,
        {
            let args = to_args(args);
            async move {
                let id = self.$run($target, args?, options).await?;
                Ok(self.job_handle(id))
            }
        }
    };
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
    start_with! {
        /// Starts the script at `path` ([`JobRunner::run_script_by_path_async`]) and returns a
        /// handle on the job.
        start_script_by_path(path: &ItemPath) => run_script_by_path_async
    }

    start_with! {
        /// Starts the script version with `hash` ([`JobRunner::run_script_by_hash_async`]) and
        /// returns a handle on the job.
        start_script_by_hash(hash: &ScriptHash) => run_script_by_hash_async
    }

    start_with! {
        /// Starts the flow at `path` ([`JobRunner::run_flow_async`]) and returns a handle on the
        /// job.
        start_flow(path: &ItemPath) => run_flow_async
    }

    start_with! {
        /// Starts the saved flow version `version` ([`JobRunner::run_flow_by_version_async`]) and
        /// returns a handle on the job.
        start_flow_by_version(version: crate::FlowVersion) => run_flow_by_version_async
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
