#![doc = include_str!("../README.md")]
//!
//! # Feature flags
//! - `http` (default): the Windmill HTTP backend ([`http`], `wmill_http`).
//! - `http2`: HTTP/2 (negotiated by ALPN over TLS) besides HTTP/1.1 for the Windmill client
//!   (`wmill_http`'s `http2`; turns on `http`).
//! - `s3` (default): workspace S3 files ([`s3`], `wmill_s3`).
//! - `blocking` (default): [`blocking`], the same functions without `async`.
//! - `mock`: mockall mocks of the four traits (`MockVariableStore`, ...).

#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod functions;
#[cfg(feature = "s3")]
mod s3files;
#[cfg(feature = "http")]
mod server;

#[cfg(feature = "blocking")]
pub mod blocking;
pub mod prelude;

pub use client::{Client, ClientBuilder, client, reset_client, set_client, with_client};
pub use functions::*;
// The global client's batch, rather than `wmill_core::run_batch(runner, ..)` (which stays
// reachable as `StartJobs::run_batch` on any backend).
pub use functions::run_batch;
#[cfg(feature = "http")]
pub use server::*;
pub use wmill_core::*;

#[cfg(feature = "http")]
pub use wmill_http as http;
#[cfg(feature = "http")]
pub use wmill_http::{DataTable, DuckLake, Materialize, ResultCollection, SqlPreview, SqlQuery};
#[cfg(feature = "http")]
pub use wmill_http::{InteractiveApproval, ResumeLink, ResumeUrls, Windmill};

/// The `bytes` crate, whose [`Bytes`](bytes::Bytes) the S3 functions take and return.
#[cfg(feature = "s3")]
pub use bytes;
#[cfg(feature = "s3")]
pub use s3files::*;
#[cfg(feature = "s3")]
pub use wmill_s3 as s3;
#[cfg(feature = "s3")]
pub use wmill_s3::{PresignOptions, S3Client, S3Object, WriteOptions};

/// The examples of `docs/guide.md`, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/guide.md")]
mod guide {}

/// The examples of the repository's README, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
mod readme {}

/// The examples of `docs/migrating.md`, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/migrating.md")]
mod migrating {}
