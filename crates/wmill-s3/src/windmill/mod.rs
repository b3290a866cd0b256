//! The `windmill` feature: storages resolved by the Windmill server, signing, presigned URLs
//! and connection settings.

mod client_ext;
mod connection;
mod credentials;
mod helper_endpoints;
mod job_helpers_store;
mod resolver;
mod settings;
mod settings_endpoints;
mod store_builders;

pub use client_ext::PresignOptions;
pub use connection::WindmillConnection;
pub use helper_endpoints::{
    FilePreview, FolderCheck, MAX_PREVIEW_BYTES, PreviewContentType, PreviewOptions, StorageUsage,
    StorageUsageEntry,
};
pub use job_helpers_store::WindmillHelperStore;
pub use resolver::{StorageAccess, WindmillResolver};
pub use settings::{
    Boto3Settings, DuckdbSettings, PolarsSettings, ProxyCredentials, S3ResourceInfo,
};
