//! The client's settings by name and their defaults: [`WmillConfigKey`] (each setting with the
//! environment variable that provides it inside a job) and the `DEFAULT_*` timeouts and limits.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use wmill_core::{Error, Result};

/// The default timeout of one ordinary request (everything but the long waits and streamed
/// transfers): 30 s, as object_store's.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The default idle timeout of streamed transfers (uploads and downloads through Windmill,
/// streamed answers): the longest time without a byte moving.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default limit on the size of one answer's body (256 MiB): a larger answer is an error
/// rather than a process that runs out of memory. Raise it with
/// [`WindmillBuilder::with_max_response_bytes`](crate::WindmillBuilder::with_max_response_bytes).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 256 << 20;

/// A setting of the client, with the environment variable that provides it inside a job.
///
/// [`FromStr`] accepts the environment variable name (`WM_TOKEN`) and a lower-case alias
/// (`token`); [`AsRef<str>`] gives the environment variable name.
///
/// ```
/// use wmill_http::WmillConfigKey;
///
/// let key: WmillConfigKey = "WM_WORKSPACE".parse()?;
/// assert_eq!(key, WmillConfigKey::Workspace);
/// assert_eq!("base_url".parse::<WmillConfigKey>()?.as_ref(), "WM_BASE_URL");
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WmillConfigKey {
    /// `BASE_INTERNAL_URL`: the URL workers use to reach the server (first choice for the base URL).
    BaseInternalUrl,
    /// `WM_BASE_URL`: the public URL of the instance (base URL when `BASE_INTERNAL_URL` is unset).
    BaseUrl,
    /// `WM_TOKEN`: the API token.
    Token,
    /// `WM_WORKSPACE`: the workspace id.
    Workspace,
    /// `WM_JOB_ID`: the current job (parent of the jobs it starts; default job of the helpers).
    JobId,
    /// `WM_ROOT_FLOW_JOB_ID`: the top-level flow of the current job.
    RootFlowJobId,
    /// `WM_FLOW_JOB_ID`: the flow the current job is a step of.
    FlowJobId,
    /// `WM_STATE_PATH_NEW`: the state resource path (preferred).
    StatePathNew,
    /// `WM_STATE_PATH`: the state resource path (legacy name, used when `WM_STATE_PATH_NEW` is unset).
    StatePath,
    /// `WM_FLOW_STEP_ID`: the id of the current step inside its flow (Slack/Teams approvals).
    FlowStepId,
    /// `WM_JOB_PATH`: the path of the running script (`cancel_running`).
    JobPath,
}

impl WmillConfigKey {
    /// Every key, in precedence-neutral order.
    pub const ALL: [WmillConfigKey; 11] = [
        WmillConfigKey::BaseInternalUrl,
        WmillConfigKey::BaseUrl,
        WmillConfigKey::Token,
        WmillConfigKey::Workspace,
        WmillConfigKey::JobId,
        WmillConfigKey::RootFlowJobId,
        WmillConfigKey::FlowJobId,
        WmillConfigKey::StatePathNew,
        WmillConfigKey::StatePath,
        WmillConfigKey::FlowStepId,
        WmillConfigKey::JobPath,
    ];

    /// The key for an environment variable name, if it is one of ours (exact, upper case).
    pub fn from_env_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_ref() == name)
    }

    pub(crate) fn alias(self) -> &'static str {
        match self {
            WmillConfigKey::BaseInternalUrl => "base_internal_url",
            WmillConfigKey::BaseUrl => "base_url",
            WmillConfigKey::Token => "token",
            WmillConfigKey::Workspace => "workspace",
            WmillConfigKey::JobId => "job_id",
            WmillConfigKey::RootFlowJobId => "root_flow_job_id",
            WmillConfigKey::FlowJobId => "flow_job_id",
            WmillConfigKey::StatePathNew => "state_path",
            WmillConfigKey::StatePath => "legacy_state_path",
            WmillConfigKey::FlowStepId => "flow_step_id",
            WmillConfigKey::JobPath => "job_path",
        }
    }
}

impl AsRef<str> for WmillConfigKey {
    fn as_ref(&self) -> &str {
        match self {
            WmillConfigKey::BaseInternalUrl => "BASE_INTERNAL_URL",
            WmillConfigKey::BaseUrl => "WM_BASE_URL",
            WmillConfigKey::Token => "WM_TOKEN",
            WmillConfigKey::Workspace => "WM_WORKSPACE",
            WmillConfigKey::JobId => "WM_JOB_ID",
            WmillConfigKey::RootFlowJobId => "WM_ROOT_FLOW_JOB_ID",
            WmillConfigKey::FlowJobId => "WM_FLOW_JOB_ID",
            WmillConfigKey::StatePathNew => "WM_STATE_PATH_NEW",
            WmillConfigKey::StatePath => "WM_STATE_PATH",
            WmillConfigKey::FlowStepId => "WM_FLOW_STEP_ID",
            WmillConfigKey::JobPath => "WM_JOB_PATH",
        }
    }
}

impl fmt::Display for WmillConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_ref())
    }
}

impl FromStr for WmillConfigKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_ref() == s || k.alias() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "config key",
                    format!("{s:?} is not a wmill setting (expected one of WM_TOKEN, WM_WORKSPACE, BASE_INTERNAL_URL, WM_BASE_URL, WM_JOB_ID, WM_ROOT_FLOW_JOB_ID, WM_FLOW_JOB_ID, WM_STATE_PATH_NEW, WM_STATE_PATH, WM_FLOW_STEP_ID, WM_JOB_PATH)"),
                )
            })
    }
}
