//! The [`S3Client`] calls that remove or move objects.

use futures::StreamExt;
use wmill_core::Result;

use crate::client::to_path;
use crate::{S3Client, S3Object, WriteOptions};

impl S3Client {
    /// Deletes `obj`. Deleting a missing key succeeds on S3 (it is idempotent there).
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = obj.storage(), key = obj.key()))]
    pub async fn delete_s3_object(&self, obj: &S3Object) -> Result<()> {
        let path = to_path(obj)?;
        let store = self.object_store(obj.storage()).await?;
        let mut results = store.delete_stream(futures::stream::iter([Ok(path)]).boxed());
        while let Some(res) = results.next().await {
            res.map_err(|e| self.fail(e, "delete", obj))?;
        }
        Ok(())
    }

    /// Moves (renames) `from` to `to`, replacing what `to` held. Within one storage this is
    /// the store's own rename (on S3 a server-side copy, then a delete of the source; through
    /// Windmill's helpers, `job_helpers/move_s3_file`). Across storages it is a streamed copy
    /// (bounded memory; the content type is not carried over), then the delete. Either way the
    /// source is removed only after the destination is complete. Moving an object onto itself
    /// does nothing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// # use std::sync::Arc;
    /// use wmill_s3::{S3Client, S3Object, WriteOptions};
    /// let client = S3Client::from_store(Arc::new(wmill_s3::object_store::memory::InMemory::new()));
    /// let draft = S3Object::new("reports/draft.csv")?;
    /// let final_ = S3Object::new("reports/2026-11.csv")?;
    /// client.write_s3_file(Some(&draft), "a,b\n", &WriteOptions::new()).await?;
    /// client.move_s3_object(&draft, &final_).await?;
    /// assert!(!client.s3_object_exists(&draft).await?);
    /// assert_eq!(client.load_s3_file(&final_).await?, "a,b\n");
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = from.storage(), key = from.key(), to_storage = to.storage(), to_key = to.key()))]
    pub async fn move_s3_object(&self, from: &S3Object, to: &S3Object) -> Result<()> {
        let (src, dst) = (to_path(from)?, to_path(to)?);
        from.validate()?;
        to.validate()?;
        if from.storage() == to.storage() {
            if src == dst {
                // A copy onto itself then a delete would lose the object.
                return Ok(());
            }
            let store = self.object_store(from.storage()).await?;
            return store
                .rename_opts(&src, &dst, Default::default())
                .await
                .map_err(|e| self.fail(e, "move", from));
        }
        let content = self.load_s3_file_stream(from).await?;
        self.write_s3_file_stream(Some(to), content, &WriteOptions::new())
            .await?;
        self.delete_s3_object(from).await
    }
}
