//! Job logs: pieces of a followed log ([`LogChunk`]), one incremental read ([`LogUpdate`]), and
//! where a synchronous run sends its job's log while it waits ([`LogForward`], [`LogSink`]).
//!
//! # Offsets
//! A log offset is the server's: a count of **characters** (Unicode scalar values, what the
//! server's database counts), not bytes. `0` and `1` both mean "from the start"; the offset a
//! read returns is the log's length in characters + 1, ready to be sent back for the next read.
//! Keep the offset you were given; never compute one from byte lengths (a log with `é` or `→`
//! in it would be read twice or skipped).

use std::fmt;
use std::sync::Arc;

use crate::JobId;

/// A followed job log: what [`JobRunner::job_logs_from`](crate::JobRunner::job_logs_from) and
/// [`JobRunnerExt::job_logs`](crate::JobRunnerExt::job_logs) return (read it with
/// `futures::StreamExt` / `TryStreamExt`).
pub type LogStream = futures_util::stream::BoxStream<'static, crate::Result<LogChunk>>;

/// A piece of a job's log, as a followed log yields it
/// ([`JobRunnerExt::job_logs`](crate::JobRunnerExt::job_logs)).
///
/// ```
/// use wmill_core::LogChunk;
///
/// let chunk = LogChunk::new("héllo\n", 8);
/// assert_eq!(chunk.text, "héllo\n");
/// assert_eq!(chunk.next_offset, 8); // 6 characters + 1, not 7 bytes + 1
/// assert_eq!(chunk.skipped, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogChunk {
    /// The new text (never empty).
    pub text: String,
    /// The log offset after this chunk (see the [module docs](crate::logs)): follow the log again
    /// from here with [`JobRunner::job_logs_from`](crate::JobRunner::job_logs_from) to get only
    /// what came after it.
    pub next_offset: u64,
    /// Characters of the log, just before this chunk, that could not be delivered: the server
    /// had already moved them out of its database (to log files) when they were read. Usually
    /// 0; [`JobRunner::get_job_logs`](crate::JobRunner::get_job_logs) has the whole log.
    pub skipped: u64,
}

impl LogChunk {
    /// A chunk with nothing skipped.
    pub fn new(text: impl Into<String>, next_offset: u64) -> Self {
        LogChunk {
            text: text.into(),
            next_offset,
            skipped: 0,
        }
    }

    /// The same chunk, with `skipped` characters missing before it.
    #[must_use]
    pub fn with_skipped(mut self, skipped: u64) -> Self {
        self.skipped = skipped;
        self
    }
}

/// One incremental read of a job's log
/// ([`JobRunner::get_log_update`](crate::JobRunner::get_log_update)): what was added since an
/// offset, and whether the job has completed (then nothing more will come).
///
/// ```
/// use wmill_core::LogUpdate;
///
/// let update = LogUpdate::new("line 1\n", 8, false);
/// assert_eq!(update.next_offset, 8);
/// assert!(!update.completed);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogUpdate {
    /// The log after the offset that was read from (empty when nothing new was written).
    pub new_logs: String,
    /// The offset to read from next time (the offset read from when the job has no log yet).
    pub next_offset: u64,
    /// Characters before `new_logs` that the server no longer holds in its database (see
    /// [`LogChunk::skipped`]).
    pub skipped: u64,
    /// Whether the job has completed: `new_logs` is then the end of its log.
    pub completed: bool,
}

impl LogUpdate {
    /// An update with nothing skipped.
    pub fn new(new_logs: impl Into<String>, next_offset: u64, completed: bool) -> Self {
        LogUpdate {
            new_logs: new_logs.into(),
            next_offset,
            skipped: 0,
            completed,
        }
    }

    /// The same update, with `skipped` characters missing before `new_logs`.
    #[must_use]
    pub fn with_skipped(mut self, skipped: u64) -> Self {
        self.skipped = skipped;
        self
    }

    /// The new text as a [`LogChunk`], if there is any.
    pub fn into_chunk(self) -> Option<LogChunk> {
        (!self.new_logs.is_empty())
            .then(|| LogChunk::new(self.new_logs, self.next_offset).with_skipped(self.skipped))
    }
}

/// The function of [`LogForward::Callback`]: the job's id and one line of its log.
pub type LogCallback = Arc<dyn Fn(JobId, &str) + Send + Sync>;

/// Where a synchronous run (or a wait) sends its job's log while it waits: Python's `verbose`,
/// done properly. Set it with [`WaitOptions::logs`](crate::WaitOptions::logs).
///
/// The log is read as the job writes it (the HTTP backend follows it on the server's event
/// stream, next to the wait, and reads what is left once the job completed; see its docs for
/// the cost) and handed over **line by line**, without the line end. A last line without a
/// line end is handed over when the wait ends.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use std::sync::{Arc, Mutex};
/// use serde_json::json;
/// use wmill_core::{InMemory, ItemPath, JobLog, JobRunner, LogForward, RunOptions, WaitOptions};
///
/// let wm = InMemory::new();
/// wm.register_script("f/etl/load", |_args| async move {
///     if let Some(log) = JobLog::current() {
///         log.line("loading 3 rows");
///         log.line("done");
///     }
///     Ok(json!(3))
/// })?;
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let forward = LogForward::callback(move |_job, line| sink.lock().unwrap().push(line.to_owned()));
/// let options = RunOptions::new().wait(WaitOptions::new().logs(forward));
/// wm.run_script_by_path(&ItemPath::parse("f/etl/load")?, Default::default(), &options).await?;
/// assert_eq!(*seen.lock().unwrap(), ["loading 3 rows", "done"]);
///
/// // Or as `tracing` events (target `wmill::job_log`, field `job_id`):
/// let options = RunOptions::new().wait(WaitOptions::new().logs(LogForward::Tracing));
/// # let _ = options;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum LogForward {
    /// The log is not read (the default: a wait costs nothing more).
    #[default]
    None,
    /// One `tracing` event per line, at `INFO` level, target `wmill::job_log`, with the job's
    /// id as the field `job_id`.
    Tracing,
    /// The function is called with each line. It runs inside the wait: keep it short (hand the
    /// line to a channel if it has more to do).
    Callback(LogCallback),
}

impl LogForward {
    /// [`LogForward::Callback`] from a closure.
    pub fn callback(f: impl Fn(JobId, &str) + Send + Sync + 'static) -> Self {
        LogForward::Callback(Arc::new(f))
    }

    /// Whether the log is forwarded nowhere (then a wait does not read it).
    pub fn is_none(&self) -> bool {
        matches!(self, LogForward::None)
    }

    /// A [`LogSink`] for `job_id` that hands lines to this destination.
    pub fn sink(&self, job_id: JobId) -> LogSink {
        LogSink {
            forward: self.clone(),
            job_id,
            partial: String::new(),
        }
    }
}

impl fmt::Debug for LogForward {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogForward::None => f.write_str("None"),
            LogForward::Tracing => f.write_str("Tracing"),
            LogForward::Callback(_) => f.write_str("Callback(..)"),
        }
    }
}

/// Two callbacks are equal when they are the same function object (clones of one
/// [`LogForward`]).
impl PartialEq for LogForward {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (LogForward::None, LogForward::None) | (LogForward::Tracing, LogForward::Tracing) => {
                true
            }
            (LogForward::Callback(a), LogForward::Callback(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// The longest line a [`LogSink`] holds back waiting for its end; a longer one is handed over in
/// pieces of this size (a log without line ends must not grow memory).
pub const MAX_LOG_LINE: usize = 64 * 1024;

/// Cuts a log, fed in arbitrary pieces, into lines for a [`LogForward`]. Backends use it to
/// forward logs while waiting; it holds at most one incomplete line ([`MAX_LOG_LINE`]).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use wmill_core::{JobId, LogForward};
///
/// let lines = Arc::new(Mutex::new(Vec::new()));
/// let out = lines.clone();
/// let forward = LogForward::callback(move |_, l| out.lock().unwrap().push(l.to_owned()));
/// let mut sink = forward.sink(JobId::from_u128(1));
/// sink.push("a\nb");
/// sink.push("c\r\nd");
/// sink.finish();
/// assert_eq!(*lines.lock().unwrap(), ["a", "bc", "d"]);
/// ```
pub struct LogSink {
    forward: LogForward,
    job_id: JobId,
    partial: String,
}

impl fmt::Debug for LogSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogSink")
            .field("forward", &self.forward)
            .field("job_id", &self.job_id)
            .field("partial", &self.partial.len())
            .finish()
    }
}

impl LogSink {
    /// Feeds a piece of the log: every line it completes is handed over.
    pub fn push(&mut self, text: &str) {
        if self.forward.is_none() {
            return;
        }
        let mut rest = text;
        while let Some(end) = rest.find('\n') {
            let (line, after) = rest.split_at(end);
            rest = &after[1..];
            if self.partial.is_empty() {
                self.emit(line);
            } else {
                self.partial.push_str(line);
                let line = std::mem::take(&mut self.partial);
                self.emit(&line);
            }
        }
        self.partial.push_str(rest);
        while self.partial.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !self.partial.is_char_boundary(cut) {
                cut -= 1;
            }
            let tail = self.partial.split_off(cut);
            let head = std::mem::replace(&mut self.partial, tail);
            self.emit(&head);
        }
    }

    /// Hands over the last line if it had no line end. Call it once the log is complete.
    pub fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.emit(&line);
        }
    }

    fn emit(&self, line: &str) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match &self.forward {
            LogForward::None => {}
            LogForward::Tracing => {
                tracing::info!(target: "wmill::job_log", job_id = %self.job_id, "{line}");
            }
            LogForward::Callback(f) => f(self.job_id, line),
        }
    }
}

/// The part of `text` after the log offset `offset` (server semantics: characters, `0` and `1`
/// are the start), and the offset after `text` (its length in characters + 1).
pub(crate) fn after_offset(text: &str, offset: u64) -> (&str, u64) {
    let skip = usize::try_from(offset.saturating_sub(1)).unwrap_or(usize::MAX);
    let start = text.char_indices().nth(skip).map_or(text.len(), |(b, _)| b);
    (&text[start..], text.chars().count() as u64 + 1)
}

#[cfg(test)]
mod tests;
