//! The attempts of a request: each under its time bound, retried as the request's mode and
//! the client's retry policy say, its answer read up to the body limit.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::FutureExt;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use wmill_core::{Error, Result};

use super::backoff::{backoff, is_retryable_status, retry_after};
use super::errors::{AttemptError, IDLE_TIMED_OUT, REQUEST_TIMED_OUT, shown_path};
use super::idle::{Activity, tracked, within};
use super::request::{Body, Request, RetryMode};

impl<'c> Request<'c> {
    /// The request of one attempt: its body is built anew for each (or taken, for a stream).
    pub(super) fn attempt(
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
    pub(super) async fn with_retries<'a, T, F, Fut>(
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
            // Pinned here, once: `within` polls it through the pin rather than holding a copy.
            let exchange = std::pin::pin!(async {
                let resp = send.await.map_err(AttemptError::http)?;
                read(resp, progress).await
            });
            let now = Instant::now();
            progress.touch();
            let (floor, activities, idle) = match &self.activity {
                Some(activity) => {
                    // Chunked and streamed bodies: an idle timeout over the whole exchange.
                    activity.touch();
                    (now, [&**activity, progress], self.client.inner.idle_timeout)
                }
                // The answer within the request timeout; a body still coming past it goes on
                // while bytes keep arriving (a large result on a slow link), each within the
                // smaller of the idle and request timeouts.
                None => (
                    now.checked_add(self.timeout).unwrap_or(now),
                    [progress, progress],
                    self.client.inner.idle_timeout.min(self.timeout),
                ),
            };
            let result = match within(exchange, floor, activities, idle, &span).await {
                Some(out) => out,
                None if self.activity.is_some() || progress.last() > now => {
                    Err(AttemptError::TimedOut(IDLE_TIMED_OUT, idle))
                }
                None => Err(AttemptError::TimedOut(REQUEST_TIMED_OUT, self.timeout)),
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
pub(super) trait Outcome {
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

/// A response status and body, as one attempt got them.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: StatusCode,
    /// `Retry-After`, read only for the statuses that may be retried.
    pub(super) retry_after: Option<Duration>,
    pub(super) content_type: Option<HeaderValue>,
    pub(super) body: Bytes,
}

/// Reads an answer: its status, `Retry-After` (only for the statuses that may be retried),
/// `Content-Type` and whole body (at most `limit` bytes).
///
/// A plain function over [`read_body`]'s future (not an `async fn` awaiting it), so the
/// response is held once.
pub(super) fn read_answer(
    resp: reqwest::Response,
    limit: u64,
    progress: &Activity,
) -> impl Future<Output = std::result::Result<Answer, AttemptError>> {
    let status = resp.status();
    let retry_after = if is_retryable_status(status) {
        retry_after(resp.headers())
    } else {
        None
    };
    let content_type = resp.headers().get(CONTENT_TYPE).cloned();
    read_body(resp, limit, progress).map(move |body| {
        Ok(Answer {
            status,
            retry_after,
            content_type,
            body: body?,
        })
    })
}

/// Reads a whole body of at most `limit` bytes, chunk by chunk, stopping as soon as the limit
/// is passed. An announced length over the limit is refused at once; an announced length is
/// never trusted for the allocation (it grows as bytes arrive).
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn would hold the response twice"
)]
pub(super) fn read_body(
    mut resp: reqwest::Response,
    limit: u64,
    progress: &Activity,
) -> impl Future<Output = std::result::Result<Bytes, AttemptError>> {
    // An `async` block over the response it captured (an `async fn` would copy it again).
    async move {
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
}

/// Whether `tracing` would record a debug event of this crate (checked before measuring times
/// only logs use).
pub(super) fn debug_enabled() -> bool {
    tracing::enabled!(tracing::Level::DEBUG)
}
