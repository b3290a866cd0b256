//! Answers: [`Resp`] (read whole) and its decoders, and [`ResponseStream`] (a body read as a
//! stream of chunks).

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::Value;
use wmill_core::{Error, RemoteCause, Result};

use super::errors::{AttemptError, IDLE_TIMED_OUT, RequestName, origin_of, timed_out};

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
            body_excerpt: wmill_core::excerpt(&self.body, wmill_core::MAX_DECODE_EXCERPT),
            source: Box::new(RemoteCause::new(origin_of(&self.request.url), message, e)),
        }
    }
}

/// A 2xx answer whose body is read as a stream: see [`Request::send_stream`](super::Request::send_stream).
#[derive(Debug)]
pub struct ResponseStream {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) content_length: Option<u64>,
    pub(super) request: String,
    /// The server, for errors.
    pub(super) origin: String,
    pub(super) idle: Duration,
    pub(super) resp: reqwest::Response,
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
pub(super) fn body_error(request: String, origin: &str, e: reqwest::Error) -> Error {
    let e = e.without_url();
    let message = format!(
        "the answer of {origin} broke off ({})",
        wmill_core::root_cause_text(&e)
    );
    let e = AttemptError::Http(e);
    Error::Transport {
        request,
        source: Box::new(RemoteCause::new(origin, message, e.into_source())),
    }
}

/// The [`Error::Transport`] of a streamed body that stopped moving.
pub(super) fn body_stalled(request: String, origin: &str, idle: Duration) -> Error {
    Error::Transport {
        request,
        source: Box::new(RemoteCause::new(
            origin,
            format!("timed out waiting for {origin}: {IDLE_TIMED_OUT} (after {idle:?})"),
            timed_out(IDLE_TIMED_OUT, idle),
        )),
    }
}
