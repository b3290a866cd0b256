//! What an [`Error`] says about itself (`is_retryable`, `is_timeout`, `is_not_found`,
//! `is_already_exists`, `status`, `job_error`), and the constructors every crate builds errors with.

use std::fmt;

use serde_json::Value;

use super::item::{ItemKind, ItemLocation};
use super::redact::{outline, redacted};
use super::variants::{Error, ResponseTooLarge};

impl Error {
    /// The [`Error::Decode`] for a value that may hold secrets (a resource after interpolation,
    /// state): the excerpt is the value's outline (keys and kinds, no values) and the source is
    /// the decoder's message reduced to its shape, with no byte of the value
    /// (``invalid value: integer `…`, expected u16``, ``unknown variant `…`, expected `a` or `b` ``).
    /// A message of unknown shape (a `Deserialize` impl's own words) is replaced by a fixed one.
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
            path: ItemLocation::new(path),
        }
    }

    /// The same error, saying that the item was looked for in `workspace` (for an
    /// [`Error::NotFound`]; any other error is returned as it is).
    #[must_use]
    pub fn in_workspace(self, workspace: impl Into<String>) -> Self {
        match self {
            Error::NotFound { kind, path } => Error::NotFound {
                kind,
                path: path.in_workspace(workspace),
            },
            other => other,
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
            Error::Io { source } => source.kind() == std::io::ErrorKind::TimedOut,
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

    /// Whether the server refused to create an item because one with that path already exists:
    /// an [`Error::Api`] with status 400 or 409 whose body says `already exists` or
    /// `duplicate key` (any case), as the server answers a create on a taken path.
    ///
    /// ```
    /// use wmill_core::Error;
    ///
    /// let api = |status, body: &str| Error::Api {
    ///     status,
    ///     request: "POST /api/w/demo/variables/create".into(),
    ///     body: body.into(),
    /// };
    /// assert!(api(400, "Variable u/a/b already exists").is_already_exists());
    /// assert!(api(409, "DUPLICATE KEY value violates unique constraint").is_already_exists());
    /// assert!(!api(500, "already exists").is_already_exists());
    /// assert!(!api(400, "bad path").is_already_exists());
    /// assert!(!Error::invalid("item path", "empty").is_already_exists());
    /// ```
    pub fn is_already_exists(&self) -> bool {
        match self {
            Error::Api {
                status: 400 | 409,
                body,
                ..
            } => {
                let b = body.to_ascii_lowercase();
                b.contains("already exists") || b.contains("duplicate key")
            }
            _ => false,
        }
    }

    /// The HTTP status of the failed request: the answer's status for [`Error::Api`],
    /// [`Error::Unauthorized`] and [`Error::ResumeRefused`], 404 for [`Error::NotFound`] (the in-memory backend reports a
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
            Error::Unauthorized { status, .. }
            | Error::Api { status, .. }
            | Error::ResumeRefused { status, .. } => Some(*status),
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
