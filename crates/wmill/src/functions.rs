//! Module-level functions with the Python client's names, on the global [`Client`](crate::Client).

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wmill_core::{
    Error, ItemKind, ItemPath, JobId, JobRunnerExt, JobStatus, ListResources, ListVariables,
    ResourceInfo, Result, RunOptions, ScriptHash, SetVariableOptions, VariableInfo, WaitOptions,
    to_args,
};

use crate::client::client;

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

impl JobRef for str {
    fn to_job_id(&self) -> Result<JobId> {
        JobId::parse(self)
    }
}

impl JobRef for &str {
    fn to_job_id(&self) -> Result<JobId> {
        JobId::parse(self)
    }
}

impl JobRef for String {
    fn to_job_id(&self) -> Result<JobId> {
        JobId::parse(self)
    }
}

fn path(p: &str) -> Result<ItemPath> {
    ItemPath::parse(p)
}

// ---------------------------------------------------------------- variables

/// The value of a variable (`var://` prefix accepted). Python: `wmill.get_variable(path)`.
pub async fn get_variable(path: &str) -> Result<String> {
    let p = ItemPath::parse_variable_ref(path)?;
    client()?.variables()?.get_variable(&p).await
}

/// Creates or updates a variable; `is_secret` applies on creation.
/// Python: `wmill.set_variable(path, value, is_secret=False)`.
pub async fn set_variable(path: &str, value: &str, is_secret: bool) -> Result<()> {
    let p = ItemPath::parse_variable_ref(path)?;
    client()?
        .variables()?
        .set_variable(&p, value, &SetVariableOptions::new().secret(is_secret))
        .await
}

/// Deletes a variable.
pub async fn delete_variable(path: &str) -> Result<()> {
    let p = ItemPath::parse_variable_ref(path)?;
    client()?.variables()?.delete_variable(&p).await
}

/// Lists variables (one page).
pub async fn list_variables(options: &ListVariables) -> Result<Vec<VariableInfo>> {
    client()?.variables()?.list_variables(options).await
}

// ---------------------------------------------------------------- resources

/// The interpolated value of a resource (`$res:` / `res://` prefixes accepted).
/// Python: `wmill.get_resource(path)`.
pub async fn get_resource(path: &str) -> Result<Value> {
    let p = ItemPath::parse_resource_ref(path)?;
    client()?.resources()?.get_resource(&p).await
}

/// A resource deserialized into `T`.
pub async fn get_resource_as<T: DeserializeOwned>(path: &str) -> Result<T> {
    let value = get_resource(path).await?;
    T::deserialize(&value).map_err(|e| Error::decode_secret(format!("resource {path}"), &value, e))
}

/// A resource, or `None` when it does not exist. Python: `get_resource(path, none_if_undefined=True)`
/// (which also hid other errors; this returns them, including a missing variable or resource
/// that the resource refers to, when the backend tells them apart).
pub async fn get_resource_opt(path: &str) -> Result<Option<Value>> {
    match get_resource(path).await {
        Ok(v) => Ok(Some(v)),
        Err(Error::NotFound {
            kind: ItemKind::Resource,
            ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates or updates a resource. Python: `wmill.set_resource(path, value, resource_type="any")`.
pub async fn set_resource<T: Serialize + ?Sized + Sync>(
    path: &str,
    value: &T,
    resource_type: &str,
) -> Result<()> {
    let p = ItemPath::parse_resource_ref(path)?;
    let value = serde_json::to_value(value).map_err(|e| {
        Error::invalid(
            "resource value",
            format!("could not serialize the value for {p}: {e}"),
        )
    })?;
    client()?
        .resources()?
        .set_resource(&p, &value, resource_type)
        .await
}

/// Deletes a resource.
pub async fn delete_resource(path: &str) -> Result<()> {
    let p = ItemPath::parse_resource_ref(path)?;
    client()?.resources()?.delete_resource(&p).await
}

/// Lists resources, optionally of one type (one page). Python: `wmill.list_resources(resource_type)`.
pub async fn list_resources(resource_type: Option<&str>) -> Result<Vec<ResourceInfo>> {
    let mut options = ListResources::new();
    if let Some(t) = resource_type {
        options = options.resource_type(t);
    }
    list_resources_with(&options).await
}

/// Lists resources with filters and paging.
pub async fn list_resources_with(options: &ListResources) -> Result<Vec<ResourceInfo>> {
    client()?.resources()?.list_resources(options).await
}

// ---------------------------------------------------------------- state

/// The script's state, `None` on the first run. Python: `wmill.get_state()`.
pub async fn get_state() -> Result<Option<Value>> {
    client()?.state()?.get_state().await
}

/// The script's state deserialized into `T`, `None` on the first run.
pub async fn get_state_as<T: DeserializeOwned>() -> Result<Option<T>> {
    match get_state().await? {
        None => Ok(None),
        Some(v) => T::deserialize(&v)
            .map(Some)
            .map_err(|e| Error::decode_secret("state", &v, e)),
    }
}

/// Replaces the script's state. Python: `wmill.set_state(value)`.
pub async fn set_state<T: Serialize + ?Sized + Sync>(value: &T) -> Result<()> {
    let value = to_json(value, "state")?;
    client()?.state()?.set_state(&value).await
}

/// The state at an explicit path. Python: `wmill.get_state(path)`.
pub async fn get_state_at(path: &str) -> Result<Option<Value>> {
    let p = ItemPath::parse_resource_ref(path)?;
    client()?.state()?.get_state_at(&p).await
}

/// Replaces the state at an explicit path. Python: `wmill.set_state(value, path)` (note the
/// order: path first here, like every other function of this crate).
pub async fn set_state_at<T: Serialize + ?Sized + Sync>(path: &str, value: &T) -> Result<()> {
    let p = ItemPath::parse_resource_ref(path)?;
    let value = to_json(value, "state")?;
    client()?.state()?.set_state_at(&p, &value).await
}

// ---------------------------------------------------------------- jobs

/// Starts a script by path; returns the job id. Python: `wmill.run_script_by_path_async(path, args)`.
pub async fn run_script_by_path_async<A: Serialize + ?Sized + Sync>(
    path: &str,
    args: &A,
) -> Result<JobId> {
    run_script_by_path_async_with(path, args, &RunOptions::new()).await
}

/// [`run_script_by_path_async`] with options (tag, schedule, caller-chosen id, parent job).
pub async fn run_script_by_path_async_with<A: Serialize + ?Sized + Sync>(
    path: &str,
    args: &A,
    options: &RunOptions,
) -> Result<JobId> {
    let p = self::path(path)?;
    let args = to_args(args)?;
    client()?
        .jobs()?
        .run_script_by_path_async(&p, args, options)
        .await
}

/// Starts a script version by hash; returns the job id.
/// Python: `wmill.run_script_by_hash_async(hash_, args)`.
pub async fn run_script_by_hash_async<A: Serialize + ?Sized + Sync>(
    hash: &str,
    args: &A,
) -> Result<JobId> {
    run_script_by_hash_async_with(hash, args, &RunOptions::new()).await
}

/// [`run_script_by_hash_async`] with options.
pub async fn run_script_by_hash_async_with<A: Serialize + ?Sized + Sync>(
    hash: &str,
    args: &A,
    options: &RunOptions,
) -> Result<JobId> {
    let h = ScriptHash::parse(hash)?;
    let args = to_args(args)?;
    client()?
        .jobs()?
        .run_script_by_hash_async(&h, args, options)
        .await
}

/// Starts a flow; returns the job id. Python: `wmill.run_flow_async(path, args)`.
pub async fn run_flow_async<A: Serialize + ?Sized + Sync>(path: &str, args: &A) -> Result<JobId> {
    run_flow_async_with(path, args, &RunOptions::new()).await
}

/// [`run_flow_async`] with options.
pub async fn run_flow_async_with<A: Serialize + ?Sized + Sync>(
    path: &str,
    args: &A,
    options: &RunOptions,
) -> Result<JobId> {
    let p = self::path(path)?;
    let args = to_args(args)?;
    client()?.jobs()?.run_flow_async(&p, args, options).await
}

/// Runs a script by path and returns its result. Python: `wmill.run_script_by_path(path, args)`.
pub async fn run_script_by_path<A: Serialize + ?Sized + Sync>(
    path: &str,
    args: &A,
) -> Result<Value> {
    run_script_by_path_with(path, args, &RunOptions::new()).await
}

/// [`run_script_by_path`] with options (`timeout`, `cleanup`, tag, ...).
pub async fn run_script_by_path_with<A: Serialize + ?Sized + Sync>(
    path: &str,
    args: &A,
    options: &RunOptions,
) -> Result<Value> {
    let p = self::path(path)?;
    let args = to_args(args)?;
    client()?
        .jobs()?
        .run_script_by_path(&p, args, options)
        .await
}

/// Runs a script version by hash and returns its result. Python: `wmill.run_script_by_hash(hash_, args)`.
pub async fn run_script_by_hash<A: Serialize + ?Sized + Sync>(
    hash: &str,
    args: &A,
) -> Result<Value> {
    run_script_by_hash_with(hash, args, &RunOptions::new()).await
}

/// [`run_script_by_hash`] with options.
pub async fn run_script_by_hash_with<A: Serialize + ?Sized + Sync>(
    hash: &str,
    args: &A,
    options: &RunOptions,
) -> Result<Value> {
    let h = ScriptHash::parse(hash)?;
    let args = to_args(args)?;
    client()?
        .jobs()?
        .run_script_by_hash(&h, args, options)
        .await
}

/// Runs a flow and returns its result (TypeScript's `runFlow`; Python combines
/// `run_flow_async` and `wait_job`).
pub async fn run_flow<A: Serialize + ?Sized + Sync>(path: &str, args: &A) -> Result<Value> {
    run_flow_with(path, args, &RunOptions::new()).await
}

/// [`run_flow`] with options.
pub async fn run_flow_with<A: Serialize + ?Sized + Sync>(
    path: &str,
    args: &A,
    options: &RunOptions,
) -> Result<Value> {
    let p = self::path(path)?;
    let args = to_args(args)?;
    client()?.jobs()?.run_flow(&p, args, options).await
}

/// Waits for a job and returns its result; with a `timeout` the job is canceled and
/// [`Error::Timeout`] returned when it is reached. Python: `wmill.wait_job(job_id, timeout)`.
pub async fn wait_job(job_id: impl JobRef, timeout: Option<Duration>) -> Result<Value> {
    let mut options = WaitOptions::new();
    if let Some(t) = timeout {
        options = options.timeout(t);
    }
    wait_job_with(job_id, &options).await
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

fn to_json<T: Serialize + ?Sized + Sync>(value: &T, what: &'static str) -> Result<Value> {
    serde_json::to_value(value)
        .map_err(|e| Error::invalid(what, format!("could not serialize the {what}: {e}")))
}

// ---------------------------------------------------------------- typed results (issue 15)

/// [`run_script_by_path`] with the result deserialized into `T`; a result that does not fit
/// `T` is [`Error::Decode`] naming the script.
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
pub async fn run_script_by_path_as<T: DeserializeOwned>(
    path: &str,
    args: &(impl Serialize + ?Sized + Sync),
) -> Result<T> {
    let p = self::path(path)?;
    client()?
        .jobs()?
        .run_script_by_path_as(&p, args, &RunOptions::new())
        .await
}

/// [`run_flow`] with the result deserialized into `T`.
pub async fn run_flow_as<T: DeserializeOwned>(
    path: &str,
    args: &(impl Serialize + ?Sized + Sync),
) -> Result<T> {
    let p = self::path(path)?;
    client()?
        .jobs()?
        .run_flow_as(&p, args, &RunOptions::new())
        .await
}

/// [`wait_job`] with the result deserialized into `T`.
pub async fn wait_job_as<T: DeserializeOwned>(
    job_id: impl JobRef,
    timeout: Option<Duration>,
) -> Result<T> {
    let id = job_id.to_job_id()?;
    let mut options = WaitOptions::new();
    if let Some(t) = timeout {
        options = options.timeout(t);
    }
    client()?.jobs()?.wait_job_as(&id, &options).await
}

/// [`get_result`] with the result deserialized into `T`.
pub async fn get_result_as<T: DeserializeOwned>(job_id: impl JobRef) -> Result<T> {
    let id = job_id.to_job_id()?;
    client()?.jobs()?.get_result_as(&id).await
}
