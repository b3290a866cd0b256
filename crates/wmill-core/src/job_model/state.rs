//! [`JobState`]: where a job is (queued, running, suspended, completed and how).

use std::fmt;
use std::hash::Hash;

use crate::JobStatus;

use super::timestamp::Timestamp;

/// Where a job is in its life, with what each state knows.
///
/// Read from the server's job as follows (see [`Job::from_value`](crate::Job::from_value)):
///
/// | JSON | state |
/// |---|---|
/// | `CompletedJob`, `canceled: true` | [`Canceled`](JobState::Canceled) (`canceled_by`, `canceled_reason`) |
/// | `CompletedJob`, `success: true` | [`Success`](JobState::Success) (skipped flow steps too) |
/// | `CompletedJob`, otherwise | [`Failure`](JobState::Failure) |
/// | `QueuedJob`, `canceled: true` | [`Canceling`](JobState::Canceling): asked to stop, not stopped yet |
/// | `QueuedJob`, waiting for approval (below) | [`Suspended`](JobState::Suspended) |
/// | `QueuedJob`, `running: true` | [`Running`](JobState::Running) |
/// | `QueuedJob`, `scheduled_for` later than `created_at` | [`Scheduled`](JobState::Scheduled) |
/// | `QueuedJob`, otherwise | [`Queued`](JobState::Queued) |
///
/// A flow waits for approval (or any resume) when the module of its current step is
/// `WaitingForEvents`, or when the server's `suspend` counter (resumes still needed) is above
/// zero on a flow job: that is how the server parks a suspended flow.
///
/// ```
/// use wmill_core::{JobState, JobStatus};
///
/// let canceled = JobState::Canceled { by: Some("alice".into()), reason: Some("obsolete".into()) };
/// assert!(canceled.is_completed() && !canceled.is_success());
/// assert_eq!(canceled.status(), JobStatus::Completed { success: false });
/// assert_ne!(canceled, JobState::Failure); // a canceled job is not a failed one
/// assert_eq!(canceled.to_string(), "canceled");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// Waiting for its start time. The time may have passed already, the job waiting for a
    /// worker: compare `at` with the clock if that matters.
    Scheduled {
        /// When it may start.
        at: Timestamp,
    },
    /// Started, not completed.
    Running,
    /// A flow waiting for an approval or another resume of one of its steps.
    Suspended {
        /// The index of the step that waits (the flow's current step), when known.
        step: Option<usize>,
        /// How many resumes the flow still needs, when the server says (`suspend`).
        resumes_needed: Option<u32>,
    },
    /// Asked to stop (a cancel was requested), not stopped yet.
    Canceling {
        /// Who canceled it.
        by: Option<String>,
        /// Why.
        reason: Option<String>,
    },
    /// Completed successfully.
    Success,
    /// Completed with an error ([`Job::error`](crate::Job::error) holds it).
    Failure,
    /// Canceled before it completed.
    Canceled {
        /// Who canceled it (a user name, or what canceled it).
        by: Option<String>,
        /// Why, as given with the cancel.
        reason: Option<String>,
    },
}

impl JobState {
    /// Whether the job completed (successfully, with an error, or canceled).
    pub fn is_completed(&self) -> bool {
        matches!(
            self,
            JobState::Success | JobState::Failure | JobState::Canceled { .. }
        )
    }

    /// Whether the job completed successfully.
    pub fn is_success(&self) -> bool {
        matches!(self, JobState::Success)
    }

    /// Whether the job was canceled (or is being canceled).
    pub fn is_canceled(&self) -> bool {
        matches!(self, JobState::Canceled { .. } | JobState::Canceling { .. })
    }

    /// The coarser [`JobStatus`]: queued and scheduled are `Waiting`; running, suspended and
    /// canceling are `Running`; the completed states are `Completed` with `success` true for
    /// [`Success`](JobState::Success) only.
    pub fn status(&self) -> JobStatus {
        match self {
            JobState::Queued | JobState::Scheduled { .. } => JobStatus::Waiting,
            JobState::Running | JobState::Suspended { .. } | JobState::Canceling { .. } => {
                JobStatus::Running
            }
            JobState::Success => JobStatus::Completed { success: true },
            JobState::Failure | JobState::Canceled { .. } => {
                JobStatus::Completed { success: false }
            }
        }
    }

    /// A short lower-case name: `queued`, `scheduled`, `running`, `suspended`, `canceling`,
    /// `success`, `failure`, `canceled`.
    pub fn name(&self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Scheduled { .. } => "scheduled",
            JobState::Running => "running",
            JobState::Suspended { .. } => "suspended",
            JobState::Canceling { .. } => "canceling",
            JobState::Success => "success",
            JobState::Failure => "failure",
            JobState::Canceled { .. } => "canceled",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
