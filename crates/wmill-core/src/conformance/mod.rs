//! The behaviour every backend must have, as runnable checks (feature `testkit`).
//!
//! Each function exercises one trait through its public API and panics with a message naming
//! the broken rule. A backend's test suite calls [`run_all`] (or the per-trait functions), so a
//! new check reaches every backend at once:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use wmill_core::{InMemory, conformance};
//!
//! let backend = InMemory::new();
//! conformance::install_fixtures(&backend).unwrap();
//! conformance::run_all(&backend).await;
//! # }
//! ```
//!
//! # Fixtures
//! The job checks run these scripts and flow, which the backend must provide
//! ([`install_fixtures`] registers them on an [`InMemory`](crate::InMemory); a fake or real server must serve them):
//!
//! | runnable | behaviour |
//! |---|---|
//! | script [`ECHO`] and script hash [`ECHO_HASH`] | returns its arguments (an object) |
//! | script [`FAIL`] | fails with the error `{"name": "ConformanceError", "message": <args.message>}` |
//! | script [`SLEEP`] | waits `args.ms` milliseconds, then returns `args.ms` |
//! | flow [`ECHO_FLOW`] | returns its arguments |
//!
//! Items are created under `u/conformance/` with a random suffix, so the suite can run against
//! a shared workspace; it deletes what it creates where the trait allows it. This module is a
//! test harness: it is not covered by semver.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use crate::Backend;

mod fixtures;
mod jobs;
mod listings;
mod logs;
mod run_options;
mod stores;
mod typed_jobs;

pub use fixtures::{ECHO, ECHO_FLOW, ECHO_HASH, FAIL, SLEEP, install_fixtures};
pub use jobs::{concurrency, jobs};
pub use listings::listings;
pub use logs::logs;
pub use run_options::run_options;
pub use stores::{interpolation, resources, state, variables};
pub use typed_jobs::typed_jobs;

/// Runs every check.
pub async fn run_all(backend: &dyn Backend) {
    variables(backend).await;
    resources(backend).await;
    interpolation(backend).await;
    state(backend).await;
    jobs(backend).await;
    logs(backend).await;
    concurrency(backend).await;
    typed_jobs(backend).await;
    listings(backend).await;
    run_options(backend).await;
}
