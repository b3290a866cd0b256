//! Jobs beyond [`JobRunner`](wmill_core::JobRunner): the raw job, force-cancel, the root job,
//! draining workers, canceling the other runs of a script; and [`Windmill::job_call`], the
//! request about one job that the job calls of this crate are written with.

use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderValue};
use serde_json::{Value, json};
use wmill_core::{Error, ItemKind, ItemPath, JobId, Result};

use crate::client::Windmill;
use crate::transport::Request;
use crate::urls::Seg;

impl Windmill {
    /// A request about the job `id`: `{ws}/{route...}/{id}`, a 404 naming the job; retried on
    /// connect errors only.
    pub(crate) fn job_request(
        &self,
        method: Method,
        route: &[&'static str],
        id: &JobId,
    ) -> Request<'_> {
        let ids = id.to_string();
        let call = self.route_call(method, route, Seg::One(&ids));
        call.not_found(ItemKind::Job, ids)
    }

    /// [`job_request`](Self::job_request), idempotent: the job calls that are safe to repeat.
    pub(crate) fn job_call(
        &self,
        method: Method,
        route: &[&'static str],
        id: &JobId,
    ) -> Request<'_> {
        self.job_request(method, route, id).idempotent()
    }

    /// `GET {ws}/jobs_u/getupdate_sse/{id}` as an event stream (`Accept: text/event-stream`);
    /// the caller adds the query.
    pub(crate) fn job_events_call(&self, id: &JobId) -> Request<'_> {
        self.job_request(Method::GET, &["jobs_u", "getupdate_sse"], id)
            .header(ACCEPT, HeaderValue::from_static("text/event-stream"))
    }

    /// The job as the server sends it (`GET jobs_u/get/{id}`): a JSON object tagged by
    /// `"type": "QueuedJob" | "CompletedJob"`, with logs and code unless `light` is set
    /// (`no_logs=true&no_code=true`).
    ///
    /// [`JobRunner::get_job`](wmill_core::JobRunner::get_job) is the typed job (state,
    /// timestamps, flow steps, ...); this is the raw JSON, for the logs and code it can carry.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    pub async fn get_job_raw(&self, id: &JobId, light: bool) -> Result<Value> {
        if light {
            return self.get_job_light(id).await;
        }
        self.job_call(Method::GET, &["jobs_u", "get"], id)
            .send()
            .await?
            .json()
    }

    /// Force-cancels a job stuck after a normal cancel (`POST jobs_u/queue/force_cancel/{id}`
    /// `{reason}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    pub async fn force_cancel_job(&self, id: &JobId, reason: Option<&str>) -> Result<()> {
        let reason = reason.unwrap_or("force cancelled via force_cancel_job method");
        self.job_call(Method::POST, &["jobs_u", "queue", "force_cancel"], id)
            .json(&json!({ "reason": reason }))?
            .send()
            .await
            .map(drop)
    }

    /// The root job of `job_id` (default: the current job, `WM_JOB_ID`)
    /// (`GET jobs_u/get_root_job_id/{id}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(job_id).ok().map(tracing::field::display)))]
    pub async fn get_root_job_id(&self, job_id: Option<JobId>) -> Result<JobId> {
        let id = self.current_job(job_id)?;
        let resp = self
            .job_call(Method::GET, &["jobs_u", "get_root_job_id"], &id)
            .send()
            .await?;
        let text = resp.text()?;
        JobId::parse(text.trim().trim_matches('"')).map_err(|e| resp.decode_error(e))
    }

    /// Whether the worker running `job_id` (default: the current job) is shutting down
    /// (`GET jobs/worker_is_draining/{id}`); long jobs can poll it to exit early.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(job_id).ok().map(tracing::field::display)))]
    pub async fn worker_is_draining(&self, job_id: Option<JobId>) -> Result<bool> {
        let id = self.current_job(job_id)?;
        self.job_call(Method::GET, &["jobs", "worker_is_draining"], &id)
            .send()
            .await?
            .json()
    }

    /// Cancels the other running jobs of the current script (`WM_JOB_PATH`, or `script_path`):
    /// `GET jobs/list?running=true&script_path_exact=<path>` (first page, like Python), then
    /// `POST jobs_u/queue/cancel/{id}` `{reason: "killed by `cancel_running` method"}` for each
    /// job other than the current one (`WM_JOB_ID`). Returns the ids it canceled.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = script_path.map(ItemPath::as_str)))]
    pub async fn cancel_running(&self, script_path: Option<&ItemPath>) -> Result<Vec<JobId>> {
        let path = match (script_path, &self.inner.job_path) {
            (Some(path), _) | (None, Ok(Some(path))) => path,
            (None, Ok(None)) => {
                return Err(Error::NotConfigured {
                    what: "job path",
                    hint: "pass the script path, or run inside a job (WM_JOB_PATH), or call WindmillBuilder::with_job_path".into(),
                });
            }
            (None, Err(reason)) => {
                return Err(Error::invalid(
                    "job path",
                    format!("WM_JOB_PATH is not a valid path ({reason}); pass the script path"),
                ));
            }
        };
        let jobs: Vec<Value> = self
            .call(Method::GET, &[Seg::Ws, Seg::Lit("jobs"), Seg::Lit("list")])
            .query("running", "true")
            .query("script_path_exact", path.as_str())
            .idempotent()
            .send()
            .await?
            .json()?;
        let mut canceled = Vec::new();
        for job in jobs {
            let Some(id) = job
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| JobId::parse(s).ok())
            else {
                continue;
            };
            if Some(id) == self.inner.job_id {
                continue;
            }
            wmill_core::JobRunner::cancel_job(
                self,
                &id,
                Some("killed by `cancel_running` method".into()),
            )
            .await?;
            canceled.push(id);
        }
        Ok(canceled)
    }
}
