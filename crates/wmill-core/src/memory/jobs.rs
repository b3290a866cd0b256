//! Jobs of the in-memory backend: registered closures driven as shared futures.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{AbortHandle, Abortable, BoxFuture, Shared};
use parking_lot::Mutex;
use serde_json::{Value, json};

use super::logs::{LogBuffer, WithLog};
use crate::{Args, ItemPath, JobId, JobStatus, RunOptions, ScriptHash};

/// The outcome of a job: its result, or its error value.
pub(super) type Outcome = Result<Value, Value>;

/// A registered script or flow.
pub(super) type JobFn = Arc<dyn Fn(Args) -> BoxFuture<'static, Outcome> + Send + Sync>;

/// Runs a future to completion somewhere (for example `tokio::spawn`).
pub type Spawner = Arc<dyn Fn(BoxFuture<'static, ()>) + Send + Sync>;

/// What was started, kept so tests can assert on it (see [`InMemory::started_jobs`](super::InMemory::started_jobs)).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StartedJob {
    /// The job id.
    pub id: JobId,
    /// What ran.
    pub runnable: Runnable,
    /// The arguments it got.
    pub args: Args,
    /// The options it was started with.
    pub options: RunOptions,
}

/// What a job runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Runnable {
    /// A script, by path.
    ScriptPath(ItemPath),
    /// A script, by hash.
    ScriptHash(ScriptHash),
    /// A flow, by path.
    Flow(ItemPath),
}

#[derive(Clone)]
pub(super) struct Job {
    pub(super) fut: Shared<BoxFuture<'static, Outcome>>,
    abort: AbortHandle,
    started: Arc<AtomicBool>,
    cancel_reason: Arc<Mutex<Option<String>>>,
    /// What the job's code wrote ([`JobLog`](super::JobLog)).
    pub(super) logs: Arc<LogBuffer>,
}

impl Job {
    pub(super) fn new(f: &JobFn, args: Args, delay: Option<Duration>) -> Job {
        let started = Arc::new(AtomicBool::new(false));
        let cancel_reason: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let (abort, registration) = AbortHandle::new_pair();
        let logs = Arc::new(LogBuffer::default());
        let body = {
            let f = f.clone();
            let started = started.clone();
            async move {
                if let Some(delay) = delay.filter(|d| !d.is_zero()) {
                    futures_timer::Delay::new(delay).await;
                }
                started.store(true, Ordering::SeqCst);
                // `f(args)` is called inside the guarded future: a closure that panics before
                // returning its future fails the job too.
                match AssertUnwindSafe(async move { f(args).await })
                    .catch_unwind()
                    .await
                {
                    Ok(outcome) => outcome,
                    Err(panic) => Err(json!({
                        "name": "Panic",
                        "message": panic_message(&*panic),
                    })),
                }
            }
        };
        let reason = cancel_reason.clone();
        // The job's code runs with its log as the current one (`JobLog::current`).
        let body = WithLog::new(body.boxed(), logs.clone());
        let fut = Abortable::new(body, registration)
            .map(move |r| match r {
                Ok(outcome) => outcome,
                Err(_aborted) => {
                    let reason = reason
                        .lock()
                        .clone()
                        .unwrap_or_else(|| "canceled".to_owned());
                    Err(json!({
                        "name": "Canceled",
                        "message": format!("Job canceled: {reason}"),
                        "reason": reason,
                    }))
                }
            })
            .boxed()
            .shared();
        Job {
            fut,
            abort,
            started,
            cancel_reason,
            logs,
        }
    }

    /// Drives the job once on the caller's task; returns the outcome if it is done.
    pub(super) fn poll_once(&self) -> Option<Outcome> {
        if let Some(o) = self.fut.peek() {
            return Some(o.clone());
        }
        self.fut.clone().now_or_never()
    }

    pub(super) fn status(&self) -> JobStatus {
        match self.poll_once() {
            Some(Ok(_)) => JobStatus::Completed { success: true },
            Some(Err(_)) => JobStatus::Completed { success: false },
            None if self.started.load(Ordering::SeqCst) => JobStatus::Running,
            None => JobStatus::Waiting,
        }
    }

    /// Cancels the job; `false` when it had already completed.
    pub(super) fn cancel(&self, reason: &str) -> bool {
        if self.fut.peek().is_some() {
            return false;
        }
        *self.cancel_reason.lock() = Some(reason.to_owned());
        self.abort.abort();
        // Resolve it now, so the cancellation is visible at once.
        let _ = self.poll_once();
        true
    }
}

#[derive(Default)]
pub(super) struct Jobs {
    pub(super) table: HashMap<JobId, Job>,
    pub(super) started: Vec<StartedJob>,
    pub(super) next_id: u128,
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "the job panicked".to_owned()
    }
}
