//! Blocking versions of the S3 functions (feature `s3`), and [`S3FileReader`], an object read
//! without `async`.

use std::io::{self, Read};

use bytes::Bytes;
use futures::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wmill_core::{Error, Result};
use wmill_s3::{
    Boto3Settings, DuckdbSettings, FilePreview, FolderCheck, PolarsSettings, PresignOptions,
    PreviewOptions, S3Object, S3Reader, StorageUsage, WriteOptions,
};

use super::runtime::{block_on, run};
use crate::{S3Ref, S3Target};

/// How much of a [`Read`] [`write_s3_file_stream`] reads at a time.
const READ_CHUNK: usize = 1024 * 1024;

blocking! {
    /// Blocking [`crate::load_s3_file`].
    pub fn load_s3_file(obj: impl S3Ref + Send) -> Result<Bytes>;
}

/// Blocking [`crate::load_s3_file_stream`]: the object as an [`S3FileReader`], an iterator
/// of chunks that is also a [`Read`]. One chunk at a time is held in memory, whatever the
/// object's size; an error midway is returned, never a silently truncated file.
///
/// ```
/// use std::io::Read;
/// # use std::sync::Arc;
/// # use wmill::{Client, InMemory, S3Client};
/// # let store = Arc::new(wmill::s3::object_store::memory::InMemory::new());
/// # wmill::set_client(Client::new(InMemory::new()).with_s3(S3Client::from_store(store)));
///
/// let obj = wmill::parse_s3_object("s3:///docs/blocking-stream.txt")?;
/// wmill::blocking::write_s3_file(Some(&obj), "hello, stream", &Default::default())?;
/// let mut text = String::new();
/// wmill::blocking::load_s3_file_stream(&obj)?
///     .read_to_string(&mut text)
///     .map_err(|e| wmill::Error::invalid("file", e.to_string()))?;
/// assert_eq!(text, "hello, stream");
/// # Ok::<(), wmill::Error>(())
/// ```
pub fn load_s3_file_stream(obj: impl S3Ref + Send) -> Result<S3FileReader> {
    block_on(crate::s3files::load_s3_file_reader(obj)).map(S3FileReader::from)
}

/// An S3 object being read without `async`, from [`load_s3_file_stream`]: the async
/// [`S3Reader`] driven by the blocking runtime.
///
/// Iterate over it for its chunks (`Result<Bytes>`, as the store sent them), or use it as a
/// [`Read`] (errors become [`io::Error`]s wrapping the SDK's [`Error`]). Both can be mixed:
/// the iterator first yields what a read left of the current chunk. The iterator ends after
/// an error; later reads fail with it too (a truncated object never ends cleanly).
#[derive(Debug)]
pub struct S3FileReader {
    reader: S3Reader,
    /// Whether the iterator yielded its last item (the end, or an error).
    ended: bool,
}

impl From<S3Reader> for S3FileReader {
    fn from(reader: S3Reader) -> Self {
        S3FileReader {
            reader,
            ended: false,
        }
    }
}

impl Iterator for S3FileReader {
    type Item = Result<Bytes>;

    fn next(&mut self) -> Option<Result<Bytes>> {
        if self.ended {
            return None;
        }
        let item = match run(self.reader.next_chunk()) {
            Ok(chunk) => chunk.map(|c| c.map_err(sdk_error)),
            Err(e) => Some(Err(e)),
        };
        self.ended = !matches!(item, Some(Ok(_)));
        item
    }
}

impl Read for S3FileReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut buf = tokio::io::ReadBuf::new(buf);
        let mut reader = std::pin::Pin::new(&mut self.reader);
        let read = std::future::poll_fn(|cx| {
            tokio::io::AsyncRead::poll_read(reader.as_mut(), cx, &mut buf)
        });
        run(read).map_err(io::Error::other)??;
        Ok(buf.filled().len())
    }
}

/// The SDK's error that an [`S3Reader`] wrapped in an [`io::Error`] (any other stays one).
fn sdk_error(e: io::Error) -> Error {
    e.downcast::<Error>().unwrap_or_else(Error::from)
}

/// Blocking [`crate::write_s3_file_stream`]: writes what `reader` yields, read 1 MiB at a
/// time on the runtime's blocking threads, so memory stays bounded whatever the size.
/// Large content goes up as a multipart upload, aborted if `reader` fails: no partial
/// object is left behind.
pub fn write_s3_file_stream<R: Read + Send + 'static>(
    obj: impl S3Target + Send,
    reader: R,
    options: &WriteOptions,
) -> Result<S3Object> {
    block_on(crate::write_s3_file_stream(obj, chunks_of(reader), options))
}

/// The content of `reader` as a stream of chunks of [`READ_CHUNK`] bytes, each read on the
/// runtime's blocking threads.
fn chunks_of<R: Read + Send + 'static>(reader: R) -> impl Stream<Item = io::Result<Bytes>> + Send {
    futures::stream::try_unfold(reader, |mut reader| async move {
        let (reader, read) = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0; READ_CHUNK];
            let read = read_chunk(&mut reader, &mut buf).map(|n| {
                buf.truncate(n);
                buf
            });
            (reader, read)
        })
        .await
        .map_err(io::Error::other)?;
        let buf = read?;
        Ok((!buf.is_empty()).then(|| (Bytes::from(buf), reader)))
    })
}

/// Fills `buf` from `reader` up to its end; the number of bytes read (0 at the end).
fn read_chunk(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|rest| !rest.is_empty()) {
        match reader.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

blocking! {
    /// Blocking [`crate::write_s3_file`].
    pub fn write_s3_file(
        obj: impl S3Target + Send,
        content: impl Into<Bytes> + Send,
        options: &WriteOptions,
    ) -> Result<S3Object>;

    /// Blocking [`crate::write_s3_json`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use wmill::{Client, InMemory, S3Client};
    /// # let store = Arc::new(wmill::s3::object_store::memory::InMemory::new());
    /// # let client = Client::new(InMemory::new()).with_s3(S3Client::from_store(store));
    /// # wmill::blocking::with_client(client, || {
    /// use serde_json::{Value, json};
    ///
    /// let obj = wmill::blocking::write_s3_json("s3:///reports/today.json", &json!({"ok": true}))?;
    /// let back: Value = wmill::blocking::load_s3_json(&obj)?;
    /// assert_eq!(back["ok"], true);
    /// # Ok::<(), wmill::Error>(()) })?;
    /// # Ok::<(), wmill::Error>(())
    /// ```
    pub fn write_s3_json(
        obj: impl S3Target + Send,
        value: &(impl Serialize + ?Sized + Sync),
    ) -> Result<S3Object>;

    /// Blocking [`crate::load_s3_json`].
    pub fn load_s3_json<T: DeserializeOwned + Send>(obj: impl S3Ref + Send) -> Result<T>;

    /// Blocking [`crate::move_s3_object`].
    pub fn move_s3_object(from: impl S3Ref + Send, to: impl S3Ref + Send) -> Result<()>;

    /// Blocking [`crate::delete_s3_object`].
    pub fn delete_s3_object(obj: impl S3Ref + Send) -> Result<()>;

    /// Blocking [`crate::sign_s3_objects`].
    pub fn sign_s3_objects(objects: &[S3Object], expiry_secs: Option<u64>) -> Result<Vec<S3Object>>;

    /// Blocking [`crate::sign_s3_object`].
    pub fn sign_s3_object(obj: impl S3Ref + Send, expiry_secs: Option<u64>) -> Result<S3Object>;

    /// Blocking [`crate::get_presigned_s3_public_urls`].
    pub fn get_presigned_s3_public_urls(
        objects: &[S3Object],
        options: &PresignOptions,
    ) -> Result<Vec<String>>;

    /// Blocking [`crate::get_presigned_s3_public_url`].
    pub fn get_presigned_s3_public_url(
        obj: impl S3Ref + Send,
        options: &PresignOptions,
    ) -> Result<String>;

    /// Blocking [`crate::get_boto3_connection_settings`].
    pub fn get_boto3_connection_settings(s3_resource_path: Option<&str>) -> Result<Boto3Settings>;

    /// Blocking [`crate::get_polars_connection_settings`].
    pub fn get_polars_connection_settings(s3_resource_path: Option<&str>) -> Result<PolarsSettings>;

    /// Blocking [`crate::get_duckdb_connection_settings`].
    pub fn get_duckdb_connection_settings(s3_resource_path: Option<&str>) -> Result<DuckdbSettings>;

    /// Blocking [`crate::load_file_preview`].
    pub fn load_file_preview(
        obj: impl S3Ref + Send,
        options: &PreviewOptions,
    ) -> Result<FilePreview>;

    /// Blocking [`crate::check_s3_folder_exists`].
    pub fn check_s3_folder_exists(folder: &str, marker_file: Option<&str>) -> Result<FolderCheck>;

    /// Blocking [`crate::download_s3_parquet_file_as_csv`].
    pub fn download_s3_parquet_file_as_csv(
        obj: impl S3Ref + Send,
        s3_resource_path: Option<&str>,
    ) -> Result<Bytes>;

    /// Blocking [`crate::test_storage_connection`].
    pub fn test_storage_connection(storage: Option<&str>) -> Result<serde_json::Value>;

    /// Blocking [`crate::storage_usage`].
    pub fn storage_usage(refresh: bool) -> Result<StorageUsage>;
}
