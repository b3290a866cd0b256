//! Multipart uploads through `job_helpers/upload_s3_file`: one streamed request fed part by
//! part, so memory stays bounded; aborting breaks the request off.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::future::{BoxFuture, Shared};
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use object_store::path::Path;
use object_store::{MultipartUpload, PutMultipartOptions, PutPayload, PutResult, UploadPart};
use tokio::sync::{mpsc, oneshot};
use wmill_core::Error;

use super::{STORE, UploadAnswer, WindmillHelperStore, octet_stream, only_content_attributes};
use crate::error::to_store_error;

impl WindmillHelperStore {
    /// `put_multipart_opts`: the upload request starts at once, on its own task, and takes
    /// the parts as they come.
    pub(super) fn start_upload(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        only_content_attributes(&opts.attributes)?;
        let (tx, rx) = mpsc::unbounded_channel::<Message>();
        let body = futures::stream::unfold((rx, false), |(mut rx, done)| async move {
            if done {
                return None;
            }
            match rx.recv().await {
                Some(Message::Part(payload, ack)) => {
                    let _ = ack.send(());
                    let chunks = futures::stream::iter(payload.into_iter().map(Ok));
                    Some((chunks.boxed(), (rx, false)))
                }
                Some(Message::Finish) => None,
                // Dropped without `Finish`: the upload was aborted; fail the request body so
                // the server does not store a truncated file.
                None => {
                    let err: BoxStream<'static, std::io::Result<Bytes>> =
                        futures::stream::iter([Err(std::io::Error::other("upload aborted"))])
                            .boxed();
                    Some((err, (rx, true)))
                }
            }
        })
        .flatten();
        let conn = self.conn.clone();
        let storage = self.storage.clone();
        let resource = self.s3_resource_path.clone();
        let key = location.to_string();
        let attributes = opts.attributes;
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| object_store::Error::Generic {
                store: STORE,
                source: "multipart uploads need a Tokio runtime".into(),
            })?;
        let task = runtime.spawn(async move {
            // A streamed body cannot be replayed: this request is never retried.
            Self::upload_request(
                &conn,
                storage.as_deref(),
                resource.as_deref(),
                &key,
                &attributes,
            )
            .body_stream(body, octet_stream())
            .send_json::<UploadAnswer>()
            .await
            .map(|_| ())
        });
        let abort = task.abort_handle();
        let response = task
            .map(|joined| match joined {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(Arc::new(e)),
                Err(join) => Err(Arc::new(Error::Storage {
                    operation: "upload through Windmill".into(),
                    source: Box::new(join),
                })),
            })
            .boxed()
            .shared();
        Ok(Box::new(HelperUpload {
            tx: Some(tx),
            response,
            abort,
        }))
    }
}

enum Message {
    Part(PutPayload, oneshot::Sender<()>),
    Finish,
}

type Response = Shared<BoxFuture<'static, Result<(), Arc<Error>>>>;

/// One streamed upload request fed part by part.
struct HelperUpload {
    tx: Option<mpsc::UnboundedSender<Message>>,
    response: Response,
    abort: tokio::task::AbortHandle,
}

impl fmt::Debug for HelperUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HelperUpload")
            .field("open", &self.tx.is_some())
            .finish()
    }
}

fn shared_error(e: Arc<Error>) -> object_store::Error {
    let err = match Arc::try_unwrap(e) {
        Ok(e) => e,
        // Another handle still holds the error: the variants that carry an answer are rebuilt
        // (their status, request and body are plain data), the others wrapped.
        Err(shared) => match &*shared {
            Error::Api {
                status,
                request,
                body,
            } => Error::Api {
                status: *status,
                request: request.clone(),
                body: body.clone(),
            },
            Error::Unauthorized {
                status,
                request,
                body,
            } => Error::Unauthorized {
                status: *status,
                request: request.clone(),
                body: body.clone(),
            },
            Error::NotFound { kind, path } => Error::NotFound {
                kind: *kind,
                path: path.clone(),
            },
            _ => Error::Storage {
                operation: "upload through Windmill".into(),
                source: Box::new(SharedError(shared)),
            },
        },
    };
    to_store_error(err, STORE)
}

#[derive(Debug)]
struct SharedError(Arc<Error>);

impl fmt::Display for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

#[async_trait]
impl MultipartUpload for HelperUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let (ack_tx, ack_rx) = oneshot::channel();
        let sent = self
            .tx
            .as_ref()
            .is_some_and(|tx| tx.send(Message::Part(data, ack_tx)).is_ok());
        let response = self.response.clone();
        async move {
            if sent && ack_rx.await.is_ok() {
                return Ok(());
            }
            // The request ended before taking this part: report why.
            match response.await {
                Err(e) => Err(shared_error(e)),
                Ok(()) => Err(object_store::Error::Generic {
                    store: STORE,
                    source: "the upload request ended before all parts were sent".into(),
                }),
            }
        }
        .boxed()
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Message::Finish);
        }
        self.response.clone().await.map_err(shared_error)?;
        Ok(PutResult {
            e_tag: None,
            version: None,
            extensions: Default::default(),
        })
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        // Dropping the sender without `Finish` fails the request body.
        self.tx.take();
        self.abort.abort();
        Ok(())
    }
}

impl Drop for HelperUpload {
    fn drop(&mut self) {
        if self.tx.is_some() {
            self.tx.take();
            self.abort.abort();
        }
    }
}
