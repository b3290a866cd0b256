//! Sending a [`Request`]: into an answer read whole, decoded, or streamed.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use wmill_core::Result;

use super::attempts::{Answer, Outcome, read_answer};
use super::errors::{RequestName, origin_of, status_error};
use super::idle::Activity;
use super::request::Request;
use super::response::{Resp, ResponseStream};
use crate::client::Windmill;

/// The `send_*` methods are plain functions over one future that holds the request once (an
/// `async fn` taking `self` would keep a second copy beside it): `.await` them as usual.
impl<'c> Request<'c> {
    /// Sends the request and decodes a 2xx answer as JSON.
    ///
    /// # Errors
    /// The status's error for a non-2xx answer; [`Error::Decode`](wmill_core::Error::Decode) for a 2xx answer that is
    /// empty or not the JSON `T` expects; [`Error::Transport`](wmill_core::Error::Transport) when no answer came.
    pub fn send_json<T: DeserializeOwned>(self) -> impl Future<Output = Result<T>> + 'c {
        self.send().map(|resp| resp?.json())
    }

    /// Sends the request and returns the body of a 2xx answer (up to the client's body limit).
    pub fn send_bytes(self) -> impl Future<Output = Result<Bytes>> + 'c {
        self.send().map(|resp| Ok(resp?.body))
    }

    /// Sends the request and returns the body of a 2xx answer as text.
    ///
    /// # Errors
    /// [`Error::Decode`](wmill_core::Error::Decode) when the body is not UTF-8.
    pub fn send_text(self) -> impl Future<Output = Result<String>> + 'c {
        self.send().map(|resp| resp?.text())
    }

    /// Sends the request and checks that the answer is a 2xx; the body is read and dropped.
    pub fn send_empty(self) -> impl Future<Output = Result<()>> + 'c {
        self.send().map(|resp| resp.map(drop))
    }

    /// Sends the request (with retries) and returns the successful response; any non-2xx status
    /// is mapped to an error.
    ///
    /// A plain function mapping [`send_raw`](Self::send_raw)'s future (not an `async fn`
    /// awaiting it): the request is held once, in that future.
    pub(crate) fn send(mut self) -> impl Future<Output = Result<Resp>> + 'c {
        let not_found = self.not_found.take();
        let workspace = self.workspace();
        self.send_raw().map(move |resp| {
            let resp = resp?;
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
        })
    }

    /// The workspace of a request in the client's workspace.
    pub(super) fn workspace(&self) -> Option<&'c str> {
        let client: &'c Windmill = self.client;
        self.in_workspace.then(|| client.inner.workspace.as_str())
    }

    /// Sends the request (with retries) and returns whatever status came back.
    ///
    /// An `async` block over the request it captured (an `async fn` taking `self` would hold
    /// it twice).
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn would hold the request twice"
    )]
    pub(crate) fn send_raw(mut self) -> impl Future<Output = Result<Resp>> + 'c {
        async move {
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
    }

    /// Sends the request and returns a 2xx answer as soon as its headers arrive, its body as a
    /// stream of chunks ([`ResponseStream`]): for downloads of any size.
    ///
    /// Retries (of an idempotent request) happen before the headers: once the body has
    /// started, an error ends the stream. The body has an idle timeout, not a total one.
    ///
    /// # Errors
    /// The status's error for a non-2xx answer (its body read up to the client's limit);
    /// [`Error::Transport`](wmill_core::Error::Transport) when no answer came.
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn would hold the request twice"
    )]
    pub fn send_stream(mut self) -> impl Future<Output = Result<ResponseStream>> + 'c {
        // An `async` block over the request it captured, as in `send_raw`.
        async move {
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
    }
}

/// A streamed answer's head: open (2xx, body unread) or failed (body read).
pub(super) enum Head {
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
