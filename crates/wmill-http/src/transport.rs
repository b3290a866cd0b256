//! Sending requests: the auth header, bodies, timeouts, retries, and status-to-error mapping.
//!
//! Every request this workspace sends to Windmill goes through [`Request`]: the typed helpers
//! of this crate, the raw calls of the umbrella crate (`wmill::get` / `wmill::post`) and every
//! S3 call of `wmill-s3` that reaches the server.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;
use url::Url;
use wmill_core::{Error, ItemKind, RemoteCause, ResponseTooLarge, Result};

use crate::client::Windmill;
use crate::urls::{Seg, check_segment, check_segments};

/// The longest body excerpt kept in errors.
const MAX_ERROR_BODY: usize = 500;

/// The longest body excerpt kept in decode errors.
const MAX_DECODE_EXCERPT: usize = 200;

/// When a request may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryMode {
    /// Repeating it is harmless: retried on transport errors, 429, 500, 502, 503 and 504.
    Idempotent,
    /// Not repeatable: retried only when the connection could not be opened (the request
    /// never reached the server).
    ConnectOnly,
}

/// What a request sends.
enum Body {
    None,
    /// Sent again as it is on a retry.
    Bytes(Bytes, HeaderValue),
    /// Chunks sent as a stream, replayable (an upload held in memory).
    Chunks(Arc<[Bytes]>, HeaderValue),
    /// A stream that can be sent once: the request is never retried.
    Stream(Option<reqwest::Body>, HeaderValue),
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::None => f.write_str("None"),
            Body::Bytes(b, _) => write!(f, "Bytes({} bytes)", b.len()),
            Body::Chunks(c, _) => write!(f, "Chunks({} chunks)", c.len()),
            Body::Stream(..) => f.write_str("Stream"),
        }
    }
}

/// A request to the Windmill API, built by [`Windmill::request`] or
/// [`Windmill::workspace_request`], sent with one of the `send_*` methods.
///
/// It carries what every request of this SDK has: the base URL and token of its client, the
/// client's request timeout, retry policy and body limit, status-to-[`Error`] mapping, and
/// `tracing` events (method, path, status, duration; never the token, the query or a body).
/// Each attempt runs in an `http` span (fields `method`, `path`, `attempt`, then `status` or
/// `error`), a child of the span of the call that sent it.
///
/// - **Retries.** A request is retried on connect errors only, unless marked
///   [`idempotent`](Request::idempotent): then also on transport errors, 429 (honouring
///   `Retry-After`), 500, 502, 503 and 504, within the client's
///   [`RetryConfig`](crate::RetryConfig). A request whose body is a stream
///   ([`body_stream`](Request::body_stream)) is never retried: the stream cannot be replayed.
/// - **Timeouts.** Each attempt of an ordinary request must be answered within the request
///   timeout ([`timeout`](Request::timeout) changes it for one request); a body still arriving
///   past it goes on while bytes keep coming, each within the smaller of the idle and request
///   timeouts. A request
///   with a streamed or chunked body, and the body of [`send_stream`](Request::send_stream),
///   instead have an idle timeout: they fail when no byte moves for
///   [`with_idle_timeout`](crate::WindmillBuilder::with_idle_timeout), so a slow but moving
///   transfer of any size completes. Every timeout is an error with
///   [`is_timeout`](Error::is_timeout).
/// - **Bodies.** Answers read into memory stop at the client's body limit
///   ([`with_max_response_bytes`](crate::WindmillBuilder::with_max_response_bytes)); an empty or
///   undecodable 2xx answer is [`Error::Decode`], never a default value.
///
/// ```no_run
/// # async fn demo() -> wmill_core::Result<()> {
/// use reqwest::Method;
/// use serde_json::{Value, json};
///
/// let wm = wmill_http::Windmill::from_env()?;
/// // GET /api/w/{workspace}/scripts/list?per_page=10
/// let scripts: Vec<Value> = wm
///     .workspace_request(Method::GET, "scripts/list")
///     .query("per_page", "10")
///     .idempotent()
///     .send_json()
///     .await?;
/// // POST /api/w/{workspace}/variables/create
/// wm.workspace_request(Method::POST, "variables/create")
///     .json(&json!({"path": "u/me/x", "value": "1", "is_secret": false, "description": ""}))?
///     .send_empty()
///     .await?;
/// # let _ = scripts; Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct Request<'c> {
    client: &'c Windmill,
    method: Method,
    url: Url,
    /// An input error found while building: returned by the send, before any request.
    error: Option<Error>,
    body: Body,
    headers: Vec<(HeaderName, HeaderValue)>,
    retry: RetryMode,
    timeout: Duration,
    not_found: Option<(ItemKind, Cow<'c, str>)>,
    /// Whether the request is in the client's workspace (`/api/w/{workspace}/...`): a 404
    /// then names the workspace.
    in_workspace: bool,
    /// When the body last moved: set for chunked and streamed bodies (idle timeout).
    activity: Option<Arc<Activity>>,
}

/// A response read to the end.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
    /// The answer's `Content-Type`.
    pub(crate) content_type: Option<HeaderValue>,
    /// `METHOD /path`, for errors (formatted only when one is built).
    pub(crate) request: RequestName,
    /// How many attempts were made (1 = no retry).
    pub(crate) attempts: u32,
}

/// A request as errors and logs name it, `METHOD /path` (never the query, which may hold user
/// data, nor the token); formatted only when shown.
#[derive(Debug, Clone)]
pub(crate) struct RequestName {
    method: Method,
    url: Url,
}

impl fmt::Display for RequestName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, shown_path(&self.url))
    }
}

/// The endpoints whose last path segment is a signature that grants access on its own:
/// `jobs_u/{resume|cancel|get_flow}/{job_id}/{resume_id}/{signature}` (approval links).
const SIGNED_ENDPOINTS: [&str; 3] = ["resume", "cancel", "get_flow"];

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

/// The message of the innermost error of `e`'s chain: for an operating system's I/O error its
/// kind (`connection refused`), otherwise its text (`dns error: ...`, a TLS error, ...).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut root = e;
    while let Some(next) = root.source() {
        root = next;
    }
    match root.downcast_ref::<std::io::Error>() {
        Some(io) if io.raw_os_error().is_some() => io.kind().to_string(),
        _ => root.to_string(),
    }
}

/// A response status and body, as one attempt got them.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    /// `Retry-After`, read only for the statuses that may be retried.
    retry_after: Option<Duration>,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

/// Why one attempt failed before a complete answer.
#[derive(Debug)]
enum AttemptError {
    /// reqwest's error (connect, I/O, protocol, body), without its URL.
    Http(reqwest::Error),
    /// No complete answer within the request timeout, or no progress within the idle timeout.
    TimedOut(&'static str, Duration),
    /// The body is larger than the client's limit (`max_response_bytes`).
    TooLarge(u64),
}

impl AttemptError {
    fn http(e: reqwest::Error) -> Self {
        // reqwest's messages name the URL, query included (file keys, signatures): never shown.
        AttemptError::Http(e.without_url())
    }

    fn is_connect(&self) -> bool {
        matches!(self, AttemptError::Http(e) if e.is_connect())
    }

    /// The source of the [`Error::Transport`] of this failure: a [`RemoteCause`] naming the
    /// server of `url` and the root cause, over the error itself.
    fn into_remote(self, url: &Url) -> RemoteCause {
        let origin = origin_of(url);
        let message = match &self {
            AttemptError::Http(e) if e.is_connect() => {
                format!("cannot connect to {origin} ({})", root_cause(e))
            }
            AttemptError::Http(e) if e.is_timeout() => {
                format!("timed out waiting for {origin} ({})", root_cause(e))
            }
            AttemptError::Http(e) => {
                format!("the exchange with {origin} failed ({})", root_cause(e))
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

    fn into_source(self) -> wmill_core::BoxError {
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
fn timed_out(what: &str, after: Duration) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("{what} (after {after:?})"),
    )
}

const REQUEST_TIMED_OUT: &str = "no complete answer within the request timeout";
const IDLE_TIMED_OUT: &str = "no progress within the idle timeout";

/// The statuses an idempotent request is retried on.
fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// Whether `tracing` would record a debug event of this crate (checked before measuring times
/// only logs use).
fn debug_enabled() -> bool {
    tracing::enabled!(tracing::Level::DEBUG)
}

/// When bytes last moved, for idle timeouts (milliseconds since `base`).
#[derive(Debug)]
struct Activity {
    base: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Arc<Self> {
        Arc::new(Self::local())
    }

    fn local() -> Self {
        Activity {
            base: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    /// When bytes last moved.
    fn last(&self) -> Instant {
        self.base + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    fn touch(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }
}

/// Runs `fut` until it completes, or until both `floor` has passed and no activity moved for
/// `idle` (the deadline is `max(floor, last move + idle)`, re-read whenever it is reached).
async fn within<F: Future>(
    fut: F,
    floor: Instant,
    activities: [&Activity; 2],
    idle: Duration,
) -> Option<F::Output> {
    let deadline = || {
        let last = activities[0].last().max(activities[1].last());
        let idle_end = last
            .checked_add(idle)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365));
        floor.max(idle_end)
    };
    let mut fut = std::pin::pin!(fut);
    loop {
        match tokio::time::timeout_at(deadline().into(), &mut fut).await {
            Ok(out) => return Some(out),
            Err(_) if deadline() <= Instant::now() => return None,
            Err(_) => {}
        }
    }
}

/// A stream of chunks that records each chunk it yields in `activity`.
fn tracked<S>(stream: S, activity: Arc<Activity>) -> reqwest::Body
where
    S: Stream<Item = std::result::Result<Bytes, std::io::Error>> + Send + 'static,
{
    reqwest::Body::wrap_stream(stream.inspect(move |_| activity.touch()))
}

impl Windmill {
    /// Starts a request to `{base}/api/<segs>`. Defaults: not retried except on connect errors,
    /// the client's request timeout, 404 reported as a generic missing item. A free-text
    /// segment that could change the path (control characters, empty, `.`, `..`) makes the
    /// send fail before any request.
    pub(crate) fn call(&self, method: Method, segs: &[Seg<'_>]) -> Request<'_> {
        Request {
            client: self,
            method,
            url: self.url(segs),
            error: check_segments(segs).err(),
            body: Body::None,
            headers: Vec::new(),
            retry: RetryMode::ConnectOnly,
            timeout: self.inner.request_timeout,
            not_found: None,
            in_workspace: segs.iter().any(|s| matches!(s, Seg::Ws)),
            activity: None,
        }
    }

    /// A request to `{base}/api/{path}`, for endpoints this crate has no helper for.
    ///
    /// `path` is split on `/` (a leading `/` is ignored) and each segment is percent-encoded:
    /// pass segments as they are, not encoded, and the query through [`Request::query`]. A
    /// segment that is empty, `.` or `..`, or holds a control character, makes the send fail
    /// with [`Error::InvalidInput`] before any request.
    ///
    /// ```
    /// let wm = wmill_http::Windmill::builder()
    ///     .with_base_url("http://localhost:8000")
    ///     .with_token("t")
    ///     .with_workspace("demo")
    ///     .build()?;
    /// let req = wm.request(reqwest::Method::GET, "/version");
    /// assert_eq!(req.url().as_str(), "http://localhost:8000/api/version");
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn request(&self, method: Method, path: &str) -> Request<'_> {
        self.free_request(method, None, path)
    }

    /// A request to `{base}/api/w/{workspace}/{path}`: [`request`](Self::request) in the
    /// client's workspace.
    ///
    /// ```
    /// let wm = wmill_http::Windmill::builder()
    ///     .with_base_url("http://localhost:8000")
    ///     .with_token("t")
    ///     .with_workspace("demo")
    ///     .build()?;
    /// let req = wm
    ///     .workspace_request(reqwest::Method::GET, "job_helpers/download_s3_file")
    ///     .query("file_key", "a b/c.csv");
    /// assert_eq!(
    ///     req.url().as_str(),
    ///     "http://localhost:8000/api/w/demo/job_helpers/download_s3_file?file_key=a+b%2Fc.csv"
    /// );
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn workspace_request(&self, method: Method, path: &str) -> Request<'_> {
        self.free_request(method, Some(Seg::Ws), path)
    }

    fn free_request(&self, method: Method, first: Option<Seg<'_>>, path: &str) -> Request<'_> {
        let path = path.strip_prefix('/').unwrap_or(path);
        let mut segs: Vec<Seg<'_>> = first.into_iter().collect();
        let mut error = None;
        for seg in path.split('/') {
            if let Err(e) = check_segment(seg) {
                error.get_or_insert(e);
            }
            segs.push(Seg::One(seg));
        }
        let mut req = self.call(method, &segs);
        if req.error.is_none() {
            req.error = error;
        }
        req
    }
}

impl<'c> Request<'c> {
    /// The URL the request goes to (its query included).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Adds a query parameter (percent-encoded).
    pub fn query(mut self, key: &str, value: impl AsRef<str>) -> Self {
        self.url.query_pairs_mut().append_pair(key, value.as_ref());
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt(self, key: &str, value: Option<impl AsRef<str>>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Adds a header. `Authorization` is the client's and cannot be replaced.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        if name != AUTHORIZATION {
            self.headers.push((name, value));
        }
        self
    }

    /// Sends `body` as JSON (`Content-Type: application/json`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `body` cannot be serialized (a map with non-string keys).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::invalid(
                "request body",
                format!("could not serialize it to JSON: {e}"),
            )
        })?;
        self.body = Body::Bytes(
            Bytes::from(bytes),
            HeaderValue::from_static("application/json"),
        );
        Ok(self)
    }

    /// Sends `body` as it is, with `content_type`. Retries send it again.
    pub fn body(mut self, body: impl Into<Bytes>, content_type: HeaderValue) -> Self {
        self.body = Body::Bytes(body.into(), content_type);
        self
    }

    /// Sends `chunks` one after the other, without copying them into one buffer. Retries send
    /// them again. The request has an idle timeout rather than a total one.
    pub fn body_chunks(
        mut self,
        chunks: impl Into<Arc<[Bytes]>>,
        content_type: HeaderValue,
    ) -> Self {
        self.body = Body::Chunks(chunks.into(), content_type);
        self.activity = Some(Activity::new());
        self
    }

    /// Sends a body read from `stream` as it comes. Such a request is **never retried**, not
    /// even on a connect error: the stream cannot be replayed. It has an idle timeout rather
    /// than a total one, and an error of the stream aborts the request (the server sees a
    /// broken body).
    pub fn body_stream<S>(mut self, stream: S, content_type: HeaderValue) -> Self
    where
        S: Stream<Item = std::result::Result<Bytes, std::io::Error>> + Send + 'static,
    {
        let activity = Activity::new();
        self.body = Body::Stream(Some(tracked(stream, activity.clone())), content_type);
        self.activity = Some(activity);
        self
    }

    /// Marks the request as safe to repeat: retried on transport errors and on 429, 500, 502,
    /// 503 and 504 (a streamed body excepted).
    pub fn idempotent(mut self) -> Self {
        self.retry = RetryMode::Idempotent;
        self
    }

    /// Sets the retry mode.
    pub(crate) fn retry(mut self, mode: RetryMode) -> Self {
        self.retry = mode;
        self
    }

    /// Sets the timeout of each attempt (default: the client's request timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Says what a 404 means: [`Error::NotFound`] with this kind and item, instead of a missing
    /// item named by the request path.
    pub fn not_found(mut self, kind: ItemKind, item: impl Into<Cow<'c, str>>) -> Self {
        self.not_found = Some((kind, item.into()));
        self
    }

    fn request_name(&self) -> RequestName {
        RequestName {
            method: self.method.clone(),
            url: self.url.clone(),
        }
    }

    /// Sends the request and decodes a 2xx answer as JSON.
    ///
    /// # Errors
    /// The status's error for a non-2xx answer; [`Error::Decode`] for a 2xx answer that is
    /// empty or not the JSON `T` expects; [`Error::Transport`] when no answer came.
    pub async fn send_json<T: DeserializeOwned>(self) -> Result<T> {
        self.send().await?.json()
    }

    /// Sends the request and returns the body of a 2xx answer (up to the client's body limit).
    pub async fn send_bytes(self) -> Result<Bytes> {
        Ok(self.send().await?.body)
    }

    /// Sends the request and returns the body of a 2xx answer as text.
    ///
    /// # Errors
    /// [`Error::Decode`] when the body is not UTF-8.
    pub async fn send_text(self) -> Result<String> {
        self.send().await?.text()
    }

    /// Sends the request and checks that the answer is a 2xx; the body is read and dropped.
    pub async fn send_empty(self) -> Result<()> {
        self.send().await.map(|_| ())
    }

    /// Sends the request (with retries) and returns the successful response; any non-2xx status
    /// is mapped to an error.
    pub(crate) async fn send(mut self) -> Result<Resp> {
        let not_found = self.not_found.take();
        let workspace = self.workspace();
        let resp = self.send_raw().await?;
        if resp.status.is_success() {
            Ok(resp)
        } else {
            let not_found = not_found.map(|(kind, path)| (kind, path.into_owned()));
            Err(status_error(
                resp.status,
                &resp.body,
                &resp.request,
                not_found.as_ref(),
                workspace,
            ))
        }
    }

    /// The workspace of a request in the client's workspace.
    fn workspace(&self) -> Option<&'c str> {
        let client: &'c Windmill = self.client;
        self.in_workspace.then(|| client.inner.workspace.as_str())
    }

    /// Sends the request (with retries) and returns whatever status came back.
    pub(crate) async fn send_raw(mut self) -> Result<Resp> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let limit = self.client.inner.max_response_bytes;
        let progress = Activity::local();
        let (answer, attempts) = self
            .with_retries(&progress, |resp, progress| {
                read_answer(resp, limit, progress)
            })
            .await?;
        Ok(Resp {
            status: answer.status,
            body: answer.body,
            content_type: answer.content_type,
            request: RequestName {
                method: self.method,
                url: self.url,
            },
            attempts,
        })
    }

    /// Sends the request and returns a 2xx answer as soon as its headers arrive, its body as a
    /// stream of chunks ([`ResponseStream`]): for downloads of any size.
    ///
    /// Retries (of an idempotent request) happen before the headers: once the body has
    /// started, an error ends the stream. The body has an idle timeout, not a total one.
    ///
    /// # Errors
    /// The status's error for a non-2xx answer (its body read up to the client's limit);
    /// [`Error::Transport`] when no answer came.
    pub async fn send_stream(mut self) -> Result<ResponseStream> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let limit = self.client.inner.max_response_bytes;
        let progress = Activity::local();
        let (head, _) = self
            .with_retries(&progress, |resp, progress| async move {
                if resp.status().is_success() {
                    return Ok(Head::Open(resp));
                }
                read_answer(resp, limit, progress).await.map(Head::Failed)
            })
            .await?;
        let request = self.request_name();
        let workspace = self.workspace();
        match head {
            Head::Open(resp) => Ok(ResponseStream {
                status: resp.status(),
                headers: resp.headers().clone(),
                content_length: resp.content_length(),
                request: request.to_string(),
                origin: origin_of(&self.url),
                idle: self.client.inner.idle_timeout,
                resp,
            }),
            Head::Failed(answer) => {
                let not_found = self.not_found.map(|(kind, path)| (kind, path.into_owned()));
                Err(status_error(
                    answer.status,
                    &answer.body,
                    &request,
                    not_found.as_ref(),
                    workspace,
                ))
            }
        }
    }

    /// The request of one attempt: its body is built anew for each (or taken, for a stream).
    fn attempt(
        &mut self,
    ) -> impl Future<Output = std::result::Result<reqwest::Response, reqwest::Error>> + Send + 'static
    {
        let inner = &self.client.inner;
        let mut req = self
            .client
            .pool()
            .request(self.method.clone(), self.url.clone())
            .header(AUTHORIZATION, inner.auth.clone());
        if inner.custom_client {
            // A given client may have a shorter timeout of its own: this one overrides it, as
            // long waits need (the attempt is bounded here either way).
            req = req.timeout(match self.body {
                Body::Chunks(..) | Body::Stream(..) => Duration::from_secs(86_400 * 365),
                Body::None | Body::Bytes(..) => self.timeout,
            });
        }
        for (name, value) in &self.headers {
            req = req.header(name.clone(), value.clone());
        }
        match &mut self.body {
            Body::None => {}
            Body::Bytes(bytes, ct) => {
                req = req.header(CONTENT_TYPE, ct.clone()).body(bytes.clone());
            }
            Body::Chunks(chunks, ct) => {
                let chunks = chunks.clone();
                let stream = futures::stream::iter(
                    (0..chunks.len()).map(move |i| Ok::<_, std::io::Error>(chunks[i].clone())),
                );
                let body = match &self.activity {
                    Some(a) => tracked(stream, a.clone()),
                    None => reqwest::Body::wrap_stream(stream),
                };
                req = req.header(CONTENT_TYPE, ct.clone()).body(body);
            }
            Body::Stream(stream, ct) => {
                req = req.header(CONTENT_TYPE, ct.clone());
                if let Some(body) = stream.take() {
                    req = req.body(body);
                }
            }
        }
        req.send()
    }

    /// Sends attempts, each read by `read`, under the attempt's bound, retrying as the
    /// request's mode and the client's policy say. Returns the outcome and the attempt count.
    async fn with_retries<'a, T, F, Fut>(
        &mut self,
        progress: &'a Activity,
        mut read: F,
    ) -> Result<(T, u32)>
    where
        T: Outcome,
        F: FnMut(reqwest::Response, &'a Activity) -> Fut,
        Fut: Future<Output = std::result::Result<T, AttemptError>>,
    {
        let retry = self.client.inner.retry;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            // A streamed body is gone after the first attempt.
            let replayable = !matches!(self.body, Body::Stream(..));
            let can_retry = attempt <= retry.max_retries && replayable;
            let started = debug_enabled().then(Instant::now);
            // One span per attempt, inside the caller's span: the status or the error is
            // recorded when known; never the query, a header or a body.
            let span = tracing::info_span!(
                "http",
                method = %self.method,
                path = %shown_path(&self.url),
                attempt,
                status = tracing::field::Empty,
                error = tracing::field::Empty,
            );
            let send = self.attempt();
            let exchange = async {
                let resp = send.await.map_err(AttemptError::http)?;
                read(resp, progress).await
            }
            .instrument(span.clone());
            let now = Instant::now();
            progress.touch();
            let result = match &self.activity {
                Some(activity) => {
                    // Chunked and streamed bodies: an idle timeout over the whole exchange.
                    let idle = self.client.inner.idle_timeout;
                    activity.touch();
                    match within(exchange, now, [activity, progress], idle).await {
                        Some(out) => out,
                        None => Err(AttemptError::TimedOut(IDLE_TIMED_OUT, idle)),
                    }
                }
                None => {
                    // The answer within the request timeout; a body still coming past it goes on
                    // while bytes keep arriving (a large result on a slow link), each within the
                    // smaller of the idle and request timeouts.
                    let idle = self.client.inner.idle_timeout.min(self.timeout);
                    let floor = now.checked_add(self.timeout).unwrap_or(now);
                    match within(exchange, floor, [progress, progress], idle).await {
                        Some(out) => out,
                        None if progress.last() > now => {
                            Err(AttemptError::TimedOut(IDLE_TIMED_OUT, idle))
                        }
                        None => Err(AttemptError::TimedOut(REQUEST_TIMED_OUT, self.timeout)),
                    }
                }
            };
            match &result {
                Ok(outcome) => span.record("status", outcome.status().as_u16()),
                Err(e) => span.record("error", tracing::field::display(e)),
            };
            // The attempt's span ends here, before any backoff.
            drop(span);
            match result {
                Ok(outcome) => {
                    let status = outcome.status();
                    if let Some(started) = started {
                        tracing::debug!(
                            request = %self.request_name(),
                            status = status.as_u16(),
                            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                            "windmill request"
                        );
                    }
                    if can_retry
                        && self.retry == RetryMode::Idempotent
                        && is_retryable_status(status)
                    {
                        let delay = match outcome.retry_after() {
                            Some(after) if after > retry.max_retry_after => None,
                            Some(after) => Some(after),
                            None => Some(backoff(&retry, attempt)),
                        };
                        if let Some(delay) = delay {
                            tracing::debug!(request = %self.request_name(), status = status.as_u16(), ?delay, "retrying");
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                    }
                    return Ok((outcome, attempt));
                }
                Err(e) => {
                    let retryable = match e {
                        // The same answer would come back.
                        AttemptError::TooLarge(_) => false,
                        _ => self.retry == RetryMode::Idempotent || e.is_connect(),
                    };
                    if can_retry && retryable {
                        let delay = backoff(&retry, attempt);
                        tracing::debug!(request = %self.request_name(), error = %e, ?delay, "retrying after a transport error");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    tracing::debug!(request = %self.request_name(), error = %e, "windmill request failed");
                    return Err(Error::Transport {
                        request: self.request_name().to_string(),
                        source: Box::new(e.into_remote(&self.url)),
                    });
                }
            }
        }
    }
}

/// What an attempt's reader gives the retry loop: the status and its `Retry-After`.
trait Outcome {
    fn status(&self) -> StatusCode;
    fn retry_after(&self) -> Option<Duration>;
}

impl Outcome for Answer {
    fn status(&self) -> StatusCode {
        self.status
    }
    fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

/// A streamed answer's head: open (2xx, body unread) or failed (body read).
enum Head {
    Open(reqwest::Response),
    Failed(Answer),
}

impl Outcome for Head {
    fn status(&self) -> StatusCode {
        match self {
            Head::Open(r) => r.status(),
            Head::Failed(a) => a.status,
        }
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Head::Open(_) => None,
            Head::Failed(a) => a.retry_after,
        }
    }
}

/// A 2xx answer whose body is read as a stream: see [`Request::send_stream`].
#[derive(Debug)]
pub struct ResponseStream {
    status: StatusCode,
    headers: HeaderMap,
    content_length: Option<u64>,
    request: String,
    /// The server, for errors.
    origin: String,
    idle: Duration,
    resp: reqwest::Response,
}

impl ResponseStream {
    /// The status (a 2xx).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The answer's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body's length, when the answer announced it.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The body as a stream of chunks. Each chunk must come within the client's idle timeout
    /// ([`with_idle_timeout`](crate::WindmillBuilder::with_idle_timeout)): a stalled body
    /// ends the stream with an error whose [`is_timeout`](Error::is_timeout) is true; a broken
    /// one with [`Error::Transport`]. After an error the stream ends.
    pub fn into_stream(self) -> BoxStream<'static, Result<Bytes>> {
        let ResponseStream {
            request,
            origin,
            idle,
            resp,
            ..
        } = self;
        futures::stream::unfold(Some(resp), move |resp| {
            let (request, origin) = (request.clone(), origin.clone());
            async move {
                let mut resp = resp?;
                match tokio::time::timeout(idle, resp.chunk()).await {
                    Ok(Ok(Some(chunk))) => Some((Ok(chunk), Some(resp))),
                    Ok(Ok(None)) => None,
                    Ok(Err(e)) => Some((Err(body_error(request, &origin, e)), None)),
                    Err(_) => Some((Err(body_stalled(request, &origin, idle)), None)),
                }
            }
        })
        .boxed()
    }

    /// The next chunk of the body (`None` at its end), under the idle timeout; for code that
    /// reads the body in place (server-sent events).
    pub(crate) async fn chunk(&mut self, idle: Duration) -> Result<Option<Bytes>> {
        match tokio::time::timeout(idle, self.resp.chunk()).await {
            Ok(Ok(chunk)) => Ok(chunk),
            Ok(Err(e)) => Err(body_error(self.request.clone(), &self.origin, e)),
            Err(_) => Err(body_stalled(self.request.clone(), &self.origin, idle)),
        }
    }

    /// `METHOD /path` of the request.
    pub(crate) fn request(&self) -> &str {
        &self.request
    }
}

/// The [`Error::Transport`] of a streamed body that broke.
fn body_error(request: String, origin: &str, e: reqwest::Error) -> Error {
    let e = e.without_url();
    let message = format!("the answer of {origin} broke off ({})", root_cause(&e));
    let e = AttemptError::Http(e);
    Error::Transport {
        request,
        source: Box::new(RemoteCause::new(origin, message, e.into_source())),
    }
}

/// The [`Error::Transport`] of a streamed body that stopped moving.
fn body_stalled(request: String, origin: &str, idle: Duration) -> Error {
    Error::Transport {
        request,
        source: Box::new(RemoteCause::new(
            origin,
            format!("timed out waiting for {origin}: {IDLE_TIMED_OUT} (after {idle:?})"),
            timed_out(IDLE_TIMED_OUT, idle),
        )),
    }
}

impl Resp {
    /// The body as JSON; an empty body is a decode error like any other body that is not the
    /// JSON expected.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| self.decode_error(e))
    }

    /// The body as text.
    pub(crate) fn text(&self) -> Result<String> {
        String::from_utf8(self.body.to_vec()).map_err(|e| self.decode_error(e))
    }

    /// The body as the text value of a call that answers with text (a version, a token, an
    /// email): an empty body, or an HTML page (a proxy's), is [`Error::Decode`], never a value.
    pub(crate) fn text_value(&self) -> Result<String> {
        let html = self.content_type.as_ref().is_some_and(|ct| {
            ct.to_str().is_ok_and(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("text/html")
            })
        });
        let text = self.text()?;
        let text = text.trim();
        if text.is_empty() || html {
            return Err(self.decode_error(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                if html {
                    "an HTML page where a text value was expected"
                } else {
                    "an empty answer where a text value was expected"
                },
            )));
        }
        Ok(text.to_owned())
    }

    /// A job result: JSON, or a string when the answer says `text/plain` (a result the job
    /// returned with `windmill_content_type`). An empty body, or one that is neither (a
    /// proxy's HTML page), is [`Error::Decode`].
    pub(crate) fn result_value(&self) -> Result<Value> {
        match serde_json::from_slice(&self.body) {
            Ok(v) => Ok(v),
            Err(e) => {
                let plain = !self.body.is_empty()
                    && self.content_type.as_ref().is_some_and(|ct| {
                        ct.to_str().is_ok_and(|ct| {
                            ct.trim_start()
                                .to_ascii_lowercase()
                                .starts_with("text/plain")
                        })
                    });
                if plain {
                    self.text().map(Value::String)
                } else {
                    Err(self.decode_error(e))
                }
            }
        }
    }

    /// The [`Error::Decode`] of this answer: the request, the server, the decoder's reason
    /// and the head of the body.
    pub(crate) fn decode_error(&self, e: impl std::error::Error + Send + Sync + 'static) -> Error {
        let message = e.to_string();
        Error::Decode {
            request: self.request.to_string(),
            body_excerpt: excerpt(&self.body, MAX_DECODE_EXCERPT),
            source: Box::new(RemoteCause::new(origin_of(&self.request.url), message, e)),
        }
    }
}

/// Maps a non-success status to the typed error. A 404 names `workspace`, the workspace of
/// the request (`None` for requests outside any workspace).
pub(crate) fn status_error(
    status: StatusCode,
    body: &[u8],
    request: &(impl fmt::Display + ?Sized),
    not_found: Option<&(ItemKind, String)>,
    workspace: Option<&str>,
) -> Error {
    let code = status.as_u16();
    let request = request.to_string();
    match code {
        404 => {
            let missing = match not_found {
                Some((kind, path)) => Error::not_found(*kind, path.clone()),
                None => Error::not_found(
                    ItemKind::Other,
                    request.split_once(' ').map_or(request.as_str(), |x| x.1),
                ),
            };
            match workspace {
                Some(ws) => missing.in_workspace(ws),
                None => missing,
            }
        }
        401 | 403 => Error::Unauthorized {
            status: code,
            request,
            body: excerpt(body, MAX_ERROR_BODY),
        },
        _ => Error::Api {
            status: code,
            request,
            body: excerpt(body, MAX_ERROR_BODY),
        },
    }
}

/// The first `max` bytes of `body` as text (lossy), cut on a char boundary.
pub(crate) fn excerpt(body: &[u8], max: usize) -> String {
    // Only the head is converted: a cut body still gives more than `max` bytes of text (a lossy
    // conversion never shrinks), so the cut below marks it.
    let head = &body[..body.len().min(max.saturating_add(4))];
    let mut text = String::from_utf8_lossy(head).into_owned();
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// Reads an answer: its status, `Retry-After` (only for the statuses that may be retried),
/// `Content-Type` and whole body (at most `limit` bytes).
async fn read_answer(
    resp: reqwest::Response,
    limit: u64,
    progress: &Activity,
) -> std::result::Result<Answer, AttemptError> {
    let status = resp.status();
    let retry_after = if is_retryable_status(status) {
        retry_after(resp.headers())
    } else {
        None
    };
    let content_type = resp.headers().get(CONTENT_TYPE).cloned();
    let body = read_body(resp, limit, progress).await?;
    Ok(Answer {
        status,
        retry_after,
        content_type,
        body,
    })
}

/// Reads a whole body of at most `limit` bytes, chunk by chunk, stopping as soon as the limit
/// is passed. An announced length over the limit is refused at once; an announced length is
/// never trusted for the allocation (it grows as bytes arrive).
async fn read_body(
    mut resp: reqwest::Response,
    limit: u64,
    progress: &Activity,
) -> std::result::Result<Bytes, AttemptError> {
    if resp.content_length().is_some_and(|len| len > limit) {
        return Err(AttemptError::TooLarge(limit));
    }
    let mut first: Option<Bytes> = None;
    let mut rest = bytes::BytesMut::new();
    let mut total: u64 = 0;
    while let Some(chunk) = resp.chunk().await.map_err(AttemptError::http)? {
        progress.touch();
        total = total.saturating_add(chunk.len() as u64);
        if total > limit {
            return Err(AttemptError::TooLarge(limit));
        }
        match &first {
            // A one-chunk body is returned as it came, without a copy.
            None => first = Some(chunk),
            Some(head) => {
                if rest.is_empty() {
                    rest.extend_from_slice(head);
                }
                rest.extend_from_slice(&chunk);
            }
        }
    }
    Ok(if rest.is_empty() {
        first.unwrap_or_default()
    } else {
        rest.freeze()
    })
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs).or_else(|| {
        // `try_from`: a value too large for a `Duration` (e.g. `1e300`) must not panic.
        v.parse::<f64>()
            .ok()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
    })
}

/// Exponential backoff with jitter: a random duration in `[d/2, d]`, `d = initial * 2^(n-1)`
/// capped at `max_backoff`.
pub(crate) fn backoff(retry: &crate::RetryConfig, attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(20);
    let d = retry
        .initial_backoff
        .saturating_mul(1u32 << exp)
        .min(retry.max_backoff);
    let half = d / 2;
    let jitter = crate::random::random_fraction();
    half + half.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RetryConfig;

    #[test]
    fn backoff_is_bounded_and_jittered() {
        let r = RetryConfig::default();
        for attempt in 1..30 {
            let d = backoff(&r, attempt);
            assert!(d <= r.max_backoff, "{d:?}");
        }
        let first = backoff(&r, 1);
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
    }

    #[test]
    fn retry_after_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, "0.5".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(500)));
        for absurd in ["1e300", "99999999999999999999", "-1", "NaN", "inf"] {
            h.insert(RETRY_AFTER, absurd.parse().unwrap());
            assert_eq!(retry_after(&h), None, "{absurd}");
        }
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn retried_statuses() {
        for s in [429, 500, 502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [200, 201, 400, 401, 403, 404, 409, 422, 501, 505] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(s).unwrap()),
                "{s}"
            );
        }
    }

    #[test]
    fn status_mapping() {
        let nf = (ItemKind::Variable, "u/a/b".to_owned());
        let e = status_error(
            StatusCode::NOT_FOUND,
            b"Not found: x",
            "GET /x",
            Some(&nf),
            None,
        );
        assert!(
            matches!(e, Error::NotFound { kind: ItemKind::Variable, ref path } if path == "u/a/b")
        );
        let e = status_error(
            StatusCode::NOT_FOUND,
            b"Not found: x",
            "GET /api/x",
            None,
            None,
        );
        assert!(
            matches!(e, Error::NotFound { kind: ItemKind::Other, ref path } if path == "/api/x"),
            "{e:?}"
        );
        for s in [401, 403] {
            let e = status_error(
                StatusCode::from_u16(s).unwrap(),
                b"no",
                "GET /x",
                None,
                None,
            );
            assert!(
                matches!(e, Error::Unauthorized { status, ref body, .. } if status == s && body == "no"),
                "{e:?}"
            );
        }
        for s in [400, 402, 405, 500, 502] {
            let e = status_error(StatusCode::from_u16(s).unwrap(), b"b", "GET /x", None, None);
            assert!(
                matches!(e, Error::Api { status, .. } if status == s),
                "{e:?}"
            );
        }
        let long = vec![b'a'; 5000];
        let e = status_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &long,
            "GET /x",
            None,
            None,
        );
        match e {
            Error::Api {
                status: 500, body, ..
            } => assert_eq!(body.len(), MAX_ERROR_BODY + '…'.len_utf8()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn excerpts_cut_on_char_boundaries_and_mark_the_cut() {
        assert_eq!(excerpt(b"abc", 3), "abc");
        assert_eq!(excerpt(b"abcd", 3), "abc…");
        assert_eq!(excerpt("éé".as_bytes(), 3), "é…");
        assert_eq!(excerpt(b"", 3), "");
        // A huge body is not converted whole.
        let big = vec![b'x'; 10_000_000];
        assert_eq!(excerpt(&big, 10).len(), 10 + '…'.len_utf8());
    }

    #[test]
    fn shown_paths_hide_approval_signatures_and_queries() {
        let shown = |u: &str| shown_path(&Url::parse(u).unwrap()).into_owned();
        for endpoint in ["resume", "cancel", "get_flow"] {
            assert_eq!(
                shown(&format!(
                    "http://h/api/w/demo/jobs_u/{endpoint}/0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12/0/abcdef0123?approver=ada"
                )),
                format!("/api/w/demo/jobs_u/{endpoint}/0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12/0/***")
            );
        }
        // Other endpoints are shown as they are, without their query.
        assert_eq!(
            shown("http://h/api/w/demo/jobs_u/queue/cancel/0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12"),
            "/api/w/demo/jobs_u/queue/cancel/0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12"
        );
        assert_eq!(
            shown("http://h/api/w/demo/variables/get_value/u/a/b?x=secret"),
            "/api/w/demo/variables/get_value/u/a/b"
        );
        // A link cut short has no signature to hide.
        assert_eq!(
            shown("http://h/api/w/demo/jobs_u/resume/x/0"),
            "/api/w/demo/jobs_u/resume/x/0"
        );
        let name = RequestName {
            method: Method::POST,
            url: Url::parse("http://h/api/w/demo/jobs_u/resume/x/0/sig").unwrap(),
        };
        assert_eq!(name.to_string(), "POST /api/w/demo/jobs_u/resume/x/0/***");
    }

    #[tokio::test]
    async fn idle_timeouts_wait_while_bytes_move() {
        let activity = Activity::new();
        let idle = Duration::from_millis(200);
        // Progress every 50 ms for 600 ms: never idle for 200 ms, so the work completes.
        let a = activity.clone();
        let work = async move {
            for _ in 0..12 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                a.touch();
            }
            7
        };
        let now = Instant::now();
        assert_eq!(
            within(work, now, [&activity, &activity], idle).await,
            Some(7)
        );
        // No progress: gives up after the idle time.
        let activity = Activity::new();
        let stalled = futures::future::pending::<()>();
        let started = Instant::now();
        assert_eq!(
            within(stalled, started, [&activity, &activity], idle).await,
            None
        );
        assert!(started.elapsed() >= idle);
        // A floor further away than the idle time holds the deadline until it passes.
        let floor = Instant::now() + Duration::from_millis(500);
        let started = Instant::now();
        let stalled = futures::future::pending::<()>();
        assert_eq!(
            within(stalled, floor, [&activity, &activity], idle).await,
            None
        );
        assert!(started.elapsed() >= Duration::from_millis(500));
        // Progress in the second source counts too.
        let (first, second) = (Activity::new(), Activity::new());
        let s = second.clone();
        let work = async move {
            for _ in 0..8 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                s.touch();
            }
            1
        };
        assert_eq!(
            within(work, Instant::now(), [&first, &second], idle).await,
            Some(1)
        );
    }
}
