//! [`JobRunner`] for [`Windmill`]: starting jobs, results, status, cancel.

use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use reqwest::Method;
use serde_json::{Value, json};
use wmill_core::{
    Args, CancelOnDrop, Error, FlowVersion, ItemKind, ItemPath, Job, JobId, JobRunner, JobStatus,
    LogChunk, LogUpdate, Result, RetryPolicy, RunEndpoint, RunOptions, ScriptHash, WaitOptions,
};

use crate::client::Windmill;
use crate::transport::{Request as Call, RetryMode, status_error};
use crate::urls::Seg;

/// What a job runs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    /// A script by path (`p`).
    Path(&'a ItemPath),
    /// A script version by hash (`h`).
    Hash(&'a ScriptHash),
    /// A flow by path (`f`).
    Flow(&'a ItemPath),
    /// A saved flow version (`fv`), its id as text.
    FlowVersion(&'a str),
}

impl<'a> Target<'a> {
    pub(crate) fn letter(&self) -> &'static str {
        match self {
            Target::Path(_) => "p",
            Target::Hash(_) => "h",
            Target::Flow(_) => "f",
            Target::FlowVersion(_) => "fv",
        }
    }

    /// The asynchronous start endpoint (`jobs/run/...`), whose options are checked.
    pub(crate) fn endpoint(&self) -> RunEndpoint {
        match self {
            Target::Path(_) => RunEndpoint::ScriptByPath,
            Target::Hash(_) => RunEndpoint::ScriptByHash,
            Target::Flow(_) => RunEndpoint::FlowByPath,
            Target::FlowVersion(_) => RunEndpoint::FlowByVersion,
        }
    }

    pub(crate) fn seg(&self) -> Seg<'a> {
        match self {
            Target::Path(p) | Target::Flow(p) => Seg::Item(p),
            Target::Hash(h) => Seg::One(h.as_str()),
            Target::FlowVersion(v) => Seg::One(v),
        }
    }

    pub(crate) fn is_flow(&self) -> bool {
        matches!(self, Target::Flow(_) | Target::FlowVersion(_))
    }

    pub(crate) fn missing(&self) -> (ItemKind, String) {
        match self {
            Target::Path(p) => (ItemKind::Script, p.as_str().to_owned()),
            Target::Hash(h) => (ItemKind::Script, h.as_str().to_owned()),
            Target::Flow(p) => (ItemKind::Flow, p.as_str().to_owned()),
            Target::FlowVersion(v) => (ItemKind::Flow, format!("version {v}")),
        }
    }
}

/// The parent and root job a start links to.
pub(crate) struct Links {
    pub(crate) parent: Option<JobId>,
    pub(crate) root: Option<JobId>,
}

/// The default reason of [`JobRunner::cancel_job`].
const DEFAULT_CANCEL_REASON: &str = "cancelled via cancel_job method";

/// Records a started job's id as the `job_id` field of the current span (the call's, when it
/// declares one), and returns it.
pub(crate) fn started(id: JobId) -> JobId {
    tracing::Span::current().record("job_id", tracing::field::display(&id));
    id
}

impl Windmill {
    pub(crate) fn links(&self, target: Target<'_>, options: &RunOptions) -> Links {
        let track = options.track_in_parent.unwrap_or(!target.is_flow());
        Links {
            parent: options
                .parent_job
                .or(if track { self.inner.job_id } else { None }),
            root: options.root_job.or(if track {
                self.inner.root_flow_job_id
            } else {
                None
            }),
        }
    }

    /// The options a start request carries: `options` with the links to the current job
    /// filled in (see [`links`](Self::links)) and the job id this start uses.
    pub(crate) fn effective_options(
        &self,
        target: Target<'_>,
        options: &RunOptions,
        job_id: Option<JobId>,
    ) -> RunOptions {
        let links = self.links(target, options);
        let mut effective = options.clone();
        effective.parent_job = links.parent;
        effective.root_job = links.root;
        effective.job_id = job_id;
        effective
    }

    /// Adds every option of `options` (already [checked](RunOptions::check_for) against the
    /// endpoint, links filled in) to a start request's query string.
    pub(crate) fn run_params<'c>(call: Call<'c>, options: &RunOptions) -> Result<Call<'c>> {
        let scheduled_in = options
            .scheduled_in
            .map(|d| d.as_secs())
            .filter(|s| *s > 0)
            .map(|s| s.to_string());
        Ok(call
            .query_opt("tag", options.tag.as_deref())
            .query_opt("scheduled_in_secs", scheduled_in)
            .query_opt("scheduled_for", options.scheduled_for_rfc3339()?)
            .query_opt("parent_job", options.parent_job.map(|j| j.to_string()))
            .query_opt("root_job", options.root_job.map(|j| j.to_string()))
            .query_opt("job_id", options.job_id.map(|j| j.to_string()))
            .query_opt(
                "cache_ttl",
                options.cache_ttl.map(|d| d.as_secs().to_string()),
            )
            .query_opt(
                "skip_preprocessor",
                options.skip_preprocessor.then_some("true"),
            )
            .query_opt(
                "invisible_to_owner",
                options.invisible_to_owner.then_some("true"),
            )
            .query_opt("queue_limit", options.queue_limit.map(|n| n.to_string()))
            .query_opt("memory_id", options.memory_id.as_deref())
            .query_opt(
                "retry",
                options.retry.as_ref().map(RetryPolicy::to_query_value),
            ))
    }

    /// `POST jobs/run/{p|h|f}/{path}`: starts a job, returns its id.
    ///
    /// Retried only when it carries a job id (the caller's): a 400 on a retry whose job exists is
    /// the earlier attempt's success; a 400 on the first attempt whose job exists is
    /// [`Error::AlreadyExists`].
    ///
    /// Every option is checked against the endpoint first: one it does not take is
    /// [`Error::InvalidInput`] before any request.
    pub(crate) async fn start_job(
        &self,
        target: Target<'_>,
        args: &Args,
        options: &RunOptions,
        job_id: Option<JobId>,
    ) -> Result<JobId> {
        let effective = self.effective_options(target, options, job_id);
        effective.check_for(target.endpoint())?;
        let (kind, path) = target.missing();
        let call = self.call(
            Method::POST,
            &[
                Seg::Ws,
                Seg::Lit("jobs"),
                Seg::Lit("run"),
                Seg::Lit(target.letter()),
                target.seg(),
            ],
        );
        let call = Self::run_params(call, &effective)?
            .json(args)?
            .retry(if job_id.is_some() {
                RetryMode::Idempotent
            } else {
                RetryMode::ConnectOnly
            })
            .not_found(kind, path.clone());
        let resp = call.send_raw().await?;
        if resp.status.is_success() {
            let text = resp.text()?;
            return JobId::parse(text.trim().trim_matches('"'))
                .map(started)
                .map_err(|e| resp.decode_error(e));
        }
        if resp.status.as_u16() == 400
            && let Some(id) = job_id
            && self.job_exists(&id).await.unwrap_or(false)
        {
            if resp.attempts > 1 {
                tracing::debug!(job_id = %id, "an earlier attempt of this start succeeded");
                return Ok(started(id));
            }
            return Err(Error::AlreadyExists {
                kind: ItemKind::Job,
                path: id.to_string(),
            });
        }
        Err(status_error(
            resp.status,
            &resp.body,
            &resp.request,
            Some(&(kind, path)),
            Some(self.workspace().as_str()),
        ))
    }

    /// [`start_job`](Self::start_job) for a start that returns the job's id (no wait): the
    /// client remembers what the job runs and when it was started, for a later wait on it to
    /// learn from (see [`WaitHistory`](crate::WaitHistory)).
    pub(crate) async fn start_remembered(
        &self,
        target: Target<'_>,
        args: &Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        let key = self.history_key(target, options);
        let at = std::time::Instant::now();
        let id = self
            .start_job(target, args, options, options.job_id)
            .await?;
        if let Some(key) = key {
            self.inner.history.started(id, key, at);
        }
        Ok(id)
    }

    /// Starts the script at `path` with a retry policy given as the server's JSON (Python's
    /// `retry=` argument): the same as [`RunOptions::retry`] with
    /// [`RetryPolicy::from_json`], which it is a shortcut for. The returned id is the first
    /// attempt's; each retry is a job of its own.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before any request when `retry` is not a policy the server
    /// accepts, or with the options the endpoint does not take.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str(), job_id = tracing::field::Empty))]
    pub async fn run_script_by_path_async_with_retry(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
        retry: &Value,
    ) -> Result<JobId> {
        let options = options
            .clone()
            .retry(RetryPolicy::from_json(retry.clone())?);
        self.run_script_by_path_async(path, args, &options).await
    }

    /// [`run_script_by_path_async_with_retry`](Self::run_script_by_path_async_with_retry) for a
    /// script version by hash.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), hash = hash.as_str(), job_id = tracing::field::Empty))]
    pub async fn run_script_by_hash_async_with_retry(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
        retry: &Value,
    ) -> Result<JobId> {
        let options = options
            .clone()
            .retry(RetryPolicy::from_json(retry.clone())?);
        self.run_script_by_hash_async(hash, args, &options).await
    }

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

    /// Cancels a job with an explicit reason, bounded by `timeout`; errors are only logged
    /// (used on wait timeouts).
    #[tracing::instrument(name = "cleanup_cancel", skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    pub(crate) async fn cancel_quietly(&self, id: &JobId, reason: &str, timeout: Duration) {
        let ids = id.to_string();
        let call = self
            .call(
                Method::POST,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs_u"),
                    Seg::Lit("queue"),
                    Seg::Lit("cancel"),
                    Seg::One(&ids),
                ],
            )
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
/// - `run_*_async`: `POST jobs/run/{p|h|f|fv}/{path, hash or version}` with the args as the
///   JSON body and the options in the query string (the table on
///   [`RunOptions`](wmill_core::RunOptions); an option the endpoint does not take is
///   `InvalidInput` before any request); 201 with the id as text.
/// - `run_*` (synchronous): see the crate docs, "Waiting for jobs".
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
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str(), job_id = tracing::field::Empty))]
    async fn run_script_by_path_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start_remembered(Target::Path(path), &args, options)
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), hash = hash.as_str(), job_id = tracing::field::Empty))]
    async fn run_script_by_hash_async(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start_remembered(Target::Hash(hash), &args, options)
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str(), job_id = tracing::field::Empty))]
    async fn run_flow_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start_remembered(Target::Flow(path), &args, options)
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str(), job_id = tracing::field::Empty))]
    async fn run_script_by_path(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.run_sync(Target::Path(path), args, options).await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), hash = hash.as_str(), job_id = tracing::field::Empty))]
    async fn run_script_by_hash(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.run_sync(Target::Hash(hash), args, options).await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str(), job_id = tracing::field::Empty))]
    async fn run_flow(&self, path: &ItemPath, args: Args, options: &RunOptions) -> Result<Value> {
        self.run_sync(Target::Flow(path), args, options).await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), version = %version, job_id = tracing::field::Empty))]
    async fn run_flow_by_version_async(
        &self,
        version: FlowVersion,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        let v = version.to_string();
        self.start_remembered(Target::FlowVersion(&v), &args, options)
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), version = %version, job_id = tracing::field::Empty))]
    async fn run_flow_by_version(
        &self,
        version: FlowVersion,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        let v = version.to_string();
        self.run_sync(Target::FlowVersion(&v), args, options).await
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
mod tests {
    use super::*;

    /// The status is the typed job's: a canceled job is completed without success, like a
    /// failed one, and the typed job tells them apart.
    #[test]
    fn status_comes_from_the_typed_job() {
        let id = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12";
        let status = |v: Value| Job::from_value(v).unwrap().status();
        assert_eq!(
            status(json!({"type": "CompletedJob", "id": id, "success": true})),
            JobStatus::Completed { success: true }
        );
        assert_eq!(
            status(json!({"type": "CompletedJob", "id": id, "success": false})),
            JobStatus::Completed { success: false }
        );
        assert_eq!(
            status(json!({"type": "CompletedJob", "id": id, "success": false, "canceled": true})),
            JobStatus::Completed { success: false }
        );
        assert_eq!(
            status(json!({"type": "QueuedJob", "id": id, "running": true})),
            JobStatus::Running
        );
        assert_eq!(
            status(json!({"type": "QueuedJob", "id": id, "running": false})),
            JobStatus::Waiting
        );
        assert_eq!(
            status(json!({"type": "QueuedJob", "id": id})),
            JobStatus::Waiting
        );
    }
}
