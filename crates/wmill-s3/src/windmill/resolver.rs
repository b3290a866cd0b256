//! [`WindmillResolver`]: storages resolved by asking the Windmill server.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use object_store::CredentialProvider;
use object_store::ObjectStore;
use object_store::aws::{AmazonS3Builder, AwsCredential};
use parking_lot::Mutex;
use wmill_core::{Error, Result};

use super::{S3ResourceInfo, WindmillConnection, WindmillHelperStore};
use crate::StorageResolver;
use crate::error::to_store_error;

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
/// are fetched again when older than [`WindmillResolver::with_credential_ttl`] (temporary STS
/// credentials expire) and after an authorization failure.
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

    /// How long direct credentials are used before being fetched again (default 5 minutes).
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

    /// Whether `store` answers (a `HEAD` of a key that does not exist: "not found" is success).
    async fn probe(&self, store: &Arc<dyn ObjectStore>) -> Result<()> {
        let key = object_store::path::Path::from(".wmill-s3-probe");
        let head = store.get_opts(
            &key,
            object_store::GetOptions {
                head: true,
                ..Default::default()
            },
        );
        match tokio::time::timeout(self.probe_timeout, head).await {
            Err(_) => Err(Error::Timeout {
                job_id: None,
                after: self.probe_timeout,
            }),
            Ok(Ok(_)) | Ok(Err(object_store::Error::NotFound { .. })) => Ok(()),
            Ok(Err(e)) => Err(Error::Storage {
                operation: format!("probe {store}"),
                source: Box::new(e),
            }),
        }
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

    async fn direct(
        &self,
        storage: Option<&str>,
        require_keys: bool,
    ) -> Result<Arc<dyn ObjectStore>> {
        let resource = self.resource_path(storage)?;
        let info = self.conn.s3_resource_info(resource.as_deref()).await?;
        if require_keys && info.access_key.is_none() {
            return Err(Error::NotConfigured {
                what: "storage access keys",
                hint: "the storage has no static keys".into(),
            });
        }
        build_direct(&self.conn, resource, info, self.credential_ttl)
    }

    async fn proxy(&self, storage: Option<&str>) -> Result<Arc<dyn ObjectStore>> {
        let creds = self.conn.s3_proxy_credentials(storage).await?;
        let store = AmazonS3Builder::new()
            .with_endpoint(&creds.endpoint_url)
            .with_bucket_name(&creds.bucket)
            .with_region(&creds.region)
            .with_virtual_hosted_style_request(false)
            .with_allow_http(!creds.use_ssl)
            .with_access_key_id(&creds.access_key)
            .with_secret_access_key(&creds.secret_key)
            .build()
            .map_err(|e| Error::Storage {
                operation: "configure the S3 proxy store".into(),
                source: Box::new(e),
            })?;
        Ok(Arc::new(store))
    }

    async fn build(&self, storage: Option<&str>) -> Result<Resolved> {
        let name = storage.unwrap_or("_default_");
        let (store, how) = match self.access {
            StorageAccess::Direct => (self.direct(storage, false).await?, StorageAccess::Direct),
            StorageAccess::Proxy => (self.proxy(storage).await?, StorageAccess::Proxy),
            StorageAccess::Helpers => (self.helpers(storage), StorageAccess::Helpers),
            StorageAccess::Auto => {
                let mut chosen = None;
                if self.conn.has_server_signed_token() {
                    let proxy = match self.proxy(storage).await {
                        Ok(store) => self.probe(&store).await.map(|()| store),
                        Err(e) => Err(e),
                    };
                    match proxy {
                        Ok(store) => chosen = Some((store, StorageAccess::Proxy)),
                        Err(e) => {
                            tracing::debug!(storage = name, error = %e, "S3 proxy not usable")
                        }
                    }
                }
                if chosen.is_none() && (storage.is_none() || self.resource_paths.contains_key(name))
                {
                    let direct = match self.direct(storage, true).await {
                        Ok(store) => self.probe(&store).await.map(|()| store),
                        Err(e) => Err(e),
                    };
                    match direct {
                        Ok(store) => chosen = Some((store, StorageAccess::Direct)),
                        Err(e) => {
                            tracing::debug!(storage = name, error = %e, "direct access not usable")
                        }
                    }
                }
                chosen.unwrap_or_else(|| (self.helpers(storage), StorageAccess::Helpers))
            }
        };
        tracing::debug!(storage = name, access = how.name(), store = %store, "storage resolved through Windmill");
        Ok(Resolved { store, how })
    }

    fn helpers(&self, storage: Option<&str>) -> Arc<dyn ObjectStore> {
        Arc::new(WindmillHelperStore::new(self.conn.clone(), storage))
    }
}

#[async_trait]
impl StorageResolver for WindmillResolver {
    async fn resolve(&self, storage: Option<&str>) -> Result<Arc<dyn ObjectStore>> {
        let key = storage.filter(|s| !s.is_empty()).map(str::to_owned);
        if let Some(hit) = self.cache.lock().get(&key) {
            return Ok(hit.store.clone());
        }
        let resolved = self.build(key.as_deref()).await?;
        let store = resolved.store.clone();
        self.cache.lock().insert(key, resolved);
        Ok(store)
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

/// An `AmazonS3` store for a storage's settings, with credentials that refresh.
fn build_direct(
    conn: &WindmillConnection,
    resource: Option<String>,
    info: S3ResourceInfo,
    ttl: Duration,
) -> Result<Arc<dyn ObjectStore>> {
    let endpoint = info.endpoint_url();
    let endpoint = if info.path_style {
        endpoint
    } else {
        // virtual-hosted: object_store expects the bucket in the endpoint
        match endpoint.split_once("://") {
            Some((scheme, host)) => format!("{scheme}://{}.{host}", info.bucket),
            None => endpoint,
        }
    };
    let region = if info.region.is_empty() {
        "us-east-1".to_owned()
    } else {
        info.region.clone()
    };
    let mut builder = AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_bucket_name(&info.bucket)
        .with_region(region)
        .with_virtual_hosted_style_request(!info.path_style)
        .with_allow_http(!info.use_ssl);
    if let (Some(key), Some(secret)) = (&info.access_key, &info.secret_key) {
        let first = AwsCredential {
            key_id: key.clone(),
            secret_key: secret.clone(),
            token: info.token.clone(),
        };
        builder = builder.with_credentials(Arc::new(WindmillCredentials {
            conn: conn.clone(),
            resource,
            ttl,
            cached: Mutex::new(Some((Arc::new(first), Instant::now()))),
        }));
    }
    let store = builder.build().map_err(|e| Error::Storage {
        operation: "configure the direct S3 store".into(),
        source: Box::new(e),
    })?;
    Ok(Arc::new(store))
}

/// Credentials from `s3_resource_info`, fetched again when older than `ttl`.
struct WindmillCredentials {
    conn: WindmillConnection,
    resource: Option<String>,
    ttl: Duration,
    cached: Mutex<Option<(Arc<AwsCredential>, Instant)>>,
}

impl fmt::Debug for WindmillCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindmillCredentials")
            .field("resource", &self.resource)
            .field("ttl", &self.ttl)
            .finish()
    }
}

#[async_trait]
impl CredentialProvider for WindmillCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        if let Some((cred, at)) = self.cached.lock().as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(cred.clone());
        }
        tracing::debug!(resource = ?self.resource, "refreshing storage credentials from Windmill");
        let info = self
            .conn
            .s3_resource_info(self.resource.as_deref())
            .await
            .map_err(|e| to_store_error(e, "WindmillDirect"))?;
        let (Some(key_id), Some(secret_key)) = (info.access_key, info.secret_key) else {
            return Err(object_store::Error::Generic {
                store: "WindmillDirect",
                source: "the storage no longer has static keys".into(),
            });
        };
        let cred = Arc::new(AwsCredential {
            key_id,
            secret_key,
            token: info.token,
        });
        *self.cached.lock() = Some((cred.clone(), Instant::now()));
        Ok(cred)
    }
}
