//! The Windmill HTTP backend of the wmill Rust SDK: [`Windmill`] implements the four
//! `wmill_core` traits ([`VariableStore`](wmill_core::VariableStore),
//! [`ResourceStore`](wmill_core::ResourceStore), [`StateStore`](wmill_core::StateStore),
//! [`JobRunner`](wmill_core::JobRunner)) over Windmill's API, plus the other job helpers of the
//! official clients: [`get_job_raw`](Windmill::get_job_raw), [`force_cancel_job`](Windmill::force_cancel_job),
//! [`get_root_job_id`](Windmill::get_root_job_id), [`cancel_running`](Windmill::cancel_running),
//! [`worker_is_draining`](Windmill::worker_is_draining), progress
//! ([`set_progress`](Windmill::set_progress)), flow user state
//! ([`set_flow_user_state`](Windmill::set_flow_user_state)), resume/approval URLs
//! ([`get_resume_urls`](Windmill::get_resume_urls), [`get_approval_urls`](Windmill::get_approval_urls)),
//! approving or rejecting suspended steps ([`resume_suspended_job`](Windmill::resume_suspended_job),
//! [`cancel_suspended_job`](Windmill::cancel_suspended_job), [`ResumeLink`]),
//! Slack/Teams approvals ([`request_interactive_slack_approval`](Windmill::request_interactive_slack_approval)),
//! [`whoami`](Windmill::whoami), [`version`](Windmill::version), OIDC
//! ([`get_id_token`](Windmill::get_id_token)), [`create_token`](Windmill::create_token),
//! [`run_inline_script_preview`](Windmill::run_inline_script_preview),
//! [`commit_kafka_offsets`](Windmill::commit_kafka_offsets), [`request_json`](Windmill::request_json)
//! for any other endpoint, and parameterized SQL on the workspace's data tables
//! ([`datatable`](Windmill::datatable), PostgreSQL) and lakes ([`ducklake`](Windmill::ducklake),
//! DuckDB, with the partition helpers).
//!
//! ```no_run
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
//! use serde_json::json;
//! use wmill_core::{ItemPath, JobRunnerExt, RunOptions, VariableStore};
//! use wmill_http::Windmill;
//!
//! // Inside a job: BASE_INTERNAL_URL, WM_TOKEN and WM_WORKSPACE are set by the worker.
//! let wm = Windmill::from_env()?;
//! let key = wm.get_variable(&ItemPath::parse("f/billing/stripe_key")?).await?;
//! let total: f64 = wm
//!     .run_script_by_path_as(&ItemPath::parse("f/billing/total")?, &json!({"key": key}), &RunOptions::new())
//!     .await?;
//! # let _ = total; Ok(()) }
//! ```
//!
//! # Configuration
//! [`Windmill::from_env`] reads `BASE_INTERNAL_URL` (else `WM_BASE_URL`), `WM_TOKEN`,
//! `WM_WORKSPACE`, `WM_JOB_ID`, `WM_ROOT_FLOW_JOB_ID`, `WM_FLOW_JOB_ID` and `WM_STATE_PATH_NEW`
//! (else `WM_STATE_PATH`). [`WindmillBuilder`] overrides any of them and takes your own
//! `reqwest::Client`, timeouts, user agent, [`RetryConfig`] and [`WaitTuning`]. A missing
//! setting is [`Error::NotConfigured`](wmill_core::Error::NotConfigured) naming the variable.
//! For local runs, [`backend_from_env`] lays the `WM_MOCKED_API_FILE` mock over the server (or
//! over an in-memory backend when no server is named), as the Python client does.
//!
//! # Errors
//! 401/403 are `Unauthorized`, 404 is `NotFound { kind, path }`, other statuses are
//! `Api { status, body }` (body truncated), a body that does not parse is `Decode` with an
//! excerpt, a failed job is `JobFailed` with the job's error value, an expired wait is `Timeout`.
//! The token is never part of `Debug`, `Display`, errors or logs; at `debug` level the crate logs
//! method, path, status and duration of each request (`tracing`).
//!
//! # Retries
//! Reads, upserts, deletes and cancels are retried on transport errors, 429 (honouring
//! `Retry-After`), 500 (the server's answer to transient database errors), 502, 503 and 504,
//! with bounded exponential backoff and jitter ([`RetryConfig`]). Starting a job is retried only
//! when it carries a caller-chosen id
//! ([`RunOptions::job_id`](wmill_core::RunOptions::job_id)): the server refuses a second job with
//! that id (400), which a retry reads as "the first attempt worked". Requests with an effect
//! that is not idempotent (approval messages, moves, job starts without an id) are sent again
//! only when the connection could not be opened, and a request whose body is a stream is never
//! sent again.
//!
//! # Timeouts
//! Each attempt of an ordinary request must be answered within the request timeout
//! ([`DEFAULT_REQUEST_TIMEOUT`], 30 s); an answer whose body is still arriving then goes on as
//! long as bytes keep coming, each within the smaller of the idle and request timeouts (a large
//! result on a slow link completes; a stalled one fails). Long waits have their own bounds
//! (below).
//! Streamed transfers (S3 files through Windmill, [`Request::send_stream`],
//! [`Request::body_stream`]) have an idle timeout instead ([`DEFAULT_IDLE_TIMEOUT`]): they fail
//! when no byte moves for that long, so a slow but moving transfer of any size completes. Every
//! timeout is an error with [`is_timeout`](wmill_core::Error::is_timeout).
//!
//! # Requests this crate has no helper for
//! [`Windmill::request`] and [`Windmill::workspace_request`] give a [`Request`] with everything
//! above: the SDK's S3 crate sends all its Windmill requests this way, and so can you.
//!
//! # Waiting for jobs
//! The official clients poll every 500 ms. The server's own waits are fixed schedules too:
//! `run_wait_result` checks every 50 ms for 2 s, then every 200 ms; `getupdate_sse` with
//! `fast=true` checks every 100 ms ten times, then every 500 ms, then every 3 s. This crate
//! combines them, per [`WaitStrategy`](wmill_core::WaitStrategy):
//!
//! | strategy | synchronous `run_script_by_path` / `run_flow` | `wait_job(id)`, by-hash runs |
//! |---|---|---|
//! | `Auto` (default) | on a direct connection, for a script whose recent runs all took less than half of the server's bound ([`ServerWait`]): picks the job id, opens `POST jobs/run_wait_result/{p,f}/{path}?job_id=..` and, while it is open, polls `get_result_maybe` adaptively during [`WaitTuning::poll_window`] (300 ms): ~26 polls + 1 request whatever the duration; overhead ≤ ~12 % early, then ≤ 50 ms (< 2 s) / 200 ms; otherwise `POST jobs/run/..`, then as `wait_job` without the first poll (kept with `cache_ttl` or [`FirstWait::poll_at_start`]) | a job this client started: around the end its history predicts ([`WaitHistory`]); otherwise ([`FirstWait`]) one poll at once (a job of unknown age may be done), then one `getupdate_sse?only_result=true&fast=true` stream (reconnected every minute on `timeout`, falling back to polling if streams fail) with `get_result_maybe` polls only between the stream's own checks, where they are further apart than max(10 ms, 20 % of the time waited): 19 polls in all, none after 2.5 s |
//! | `Poll(schedule)` | `POST jobs/run/..` then polls: ~ln(T/min)/ln(1+fraction) requests (≈ 45 for 10 s at 12 %) | same |
//! | `ServerEvents` | `POST jobs/run/..` then one event stream (1-2 requests, latency ≤ 100 ms for 1 s, then 500 ms) | same |
//!
//! A first synchronous `Auto` run of a script (started with `POST jobs/run/..`, then waited
//! for as [`FirstWait`] says) sees the end of a job within half a gap on average: max(5 ms,
//! 10 % of its duration). Measured against the fake server of this workspace (which follows
//! the real schedules), it costs 3 requests for a job that is done at once (the start, the
//! stream, one probe of the result's success flag), 7 for a 50 ms job, about 17 for 500 ms and
//! at most 22 for anything longer (`docs/performance.md`, section 1.1).
//!
//! Later synchronous `Auto` runs of the same script (by path or hash) or flow, and `Auto`
//! waits on jobs this client started (`run_*_async`, handles, batches), learn from the
//! earlier ones ([`WaitHistory`], on by default, bounded, shared by the client's clones): no
//! poll until shortly before the end that the last runs predict, dense polls around it, and the
//! schedule above if the job overruns it. A steady 200 ms script then costs ~3 requests per
//! run instead of ~13 for a first run, a 10 s job 7-9 instead of ~22 (`docs/performance.md`).
//!
//! `run_wait_result` is used only when it takes every run option set (the table on
//! [`RunOptions`](wmill_core::RunOptions): no `scheduled_*`, `invisible_to_owner` or `retry`;
//! flows without tag or parent), `cancel_on_timeout` and `cancel_on_drop` are true, and
//! [`ServerWait`] allows it. The server cancels the job when that connection breaks (so
//! dropping a synchronous run's future cancels its job, and so would a proxy that cuts quiet
//! connections: 60 s by default for nginx and AWS load balancers), and also when the long
//! request reaches the server's `TIMEOUT_WAIT_RESULT` (600 s by default; it then answers
//! `500 timeout after 600s`). So by default ([`ServerWait::Direct`]) it is used only on a
//! direct connection (inside a Windmill job, `BASE_INTERNAL_URL`, or on loopback) **and** for
//! a script or flow whose recent runs ([`WaitHistory`]) all took less than half of
//! [`WaitTuning::server_wait_bound`] (600 s unless told otherwise); a first run, a longer or
//! unknown history, or any other URL starts the job and waits as `wait_job` does.
//! [`ServerWait::Always`] uses it for every run (a job still running at the server's bound
//! ends canceled), [`ServerWait::Never`] for none. If the long request fails without an
//! answer, the wait continues on the job id; nothing is started twice. If it stays silent,
//! the job is checked every [`WaitTuning::long_request_check`] (30 s); if the job does not
//! exist within the request timeout, the long request is dropped and the job started with the
//! same id (not with [`queue_limit`](wmill_core::RunOptions::queue_limit), which forces
//! `run_wait_result` whatever the connection and the history, and which `jobs/run` does not
//! take: that run fails instead, with the server's answer, and may be run again). A timeout
//! ([`WaitOptions::timeout`](wmill_core::WaitOptions)) returns `Error::Timeout` at once, after
//! one `POST jobs_u/queue/cancel/{id}` when `cancel_on_timeout` is set. Every request has a
//! bound (request timeout; for `run_wait_result`, the server's bound plus a tenth plus 20 s,
//! 680 s by default; 90 s per event stream, 20 s of stream silence).
//!
//! # When the caller goes away
//! With [`WaitOptions::cancel_on_drop`](wmill_core::WaitOptions::cancel_on_drop) (on by
//! default, the Python client's `cleanup`), a synchronous run or a `wait_job` whose future is
//! dropped before it returns sends `POST jobs_u/queue/cancel/{id}` `{"reason": "parent job
//! cancelled"}`, whatever the strategy (polling, event stream, `run_wait_result`). The request
//! runs as a task of the current Tokio runtime, so the drop returns at once. When the runtime
//! shuts down before that task completes (it drops its tasks when `main` returns from
//! `#[tokio::main]`, or when a `Runtime` is dropped), the task's drop sends the cancel from a
//! thread of its own and waits for it, at most 5 s (or the request timeout if smaller): the
//! process exits after the cancel went out. Outside any runtime, the same thread is used. A
//! cancel that did not complete in time makes the following drops not wait for theirs for
//! the next 5 s, so a shutdown with many waits on an unreachable server waits 5 s once. Errors
//! are only logged (`tracing`, debug).
//!
//! What no destructor runs for is not covered: `SIGKILL`, `std::process::exit`, aborts,
//! the default handling of `SIGINT`/`SIGTERM` (catch them with `tokio::signal` and return from
//! `main`), `Runtime::shutdown_background` (the process may exit before the cancel is sent).
//! Nor is a run dropped while its `POST jobs/run/..` is in flight: the job id comes with the
//! answer (the `run_wait_result` path picks the id before sending, so it is covered). With
//! `cancel_on_drop` off, a synchronous run does not hold `run_wait_result` (the server would
//! cancel the job when the connection breaks), except with
//! [`RunOptions::queue_limit`](wmill_core::RunOptions::queue_limit), which only that endpoint
//! takes: there a dropped run still loses its job.
//!
//! # Job logs
//! [`get_job_logs`](wmill_core::JobRunner::get_job_logs) reads a whole log
//! (`jobs_u/get_logs` with `remove_ansi_warnings=true`: the log only, without the server's hint
//! line); [`job_logs`](wmill_core::JobRunnerExt::job_logs) follows a running job on
//! `getupdate_sse?log_offset=..&fast=true`, one stream a minute, sending back the server's
//! offsets (characters) so no text is downloaded twice, reopening a broken stream at the last
//! offset, polling `getupdate` if streams keep failing; a wait with
//! [`WaitOptions::logs`](wmill_core::WaitOptions::logs) forwards the log, line by line, while it
//! waits. Details and costs: the [`JobRunner` impl](Windmill#impl-JobRunner-for-Windmill).
//! # Tracing
//! Every public call of [`Windmill`] runs in a `tracing` span (level `INFO`) named after it
//! (`get_variable`, `run_script_by_path`, `get_job`, ...), with the `workspace`, the item `path`
//! (`hash` for a script version) and the `job_id` as fields; starts and synchronous runs record
//! the job id as soon as it is known. Each HTTP attempt runs in an `http` child span with its
//! `method`, `path` (never the query; an approval link's signature shown as `***`), `attempt`
//! (1, 2, ... on retries), then `status`, or `error` when no answer came. No secret is ever a
//! field: not the token, a value, job arguments or results, a body or a query string. Without a
//! subscriber (or with these targets filtered out) a span costs a disabled-callsite check.
//! docs/guide.md shows how to print them with `tracing-subscriber` and send them to
//! OpenTelemetry.
//!
//! # Features
//! - `http2`: HTTP/2 (negotiated by ALPN over TLS) besides HTTP/1.1. Off by default: Windmill
//!   serves HTTP/1.1, and the `h2` crate is about 5 s of a cold build's CPU time. (A build with
//!   the SDK's S3 crate has it anyway: object_store asks reqwest for it.)
//!
//! TLS is rustls with the `ring` crypto provider (see [`install_crypto_provider`]), with the
//! platform's certificate verifier; no OpenSSL, no C compiler beyond `ring`'s few files.

#![cfg_attr(docsrs, feature(doc_cfg))]

/// Builder methods that set fields: [`wmill_core::__setters!`] (a row `=> field: value` sets the
/// field as it is, `=> field = value` sets it to `Some(value)`).
macro_rules! setters {
    ($($rows:tt)*) => { wmill_core::__setters! { $($rows)* } };
}

// The client: its state and connection pools, its settings, how it is built.
mod builder; // WindmillBuilder and the constructors of Windmill
mod client;
mod config; // settings by name (WmillConfigKey) and their defaults
mod env;
mod random; // jitter and nonces from the standard library
mod retry; // RetryConfig
mod tls; // the rustls crypto provider (ring)

// Requests: URLs of typed path segments, then building, sending, retrying, reading answers.
pub mod sse;
mod transport;
mod urls;

// The four traits of `wmill_core`.
mod handle; // cancels sent in the background (drop guards)
mod items; // what variables and resources share
mod job_start; // starting jobs: targets, run options, links, retries
mod jobs; // JobRunner: results, status, cancel, logs
mod listings;
mod log_follower;
mod logs;
mod resources;
mod state;
mod variables;
mod wait; // waiting for jobs: settings, polling, event streams, run_wait_result, learning

// The other calls of the official clients, one file per API area.
mod approvals; // resume/approval URLs, Slack and Teams approvals
mod flow_state;
mod identity; // whoami, version, OIDC and API tokens
mod job_info; // raw job, force-cancel, root job, draining workers, cancel_running
mod preview; // inline script previews
mod progress;
mod raw; // request_json, Kafka offsets
mod resume_link; // ResumeLink: parsing and checking signed step links
mod suspended; // approving or rejecting a suspended step from code

// SQL on the workspace's data tables and lakes.
mod datatable;
mod ducklake;
mod materialize; // the partition helpers of DuckLake
mod sql; // what queries share: result shapes, previews, targets, engines
mod sql_named; // Named: a data table or lake by name, where its queries start
mod sql_names; // the checks of names written into SQL
mod sql_query; // SqlQuery: binding, previews, typed fetches

pub use approvals::{InteractiveApproval, ResumeUrls};
pub use builder::WindmillBuilder;
pub use client::{Windmill, isolate_connections_on_this_thread, with_isolated_connections};
pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_TIMEOUT, WmillConfigKey,
};
pub use datatable::DataTable;
pub use ducklake::{DEFAULT_PARTITION_COLUMN, DuckLake};
pub use env::{
    EnvBackends, MOCKED_API_FILE_VAR, backend_from_env, backend_from_vars, env_backends,
};
pub use materialize::{Materialize, PIPELINE_VAR};
pub use preview::{SCRIPT_LANGUAGES, ScriptLanguage};
/// The HTTP client crate this one is built on: its types appear in [`Request`] (methods,
/// headers) and [`Windmill::http_client`].
pub use reqwest;
pub use resume_link::ResumeLink;
pub use retry::RetryConfig;
pub use sql::{ResultCollection, SqlPreview};
pub use sql_query::SqlQuery;
pub use tls::install_crypto_provider;
pub use transport::{Request, ResponseStream};
pub use urls::url_with_segments;
pub use wait::{FirstWait, ResultMaybe, ServerWait, WaitHistory, WaitTuning};

/// The examples of this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
