//! Logs of the in-memory backend's jobs: a buffer per job, written through [`JobLog`] by the
//! job's own code, read in full, incrementally, or followed as a stream.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_util::future::{BoxFuture, Either, Shared, select};
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, Stream, StreamExt};

use crate::logs::after_offset;
use crate::sync::Mutex;
use crate::{JobId, LogChunk, LogUpdate, Result, WaitOptions};

use super::InMemory;

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
    fn read(&self, offset: u64) -> (String, u64) {
        let state = self.state.lock();
        let (text, next) = after_offset(&state.text, offset);
        (text.to_owned(), next)
    }

    /// Like [`read`](Self::read); when there is nothing new, `waker` is woken by the next
    /// append (registered under the same lock, so no append is missed).
    fn read_or_register(&self, offset: u64, waker: &Waker) -> (String, u64) {
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

/// The log of an [`InMemory`] job, written by the job's own code: the in-memory counterpart
/// of what a script prints on a worker.
///
/// [`JobLog::current`] gives the log of the job whose code is running (call it anywhere in a
/// registered closure, or in functions it calls); the handle is cheap to clone and may be moved
/// into tasks the job spawns. What is written is read back with
/// [`get_job_logs`](crate::JobRunner::get_job_logs), followed with
/// [`job_logs`](crate::JobRunnerExt::job_logs), and forwarded by waits that ask for it
/// ([`WaitOptions::logs`]).
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

/// A followed log: drives the job (as a wait would) and yields what it writes.
struct Follow {
    // The job's outcome (`jobs::Outcome`): its result, or its error value.
    job: Option<
        Shared<BoxFuture<'static, std::result::Result<serde_json::Value, serde_json::Value>>>,
    >,
    log: Arc<LogBuffer>,
    offset: u64,
    done: bool,
}

impl Stream for Follow {
    type Item = Result<LogChunk>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        // Drive the job first: once it completed, everything it wrote is in the buffer.
        let completed = match self.job.as_mut() {
            Some(job) => {
                let ready = Pin::new(job).poll(cx).is_ready();
                if ready {
                    self.job = None;
                }
                ready
            }
            None => true,
        };
        let (text, next) = self.log.read_or_register(self.offset, cx.waker());
        if !text.is_empty() {
            self.offset = next;
            return Poll::Ready(Some(Ok(LogChunk::new(text, next))));
        }
        if completed {
            self.done = true;
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}

impl InMemory {
    pub(super) fn logs_of(&self, id: &JobId) -> Result<Arc<LogBuffer>> {
        Ok(self.job(id)?.logs.clone())
    }

    pub(super) fn follow_logs(
        &self,
        id: &JobId,
        offset: u64,
    ) -> BoxStream<'static, Result<LogChunk>> {
        match self.job(id) {
            Ok(job) => Follow {
                job: Some(job.fut.clone()),
                log: job.logs.clone(),
                offset,
                done: false,
            }
            .boxed(),
            Err(e) => futures_util::stream::once(futures_util::future::ready(Err(e))).boxed(),
        }
    }

    pub(super) fn log_update(&self, id: &JobId, offset: u64) -> Result<LogUpdate> {
        let job = self.job(id)?;
        // Completion first: a completed job's buffer holds its whole log.
        let completed = job.poll_once().is_some();
        let (text, next) = job.logs.read(offset);
        Ok(LogUpdate::new(text, next, completed))
    }

    /// The server's format of `get_flow_all_logs`: the job's log, then those of the jobs it
    /// started (their parent job is this one), depth first.
    pub(super) fn flow_all_logs(&self, id: &JobId) -> Result<String> {
        let root = self.logs_of(id)?;
        let started = self.started_jobs();
        let mut out = format!("\n=== Flow (Job: {id}) ===\n{}\n", root.text());
        let mut stack: Vec<(JobId, usize)> = children(&started, id)
            .into_iter()
            .rev()
            .map(|c| (c, 1))
            .collect();
        let mut seen = std::collections::HashSet::from([*id]);
        while let Some((child, depth)) = stack.pop() {
            if !seen.insert(child) || depth > 64 {
                continue;
            }
            let label = started
                .iter()
                .find(|s| s.id == child)
                .map(|s| match &s.runnable {
                    crate::Runnable::ScriptPath(p) | crate::Runnable::Flow(p) => p.to_string(),
                    crate::Runnable::ScriptHash(h) => h.to_string(),
                    crate::Runnable::FlowVersion(v) => format!("flow version {v}"),
                })
                .unwrap_or_default();
            let text = self.logs_of(&child).map(|b| b.text()).unwrap_or_default();
            out.push_str(&format!("\n=== Step {label} (Job: {child}) ===\n{text}\n"));
            stack.extend(
                children(&started, &child)
                    .into_iter()
                    .rev()
                    .map(|c| (c, depth + 1)),
            );
        }
        Ok(out)
    }

    /// [`JobRunner::wait_job`](crate::JobRunner::wait_job) forwarding the job's log as
    /// `options.logs` says.
    pub(super) async fn wait_forwarding_logs(
        &self,
        id: &JobId,
        options: &WaitOptions,
    ) -> Result<serde_json::Value> {
        use crate::JobRunner;
        let mut logs = self.follow_logs(id, 0);
        let mut sink = options.logs.sink(*id);
        let plain = WaitOptions {
            logs: crate::LogForward::None,
            ..options.clone()
        };
        let result = {
            let mut wait = std::pin::pin!(self.wait_job(id, &plain));
            loop {
                match select(wait.as_mut(), logs.next()).await {
                    Either::Left((r, _)) => break r,
                    Either::Right((Some(Ok(c)), _)) => sink.push(&c.text),
                    // The log ended (the job completed) or cannot be read: only the wait is left.
                    Either::Right(_) => break wait.await,
                }
            }
        };
        // What the job wrote last is in its buffer by now.
        while let Some(Some(Ok(c))) = logs.next().now_or_never() {
            sink.push(&c.text);
        }
        sink.finish();
        result
    }
}

fn children(started: &[super::StartedJob], parent: &JobId) -> Vec<JobId> {
    started
        .iter()
        .filter(|s| s.options.parent_job == Some(*parent))
        .map(|s| s.id)
        .collect()
}

#[cfg(test)]
mod tests;
