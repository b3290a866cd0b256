//! How requests appear in errors and logs (`METHOD /path`, never the query or a signature),
//! and the errors of a failed exchange: transport failures and non-success statuses.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use url::Url;
use wmill_core::{Error, ItemKind, RemoteCause, ResponseTooLarge};

/// A request as errors and logs name it, `METHOD /path` (never the query, which may hold user
/// data, nor the token); formatted only when shown.
#[derive(Debug, Clone)]
pub(crate) struct RequestName {
    pub(super) method: Method,
    pub(super) url: Url,
}

impl fmt::Display for RequestName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, shown_path(&self.url))
    }
}

/// The endpoints whose last path segment is a signature that grants access on its own:
/// `jobs_u/{resume|cancel|get_flow}/{job_id}/{resume_id}/{signature}` (approval links).
pub(super) const SIGNED_ENDPOINTS: [&str; 3] = ["resume", "cancel", "get_flow"];

/// A URL's path as errors, logs and spans show it: never the query, and the signature of an
/// approval link replaced by `***`.
pub(crate) fn shown_path(url: &Url) -> Cow<'_, str> {
    let path = url.path();
    if !path.contains("/jobs_u/") {
        return Cow::Borrowed(path);
    }
    let segs: Vec<&str> = path.split('/').collect();
    let signed = segs
        .windows(5)
        .position(|w| w[0] == "jobs_u" && SIGNED_ENDPOINTS.contains(&w[1]) && !w[4].is_empty());
    match signed {
        Some(i) => {
            let mut shown = segs;
            shown[i + 4] = "***";
            Cow::Owned(shown.join("/"))
        }
        None => Cow::Borrowed(path),
    }
}

/// The server of `url` as errors name it: `scheme://host[:port]`, never its path, query or
/// credentials.
pub(crate) fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Why one attempt failed before a complete answer.
#[derive(Debug)]
pub(super) enum AttemptError {
    /// reqwest's error (connect, I/O, protocol, body), without its URL.
    Http(reqwest::Error),
    /// No complete answer within the request timeout, or no progress within the idle timeout.
    TimedOut(&'static str, Duration),
    /// The body is larger than the client's limit (`max_response_bytes`).
    TooLarge(u64),
}

impl AttemptError {
    pub(super) fn http(e: reqwest::Error) -> Self {
        // reqwest's messages name the URL, query included (file keys, signatures): never shown.
        AttemptError::Http(e.without_url())
    }

    pub(super) fn is_connect(&self) -> bool {
        matches!(self, AttemptError::Http(e) if e.is_connect())
    }

    /// The source of the [`Error::Transport`] of this failure: a [`RemoteCause`] naming the
    /// server of `url` and the root cause, over the error itself.
    pub(super) fn into_remote(self, url: &Url) -> RemoteCause {
        let origin = origin_of(url);
        let message = match &self {
            AttemptError::Http(e) if e.is_connect() => {
                format!(
                    "cannot connect to {origin} ({})",
                    wmill_core::root_cause_text(e)
                )
            }
            AttemptError::Http(e) if e.is_timeout() => {
                format!(
                    "timed out waiting for {origin} ({})",
                    wmill_core::root_cause_text(e)
                )
            }
            AttemptError::Http(e) => {
                format!(
                    "the exchange with {origin} failed ({})",
                    wmill_core::root_cause_text(e)
                )
            }
            AttemptError::TimedOut(what, after) => {
                format!("timed out waiting for {origin}: {what} (after {after:?})")
            }
            AttemptError::TooLarge(limit) => format!(
                "the answer of {origin} is larger than the limit of {limit} bytes \
                 (WindmillBuilder::with_max_response_bytes raises it)"
            ),
        };
        RemoteCause::new(origin, message, self.into_source())
    }

    pub(super) fn into_source(self) -> wmill_core::BoxError {
        match self {
            AttemptError::Http(e) if e.is_timeout() => {
                Box::new(std::io::Error::new(std::io::ErrorKind::TimedOut, e))
            }
            AttemptError::Http(e) => Box::new(e),
            AttemptError::TimedOut(what, after) => Box::new(timed_out(what, after)),
            AttemptError::TooLarge(limit) => Box::new(ResponseTooLarge { limit }),
        }
    }
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptError::Http(e) => e.fmt(f),
            AttemptError::TimedOut(what, after) => write!(f, "{what} after {after:?}"),
            AttemptError::TooLarge(limit) => write!(f, "body larger than {limit} bytes"),
        }
    }
}

/// The I/O error every timeout of this crate carries (what [`Error::is_timeout`] looks for).
pub(super) fn timed_out(what: &str, after: Duration) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("{what} (after {after:?})"),
    )
}

pub(super) const REQUEST_TIMED_OUT: &str = "no complete answer within the request timeout";
pub(super) const IDLE_TIMED_OUT: &str = "no progress within the idle timeout";

/// Maps a non-success status to the typed error ([`Error::from_status`]), a 404 naming the
/// item of `not_found` when given, and `workspace`, the workspace of the request (`None` for
/// requests outside any workspace).
pub(crate) fn status_error(
    status: StatusCode,
    body: &[u8],
    request: &(impl fmt::Display + ?Sized),
    not_found: Option<&(ItemKind, String)>,
    workspace: Option<&str>,
) -> Error {
    let code = status.as_u16();
    if code != 404 {
        return Error::from_status(code, request.to_string(), body);
    }
    let missing = match not_found {
        Some((kind, path)) => Error::not_found(*kind, path.clone()),
        None => Error::from_status(code, request.to_string(), body),
    };
    match workspace {
        Some(ws) => missing.in_workspace(ws),
        None => missing,
    }
}
