//! [`WindmillHelperStore`]: an [`ObjectStore`] over the server's `job_helpers` file endpoints,
//! the way the Python client moves files when the worker cannot reach the storage itself.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::future::{BoxFuture, Shared};
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, CopyOptions, GetOptions, GetRange, GetResult, GetResultPayload,
    ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMode, PutMultipartOptions, PutOptions,
    PutPayload, PutResult, RenameOptions, RenameTargetMode, UploadPart,
};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use wmill_core::{Error, ItemKind};

use wmill_http::Request;
use wmill_http::reqwest::Method;
use wmill_http::reqwest::header::{self, HeaderName, HeaderValue};

use super::WindmillConnection;
use super::helper_endpoints::{
    FilePreview, MAX_PREVIEW_BYTES, PreviewContentType, PreviewOptions, previews_as_raw_text,
};
use crate::S3Object;
use crate::error::{location, to_store_error};

const STORE: &str = "WindmillHelpers";

/// An [`ObjectStore`] for one workspace storage, over Windmill's `job_helpers` endpoints:
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
#[derive(Clone)]
pub struct WindmillHelperStore {
    conn: WindmillConnection,
    storage: Option<String>,
    s3_resource_path: Option<String>,
}

impl fmt::Debug for WindmillHelperStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindmillHelperStore")
            .field("conn", &self.conn)
            .field("storage", &self.storage)
            .field("s3_resource_path", &self.s3_resource_path)
            .finish()
    }
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
struct Folder {
    prefix: String,
}

#[derive(Deserialize)]
struct StoredFile {
    key: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    last_modified: Option<String>,
}

/// One page of `list_stored_files_paged`: `folders` and `files` are required (the spec's
/// `required`): an answer without them is a decode error, never an empty folder.
#[derive(Deserialize)]
struct Page {
    folders: Vec<Folder>,
    files: Vec<StoredFile>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct UploadAnswer {
    #[allow(dead_code)]
    file_key: String,
}

fn parse_time(text: Option<&str>) -> DateTime<Utc> {
    text.and_then(|t| {
        DateTime::parse_from_rfc3339(t)
            .or_else(|_| DateTime::parse_from_rfc2822(t))
            .ok()
    })
    .map(|t| t.with_timezone(&Utc))
    .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// A listing whose page names a folder that is not below the one listed would never end.
fn folder_outside(prefix: &str, folder: &str) -> object_store::Error {
    object_store::Error::Generic {
        store: STORE,
        source: format!(
            "listing {prefix:?}: the server named {folder:?} as a sub-folder (the listing would never end)"
        )
        .into(),
    }
}

/// A listing whose server repeats a page token would never end: it stops with this error.
fn repeated_token(prefix: &str) -> object_store::Error {
    object_store::Error::Generic {
        store: STORE,
        source: format!(
            "listing {prefix:?}: the server sent a page token it had already sent (the listing would never end)"
        )
        .into(),
    }
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

    /// A range of a text file through `load_file_preview`, which reads only that range on the
    /// server: `None` (download the file and cut the range) unless the server gave exactly the
    /// bytes asked for. Costs a metadata call for the size.
    async fn ranged_preview(
        &self,
        location: &Path,
        range: &GetRange,
    ) -> object_store::Result<Option<GetResult>> {
        let key = location.as_ref();
        let Ok(obj) = S3Object::new(key) else {
            return Ok(None);
        };
        let obj = obj.with_storage_opt(self.storage.as_deref());
        let meta = self.metadata(key).await.map_err(|e| self.err(e))?;
        let wanted = range
            .as_range(meta.size)
            .map_err(|e| object_store::Error::Generic {
                store: STORE,
                source: Box::new(e),
            })?;
        let length = wanted.end - wanted.start;
        if length == 0 || length > MAX_PREVIEW_BYTES {
            return Ok(None);
        }
        let options = PreviewOptions::new()
            .bytes(wanted.start, length)
            .file_size(meta.size);
        let preview = self
            .conn
            .load_file_preview_in(&obj, &options, self.s3_resource_path.as_deref())
            .await
            .map_err(|e| self.err(e))?;
        let content = match preview {
            FilePreview {
                content_type: PreviewContentType::RawText,
                content: Some(text),
                ..
            } if text.len() as u64 == length => Bytes::from(text),
            _ => {
                tracing::debug!(
                    key,
                    "load_file_preview did not give the exact range: downloading the file"
                );
                return Ok(None);
            }
        };
        Ok(Some(GetResult {
            payload: GetResultPayload::Stream(futures::stream::once(async { Ok(content) }).boxed()),
            meta,
            range: wanted,
            attributes: Attributes::new(),
            extensions: Default::default(),
        }))
    }

    async fn page(&self, prefix: &str, token: Option<&str>) -> Result<Page, Error> {
        self.conn
            .request(
                Method::GET,
                "job_helpers/list_stored_files_paged",
                &[
                    ("prefix", Some(prefix)),
                    ("max_keys", Some("1000")),
                    ("page_token", token),
                    ("storage", self.storage.as_deref()),
                    ("s3_resource_path", self.s3_resource_path.as_deref()),
                ],
            )
            .idempotent()
            .not_found(
                ItemKind::Storage,
                self.storage.as_deref().unwrap_or("_default_").to_owned(),
            )
            .send_json()
            .await
    }
}

fn folder_prefix(prefix: Option<&Path>) -> String {
    match prefix {
        Some(p) if !p.as_ref().is_empty() => format!("{}/", p.as_ref()),
        _ => String::new(),
    }
}

fn file_meta(f: StoredFile) -> Option<ObjectMeta> {
    let location = Path::parse(&f.key).ok()?;
    Some(ObjectMeta {
        location,
        last_modified: parse_time(f.last_modified.as_deref()),
        size: f.size.unwrap_or(0),
        e_tag: None,
        version: None,
    })
}

#[async_trait]
impl ObjectStore for WindmillHelperStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        if !matches!(opts.mode, PutMode::Overwrite) {
            return Err(not_implemented("conditional put"));
        }
        only_content_attributes(&opts.attributes)?;
        let chunks: Vec<Bytes> = payload.into_iter().collect();
        let _: UploadAnswer = Self::upload_request(
            &self.conn,
            self.storage.as_deref(),
            self.s3_resource_path.as_deref(),
            location.as_ref(),
            &opts.attributes,
        )
        .body_chunks(chunks, octet_stream())
        .send_json()
        .await
        .map_err(|e| self.err(e))?;
        Ok(PutResult {
            e_tag: None,
            version: None,
            extensions: Default::default(),
        })
    }

    async fn put_multipart_opts(
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
                store: "WindmillHelpers",
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

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        if options.if_match.is_some()
            || options.if_none_match.is_some()
            || options.if_modified_since.is_some()
            || options.if_unmodified_since.is_some()
            || options.version.is_some()
        {
            return Err(not_implemented("conditional or versioned get"));
        }
        let key = location.as_ref();
        if options.head {
            let meta = self.metadata(key).await.map_err(|e| self.err(e))?;
            return Ok(GetResult {
                payload: GetResultPayload::Stream(futures::stream::empty().boxed()),
                range: 0..meta.size,
                meta,
                attributes: Attributes::new(),
                extensions: Default::default(),
            });
        }
        if let Some(range) = &options.range
            && previews_as_raw_text(key)
            && let Some(result) = self.ranged_preview(location, range).await?
        {
            return Ok(result);
        }
        let resp = self
            .key_request(Method::GET, "job_helpers/download_s3_file", key)
            .idempotent()
            .send_stream()
            .await
            .map_err(|e| self.err(e))?;
        let headers = resp.headers().clone();
        let header = |name: HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let size = match resp.content_length() {
            Some(n) => n,
            None => self.metadata(key).await.map_err(|e| self.err(e))?.size,
        };
        let mut attributes = Attributes::new();
        if let Some(ct) = header(header::CONTENT_TYPE) {
            attributes.insert(Attribute::ContentType, ct.into());
        }
        if let Some(cd) = header(header::CONTENT_DISPOSITION) {
            attributes.insert(Attribute::ContentDisposition, cd.into());
        }
        let meta = ObjectMeta {
            location: location.clone(),
            last_modified: parse_time(header(header::LAST_MODIFIED).as_deref()),
            size,
            e_tag: header(header::ETAG),
            version: None,
        };
        let range = match &options.range {
            None => 0..size,
            Some(r) => r.as_range(size).map_err(|e| object_store::Error::Generic {
                store: STORE,
                source: Box::new(e),
            })?,
        };
        let raw = resp.into_stream().map_err(|e| to_store_error(e, STORE));
        let payload = if range == (0..size) {
            raw.boxed()
        } else {
            slice_stream(raw.boxed(), range.clone())
        };
        Ok(GetResult {
            payload: GetResultPayload::Stream(payload),
            meta,
            range,
            attributes,
            extensions: Default::default(),
        })
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let this = self.clone();
        locations
            .then(move |path| {
                let this = this.clone();
                async move {
                    let path = path?;
                    this.key_request(Method::DELETE, "job_helpers/delete_s3_file", path.as_ref())
                        .idempotent()
                        .send_empty()
                        .await
                        .map_err(|e| this.err(e))?;
                    Ok(path)
                }
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let this = self.clone();
        let start = vec![(folder_prefix(prefix), None::<String>)];
        let seen = std::collections::HashSet::<(String, String)>::new();
        let state = (this, start, seen);
        futures::stream::try_unfold(state, |(this, mut stack, mut seen)| async move {
            let Some((prefix, token)) = stack.pop() else {
                return Ok::<_, object_store::Error>(None);
            };
            let page = this
                .page(&prefix, token.as_deref())
                .await
                .map_err(|e| this.err(e))?;
            // A sub-folder is strictly below the folder listed: anything else (the folder
            // itself, a parent, a sibling) would make the walk go round for ever.
            if let Some(outside) = page
                .folders
                .iter()
                .find(|f| f.prefix.len() <= prefix.len() || !f.prefix.starts_with(&prefix))
            {
                return Err(folder_outside(&prefix, &outside.prefix));
            }
            if let Some(next) = page.next_page_token.filter(|t| !t.is_empty()) {
                if !seen.insert((prefix.clone(), next.clone())) {
                    return Err(repeated_token(&prefix));
                }
                stack.push((prefix, Some(next)));
            }
            for folder in page.folders {
                stack.push((folder.prefix, None));
            }
            let files: Vec<object_store::Result<ObjectMeta>> = page
                .files
                .into_iter()
                .filter_map(file_meta)
                .map(Ok)
                .collect();
            Ok(Some((futures::stream::iter(files), (this, stack, seen))))
        })
        .try_flatten()
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        let folder = folder_prefix(prefix);
        let mut result = ListResult {
            common_prefixes: Vec::new(),
            objects: Vec::new(),
            extensions: Default::default(),
        };
        let mut token: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        loop {
            let page = self
                .page(&folder, token.as_deref())
                .await
                .map_err(|e| self.err(e))?;
            result.common_prefixes.extend(
                page.folders
                    .into_iter()
                    .filter_map(|f| Path::parse(f.prefix.trim_end_matches('/')).ok()),
            );
            result
                .objects
                .extend(page.files.into_iter().filter_map(file_meta));
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if !seen.insert(next.clone()) => return Err(repeated_token(&folder)),
                Some(next) => token = Some(next),
                None => break,
            }
        }
        Ok(result)
    }

    async fn copy_opts(
        &self,
        _from: &Path,
        _to: &Path,
        _options: CopyOptions,
    ) -> object_store::Result<()> {
        Err(not_implemented("copy"))
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        if !matches!(options.target_mode, RenameTargetMode::Overwrite) {
            return Err(not_implemented("rename if not exists"));
        }
        // Not idempotent: a repeated move finds its source gone. Retried only when the
        // connection could not be opened.
        self.conn
            .request(
                Method::GET,
                "job_helpers/move_s3_file",
                &[
                    ("src_file_key", Some(from.as_ref())),
                    ("dest_file_key", Some(to.as_ref())),
                    ("storage", self.storage.as_deref()),
                    ("s3_resource_path", self.s3_resource_path.as_deref()),
                ],
            )
            .not_found(
                ItemKind::Object,
                location(self.storage.as_deref(), from.as_ref()),
            )
            .send_empty()
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}

/// Keeps bytes `range` of a stream that starts at offset 0.
fn slice_stream(
    stream: BoxStream<'static, object_store::Result<Bytes>>,
    range: std::ops::Range<u64>,
) -> BoxStream<'static, object_store::Result<Bytes>> {
    // Stops (and drops the download) once the range is delivered, rather than reading the
    // rest of the object.
    futures::stream::try_unfold((stream, 0u64), move |(mut stream, mut offset)| async move {
        loop {
            if offset >= range.end {
                return Ok(None);
            }
            let Some(chunk) = stream.try_next().await? else {
                return Ok(None);
            };
            let start = offset;
            let end = start.saturating_add(chunk.len() as u64);
            offset = end;
            let lo = range.start.max(start);
            let hi = range.end.min(end);
            if lo < hi {
                let piece = chunk.slice((lo - start) as usize..(hi - start) as usize);
                return Ok(Some((piece, (stream, offset))));
            }
        }
    })
    .boxed()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slicing_cuts_across_chunks() {
        let chunks: Vec<object_store::Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"0123")),
            Ok(Bytes::from_static(b"4567")),
            Ok(Bytes::from_static(b"89")),
        ];
        let out: Vec<Bytes> = slice_stream(futures::stream::iter(chunks).boxed(), 3..9)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(out.concat(), b"345678");
    }

    #[tokio::test]
    async fn slicing_stops_reading_after_the_range() {
        // What comes after the range is never read: here it would fail.
        let chunks: Vec<object_store::Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"0123")),
            Ok(Bytes::from_static(b"4567")),
            Err(object_store::Error::Generic {
                store: "test",
                source: "read past the range".into(),
            }),
        ];
        let out: Vec<Bytes> = slice_stream(futures::stream::iter(chunks).boxed(), 2..8)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(out.concat(), b"234567");
    }

    #[test]
    fn times_parse() {
        assert_eq!(
            parse_time(Some("2024-01-02T03:04:05Z")).timestamp(),
            1704164645
        );
        assert_eq!(parse_time(Some("garbage")), DateTime::<Utc>::UNIX_EPOCH);
    }
}
