//! Module-level functions with the Python client's names, on the global [`Client`](crate::Client).

use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wmill_core::LogStream;
use wmill_core::{
    Error, ItemKind, ItemPath, JobId, JobQuery, JobRunnerExt, JobStatus, JobSummary, ListResources,
    ListVariables, ResourceInfo, Result, RunOptions, ScriptHash, SetVariableOptions, VariableInfo,
    WaitOptions, to_args,
};
#[cfg(feature = "http")]
use wmill_core::{FlowSummary, ListRunnables, ScriptSummary};

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

/// A `postgresql://` connection URL built from the PostgreSQL resource at `path` (`$res:` /
/// `res://` prefixes accepted). TypeScript: `databaseUrlFromResource(path)`; the URL is built
/// by [`database_url`](crate::database_url), which percent-encodes the user and password.
///
/// ```no_run
/// # async fn f() -> wmill::Result<()> {
/// let url = wmill::database_url_from_resource("f/db/main").await?;
/// # Ok(()) }
/// ```
pub async fn database_url_from_resource(path: &str) -> Result<String> {
    wmill_core::database_url(&get_resource(path).await?)
}

/// Creates or updates a resource. Python: `wmill.set_resource(path, value, resource_type="any")`.
pub async fn set_resource<T: Serialize + ?Sized + Sync>(
    path: &str,
    value: &T,
    resource_type: &str,
) -> Result<()> {
    let p = ItemPath::parse_resource_ref(path)?;
    let value = to_json(value, "resource value")?;
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

use wmill_core::to_json;

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

// ---------------------------------------------------------------- data tables and DuckLake

#[cfg(feature = "http")]
pub use self::sql_tables::{datatable, ducklake};

/// Parameterized SQL on the workspace's data tables and lakes, on the global client.
#[cfg(feature = "http")]
mod sql_tables {
    use wmill_http::{DataTable, DuckLake, Windmill};

    /// The global client's Windmill server, resolved when a query runs.
    fn global_windmill() -> wmill_core::Result<Windmill> {
        Ok(crate::client::client()?.http()?.clone())
    }

    /// The workspace data table `name` (PostgreSQL; `"main"` is the default one, `name:schema`
    /// sets the search path), on the global client. Python: `wmill.datatable(name="main")`;
    /// the role (Python's `role=`) is [`DataTable::role`].
    ///
    /// Queries bind their values ([`SqlQuery::bind`](wmill_http::SqlQuery::bind)), which never
    /// enter the SQL text, and run as one inline preview each. The client is resolved when a
    /// query runs: without a Windmill server (the embedded [`InMemory`](crate::InMemory)
    /// backend has no SQL) that is [`Error::Unsupported`](crate::Error::Unsupported). See
    /// [`DataTable`] for the exact request.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
    /// #[derive(serde::Deserialize)]
    /// struct Friend { name: String, age: i64 }
    ///
    /// let db = wmill::datatable("main");
    /// let adults: Vec<Friend> = db
    ///     .query("SELECT name, age FROM friend WHERE age >= $1")
    ///     .bind(18)
    ///     .fetch()
    ///     .await?;
    /// let count: Option<i64> = db.query("SELECT count(*) FROM friend").fetch_scalar().await?;
    /// # let _ = (adults, count); Ok(()) }
    /// ```
    pub fn datatable(name: &str) -> DataTable {
        DataTable::resolved_by(name, global_windmill)
    }

    /// The workspace DuckLake `name` (DuckDB; `"main"` is the default one, `name:schema` makes
    /// the schema current), on the global client. Python: `wmill.ducklake(name="main")`, with
    /// `query`, `upsert_partition`, `append_partition` and `read`. The client is resolved when
    /// a query runs, as for [`datatable`]. See [`DuckLake`] for the exact request.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
    /// let lake = wmill::ducklake("main");
    /// let friend: Option<serde_json::Value> = lake
    ///     .query("SELECT * FROM friend WHERE id = $id")
    ///     .bind_named("id", 7)
    ///     .fetch_one()
    ///     .await?;
    /// lake.upsert_partition("friends_daily", "SELECT * FROM friend")
    ///     .partition("2026-06-19")
    ///     .execute()
    ///     .await?;
    /// # let _ = friend; Ok(()) }
    /// ```
    pub fn ducklake(name: &str) -> DuckLake {
        DuckLake::resolved_by(name, global_windmill)
    }
}
// ---------------------------------------------------------------- listings

/// A stream whose only item is `e`.
fn failed<T: Send + 'static>(e: Error) -> BoxStream<'static, Result<T>> {
    futures::stream::once(async move { Err(e) }).boxed()
}

/// Every job `query` selects, newest first (queued jobs first), as a stream that fetches one
/// page at a time (`query.page_size`, default 1000): memory stays bounded whatever the number
/// of jobs. An invalid query is the only item ([`Error::InvalidInput`]), a server that repeats
/// a page ends the stream with [`Error::ListingStalled`]. Blocking:
/// [`blocking::stream_jobs`](crate::blocking::stream_jobs), an iterator.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// use futures::TryStreamExt;
/// use wmill::{Client, InMemory, ItemPath, JobListStatus, JobQuery};
///
/// let memory = InMemory::new();
/// memory.register_script("f/jobs/ok", |_| async { Ok(serde_json::json!(1)) })?;
/// wmill::set_client(Client::new(memory));
/// wmill::run_script_by_path("f/jobs/ok", &serde_json::json!({})).await?;
///
/// let query = JobQuery::new()
///     .script_path(ItemPath::parse("f/jobs/ok")?)
///     .status(JobListStatus::Success);
/// let jobs: Vec<_> = wmill::stream_jobs(&query).try_collect().await?;
/// assert_eq!(jobs.len(), 1);
/// # Ok(()) }
/// ```
pub fn stream_jobs(query: &JobQuery) -> BoxStream<'static, Result<JobSummary>> {
    match client().and_then(|c| c.jobs().cloned()) {
        Ok(jobs) => wmill_core::job_stream(jobs, query.clone()),
        Err(e) => failed(e),
    }
}

/// Every variable `options` selects, page by page (from `options.page`, default 1;
/// `options.per_page` per request, default 1000). [`list_variables`] returns one page.
pub fn stream_variables(options: &ListVariables) -> BoxStream<'static, Result<VariableInfo>> {
    match client().and_then(|c| c.variables().cloned()) {
        Ok(store) => wmill_core::variable_stream(store, options.clone()),
        Err(e) => failed(e),
    }
}

/// Every resource `options` selects (`resource_type` filter included), page by page.
/// [`list_resources_with`] returns one page.
pub fn stream_resources(options: &ListResources) -> BoxStream<'static, Result<ResourceInfo>> {
    match client().and_then(|c| c.resources().cloned()) {
        Ok(store) => wmill_core::resource_stream(store, options.clone()),
        Err(e) => failed(e),
    }
}

/// Every script `options` selects, page by page (`scripts/list`; a Windmill server only,
/// else [`Error::Unsupported`]).
#[cfg(feature = "http")]
pub fn stream_scripts(options: &ListRunnables) -> BoxStream<'static, Result<ScriptSummary>> {
    match client().and_then(|c| c.http().cloned()) {
        Ok(wm) => wm.stream_scripts(options),
        Err(e) => failed(e),
    }
}

/// Every flow `options` selects, page by page (`flows/list`; a Windmill server only).
#[cfg(feature = "http")]
pub fn stream_flows(options: &ListRunnables) -> BoxStream<'static, Result<FlowSummary>> {
    match client().and_then(|c| c.http().cloned()) {
        Ok(wm) => wm.stream_flows(options),
        Err(e) => failed(e),
    }
}

// ---------------------------------------------------------------- flows by version

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
pub async fn run_flow_by_version_async<A: Serialize + ?Sized + Sync>(
    version: impl Into<wmill_core::FlowVersion>,
    args: &A,
) -> Result<JobId> {
    run_flow_by_version_async_with(version, args, &RunOptions::new()).await
}

/// [`run_flow_by_version_async`] with options (the table on [`RunOptions`] says which the
/// endpoint takes).
pub async fn run_flow_by_version_async_with<A: Serialize + ?Sized + Sync>(
    version: impl Into<wmill_core::FlowVersion>,
    args: &A,
    options: &RunOptions,
) -> Result<JobId> {
    let args = to_args(args)?;
    client()?
        .jobs()?
        .run_flow_by_version_async(version.into(), args, options)
        .await
}

/// Runs a saved version of a flow and returns its result.
pub async fn run_flow_by_version<A: Serialize + ?Sized + Sync>(
    version: impl Into<wmill_core::FlowVersion>,
    args: &A,
) -> Result<Value> {
    run_flow_by_version_with(version, args, &RunOptions::new()).await
}

/// [`run_flow_by_version`] with options.
pub async fn run_flow_by_version_with<A: Serialize + ?Sized + Sync>(
    version: impl Into<wmill_core::FlowVersion>,
    args: &A,
    options: &RunOptions,
) -> Result<Value> {
    let args = to_args(args)?;
    client()?
        .jobs()?
        .run_flow_by_version(version.into(), args, options)
        .await
}

// ---------------------------------------------------------------- job logs

/// The whole log of a job (what it has written so far, if it still runs), without the
/// server's "to remove ansi colors" hint line (`GET jobs_u/get_logs/{id}`; no official client
/// wraps it).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// use wmill::{Client, InMemory, JobLog};
///
/// let memory = InMemory::new();
/// memory.register_script("f/etl/load", |_args| async move {
///     if let Some(log) = JobLog::current() {
///         log.line("loaded 3 rows");
///     }
///     Ok(serde_json::json!(3))
/// })?;
/// wmill::set_client(Client::new(memory));
/// let id = wmill::run_script_by_path_async("f/etl/load", &serde_json::json!({})).await?;
/// wmill::wait_job(id, None).await?;
/// assert_eq!(wmill::get_job_logs(id).await?, "loaded 3 rows\n");
/// # Ok(()) }
/// ```
pub async fn get_job_logs(job_id: impl JobRef) -> Result<String> {
    let id = job_id.to_job_id()?;
    client()?.jobs()?.get_job_logs(&id).await
}

/// Follows a job's log until the job completes: a stream of [`LogChunk`](wmill_core::LogChunk)s, each the text
/// written since the previous one (offsets counted in characters, as the server does; no text
/// is downloaded twice). The stream ends after the job's last words. See
/// [`JobRunner::job_logs_from`](wmill_core::JobRunner::job_logs_from) to resume from an offset.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// use futures::StreamExt;
/// use wmill::{Client, InMemory, JobLog};
///
/// let memory = InMemory::new();
/// memory.register_script("f/etl/count", |_args| async move {
///     let log = JobLog::current();
///     for i in 1..=3 {
///         log.iter().for_each(|l| l.line(format!("row {i}")));
///     }
///     Ok(serde_json::json!(3))
/// })?;
/// wmill::set_client(Client::new(memory));
/// let id = wmill::run_script_by_path_async("f/etl/count", &serde_json::json!({})).await?;
/// let mut logs = wmill::job_logs(id)?;
/// let mut text = String::new();
/// while let Some(chunk) = logs.next().await {
///     text.push_str(&chunk?.text);
/// }
/// assert_eq!(text, "row 1\nrow 2\nrow 3\n");
/// # Ok(()) }
/// ```
pub fn job_logs(job_id: impl JobRef) -> Result<LogStream> {
    let id = job_id.to_job_id()?;
    Ok(client()?.jobs()?.job_logs_from(&id, 0))
}

/// The log of a flow and of every job it ran, one after the other, each under a header line
/// `=== <step> (Job: <id>) ===`, as the server formats it (`GET jobs_u/get_flow_all_logs/{id}`).
pub async fn get_flow_all_logs(job_id: impl JobRef) -> Result<String> {
    let id = job_id.to_job_id()?;
    client()?.jobs()?.get_flow_all_logs(&id).await
}

/// The path `get_state` and `set_state` use (Python: `wmill.get_state_path()`): on a Windmill
/// server `WM_STATE_PATH_NEW`, else `WM_STATE_PATH` (Windmill sets them inside a job, or
/// `WindmillBuilder::with_state_path`); with `WM_MOCKED_API_FILE` the same, else the mock's
/// (`u/local/state`); on [`InMemory`](crate::InMemory) its own. Synchronous.
///
/// ```
/// use wmill::{Client, InMemory};
///
/// wmill::set_client(Client::new(InMemory::new().with_state_path("u/me/trigger_state")?));
/// assert_eq!(wmill::get_state_path()?.as_str(), "u/me/trigger_state");
/// # Ok::<(), wmill::Error>(())
/// ```
///
/// # Errors
/// [`Error::NotConfigured`] when the state store has no default path (a server outside a job
/// with no state path set): name one with [`get_state_at`] / [`set_state_at`].
pub fn get_state_path() -> Result<ItemPath> {
    client()?.state()?.default_state_path()
}

// ---------------------------------------------------------------- job handles and batches

/// Starts a script by path and returns a [`JobHandle`](wmill_core::JobHandle) on the job
/// (`id`, `status`, `result`, `wait`, `cancel`, `cancel_on_drop`). The `JobId`-returning
/// [`run_script_by_path_async`] stays, as in the Python client.
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
pub async fn start_script_by_path<A: Serialize + ?Sized + Sync>(
    path: &str,
    args: &A,
) -> Result<wmill_core::JobHandle> {
    start_script_by_path_with(path, args, &RunOptions::new()).await
}

/// [`start_script_by_path`] with options.
pub async fn start_script_by_path_with<A: Serialize + ?Sized + Sync>(
    path: &str,
    args: &A,
    options: &RunOptions,
) -> Result<wmill_core::JobHandle> {
    let id = run_script_by_path_async_with(path, args, options).await?;
    job_handle(id)
}

/// Starts a script version by hash and returns a handle on the job.
pub async fn start_script_by_hash<A: Serialize + ?Sized + Sync>(
    hash: &str,
    args: &A,
) -> Result<wmill_core::JobHandle> {
    start_script_by_hash_with(hash, args, &RunOptions::new()).await
}

/// [`start_script_by_hash`] with options.
pub async fn start_script_by_hash_with<A: Serialize + ?Sized + Sync>(
    hash: &str,
    args: &A,
    options: &RunOptions,
) -> Result<wmill_core::JobHandle> {
    let id = run_script_by_hash_async_with(hash, args, options).await?;
    job_handle(id)
}

/// Starts a flow and returns a handle on the job.
pub async fn start_flow<A: Serialize + ?Sized + Sync>(
    path: &str,
    args: &A,
) -> Result<wmill_core::JobHandle> {
    start_flow_with(path, args, &RunOptions::new()).await
}

/// [`start_flow`] with options.
pub async fn start_flow_with<A: Serialize + ?Sized + Sync>(
    path: &str,
    args: &A,
    options: &RunOptions,
) -> Result<wmill_core::JobHandle> {
    let id = run_flow_async_with(path, args, options).await?;
    job_handle(id)
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
