//! Sending requests: URL building, the auth header, retries, and status-to-error mapping.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;
use wmill_core::{Error, ItemKind, ItemPath, Result};

use crate::client::Windmill;

/// The longest body excerpt kept in errors.
const MAX_ERROR_BODY: usize = 500;

/// Bytes a URL path segment keeps as they are (RFC 3986 `pchar` without `%`): `url` encodes
/// none of them, in a segment or in a whole path.
const PLAIN_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        b += 1;
    }
    t
};

/// One piece of a request path.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg<'a> {
    /// A fixed path segment (`variables`, `get_value`).
    Lit(&'a str),
    /// `w/{workspace}`.
    Ws,
    /// An item path: each of its segments is percent-encoded, `/` between them kept.
    Item(&'a ItemPath),
    /// One segment, fully percent-encoded (a `/` inside becomes `%2F`).
    One(&'a str),
}

/// When a request may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryMode {
    /// Repeating it is harmless: retried on transport errors, 429, 502, 503 and 504.
    Idempotent,
    /// Not repeatable: retried only when the connection could not be opened.
    ConnectOnly,
}

/// A request being prepared.
#[derive(Debug)]
pub(crate) struct Call<'c> {
    client: &'c Windmill,
    method: Method,
    url: Url,
    body: Option<Bytes>,
    retry: RetryMode,
    timeout: Duration,
    not_found: Option<(ItemKind, Cow<'c, str>)>,
}

/// A response read to the end.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
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
        write!(f, "{} {}", self.method, self.url.path())
    }
}

/// A response status and body, as one attempt got them.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    /// `Retry-After`, read only for the statuses that may be retried.
    retry_after: Option<Duration>,
    body: Bytes,
}

/// Why one attempt failed before a complete answer.
#[derive(Debug)]
enum AttemptError {
    /// reqwest's error (connect, I/O, protocol, body).
    Http(reqwest::Error),
    /// No complete answer (headers and body) within the request timeout.
    TimedOut(Duration),
    /// The body is larger than the client's limit (`max_response_bytes`).
    TooLarge(u64),
}

impl AttemptError {
    fn is_connect(&self) -> bool {
        matches!(self, AttemptError::Http(e) if e.is_connect())
    }

    fn into_source(self) -> wmill_core::BoxError {
        match self {
            AttemptError::Http(e) => Box::new(e),
            AttemptError::TimedOut(after) => Box::new(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no complete answer within the request timeout ({after:?})"),
            )),
            AttemptError::TooLarge(limit) => Box::new(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "the answer's body is larger than the limit of {limit} bytes \
                     (WindmillBuilder::with_max_response_bytes raises it)"
                ),
            )),
        }
    }
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptError::Http(e) => e.fmt(f),
            AttemptError::TimedOut(after) => write!(f, "timed out after {after:?}"),
            AttemptError::TooLarge(limit) => write!(f, "body larger than {limit} bytes"),
        }
    }
}

/// The statuses an idempotent request is retried on.
fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// Whether `tracing` would record a debug event of this crate (checked before measuring times
/// only logs use).
fn debug_enabled() -> bool {
    tracing::enabled!(tracing::Level::DEBUG)
}

impl Windmill {
    /// `{base}/api/` + the segments.
    pub(crate) fn url(&self, segs: &[Seg<'_>]) -> Url {
        self.url_plain(segs)
            .unwrap_or_else(|| self.url_by_segments(segs))
    }

    /// The URL when every segment is made of characters that are never percent-encoded (the
    /// usual case: literals, workspace ids, item paths, job ids): the path is assembled as one
    /// string and set at once, which gives exactly what [`url_by_segments`](Self::url_by_segments)
    /// gives for such segments, for a fraction of the work. `None` when a segment needs encoding
    /// (or is empty, `.` or `..`).
    fn url_plain(&self, segs: &[Seg<'_>]) -> Option<Url> {
        let base = &self.inner.base;
        let mut path = String::with_capacity(base.path().len() + 96);
        path.push_str(base.path());
        let mut push = |seg: &str| -> Option<()> {
            if seg.is_empty()
                || seg == "."
                || seg == ".."
                || !seg.bytes().all(|b| PLAIN_BYTES[usize::from(b)])
            {
                return None;
            }
            path.push_str(seg);
            path.push('/');
            Some(())
        };
        for seg in segs {
            match seg {
                Seg::Lit(s) | Seg::One(s) => push(s)?,
                Seg::Ws => {
                    push("w")?;
                    push(self.inner.workspace.as_str())?;
                }
                Seg::Item(p) => {
                    for s in p.segments() {
                        push(s)?;
                    }
                }
            }
        }
        // `{base}/api/` ends with `/`; so does every pushed segment: drop the last one, as
        // `pop_if_empty` does.
        path.pop();
        let mut url = base.clone();
        url.set_path(&path);
        Some(url)
    }

    /// The URL built segment by segment: each percent-encoded by `url` (a `/` inside becomes
    /// `%2F`), `.` and `..` skipped.
    fn url_by_segments(&self, segs: &[Seg<'_>]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut p) = url.path_segments_mut() {
            p.pop_if_empty();
            for seg in segs {
                match seg {
                    Seg::Lit(s) | Seg::One(s) => {
                        p.push(s);
                    }
                    Seg::Ws => {
                        p.push("w").push(self.inner.workspace.as_str());
                    }
                    Seg::Item(path) => {
                        p.extend(path.segments());
                    }
                }
            }
        }
        url
    }

    /// Starts a request to `{base}/api/<segs>`. Defaults: not retried except on connect errors,
    /// the client's request timeout, 404 reported as a generic missing item.
    pub(crate) fn call(&self, method: Method, segs: &[Seg<'_>]) -> Call<'_> {
        Call {
            client: self,
            method,
            url: self.url(segs),
            body: None,
            retry: RetryMode::ConnectOnly,
            timeout: self.inner.request_timeout,
            not_found: None,
        }
    }
}

impl<'c> Call<'c> {
    /// Adds a query parameter.
    pub(crate) fn query(mut self, key: &str, value: impl AsRef<str>) -> Self {
        self.url.query_pairs_mut().append_pair(key, value.as_ref());
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub(crate) fn query_opt(self, key: &str, value: Option<impl AsRef<str>>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Sends `body` as JSON.
    pub(crate) fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::invalid(
                "request body",
                format!("could not serialize it to JSON: {e}"),
            )
        })?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// Marks the request as safe to repeat.
    pub(crate) fn idempotent(mut self) -> Self {
        self.retry = RetryMode::Idempotent;
        self
    }

    /// Sets the retry mode.
    pub(crate) fn retry(mut self, mode: RetryMode) -> Self {
        self.retry = mode;
        self
    }

    /// Sets the timeout of each attempt.
    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What a 404 means.
    pub(crate) fn not_found(mut self, kind: ItemKind, path: impl Into<Cow<'c, str>>) -> Self {
        self.not_found = Some((kind, path.into()));
        self
    }

    fn request_name(&self) -> RequestName {
        RequestName {
            method: self.method.clone(),
            url: self.url.clone(),
        }
    }

    /// Sends the request (with retries) and returns the successful response; any non-2xx status
    /// is mapped to an error.
    pub(crate) async fn send(mut self) -> Result<Resp> {
        let not_found = self.not_found.take();
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
            ))
        }
    }

    /// Sends the request (with retries) and returns whatever status came back.
    pub(crate) async fn send_raw(self) -> Result<Resp> {
        let retry = self.client.inner.retry;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let can_retry = attempt <= retry.max_retries;
            match self.once().await {
                Ok(answer) => {
                    if can_retry
                        && self.retry == RetryMode::Idempotent
                        && is_retryable_status(answer.status)
                    {
                        let delay = match answer.retry_after {
                            Some(after) if after > retry.max_retry_after => None,
                            Some(after) => Some(after),
                            None => Some(backoff(&retry, attempt)),
                        };
                        if let Some(delay) = delay {
                            tracing::debug!(request = %self.request_name(), status = answer.status.as_u16(), ?delay, "retrying");
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                    }
                    return Ok(Resp {
                        status: answer.status,
                        body: answer.body,
                        request: RequestName {
                            method: self.method,
                            url: self.url,
                        },
                        attempts: attempt,
                    });
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
                    return Err(Error::Transport {
                        request: self.request_name().to_string(),
                        source: e.into_source(),
                    });
                }
            }
        }
    }

    fn builder(&self) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .inner
            .http
            .request(self.method.clone(), self.url.clone())
            .header(AUTHORIZATION, self.client.inner.auth.clone());
        if self.client.inner.custom_client {
            // A given client may have a shorter timeout of its own: this one overrides it, as
            // long waits need (`once` bounds the attempt either way).
            req = req.timeout(self.timeout);
        }
        if let Some(body) = &self.body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        req
    }

    /// One attempt: the request, its answer read to the end, all within the request timeout.
    ///
    /// The timeout is a `tokio` timer around the exchange rather than reqwest's per-request
    /// timeout: the same bound (connect, headers and body), whatever client is used, without
    /// reqwest's per-request extension map and boxed timer.
    async fn once(&self) -> std::result::Result<Answer, AttemptError> {
        let started = debug_enabled().then(Instant::now);
        let limit = self.client.inner.max_response_bytes;
        let exchange = async {
            let resp = self.builder().send().await.map_err(AttemptError::Http)?;
            let status = resp.status();
            let retry_after = if is_retryable_status(status) {
                retry_after(resp.headers())
            } else {
                None
            };
            let body = read_body(resp, limit).await?;
            Ok(Answer {
                status,
                retry_after,
                body,
            })
        };
        let answer = match tokio::time::timeout(self.timeout, exchange).await {
            Ok(answer) => answer?,
            Err(_elapsed) => return Err(AttemptError::TimedOut(self.timeout)),
        };
        if let Some(started) = started {
            tracing::debug!(
                request = %self.request_name(),
                status = answer.status.as_u16(),
                elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                "windmill request"
            );
        }
        Ok(answer)
    }

    /// Opens a streaming response (server-sent events); non-2xx statuses are mapped to errors.
    /// Nothing is retried here: the caller reconnects (and falls back to polling).
    pub(crate) async fn send_stream(self) -> Result<reqwest::Response> {
        let request = self.request_name();
        let started = Instant::now();
        // The stream outlives this call: reqwest's own timeout bounds it.
        let resp = self
            .builder()
            .timeout(self.timeout)
            .header(ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(|e| Error::Transport {
                request: request.to_string(),
                source: Box::new(e),
            })?;
        let status = resp.status();
        tracing::debug!(
            request = %request,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "windmill stream"
        );
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.bytes().await.unwrap_or_default();
        let not_found = self.not_found.map(|(kind, path)| (kind, path.into_owned()));
        Err(status_error(status, &body, &request, not_found.as_ref()))
    }
}

impl Resp {
    /// The body as JSON.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            request: self.request.to_string(),
            body_excerpt: excerpt(&self.body, 200),
            source: Box::new(e),
        })
    }

    /// The body as text.
    pub(crate) fn text(&self) -> Result<String> {
        String::from_utf8(self.body.to_vec()).map_err(|e| Error::Decode {
            request: self.request.to_string(),
            body_excerpt: excerpt(&self.body, 200),
            source: Box::new(e),
        })
    }

    /// The body as JSON, or as a plain string when it is not JSON (some endpoints answer
    /// `text/plain`).
    pub(crate) fn json_or_text(&self) -> Value {
        match serde_json::from_slice(&self.body) {
            Ok(v) => v,
            Err(_) => Value::String(String::from_utf8_lossy(&self.body).into_owned()),
        }
    }
}

use serde_json::Value;

/// Maps a non-success status to the typed error.
pub(crate) fn status_error(
    status: StatusCode,
    body: &[u8],
    request: &(impl fmt::Display + ?Sized),
    not_found: Option<&(ItemKind, String)>,
) -> Error {
    let code = status.as_u16();
    let request = request.to_string();
    match code {
        404 => match not_found {
            Some((kind, path)) => Error::NotFound {
                kind: *kind,
                path: path.clone(),
            },
            None => Error::NotFound {
                kind: ItemKind::Other,
                path: request
                    .split_once(' ')
                    .map_or(request.as_str(), |x| x.1)
                    .to_owned(),
            },
        },
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
    let mut text = String::from_utf8_lossy(body).into_owned();
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

/// Reads a whole body of at most `limit` bytes. With a `Content-Length` (the usual case) the
/// size is checked before reading and the body is collected at once; without one, chunk by
/// chunk, stopping as soon as the limit is passed.
async fn read_body(
    mut resp: reqwest::Response,
    limit: u64,
) -> std::result::Result<Bytes, AttemptError> {
    match resp.content_length() {
        Some(len) if len > limit => return Err(AttemptError::TooLarge(limit)),
        Some(_) => return resp.bytes().await.map_err(AttemptError::Http),
        None => {}
    }
    let mut first: Option<Bytes> = None;
    let mut rest = bytes::BytesMut::new();
    let mut total: u64 = 0;
    while let Some(chunk) = resp.chunk().await.map_err(AttemptError::Http)? {
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
    let jitter = rand::rng().random_range(0.0..=1.0);
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
    fn status_mapping() {
        let nf = (ItemKind::Variable, "u/a/b".to_owned());
        let e = status_error(StatusCode::NOT_FOUND, b"Not found: x", "GET /x", Some(&nf));
        assert!(
            matches!(e, Error::NotFound { kind: ItemKind::Variable, ref path } if path == "u/a/b")
        );
        let e = status_error(StatusCode::FORBIDDEN, b"no", "GET /x", None);
        assert!(matches!(e, Error::Unauthorized { status: 403, .. }));
        let long = vec![b'a'; 5000];
        let e = status_error(StatusCode::INTERNAL_SERVER_ERROR, &long, "GET /x", None);
        match e {
            Error::Api {
                status: 500, body, ..
            } => assert!(body.len() <= MAX_ERROR_BODY + 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn urls_encode_segments_but_keep_item_slashes() {
        let wm = Windmill::builder()
            .with_base_url("http://h:1/pre")
            .with_token("t")
            .with_workspace("ws")
            .build()
            .unwrap();
        let p = ItemPath::parse("u/alice/my var%x").unwrap();
        let url = wm.url(&[
            Seg::Ws,
            Seg::Lit("variables"),
            Seg::Lit("get_value"),
            Seg::Item(&p),
        ]);
        assert_eq!(
            url.as_str(),
            "http://h:1/pre/api/w/ws/variables/get_value/u/alice/my%20var%25x"
        );
        let url = wm.url(&[Seg::Lit("x"), Seg::One("a/b")]);
        assert_eq!(url.as_str(), "http://h:1/pre/api/x/a%2Fb");
    }

    #[test]
    fn plain_urls_are_the_segment_by_segment_urls() {
        let odd = [
            "a",
            "A-z_0.9~",
            "!$&'()*+,;=:@",
            ".",
            "..",
            ".a",
            "a.",
            "...",
            "",
            " ",
            "a b",
            "%",
            "%2e",
            "%2E%2e",
            "a%2Fb",
            "a/b",
            "a\\b",
            "a?b",
            "a#b",
            "\"",
            "<>",
            "`",
            "{}",
            "[]",
            "^|",
            "\t",
            "a\nb",
            "é",
            "日本",
            "\u{7f}",
            "💥",
        ];
        for base in [
            "http://h:1",
            "https://h/pre/",
            "http://h/a%20b/c",
            "http://h/%2e/x",
            "http://h/é/api",
        ] {
            let wm = Windmill::builder()
                .with_base_url(base)
                .with_token("t")
                .with_workspace("ws-1_a")
                .build()
                .unwrap();
            let p = ItemPath::parse("u/alice/my.var").unwrap();
            let mut cases: Vec<Vec<Seg<'_>>> = vec![
                vec![],
                vec![Seg::Ws],
                vec![
                    Seg::Ws,
                    Seg::Lit("variables"),
                    Seg::Lit("get_value"),
                    Seg::Item(&p),
                ],
            ];
            for a in odd {
                cases.push(vec![Seg::Ws, Seg::Lit("x"), Seg::One(a)]);
                for b in odd {
                    cases.push(vec![Seg::One(a), Seg::One(b)]);
                }
            }
            for segs in &cases {
                let fast = wm.url_plain(segs);
                let slow = wm.url_by_segments(segs);
                if let Some(fast) = &fast {
                    assert_eq!(fast.as_str(), slow.as_str(), "{base} {segs:?}");
                }
                assert_eq!(wm.url(segs).as_str(), slow.as_str(), "{base} {segs:?}");
            }
            assert!(wm.url_plain(&cases[2]).is_some(), "{base}");
        }
    }
}
