//! [`Request`]: what a request is made of (method, URL, body, headers, retry mode, timeout),
//! and the builders that set it.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use serde::Serialize;
use url::Url;
use wmill_core::{Error, ItemKind, Result};

use super::errors::RequestName;
use super::idle::{Activity, tracked};
use crate::client::Windmill;
use crate::urls::{Seg, check_segment, check_segments, push_segment};

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
pub(super) enum Body {
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
    pub(super) client: &'c Windmill,
    pub(super) method: Method,
    pub(super) url: Url,
    /// An input error found while building: returned by the send, before any request.
    pub(super) error: Option<Error>,
    pub(super) body: Body,
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
    pub(super) retry: RetryMode,
    pub(super) timeout: Duration,
    pub(super) not_found: Option<(ItemKind, Cow<'c, str>)>,
    /// Whether the request is in the client's workspace (`/api/w/{workspace}/...`): a 404
    /// then names the workspace.
    pub(super) in_workspace: bool,
    /// When the body last moved: set for chunked and streamed bodies (idle timeout).
    pub(super) activity: Option<Arc<Activity>>,
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

    /// A request about one item of the workspace: `{ws}/{route...}/{item}`.
    pub(crate) fn route_call(
        &self,
        method: Method,
        route: &[&'static str],
        item: Seg<'_>,
    ) -> Request<'_> {
        let mut segs: Vec<Seg<'_>> = Vec::with_capacity(route.len() + 2);
        segs.push(Seg::Ws);
        segs.extend(route.iter().map(|r| Seg::Lit(r)));
        segs.push(item);
        self.call(method, &segs)
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

    pub(super) fn free_request(
        &self,
        method: Method,
        first: Option<Seg<'_>>,
        path: &str,
    ) -> Request<'_> {
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

    /// Appends one free-text path segment, fully percent-encoded like [`Seg::One`]; one that
    /// could change the path makes the send fail before any request, as in
    /// [`Windmill::call`].
    pub(crate) fn segment(mut self, seg: &str) -> Self {
        if let Err(e) = check_segment(seg) {
            self.error.get_or_insert(e);
        }
        push_segment(&mut self.url, seg);
        self
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
        let bytes =
            serde_json::to_vec(body).map_err(|e| Error::unserializable("request body", e))?;
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

    pub(super) fn request_name(&self) -> RequestName {
        RequestName {
            method: self.method.clone(),
            url: self.url.clone(),
        }
    }
}
