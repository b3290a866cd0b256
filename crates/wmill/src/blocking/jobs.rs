//! Blocking jobs by path, hash or flow version: start, run, wait, result, status, cancel, the
//! typed job, logs, typed results.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wmill_core::{FlowVersion, Job, JobId, JobStatus, Result, WaitOptions};

use crate::JobRef;

blocking_runs! {
    (path: &str) {
        run_script_by_path_async, run_script_by_path_async_with -> JobId;
        run_script_by_path, run_script_by_path_with -> Value;
        run_flow_async, run_flow_async_with -> JobId;
        run_flow, run_flow_with -> Value;
    }

    (hash: &str) {
        run_script_by_hash_async, run_script_by_hash_async_with -> JobId;
        run_script_by_hash, run_script_by_hash_with -> Value;
    }

    (version: impl Into<FlowVersion> + Send) {
        run_flow_by_version_async, run_flow_by_version_async_with -> JobId;
        run_flow_by_version, run_flow_by_version_with -> Value;
    }
}

blocking! {
    /// Blocking [`crate::wait_job`].
    pub fn wait_job(job_id: impl JobRef + Send, timeout: Option<Duration>) -> Result<Value>;

    /// Blocking [`crate::wait_job_with`].
    pub fn wait_job_with(job_id: impl JobRef + Send, options: &WaitOptions) -> Result<Value>;

    /// Blocking [`crate::get_result`].
    pub fn get_result(job_id: impl JobRef + Send) -> Result<Value>;

    /// Blocking [`crate::get_job_status`].
    pub fn get_job_status(job_id: impl JobRef + Send) -> Result<JobStatus>;

    /// Blocking [`crate::cancel_job`].
    pub fn cancel_job(job_id: impl JobRef + Send, reason: Option<&str>) -> Result<()>;

    /// Blocking [`crate::get_job`].
    pub fn get_job(job_id: impl JobRef + Send) -> Result<Job>;

    /// Blocking [`crate::get_job_logs`].
    pub fn get_job_logs(job_id: impl JobRef + Send) -> Result<String>;

    /// Blocking [`crate::get_flow_all_logs`].
    pub fn get_flow_all_logs(job_id: impl JobRef + Send) -> Result<String>;

    /// Blocking [`crate::run_script_by_path_as`].
    ///
    /// ```
    /// use serde_json::json;
    /// use wmill::{Client, InMemory};
    ///
    /// let memory = InMemory::new();
    /// memory.register_script("f/math/double", |a| async move {
    ///     Ok(json!(a["n"].as_i64().unwrap_or(0) * 2))
    /// })?;
    /// let n: i64 = wmill::blocking::with_client(Client::new(memory), || {
    ///     wmill::blocking::run_script_by_path_as("f/math/double", &json!({"n": 21}))
    /// })?;
    /// assert_eq!(n, 42);
    /// # Ok::<(), wmill::Error>(())
    /// ```
    pub fn run_script_by_path_as<T: DeserializeOwned + Send>(
        path: &str,
        args: &(impl Serialize + ?Sized + Sync),
    ) -> Result<T>;

    /// Blocking [`crate::run_flow_as`].
    pub fn run_flow_as<T: DeserializeOwned + Send>(
        path: &str,
        args: &(impl Serialize + ?Sized + Sync),
    ) -> Result<T>;

    /// Blocking [`crate::wait_job_as`].
    pub fn wait_job_as<T: DeserializeOwned + Send>(
        job_id: impl JobRef + Send,
        timeout: Option<Duration>,
    ) -> Result<T>;

    /// Blocking [`crate::get_result_as`].
    pub fn get_result_as<T: DeserializeOwned + Send>(job_id: impl JobRef + Send) -> Result<T>;
}
