//! The [`Backend`] supertrait and forwarding through `Arc` / `Box`.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use serde_json::Value;

use crate::{LogChunk, LogUpdate};

use crate::{
    Args, FlowVersion, ItemPath, Job, JobCursor, JobId, JobQuery, JobRunner, JobStatus, JobSummary,
    ListResources, ListVariables, Page, ResourceInfo, ResourceStore, Result, RunOptions,
    ScriptHash, SetVariableOptions, StateStore, VariableInfo, VariableStore, WaitOptions,
};

/// Everything a Windmill backend does: the four traits together.
///
/// Implemented automatically for every type that implements all four ([`InMemory`](crate::InMemory),
/// the HTTP client, your own backend). Hold one as `Arc<dyn Backend>`; it upcasts to
/// `Arc<dyn VariableStore>` and the others where a function wants only one capability.
///
/// ```
/// use std::sync::Arc;
/// use wmill_core::{Backend, InMemory, VariableStore};
///
/// let backend: Arc<dyn Backend> = Arc::new(InMemory::new());
/// let vars: Arc<dyn VariableStore> = backend.clone(); // trait upcasting
/// # let _ = vars;
/// ```
pub trait Backend: VariableStore + ResourceStore + StateStore + JobRunner {}

impl<T: VariableStore + ResourceStore + StateStore + JobRunner + ?Sized> Backend for T {}

macro_rules! forward_impls {
    ($($ptr:ident),*) => {$(
        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<T: VariableStore + ?Sized> VariableStore for $ptr<T> {
            async fn get_variable(&self, path: &ItemPath) -> Result<String> {
                (**self).get_variable(path).await
            }
            async fn set_variable(
                &self,
                path: &ItemPath,
                value: &str,
                options: &SetVariableOptions,
            ) -> Result<()> {
                (**self).set_variable(path, value, options).await
            }
            async fn delete_variable(&self, path: &ItemPath) -> Result<()> {
                (**self).delete_variable(path).await
            }
            async fn list_variables(&self, options: &ListVariables) -> Result<Vec<VariableInfo>> {
                (**self).list_variables(options).await
            }
        }

        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<T: ResourceStore + ?Sized> ResourceStore for $ptr<T> {
            async fn get_resource(&self, path: &ItemPath) -> Result<Value> {
                (**self).get_resource(path).await
            }
            async fn set_resource(
                &self,
                path: &ItemPath,
                value: &Value,
                resource_type: &str,
            ) -> Result<()> {
                (**self).set_resource(path, value, resource_type).await
            }
            async fn delete_resource(&self, path: &ItemPath) -> Result<()> {
                (**self).delete_resource(path).await
            }
            async fn list_resources(&self, options: &ListResources) -> Result<Vec<ResourceInfo>> {
                (**self).list_resources(options).await
            }
        }

        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<T: StateStore + ?Sized> StateStore for $ptr<T> {
            async fn get_state(&self) -> Result<Option<Value>> {
                (**self).get_state().await
            }
            async fn set_state(&self, value: &Value) -> Result<()> {
                (**self).set_state(value).await
            }
            async fn get_state_at(&self, path: &ItemPath) -> Result<Option<Value>> {
                (**self).get_state_at(path).await
            }
            async fn set_state_at(&self, path: &ItemPath, value: &Value) -> Result<()> {
                (**self).set_state_at(path, value).await
            }
            fn default_state_path(&self) -> Result<ItemPath> {
                (**self).default_state_path()
            }
        }

        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<T: JobRunner + ?Sized> JobRunner for $ptr<T> {
            async fn run_script_by_path_async(
                &self,
                path: &ItemPath,
                args: Args,
                options: &RunOptions,
            ) -> Result<JobId> {
                (**self).run_script_by_path_async(path, args, options).await
            }
            async fn run_script_by_hash_async(
                &self,
                hash: &ScriptHash,
                args: Args,
                options: &RunOptions,
            ) -> Result<JobId> {
                (**self).run_script_by_hash_async(hash, args, options).await
            }
            async fn run_flow_async(
                &self,
                path: &ItemPath,
                args: Args,
                options: &RunOptions,
            ) -> Result<JobId> {
                (**self).run_flow_async(path, args, options).await
            }
            async fn run_script_by_path(
                &self,
                path: &ItemPath,
                args: Args,
                options: &RunOptions,
            ) -> Result<Value> {
                (**self).run_script_by_path(path, args, options).await
            }
            async fn run_script_by_hash(
                &self,
                hash: &ScriptHash,
                args: Args,
                options: &RunOptions,
            ) -> Result<Value> {
                (**self).run_script_by_hash(hash, args, options).await
            }
            async fn run_flow(
                &self,
                path: &ItemPath,
                args: Args,
                options: &RunOptions,
            ) -> Result<Value> {
                (**self).run_flow(path, args, options).await
            }
            async fn wait_job(&self, id: &JobId, options: &WaitOptions) -> Result<Value> {
                (**self).wait_job(id, options).await
            }
            async fn get_result(&self, id: &JobId) -> Result<Value> {
                (**self).get_result(id).await
            }
            async fn get_job_status(&self, id: &JobId) -> Result<JobStatus> {
                (**self).get_job_status(id).await
            }
            async fn cancel_job(&self, id: &JobId, reason: Option<String>) -> Result<()> {
                (**self).cancel_job(id, reason).await
            }
            async fn get_job(&self, id: &JobId) -> Result<Job> {
                (**self).get_job(id).await
            }
            async fn list_jobs_page(
                &self,
                query: &JobQuery,
                cursor: &JobCursor,
            ) -> Result<Page<JobSummary, JobCursor>> {
                (**self).list_jobs_page(query, cursor).await
            }
            async fn run_flow_by_version_async(
                &self,
                version: FlowVersion,
                args: Args,
                options: &RunOptions,
            ) -> Result<JobId> {
                (**self).run_flow_by_version_async(version, args, options).await
            }
            async fn run_flow_by_version(
                &self,
                version: FlowVersion,
                args: Args,
                options: &RunOptions,
            ) -> Result<Value> {
                (**self).run_flow_by_version(version, args, options).await
            }
            async fn get_job_logs(&self, id: &JobId) -> Result<String> {
                (**self).get_job_logs(id).await
            }
            async fn get_log_update(&self, id: &JobId, offset: u64) -> Result<LogUpdate> {
                (**self).get_log_update(id, offset).await
            }
            fn job_logs_from(
                &self,
                id: &JobId,
                offset: u64,
            ) -> BoxStream<'static, Result<LogChunk>> {
                (**self).job_logs_from(id, offset)
            }
            async fn get_flow_all_logs(&self, id: &JobId) -> Result<String> {
                (**self).get_flow_all_logs(id).await
            }
            fn cancel_job_in_background(&self, id: &JobId, reason: &str) -> Result<()> {
                (**self).cancel_job_in_background(id, reason)
            }
        }
    )*};
}

forward_impls!(Arc, Box);
