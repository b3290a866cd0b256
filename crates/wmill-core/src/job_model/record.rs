//! [`Job`]: the typed answer of `GET jobs_u/get/{id}`, decoded leniently, with its raw JSON.

use std::fmt;
use std::time::Duration;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{Error, JobId, JobStatus, Result, ScriptHash};

use super::fields::{get_bool, get_id, get_str, get_time, get_u64};
use super::flow::{FlowStatus, FlowStepStatus};
use super::kind::JobKind;
use super::state::JobState;
use super::timestamp::Timestamp;

/// A job, queued or completed, as the server describes it (`GET jobs_u/get/{id}`), typed.
///
/// The typed fields cover what callers use; [`raw`](Job::raw) is the JSON as received, for
/// everything else (`permissioned_as`, `mem_peak`, `labels`, `raw_flow`, ...). Large parts stay
/// only in the raw JSON and are read through accessors: [`result`](Job::result),
/// [`error`](Job::error), [`args`](Job::args).
///
/// `Debug` shows the typed fields and only the keys of the raw JSON: arguments and results can
/// hold secrets.
///
/// ```
/// use serde_json::json;
/// use wmill_core::{Job, JobKind, JobState};
///
/// // A canceled job, as the server sends it (absent options omitted).
/// let job = Job::from_value(json!({
///     "type": "CompletedJob",
///     "id": "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12",
///     "workspace_id": "demo",
///     "created_by": "alice",
///     "created_at": "2024-05-02T10:00:00.000000Z",
///     "started_at": "2024-05-02T10:00:00.250000Z",
///     "completed_at": "2024-05-02T10:00:03.250000Z",
///     "duration_ms": 3000,
///     "success": false,
///     "canceled": true,
///     "canceled_by": "bob",
///     "canceled_reason": "wrong input",
///     "script_path": "f/etl/load",
///     "job_kind": "script",
///     "tag": "python3",
///     "result": {"error": {"name": "Canceled", "message": "Job canceled: wrong input by bob"}}
/// }))?;
/// assert_eq!(
///     job.state,
///     JobState::Canceled { by: Some("bob".into()), reason: Some("wrong input".into()) }
/// );
/// assert_eq!(job.kind, JobKind::Script);
/// assert_eq!(job.script_path.as_deref(), Some("f/etl/load"));
/// assert_eq!(job.duration_ms, Some(3000));
/// assert_eq!(job.error().unwrap()["name"], "Canceled");
/// assert_eq!(job.raw()["workspace_id"], "demo");
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Job {
    /// The job id.
    pub id: JobId,
    /// Where the job is in its life.
    pub state: JobState,
    /// What the job runs (`job_kind`); [`JobKind::Unknown`] when absent or unknown.
    pub kind: JobKind,
    /// The workspace (`workspace_id`).
    pub workspace: Option<String>,
    /// The path of the script or flow it runs (`script_path`).
    pub script_path: Option<String>,
    /// The hash of the script version it runs (`script_hash`; for flows, the server puts the
    /// flow version there). `None` when absent or not a 16-digit hash.
    pub script_hash: Option<ScriptHash>,
    /// Who started it (`created_by`).
    pub created_by: Option<String>,
    /// When it was created (`created_at`).
    pub created_at: Option<Timestamp>,
    /// When it may start (`scheduled_for`; queued jobs only).
    pub scheduled_for: Option<Timestamp>,
    /// When it started (`started_at`).
    pub started_at: Option<Timestamp>,
    /// When it completed (`completed_at`; completed jobs only, on servers that send it).
    pub completed_at: Option<Timestamp>,
    /// How long it ran, in milliseconds (`duration_ms`; completed jobs only).
    pub duration_ms: Option<u64>,
    /// The worker tag it runs on (`tag`).
    pub tag: Option<String>,
    /// The worker that runs or ran it (`worker`).
    pub worker: Option<String>,
    /// The job that started it (`parent_job`).
    pub parent_job: Option<JobId>,
    /// The root flow job it belongs to (`root_job`; the server sends it for queued jobs).
    pub root_job: Option<JobId>,
    /// Whether it is a step of a flow (`is_flow_step`).
    pub is_flow_step: bool,
    /// For flows: the progress of each step (`flow_status`).
    pub flow_status: Option<FlowStatus>,
    /// The script language (`language`), e.g. `python3`, `bun`.
    pub language: Option<String>,
    /// Whether the job was skipped (a skipped flow step completes as a success): `is_skipped`.
    pub skipped: bool,
    raw: Value,
}

impl Job {
    /// Reads a job in the server's shape: a JSON object tagged `"type": "QueuedJob"` or
    /// `"type": "CompletedJob"` with the fields of the spec's `QueuedJob` / `CompletedJob`
    /// (what `GET jobs_u/get/{id}` answers). [`JobState`] says how the state is read.
    ///
    /// `type` must be `QueuedJob` or `CompletedJob`, `id` a UUID, and a completed job must
    /// say whether it succeeded (`success`); otherwise this is [`Error::Decode`] (with the
    /// JSON's outline, not its values: arguments may hold secrets). Every other field is
    /// optional: absent, `null` and mistyped values read as `None`, and enum values this crate
    /// does not know read as `Unknown(..)`, so a newer server never breaks decoding. The raw
    /// JSON keeps everything as received.
    pub fn from_value(raw: Value) -> Result<Job> {
        // Fixed messages, and the outline of the JSON (keys and kinds): never a value.
        let fail = |raw: &Value, why: &'static str| Error::Decode {
            request: "job".to_owned(),
            body_excerpt: crate::error::outline(raw),
            source: why.into(),
        };
        let Some(obj) = raw.as_object() else {
            return Err(fail(&raw, "a job is a JSON object"));
        };
        let completed = match obj.get("type").and_then(Value::as_str) {
            Some("CompletedJob") => true,
            Some("QueuedJob") => false,
            _ => {
                return Err(fail(
                    &raw,
                    "expected \"type\": \"QueuedJob\" or \"CompletedJob\"",
                ));
            }
        };
        let Some(id) = get_id(obj, "id") else {
            return Err(fail(&raw, "missing field `id` (a UUID)"));
        };
        let kind = obj
            .get("job_kind")
            .and_then(Value::as_str)
            .map_or_else(|| JobKind::Unknown(String::new()), JobKind::from);
        let created_at = get_time(obj, "created_at");
        let scheduled_for = get_time(obj, "scheduled_for");
        let flow_status = obj.get("flow_status").and_then(FlowStatus::from_value);
        let (by, reason) = (get_str(obj, "canceled_by"), get_str(obj, "canceled_reason"));
        let canceled = get_bool(obj, "canceled").unwrap_or(false) || by.is_some();

        let state = if completed {
            let Some(success) = get_bool(obj, "success") else {
                return Err(fail(&raw, "missing field `success` (a boolean)"));
            };
            if canceled {
                JobState::Canceled { by, reason }
            } else if success {
                JobState::Success
            } else {
                JobState::Failure
            }
        } else if canceled {
            JobState::Canceling { by, reason }
        } else if let Some(suspended) = suspended_state(obj, &kind, flow_status.as_ref()) {
            suspended
        } else if get_bool(obj, "running").unwrap_or(false) {
            JobState::Running
        } else {
            match (&scheduled_for, &created_at) {
                (Some(at), Some(created)) if at > created => JobState::Scheduled { at: at.clone() },
                _ => JobState::Queued,
            }
        };

        Ok(Job {
            id,
            state,
            kind,
            workspace: get_str(obj, "workspace_id"),
            script_path: get_str(obj, "script_path"),
            script_hash: get_str(obj, "script_hash").and_then(|h| ScriptHash::parse(h).ok()),
            created_by: get_str(obj, "created_by"),
            created_at,
            scheduled_for,
            started_at: get_time(obj, "started_at"),
            completed_at: get_time(obj, "completed_at"),
            duration_ms: get_u64(obj, "duration_ms"),
            tag: get_str(obj, "tag"),
            worker: get_str(obj, "worker"),
            parent_job: get_id(obj, "parent_job"),
            root_job: get_id(obj, "root_job"),
            is_flow_step: get_bool(obj, "is_flow_step").unwrap_or(false),
            flow_status,
            language: get_str(obj, "language"),
            skipped: get_bool(obj, "is_skipped").unwrap_or(false),
            raw,
        })
    }

    /// The JSON as received.
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    /// The JSON as received, by value.
    pub fn into_raw(self) -> Value {
        self.raw
    }

    /// The [`JobStatus`] of the job (see [`JobState::status`]).
    pub fn status(&self) -> JobStatus {
        self.state.status()
    }

    /// Whether the job completed (successfully, with an error, or canceled).
    pub fn is_completed(&self) -> bool {
        self.state.is_completed()
    }

    /// The result of a completed job (for a failed or canceled job, the server's
    /// `{"error": ...}` value); `None` while it has not completed or when the server left it
    /// out. A result too large to inline is the string `"WINDMILL_TOO_BIG"`: read it with
    /// [`get_result`](crate::JobRunner::get_result).
    pub fn result(&self) -> Option<&Value> {
        if !self.state.is_completed() {
            return None;
        }
        self.raw.get("result")
    }

    /// The error of a failed or canceled job: the `error` member of its result (or the whole
    /// result when it has none).
    pub fn error(&self) -> Option<&Value> {
        if !matches!(self.state, JobState::Failure | JobState::Canceled { .. }) {
            return None;
        }
        let result = self.result()?;
        Some(result.get("error").unwrap_or(result))
    }

    /// The arguments the job was started with, when the server sent them (large arguments are
    /// replaced by `{"reason": "WINDMILL_TOO_BIG"}`).
    pub fn args(&self) -> Option<&Map<String, Value>> {
        self.raw.get("args").and_then(Value::as_object)
    }

    /// How long the job ran ([`duration_ms`](Job::duration_ms)).
    pub fn duration(&self) -> Option<Duration> {
        self.duration_ms.map(Duration::from_millis)
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self
            .raw
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        f.debug_struct("Job")
            .field("id", &self.id)
            .field("state", &self.state)
            .field("kind", &self.kind)
            .field("workspace", &self.workspace)
            .field("script_path", &self.script_path)
            .field("script_hash", &self.script_hash)
            .field("created_by", &self.created_by)
            .field("created_at", &self.created_at)
            .field("scheduled_for", &self.scheduled_for)
            .field("started_at", &self.started_at)
            .field("completed_at", &self.completed_at)
            .field("duration_ms", &self.duration_ms)
            .field("tag", &self.tag)
            .field("worker", &self.worker)
            .field("parent_job", &self.parent_job)
            .field("root_job", &self.root_job)
            .field("is_flow_step", &self.is_flow_step)
            .field("flow_status", &self.flow_status)
            .field("language", &self.language)
            .field("skipped", &self.skipped)
            .field("raw_keys", &keys)
            .finish()
    }
}

impl Serialize for Job {
    /// Serializes the JSON as received.
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Job {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        Job::from_value(raw).map_err(|e| match &e {
            Error::Decode { source, .. } => D::Error::custom(source),
            _ => D::Error::custom(e),
        })
    }
}

/// The suspended state of a queued job, if it is suspended (see [`JobState`]).
fn suspended_state(
    obj: &Map<String, Value>,
    kind: &JobKind,
    flow_status: Option<&FlowStatus>,
) -> Option<JobState> {
    let waiting_step = flow_status
        .and_then(|fs| fs.current())
        .is_some_and(|s| s.status == FlowStepStatus::WaitingForEvents);
    let suspend = obj.get("suspend").and_then(Value::as_i64);
    let suspended = match suspend {
        // The server counts down the resumes still needed; 0 once resumed.
        Some(n) => n > 0 && (waiting_step || kind.is_flow()),
        None => waiting_step,
    };
    suspended.then(|| JobState::Suspended {
        step: flow_status.map(|fs| fs.step),
        resumes_needed: suspend.and_then(|n| u32::try_from(n).ok()),
    })
}
