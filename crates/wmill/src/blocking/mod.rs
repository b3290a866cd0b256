//! The module-level API without `async`, for synchronous code (Windmill Rust scripts have a
//! synchronous `main`).
//!
//! Each call runs the async function of the same name to completion on a small runtime of its
//! own (two threads named `wmill-blocking`, started on first use), borrowing its arguments:
//! nothing is copied to cross over. So it works from plain threads, from several threads at
//! once, and from inside an async runtime as well: there it blocks the calling thread (no
//! "cannot start a runtime from within a runtime" panic), which is your choice to make; in
//! async code prefer the async functions. Calls made from the runtime's own threads (a job
//! closure of `InMemory` using this API) run in place rather than wait for themselves, and a
//! panic inside a call (a mock's unexpected call) goes on in the caller's thread with its
//! message. The requests to Windmill use connections the runtime opened itself (a pool of its
//! own), so a call from inside a current-thread runtime that already talked to the server
//! never waits on a connection that the blocked runtime drives. One case cannot work: a call
//! from a current-thread runtime that itself runs the server or store the call needs (an
//! in-process test server, say) waits for a thread it is blocking; use a multi-thread runtime
//! or `tokio::task::spawn_blocking` there. The same holds for S3 stores reached directly
//! (object_store's own connection pool): there, a stalled connection ends at the store's
//! request timeout and the retry opens a fresh one.
//!
//! ```
//! use wmill::{Client, InMemory};
//!
//! fn main() -> wmill::Result<()> {
//!     wmill::set_client(Client::new(InMemory::new().with_variable("u/bob/city", "Paris")?));
//!     let city = wmill::blocking::get_variable("u/bob/city")?;
//!     wmill::blocking::set_state(&serde_json::json!({"last_city": city}))?;
//!     assert_eq!(wmill::blocking::get_state()?.unwrap()["last_city"], "Paris");
//!     Ok(())
//! }
//! ```
//!
//! # Contents
//! - `runtime`: the runtime and [`block_on`], the hand-off every function uses.
//! - `stores`: variables, resources and state.
//! - `jobs`: jobs by path, hash or flow version, waits, results, logs.
//! - `handles`: [`JobHandle`], [`JobGuard`] and batches ([`run_batch`]).
//! - `listings`: listings as iterators ([`Listing`], [`JobLogs`]).
//! - `server`: the server-only helpers and suspended steps (feature `http`).
//! - `sql_tables`: data tables and DuckLake (feature `http`).
//! - `s3`: S3 files and [`S3FileReader`] (feature `s3`).

use std::sync::Arc;

use crate::Client;

/// The blocking twins of async functions, declared by their doc and signature: each body runs
/// the async function of the same name (`crate::$name`) on [`block_on`] with the same
/// arguments, borrowed as they are, and after `=> f` maps its output with `f`. A generic
/// parameter's bounds are identifiers, `?Sized` first.
macro_rules! blocking {
    ($(
        $(#[$attr:meta])*
        pub fn $name:ident $(<$($g:ident: $(?$relaxed:ident +)? $first:ident $(+ $bound:ident)*),+>)?
            ($($arg:ident: $ty:ty),* $(,)?) -> $out:ty $(=> $map:path)?;
    )*) => {$(
        $(#[$attr])*
        pub fn $name $(<$($g: $(?$relaxed +)? $first $(+ $bound)*),+>)? ($($arg: $ty),*) -> $out {
            $crate::blocking::block_on($crate::$name($($arg),*)) $(.map($map))?
        }
    )*};
}

/// The blocking twins of the pairs that `run_fns!` declares (`crate::functions`), grouped by
/// target as there: per group the target (`$target: $ty`), and per pair the function of a
/// target and arguments (`$name`), its `_with` form taking [`RunOptions`](wmill_core::RunOptions)
/// as well (`$with`) and their output, mapped with `f` after `=> f`. Each twin's doc line
/// names its async function; `$name`'s further doc follows.
macro_rules! blocking_runs {
    ($(
        ($target:ident: $ty:ty) {$(
            $(#[$doc:meta])* $name:ident, $with:ident -> $out:ty $(=> $map:path)?;
        )+}
    )+) => {$($(
        blocking! {
            #[doc = concat!("Blocking [`crate::", stringify!($name), "`].")]
            $(#[$doc])*
            pub fn $name<A: ?Sized + Serialize + Sync>($target: $ty, args: &A) -> Result<$out>
                $(=> $map)?;

            #[doc = concat!("Blocking [`crate::", stringify!($with), "`].")]
            pub fn $with<A: ?Sized + Serialize + Sync>(
                $target: $ty,
                args: &A,
                options: &wmill_core::RunOptions,
            ) -> Result<$out> $(=> $map)?;
        }
    )+)+};
}

mod handles;
mod jobs;
mod listings;
mod runtime;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "http")]
mod server;
#[cfg(feature = "http")]
mod sql_tables;
mod stores;

pub use handles::*;
pub use jobs::*;
pub use listings::*;
pub use runtime::block_on;
#[cfg(feature = "s3")]
pub use s3::*;
#[cfg(feature = "http")]
pub use server::*;
#[cfg(feature = "http")]
pub use sql_tables::{DataTable, DuckLake, Materialize, SqlQuery, datatable, ducklake};
pub use stores::*;

// Synchronous already (local files and standard output): the same functions.
pub use crate::get_state_path;
#[cfg(feature = "s3")]
pub use crate::parse_s3_object;
#[cfg(feature = "http")]
pub use crate::worker_has_internal_server;
pub use wmill_core::{
    append_to_result_stream, database_url, get_shared_state, parse_resource_syntax,
    parse_variable_syntax, set_shared_state, stream_result,
};

/// Runs `f` with `client` as the client of every function of this module (and of the async
/// ones, and [`crate::client()`]) called on this thread until `f` returns, whatever the global
/// client is. The blocking twin of [`crate::with_client`].
///
/// The scope is the calling thread's (a thread-local): tests running in parallel threads (as
/// `cargo test` runs them) each see their own client, never one installed by another test
/// with [`crate::set_client`]. Scopes nest, and the previous one comes back when `f` returns
/// or panics. Threads that `f` starts do not inherit the scope.
///
/// ```
/// use wmill::{Client, InMemory};
///
/// let memory = InMemory::new().with_variable("u/bob/city", "Lyon")?;
/// let city = wmill::blocking::with_client(Client::new(memory), || {
///     wmill::blocking::get_variable("u/bob/city")
/// })?;
/// assert_eq!(city, "Lyon");
/// # Ok::<(), wmill::Error>(())
/// ```
pub fn with_client<R>(client: impl Into<Arc<Client>>, f: impl FnOnce() -> R) -> R {
    let _scope = crate::global::enter(client.into());
    f()
}
