#![doc = include_str!("../README.md")]
//!
//! # Where things are
//! - `client.rs`: [`Client`], the backends the module-level functions call (one per
//!   capability), itself a [`Backend`]; `client_builder.rs`: [`ClientBuilder`]; `env.rs`:
//!   [`Client::from_env`].
//! - `global.rs`: the client in use: [`set_client`], [`reset_client`], [`client()`], and the
//!   scoped ones of [`with_client`].
//! - `functions/`: the module-level functions, with the Python client's names: variables,
//!   resources and state (`stores.rs`), jobs and [`JobRef`] (`jobs.rs`), job logs (`logs.rs`),
//!   job handles and batches (`handles.rs`), listings as streams (`listings.rs`), data tables
//!   and DuckLake (`sql_tables.rs`).
//! - `server.rs`: the helpers only a Windmill server has (progress, flow user state,
//!   approvals, identity, tokens, raw requests, suspended steps; feature `http`).
//! - `s3files.rs`: workspace S3 files and [`S3Ref`] / [`S3Target`] (feature `s3`).
//! - [`blocking`]: every function above without `async`, one file per area, and
//!   [`blocking::block_on`], the hand-off they use.
//! - [`prelude`]: the traits, for `use wmill::prelude::*`.
//! - Re-exported: everything of `wmill_core` (the traits, [`InMemory`], the types), and
//!   [`http`] (`wmill_http`) and [`s3`] (`wmill_s3`).
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
mod client_builder;
mod env;
mod functions;
mod global;
#[cfg(feature = "s3")]
mod s3files;
#[cfg(feature = "http")]
mod server;

#[cfg(feature = "blocking")]
pub mod blocking;
pub mod prelude;

pub use client::Client;
pub use client_builder::ClientBuilder;
pub use functions::*;
pub use global::{client, reset_client, set_client, with_client};
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
