//! Logs of the in-memory backend's jobs: a buffer per job, written through [`JobLog`] by the
//! job's own code (the reads are in `log_reads.rs`).

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::logs::after_offset;
use crate::sync::Mutex;

/// The log of one job.
#[derive(Default)]
pub(super) struct LogBuffer {
    state: Mutex<LogState>,
}

#[derive(Default)]
struct LogState {
    text: String,
    /// Followers waiting for more text.
    wakers: Vec<Waker>,
}

impl LogBuffer {
    fn append(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        let wakers = {
            let mut state = self.state.lock();
            state.text.push_str(text);
            std::mem::take(&mut state.wakers)
        };
        for w in wakers {
            w.wake();
        }
    }

    pub(super) fn text(&self) -> String {
        self.state.lock().text.clone()
    }

    /// The text after `offset` and the next offset.
    pub(super) fn read(&self, offset: u64) -> (String, u64) {
        let state = self.state.lock();
        let (text, next) = after_offset(&state.text, offset);
        (text.to_owned(), next)
    }

    /// Like [`read`](Self::read); when there is nothing new, `waker` is woken by the next
    /// append (registered under the same lock, so no append is missed).
    pub(super) fn read_or_register(&self, offset: u64, waker: &Waker) -> (String, u64) {
        let mut state = self.state.lock();
        let (text, next) = after_offset(&state.text, offset);
        let text = text.to_owned();
        if text.is_empty() && !state.wakers.iter().any(|w| w.will_wake(waker)) {
            state.wakers.push(waker.clone());
        }
        (text, next)
    }
}

thread_local! {
    /// The log of the in-memory job being polled on this thread.
    static CURRENT: RefCell<Option<Arc<LogBuffer>>> = const { RefCell::new(None) };
}

/// Puts the previous current log back, also when the poll unwinds.
struct Restore(Option<Arc<LogBuffer>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// A job's future, polled with its log as the current one ([`JobLog::current`]).
pub(super) struct WithLog<F> {
    fut: F,
    log: Arc<LogBuffer>,
}

impl<F> WithLog<F> {
    pub(super) fn new(fut: F, log: Arc<LogBuffer>) -> Self {
        WithLog { fut, log }
    }
}

impl<F: Future + Unpin> Future for WithLog<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let previous = CURRENT.with(|c| c.replace(Some(this.log.clone())));
        let _restore = Restore(previous);
        Pin::new(&mut this.fut).poll(cx)
    }
}

/// The log of an [`InMemory`](crate::InMemory) job, written by the job's own code: the in-memory counterpart
/// of what a script prints on a worker.
///
/// [`JobLog::current`] gives the log of the job whose code is running (call it anywhere in a
/// registered closure, or in functions it calls); the handle is cheap to clone and may be moved
/// into tasks the job spawns. What is written is read back with
/// [`get_job_logs`](crate::JobRunner::get_job_logs), followed with
/// [`job_logs`](crate::JobRunnerExt::job_logs), and forwarded by waits that ask for it
/// ([`WaitOptions::logs`](crate::WaitOptions::logs)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use std::fmt::Write;
/// use wmill_core::{InMemory, ItemPath, JobLog, JobRunner, RunOptions};
///
/// let wm = InMemory::new();
/// wm.register_script("f/etl/count", |args| async move {
///     let n = args["n"].as_u64().unwrap_or(0);
///     if let Some(mut log) = JobLog::current() {
///         log.line(format!("counting to {n}"));
///         let _ = writeln!(log, "done: {n}");
///     }
///     Ok(serde_json::json!(n))
/// })?;
/// let id = wm
///     .run_script_by_path_async(
///         &ItemPath::parse("f/etl/count")?,
///         wmill_core::to_args(&serde_json::json!({"n": 3}))?,
///         &RunOptions::new(),
///     )
///     .await?;
/// assert_eq!(wm.get_job_logs(&id).await?, "counting to 3\ndone: 3\n");
/// assert!(JobLog::current().is_none()); // not inside a job here
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct JobLog {
    buf: Arc<LogBuffer>,
}

impl fmt::Debug for JobLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobLog")
            .field("chars", &self.buf.state.lock().text.chars().count())
            .finish()
    }
}

impl JobLog {
    /// The log of the in-memory job whose code is running on this thread, `None` outside one.
    pub fn current() -> Option<JobLog> {
        CURRENT
            .with(|c| c.borrow().clone())
            .map(|buf| JobLog { buf })
    }

    /// Appends `text` as is.
    pub fn write(&self, text: &str) {
        self.buf.append(text);
    }

    /// Appends `line` and a line end.
    pub fn line(&self, line: impl fmt::Display) {
        self.buf.append(&format!("{line}\n"));
    }
}

impl fmt::Write for JobLog {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.buf.append(s);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
