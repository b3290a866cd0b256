//! The choice of how to wait for a job: per [`WaitStrategy`], with or without the history of
//! earlier runs, bounded by the wait's timeout (with the cancel it sends when that expires).

use std::future::Future;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{self, Either, select};
use serde_json::Value;
use wmill_core::{Error, ItemKind, JobId, Result, RunOptions, WaitOptions, WaitStrategy};

use crate::client::Windmill;
use crate::job_start::Target;
use crate::wait::events::StreamClock;
use crate::wait::history::{History, Learner};
use crate::wait::outcome::{learning, mark_seen, outcome};

/// Bound of the cancel sent when a wait times out (never more than the client's request
/// timeout, so a stalled cancel cannot stretch the wait by more than one request).
pub(super) const CANCEL_TIMEOUT: Duration = Duration::from_secs(10);

impl Windmill {
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
    pub(super) fn started_learner(&self, id: &JobId, options: &WaitOptions) -> Option<Learner<'_>> {
        if !matches!(options.strategy, WaitStrategy::Auto) {
            return None;
        }
        let (key, at) = self.inner.history.started_job(id)?;
        Some(Learner::started_at(&self.inner.history, key, at))
    }

    /// [`wait`](Self::wait) for a synchronous run that learns from earlier runs of its
    /// script (see [`WaitHistory`](crate::WaitHistory)).
    pub(super) async fn wait_learning(
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
    pub(super) fn learner(&self, target: Target<'_>, options: &RunOptions) -> Option<Learner<'_>> {
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

    /// `fut` under the wait's timeout: on expiry the future is dropped, the job is canceled
    /// once when asked, and [`Error::Timeout`] is returned. (Combinators rather than an `async
    /// fn`: they hold `fut` once, where an `async fn` would hold it twice, as its argument and
    /// as what it awaits; a synchronous run's future nests several such wrappers.)
    pub(super) fn with_timeout<F>(
        &self,
        id: Option<JobId>,
        options: &WaitOptions,
        fut: F,
    ) -> impl Future<Output = Result<Value>>
    where
        F: Future<Output = Result<Value>>,
    {
        let Some(timeout) = options.timeout else {
            return Either::Left(fut);
        };
        // `then` drops the timed-out future before the cancel starts.
        Either::Right(
            tokio::time::timeout(timeout, fut).then(move |timed| match timed {
                Ok(out) => Either::Left(future::ready(out)),
                Err(_) => Either::Right(self.timed_out(id, options, timeout)),
            }),
        )
    }

    /// The end of a wait that ran out of time: the job canceled once when asked, and
    /// [`Error::Timeout`].
    async fn timed_out(
        &self,
        id: Option<JobId>,
        options: &WaitOptions,
        timeout: Duration,
    ) -> Result<Value> {
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

    /// Waits without a timeout, following the strategy. `fresh`: the job was started a moment
    /// ago by this client (no first poll). `learn`: a synchronous run that learns (`Auto`
    /// only).
    pub(super) async fn wait_strategy(
        &self,
        id: &JobId,
        strategy: &WaitStrategy,
        start: Instant,
        fresh: bool,
        learn: Option<&Learner<'_>>,
    ) -> Result<Value> {
        match strategy {
            WaitStrategy::Poll(schedule) => self.poll(id, schedule, start).await,
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
    pub(super) async fn wait_first(
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
}
