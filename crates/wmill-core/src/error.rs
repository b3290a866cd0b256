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
    /// (from the HTTP backend, whose source is a [`RemoteCause`]); for other sources,
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
    /// The message names the server (when the source is a [`RemoteCause`]), the request and
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

/// Where a missing item was looked for: its path (or id, or key) and, when the backend knows
/// it, the workspace. The `path` of [`Error::NotFound`].
///
/// It reads as the path: it compares with strings (`path == "u/alice/x"`), dereferences to
/// `str`, and displays as the path alone; the workspace is [`ItemLocation::workspace`].
///
/// ```
/// use wmill_core::{Error, ItemKind};
///
/// let err = Error::not_found(ItemKind::Variable, "f/bench/var1").in_workspace("tset");
/// assert_eq!(err.to_string(), r#"variable not found: f/bench/var1 (in workspace "tset")"#);
/// match &err {
///     Error::NotFound { kind: ItemKind::Variable, path } => {
///         assert_eq!(path, "f/bench/var1");
///         assert_eq!(path.workspace(), Some("tset"));
///     }
///     other => panic!("{other}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemLocation {
    path: String,
    workspace: Option<String>,
}

impl ItemLocation {
    /// A location without a workspace.
    pub fn new(path: impl Into<String>) -> Self {
        ItemLocation {
            path: path.into(),
            workspace: None,
        }
    }

    /// The same location in `workspace`.
    #[must_use]
    pub fn in_workspace(mut self, workspace: impl Into<String>) -> Self {
        self.workspace = Some(workspace.into());
        self
    }

    /// The path, id or key.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// The workspace the item was looked for in, when the backend said.
    pub fn workspace(&self) -> Option<&str> {
        self.workspace.as_deref()
    }

    /// The path, id or key, as a `String`.
    pub fn into_string(self) -> String {
        self.path
    }
}

impl fmt::Display for ItemLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

impl std::ops::Deref for ItemLocation {
    type Target = str;
    fn deref(&self) -> &str {
        &self.path
    }
}

impl AsRef<str> for ItemLocation {
    fn as_ref(&self) -> &str {
        &self.path
    }
}

impl From<String> for ItemLocation {
    fn from(path: String) -> Self {
        ItemLocation::new(path)
    }
}

impl From<&str> for ItemLocation {
    fn from(path: &str) -> Self {
        ItemLocation::new(path)
    }
}

impl From<&String> for ItemLocation {
    fn from(path: &String) -> Self {
        ItemLocation::new(path.as_str())
    }
}

impl From<ItemLocation> for String {
    fn from(location: ItemLocation) -> String {
        location.path
    }
}

impl PartialEq<str> for ItemLocation {
    fn eq(&self, other: &str) -> bool {
        self.path == other
    }
}

impl PartialEq<&str> for ItemLocation {
    fn eq(&self, other: &&str) -> bool {
        self.path == *other
    }
}

impl PartialEq<String> for ItemLocation {
    fn eq(&self, other: &String) -> bool {
        &self.path == other
    }
}

impl PartialEq<ItemLocation> for str {
    fn eq(&self, other: &ItemLocation) -> bool {
        self == other.path
    }
}

impl PartialEq<ItemLocation> for &str {
    fn eq(&self, other: &ItemLocation) -> bool {
        *self == other.path
    }
}

impl PartialEq<ItemLocation> for String {
    fn eq(&self, other: &ItemLocation) -> bool {
        *self == other.path
    }
}

/// ` (in workspace "…")` when the location names one.
fn in_workspace(location: &ItemLocation) -> String {
    match location.workspace() {
        Some(ws) => format!(" (in workspace {ws:?})"),
        None => String::new(),
    }
}

/// What went wrong at a server, as the source of [`Error::Transport`] and [`Error::Decode`]
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
    source: BoxError,
}

impl RemoteCause {
    /// A cause at `origin`; `message` is what [`Display`](fmt::Display) shows.
    pub fn new(
        origin: impl Into<String>,
        message: impl Into<String>,
        source: impl Into<BoxError>,
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
/// its kind (`connection refused`), otherwise its text.
fn root_cause_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut root = e;
    while let Some(next) = root.source() {
        root = next;
    }
    match root.downcast_ref::<std::io::Error>() {
        Some(io) if io.raw_os_error().is_some() => io.kind().to_string(),
        _ => root.to_string(),
    }
}

fn transport_message(
    request: &str,
    source: &(dyn std::error::Error + Send + Sync + 'static),
) -> String {
    match source.downcast_ref::<RemoteCause>() {
        Some(cause) => format!("{cause} on {request}"),
        None => format!("transport error on {request}: {}", root_cause_text(source)),
    }
}

/// Whether `request` is `METHOD /path`, as HTTP requests are named.
fn is_http_request(request: &str) -> bool {
    request.split_once(' ').is_some_and(|(method, path)| {
        !method.is_empty()
            && method.bytes().all(|b| b.is_ascii_uppercase())
            && path.starts_with('/')
    })
}

fn decode_message(
    request: &str,
    body_excerpt: &str,
    source: &(dyn std::error::Error + Send + Sync + 'static),
) -> String {
    let mut text = match source.downcast_ref::<RemoteCause>() {
        Some(cause) => format!(
            "could not decode the answer of {} to {request}: {cause}",
            cause.origin()
        ),
        None if is_http_request(request) => {
            format!("could not decode the answer to {request}: {source}")
        }
        None => format!("could not decode the {request}: {source}"),
    };
    if !body_excerpt.is_empty() {
        text.push_str(&format!(" (body starts with {body_excerpt:?})"));
    }
    text
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
/// decoder's message reduced to its shape (`invalid type: string "…", expected u16`), with
/// no byte of the decoded value.
#[derive(Debug)]
struct RedactedError(String);

impl fmt::Display for RedactedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedactedError {}

/// A decoder's error reduced to its shape (see [`redact_message`]), as a source error.
pub(crate) fn redacted(error: impl fmt::Display) -> BoxError {
    Box::new(RedactedError(redact_message(&error.to_string())))
}

/// What [`redact_message`] says for a message that has none of the known shapes.
const UNRECOGNIZED_DECODE_ERROR: &str = "the data does not have the expected type (the decoder's message is not shown: it may quote the value)";

/// The messages of serde and serde_json that never hold data, kept as they are.
const FIXED_MESSAGES: &[&str] = &[
    "EOF while parsing a list",
    "EOF while parsing an object",
    "EOF while parsing a string",
    "EOF while parsing a value",
    "expected `:`",
    "expected `,` or `]`",
    "expected `,` or `}`",
    "expected ident",
    "expected value",
    "expected `\"`",
    "invalid escape",
    "invalid number",
    "number out of range",
    "invalid unicode code point",
    "control character (\\u0000-\\u001F) found while parsing a string",
    "key must be a string",
    "invalid value: expected key to be a number in quotes",
    "float key must be finite (got NaN or +/-inf)",
    "lone leading surrogate in hex escape",
    "trailing comma",
    "trailing characters",
    "unexpected end of hex escape",
    "recursion limit exceeded",
    "value is missing",
    "can only flatten structs and maps",
    "untagged and internally tagged enums do not support enum input",
];

/// The descriptions of serde's `Unexpected` (and serde_json's) that hold no data.
const DATALESS_UNEXPECTED: &[&str] = &[
    "byte array",
    "unit value",
    "Option value",
    "newtype struct",
    "sequence",
    "map",
    "enum",
    "unit variant",
    "newtype variant",
    "tuple variant",
    "struct variant",
    "null",
    "number",
    "i128",
    "u128",
];

/// A decoder's message with no byte of the decoded value: a fixed vocabulary, not a filter.
///
/// The messages serde and serde_json build are recognized by their templates
/// (`invalid type: <found>, expected <type>`, ``unknown variant `<v>`, expected ...``,
/// `invalid length <n>, expected ...`, ``missing field `<f>` ``, the syntax errors, ...) and
/// rebuilt from their parts that come from the target type (what was expected, the type's
/// field and variant names), the kind of what was found (`string "…"`, ``integer `…` ``)
/// and the position in the text. Values, variant names and lengths read from the data become
/// `…`; the keys of unknown fields stay (keys are not secret: the outline shows them). Any
/// other message (a `Deserialize` impl's own words, which may quote the value) becomes
/// [`UNRECOGNIZED_DECODE_ERROR`].
fn redact_message(text: &str) -> String {
    let (message, position) = split_position(text);
    match redact_known(message) {
        Some(mut out) => {
            if let Some((line, column)) = position {
                out.push_str(&format!(" at line {line} column {column}"));
            }
            out
        }
        None => UNRECOGNIZED_DECODE_ERROR.to_owned(),
    }
}

/// `text` without serde_json's ` at line L column C` suffix, and that position.
fn split_position(text: &str) -> (&str, Option<(&str, &str)>) {
    let is_number =
        |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((head, column)) = text.rsplit_once(" column ")
        && let Some((message, line)) = head.rsplit_once(" at line ")
        && is_number(line)
        && is_number(column)
    {
        return (message, Some((line, column)));
    }
    (text, None)
}

/// The message rebuilt from its typed parts, `None` when it has no known shape.
fn redact_known(message: &str) -> Option<String> {
    if let Some(fixed) = FIXED_MESSAGES.iter().find(|m| **m == message) {
        return Some((*fixed).to_owned());
    }
    // Serde's words around a type name; the name is left out.
    if message.starts_with("data did not match any variant of untagged enum ") {
        return Some("data did not match any variant of the untagged enum".to_owned());
    }
    if message.starts_with("no variant of enum ") && message.ends_with(" found in flattened data") {
        return Some("no variant of the enum found in flattened data".to_owned());
    }
    for label in ["invalid type", "invalid value"] {
        if let Some(rest) = message
            .strip_prefix(label)
            .and_then(|r| r.strip_prefix(": "))
        {
            // The expected type comes last; what was found may hold ", expected " itself.
            let (found, expected) = rest.rsplit_once(", expected ")?;
            let found = redact_unexpected(found)?;
            return Some(format!("{label}: {found}, expected {}", typed(expected)));
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        let (len, expected) = rest.split_once(", expected ")?;
        if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return Some(format!("invalid length …, expected {}", typed(expected)));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        if rest.ends_with("`, there are no variants") {
            return Some("unknown variant `…`, there are no variants".to_owned());
        }
        let (_variant, expected) = rest.rsplit_once("`, expected ")?;
        return is_name_list(expected)
            .then(|| format!("unknown variant `…`, expected {}", typed(expected)));
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some(key) = rest.strip_suffix("`, there are no fields") {
            return Some(format!(
                "unknown field `{}`, there are no fields",
                key_text(key)
            ));
        }
        let (key, expected) = rest.rsplit_once("`, expected ")?;
        return is_name_list(expected).then(|| {
            format!(
                "unknown field `{}`, expected {}",
                key_text(key),
                typed(expected)
            )
        });
    }
    for prefix in ["missing field `", "duplicate field `"] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let field = rest.strip_suffix('`')?;
            return Some(format!("{prefix}{}`", key_text(field)));
        }
    }
    None
}

/// The kind of what was found, from serde's description of it (`string "..."`,
/// ``integer `5` ``, `map`, ...), without its value; `None` for an unknown description.
fn redact_unexpected(found: &str) -> Option<&'static str> {
    if let Some(word) = DATALESS_UNEXPECTED.iter().find(|w| **w == found) {
        return Some(word);
    }
    let quoted = |prefix: &str| found.strip_prefix(prefix).and_then(|r| r.strip_suffix('`'));
    if let Some(b) = quoted("boolean `") {
        return matches!(b, "true" | "false").then_some("boolean `…`");
    }
    let is_integer = |s: &str| {
        let digits = s.strip_prefix('-').unwrap_or(s);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    };
    if let Some(rest) = found.strip_prefix("integer `") {
        let number = rest
            .strip_suffix('`')
            .or_else(|| rest.strip_suffix("` as i128"))
            .or_else(|| rest.strip_suffix("` as u128"))?;
        return is_integer(number).then_some("integer `…`");
    }
    if let Some(f) = quoted("floating point `") {
        let is_float = matches!(f, "NaN" | "inf" | "-inf")
            || (!f.is_empty()
                && f.bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')));
        return is_float.then_some("floating point `…`");
    }
    if let Some(c) = quoted("character `") {
        return (c.chars().count() == 1).then_some("character `…`");
    }
    let string = found.strip_prefix("string \"")?.strip_suffix('"')?;
    is_debug_escaped(string).then_some("string \"…\"")
}

/// Whether `s` is the inside of a `{:?}`-formatted string: every `"` escaped, no lone `\\` at
/// the end.
fn is_debug_escaped(s: &str) -> bool {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.next().is_none() => return false,
            '\\' => {}
            '"' => return false,
            _ => {}
        }
    }
    true
}

/// Whether `s` is serde's list of the type's names: `` `a` ``, `` `a` or `b` `` or
/// ``one of `a`, `b`, `c` ``.
fn is_name_list(s: &str) -> bool {
    (s.starts_with('`') || s.starts_with("one of `")) && s.ends_with('`') && s.len() > 1
}

/// A part of the message that comes from the target type (what it expected), bounded.
fn typed(text: &str) -> String {
    let mut text = text.to_owned();
    truncate_in_place(&mut text, 200);
    text
}

/// A field name or an object key, bounded and with control characters escaped.
fn key_text(key: &str) -> String {
    let mut text = String::with_capacity(key.len());
    for c in key.chars() {
        if c.is_control() {
            text.extend(c.escape_debug());
        } else {
            text.push(c);
        }
    }
    truncate_in_place(&mut text, 64);
    text
}

/// The outline of a JSON value: its keys and the kinds of their values, never the values
/// (`{"host": string, "port": number}`), at most 200 bytes.
pub(crate) fn outline(value: &serde_json::Value) -> String {
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

#[cfg(test)]
mod tests;
