//! [`JobKind`]: what a job runs (script, flow, preview, ...), open to kinds this crate does not
//! know.

use std::fmt;
use std::hash::Hash;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

pub(super) const JOB_KINDS: &[(&str, JobKind)] = &[
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
