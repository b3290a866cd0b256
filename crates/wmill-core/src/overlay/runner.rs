//! [`JobRunner`] for [`MockOverlay`]: jobs always go to the server.

use async_trait::async_trait;
use serde_json::Value;

use crate::{
    Args, ItemPath, Job, JobId, JobRunner, JobStatus, Result, RunOptions, ScriptHash, WaitOptions,
};

use super::mock_overlay::MockOverlay;

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl JobRunner for MockOverlay {
    async fn run_script_by_path_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.base
            .run_script_by_path_async(path, args, options)
            .await
    }
    async fn run_script_by_hash_async(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.base
            .run_script_by_hash_async(hash, args, options)
            .await
    }
    async fn run_flow_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.base.run_flow_async(path, args, options).await
    }
    async fn run_script_by_path(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.base.run_script_by_path(path, args, options).await
    }
    async fn run_script_by_hash(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.base.run_script_by_hash(hash, args, options).await
    }
    async fn run_flow(&self, path: &ItemPath, args: Args, options: &RunOptions) -> Result<Value> {
        self.base.run_flow(path, args, options).await
    }
    async fn wait_job(&self, id: &JobId, options: &WaitOptions) -> Result<Value> {
        self.base.wait_job(id, options).await
    }
    async fn get_result(&self, id: &JobId) -> Result<Value> {
        self.base.get_result(id).await
    }
    async fn get_job_status(&self, id: &JobId) -> Result<JobStatus> {
        self.base.get_job_status(id).await
    }
    async fn cancel_job(&self, id: &JobId, reason: Option<String>) -> Result<()> {
        self.base.cancel_job(id, reason).await
    }
    fn cancel_job_in_background(&self, id: &JobId, reason: &str) -> Result<()> {
        self.base.cancel_job_in_background(id, reason)
    }
    async fn get_job(&self, id: &JobId) -> Result<Job> {
        self.base.get_job(id).await
    }
    async fn list_jobs_page(
        &self,
        query: &crate::JobQuery,
        cursor: &crate::JobCursor,
    ) -> Result<crate::Page<crate::JobSummary, crate::JobCursor>> {
        self.base.list_jobs_page(query, cursor).await
    }
    async fn run_flow_by_version_async(
        &self,
        version: crate::FlowVersion,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.base
            .run_flow_by_version_async(version, args, options)
            .await
    }
    async fn run_flow_by_version(
        &self,
        version: crate::FlowVersion,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.base.run_flow_by_version(version, args, options).await
    }
    async fn get_job_logs(&self, id: &JobId) -> Result<String> {
        self.base.get_job_logs(id).await
    }
    async fn get_log_update(&self, id: &JobId, offset: u64) -> Result<crate::LogUpdate> {
        self.base.get_log_update(id, offset).await
    }
    fn job_logs_from(
        &self,
        id: &JobId,
        offset: u64,
    ) -> futures_util::stream::BoxStream<'static, Result<crate::LogChunk>> {
        self.base.job_logs_from(id, offset)
    }
    async fn get_flow_all_logs(&self, id: &JobId) -> Result<String> {
        self.base.get_flow_all_logs(id).await
    }
}
