//! Ready-made stores to plug into a [`StaticResolver`](crate::StaticResolver), and the error
//! mapping for code that uses the [`ObjectStore`] escape hatch directly.

use std::sync::Arc;

use object_store::ObjectStore;
use wmill_core::Error;

use crate::S3Object;

/// A fresh in-memory store (`object_store::memory::InMemory`): tests, examples, local runs.
///
/// ```
/// let client = wmill_s3::S3Client::from_store(wmill_s3::stores::in_memory());
/// ```
pub fn in_memory() -> Arc<dyn ObjectStore> {
    Arc::new(object_store::memory::InMemory::new())
}

/// A local directory as a storage (created if missing); keys are paths below it.
/// Content type and disposition are not kept by this store (writes succeed without them).
///
/// ```
/// # fn main() -> wmill_core::Result<()> {
/// let dir = std::env::temp_dir().join("wmill-s3-doc-local");
/// let client = wmill_s3::S3Client::from_store(wmill_s3::stores::local_directory(&dir)?);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::Storage`] when the directory cannot be created or opened.
#[cfg(feature = "fs")]
pub fn local_directory(
    path: impl AsRef<std::path::Path>,
) -> wmill_core::Result<Arc<dyn ObjectStore>> {
    let path = path.as_ref();
    let op = || format!("open local directory {}", path.display());
    std::fs::create_dir_all(path).map_err(|e| Error::Storage {
        operation: op(),
        source: Box::new(e),
    })?;
    let store = object_store::local::LocalFileSystem::new_with_prefix(path).map_err(|e| {
        Error::Storage {
            operation: op(),
            source: Box::new(e),
        }
    })?;
    Ok(Arc::new(store))
}

/// Maps an error of an [`ObjectStore`] call about `object` the way [`S3Client`](crate::S3Client)
/// does: not found -> [`Error::NotFound`], refused credentials -> [`Error::Unauthorized`],
/// anything else -> [`Error::Storage`] naming `operation` and `s3://storage/key`, source kept.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use wmill_s3::object_store::ObjectStoreExt;
/// let client = wmill_s3::S3Client::from_store(wmill_s3::stores::in_memory());
/// let obj = wmill_s3::S3Object::new("raw.bin")?;
/// let store = client.object_store(obj.storage()).await?;
/// let err = store.head(&obj.key().into()).await.map_err(|e| wmill_s3::stores::store_error(e, "head", &obj)).unwrap_err();
/// assert!(err.is_not_found());
/// # Ok(()) }
/// ```
pub fn store_error(err: object_store::Error, operation: &str, object: &S3Object) -> Error {
    crate::error::map_store_error(err, operation, object.storage(), object.key())
}
