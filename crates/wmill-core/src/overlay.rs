//! [`MockOverlay`]: the mock-API file (`WM_MOCKED_API_FILE`) laid over any backend, as the
//! Python and TypeScript clients use it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::memory::{Budget, MAX_INTERPOLATION_DEPTH, page};
use crate::{
    Args, Backend, Error, InMemory, ItemKind, ItemPath, Job, JobId, JobRunner, JobStatus,
    ListResources, ListVariables, ResourceInfo, ResourceStore, Result, RunOptions, ScriptHash,
    SetVariableOptions, StateStore, VariableInfo, VariableStore, WaitOptions,
};

/// The environment variable naming the mock-API file (the Python and TypeScript clients' name).
pub const MOCKED_API_FILE_VAR: &str = "WM_MOCKED_API_FILE";

/// The environment variable that saves the sets of a [`MockOverlay`] built from the
/// environment back to its file: `1`, `true`, `yes` or `on` (case-insensitive) to save, `0`,
/// `false`, `no`, `off` or empty to keep them in memory (the default). Our addition: the
/// Python and TypeScript clients never write the file.
pub const MOCKED_API_PERSIST_VAR: &str = "WMILL_MOCKED_API_PERSIST";

/// How many items one listing request of the backend asks for while a listing is merged.
const LIST_BATCH: u32 = 100;

/// The most listing pages read from the backend for one merged listing (100 000 items).
const MAX_LIST_PAGES: u32 = 1000;

/// The mock-API file over a backend: variables, resources and state are looked up in the mock
/// first, everything else is the backend's.
///
/// | call | what happens |
/// |---|---|
/// | `get_variable`, `get_resource`, `get_state[_at]` | a hit returns the mocked value; a miss falls through to the backend (the real server, or [`InMemory`]) |
/// | `set_variable`, `set_resource`, `set_state[_at]` | written to the mock only; the backend never sees a write |
/// | `delete_variable`, `delete_resource` | removes the mocked item; an item that only the backend holds is [`Error::Unsupported`] (a delete never reaches the backend), an item held by neither is [`Error::NotFound`] |
/// | `list_variables`, `list_resources` | the backend's items (read page by page, at most 100 000) merged with the mock's (the mock wins), sorted by path, then paged as asked |
/// | jobs ([`JobRunner`]) | the backend's |
///
/// A mocked resource is returned with its `$var:` / `$res:` references resolved through the
/// overlay (mock first, then the backend), within the limits [`InMemory`] applies (16 levels,
/// 100 000 values, 16 MiB of strings). The Python and TypeScript clients return mocked values
/// as written; a value without references is the same either way.
///
/// State is a resource at the state path ([`StateStore::default_state_path`]): the one set with
/// [`with_state_path`](MockOverlay::with_state_path), else the backend's (`WM_STATE_PATH_NEW` /
/// `WM_STATE_PATH` inside a job), else the mock's ([`DEFAULT_STATE_PATH`](crate::DEFAULT_STATE_PATH)).
///
/// # Where sets go
/// [`MockOverlay::from_file`] keeps sets in memory, as the Python and TypeScript clients do:
/// the file is a fixture, often checked in, and a test run must not change it (nor the next
/// run's starting point). [`MockOverlay::from_file_persisted`] (or
/// `WMILL_MOCKED_API_PERSIST=1` with [`MockApiSettings`]) also saves every set back to the file,
/// atomically (temporary file, then rename), so a crash never leaves it truncated; what the
/// format has no room for (resource types, secret flags, descriptions) goes to three optional
/// keys of ours.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use std::sync::Arc;
/// use serde_json::json;
/// use wmill_core::{InMemory, ItemPath, MockOverlay, ResourceStore, SetVariableOptions, VariableStore};
///
/// // The backend: here in memory, in real use the Windmill server.
/// let server = InMemory::new().with_variable("u/me/region", "eu-west-1")?;
/// let mock = InMemory::new().with_resource("u/me/db", json!({"host": "localhost"}), "postgresql")?;
/// let wm = MockOverlay::new(mock, Arc::new(server.clone()));
///
/// let p = |s: &str| ItemPath::parse(s);
/// assert_eq!(wm.get_resource(&p("u/me/db")?).await?, json!({"host": "localhost"})); // hit
/// assert_eq!(wm.get_variable(&p("u/me/region")?).await?, "eu-west-1"); // miss: the backend
/// wm.set_variable(&p("u/me/region")?, "local", &SetVariableOptions::new()).await?;
/// assert_eq!(wm.get_variable(&p("u/me/region")?).await?, "local"); // the mock now
/// assert_eq!(server.get_variable(&p("u/me/region")?).await?, "eu-west-1"); // untouched
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MockOverlay {
    mock: InMemory,
    base: Arc<dyn Backend>,
    state_path: Option<ItemPath>,
}

impl fmt::Debug for MockOverlay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockOverlay")
            .field("mock", &self.mock)
            .field("base", &self.base)
            .field("state_path", &self.state_path)
            .finish()
    }
}

impl MockOverlay {
    /// `mock` over `base`. The mock is any [`InMemory`]: seeded in code, loaded with
    /// [`InMemory::load_mock_file`] (sets stay in memory) or [`InMemory::from_mock_file`]
    /// (sets saved to the file).
    pub fn new(mock: InMemory, base: Arc<dyn Backend>) -> Self {
        MockOverlay {
            mock,
            base,
            state_path: None,
        }
    }

    /// The mock-API file at `path` over `base`; sets stay in memory (as in Python and
    /// TypeScript). A missing file is an empty mock; an unreadable or malformed one is an error.
    pub fn from_file(path: impl Into<PathBuf>, base: Arc<dyn Backend>) -> Result<Self> {
        Ok(Self::new(InMemory::load_mock_file(path)?, base))
    }

    /// [`from_file`](MockOverlay::from_file), with every set also saved to the file
    /// (atomically: a crash never leaves it truncated). One writer per file: two overlays (or
    /// processes) writing the same file each write their whole snapshot, and the last wins.
    pub fn from_file_persisted(path: impl Into<PathBuf>, base: Arc<dyn Backend>) -> Result<Self> {
        Ok(Self::new(InMemory::from_mock_file(path)?, base))
    }

    /// Sets the state path (`get_state` / `set_state`), instead of the backend's or the mock's.
    pub fn with_state_path(mut self, path: impl AsRef<str>) -> Result<Self> {
        self.state_path = Some(ItemPath::parse(path)?);
        Ok(self)
    }

    /// The mock (what the file holds, plus the sets so far).
    pub fn mock(&self) -> &InMemory {
        &self.mock
    }

    /// The backend misses and jobs go to.
    pub fn base(&self) -> &Arc<dyn Backend> {
        &self.base
    }

    /// The file the sets are saved to, when they are.
    pub fn persisted_to(&self) -> Option<&Path> {
        self.mock.mock_file()
    }

    /// A mocked value with its `$var:` / `$res:` references resolved through the overlay.
    fn resolve<'a>(
        &'a self,
        value: &'a Value,
        depth: usize,
        budget: &'a mut Budget,
    ) -> BoxFuture<'a, Result<Value>> {
        async move {
            if depth > MAX_INTERPOLATION_DEPTH {
                return Err(Error::invalid(
                    "resource",
                    format!(
                        "resource references nest more than {MAX_INTERPOLATION_DEPTH} levels deep (a `$res:` cycle?)"
                    ),
                ));
            }
            let referenced = depth > 0;
            Ok(match value {
                Value::String(s) => {
                    if let Some(var) = s.strip_prefix("$var:") {
                        let path = ItemPath::parse(var)?;
                        let v = self.get_variable(&path).await?;
                        budget.take(v.len())?;
                        Value::String(v)
                    } else if let Some(res) = s.strip_prefix("$res:") {
                        let path = ItemPath::parse(res)?;
                        match self.mock.raw_resource(&path) {
                            Some(inner) => self.resolve(&inner, depth + 1, budget).await?,
                            None => {
                                // Already resolved by the backend: counted as one value.
                                let v = self.base.get_resource(&path).await?;
                                budget.take(v.to_string().len())?;
                                v
                            }
                        }
                    } else {
                        if referenced {
                            budget.take(s.len())?;
                        }
                        value.clone()
                    }
                }
                Value::Array(items) => {
                    if referenced {
                        budget.take(0)?;
                    }
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.resolve(item, depth, budget).await?);
                    }
                    Value::Array(out)
                }
                Value::Object(map) => {
                    if referenced {
                        budget.take(map.keys().map(String::len).sum())?;
                    }
                    let mut out = serde_json::Map::with_capacity(map.len());
                    for (k, v) in map {
                        out.insert(k.clone(), self.resolve(v, depth, budget).await?);
                    }
                    Value::Object(out)
                }
                other => {
                    if referenced {
                        budget.take(0)?;
                    }
                    other.clone()
                }
            })
        }
        .boxed()
    }

    async fn resolved(&self, raw: Value) -> Result<Value> {
        if !has_reference(&raw) {
            return Ok(raw);
        }
        self.resolve(&raw, 0, &mut Budget::default()).await
    }

    /// An item the mock does not hold cannot be deleted: `Unsupported` when the backend holds
    /// it (a delete never reaches the backend), else `NotFound`.
    fn refuse_delete(exists_in_base: Result<bool>, kind: ItemKind, path: &ItemPath) -> Error {
        match exists_in_base {
            Ok(true) => Error::Unsupported {
                operation: "deleting an item that only the backend holds",
                backend: "the mocked API (writes go to the mock only)",
            },
            Ok(false) => Error::not_found(kind, path.as_str()),
            Err(e) => e,
        }
    }
}

fn has_reference(value: &Value) -> bool {
    match value {
        Value::String(s) => s.starts_with("$var:") || s.starts_with("$res:"),
        Value::Array(items) => items.iter().any(has_reference),
        Value::Object(map) => map.values().any(has_reference),
        _ => false,
    }
}

fn exists<T>(result: Result<T>) -> Result<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Reads every page of a backend listing (pages of [`LIST_BATCH`], at most [`MAX_LIST_PAGES`]),
/// stopping at a short page or a page with nothing new (a server that ignores `page`).
async fn read_all<T, F, Fut>(
    mut fetch: F,
    key: impl Fn(&T) -> ItemPath,
) -> Result<BTreeMap<ItemPath, T>>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>>>,
{
    let mut all = BTreeMap::new();
    for page_no in 1..=MAX_LIST_PAGES {
        let batch = fetch(page_no).await?;
        let full = batch.len() >= LIST_BATCH as usize;
        let mut new = false;
        for item in batch {
            new |= all.insert(key(&item), item).is_none();
        }
        if !full || !new {
            return Ok(all);
        }
    }
    tracing::warn!(
        max = MAX_LIST_PAGES * LIST_BATCH,
        "mocked API: the backend's listing was cut at its first items"
    );
    Ok(all)
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl VariableStore for MockOverlay {
    async fn get_variable(&self, path: &ItemPath) -> Result<String> {
        match self.mock.variable_value(path) {
            Some(v) => Ok(v),
            None => self.base.get_variable(path).await,
        }
    }

    async fn set_variable(
        &self,
        path: &ItemPath,
        value: &str,
        options: &SetVariableOptions,
    ) -> Result<()> {
        self.mock.set_variable(path, value, options).await
    }

    async fn delete_variable(&self, path: &ItemPath) -> Result<()> {
        if self.mock.variable_value(path).is_some() {
            return self.mock.delete_variable(path).await;
        }
        let in_base = exists(self.base.get_variable(path).await);
        Err(Self::refuse_delete(in_base, ItemKind::Variable, path))
    }

    async fn list_variables(&self, options: &ListVariables) -> Result<Vec<VariableInfo>> {
        let mut all = read_all(
            |page_no| {
                let q = ListVariables {
                    path_start: options.path_start.clone(),
                    page: Some(page_no),
                    per_page: Some(LIST_BATCH),
                };
                let base = self.base.clone();
                async move { base.list_variables(&q).await }
            },
            |v: &VariableInfo| v.path.clone(),
        )
        .await?;
        let mocked = read_all(
            |page_no| {
                let q = ListVariables {
                    path_start: options.path_start.clone(),
                    page: Some(page_no),
                    per_page: Some(LIST_BATCH),
                };
                let mock = self.mock.clone();
                async move { mock.list_variables(&q).await }
            },
            |v: &VariableInfo| v.path.clone(),
        )
        .await?;
        all.extend(mocked);
        Ok(page(all.into_values(), options.page, options.per_page))
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl ResourceStore for MockOverlay {
    async fn get_resource(&self, path: &ItemPath) -> Result<Value> {
        match self.mock.raw_resource(path) {
            Some(raw) => self.resolved(raw).await,
            None => self.base.get_resource(path).await,
        }
    }

    async fn set_resource(
        &self,
        path: &ItemPath,
        value: &Value,
        resource_type: &str,
    ) -> Result<()> {
        self.mock.set_resource(path, value, resource_type).await
    }

    async fn delete_resource(&self, path: &ItemPath) -> Result<()> {
        if self.mock.raw_resource(path).is_some() {
            return self.mock.delete_resource(path).await;
        }
        let in_base = exists(self.base.get_resource(path).await);
        Err(Self::refuse_delete(in_base, ItemKind::Resource, path))
    }

    async fn list_resources(&self, options: &ListResources) -> Result<Vec<ResourceInfo>> {
        let mut all = read_all(
            |page_no| {
                let q = ListResources {
                    resource_type: options.resource_type.clone(),
                    path_start: options.path_start.clone(),
                    page: Some(page_no),
                    per_page: Some(LIST_BATCH),
                };
                let base = self.base.clone();
                async move { base.list_resources(&q).await }
            },
            |r: &ResourceInfo| r.path.clone(),
        )
        .await?;
        let mocked = read_all(
            |page_no| {
                let q = ListResources {
                    resource_type: options.resource_type.clone(),
                    path_start: options.path_start.clone(),
                    page: Some(page_no),
                    per_page: Some(LIST_BATCH),
                };
                let mock = self.mock.clone();
                async move { mock.list_resources(&q).await }
            },
            |r: &ResourceInfo| r.path.clone(),
        )
        .await?;
        all.extend(mocked);
        Ok(page(all.into_values(), options.page, options.per_page))
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl StateStore for MockOverlay {
    async fn get_state(&self) -> Result<Option<Value>> {
        let path = self.default_state_path()?;
        self.get_state_at(&path).await
    }

    async fn set_state(&self, value: &Value) -> Result<()> {
        let path = self.default_state_path()?;
        self.set_state_at(&path, value).await
    }

    async fn get_state_at(&self, path: &ItemPath) -> Result<Option<Value>> {
        match self.mock.raw_resource(path) {
            Some(raw) => self.resolved(raw).await.map(Some),
            None => self.base.get_state_at(path).await,
        }
    }

    async fn set_state_at(&self, path: &ItemPath, value: &Value) -> Result<()> {
        self.mock.set_state_at(path, value).await
    }

    fn default_state_path(&self) -> Result<ItemPath> {
        if let Some(p) = &self.state_path {
            return Ok(p.clone());
        }
        match self.base.default_state_path() {
            Ok(p) => Ok(p),
            Err(Error::NotConfigured { .. }) => self.mock.default_state_path(),
            Err(e) => Err(e),
        }
    }
}

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

/// What the environment says about the mock-API file: `WM_MOCKED_API_FILE` (the file),
/// [`MOCKED_API_PERSIST_VAR`] (save sets to it) and `WM_STATE_PATH_NEW` / `WM_STATE_PATH`
/// (the state path).
///
/// ```
/// use wmill_core::MockApiSettings;
///
/// let vars = [
///     ("WM_MOCKED_API_FILE".to_owned(), "mock.json".to_owned()),
///     ("WMILL_MOCKED_API_PERSIST".to_owned(), "true".to_owned()),
/// ];
/// let settings = MockApiSettings::from_vars(&vars)?.expect("the file is named");
/// assert!(settings.persist);
/// assert_eq!(MockApiSettings::from_vars(&[])?, None);
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockApiSettings {
    /// The mock-API file.
    pub file: PathBuf,
    /// Whether sets are saved to the file (default `false`: in memory, as in Python).
    pub persist: bool,
    /// The state path, when the environment names one.
    pub state_path: Option<String>,
}

impl MockApiSettings {
    /// The settings in environment-shaped `(name, value)` pairs; `None` when
    /// `WM_MOCKED_API_FILE` is unset or blank.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when [`MOCKED_API_PERSIST_VAR`] is neither a true nor a false
    /// word.
    pub fn from_vars(vars: &[(String, String)]) -> Result<Option<Self>> {
        let get = |name: &str| {
            vars.iter()
                .find(|(k, v)| k == name && !v.trim().is_empty())
                .map(|(_, v)| v.trim())
        };
        let Some(file) = get(MOCKED_API_FILE_VAR) else {
            return Ok(None);
        };
        let persist = match get(MOCKED_API_PERSIST_VAR).map(str::to_ascii_lowercase) {
            None => false,
            Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => true,
            Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => false,
            Some(v) => {
                return Err(Error::invalid(
                    "environment",
                    format!(
                        "{MOCKED_API_PERSIST_VAR}={v:?}: expected 1/true/yes/on or 0/false/no/off"
                    ),
                ));
            }
        };
        Ok(Some(MockApiSettings {
            file: PathBuf::from(file),
            persist,
            state_path: get("WM_STATE_PATH_NEW")
                .or_else(|| get("WM_STATE_PATH"))
                .map(str::to_owned),
        }))
    }

    /// The overlay these settings describe, over `base`.
    pub fn open(&self, base: Arc<dyn Backend>) -> Result<MockOverlay> {
        let overlay = if self.persist {
            MockOverlay::from_file_persisted(&self.file, base)?
        } else {
            MockOverlay::from_file(&self.file, base)?
        };
        match &self.state_path {
            Some(p) => overlay.with_state_path(p),
            None => Ok(overlay),
        }
    }
}

#[cfg(test)]
mod tests;
