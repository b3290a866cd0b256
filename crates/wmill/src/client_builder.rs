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
