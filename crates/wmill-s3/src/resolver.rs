//! [`StorageResolver`]: which `ObjectStore` serves a storage name, and [`StaticResolver`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use object_store::ObjectStore;
use wmill_core::{Error, ItemKind, Result};

/// Finds the [`ObjectStore`] that holds a workspace storage.
///
/// `storage` is the storage name of an [`S3Object`](crate::S3Object); `None` is the workspace's
/// default storage. Implementations: [`StaticResolver`] (a fixed map; plug in any object_store
/// backend) and, with the `windmill` feature, `WindmillResolver` (credentials from the server,
/// the S3 proxy, or the server's upload/download endpoints).
///
/// # Contract
/// - Return the same store for the same name while its credentials are valid (cache; building
///   stores per call is slow).
/// - A storage the resolver does not know is [`Error::NotFound`] with [`ItemKind::Storage`].
/// - [`StorageResolver::invalidate`] is called after a store answered "unauthorized", so cached
///   credentials are fetched again on the next [`StorageResolver::resolve`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use std::sync::Arc;
/// use wmill_s3::{StaticResolver, StorageResolver};
/// use wmill_s3::object_store::memory::InMemory;
///
/// let resolver = StaticResolver::new(Arc::new(InMemory::new()))
///     .with_storage("archive", Arc::new(InMemory::new()));
/// let store = resolver.resolve(Some("archive")).await?;
/// assert!(resolver.resolve(Some("missing")).await.is_err());
/// # Ok(()) }
/// ```
#[async_trait]
pub trait StorageResolver: fmt::Debug + Send + Sync + 'static {
    /// The store holding `storage` (`None`: the default storage).
    async fn resolve(&self, storage: Option<&str>) -> Result<Arc<dyn ObjectStore>>;

    /// Forget cached credentials of `storage` (called after an authorization failure).
    fn invalidate(&self, storage: Option<&str>) {
        let _ = storage;
    }

    /// A short description of how `storage` is resolved, for logs (`"static"`, `"windmill
    /// direct"`, ...).
    fn describe(&self) -> &'static str {
        "custom"
    }
}

#[async_trait]
impl<T: StorageResolver + ?Sized> StorageResolver for Arc<T> {
    async fn resolve(&self, storage: Option<&str>) -> Result<Arc<dyn ObjectStore>> {
        (**self).resolve(storage).await
    }
    fn invalidate(&self, storage: Option<&str>) {
        (**self).invalidate(storage)
    }
    fn describe(&self) -> &'static str {
        (**self).describe()
    }
}

/// A fixed map from storage names to stores: any object_store backend (local directory,
/// memory, GCS, Azure, another S3) serves as a Windmill storage.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use std::sync::Arc;
/// use wmill_s3::{S3Client, S3Object, StaticResolver, WriteOptions};
/// use wmill_s3::object_store::memory::InMemory;
///
/// let client = S3Client::new(
///     StaticResolver::empty()
///         .with_default(Arc::new(InMemory::new()))
///         .with_storage("cold", Arc::new(InMemory::new())),
/// );
/// let obj = S3Object::parse("s3://cold/a.txt")?;
/// client.write_s3_file(Some(&obj), "hi", &WriteOptions::default()).await?;
/// assert_eq!(client.load_s3_file(&obj).await?, "hi");
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct StaticResolver {
    default: Option<Arc<dyn ObjectStore>>,
    named: HashMap<String, Arc<dyn ObjectStore>>,
}

impl StaticResolver {
    /// A resolver whose default storage is `default`.
    pub fn new(default: Arc<dyn ObjectStore>) -> Self {
        StaticResolver {
            default: Some(default),
            named: HashMap::new(),
        }
    }

    /// A resolver with no storage yet.
    pub fn empty() -> Self {
        StaticResolver::default()
    }

    /// Sets the default storage (objects without a storage name, `s3:///key`).
    pub fn with_default(mut self, store: Arc<dyn ObjectStore>) -> Self {
        self.default = Some(store);
        self
    }

    /// Adds (or replaces) the storage `name`.
    pub fn with_storage(mut self, name: impl Into<String>, store: Arc<dyn ObjectStore>) -> Self {
        self.named.insert(name.into(), store);
        self
    }
}

impl fmt::Debug for StaticResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.named.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("StaticResolver")
            .field("default", &self.default.as_ref().map(|s| s.to_string()))
            .field("storages", &names)
            .finish()
    }
}

#[async_trait]
impl StorageResolver for StaticResolver {
    async fn resolve(&self, storage: Option<&str>) -> Result<Arc<dyn ObjectStore>> {
        let found = match storage {
            None => self.default.clone(),
            Some(name) => self.named.get(name).cloned(),
        };
        let store = found.ok_or_else(|| Error::NotFound {
            kind: ItemKind::Storage,
            path: storage.unwrap_or("_default_").into(),
        })?;
        tracing::debug!(storage = storage.unwrap_or("_default_"), store = %store, "storage resolved by the static map");
        Ok(store)
    }

    fn describe(&self) -> &'static str {
        "static"
    }
}
