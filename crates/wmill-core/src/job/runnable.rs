//! [`Runnable`]: what a job runs, and so what [`JobRunner::start`](crate::JobRunner::start)
//! and [`JobRunner::run`](crate::JobRunner::run) take.

use crate::{FlowVersion, ItemKind, ItemPath, RunEndpoint, ScriptHash};

/// What a job runs: a script by path or by hash, a flow by path, or a saved flow version.
///
/// [`JobRunner::start`](crate::JobRunner::start) and [`JobRunner::run`](crate::JobRunner::run)
/// take one; [`BatchJob`](crate::BatchJob) and [`StartedJob`](crate::StartedJob) hold one.
/// Exhaustive on purpose: a backend matches on it, so a new kind is a compile error in every
/// backend rather than a start that fails at run time.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use serde_json::json;
/// use wmill_core::{InMemory, ItemPath, JobRunner, RunEndpoint, RunOptions, Runnable};
///
/// let wm = InMemory::new();
/// wm.register_flow("f/etl/daily", |_| async { Ok(json!("done")) })?;
/// let flow = Runnable::Flow(ItemPath::parse("f/etl/daily")?);
/// assert_eq!(flow.endpoint(), RunEndpoint::FlowByPath);
/// assert_eq!(wm.run(flow, Default::default(), &RunOptions::new()).await?, json!("done"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Runnable {
    /// A script, by path (`jobs/run/p/{path}`).
    ScriptPath(ItemPath),
    /// A script version, by hash (`jobs/run/h/{hash}`).
    ScriptHash(ScriptHash),
    /// A flow, by path (`jobs/run/f/{path}`).
    Flow(ItemPath),
    /// A saved version of a flow (`jobs/run/fv/{version}`).
    FlowVersion(FlowVersion),
}

impl Runnable {
    /// The asynchronous start endpoint of this runnable, whose options a backend checks
    /// ([`RunOptions::check_for`](crate::RunOptions::check_for)).
    pub fn endpoint(&self) -> RunEndpoint {
        match self {
            Runnable::ScriptPath(_) => RunEndpoint::ScriptByPath,
            Runnable::ScriptHash(_) => RunEndpoint::ScriptByHash,
            Runnable::Flow(_) => RunEndpoint::FlowByPath,
            Runnable::FlowVersion(_) => RunEndpoint::FlowByVersion,
        }
    }

    /// Whether it is a flow (by path or by version).
    pub fn is_flow(&self) -> bool {
        matches!(self, Runnable::Flow(_) | Runnable::FlowVersion(_))
    }

    /// The item it runs, as [`Error::NotFound`](crate::Error::NotFound) names it when it is
    /// missing: a script (by path or hash) or a flow (by path, or `version {id}`).
    ///
    /// ```
    /// use wmill_core::{FlowVersion, ItemKind, Runnable};
    ///
    /// let flow = Runnable::FlowVersion(FlowVersion::new(7));
    /// assert_eq!(flow.item(), (ItemKind::Flow, "version 7".to_owned()));
    /// ```
    pub fn item(&self) -> (ItemKind, String) {
        match self {
            Runnable::ScriptPath(p) => (ItemKind::Script, p.as_str().to_owned()),
            Runnable::ScriptHash(h) => (ItemKind::Script, h.as_str().to_owned()),
            Runnable::Flow(p) => (ItemKind::Flow, p.as_str().to_owned()),
            Runnable::FlowVersion(v) => (ItemKind::Flow, format!("version {v}")),
        }
    }
}
