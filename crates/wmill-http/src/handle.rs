//! Canceling in the background: what the drop guards of synchronous runs, waits and
//! [`JobGuard`](wmill_core::JobGuard)s use
//! ([`JobRunner::cancel_job_in_background`](wmill_core::JobRunner::cancel_job_in_background)).
//!
//! A `Drop` cannot `.await`, so the cancel runs elsewhere:
//! - inside a Tokio runtime, as a task of that runtime: the drop returns at once;
//! - when that task cannot run to its end because the runtime shuts down (it drops its tasks
//!   when `main` returns from `#[tokio::main]`, or when a `Runtime` is dropped), the task's
//!   own drop sends the cancel from a thread of its own and waits for it, at most
//!   [`DROP_CANCEL_TIMEOUT`]: the shutdown, and so the process exit, waits that long at most;
//! - outside any runtime, the same thread, waited for the same way.
//!
//! A cancel that could not be sent in time makes the next ones not wait, for the same
//! duration: a shutdown that drops a hundred waits on a dead server waits
//! [`DROP_CANCEL_TIMEOUT`] once, not a hundred times.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use wmill_core::JobId;

use crate::client::Windmill;

/// The longest a cancel sent on drop may take (never more than the client's request timeout).
pub(crate) const DROP_CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// Until when blocking drops do not wait for their cancels, after one of them could not be
/// sent in time (a runtime shutting down drops its tasks one after the other).
static STALLED_UNTIL: Mutex<Option<Instant>> = Mutex::new(None);

impl Windmill {
    /// Starts `POST jobs_u/queue/cancel/{id}` `{reason}` in the background; see the module docs.
    pub(crate) fn cancel_in_background(&self, id: &JobId, reason: &str) {
        let cancel = DetachedCancel {
            wm: self.clone(),
            id: *id,
            reason: reason.to_owned(),
            bound: DROP_CANCEL_TIMEOUT.min(self.inner.request_timeout),
            done: false,
        };
        match tokio::runtime::Handle::try_current() {
            // A runtime that is shutting down drops the task at once: its drop then sends
            // the cancel from a thread of its own.
            Ok(runtime) => drop(runtime.spawn(cancel.run())),
            Err(_) => drop(cancel),
        }
    }
}

/// A cancel that is sent once: by [`run`](Self::run) on a runtime, else by its drop.
struct DetachedCancel {
    wm: Windmill,
    id: JobId,
    reason: String,
    bound: Duration,
    done: bool,
}

impl DetachedCancel {
    async fn run(mut self) {
        self.wm
            .cancel_quietly(&self.id, &self.reason, self.bound)
            .await;
        self.done = true;
    }

    /// Sends the cancel from a thread of its own (with a runtime of its own, and connections
    /// of its own: a pooled connection may belong to a runtime that is shutting down on the
    /// thread that waits here) and waits for it until the shared deadline.
    fn send_from_thread(&mut self) {
        self.done = true;
        let (wm, id, reason, bound) = (self.wm.clone(), self.id, self.reason.clone(), self.bound);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("wmill-cancel".into())
            .spawn(move || {
                crate::isolate_connections_on_this_thread();
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(wm.cancel_quietly(&id, &reason, bound)),
                    Err(e) => {
                        tracing::debug!(job_id = %id, error = %e, "no runtime to send the cancel")
                    }
                }
                let _ = tx.send(());
            });
        if let Err(e) = spawned {
            tracing::debug!(job_id = %self.id, error = %e, "no thread to send the cancel");
            return;
        }
        let stalled = |until: Option<Instant>| until.is_some_and(|u| u > Instant::now());
        let lock = || {
            STALLED_UNTIL
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if stalled(*lock()) {
            tracing::debug!(job_id = %self.id, "not waiting for the cancel: the last one stalled");
            return;
        }
        if rx.recv_timeout(bound).is_err() {
            tracing::debug!(job_id = %self.id, "the cancel did not complete in time");
            *lock() = Some(Instant::now() + bound);
        }
    }
}

impl Drop for DetachedCancel {
    fn drop(&mut self) {
        if !self.done {
            self.send_from_thread();
        }
    }
}

/// The drop guard of a synchronous run: armed once the run knows its job's id.
pub(crate) struct RunGuard<'a> {
    wm: &'a Windmill,
    armed: bool,
    id: OnceLock<JobId>,
}

impl<'a> RunGuard<'a> {
    pub(crate) fn new(wm: &'a Windmill, armed: bool) -> Self {
        RunGuard {
            wm,
            armed,
            id: OnceLock::new(),
        }
    }

    /// The run's job is `id` (it may not exist yet).
    pub(crate) fn started(&self, id: JobId) {
        let _ = self.id.set(id);
    }

    /// The run returned: nothing to cancel.
    pub(crate) fn completed(mut self) {
        self.armed = false;
    }
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        if self.armed
            && let Some(id) = self.id.get()
        {
            tracing::debug!(job_id = %id, "canceling a job whose synchronous run was dropped");
            self.wm
                .cancel_in_background(id, wmill_core::CANCEL_ON_DROP_REASON);
        }
    }
}
