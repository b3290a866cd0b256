//! Streaming writes: one `put` below the threshold, otherwise a multipart upload with bounded
//! buffers, aborted on any error (and when the write future is dropped).

use bytes::Bytes;
use futures::{Stream, StreamExt};
use object_store::path::Path;
use object_store::{
    Attributes, ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutPayloadMut, PutResult,
    WriteMultipart,
};
use wmill_core::BoxError;

use crate::TransferOptions;

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

/// Owns a running multipart upload; aborts it when dropped before `finish` (the write future
/// was cancelled), so no orphan parts stay on the server.
struct AbortOnDrop {
    upload: Option<WriteMultipart>,
    location: String,
}

impl AbortOnDrop {
    fn get(&mut self) -> Result<&mut WriteMultipart, WriteError> {
        self.upload.as_mut().ok_or_else(|| {
            WriteError::Store(object_store::Error::Generic {
                store: "wmill-s3",
                source: "multipart upload already finished".into(),
            })
        })
    }

    async fn abort(mut self) {
        if let Some(upload) = self.upload.take()
            && let Err(e) = upload.abort().await
        {
            tracing::warn!(location = %self.location, error = %e, "aborting the multipart upload failed");
        }
    }

    async fn finish(mut self) -> Result<PutResult, WriteError> {
        match self.upload.take() {
            // `WriteMultipart::finish` aborts the upload itself when a part or the completion fails.
            Some(upload) => Ok(upload.finish().await?),
            None => Err(WriteError::Store(object_store::Error::Generic {
                store: "wmill-s3",
                source: "multipart upload already finished".into(),
            })),
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(upload) = self.upload.take() {
            let location = std::mem::take(&mut self.location);
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => {
                    tracing::debug!(%location, "write cancelled: aborting its multipart upload");
                    handle.spawn(async move {
                        if let Err(e) = upload.abort().await {
                            tracing::warn!(%location, error = %e, "aborting the multipart upload failed");
                        }
                    });
                }
                Err(_) => {
                    tracing::warn!(%location, "write cancelled outside a Tokio runtime: its multipart upload could not be aborted");
                }
            }
        }
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
                let with_attrs = !attributes.is_empty();
                let put = PutOptions {
                    attributes,
                    ..PutOptions::default()
                };
                return match store.put_opts(path, payload.clone(), put).await {
                    Err(object_store::Error::NotImplemented { .. }) if with_attrs => {
                        tracing::debug!(location = %path, store = %store, "the store keeps no content type / disposition: writing without them");
                        Ok(store.put_opts(path, payload, PutOptions::default()).await?)
                    }
                    other => Ok(other?),
                };
            }
            Some(Err(e)) => return Err(WriteError::Body(e)),
            Some(Ok(chunk)) => {
                if head.content_length() + chunk.len() > threshold {
                    break chunk;
                }
                head.push(chunk);
            }
        }
    };

    // Phase 2: multipart.
    let with_attrs = !attributes.is_empty();
    let opened = store
        .put_multipart_opts(
            path,
            PutMultipartOptions {
                attributes,
                ..PutMultipartOptions::default()
            },
        )
        .await;
    let upload = match opened {
        Err(object_store::Error::NotImplemented { .. }) if with_attrs => {
            tracing::debug!(location = %path, store = %store, "the store keeps no content type / disposition: writing without them");
            store
                .put_multipart_opts(path, PutMultipartOptions::default())
                .await?
        }
        other => other?,
    };
    tracing::debug!(location = %path, part_size, concurrency, "multipart upload started");
    let mut guard = AbortOnDrop {
        upload: Some(WriteMultipart::new_with_chunk_size(upload, part_size)),
        location: path.to_string(),
    };
    let head_chunks: Vec<Bytes> = head.freeze().into_iter().collect();
    let first = head_chunks.into_iter().chain(std::iter::once(pending));
    for chunk in first {
        if let Err(e) = push(&mut guard, chunk, part_size, concurrency).await {
            guard.abort().await;
            return Err(e);
        }
    }
    loop {
        match body.next().await {
            None => break,
            Some(Ok(chunk)) => {
                if let Err(e) = push(&mut guard, chunk, part_size, concurrency).await {
                    guard.abort().await;
                    return Err(e);
                }
            }
            Some(Err(e)) => {
                tracing::debug!(location = %path, error = %e, "the body failed: aborting the multipart upload");
                guard.abort().await;
                return Err(WriteError::Body(e));
            }
        }
    }
    guard.finish().await
}

/// Hands `chunk` to the upload in pieces of at most `part_size`, waiting for a free slot before
/// each so no more than `concurrency` parts are in flight.
async fn push(
    guard: &mut AbortOnDrop,
    mut chunk: Bytes,
    part_size: usize,
    concurrency: usize,
) -> Result<(), WriteError> {
    while !chunk.is_empty() {
        let piece = chunk.split_to(chunk.len().min(part_size));
        let upload = guard.get()?;
        upload.wait_for_capacity(concurrency).await?;
        upload.put(piece);
    }
    Ok(())
}
