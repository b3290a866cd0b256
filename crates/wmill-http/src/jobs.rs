//! [`JobRunner`] for [`Windmill`]: results, status, cancel, logs and the synchronous runs and
//! waits it hands to `wait/` (starting jobs is in `job_start.rs`).

use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use reqwest::Method;
use serde_json::{Value, json};
use tracing::{Instrument, Span};
use wmill_core::{
    Args, CancelOnDrop, Error, ItemPath, Job, JobId, JobRunner, JobStatus, LogChunk, LogUpdate,
    Result, RunOptions, Runnable, WaitOptions,
};

use crate::client::Windmill;
use crate::job_start::Target;

/// The default reason of [`JobRunner::cancel_job`].
const DEFAULT_CANCEL_REASON: &str = "cancelled via cancel_job method";

impl Windmill {
    /// Whether a job with this id exists, queued, running or completed
    /// (`GET jobs_u/get/{id}?no_logs=true&no_code=true`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    pub async fn job_exists(&self, id: &JobId) -> Result<bool> {
        match self.get_job_light(id).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET jobs_u/get/{id}?no_logs=true&no_code=true`.
    pub(crate) async fn get_job_light(&self, id: &JobId) -> Result<Value> {
        self.job_call(Method::GET, &["jobs_u", "get"], id)
            .query("no_logs", "true")
            .query("no_code", "true")
            .send()
            .await?
            .json()
    }

    /// `GET jobs_u/get/{id}?no_logs=true&no_code=true`, typed. A body that is not a job is
    /// [`Error::Decode`] naming the request, with the JSON's outline (never its values).
    pub(crate) async fn get_job_typed(&self, id: &JobId) -> Result<Job> {
        let resp = self
            .job_call(Method::GET, &["jobs_u", "get"], id)
            .query("no_logs", "true")
            .query("no_code", "true")
            .send()
            .await?;
        let raw: Value = resp.json()?;
        Job::from_value(raw).map_err(|e| match e {
            Error::Decode {
                body_excerpt,
                source,
                ..
            } => Error::Decode {
                request: resp.request.to_string(),
                body_excerpt,
                source,
            },
            other => other,
        })
    }

    /// The span of a start (`wait`: a synchronous run) of `target`: named after the per-kind
    /// call (`run_script_by_path_async`, `run_flow`, ...), with the workspace, what runs, and the
    /// job id once it is known (recorded by [`started`](crate::job_start::started)).
    fn run_span(&self, target: &Runnable, wait: bool) -> Span {
        let workspace = self.workspace().as_str();
        macro_rules! span {
            ($name:literal, $($what:tt)*) => {
                tracing::info_span!($name, workspace, $($what)*, job_id = tracing::field::Empty)
            };
        }
        match (target, wait) {
            (Runnable::ScriptPath(p), false) => {
                span!("run_script_by_path_async", path = p.as_str())
            }
            (Runnable::ScriptPath(p), true) => span!("run_script_by_path", path = p.as_str()),
            (Runnable::ScriptHash(h), false) => {
                span!("run_script_by_hash_async", hash = h.as_str())
            }
            (Runnable::ScriptHash(h), true) => span!("run_script_by_hash", hash = h.as_str()),
            (Runnable::Flow(p), false) => span!("run_flow_async", path = p.as_str()),
            (Runnable::Flow(p), true) => span!("run_flow", path = p.as_str()),
            (Runnable::FlowVersion(v), false) => span!("run_flow_by_version_async", version = %v),
            (Runnable::FlowVersion(v), true) => span!("run_flow_by_version", version = %v),
        }
    }

    /// Cancels a job with an explicit reason, bounded by `timeout`; errors are only logged
    /// (used on wait timeouts).
    #[tracing::instrument(name = "cleanup_cancel", skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    pub(crate) async fn cancel_quietly(&self, id: &JobId, reason: &str, timeout: Duration) {
        let call = self
            .job_request(Method::POST, &["jobs_u", "queue", "cancel"], id)
            .timeout(timeout)
            .json(&json!({ "reason": reason }));
        let result = match call {
            // The whole call, retries of connect errors included, stays within `timeout`.
            Ok(c) => match tokio::time::timeout(timeout, c.send()).await {
                Ok(sent) => sent.map(drop),
                Err(_) => Err(Error::Timeout {
                    job_id: Some(*id),
                    after: timeout,
                }),
            },
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::debug!(job_id = %id, error = %e, "cancel after timeout failed");
        }
    }
}

/// Jobs over `jobs/*` and `jobs_u/*`.
///
/// - `start` (and the `run_*_async` that call it): `POST jobs/run/{p|h|f|fv}/{path, hash or
///   version}` with the args as the JSON body and the options in the query string (the table
///   on [`RunOptions`](wmill_core::RunOptions); an option the endpoint does not take is
///   `InvalidInput` before any request); 201 with the id as text.
/// - `run` (and the synchronous `run_*` that call it): see the crate docs, "Waiting for jobs".
/// - Each start or run is in a span named after the per-kind call (`run_script_by_path_async`,
///   `run_flow`, ...), with the workspace, the path, hash or version, and the job id.
/// - `wait_job`: see [`WaitStrategy`](wmill_core::WaitStrategy) and the crate docs.
/// - `get_result`: `GET jobs_u/completed/get_result/{id}`.
/// - `get_job`: `GET jobs_u/get/{id}?no_logs=true&no_code=true`, read into the typed
///   [`Job`] (logs and code left out: [`Windmill::get_job_raw`] has them).
/// - `get_job_status`: the same request; the status is the typed job's
///   ([`JobState::status`](wmill_core::JobState::status)).
/// - `cancel_job`: `POST jobs_u/queue/cancel/{id}` `{reason}`.
/// - `get_job_logs`: `GET jobs_u/get_logs/{id}?remove_ansi_warnings=true` (the log only,
///   without the server's first line `to remove ansi colors, use: ...`).
/// - `get_log_update`: `GET jobs_u/getupdate/{id}?log_offset=..`.
/// - `job_logs_from`: `GET jobs_u/getupdate_sse/{id}?log_offset=..&fast=true`, one event stream
///   for up to a minute (the server's limit) carrying only the new text of each check (every
///   100 ms for 1 s, then every 500 ms, then every 3 s), resumed from the last offset when it
///   ends or breaks; after 3 failed streams in a row, polls of `getupdate` on the same schedule.
///   A 10 s job costs one request, whatever the size of its log.
/// - `get_flow_all_logs`: `GET jobs_u/get_flow_all_logs/{id}`.
/// - waits with [`WaitOptions::logs`](wmill_core::WaitOptions::logs) follow the log as
///   `job_logs_from` does, next to the wait, then read its end with one `getupdate`.
/// - `cancel_job_in_background`: the same request, sent on the current runtime (or from a
///   thread of its own during a shutdown or outside any runtime), bounded by 5 s.
#[async_trait]
impl JobRunner for Windmill {
    async fn start(&self, target: Runnable, args: Args, options: &RunOptions) -> Result<JobId> {
        self.start_remembered(Target(&target), &args, options)
            .instrument(self.run_span(&target, false))
            .await
    }

    async fn run(&self, target: Runnable, args: Args, options: &RunOptions) -> Result<Value> {
        // A synchronous run's future is large (about 6 KiB: the state of its largest wait, each
        // request's future being about 4 KiB) and a move copies all of it: boxed, it is
        // written once, where inline it would be copied into the span's wrapper and again into
        // this method's boxed future (docs/performance.md, section 7).
        Box::pin(self.run_sync(Target(&target), args, options))
            .instrument(self.run_span(&target, true))
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    async fn wait_job(&self, id: &JobId, options: &WaitOptions) -> Result<Value> {
        // A wait dropped before it returns cancels the job (`cancel_on_drop`).
        let guard = CancelOnDrop::new(self, *id).armed(options.cancel_on_drop);
        let outcome = self.wait(id, options).await;
        guard.disarm();
        outcome
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    async fn get_result(&self, id: &JobId) -> Result<Value> {
        let resp = self
            .job_call(Method::GET, &["jobs_u", "completed", "get_result"], id)
            .send()
            .await?;
        resp.result_value()
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    async fn get_job_status(&self, id: &JobId) -> Result<JobStatus> {
        Ok(self.get_job_typed(id).await?.status())
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    async fn cancel_job(&self, id: &JobId, reason: Option<String>) -> Result<()> {
        self.job_call(Method::POST, &["jobs_u", "queue", "cancel"], id)
            .json(&json!({ "reason": reason.as_deref().unwrap_or(DEFAULT_CANCEL_REASON) }))?
            .send()
            .await
            .map(drop)
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = query.script_path.as_ref().map(ItemPath::as_str), path_start = query.script_path_start.as_deref()))]
    async fn list_jobs_page(
        &self,
        query: &wmill_core::JobQuery,
        cursor: &wmill_core::JobCursor,
    ) -> Result<wmill_core::Page<wmill_core::JobSummary, wmill_core::JobCursor>> {
        self.list_jobs_page_http(query, cursor).await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    async fn get_job(&self, id: &JobId) -> Result<Job> {
        self.get_job_typed(id).await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    async fn get_job_logs(&self, id: &JobId) -> Result<String> {
        self.job_logs_text(id).await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id, offset = offset))]
    async fn get_log_update(&self, id: &JobId, offset: u64) -> Result<LogUpdate> {
        self.log_update(id, offset).await
    }

    fn job_logs_from(&self, id: &JobId, offset: u64) -> BoxStream<'static, Result<LogChunk>> {
        self.follow_logs(id, offset)
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    async fn get_flow_all_logs(&self, id: &JobId) -> Result<String> {
        self.flow_all_logs_text(id).await
    }

    fn cancel_job_in_background(&self, id: &JobId, reason: &str) -> Result<()> {
        self.cancel_in_background(id, reason);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
