//! [`WindmillHelperStore`]: an [`ObjectStore`](object_store::ObjectStore) over the server's
//! `job_helpers` file endpoints, the way the Python client moves files when the worker cannot
//! reach the storage itself. This file holds the store and the requests it sends; the
//! `ObjectStore` implementation is in `job_helpers_store/object_store_impl.rs`, over
//! `read.rs` (downloads, ranges, previews), `listing.rs` (paged listings) and `upload.rs`
//! (streamed multipart uploads).

use std::fmt;

use chrono::{DateTime, Utc};
use object_store::path::Path;
use object_store::{Attribute, Attributes, ObjectMeta};
use serde::Deserialize;
use wmill_core::{Error, ItemKind};
use wmill_http::Request;
use wmill_http::reqwest::Method;
use wmill_http::reqwest::header::HeaderValue;

use super::WindmillConnection;
use crate::error::{location, to_store_error};

mod listing;
mod object_store_impl;
mod read;
mod upload;

const STORE: &str = "WindmillHelpers";

/// An [`ObjectStore`](object_store::ObjectStore) for one workspace storage, over Windmill's `job_helpers` endpoints:
///
/// Requests name the storage (`storage=`, absent for the default one), or with
/// [`WindmillHelperStore::for_resource`] an S3 resource (`s3_resource_path=`).
///
/// | object_store | Windmill |
/// |---|---|
/// | `put_opts`, `put_multipart_opts` | `POST /w/{ws}/job_helpers/upload_s3_file?file_key=&storage=&content_type=&content_disposition=` (body streamed, `application/octet-stream`) |
/// | `get_opts` | `GET /w/{ws}/job_helpers/download_s3_file?file_key=&storage=` (ranges are cut from the stream client-side) |
/// | `get_opts` with a range of a text file (`.json`, `.yaml`, `.yml`, `.xml`, `.txt`, `.log`) of at most 8 MiB | `load_file_metadata`, then `GET /w/{ws}/job_helpers/load_file_preview?file_key=&file_size_in_bytes=&read_bytes_from=&read_bytes_length=&storage=`, which reads only that range; when the server's preview is not exactly those bytes (not UTF-8, an older server), the download above |
/// | `get_opts` with `head` | `GET /w/{ws}/job_helpers/load_file_metadata?file_key=&storage=` |
/// | `delete_stream` | `DELETE /w/{ws}/job_helpers/delete_s3_file?file_key=&storage=` |
/// | `list`, `list_with_delimiter` | `GET /w/{ws}/job_helpers/list_stored_files_paged?prefix=&max_keys=1000&page_token=&storage=` |
/// | `rename_opts` | `GET /w/{ws}/job_helpers/move_s3_file?src_file_key=&dest_file_key=&storage=` |
///
/// A multipart upload here is a single streamed request: parts are sent in order as they come,
/// so memory stays bounded; aborting it breaks the request off (the server stores nothing).
/// Copies and conditional requests are not supported by the server (`NotImplemented`).
///
/// Errors keep their type: HTTP failures come back from [`crate::S3Client`] as the
/// `wmill_core::Error` the status maps to.
#[derive(Clone, Debug)]
pub struct WindmillHelperStore {
    conn: WindmillConnection,
    storage: Option<String>,
    s3_resource_path: Option<String>,
}

impl fmt::Display for WindmillHelperStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WindmillHelpers({}, storage {})",
            self.conn.base_url(),
            self.storage.as_deref().unwrap_or("_default_")
        )
    }
}

#[derive(Deserialize)]
struct FileMetadata {
    #[serde(default)]
    size_in_bytes: Option<u64>,
    #[serde(default)]
    last_modified: Option<String>,
    #[serde(default)]
    version_id: Option<String>,
}

#[derive(Deserialize)]
struct UploadAnswer {
    #[allow(dead_code)]
    file_key: String,
}

/// A time the server sent: RFC 3339 (listings, metadata) or an HTTP date (`Last-Modified`);
/// the epoch when it is neither.
fn parse_time(text: Option<&str>) -> DateTime<Utc> {
    text.and_then(|t| {
        wmill_core::timestamp_from_rfc3339(t)
            .map(DateTime::<Utc>::from)
            .or_else(|| {
                DateTime::parse_from_rfc2822(t)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            })
    })
    .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn octet_stream() -> HeaderValue {
    HeaderValue::from_static("application/octet-stream")
}

fn not_implemented(operation: &str) -> object_store::Error {
    object_store::Error::NotImplemented {
        operation: operation.to_owned(),
        implementer: STORE.to_owned(),
    }
}

/// `NotImplemented` when `attrs` hold more than a content type and disposition (the upload
/// endpoint keeps nothing else): the writer then retries with fewer.
fn only_content_attributes(attrs: &Attributes) -> object_store::Result<()> {
    if attrs
        .iter()
        .all(|(k, _)| matches!(k, Attribute::ContentType | Attribute::ContentDisposition))
    {
        Ok(())
    } else {
        Err(not_implemented(
            "attributes other than content type and disposition",
        ))
    }
}

fn attr(attrs: &Attributes, which: &Attribute) -> Option<String> {
    attrs.get(which).map(|v| v.as_ref().to_owned())
}

impl WindmillHelperStore {
    /// The store for `storage` (`None`: the workspace's default storage).
    pub fn new(conn: WindmillConnection, storage: Option<&str>) -> Self {
        WindmillHelperStore {
            conn,
            storage: storage.filter(|s| !s.is_empty()).map(str::to_owned),
            s3_resource_path: None,
        }
    }

    /// The store for an S3 resource that is not a workspace storage (the Python client's
    /// `s3_resource_path` argument): every request carries `s3_resource_path=<path>`.
    pub fn for_resource(conn: WindmillConnection, s3_resource_path: impl Into<String>) -> Self {
        WindmillHelperStore {
            conn,
            storage: None,
            s3_resource_path: Some(s3_resource_path.into()).filter(|p| !p.is_empty()),
        }
    }

    fn err(&self, e: Error) -> object_store::Error {
        to_store_error(e, STORE)
    }

    /// `POST job_helpers/upload_s3_file?file_key=..`: an upload overwrites the object, so
    /// repeating it is harmless (when its body can be sent again).
    fn upload_request<'c>(
        conn: &'c WindmillConnection,
        storage: Option<&str>,
        s3_resource_path: Option<&str>,
        key: &str,
        attrs: &Attributes,
    ) -> Request<'c> {
        let content_type = attr(attrs, &Attribute::ContentType);
        let disposition = attr(attrs, &Attribute::ContentDisposition);
        conn.request(
            Method::POST,
            "job_helpers/upload_s3_file",
            &[
                ("file_key", Some(key)),
                ("storage", storage),
                ("s3_resource_path", s3_resource_path),
                ("content_type", content_type.as_deref()),
                ("content_disposition", disposition.as_deref()),
            ],
        )
        .idempotent()
        .not_found(ItemKind::Object, key.to_owned())
    }

    /// A `job_helpers` request about `key` in this store.
    fn key_request(&self, method: Method, path: &str, key: &str) -> Request<'_> {
        self.conn
            .request(
                method,
                path,
                &[
                    ("file_key", Some(key)),
                    ("storage", self.storage.as_deref()),
                    ("s3_resource_path", self.s3_resource_path.as_deref()),
                ],
            )
            .not_found(ItemKind::Object, location(self.storage.as_deref(), key))
    }

    async fn metadata(&self, key: &str) -> Result<ObjectMeta, Error> {
        let meta: FileMetadata = self
            .key_request(Method::GET, "job_helpers/load_file_metadata", key)
            .idempotent()
            .send_json()
            .await?;
        // Size 0 would be a wrong value presented as the object's: no size, no metadata.
        let size = meta.size_in_bytes.ok_or_else(|| Error::Decode {
            request: "GET /job_helpers/load_file_metadata".into(),
            body_excerpt: String::new(),
            source: format!(
                "the server did not give the size of {}",
                location(self.storage.as_deref(), key)
            )
            .into(),
        })?;
        Ok(ObjectMeta {
            location: Path::from(key),
            last_modified: parse_time(meta.last_modified.as_deref()),
            size,
            e_tag: None,
            version: meta.version_id,
        })
    }
}

#[cfg(test)]
mod tests;
