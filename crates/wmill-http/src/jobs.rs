//! [`JobRunner`] for [`Windmill`]: starting jobs, results, status, cancel.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use wmill_core::{
    Args, Error, ItemKind, ItemPath, Job, JobId, JobRunner, JobStatus, Result, RunOptions,
    ScriptHash, WaitOptions,
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
}

impl<'a> Target<'a> {
    pub(crate) fn letter(&self) -> &'static str {
        match self {
            Target::Path(_) => "p",
            Target::Hash(_) => "h",
            Target::Flow(_) => "f",
        }
    }

    pub(crate) fn seg(&self) -> Seg<'a> {
        match self {
            Target::Path(p) | Target::Flow(p) => Seg::Item(p),
            Target::Hash(h) => Seg::One(h.as_str()),
        }
    }

    pub(crate) fn is_flow(&self) -> bool {
        matches!(self, Target::Flow(_))
    }

    pub(crate) fn missing(&self) -> (ItemKind, String) {
        match self {
            Target::Path(p) => (ItemKind::Script, p.as_str().to_owned()),
            Target::Hash(h) => (ItemKind::Script, h.as_str().to_owned()),
            Target::Flow(p) => (ItemKind::Flow, p.as_str().to_owned()),
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

    /// Adds `tag`, `parent_job`, `root_job` and `job_id` to a start request.
    pub(crate) fn run_query<'c>(
        &self,
        call: Call<'c>,
        links: &Links,
        tag: Option<&str>,
        job_id: Option<JobId>,
    ) -> Call<'c> {
        call.query_opt("tag", tag)
            .query_opt("parent_job", links.parent.map(|j| j.to_string()))
            .query_opt("root_job", links.root.map(|j| j.to_string()))
            .query_opt("job_id", job_id.map(|j| j.to_string()))
    }

    /// `POST jobs/run/{p|h|f}/{path}`: starts a job, returns its id.
    ///
    /// Retried only when it carries a job id (the caller's): a 400 on a retry whose job exists is
    /// the earlier attempt's success; a 400 on the first attempt whose job exists is
    /// [`Error::AlreadyExists`].
    pub(crate) async fn start_job(
        &self,
        target: Target<'_>,
        args: &Args,
        options: &RunOptions,
        job_id: Option<JobId>,
    ) -> Result<JobId> {
        self.start_job_with_retry(target, args, options, job_id, None)
            .await
    }

    /// [`start_job`](Self::start_job) with an optional JSON-encoded `retry` policy.
    pub(crate) async fn start_job_with_retry(
        &self,
        target: Target<'_>,
        args: &Args,
        options: &RunOptions,
        job_id: Option<JobId>,
        retry_policy: Option<String>,
    ) -> Result<JobId> {
        let links = self.links(target, options);
        let (kind, path) = target.missing();
        let scheduled = options
            .scheduled_in
            .map(|d| d.as_secs())
            .filter(|s| *s > 0)
            .map(|s| s.to_string());
        let call = self
            .call(
                Method::POST,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs"),
                    Seg::Lit("run"),
                    Seg::Lit(target.letter()),
                    target.seg(),
                ],
            )
            .query_opt("scheduled_in_secs", scheduled)
            .query_opt("retry", retry_policy);
        let call = self
            .run_query(call, &links, options.tag.as_deref(), job_id)
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
                .map_err(|e| Error::Decode {
                    request: resp.request.to_string(),
                    body_excerpt: crate::transport::excerpt(&resp.body, 200),
                    source: Box::new(e),
                });
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
        ))
    }

    /// Starts the script at `path` with a retry policy: the server re-runs the job when it fails
    /// (`retry` query parameter, the JSON policy of a schedule, e.g.
    /// `{"constant": {"attempts": 3, "seconds": 10}}`). The returned id is the first attempt's;
    /// each retry is a job of its own. Not supported for hub scripts or when a preprocessor runs.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str(), job_id = tracing::field::Empty))]
    pub async fn run_script_by_path_async_with_retry(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
        retry: &Value,
    ) -> Result<JobId> {
        self.start_job_with_retry(
            Target::Path(path),
            &args,
            options,
            options.job_id,
            Some(retry.to_string()),
        )
        .await
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
        self.start_job_with_retry(
            Target::Hash(hash),
            &args,
            options,
            options.job_id,
            Some(retry.to_string()),
        )
        .await
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
        let ids = id.to_string();
        self.call(
            Method::GET,
            &[Seg::Ws, Seg::Lit("jobs_u"), Seg::Lit("get"), Seg::One(&ids)],
        )
        .query("no_logs", "true")
        .query("no_code", "true")
        .idempotent()
        .not_found(ItemKind::Job, ids.clone())
        .send()
        .await?
        .json()
    }

    /// `GET jobs_u/get/{id}?no_logs=true&no_code=true`, typed. A body that is not a job is
    /// [`Error::Decode`] naming the request, with the JSON's outline (never its values).
    pub(crate) async fn get_job_typed(&self, id: &JobId) -> Result<Job> {
        let ids = id.to_string();
        let resp = self
            .call(
                Method::GET,
                &[Seg::Ws, Seg::Lit("jobs_u"), Seg::Lit("get"), Seg::One(&ids)],
            )
            .query("no_logs", "true")
            .query("no_code", "true")
            .idempotent()
            .not_found(ItemKind::Job, ids.clone())
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
/// - `run_*_async`: `POST jobs/run/{p|h|f}/{path or hash}` with the args as the JSON body and
///   `scheduled_in_secs`, `tag`, `parent_job`, `root_job`, `job_id` in the query string; 201
///   with the id as text.
/// - `run_*` (synchronous): see the crate docs, "Waiting for jobs".
/// - `wait_job`: see [`WaitStrategy`](wmill_core::WaitStrategy) and the crate docs.
/// - `get_result`: `GET jobs_u/completed/get_result/{id}`.
/// - `get_job`: `GET jobs_u/get/{id}?no_logs=true&no_code=true`, read into the typed
///   [`Job`] (logs and code left out: [`Windmill::get_job_raw`] has them).
/// - `get_job_status`: the same request; the status is the typed job's
///   ([`JobState::status`](wmill_core::JobState::status)).
/// - `cancel_job`: `POST jobs_u/queue/cancel/{id}` `{reason}`.
#[async_trait]
impl JobRunner for Windmill {
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str(), job_id = tracing::field::Empty))]
    async fn run_script_by_path_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start_job(Target::Path(path), &args, options, options.job_id)
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), hash = hash.as_str(), job_id = tracing::field::Empty))]
    async fn run_script_by_hash_async(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start_job(Target::Hash(hash), &args, options, options.job_id)
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str(), job_id = tracing::field::Empty))]
    async fn run_flow_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start_job(Target::Flow(path), &args, options, options.job_id)
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

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    async fn wait_job(&self, id: &JobId, options: &WaitOptions) -> Result<Value> {
        self.wait(id, options).await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    async fn get_result(&self, id: &JobId) -> Result<Value> {
        let ids = id.to_string();
        let resp = self
            .call(
                Method::GET,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs_u"),
                    Seg::Lit("completed"),
                    Seg::Lit("get_result"),
                    Seg::One(&ids),
                ],
            )
            .idempotent()
            .not_found(ItemKind::Job, ids.clone())
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
        let ids = id.to_string();
        self.call(
            Method::POST,
            &[
                Seg::Ws,
                Seg::Lit("jobs_u"),
                Seg::Lit("queue"),
                Seg::Lit("cancel"),
                Seg::One(&ids),
            ],
        )
        .json(&json!({ "reason": reason.as_deref().unwrap_or(DEFAULT_CANCEL_REASON) }))?
        .idempotent()
        .not_found(ItemKind::Job, ids.clone())
        .send()
        .await
        .map(drop)
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    async fn get_job(&self, id: &JobId) -> Result<Job> {
        self.get_job_typed(id).await
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
