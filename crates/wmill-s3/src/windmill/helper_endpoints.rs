//! The server's file helpers that are not object operations: previews, folder checks, Parquet
//! as CSV, connection tests and storage usage.

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use wmill_core::{Error, ItemKind, Result};

use super::WindmillConnection;
use super::connection::{call_span, unexpected_answer};
use crate::S3Object;
use crate::error::location;
use tracing::Instrument;

/// The largest range the server previews (`read_bytes_length`): 8 MiB.
pub const MAX_PREVIEW_BYTES: u64 = 8 * 1024 * 1024;

/// What [`WindmillConnection::load_file_preview`] reads.
///
/// ```
/// let opts = wmill_s3::PreviewOptions::new().bytes(1024, 4096);
/// assert_eq!((opts.read_bytes_from, opts.read_bytes_length), (Some(1024), Some(4096)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PreviewOptions {
    /// The first byte to read (`read_bytes_from`).
    pub read_bytes_from: Option<u64>,
    /// How many bytes to read (`read_bytes_length`, at most [`MAX_PREVIEW_BYTES`]).
    pub read_bytes_length: Option<u64>,
    /// The file's size when known (`file_size_in_bytes`): saves the server a metadata call.
    pub file_size_in_bytes: Option<u64>,
    /// The file's MIME type when known (`file_mime_type`).
    pub file_mime_type: Option<String>,
    /// The CSV separator (`csv_separator`, server default `,`).
    pub csv_separator: Option<String>,
    /// Whether the CSV has a header line (`csv_has_header`, server default `true`).
    pub csv_has_header: Option<bool>,
}

impl PreviewOptions {
    /// Nothing set: the server's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `length` bytes from byte `from`.
    #[must_use]
    pub fn bytes(mut self, from: u64, length: u64) -> Self {
        self.read_bytes_from = Some(from);
        self.read_bytes_length = Some(length);
        self
    }

    wmill_core::__setters! { #![must_use]
        /// Gives the file's size.
        file_size(size: u64) => file_size_in_bytes = size;
        /// Gives the file's MIME type.
        mime_type(mime: impl Into<String>) => file_mime_type = mime.into();
    }

    /// Sets how CSV files are read.
    #[must_use]
    pub fn csv(mut self, separator: impl Into<String>, has_header: bool) -> Self {
        self.csv_separator = Some(separator.into());
        self.csv_has_header = Some(has_header);
        self
    }
}

/// How the server read a previewed file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub enum PreviewContentType {
    /// Text, returned as it is stored (the exact bytes of the range, when they are UTF-8).
    RawText,
    /// CSV, parsed and rendered by the server.
    Csv,
    /// Parquet, rendered by the server.
    Parquet,
    /// The server cannot preview this file (`msg` says why).
    Unknown,
    /// A kind this SDK does not know yet.
    #[serde(untagged)]
    Other(String),
}

/// The answer of `GET job_helpers/load_file_preview`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FilePreview {
    /// The preview, when the server could make one.
    #[serde(default)]
    pub content: Option<String>,
    /// How the server read the file.
    pub content_type: PreviewContentType,
    /// Why there is no preview (or a note about it).
    #[serde(default)]
    pub msg: Option<String>,
}

/// The answer of `GET job_helpers/check_s3_folder_exists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FolderCheck {
    /// Whether something exists at the key.
    pub exists: bool,
    /// Whether it is a folder (`false`: a file).
    #[serde(default)]
    pub is_folder: bool,
}

/// One storage's line of [`StorageUsage`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct StorageUsageEntry {
    /// The storage name (the default storage has the server's name for it).
    pub storage: String,
    /// Bytes stored.
    pub bytes: i64,
    /// When the server counted them (RFC 3339).
    pub computed_at: String,
}

/// The answer of `GET job_helpers/storage_usage`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct StorageUsage {
    /// Bytes stored in all storages.
    pub total_bytes: i64,
    /// The workspace's cap (Community Edition only).
    #[serde(default)]
    pub quota_bytes: Option<i64>,
    /// Per storage.
    #[serde(default)]
    pub storages: Vec<StorageUsageEntry>,
}

/// The extensions whose previews the server returns as raw text (exact bytes).
const RAW_TEXT_EXTENSIONS: [&str; 6] = [".json", ".yaml", ".yml", ".xml", ".txt", ".log"];

/// Whether the server previews `key` as raw text, so that a ranged preview gives exact bytes.
pub(crate) fn previews_as_raw_text(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    RAW_TEXT_EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
}

fn number(n: Option<u64>) -> Option<String> {
    n.map(|n| n.to_string())
}

impl WindmillConnection {
    /// `GET /w/{ws}/job_helpers/load_file_preview?file_key=..&storage=..`: a preview of a
    /// file, optionally of a byte range. Text files (`.json`, `.yaml`, `.yml`, `.xml`, `.txt`,
    /// `.log`) come back as their exact bytes when those are UTF-8; CSV and Parquet are
    /// rendered by the server; other files get [`PreviewContentType::Unknown`] and a `msg`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before any request for a bad object or a range longer than
    /// [`MAX_PREVIEW_BYTES`]; [`Error::NotFound`] for a missing file; the typed errors of
    /// every call.
    ///
    /// ```no_run
    /// # async fn f(conn: wmill_s3::WindmillConnection) -> wmill_core::Result<()> {
    /// use wmill_s3::{PreviewOptions, S3Object};
    /// let head = conn
    ///     .load_file_preview(&S3Object::new("logs/app.log")?, &PreviewOptions::new().bytes(0, 4096))
    ///     .await?;
    /// println!("{}", head.content.unwrap_or_default());
    /// # Ok(()) }
    /// ```
    pub async fn load_file_preview(
        &self,
        obj: &S3Object,
        options: &PreviewOptions,
    ) -> Result<FilePreview> {
        let span = call_span!(
            "load_file_preview",
            workspace = self.workspace(),
            storage = obj.storage(),
            key = obj.key()
        );
        async move { self.load_file_preview_in(obj, options, None).await }
            .instrument(span)
            .await
    }

    pub(crate) async fn load_file_preview_in(
        &self,
        obj: &S3Object,
        options: &PreviewOptions,
        s3_resource_path: Option<&str>,
    ) -> Result<FilePreview> {
        obj.validate()?;
        if options
            .read_bytes_length
            .is_some_and(|n| n > MAX_PREVIEW_BYTES)
        {
            return Err(Error::invalid(
                "preview length",
                format!("the server previews at most {MAX_PREVIEW_BYTES} bytes"),
            ));
        }
        let (from, length, size) = (
            number(options.read_bytes_from),
            number(options.read_bytes_length),
            number(options.file_size_in_bytes),
        );
        let has_header = options.csv_has_header.map(|b| b.to_string());
        self.read_request(
            "job_helpers/load_file_preview",
            &[
                ("file_key", Some(obj.key())),
                ("file_size_in_bytes", size.as_deref()),
                ("file_mime_type", options.file_mime_type.as_deref()),
                ("csv_separator", options.csv_separator.as_deref()),
                ("csv_has_header", has_header.as_deref()),
                ("read_bytes_from", from.as_deref()),
                ("read_bytes_length", length.as_deref()),
                ("storage", obj.storage()),
                ("s3_resource_path", s3_resource_path),
            ],
        )
        .not_found(ItemKind::Object, obj.to_string())
        .send_json()
        .await
    }

    /// `GET /w/{ws}/job_helpers/check_s3_folder_exists?file_key=..[&marker_file=..]`: whether
    /// something exists at `folder` in the default storage, and whether it is a folder. With
    /// `marker_file`, the folder counts only when that file is present in it (a fully written
    /// folder rather than a partial upload).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before any request when `folder` names a storage (the endpoint
    /// reads the default storage only) or is empty.
    pub async fn check_s3_folder_exists(
        &self,
        folder: &str,
        marker_file: Option<&str>,
    ) -> Result<FolderCheck> {
        let span = call_span!(
            "check_s3_folder_exists",
            workspace = self.workspace(),
            folder = folder
        );
        async move {
            let key = folder.trim_matches('/');
            if key.is_empty() || key.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "S3 folder",
                    format!("{folder:?} is empty or holds a control character"),
                ));
            }
            self.read_request(
                "job_helpers/check_s3_folder_exists",
                &[("file_key", Some(key)), ("marker_file", marker_file)],
            )
            .send_json()
            .await
        }
        .instrument(span)
        .await
    }

    /// `GET /w/{ws}/job_helpers/download_s3_parquet_file_as_csv?file_key=..`: a Parquet file
    /// of the default storage (or of the S3 resource at `s3_resource_path`), converted to CSV
    /// by the server.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before any request when `obj` names a storage (the endpoint
    /// takes none: pass its resource path instead); [`Error::NotFound`] for a missing file.
    pub async fn download_s3_parquet_file_as_csv(
        &self,
        obj: &S3Object,
        s3_resource_path: Option<&str>,
    ) -> Result<Bytes> {
        let span = call_span!(
            "download_s3_parquet_file_as_csv",
            workspace = self.workspace(),
            storage = obj.storage(),
            key = obj.key(),
            resource = s3_resource_path
        );
        async move {
            obj.validate()?;
            if obj.storage().is_some() {
                return Err(Error::invalid(
                    "S3 object",
                    format!(
                        "{obj}: download_s3_parquet_file_as_csv reads the default storage or an S3 \
                         resource (s3_resource_path), not a named storage"
                    ),
                ));
            }
            let resource = s3_resource_path
                .map(wmill_core::ItemPath::parse_resource_ref)
                .transpose()?;
            self.read_request(
                "job_helpers/download_s3_parquet_file_as_csv",
                &[
                    ("file_key", Some(obj.key())),
                    ("s3_resource_path", resource.as_ref().map(|p| p.as_str())),
                ],
            )
            .not_found(ItemKind::Object, location(None, obj.key()))
            .send_bytes()
            .await
        }
        .instrument(span)
        .await
    }

    /// `GET /w/{ws}/job_helpers/test_connection[?storage=..]`: whether the server reaches the
    /// storage (`None`: the default one). A storage the server cannot reach is an error with
    /// the server's message ([`Error::Api`] with status 500).
    pub async fn test_connection(&self, storage: Option<&str>) -> Result<Value> {
        let span = call_span!(
            "test_connection",
            workspace = self.workspace(),
            storage = storage
        );
        async move {
            if let Some(name) = storage {
                crate::object::validate_storage(name)?;
            }
            let resp = self
                .read_request("job_helpers/test_connection", &[("storage", storage)])
                .send_bytes()
                .await?;
            // The server answers JSON `null` (or an empty body on some versions).
            if resp.iter().all(u8::is_ascii_whitespace) {
                return Ok(Value::Null);
            }
            serde_json::from_slice(&resp)
                .map_err(|e| unexpected_answer("GET /job_helpers/test_connection", &resp, e))
        }
        .instrument(span)
        .await
    }

    /// `GET /w/{ws}/job_helpers/storage_usage[?refresh=true]`: bytes stored per storage (and
    /// the quota on Community Edition). `refresh` recounts instead of returning cached
    /// figures.
    pub async fn storage_usage(&self, refresh: bool) -> Result<StorageUsage> {
        let span = call_span!("storage_usage", workspace = self.workspace());
        async move {
            self.read_request(
                "job_helpers/storage_usage",
                &[("refresh", refresh.then_some("true"))],
            )
            .send_json()
            .await
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests;
