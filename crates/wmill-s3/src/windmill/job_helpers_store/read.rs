//! Downloads through `job_helpers/download_s3_file`: whole objects, byte ranges cut from the
//! stream, and small ranges of text files read through `load_file_preview`.

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, GetOptions, GetRange, GetResult, GetResultPayload, ObjectMeta,
};
use wmill_http::reqwest::Method;
use wmill_http::reqwest::header::{self, HeaderName};

use super::super::helper_endpoints::{
    FilePreview, MAX_PREVIEW_BYTES, PreviewContentType, PreviewOptions, previews_as_raw_text,
};
use super::{STORE, WindmillHelperStore, not_implemented, parse_time};
use crate::S3Object;
use crate::error::to_store_error;

impl WindmillHelperStore {
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

    /// `get_opts`: metadata for `head`, a preview for a small range of a text file, else the
    /// download (a range cut from its stream).
    pub(super) async fn download(
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
}

/// Keeps bytes `range` of a stream that starts at offset 0.
pub(super) fn slice_stream(
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
