//! The in-memory backend's reads of its jobs' logs: in full, from an offset, followed as a
//! stream, a flow's steps together, and the waits that forward a log as it grows.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::{BoxFuture, Either, Shared, select};
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, Stream, StreamExt};

use crate::{JobId, LogChunk, LogUpdate, Result, WaitOptions};

use super::logs::LogBuffer;
use super::{InMemory, StartedJob};

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

fn children(started: &[StartedJob], parent: &JobId) -> Vec<JobId> {
    started
        .iter()
        .filter(|s| s.options.parent_job == Some(*parent))
        .map(|s| s.id)
        .collect()
}
