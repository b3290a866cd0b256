//! Job logs: the whole log (`jobs_u/get_logs`), a flow's logs (`jobs_u/get_flow_all_logs`),
//! incremental reads (`jobs_u/getupdate`), a followed log on the server's event stream
//! (`jobs_u/getupdate_sse` with `log_offset`), and forwarding a log while waiting.
//!
//! Offsets are the server's (characters, see [`wmill_core::logs`]): every read sends back the
//! offset of the last answer it used, so no text is downloaded twice.

use std::collections::VecDeque;
use std::future::Future;
use std::time::{Duration, Instant};

use futures::future::{Either, select};
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderValue};
use serde::Deserialize;
use serde_json::Value;
use wmill_core::{Error, ItemKind, JobId, LogChunk, LogForward, LogUpdate, Result};

use crate::client::Windmill;
use crate::sse::{SseEvent, SseParser};
use crate::transport::ResponseStream;
use crate::urls::Seg;

/// The first line the server puts in front of a log unless asked not to.
const ANSI_WARNING: &str = "to remove ansi colors, use: | sed ";
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
/// Bound of the last read of a forwarded log, once the wait is over.
const FINAL_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// While a forwarded log's job does not exist yet: first and longest pause between checks.
const MISSING_FIRST_PAUSE: Duration = Duration::from_millis(50);
const MISSING_MAX_PAUSE: Duration = Duration::from_secs(1);

/// An update of `getupdate` or of an event stream, with the fields logs need (the server sends
/// more: `running`, `mem_peak`, `flow_status`, the completed `job`, ...).
#[derive(Debug, Default, Deserialize)]
struct WireUpdate {
    /// `update`, `ping`, `timeout`, `notfound`, `error` on event streams; absent on `getupdate`.
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    completed: Option<bool>,
    #[serde(default)]
    new_logs: Option<String>,
    #[serde(default)]
    log_offset: Option<i64>,
}

/// Turns the server's fields into a [`LogUpdate`], for a read sent with `sent` as its offset.
///
/// The server answers `new_logs` = the log from character `max(sent, 1)` of what its database
/// holds, and `log_offset` = the log's whole length in characters + 1 (what was moved to log
/// files included). Where `new_logs` starts after `sent`, the characters in between were moved
/// out before this read: they are reported as skipped.
fn to_update(wire: WireUpdate, sent: u64) -> LogUpdate {
    let text = wire.new_logs.unwrap_or_default();
    let completed = wire.completed.unwrap_or(false);
    let server_offset = wire.log_offset.and_then(|o| u64::try_from(o).ok());
    let base = sent.max(1);
    let (next, skipped) = match server_offset {
        Some(next) if !text.is_empty() => {
            let start = next.saturating_sub(text.chars().count() as u64);
            (next, start.saturating_sub(base))
        }
        Some(next) => (next, 0),
        // An answer with text but no offset (not what the server sends): the text follows the
        // offset sent, and the server counts characters.
        None if !text.is_empty() => (base + text.chars().count() as u64, 0),
        None => (sent, 0),
    };
    LogUpdate::new(text, next, completed).with_skipped(skipped)
}

/// Drops the server's "to remove ansi colors" first line, should a server add it although
/// asked not to.
fn without_ansi_warning(mut text: String) -> String {
    if text.starts_with(ANSI_WARNING) {
        let cut = text.find('\n').map_or(text.len(), |i| i + 1);
        text.drain(..cut);
    }
    text
}

impl Windmill {
    /// `GET jobs_u/get_logs/{id}?remove_ansi_warnings=true`: the whole log as text.
    ///
    /// `remove_ansi_warnings=true` keeps the server from adding its first line `to remove ansi
    /// colors, use: | sed ...` (a hint for people reading logs in a terminal): the text is the
    /// job's log only. ANSI colour codes the job printed are kept as they are.
    pub(crate) async fn job_logs_text(&self, id: &JobId) -> Result<String> {
        let ids = id.to_string();
        let text = self
            .call(
                Method::GET,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs_u"),
                    Seg::Lit("get_logs"),
                    Seg::One(&ids),
                ],
            )
            .query("remove_ansi_warnings", "true")
            .idempotent()
            .not_found(ItemKind::Job, ids.clone())
            .send_text()
            .await?;
        Ok(without_ansi_warning(text))
    }

    /// `GET jobs_u/get_flow_all_logs/{id}`: the flow's log and every step's, as the server
    /// concatenates them.
    pub(crate) async fn flow_all_logs_text(&self, id: &JobId) -> Result<String> {
        let ids = id.to_string();
        self.call(
            Method::GET,
            &[
                Seg::Ws,
                Seg::Lit("jobs_u"),
                Seg::Lit("get_flow_all_logs"),
                Seg::One(&ids),
            ],
        )
        .idempotent()
        .not_found(ItemKind::Job, ids.clone())
        .send_text()
        .await
    }

    /// `GET jobs_u/getupdate/{id}?log_offset=..`: the log after `offset`.
    pub(crate) async fn log_update(&self, id: &JobId, offset: u64) -> Result<LogUpdate> {
        let ids = id.to_string();
        let wire: WireUpdate = self
            .call(
                Method::GET,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs_u"),
                    Seg::Lit("getupdate"),
                    Seg::One(&ids),
                ],
            )
            .query("log_offset", offset.to_string())
            .idempotent()
            .not_found(ItemKind::Job, ids.clone())
            .send_json()
            .await?;
        Ok(to_update(wire, offset))
    }

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
    pub(crate) async fn forwarding_logs<F>(
        &self,
        id: JobId,
        forward: &LogForward,
        wait: F,
    ) -> Result<Value>
    where
        F: Future<Output = Result<Value>>,
    {
        if forward.is_none() {
            return wait.await;
        }
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
struct Follower {
    wm: Windmill,
    id: JobId,
    /// The offset of the last update used.
    offset: u64,
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
    completed: bool,
    /// Nothing more will be yielded.
    done: bool,
}

impl Follower {
    fn new(wm: Windmill, id: JobId, offset: u64, tolerate_missing: bool) -> Self {
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
    async fn next(&mut self) -> Option<Result<LogChunk>> {
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
        let ids = self.id.to_string();
        let resp = self
            .wm
            .call(
                Method::GET,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs_u"),
                    Seg::Lit("getupdate_sse"),
                    Seg::One(&ids),
                ],
            )
            .query("log_offset", self.offset.to_string())
            .query("fast", "true")
            .header(ACCEPT, HeaderValue::from_static("text/event-stream"))
            .not_found(ItemKind::Job, ids.clone())
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
mod tests {
    use super::*;

    fn wire(new_logs: Option<&str>, log_offset: Option<i64>) -> WireUpdate {
        WireUpdate {
            kind: None,
            completed: None,
            new_logs: new_logs.map(str::to_owned),
            log_offset,
        }
    }

    #[test]
    fn offsets_are_the_servers() {
        // From the start: "é\n" is 2 characters, so the next offset is 3 (not 4 = bytes + 1).
        let u = to_update(wire(Some("é\n"), Some(3)), 0);
        assert_eq!(
            (u.new_logs.as_str(), u.next_offset, u.skipped),
            ("é\n", 3, 0)
        );
        let u = to_update(wire(Some("ab"), Some(5)), 3);
        assert_eq!((u.next_offset, u.skipped), (5, 0));
        // Nothing new: the server's offset (or the one sent, when the job has no log yet).
        let u = to_update(wire(None, Some(5)), 5);
        assert_eq!((u.next_offset, u.new_logs.as_str()), (5, ""));
        let u = to_update(wire(None, None), 0);
        assert_eq!(u.next_offset, 0);
        // The text starts after the offset sent: what lies between was moved to log files.
        let u = to_update(wire(Some("xyz"), Some(104)), 3);
        assert_eq!((u.next_offset, u.skipped), (104, 98));
        // No offset in the answer: counted in characters after the offset sent.
        let u = to_update(wire(Some("→→"), None), 0);
        assert_eq!(u.next_offset, 3);
        let u = to_update(wire(Some("a"), Some(-4)), 7);
        assert_eq!(u.next_offset, 8);
    }

    #[test]
    fn the_ansi_hint_line_is_dropped() {
        let hint = "to remove ansi colors, use: | sed 's/\\x1B\\[[0-9;]\\{1,\\}[A-Za-z]//g'\n";
        assert_eq!(without_ansi_warning(format!("{hint}log\n")), "log\n");
        assert_eq!(without_ansi_warning(hint.trim_end().to_owned()), "");
        assert_eq!(without_ansi_warning("log\n".into()), "log\n");
    }

    #[test]
    fn polls_follow_the_event_streams_schedule() {
        let total: Duration = (1..=28).map(poll_interval).sum();
        assert!(total >= Duration::from_secs(10), "{total:?}");
        assert_eq!(poll_interval(200), Duration::from_secs(3));
    }
}
