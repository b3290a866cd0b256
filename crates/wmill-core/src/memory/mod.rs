//! [`InMemory`]: a complete backend in process memory, optionally backed by a mock-API file.

mod file;
mod jobs;
pub(crate) mod listing;
mod logs;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::sync::{Mutex, RwLock};
use async_trait::async_trait;
use futures_util::FutureExt;
use futures_util::future::{Either, select};
use futures_util::stream::BoxStream;
use serde_json::{Value, json};

use self::file::{MockFile, MockFileData, parse_path};
use self::jobs::{Job, JobFn, Jobs, Outcome};
pub use self::jobs::{Runnable, Spawner, StartedJob};
pub use self::logs::JobLog;
use crate::{
    Args, CancelOnDrop, Error, FlowVersion, ItemKind, ItemPath, JobCursor, JobId, JobQuery,
    JobRunner, JobStatus, JobSummary, ListResources, ListVariables, LogChunk, LogUpdate, Page,
    ResourceInfo, ResourceStore, Result, RunEndpoint, RunOptions, STATE_RESOURCE_TYPE, ScriptHash,
    SetVariableOptions, StateStore, VariableInfo, VariableStore, WaitOptions,
};

/// The state path [`InMemory`] uses unless told otherwise.
pub const DEFAULT_STATE_PATH: &str = "u/local/state";

/// How deep `$res:` references may nest when a resource is interpolated.
pub(crate) const MAX_INTERPOLATION_DEPTH: usize = 16;

/// How many JSON values `$res:` / `$var:` references may bring into one interpolated value.
const MAX_INTERPOLATED_VALUES: usize = 100_000;

/// How many bytes of strings `$res:` / `$var:` references may bring into one interpolated value.
const MAX_INTERPOLATED_BYTES: usize = 16 << 20;

/// The server's default page size for listings.
const DEFAULT_PER_PAGE: u32 = crate::DEFAULT_PAGE_SIZE;

/// A complete Windmill backend held in memory: variables, resources, state and jobs.
///
/// It behaves as the server does where the traits' contracts say so (set creates or updates,
/// missing items are [`Error::NotFound`], state is `None` before the first set, resources are
/// interpolated), so code tested against it behaves the same against Windmill.
///
/// - **Clones share data**, like clones of the HTTP client.
/// - **Jobs run registered closures** ([`register_script`](InMemory::register_script),
///   [`register_script_hash`](InMemory::register_script_hash),
///   [`register_flow`](InMemory::register_flow),
///   [`register_flow_version`](InMemory::register_flow_version)). A job starts when it is submitted and is
///   driven by whoever waits for it (`wait_job`, `run_*`, `get_result`, `get_job_status`,
///   `get_job`), so no
///   runtime is needed; with [`with_spawner`](InMemory::with_spawner) jobs also progress on their
///   own (e.g. on `tokio::spawn`). A closure that panics fails its job.
/// - **Resources and state are read interpolated**: `$var:` and `$res:` references are
///   resolved. References nest at most 16 levels deep and may bring in at most 100 000 JSON
///   values and 16 MiB of strings per read (a resource that refers twice to one that refers
///   twice to ... would grow exponentially); beyond that the read fails with
///   [`Error::InvalidInput`].
/// - **Run options** are checked as the server's endpoints take them (an option an endpoint
///   does not take is [`Error::InvalidInput`], before anything starts); delays
///   ([`RunOptions::scheduled_in`], [`RunOptions::scheduled_for`]) and
///   [`RunOptions::queue_limit`] are honoured, the rest is recorded in
///   [`started_jobs`](InMemory::started_jobs) (see the table on [`RunOptions`]).
/// - **Job ids are deterministic**: `00000000-0000-0000-0000-000000000001`, `...02`, ... unless a
///   caller chose one ([`RunOptions::job_id`]).
/// - **Mock-API file**: [`InMemory::from_mock_file`] loads the `WM_MOCKED_API_FILE` format
///   (`{"variables": {...}, "resources": {...}}`) and writes every change back, atomically
///   (temporary file, then rename), so a crash or a concurrent writer never leaves a truncated
///   file. Three optional keys of ours keep what the format has no room for: `resource_types`,
///   `secret_variables` and `variable_descriptions`. One `InMemory` per file: two instances
///   (or processes) writing the same file each write their whole snapshot, and the last wins.
///   [`InMemory::load_mock_file`] reads the file and keeps changes in memory. The environment
///   variable itself builds a [`MockOverlay`](crate::MockOverlay): the file over the server.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use serde_json::json;
/// use wmill_core::{InMemory, ItemPath, JobRunner, RunOptions, VariableStore};
///
/// let wm = InMemory::new()
///     .with_variable("u/alice/greeting", "hello")?
///     .with_resource("f/db/main", json!({"host": "db"}), "postgresql")?;
/// wm.register_script("f/jobs/double", |args| async move {
///     Ok(json!(args["x"].as_i64().unwrap_or(0) * 2))
/// })?;
///
/// assert_eq!(wm.get_variable(&ItemPath::parse("u/alice/greeting")?).await?, "hello");
/// let out = wm
///     .run_script_by_path(&ItemPath::parse("f/jobs/double")?, wmill_core::to_args(&json!({"x": 21}))?, &RunOptions::new())
///     .await?;
/// assert_eq!(out, json!(42));
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct InMemory {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    data: Mutex<Data>,
    scripts: RwLock<BTreeMap<Runnable, JobFn>>,
    jobs: Mutex<Jobs>,
    state_path: RwLock<Option<ItemPath>>,
    spawner: RwLock<Option<Spawner>>,
    file: Option<MockFile>,
}

#[derive(Default)]
struct Data {
    variables: BTreeMap<ItemPath, Variable>,
    resources: BTreeMap<ItemPath, Resource>,
    /// Bumped on every change; orders the snapshots written to the mock file.
    seq: u64,
}

struct Variable {
    value: String,
    is_secret: bool,
    description: Option<String>,
}

struct Resource {
    value: Value,
    resource_type: String,
}

impl fmt::Debug for InMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Counts only: variable values may be secrets.
        let data = self.inner.data.lock();
        let mut d = f.debug_struct("InMemory");
        d.field("variables", &data.variables.len())
            .field("resources", &data.resources.len())
            .field("scripts", &self.inner.scripts.read().len())
            .field("jobs", &self.inner.jobs.lock().table.len());
        if let Some(file) = &self.inner.file {
            d.field("file", &file.path());
        }
        d.finish()
    }
}

impl InMemory {
    /// An empty backend, with [`DEFAULT_STATE_PATH`] as its state path.
    pub fn new() -> Self {
        Self::default()
    }

    /// A backend loaded from a mock-API file and writing every change back to it. A missing file
    /// starts empty (and is created on the first write); an unreadable or malformed file is an
    /// error (never silently ignored).
    pub fn from_mock_file(path: impl Into<PathBuf>) -> Result<Self> {
        Self::load_file(MockFile::new(path.into()), true)
    }

    /// A backend loaded from a mock-API file whose changes stay in memory: the file is read
    /// once and never written, as the Python and TypeScript clients treat it. A missing file
    /// starts empty; an unreadable or malformed file is an error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use wmill_core::{InMemory, ItemPath, SetVariableOptions, VariableStore};
    ///
    /// let dir = tempfile::tempdir().map_err(|e| wmill_core::Error::invalid("temp dir", e.to_string()))?;
    /// let file = dir.path().join("mock.json");
    /// std::fs::write(&file, r#"{"variables": {"u/me/key": "v1"}, "resources": {}}"#)
    ///     .map_err(|e| wmill_core::Error::invalid("mock file", e.to_string()))?;
    /// let mock = InMemory::load_mock_file(&file)?;
    /// let key = ItemPath::parse("u/me/key")?;
    /// mock.set_variable(&key, "v2", &SetVariableOptions::new()).await?;
    /// assert_eq!(mock.get_variable(&key).await?, "v2");
    /// assert!(std::fs::read_to_string(&file).unwrap_or_default().contains("v1")); // untouched
    /// assert_eq!(mock.mock_file(), None);
    /// # Ok(()) }
    /// ```
    pub fn load_mock_file(path: impl Into<PathBuf>) -> Result<Self> {
        Self::load_file(MockFile::new(path.into()), false)
    }

    fn load_file(file: MockFile, write_back: bool) -> Result<Self> {
        let loaded = file.load()?;
        let mut data = Data::default();
        for (raw, value) in loaded.variables {
            let path = parse_path(&raw, file.path())?;
            let value = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            data.variables.insert(
                path,
                Variable {
                    value,
                    is_secret: loaded.secret_variables.contains(&raw),
                    description: loaded.variable_descriptions.get(&raw).cloned(),
                },
            );
        }
        for (raw, value) in loaded.resources {
            let path = parse_path(&raw, file.path())?;
            let resource_type = loaded
                .resource_types
                .get(&raw)
                .cloned()
                .unwrap_or_else(|| "any".to_owned());
            data.resources.insert(
                path,
                Resource {
                    value,
                    resource_type,
                },
            );
        }
        Ok(InMemory {
            inner: Arc::new(Inner {
                data: Mutex::new(data),
                file: write_back.then_some(file),
                ..Inner::default()
            }),
        })
    }

    /// The mock-API file this backend writes to, if any.
    pub fn mock_file(&self) -> Option<&Path> {
        self.inner.file.as_ref().map(|f| f.path())
    }

    /// Sets the default state path (used by `get_state` / `set_state`).
    pub fn with_state_path(self, path: impl AsRef<str>) -> Result<Self> {
        *self.inner.state_path.write() = Some(ItemPath::parse(path)?);
        Ok(self)
    }

    /// Lets jobs progress on their own: every job is also handed to `spawner` when it starts
    /// (for example `|fut| { tokio::spawn(fut); }`).
    pub fn with_spawner<F>(self, spawner: F) -> Self
    where
        F: Fn(futures_util::future::BoxFuture<'static, ()>) + Send + Sync + 'static,
    {
        *self.inner.spawner.write() = Some(Arc::new(spawner));
        self
    }

    /// Seeds a (non-secret) variable; for setup code and examples.
    pub fn with_variable(self, path: impl AsRef<str>, value: impl Into<String>) -> Result<Self> {
        let path = ItemPath::parse(path)?;
        self.put_variable(&path, value.into(), &SetVariableOptions::new())?;
        Ok(self)
    }

    /// Seeds a resource; for setup code and examples.
    pub fn with_resource(
        self,
        path: impl AsRef<str>,
        value: Value,
        resource_type: impl Into<String>,
    ) -> Result<Self> {
        let path = ItemPath::parse(path)?;
        self.put_resource(&path, value, &resource_type.into())?;
        Ok(self)
    }

    /// Registers the script run by `run_script_by_path*` at `path`. The closure gets the job's
    /// arguments; `Ok(value)` is the result, `Err(value)` fails the job with that error value
    /// (conventionally `{"name": ..., "message": ...}`). Registering again replaces it.
    pub fn register_script<F, Fut>(&self, path: impl AsRef<str>, f: F) -> Result<()>
    where
        F: Fn(Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let path = ItemPath::parse(path)?;
        self.register(Runnable::ScriptPath(path), f);
        Ok(())
    }

    /// Registers the script version run by `run_script_by_hash*`.
    pub fn register_script_hash<F, Fut>(&self, hash: impl AsRef<str>, f: F) -> Result<()>
    where
        F: Fn(Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let hash = ScriptHash::parse(hash)?;
        self.register(Runnable::ScriptHash(hash), f);
        Ok(())
    }

    /// Registers the flow run by `run_flow*` at `path`.
    pub fn register_flow<F, Fut>(&self, path: impl AsRef<str>, f: F) -> Result<()>
    where
        F: Fn(Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let path = ItemPath::parse(path)?;
        self.register(Runnable::Flow(path), f);
        Ok(())
    }

    /// Registers the flow version run by `run_flow_by_version*`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use serde_json::json;
    /// use wmill_core::{Args, FlowVersion, InMemory, JobRunner, RunOptions};
    ///
    /// let wm = InMemory::new();
    /// wm.register_flow_version(FlowVersion::new(42), |_args| async move { Ok(json!("v42")) });
    /// let out = wm.run_flow_by_version(FlowVersion::new(42), Args::new(), &RunOptions::new()).await?;
    /// assert_eq!(out, json!("v42"));
    /// # Ok(()) }
    /// ```
    pub fn register_flow_version<F, Fut>(&self, version: FlowVersion, f: F)
    where
        F: Fn(Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        self.register(Runnable::FlowVersion(version), f);
    }

    fn register<F, Fut>(&self, what: Runnable, f: F)
    where
        F: Fn(Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let f: JobFn = Arc::new(move |args| f(args).boxed());
        self.inner.scripts.write().insert(what, f);
    }

    /// What this backend runs: the scripts, script versions and flows registered so far, in
    /// [`Runnable`]'s order (scripts by path, then by hash, then flows; each sorted).
    ///
    /// ```
    /// use wmill_core::{InMemory, ItemPath, Runnable};
    ///
    /// let wm = InMemory::new();
    /// wm.register_script("f/jobs/hello", |_| async { Ok(serde_json::json!("hi")) })?;
    /// assert_eq!(wm.registered(), [Runnable::ScriptPath(ItemPath::parse("f/jobs/hello")?)]);
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn registered(&self) -> Vec<Runnable> {
        self.inner.scripts.read().keys().cloned().collect()
    }

    /// Every job started so far, in order, with its arguments and options.
    pub fn started_jobs(&self) -> Vec<StartedJob> {
        self.inner.jobs.lock().started.clone()
    }

    /// The mock-file contents of this backend (variables and resources), as written to disk.
    pub fn to_mock_json(&self) -> Value {
        let data = self.inner.data.lock();
        serde_json::to_value(snapshot(&data)).unwrap_or(Value::Null)
    }

    /// The value of the variable at `path`, if this backend holds it.
    pub(crate) fn variable_value(&self, path: &ItemPath) -> Option<String> {
        self.inner
            .data
            .lock()
            .variables
            .get(path)
            .map(|v| v.value.clone())
    }

    /// The raw (not interpolated) value of the resource at `path`, if this backend holds it.
    pub(crate) fn raw_resource(&self, path: &ItemPath) -> Option<Value> {
        self.inner
            .data
            .lock()
            .resources
            .get(path)
            .map(|r| r.value.clone())
    }

    fn state_path(&self) -> ItemPath {
        self.inner
            .state_path
            .read()
            .clone()
            .unwrap_or_else(|| ItemPath::from_trusted(DEFAULT_STATE_PATH))
    }

    /// Applies a change to the data, then writes the mock file (outside the data lock).
    fn mutate<R>(&self, f: impl FnOnce(&mut Data) -> Result<R>) -> Result<R> {
        let (out, snap) = {
            let mut data = self.inner.data.lock();
            let out = f(&mut data)?;
            data.seq += 1;
            let snap = self
                .inner
                .file
                .as_ref()
                .map(|_| (data.seq, snapshot(&data)));
            (out, snap)
        };
        if let (Some(file), Some((seq, snap))) = (&self.inner.file, snap) {
            file.store(seq, &snap)?;
        }
        Ok(out)
    }

    fn put_variable(
        &self,
        path: &ItemPath,
        value: String,
        options: &SetVariableOptions,
    ) -> Result<()> {
        self.mutate(|data| {
            match data.variables.get_mut(path) {
                Some(v) => v.value = value,
                None => {
                    data.variables.insert(
                        path.clone(),
                        Variable {
                            value,
                            is_secret: options.is_secret,
                            description: options.description.clone(),
                        },
                    );
                }
            }
            Ok(())
        })
    }

    fn put_resource(&self, path: &ItemPath, value: Value, resource_type: &str) -> Result<()> {
        self.mutate(|data| {
            match data.resources.get_mut(path) {
                // As on the server: an update keeps the type (and needs none).
                Some(r) => r.value = value,
                None if resource_type.is_empty() => {
                    return Err(Error::invalid(
                        "resource type",
                        format!("creating {path} needs a resource type, and it is empty"),
                    ));
                }
                None => {
                    data.resources.insert(
                        path.clone(),
                        Resource {
                            value,
                            resource_type: resource_type.to_owned(),
                        },
                    );
                }
            }
            Ok(())
        })
    }

    /// Starts a job. `sync`: for a synchronous run, whose options are checked as one
    /// ([`RunOptions::check_sync`]), and whose `queue_limit` is honoured.
    fn start(&self, what: Runnable, args: Args, options: &RunOptions, sync: bool) -> Result<JobId> {
        let endpoint = what.endpoint();
        if sync {
            options.check_sync(endpoint)?;
        } else {
            options.check_for(endpoint)?;
        }
        let f = self.inner.scripts.read().get(&what).cloned();
        let Some(f) = f else {
            return Err(match &what {
                Runnable::ScriptPath(p) => Error::not_found(ItemKind::Script, p.as_str()),
                Runnable::ScriptHash(h) => Error::not_found(ItemKind::Script, h.as_str()),
                Runnable::Flow(p) => Error::not_found(ItemKind::Flow, p.as_str()),
                Runnable::FlowVersion(v) => {
                    Error::not_found(ItemKind::Flow, format!("version {v}"))
                }
            });
        };
        if let Some(limit) = options.queue_limit {
            self.check_queue_limit(limit, endpoint)?;
        }
        let (id, fut) = {
            let mut jobs = self.inner.jobs.lock();
            let id = match options.job_id {
                Some(id) => {
                    if jobs.table.contains_key(&id) {
                        return Err(Error::AlreadyExists {
                            kind: ItemKind::Job,
                            path: id.to_string(),
                        });
                    }
                    id
                }
                None => loop {
                    jobs.next_id += 1;
                    let id = JobId::from_u128(jobs.next_id);
                    if !jobs.table.contains_key(&id) {
                        break id;
                    }
                },
            };
            let job = Job::new(&f, args.clone(), options.start_delay()).with_meta(
                what.clone(),
                &args,
                options,
            );
            let fut = job.fut.clone();
            jobs.table.insert(id, job);
            jobs.started.push(StartedJob {
                id,
                runnable: what,
                args,
                options: options.clone(),
                created_at: crate::listing::truncate_to_micros(std::time::SystemTime::now()),
            });
            (id, fut)
        };
        let spawner = self.inner.spawner.read().clone();
        match spawner {
            Some(spawn) => spawn(fut.map(|_| ()).boxed()),
            None => {
                // Run it up to its first pending point: jobs that need no waiting are done now.
                let _ = fut.now_or_never();
            }
        }
        Ok(id)
    }

    /// Every job `query`'s filters on what ran select (path, kind, tag, parent, creation
    /// time), summarized; the state filters are applied by [`listing::rows_as_the_server_sends`].
    fn job_summaries(&self, query: &JobQuery) -> Vec<JobSummary> {
        // Taken out of the lock: jobs are polled (to learn their state) without it.
        let started: Vec<(StartedJob, Option<Job>)> = {
            let jobs = self.inner.jobs.lock();
            jobs.started
                .iter()
                .filter(|s| listing::selects(query, s))
                .map(|s| (s.clone(), jobs.table.get(&s.id).cloned()))
                .collect()
        };
        started
            .into_iter()
            .map(|(s, job)| listing::summary(&s, job.as_ref()))
            .collect()
    }
    /// `queue_limit`, as the server applies it: more unfinished jobs than `limit` refuses the
    /// run with the server's error (500, `Number of queued job is too high: <n> > <limit>`).
    fn check_queue_limit(&self, limit: u32, endpoint: RunEndpoint) -> Result<()> {
        // Out of the lock: a job is never polled under it.
        let jobs: Vec<Job> = self.inner.jobs.lock().table.values().cloned().collect();
        let count = jobs.iter().filter(|j| !j.status().is_completed()).count();
        if count > limit as usize {
            let sync = endpoint.wait_result().unwrap_or(endpoint);
            return Err(Error::Api {
                status: 500,
                request: format!("POST {}", sync.path()),
                body: format!("Number of queued job is too high: {count} > {limit}"),
            });
        }
        Ok(())
    }

    /// Starts a synchronous run and waits for it.
    async fn run_sync(&self, what: Runnable, args: Args, options: &RunOptions) -> Result<Value> {
        let id = self.start(what, args, options, true)?;
        let value = self.wait_job(&id, &options.wait).await?;
        options.check_result(&id, value)
    }

    /// A handle on the job, taken out of the lock: jobs are never polled under a lock, so a job
    /// may call back into this backend.
    fn job(&self, id: &JobId) -> Result<Job> {
        self.inner
            .jobs
            .lock()
            .table
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found(ItemKind::Job, id.to_string()))
    }

    /// `value` with its `$var:` and `$res:` references resolved, as the server reads resources
    /// and state.
    ///
    /// References nest at most [`MAX_INTERPOLATION_DEPTH`] deep, and what they bring in (every
    /// value of a referenced resource, at every level, and every variable) is bounded by
    /// [`MAX_INTERPOLATED_VALUES`] and [`MAX_INTERPOLATED_BYTES`]: a resource that refers twice
    /// to one that refers twice to ... fails with [`Error::InvalidInput`] instead of growing
    /// exponentially. What the resource holds itself is not counted.
    fn interpolate(&self, value: &Value) -> Result<Value> {
        self.interpolate_within(value, 0, &mut Budget::default())
    }

    fn interpolate_within(
        &self,
        value: &Value,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<Value> {
        if depth > MAX_INTERPOLATION_DEPTH {
            return Err(Error::invalid(
                "resource",
                format!(
                    "resource references nest more than {MAX_INTERPOLATION_DEPTH} levels deep (a `$res:` cycle?)"
                ),
            ));
        }
        // Inside a referenced resource, every value is brought in by a reference.
        let referenced = depth > 0;
        Ok(match value {
            Value::String(s) => {
                if let Some(var) = s.strip_prefix("$var:") {
                    let path = ItemPath::parse(var)?;
                    let data = self.inner.data.lock();
                    let v = data
                        .variables
                        .get(&path)
                        .ok_or_else(|| Error::not_found(ItemKind::Variable, path.as_str()))?;
                    budget.take(v.value.len())?;
                    Value::String(v.value.clone())
                } else if let Some(res) = s.strip_prefix("$res:") {
                    let path = ItemPath::parse(res)?;
                    let inner = {
                        let data = self.inner.data.lock();
                        data.resources
                            .get(&path)
                            .map(|r| r.value.clone())
                            .ok_or_else(|| Error::not_found(ItemKind::Resource, path.as_str()))?
                    };
                    self.interpolate_within(&inner, depth + 1, budget)?
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
                Value::Array(
                    items
                        .iter()
                        .map(|v| self.interpolate_within(v, depth, budget))
                        .collect::<Result<_>>()?,
                )
            }
            Value::Object(map) => {
                if referenced {
                    budget.take(map.keys().map(String::len).sum())?;
                }
                Value::Object(
                    map.iter()
                        .map(|(k, v)| Ok((k.clone(), self.interpolate_within(v, depth, budget)?)))
                        .collect::<Result<_>>()?,
                )
            }
            other => {
                if referenced {
                    budget.take(0)?;
                }
                other.clone()
            }
        })
    }
}

/// What references may still bring into the value being interpolated.
pub(crate) struct Budget {
    /// JSON values.
    values: usize,
    /// Bytes of strings and object keys.
    bytes: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            values: MAX_INTERPOLATED_VALUES,
            bytes: MAX_INTERPOLATED_BYTES,
        }
    }
}

impl Budget {
    /// Counts one value brought in by a reference, holding `bytes` bytes of strings or keys.
    pub(crate) fn take(&mut self, bytes: usize) -> Result<()> {
        self.values = self.values.checked_sub(1).ok_or_else(|| {
            Error::invalid(
                "resource",
                format!(
                    "its `$res:` / `$var:` references bring in more than {MAX_INTERPOLATED_VALUES} JSON values (the limit)"
                ),
            )
        })?;
        self.bytes = self.bytes.checked_sub(bytes).ok_or_else(|| {
            Error::invalid(
                "resource",
                format!(
                    "its `$res:` / `$var:` references bring in more than {MAX_INTERPOLATED_BYTES} bytes of strings (the limit)"
                ),
            )
        })?;
        Ok(())
    }
}

fn snapshot(data: &Data) -> MockFileData {
    MockFileData {
        variables: data
            .variables
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.value.clone())))
            .collect(),
        resources: data
            .resources
            .iter()
            .map(|(k, r)| (k.to_string(), r.value.clone()))
            .collect(),
        resource_types: data
            .resources
            .iter()
            .filter(|(_, r)| r.resource_type != "any")
            .map(|(k, r)| (k.to_string(), r.resource_type.clone()))
            .collect(),
        secret_variables: data
            .variables
            .iter()
            .filter(|(_, v)| v.is_secret)
            .map(|(k, _)| k.to_string())
            .collect(),
        variable_descriptions: data
            .variables
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.description.clone()?)))
            .collect(),
    }
}

pub(crate) fn page<T>(
    items: impl Iterator<Item = T>,
    page: Option<u32>,
    per_page: Option<u32>,
) -> Vec<T> {
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE).max(1) as usize;
    let page = page.unwrap_or(1).max(1) as usize;
    items.skip((page - 1) * per_page).take(per_page).collect()
}

#[async_trait]
impl VariableStore for InMemory {
    async fn get_variable(&self, path: &ItemPath) -> Result<String> {
        self.inner
            .data
            .lock()
            .variables
            .get(path)
            .map(|v| v.value.clone())
            .ok_or_else(|| Error::not_found(ItemKind::Variable, path.as_str()))
    }

    async fn set_variable(
        &self,
        path: &ItemPath,
        value: &str,
        options: &SetVariableOptions,
    ) -> Result<()> {
        self.put_variable(path, value.to_owned(), options)
    }

    async fn delete_variable(&self, path: &ItemPath) -> Result<()> {
        self.mutate(|data| {
            data.variables
                .remove(path)
                .map(|_| ())
                .ok_or_else(|| Error::not_found(ItemKind::Variable, path.as_str()))
        })
    }

    async fn list_variables(&self, options: &ListVariables) -> Result<Vec<VariableInfo>> {
        crate::validate_paging(options.page, options.per_page)?;
        let data = self.inner.data.lock();
        let prefix = options.path_start.as_deref().unwrap_or("");
        let items = data
            .variables
            .iter()
            .filter(|(p, _)| p.as_str().starts_with(prefix))
            .map(|(p, v)| VariableInfo {
                path: p.clone(),
                is_secret: v.is_secret,
                description: v.description.clone(),
                value: (!v.is_secret).then(|| v.value.clone()),
            });
        Ok(page(items, options.page, options.per_page))
    }
}

#[async_trait]
impl ResourceStore for InMemory {
    async fn get_resource(&self, path: &ItemPath) -> Result<Value> {
        let raw = self
            .inner
            .data
            .lock()
            .resources
            .get(path)
            .map(|r| r.value.clone())
            .ok_or_else(|| Error::not_found(ItemKind::Resource, path.as_str()))?;
        self.interpolate(&raw)
    }

    async fn set_resource(
        &self,
        path: &ItemPath,
        value: &Value,
        resource_type: &str,
    ) -> Result<()> {
        self.put_resource(path, value.clone(), resource_type)
    }

    async fn delete_resource(&self, path: &ItemPath) -> Result<()> {
        self.mutate(|data| {
            data.resources
                .remove(path)
                .map(|_| ())
                .ok_or_else(|| Error::not_found(ItemKind::Resource, path.as_str()))
        })
    }

    async fn list_resources(&self, options: &ListResources) -> Result<Vec<ResourceInfo>> {
        crate::validate_paging(options.page, options.per_page)?;
        let data = self.inner.data.lock();
        let prefix = options.path_start.as_deref().unwrap_or("");
        let types: Option<Vec<&str>> = options
            .resource_type
            .as_deref()
            .map(|t| t.split(',').map(str::trim).collect());
        let items = data
            .resources
            .iter()
            .filter(|(p, _)| p.as_str().starts_with(prefix))
            .filter(|(_, r)| {
                types
                    .as_ref()
                    .is_none_or(|ts| ts.contains(&r.resource_type.as_str()))
            })
            .map(|(p, r)| ResourceInfo {
                path: p.clone(),
                resource_type: r.resource_type.clone(),
                description: None,
                value: Some(r.value.clone()),
            });
        Ok(page(items, options.page, options.per_page))
    }
}

#[async_trait]
impl StateStore for InMemory {
    async fn get_state(&self) -> Result<Option<Value>> {
        self.get_state_at(&self.state_path()).await
    }

    async fn set_state(&self, value: &Value) -> Result<()> {
        self.set_state_at(&self.state_path(), value).await
    }

    async fn get_state_at(&self, path: &ItemPath) -> Result<Option<Value>> {
        // Read as the server reads it: interpolated (`$var:` / `$res:` references resolved).
        let raw = self
            .inner
            .data
            .lock()
            .resources
            .get(path)
            .map(|r| r.value.clone());
        raw.map(|v| self.interpolate(&v)).transpose()
    }

    async fn set_state_at(&self, path: &ItemPath, value: &Value) -> Result<()> {
        self.put_resource(path, value.clone(), STATE_RESOURCE_TYPE)
    }

    fn default_state_path(&self) -> Result<ItemPath> {
        Ok(self.state_path())
    }
}

#[async_trait]
impl JobRunner for InMemory {
    async fn run_script_by_path_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start(Runnable::ScriptPath(path.clone()), args, options, false)
    }

    async fn run_script_by_hash_async(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start(Runnable::ScriptHash(hash.clone()), args, options, false)
    }

    async fn run_flow_async(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start(Runnable::Flow(path.clone()), args, options, false)
    }

    async fn run_script_by_path(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.run_sync(Runnable::ScriptPath(path.clone()), args, options)
            .await
    }

    async fn run_script_by_hash(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.run_sync(Runnable::ScriptHash(hash.clone()), args, options)
            .await
    }

    async fn run_flow(&self, path: &ItemPath, args: Args, options: &RunOptions) -> Result<Value> {
        self.run_sync(Runnable::Flow(path.clone()), args, options)
            .await
    }

    async fn wait_job(&self, id: &JobId, options: &WaitOptions) -> Result<Value> {
        if !options.logs.is_none() {
            return self.wait_forwarding_logs(id, options).await;
        }
        let job = self.job(id)?;
        // A wait dropped before it returns cancels the job (`cancel_on_drop`).
        let guard = CancelOnDrop::new(self, *id).armed(options.cancel_on_drop);
        let outcome = wait_for(&job, id, options).await;
        guard.disarm();
        outcome
    }

    async fn get_result(&self, id: &JobId) -> Result<Value> {
        match self.job(id)?.poll_once() {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Ok(json!({ "error": e })),
            None => Err(Error::not_found(
                ItemKind::Job,
                format!("completed job {id}"),
            )),
        }
    }

    async fn get_job_status(&self, id: &JobId) -> Result<JobStatus> {
        Ok(self.job(id)?.status())
    }

    async fn cancel_job(&self, id: &JobId, reason: Option<String>) -> Result<()> {
        if self
            .job(id)?
            .cancel(reason.as_deref().unwrap_or("cancelled via cancel_job"))
        {
            Ok(())
        } else {
            Err(Error::not_found(
                ItemKind::Job,
                format!("queued or running job {id}"),
            ))
        }
    }

    async fn get_job(&self, id: &JobId) -> Result<crate::Job> {
        crate::Job::from_value(self.job(id)?.describe(*id))
    }
    async fn list_jobs_page(
        &self,
        query: &JobQuery,
        cursor: &JobCursor,
    ) -> Result<Page<JobSummary, JobCursor>> {
        query.validate()?;
        let request = cursor.request(query);
        let rows = listing::rows_as_the_server_sends(&self.job_summaries(query), query, &request);
        cursor.advance(query, rows)
    }

    async fn run_flow_by_version_async(
        &self,
        version: FlowVersion,
        args: Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        self.start(Runnable::FlowVersion(version), args, options, false)
    }

    async fn run_flow_by_version(
        &self,
        version: FlowVersion,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        self.run_sync(Runnable::FlowVersion(version), args, options)
            .await
    }

    async fn get_job_logs(&self, id: &JobId) -> Result<String> {
        Ok(self.logs_of(id)?.text())
    }

    async fn get_log_update(&self, id: &JobId, offset: u64) -> Result<LogUpdate> {
        self.log_update(id, offset)
    }

    fn job_logs_from(&self, id: &JobId, offset: u64) -> BoxStream<'static, Result<LogChunk>> {
        self.follow_logs(id, offset)
    }

    async fn get_flow_all_logs(&self, id: &JobId) -> Result<String> {
        self.flow_all_logs(id)
    }

    /// Cancels at once (the in-memory backend needs no request); a job that completed is
    /// left alone.
    fn cancel_job_in_background(&self, id: &JobId, reason: &str) -> Result<()> {
        self.job(id)?.cancel(reason);
        Ok(())
    }
}

/// The wait of [`JobRunner::wait_job`], without the drop guard.
async fn wait_for(job: &Job, id: &JobId, options: &WaitOptions) -> Result<Value> {
    let fut = job.fut.clone();
    let outcome = match options.timeout {
        None => fut.await,
        Some(after) => {
            match select(fut, crate::timer::sleep(after)).await {
                Either::Left((outcome, _)) => outcome,
                // The job may have completed just as the timer fired: its result wins.
                Either::Right((_, fut)) if fut.peek().is_some() => fut.await,
                Either::Right(_) => {
                    if options.cancel_on_timeout {
                        // Cancel once; the job may have just completed, which is fine.
                        job.cancel("reached timeout");
                    }
                    return Err(Error::Timeout {
                        job_id: Some(*id),
                        after,
                    });
                }
            }
        }
    };
    outcome.map_err(|error| Error::JobFailed {
        job_id: *id,
        error: Box::new(error),
    })
}

#[cfg(test)]
mod tests;
