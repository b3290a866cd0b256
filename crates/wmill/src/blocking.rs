//! The module-level API without `async`, for synchronous code (Windmill Rust scripts have a
//! synchronous `main`).
//!
//! Each call runs the async function on a small runtime of its own (two threads named
//! `wmill-blocking`, started on first use) and waits for the answer on a channel. So it works
//! from plain threads, from several threads at once, and from inside an async runtime as well:
//! there it blocks the calling thread (no "cannot start a runtime from within a runtime"
//! panic), which is your choice to make; in async code prefer the async functions. Calls made
//! from the runtime's own threads (a job closure of `InMemory` using this API) run in place
//! rather than wait for themselves, and a panic inside a call (a mock's unexpected call) goes on
//! in the caller's thread with its message. The runtime's requests to Windmill use connections
//! it opened itself (a pool of its own), so a call from inside a current-thread runtime that
//! already talked to the server never waits on a connection that the blocked runtime drives.
//! One case cannot work: a call from a current-thread runtime that itself runs the server or
//! store the call needs (an in-process test server, say) waits for a thread it is blocking; use
//! a multi-thread runtime or `tokio::task::spawn_blocking` there. The same holds for S3 stores
//! reached directly (object_store's own connection pool): there, a stalled connection ends at
//! the store's request timeout and the retry opens a fresh one.
//!
//! ```
//! use wmill::{Client, InMemory};
//!
//! fn main() -> wmill::Result<()> {
//!     wmill::set_client(Client::new(InMemory::new().with_variable("u/bob/city", "Paris")?));
//!     let city = wmill::blocking::get_variable("u/bob/city")?;
//!     wmill::blocking::set_state(&serde_json::json!({"last_city": city}))?;
//!     assert_eq!(wmill::blocking::get_state()?.unwrap()["last_city"], "Paris");
//!     Ok(())
//! }
//! ```

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wmill_core::{
    Error, JobId, JobStatus, ListResources, ListVariables, LogChunk, LogStream, ResourceInfo,
    Result, RunOptions, VariableInfo, WaitOptions, to_args,
};

use crate::{Client, JobRef};

// Synchronous already (local files and standard output): the same functions.
pub use crate::get_state_path;
#[cfg(feature = "s3")]
pub use crate::parse_s3_object;
pub use wmill_core::{
    append_to_result_stream, database_url, get_shared_state, parse_resource_syntax,
    parse_variable_syntax, set_shared_state, stream_result,
};

static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();

thread_local! {
    /// Whether this thread is one of the blocking runtime's own (a worker, or its blocking pool).
    static ON_OWN_RUNTIME: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("wmill-blocking")
                .on_thread_start(|| {
                    ON_OWN_RUNTIME.with(|own| own.set(true));
                    isolate_connections();
                })
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::NotConfigured {
            what: "blocking runtime",
            hint: format!("could not start the runtime of wmill::blocking: {e}"),
        })
}

/// Connections this runtime uses are ones it opened: a pooled connection opened by the
/// caller's runtime (blocked while it waits here) would never be driven.
fn isolate_connections() {
    #[cfg(feature = "http")]
    wmill_http::isolate_connections_on_this_thread();
}

/// Runs `fut` on the blocking runtime and waits for its output.
///
/// This is how every function of this module works; use it for any other async call of the
/// SDK (for example a method of `wmill_http::Windmill`).
///
/// ```
/// let n = wmill::blocking::block_on(async { Ok(21 * 2) })?;
/// assert_eq!(n, 42);
/// # Ok::<(), wmill::Error>(())
/// ```
pub fn block_on<F, T>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    // Boxed and type-erased, the call reaches the runtime as one type: tokio's `spawn` and
    // `block_on` are compiled once for the whole module instead of once per function, which
    // was most of this crate's build time. The output (the call's `Result<T>`) comes back boxed.
    let erased: ErasedFuture =
        Box::pin(async move { Ok(Box::new(fut.await) as Box<dyn std::any::Any + Send>) });
    match block_on_erased(erased)?.downcast::<Result<T>>() {
        Ok(out) => *out,
        Err(_) => Err(Error::Unsupported {
            operation: "a blocking call whose output changed type",
            backend: "wmill::blocking",
        }),
    }
}

/// A call of [`block_on`] with its types erased; its output is the call's boxed `Result<T>`.
type ErasedFuture =
    std::pin::Pin<Box<dyn Future<Output = Result<Box<dyn std::any::Any + Send>>> + Send>>;

/// [`block_on`] for one type of future: errors here are the runtime's (it did not start, or the
/// task was dropped); the call's own result is inside the box.
fn block_on_erased(fut: ErasedFuture) -> Result<Box<dyn std::any::Any + Send>> {
    // The call runs on the runtime's threads: its spans stay children of the caller's.
    let fut = tracing::Instrument::in_current_span(fut);
    let rt = runtime()?;
    // The caller's scoped client (`with_client`) goes with the call to the runtime's threads.
    let fut = Scoped::new(crate::client::scoped(), fut);
    if ON_OWN_RUNTIME.with(std::cell::Cell::get) {
        // Called from the runtime's own threads (a job closure of `InMemory` that uses this
        // API, say): waiting on a channel for a task of the same runtime could wait for ever
        // (the task may sit in this very worker's queue). Run the call right here instead,
        // the worker handing its other tasks to the rest of the runtime meanwhile.
        return tokio::task::block_in_place(|| rt.handle().block_on(fut));
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let task = rt.spawn(fut);
    rt.spawn(async move {
        let _ = tx.send(task.await);
    });
    match rx.recv() {
        Ok(Ok(out)) => out,
        // A panic in the call (a mock's unexpected call, a job closure of yours) goes on in
        // the caller's thread, as it would in a synchronous function, with its message.
        Ok(Err(joined)) if joined.is_panic() => std::panic::resume_unwind(joined.into_panic()),
        Ok(Err(_)) | Err(_) => Err(Error::Unsupported {
            operation: "a blocking call whose task was dropped",
            backend: "wmill::blocking",
        }),
    }
}

/// Runs `f` with `client` as the client of every function of this module (and of the async
/// ones, and [`crate::client()`]) called on this thread until `f` returns, whatever the global
/// client is. The blocking twin of [`crate::with_client`].
///
/// The scope is the calling thread's (a thread-local): tests running in parallel threads (as
/// `cargo test` runs them) each see their own client, never one installed by another test
/// with [`crate::set_client`]. Scopes nest, and the previous one comes back when `f` returns
/// or panics. Threads that `f` starts do not inherit the scope.
///
/// ```
/// use wmill::{Client, InMemory};
///
/// let memory = InMemory::new().with_variable("u/bob/city", "Lyon")?;
/// let city = wmill::blocking::with_client(Client::new(memory), || {
///     wmill::blocking::get_variable("u/bob/city")
/// })?;
/// assert_eq!(city, "Lyon");
/// # Ok::<(), wmill::Error>(())
/// ```
pub fn with_client<R>(client: impl Into<Arc<Client>>, f: impl FnOnce() -> R) -> R {
    let _scope = crate::client::enter(client.into());
    f()
}

/// A future run with the scoped client it was started under, if any.
struct Scoped<F> {
    client: Option<Arc<Client>>,
    future: std::pin::Pin<Box<F>>,
}

impl<F> Scoped<F> {
    fn new(client: Option<Arc<Client>>, future: F) -> Self {
        Scoped {
            client,
            future: Box::pin(future),
        }
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = &mut *self;
        let _scope = this.client.clone().map(crate::client::enter);
        this.future.as_mut().poll(cx)
    }
}

/// Blocking [`crate::get_variable`].
pub fn get_variable(path: &str) -> Result<String> {
    let path = path.to_owned();
    block_on(async move { crate::get_variable(&path).await })
}

/// Blocking [`crate::set_variable`].
pub fn set_variable(path: &str, value: &str, is_secret: bool) -> Result<()> {
    let (path, value) = (path.to_owned(), value.to_owned());
    block_on(async move { crate::set_variable(&path, &value, is_secret).await })
}

/// Blocking [`crate::delete_variable`].
pub fn delete_variable(path: &str) -> Result<()> {
    let path = path.to_owned();
    block_on(async move { crate::delete_variable(&path).await })
}

/// Blocking [`crate::list_variables`].
pub fn list_variables(options: &ListVariables) -> Result<Vec<VariableInfo>> {
    let options = options.clone();
    block_on(async move { crate::list_variables(&options).await })
}

/// Blocking [`crate::get_resource`].
pub fn get_resource(path: &str) -> Result<Value> {
    let path = path.to_owned();
    block_on(async move { crate::get_resource(&path).await })
}

/// Blocking [`crate::database_url_from_resource`].
pub fn database_url_from_resource(path: &str) -> Result<String> {
    let path = path.to_owned();
    block_on(async move { crate::database_url_from_resource(&path).await })
}

/// Blocking [`crate::get_resource_as`].
pub fn get_resource_as<T: DeserializeOwned + Send + 'static>(path: &str) -> Result<T> {
    let path = path.to_owned();
    block_on(async move { crate::get_resource_as::<T>(&path).await })
}

/// Blocking [`crate::get_resource_opt`].
pub fn get_resource_opt(path: &str) -> Result<Option<Value>> {
    let path = path.to_owned();
    block_on(async move { crate::get_resource_opt(&path).await })
}

/// Blocking [`crate::set_resource`].
pub fn set_resource<T: Serialize + ?Sized>(
    path: &str,
    value: &T,
    resource_type: &str,
) -> Result<()> {
    let value = json(value, "resource value")?;
    let (path, rt) = (path.to_owned(), resource_type.to_owned());
    block_on(async move { crate::set_resource(&path, &value, &rt).await })
}

/// Blocking [`crate::delete_resource`].
pub fn delete_resource(path: &str) -> Result<()> {
    let path = path.to_owned();
    block_on(async move { crate::delete_resource(&path).await })
}

/// Blocking [`crate::list_resources`].
pub fn list_resources(resource_type: Option<&str>) -> Result<Vec<ResourceInfo>> {
    let mut options = ListResources::new();
    if let Some(t) = resource_type {
        options = options.resource_type(t);
    }
    block_on(async move { crate::list_resources_with(&options).await })
}

/// Blocking [`crate::list_resources_with`].
pub fn list_resources_with(options: &ListResources) -> Result<Vec<ResourceInfo>> {
    let options = options.clone();
    block_on(async move { crate::list_resources_with(&options).await })
}

/// Blocking [`crate::get_state`].
pub fn get_state() -> Result<Option<Value>> {
    block_on(crate::get_state())
}

/// Blocking [`crate::get_state_as`].
pub fn get_state_as<T: DeserializeOwned + Send + 'static>() -> Result<Option<T>> {
    block_on(crate::get_state_as::<T>())
}

/// Blocking [`crate::set_state`].
pub fn set_state<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let value = json(value, "state")?;
    block_on(async move { crate::set_state(&value).await })
}

/// Blocking [`crate::get_state_at`].
pub fn get_state_at(path: &str) -> Result<Option<Value>> {
    let path = path.to_owned();
    block_on(async move { crate::get_state_at(&path).await })
}

/// Blocking [`crate::set_state_at`].
pub fn set_state_at<T: Serialize + ?Sized>(path: &str, value: &T) -> Result<()> {
    let value = json(value, "state")?;
    let path = path.to_owned();
    block_on(async move { crate::set_state_at(&path, &value).await })
}

/// Blocking [`crate::run_script_by_path_async`].
pub fn run_script_by_path_async<A: Serialize + ?Sized>(path: &str, args: &A) -> Result<JobId> {
    run_script_by_path_async_with(path, args, &RunOptions::new())
}

/// Blocking [`crate::run_script_by_path_async_with`].
pub fn run_script_by_path_async_with<A: Serialize + ?Sized>(
    path: &str,
    args: &A,
    options: &RunOptions,
) -> Result<JobId> {
    let args = to_args(args)?;
    let (path, options) = (path.to_owned(), options.clone());
    block_on(async move { crate::run_script_by_path_async_with(&path, &args, &options).await })
}

/// Blocking [`crate::run_script_by_hash_async`].
pub fn run_script_by_hash_async<A: Serialize + ?Sized>(hash: &str, args: &A) -> Result<JobId> {
    let args = to_args(args)?;
    let hash = hash.to_owned();
    block_on(async move { crate::run_script_by_hash_async(&hash, &args).await })
}

/// Blocking [`crate::run_script_by_hash_async_with`].
pub fn run_script_by_hash_async_with<A: Serialize + ?Sized>(
    hash: &str,
    args: &A,
    options: &RunOptions,
) -> Result<JobId> {
    let args = to_args(args)?;
    let (hash, options) = (hash.to_owned(), options.clone());
    block_on(async move { crate::run_script_by_hash_async_with(&hash, &args, &options).await })
}

/// Blocking [`crate::run_flow_async`].
pub fn run_flow_async<A: Serialize + ?Sized>(path: &str, args: &A) -> Result<JobId> {
    run_flow_async_with(path, args, &RunOptions::new())
}

/// Blocking [`crate::run_flow_async_with`].
pub fn run_flow_async_with<A: Serialize + ?Sized>(
    path: &str,
    args: &A,
    options: &RunOptions,
) -> Result<JobId> {
    let args = to_args(args)?;
    let (path, options) = (path.to_owned(), options.clone());
    block_on(async move { crate::run_flow_async_with(&path, &args, &options).await })
}

/// Blocking [`crate::run_script_by_path`].
pub fn run_script_by_path<A: Serialize + ?Sized>(path: &str, args: &A) -> Result<Value> {
    run_script_by_path_with(path, args, &RunOptions::new())
}

/// Blocking [`crate::run_script_by_path_with`].
pub fn run_script_by_path_with<A: Serialize + ?Sized>(
    path: &str,
    args: &A,
    options: &RunOptions,
) -> Result<Value> {
    let args = to_args(args)?;
    let (path, options) = (path.to_owned(), options.clone());
    block_on(async move { crate::run_script_by_path_with(&path, &args, &options).await })
}

/// Blocking [`crate::run_script_by_hash`].
pub fn run_script_by_hash<A: Serialize + ?Sized>(hash: &str, args: &A) -> Result<Value> {
    run_script_by_hash_with(hash, args, &RunOptions::new())
}

/// Blocking [`crate::run_script_by_hash_with`].
pub fn run_script_by_hash_with<A: Serialize + ?Sized>(
    hash: &str,
    args: &A,
    options: &RunOptions,
) -> Result<Value> {
    let args = to_args(args)?;
    let (hash, options) = (hash.to_owned(), options.clone());
    block_on(async move { crate::run_script_by_hash_with(&hash, &args, &options).await })
}

/// Blocking [`crate::run_flow`].
pub fn run_flow<A: Serialize + ?Sized>(path: &str, args: &A) -> Result<Value> {
    run_flow_with(path, args, &RunOptions::new())
}

/// Blocking [`crate::run_flow_with`].
pub fn run_flow_with<A: Serialize + ?Sized>(
    path: &str,
    args: &A,
    options: &RunOptions,
) -> Result<Value> {
    let args = to_args(args)?;
    let (path, options) = (path.to_owned(), options.clone());
    block_on(async move { crate::run_flow_with(&path, &args, &options).await })
}

/// Blocking [`crate::wait_job`].
pub fn wait_job(job_id: impl JobRef, timeout: Option<Duration>) -> Result<Value> {
    let id = job_id.to_job_id()?;
    block_on(async move { crate::wait_job(id, timeout).await })
}

/// Blocking [`crate::wait_job_with`].
pub fn wait_job_with(job_id: impl JobRef, options: &WaitOptions) -> Result<Value> {
    let id = job_id.to_job_id()?;
    let options = options.clone();
    block_on(async move { crate::wait_job_with(id, &options).await })
}

/// Blocking [`crate::get_result`].
pub fn get_result(job_id: impl JobRef) -> Result<Value> {
    let id = job_id.to_job_id()?;
    block_on(async move { crate::get_result(id).await })
}

/// Blocking [`crate::get_job_status`].
pub fn get_job_status(job_id: impl JobRef) -> Result<JobStatus> {
    let id = job_id.to_job_id()?;
    block_on(async move { crate::get_job_status(id).await })
}

/// Blocking [`crate::cancel_job`].
pub fn cancel_job(job_id: impl JobRef, reason: Option<&str>) -> Result<()> {
    let id = job_id.to_job_id()?;
    let reason = reason.map(str::to_owned);
    block_on(async move { crate::cancel_job(id, reason.as_deref()).await })
}

/// Blocking [`crate::get_job`].
pub fn get_job(job_id: impl JobRef) -> Result<wmill_core::Job> {
    let id = job_id.to_job_id()?;
    block_on(async move { crate::get_job(id).await })
}

/// Blocking [`crate::get_job_logs`].
pub fn get_job_logs(job_id: impl JobRef) -> Result<String> {
    let id = job_id.to_job_id()?;
    block_on(async move { crate::get_job_logs(id).await })
}

/// Blocking [`crate::get_flow_all_logs`].
pub fn get_flow_all_logs(job_id: impl JobRef) -> Result<String> {
    let id = job_id.to_job_id()?;
    block_on(async move { crate::get_flow_all_logs(id).await })
}

/// Blocking [`crate::job_logs`]: the followed log as an iterator of [`LogChunk`]s, each call
/// waiting for the next piece; it ends after the job completed (and after an error).
///
/// ```
/// use wmill::{Client, InMemory, JobLog};
///
/// let memory = InMemory::new();
/// memory.register_script("f/etl/load", |_args| async move {
///     if let Some(log) = JobLog::current() {
///         log.line("loading");
///         log.line("done");
///     }
///     Ok(serde_json::json!(null))
/// })?;
/// wmill::set_client(Client::new(memory));
/// let id = wmill::blocking::run_script_by_path_async("f/etl/load", &serde_json::json!({}))?;
/// for chunk in wmill::blocking::job_logs(id)? {
///     print!("{}", chunk?.text);
/// }
/// # Ok::<(), wmill::Error>(())
/// ```
pub fn job_logs(job_id: impl JobRef) -> Result<JobLogs> {
    Ok(JobLogs {
        stream: Some(crate::job_logs(job_id)?),
    })
}

/// A job's log being followed without `async`, from [`job_logs`].
pub struct JobLogs {
    /// `None` once the log ended.
    stream: Option<LogStream>,
}

impl std::fmt::Debug for JobLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobLogs")
            .field("ended", &self.stream.is_none())
            .finish()
    }
}

impl Iterator for JobLogs {
    type Item = Result<LogChunk>;

    fn next(&mut self) -> Option<Result<LogChunk>> {
        use futures::StreamExt;
        let mut stream = self.stream.take()?;
        match block_on(async move {
            let item = stream.next().await;
            Ok((stream, item))
        }) {
            Ok((stream, Some(item))) => {
                if item.is_ok() {
                    self.stream = Some(stream);
                }
                Some(item)
            }
            Ok((_, None)) => None,
            // The runtime could not run the read: the stream is gone with it.
            Err(e) => Some(Err(e)),
        }
    }
}

// ---------------------------------------------------------------- typed results (issue 15)

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
pub fn run_script_by_path_as<T: DeserializeOwned + Send + 'static>(
    path: &str,
    args: &(impl Serialize + ?Sized),
) -> Result<T> {
    let args = to_args(args)?;
    let path = path.to_owned();
    block_on(async move { crate::run_script_by_path_as::<T>(&path, &args).await })
}

/// Blocking [`crate::run_flow_as`].
pub fn run_flow_as<T: DeserializeOwned + Send + 'static>(
    path: &str,
    args: &(impl Serialize + ?Sized),
) -> Result<T> {
    let args = to_args(args)?;
    let path = path.to_owned();
    block_on(async move { crate::run_flow_as::<T>(&path, &args).await })
}

/// Blocking [`crate::wait_job_as`].
pub fn wait_job_as<T: DeserializeOwned + Send + 'static>(
    job_id: impl JobRef,
    timeout: Option<Duration>,
) -> Result<T> {
    let id = job_id.to_job_id()?;
    block_on(async move { crate::wait_job_as::<T>(id, timeout).await })
}

/// Blocking [`crate::get_result_as`].
pub fn get_result_as<T: DeserializeOwned + Send + 'static>(job_id: impl JobRef) -> Result<T> {
    let id = job_id.to_job_id()?;
    block_on(async move { crate::get_result_as::<T>(id).await })
}

fn json<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<Value> {
    serde_json::to_value(value)
        .map_err(|e| Error::invalid(what, format!("could not serialize the {what}: {e}")))
}

#[cfg(feature = "http")]
pub use self::server::*;

/// Blocking versions of the server-only helpers (feature `http`).
#[cfg(feature = "http")]
mod server {
    use std::time::Duration;

    use serde::Serialize;
    use serde_json::Value;
    use wmill_core::{JobId, Result, RunOptions, to_args};
    use wmill_http::{InteractiveApproval, ResumeUrls};

    use super::{block_on, json};
    use crate::JobRef;
    // Synchronous already: the same functions.
    pub use crate::worker_has_internal_server;

    /// Blocking [`crate::run_script_by_path_async_with_retry`].
    pub fn run_script_by_path_async_with_retry<A: Serialize + ?Sized>(
        path: &str,
        args: &A,
        options: &RunOptions,
        retry: &Value,
    ) -> Result<JobId> {
        let args = to_args(args)?;
        let (path, options, retry) = (path.to_owned(), options.clone(), retry.clone());
        block_on(async move {
            crate::run_script_by_path_async_with_retry(&path, &args, &options, &retry).await
        })
    }

    /// Blocking [`crate::run_script_by_hash_async_with_retry`].
    pub fn run_script_by_hash_async_with_retry<A: Serialize + ?Sized>(
        hash: &str,
        args: &A,
        options: &RunOptions,
        retry: &Value,
    ) -> Result<JobId> {
        let args = to_args(args)?;
        let (hash, options, retry) = (hash.to_owned(), options.clone(), retry.clone());
        block_on(async move {
            crate::run_script_by_hash_async_with_retry(&hash, &args, &options, &retry).await
        })
    }

    /// Blocking [`crate::send_teams_message`].
    pub fn send_teams_message(
        conversation_id: &str,
        text: &str,
        success: bool,
        card_block: Option<&Value>,
    ) -> Result<()> {
        let (conversation_id, text, card_block) = (
            conversation_id.to_owned(),
            text.to_owned(),
            card_block.cloned(),
        );
        block_on(async move {
            crate::send_teams_message(&conversation_id, &text, success, card_block.as_ref()).await
        })
    }

    fn owned(s: Option<&str>) -> Option<String> {
        s.map(str::to_owned)
    }

    /// Blocking [`crate::get_job_raw`].
    pub fn get_job_raw(job_id: impl JobRef, light: bool) -> Result<Value> {
        let id = job_id.to_job_id()?;
        block_on(async move { crate::get_job_raw(id, light).await })
    }

    /// Blocking [`crate::get_root_job_id`].
    pub fn get_root_job_id(job_id: Option<&str>) -> Result<JobId> {
        let id = owned(job_id);
        block_on(async move { crate::get_root_job_id(id.as_deref()).await })
    }

    /// Blocking [`crate::force_cancel_job`].
    pub fn force_cancel_job(job_id: impl JobRef, reason: Option<&str>) -> Result<()> {
        let (id, reason) = (job_id.to_job_id()?, owned(reason));
        block_on(async move { crate::force_cancel_job(id, reason.as_deref()).await })
    }

    /// Blocking [`crate::cancel_running`].
    pub fn cancel_running() -> Result<Vec<JobId>> {
        block_on(crate::cancel_running())
    }

    /// Blocking [`crate::worker_is_draining`].
    pub fn worker_is_draining(job_id: Option<&str>) -> Result<bool> {
        let id = owned(job_id);
        block_on(async move { crate::worker_is_draining(id.as_deref()).await })
    }

    /// Blocking [`crate::set_progress`].
    pub fn set_progress(value: u32, job_id: Option<&str>) -> Result<()> {
        let id = owned(job_id);
        block_on(async move { crate::set_progress(value, id.as_deref()).await })
    }

    /// Blocking [`crate::get_progress`].
    pub fn get_progress(job_id: Option<&str>) -> Result<Option<u32>> {
        let id = owned(job_id);
        block_on(async move { crate::get_progress(id.as_deref()).await })
    }

    /// Blocking [`crate::set_flow_user_state`].
    pub fn set_flow_user_state<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<()> {
        let (key, value) = (key.to_owned(), json(value, "flow user state")?);
        block_on(async move { crate::set_flow_user_state(&key, &value).await })
    }

    /// Blocking [`crate::get_flow_user_state`].
    pub fn get_flow_user_state(key: &str) -> Result<Option<Value>> {
        let key = key.to_owned();
        block_on(async move { crate::get_flow_user_state(&key).await })
    }

    /// Blocking [`crate::get_resume_urls`].
    pub fn get_resume_urls(approver: Option<&str>, flow_level: bool) -> Result<ResumeUrls> {
        let approver = owned(approver);
        block_on(async move { crate::get_resume_urls(approver.as_deref(), flow_level).await })
    }

    /// Blocking [`crate::get_approval_urls`].
    pub fn get_approval_urls(step_key: &str, approver: Option<&str>) -> Result<ResumeUrls> {
        let (step_key, approver) = (step_key.to_owned(), owned(approver));
        block_on(async move { crate::get_approval_urls(&step_key, approver.as_deref()).await })
    }

    /// Blocking [`crate::request_interactive_slack_approval`].
    pub fn request_interactive_slack_approval(
        slack_resource_path: &str,
        channel_id: &str,
        ask: &InteractiveApproval,
    ) -> Result<()> {
        let (path, channel, ask) = (
            slack_resource_path.to_owned(),
            channel_id.to_owned(),
            ask.clone(),
        );
        block_on(
            async move { crate::request_interactive_slack_approval(&path, &channel, &ask).await },
        )
    }

    /// Blocking [`crate::request_interactive_teams_approval`].
    pub fn request_interactive_teams_approval(
        team_name: &str,
        channel_name: &str,
        ask: &InteractiveApproval,
    ) -> Result<()> {
        let (team, channel, ask) = (team_name.to_owned(), channel_name.to_owned(), ask.clone());
        block_on(
            async move { crate::request_interactive_teams_approval(&team, &channel, &ask).await },
        )
    }

    /// Blocking [`crate::whoami`].
    pub fn whoami() -> Result<Value> {
        block_on(crate::whoami())
    }

    /// Blocking [`crate::get`].
    pub fn get(endpoint: &str) -> Result<Value> {
        let endpoint = endpoint.to_owned();
        block_on(async move { crate::get(&endpoint).await })
    }

    /// Blocking [`crate::post`].
    pub fn post<B: Serialize + ?Sized>(endpoint: &str, body: &B) -> Result<Value> {
        let body = json(body, "request body")?;
        let endpoint = endpoint.to_owned();
        block_on(async move { crate::post(&endpoint, &body).await })
    }

    /// Blocking [`crate::get_version`].
    pub fn get_version() -> Result<String> {
        block_on(crate::get_version())
    }

    /// Blocking [`crate::get_id_token`].
    pub fn get_id_token(audience: &str, expires_in: Option<Duration>) -> Result<String> {
        let audience = audience.to_owned();
        block_on(async move { crate::get_id_token(&audience, expires_in).await })
    }

    /// Blocking [`crate::create_token`].
    pub fn create_token(duration: Duration) -> Result<String> {
        block_on(crate::create_token(duration))
    }

    /// Blocking [`crate::get_resource_raw`].
    pub fn get_resource_raw(path: &str) -> Result<Value> {
        let path = path.to_owned();
        block_on(async move { crate::get_resource_raw(&path).await })
    }

    /// Blocking [`crate::run_inline_script_preview`].
    pub fn run_inline_script_preview<A: Serialize + ?Sized>(
        content: &str,
        language: &str,
        args: &A,
    ) -> Result<Value> {
        let args = to_args(args)?;
        let (content, language) = (content.to_owned(), language.to_owned());
        block_on(async move { crate::run_inline_script_preview(&content, &language, &args).await })
    }

    /// Blocking [`crate::username_to_email`].
    pub fn username_to_email(username: &str) -> Result<String> {
        let username = username.to_owned();
        block_on(async move { crate::username_to_email(&username).await })
    }

    /// Blocking [`crate::commit_kafka_offsets`].
    pub fn commit_kafka_offsets(
        trigger_path: &str,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Result<()> {
        let (path, topic) = (trigger_path.to_owned(), topic.to_owned());
        block_on(async move { crate::commit_kafka_offsets(&path, &topic, partition, offset).await })
    }
}

pub use self::listings::*;

/// Blocking listings: the streams of the async functions as iterators.
mod listings {
    use futures::StreamExt;
    use futures::stream::BoxStream;
    #[cfg(feature = "http")]
    use wmill_core::{FlowSummary, ListRunnables, ScriptSummary};
    use wmill_core::{
        JobQuery, JobSummary, ListResources, ListVariables, ResourceInfo, Result, VariableInfo,
    };

    use super::block_on;

    /// A listing read without `async`: an iterator of items that fetches one page at a time
    /// (through [`block_on`]). It ends after the last item or after the first error.
    ///
    /// ```
    /// use wmill::{Client, InMemory, ListVariables};
    ///
    /// wmill::set_client(Client::new(InMemory::new().with_variable("u/me/a", "1")?));
    /// let paths: Vec<String> = wmill::blocking::stream_variables(&ListVariables::new())
    ///     .map(|v| v.map(|v| v.path.to_string()))
    ///     .collect::<wmill::Result<_>>()?;
    /// assert_eq!(paths, ["u/me/a"]);
    /// # Ok::<(), wmill::Error>(())
    /// ```
    pub struct Listing<T> {
        stream: Option<BoxStream<'static, Result<T>>>,
    }

    impl<T> std::fmt::Debug for Listing<T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Listing")
                .field("ended", &self.stream.is_none())
                .finish()
        }
    }

    impl<T: Send + 'static> Listing<T> {
        fn new(stream: BoxStream<'static, Result<T>>) -> Self {
            Listing {
                stream: Some(stream),
            }
        }
    }

    impl<T: Send + 'static> Iterator for Listing<T> {
        type Item = Result<T>;

        fn next(&mut self) -> Option<Result<T>> {
            let mut stream = self.stream.take()?;
            match block_on(async move {
                let item = stream.next().await;
                Ok((stream, item))
            }) {
                Ok((stream, Some(Ok(item)))) => {
                    self.stream = Some(stream);
                    Some(Ok(item))
                }
                Ok((_, Some(Err(e)))) | Err(e) => Some(Err(e)),
                Ok((_, None)) => None,
            }
        }
    }

    /// Blocking [`crate::stream_jobs`]: every job `query` selects, one page in memory at a time.
    ///
    /// ```
    /// use wmill::{Client, InMemory, JobQuery};
    ///
    /// wmill::set_client(Client::new(InMemory::new()));
    /// for job in wmill::blocking::stream_jobs(&JobQuery::new()) {
    ///     println!("{}", job?.id);
    /// }
    /// # Ok::<(), wmill::Error>(())
    /// ```
    pub fn stream_jobs(query: &JobQuery) -> Listing<JobSummary> {
        Listing::new(crate::stream_jobs(query))
    }

    /// Blocking [`crate::stream_variables`].
    pub fn stream_variables(options: &ListVariables) -> Listing<VariableInfo> {
        Listing::new(crate::stream_variables(options))
    }

    /// Blocking [`crate::stream_resources`].
    pub fn stream_resources(options: &ListResources) -> Listing<ResourceInfo> {
        Listing::new(crate::stream_resources(options))
    }

    /// Blocking [`crate::stream_scripts`].
    #[cfg(feature = "http")]
    pub fn stream_scripts(options: &ListRunnables) -> Listing<ScriptSummary> {
        Listing::new(crate::stream_scripts(options))
    }

    /// Blocking [`crate::stream_flows`].
    #[cfg(feature = "http")]
    pub fn stream_flows(options: &ListRunnables) -> Listing<FlowSummary> {
        Listing::new(crate::stream_flows(options))
    }
}

#[cfg(feature = "s3")]
pub use self::s3files::*;

/// Blocking versions of the S3 functions (feature `s3`).
#[cfg(feature = "s3")]
mod s3files {
    use std::io::{self, Read};

    use bytes::{Buf, Bytes};
    use futures::StreamExt;
    use wmill_core::Result;
    use wmill_s3::{
        Boto3Settings, ByteStream, DuckdbSettings, PolarsSettings, PresignOptions, S3Object,
        WriteOptions,
    };

    use super::block_on;
    use crate::{S3Ref, S3Target};

    /// How much of a [`Read`] [`write_s3_file_stream`] reads at a time.
    const READ_CHUNK: usize = 1024 * 1024;

    fn owned(s: Option<&str>) -> Option<String> {
        s.map(str::to_owned)
    }

    /// Blocking [`crate::load_s3_file`].
    pub fn load_s3_file(obj: impl S3Ref) -> Result<Bytes> {
        let obj = obj.to_s3_object()?;
        block_on(async move { crate::load_s3_file(obj).await })
    }

    /// Blocking [`crate::load_s3_file_stream`]: the object as an [`S3FileReader`], an iterator
    /// of chunks that is also a [`Read`]. One chunk at a time is held in memory, whatever the
    /// object's size; an error midway is returned, never a silently truncated file.
    ///
    /// ```
    /// use std::io::Read;
    /// # use std::sync::Arc;
    /// # use wmill::{Client, InMemory, S3Client};
    /// # let store = Arc::new(wmill::s3::object_store::memory::InMemory::new());
    /// # wmill::set_client(Client::new(InMemory::new()).with_s3(S3Client::from_store(store)));
    ///
    /// let obj = wmill::parse_s3_object("s3:///docs/blocking-stream.txt")?;
    /// wmill::blocking::write_s3_file(Some(&obj), "hello, stream", &Default::default())?;
    /// let mut text = String::new();
    /// wmill::blocking::load_s3_file_stream(&obj)?
    ///     .read_to_string(&mut text)
    ///     .map_err(|e| wmill::Error::invalid("file", e.to_string()))?;
    /// assert_eq!(text, "hello, stream");
    /// # Ok::<(), wmill::Error>(())
    /// ```
    pub fn load_s3_file_stream(obj: impl S3Ref) -> Result<S3FileReader> {
        let obj = obj.to_s3_object()?;
        let stream = block_on(async move { crate::load_s3_file_stream(obj).await })?;
        Ok(S3FileReader {
            stream: Some(stream),
            chunk: Bytes::new(),
            failed: None,
        })
    }

    /// An S3 object being read without `async`, from [`load_s3_file_stream`].
    ///
    /// Iterate over it for its chunks (`Result<Bytes>`), or use it as a [`Read`] (errors become
    /// [`io::Error`]s wrapping the SDK's [`Error`](wmill_core::Error)). Both can be mixed: the
    /// iterator first yields what a read left of the current chunk.
    pub struct S3FileReader {
        /// `None` once the stream has ended.
        stream: Option<ByteStream>,
        /// What is left of the current chunk.
        chunk: Bytes,
        /// The error that ended the stream: later reads fail with it too (a truncated object
        /// never ends cleanly).
        failed: Option<String>,
    }

    impl std::fmt::Debug for S3FileReader {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("S3FileReader")
                .field("ended", &self.stream.is_none())
                .field("buffered", &self.chunk.len())
                .finish()
        }
    }

    impl S3FileReader {
        fn next_chunk(&mut self) -> Option<Result<Bytes>> {
            let mut stream = self.stream.take()?;
            let polled = block_on(async move {
                let item = stream.next().await;
                Ok((stream, item))
            });
            let item = match polled {
                Ok((stream, Some(Ok(chunk)))) => {
                    self.stream = Some(stream);
                    return Some(Ok(chunk));
                }
                Ok((_, None)) => return None,
                Ok((_, Some(Err(e)))) => e,
                // The runtime could not run the read: the stream is gone with it.
                Err(e) => e,
            };
            // An error ends the stream.
            self.failed = Some(item.to_string());
            Some(Err(item))
        }
    }

    impl Iterator for S3FileReader {
        type Item = Result<Bytes>;

        fn next(&mut self) -> Option<Result<Bytes>> {
            if !self.chunk.is_empty() {
                return Some(Ok(std::mem::take(&mut self.chunk)));
            }
            self.next_chunk()
        }
    }

    impl Read for S3FileReader {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if let Some(message) = &self.failed {
                return Err(io::Error::other(format!(
                    "an earlier read failed: {message}"
                )));
            }
            while self.chunk.is_empty() {
                match self.next_chunk() {
                    Some(Ok(chunk)) => self.chunk = chunk,
                    Some(Err(e)) => return Err(io::Error::other(e)),
                    None => return Ok(0),
                }
            }
            let n = buf.len().min(self.chunk.len());
            self.chunk
                .copy_to_slice(buf.get_mut(..n).unwrap_or_default());
            Ok(n)
        }
    }

    /// Blocking [`crate::write_s3_file_stream`]: writes what `reader` yields, read 1 MiB at a
    /// time on the runtime's blocking threads, so memory stays bounded whatever the size.
    /// Large content goes up as a multipart upload, aborted if `reader` fails: no partial
    /// object is left behind.
    pub fn write_s3_file_stream<R: Read + Send + 'static>(
        obj: impl S3Target,
        reader: R,
        options: &WriteOptions,
    ) -> Result<S3Object> {
        let (obj, options) = (obj.to_s3_target()?, options.clone());
        block_on(async move {
            let chunks = futures::stream::try_unfold(reader, |mut reader| async move {
                let (reader, read) = tokio::task::spawn_blocking(move || {
                    let mut buf = vec![0; READ_CHUNK];
                    let read = read_chunk(&mut reader, &mut buf).map(|n| {
                        buf.truncate(n);
                        buf
                    });
                    (reader, read)
                })
                .await
                .map_err(io::Error::other)?;
                let buf = read?;
                Ok::<_, io::Error>((!buf.is_empty()).then(|| (Bytes::from(buf), reader)))
            });
            crate::write_s3_file_stream(obj.as_ref(), chunks, &options).await
        })
    }

    /// Fills `buf` from `reader` up to its end; the number of bytes read (0 at the end).
    fn read_chunk(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while let Some(rest) = buf.get_mut(filled..).filter(|rest| !rest.is_empty()) {
            match reader.read(rest) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(filled)
    }

    /// Blocking [`crate::write_s3_file`].
    pub fn write_s3_file(
        obj: impl S3Target,
        content: impl Into<Bytes>,
        options: &WriteOptions,
    ) -> Result<S3Object> {
        let (obj, content, options) = (obj.to_s3_target()?, content.into(), options.clone());
        block_on(async move { crate::write_s3_file(obj.as_ref(), content, &options).await })
    }

    /// Blocking [`crate::write_s3_json`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use wmill::{Client, InMemory, S3Client};
    /// # let store = Arc::new(wmill::s3::object_store::memory::InMemory::new());
    /// # let client = Client::new(InMemory::new()).with_s3(S3Client::from_store(store));
    /// # wmill::blocking::with_client(client, || {
    /// use serde_json::{Value, json};
    ///
    /// let obj = wmill::blocking::write_s3_json("s3:///reports/today.json", &json!({"ok": true}))?;
    /// let back: Value = wmill::blocking::load_s3_json(&obj)?;
    /// assert_eq!(back["ok"], true);
    /// # Ok::<(), wmill::Error>(()) })?;
    /// # Ok::<(), wmill::Error>(())
    /// ```
    pub fn write_s3_json(
        obj: impl S3Target,
        value: &(impl serde::Serialize + ?Sized),
    ) -> Result<S3Object> {
        let (obj, body) = (obj.to_s3_target()?, crate::s3files::json_body(value)?);
        block_on(async move {
            crate::write_s3_file(obj.as_ref(), body, &crate::s3files::json_options()).await
        })
    }

    /// Blocking [`crate::load_s3_json`].
    pub fn load_s3_json<T: serde::de::DeserializeOwned>(obj: impl S3Ref) -> Result<T> {
        let obj = obj.to_s3_object()?;
        let bytes = load_s3_file(&obj)?;
        crate::s3files::decode_json(&obj, &bytes)
    }

    /// Blocking [`crate::move_s3_object`].
    pub fn move_s3_object(from: impl S3Ref, to: impl S3Ref) -> Result<()> {
        let (from, to) = (from.to_s3_object()?, to.to_s3_object()?);
        block_on(async move { crate::move_s3_object(from, to).await })
    }

    /// Blocking [`crate::delete_s3_object`].
    pub fn delete_s3_object(obj: impl S3Ref) -> Result<()> {
        let obj = obj.to_s3_object()?;
        block_on(async move { crate::delete_s3_object(obj).await })
    }

    /// Blocking [`crate::sign_s3_objects`].
    pub fn sign_s3_objects(
        objects: &[S3Object],
        expiry_secs: Option<u64>,
    ) -> Result<Vec<S3Object>> {
        let objects = objects.to_vec();
        block_on(async move { crate::sign_s3_objects(&objects, expiry_secs).await })
    }

    /// Blocking [`crate::sign_s3_object`].
    pub fn sign_s3_object(obj: impl S3Ref, expiry_secs: Option<u64>) -> Result<S3Object> {
        let obj = obj.to_s3_object()?;
        block_on(async move { crate::sign_s3_object(obj, expiry_secs).await })
    }

    /// Blocking [`crate::get_presigned_s3_public_urls`].
    pub fn get_presigned_s3_public_urls(
        objects: &[S3Object],
        options: &PresignOptions,
    ) -> Result<Vec<String>> {
        let (objects, options) = (objects.to_vec(), options.clone());
        block_on(async move { crate::get_presigned_s3_public_urls(&objects, &options).await })
    }

    /// Blocking [`crate::get_presigned_s3_public_url`].
    pub fn get_presigned_s3_public_url(
        obj: impl S3Ref,
        options: &PresignOptions,
    ) -> Result<String> {
        let (obj, options) = (obj.to_s3_object()?, options.clone());
        block_on(async move { crate::get_presigned_s3_public_url(obj, &options).await })
    }

    /// Blocking [`crate::get_boto3_connection_settings`].
    pub fn get_boto3_connection_settings(s3_resource_path: Option<&str>) -> Result<Boto3Settings> {
        let p = owned(s3_resource_path);
        block_on(async move { crate::get_boto3_connection_settings(p.as_deref()).await })
    }

    /// Blocking [`crate::get_polars_connection_settings`].
    pub fn get_polars_connection_settings(
        s3_resource_path: Option<&str>,
    ) -> Result<PolarsSettings> {
        let p = owned(s3_resource_path);
        block_on(async move { crate::get_polars_connection_settings(p.as_deref()).await })
    }

    /// Blocking [`crate::get_duckdb_connection_settings`].
    pub fn get_duckdb_connection_settings(
        s3_resource_path: Option<&str>,
    ) -> Result<DuckdbSettings> {
        let p = owned(s3_resource_path);
        block_on(async move { crate::get_duckdb_connection_settings(p.as_deref()).await })
    }

    /// Blocking [`crate::load_file_preview`].
    pub fn load_file_preview(
        obj: impl S3Ref,
        options: &wmill_s3::PreviewOptions,
    ) -> Result<wmill_s3::FilePreview> {
        let (obj, options) = (obj.to_s3_object()?, options.clone());
        block_on(async move { crate::load_file_preview(obj, &options).await })
    }

    /// Blocking [`crate::check_s3_folder_exists`].
    pub fn check_s3_folder_exists(
        folder: &str,
        marker_file: Option<&str>,
    ) -> Result<wmill_s3::FolderCheck> {
        let (folder, marker) = (folder.to_owned(), owned(marker_file));
        block_on(async move { crate::check_s3_folder_exists(&folder, marker.as_deref()).await })
    }

    /// Blocking [`crate::download_s3_parquet_file_as_csv`].
    pub fn download_s3_parquet_file_as_csv(
        obj: impl S3Ref,
        s3_resource_path: Option<&str>,
    ) -> Result<Bytes> {
        let (obj, p) = (obj.to_s3_object()?, owned(s3_resource_path));
        block_on(async move { crate::download_s3_parquet_file_as_csv(obj, p.as_deref()).await })
    }

    /// Blocking [`crate::test_storage_connection`].
    pub fn test_storage_connection(storage: Option<&str>) -> Result<serde_json::Value> {
        let storage = owned(storage);
        block_on(async move { crate::test_storage_connection(storage.as_deref()).await })
    }

    /// Blocking [`crate::storage_usage`].
    pub fn storage_usage(refresh: bool) -> Result<wmill_s3::StorageUsage> {
        block_on(async move { crate::storage_usage(refresh).await })
    }
}

// ---------------------------------------------------------------- data tables and DuckLake

#[cfg(feature = "http")]
pub use self::sql_tables::{DataTable, DuckLake, Materialize, SqlQuery, datatable, ducklake};

/// Blocking data tables and DuckLake (feature `http`): the async builders of
/// [`crate::datatable`] / [`crate::ducklake`] with blocking runs.
#[cfg(feature = "http")]
mod sql_tables {
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use serde_json::Value;
    use wmill_core::Result;
    use wmill_http::{ResultCollection, SqlPreview};

    use super::block_on;

    /// Blocking [`crate::datatable`]: the same builder, whose queries run without `async`.
    ///
    /// ```no_run
    /// fn main() -> wmill::Result<()> {
    ///     let n: Option<i64> = wmill::blocking::datatable("main")
    ///         .query("SELECT count(*) FROM friend WHERE age >= $1")
    ///         .bind(18)
    ///         .fetch_scalar()?;
    ///     println!("{n:?} adults");
    ///     Ok(())
    /// }
    /// ```
    pub fn datatable(name: &str) -> DataTable {
        DataTable(crate::datatable(name))
    }

    /// Blocking [`crate::ducklake`]: the same builder, whose queries run without `async`.
    ///
    /// ```no_run
    /// fn main() -> wmill::Result<()> {
    ///     wmill::blocking::ducklake("main")
    ///         .append_partition("events", "SELECT * FROM staging")
    ///         .partition("2026-06-19")
    ///         .execute()
    /// }
    /// ```
    pub fn ducklake(name: &str) -> DuckLake {
        DuckLake(crate::ducklake(name))
    }

    /// Blocking [`wmill_http::DataTable`].
    #[derive(Debug, Clone)]
    pub struct DataTable(wmill_http::DataTable);

    impl DataTable {
        /// [`wmill_http::DataTable::role`].
        #[must_use]
        pub fn role(self, role: &str) -> Self {
            DataTable(self.0.role(role))
        }

        /// [`wmill_http::DataTable::name`].
        pub fn name(&self) -> &str {
            self.0.name()
        }

        /// [`wmill_http::DataTable::schema`].
        pub fn schema(&self) -> Option<&str> {
            self.0.schema()
        }

        /// [`wmill_http::DataTable::query`].
        pub fn query(&self, sql: impl Into<String>) -> SqlQuery {
            SqlQuery(self.0.query(sql))
        }
    }

    impl From<wmill_http::DataTable> for DataTable {
        fn from(d: wmill_http::DataTable) -> Self {
            DataTable(d)
        }
    }

    /// Blocking [`wmill_http::SqlQuery`]: the same binding, blocking runs.
    #[derive(Debug, Clone)]
    pub struct SqlQuery(wmill_http::SqlQuery);

    impl SqlQuery {
        /// [`wmill_http::SqlQuery::bind`].
        #[must_use]
        pub fn bind<T: Serialize>(self, value: T) -> Self {
            SqlQuery(self.0.bind(value))
        }

        /// [`wmill_http::SqlQuery::bind_as`].
        #[must_use]
        pub fn bind_as<T: Serialize>(self, value: T, sql_type: &str) -> Self {
            SqlQuery(self.0.bind_as(value, sql_type))
        }

        /// [`wmill_http::SqlQuery::bind_named`].
        #[must_use]
        pub fn bind_named<T: Serialize>(self, name: &str, value: T) -> Self {
            SqlQuery(self.0.bind_named(name, value))
        }

        /// [`wmill_http::SqlQuery::bind_named_as`].
        #[must_use]
        pub fn bind_named_as<T: Serialize>(self, name: &str, value: T, sql_type: &str) -> Self {
            SqlQuery(self.0.bind_named_as(name, value, sql_type))
        }

        /// [`wmill_http::SqlQuery::sql`].
        pub fn sql(&self) -> &str {
            self.0.sql()
        }

        /// [`wmill_http::SqlQuery::to_preview`].
        pub fn to_preview(&self, collection: Option<ResultCollection>) -> Result<SqlPreview> {
            self.0.to_preview(collection)
        }

        /// Blocking [`wmill_http::SqlQuery::fetch_collection`].
        pub fn fetch_collection(&self, collection: Option<ResultCollection>) -> Result<Value> {
            let q = self.0.clone();
            block_on(async move { q.fetch_collection(collection).await })
        }

        /// Blocking [`wmill_http::SqlQuery::fetch`].
        pub fn fetch<T: DeserializeOwned + Send + 'static>(&self) -> Result<Vec<T>> {
            let q = self.0.clone();
            block_on(async move { q.fetch::<T>().await })
        }

        /// Blocking [`wmill_http::SqlQuery::fetch_one`].
        pub fn fetch_one<T: DeserializeOwned + Send + 'static>(&self) -> Result<Option<T>> {
            let q = self.0.clone();
            block_on(async move { q.fetch_one::<T>().await })
        }

        /// Blocking [`wmill_http::SqlQuery::fetch_scalar`].
        pub fn fetch_scalar<T: DeserializeOwned + Send + 'static>(&self) -> Result<Option<T>> {
            let q = self.0.clone();
            block_on(async move { q.fetch_scalar::<T>().await })
        }

        /// Blocking [`wmill_http::SqlQuery::execute`].
        pub fn execute(&self) -> Result<()> {
            let q = self.0.clone();
            block_on(async move { q.execute().await })
        }
    }

    impl From<wmill_http::SqlQuery> for SqlQuery {
        fn from(q: wmill_http::SqlQuery) -> Self {
            SqlQuery(q)
        }
    }

    /// Blocking [`wmill_http::DuckLake`].
    #[derive(Debug, Clone)]
    pub struct DuckLake(wmill_http::DuckLake);

    impl DuckLake {
        /// [`wmill_http::DuckLake::pipeline`].
        #[must_use]
        pub fn pipeline(self, record: bool) -> Self {
            DuckLake(self.0.pipeline(record))
        }

        /// [`wmill_http::DuckLake::name`].
        pub fn name(&self) -> &str {
            self.0.name()
        }

        /// [`wmill_http::DuckLake::schema`].
        pub fn schema(&self) -> Option<&str> {
            self.0.schema()
        }

        /// [`wmill_http::DuckLake::query`].
        pub fn query(&self, sql: impl Into<String>) -> SqlQuery {
            SqlQuery(self.0.query(sql))
        }

        /// [`wmill_http::DuckLake::read`].
        pub fn read(&self, table: &str, partition: Option<&str>) -> SqlQuery {
            SqlQuery(self.0.read(table, partition))
        }

        /// [`wmill_http::DuckLake::upsert_partition`].
        pub fn upsert_partition(&self, table: &str, select_sql: &str) -> Materialize {
            Materialize(self.0.upsert_partition(table, select_sql))
        }

        /// [`wmill_http::DuckLake::append_partition`].
        pub fn append_partition(&self, table: &str, select_sql: &str) -> Materialize {
            Materialize(self.0.append_partition(table, select_sql))
        }
    }

    impl From<wmill_http::DuckLake> for DuckLake {
        fn from(d: wmill_http::DuckLake) -> Self {
            DuckLake(d)
        }
    }

    /// Blocking [`wmill_http::Materialize`].
    #[derive(Debug, Clone)]
    pub struct Materialize(wmill_http::Materialize);

    impl Materialize {
        /// [`wmill_http::Materialize::partition`].
        #[must_use]
        pub fn partition(self, partition: impl Into<String>) -> Self {
            Materialize(self.0.partition(partition))
        }

        /// [`wmill_http::Materialize::unique_key`].
        #[must_use]
        pub fn unique_key(self, column: &str) -> Self {
            Materialize(self.0.unique_key(column))
        }

        /// [`wmill_http::Materialize::partition_col`].
        #[must_use]
        pub fn partition_col(self, column: &str) -> Self {
            Materialize(self.0.partition_col(column))
        }

        /// [`wmill_http::Materialize::statement`].
        pub fn statement(&self) -> SqlQuery {
            SqlQuery(self.0.statement())
        }

        /// Blocking [`wmill_http::Materialize::execute`].
        pub fn execute(&self) -> Result<()> {
            let m = self.0.clone();
            block_on(async move { m.execute().await })
        }
    }
}

// ---------------------------------------------------------------- flows by version, suspended steps

/// Blocking [`crate::run_flow_by_version_async`].
pub fn run_flow_by_version_async<A: Serialize + ?Sized>(
    version: impl Into<wmill_core::FlowVersion>,
    args: &A,
) -> Result<JobId> {
    run_flow_by_version_async_with(version, args, &RunOptions::new())
}

/// Blocking [`crate::run_flow_by_version_async_with`].
pub fn run_flow_by_version_async_with<A: Serialize + ?Sized>(
    version: impl Into<wmill_core::FlowVersion>,
    args: &A,
    options: &RunOptions,
) -> Result<JobId> {
    let args = to_args(args)?;
    let (version, options) = (version.into(), options.clone());
    block_on(async move { crate::run_flow_by_version_async_with(version, &args, &options).await })
}

/// Blocking [`crate::run_flow_by_version`].
pub fn run_flow_by_version<A: Serialize + ?Sized>(
    version: impl Into<wmill_core::FlowVersion>,
    args: &A,
) -> Result<Value> {
    run_flow_by_version_with(version, args, &RunOptions::new())
}

/// Blocking [`crate::run_flow_by_version_with`].
pub fn run_flow_by_version_with<A: Serialize + ?Sized>(
    version: impl Into<wmill_core::FlowVersion>,
    args: &A,
    options: &RunOptions,
) -> Result<Value> {
    let args = to_args(args)?;
    let (version, options) = (version.into(), options.clone());
    block_on(async move { crate::run_flow_by_version_with(version, &args, &options).await })
}

#[cfg(feature = "http")]
pub use self::suspended::*;

/// Blocking versions of the suspended-step helpers (feature `http`).
#[cfg(feature = "http")]
mod suspended {
    use serde::Serialize;
    use wmill_core::Result;

    use super::{block_on, json};
    use crate::JobRef;

    /// Blocking [`crate::resume_suspended_job`].
    pub fn resume_suspended_job<T: Serialize + ?Sized>(url: &str, payload: &T) -> Result<()> {
        let (url, payload) = (url.to_owned(), json(payload, "resume payload")?);
        block_on(async move { crate::resume_suspended_job(&url, &payload).await })
    }

    /// Blocking [`crate::cancel_suspended_job`].
    pub fn cancel_suspended_job<T: Serialize + ?Sized>(url: &str, payload: &T) -> Result<()> {
        let (url, payload) = (url.to_owned(), json(payload, "resume payload")?);
        block_on(async move { crate::cancel_suspended_job(&url, &payload).await })
    }

    /// Blocking [`crate::resume_suspended_job_by_id`].
    pub fn resume_suspended_job_by_id<T: Serialize + ?Sized>(
        job_id: impl JobRef,
        resume_id: u32,
        approver: Option<&str>,
        payload: &T,
    ) -> Result<()> {
        let id = job_id.to_job_id()?;
        let approver = approver.map(str::to_owned);
        let payload = json(payload, "resume payload")?;
        block_on(async move {
            crate::resume_suspended_job_by_id(id, resume_id, approver.as_deref(), &payload).await
        })
    }

    /// Blocking [`crate::cancel_suspended_job_by_id`].
    pub fn cancel_suspended_job_by_id<T: Serialize + ?Sized>(
        job_id: impl JobRef,
        resume_id: u32,
        approver: Option<&str>,
        payload: &T,
    ) -> Result<()> {
        let id = job_id.to_job_id()?;
        let approver = approver.map(str::to_owned);
        let payload = json(payload, "resume payload")?;
        block_on(async move {
            crate::cancel_suspended_job_by_id(id, resume_id, approver.as_deref(), &payload).await
        })
    }
}

pub use self::handles::*;

/// Blocking job handles and batches.
mod handles {
    use std::sync::Arc;

    use futures::StreamExt;
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use serde_json::Value;
    use wmill_core::{
        BatchItem, BatchJob, BatchOptions, BatchStream, JobId, JobStatus, Result, RunOptions,
        WaitOptions,
    };

    use super::block_on;
    use crate::JobRef;

    /// Blocking [`crate::start_script_by_path`].
    ///
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
    pub fn start_script_by_path<A: Serialize + ?Sized>(path: &str, args: &A) -> Result<JobHandle> {
        start_script_by_path_with(path, args, &RunOptions::new())
    }

    /// Blocking [`crate::start_script_by_path_with`].
    pub fn start_script_by_path_with<A: Serialize + ?Sized>(
        path: &str,
        args: &A,
        options: &RunOptions,
    ) -> Result<JobHandle> {
        let id = super::run_script_by_path_async_with(path, args, options)?;
        job_handle(id)
    }

    /// Blocking [`crate::start_script_by_hash`].
    pub fn start_script_by_hash<A: Serialize + ?Sized>(hash: &str, args: &A) -> Result<JobHandle> {
        start_script_by_hash_with(hash, args, &RunOptions::new())
    }

    /// Blocking [`crate::start_script_by_hash_with`].
    pub fn start_script_by_hash_with<A: Serialize + ?Sized>(
        hash: &str,
        args: &A,
        options: &RunOptions,
    ) -> Result<JobHandle> {
        let id = super::run_script_by_hash_async_with(hash, args, options)?;
        job_handle(id)
    }

    /// Blocking [`crate::start_flow`].
    pub fn start_flow<A: Serialize + ?Sized>(path: &str, args: &A) -> Result<JobHandle> {
        start_flow_with(path, args, &RunOptions::new())
    }

    /// Blocking [`crate::start_flow_with`].
    pub fn start_flow_with<A: Serialize + ?Sized>(
        path: &str,
        args: &A,
        options: &RunOptions,
    ) -> Result<JobHandle> {
        let id = super::run_flow_async_with(path, args, options)?;
        job_handle(id)
    }

    /// Blocking [`crate::job_handle`].
    pub fn job_handle(job_id: impl JobRef) -> Result<JobHandle> {
        Ok(JobHandle {
            inner: crate::job_handle(job_id)?,
        })
    }

    /// A [`JobHandle`](wmill_core::JobHandle) whose calls block: each runs on the runtime of
    /// this module.
    #[derive(Debug, Clone)]
    pub struct JobHandle {
        inner: wmill_core::JobHandle,
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
            let h = self.inner.clone();
            block_on(async move { h.status().await })
        }

        /// Blocking [`JobHandle::result`](wmill_core::JobHandle::result).
        pub fn result(&self) -> Result<Value> {
            let h = self.inner.clone();
            block_on(async move { h.result().await })
        }

        /// Blocking [`JobHandle::wait`](wmill_core::JobHandle::wait).
        pub fn wait(&self, options: &WaitOptions) -> Result<Value> {
            let (h, options) = (self.inner.clone(), options.clone());
            block_on(async move { h.wait(&options).await })
        }

        /// Blocking [`JobHandle::wait_as`](wmill_core::JobHandle::wait_as).
        pub fn wait_as<R: DeserializeOwned + Send + 'static>(
            &self,
            options: &WaitOptions,
        ) -> Result<R> {
            let (h, options) = (self.inner.clone(), options.clone());
            block_on(async move { h.wait_as(&options).await })
        }

        /// Blocking [`JobHandle::cancel`](wmill_core::JobHandle::cancel).
        pub fn cancel(&self, reason: &str) -> Result<()> {
            let (h, reason) = (self.inner.clone(), reason.to_owned());
            block_on(async move { h.cancel(&reason).await })
        }

        /// Blocking [`JobHandle::cancel_on_drop`](wmill_core::JobHandle::cancel_on_drop): the
        /// drop of the guard sends the cancel before it returns (bounded in time).
        pub fn cancel_on_drop(self, reason: impl Into<String>) -> JobGuard {
            JobGuard {
                inner: Arc::new(self.inner.cancel_on_drop(reason)),
            }
        }
    }

    /// A [`JobGuard`](wmill_core::JobGuard) whose calls block.
    #[derive(Debug)]
    pub struct JobGuard {
        inner: Arc<wmill_core::JobGuard>,
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
            let g = self.inner.clone();
            block_on(async move { g.status().await })
        }

        /// Blocking [`JobGuard::wait`](wmill_core::JobGuard::wait).
        pub fn wait(&self, options: &WaitOptions) -> Result<Value> {
            let (g, options) = (self.inner.clone(), options.clone());
            block_on(async move { g.wait(&options).await })
        }

        /// Blocking [`JobGuard::cancel`](wmill_core::JobGuard::cancel).
        pub fn cancel(&self, reason: &str) -> Result<()> {
            let (g, reason) = (self.inner.clone(), reason.to_owned());
            block_on(async move { g.cancel(&reason).await })
        }

        /// Gives the handle back; the job is no longer canceled on drop.
        pub fn disarm(self) -> JobHandle {
            let inner = match Arc::try_unwrap(self.inner) {
                Ok(guard) => guard.disarm(),
                // Not reachable (calls give their clone back before returning); disarming a
                // shared guard is not possible, so keep a handle and let it be.
                Err(shared) => shared.handle().clone(),
            };
            JobHandle { inner }
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
        let runtime = super::runtime()?.handle().clone();
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
        stream: Option<BatchStream>,
    }

    impl Iterator for BatchIter {
        type Item = BatchItem;

        fn next(&mut self) -> Option<BatchItem> {
            let mut stream = self.stream.take()?;
            let polled = block_on(async move {
                let item = stream.next().await;
                Ok((stream, item))
            });
            match polled {
                Ok((stream, Some(item))) => {
                    self.stream = Some(stream);
                    Some(item)
                }
                // (An error here means the runtime, checked when the batch was made, dropped
                // the task: the batch is gone with it.)
                Ok((_, None)) | Err(_) => None,
            }
        }
    }
}
