//! The `windmill` feature: storages resolved by the Windmill server, signing, presigned URLs
//! and connection settings.

mod api;
mod client_ext;
mod connection;
mod helpers_store;
mod resolver;

pub use api::{Boto3Settings, DuckdbSettings, PolarsSettings, ProxyCredentials, S3ResourceInfo};
pub use client_ext::PresignOptions;
pub use connection::WindmillConnection;
pub use helpers_store::WindmillHelperStore;
pub use resolver::{StorageAccess, WindmillResolver};
