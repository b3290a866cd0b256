//! A backend written outside the crate, with only the public API: a wrapper that counts calls
//! and delegates to `InMemory`. It passes the conformance suite, which proves the traits can be
//! implemented by users (and that the suite accepts any backend).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use serde_json::Value;
use wmill_core::{
    Args, InMemory, ItemPath, Job, JobCursor, JobId, JobQuery, JobRunner, JobStatus, JobSummary,
    ListResources, ListVariables, Page, ResourceInfo, ResourceStore, Result, RunOptions, Runnable,
    SetVariableOptions, StateStore, VariableInfo, VariableStore, WaitOptions, conformance,
};

#[derive(Debug, Default)]
struct Counting {
    inner: InMemory,
    calls: Arc<AtomicUsize>,
}

impl Counting {
    fn tick(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl VariableStore for Counting {
    async fn get_variable(&self, path: &ItemPath) -> Result<String> {
        self.tick();
        self.inner.get_variable(path).await
    }
    async fn set_variable(
        &self,
        path: &ItemPath,
        value: &str,
        o: &SetVariableOptions,
    ) -> Result<()> {
        self.tick();
        self.inner.set_variable(path, value, o).await
    }
    async fn delete_variable(&self, path: &ItemPath) -> Result<()> {
        self.tick();
        self.inner.delete_variable(path).await
    }
    async fn list_variables(&self, o: &ListVariables) -> Result<Vec<VariableInfo>> {
        self.tick();
        self.inner.list_variables(o).await
    }
}

#[async_trait]
impl ResourceStore for Counting {
    async fn get_resource(&self, path: &ItemPath) -> Result<Value> {
        self.tick();
        self.inner.get_resource(path).await
    }
    async fn set_resource(&self, path: &ItemPath, value: &Value, t: &str) -> Result<()> {
        self.tick();
        self.inner.set_resource(path, value, t).await
    }
    async fn delete_resource(&self, path: &ItemPath) -> Result<()> {
        self.tick();
        self.inner.delete_resource(path).await
    }
    async fn list_resources(&self, o: &ListResources) -> Result<Vec<ResourceInfo>> {
        self.tick();
        self.inner.list_resources(o).await
    }
}

#[async_trait]
impl StateStore for Counting {
    async fn get_state(&self) -> Result<Option<Value>> {
        self.tick();
        self.inner.get_state().await
    }
    async fn set_state(&self, value: &Value) -> Result<()> {
        self.tick();
        self.inner.set_state(value).await
    }
    async fn get_state_at(&self, path: &ItemPath) -> Result<Option<Value>> {
        self.tick();
        self.inner.get_state_at(path).await
    }
    async fn set_state_at(&self, path: &ItemPath, value: &Value) -> Result<()> {
        self.tick();
        self.inner.set_state_at(path, value).await
    }
}

/// The required methods, `get_job` and the job listing page: the per-kind starts and the
/// synchronous runs use the trait's default implementations (through `start`).
#[async_trait]
impl JobRunner for Counting {
    async fn start(&self, r: Runnable, a: Args, o: &RunOptions) -> Result<JobId> {
        self.tick();
        self.inner.start(r, a, o).await
    }
    async fn wait_job(&self, id: &JobId, o: &WaitOptions) -> Result<Value> {
        self.tick();
        self.inner.wait_job(id, o).await
    }
    async fn get_result(&self, id: &JobId) -> Result<Value> {
        self.tick();
        self.inner.get_result(id).await
    }
    async fn get_job_status(&self, id: &JobId) -> Result<JobStatus> {
        self.tick();
        self.inner.get_job_status(id).await
    }
    async fn cancel_job(&self, id: &JobId, reason: Option<String>) -> Result<()> {
        self.tick();
        self.inner.cancel_job(id, reason).await
    }
    // The conformance suite checks the typed job too.
    async fn get_job(&self, id: &JobId) -> Result<Job> {
        self.tick();
        self.inner.get_job(id).await
    }
    // Optional (the default is `Unsupported`); the conformance suite lists jobs.
    async fn list_jobs_page(
        &self,
        query: &JobQuery,
        cursor: &JobCursor,
    ) -> Result<Page<JobSummary, JobCursor>> {
        self.tick();
        self.inner.list_jobs_page(query, cursor).await
    }
}

#[tokio::test]
async fn an_external_backend_passes_the_conformance_suite() {
    let backend = Counting::default();
    conformance::install_fixtures(&backend.inner).unwrap();
    conformance::run_all(&backend).await;
    assert!(
        backend.calls.load(Ordering::SeqCst) > 100,
        "the suite went through the wrapper"
    );
}

/// A backend written before `get_job` existed: only the required methods.
#[derive(Debug)]
struct OnlyRequired;

#[async_trait]
impl JobRunner for OnlyRequired {
    async fn start(&self, _: Runnable, _: Args, _: &RunOptions) -> Result<JobId> {
        Ok(JobId::from_u128(1))
    }
    async fn wait_job(&self, _: &JobId, _: &WaitOptions) -> Result<Value> {
        Ok(Value::Null)
    }
    async fn get_result(&self, _: &JobId) -> Result<Value> {
        Ok(Value::Null)
    }
    async fn get_job_status(&self, _: &JobId) -> Result<JobStatus> {
        Ok(JobStatus::Waiting)
    }
    async fn cancel_job(&self, _: &JobId, _: Option<String>) -> Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn get_job_defaults_to_unsupported() {
    let runner: Arc<dyn JobRunner> = Arc::new(OnlyRequired);
    let err = runner.get_job(&JobId::from_u128(1)).await.unwrap_err();
    assert!(
        matches!(
            err,
            wmill_core::Error::Unsupported {
                operation: "get_job",
                ..
            }
        ),
        "{err:?}"
    );
}
