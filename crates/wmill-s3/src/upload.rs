//! Streaming writes: one `put` below the threshold, otherwise a multipart upload with bounded
//! buffers, aborted on any error (and when the write future is dropped).
//!
//! Memory: one part being filled plus at most `concurrency` parts in flight, so
//! `part_size * (concurrency + 1)` (parts are built from the body's own `Bytes`, never copied).

use bytes::Bytes;
use futures::{Stream, StreamExt};
use object_store::path::Path;
use object_store::{
    Attributes, MultipartUpload, ObjectStore, PutMultipartOptions, PutOptions, PutPayload,
    PutPayloadMut, PutResult,
};
use tokio::task::JoinSet;
use wmill_core::BoxError;

use crate::TransferOptions;
use crate::checksum::{WriteChecksum, with_checksum};

/// Why a write failed: the store refused, or the caller's body failed.
#[derive(Debug)]
pub(crate) enum WriteError {
    Store(object_store::Error),
    Body(BoxError),
}

impl From<object_store::Error> for WriteError {
    fn from(e: object_store::Error) -> Self {
        WriteError::Store(e)
    }
}

/// A running multipart upload: fixed-size parts (the last one smaller), at most `concurrency`
/// in flight. Like object_store's `WriteMultipart`, but an abort first waits for the parts in
/// flight to end (cancelling an HTTP request does not stop the server from storing the part,
/// so parts finishing after the abort would stay orphaned), and dropping it before
/// `finish` aborts the upload in the background.
struct PartWriter {
    upload: Option<Box<dyn MultipartUpload>>,
    tasks: JoinSet<object_store::Result<()>>,
    buffer: PutPayloadMut,
    part_size: usize,
    concurrency: usize,
    location: String,
}

fn join_error(e: tokio::task::JoinError) -> object_store::Error {
    object_store::Error::JoinError { source: e }
}

fn finished() -> WriteError {
    WriteError::Store(object_store::Error::Generic {
        store: "wmill-s3",
        source: "multipart upload already finished".into(),
    })
}

/// Waits for every task, ignoring their results.
async fn drain(tasks: &mut JoinSet<object_store::Result<()>>) {
    while tasks.join_next().await.is_some() {}
}

async fn abort_upload(
    mut upload: Box<dyn MultipartUpload>,
    mut tasks: JoinSet<object_store::Result<()>>,
    location: &str,
) {
    drain(&mut tasks).await;
    match upload.abort().await {
        Ok(()) => tracing::debug!(%location, "multipart upload aborted"),
        Err(e) => tracing::warn!(%location, error = %e, "aborting the multipart upload failed"),
    }
}

/// [`abort_upload`] in a task of its own, awaited: if the caller's future is dropped while
/// the abort waits for the parts in flight, the abort still runs to its end.
async fn abort_detached(
    upload: Box<dyn MultipartUpload>,
    tasks: JoinSet<object_store::Result<()>>,
    location: String,
) {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            let _ = handle
                .spawn(async move { abort_upload(upload, tasks, &location).await })
                .await;
        }
        Err(_) => abort_upload(upload, tasks, &location).await,
    }
}

impl PartWriter {
    fn new(
        upload: Box<dyn MultipartUpload>,
        part_size: usize,
        concurrency: usize,
        location: String,
    ) -> Self {
        PartWriter {
            upload: Some(upload),
            tasks: JoinSet::new(),
            buffer: PutPayloadMut::new(),
            part_size,
            concurrency,
            location,
        }
    }

    /// Waits until fewer than `max` parts are in flight; the first failed part is the error.
    async fn wait_for_capacity(&mut self, max: usize) -> Result<(), WriteError> {
        while !self.tasks.is_empty() && self.tasks.len() >= max {
            if let Some(res) = self.tasks.join_next().await {
                res.map_err(join_error)??;
            }
        }
        Ok(())
    }

    async fn send_part(&mut self) -> Result<(), WriteError> {
        let part: PutPayload = std::mem::take(&mut self.buffer).freeze();
        self.wait_for_capacity(self.concurrency).await?;
        let upload = self.upload.as_mut().ok_or_else(finished)?;
        self.tasks.spawn(upload.put_part(part));
        Ok(())
    }

    /// Adds `chunk`, sending every full part (without copying the bytes).
    async fn put(&mut self, mut chunk: Bytes) -> Result<(), WriteError> {
        while !chunk.is_empty() {
            let room = self.part_size - self.buffer.content_length();
            let piece = chunk.split_to(chunk.len().min(room));
            self.buffer.push(piece);
            if self.buffer.content_length() >= self.part_size {
                self.send_part().await?;
            }
        }
        Ok(())
    }

    async fn abort(mut self) {
        if let Some(upload) = self.upload.take() {
            let tasks = std::mem::take(&mut self.tasks);
            abort_detached(upload, tasks, self.location.clone()).await;
        }
    }

    /// Sends the last part, waits for all, completes; aborts on any failure.
    async fn finish(mut self) -> Result<PutResult, WriteError> {
        let mut sent = Ok(());
        if !self.buffer.is_empty() {
            sent = self.send_part().await;
        }
        if let Err(e) = sent.and(self.wait_for_capacity(1).await) {
            self.abort().await;
            return Err(e);
        }
        // The upload stays in `self` while it completes: if this future is dropped meanwhile,
        // `Drop` aborts it (an abort after a completion the server did apply is refused
        // harmlessly).
        let completed = self.upload.as_mut().ok_or_else(finished)?.complete().await;
        let upload = self.upload.take().ok_or_else(finished)?;
        match completed {
            Ok(done) => Ok(done),
            Err(e) => {
                abort_detached(upload, JoinSet::new(), self.location.clone()).await;
                Err(WriteError::Store(e))
            }
        }
    }
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        let Some(upload) = self.upload.take() else {
            return;
        };
        let tasks = std::mem::take(&mut self.tasks);
        let location = std::mem::take(&mut self.location);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                tracing::debug!(%location, "write cancelled: aborting its multipart upload");
                handle.spawn(async move { abort_upload(upload, tasks, &location).await });
            }
            Err(_) => tracing::warn!(
                %location,
                "write cancelled outside a Tokio runtime: its multipart upload could not be aborted"
            ),
        }
    }
}

/// The attributes to try, best first: with the checksum (when there is one), without it, and
/// none at all (for stores that keep no attributes and say so with `NotImplemented`).
fn attribute_tiers(base: &Attributes, checksum: Option<&str>) -> Vec<Attributes> {
    let mut tiers = Vec::with_capacity(3);
    if let Some(hex) = checksum {
        tiers.push(with_checksum(base.clone(), hex));
    }
    if !base.is_empty() {
        tiers.push(base.clone());
    }
    tiers.push(Attributes::new());
    tiers
}

/// Runs `attempt` with each of the [`attribute_tiers`], best first, until the store answers
/// something other than `NotImplemented`: that answer, and whether the checksum went with it.
async fn with_fewer_attributes<T, F, Fut>(
    store: &dyn ObjectStore,
    path: &Path,
    attributes: &Attributes,
    digest: Option<&str>,
    mut attempt: F,
) -> (object_store::Result<T>, bool)
where
    F: FnMut(Attributes) -> Fut,
    Fut: Future<Output = object_store::Result<T>>,
{
    let mut tiers = attribute_tiers(attributes, digest).into_iter().peekable();
    loop {
        // The last tier (no attributes) is always there: this never ends the loop.
        let Some(attrs) = tiers.next() else {
            return (
                Err(object_store::Error::NotImplemented {
                    operation: "write".into(),
                    implementer: "wmill-s3".into(),
                }),
                false,
            );
        };
        let with_checksum = digest.is_some() && crate::checksum::stored(&attrs).is_some();
        let result = attempt(attrs).await;
        if tiers.peek().is_none()
            || !matches!(result, Err(object_store::Error::NotImplemented { .. }))
        {
            return (result, with_checksum);
        }
        tracing::debug!(location = %path, store = %store, "the store does not keep every attribute (checksum, content type, disposition): writing with fewer");
    }
}

/// Writes `body` to `path`: a single put when it ends within `opts.multipart_threshold` bytes,
/// otherwise a multipart upload of `opts.part_size` parts with at most `opts.max_concurrency`
/// parts in flight. Buffered memory stays below `part_size * (max_concurrency + 1)` plus the
/// threshold buffer (only before the upload starts).
pub(crate) async fn write_stream<S>(
    store: &dyn ObjectStore,
    path: &Path,
    body: S,
    attributes: Attributes,
    opts: &TransferOptions,
    mut checksum: Option<&mut WriteChecksum>,
) -> Result<PutResult, WriteError>
where
    S: Stream<Item = Result<Bytes, BoxError>> + Send,
{
    let part_size = opts.part_size.max(1);
    let threshold = opts.multipart_threshold;
    let concurrency = opts.max_concurrency.max(1);
    let mut body = std::pin::pin!(body);

    // Phase 1: buffer up to the threshold; a body that ends there is one put.
    let mut head = PutPayloadMut::new();
    let pending: Bytes = loop {
        match body.next().await {
            None => {
                let payload: PutPayload = head.freeze();
                let digest = checksum.as_deref().map(|c| c.hasher.hex());
                let payload = &payload;
                let (result, kept_checksum) = with_fewer_attributes(
                    store,
                    path,
                    &attributes,
                    digest.as_deref(),
                    move |attrs| {
                        let put = PutOptions {
                            attributes: attrs,
                            ..PutOptions::default()
                        };
                        store.put_opts(path, payload.clone(), put)
                    },
                )
                .await;
                if let Some(c) = checksum {
                    c.stored = kept_checksum;
                }
                return Ok(result?);
            }
            Some(Err(e)) => return Err(WriteError::Body(e)),
            Some(Ok(chunk)) => {
                if let Some(c) = checksum.as_deref_mut() {
                    c.hasher.update(&chunk);
                }
                if head.content_length() + chunk.len() > threshold {
                    break chunk;
                }
                head.push(chunk);
            }
        }
    };

    // Phase 2: multipart, whose parts are Tokio tasks.
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(WriteError::Store(object_store::Error::Generic {
            store: "wmill-s3",
            source: "writes above the multipart threshold need a Tokio runtime".into(),
        }));
    }
    let digest = checksum.as_deref().and_then(|c| c.precomputed.clone());
    let (opened, kept_checksum) =
        with_fewer_attributes(store, path, &attributes, digest.as_deref(), move |attrs| {
            let opts = PutMultipartOptions {
                attributes: attrs,
                ..PutMultipartOptions::default()
            };
            store.put_multipart_opts(path, opts)
        })
        .await;
    if let Some(c) = checksum.as_deref_mut() {
        c.stored = kept_checksum;
    }
    let upload = opened?;
    tracing::debug!(location = %path, part_size, concurrency, "multipart upload started");
    let mut writer = PartWriter::new(upload, part_size, concurrency, path.to_string());
    let head_chunks: Vec<Bytes> = head.freeze().into_iter().collect();
    for chunk in head_chunks.into_iter().chain(std::iter::once(pending)) {
        if let Err(e) = writer.put(chunk).await {
            writer.abort().await;
            return Err(e);
        }
    }
    loop {
        match body.next().await {
            None => break,
            Some(Ok(chunk)) => {
                if let Some(c) = checksum.as_deref_mut() {
                    c.hasher.update(&chunk);
                }
                if let Err(e) = writer.put(chunk).await {
                    writer.abort().await;
                    return Err(e);
                }
            }
            Some(Err(e)) => {
                tracing::debug!(location = %path, error = %e, "the body failed: aborting the multipart upload");
                writer.abort().await;
                return Err(WriteError::Body(e));
            }
        }
    }
    writer.finish().await
}
