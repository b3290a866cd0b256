//! Jobs by path, hash or flow version: start, run, wait, result, status, cancel, the typed job,
//! typed results; [`JobRef`], what names a job.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wmill_core::{
    JobId, JobRunnerExt, JobStatus, Result, RunOptions, ScriptHash, WaitOptions, to_args,
};

use super::path;
use crate::global::client;

/// Anything that names a job: a [`JobId`] or its string form.
///
/// ```
/// use wmill::{JobId, JobRef};
///
/// let id = JobId::from_u128(1);
/// assert_eq!("00000000-0000-0000-0000-000000000001".to_job_id()?, id);
/// assert_eq!(id.to_job_id()?, id);
/// assert!("nope".to_job_id().is_err());
/// # Ok::<(), wmill::Error>(())
/// ```
pub trait JobRef {
    /// The job id, validated.
    fn to_job_id(&self) -> Result<JobId>;
}

impl JobRef for JobId {
    fn to_job_id(&self) -> Result<JobId> {
        Ok(*self)
    }
}

impl JobRef for &JobId {
    fn to_job_id(&self) -> Result<JobId> {
        Ok(**self)
    }
}

parsed_refs!(JobRef::to_job_id -> JobId = JobId::parse);

// ---------------------------------------------------------------- jobs

run_fns! {
    (path: &str) => runner(&self::path(path)?) {
        /// Starts a script by path; returns the job id. Python: `wmill.run_script_by_path_async(path, args)`.
        run_script_by_path_async,
        /// [`run_script_by_path_async`] with options (tag, schedule, caller-chosen id, parent job).
        run_script_by_path_async_with -> JobId;

        /// Runs a script by path and returns its result. Python: `wmill.run_script_by_path(path, args)`.
        run_script_by_path,
        /// [`run_script_by_path`] with options (`timeout`, `cleanup`, tag, ...).
        run_script_by_path_with -> Value;

        /// Starts a flow; returns the job id. Python: `wmill.run_flow_async(path, args)`.
        run_flow_async,
        /// [`run_flow_async`] with options.
        run_flow_async_with -> JobId;

        /// Runs a flow and returns its result (TypeScript's `runFlow`; Python combines
        /// `run_flow_async` and `wait_job`).
        run_flow,
        /// [`run_flow`] with options.
        run_flow_with -> Value;
    }

    (hash: &str) => runner(&ScriptHash::parse(hash)?) {
        /// Starts a script version by hash; returns the job id.
        /// Python: `wmill.run_script_by_hash_async(hash_, args)`.
        run_script_by_hash_async,
        /// [`run_script_by_hash_async`] with options.
        run_script_by_hash_async_with -> JobId;

        /// Runs a script version by hash and returns its result. Python: `wmill.run_script_by_hash(hash_, args)`.
        run_script_by_hash,
        /// [`run_script_by_hash`] with options.
        run_script_by_hash_with -> Value;
    }
}

/// Waits for a job and returns its result; with a `timeout` the job is canceled and
/// [`Error::Timeout`](crate::Error::Timeout) returned when it is reached. Python: `wmill.wait_job(job_id, timeout)`.
pub async fn wait_job(job_id: impl JobRef, timeout: Option<Duration>) -> Result<Value> {
    wait_job_with(job_id, &timeout_options(timeout)).await
}

/// [`wait_job`] with all the wait options.
pub async fn wait_job_with(job_id: impl JobRef, options: &WaitOptions) -> Result<Value> {
    let id = job_id.to_job_id()?;
    client()?.jobs()?.wait_job(&id, options).await
}

/// The result of a completed job (a failed job's error value, as data).
/// Python: `wmill.get_result(job_id)`.
pub async fn get_result(job_id: impl JobRef) -> Result<Value> {
    let id = job_id.to_job_id()?;
    client()?.jobs()?.get_result(&id).await
}

/// Whether a job is waiting, running or completed. Python: `wmill.get_job_status(job_id)`.
pub async fn get_job_status(job_id: impl JobRef) -> Result<JobStatus> {
    let id = job_id.to_job_id()?;
    client()?.jobs()?.get_job_status(&id).await
}

/// Cancels a job. Python: `wmill.cancel_job(job_id, reason)`.
pub async fn cancel_job(job_id: impl JobRef, reason: Option<&str>) -> Result<()> {
    let id = job_id.to_job_id()?;
    client()?
        .jobs()?
        .cancel_job(&id, reason.map(str::to_owned))
        .await
}

/// The job, typed: its state (queued, scheduled, running, suspended, success, failure, canceled
/// with who and why), timestamps, script, tag, worker, parent and root job, flow steps, result
/// once completed, and the server's JSON for the rest ([`Job::raw`](wmill_core::Job::raw)).
/// Python: `wmill.get_job(job_id)` (which returns the JSON).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// use serde_json::json;
/// use wmill::{Client, InMemory, JobState};
///
/// let backend = InMemory::new();
/// backend.register_script("f/jobs/hello", |_| async { Ok(json!("hi")) })?;
/// wmill::set_client(Client::new(backend));
///
/// let id = wmill::run_script_by_path_async("f/jobs/hello", &json!({})).await?;
/// let job = wmill::get_job(id).await?;
/// assert_eq!(job.state, JobState::Success);
/// assert_eq!(job.result(), Some(&json!("hi")));
/// # Ok(()) }
/// ```
pub async fn get_job(job_id: impl JobRef) -> Result<wmill_core::Job> {
    let id = job_id.to_job_id()?;
    client()?.jobs()?.get_job(&id).await
}

// ---------------------------------------------------------------- flows by version

run_fns! {
    (version: impl Into<wmill_core::FlowVersion>) => runner(version.into()) {
        /// Starts a saved version of a flow (`jobs/run/fv/{version}`); returns the job id.
        ///
        /// ```
        /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
        /// use serde_json::json;
        /// use wmill::{Client, FlowVersion, InMemory};
        ///
        /// let wm = InMemory::new();
        /// wm.register_flow_version(FlowVersion::new(3), |args| async move { Ok(json!({"got": args})) });
        /// wmill::set_client(Client::new(wm));
        /// let id = wmill::run_flow_by_version_async(3, &json!({"n": 1})).await?;
        /// assert_eq!(wmill::wait_job(id, None).await?, json!({"got": {"n": 1}}));
        /// # Ok(()) }
        /// ```
        run_flow_by_version_async,
        /// [`run_flow_by_version_async`] with options (the table on [`RunOptions`] says which the
        /// endpoint takes).
        run_flow_by_version_async_with -> JobId;

        /// Runs a saved version of a flow and returns its result.
        run_flow_by_version,
        /// [`run_flow_by_version`] with options.
        run_flow_by_version_with -> Value;
    }
}

// ---------------------------------------------------------------- typed results

/// Typed runs by path with the default options: the path checked, then the client's job
/// runner's method of the same name called.
macro_rules! typed_runs {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        pub async fn $name<T: DeserializeOwned>(
            path: &str,
            args: &(impl Serialize + ?Sized + Sync),
        ) -> Result<T> {
            let p = self::path(path)?;
            client()?.jobs()?.$name(&p, args, &RunOptions::new()).await
        }
    )*};
}

typed_runs! {
    /// [`run_script_by_path`] with the result deserialized into `T`; a result that does not fit
    /// `T` is [`Error::Decode`](crate::Error::Decode) naming the script.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
    /// use serde::Deserialize;
    /// use serde_json::json;
    /// use wmill::{Client, InMemory};
    ///
    /// #[derive(Deserialize)]
    /// struct Invoice { total: f64 }
    ///
    /// let memory = InMemory::new();
    /// memory.register_script("f/billing/invoice", |a| async move {
    ///     Ok(json!({ "total": a["items"].as_f64().unwrap_or(0.0) * 2.5 }))
    /// })?;
    /// wmill::with_client(Client::new(memory), async {
    ///     let invoice: Invoice = wmill::run_script_by_path_as("f/billing/invoice", &json!({"items": 4})).await?;
    ///     assert_eq!(invoice.total, 10.0);
    ///     Ok(())
    /// })
    /// .await
    /// # }
    /// ```
    run_script_by_path_as;

    /// [`run_flow`] with the result deserialized into `T`.
    run_flow_as;
}

/// [`wait_job`] with the result deserialized into `T`.
pub async fn wait_job_as<T: DeserializeOwned>(
    job_id: impl JobRef,
    timeout: Option<Duration>,
) -> Result<T> {
    let id = job_id.to_job_id()?;
    client()?
        .jobs()?
        .wait_job_as(&id, &timeout_options(timeout))
        .await
}

/// The wait options of [`wait_job`]: the default ones, with `timeout` if any.
fn timeout_options(timeout: Option<Duration>) -> WaitOptions {
    let options = WaitOptions::new();
    match timeout {
        Some(t) => options.timeout(t),
        None => options,
    }
}

/// [`get_result`] with the result deserialized into `T`.
pub async fn get_result_as<T: DeserializeOwned>(job_id: impl JobRef) -> Result<T> {
    let id = job_id.to_job_id()?;
    client()?.jobs()?.get_result_as(&id).await
}
