//! Job progress: [`Windmill::set_progress`] and [`Windmill::get_progress`].

use reqwest::Method;
use serde_json::{Value, json};
use wmill_core::{JobId, Result};

use crate::client::Windmill;

/// The highest progress the server keeps (it stores 0-99).
const MAX_PROGRESS: u32 = 99;

impl Windmill {
    /// Sets the progress of `job_id` (default: the current job). The server keeps progress in
    /// 0-99 and never lets it decrease: a `percent` above 99 is sent as 99. Reads the job's
    /// `parent_job` first (`GET jobs_u/get/{id}`) and sends it as `flow_job_id` (for the current
    /// job without a parent, `WM_FLOW_JOB_ID`), then `POST job_metrics/set_progress/{id}`
    /// `{percent, flow_job_id}`.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(job_id).ok().map(tracing::field::display)))]
    pub async fn set_progress(&self, percent: u32, job_id: Option<JobId>) -> Result<()> {
        let id = self.current_job(job_id)?;
        let job = self.get_job_light(&id).await?;
        let parent = job
            .get("parent_job")
            .and_then(Value::as_str)
            .and_then(|s| JobId::parse(s).ok())
            .or(if job_id.is_none() {
                self.inner.flow_job_id
            } else {
                None
            });
        let mut body = json!({ "percent": percent.min(MAX_PROGRESS) });
        if let Some(p) = parent {
            body["flow_job_id"] = json!(p.to_string());
        }
        self.job_call(Method::POST, &["job_metrics", "set_progress"], &id)
            .json(&body)?
            .send()
            .await
            .map(drop)
    }

    /// The progress of `job_id` (default: the current job), `None` when none was set
    /// (`GET job_metrics/get_progress/{id}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(job_id).ok().map(tracing::field::display)))]
    pub async fn get_progress(&self, job_id: Option<JobId>) -> Result<Option<u32>> {
        let id = self.current_job(job_id)?;
        let v: Value = self
            .job_call(Method::GET, &["job_metrics", "get_progress"], &id)
            .send()
            .await?
            .json()?;
        Ok(v.as_u64().map(|p| u32::try_from(p).unwrap_or(u32::MAX)))
    }
}
