//! Listings as streams that fetch one page at a time: jobs, variables, resources, scripts,
//! flows.

use futures::StreamExt;
use futures::stream::BoxStream;
use wmill_core::{
    Error, JobQuery, JobSummary, ListResources, ListVariables, ResourceInfo, Result, VariableInfo,
};
#[cfg(feature = "http")]
use wmill_core::{FlowSummary, ListRunnables, ScriptSummary};

use crate::global::client;

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
/// `options.per_page` per request, default 1000). [`list_variables`](crate::list_variables) returns one page.
pub fn stream_variables(options: &ListVariables) -> BoxStream<'static, Result<VariableInfo>> {
    match client().and_then(|c| c.variables().cloned()) {
        Ok(store) => wmill_core::variable_stream(store, options.clone()),
        Err(e) => failed(e),
    }
}

/// Every resource `options` selects (`resource_type` filter included), page by page.
/// [`list_resources_with`](crate::list_resources_with) returns one page.
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
