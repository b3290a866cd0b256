//! What a storage knows about its files: [`S3FileMeta`], [`S3Listing`], and the [`S3Client`]
//! calls that read them (metadata, existence, listings).

use std::time::SystemTime;

use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{GetOptions, ObjectMeta};
use wmill_core::{Error, ItemKind, Result};

use crate::error::map_store_error;
use crate::{S3Client, S3Object};

/// What the storage knows about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct S3FileMeta {
    /// The file.
    pub object: S3Object,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time.
    pub last_modified: SystemTime,
    /// The store's entity tag, if any.
    pub e_tag: Option<String>,
    /// The version, if the store versions objects.
    pub version: Option<String>,
}

impl S3FileMeta {
    fn from_meta(meta: ObjectMeta, storage: Option<&str>) -> Result<Self> {
        let object = S3Object::new(meta.location.as_ref())?.with_storage_opt(storage);
        Ok(S3FileMeta {
            object,
            size: meta.size,
            last_modified: SystemTime::from(meta.last_modified),
            e_tag: meta.e_tag,
            version: meta.version,
        })
    }
}

/// One level of a listing: the sub-folders (prefixes ending with `/`) and the files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct S3Listing {
    /// Sub-folders, as key prefixes ending with `/`.
    pub folders: Vec<String>,
    /// Files directly at this level.
    pub files: Vec<S3FileMeta>,
}

impl S3Client {
    /// Size, modification time and entity tag of `obj` (a `HEAD` request).
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.storage(), key = obj.key()))]
    pub async fn load_s3_file_metadata(&self, obj: &S3Object) -> Result<S3FileMeta> {
        let head = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let meta = self.get(obj, head, "head").await?.meta;
        let mut out = S3FileMeta::from_meta(meta, obj.storage())?;
        out.object = obj.clone();
        Ok(out)
    }

    /// Whether `obj` exists. A missing storage (or S3 resource) is an error, not `false`.
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.storage(), key = obj.key()))]
    pub async fn s3_object_exists(&self, obj: &S3Object) -> Result<bool> {
        match self.load_s3_file_metadata(obj).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound {
                kind: ItemKind::Object,
                ..
            }) => Ok(false),
            Err(e) => Err(e),
        }
    }
    /// Every file of `storage` whose key starts with the folder `prefix` (by path segment:
    /// `a/b` matches `a/b/c` but not `a/bc`), recursively, as a stream (pages fetched on demand).
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = storage, prefix = prefix))]
    pub async fn list_s3_objects(
        &self,
        storage: Option<&str>,
        prefix: Option<&str>,
    ) -> Result<BoxStream<'static, Result<S3FileMeta>>> {
        let prefix = self.prefix_path(prefix)?;
        let store = self.object_store(storage).await?;
        let storage = storage.map(str::to_owned);
        let prefix_text = prefix.as_ref().map(|p| p.to_string()).unwrap_or_default();
        Ok(store
            .list(prefix.as_ref())
            .map(move |item| match item {
                Ok(meta) => S3FileMeta::from_meta(meta, storage.as_deref()),
                Err(e) => Err(map_store_error(e, "list", storage.as_deref(), &prefix_text)),
            })
            .boxed())
    }

    /// One level of `storage` under the folder `prefix`: sub-folders and files.
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = storage, prefix = prefix))]
    pub async fn list_s3_folder(
        &self,
        storage: Option<&str>,
        prefix: Option<&str>,
    ) -> Result<S3Listing> {
        let prefix = self.prefix_path(prefix)?;
        let store = self.object_store(storage).await?;
        let prefix_text = prefix.as_ref().map(|p| p.to_string()).unwrap_or_default();
        let listed = store
            .list_with_delimiter(prefix.as_ref())
            .await
            .map_err(|e| map_store_error(e, "list", storage, &prefix_text))?;
        Ok(S3Listing {
            folders: listed
                .common_prefixes
                .into_iter()
                .map(|p| format!("{p}/"))
                .collect(),
            files: listed
                .objects
                .into_iter()
                .map(|m| S3FileMeta::from_meta(m, storage))
                .collect::<Result<_>>()?,
        })
    }

    fn prefix_path(&self, prefix: Option<&str>) -> Result<Option<Path>> {
        match prefix.map(|p| p.trim_end_matches('/')) {
            None | Some("") => Ok(None),
            Some(p) => Path::parse(p).map(Some).map_err(|e| Error::InvalidInput {
                what: "S3 prefix",
                reason: format!("{p:?}: {e}"),
            }),
        }
    }
}
