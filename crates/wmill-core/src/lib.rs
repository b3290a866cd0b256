//! The core of the wmill Rust SDK for [Windmill](https://windmill.dev): the four traits every
//! backend implements, the validated types they take, the error type, and [`InMemory`], a
//! complete backend in process memory.
//!
//! This crate has no HTTP client and no async runtime. The HTTP backend is `wmill-http`, S3
//! files are `wmill-s3`, and the `wmill` crate bundles everything.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
//! use serde_json::json;
//! use wmill_core::{InMemory, ItemPath, JobRunnerExt, ResourceStore, RunOptions, StateStore};
//!
//! // A backend seeded with a resource and a script: what unit tests and local runs use.
//! let wm = InMemory::new().with_resource("f/db/main", json!({"host": "db"}), "postgresql")?;
//! wm.register_script("f/jobs/hello", |args| async move {
//!     Ok(json!(format!("hello {}", args["name"].as_str().unwrap_or("you"))))
//! })?;
//!
//! let db = wm.get_resource(&ItemPath::parse("f/db/main")?).await?;
//! assert_eq!(db["host"], "db");
//!
//! let greeting: String = wm
//!     .run_script_by_path_as(&ItemPath::parse("f/jobs/hello")?, &json!({"name": "Ada"}), &RunOptions::new())
//!     .await?;
//! assert_eq!(greeting, "hello Ada");
//!
//! assert_eq!(wm.get_state().await?, None); // first run
//! wm.set_state(&json!({"last": greeting})).await?;
//! # Ok(()) }
//! ```
//!
//! # The traits
//! | trait | what | typed helpers |
//! |---|---|---|
//! | [`VariableStore`] | `get_variable`, `set_variable`, `delete_variable`, `list_variables` | [`VariableStoreListExt`] (every page as a stream) |
//! | [`ResourceStore`] | `get_resource`, `set_resource`, `delete_resource`, `list_resources` | [`ResourceStoreExt`], [`ResourceStoreListExt`] |
//! | [`StateStore`] | `get_state`, `set_state`, `get_state_at`, `set_state_at` | [`StateStoreExt`] |
//! | [`JobRunner`] | `start` and `run` (a [`Runnable`]: the one start a backend implements), `run_script_by_path[_async]`, `run_script_by_hash[_async]`, `run_flow[_async]`, `wait_job`, `get_result`, `get_job_status`, `cancel_job`, `get_job` (a typed [`Job`]), `list_jobs_page`, `run_flow_by_version[_async]`; logs: `get_job_logs`, `get_log_update`, `job_logs_from`, `get_flow_all_logs` ([`logs`]); `cancel_job_in_background` | [`JobRunnerExt`] (`job_logs`), [`JobRunnerListExt`] (job streams), [`StartJobs`] ([`JobHandle`]s, [`run_batch`]) |
//!
//! All four are object safe (`Arc<dyn VariableStore>`), `Send + Sync`, and forwarded through
//! `Arc` and `Box`. [`Backend`] is all four at once. Methods take validated types
//! ([`ItemPath`], [`JobId`], [`ScriptHash`]), so bad input fails with
//! [`Error::InvalidInput`] before any backend sees it.
//!
//! # Testing code that uses Windmill
//! Write functions against the traits (`&dyn VariableStore`, `&dyn Backend`) and pass an
//! [`InMemory`] in tests; with the `mock` feature, mockall mocks (`MockVariableStore`,
//! `MockResourceStore`, `MockStateStore`, `MockJobRunner`) check calls and their order:
//!
#![cfg_attr(
    feature = "mock",
    doc = r##"
```
# #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
use wmill_core::{ItemPath, MockVariableStore, VariableStore};

async fn api_url(vars: &dyn VariableStore) -> wmill_core::Result<String> {
    let host = vars.get_variable(&ItemPath::parse("f/api/host")?).await?;
    Ok(format!("https://{host}/v1"))
}

let mut mock = MockVariableStore::new();
mock.expect_get_variable()
    .withf(|p| p.as_str() == "f/api/host")
    .times(1)
    .returning(|_| Ok("example.com".to_owned()));
assert_eq!(api_url(&mock).await?, "https://example.com/v1");
# Ok(()) }
```
"##
)]
//!
//! # Where things are
//! | module | holds |
//! |---|---|
//! | `variable`, `resource`, `state` | [`VariableStore`], [`ResourceStore`], [`StateStore`], their options and typed helpers |
//! | `job` | [`JobRunner`], [`JobRunnerExt`], [`RunOptions`], [`WaitOptions`], [`JobStatus`], [`Args`] |
//! | `run_options` | which start endpoint takes which option ([`RunEndpoint`], [`RunOption`]), [`RetryPolicy`], [`FlowVersion`] |
//! | `job_model` | the typed job: [`Job`], [`JobState`], [`JobKind`], [`FlowStatus`], [`Timestamp`] |
//! | `handle` | jobs as values: [`JobHandle`], [`JobGuard`], [`CancelOnDrop`], [`StartJobs`] |
//! | `batch` | many jobs at a bounded concurrency: [`run_batch`], [`BatchStream`] |
//! | `listing` | listings as streams: [`paginate`], [`JobQuery`], [`JobCursor`], [`JobSummary`], RFC 3339 times |
//! | [`logs`] | job logs: [`LogChunk`], [`LogStream`], [`LogForward`] |
//! | `error` | [`Error`], its predicates (`is_retryable`, `is_not_found`, ...), [`ItemKind`], [`RemoteCause`] |
//! | `ids`, `path`, `syntax`, `validated` | validated inputs: [`JobId`], [`ScriptHash`], [`ItemPath`]; `$var:` / `$res:` syntax; the conversions they share |
//! | `backend` | [`Backend`]: the four traits at once, forwarded through `Arc` and `Box` |
//! | `memory` | [`InMemory`], one file per capability |
//! | `overlay` | [`MockOverlay`]: the mock-API file over any backend |
//! | `local` | the shared folder and result streams of a running script ([`SharedFolder`]) |
//! | `sync`, `timer` | locks without poisoning; the in-memory backend's runtime-agnostic sleep |
//! | [`conformance`] | (feature `testkit`) the behaviour every backend must have |
//!
//! # Features
//! - `mock`: mockall mocks of the four traits.
//! - `testkit`: [`conformance`], the behaviour every backend must have.

#![cfg_attr(docsrs, feature(doc_cfg))]

/// Builder methods that set fields, for the crates of this workspace (not part of the API):
/// each row `name(arg: Type) => field = value;` is `pub fn name(mut self, arg: Type) -> Self`
/// with the row's doc, setting the optional field to `Some(value)`; `field: value` sets the
/// field to `value` as it is, and a row may set several fields (`=> a = x, b: None;`). A table
/// opened by `#![must_use]` marks each of its setters `#[must_use]` (for types that are not
/// `#[must_use]` themselves).
#[doc(hidden)]
#[macro_export]
macro_rules! __setters {
    (@value = $value:expr) => { ::core::option::Option::Some($value) };
    (@value : $value:expr) => { $value };
    (@fn [$($must:tt)*] $(#[$doc:meta])* $name:ident($arg:ident: $ty:ty) => $($field:ident $op:tt $value:expr),+) => {
        $(#[$doc])*
        $($must)*
        pub fn $name(mut self, $arg: $ty) -> Self {
            $(self.$field = $crate::__setters!(@value $op $value);)+
            self
        }
    };
    (#![must_use] $($(#[$doc:meta])* $name:ident($arg:ident: $ty:ty) => $($field:ident $op:tt $value:expr),+;)*) => {$(
        $crate::__setters!(@fn [#[must_use]] $(#[$doc])* $name($arg: $ty) => $($field $op $value),+);
    )*};
    ($($(#[$doc:meta])* $name:ident($arg:ident: $ty:ty) => $($field:ident $op:tt $value:expr),+;)*) => {$(
        $crate::__setters!(@fn [] $(#[$doc])* $name($arg: $ty) => $($field $op $value),+);
    )*};
}

/// This crate's setters: [`__setters!`] with `#[must_use]` on each.
macro_rules! setters {
    ($($rows:tt)*) => { $crate::__setters! { #![must_use] $($rows)* } };
}

/// `page(page, per_page)` of a listing's options: sets the page (from 1) and its size.
macro_rules! page_and_size {
    () => {
        /// The page (from 1) and its size.
        #[must_use]
        pub fn page(mut self, page: u32, per_page: u32) -> Self {
            self.page = Some(page);
            self.per_page = Some(per_page);
            self
        }
    };
}

mod backend;
mod batch;
mod error;
mod handle;
mod ids;
mod job;
mod job_model;
mod listing;
mod local;
pub mod logs;
mod memory;
mod overlay;
mod path;
mod resource;
mod run_options;
mod state;
mod sync;
mod syntax;
mod timer;
mod validated;
mod variable;

#[cfg(feature = "testkit")]
pub mod conformance;

#[doc(hidden)]
pub use backend::__private;
pub use backend::Backend;
pub use batch::{
    BatchItem, BatchJob, BatchOptions, BatchStream, DEFAULT_BATCH_CONCURRENCY, run_batch,
    run_batch_on,
};
pub use error::{
    BoxError, Error, ItemKind, ItemLocation, MAX_DECODE_EXCERPT, MAX_ERROR_BODY, RemoteCause,
    ResponseTooLarge, Result, ResumeRefusal, excerpt, root_cause_text, to_json, truncate_in_place,
};
pub use handle::{CANCEL_ON_DROP_REASON, CancelOnDrop, JobGuard, JobHandle, StartJobs};
pub use ids::{JobId, ScriptHash};
pub use job::{
    Args, JobRunner, JobRunnerExt, JobStatus, PollSchedule, RunOptions, Runnable, WaitOptions,
    WaitStrategy, to_args,
};
pub use job_model::{
    FlowApprover, FlowStatus, FlowStep, FlowStepStatus, Job, JobKind, JobState, Timestamp,
};
pub use listing::{
    DEFAULT_PAGE_SIZE, FlowSummary, JobCursor, JobListStatus, JobPageRequest, JobQuery,
    JobRunnerListExt, JobSummary, ListItem, ListRunnables, MAX_PAGE_SIZE, Page,
    ResourceStoreListExt, ScriptSummary, VariableStoreListExt, job_stream, paginate,
    resource_stream, timestamp_from_rfc3339, timestamp_to_rfc3339, validate_paging,
    variable_stream,
};
pub use local::{
    DEFAULT_SHARED_STATE_FILE, SHARED_FOLDER, SharedFolder, append_to_result_stream,
    get_shared_state, set_shared_state, stream_result, write_result_stream,
};
pub use logs::{LogCallback, LogChunk, LogForward, LogSink, LogStream, LogUpdate};
pub use memory::{DEFAULT_STATE_PATH, InMemory, JobLog, Spawner, StartedJob};
pub use overlay::{MOCKED_API_FILE_VAR, MOCKED_API_PERSIST_VAR, MockApiSettings, MockOverlay};
pub use path::{AsItemPath, ItemPath, Workspace};
pub use resource::{ListResources, ResourceInfo, ResourceStore, ResourceStoreExt};
pub use run_options::{FlowVersion, RetryPolicy, RunEndpoint, RunOption};
pub use state::{STATE_RESOURCE_TYPE, StateStore, StateStoreExt};
pub use syntax::{database_url, parse_resource_syntax, parse_variable_syntax};
pub use variable::{
    ListVariables, SetVariableOptions, VariableInfo, VariableStore, VariableStoreExt,
};

#[cfg(feature = "mock")]
pub use job::MockJobRunner;
#[cfg(feature = "mock")]
pub use resource::MockResourceStore;
#[cfg(feature = "mock")]
pub use state::MockStateStore;
#[cfg(feature = "mock")]
pub use variable::MockVariableStore;

/// The examples of this crate's README, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}

/// Compile-time checks that the public types are thread-safe and the futures are `Send`.
#[allow(dead_code)]
fn _assert_impls() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    fn assert_send<T: Send>(_: &T) {}
    assert_send_sync::<Error>();
    assert_send_sync::<InMemory>();
    assert_send_sync::<MockOverlay>();
    assert_send_sync::<ItemPath>();
    assert_send_sync::<std::sync::Arc<dyn Backend>>();
    assert_send_sync::<JobHandle>();
    assert_send_sync::<JobGuard>();
    assert_send_sync::<BatchItem>();

    fn _futures(b: &dyn Backend, p: &ItemPath) {
        assert_send(&b.get_variable(p));
        assert_send(&b.get_resource_as::<serde_json::Value>(p));
        assert_send(&b.get_state_as::<u32>());
        assert_send(&b.run_script_by_path_as::<_, serde_json::Value>(
            p,
            &serde_json::json!({}),
            &RunOptions::new(),
        ));
    }

    fn _handle_futures(h: &JobHandle, g: &JobGuard, w: &WaitOptions, m: &InMemory, p: &ItemPath) {
        assert_send(&h.wait(w));
        assert_send(&h.status());
        assert_send(&h.cancel("x"));
        assert_send(&g.wait(w));
        assert_send(&m.start_flow(p, &serde_json::json!({}), &RunOptions::new()));
    }

    fn _batch(s: BatchStream) {
        assert_send(&s);
    }
}
