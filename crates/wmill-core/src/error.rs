//! The one error type every wmill crate returns.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::JobId;

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

/// The kind of item an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemKind {
    /// A variable (`variables/...`).
    Variable,
    /// A resource (`resources/...`).
    Resource,
    /// A state resource (`resources/...` of type `state`).
    State,
    /// A script, by path or by hash.
    Script,
    /// A flow.
    Flow,
    /// A job (queued, running or completed).
    Job,
    /// An object in S3 storage.
    Object,
    /// A storage (a workspace S3 storage, by name).
    Storage,
    /// Anything else the server reported as missing.
    Other,
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ItemKind::Variable => "variable",
            ItemKind::Resource => "resource",
            ItemKind::State => "state",
            ItemKind::Script => "script",
            ItemKind::Flow => "flow",
            ItemKind::Job => "job",
            ItemKind::Object => "object",
            ItemKind::Storage => "storage",
            ItemKind::Other => "item",
        })
    }
}

/// Everything that can go wrong in a wmill call.
///
/// Match on the variant to tell "not found" from "unauthorized" from "the job failed", or use the
/// predicates [`Error::is_retryable`], [`Error::is_timeout`], [`Error::is_not_found`] and [`Error::status`].
/// Messages name the operation and the item; they never contain the token.
///
/// ```
/// use wmill_core::{Error, ItemKind};
///
/// let err = Error::NotFound { kind: ItemKind::Variable, path: "u/alice/missing".into() };
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
    #[error("{kind} not found: {path}")]
    NotFound {
        /// What kind of item was missing.
        kind: ItemKind,
        /// Its path, id or key.
        path: String,
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
    #[error("transport error on {request}")]
    Transport {
        /// The request, as `METHOD /path`.
        request: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },

    /// The answer could not be decoded into the expected type.
    #[error("could not decode the answer to {request} (body starts with {body_excerpt:?})")]
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

    /// The backend cannot do this operation.
    #[error("{operation} is not supported by {backend}")]
    Unsupported {
        /// The operation.
        operation: &'static str,
        /// The backend that cannot do it.
        backend: &'static str,
    },
}

fn summarize_job_error(error: &Value) -> String {
    let obj = error.get("error").unwrap_or(error);
    match (obj.get("name"), obj.get("message")) {
        (Some(Value::String(name)), Some(Value::String(message))) => format!("{name}: {message}"),
        (_, Some(Value::String(message))) => message.clone(),
        _ => {
            let mut text = obj.to_string();
            truncate_in_place(&mut text, 500);
            text
        }
    }
}

/// Truncates `text` to at most `max` bytes on a char boundary, marking the cut with `…`.
pub(crate) fn truncate_in_place(text: &mut String, max: usize) {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
}

/// A decoding error about data that may hold secrets (resources, state, the mock file): the
/// message keeps its shape (`invalid type: string "…", expected u16`) without the quoted
/// values.
#[derive(Debug)]
struct RedactedError(String);

impl fmt::Display for RedactedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedactedError {}

/// A decoder's error with its quoted values left out, as a source error.
pub(crate) fn redacted(error: impl fmt::Display) -> BoxError {
    Box::new(RedactedError(redact_quoted(&error.to_string())))
}

/// `text` with the content of every `"..."` replaced by `…`.
fn redact_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        if c == '"' {
            if inside {
                out.push('…');
            }
            inside = !inside;
            out.push(c);
        } else if !inside {
            out.push(c);
        }
    }
    out
}

/// The outline of a JSON value: its keys and the kinds of their values, never the values
/// (`{"host": string, "port": number}`), at most 200 bytes.
fn outline(value: &serde_json::Value) -> String {
    use serde_json::Value;
    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
    let mut text = match value {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k:?}: {}", kind(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(items) => format!("[{} items]", items.len()),
        other => kind(other).to_owned(),
    };
    truncate_in_place(&mut text, 200);
    text
}

impl Error {
    /// The [`Error::Decode`] for a value that may hold secrets (a resource after interpolation,
    /// state): the excerpt is the value's outline (keys and kinds, no values) and the message
    /// keeps the decoder's words without the quoted values.
    ///
    /// ```
    /// let value = serde_json::json!({"user": "ada", "password": "hunter2"});
    /// let e = serde_json::from_value::<u32>(value.clone()).unwrap_err();
    /// let err = wmill_core::Error::decode_secret("resource f/db/main", &value, e);
    /// let text = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    /// assert!(!text.contains("hunter2") && !text.contains("ada"));
    /// assert!(text.contains("\\\"password\\\": string"), "{text}");
    /// ```
    pub fn decode_secret(
        request: impl Into<String>,
        value: &serde_json::Value,
        error: impl fmt::Display,
    ) -> Self {
        Error::Decode {
            request: request.into(),
            body_excerpt: outline(value),
            source: redacted(error),
        }
    }

    /// Builds an [`Error::InvalidInput`].
    pub fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            what,
            reason: reason.into(),
        }
    }

    /// Builds an [`Error::NotFound`].
    pub fn not_found(kind: ItemKind, path: impl Into<String>) -> Self {
        Error::NotFound {
            kind,
            path: path.into(),
        }
    }

    /// Whether repeating the same call may succeed: transport errors (but an answer over the
    /// body limit, which would come back the same), HTTP 429, 500, 502, 503 and 504 (the server
    /// answers 500 for transient database errors).
    ///
    /// Timeouts of job waits are not retryable (the job may have been canceled), and neither are
    /// client errors, decode errors or job failures.
    ///
    /// ```
    /// use wmill_core::{Error, ResponseTooLarge};
    ///
    /// let api = |status| Error::Api { status, request: "GET /x".into(), body: String::new() };
    /// assert!(api(500).is_retryable() && api(503).is_retryable());
    /// assert!(!api(400).is_retryable());
    /// let too_large = Error::Transport {
    ///     request: "GET /x".into(),
    ///     source: Box::new(ResponseTooLarge { limit: 1024 }),
    /// };
    /// assert!(!too_large.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } => !self.chain_has::<ResponseTooLarge>(),
            Error::Api { status, .. } => matches!(status, 429 | 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// Whether this error is a timeout: an expired wait ([`Error::Timeout`]) or a request that
    /// got no answer in time (connect, request or idle timeout, as [`Error::Transport`] or
    /// [`Error::Storage`] whose source chain holds an I/O error of kind
    /// [`TimedOut`](std::io::ErrorKind::TimedOut)).
    ///
    /// ```
    /// use std::io;
    /// use wmill_core::Error;
    ///
    /// let e = Error::Transport {
    ///     request: "GET /api/version".into(),
    ///     source: Box::new(io::Error::new(io::ErrorKind::TimedOut, "no answer within 30s")),
    /// };
    /// assert!(e.is_timeout());
    /// assert!(Error::Timeout { job_id: None, after: std::time::Duration::from_secs(1) }.is_timeout());
    /// assert!(!Error::invalid("item path", "empty").is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Transport { .. } | Error::Storage { .. } => {
                let mut source = std::error::Error::source(self);
                while let Some(e) = source {
                    if let Some(io) = e.downcast_ref::<std::io::Error>()
                        && io.kind() == std::io::ErrorKind::TimedOut
                    {
                        return true;
                    }
                    source = e.source();
                }
                false
            }
            _ => false,
        }
    }

    /// Whether an error of type `E` is in the source chain.
    fn chain_has<E: std::error::Error + 'static>(&self) -> bool {
        let mut source = std::error::Error::source(self);
        while let Some(e) = source {
            if e.is::<E>() {
                return true;
            }
            source = e.source();
        }
        false
    }

    /// Whether this is [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// The HTTP status of the failed request: the answer's status for [`Error::Api`] and
    /// [`Error::Unauthorized`], 404 for [`Error::NotFound`] (the in-memory backend reports a
    /// missing item as the server would), `None` for errors that had no answer.
    ///
    /// ```
    /// use wmill_core::{Error, ItemKind};
    ///
    /// assert_eq!(Error::not_found(ItemKind::Variable, "u/a/b").status(), Some(404));
    /// assert_eq!(Error::invalid("item path", "empty").status(), None);
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { status, .. } | Error::Api { status, .. } => Some(*status),
            Error::NotFound { .. } => Some(404),
            _ => None,
        }
    }

    /// The job's error value, for [`Error::JobFailed`].
    pub fn job_error(&self) -> Option<&Value> {
        match self {
            Error::JobFailed { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn retryable_statuses() {
        let api = |status| Error::Api {
            status,
            request: "GET /x".into(),
            body: String::new(),
        };
        for s in [429, 500, 502, 503, 504] {
            assert!(api(s).is_retryable(), "{s}");
        }
        for s in [400, 409, 422, 501] {
            assert!(!api(s).is_retryable(), "{s}");
        }
        assert_eq!(api(503).status(), Some(503));
        let transport = Error::Transport {
            request: "GET /x".into(),
            source: "reset".into(),
        };
        assert!(transport.is_retryable());
        assert!(!Error::invalid("item path", "empty").is_retryable());
    }

    #[test]
    fn job_failed_message_uses_name_and_message() {
        let err = Error::JobFailed {
            job_id: JobId::from_u128(1),
            error: Box::new(json!({"name": "ValueError", "message": "boom", "stack": "..."})),
        };
        assert_eq!(
            err.to_string(),
            "job 00000000-0000-0000-0000-000000000001 failed: ValueError: boom"
        );
        assert_eq!(err.job_error().unwrap()["message"], "boom");
    }

    #[test]
    fn error_is_small_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert!(
            std::mem::size_of::<Error>() <= 80,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let mut s = "ééééé".to_owned();
        truncate_in_place(&mut s, 3);
        assert_eq!(s, "é…");
    }
}
