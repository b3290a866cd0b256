//! Transfer progress: a callback with the bytes moved so far, and a `tracing` event every
//! few MiB.

use std::fmt;
use std::sync::Arc;

/// Bytes moved so far by one transfer, as [`S3Client::with_progress`](crate::S3Client::with_progress)
/// reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferProgress {
    /// What moves: `"get"` (load and stream) or `"put"` (write).
    pub operation: &'static str,
    /// The object, as `s3://<storage>/<key>`.
    pub object: String,
    /// Bytes moved so far (read from the store, or taken from the body on writes).
    pub bytes_done: u64,
    /// The size of the transfer when it is known (reads, and writes of a buffer); `None` for
    /// writes of a stream.
    pub bytes_total: Option<u64>,
    /// Whether this is the last report of the transfer (it completed).
    pub finished: bool,
}

/// The callback of [`S3Client::with_progress`](crate::S3Client::with_progress).
pub type ProgressFn = Arc<dyn Fn(&TransferProgress) + Send + Sync>;

/// The distance between two `tracing` events of a transfer.
pub const PROGRESS_EVENT_EVERY: u64 = 8 << 20;

/// Counts one transfer's bytes and reports them.
pub(crate) struct Meter {
    callback: Option<ProgressFn>,
    progress: TransferProgress,
    next_event: u64,
}

impl fmt::Debug for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meter")
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

impl Meter {
    pub(crate) fn new(
        callback: Option<ProgressFn>,
        operation: &'static str,
        object: String,
        bytes_total: Option<u64>,
    ) -> Self {
        Meter {
            callback,
            progress: TransferProgress {
                operation,
                object,
                bytes_done: 0,
                bytes_total,
                finished: false,
            },
            next_event: PROGRESS_EVENT_EVERY,
        }
    }

    /// `n` more bytes moved.
    pub(crate) fn add(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        self.progress.bytes_done = self.progress.bytes_done.saturating_add(n as u64);
        if self.progress.bytes_done >= self.next_event {
            self.next_event = self
                .progress
                .bytes_done
                .saturating_add(PROGRESS_EVENT_EVERY);
            tracing::debug!(
                target: "wmill_s3::progress",
                operation = self.progress.operation,
                object = %self.progress.object,
                bytes_done = self.progress.bytes_done,
                bytes_total = self.progress.bytes_total,
                "transfer progress"
            );
        }
        if let Some(cb) = &self.callback {
            cb(&self.progress);
        }
    }

    /// Bytes moved so far.
    pub(crate) fn done(&self) -> u64 {
        self.progress.bytes_done
    }

    /// The transfer completed: one last report.
    pub(crate) fn finish(&mut self) {
        if self.progress.finished {
            return;
        }
        self.progress.finished = true;
        if self.progress.bytes_total.is_none() {
            self.progress.bytes_total = Some(self.progress.bytes_done);
        }
        tracing::debug!(
            target: "wmill_s3::progress",
            operation = self.progress.operation,
            object = %self.progress.object,
            bytes_done = self.progress.bytes_done,
            "transfer finished"
        );
        if let Some(cb) = &self.callback {
            cb(&self.progress);
        }
    }
}

#[cfg(test)]
mod tests;
