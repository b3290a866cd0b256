//! The [`S3Client`] calls that read an object's content: whole, as a stream, as an
//! [`AsyncRead`](tokio::io::AsyncRead), or a byte range.

use std::ops::Range;

use bytes::{Bytes, BytesMut};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::{GetOptions, GetRange};
use wmill_core::{Error, Result};

use crate::checksum::{self, Hasher};
use crate::error::map_store_error;
use crate::reader::S3Reader;
use crate::{S3Client, S3Object};

/// A stream of an object's bytes, chunk by chunk as they arrive (never buffered whole).
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// The largest first allocation of [`S3Client::load_s3_file`], whatever size is announced.
const MAX_PREALLOCATION: u64 = 64 << 20;

/// The options of a get of bytes `range`.
fn bounded(range: Range<u64>) -> GetOptions {
    GetOptions {
        range: Some(GetRange::Bounded(range)),
        ..GetOptions::default()
    }
}

impl S3Client {
    /// The whole content of `obj`.
    ///
    /// # Errors
    /// [`Error::NotFound`] (kind object) when the key does not exist,
    /// [`Error::Unauthorized`] when the storage refuses the credentials, [`Error::Storage`]
    /// (with the store's error as source) for anything else.
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.storage(), key = obj.key()))]
    pub async fn load_s3_file(&self, obj: &S3Object) -> Result<Bytes> {
        let got = self.get(obj, GetOptions::default(), "get").await?;
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
            checksum::check_digest(obj, expected, hasher.hex())?;
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
        self.stream_opts(obj, bounded(range)).await
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

    pub(crate) async fn stream_opts(&self, obj: &S3Object, opts: GetOptions) -> Result<ByteStream> {
        let got = self.get(obj, opts, "get").await?;
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
                            checksum::check_digest(&target, expected.clone(), hasher.hex())?;
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
        let got = self.get(obj, bounded(range), "get range").await?;
        let mut meter = self.meter("get", obj, Some(got.range.end - got.range.start));
        let bytes = got
            .bytes()
            .await
            .map_err(|e| self.fail(e, "get range", obj))?;
        meter.add(bytes.len());
        meter.finish();
        Ok(bytes)
    }
}
