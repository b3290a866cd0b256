//! [`S3Reader`]: a [`tokio::io::AsyncRead`] over an object's byte stream.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures::Stream;
use futures::stream::BoxStream;
use tokio::io::{AsyncRead, ReadBuf};

/// Reads an object as [`AsyncRead`] (the Rust counterpart of Python's
/// `load_s3_file_reader`); built by [`S3Client::load_s3_file_reader`](crate::S3Client::load_s3_file_reader).
///
/// It holds at most one chunk of the HTTP body at a time. Errors surface as
/// [`std::io::Error`] whose inner error is the [`wmill_core::Error`]; after an error every
/// later read fails the same way (never a clean end of file on a truncated object).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use tokio::io::AsyncReadExt;
/// use wmill_s3::{S3Client, S3Object, WriteOptions};
/// # use std::sync::Arc;
/// # let client = S3Client::from_store(Arc::new(wmill_s3::object_store::memory::InMemory::new()));
/// let obj = client.write_s3_file(Some(&S3Object::new("r.txt")?), "line", &WriteOptions::default()).await?;
/// let mut text = String::new();
/// client.load_s3_file_reader(&obj).await?.read_to_string(&mut text).await.map_err(|e| wmill_core::Error::invalid("utf-8", e.to_string()))?;
/// assert_eq!(text, "line");
/// # Ok(()) }
/// ```
pub struct S3Reader {
    stream: BoxStream<'static, wmill_core::Result<Bytes>>,
    current: Bytes,
    done: bool,
    /// The error that ended the stream, repeated by later reads.
    failed: Option<(std::io::ErrorKind, String)>,
}

impl S3Reader {
    pub(crate) fn new(stream: BoxStream<'static, wmill_core::Result<Bytes>>) -> Self {
        S3Reader {
            stream,
            current: Bytes::new(),
            done: false,
            failed: None,
        }
    }

    /// The next chunk of the object, as the store sent it (no copy): first what reads left of
    /// the current one. `None` at the end; after an error, every call fails the same way.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use wmill_s3::{S3Client, S3Object, WriteOptions};
    /// # use std::sync::Arc;
    /// # let client = S3Client::from_store(Arc::new(wmill_s3::object_store::memory::InMemory::new()));
    /// let obj = client.write_s3_file(Some(&S3Object::new("c.txt")?), "chunk", &WriteOptions::default()).await?;
    /// let mut reader = client.load_s3_file_reader(&obj).await?;
    /// let mut size = 0;
    /// while let Some(chunk) = reader.next_chunk().await {
    ///     size += chunk.map_err(wmill_core::Error::from)?.len();
    /// }
    /// assert_eq!(size, 5);
    /// # Ok(()) }
    /// ```
    pub async fn next_chunk(&mut self) -> Option<std::io::Result<Bytes>> {
        std::future::poll_fn(|cx| self.poll_chunk(cx)).await
    }

    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<std::io::Result<Bytes>>> {
        if !self.current.is_empty() {
            return Poll::Ready(Some(Ok(std::mem::take(&mut self.current))));
        }
        if let Some((kind, message)) = &self.failed {
            return Poll::Ready(Some(Err(std::io::Error::new(
                *kind,
                format!("an earlier read failed: {message}"),
            ))));
        }
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.stream).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(chunk))) => Poll::Ready(Some(Ok(chunk))),
            Poll::Ready(Some(Err(e))) => {
                self.done = true;
                let kind = match &e {
                    wmill_core::Error::NotFound { .. } => std::io::ErrorKind::NotFound,
                    wmill_core::Error::Unauthorized { .. } => std::io::ErrorKind::PermissionDenied,
                    _ => std::io::ErrorKind::Other,
                };
                self.failed = Some((kind, e.to_string()));
                Poll::Ready(Some(Err(std::io::Error::new(kind, e))))
            }
        }
    }
}

impl fmt::Debug for S3Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Reader")
            .field("buffered", &self.current.len())
            .field("done", &self.done)
            .finish()
    }
}

impl AsyncRead for S3Reader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        while self.current.is_empty() {
            match self.poll_chunk(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(Some(Ok(chunk))) => self.current = chunk,
            }
        }
        let n = self.current.len().min(buf.remaining());
        buf.put_slice(&self.current[..n]);
        self.current.advance(n);
        Poll::Ready(Ok(()))
    }
}
