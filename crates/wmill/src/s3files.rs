//! Module-level functions for workspace S3 files (feature `s3`), with the Python client's names.
//!
//! They use the client's [`S3Client`]: the one built from the environment (the workspace's
//! storages, resolved through Windmill), or the one installed with
//! [`Client::with_s3`](crate::Client::with_s3) (any `object_store` backend).

use bytes::Bytes;
use futures::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wmill_core::{BoxError, Error, Result};
use wmill_s3::{
    Boto3Settings, ByteStream, DuckdbSettings, PolarsSettings, PresignOptions, S3Client, S3Object,
    WriteOptions,
};

use crate::functions::{parsed_refs, same_call};
use crate::global::client;

/// Anything that names an S3 object: an [`S3Object`] or its `s3://storage/key` URI.
///
/// ```
/// use wmill::S3Ref;
///
/// let obj = "s3:///reports/q3.csv".to_s3_object()?;
/// assert_eq!(obj.key(), "reports/q3.csv");
/// assert_eq!(obj.storage(), None); // the workspace's default storage
/// assert!("reports/q3.csv".to_s3_object().is_err()); // not a URI
/// # Ok::<(), wmill::Error>(())
/// ```
pub trait S3Ref {
    /// The object, validated.
    fn to_s3_object(&self) -> Result<S3Object>;
}

impl S3Ref for S3Object {
    fn to_s3_object(&self) -> Result<S3Object> {
        Ok(self.clone())
    }
}

impl S3Ref for &S3Object {
    fn to_s3_object(&self) -> Result<S3Object> {
        Ok((*self).clone())
    }
}

parsed_refs!(S3Ref::to_s3_object -> S3Object = S3Object::parse);

/// Where to write an S3 object: anything [`S3Ref`] takes (an [`S3Object`], a reference to
/// one, an `s3://storage/key` URI), or `None` for a key generated in the default storage.
/// `Some(&obj)` is accepted too.
///
/// ```
/// use wmill::{S3Object, S3Target};
///
/// let obj = S3Object::new("reports/q3.csv")?;
/// assert_eq!("s3:///reports/q3.csv".to_s3_target()?, Some(obj.clone()));
/// assert_eq!((&obj).to_s3_target()?, Some(obj.clone()));
/// assert_eq!(Some(&obj).to_s3_target()?, Some(obj));
/// assert_eq!(None.to_s3_target()?, None);
/// assert!("reports/q3.csv".to_s3_target().is_err()); // not a URI
/// # Ok::<(), wmill::Error>(())
/// ```
pub trait S3Target {
    /// The object to write, validated; `None` for a generated key.
    fn to_s3_target(&self) -> Result<Option<S3Object>>;
}

impl<T: S3Ref + ?Sized> S3Target for T {
    fn to_s3_target(&self) -> Result<Option<S3Object>> {
        self.to_s3_object().map(Some)
    }
}

impl S3Target for Option<&S3Object> {
    fn to_s3_target(&self) -> Result<Option<S3Object>> {
        Ok(self.cloned())
    }
}

async fn s3() -> Result<S3Client> {
    Ok(client()?.s3()?.clone())
}

/// Parses `s3://storage/key` or `s3:///key` (default storage). Python: `wmill.parse_s3_object(uri)`.
pub fn parse_s3_object(uri: &str) -> Result<S3Object> {
    S3Object::parse(uri)
}

/// The whole content of an object. Python: `wmill.load_s3_file(s3object)`.
pub async fn load_s3_file(obj: impl S3Ref) -> Result<Bytes> {
    let obj = obj.to_s3_object()?;
    s3().await?.load_s3_file(&obj).await
}

/// The content of an object as a stream of chunks, with bounded memory.
/// Python: `wmill.load_s3_file_reader(s3object)`.
pub async fn load_s3_file_stream(obj: impl S3Ref) -> Result<ByteStream> {
    let obj = obj.to_s3_object()?;
    s3().await?.load_s3_file_stream(&obj).await
}

/// The object as an async reader (what `blocking::load_s3_file_stream` drives).
pub(crate) async fn load_s3_file_reader(obj: impl S3Ref) -> Result<wmill_s3::S3Reader> {
    let obj = obj.to_s3_object()?;
    s3().await?.load_s3_file_reader(&obj).await
}

/// Writes `content` to `obj` and returns the written object. `obj` is what the read functions
/// take (an [`S3Object`], `&obj`, `"s3:///key"`), or `None` for a key generated in the
/// default storage. Python: `wmill.write_s3_file(s3object, file_content, content_type=..., content_disposition=...)`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// # use std::sync::Arc;
/// # use wmill::{Client, InMemory, S3Client};
/// # let store = Arc::new(wmill::s3::object_store::memory::InMemory::new());
/// # let client = Client::new(InMemory::new()).with_s3(S3Client::from_store(store));
/// # wmill::with_client(client, async {
/// use wmill::WriteOptions;
///
/// let csv = WriteOptions::new().content_type("text/csv");
/// let obj = wmill::write_s3_file("s3:///reports/q3.csv", "a,b\n1,2\n", &csv).await?;
/// assert_eq!(wmill::load_s3_file(&obj).await?, "a,b\n1,2\n");
/// let generated = wmill::write_s3_file(None, "scratch", &WriteOptions::new()).await?;
/// assert_eq!(wmill::load_s3_file(generated).await?, "scratch");
/// # Ok(()) }).await }
/// ```
pub async fn write_s3_file(
    obj: impl S3Target,
    content: impl Into<Bytes>,
    options: &WriteOptions,
) -> Result<S3Object> {
    let obj = obj.to_s3_target()?;
    s3().await?
        .write_s3_file(obj.as_ref(), content, options)
        .await
}

/// Writes a stream of chunks (multipart above the threshold, aborted on any error); `obj` as
/// in [`write_s3_file`]. Python: `wmill.write_s3_file(s3object, reader)`.
pub async fn write_s3_file_stream<S, E>(
    obj: impl S3Target,
    content: S,
    options: &WriteOptions,
) -> Result<S3Object>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Send,
    E: Into<BoxError>,
{
    let obj = obj.to_s3_target()?;
    s3().await?
        .write_s3_file_stream(obj.as_ref(), content, options)
        .await
}

/// Deletes an object. Python: `wmill.delete_s3_object(s3object)`.
pub async fn delete_s3_object(obj: impl S3Ref) -> Result<()> {
    let obj = obj.to_s3_object()?;
    s3().await?.delete_s3_object(&obj).await
}

/// Moves (renames) an object, replacing what `to` held; see
/// [`S3Client::move_s3_object`]. (No official client has this helper; Windmill's
/// `job_helpers/move_s3_file` is what it uses through the server.)
pub async fn move_s3_object(from: impl S3Ref, to: impl S3Ref) -> Result<()> {
    let (from, to) = (from.to_s3_object()?, to.to_s3_object()?);
    s3().await?.move_s3_object(&from, &to).await
}

/// Signs objects for public access (`presigned` filled in). Python: `wmill.sign_s3_objects(objects, expiry_secs)`.
pub async fn sign_s3_objects(
    objects: &[S3Object],
    expiry_secs: Option<u64>,
) -> Result<Vec<S3Object>> {
    s3().await?.sign_s3_objects(objects, expiry_secs).await
}

/// Signs one object. Python: `wmill.sign_s3_object(s3object, expiry_secs)`.
pub async fn sign_s3_object(obj: impl S3Ref, expiry_secs: Option<u64>) -> Result<S3Object> {
    let obj = obj.to_s3_object()?;
    s3().await?.sign_s3_object(&obj, expiry_secs).await
}

/// Public URLs of objects, through the server's S3 proxy (signing the unsigned ones).
/// Python: `wmill.get_presigned_s3_public_urls(objects, base_url, expiry_secs)`.
pub async fn get_presigned_s3_public_urls(
    objects: &[S3Object],
    options: &PresignOptions,
) -> Result<Vec<String>> {
    s3().await?
        .get_presigned_s3_public_urls(objects, options)
        .await
}

/// The public URL of one object. Python: `wmill.get_presigned_s3_public_url(s3object)`.
pub async fn get_presigned_s3_public_url(
    obj: impl S3Ref,
    options: &PresignOptions,
) -> Result<String> {
    let obj = obj.to_s3_object()?;
    s3().await?.get_presigned_s3_public_url(&obj, options).await
}

same_call! { s3().await? =>
    /// boto3-style connection settings of a storage. Python: `wmill.get_boto3_connection_settings()`.
    pub async fn get_boto3_connection_settings(
        s3_resource_path: Option<&str>,
    ) -> Result<Boto3Settings>;

    /// Polars-style connection settings. Python: `wmill.get_polars_connection_settings()`.
    pub async fn get_polars_connection_settings(
        s3_resource_path: Option<&str>,
    ) -> Result<PolarsSettings>;

    /// DuckDB connection settings. Python: `wmill.get_duckdb_connection_settings()`.
    pub async fn get_duckdb_connection_settings(
        s3_resource_path: Option<&str>,
    ) -> Result<DuckdbSettings>;
}

// ---------------------------------------------------------------- server file helpers

/// A preview of a file (optionally of a byte range: text files come back as their exact bytes).
/// Windmill's `job_helpers/load_file_preview`; no official client wraps it.
pub async fn load_file_preview(
    obj: impl S3Ref,
    options: &wmill_s3::PreviewOptions,
) -> Result<wmill_s3::FilePreview> {
    let obj = obj.to_s3_object()?;
    s3().await?.load_file_preview(&obj, options).await
}

/// Whether a folder exists in the default storage (and, with `marker_file`, holds that file).
pub async fn check_s3_folder_exists(
    folder: &str,
    marker_file: Option<&str>,
) -> Result<wmill_s3::FolderCheck> {
    s3().await?
        .check_s3_folder_exists(folder, marker_file)
        .await
}

/// A Parquet file converted to CSV by the server (default storage, or the S3 resource at
/// `s3_resource_path`).
pub async fn download_s3_parquet_file_as_csv(
    obj: impl S3Ref,
    s3_resource_path: Option<&str>,
) -> Result<Bytes> {
    let obj = obj.to_s3_object()?;
    s3().await?
        .download_s3_parquet_file_as_csv(&obj, s3_resource_path)
        .await
}

/// Whether the server reaches a storage (`None`: the default one): `job_helpers/test_connection`.
pub async fn test_storage_connection(storage: Option<&str>) -> Result<serde_json::Value> {
    s3().await?.test_connection(storage).await
}

/// Bytes stored per storage (and the quota on Community Edition): `job_helpers/storage_usage`.
pub async fn storage_usage(refresh: bool) -> Result<wmill_s3::StorageUsage> {
    s3().await?.storage_usage(refresh).await
}

// ---------------------------------------------------------------- JSON files (issue 15)

/// Writes `value` as JSON (`Content-Type: application/json`) to `obj` (as in
/// [`write_s3_file`]; a generated key ends with `.json`) and returns the written object.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// # use std::sync::Arc;
/// # use wmill::{Client, InMemory, S3Client};
/// # let store = Arc::new(wmill::s3::object_store::memory::InMemory::new());
/// # let client = Client::new(InMemory::new()).with_s3(S3Client::from_store(store));
/// # wmill::with_client(client, async {
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, PartialEq, Debug)]
/// struct Report { invoices: u32 }
///
/// let obj = wmill::write_s3_json("s3:///reports/nov.json", &Report { invoices: 42 }).await?;
/// let back: Report = wmill::load_s3_json(&obj).await?;
/// assert_eq!(back, Report { invoices: 42 });
/// # Ok(()) }).await }
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] when `value` cannot be serialized (a map with non-string keys) or
/// `obj` is not a valid object, before anything is written.
pub async fn write_s3_json(
    obj: impl S3Target,
    value: &(impl Serialize + ?Sized + Sync),
) -> Result<S3Object> {
    let obj = obj.to_s3_target()?;
    let body = json_body(value)?;
    s3().await?
        .write_s3_file(obj.as_ref(), body, &json_options())
        .await
}

/// The JSON object `obj` holds, deserialized into `T`.
///
/// # Errors
/// [`Error::Decode`] naming the object when its content is not the JSON of a `T`: the
/// decoder's reason (where, what it expected), never the content's bytes.
pub async fn load_s3_json<T: DeserializeOwned>(obj: impl S3Ref) -> Result<T> {
    let obj = obj.to_s3_object()?;
    let bytes = s3().await?.load_s3_file(&obj).await?;
    decode_json(&obj, &bytes)
}

pub(crate) fn json_body(value: &(impl Serialize + ?Sized)) -> Result<Bytes> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Error::unserializable("JSON value", e))
}

pub(crate) fn json_options() -> WriteOptions {
    WriteOptions::new()
        .content_type("application/json")
        .file_extension("json")
}

pub(crate) fn decode_json<T: DeserializeOwned>(obj: &S3Object, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| match Error::from(e) {
        // The reason without the content (`Error::from` keeps only its shape).
        Error::Decode {
            body_excerpt,
            source,
            ..
        } => Error::Decode {
            request: format!("JSON of {obj}"),
            body_excerpt,
            source,
        },
        other => other,
    })
}
