//! [`WindmillResolver`]: storages resolved by asking the Windmill server.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

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
    /// expiry (`expiration` in the answer, see [`S3ResourceInfo::expires_at`]) are fetched again
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
        wmill_http::install_crypto_provider();
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
    wmill_http::install_crypto_provider();
    let mut builder = AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_bucket_name(&info.bucket)
        .with_region(region)
        .with_virtual_hosted_style_request(!info.path_style)
        .with_allow_http(!info.use_ssl);
    if info.access_key.is_some() && info.secret_key.is_some() {
        builder = builder.with_credentials(Arc::new(WindmillCredentials::new(
            conn.clone(),
            resource,
            ttl,
            Some(info),
        )));
    }
    let store = builder.build().map_err(|e| Error::Storage {
        operation: "configure the direct S3 store".into(),
        source: Box::new(e),
    })?;
    Ok(Arc::new(store))
}

/// The longest a credential refresh that failed waits before the next attempt, while the
/// cached credentials are still valid.
const REFRESH_RETRY: Duration = Duration::from_secs(5);

/// The most credentials are refreshed ahead of the expiry the server announced.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// Credentials from `s3_resource_info`, fetched again when due.
///
/// When due: the server's answer may carry `expiration` (Windmill's `S3Resource` has an
/// optional `expiration: DateTime<Utc>`, in `backend/windmill-types/src/s3.rs`, sent for
/// credentials it derived from a role); they are then refreshed a margin before it (60 s, or
/// half the remaining lifetime when shorter). Without an expiry (static keys), or with one that
/// does not decode or is already past on this machine's clock, after the configured TTL.
///
/// One refresh at a time: concurrent callers that find the credentials due wait for the refresh
/// in flight and share its outcome (one request, not one per caller). A refresh that fails
/// while the cached credentials have not expired yet (expiry known from the server) returns
/// the cached ones and is tried again a few seconds later; once they have expired, or when
/// their expiry is unknown, the error is returned.
struct WindmillCredentials {
    conn: WindmillConnection,
    resource: Option<String>,
    ttl: Duration,
    /// Held across a refresh: the single flight.
    gate: tokio::sync::Mutex<()>,
    slot: Mutex<CredentialSlot>,
}

/// Credentials with their schedule.
struct Cached {
    cred: Arc<AwsCredential>,
    /// When to fetch them again.
    refresh_at: Instant,
    /// When they stop working, if the server said so.
    expires_at: Option<Instant>,
}

#[derive(Default)]
struct CredentialSlot {
    current: Option<Cached>,
    /// After a failed refresh with valid credentials cached: no new attempt before then.
    retry_at: Option<Instant>,
    /// Finished refreshes (successful or not).
    attempts: u64,
    /// The message of the last refresh, when it failed, for the callers that waited for it.
    last_failure: Option<Arc<str>>,
}

impl CredentialSlot {
    /// The cached credentials if they can be used without a refresh at `now`.
    fn usable(&self, now: Instant) -> Option<Arc<AwsCredential>> {
        let c = self.current.as_ref()?;
        let due = now >= c.refresh_at && self.retry_at.is_none_or(|at| now >= at);
        let expired = c.expires_at.is_some_and(|at| now >= at);
        (!due && !expired).then(|| c.cred.clone())
    }

    /// The cached credentials if their known expiry is still ahead at `now`.
    fn still_valid(&self, now: Instant) -> Option<&Cached> {
        self.current
            .as_ref()
            .filter(|c| c.expires_at.is_some_and(|at| now < at))
    }
}

impl fmt::Debug for WindmillCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindmillCredentials")
            .field("resource", &self.resource)
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// When credentials fetched at `now` (wall clock `wall`) are due for a refresh, and when they
/// expire if `expires` (the server's expiry) is known and ahead.
fn schedule(
    expires: Option<SystemTime>,
    ttl: Duration,
    now: Instant,
    wall: SystemTime,
) -> (Instant, Option<Instant>) {
    let fallback = |now: Instant| (now.checked_add(ttl).unwrap_or(now), None);
    let Some(expires) = expires else {
        return fallback(now);
    };
    let remaining = match expires.duration_since(wall) {
        Ok(left) if !left.is_zero() => left,
        _ => {
            tracing::debug!(
                "the storage credentials' expiry is already past on this clock: refreshed after the configured TTL"
            );
            return fallback(now);
        }
    };
    let margin = EXPIRY_MARGIN.min(remaining / 2);
    match (
        now.checked_add(remaining - margin),
        now.checked_add(remaining),
    ) {
        (Some(refresh_at), Some(expires_at)) => (refresh_at, Some(expires_at)),
        _ => fallback(now),
    }
}

impl WindmillCredentials {
    /// A provider for `resource` (`None`: the default storage), starting from `first` when
    /// the caller already fetched it.
    fn new(
        conn: WindmillConnection,
        resource: Option<String>,
        ttl: Duration,
        first: Option<S3ResourceInfo>,
    ) -> Self {
        let creds = WindmillCredentials {
            conn,
            resource,
            ttl,
            gate: tokio::sync::Mutex::new(()),
            slot: Mutex::new(CredentialSlot::default()),
        };
        if let Some(info) = first
            && let Ok(cached) = creds.cached_from(info)
        {
            creds.slot.lock().current = Some(cached);
        }
        creds
    }

    fn cached_from(&self, info: S3ResourceInfo) -> object_store::Result<Cached> {
        let expires = info.expires_at();
        if info.expiration.is_some() && expires.is_none() {
            tracing::debug!(
                resource = ?self.resource,
                "the storage credentials' expiry does not decode: refreshed after the configured TTL"
            );
        }
        let (Some(key_id), Some(secret_key)) = (info.access_key, info.secret_key) else {
            return Err(object_store::Error::Generic {
                store: "WindmillDirect",
                source: "the storage no longer has static keys".into(),
            });
        };
        let (refresh_at, expires_at) =
            schedule(expires, self.ttl, Instant::now(), SystemTime::now());
        Ok(Cached {
            cred: Arc::new(AwsCredential {
                key_id,
                secret_key,
                token: info.token,
            }),
            refresh_at,
            expires_at,
        })
    }

    async fn fetch(&self) -> object_store::Result<Cached> {
        tracing::debug!(resource = ?self.resource, "refreshing storage credentials from Windmill");
        let info = self
            .conn
            .s3_resource_info(self.resource.as_deref())
            .await
            .map_err(|e| to_store_error(e, "WindmillDirect"))?;
        self.cached_from(info)
    }
}

/// What went wrong, without object_store's `Generic ... error:` prefix around our own errors.
fn failure_text(e: &object_store::Error) -> String {
    match e {
        object_store::Error::Generic { source, .. } => error_chain(source.as_ref()),
        other => error_chain(other),
    }
}

/// An error and its sources, `: `-separated (errors never carry secrets).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let more = inner.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = inner.source();
    }
    text
}

#[async_trait]
impl CredentialProvider for WindmillCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let seen = {
            let slot = self.slot.lock();
            if let Some(cred) = slot.usable(Instant::now()) {
                return Ok(cred);
            }
            slot.attempts
        };
        let _flight = self.gate.lock().await;
        {
            let slot = self.slot.lock();
            if let Some(cred) = slot.usable(Instant::now()) {
                return Ok(cred);
            }
            if slot.attempts != seen {
                // a refresh ended while this caller waited: its outcome, not another request
                if let Some(message) = &slot.last_failure {
                    return Err(object_store::Error::Generic {
                        store: "WindmillDirect",
                        source: format!("refreshing the storage credentials failed: {message}")
                            .into(),
                    });
                }
                if let Some(c) = &slot.current
                    && c.expires_at.is_none_or(|at| Instant::now() < at)
                {
                    return Ok(c.cred.clone());
                }
            }
        }
        let fetched = self.fetch().await;
        let now = Instant::now();
        let mut slot = self.slot.lock();
        slot.attempts += 1;
        match fetched {
            Ok(cached) => {
                let cred = cached.cred.clone();
                slot.current = Some(cached);
                slot.retry_at = None;
                slot.last_failure = None;
                Ok(cred)
            }
            Err(e) => {
                if let Some(valid) = slot.still_valid(now) {
                    let cred = valid.cred.clone();
                    let left = valid.expires_at.map(|at| at.saturating_duration_since(now));
                    let retry = now.checked_add(REFRESH_RETRY).unwrap_or(now);
                    slot.retry_at = Some(match valid.expires_at {
                        Some(at) => retry.min(at),
                        None => retry,
                    });
                    slot.last_failure = None;
                    tracing::debug!(
                        resource = ?self.resource,
                        error = %e,
                        valid_for = ?left,
                        "refreshing storage credentials failed: the cached ones are still valid"
                    );
                    return Ok(cred);
                }
                slot.last_failure = Some(Arc::from(failure_text(&e)));
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const INFO_PATH: &str = "/api/w/ws/job_helpers/v2/s3_resource_info";

    /// A connection without retries, so a failing answer fails at once.
    fn conn(server: &MockServer) -> WindmillConnection {
        let wm = wmill_http::Windmill::builder()
            .with_base_url(server.uri())
            .with_workspace("ws")
            .with_token("tok")
            .with_retry(wmill_http::RetryConfig::disabled())
            .build()
            .unwrap();
        WindmillConnection::from_http_client(&wm).unwrap()
    }

    fn answer(key: &str, expiration: Option<serde_json::Value>) -> serde_json::Value {
        let mut v = json!({
            "bucket": "b", "region": "us-east-1", "endPoint": "127.0.0.1:9", "useSSL": false,
            "accessKey": key, "secretKey": "secret-value", "pathStyle": true, "token": "sts-token"
        });
        if let Some(e) = expiration {
            v["expiration"] = e;
        }
        v
    }

    /// RFC 3339, as the server serializes a `DateTime<Utc>`, `secs` from now.
    fn in_secs(secs: i64) -> serde_json::Value {
        json!((chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339())
    }

    /// A server whose `s3_resource_info` answers "AK" after 200 ms (long enough for callers
    /// to pile up behind one refresh).
    async fn slow_info_server() -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(INFO_PATH))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(answer("AK", None))
                    .set_delay(Duration::from_millis(200)),
            )
            .mount(&server)
            .await;
        server
    }

    async fn info_requests(server: &MockServer) -> usize {
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == INFO_PATH)
            .count()
    }

    async fn concurrently(
        creds: &Arc<WindmillCredentials>,
        n: usize,
    ) -> Vec<object_store::Result<Arc<AwsCredential>>> {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let creds = creds.clone();
                tokio::spawn(async move { creds.get_credential().await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_refreshes_share_one_request() {
        let server = slow_info_server().await;
        let ttl = Duration::from_millis(800);
        let creds = Arc::new(WindmillCredentials::new(conn(&server), None, ttl, None));
        for got in concurrently(&creds, 32).await {
            assert_eq!(got.unwrap().key_id, "AK");
        }
        assert_eq!(info_requests(&server).await, 1);
        // fresh: no request
        concurrently(&creds, 32).await;
        assert_eq!(info_requests(&server).await, 1);
        tokio::time::sleep(ttl + Duration::from_millis(100)).await;
        for got in concurrently(&creds, 32).await {
            assert_eq!(got.unwrap().key_id, "AK");
        }
        assert_eq!(info_requests(&server).await, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_that_waited_share_a_refresh_even_with_a_zero_ttl() {
        let server = slow_info_server().await;
        let creds = Arc::new(WindmillCredentials::new(
            conn(&server),
            None,
            Duration::ZERO,
            None,
        ));
        for got in concurrently(&creds, 32).await {
            assert_eq!(got.unwrap().key_id, "AK");
        }
        assert_eq!(info_requests(&server).await, 1);
        // a later caller: due at once, fetched again
        creds.get_credential().await.unwrap();
        assert_eq!(info_requests(&server).await, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_a_failed_refresh() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(INFO_PATH))
            .respond_with(
                ResponseTemplate::new(500)
                    .set_body_string("down")
                    .set_delay(Duration::from_millis(200)),
            )
            .mount(&server)
            .await;
        let creds = Arc::new(WindmillCredentials::new(
            conn(&server),
            None,
            Duration::from_secs(300),
            None,
        ));
        for got in concurrently(&creds, 32).await {
            let err = got.unwrap_err().to_string();
            assert!(err.contains("500"), "{err}");
        }
        assert_eq!(info_requests(&server).await, 1);
        // a later caller tries again
        assert!(creds.get_credential().await.is_err());
        assert_eq!(info_requests(&server).await, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failed_refresh_keeps_credentials_until_they_expire() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(INFO_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer("AK1", Some(in_secs(4)))))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(INFO_PATH))
            .respond_with(ResponseTemplate::new(503).set_body_string("unavailable"))
            .with_priority(2)
            .mount(&server)
            .await;
        let start = Instant::now();
        let creds = WindmillCredentials::new(conn(&server), None, Duration::from_secs(300), None);
        assert_eq!(creds.get_credential().await.unwrap().key_id, "AK1");
        // due (2 s before the expiry) but still valid: the failed refresh keeps them
        tokio::time::sleep_until((start + Duration::from_millis(2500)).into()).await;
        assert_eq!(creds.get_credential().await.unwrap().key_id, "AK1");
        assert_eq!(info_requests(&server).await, 2);
        // not tried again at once
        assert_eq!(creds.get_credential().await.unwrap().key_id, "AK1");
        assert_eq!(info_requests(&server).await, 2);
        // expired: the error, without a secret
        tokio::time::sleep_until((start + Duration::from_millis(4500)).into()).await;
        let err = creds.get_credential().await.unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("503"), "{shown}");
        assert!(!shown.contains("secret-value") && !shown.contains("sts-token"));
        assert_eq!(info_requests(&server).await, 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failed_refresh_without_a_known_expiry_fails() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(INFO_PATH))
            .respond_with(ResponseTemplate::new(503).set_body_string("unavailable"))
            .mount(&server)
            .await;
        let ttl = Duration::from_millis(100);
        let creds = WindmillCredentials::new(
            conn(&server),
            None,
            ttl,
            Some(serde_json::from_value(answer("AK", None)).unwrap()),
        );
        assert_eq!(creds.get_credential().await.unwrap().key_id, "AK");
        tokio::time::sleep(ttl * 2).await;
        assert!(creds.get_credential().await.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_server_expiry_drives_the_refresh() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(INFO_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer("AK2", None)))
            .mount(&server)
            .await;
        let first: S3ResourceInfo =
            serde_json::from_value(answer("AK1", Some(in_secs(4)))).unwrap();
        let start = Instant::now();
        // the default TTL (5 minutes) would keep AK1: the expiry in 4 s does not
        let creds =
            WindmillCredentials::new(conn(&server), None, Duration::from_secs(300), Some(first));
        assert_eq!(creds.get_credential().await.unwrap().key_id, "AK1");
        assert_eq!(info_requests(&server).await, 0);
        tokio::time::sleep_until((start + Duration::from_millis(2500)).into()).await;
        assert_eq!(creds.get_credential().await.unwrap().key_id, "AK2");
        assert_eq!(info_requests(&server).await, 1);
    }

    #[tokio::test]
    async fn an_expiry_that_does_not_decode_keeps_the_ttl() {
        let server = MockServer::start().await;
        for odd in [
            json!("next tuesday"),
            json!({"at": 1}),
            json!(null),
            in_secs(-10),
        ] {
            let first: S3ResourceInfo = serde_json::from_value(answer("AK1", Some(odd))).unwrap();
            let creds = WindmillCredentials::new(
                conn(&server),
                None,
                Duration::from_secs(300),
                Some(first),
            );
            let slot = creds.slot.lock();
            let cached = slot.current.as_ref().unwrap();
            assert!(cached.expires_at.is_none());
            assert!(cached.refresh_at > Instant::now() + Duration::from_secs(290));
        }
    }

    #[test]
    fn schedule_margins() {
        let now = Instant::now();
        let wall = SystemTime::now();
        let ttl = Duration::from_secs(300);
        assert_eq!(schedule(None, ttl, now, wall), (now + ttl, None));
        // an hour left: refreshed a minute before
        let (refresh, expires) = schedule(Some(wall + Duration::from_secs(3600)), ttl, now, wall);
        assert_eq!(refresh, now + Duration::from_secs(3540));
        assert_eq!(expires, Some(now + Duration::from_secs(3600)));
        // 10 s left: at half-life
        let (refresh, _) = schedule(Some(wall + Duration::from_secs(10)), ttl, now, wall);
        assert_eq!(refresh, now + Duration::from_secs(5));
        // already past on this clock: the TTL
        assert_eq!(
            schedule(Some(wall - Duration::from_secs(1)), ttl, now, wall),
            (now + ttl, None)
        );
    }
}
