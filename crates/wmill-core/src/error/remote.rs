//! [`RemoteCause`]: what went wrong at a server, as an error source.

use std::fmt;

/// What went wrong at a server, as the source of [`Error::Transport`](crate::Error::Transport) and [`Error::Decode`](crate::Error::Decode)
/// from the HTTP backend: the server's origin (scheme, host and port; never a path, a query
/// or credentials) and a message that names it with the root cause
/// (`cannot connect to http://127.0.0.1:8000 (connection refused)`); the underlying error is
/// its [`source`](std::error::Error::source).
///
/// ```
/// use wmill_core::{Error, RemoteCause};
///
/// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// let err = Error::Transport {
///     request: "GET /api/version".into(),
///     source: Box::new(RemoteCause::new(
///         "http://127.0.0.1:8000",
///         "cannot connect to http://127.0.0.1:8000 (connection refused)",
///         refused,
///     )),
/// };
/// assert_eq!(
///     err.to_string(),
///     "cannot connect to http://127.0.0.1:8000 (connection refused) on GET /api/version"
/// );
/// ```
#[derive(Debug)]
pub struct RemoteCause {
    origin: String,
    message: String,
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl RemoteCause {
    /// A cause at `origin`; `message` is what [`Display`](fmt::Display) shows.
    pub fn new(
        origin: impl Into<String>,
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        RemoteCause {
            origin: origin.into(),
            message: message.into(),
            source: source.into(),
        }
    }

    /// The server: `scheme://host[:port]`.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl fmt::Display for RemoteCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RemoteCause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// The message of the innermost error of `e`'s chain: for an operating system's I/O error,
/// its kind (`connection refused`), otherwise its text (`dns error: ...`, a TLS error, ...).
///
/// ```
/// let io = std::io::Error::from_raw_os_error(111);
/// let text = wmill_core::root_cause_text(&io);
/// assert!(!text.is_empty());
/// assert_eq!(wmill_core::root_cause_text(&std::fmt::Error), "an error occurred when formatting an argument");
/// ```
pub fn root_cause_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut root = e;
    while let Some(next) = root.source() {
        root = next;
    }
    match root.downcast_ref::<std::io::Error>() {
        Some(io) if io.raw_os_error().is_some() => io.kind().to_string(),
        _ => root.to_string(),
    }
}
