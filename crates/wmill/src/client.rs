//! [`Client`]: the backends the module-level functions call, one per capability, and the
//! client as a [`Backend`] itself.

use std::fmt;
use std::sync::Arc;

use wmill_core::{Backend, Error, JobRunner, ResourceStore, Result, StateStore, VariableStore};

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

    /// A client with no capability set: where [`Client::builder`] starts.
    pub(crate) fn empty() -> Self {
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

wmill_core::__forward_impl! {
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
    impl[] VariableStore for Client; |this| this.variables()?
}
wmill_core::__forward_impl!(impl[] ResourceStore for Client; |this| this.resources()?);
wmill_core::__forward_impl!(impl[] StateStore for Client; |this| this.state()?);
// Every method forwards: a method left to its default would not reach the installed job
// runner. The macro's rows are those of wmill-core's own `Arc` / `Box` forwarding, where
// `clippy::missing_trait_methods` fails the build when the trait gains a method without a row.
wmill_core::__forward_impl!(impl[] JobRunner for Client; |this| this.jobs()?);

fn missing(what: &'static str) -> Error {
    Error::NotConfigured {
        what,
        hint: format!(
            "the installed wmill::Client has no {what} backend; set one with Client::builder().{what}(...)"
        ),
    }
}
