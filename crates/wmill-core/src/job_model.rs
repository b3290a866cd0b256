//! The typed job: [`Job`], its [`JobState`], [`JobKind`], flow step status ([`FlowStatus`]) and
//! [`Timestamp`].
//!
//! The server answers `GET jobs_u/get/{id}` with a JSON object tagged `"type": "QueuedJob"` or
//! `"type": "CompletedJob"` (the spec's `QueuedJob` / `CompletedJob`), leaving absent options
//! out. [`Job::from_value`] reads that shape; every field but `type`, `id` (and `success` for a
//! completed job) is optional, values of the wrong type read as absent, and enum values this
//! crate does not know read as `Unknown(..)`, so a newer server never breaks decoding. The
//! JSON as received stays available ([`Job::raw`]) for the fields this model leaves out.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{Error, JobId, JobStatus, Result, ScriptHash};

// ---------------------------------------------------------------------------------------------
// Timestamp
// ---------------------------------------------------------------------------------------------

/// A point in time as the server writes it: an RFC 3339 string (`2024-05-02T10:11:12.123456Z`),
/// kept as received, with the instant it denotes.
///
/// No date-time library is involved: the text is parsed by this crate (dates from year 0 to
/// 9999, any UTC offset, fractional seconds to the nanosecond). Equality, order and hashing
/// follow the instant, so `...T10:00:00Z` equals `...T12:00:00+02:00`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use wmill_core::Timestamp;
///
/// let t = Timestamp::parse("2024-01-01T00:00:01.5Z")?;
/// assert_eq!(t.as_str(), "2024-01-01T00:00:01.5Z");
/// assert_eq!(t.unix_millis(), 1_704_067_201_500);
/// assert_eq!(t, Timestamp::parse("2024-01-01T01:00:01.500+01:00")?);
/// assert_eq!(t.system_time(), UNIX_EPOCH + Duration::from_millis(1_704_067_201_500));
/// assert!(Timestamp::parse("yesterday").is_err());
///
/// let now = Timestamp::now();
/// assert!(now > t);
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Timestamp {
    text: String,
    time: SystemTime,
}

impl Timestamp {
    /// Parses an RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; `t`, `z` and a
    /// space separator are accepted too). Anything else is [`Error::InvalidInput`].
    pub fn parse(text: impl Into<String>) -> Result<Self> {
        let text = text.into();
        match parse_rfc3339(&text) {
            Some(time) => Ok(Timestamp { text, time }),
            None => Err(Error::invalid(
                "timestamp",
                format!("{text:?} is not an RFC 3339 date-time (like 2024-05-02T10:11:12Z)"),
            )),
        }
    }

    /// The instant `time`, written in UTC with microseconds (`2024-05-02T10:11:12.123456Z`),
    /// as the server writes its timestamps.
    pub fn from_system_time(time: SystemTime) -> Self {
        let (secs, nanos) = match time.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i128, d.subsec_nanos()),
            Err(e) => {
                let d = e.duration();
                if d.subsec_nanos() == 0 {
                    (-(d.as_secs() as i128), 0)
                } else {
                    (-(d.as_secs() as i128) - 1, 1_000_000_000 - d.subsec_nanos())
                }
            }
        };
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = crate::listing::civil_from_days(days);
        let text = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60,
            nanos / 1000
        );
        // The text says microseconds: the instant says the same, so both sides agree.
        let time = parse_rfc3339(&text).unwrap_or(time);
        Timestamp { text, time }
    }

    /// The current time ([`Timestamp::from_system_time`] of `SystemTime::now()`).
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    /// The text as received.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant.
    pub fn system_time(&self) -> SystemTime {
        self.time
    }

    /// Milliseconds since the Unix epoch (negative before 1970).
    pub fn unix_millis(&self) -> i64 {
        match self.time.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => i64::try_from(e.duration().as_millis())
                .map(|ms| -ms)
                .unwrap_or(i64::MIN),
        }
    }

    /// How long after `earlier` this instant is; `None` when it is not after it.
    pub fn duration_since(&self, earlier: &Timestamp) -> Option<Duration> {
        self.time.duration_since(earlier.time).ok()
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.time.cmp(&other.time)
    }
}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.time.hash(state);
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Timestamp").field(&self.text).finish()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Timestamp::parse(s)
    }
}

impl From<SystemTime> for Timestamp {
    fn from(time: SystemTime) -> Self {
        Timestamp::from_system_time(time)
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> Self {
        t.time
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match parse_rfc3339(&text) {
            Some(time) => Ok(Timestamp { text, time }),
            None => Err(D::Error::custom("expected an RFC 3339 date-time")),
        }
    }
}

/// The one RFC 3339 parser of the crate (listing.rs).
fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    crate::listing::timestamp_from_rfc3339(s)
}

// ---------------------------------------------------------------------------------------------
// JobKind
// ---------------------------------------------------------------------------------------------

/// What a job runs (the server's `job_kind`).
///
/// Values this crate does not know are kept in [`JobKind::Unknown`], so a newer server never
/// fails decoding.
///
/// ```
/// use wmill_core::JobKind;
///
/// assert_eq!(JobKind::from("flow"), JobKind::Flow);
/// assert!(JobKind::Flow.is_flow());
/// assert_eq!(JobKind::from("teleport"), JobKind::Unknown("teleport".into()));
/// assert_eq!(JobKind::Unknown("teleport".into()).as_str(), "teleport");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobKind {
    /// A deployed script (by path or hash): `script`.
    Script,
    /// A script from the Windmill hub: `script_hub`.
    ScriptHub,
    /// A script preview (code sent with the run): `preview`.
    Preview,
    /// A script's dependency resolution: `dependencies`.
    Dependencies,
    /// A flow's dependency resolution: `flowdependencies`.
    FlowDependencies,
    /// An app's dependency resolution: `appdependencies`.
    AppDependencies,
    /// A deployed flow: `flow`.
    Flow,
    /// A flow preview: `flowpreview`.
    FlowPreview,
    /// A script run as a one-step flow (retries, error handlers): `singlestepflow`.
    SingleStepFlow,
    /// A step that returns its input: `identity`.
    Identity,
    /// A job that does nothing: `noop`.
    Noop,
    /// A deployment callback: `deploymentcallback`.
    DeploymentCallback,
    /// An inline script of a flow: `flowscript`.
    FlowScript,
    /// A sub-flow node of a flow: `flownode`.
    FlowNode,
    /// A script of an app: `appscript`.
    AppScript,
    /// An AI agent step: `aiagent`.
    AiAgent,
    /// `unassigned_script`.
    UnassignedScript,
    /// `unassigned_flow`.
    UnassignedFlow,
    /// `unassigned_singlestepflow`.
    UnassignedSingleStepFlow,
    /// A value this crate does not know, as the server wrote it.
    Unknown(String),
}

const JOB_KINDS: &[(&str, JobKind)] = &[
    ("script", JobKind::Script),
    ("script_hub", JobKind::ScriptHub),
    ("preview", JobKind::Preview),
    ("dependencies", JobKind::Dependencies),
    ("flowdependencies", JobKind::FlowDependencies),
    ("appdependencies", JobKind::AppDependencies),
    ("flow", JobKind::Flow),
    ("flowpreview", JobKind::FlowPreview),
    ("singlestepflow", JobKind::SingleStepFlow),
    ("identity", JobKind::Identity),
    ("noop", JobKind::Noop),
    ("deploymentcallback", JobKind::DeploymentCallback),
    ("flowscript", JobKind::FlowScript),
    ("flownode", JobKind::FlowNode),
    ("appscript", JobKind::AppScript),
    ("aiagent", JobKind::AiAgent),
    ("unassigned_script", JobKind::UnassignedScript),
    ("unassigned_flow", JobKind::UnassignedFlow),
    (
        "unassigned_singlestepflow",
        JobKind::UnassignedSingleStepFlow,
    ),
];

impl JobKind {
    /// The server's name for the kind.
    pub fn as_str(&self) -> &str {
        if let JobKind::Unknown(s) = self {
            return s;
        }
        JOB_KINDS
            .iter()
            .find(|(_, k)| k == self)
            .map_or("", |(name, _)| name)
    }

    /// Whether the job is a flow (`flow`, `flowpreview`, `singlestepflow`, `flownode`), as the
    /// server counts them.
    pub fn is_flow(&self) -> bool {
        matches!(
            self,
            JobKind::Flow | JobKind::FlowPreview | JobKind::SingleStepFlow | JobKind::FlowNode
        )
    }
}

impl From<&str> for JobKind {
    fn from(s: &str) -> Self {
        JOB_KINDS
            .iter()
            .find(|(name, _)| *name == s)
            .map_or_else(|| JobKind::Unknown(s.to_owned()), |(_, k)| k.clone())
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for JobKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        Ok(JobKind::from(String::deserialize(deserializer)?.as_str()))
    }
}

// ---------------------------------------------------------------------------------------------
// JobState
// ---------------------------------------------------------------------------------------------

/// Where a job is in its life, with what each state knows.
///
/// Read from the server's job as follows (see [`Job::from_value`]):
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
    /// Completed with an error ([`Job::error`] holds it).
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

// ---------------------------------------------------------------------------------------------
// Flow status
// ---------------------------------------------------------------------------------------------

/// The progress of a flow (the server's `flow_status`): the current step and the status of
/// each step.
///
/// ```
/// use serde_json::json;
/// use wmill_core::{FlowStatus, FlowStepStatus};
///
/// let status = FlowStatus::from_value(&json!({
///     "step": 1,
///     "modules": [
///         {"type": "Success", "id": "a", "job": "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12"},
///         {"type": "InProgress", "id": "b"},
///         {"type": "WaitingForPriorSteps", "id": "c"}
///     ],
///     "failure_module": {"type": "WaitingForPriorSteps", "id": "failure"}
/// })).unwrap();
/// assert_eq!(status.step_count(), 3);
/// assert_eq!(status.current().map(|s| &s.status), Some(&FlowStepStatus::InProgress));
/// assert_eq!(status.completed_steps(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlowStatus {
    /// The index of the current step in [`steps`](FlowStatus::steps) (the server's `step`).
    pub step: usize,
    /// Every top-level step, in order (the server's `modules`).
    pub steps: Vec<FlowStep>,
    /// The error handler step, when the flow has one (`failure_module`).
    pub failure_step: Option<FlowStep>,
    /// The preprocessor step, when the flow has one (`preprocessor_module`).
    pub preprocessor_step: Option<FlowStep>,
}

impl FlowStatus {
    /// Reads the server's `flow_status` object; `None` when it is not an object. Missing or
    /// mistyped fields read as absent.
    pub fn from_value(value: &Value) -> Option<Self> {
        let obj = value.as_object()?;
        Some(FlowStatus {
            step: get_u64(obj, "step").map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX)),
            steps: obj
                .get("modules")
                .and_then(Value::as_array)
                .map(|mods| mods.iter().filter_map(FlowStep::from_value).collect())
                .unwrap_or_default(),
            failure_step: obj.get("failure_module").and_then(FlowStep::from_value),
            preprocessor_step: obj
                .get("preprocessor_module")
                .and_then(FlowStep::from_value),
        })
    }

    /// How many top-level steps the flow has.
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// The current step, if the index points at one (it is past the end once every step ran).
    pub fn current(&self) -> Option<&FlowStep> {
        self.steps.get(self.step)
    }

    /// How many top-level steps completed (successfully or not).
    pub fn completed_steps(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.status.is_completed())
            .count()
    }
}

/// One step of a flow (the server's `FlowStatusModule`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlowStep {
    /// The step's id in the flow (`a`, `b`, ...).
    pub id: Option<String>,
    /// Where the step is.
    pub status: FlowStepStatus,
    /// The job that runs (or ran) the step.
    pub job: Option<JobId>,
    /// For a step waiting for events (an approval): how many it needs (`count`).
    pub count: Option<u32>,
    /// The step's progress, 0-99, when it reports one.
    pub progress: Option<u32>,
    /// For a loop: the index of the current iteration (`iterator.index`).
    pub iteration: Option<usize>,
    /// For loops and branches: the job of each iteration or branch (`flow_jobs`).
    pub flow_jobs: Vec<JobId>,
    /// For loops and branches: whether each of those jobs succeeded, `None` while unknown
    /// (`flow_jobs_success`).
    pub flow_jobs_success: Vec<Option<bool>>,
    /// Whether the step was skipped.
    pub skipped: bool,
    /// Who approved the step, for approval steps (`approvers`).
    pub approvers: Vec<FlowApprover>,
}

impl FlowStep {
    /// Reads one `FlowStatusModule` object; `None` when it is not an object.
    pub fn from_value(value: &Value) -> Option<Self> {
        let obj = value.as_object()?;
        let ids = |key: &str| -> Vec<JobId> {
            obj.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().and_then(|s| JobId::parse(s).ok()))
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(FlowStep {
            id: get_str(obj, "id"),
            status: FlowStepStatus::from(obj.get("type").and_then(Value::as_str).unwrap_or("")),
            job: get_id(obj, "job"),
            count: get_u32(obj, "count"),
            progress: get_u32(obj, "progress"),
            iteration: obj
                .get("iterator")
                .and_then(Value::as_object)
                .and_then(|it| get_u64(it, "index"))
                .and_then(|n| usize::try_from(n).ok()),
            flow_jobs: ids("flow_jobs"),
            flow_jobs_success: obj
                .get("flow_jobs_success")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(Value::as_bool).collect())
                .unwrap_or_default(),
            skipped: get_bool(obj, "skipped").unwrap_or(false),
            approvers: obj
                .get("approvers")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| {
                            let o = v.as_object()?;
                            Some(FlowApprover {
                                resume_id: get_u32(o, "resume_id")?,
                                approver: get_str(o, "approver")?,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

/// Who approved a flow step.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FlowApprover {
    /// The resume id the approval used.
    pub resume_id: u32,
    /// The approver's name.
    pub approver: String,
}

/// The status of a flow step (the `type` of the server's `FlowStatusModule`).
///
/// ```
/// use wmill_core::FlowStepStatus;
///
/// assert_eq!(FlowStepStatus::from("WaitingForEvents"), FlowStepStatus::WaitingForEvents);
/// assert_eq!(FlowStepStatus::from("Paused"), FlowStepStatus::Unknown("Paused".into()));
/// assert!(FlowStepStatus::Failure.is_completed());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FlowStepStatus {
    /// Not reached yet.
    WaitingForPriorSteps,
    /// Waiting for resumes (an approval): the flow is suspended.
    WaitingForEvents,
    /// Its job is queued, waiting for a worker.
    WaitingForExecutor,
    /// Running.
    InProgress,
    /// Completed successfully (or skipped).
    Success,
    /// Failed.
    Failure,
    /// A value this crate does not know, as the server wrote it.
    Unknown(String),
}

impl FlowStepStatus {
    /// The server's name for the status.
    pub fn as_str(&self) -> &str {
        match self {
            FlowStepStatus::WaitingForPriorSteps => "WaitingForPriorSteps",
            FlowStepStatus::WaitingForEvents => "WaitingForEvents",
            FlowStepStatus::WaitingForExecutor => "WaitingForExecutor",
            FlowStepStatus::InProgress => "InProgress",
            FlowStepStatus::Success => "Success",
            FlowStepStatus::Failure => "Failure",
            FlowStepStatus::Unknown(s) => s,
        }
    }

    /// Whether the step completed (successfully or not).
    pub fn is_completed(&self) -> bool {
        matches!(self, FlowStepStatus::Success | FlowStepStatus::Failure)
    }
}

impl From<&str> for FlowStepStatus {
    fn from(s: &str) -> Self {
        match s {
            "WaitingForPriorSteps" => FlowStepStatus::WaitingForPriorSteps,
            "WaitingForEvents" => FlowStepStatus::WaitingForEvents,
            "WaitingForExecutor" => FlowStepStatus::WaitingForExecutor,
            "InProgress" => FlowStepStatus::InProgress,
            "Success" => FlowStepStatus::Success,
            "Failure" => FlowStepStatus::Failure,
            other => FlowStepStatus::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for FlowStepStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// Job
// ---------------------------------------------------------------------------------------------

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

fn get_str(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn get_bool(obj: &Map<String, Value>, key: &str) -> Option<bool> {
    obj.get(key).and_then(Value::as_bool)
}

fn get_u64(obj: &Map<String, Value>, key: &str) -> Option<u64> {
    let v = obj.get(key)?;
    v.as_u64().or_else(|| {
        // Some counters are JSON numbers with a fraction part of zero (`3000.0`).
        v.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    })
}

fn get_u32(obj: &Map<String, Value>, key: &str) -> Option<u32> {
    get_u64(obj, key).and_then(|n| u32::try_from(n).ok())
}

fn get_id(obj: &Map<String, Value>, key: &str) -> Option<JobId> {
    obj.get(key)
        .and_then(Value::as_str)
        .and_then(|s| JobId::parse(s).ok())
}

fn get_time(obj: &Map<String, Value>, key: &str) -> Option<Timestamp> {
    obj.get(key)
        .and_then(Value::as_str)
        .and_then(|s| Timestamp::parse(s).ok())
}

#[cfg(test)]
mod tests;
