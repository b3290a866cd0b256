//! [`WindmillResolver`]: storages resolved by asking the Windmill server, the choice of
//! [`StorageAccess`] mode, and the cache of resolved stores (one resolution of a storage at a
//! time). The stores themselves are built in `store_builders`, their credentials refreshed in
//! `credentials`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use object_store::ObjectStore;
use parking_lot::Mutex;
use wmill_core::{Error, Result};

use super::WindmillConnection;
use super::store_builders::{direct_store, helper_store, probe, proxy_store};
use crate::StorageResolver;
use crate::error::error_chain;

/// How a [`WindmillResolver`] reaches a storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StorageAccess {
    /// Try, in order: the S3 proxy (server-signed job token and an S3 storage), direct
    /// credentials (the default storage, or a storage mapped to a resource path, with static
    /// keys), then the helper endpoints. A proxy or direct store is kept only if it answers one
    /// probe request (a `HEAD` of a missing key) in time, so an endpoint only the workers can
    /// reach falls back to the helpers. The choice is logged at debug level and cached.
    #[default]
    Auto,
    /// Credentials from `job_helpers/v2/s3_resource_info`, requests straight to the bucket
    /// (fastest; needs network access to the storage).
    Direct,
    /// Windmill's S3 proxy (`/api/w/{ws}/s3_proxy/...`) with credentials derived from the job
    /// token (Enterprise; needs a `jwt_` token the server signed).
    Proxy,
    /// The server's `job_helpers` upload/download/delete endpoints (what the Python client
    /// uses; works wherever the server is reachable).
    Helpers,
}

impl StorageAccess {
    fn name(self) -> &'static str {
        match self {
            StorageAccess::Auto => "auto",
            StorageAccess::Direct => "windmill direct",
            StorageAccess::Proxy => "windmill S3 proxy",
            StorageAccess::Helpers => "windmill helper endpoints",
        }
    }
}

/// Resolves storages through the Windmill server, with the [`StorageAccess`] mode chosen
/// explicitly (or [`StorageAccess::Auto`]). Stores are cached per storage; direct credentials
/// are fetched again a margin before the expiry the server announces for temporary (STS)
/// credentials, else when older than [`WindmillResolver::with_credential_ttl`], and after an
/// authorization failure.
///
/// Concurrent callers never multiply requests: the first resolution of a storage and each
/// credential refresh run once, the other callers wait for it and share its outcome. A
/// credential refresh that fails while the cached credentials have not expired yet keeps them.
///
/// Named storages in direct mode need their S3 resource path
/// ([`WindmillResolver::with_storage_resource`]): `s3_resource_info` takes resource paths, not
/// storage names.
///
/// ```
/// use wmill_s3::{S3Client, StorageAccess, WindmillConnection, WindmillResolver};
///
/// let conn = WindmillConnection::new("http://localhost:8000", "demo", "token")?;
/// let client = S3Client::new(WindmillResolver::new(conn.clone(), StorageAccess::Helpers))
///     .with_windmill(conn);
/// # Ok::<(), wmill_core::Error>(())
/// ```
pub struct WindmillResolver {
    conn: WindmillConnection,
    access: StorageAccess,
    resource_paths: HashMap<String, String>,
    credential_ttl: Duration,
    probe_timeout: Duration,
    cache: Mutex<HashMap<Option<String>, Resolved>>,
    /// Per storage: the single flight of its resolution.
    flights: Mutex<HashMap<Option<String>, Arc<Flight>>>,
}

/// One resolution of a storage at a time: concurrent callers wait for the one in flight and
/// share its outcome.
#[derive(Default)]
struct Flight {
    /// Held across a resolution.
    gate: tokio::sync::Mutex<()>,
    /// Finished resolutions, and the message of the last one when it failed.
    outcome: Mutex<(u64, Option<Arc<str>>)>,
}

#[derive(Clone)]
struct Resolved {
    store: Arc<dyn ObjectStore>,
    how: StorageAccess,
}

impl fmt::Debug for WindmillResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached: Vec<(String, &'static str)> = self
            .cache
            .lock()
            .iter()
            .map(|(k, v)| {
                (
                    k.clone().unwrap_or_else(|| "_default_".into()),
                    v.how.name(),
                )
            })
            .collect();
        f.debug_struct("WindmillResolver")
            .field("conn", &self.conn)
            .field("access", &self.access)
            .field("resource_paths", &self.resource_paths)
            .field("credential_ttl", &self.credential_ttl)
            .field("probe_timeout", &self.probe_timeout)
            .field("cached", &cached)
            .finish()
    }
}

impl WindmillResolver {
    /// A resolver using `access` for every storage.
    pub fn new(conn: WindmillConnection, access: StorageAccess) -> Self {
        WindmillResolver {
            conn,
            access,
            resource_paths: HashMap::new(),
            credential_ttl: Duration::from_secs(300),
            probe_timeout: Duration::from_secs(5),
            cache: Mutex::new(HashMap::new()),
            flights: Mutex::new(HashMap::new()),
        }
    }

    /// Maps the storage `name` to the S3 resource holding its settings (for direct access).
    pub fn with_storage_resource(
        mut self,
        name: impl Into<String>,
        s3_resource_path: impl Into<String>,
    ) -> Self {
        self.resource_paths
            .insert(name.into(), s3_resource_path.into());
        self
    }

    /// How long direct credentials are used before being fetched again (default 5 minutes),
    /// when the server's answer gives no expiry (static keys). Temporary credentials with an
    /// expiry (`expiration` in the answer, see [`S3ResourceInfo::expires_at`](super::S3ResourceInfo::expires_at)) are fetched again
    /// 60 s before it (half their remaining lifetime when shorter), whatever this TTL.
    pub fn with_credential_ttl(mut self, ttl: Duration) -> Self {
        self.credential_ttl = ttl;
        self
    }

    /// In [`StorageAccess::Auto`] mode, how long the one probe request (a `HEAD` of a missing
    /// key) may take before a proxy or direct store is judged unreachable (default 5 s).
    pub fn with_probe_timeout(mut self, timeout: Duration) -> Self {
        self.probe_timeout = timeout;
        self
    }

    /// The configured access mode.
    pub fn access(&self) -> StorageAccess {
        self.access
    }

    /// How `storage` was resolved, once it has been.
    pub fn resolved_access(&self, storage: Option<&str>) -> Option<StorageAccess> {
        self.cache
            .lock()
            .get(&storage.map(str::to_owned))
            .map(|r| r.how)
    }

    fn resource_path(&self, storage: Option<&str>) -> Result<Option<String>> {
        match storage {
            None => Ok(None),
            Some(name) => self.resource_paths.get(name).cloned().map(Some).ok_or_else(|| {
                Error::NotConfigured {
                    what: "S3 resource path of the storage",
                    hint: format!(
                        "direct access to storage {name:?} needs WindmillResolver::with_storage_resource({name:?}, \"<resource path>\"), or use StorageAccess::Proxy / Helpers"
                    ),
                }
            }),
        }
    }

    /// `store`, if it answers the probe in time; otherwise `None`, logged as `what` not usable.
    async fn probed(
        &self,
        store: Result<Arc<dyn ObjectStore>>,
        name: &str,
        what: &str,
    ) -> Option<Arc<dyn ObjectStore>> {
        let usable = match store {
            Ok(store) => probe(&store, self.probe_timeout).await.map(|()| store),
            Err(e) => Err(e),
        };
        usable
            .inspect_err(|e| tracing::debug!(storage = name, error = %e, "{what} not usable"))
            .ok()
    }

    async fn direct(
        &self,
        storage: Option<&str>,
        require_keys: bool,
    ) -> Result<Arc<dyn ObjectStore>> {
        let resource = self.resource_path(storage)?;
        direct_store(&self.conn, resource, self.credential_ttl, require_keys).await
    }

    async fn build(&self, storage: Option<&str>) -> Result<Resolved> {
        let name = storage.unwrap_or("_default_");
        let (store, how) = match self.access {
            StorageAccess::Direct => (self.direct(storage, false).await?, StorageAccess::Direct),
            StorageAccess::Proxy => (
                proxy_store(&self.conn, storage).await?,
                StorageAccess::Proxy,
            ),
            StorageAccess::Helpers => (helper_store(&self.conn, storage), StorageAccess::Helpers),
            StorageAccess::Auto => {
                let mut chosen = None;
                if self.conn.has_server_signed_token() {
                    let proxy = proxy_store(&self.conn, storage).await;
                    chosen = self
                        .probed(proxy, name, "S3 proxy")
                        .await
                        .map(|s| (s, StorageAccess::Proxy));
                }
                if chosen.is_none() && (storage.is_none() || self.resource_paths.contains_key(name))
                {
                    let direct = self.direct(storage, true).await;
                    chosen = self
                        .probed(direct, name, "direct access")
                        .await
                        .map(|s| (s, StorageAccess::Direct));
                }
                chosen
                    .unwrap_or_else(|| (helper_store(&self.conn, storage), StorageAccess::Helpers))
            }
        };
        tracing::debug!(storage = name, access = how.name(), store = %store, "storage resolved through Windmill");
        Ok(Resolved { store, how })
    }
}

#[async_trait]
impl StorageResolver for WindmillResolver {
    async fn resolve(&self, storage: Option<&str>) -> Result<Arc<dyn ObjectStore>> {
        let key = storage.filter(|s| !s.is_empty()).map(str::to_owned);
        if let Some(hit) = self.cache.lock().get(&key) {
            return Ok(hit.store.clone());
        }
        let flight = self.flights.lock().entry(key.clone()).or_default().clone();
        let seen = flight.outcome.lock().0;
        let _flight = flight.gate.lock().await;
        if let Some(hit) = self.cache.lock().get(&key) {
            return Ok(hit.store.clone());
        }
        {
            let outcome = flight.outcome.lock();
            if outcome.0 != seen
                && let Some(message) = &outcome.1
            {
                // the resolution this caller waited for failed: its outcome, not another try
                return Err(Error::Storage {
                    operation: format!("resolve storage {}", key.as_deref().unwrap_or("_default_")),
                    source: message.to_string().into(),
                });
            }
        }
        let built = self.build(key.as_deref()).await;
        let mut outcome = flight.outcome.lock();
        outcome.0 += 1;
        match built {
            Ok(resolved) => {
                outcome.1 = None;
                let store = resolved.store.clone();
                self.cache.lock().insert(key, resolved);
                Ok(store)
            }
            Err(e) => {
                outcome.1 = Some(Arc::from(error_chain(&e)));
                Err(e)
            }
        }
    }

    fn invalidate(&self, storage: Option<&str>) {
        let key = storage.filter(|s| !s.is_empty()).map(str::to_owned);
        if self.cache.lock().remove(&key).is_some() {
            tracing::debug!(
                storage = storage.unwrap_or("_default_"),
                "cached storage dropped after an authorization failure"
            );
        }
    }

    fn describe(&self) -> &'static str {
        self.access.name()
    }
}
