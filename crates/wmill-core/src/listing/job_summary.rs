//! Job listing, the rows: [`JobSummary`] and the lenient shape it is decoded from.

use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::{JobId, JobStatus};

use super::timestamp::{timestamp_from_rfc3339, timestamp_to_rfc3339};

/// A job as a listing returns it: a light summary of the server's `Job` rows.
///
/// Decoding is tolerant: every field but `id` may be missing or of an unexpected type (it is
/// then `None` / `false`), unknown kinds and fields are kept as text or ignored. It serializes
/// back to the server's field names.
///
/// ```
/// use wmill_core::{JobStatus, JobSummary};
///
/// let row: JobSummary = serde_json::from_value(serde_json::json!({
///     "type": "CompletedJob",
///     "id": "00000000-0000-0000-0000-000000000007",
///     "job_kind": "flow",
///     "script_path": "f/etl/nightly",
///     "created_at": "2024-05-06T07:08:09.123456Z",
///     "success": false,
///     "canceled": true,
///     "some_new_field": {"ignored": true}
/// }))?;
/// assert!(row.is_flow() && row.canceled);
/// assert_eq!(row.status(), JobStatus::Completed { success: false });
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawSummary", into = "RawSummary")]
#[non_exhaustive]
pub struct JobSummary {
    /// The job id.
    pub id: JobId,
    /// Whether the job completed (a `CompletedJob` row).
    pub completed: bool,
    /// The job kind as the server names it (`script`, `flow`, `preview`, ...).
    pub job_kind: Option<String>,
    /// The script or flow path, if any.
    pub script_path: Option<String>,
    /// The script hash, if any.
    pub script_hash: Option<String>,
    /// Who started the job.
    pub created_by: Option<String>,
    /// When the job was created.
    pub created_at: Option<SystemTime>,
    /// When the job started running.
    pub started_at: Option<SystemTime>,
    /// When the job completed.
    pub completed_at: Option<SystemTime>,
    /// When a queued job is scheduled to start.
    pub scheduled_for: Option<SystemTime>,
    /// How long a completed job ran, in milliseconds.
    pub duration_ms: Option<i64>,
    /// Whether a queued job is running.
    pub running: bool,
    /// Whether a completed job succeeded.
    pub success: Option<bool>,
    /// Whether the job was canceled.
    pub canceled: bool,
    /// Whether a completed job was skipped.
    pub skipped: bool,
    /// Whether a queued flow is suspended (waiting for approvals or events).
    pub suspended: bool,
    /// The worker tag.
    pub tag: Option<String>,
    /// The parent job.
    pub parent_job: Option<JobId>,
    /// Whether the job is a step of a flow.
    pub is_flow_step: bool,
    /// The worker that ran it.
    pub worker: Option<String>,
}

impl JobSummary {
    /// A summary with only the id and the completion flag set.
    pub fn new(id: JobId, completed: bool) -> Self {
        JobSummary {
            id,
            completed,
            job_kind: None,
            script_path: None,
            script_hash: None,
            created_by: None,
            created_at: None,
            started_at: None,
            completed_at: None,
            scheduled_for: None,
            duration_ms: None,
            running: false,
            success: None,
            canceled: false,
            skipped: false,
            suspended: false,
            tag: None,
            parent_job: None,
            is_flow_step: false,
            worker: None,
        }
    }

    /// Waiting, running or completed (a canceled job did not succeed).
    pub fn status(&self) -> JobStatus {
        if self.completed {
            JobStatus::Completed {
                success: self.success == Some(true) && !self.canceled,
            }
        } else if self.running {
            JobStatus::Running
        } else {
            JobStatus::Waiting
        }
    }

    /// Whether the job runs a flow (`flow`, `flowpreview`, `singlestepflow`, ...).
    pub fn is_flow(&self) -> bool {
        matches!(
            self.job_kind.as_deref(),
            Some(
                "flow"
                    | "flowpreview"
                    | "singlestepflow"
                    | "unassigned_flow"
                    | "unassigned_singlestepflow"
            )
        )
    }
}

/// Any JSON value, kept only when it has the expected type.
pub(super) fn lenient<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    Ok(T::deserialize(v).ok())
}

/// The server's row, as decoded and encoded.
#[derive(Serialize, Deserialize)]
struct RawSummary {
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    row_type: Option<String>,
    id: JobId,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    job_kind: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    script_path: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    script_hash: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    created_by: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    created_at: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    started_at: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    completed_at: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    scheduled_for: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    duration_ms: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    running: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    success: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    canceled: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    is_skipped: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    suspend: Option<f64>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    tag: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    parent_job: Option<JobId>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    is_flow_step: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    worker: Option<String>,
}

impl From<RawSummary> for JobSummary {
    fn from(r: RawSummary) -> Self {
        let time = |s: Option<String>| s.as_deref().and_then(timestamp_from_rfc3339);
        let completed = match r.row_type.as_deref() {
            Some("CompletedJob") => true,
            Some("QueuedJob") => false,
            _ => r.success.is_some() || r.completed_at.is_some(),
        };
        JobSummary {
            id: r.id,
            completed,
            job_kind: r.job_kind,
            script_path: r.script_path,
            script_hash: r.script_hash,
            created_by: r.created_by,
            created_at: time(r.created_at),
            started_at: time(r.started_at),
            completed_at: time(r.completed_at),
            scheduled_for: time(r.scheduled_for),
            duration_ms: r.duration_ms,
            running: !completed && r.running.unwrap_or(false),
            success: r.success,
            canceled: r.canceled.unwrap_or(false),
            skipped: r.is_skipped.unwrap_or(false),
            suspended: r.suspend.is_some_and(|s| s > 0.0),
            tag: r.tag,
            parent_job: r.parent_job,
            is_flow_step: r.is_flow_step.unwrap_or(false),
            worker: r.worker,
        }
    }
}

impl From<JobSummary> for RawSummary {
    fn from(j: JobSummary) -> Self {
        let time = |t: Option<SystemTime>| t.map(timestamp_to_rfc3339);
        RawSummary {
            row_type: Some(
                if j.completed {
                    "CompletedJob"
                } else {
                    "QueuedJob"
                }
                .to_owned(),
            ),
            id: j.id,
            job_kind: j.job_kind,
            script_path: j.script_path,
            script_hash: j.script_hash,
            created_by: j.created_by,
            created_at: time(j.created_at),
            started_at: time(j.started_at),
            completed_at: time(j.completed_at),
            scheduled_for: time(j.scheduled_for),
            duration_ms: j.duration_ms,
            running: (!j.completed).then_some(j.running),
            success: j.success,
            canceled: Some(j.canceled),
            is_skipped: j.completed.then_some(j.skipped),
            suspend: (!j.completed).then_some(if j.suspended { 1.0 } else { 0.0 }),
            tag: j.tag,
            parent_job: j.parent_job,
            is_flow_step: Some(j.is_flow_step),
            worker: j.worker,
        }
    }
}
