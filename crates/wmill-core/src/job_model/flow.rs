//! A flow's progress: [`FlowStatus`], its [`FlowStep`]s, their [`FlowStepStatus`] and
//! [`FlowApprover`]s.

use std::fmt;
use std::hash::Hash;

use serde_json::Value;

use crate::JobId;

use super::fields::{get_bool, get_id, get_str, get_u32, get_u64};

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
