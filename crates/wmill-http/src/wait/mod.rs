//! Waiting for jobs: adaptive polling, server-sent events (with polls between their checks for
//! waits without history), and `run_wait_result` races.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::future::{Either, select};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderValue};
use serde::Deserialize;
use serde_json::Value;
use wmill_core::{
    Args, Error, ItemKind, JobId, PollSchedule, Result, RunOptions, WaitOptions, WaitStrategy,
};

use crate::client::Windmill;
use crate::jobs::Target;
use crate::sse::SseParser;
use crate::transport::{RetryMode, status_error};
use crate::urls::Seg;
use crate::wait::history::{History, Learner, Prediction};
use crate::wait::tuning::ServerWait;

pub(crate) mod first_wait; // the schedule of waits without history: event stream plus polls between its checks
pub(crate) mod history; // what runs learn from earlier runs
pub(crate) mod tuning; // WaitTuning, ServerWait, WaitHistory

/// How long past the server's bound of `run_wait_result`
/// ([`WaitTuning::server_wait_bound`](crate::WaitTuning::server_wait_bound)) the client waits
/// for its answer: a tenth of the bound (the server counts its sleeps, not its queries) plus
/// this.
const RUN_WAIT_RESULT_SLACK: Duration = Duration::from_secs(20);

/// The client's bound of a `run_wait_result` request, for a server bound of `bound`: closing
/// the request before the server answers would cancel the job.
fn run_wait_result_timeout(bound: Duration) -> Duration {
    bound
        .saturating_add(bound / 10)
        .saturating_add(RUN_WAIT_RESULT_SLACK)
}

/// One server-sent-events connection: the server ends it with a `timeout` event after 60 s.
const SSE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(90);
/// The longest silence on an event stream (the server pings every 5 s).
const SSE_READ_TIMEOUT: Duration = Duration::from_secs(20);
/// Failed event-stream connections in a row before falling back to polling.
const SSE_MAX_FAILURES: u32 = 3;
/// The longest sleep between two polls, whatever the schedule says (keeps `Instant`
/// arithmetic far from overflow).
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(3600);
/// Failed polls in a row (after the transport's own retries) before a wait gives up.
const MAX_POLL_FAILURES: u32 = 5;
/// Bound of the cancel sent when a wait times out (never more than the client's request
/// timeout, so a stalled cancel cannot stretch the wait by more than one request).
const CANCEL_TIMEOUT: Duration = Duration::from_secs(10);

/// The answer of `GET jobs_u/completed/get_result_maybe/{id}`.
///
/// The server always sends the four keys; `started`, `success` and `result` are `null` while
/// the job has not completed (and `started` is only computed with `get_started=true`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ResultMaybe {
    /// Whether the job completed.
    #[serde(default)]
    pub completed: bool,
    /// Whether it succeeded (`None` until completed).
    #[serde(default)]
    pub success: Option<bool>,
    /// Its result (`null` until completed; the error value for a failed job).
    #[serde(default)]
    pub result: Value,
    /// Whether it started (`None` unless asked for, or once completed).
    #[serde(default)]
    pub started: Option<bool>,
}

/// Turns a completed job's result into the wait's outcome.
pub(crate) fn outcome(id: &JobId, success: Option<bool>, result: Value) -> Result<Value> {
    let ok = success.unwrap_or_else(|| result.get("error").is_none());
    if ok {
        Ok(result)
    } else {
        Err(job_failed(id, result))
    }
}

/// [`Error::JobFailed`] with the `error` field of the result if there is one, else the result.
pub(crate) fn job_failed(id: &JobId, result: Value) -> Error {
    let error = match result {
        Value::Object(mut map) if map.contains_key("error") => {
            map.remove("error").unwrap_or(Value::Null)
        }
        other => other,
    };
    Error::JobFailed {
        job_id: *id,
        error: Box::new(error),
    }
}

/// Awaits `fut` and, when it succeeded, records the run in `learn`'s history.
async fn learning<F>(learn: Option<&Learner<'_>>, fut: F) -> Result<Value>
where
    F: Future<Output = Result<Value>>,
{
    let out = fut.await;
    if out.is_ok()
        && let Some(learn) = learn
    {
        learn.record(Instant::now());
    }
    out
}

/// When an event stream was opened and when its events arrived.
#[derive(Debug, Clone, Copy)]
struct StreamTimes {
    /// When the stream's request was sent.
    opened: Instant,
    /// When its first event (the server's check at once) arrived.
    first: Option<Instant>,
    /// When the update saying the job completed arrived.
    completed: Option<Instant>,
}

/// The [`StreamTimes`] of the latest stream of a wait, shared with the code that raced it.
#[derive(Debug, Default)]
struct StreamClock(std::sync::Mutex<Option<StreamTimes>>);

impl StreamClock {
    fn set(&self, times: StreamTimes) {
        if let Ok(mut t) = self.0.lock() {
            *t = Some(times);
        }
    }

    /// Records the arrival of `event` at `at`.
    fn arrived(&self, at: Instant, event: &Value) {
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
    fn last_check_before_end(&self) -> Option<Instant> {
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

/// Tells `learn` that a poll sent at `sent` found the job not completed (queued or running).
fn mark_seen(learn: Option<&Learner<'_>>, rm: &ResultMaybe, sent: Instant) {
    if let Some(learn) = learn {
        if rm.started == Some(false) {
            learn.mark_queued(sent);
        } else {
            learn.mark_incomplete(sent);
        }
    }
}

/// How a server-sent-events connection ended.
enum StreamEnd {
    /// The job completed; `Some((success, result))` when the event carried them.
    Completed(Option<(Option<bool>, Value)>),
    /// The server closed the stream (timeout event or end of body): reconnect.
    Reconnect,
    /// The job does not exist.
    NotFound,
}

impl Windmill {
    /// `GET jobs_u/completed/get_result_maybe/{id}?get_started=true`: the result if the job
    /// completed. A job that does not exist is [`Error::NotFound`].
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    pub async fn get_result_maybe(&self, id: &JobId) -> Result<ResultMaybe> {
        self.result_maybe(id)
            .await?
            .ok_or_else(|| Error::not_found(ItemKind::Job, id.to_string()))
    }

    /// Like [`get_result_maybe`](Self::get_result_maybe) with 404 as `None`.
    async fn result_maybe(&self, id: &JobId) -> Result<Option<ResultMaybe>> {
        let ids = id.to_string();
        let resp = self
            .call(
                Method::GET,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs_u"),
                    Seg::Lit("completed"),
                    Seg::Lit("get_result_maybe"),
                    Seg::One(&ids),
                ],
            )
            .query("get_started", "true")
            .idempotent()
            .not_found(ItemKind::Job, ids.clone())
            .send()
            .await;
        match resp {
            Ok(r) => r.json().map(Some),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Waits for `id` as `options` say, with the timeout and cancel-on-timeout applied. A job
    /// this client started (and still remembers) is waited for with its script's history, and
    /// its duration recorded (see [`WaitHistory`](crate::WaitHistory)).
    pub(crate) async fn wait(&self, id: &JobId, options: &WaitOptions) -> Result<Value> {
        self.wait_started(id, options, None).await
    }

    /// [`wait`](Self::wait); `fresh`: whether the first check of a wait without history is the
    /// event stream's rather than a poll (see [`FirstWait`](crate::FirstWait)); `None`: when
    /// this client remembers starting the job.
    pub(crate) async fn wait_started(
        &self,
        id: &JobId,
        options: &WaitOptions,
        fresh: Option<bool>,
    ) -> Result<Value> {
        let start = Instant::now();
        let learn = self.started_learner(id, options);
        let fresh = fresh.unwrap_or(learn.is_some());
        let fut = async {
            let out = self
                .wait_strategy(id, &options.strategy, start, fresh, learn.as_ref())
                .await;
            if let Some(learn) = &learn
                && matches!(out, Ok(_) | Err(Error::JobFailed { .. }))
            {
                if out.is_ok() && learn.timely(start) {
                    learn.record(Instant::now());
                }
                self.inner.history.forget_started(id);
            }
            out
        };
        let fut = self.with_timeout(Some(*id), options, fut);
        self.forwarding_logs(*id, &options.logs, fut).await
    }

    /// The learner of a wait on `id`, when this client started that job (and remembers it),
    /// learns, and the wait uses [`WaitStrategy::Auto`].
    fn started_learner(&self, id: &JobId, options: &WaitOptions) -> Option<Learner<'_>> {
        if !matches!(options.strategy, WaitStrategy::Auto) {
            return None;
        }
        let (key, at) = self.inner.history.started_job(id)?;
        Some(Learner::started_at(&self.inner.history, key, at))
    }

    /// [`wait`](Self::wait) for a synchronous run that learns from earlier runs of its
    /// script (see [`WaitHistory`](crate::WaitHistory)).
    async fn wait_learning(
        &self,
        id: &JobId,
        options: &WaitOptions,
        learn: &Learner<'_>,
        fresh: bool,
    ) -> Result<Value> {
        let start = Instant::now();
        let fut = learning(
            Some(learn),
            self.wait_strategy(id, &options.strategy, start, fresh, Some(learn)),
        );
        let fut = self.with_timeout(Some(*id), options, fut);
        self.forwarding_logs(*id, &options.logs, fut).await
    }

    /// The learner of a synchronous run of `target`, when the client learns and the run waits
    /// with [`WaitStrategy::Auto`] (created just before the start request: it times the run).
    fn learner(&self, target: Target<'_>, options: &RunOptions) -> Option<Learner<'_>> {
        if !matches!(options.wait.strategy, WaitStrategy::Auto) {
            return None;
        }
        let key = self.history_key(target, options)?;
        Some(Learner::new(&self.inner.history, key))
    }

    /// The history key of a run of `target` with `options`, when the client learns and the
    /// run is not scheduled for later (its duration would be the schedule's).
    pub(crate) fn history_key(&self, target: Target<'_>, options: &RunOptions) -> Option<u64> {
        let scheduled =
            options.scheduled_in.is_some_and(|d| !d.is_zero()) || options.scheduled_for.is_some();
        if !self.inner.wait.history.active() || scheduled {
            return None;
        }
        Some(History::key(target.letter(), &target.missing().1))
    }

    /// Runs `fut` under the wait's timeout: on expiry the future is dropped, the job is canceled
    /// once when asked, and [`Error::Timeout`] is returned.
    async fn with_timeout<F>(
        &self,
        id: Option<JobId>,
        options: &WaitOptions,
        fut: F,
    ) -> Result<Value>
    where
        F: Future<Output = Result<Value>>,
    {
        let Some(timeout) = options.timeout else {
            return fut.await;
        };
        match tokio::time::timeout(timeout, fut).await {
            Ok(r) => r,
            Err(_) => {
                if options.cancel_on_timeout
                    && let Some(id) = id
                {
                    let bound = CANCEL_TIMEOUT.min(self.inner.request_timeout);
                    self.cancel_quietly(&id, "reached timeout", bound).await;
                }
                Err(Error::Timeout {
                    job_id: id,
                    after: timeout,
                })
            }
        }
    }

    /// Waits without a timeout, following the strategy. `fresh`: the job was started a moment
    /// ago by this client (no first poll). `learn`: a synchronous run that learns (`Auto`
    /// only).
    async fn wait_strategy(
        &self,
        id: &JobId,
        strategy: &WaitStrategy,
        start: Instant,
        fresh: bool,
        learn: Option<&Learner<'_>>,
    ) -> Result<Value> {
        match strategy {
            WaitStrategy::Poll(schedule) => {
                match self.poll(id, schedule, start, None, false).await? {
                    Some(v) => Ok(v),
                    None => Err(Error::not_found(ItemKind::Job, id.to_string())),
                }
            }
            WaitStrategy::ServerEvents => self.wait_events(id, start).await,
            _ => {
                let mut seen = false;
                let polled = match learn.and_then(|l| l.prediction.map(|p| (l, p))) {
                    Some((learn, prediction)) => {
                        self.poll_learned(id, learn, prediction, false, &mut seen)
                            .await?
                    }
                    None => return self.wait_first(id, start, fresh, learn).await,
                };
                match polled {
                    Some(v) => Ok(v),
                    None => self.wait_events(id, start).await,
                }
            }
        }
    }

    /// The wait without history ([`FirstWait`](crate::FirstWait)): unless `fresh`, one poll at
    /// once; then the event stream, raced against polls placed between the stream's checks.
    async fn wait_first(
        &self,
        id: &JobId,
        start: Instant,
        fresh: bool,
        learn: Option<&Learner<'_>>,
    ) -> Result<Value> {
        if !fresh {
            // A job of unknown age may have completed long ago: one poll says so for less than
            // a stream.
            let sent = Instant::now();
            match self.result_maybe(id).await {
                Ok(Some(rm)) if rm.completed => return outcome(id, rm.success, rm.result),
                Ok(Some(rm)) => mark_seen(learn, &rm, sent),
                Ok(None) => return Err(Error::not_found(ItemKind::Job, id.to_string())),
                // The event stream says the rest.
                Err(e) if e.is_retryable() => {}
                Err(e) => return Err(e),
            }
        }
        let opened = Instant::now().saturating_duration_since(start);
        // How long the job had been running when the wait started (a job this client started
        // earlier): the gaps grow with the time since its start.
        let age = learn.map_or(Duration::ZERO, |l| start.saturating_duration_since(l.start));
        let plan = crate::wait::first_wait::plan(&self.inner.wait.first, opened, age);
        // (On the heap: a wait's future stays small on the caller's stack.)
        let clock = StreamClock::default();
        let events = Box::pin(self.wait_events_timed(id, start, Some(&clock)));
        let polls = Box::pin(self.planned_polls(id, start, &plan, learn));
        match select(events, polls).await {
            Either::Left((out, _)) => {
                // The stream's check before the one that saw the end found the job running:
                // the job's history learns it as a poll's answer.
                if let (Some(learn), Some(at)) = (learn, clock.last_check_before_end()) {
                    learn.mark_incomplete(at);
                }
                out
            }
            Either::Right((Some(out), _)) => out,
            Either::Right((None, events)) => events.await,
        }
    }

    /// Polls `get_result_maybe` at `plan`'s offsets from `start`: `Some(outcome)` once a poll
    /// finds the job completed, `None` once the plan is over or the job is not found (the
    /// event stream, open meanwhile, says the rest). Polls that a slow answer made late collapse
    /// into one, sent at once.
    async fn planned_polls(
        &self,
        id: &JobId,
        start: Instant,
        plan: &[Duration],
        learn: Option<&Learner<'_>>,
    ) -> Option<Result<Value>> {
        let mut i = 0;
        while i < plan.len() {
            let now = Instant::now();
            while i + 1 < plan.len() && start.checked_add(plan[i + 1]).is_some_and(|t| t <= now) {
                i += 1;
            }
            let at = start.checked_add(plan[i])?;
            if at > now {
                tokio::time::sleep_until(at.into()).await;
            }
            let sent = Instant::now();
            match self.result_maybe(id).await {
                Ok(Some(rm)) if rm.completed => return Some(outcome(id, rm.success, rm.result)),
                Ok(Some(rm)) => mark_seen(learn, &rm, sent),
                Ok(None) => return None,
                // Retried by the transport already; the next planned poll or the stream.
                Err(_) => {}
            }
            i += 1;
        }
        None
    }

    /// Polls `get_result_maybe` on `schedule` until the job completes (`Some(result)`) or
    /// `until` passes (`None`).
    async fn poll(
        &self,
        id: &JobId,
        schedule: &PollSchedule,
        start: Instant,
        until: Option<Instant>,
        tolerate_missing: bool,
    ) -> Result<Option<Value>> {
        self.poll_seen(
            id,
            schedule,
            start,
            until,
            tolerate_missing,
            &mut false,
            None,
        )
        .await
    }

    /// [`poll`](Self::poll), setting `seen` once the server shows the job exists, and telling
    /// `learn` when the job was seen not started.
    #[allow(clippy::too_many_arguments)]
    async fn poll_seen(
        &self,
        id: &JobId,
        schedule: &PollSchedule,
        start: Instant,
        until: Option<Instant>,
        tolerate_missing: bool,
        seen: &mut bool,
        learn: Option<&Learner<'_>>,
    ) -> Result<Option<Value>> {
        let mut failures = 0;
        loop {
            let sent = Instant::now();
            match self.result_maybe(id).await {
                Ok(Some(rm)) if rm.completed => {
                    return outcome(id, rm.success, rm.result).map(Some);
                }
                Ok(Some(rm)) => {
                    *seen = true;
                    failures = 0;
                    if let Some(learn) = learn {
                        if rm.started == Some(false) {
                            learn.mark_queued(sent);
                        } else {
                            learn.mark_incomplete(sent);
                        }
                    }
                }
                Ok(None) if tolerate_missing => {
                    failures = 0;
                    if let Some(learn) = learn {
                        learn.mark_queued(sent);
                    }
                }
                Ok(None) => return Err(Error::not_found(ItemKind::Job, id.to_string())),
                Err(e) if e.is_retryable() && failures < MAX_POLL_FAILURES => failures += 1,
                Err(e) => return Err(e),
            }
            let now = Instant::now();
            let interval = schedule
                .next_interval(now.saturating_duration_since(start))
                .min(MAX_POLL_INTERVAL);
            let next = now + interval;
            if let Some(until) = until
                && next > until
            {
                return Ok(None);
            }
            tokio::time::sleep_until(next.into()).await;
        }
    }

    /// Polls `get_result_maybe` around the end that earlier runs predict (the rule is
    /// [`WaitHistory`](crate::WaitHistory)'s): `Some(result)` once the job completed, `None`
    /// once it overran the prediction past the poll window (or stayed queued too long), for
    /// the caller's server-side wait to take over.
    async fn poll_learned(
        &self,
        id: &JobId,
        learn: &Learner<'_>,
        prediction: Prediction,
        tolerate_missing: bool,
        seen: &mut bool,
    ) -> Result<Option<Value>> {
        let tuning = &self.inner.wait;
        // At least the gap between the latest recent "not completed yet" and the earliest
        // recent completion: a steady script ends in there.
        let margin = tuning
            .history
            .margin(prediction.total)
            .max(prediction.total.saturating_sub(prediction.lo));
        let step = tuning.history.min_step();
        // Times are durations since the start request (no `Instant` overflow to fear).
        let t0 = learn.start;
        let since = |t: Instant| t.saturating_duration_since(t0);
        // A job still queued this long after its start is left to the server-side wait.
        let follow_queue = tuning
            .poll_window
            .saturating_add(prediction.total.saturating_mul(2));
        let mut failures = 0;
        let mut queued = false;
        let mut first = true;
        loop {
            let now = since(Instant::now());
            // The job cannot end before its usual total from the start, nor before its usual
            // run time from the last moment it was seen queued.
            let end = prediction
                .total
                .max(since(learn.queued_at()).saturating_add(prediction.run));
            let early = end.saturating_sub(margin);
            let next = if queued {
                early.max(now.saturating_add(tuning.poll.next_interval(now)))
            } else if now < early {
                early
            } else if first {
                now
            } else if now < end {
                now.saturating_add(step.max((end - now) / 2)).min(end)
            } else {
                // Past the expected end: gaps that double from `step` (a small overrun is seen
                // soon), never longer than the first run's schedule would wait, timed from the
                // last moment the job was seen queued (the start request if never). Past the
                // margin and that schedule's window, the server-side wait takes over.
                let base = since(learn.queued_at());
                let gap = now
                    .saturating_sub(end)
                    .min(tuning.poll.next_interval(now.saturating_sub(base)))
                    .max(step);
                let next = now.saturating_add(gap);
                if next > end.saturating_add(margin)
                    && next > base.saturating_add(tuning.poll_window)
                {
                    return Ok(None);
                }
                next
            };
            first = false;
            let wait = next.saturating_sub(now).min(MAX_POLL_INTERVAL);
            if !wait.is_zero() {
                // (A zero sleep would still wait for the timer's next tick, up to 1 ms.)
                tokio::time::sleep(wait).await;
            }
            let sent = Instant::now();
            let not_started = match self.result_maybe(id).await {
                Ok(Some(rm)) if rm.completed => {
                    return outcome(id, rm.success, rm.result).map(Some);
                }
                Ok(Some(rm)) => {
                    *seen = true;
                    failures = 0;
                    learn.mark_incomplete(sent);
                    rm.started == Some(false)
                }
                Ok(None) if tolerate_missing => {
                    failures = 0;
                    true
                }
                Ok(None) => return Err(Error::not_found(ItemKind::Job, id.to_string())),
                Err(e) if e.is_retryable() && failures < MAX_POLL_FAILURES => {
                    failures += 1;
                    false
                }
                Err(e) => return Err(e),
            };
            if not_started {
                learn.mark_queued(sent);
                if since(sent) > follow_queue {
                    return Ok(None);
                }
            }
            queued = not_started;
        }
    }

    /// Waits on `getupdate_sse`, reconnecting when the server ends the stream, and falls back to
    /// polling when streams keep failing.
    async fn wait_events(&self, id: &JobId, start: Instant) -> Result<Value> {
        self.wait_events_timed(id, start, None).await
    }

    /// [`wait_events`](Self::wait_events), telling `clock` when each stream was opened and
    /// when its events arrived.
    async fn wait_events_timed(
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
                return match self.poll(id, &schedule, start, None, false).await? {
                    Some(v) => Ok(v),
                    None => Err(Error::not_found(ItemKind::Job, id.to_string())),
                };
            }
        }
    }

    /// One `GET jobs_u/getupdate_sse/{id}?only_result=true&fast=true` connection.
    async fn events_once(&self, id: &JobId, clock: Option<&StreamClock>) -> Result<StreamEnd> {
        let ids = id.to_string();
        let mut resp = self
            .call(
                Method::GET,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs_u"),
                    Seg::Lit("getupdate_sse"),
                    Seg::One(&ids),
                ],
            )
            .query("only_result", "true")
            .query("fast", "true")
            .header(ACCEPT, HeaderValue::from_static("text/event-stream"))
            .not_found(ItemKind::Job, ids.clone())
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

    /// The synchronous runs: start and wait, as the options' wait strategy says. With
    /// `cancel_on_drop`, the job is canceled if this future is dropped once its id is known
    /// (every strategy: the guard covers the whole run).
    pub(crate) async fn run_sync(
        &self,
        target: Target<'_>,
        args: Args,
        options: &RunOptions,
    ) -> Result<Value> {
        let guard = crate::handle::RunGuard::new(self, options.wait.cancel_on_drop);
        let outcome = self.run_sync_guarded(target, args, options, &guard).await;
        guard.completed();
        outcome
    }

    async fn run_sync_guarded(
        &self,
        target: Target<'_>,
        args: Args,
        options: &RunOptions,
        guard: &crate::handle::RunGuard<'_>,
    ) -> Result<Value> {
        let wait = &options.wait;
        // Run options (RunOptions, "Synchronous runs"): queue_limit, which only run_wait_result
        // takes, makes the run use it (or fail before any request); otherwise run_wait_result
        // is used only when it takes every option (with the current job's links) too.
        let effective = self.effective_options(target, options, options.job_id);
        let mut learn = self.learner(target, options);
        let server_wait = if options.queue_limit.is_some() {
            effective.check_sync(target.endpoint())?;
            true
        } else {
            matches!(wait.strategy, WaitStrategy::Auto)
                && match self.inner.wait.server_wait {
                    // The server cancels a job still running at its bound: only scripts whose
                    // recent runs all took less than half of it (ServerWait::Direct's rule).
                    ServerWait::Direct => {
                        self.inner.direct
                            && learn.as_ref().is_some_and(|l| {
                                l.known_shorter_than(self.inner.wait.server_wait_bound / 2)
                            })
                    }
                    ServerWait::Always => true,
                    ServerWait::Never => false,
                }
                && wait.cancel_on_timeout
                // The server cancels a job whose run_wait_result connection breaks.
                && wait.cancel_on_drop
                && target
                    .endpoint()
                    .wait_result()
                    .is_some_and(|e| effective.check_for(e).is_ok())
        };
        if !server_wait {
            if let Some(learn) = learn.as_mut() {
                learn.start = Instant::now();
            }
            let id = self
                .start_job(target, &args, options, options.job_id)
                .await?;
            guard.started(id);
            // A run that may end at once polls first (FirstWait::poll_at_start).
            let fresh = !(options.cache_ttl.is_some() || self.inner.wait.first.poll_at_start);
            let value = match &learn {
                Some(learn) => self.wait_learning(&id, wait, learn, fresh).await?,
                None => self.wait_started(&id, wait, Some(fresh)).await?,
            };
            return options.check_result(&id, value);
        }
        if let Some(chosen) = options.job_id
            && self.job_exists(&chosen).await?
        {
            // The race below would read that job's old result as this run's.
            return Err(Error::AlreadyExists {
                kind: ItemKind::Job,
                path: chosen.to_string(),
            });
        }
        let id = crate::jobs::started(options.job_id.unwrap_or_else(JobId::new_random));
        guard.started(id);
        let start = Instant::now();
        if let Some(learn) = learn.as_mut() {
            learn.start = start;
        }
        let fut = learning(
            learn.as_ref(),
            self.run_wait_result(target, &args, options, id, start, learn.as_ref()),
        );
        let fut = self.with_timeout(Some(id), wait, fut);
        let value = self.forwarding_logs(id, &wait.logs, fut).await?;
        options.check_result(&id, value)
    }

    /// `POST jobs/run_wait_result/{p|f}/{path}?job_id=..` kept open, raced against adaptive
    /// polling during the poll window; falls back to a normal wait if the long request fails.
    async fn run_wait_result(
        &self,
        target: Target<'_>,
        args: &Args,
        options: &RunOptions,
        id: JobId,
        start: Instant,
        learn: Option<&Learner<'_>>,
    ) -> Result<Value> {
        let (kind, path) = target.missing();
        let call = self
            .call(
                Method::POST,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs"),
                    Seg::Lit("run_wait_result"),
                    Seg::Lit(target.letter()),
                    target.seg(),
                ],
            )
            .timeout(run_wait_result_timeout(self.inner.wait.server_wait_bound))
            .retry(RetryMode::ConnectOnly);
        let effective = self.effective_options(target, options, Some(id));
        let call = Self::run_params(call, &effective)?.json(args)?;
        let long = Box::pin(call.send_raw());
        let tuning = self.inner.wait;
        let race = Box::pin(async move {
            // `None`: the job was not created within the request timeout.
            let until = start.checked_add(tuning.poll_window);
            let mut seen = false;
            let polled = match learn.and_then(|l| l.prediction.map(|p| (l, p))) {
                Some((learn, prediction)) => {
                    self.poll_learned(&id, learn, prediction, true, &mut seen)
                        .await
                }
                None => {
                    self.poll_seen(&id, &tuning.poll, start, until, true, &mut seen, learn)
                        .await
                }
            };
            match polled {
                Ok(Some(v)) => return Some(Ok(v)),
                Err(e @ Error::JobFailed { .. }) => return Some(Err(e)),
                // Window over, or a polling error: the long request decides, once the job
                // shows that the server took the request.
                _ => {}
            }
            if !seen {
                self.until_created(&id, start).await?;
            }
            // The long request answers when the job completes; should it stay silent (a
            // proxy holding it), a slow check ends the wait soon after the job's end.
            self.slow_checks(&id).await
        });
        let resp = match select(long, race).await {
            Either::Right((Some(outcome), _long)) => return outcome,
            Either::Right((None, _long)) => {
                // The long request stalled before the server created the job: drop it (nothing
                // runs for it) and start the job with the same id, which can only run once.
                tracing::debug!(job_id = %id, "run_wait_result stalled before the job was created");
                return self.resume_wait(target, args, options, id, start).await;
            }
            Either::Left((resp, _race)) => resp,
        };
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(job_id = %id, error = %e, "run_wait_result failed, waiting on the job");
                return self.resume_wait(target, args, options, id, start).await;
            }
        };
        match resp.status.as_u16() {
            200..=299 => match resp.result_value() {
                Ok(v) => Ok(v),
                // An empty or garbled answer (a proxy, a cut body): the job ran; its result is
                // read from the job rather than made up from the answer.
                Err(e) => {
                    tracing::debug!(job_id = %id, error = %e, "run_wait_result answer unreadable, waiting on the job");
                    self.wait_events(&id, start).await
                }
            },
            // A failed job: 422 with the error as JSON (a 422 in text is an axum rejection).
            422 if let Ok(error) = resp.json::<Value>() => Err(job_failed(&id, error)),
            400 if options.job_id.is_some() && self.job_exists(&id).await.unwrap_or(false) => {
                Err(Error::AlreadyExists {
                    kind: ItemKind::Job,
                    path: id.to_string(),
                })
            }
            400 | 401 | 403 | 404 | 409 | 415 | 422 => Err(status_error(
                resp.status,
                &resp.body,
                &resp.request,
                Some(&(kind, path)),
                Some(self.workspace().as_str()),
            )),
            _ => {
                if options.queue_limit.is_some() && !self.job_exists(&id).await.unwrap_or(true) {
                    // Refused before the job existed (`Number of queued job is too high`): only
                    // run_wait_result takes queue_limit, so it cannot be started another way.
                    return Err(status_error(
                        resp.status,
                        &resp.body,
                        &resp.request,
                        Some(&(kind, path)),
                        Some(self.workspace().as_str()),
                    ));
                }
                tracing::debug!(job_id = %id, status = resp.status.as_u16(), "run_wait_result did not answer, waiting on the job");
                self.resume_wait(target, args, options, id, start).await
            }
        }
    }

    /// While a `run_wait_result` request is open on a job that exists: a check every
    /// [`WaitTuning::long_request_check`](crate::WaitTuning::long_request_check), so a long
    /// request that stays silent after the job completed (a proxy holding the answer) costs at
    /// most that much. `Some(outcome)` once the job completed.
    async fn slow_checks(&self, id: &JobId) -> Option<Result<Value>> {
        let every = self
            .inner
            .wait
            .long_request_check
            .clamp(Duration::from_millis(10), MAX_POLL_INTERVAL);
        loop {
            tokio::time::sleep(every).await;
            if let Ok(Some(rm)) = self.result_maybe(id).await
                && rm.completed
            {
                return Some(outcome(id, rm.success, rm.result));
            }
        }
    }

    /// Returns `None` once `start` + the request timeout has passed without the job `id`
    /// existing (the request that should create it stalled); returns `Some(())` as soon as
    /// the job exists.
    async fn until_created(&self, id: &JobId, start: Instant) -> Option<()> {
        let timeout = self.inner.request_timeout;
        let deadline = start.checked_add(timeout);
        let step = (timeout / 10).clamp(Duration::from_millis(50), Duration::from_secs(1));
        loop {
            let bound = deadline
                .map_or(timeout, |d| d.saturating_duration_since(Instant::now()))
                .max(Duration::from_millis(10));
            let exists = tokio::time::timeout(bound, self.job_exists(id)).await;
            if let Ok(Ok(true)) = exists {
                return Some(());
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                return None;
            }
            let next = match deadline {
                Some(d) => (now + step).min(d),
                None => now + step,
            };
            tokio::time::sleep_until(next.into()).await;
        }
    }

    /// After `run_wait_result` failed without an answer: wait on the job if it exists, else start
    /// it (with the same id, so it can never run twice) and wait.
    async fn resume_wait(
        &self,
        target: Target<'_>,
        args: &Args,
        options: &RunOptions,
        id: JobId,
        start: Instant,
    ) -> Result<Value> {
        if !self.job_exists(&id).await? {
            if options.queue_limit.is_some() {
                // jobs/run does not take queue_limit: starting there would drop it.
                return Err(Error::Transport {
                    request: format!("POST jobs/run_wait_result/{}", target.letter()),
                    source: "the request ended before the server created the job; a run with queue_limit is started only by run_wait_result: run it again".into(),
                });
            }
            match self.start_job(target, args, options, Some(id)).await {
                // The long request created it after all (between the check and the start).
                Ok(_) | Err(Error::AlreadyExists { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.wait_events(&id, start).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outcomes() {
        let id = JobId::from_u128(1);
        assert_eq!(outcome(&id, Some(true), json!(3)).unwrap(), json!(3));
        let err = outcome(&id, Some(false), json!({"error": {"message": "boom"}})).unwrap_err();
        assert_eq!(err.job_error().unwrap()["message"], "boom");
        let err = outcome(&id, Some(false), json!("plain")).unwrap_err();
        assert_eq!(err.job_error().unwrap(), &json!("plain"));
        assert!(outcome(&id, None, json!({"error": 1})).is_err());
        assert!(outcome(&id, None, json!({"ok": 1})).is_ok());
    }

    #[test]
    fn the_long_request_outlives_the_servers_bound() {
        assert_eq!(
            run_wait_result_timeout(Duration::from_secs(600)),
            Duration::from_secs(680)
        );
        assert_eq!(
            run_wait_result_timeout(Duration::from_secs(1200)),
            Duration::from_secs(1340)
        );
        assert_eq!(run_wait_result_timeout(Duration::MAX), Duration::MAX);
    }

    #[test]
    fn the_check_before_the_streams_end_is_learned() {
        let opened = Instant::now();
        let ms = Duration::from_millis;
        let clock = |first: u64, completed: u64| {
            let c = StreamClock::default();
            c.set(StreamTimes {
                opened,
                first: None,
                completed: None,
            });
            c.arrived(
                opened + ms(first),
                &json!({"type": "update", "completed": false}),
            );
            c.arrived(
                opened + ms(completed),
                &json!({"type": "update", "completed": true}),
            );
            c.last_check_before_end()
        };
        // Seen at the check of 10 s (answers 2 ms late): the check of 9.5 s found it running.
        assert_eq!(clock(2, 10_003), Some(opened + ms(9_500)));
        // Seen at the check of 300 ms: the one of 200 ms.
        assert_eq!(clock(2, 302), Some(opened + ms(200)));
        // An answer a little early for its check: one check earlier still (never later).
        assert_eq!(clock(5, 304), Some(opened + ms(100)));
        // Seen at the first check: nothing before it.
        assert_eq!(clock(2, 2), None);
        assert_eq!(StreamClock::default().last_check_before_end(), None);
    }

    #[test]
    fn result_maybe_accepts_nulls() {
        let rm: ResultMaybe = serde_json::from_value(
            json!({"started": null, "success": null, "completed": false, "result": null}),
        )
        .unwrap();
        assert!(!rm.completed);
        assert_eq!(rm.success, None);
    }
}
