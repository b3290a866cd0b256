//! The module-level functions, with the Python client's names, on the global
//! [`Client`](crate::Client) (see [`client()`](crate::client())):
//!
//! - [`stores`]: variables, resources and state.
//! - [`jobs`]: jobs by path, hash or flow version (start, run, wait, result, status, cancel,
//!   the typed job, typed results) and [`JobRef`], what names a job.
//! - [`logs`]: a job's whole log, its followed log, a flow's logs.
//! - [`handles`]: job handles and batches.
//! - [`listings`]: listings as streams, one page at a time.
//! - [`sql_tables`]: data tables and DuckLake (feature `http`).
//!
//! The server-only helpers are in `server.rs`, the S3 functions in `s3files.rs`.

use wmill_core::{ItemPath, Result};

mod handles;
mod jobs;
mod listings;
mod logs;
#[cfg(feature = "http")]
mod sql_tables;
mod stores;

pub use handles::*;
pub use jobs::*;
pub use listings::*;
pub use logs::*;
#[cfg(feature = "http")]
pub use sql_tables::*;
pub use stores::*;

/// A script or flow path, validated.
fn path(p: &str) -> Result<ItemPath> {
    ItemPath::parse(p)
}

pub(crate) use wmill_core::to_json;
