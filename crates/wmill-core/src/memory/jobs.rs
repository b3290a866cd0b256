//! Jobs of the in-memory backend: registered closures driven as shared futures.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use futures_util::FutureExt;
use futures_util::future::{AbortHandle, Abortable, BoxFuture, Shared};
use serde_json::{Value, json};

use crate::sync::Mutex;
use crate::{Args, JobId, JobStatus, RunOptions, Runnable, Timestamp};

use super::logs::{LogBuffer, WithLog};

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
    /// When it was submitted (whole microseconds, as the server records it).
    pub created_at: SystemTime,
}

#[derive(Clone)]
pub(super) struct Job {
    pub(super) fut: Shared<BoxFuture<'static, Outcome>>,
    abort: AbortHandle,
    started: Arc<AtomicBool>,
    cancel_reason: Arc<Mutex<Option<String>>>,
    /// What the typed job ([`crate::Job`]) reports: set at start, then when it runs and ends.
    meta: Arc<JobMeta>,
    times: Arc<Mutex<JobTimes>>,
    /// What the job's code wrote ([`JobLog`](super::JobLog)).
    pub(super) logs: Arc<LogBuffer>,
}

/// What a job was started with, for the typed job.
#[derive(Debug, Default)]
struct JobMeta {
    runnable: Option<Runnable>,
    args: Args,
    tag: Option<String>,
    parent_job: Option<JobId>,
    root_job: Option<JobId>,
    created_at: Option<SystemTime>,
    delay: Duration,
}

/// When a job started and completed, and whether it was canceled.
#[derive(Debug, Default, Clone, Copy)]
struct JobTimes {
    started_at: Option<SystemTime>,
    completed_at: Option<SystemTime>,
    canceled: bool,
}

impl Job {
    pub(super) fn new(f: &JobFn, args: Args, delay: Option<Duration>) -> Job {
        let started = Arc::new(AtomicBool::new(false));
        let cancel_reason: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let times = Arc::new(Mutex::new(JobTimes::default()));
        let meta = Arc::new(JobMeta {
            created_at: Some(SystemTime::now()),
            delay: delay.unwrap_or_default(),
            ..JobMeta::default()
        });
        let (abort, registration) = AbortHandle::new_pair();
        let logs = Arc::new(LogBuffer::default());
        let body = {
            let f = f.clone();
            let started = started.clone();
            let times = times.clone();
            async move {
                if let Some(delay) = delay.filter(|d| !d.is_zero()) {
                    crate::timer::sleep(delay).await;
                }
                times.lock().started_at = Some(SystemTime::now());
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
        // The job's code runs with its log as the current one (`JobLog::current`).
        let body = WithLog::new(body.boxed(), logs.clone());
        let reason = cancel_reason.clone();
        let ended = times.clone();
        let fut = Abortable::new(body, registration)
            .map(move |r| {
                {
                    let mut t = ended.lock();
                    t.completed_at = Some(SystemTime::now());
                    t.canceled = r.is_err();
                }
                r
            })
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
            meta,
            times,
            logs,
        }
    }

    /// Records what the job runs and the options it was started with (for [`Job::describe`]).
    pub(super) fn with_meta(
        mut self,
        runnable: Runnable,
        args: &Args,
        options: &RunOptions,
    ) -> Job {
        let base = &self.meta;
        self.meta = Arc::new(JobMeta {
            runnable: Some(runnable),
            args: args.clone(),
            tag: options.tag.clone(),
            parent_job: options.parent_job,
            root_job: options.root_job,
            created_at: base.created_at,
            delay: base.delay,
        });
        self
    }

    /// The job in the server's shape (`QueuedJob` / `CompletedJob`), for [`crate::Job`].
    pub(super) fn describe(&self, id: JobId) -> Value {
        let outcome = self.poll_once();
        let times = *self.times.lock();
        let meta = &self.meta;
        let ts = |t: SystemTime| json!(Timestamp::from_system_time(t).as_str());
        let mut j = json!({
            "id": id.to_string(),
            "job_kind": match meta.runnable {
                Some(Runnable::Flow(_) | Runnable::FlowVersion(_)) => "flow",
                _ => "script",
            },
            "args": Value::Object(meta.args.clone()),
            "is_flow_step": false,
            "canceled": false,
        });
        let set = |j: &mut Value, key: &str, v: Value| {
            if let Some(o) = j.as_object_mut() {
                o.insert(key.to_owned(), v);
            }
        };
        match &meta.runnable {
            Some(Runnable::ScriptPath(p) | Runnable::Flow(p)) => {
                set(&mut j, "script_path", json!(p.as_str()))
            }
            Some(Runnable::ScriptHash(h)) => set(&mut j, "script_hash", json!(h.as_str())),
            // A flow version's path is the flow's, which the in-memory backend does not know.
            Some(Runnable::FlowVersion(_)) | None => {}
        }
        if let Some(t) = &meta.tag {
            set(&mut j, "tag", json!(t));
        }
        if let Some(p) = meta.parent_job {
            set(&mut j, "parent_job", json!(p.to_string()));
        }
        if let Some(r) = meta.root_job {
            set(&mut j, "root_job", json!(r.to_string()));
        }
        if let Some(c) = meta.created_at {
            set(&mut j, "created_at", ts(c));
        }
        if let Some(s) = times.started_at {
            set(&mut j, "started_at", ts(s));
        }
        match outcome {
            Some(outcome) => {
                set(&mut j, "type", json!("CompletedJob"));
                set(&mut j, "success", json!(outcome.is_ok()));
                set(
                    &mut j,
                    "result",
                    match outcome {
                        Ok(v) => v,
                        Err(e) => json!({ "error": e }),
                    },
                );
                set(&mut j, "is_skipped", json!(false));
                let end = times.completed_at;
                if let Some(end) = end {
                    set(&mut j, "completed_at", ts(end));
                }
                let ran = match (times.started_at, end) {
                    (Some(s), Some(e)) => e.duration_since(s).unwrap_or_default(),
                    _ => Duration::ZERO,
                };
                set(
                    &mut j,
                    "duration_ms",
                    json!(u64::try_from(ran.as_millis()).unwrap_or(u64::MAX)),
                );
                if times.canceled {
                    set(&mut j, "canceled", json!(true));
                    if let Some(reason) = self.cancel_reason.lock().clone() {
                        set(&mut j, "canceled_reason", json!(reason));
                    }
                }
            }
            None => {
                set(&mut j, "type", json!("QueuedJob"));
                set(
                    &mut j,
                    "running",
                    json!(self.started.load(Ordering::SeqCst)),
                );
                if let Some(c) = meta.created_at {
                    set(&mut j, "scheduled_for", ts(c + meta.delay));
                }
            }
        }
        j
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

    /// Whether the job was canceled.
    pub(super) fn canceled(&self) -> bool {
        self.cancel_reason.lock().is_some()
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
