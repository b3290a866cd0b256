//! [`TransferOptions`] (how writes are split into parts) and [`WriteOptions`] (what a write
//! stores with the object).

use object_store::{Attribute, Attributes};

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
    /// Chunk size when reading from an [`AsyncRead`](tokio::io::AsyncRead) (default 1 MiB).
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

    /// Sets the read size used by [`S3Client::write_s3_file_reader`](crate::S3Client::write_s3_file_reader).
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
    wmill_core::__setters! { #![must_use]
        /// Sets the content type.
        content_type(value: impl Into<String>) => content_type = value.into();
        /// Sets the content disposition.
        content_disposition(value: impl Into<String>) => content_disposition = value.into();
        /// Sets the extension of a generated key.
        file_extension(value: impl Into<String>) => file_extension = value.into();
    }

    /// Checksums the write with SHA-256, computed as the bytes go out (no SDK has this).
    ///
    /// The checksum is stored with the object as user metadata
    /// ([`CHECKSUM_METADATA`](crate::CHECKSUM_METADATA); on S3 the header
    /// `x-amz-meta-wmill-sha256`), and every later whole read ([`S3Client::load_s3_file`](crate::S3Client::load_s3_file),
    /// [`S3Client::load_s3_file_stream`](crate::S3Client::load_s3_file_stream), the readers) verifies the bytes against it: a
    /// mismatch is [`Error::Storage`](wmill_core::Error::Storage) whose source is a
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
    #[must_use]
    pub fn checksum(mut self, enabled: bool) -> Self {
        self.checksum = enabled;
        self
    }

    pub(crate) fn attributes(&self) -> Attributes {
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
