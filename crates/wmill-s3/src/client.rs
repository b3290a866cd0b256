//! [`S3Client`]: the client itself, its construction, and what every call shares (resolving
//! the store of an object, mapping store failures, metering progress). Its calls are in
//! `load.rs`, `write.rs`, `listing.rs` and `delete_move.rs`.

use std::fmt;
use std::sync::Arc;

use object_store::path::Path;
use object_store::{GetOptions, GetResult, ObjectStore};
use wmill_core::{Error, Result};

use crate::S3Object;
use crate::TransferOptions;
use crate::TransferProgress;
use crate::error::{location, map_store_error};
use crate::progress::{Meter, ProgressFn};
use crate::resolver::{StaticResolver, StorageResolver};

/// Workspace files (the Python client's `load_s3_file`, `write_s3_file`, ...), on any
/// [`ObjectStore`] chosen per storage by a [`StorageResolver`].
///
/// Cheap to clone (an `Arc` and a few options); `Send + Sync`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use std::sync::Arc;
/// use futures::TryStreamExt;
/// use wmill_s3::{S3Client, S3Object, WriteOptions};
/// use wmill_s3::object_store::memory::InMemory;
///
/// let client = S3Client::from_store(Arc::new(InMemory::new()));
/// let obj = S3Object::new("reports/day.csv")?;
/// client.write_s3_file(Some(&obj), "a,b\n1,2\n", &WriteOptions::new().content_type("text/csv")).await?;
///
/// assert_eq!(client.load_s3_file(&obj).await?, "a,b\n1,2\n");
/// assert_eq!(client.load_s3_file_range(&obj, 0..3).await?, "a,b");
/// let chunks: Vec<_> = client.load_s3_file_stream(&obj).await?.try_collect().await?;
/// assert_eq!(client.load_s3_file_metadata(&obj).await?.size, 8);
///
/// let listed: Vec<_> = client.list_s3_objects(None, Some("reports")).await?.try_collect().await?;
/// assert_eq!(listed[0].object, obj);
///
/// client.delete_s3_object(&obj).await?;
/// assert!(client.load_s3_file(&obj).await.unwrap_err().is_not_found());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct S3Client {
    pub(crate) resolver: Arc<dyn StorageResolver>,
    pub(crate) transfer: TransferOptions,
    pub(crate) progress: Option<ProgressFn>,
    #[cfg(feature = "windmill")]
    pub(crate) windmill: Option<crate::windmill::WindmillConnection>,
}

impl fmt::Debug for S3Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("S3Client");
        d.field("resolver", &self.resolver)
            .field("transfer", &self.transfer)
            .field("progress", &self.progress.is_some());
        #[cfg(feature = "windmill")]
        d.field("windmill", &self.windmill);
        d.finish()
    }
}

/// The object_store path of `obj`'s key ([`Error::InvalidInput`] when object_store refuses it).
pub(crate) fn to_path(obj: &S3Object) -> Result<Path> {
    Path::parse(obj.key()).map_err(|e| Error::InvalidInput {
        what: "S3 object key",
        reason: format!("{obj}: {e}"),
    })
}

impl S3Client {
    /// A client resolving storages with `resolver`.
    pub fn new(resolver: impl StorageResolver) -> Self {
        S3Client {
            resolver: Arc::new(resolver),
            transfer: TransferOptions::default(),
            progress: None,
            #[cfg(feature = "windmill")]
            windmill: None,
        }
    }

    /// A client whose default storage is `store` (and no named storage).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let client = wmill_s3::S3Client::from_store(Arc::new(wmill_s3::object_store::memory::InMemory::new()));
    /// ```
    pub fn from_store(store: Arc<dyn ObjectStore>) -> Self {
        S3Client::new(StaticResolver::new(store))
    }

    /// Replaces the transfer options (part size, concurrency, threshold).
    pub fn with_transfer_options(mut self, transfer: TransferOptions) -> Self {
        self.transfer = transfer;
        self
    }

    /// A clone of this client that reports the progress of its loads, streams and writes to
    /// `callback`: bytes moved so far, and the total when known (reads; writes of a buffer).
    /// Each transfer also logs a `tracing` debug event (target `wmill_s3::progress`) every
    /// [`PROGRESS_EVENT_EVERY`](crate::PROGRESS_EVENT_EVERY) bytes. The callback runs on the
    /// transfer's task, between chunks: keep it short (update a progress bar, send to a
    /// channel).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// # use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use wmill_s3::{S3Client, S3Object, TransferProgress};
    /// # let client = S3Client::from_store(Arc::new(wmill_s3::object_store::memory::InMemory::new()));
    /// let done = Arc::new(AtomicU64::new(0));
    /// let seen = done.clone();
    /// let reporting = client.with_progress(move |p: &TransferProgress| {
    ///     seen.store(p.bytes_done, Ordering::Relaxed);
    /// });
    /// let obj = S3Object::new("big.bin")?;
    /// reporting.write_s3_file(Some(&obj), vec![0u8; 1000], &Default::default()).await?;
    /// assert_eq!(done.load(Ordering::Relaxed), 1000);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_progress(
        &self,
        callback: impl Fn(&TransferProgress) + Send + Sync + 'static,
    ) -> Self {
        let mut client = self.clone();
        client.progress = Some(Arc::new(callback));
        client
    }

    pub(crate) fn meter(
        &self,
        operation: &'static str,
        obj: &S3Object,
        total: Option<u64>,
    ) -> Meter {
        Meter::new(
            self.progress.clone(),
            operation,
            location(obj.storage(), obj.key()),
            total,
        )
    }

    /// The workspace of the client's Windmill connection, if any: the `workspace` field of its
    /// spans.
    pub(crate) fn span_workspace(&self) -> Option<&str> {
        #[cfg(feature = "windmill")]
        return self.windmill.as_ref().map(|c| c.workspace());
        #[cfg(not(feature = "windmill"))]
        return None;
    }

    /// The transfer options in use.
    pub fn transfer_options(&self) -> &TransferOptions {
        &self.transfer
    }

    /// The resolver in use.
    pub fn resolver(&self) -> &Arc<dyn StorageResolver> {
        &self.resolver
    }

    /// The escape hatch: the [`ObjectStore`] of `storage` (`None`: the default storage), for
    /// anything this client does not wrap (conditional puts, copies, object_store's own
    /// helpers, arrow/parquet readers).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// # use std::sync::Arc;
    /// use wmill_s3::object_store::ObjectStoreExt;
    /// let client = wmill_s3::S3Client::from_store(Arc::new(wmill_s3::object_store::memory::InMemory::new()));
    /// let store = client.object_store(None).await?;
    /// store.put(&"x".into(), "raw".into()).await.map_err(|e| wmill_core::Error::Storage { operation: "put".into(), source: e.into() })?;
    /// # Ok(()) }
    /// ```
    pub async fn object_store(&self, storage: Option<&str>) -> Result<Arc<dyn ObjectStore>> {
        let storage = storage.filter(|s| !s.is_empty());
        if let Some(name) = storage {
            crate::object::validate_storage(name)?;
        }
        let store = self.resolver.resolve(storage).await?;
        tracing::debug!(
            storage = storage.unwrap_or("_default_"),
            resolver = self.resolver.describe(),
            store = %store,
            "storage resolved"
        );
        Ok(store)
    }

    pub(crate) fn fail(&self, err: object_store::Error, operation: &str, obj: &S3Object) -> Error {
        let stale = credentials_rejected(&err);
        let err = map_store_error(err, operation, obj.storage(), obj.key());
        if stale || matches!(err, Error::Unauthorized { .. }) {
            self.resolver.invalidate(obj.storage());
        }
        err
    }

    /// `obj` from its store with `opts` (the body not read yet); failures are mapped as
    /// [`S3Client::fail`] maps them, under `operation`.
    pub(crate) async fn get(
        &self,
        obj: &S3Object,
        opts: GetOptions,
        operation: &str,
    ) -> Result<GetResult> {
        let path = to_path(obj)?;
        let store = self.object_store(obj.storage()).await?;
        store
            .get_opts(&path, opts)
            .await
            .map_err(|e| self.fail(e, operation, obj))
    }
}

/// Whether a store error says the credentials themselves were refused although the status is
/// not 401/403: S3 answers an expired session token with HTTP 400 `ExpiredToken` (and a few
/// relatives). The cached store is then dropped, so the next call fetches fresh credentials.
fn credentials_rejected(err: &object_store::Error) -> bool {
    const CODES: [&str; 4] = [
        "ExpiredToken",
        "TokenRefreshRequired",
        "InvalidAccessKeyId",
        "InvalidToken",
    ];
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        text.push_str(&e.to_string());
        source = e.source();
    }
    CODES.iter().any(|code| text.contains(code))
}
