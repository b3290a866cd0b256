//! [`Client`]: what the module-level functions call, and the global instance.

use std::fmt;
use std::sync::Arc;

use parking_lot::RwLock;
use wmill_core::{Backend, Error, JobRunner, ResourceStore, Result, StateStore, VariableStore};

/// The backends the module-level functions use: one per capability, so a test can install a
/// mock for one and [`InMemory`](crate::InMemory) for the rest.
///
/// Build one from any [`Backend`] with [`Client::new`], or piece by piece with
/// [`Client::builder`]; install it with [`set_client`]. Without an installed client, the first
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

    /// The client the environment describes.
    ///
    /// - `WM_MOCKED_API_FILE` set: the mock-API file over the configured backend, as the Python
    ///   and TypeScript clients use it (see [`Client::from_vars`]).
    /// - otherwise (feature `http`): a Windmill client from `BASE_INTERNAL_URL` / `WM_BASE_URL`,
    ///   `WM_TOKEN`, `WM_WORKSPACE` and the job variables; a missing one is
    ///   [`Error::NotConfigured`] naming it.
    pub fn from_env() -> Result<Self> {
        Self::from_vars(std::env::vars())
    }

    /// [`Client::from_env`] over environment-shaped `(name, value)` pairs.
    ///
    /// With `WM_MOCKED_API_FILE`, variables, resources and state go through a
    /// [`MockOverlay`](wmill_core::MockOverlay): a hit returns the mocked value, a miss falls
    /// through to the configured backend (the Windmill server when `BASE_INTERNAL_URL` or
    /// `WM_BASE_URL` names one, an empty [`InMemory`](wmill_core::InMemory) otherwise), a set
    /// writes to the mock (kept in memory, as in Python; saved to the file, atomically, with
    /// `WMILL_MOCKED_API_PERSIST=1`). Jobs, the server helpers and S3 use the configured
    /// backend unchanged.
    ///
    /// ```
    /// # fn main() -> wmill::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("wmill-doc-client-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let file = dir.join("mock.json");
    /// std::fs::write(&file, r#"{"variables": {"u/me/key": "mocked"}, "resources": {}}"#).unwrap();
    /// let client = wmill::Client::from_vars([
    ///     ("WM_MOCKED_API_FILE".to_owned(), file.display().to_string()),
    /// ])?;
    /// wmill::set_client(client);
    /// assert_eq!(wmill::blocking::get_variable("u/me/key")?, "mocked");
    /// # Ok(()) }
    /// ```
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        if let Some(mock) = wmill_core::MockApiSettings::from_vars(&vars)? {
            return Self::mocked_api(&mock, vars);
        }
        #[cfg(feature = "http")]
        {
            Ok(Client::windmill(wmill_http::Windmill::from_vars(vars)?))
        }
        #[cfg(not(feature = "http"))]
        {
            Err(Error::NotConfigured {
                what: "wmill client",
                hint: "enable the `http` feature of `wmill`, set WM_MOCKED_API_FILE, or call \
                       wmill::set_client(...)"
                    .to_owned(),
            })
        }
    }

    /// The client of `WM_MOCKED_API_FILE`: the configured backend, with its variables,
    /// resources and state behind the mock.
    fn mocked_api(mock: &wmill_core::MockApiSettings, vars: Vec<(String, String)>) -> Result<Self> {
        #[cfg(feature = "http")]
        let names_a_server = vars
            .iter()
            .any(|(k, v)| (k == "BASE_INTERNAL_URL" || k == "WM_BASE_URL") && !v.trim().is_empty());
        #[cfg(feature = "http")]
        let (base, mut client): (Arc<dyn Backend>, Client) = if names_a_server {
            let windmill = wmill_http::Windmill::from_vars(vars)?;
            (Arc::new(windmill.clone()), Client::windmill(windmill))
        } else {
            let memory = wmill_core::InMemory::new();
            (Arc::new(memory.clone()), Client::new(memory))
        };
        #[cfg(not(feature = "http"))]
        let (base, mut client): (Arc<dyn Backend>, Client) = {
            let _ = vars;
            let memory = wmill_core::InMemory::new();
            (Arc::new(memory.clone()), Client::new(memory))
        };
        let overlay = Arc::new(mock.open(base)?);
        client.variables = Some(overlay.clone());
        client.resources = Some(overlay.clone());
        client.state = Some(overlay);
        Ok(client)
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

fn missing(what: &'static str) -> Error {
    Error::NotConfigured {
        what,
        hint: format!(
            "the installed wmill::Client has no {what} backend; set one with Client::builder().{what}(...)"
        ),
    }
}

/// Builds a [`Client`] capability by capability.
///
/// ```
/// use std::sync::Arc;
/// use wmill::{Client, InMemory};
///
/// let memory = Arc::new(InMemory::new());
/// let client = Client::builder()
///     .variables(memory.clone())
///     .resources(memory.clone())
///     .state(memory.clone())
///     .jobs(memory)
///     .build();
/// assert!(client.jobs().is_ok());
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    client: Client,
}

impl ClientBuilder {
    /// Sets the variable store.
    pub fn variables(mut self, store: Arc<dyn VariableStore>) -> Self {
        self.client.variables = Some(store);
        self
    }

    /// Sets the resource store.
    pub fn resources(mut self, store: Arc<dyn ResourceStore>) -> Self {
        self.client.resources = Some(store);
        self
    }

    /// Sets the state store.
    pub fn state(mut self, store: Arc<dyn StateStore>) -> Self {
        self.client.state = Some(store);
        self
    }

    /// Sets the job runner.
    pub fn jobs(mut self, runner: Arc<dyn JobRunner>) -> Self {
        self.client.jobs = Some(runner);
        self
    }

    /// Sets the Windmill HTTP client used by the server-only helpers.
    #[cfg(feature = "http")]
    pub fn windmill(mut self, windmill: wmill_http::Windmill) -> Self {
        self.client.windmill = Some(windmill);
        self
    }

    /// Sets the S3 client.
    #[cfg(feature = "s3")]
    pub fn s3(mut self, s3: wmill_s3::S3Client) -> Self {
        self.client.s3 = Some(s3);
        self
    }

    /// The client.
    pub fn build(self) -> Client {
        self.client
    }
}

static GLOBAL: RwLock<Option<Arc<Client>>> = RwLock::new(None);

/// Installs the client the module-level functions use (replacing any previous one).
pub fn set_client(client: Client) {
    *GLOBAL.write() = Some(Arc::new(client));
}

/// Removes the installed client; the next module-level call builds one from the environment.
pub fn reset_client() {
    *GLOBAL.write() = None;
}

/// The client the module-level functions use: the installed one, else one built from the
/// environment (and kept). A failure to build is returned, and retried on the next call.
pub fn client() -> Result<Arc<Client>> {
    if let Some(c) = GLOBAL.read().as_ref() {
        return Ok(c.clone());
    }
    let mut slot = GLOBAL.write();
    if let Some(c) = slot.as_ref() {
        return Ok(c.clone());
    }
    let built = Arc::new(Client::from_env()?);
    *slot = Some(built.clone());
    Ok(built)
}
