//! [`Client`]: the backends the module-level functions call, one per capability, and the
//! client as a [`Backend`] itself.

use std::fmt;
use std::sync::Arc;

use crate::ClientBuilder;
use async_trait::async_trait;
use serde_json::Value;
use wmill_core::{
    Args, Backend, Error, ItemPath, JobId, JobRunner, JobStatus, ListResources, ListVariables,
    ResourceInfo, ResourceStore, Result, RunOptions, ScriptHash, SetVariableOptions, StateStore,
    VariableInfo, VariableStore, WaitOptions,
};

/// The backends the module-level functions use: one per capability, so a test can install a
/// mock for one and [`InMemory`](crate::InMemory) for the rest.
///
/// Build one from any [`Backend`] with [`Client::new`], or piece by piece with
/// [`Client::builder`]; install it with [`set_client`](crate::set_client). Without an installed client, the first
/// module-level call builds one from the environment (see [`Client::from_env`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// use std::sync::Arc;
/// use wmill::{Client, InMemory};
///
/// let memory = InMemory::new().with_variable("u/alice/name", "Alice")?;
/// wmill::set_client(Client::new(memory));
/// assert_eq!(wmill::get_variable("u/alice/name").await?, "Alice");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) variables: Option<Arc<dyn VariableStore>>,
    pub(crate) resources: Option<Arc<dyn ResourceStore>>,
    pub(crate) state: Option<Arc<dyn StateStore>>,
    pub(crate) jobs: Option<Arc<dyn JobRunner>>,
    #[cfg(feature = "http")]
    pub(crate) windmill: Option<wmill_http::Windmill>,
    #[cfg(feature = "s3")]
    pub(crate) s3: Option<wmill_s3::S3Client>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Client");
        d.field("variables", &self.variables)
            .field("resources", &self.resources)
            .field("state", &self.state)
            .field("jobs", &self.jobs);
        #[cfg(feature = "http")]
        d.field("windmill", &self.windmill);
        #[cfg(feature = "s3")]
        d.field("s3", &self.s3);
        d.finish()
    }
}

impl Client {
    /// A client whose four capabilities are `backend`.
    pub fn new<B: Backend>(backend: B) -> Self {
        Self::from_arc(Arc::new(backend))
    }

    /// A client whose four capabilities are the shared `backend`.
    pub fn from_arc(backend: Arc<dyn Backend>) -> Self {
        Client {
            variables: Some(backend.clone()),
            resources: Some(backend.clone()),
            state: Some(backend.clone()),
            jobs: Some(backend),
            #[cfg(feature = "http")]
            windmill: None,
            #[cfg(feature = "s3")]
            s3: None,
        }
    }

    /// The same client with `s3` for the S3 functions (any `object_store` backend, through
    /// [`S3Client::from_store`](wmill_s3::S3Client::from_store) or a resolver).
    #[cfg(feature = "s3")]
    #[must_use]
    pub fn with_s3(mut self, s3: wmill_s3::S3Client) -> Self {
        self.s3 = Some(s3);
        self
    }

    /// A builder with no capability set; missing ones answer [`Error::NotConfigured`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            client: Client::empty(),
        }
    }

    fn empty() -> Self {
        Client {
            variables: None,
            resources: None,
            state: None,
            jobs: None,
            #[cfg(feature = "http")]
            windmill: None,
            #[cfg(feature = "s3")]
            s3: None,
        }
    }

    /// A client for a Windmill server.
    #[cfg(feature = "http")]
    pub fn windmill(windmill: wmill_http::Windmill) -> Self {
        let mut client = Self::new(windmill.clone());
        #[cfg(feature = "s3")]
        {
            client.s3 = wmill_s3::WindmillConnection::from_http_client(&windmill)
                .ok()
                .map(|conn| wmill_s3::S3Client::from_windmill(conn, Default::default()));
        }
        client.windmill = Some(windmill);
        client
    }

    /// The variable store.
    pub fn variables(&self) -> Result<&Arc<dyn VariableStore>> {
        self.variables.as_ref().ok_or_else(|| missing("variables"))
    }

    /// The resource store.
    pub fn resources(&self) -> Result<&Arc<dyn ResourceStore>> {
        self.resources.as_ref().ok_or_else(|| missing("resources"))
    }

    /// The state store.
    pub fn state(&self) -> Result<&Arc<dyn StateStore>> {
        self.state.as_ref().ok_or_else(|| missing("state"))
    }

    /// The job runner.
    pub fn jobs(&self) -> Result<&Arc<dyn JobRunner>> {
        self.jobs.as_ref().ok_or_else(|| missing("jobs"))
    }

    /// The Windmill HTTP client, for the helpers only a server has (progress, flow user state,
    /// resume URLs, tokens, ...).
    #[cfg(feature = "http")]
    pub fn http(&self) -> Result<&wmill_http::Windmill> {
        self.windmill.as_ref().ok_or_else(|| Error::Unsupported {
            operation: "this helper",
            backend: "a client without a Windmill server (install one with Client::windmill)",
        })
    }

    /// The S3 client.
    #[cfg(feature = "s3")]
    pub fn s3(&self) -> Result<&wmill_s3::S3Client> {
        self.s3.as_ref().ok_or_else(|| missing("s3"))
    }
}

// ---------------------------------------------------------------- Client as a Backend

/// The client is a [`Backend`]: each call goes to the capability's backend (a missing one is
/// [`Error::NotConfigured`]), so code written against the traits takes the configured client
/// as it is: `make_invoice(&*wmill::client()?)`, with the mock-file overlay when
/// `WM_MOCKED_API_FILE` is set; for S3 files, take the `&Client` and use [`Client::s3`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// use wmill::prelude::*;
/// use wmill::{Client, InMemory};
///
/// async fn greeting(backend: &dyn Backend) -> wmill::Result<String> {
///     let name: String = backend.get_variable_as("u/alice/name").await?;
///     Ok(format!("hello {name}"))
/// }
///
/// let memory = InMemory::new().with_variable("u/alice/name", "Alice")?;
/// let text = wmill::with_client(Client::new(memory), async {
///     greeting(&*wmill::client()?).await
/// })
/// .await?;
/// assert_eq!(text, "hello Alice");
/// # Ok(()) }
/// ```
#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl VariableStore for Client {
    async fn get_variable(&self, path: &ItemPath) -> Result<String> {
        self.variables()?.get_variable(path).await
    }
    async fn set_variable(
        &self,
        path: &ItemPath,
        value: &str,
        options: &SetVariableOptions,
    ) -> Result<()> {
        self.variables()?.set_variable(path, value, options).await
    }
    async fn delete_variable(&self, path: &ItemPath) -> Result<()> {
        self.variables()?.delete_variable(path).await
    }
    async fn list_variables(&self, options: &ListVariables) -> Result<Vec<VariableInfo>> {
        self.variables()?.list_variables(options).await
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl ResourceStore for Client {
    async fn get_resource(&self, path: &ItemPath) -> Result<Value> {
        self.resources()?.get_resource(path).await
    }
    async fn set_resource(
        &self,
        path: &ItemPath,
        value: &Value,
        resource_type: &str,
    ) -> Result<()> {
        self.resources()?
            .set_resource(path, value, resource_type)
            .await
    }
    async fn delete_resource(&self, path: &ItemPath) -> Result<()> {
        self.resources()?.delete_resource(path).await
    }
    async fn list_resources(&self, options: &ListResources) -> Result<Vec<ResourceInfo>> {
        self.resources()?.list_resources(options).await
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl StateStore for Client {
    async fn get_state(&self) -> Result<Option<Value>> {
        self.state()?.get_state().await
    }
    async fn set_state(&self, value: &Value) -> Result<()> {
        self.state()?.set_state(value).await
    }
    async fn get_state_at(&self, path: &ItemPath) -> Result<Option<Value>> {
        self.state()?.get_state_at(path).await
    }
    async fn set_state_at(&self, path: &ItemPath, value: &Value) -> Result<()> {
        self.state()?.set_state_at(path, value).await
    }
    fn default_state_path(&self) -> Result<ItemPath> {
        self.state()?.default_state_path()
    }
}

// Every method forwards (the lint fails the build when the trait gains one that does not):
// a method left to its default would not reach the installed job runner.
#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl JobRunner for Client {
    async fn run_script_by_path_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.jobs()?
            .run_script_by_path_async(path, args, options)
            .await
    }
    async fn run_script_by_hash_async(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.jobs()?
            .run_script_by_hash_async(hash, args, options)
            .await
    }
    async fn run_flow_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.jobs()?.run_flow_async(path, args, options).await
    }
    async fn run_script_by_path(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.jobs()?.run_script_by_path(path, args, options).await
    }
    async fn run_script_by_hash(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.jobs()?.run_script_by_hash(hash, args, options).await
    }
    async fn run_flow(&self, path: &ItemPath, args: Args, options: &RunOptions) -> Result<Value> {
        self.jobs()?.run_flow(path, args, options).await
    }
    async fn wait_job(&self, id: &JobId, options: &WaitOptions) -> Result<Value> {
        self.jobs()?.wait_job(id, options).await
    }
    async fn get_result(&self, id: &JobId) -> Result<Value> {
        self.jobs()?.get_result(id).await
    }
    async fn get_job_status(&self, id: &JobId) -> Result<JobStatus> {
        self.jobs()?.get_job_status(id).await
    }
    async fn cancel_job(&self, id: &JobId, reason: Option<String>) -> Result<()> {
        self.jobs()?.cancel_job(id, reason).await
    }
    async fn get_job(&self, id: &JobId) -> Result<wmill_core::Job> {
        self.jobs()?.get_job(id).await
    }
    async fn list_jobs_page(
        &self,
        query: &wmill_core::JobQuery,
        cursor: &wmill_core::JobCursor,
    ) -> Result<wmill_core::Page<wmill_core::JobSummary, wmill_core::JobCursor>> {
        self.jobs()?.list_jobs_page(query, cursor).await
    }
    async fn run_flow_by_version_async(
        &self,
        version: wmill_core::FlowVersion,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.jobs()?
            .run_flow_by_version_async(version, args, options)
            .await
    }
    async fn run_flow_by_version(
        &self,
        version: wmill_core::FlowVersion,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.jobs()?
            .run_flow_by_version(version, args, options)
            .await
    }
    async fn get_job_logs(&self, id: &JobId) -> Result<String> {
        self.jobs()?.get_job_logs(id).await
    }
    async fn get_log_update(&self, id: &JobId, offset: u64) -> Result<wmill_core::LogUpdate> {
        self.jobs()?.get_log_update(id, offset).await
    }
    fn job_logs_from(&self, id: &JobId, offset: u64) -> wmill_core::LogStream {
        match self.jobs() {
            Ok(jobs) => jobs.job_logs_from(id, offset),
            Err(e) => Box::pin(futures::stream::once(futures::future::ready(Err(e)))),
        }
    }
    async fn get_flow_all_logs(&self, id: &JobId) -> Result<String> {
        self.jobs()?.get_flow_all_logs(id).await
    }
    fn cancel_job_in_background(&self, id: &JobId, reason: &str) -> Result<()> {
        self.jobs()?.cancel_job_in_background(id, reason)
    }
}

fn missing(what: &'static str) -> Error {
    Error::NotConfigured {
        what,
        hint: format!(
            "the installed wmill::Client has no {what} backend; set one with Client::builder().{what}(...)"
        ),
    }
}
