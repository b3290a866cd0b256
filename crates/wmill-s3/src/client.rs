//! [`S3Client`]: load, stream, write, delete, list and inspect workspace files.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{Attribute, Attributes, GetOptions, GetRange, ObjectMeta, ObjectStore};
use tokio::io::{AsyncRead, AsyncReadExt};
use wmill_core::{BoxError, Error, ItemKind, Result};

use crate::S3Object;
use crate::TransferProgress;
use crate::checksum::{self, Hasher, WriteChecksum};
use crate::error::{location, map_store_error};
use crate::progress::{Meter, ProgressFn};
use crate::reader::S3Reader;
use crate::resolver::{StaticResolver, StorageResolver};
use crate::upload::{WriteError, write_stream};

/// A stream of an object's bytes, chunk by chunk as they arrive (never buffered whole).
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// How large writes are split and how many parts travel at once.
///
/// Memory of a streamed write stays below `part_size * (max_concurrency + 1)`; a body that ends
/// within `multipart_threshold` bytes is sent as one `put` (buffered, so keep the threshold
/// small). S3 needs parts of at least 5 MiB (except the last one).
///
/// ```
/// let opts = wmill_s3::TransferOptions::default().with_part_size(16 << 20).with_max_concurrency(4);
/// assert_eq!(opts.part_size, 16 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferOptions {
    /// Size of each multipart part (default 8 MiB).
    pub part_size: usize,
    /// Parts uploaded concurrently (default 2: with 8 MiB parts a write buffers at most 24 MiB).
    pub max_concurrency: usize,
    /// Bodies up to this size are one `put` (default: `part_size`).
    pub multipart_threshold: usize,
    /// Chunk size when reading from an [`AsyncRead`] (default 1 MiB).
    pub read_chunk_size: usize,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            part_size: 8 << 20,
            max_concurrency: 2,
            multipart_threshold: 8 << 20,
            read_chunk_size: 1 << 20,
        }
    }
}

impl TransferOptions {
    /// Sets the part size (and the single-put threshold to the same value).
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes.max(1);
        self.multipart_threshold = self.part_size;
        self
    }

    /// Sets how many parts may be uploaded at once (at least 1).
    pub fn with_max_concurrency(mut self, parts: usize) -> Self {
        self.max_concurrency = parts.max(1);
        self
    }

    /// Sets the largest body sent as a single `put`.
    pub fn with_multipart_threshold(mut self, bytes: usize) -> Self {
        self.multipart_threshold = bytes;
        self
    }

    /// Sets the read size used by [`S3Client::write_s3_file_reader`].
    pub fn with_read_chunk_size(mut self, bytes: usize) -> Self {
        self.read_chunk_size = bytes.max(1);
        self
    }
}

/// Options of a write: content type and disposition (stored with the object and sent back on
/// download), and the extension of a generated key.
///
/// ```
/// let opts = wmill_s3::WriteOptions::new().content_type("text/csv").content_disposition("attachment");
/// assert_eq!(opts.content_type.as_deref(), Some("text/csv"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteOptions {
    /// `Content-Type` of the object.
    pub content_type: Option<String>,
    /// `Content-Disposition` of the object.
    pub content_disposition: Option<String>,
    /// Extension (without the dot) of the key generated when no object is given.
    pub file_extension: Option<String>,
    /// Whether to checksum the write (SHA-256): see [`WriteOptions::checksum`].
    pub checksum: bool,
}

impl WriteOptions {
    /// No content type, no disposition.
    pub fn new() -> Self {
        WriteOptions::default()
    }
    /// Sets the content type.
    pub fn content_type(mut self, value: impl Into<String>) -> Self {
        self.content_type = Some(value.into());
        self
    }
    /// Sets the content disposition.
    pub fn content_disposition(mut self, value: impl Into<String>) -> Self {
        self.content_disposition = Some(value.into());
        self
    }
    /// Sets the extension of a generated key.
    pub fn file_extension(mut self, value: impl Into<String>) -> Self {
        self.file_extension = Some(value.into());
        self
    }

    /// Checksums the write with SHA-256, computed as the bytes go out (no SDK has this).
    ///
    /// The checksum is stored with the object as user metadata
    /// ([`CHECKSUM_METADATA`](crate::CHECKSUM_METADATA); on S3 the header
    /// `x-amz-meta-wmill-sha256`), and every later whole read ([`S3Client::load_s3_file`],
    /// [`S3Client::load_s3_file_stream`], the readers) verifies the bytes against it: a
    /// mismatch is [`Error::Storage`] whose source is a
    /// [`ChecksumMismatch`](crate::ChecksumMismatch). Ranged reads are not verified.
    ///
    /// Where it cannot be stored, the write is verified instead by reading the object back
    /// once (a second transfer): a stream larger than the multipart threshold (its checksum
    /// is only known at the end, after the upload was created), or a store that keeps no user
    /// metadata (a local directory, Windmill's file helpers).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// # use std::sync::Arc;
    /// use wmill_s3::{S3Client, S3Object, WriteOptions};
    /// # let client = S3Client::from_store(Arc::new(wmill_s3::object_store::memory::InMemory::new()));
    /// let obj = S3Object::new("reports/q3.csv")?;
    /// client.write_s3_file(Some(&obj), "a,b\n", &WriteOptions::new().checksum(true)).await?;
    /// assert_eq!(client.load_s3_file(&obj).await?, "a,b\n"); // verified
    /// # Ok(()) }
    /// ```
    pub fn checksum(mut self, enabled: bool) -> Self {
        self.checksum = enabled;
        self
    }

    fn attributes(&self) -> Attributes {
        let mut attrs = Attributes::new();
        if let Some(ct) = &self.content_type {
            attrs.insert(Attribute::ContentType, ct.clone().into());
        }
        if let Some(cd) = &self.content_disposition {
            attrs.insert(Attribute::ContentDisposition, cd.clone().into());
        }
        attrs
    }
}

/// What the storage knows about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct S3FileMeta {
    /// The file.
    pub object: S3Object,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time.
    pub last_modified: SystemTime,
    /// The store's entity tag, if any.
    pub e_tag: Option<String>,
    /// The version, if the store versions objects.
    pub version: Option<String>,
}

impl S3FileMeta {
    fn from_meta(meta: ObjectMeta, storage: Option<&str>) -> Result<Self> {
        let object = S3Object::new(meta.location.as_ref())?.with_storage_opt(storage);
        Ok(S3FileMeta {
            object,
            size: meta.size,
            last_modified: SystemTime::from(meta.last_modified),
            e_tag: meta.e_tag,
            version: meta.version,
        })
    }
}

/// One level of a listing: the sub-folders (prefixes ending with `/`) and the files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct S3Listing {
    /// Sub-folders, as key prefixes ending with `/`.
    pub folders: Vec<String>,
    /// Files directly at this level.
    pub files: Vec<S3FileMeta>,
}

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
    resolver: Arc<dyn StorageResolver>,
    transfer: TransferOptions,
    progress: Option<ProgressFn>,
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

fn to_path(obj: &S3Object) -> Result<Path> {
    Path::parse(obj.key()).map_err(|e| Error::InvalidInput {
        what: "S3 object key",
        reason: format!("{obj}: {e}"),
    })
}

fn generated_key(opts: &WriteOptions) -> String {
    let id = uuid::Uuid::new_v4();
    match opts
        .file_extension
        .as_deref()
        .map(|e| e.trim_start_matches('.'))
    {
        Some(ext) if !ext.is_empty() => format!("windmill_uploads/{id}.{ext}"),
        _ => format!("windmill_uploads/{id}"),
    }
}

/// The largest first allocation of [`S3Client::load_s3_file`], whatever size is announced.
const MAX_PREALLOCATION: u64 = 64 << 20;

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

    fn meter(&self, operation: &'static str, obj: &S3Object, total: Option<u64>) -> Meter {
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

    fn fail(&self, err: object_store::Error, operation: &str, obj: &S3Object) -> Error {
        let stale = credentials_rejected(&err);
        let err = map_store_error(err, operation, obj.storage(), obj.key());
        if stale || matches!(err, Error::Unauthorized { .. }) {
            self.resolver.invalidate(obj.storage());
        }
        err
    }

    /// The whole content of `obj`.
    ///
    /// # Errors
    /// [`Error::NotFound`] (kind object) when the key does not exist,
    /// [`Error::Unauthorized`] when the storage refuses the credentials, [`Error::Storage`]
    /// (with the store's error as source) for anything else.
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.storage(), key = obj.key()))]
    pub async fn load_s3_file(&self, obj: &S3Object) -> Result<Bytes> {
        let path = to_path(obj)?;
        let store = self.object_store(obj.storage()).await?;
        let got = store
            .get_opts(&path, GetOptions::default())
            .await
            .map_err(|e| self.fail(e, "get", obj))?;
        // The announced size only sizes the first allocation, up to a cap: a store (or a
        // server) announcing 10^15 bytes must not abort the process. The buffer grows as
        // bytes arrive.
        let announced = got.range.end.saturating_sub(got.range.start);
        let capacity = usize::try_from(announced.min(MAX_PREALLOCATION)).unwrap_or(0);
        let mut meter = self.meter("get", obj, Some(announced));
        let mut verify = checksum::stored(&got.attributes).map(|hex| (hex, Hasher::default()));
        let mut stream = got.into_stream();
        let mut first: Option<Bytes> = None;
        let mut buf = BytesMut::new();
        while let Some(chunk) = stream
            .try_next()
            .await
            .map_err(|e| self.fail(e, "get", obj))?
        {
            meter.add(chunk.len());
            if let Some((_, hasher)) = verify.as_mut() {
                hasher.update(&chunk);
            }
            match first.take() {
                // A one-chunk object is returned as it came, without a copy.
                None if buf.is_empty() => first = Some(chunk),
                head => {
                    if buf.is_empty() {
                        buf.reserve(capacity);
                    }
                    if let Some(head) = head {
                        buf.extend_from_slice(&head);
                    }
                    buf.extend_from_slice(&chunk);
                }
            }
        }
        if let Some((expected, hasher)) = verify {
            check_digest(obj, expected, hasher.hex())?;
        }
        meter.finish();
        Ok(match first {
            Some(only) => only,
            None => buf.freeze(),
        })
    }

    /// The content of `obj` as a stream of chunks, with memory bounded by one chunk (the
    /// Python client's `load_s3_file_reader`).
    ///
    /// The request is sent (and "not found" reported) before this returns.
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.storage(), key = obj.key()))]
    pub async fn load_s3_file_stream(&self, obj: &S3Object) -> Result<ByteStream> {
        self.stream_opts(obj, GetOptions::default()).await
    }

    /// Bytes `range` of `obj` as a stream.
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.storage(), key = obj.key()))]
    pub async fn load_s3_file_range_stream(
        &self,
        obj: &S3Object,
        range: Range<u64>,
    ) -> Result<ByteStream> {
        self.check_range(obj, &range)?;
        self.stream_opts(
            obj,
            GetOptions {
                range: Some(GetRange::Bounded(range)),
                ..GetOptions::default()
            },
        )
        .await
    }

    fn check_range(&self, obj: &S3Object, range: &Range<u64>) -> Result<()> {
        if range.start >= range.end {
            return Err(Error::invalid(
                "byte range",
                format!("{}..{} of {obj} is empty", range.start, range.end),
            ));
        }
        Ok(())
    }

    async fn stream_opts(&self, obj: &S3Object, opts: GetOptions) -> Result<ByteStream> {
        let path = to_path(obj)?;
        let store = self.object_store(obj.storage()).await?;
        let got = store
            .get_opts(&path, opts)
            .await
            .map_err(|e| self.fail(e, "get", obj))?;
        let storage = obj.storage().map(str::to_owned);
        let key = obj.key().to_owned();
        let total = got.range.end.saturating_sub(got.range.start);
        let whole = got.range.start == 0 && got.range.end == got.meta.size;
        let verify = checksum::stored(&got.attributes).filter(|_| whole);
        let stream = got
            .into_stream()
            .map_err(move |e| map_store_error(e, "get", storage.as_deref(), &key));
        let stream = match verify {
            None => stream.boxed(),
            Some(expected) => {
                let mut hasher = Hasher::default();
                let mut seen = 0u64;
                let target = obj.clone();
                stream
                    .map(move |item| {
                        let chunk = item?;
                        hasher.update(&chunk);
                        seen += chunk.len() as u64;
                        if seen >= total {
                            check_digest(&target, expected.clone(), hasher.hex())?;
                        }
                        Ok(chunk)
                    })
                    .boxed()
            }
        };
        if self.progress.is_none() && total < crate::PROGRESS_EVENT_EVERY {
            return Ok(stream);
        }
        let mut meter = self.meter("get", obj, Some(total));
        Ok(stream
            .inspect_ok(move |chunk| {
                meter.add(chunk.len());
                if meter.done() >= total {
                    meter.finish();
                }
            })
            .boxed())
    }

    /// `obj` as a [`tokio::io::AsyncRead`].
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.storage(), key = obj.key()))]
    pub async fn load_s3_file_reader(&self, obj: &S3Object) -> Result<S3Reader> {
        Ok(S3Reader::new(self.load_s3_file_stream(obj).await?))
    }

    /// Bytes `range` (end exclusive) of `obj`; a range past the end is cut at the end.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty range; the errors of [`S3Client::load_s3_file`].
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.storage(), key = obj.key()))]
    pub async fn load_s3_file_range(&self, obj: &S3Object, range: Range<u64>) -> Result<Bytes> {
        self.check_range(obj, &range)?;
        let path = to_path(obj)?;
        let store = self.object_store(obj.storage()).await?;
        let got = store
            .get_opts(
                &path,
                GetOptions {
                    range: Some(GetRange::Bounded(range)),
                    ..GetOptions::default()
                },
            )
            .await
            .map_err(|e| self.fail(e, "get range", obj))?;
        let mut meter = self.meter("get", obj, Some(got.range.end - got.range.start));
        let bytes = got
            .bytes()
            .await
            .map_err(|e| self.fail(e, "get range", obj))?;
        meter.add(bytes.len());
        meter.finish();
        Ok(bytes)
    }

    /// Size, modification time and entity tag of `obj` (a `HEAD` request).
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.storage(), key = obj.key()))]
    pub async fn load_s3_file_metadata(&self, obj: &S3Object) -> Result<S3FileMeta> {
        let path = to_path(obj)?;
        let store = self.object_store(obj.storage()).await?;
        let meta = store
            .get_opts(
                &path,
                GetOptions {
                    head: true,
                    ..GetOptions::default()
                },
            )
            .await
            .map_err(|e| self.fail(e, "head", obj))?
            .meta;
        let mut out = S3FileMeta::from_meta(meta, obj.storage())?;
        out.object = obj.clone();
        Ok(out)
    }

    /// Whether `obj` exists. A missing storage (or S3 resource) is an error, not `false`.
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.storage(), key = obj.key()))]
    pub async fn s3_object_exists(&self, obj: &S3Object) -> Result<bool> {
        match self.load_s3_file_metadata(obj).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound {
                kind: ItemKind::Object,
                ..
            }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes `obj`. Deleting a missing key succeeds on S3 (it is idempotent there).
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.storage(), key = obj.key()))]
    pub async fn delete_s3_object(&self, obj: &S3Object) -> Result<()> {
        let path = to_path(obj)?;
        let store = self.object_store(obj.storage()).await?;
        let mut results = store.delete_stream(futures::stream::iter([Ok(path)]).boxed());
        while let Some(res) = results.next().await {
            res.map_err(|e| self.fail(e, "delete", obj))?;
        }
        Ok(())
    }

    /// Moves (renames) `from` to `to`, replacing what `to` held. Within one storage this is
    /// the store's own rename (on S3 a server-side copy, then a delete of the source; through
    /// Windmill's helpers, `job_helpers/move_s3_file`). Across storages it is a streamed copy
    /// (bounded memory; the content type is not carried over), then the delete. Either way the
    /// source is removed only after the destination is complete. Moving an object onto itself
    /// does nothing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// # use std::sync::Arc;
    /// use wmill_s3::{S3Client, S3Object, WriteOptions};
    /// let client = S3Client::from_store(Arc::new(wmill_s3::object_store::memory::InMemory::new()));
    /// let draft = S3Object::new("reports/draft.csv")?;
    /// let final_ = S3Object::new("reports/2026-11.csv")?;
    /// client.write_s3_file(Some(&draft), "a,b\n", &WriteOptions::new()).await?;
    /// client.move_s3_object(&draft, &final_).await?;
    /// assert!(!client.s3_object_exists(&draft).await?);
    /// assert_eq!(client.load_s3_file(&final_).await?, "a,b\n");
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = from.storage(), key = from.key(), to_storage = to.storage(), to_key = to.key()))]
    pub async fn move_s3_object(&self, from: &S3Object, to: &S3Object) -> Result<()> {
        let (src, dst) = (to_path(from)?, to_path(to)?);
        from.validate()?;
        to.validate()?;
        if from.storage() == to.storage() {
            if src == dst {
                // A copy onto itself then a delete would lose the object.
                return Ok(());
            }
            let store = self.object_store(from.storage()).await?;
            return store
                .rename_opts(&src, &dst, Default::default())
                .await
                .map_err(|e| self.fail(e, "move", from));
        }
        let content = self.load_s3_file_stream(from).await?;
        self.write_s3_file_stream(Some(to), content, &WriteOptions::new())
            .await?;
        self.delete_s3_object(from).await
    }

    /// Every file of `storage` whose key starts with the folder `prefix` (by path segment:
    /// `a/b` matches `a/b/c` but not `a/bc`), recursively, as a stream (pages fetched on demand).
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = storage, prefix = prefix))]
    pub async fn list_s3_objects(
        &self,
        storage: Option<&str>,
        prefix: Option<&str>,
    ) -> Result<BoxStream<'static, Result<S3FileMeta>>> {
        let prefix = self.prefix_path(prefix)?;
        let store = self.object_store(storage).await?;
        let storage = storage.map(str::to_owned);
        let prefix_text = prefix.as_ref().map(|p| p.to_string()).unwrap_or_default();
        Ok(store
            .list(prefix.as_ref())
            .map(move |item| match item {
                Ok(meta) => S3FileMeta::from_meta(meta, storage.as_deref()),
                Err(e) => Err(map_store_error(e, "list", storage.as_deref(), &prefix_text)),
            })
            .boxed())
    }

    /// One level of `storage` under the folder `prefix`: sub-folders and files.
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = storage, prefix = prefix))]
    pub async fn list_s3_folder(
        &self,
        storage: Option<&str>,
        prefix: Option<&str>,
    ) -> Result<S3Listing> {
        let prefix = self.prefix_path(prefix)?;
        let store = self.object_store(storage).await?;
        let prefix_text = prefix.as_ref().map(|p| p.to_string()).unwrap_or_default();
        let listed = store
            .list_with_delimiter(prefix.as_ref())
            .await
            .map_err(|e| map_store_error(e, "list", storage, &prefix_text))?;
        Ok(S3Listing {
            folders: listed
                .common_prefixes
                .into_iter()
                .map(|p| format!("{p}/"))
                .collect(),
            files: listed
                .objects
                .into_iter()
                .map(|m| S3FileMeta::from_meta(m, storage))
                .collect::<Result<_>>()?,
        })
    }

    fn prefix_path(&self, prefix: Option<&str>) -> Result<Option<Path>> {
        match prefix.map(|p| p.trim_end_matches('/')) {
            None | Some("") => Ok(None),
            Some(p) => Path::parse(p).map(Some).map_err(|e| Error::InvalidInput {
                what: "S3 prefix",
                reason: format!("{p:?}: {e}"),
            }),
        }
    }

    /// Writes `content` to `obj` (or, when `obj` is `None`, to a new key
    /// `windmill_uploads/<uuid>[.ext]` of the default storage) and returns the written object.
    ///
    /// Bodies above the multipart threshold go as a multipart upload (see
    /// [`TransferOptions`]), sliced without copying.
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.and_then(S3Object::storage), key = obj.map(S3Object::key)))]
    pub async fn write_s3_file(
        &self,
        obj: Option<&S3Object>,
        content: impl Into<Bytes>,
        opts: &WriteOptions,
    ) -> Result<S3Object> {
        let content: Bytes = content.into();
        let total = content.len() as u64;
        let precomputed = opts.checksum.then(|| checksum::sha256_hex(&content));
        let body = futures::stream::iter([Ok::<_, BoxError>(content)]);
        self.write_impl(obj, body, opts, Some(total), precomputed)
            .await
    }

    /// Writes a stream of chunks to `obj` (a new key when `None`), with bounded memory: a single
    /// put when the stream ends within the threshold, a multipart upload otherwise. When the
    /// stream yields an error, or the store fails, the upload is aborted (no orphan parts stay)
    /// and the error is returned ([`Error::Storage`] with the stream's error as source).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// # use std::sync::Arc;
    /// use bytes::Bytes;
    /// use wmill_s3::{S3Client, S3Object, WriteOptions};
    /// # let client = S3Client::from_store(Arc::new(wmill_s3::object_store::memory::InMemory::new()));
    /// let chunks = futures::stream::iter((0..3).map(|i| Ok::<_, std::io::Error>(Bytes::from(format!("{i};")))));
    /// let obj = client.write_s3_file_stream(None, chunks, &WriteOptions::new().file_extension("txt")).await?;
    /// assert!(obj.key().starts_with("windmill_uploads/") && obj.key().ends_with(".txt"));
    /// assert_eq!(client.load_s3_file(&obj).await?, "0;1;2;");
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.and_then(S3Object::storage), key = obj.map(S3Object::key)))]
    pub async fn write_s3_file_stream<S, E>(
        &self,
        obj: Option<&S3Object>,
        content: S,
        opts: &WriteOptions,
    ) -> Result<S3Object>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send,
        E: Into<BoxError>,
    {
        self.write_impl(obj, content.map_err(Into::into), opts, None, None)
            .await
    }

    /// Writes everything `reader` yields to `obj` (a new key when `None`), reading
    /// [`TransferOptions::read_chunk_size`] bytes at a time; see
    /// [`S3Client::write_s3_file_stream`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// # use std::sync::Arc;
    /// # let client = wmill_s3::S3Client::from_store(Arc::new(wmill_s3::object_store::memory::InMemory::new()));
    /// let obj = wmill_s3::S3Object::new("from_reader.bin")?;
    /// client.write_s3_file_reader(Some(&obj), &b"some bytes"[..], &Default::default()).await?;
    /// assert_eq!(client.load_s3_file(&obj).await?, "some bytes");
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.and_then(S3Object::storage), key = obj.map(S3Object::key)))]
    pub async fn write_s3_file_reader<R>(
        &self,
        obj: Option<&S3Object>,
        reader: R,
        opts: &WriteOptions,
    ) -> Result<S3Object>
    where
        R: AsyncRead + Send + Unpin,
    {
        let chunk = self.transfer.read_chunk_size.max(1);
        let body = futures::stream::try_unfold(reader, move |mut reader| async move {
            let mut buf = BytesMut::with_capacity(chunk);
            while buf.len() < chunk {
                let n = reader.read_buf(&mut buf).await?;
                if n == 0 {
                    break;
                }
            }
            if buf.is_empty() {
                Ok::<_, BoxError>(None)
            } else {
                Ok(Some((buf.freeze(), reader)))
            }
        });
        self.write_impl(obj, body, opts, None, None).await
    }

    async fn write_impl<S>(
        &self,
        obj: Option<&S3Object>,
        body: S,
        opts: &WriteOptions,
        total: Option<u64>,
        precomputed: Option<String>,
    ) -> Result<S3Object>
    where
        S: Stream<Item = std::result::Result<Bytes, BoxError>> + Send,
    {
        let target = match obj {
            Some(o) => o.clone(),
            None => S3Object::new(generated_key(opts))?,
        };
        let path = to_path(&target)?;
        let store = self.object_store(target.storage()).await?;
        let meter = std::sync::Mutex::new(self.meter("put", &target, total));
        let body = body.inspect_ok(|chunk| {
            if let Ok(mut m) = meter.lock() {
                m.add(chunk.len());
            }
        });
        let mut sum = opts.checksum.then(|| WriteChecksum {
            precomputed,
            ..WriteChecksum::default()
        });
        match write_stream(
            store.as_ref(),
            &path,
            body,
            opts.attributes(),
            &self.transfer,
            sum.as_mut(),
        )
        .await
        {
            Ok(_) => {
                if let Ok(mut m) = meter.lock() {
                    m.finish();
                }
                if let Some(sum) = sum
                    && !sum.stored
                {
                    self.verify_written(&target, sum.hasher.hex()).await?;
                }
                Ok(S3Object::new(target.key())?.with_storage_opt(target.storage()))
            }
            Err(WriteError::Store(e)) => Err(self.fail(e, "put", &target)),
            Err(WriteError::Body(source)) => Err(Error::Storage {
                operation: format!(
                    "put {} (reading the body failed; the upload was aborted)",
                    location(target.storage(), target.key())
                ),
                source,
            }),
        }
    }
}

/// [`Error::Storage`] with a [`ChecksumMismatch`](crate::ChecksumMismatch) unless the digests agree.
fn check_digest(obj: &S3Object, expected: String, actual: String) -> Result<()> {
    if expected == actual {
        return Ok(());
    }
    let object = location(obj.storage(), obj.key());
    Err(Error::Storage {
        operation: format!("verify the SHA-256 of {object}"),
        source: Box::new(crate::ChecksumMismatch {
            object,
            expected,
            actual,
        }),
    })
}

impl S3Client {
    /// Reads `obj` back and compares its SHA-256 with what was written (a checksummed write
    /// whose checksum the store could not keep).
    async fn verify_written(&self, obj: &S3Object, written: String) -> Result<()> {
        tracing::debug!(object = %obj, "checksum not stored with the object: verifying by reading it back");
        let mut stream = self.stream_opts(obj, GetOptions::default()).await?;
        let mut hasher = Hasher::default();
        while let Some(chunk) = stream.try_next().await? {
            hasher.update(&chunk);
        }
        check_digest(obj, written, hasher.hex())
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
