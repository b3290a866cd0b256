//! Synchronous runs (`run_script_by_path`, `run_flow`, ...): started with `POST jobs/run/..` and
//! waited for, or held on the server's `run_wait_result` while polls race it, with the checks
//! that keep a silent long request from hiding a job that never started.

use std::time::{Duration, Instant};

use futures::future::{Either, select};
use serde_json::Value;
use wmill_core::{Args, Error, ItemKind, JobId, Result, RunOptions, WaitStrategy};

use crate::client::Windmill;
use crate::job_start::Target;
use crate::transport::{RetryMode, status_error};
use crate::wait::history::Learner;
use crate::wait::outcome::{job_failed, learning, outcome};
use crate::wait::polling::MAX_POLL_INTERVAL;
use crate::wait::tuning::ServerWait;

/// How long past the server's bound of `run_wait_result`
/// ([`WaitTuning::server_wait_bound`](crate::WaitTuning::server_wait_bound)) the client waits
/// for its answer: a tenth of the bound (the server counts its sleeps, not its queries) plus
/// this.
pub(super) const RUN_WAIT_RESULT_SLACK: Duration = Duration::from_secs(20);

/// The client's bound of a `run_wait_result` request, for a server bound of `bound`: closing
/// the request before the server answers would cancel the job.
pub(super) fn run_wait_result_timeout(bound: Duration) -> Duration {
    bound
        .saturating_add(bound / 10)
        .saturating_add(RUN_WAIT_RESULT_SLACK)
}

/// A synchronous run held on `run_wait_result`: what it runs, with which arguments and
/// options, as which job, and when its wait started.
#[derive(Clone, Copy)]
struct HeldRun<'a> {
    target: Target<'a>,
    args: &'a Args,
    options: &'a RunOptions,
    id: JobId,
    start: Instant,
}

impl Windmill {
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

    pub(super) async fn run_sync_guarded(
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
        let id = crate::job_start::started(options.job_id.unwrap_or_else(JobId::new_random));
        guard.started(id);
        let start = Instant::now();
        if let Some(learn) = learn.as_mut() {
            learn.start = start;
        }
        let run = HeldRun {
            target,
            args: &args,
            options,
            id,
            start,
        };
        let fut = learning(learn.as_ref(), self.run_wait_result(run, learn.as_ref()));
        let fut = self.with_timeout(Some(id), wait, fut);
        let value = self.forwarding_logs(id, &wait.logs, fut).await?;
        options.check_result(&id, value)
    }

    /// `POST jobs/run_wait_result/{p|f}/{path}?job_id=..` kept open, raced against adaptive
    /// polling during the poll window; falls back to a normal wait if the long request fails.
    async fn run_wait_result(
        &self,
        run: HeldRun<'_>,
        learn: Option<&Learner<'_>>,
    ) -> Result<Value> {
        let HeldRun {
            target,
            args,
            options,
            id,
            start,
        } = run;
        let (kind, path) = target.missing();
        let effective = self.effective_options(target, options, Some(id));
        let call = self
            .start_call("run_wait_result", target, &effective)?
            .timeout(run_wait_result_timeout(self.inner.wait.server_wait_bound))
            .retry(RetryMode::ConnectOnly)
            .json(args)?;
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
                return Box::pin(self.resume_wait(run)).await;
            }
            Either::Left((resp, _race)) => resp,
        };
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(job_id = %id, error = %e, "run_wait_result failed, waiting on the job");
                return Box::pin(self.resume_wait(run)).await;
            }
        };
        match resp.status.as_u16() {
            200..=299 => match resp.result_value() {
                Ok(v) => Ok(v),
                // An empty or garbled answer (a proxy, a cut body): the job ran; its result is
                // read from the job rather than made up from the answer.
                Err(e) => {
                    tracing::debug!(job_id = %id, error = %e, "run_wait_result answer unreadable, waiting on the job");
                    Box::pin(self.wait_events(&id, start)).await
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
                Box::pin(self.resume_wait(run)).await
            }
        }
    }

    /// While a `run_wait_result` request is open on a job that exists: a check every
    /// [`WaitTuning::long_request_check`](crate::WaitTuning::long_request_check), so a long
    /// request that stays silent after the job completed (a proxy holding the answer) costs at
    /// most that much. `Some(outcome)` once the job completed.
    pub(super) async fn slow_checks(&self, id: &JobId) -> Option<Result<Value>> {
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
    pub(super) async fn until_created(&self, id: &JobId, start: Instant) -> Option<()> {
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
    /// it (with the same id, so it can never run twice) and wait. (Its callers box it, as the
    /// other waits after the long request: taken rarely, they would make every run's future
    /// as large as theirs.)
    async fn resume_wait(&self, run: HeldRun<'_>) -> Result<Value> {
        if !self.job_exists(&run.id).await? {
            if run.options.queue_limit.is_some() {
                // jobs/run does not take queue_limit: starting there would drop it.
                return Err(Error::Transport {
                    request: format!("POST jobs/run_wait_result/{}", run.target.letter()),
                    source: "the request ended before the server created the job; a run with queue_limit is started only by run_wait_result: run it again".into(),
                });
            }
            match self
                .start_job(run.target, run.args, run.options, Some(run.id))
                .await
            {
                // The long request created it after all (between the check and the start).
                Ok(_) | Err(Error::AlreadyExists { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.wait_events(&run.id, run.start).await
    }
}
