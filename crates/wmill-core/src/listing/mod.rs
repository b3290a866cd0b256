//! Listings as streams: the auto-paging helper ([`paginate`]), job listing
//! ([`JobQuery`], [`JobSummary`], [`JobCursor`]), and streams of variables, resources, scripts
//! and flows.
//!
//! Every listing is a [`Stream`](futures::Stream) that fetches one page at a time and holds at most one page in
//! memory, whatever the number of items. The page size is configurable (the server's default
//! is 1000 per page, its maximum 10000). A server that answers the same page again (the same
//! cursor twice, the same items twice, or rows outside the cursor it was sent) ends the stream
//! with [`Error::ListingStalled`] instead of looping.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
//! use futures::TryStreamExt;
//! use serde_json::json;
//! use wmill_core::{InMemory, ItemPath, JobQuery, JobRunner, JobRunnerListExt, RunOptions};
//!
//! let wm = InMemory::new();
//! wm.register_script("f/jobs/double", |args| async move {
//!     Ok(json!(args["x"].as_i64().unwrap_or(0) * 2))
//! })?;
//! let path = ItemPath::parse("f/jobs/double")?;
//! for x in 0..5 {
//!     let args = wmill_core::to_args(&json!({ "x": x }))?;
//!     wm.run_script_by_path(&path, args, &RunOptions::new()).await?;
//! }
//!
//! // Two jobs per page: three requests, one page in memory at a time.
//! let query = JobQuery::new().script_path(path).page_size(2);
//! let jobs: Vec<_> = wm.stream_jobs(&query).try_collect().await?;
//! assert_eq!(jobs.len(), 5);
//! assert!(jobs.iter().all(|j| j.status().is_completed()));
//! # Ok(()) }
//! ```

mod cursor;
mod identity;
mod job_query;
mod job_summary;
mod pagination;
mod runnables;
mod streams;
mod timestamp;

pub use cursor::{JobCursor, JobPageRequest};
pub use job_query::{JobListStatus, JobQuery};
pub use job_summary::JobSummary;
pub use pagination::{DEFAULT_PAGE_SIZE, ListItem, MAX_PAGE_SIZE, Page, paginate, validate_paging};
pub use runnables::{FlowSummary, ListRunnables, ScriptSummary};
pub use streams::{
    JobRunnerListExt, ResourceStoreListExt, VariableStoreListExt, job_stream, resource_stream,
    variable_stream,
};
pub(crate) use timestamp::{civil_from_days, truncate_to_micros};
pub use timestamp::{timestamp_from_rfc3339, timestamp_to_rfc3339};

#[cfg(test)]
mod tests;
