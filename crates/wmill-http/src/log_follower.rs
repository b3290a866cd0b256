//! Following a running job's log: one event stream (`jobs_u/getupdate_sse` with `log_offset`)
//! a minute, reopened at the last offset when it breaks, polling `jobs_u/getupdate` when
//! streams keep failing; and forwarding a log while a wait runs.

use std::collections::VecDeque;
use std::future::Future;
use std::time::{Duration, Instant};

use futures::future::{Either, select};
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use serde_json::Value;

use wmill_core::{Error, ItemKind, JobId, LogChunk, LogForward, LogUpdate, Result};

use crate::client::Windmill;
use crate::logs::{WireUpdate, to_update};
use crate::sse::{SseEvent, SseParser};
use crate::transport::ResponseStream;

/// The server ends an event stream after 60 s (a `timeout` event): a longer one is stuck.
const SSE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(90);
/// The longest silence on an event stream (the server pings about every 5 s).
const SSE_READ_TIMEOUT: Duration = Duration::from_secs(20);
/// Failed event-stream connections in a row before following the log by polling.
const SSE_MAX_FAILURES: u32 = 3;
/// Failed polls in a row (after the transport's own retries) before a followed log gives up.
const MAX_POLL_FAILURES: u32 = 5;
/// A connection that ends sooner than this without news failed (a proxy cutting streams).
const SHORT_CONNECTION: Duration = Duration::from_secs(1);
/// While a forwarded log's job does not exist yet: first and longest pause between checks.
const MISSING_FIRST_PAUSE: Duration = Duration::from_millis(50);
const MISSING_MAX_PAUSE: Duration = Duration::from_secs(1);

/// Bound of the last read of a forwarded log, once the wait is over.
const FINAL_READ_TIMEOUT: Duration = Duration::from_secs(10);

impl Windmill {
    /// The followed log of [`JobRunner::job_logs_from`](wmill_core::JobRunner::job_logs_from).
    pub(crate) fn follow_logs(
        &self,
        id: &JobId,
        offset: u64,
    ) -> BoxStream<'static, Result<LogChunk>> {
        let follower = Follower::new(self.clone(), *id, offset, false);
        futures::stream::unfold(follower, |mut f| async move {
            f.next().await.map(|item| (item, f))
        })
        .boxed()
    }

    /// Runs `wait` (a wait for job `id`) while following the job's log into `forward`; once the
    /// wait is over, reads what the job wrote last (one `getupdate`, unless the followed log
    /// already ended). With [`LogForward::None`], just `wait`.
    /// (Not an `async fn`: without forwarding it is `wait` itself, held once; the forwarding,
    /// taken less often, is on the heap.)
    pub(crate) fn forwarding_logs<F>(
        &self,
        id: JobId,
        forward: &LogForward,
        wait: F,
    ) -> impl Future<Output = Result<Value>>
    where
        F: Future<Output = Result<Value>>,
    {
        if forward.is_none() {
            Either::Left(wait)
        } else {
            Either::Right(Box::pin(self.forward_logs(id, forward, wait)))
        }
    }

    /// [`forwarding_logs`](Self::forwarding_logs) with a forward.
    async fn forward_logs<F>(&self, id: JobId, forward: &LogForward, wait: F) -> Result<Value>
    where
        F: Future<Output = Result<Value>>,
    {
        // A synchronous run may follow the log of a job the server has not created yet.
        let mut follower = Follower::new(self.clone(), id, 0, true);
        let mut sink = forward.sink(id);
        let result = {
            let follow = async {
                while let Some(item) = follower.next().await {
                    match item {
                        Ok(chunk) => sink.push(&chunk.text),
                        Err(e) => {
                            tracing::debug!(job_id = %id, error = %e, "could not follow the job's log");
                            break;
                        }
                    }
                }
            };
            let wait = std::pin::pin!(wait);
            let follow = std::pin::pin!(follow);
            match select(wait, follow).await {
                Either::Left((result, _)) => result,
                Either::Right(((), wait)) => wait.await,
            }
        };
        // An update already received (in flight when the wait ended) is used, not read again.
        while let Some(Some(Ok(chunk))) = follower.next().now_or_never() {
            sink.push(&chunk.text);
        }
        if !follower.completed {
            let last = tokio::time::timeout(
                FINAL_READ_TIMEOUT.min(self.inner.request_timeout),
                self.log_update(&id, follower.offset),
            )
            .await;
            match last {
                Ok(Ok(update)) => sink.push(&update.new_logs),
                Ok(Err(e)) => {
                    tracing::debug!(job_id = %id, error = %e, "could not read the end of the job's log");
                }
                Err(_) => {
                    tracing::debug!(job_id = %id, "reading the end of the job's log timed out")
                }
            }
        }
        sink.finish();
        result
    }
}

/// An open event stream.
struct Connection {
    resp: ResponseStream,
    parser: SseParser,
    events: VecDeque<SseEvent>,
    opened: Instant,
    ends: tokio::time::Instant,
    /// Whether the stream brought an update.
    news: bool,
}

/// What the event stream said next.
enum Next {
    Update(WireUpdate),
    /// The server ended the stream (`timeout` event, end of body, silence): reconnect.
    Reconnect,
    NotFound,
    Failed(Error),
}

/// Follows a job's log: on `getupdate_sse` while it works, else by polling `getupdate`.
pub(crate) struct Follower {
    wm: Windmill,
    id: JobId,
    /// The offset of the last update used.
    pub(crate) offset: u64,
    conn: Option<Connection>,
    /// Failed connections (or polls) in a row.
    failures: u32,
    /// Following by polling (event streams kept failing, or the server has none).
    polling: bool,
    polls: u32,
    /// A missing job is one not created yet: check again after `missing_pause`.
    tolerate_missing: bool,
    missing_pause: Duration,
    /// The job completed and its last text was yielded.
    pub(crate) completed: bool,
    /// Nothing more will be yielded.
    done: bool,
}

impl Follower {
    pub(crate) fn new(wm: Windmill, id: JobId, offset: u64, tolerate_missing: bool) -> Self {
        Follower {
            wm,
            id,
            offset,
            conn: None,
            failures: 0,
            polling: false,
            polls: 0,
            tolerate_missing,
            missing_pause: MISSING_FIRST_PAUSE,
            completed: false,
            done: false,
        }
    }

    /// The next piece of the log; `None` once the job completed (after its last piece) or
    /// after an error.
    pub(crate) async fn next(&mut self) -> Option<Result<LogChunk>> {
        loop {
            if self.done {
                return None;
            }
            let step = if self.polling {
                self.poll().await
            } else {
                self.stream().await
            };
            match step {
                Ok(Some(update)) => {
                    self.offset = update.next_offset;
                    if update.completed {
                        self.completed = true;
                        self.done = true;
                        self.conn = None;
                    }
                    if let Some(chunk) = update.into_chunk() {
                        return Some(Ok(chunk));
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    self.done = true;
                    self.conn = None;
                    return Some(Err(e));
                }
            }
        }
    }

    /// One step on the event stream: an update, nothing (a ping, a reconnect), or an error
    /// that ends the follow.
    async fn stream(&mut self) -> Result<Option<LogUpdate>> {
        if self.conn.is_none() {
            match self.open().await {
                Ok(conn) => self.conn = Some(conn),
                Err(e @ Error::Unauthorized { .. }) => return Err(e),
                // The server reports a missing job as an event: an HTTP 404 is a missing route
                // (an older server, a proxy rule). Polling does without it.
                Err(e @ Error::NotFound { .. }) => {
                    tracing::debug!(job_id = %self.id, error = %e, "no event stream here, polling");
                    self.polling = true;
                    return Ok(None);
                }
                Err(e) => {
                    tracing::debug!(job_id = %self.id, error = %e, "event stream failed");
                    self.stream_failed().await;
                    return Ok(None);
                }
            }
        }
        let next = match self.conn.as_mut() {
            Some(conn) => next_event(conn, self.wm.inner.max_response_bytes).await,
            None => return Ok(None),
        };
        match next {
            Next::Update(wire) => {
                if let Some(conn) = self.conn.as_mut() {
                    conn.news = true;
                }
                self.failures = 0;
                self.missing_pause = MISSING_FIRST_PAUSE;
                Ok(Some(to_update(wire, self.offset)))
            }
            Next::Reconnect => {
                let quick = self
                    .conn
                    .take()
                    .is_some_and(|c| !c.news && c.opened.elapsed() < SHORT_CONNECTION);
                if quick {
                    self.stream_failed().await;
                } else {
                    self.failures = 0;
                }
                Ok(None)
            }
            Next::NotFound => {
                self.conn = None;
                if self.tolerate_missing {
                    self.wait_for_creation().await;
                    Ok(None)
                } else {
                    Err(Error::not_found(ItemKind::Job, self.id.to_string()))
                }
            }
            Next::Failed(e) => {
                tracing::debug!(job_id = %self.id, error = %e, "event stream broke, resuming");
                self.conn = None;
                self.stream_failed().await;
                Ok(None)
            }
        }
    }

    /// `GET jobs_u/getupdate_sse/{id}?log_offset=..&fast=true`.
    async fn open(&self) -> Result<Connection> {
        let resp = self
            .wm
            .job_events_call(&self.id)
            .query("log_offset", self.offset.to_string())
            .query("fast", "true")
            .send_stream()
            .await?;
        Ok(Connection {
            resp,
            parser: SseParser::new(),
            events: VecDeque::new(),
            opened: Instant::now(),
            ends: tokio::time::Instant::now() + SSE_CONNECTION_TIMEOUT,
            news: false,
        })
    }

    /// A failed connection: a pause before the next one, or polling after too many.
    async fn stream_failed(&mut self) {
        self.failures += 1;
        if self.failures >= SSE_MAX_FAILURES {
            tracing::debug!(job_id = %self.id, "event streams keep failing, polling the log");
            self.polling = true;
            self.failures = 0;
        } else {
            tokio::time::sleep(crate::transport::backoff(
                &self.wm.inner.retry,
                self.failures,
            ))
            .await;
        }
    }

    async fn wait_for_creation(&mut self) {
        tokio::time::sleep(self.missing_pause).await;
        self.missing_pause = (self.missing_pause * 2).min(MISSING_MAX_PAUSE);
    }

    /// One poll of `getupdate`, on the event stream's own schedule (fast: 100 ms ten times,
    /// then 500 ms up to 100 polls, then 3 s).
    async fn poll(&mut self) -> Result<Option<LogUpdate>> {
        if self.polls > 0 {
            tokio::time::sleep(poll_interval(self.polls)).await;
        }
        self.polls = self.polls.saturating_add(1);
        match self.wm.log_update(&self.id, self.offset).await {
            Ok(update) => {
                self.failures = 0;
                Ok(Some(update))
            }
            Err(Error::NotFound { .. }) if self.tolerate_missing => {
                self.wait_for_creation().await;
                Ok(None)
            }
            Err(e) if e.is_retryable() && self.failures < MAX_POLL_FAILURES => {
                self.failures += 1;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// The pause before poll number `n` (from 1) of a followed log.
fn poll_interval(n: u32) -> Duration {
    match n {
        0..=10 => Duration::from_millis(100),
        11..=100 => Duration::from_millis(500),
        _ => Duration::from_secs(3),
    }
}

/// Reads the connection until it says something that matters to a followed log.
async fn next_event(conn: &mut Connection, limit: u64) -> Next {
    loop {
        while let Some(event) = conn.events.pop_front() {
            let Ok(wire) = serde_json::from_str::<WireUpdate>(&event.data) else {
                tracing::debug!(data = %wmill_core::excerpt(event.data.as_bytes(), 200), "unreadable event");
                continue;
            };
            match wire.kind.as_deref() {
                Some("update") => return Next::Update(wire),
                Some("timeout") => return Next::Reconnect,
                Some("notfound" | "not_found") => return Next::NotFound,
                // `error` (the first read failed: a `notfound` follows if the job is missing),
                // `ping`, and anything newer.
                _ => {}
            }
        }
        let read = tokio::time::timeout_at(conn.ends, conn.resp.chunk(SSE_READ_TIMEOUT));
        let chunk = match read.await {
            Err(_) => return Next::Reconnect,
            Ok(Err(e)) if e.is_timeout() => return Next::Reconnect,
            Ok(Err(e)) => return Next::Failed(e),
            Ok(Ok(None)) => return Next::Reconnect,
            Ok(Ok(Some(c))) => c,
        };
        conn.events.extend(conn.parser.push(&chunk));
        if conn.parser.buffered() as u64 > limit {
            // A stream that never ends its line or event.
            return Next::Failed(Error::Transport {
                request: conn.resp.request().to_owned(),
                source: format!("an event larger than the limit of {limit} bytes").into(),
            });
        }
    }
}

#[cfg(test)]
mod tests;
