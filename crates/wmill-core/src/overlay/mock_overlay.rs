//! [`MockOverlay`] itself: the file's backend over the server's, and how reads fall through.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::memory::{Referent, Referents};
use crate::{Backend, Error, InMemory, ItemKind, ItemPath, Result};

/// The environment variable naming the mock-API file (the Python and TypeScript clients' name).
pub const MOCKED_API_FILE_VAR: &str = "WM_MOCKED_API_FILE";

/// The environment variable that saves the sets of a [`MockOverlay`] built from the
/// environment back to its file: `1`, `true`, `yes` or `on` (case-insensitive) to save, `0`,
/// `false`, `no`, `off` or empty to keep them in memory (the default). Our addition: the
/// Python and TypeScript clients never write the file.
pub const MOCKED_API_PERSIST_VAR: &str = "WMILL_MOCKED_API_PERSIST";

/// How many items one listing request of the backend asks for while a listing is merged.
pub(super) const LIST_BATCH: u32 = 100;

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
/// | jobs ([`JobRunner`](crate::JobRunner)) | the backend's |
///
/// A mocked resource is returned with its `$var:` / `$res:` references resolved through the
/// overlay (mock first, then the backend), within the limits [`InMemory`] applies (16 levels,
/// 100 000 values, 16 MiB of strings). The Python and TypeScript clients return mocked values
/// as written; a value without references is the same either way.
///
/// State is a resource at the state path ([`StateStore::default_state_path`](crate::StateStore::default_state_path)): the one set with
/// [`with_state_path`](MockOverlay::with_state_path), else the backend's (`WM_STATE_PATH_NEW` /
/// `WM_STATE_PATH` inside a job), else the mock's ([`DEFAULT_STATE_PATH`](crate::DEFAULT_STATE_PATH)).
///
/// # Where sets go
/// [`MockOverlay::from_file`] keeps sets in memory, as the Python and TypeScript clients do:
/// the file is a fixture, often checked in, and a test run must not change it (nor the next
/// run's starting point). [`MockOverlay::from_file_persisted`] (or
/// `WMILL_MOCKED_API_PERSIST=1` with [`MockApiSettings`](crate::MockApiSettings)) also saves every set back to the file,
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
#[derive(Clone, Debug)]
pub struct MockOverlay {
    pub(super) mock: InMemory,
    pub(super) base: Arc<dyn Backend>,
    pub(super) state_path: Option<ItemPath>,
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

    /// An item the mock does not hold cannot be deleted: `Unsupported` when the backend holds
    /// it (a delete never reaches the backend), else `NotFound`.
    pub(super) fn refuse_delete(
        exists_in_base: Result<bool>,
        kind: ItemKind,
        path: &ItemPath,
    ) -> Error {
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

/// A mocked resource's references name the mock's items first, then the backend's.
impl Referents for MockOverlay {
    async fn referent(&self, path: &ItemPath) -> Result<Referent> {
        Ok(match self.mock.raw_resource(path) {
            Some(raw) => Referent::Raw(raw),
            None => Referent::Resolved(self.base.get_resource(path).await?),
        })
    }
}

pub(super) fn exists<T>(result: Result<T>) -> Result<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Reads every page of a backend listing (pages of [`LIST_BATCH`], at most [`MAX_LIST_PAGES`]),
/// stopping at a short page or a page with nothing new (a server that ignores `page`).
pub(super) async fn read_all<T, F, Fut>(
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
