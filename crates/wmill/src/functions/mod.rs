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

/// Functions of a target and arguments, in pairs: `$name(target, args)`, and `$with(target,
/// args, options)`, the same with [`RunOptions`](wmill_core::RunOptions). Each group of pairs
/// shares its target (`$target: $ty`) and what `$with` does with it:
/// - `runner(prep)`: the target checked and turned into what the client's job runner takes
///   (`prep`), then the arguments serialized, then the runner's method `$name` called;
/// - `handle(run)`: a handle on the job that `run` (a `_with` function) starts.
macro_rules! run_fns {
    ($(
        ($target:ident: $ty:ty) => $how:ident $what:tt {$(
            $(#[$doc:meta])* $name:ident,
            $(#[$doc_with:meta])* $with:ident -> $out:ty;
        )+}
    )+) => {$($(
        $(#[$doc])*
        pub async fn $name<A: Serialize + ?Sized + Sync>($target: $ty, args: &A) -> Result<$out> {
            $with($target, args, &RunOptions::new()).await
        }

        $(#[$doc_with])*
        pub async fn $with<A: Serialize + ?Sized + Sync>(
            $target: $ty,
            args: &A,
            options: &RunOptions,
        ) -> Result<$out> {
            run_fns!(@$how $what $name($target, args, options))
        }
    )+)+};
    (@runner ($prep:expr) $name:ident($target:ident, $args:ident, $options:ident)) => {{
        let $target = $prep;
        let $args = to_args($args)?;
        client()?.jobs()?.$name($target, $args, $options).await
    }};
    (@handle ($run:ident) $name:ident($target:ident, $args:ident, $options:ident)) => {
        job_handle($run($target, $args, $options).await?)
    };
}

/// The string forms of a reference trait (`JobRef`, `S3Ref`): `str`, `String` and references
/// to them, each parsed with `$parse`.
macro_rules! parsed_refs {
    ($trait:ident::$method:ident -> $out:ty = $parse:path) => {
        parsed_refs!(@impl $trait::$method -> $out = $parse; str, &str, String, &String);
    };
    (@impl $trait:ident::$method:ident -> $out:ty = $parse:path; $($ty:ty),*) => {$(
        impl $trait for $ty {
            fn $method(&self) -> Result<$out> {
                $parse(self)
            }
        }
    )*};
}
#[cfg(feature = "s3")]
pub(crate) use parsed_refs;

/// Functions that are the same call on a backend of the client (`$backend`, such as
/// `client()?.http()?`), declared by their doc and signature: each calls the backend's method
/// of the same name with the same arguments.
#[cfg(any(feature = "http", feature = "s3"))]
macro_rules! same_call {
    ($backend:expr => $(
        $(#[$attr:meta])*
        pub async fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $out:ty;
    )*) => {$(
        $(#[$attr])*
        pub async fn $name($($arg: $ty),*) -> $out {
            $backend.$name($($arg),*).await
        }
    )*};
}
#[cfg(any(feature = "http", feature = "s3"))]
pub(crate) use same_call;

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
