//! The [`Error`] enum: its variants and their messages, and [`Result`].

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::JobId;

use super::item::{ItemKind, ItemLocation, in_workspace};
use super::messages::{decode_message, summarize_job_error, transport_message};
use super::redact::redacted;

/// A boxed error source, as kept by [`Error::Transport`], [`Error::Decode`] and [`Error::Storage`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The source of an [`Error::Transport`] whose answer was larger than the client's body limit.
/// Such an error is not [retryable](Error::is_retryable): the same answer would come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the answer's body is larger than the limit of {limit} bytes (WindmillBuilder::with_max_response_bytes raises it)"
)]
pub struct ResponseTooLarge {
    /// The limit, in bytes.
    pub limit: u64,
}

/// `Result<T, wmill_core::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a wmill call.
///
/// Match on the variant to tell "not found" from "unauthorized" from "the job failed", or use the
/// predicates [`Error::is_retryable`], [`Error::is_timeout`], [`Error::is_not_found`] and [`Error::status`].
/// Messages name the operation and the item; they never contain the token.
///
/// ```
/// use wmill_core::{Error, ItemKind};
///
/// let err = Error::not_found(ItemKind::Variable, "u/alice/missing");
/// assert!(err.is_not_found());
/// assert!(!err.is_retryable());
/// assert_eq!(err.to_string(), "variable not found: u/alice/missing");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was rejected before any request was sent (bad path, bad id, args that are not a
    /// JSON object, ...).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// What was invalid (`"item path"`, `"job id"`, ...).
        what: &'static str,
        /// Which rule it broke, with the offending value where that is safe to show.
        reason: String,
    },

    /// The item does not exist (HTTP 404, or missing in the in-memory backend).
    ///
    /// The message names the workspace when the backend knows it (the HTTP backend does):
    /// `variable not found: f/bench/var1 (in workspace "tset")`, so a wrong `WM_WORKSPACE`
    /// does not read as a missing item. `path` compares with strings as before
    /// (`path == "u/a/b"`); [`ItemLocation::workspace`] gives the workspace.
    #[error("{kind} not found: {path}{}", in_workspace(path))]
    NotFound {
        /// What kind of item was missing.
        kind: ItemKind,
        /// Its path, id or key, and the workspace it was looked for in.
        path: ItemLocation,
    },

    /// The item already exists (for example a job started twice with the same caller-chosen id).
    #[error("{kind} already exists: {path}")]
    AlreadyExists {
        /// What kind of item.
        kind: ItemKind,
        /// Its path, id or key.
        path: String,
    },

    /// The token was refused (HTTP 401) or lacks the permission (HTTP 403).
    #[error("unauthorized (HTTP {status}) on {request}: {body}")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// The request, as `METHOD /path` (never the token).
        request: String,
        /// The server's answer, truncated.
        body: String,
    },

    /// Any other non-success HTTP status.
    #[error("server answered HTTP {status} on {request}: {body}")]
    Api {
        /// The HTTP status code.
        status: u16,
        /// The request, as `METHOD /path` (never the token).
        request: String,
        /// The server's answer, truncated.
        body: String,
    },

    /// The request did not complete: connection refused or reset, DNS, TLS, request timeout.
    ///
    /// The message says which server and why, then the request, never its query or the token:
    /// `cannot connect to http://127.0.0.1:8000 (connection refused) on GET /api/w/demo/...`
    /// (from the HTTP backend, whose source is a [`RemoteCause`](crate::RemoteCause)); for other sources,
    /// `transport error on <request>: <root cause>`.
    #[error("{}", transport_message(request, source.as_ref()))]
    Transport {
        /// The request, as `METHOD /path`.
        request: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },

    /// The answer could not be decoded into the expected type.
    ///
    /// The message names the server (when the source is a [`RemoteCause`](crate::RemoteCause)), the request and
    /// the decoder's reason: `could not decode the answer of http://127.0.0.1:8000 to GET
    /// /api/w/demo/...: expected value at line 1 column 1 (body starts with "<html>…")`.
    #[error("{}", decode_message(request, body_excerpt, source.as_ref()))]
    Decode {
        /// The request (or operation) whose answer was bad.
        request: String,
        /// The first bytes of the body, for diagnosis.
        body_excerpt: String,
        /// The decoding error.
        #[source]
        source: BoxError,
    },

    /// The job ran and failed; `error` is the error value the job produced
    /// (usually `{"name": ..., "message": ..., "stack": ...}`).
    #[error("job {job_id} failed: {}", summarize_job_error(error))]
    JobFailed {
        /// The failed job.
        job_id: JobId,
        /// The job's error value, as the server reported it.
        error: Box<Value>,
    },

    /// The job succeeded with a `null` result, and the run asked for one
    /// ([`RunOptions::assert_result_is_not_none`](crate::RunOptions::assert_result_is_not_none);
    /// Python's `Exception("Result was none")`).
    #[error("job {job_id} returned no result (null), and the run asserted one")]
    NullResult {
        /// The job.
        job_id: JobId,
    },

    /// Waiting took longer than allowed. The job was canceled if the wait options asked for it.
    #[error("{} did not complete within {after:?}", match job_id { Some(id) => format!("job {id}"), None => "the operation".to_owned() })]
    Timeout {
        /// The job waited for, if the timeout was a job wait.
        job_id: Option<JobId>,
        /// How long we waited.
        after: Duration,
    },

    /// An object storage (S3) operation failed.
    #[error("storage error on {operation}")]
    Storage {
        /// The operation and the storage/key it was about.
        operation: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },

    /// A setting is missing: `what` names it, `hint` says how to set it.
    #[error("{what} is not configured: {hint}")]
    NotConfigured {
        /// The missing setting (`"base URL"`, `"token"`, ...).
        what: &'static str,
        /// How to provide it (the environment variable or builder method).
        hint: String,
    },

    /// A listing stopped because the server did not move on: it answered the same page again
    /// (the same cursor, or the same items as the page before), or rows outside the cursor it
    /// was sent. Paging on would loop for ever.
    #[error("the listing {listing} stopped: {reason}")]
    ListingStalled {
        /// The listing (`"jobs/list"`, `"variables/list"`, ...).
        listing: &'static str,
        /// What the server answered.
        reason: String,
    },

    /// The backend cannot do this operation.
    #[error("{operation} is not supported by {backend}")]
    Unsupported {
        /// The operation.
        operation: &'static str,
        /// The backend that cannot do it.
        backend: &'static str,
    },

    /// The server refused to resume or cancel a suspended flow step. It answers these with
    /// HTTP 500 and a text body; `reason` says which refusal it was. Not retryable: the same
    /// request gets the same answer.
    #[error(
        "the server refused to {action} the suspended job {job_id} ({reason}, HTTP {status}): {body}"
    )]
    ResumeRefused {
        /// The job of the suspended step (or the flow, for a flow-level approval).
        job_id: JobId,
        /// `"resume"` or `"cancel"`.
        action: &'static str,
        /// Which refusal.
        reason: ResumeRefusal,
        /// The HTTP status (500).
        status: u16,
        /// The server's answer, truncated.
        body: String,
    },
    /// An I/O error of the caller's own code (reading a file, say), through `?` on a
    /// [`std::io::Error`] (see the [`From`] impl). The SDK's own file errors are
    /// [`Error::Storage`], naming the file.
    #[error("I/O error: {source}")]
    Io {
        /// The I/O error.
        #[from]
        source: std::io::Error,
    },
}

/// Why the server refused to resume or cancel a suspended flow step ([`Error::ResumeRefused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResumeRefusal {
    /// The signature does not match the job, resume id and approver (`Invalid signature`, or
    /// a signature that is not hexadecimal).
    InvalidSignature,
    /// The job does not exist, or its flow is no longer waiting (`job not found or parent flow
    /// not in queue`, `the flow is not in a suspended state anymore`).
    NotSuspended,
    /// A resume or cancel with this resume id was already sent (`resume request already sent`).
    AlreadySent,
}

impl fmt::Display for ResumeRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResumeRefusal::InvalidSignature => "invalid signature",
            ResumeRefusal::NotSuspended => "not suspended",
            ResumeRefusal::AlreadySent => "already sent",
        })
    }
}

/// `?` on a JSON error in code that returns [`Result`]: [`Error::Decode`] of "JSON value",
/// with the decoder's message reduced to its shape (where it failed and what it expected, no
/// byte of the value: it may be a resource holding secrets); an I/O failure of a reader that
/// serde_json was reading is [`Error::Io`].
///
/// ```
/// fn port(text: &str) -> wmill_core::Result<u16> {
///     let value: serde_json::Value = serde_json::from_str(text)?;
///     Ok(serde_json::from_value(value["port"].clone())?)
/// }
/// assert_eq!(port(r#"{"port": 5432}"#)?, 5432);
/// let err = port(r#"{"port": "secret"}"#).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "could not decode the JSON value: invalid type: string \"…\", expected u16"
/// );
/// # Ok::<(), wmill_core::Error>(())
/// ```
impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        if e.classify() == serde_json::error::Category::Io {
            return Error::Io {
                source: std::io::Error::from(e),
            };
        }
        Error::Decode {
            request: "JSON value".to_owned(),
            body_excerpt: String::new(),
            source: redacted(e),
        }
    }
}
