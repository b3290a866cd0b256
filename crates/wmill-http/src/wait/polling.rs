//! Waiting by polling `get_result_maybe`: one poll, the adaptive schedule, the polls planned
//! around the end a run's history predicts.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;
use wmill_core::{Error, ItemKind, JobId, PollSchedule, Result};

use crate::client::Windmill;
use crate::wait::history::{Learner, Prediction};
use crate::wait::outcome::{ResultMaybe, mark_seen, outcome};

/// The longest sleep between two polls, whatever the schedule says (keeps `Instant`
/// arithmetic far from overflow).
pub(super) const MAX_POLL_INTERVAL: Duration = Duration::from_secs(3600);
/// Failed polls in a row (after the transport's own retries) before a wait gives up.
pub(super) const MAX_POLL_FAILURES: u32 = 5;

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
    pub(super) async fn result_maybe(&self, id: &JobId) -> Result<Option<ResultMaybe>> {
        let resp = self
            .job_call(
                Method::GET,
                &["jobs_u", "completed", "get_result_maybe"],
                id,
            )
            .query("get_started", "true")
            .send()
            .await;
        match resp {
            Ok(r) => r.json().map(Some),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Polls `get_result_maybe` at `plan`'s offsets from `start`: `Some(outcome)` once a poll
    /// finds the job completed, `None` once the plan is over or the job is not found (the
    /// event stream, open meanwhile, says the rest). Polls that a slow answer made late collapse
    /// into one, sent at once.
    pub(super) async fn planned_polls(
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

    /// Polls `get_result_maybe` on `schedule` until the job completes; a job that does not
    /// exist is [`Error::NotFound`].
    pub(super) async fn poll(
        &self,
        id: &JobId,
        schedule: &PollSchedule,
        start: Instant,
    ) -> Result<Value> {
        self.poll_seen(id, schedule, start, None, false, &mut false, None)
            .await?
            .ok_or_else(|| Error::not_found(ItemKind::Job, id.to_string()))
    }

    /// Polls `get_result_maybe` on `schedule` until the job completes (`Some(result)`) or
    /// `until` passes (`None`), setting `seen` once the server shows the job exists, and telling
    /// `learn` when the job was seen not started.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn poll_seen(
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
    pub(super) async fn poll_learned(
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
}
