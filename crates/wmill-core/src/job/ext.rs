//! [`JobRunnerExt`]: typed arguments and results on every [`JobRunner`].

use std::future::Future;

use futures_util::stream::BoxStream;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{AsItemPath, JobId, LogChunk, Result, ScriptHash};

use super::args::{from_result, to_args};
use super::options::RunOptions;
use super::runner::JobRunner;
use super::wait::WaitOptions;

/// A typed method over the [`JobRunner`] method `$run` that takes an item path: the path is
/// parsed and the arguments serialized before the call; `$finish` turns the call's output
/// (`$out`) into the method's (deserializes the result, for the `_as` methods).
macro_rules! run_by_path {
    (
        $(#[$doc:meta])*
        $name:ident<$($r:ident)?> -> $ret:ty => $run:ident, |$out:ident, $path:ident| $finish:expr
    ) => {
        $(#[$doc])*
        fn $name<'o, A $(, $r)?>(
            &self,
            path: &(impl AsItemPath + ?Sized),
            args: &A,
            options: impl Into<Option<&'o RunOptions>>,
        ) -> impl Future<Output = Result<$ret>> + Send
        where
            A: Serialize + ?Sized + Sync,
            $($r: DeserializeOwned,)?
        {
            let path = path.as_item_path();
            let args = to_args(args);
            let options = options.into();
            async move {
                let $path = path?;
                let default = RunOptions::new();
                let $out = self.$run(&$path, args?, options.unwrap_or(&default)).await?;
                $finish
            }
        }
    };
}

/// Typed helpers over any [`JobRunner`]: serializable arguments and deserialized results.
///
/// Implemented for every `JobRunner` (including `dyn JobRunner` and mocks). You MUST NOT
/// implement this trait yourself.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use serde::{Deserialize, Serialize};
/// use wmill_core::{InMemory, ItemPath, JobRunnerExt, RunOptions};
///
/// #[derive(Serialize)]
/// struct Add { a: i64, b: i64 }
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct Sum { sum: i64 }
///
/// let wm = InMemory::new();
/// wm.register_script("f/math/add", |args| async move {
///     let sum = args["a"].as_i64().unwrap_or(0) + args["b"].as_i64().unwrap_or(0);
///     Ok(serde_json::json!({ "sum": sum }))
/// })?;
/// let path = ItemPath::parse("f/math/add")?;
/// let out: Sum = wm.run_script_by_path_as(&path, &Add { a: 2, b: 3 }, &RunOptions::new()).await?;
/// assert_eq!(out, Sum { sum: 5 });
/// # Ok(()) }
/// ```
pub trait JobRunnerExt: JobRunner {
    run_by_path! {
        /// [`JobRunner::run_script_by_path`] with typed arguments and result. `path` is an
        /// [`ItemPath`](crate::ItemPath) or a string (`"f/billing/total"`); `options` is `&RunOptions` or `None`
        /// for the defaults.
        run_script_by_path_as<R> -> R => run_script_by_path, |value, path| from_result(value, path.as_str())
    }

    /// [`JobRunner::run_script_by_hash`] with typed arguments and result; `options` is
    /// `&RunOptions` or `None`.
    fn run_script_by_hash_as<'o, A, R>(
        &self,
        hash: &ScriptHash,
        args: &A,
        options: impl Into<Option<&'o RunOptions>>,
    ) -> impl Future<Output = Result<R>> + Send
    where
        A: Serialize + ?Sized + Sync,
        R: DeserializeOwned,
    {
        let args = to_args(args);
        let options = options.into();
        async move {
            let default = RunOptions::new();
            let value = self
                .run_script_by_hash(hash, args?, options.unwrap_or(&default))
                .await?;
            from_result(value, hash.as_str())
        }
    }

    run_by_path! {
        /// [`JobRunner::run_flow`] with typed arguments and result. `path` is an [`ItemPath`](crate::ItemPath) or a
        /// string; `options` is `&RunOptions` or `None`.
        run_flow_as<R> -> R => run_flow, |value, path| from_result(value, path.as_str())
    }

    run_by_path! {
        /// [`JobRunner::run_script_by_path_async`] with typed arguments. `path` is an
        /// [`ItemPath`](crate::ItemPath) or a string; `options` is `&RunOptions` or `None`.
        run_script_by_path_async_with<> -> JobId => run_script_by_path_async, |id, _path| Ok(id)
    }

    /// Follows a job's log from the start until the job completes: [`JobRunner::job_logs_from`]
    /// with offset 0.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use futures::TryStreamExt;
    /// use wmill_core::{InMemory, ItemPath, JobLog, JobRunner, JobRunnerExt, RunOptions};
    ///
    /// let wm = InMemory::new();
    /// wm.register_script("f/etl/load", |_args| async move {
    ///     if let Some(log) = JobLog::current() {
    ///         log.line("step 1");
    ///         log.line("step 2");
    ///     }
    ///     Ok(serde_json::json!(null))
    /// })?;
    /// let id = wm
    ///     .run_script_by_path_async(&ItemPath::parse("f/etl/load")?, Default::default(), &RunOptions::new())
    ///     .await?;
    /// let text: String = wm.job_logs(&id).map_ok(|chunk| chunk.text).try_collect().await?;
    /// assert_eq!(text, "step 1\nstep 2\n");
    /// # Ok(()) }
    /// ```
    fn job_logs(&self, id: &JobId) -> BoxStream<'static, Result<LogChunk>> {
        self.job_logs_from(id, 0)
    }

    /// [`JobRunner::wait_job`] with a typed result; `options` is `&WaitOptions` or `None`
    /// (wait without a timeout).
    fn wait_job_as<'o, R>(
        &self,
        id: &JobId,
        options: impl Into<Option<&'o WaitOptions>>,
    ) -> impl Future<Output = Result<R>> + Send
    where
        R: DeserializeOwned,
    {
        let options = options.into();
        async move {
            let default = WaitOptions::new();
            let value = self.wait_job(id, options.unwrap_or(&default)).await?;
            from_result(value, &format!("job {id}"))
        }
    }

    /// [`JobRunner::get_result`] with a typed result. A value that does not fit `R` is
    /// [`Error::Decode`](crate::Error::Decode) naming the job.
    fn get_result_as<R>(&self, id: &JobId) -> impl Future<Output = Result<R>> + Send
    where
        R: DeserializeOwned,
    {
        async move {
            let value = self.get_result(id).await?;
            from_result(value, &format!("job {id}"))
        }
    }
}

impl<T: JobRunner + ?Sized> JobRunnerExt for T {}
