//! `impl ObjectStore for WindmillHelperStore`: each operation, mapped to its `job_helpers`
//! endpoint (the table on [`WindmillHelperStore`]).

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
    RenameTargetMode,
};
use wmill_core::ItemKind;
use wmill_http::reqwest::Method;

use super::{
    UploadAnswer, WindmillHelperStore, not_implemented, octet_stream, only_content_attributes,
};
use crate::error::location;

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
        self.start_upload(location, opts)
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.download(location, options).await
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
        self.list_all(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.list_one_level(prefix).await
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
