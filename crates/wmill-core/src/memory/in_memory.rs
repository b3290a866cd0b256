//! [`InMemory`] itself: its data, its constructors, and the write-back of every change to
//! the mock-API file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::sync::{Mutex, RwLock};
use crate::{ItemPath, Result, SetVariableOptions};

use super::file::{MockFile, MockFileData, parse_path};
use super::jobs::Spawner;
use super::jobs::{JobFn, Jobs};
use crate::Runnable;

/// The state path [`InMemory`] uses unless told otherwise.
pub const DEFAULT_STATE_PATH: &str = "u/local/state";

/// A complete Windmill backend held in memory: variables, resources, state and jobs.
///
/// It behaves as the server does where the traits' contracts say so (set creates or updates,
/// missing items are [`Error::NotFound`](crate::Error::NotFound), state is `None` before the first set, resources are
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
///   [`Error::InvalidInput`](crate::Error::InvalidInput).
/// - **Run options** are checked as the server's endpoints take them (an option an endpoint
///   does not take is [`Error::InvalidInput`](crate::Error::InvalidInput), before anything starts); delays
///   ([`RunOptions::scheduled_in`](crate::RunOptions::scheduled_in), [`RunOptions::scheduled_for`](crate::RunOptions::scheduled_for)) and
///   [`RunOptions::queue_limit`](crate::RunOptions::queue_limit) are honoured, the rest is recorded in
///   [`started_jobs`](InMemory::started_jobs) (see the table on [`RunOptions`](crate::RunOptions)).
/// - **Job ids are deterministic**: `00000000-0000-0000-0000-000000000001`, `...02`, ... unless a
///   caller chose one ([`RunOptions::job_id`](crate::RunOptions::job_id)).
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
    pub(super) inner: Arc<Inner>,
}

#[derive(Default)]
pub(super) struct Inner {
    pub(super) data: Mutex<Data>,
    pub(super) scripts: RwLock<BTreeMap<Runnable, JobFn>>,
    pub(super) jobs: Mutex<Jobs>,
    pub(super) state_path: RwLock<Option<ItemPath>>,
    pub(super) spawner: RwLock<Option<Spawner>>,
    pub(super) file: Option<MockFile>,
}

#[derive(Default)]
pub(super) struct Data {
    pub(super) variables: BTreeMap<ItemPath, Variable>,
    pub(super) resources: BTreeMap<ItemPath, Resource>,
    /// Bumped on every change; orders the snapshots written to the mock file.
    pub(super) seq: u64,
}

pub(super) struct Variable {
    pub(super) value: String,
    pub(super) is_secret: bool,
    pub(super) description: Option<String>,
}

pub(super) struct Resource {
    pub(super) value: Value,
    pub(super) resource_type: String,
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

    pub(super) fn load_file(file: MockFile, write_back: bool) -> Result<Self> {
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

    /// The mock-file contents of this backend (variables and resources), as written to disk.
    pub fn to_mock_json(&self) -> Value {
        let data = self.inner.data.lock();
        serde_json::to_value(snapshot(&data)).unwrap_or(Value::Null)
    }

    pub(super) fn state_path(&self) -> ItemPath {
        self.inner
            .state_path
            .read()
            .clone()
            .unwrap_or_else(|| ItemPath::from_trusted(DEFAULT_STATE_PATH))
    }

    /// Applies a change to the data, then writes the mock file (outside the data lock).
    pub(super) fn mutate<R>(&self, f: impl FnOnce(&mut Data) -> Result<R>) -> Result<R> {
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
