//! Blocking listings and followed logs: the streams of the async functions as iterators.

use futures::StreamExt;
use futures::stream::BoxStream;
#[cfg(feature = "http")]
use wmill_core::{FlowSummary, ListRunnables, ScriptSummary};
use wmill_core::{
    JobQuery, JobSummary, ListResources, ListVariables, LogChunk, ResourceInfo, Result,
    VariableInfo,
};

use super::runtime::run;
use crate::JobRef;

/// A listing read without `async`: an iterator of items that fetches one page at a time
/// (through [`block_on`](super::block_on)). It ends after the last item or after the first
/// error.
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
    /// `None` once the listing ended.
    stream: Option<BoxStream<'static, Result<T>>>,
}

/// A job's log being followed without `async`, from [`job_logs`]: an iterator of
/// [`LogChunk`]s that ends after the job completed (and after an error).
pub type JobLogs = Listing<LogChunk>;

impl<T> std::fmt::Debug for Listing<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listing")
            .field("ended", &self.stream.is_none())
            .finish()
    }
}

impl<T> From<BoxStream<'static, Result<T>>> for Listing<T> {
    fn from(stream: BoxStream<'static, Result<T>>) -> Self {
        Listing {
            stream: Some(stream),
        }
    }
}

impl<T: Send> Iterator for Listing<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        // An error of the runtime ends the listing as an error of the stream does.
        let item = run(self.stream.as_mut()?.next()).unwrap_or_else(|e| Some(Err(e)));
        if !matches!(item, Some(Ok(_))) {
            self.stream = None;
        }
        item
    }
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
    crate::job_logs(job_id).map(Listing::from)
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
    Listing::from(crate::stream_jobs(query))
}

/// Blocking [`crate::stream_variables`].
pub fn stream_variables(options: &ListVariables) -> Listing<VariableInfo> {
    Listing::from(crate::stream_variables(options))
}

/// Blocking [`crate::stream_resources`].
pub fn stream_resources(options: &ListResources) -> Listing<ResourceInfo> {
    Listing::from(crate::stream_resources(options))
}

/// Blocking [`crate::stream_scripts`].
#[cfg(feature = "http")]
pub fn stream_scripts(options: &ListRunnables) -> Listing<ScriptSummary> {
    Listing::from(crate::stream_scripts(options))
}

/// Blocking [`crate::stream_flows`].
#[cfg(feature = "http")]
pub fn stream_flows(options: &ListRunnables) -> Listing<FlowSummary> {
    Listing::from(crate::stream_flows(options))
}
