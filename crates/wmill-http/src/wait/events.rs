//! Waiting on the server's event stream (`getupdate_sse?only_result=true&fast=true`): one
//! stream at a time, reconnected when the server ends it, falling back to polling when streams
//! keep failing; and the clock of the stream's own checks that polls are placed between.

use std::time::{Duration, Instant};

use serde_json::Value;
use wmill_core::{Error, ItemKind, JobId, Result};

use crate::client::Windmill;
use crate::sse::SseParser;
use crate::wait::outcome::outcome;

/// One server-sent-events connection: the server ends it with a `timeout` event after 60 s.
pub(super) const SSE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(90);
/// The longest silence on an event stream (the server pings every 5 s).
pub(super) const SSE_READ_TIMEOUT: Duration = Duration::from_secs(20);
/// Failed event-stream connections in a row before falling back to polling.
pub(super) const SSE_MAX_FAILURES: u32 = 3;

/// When an event stream was opened and when its events arrived.
#[derive(Debug, Clone, Copy)]
pub(super) struct StreamTimes {
    /// When the stream's request was sent.
    pub(super) opened: Instant,
    /// When its first event (the server's check at once) arrived.
    pub(super) first: Option<Instant>,
    /// When the update saying the job completed arrived.
    pub(super) completed: Option<Instant>,
}

/// The [`StreamTimes`] of the latest stream of a wait, shared with the code that raced it.
#[derive(Debug, Default)]
pub(super) struct StreamClock(std::sync::Mutex<Option<StreamTimes>>);

impl StreamClock {
    pub(super) fn set(&self, times: StreamTimes) {
        if let Ok(mut t) = self.0.lock() {
            *t = Some(times);
        }
    }

    /// Records the arrival of `event` at `at`.
    pub(super) fn arrived(&self, at: Instant, event: &Value) {
        if let Ok(mut guard) = self.0.lock()
            && let Some(t) = guard.as_mut()
        {
            t.first.get_or_insert(at);
            if event.get("completed").and_then(Value::as_bool) == Some(true) {
                t.completed.get_or_insert(at);
            }
        }
    }

    /// When the stream's server-side check before the one that saw the job completed was made,
    /// at the latest (its schedule, timed from the stream's request; the server's checks only
    /// drift later). `None` when the end was seen at the stream's first check, or not by the
    /// stream.
    pub(super) fn last_check_before_end(&self) -> Option<Instant> {
        let t = (*self.0.lock().ok()?)?;
        let completed = t.completed?;
        // How late an answer arrives after its check (the first check is at once).
        let delay = t.first?.saturating_duration_since(t.opened);
        let seen = completed
            .saturating_duration_since(t.opened)
            .saturating_sub(delay);
        let k = (1..=crate::wait::first_wait::MAX_STREAM_CHECK)
            .take_while(|&k| crate::wait::first_wait::stream_check(k) <= seen)
            .last()?;
        t.opened
            .checked_add(crate::wait::first_wait::stream_check(k - 1))
    }
}

/// How a server-sent-events connection ended.
pub(super) enum StreamEnd {
    /// The job completed; `Some((success, result))` when the event carried them.
    Completed(Option<(Option<bool>, Value)>),
    /// The server closed the stream (timeout event or end of body): reconnect.
    Reconnect,
    /// The job does not exist.
    NotFound,
}

impl Windmill {
    /// Waits on `getupdate_sse`, reconnecting when the server ends the stream, and falls back to
    /// polling when streams keep failing.
    pub(super) async fn wait_events(&self, id: &JobId, start: Instant) -> Result<Value> {
        self.wait_events_timed(id, start, None).await
    }

    /// [`wait_events`](Self::wait_events), telling `clock` when each stream was opened and
    /// when its events arrived.
    pub(super) async fn wait_events_timed(
        &self,
        id: &JobId,
        start: Instant,
        clock: Option<&StreamClock>,
    ) -> Result<Value> {
        let mut failures = 0;
        loop {
            let opened = Instant::now();
            if let Some(clock) = clock {
                clock.set(StreamTimes {
                    opened,
                    first: None,
                    completed: None,
                });
            }
            match self.events_once(id, clock).await {
                Ok(StreamEnd::Completed(Some((success, result)))) => {
                    return outcome(id, success, result);
                }
                Ok(StreamEnd::Completed(None)) => match self.result_maybe(id).await? {
                    Some(rm) if rm.completed => return outcome(id, rm.success, rm.result),
                    _ => failures += 1,
                },
                Ok(StreamEnd::NotFound) => {
                    return Err(Error::not_found(ItemKind::Job, id.to_string()));
                }
                Ok(StreamEnd::Reconnect) => {
                    // A stream that ends at once without news is a failure, not a reconnect
                    // request (a proxy that buffers or cuts streams).
                    if opened.elapsed() < Duration::from_secs(1) {
                        failures += 1;
                    } else {
                        failures = 0;
                    }
                }
                Err(e @ Error::Unauthorized { .. }) => return Err(e),
                // The server reports a missing job as a `notfound` event: an HTTP 404 is a
                // missing route (an older server, a proxy rule). Polling says the rest.
                Err(e @ Error::NotFound { .. }) => {
                    tracing::debug!(job_id = %id, error = %e, "no event stream here");
                    failures = SSE_MAX_FAILURES;
                }
                Err(e) => {
                    tracing::debug!(job_id = %id, error = %e, "event stream failed");
                    failures += 1;
                }
            }
            if failures > 0 && failures < SSE_MAX_FAILURES {
                tokio::time::sleep(crate::transport::backoff(&self.inner.retry, failures)).await;
            }
            if failures >= SSE_MAX_FAILURES {
                tracing::debug!(job_id = %id, "falling back to polling");
                let schedule = self.inner.wait.fallback_poll;
                return self.poll(id, &schedule, start).await;
            }
        }
    }

    /// One `GET jobs_u/getupdate_sse/{id}?only_result=true&fast=true` connection.
    pub(super) async fn events_once(
        &self,
        id: &JobId,
        clock: Option<&StreamClock>,
    ) -> Result<StreamEnd> {
        let mut resp = self
            .job_events_call(id)
            .query("only_result", "true")
            .query("fast", "true")
            .send_stream()
            .await?;
        let request = resp.request().to_owned();
        let mut parser = SseParser::new();
        // The server ends a stream after 60 s (a `timeout` event): a longer one is stuck.
        let ends = tokio::time::Instant::now() + SSE_CONNECTION_TIMEOUT;
        loop {
            let read = tokio::time::timeout_at(ends, resp.chunk(SSE_READ_TIMEOUT));
            let chunk = match read.await {
                Err(_) => return Ok(StreamEnd::Reconnect),
                Ok(Err(e)) if e.is_timeout() => return Ok(StreamEnd::Reconnect),
                Ok(Err(e)) => return Err(e),
                Ok(Ok(None)) => return Ok(StreamEnd::Reconnect),
                Ok(Ok(Some(c))) => c,
            };
            let events = parser.push(&chunk);
            let limit = self.inner.max_response_bytes;
            if parser.buffered() as u64 > limit {
                // A stream that never ends its line or event: a failed stream (then polling).
                return Err(Error::Transport {
                    request,
                    source: format!("an event larger than the limit of {limit} bytes").into(),
                });
            }
            for event in events {
                let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
                    continue;
                };
                if let Some(clock) = clock {
                    clock.arrived(Instant::now(), &data);
                }
                match data.get("type").and_then(Value::as_str) {
                    Some("update")
                        if data.get("completed").and_then(Value::as_bool) == Some(true) =>
                    {
                        let from_job = data.get("job").and_then(|job| {
                            let success = job.get("success").and_then(Value::as_bool)?;
                            Some((
                                Some(success),
                                job.get("result").cloned().unwrap_or(Value::Null),
                            ))
                        });
                        return Ok(StreamEnd::Completed(from_job));
                    }
                    Some("timeout") => return Ok(StreamEnd::Reconnect),
                    Some("notfound") | Some("not_found") => return Ok(StreamEnd::NotFound),
                    Some("error") => {
                        return Err(Error::Api {
                            status: 200,
                            request,
                            body: wmill_core::excerpt(
                                event.data.as_bytes(),
                                wmill_core::MAX_ERROR_BODY,
                            ),
                        });
                    }
                    _ => {}
                }
            }
        }
    }
}
