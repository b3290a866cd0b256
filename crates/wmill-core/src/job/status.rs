//! [`JobStatus`]: where a job is in its life.

use std::fmt::Debug;

use serde::Serialize;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum JobStatus {
    /// Queued, not started yet (or scheduled for later).
    Waiting,
    /// Started, not completed.
    Running,
    /// Completed; `success` is false when it failed or was canceled.
    Completed {
        /// Whether the job succeeded.
        success: bool,
    },
}

impl JobStatus {
    /// Whether the job completed (successfully or not).
    pub fn is_completed(&self) -> bool {
        matches!(self, JobStatus::Completed { .. })
    }
}
