//! The [`S3Client`] calls that write an object: from a buffer, a stream or an
//! [`AsyncRead`], as one put or a multipart upload (see `upload.rs`), checksummed
//! on demand.

use bytes::{Bytes, BytesMut};
use futures::{Stream, TryStreamExt};
use object_store::GetOptions;
use tokio::io::{AsyncRead, AsyncReadExt};
use wmill_core::{BoxError, Error, Result};

use crate::checksum::{self, Hasher, WriteChecksum};
use crate::client::to_path;
use crate::error::location;
use crate::upload::{WriteError, write_stream};
use crate::{S3Client, S3Object, WriteOptions};

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

impl S3Client {
    /// Writes `content` to `obj` (or, when `obj` is `None`, to a new key
    /// `windmill_uploads/<uuid>[.ext]` of the default storage) and returns the written object.
    ///
    /// Bodies above the multipart threshold go as a multipart upload (see
    /// [`TransferOptions`](crate::TransferOptions)), sliced without copying.
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
    /// [`TransferOptions::read_chunk_size`](crate::TransferOptions::read_chunk_size) bytes at a time; see
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

    /// Reads `obj` back and compares its SHA-256 with what was written (a checksummed write
    /// whose checksum the store could not keep).
    async fn verify_written(&self, obj: &S3Object, written: String) -> Result<()> {
        tracing::debug!(object = %obj, "checksum not stored with the object: verifying by reading it back");
        let mut stream = self.stream_opts(obj, GetOptions::default()).await?;
        let mut hasher = Hasher::default();
        while let Some(chunk) = stream.try_next().await? {
            hasher.update(&chunk);
        }
        checksum::check_digest(obj, written, hasher.hex())
    }
}
