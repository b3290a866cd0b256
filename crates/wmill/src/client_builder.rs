//! [`ClientBuilder`]: a [`Client`] put together capability by capability.

use std::sync::Arc;

use wmill_core::{JobRunner, ResourceStore, StateStore, VariableStore};

use crate::Client;

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
    pub(crate) client: Client,
}

impl Client {
    /// A builder with no capability set; missing ones answer
    /// [`Error::NotConfigured`](wmill_core::Error::NotConfigured).
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            client: Client::empty(),
        }
    }
}

/// Setters of the builder: each sets the client's field of the same name.
macro_rules! setters {
    ($($(#[$attr:meta])* $field:ident: $ty:ty;)*) => {$(
        $(#[$attr])*
        pub fn $field(mut self, $field: $ty) -> Self {
            self.client.$field = Some($field);
            self
        }
    )*};
}

impl ClientBuilder {
    setters! {
        /// Sets the variable store.
        variables: Arc<dyn VariableStore>;
        /// Sets the resource store.
        resources: Arc<dyn ResourceStore>;
        /// Sets the state store.
        state: Arc<dyn StateStore>;
        /// Sets the job runner.
        jobs: Arc<dyn JobRunner>;
        /// Sets the Windmill HTTP client used by the server-only helpers.
        #[cfg(feature = "http")]
        windmill: wmill_http::Windmill;
        /// Sets the S3 client.
        #[cfg(feature = "s3")]
        s3: wmill_s3::S3Client;
    }

    /// The client.
    pub fn build(self) -> Client {
        self.client
    }
}
