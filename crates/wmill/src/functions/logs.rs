//! Job logs: the whole log, the followed log as a stream, a flow's logs.

use wmill_core::{LogStream, Result};

use super::JobRef;
use crate::global::client;

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
