//! Windmill workspace files (`S3Object`) for the wmill Rust SDK: load, stream, write, delete,
//! list and presign, on [`object_store`], with memory that stays flat however large the file.
//!
//! - [`S3Object`]: Windmill's `{"s3": "key", "storage"?: "name"}` JSON form, and
//!   `s3://storage/key` / `s3:///key` URIs.
//! - [`S3Client`]: the Python client's vocabulary (`load_s3_file`, `load_s3_file_stream`,
//!   `write_s3_file`, `delete_s3_object`, ...), plus ranged reads, metadata and listing, on any
//!   [`ObjectStore`](object_store::ObjectStore).
//! - [`StorageResolver`]: which store serves a storage name. [`StaticResolver`] plugs in any
//!   object_store backend (memory, a local directory, GCS, Azure, another S3). With the
//!   `windmill` feature, `WindmillResolver` asks the Windmill server: direct credentials,
//!   the S3 proxy, or the server's upload/download endpoints.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
//! use std::sync::Arc;
//! use wmill_s3::{S3Client, S3Object, StaticResolver, WriteOptions};
//! use wmill_s3::object_store::memory::InMemory;
//!
//! // Any object_store backend serves as the default storage: memory here, an
//! // `AmazonS3`, `LocalFileSystem`, GCS or Azure store in real code.
//! let client = S3Client::new(StaticResolver::new(Arc::new(InMemory::new())));
//!
//! let obj: S3Object = "s3:///inputs/hello.txt".parse()?;
//! client.write_s3_file(Some(&obj), "hello", &WriteOptions::new().content_type("text/plain")).await?;
//! assert_eq!(client.load_s3_file(&obj).await?, "hello");
//!
//! // What a script returns to Windmill:
//! assert_eq!(serde_json::json!(obj), serde_json::json!({"s3": "inputs/hello.txt"}));
//! # Ok(()) }
//! ```
//!
//! Each public call of [`S3Client`] runs in a `tracing` span (level `INFO`) named after it
//! (`load_s3_file`, `write_s3_file`, ...) with the `workspace` (a client with a Windmill
//! connection), `storage` and `key` as fields, never the content nor a presigned signature;
//! the requests it sends to Windmill are `http` spans inside it. A call that returns a stream
//! spans the opening of the stream, not its reading.
//!
//! # Your own storages
//! Any object_store backend serves as a Windmill storage: map storage names to stores with a
//! [`StaticResolver`], and take the store back with [`S3Client::object_store`] for anything the
//! client does not wrap.
#![cfg_attr(
    feature = "fs",
    doc = r##"
```
# #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
use futures::TryStreamExt;
use wmill_s3::{stores, S3Client, S3Object, StaticResolver, WriteOptions};

let dir = tempfile::tempdir().map_err(|e| wmill_core::Error::invalid("temp dir", e.to_string()))?;
let client = S3Client::new(
    StaticResolver::new(stores::in_memory())                          // s3:///key
        .with_storage("local", stores::local_directory(dir.path())?), // s3://local/key
);

let obj = S3Object::parse("s3://local/reports/day.csv")?;
client.write_s3_file(Some(&obj), "a,b\n", &WriteOptions::new()).await?;
assert!(dir.path().join("reports/day.csv").exists());

let listed: Vec<_> = client.list_s3_objects(Some("local"), Some("reports")).await?.try_collect().await?;
assert_eq!(listed.len(), 1);
# Ok(()) }
```
"##
)]
//!
//! # Large files
//! [`S3Client::load_s3_file_stream`] yields the body chunk by chunk as it arrives;
//! [`S3Client::write_s3_file_stream`] and [`S3Client::write_s3_file_reader`] send a multipart
//! upload of [`TransferOptions::part_size`] parts, at most [`TransferOptions::max_concurrency`]
//! in flight, so memory stays below `part_size * (max_concurrency + 1)`. Any error (including
//! the body's own) aborts the multipart upload; so does dropping the write future.
//!
//! # Errors
//! Every method returns [`wmill_core::Error`]: a missing key is [`Error::NotFound`](wmill_core::Error::NotFound)
//! (kind `Object`), refused credentials [`Error::Unauthorized`](wmill_core::Error::Unauthorized),
//! a bad key [`Error::InvalidInput`](wmill_core::Error::InvalidInput) before any request, and
//! other store failures [`Error::Storage`](wmill_core::Error::Storage) naming the operation and
//! `s3://storage/key`, with the object_store error as source.
//!
//! # Features
//! - `windmill` (default): resolve storages from a Windmill server (`WindmillConnection`,
//!   `WindmillResolver`), sign objects and build presigned public URLs, typed boto3 / Polars /
//!   DuckDB connection settings.
//! - `fs` (default): object_store's `LocalFileSystem`, to use a local directory as a storage.
#![cfg_attr(
    feature = "windmill",
    doc = r##"
# In a Windmill job

```no_run
# #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
use wmill_s3::{S3Client, S3Object, WriteOptions};

// BASE_INTERNAL_URL / WM_BASE_URL, WM_WORKSPACE and WM_TOKEN, as Windmill sets them.
let client = S3Client::from_env()?;
let obj = S3Object::parse("s3:///results/out.json")?;
client.write_s3_file(Some(&obj), r#"{"ok":true}"#, &WriteOptions::new()).await?;
let url = client.get_presigned_s3_public_url(&obj, &Default::default()).await?;
# Ok(()) }
```
"##
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
//!
//! # Where things are
//! The files of this crate, each named after what it holds. Each file uses only files listed
//! above it (and `client.rs` the `WindmillConnection` of `windmill/connection.rs`, which uses
//! nothing of this crate): no cycle.
//!
//! Objects and options:
//! - `object.rs`: [`S3Object`], its key and storage-name rules, JSON and URI forms.
//! - `error.rs`: object_store errors mapped to [`wmill_core::Error`], naming `s3://storage/key`.
//! - `options.rs`: [`TransferOptions`] (part size, concurrency) and [`WriteOptions`].
//! - `progress.rs`: [`TransferProgress`] and the meter that reports it.
//! - `checksum.rs`: optional SHA-256 checksums ([`CHECKSUM_METADATA`], [`ChecksumMismatch`]).
//!
//! Storages:
//! - `resolver.rs`: the [`StorageResolver`] trait and [`StaticResolver`].
//! - [`stores`]: ready-made stores (memory, a local directory).
//!
//! The client:
//! - `client.rs`: [`S3Client`], its construction, and what every call shares (store
//!   resolution, error mapping, progress).
//! - `reader.rs`: [`S3Reader`]; `load.rs`: whole, streamed and ranged reads ([`ByteStream`]).
//! - `upload.rs`: the single put or multipart upload of a body, with bounded memory;
//!   `write.rs`: writes from a buffer, a stream or a reader.
//! - `listing.rs`: [`S3FileMeta`], [`S3Listing`], metadata, existence and listings.
//! - `delete_move.rs`: deletes and moves.
//!
//! With the `windmill` feature, `windmill/`:
//! - `connection.rs`: `WindmillConnection`, the view of a `wmill_http::Windmill` client that
//!   storage calls go through.
//! - `settings.rs`: the typed settings the server hands out (`S3ResourceInfo`,
//!   `ProxyCredentials`, boto3 / Polars / DuckDB settings); `settings_endpoints.rs`: the calls
//!   that fetch them and sign objects.
//! - `helper_endpoints.rs`: file previews, folder checks, Parquet as CSV, connection tests,
//!   storage usage.
//! - `job_helpers_store.rs` (and `job_helpers_store/`): `WindmillHelperStore`, an object_store
//!   over the server's `job_helpers` upload / download / list / delete / move endpoints.
//! - `credentials.rs`: the refreshing credentials of a direct store; `store_builders.rs`: the
//!   store of each access mode; `resolver.rs`: `WindmillResolver` and `StorageAccess`, which
//!   choose and cache them.
//! - `client_ext.rs`: the [`S3Client`] calls that need the server (construction from the
//!   environment, signing, presigned URLs, connection settings).

mod checksum;
mod client;
mod delete_move;
mod error;
mod listing;
mod load;
mod object;
mod options;
mod progress;
mod reader;
mod resolver;
pub mod stores;
mod upload;
#[cfg(feature = "windmill")]
mod windmill;
mod write;

pub use checksum::{CHECKSUM_METADATA, ChecksumMismatch};
pub use client::S3Client;
pub use listing::{S3FileMeta, S3Listing};
pub use load::ByteStream;
pub use object::S3Object;
pub use options::{TransferOptions, WriteOptions};
pub use progress::{PROGRESS_EVENT_EVERY, ProgressFn, TransferProgress};
pub use reader::S3Reader;
pub use resolver::{StaticResolver, StorageResolver};
#[cfg(feature = "windmill")]
pub use windmill::*;
#[cfg(feature = "windmill")]
pub use wmill_http::install_crypto_provider;

/// The object_store crate this one is built on, re-exported so users plug stores without a
/// version mismatch (`wmill_s3::object_store::memory::InMemory`, `::aws::AmazonS3Builder`).
///
/// object_store is built without a TLS crypto provider of its own (its `aws-base`, `reqwest` and
/// `ring` features: the `aws` feature would add aws-lc-rs, a long C build): an
/// `AmazonS3Builder` of yours, built before the SDK's first client, needs rustls' process
/// provider installed first, with `wmill_s3::install_crypto_provider()` (feature `windmill`), or
/// without that feature with rustls' own
/// `rustls::crypto::ring::default_provider().install_default()`.
pub use object_store;

/// The examples of this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
