//! [`Windmill`]: the HTTP client.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use url::Url;
use wmill_core::{Error, ItemPath, JobId, Result, Workspace};

use crate::retry::RetryConfig;
use crate::wait::tuning::WaitTuning;

/// A Windmill backend over the server's HTTP API.
///
/// Implements the four `wmill_core` traits ([`VariableStore`](wmill_core::VariableStore),
/// [`ResourceStore`](wmill_core::ResourceStore), [`StateStore`](wmill_core::StateStore),
/// [`JobRunner`](wmill_core::JobRunner)) and offers every other job helper of the official
/// clients as inherent methods.
///
/// Cheap to clone (one `Arc`); clones share one connection pool. `Send + Sync`: use it from
/// many tasks at once. `Debug` never shows the token.
///
/// ```
/// use wmill_http::Windmill;
///
/// let wm = Windmill::builder()
///     .with_base_url("http://localhost:8000")
///     .with_token("my-token")
///     .with_workspace("demo")
///     .build()?;
/// assert_eq!(format!("{wm:?}").contains("my-token"), false);
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Windmill {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// `{base}/api/`.
    pub(crate) base: Url,
    pub(crate) workspace: Workspace,
    pub(crate) auth: HeaderValue,
    /// The raw token, only for [`Windmill::expose_token`].
    pub(crate) token: Box<str>,
    /// `WM_BASE_URL`, the browser-reachable URL of the instance.
    pub(crate) public_base: Option<Url>,
    pub(crate) job_id: Option<JobId>,
    pub(crate) root_flow_job_id: Option<JobId>,
    pub(crate) flow_job_id: Option<JobId>,
    /// The default state path; a malformed one is kept as its error, reported when state is
    /// used (it must not stop the rest of the client from working).
    pub(crate) state_path: std::result::Result<Option<ItemPath>, String>,
    pub(crate) flow_step_id: Option<String>,
    /// `WM_JOB_PATH`; a malformed one is kept as its error, as for the state path.
    pub(crate) job_path: std::result::Result<Option<ItemPath>, String>,
    pub(crate) request_timeout: Duration,
    /// The idle timeout of streamed transfers.
    pub(crate) idle_timeout: Duration,
    /// The largest answer body read.
    pub(crate) max_response_bytes: u64,
    /// Whether `http` came from [`WindmillBuilder::with_client`](crate::WindmillBuilder::with_client): its requests then also carry
    /// reqwest's per-request timeout, which overrides a shorter timeout of that client (so long
    /// waits keep their own bounds).
    pub(crate) custom_client: bool,
    /// How `http` was built (`None` for a client given by the caller).
    pub(crate) pool: Option<PoolSettings>,
    /// The second pool, for threads that asked for isolated connections (built on first use).
    pub(crate) isolated_http: std::sync::OnceLock<Option<reqwest::Client>>,
    pub(crate) retry: RetryConfig,
    pub(crate) wait: WaitTuning,
    /// Whether the base URL reaches the server directly (`BASE_INTERNAL_URL`, or loopback):
    /// see [`ServerWait::Direct`](crate::ServerWait::Direct).
    pub(crate) direct: bool,
    /// How long earlier synchronous runs took, per script or flow (see
    /// [`WaitHistory`](crate::WaitHistory)); shared by the clones.
    pub(crate) history: crate::wait::history::History,
}

impl fmt::Debug for Windmill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Windmill")
            .field("base_url", &i.base.as_str())
            .field("workspace", &i.workspace.as_str())
            .field("token", &"***")
            .field("job_id", &i.job_id)
            .field("root_flow_job_id", &i.root_flow_job_id)
            .field("flow_job_id", &i.flow_job_id)
            .field("state_path", &i.state_path)
            .field("flow_step_id", &i.flow_step_id)
            .field("job_path", &i.job_path)
            .field("request_timeout", &i.request_timeout)
            .field("idle_timeout", &i.idle_timeout)
            .field("max_response_bytes", &i.max_response_bytes)
            .field("retry", &i.retry)
            .field("wait", &i.wait)
            .finish()
    }
}

impl fmt::Display for Windmill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Windmill({}w/{})",
            self.inner.base,
            self.inner.workspace.as_str()
        )
    }
}

/// What the client's connection pool is built from (kept to build a second, isolated pool:
/// see [`isolate_connections_on_this_thread`](crate::isolate_connections_on_this_thread)).
#[derive(Debug, Clone)]
pub(crate) struct PoolSettings {
    pub(crate) user_agent: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) accept_invalid_certs: bool,
}

impl PoolSettings {
    pub(crate) fn build(&self) -> Result<reqwest::Client> {
        crate::install_crypto_provider();
        reqwest::Client::builder()
            .user_agent(self.user_agent.as_str())
            .connect_timeout(self.connect_timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(60))
            .tls_danger_accept_invalid_certs(self.accept_invalid_certs)
            .build()
            .map_err(|e| Error::Transport {
                request: "building the HTTP client".into(),
                source: Box::new(e),
            })
    }
}

thread_local! {
    /// Whether requests sent from this thread use the isolated pool.
    static ISOLATED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes the requests that [`Windmill`] clients send from this thread use a connection pool of
/// their own, separate from the pool that every other thread shares.
///
/// A pooled HTTP connection is driven by a task of the runtime that opened it. A runtime whose
/// work may run while another runtime's thread is blocked waiting for that work (the
/// `wmill::blocking` functions called from inside a current-thread runtime, say) must not pick a
/// connection that the blocked runtime drives: the request would wait for a thread that waits
/// for it. Call this in `on_thread_start` of such a runtime's threads (`wmill::blocking` does):
/// their requests then only use connections that runtime opened. A client built with
/// [`WindmillBuilder::with_client`](crate::WindmillBuilder::with_client) has no second pool (its settings are unknown): it keeps
/// using its own.
///
/// ```
/// let rt = tokio::runtime::Builder::new_multi_thread()
///     .worker_threads(1)
///     .on_thread_start(wmill_http::isolate_connections_on_this_thread)
///     .enable_all()
///     .build()?;
/// # drop(rt);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn isolate_connections_on_this_thread() {
    ISOLATED.with(|i| i.set(true));
}

/// Runs `f` with this thread's requests on the isolated pool (as
/// [`isolate_connections_on_this_thread`] sets for good), then puts back what the thread used,
/// also when `f` panics. For a thread that drives a runtime's future for a while
/// (`wmill::blocking` runs its calls on the caller's thread that way).
///
/// ```
/// let n = wmill_http::with_isolated_connections(|| 21 * 2);
/// assert_eq!(n, 42);
/// ```
pub fn with_isolated_connections<R>(f: impl FnOnce() -> R) -> R {
    /// Puts back the thread's previous setting when dropped.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ISOLATED.with(|i| i.set(self.0));
        }
    }
    let _restore = Restore(ISOLATED.with(|i| i.replace(true)));
    f()
}

impl Windmill {
    /// The pool of requests sent from this thread: the isolated one on threads that asked for
    /// it, else the shared one.
    pub(crate) fn pool(&self) -> &reqwest::Client {
        let inner = &self.inner;
        if !ISOLATED.with(std::cell::Cell::get) {
            return &inner.http;
        }
        let isolated = inner.isolated_http.get_or_init(|| {
            let built = inner.pool.as_ref().map(PoolSettings::build);
            match built {
                Some(Ok(client)) => Some(client),
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "no isolated connection pool: using the shared one");
                    None
                }
                None => None,
            }
        });
        isolated.as_ref().unwrap_or(&inner.http)
    }

    /// The API base URL (`{base}/api/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The public (browser-reachable) base URL of the instance: `WM_BASE_URL` when it is set
    /// and valid, used for links such as presigned S3 URLs. `None` otherwise.
    pub fn public_base_url(&self) -> Option<&Url> {
        self.inner.public_base.as_ref()
    }

    /// The pooled HTTP client, to send requests this crate has no helper for (add the
    /// `Authorization` header yourself, see [`expose_token`](Self::expose_token)).
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The API token. It is a secret: never log it. Needed by code that derives credentials
    /// from it (the S3 proxy) or talks to the server with its own client.
    pub fn expose_token(&self) -> &str {
        &self.inner.token
    }

    /// The workspace.
    pub fn workspace(&self) -> &Workspace {
        &self.inner.workspace
    }

    /// The current job (`WM_JOB_ID`), if any.
    pub fn job_id(&self) -> Option<JobId> {
        self.inner.job_id
    }

    /// The root flow job (`WM_ROOT_FLOW_JOB_ID`), if any.
    pub fn root_flow_job_id(&self) -> Option<JobId> {
        self.inner.root_flow_job_id
    }

    /// The flow job of the current step (`WM_FLOW_JOB_ID`), if any.
    pub fn flow_job_id(&self) -> Option<JobId> {
        self.inner.flow_job_id
    }

    /// The default state path (`WM_STATE_PATH_NEW`, else `WM_STATE_PATH`), if any.
    pub fn state_path(&self) -> Option<&ItemPath> {
        self.inner.state_path.as_ref().ok().and_then(Option::as_ref)
    }

    /// The id of the current step in its flow (`WM_FLOW_STEP_ID`), if any.
    pub fn flow_step_id(&self) -> Option<&str> {
        self.inner.flow_step_id.as_deref()
    }

    /// The path of the running script (`WM_JOB_PATH`), if any.
    pub fn job_path(&self) -> Option<&ItemPath> {
        self.inner.job_path.as_ref().ok().and_then(Option::as_ref)
    }

    /// The current job id, or [`Error::NotConfigured`] naming `WM_JOB_ID`.
    pub(crate) fn current_job(&self, explicit: Option<JobId>) -> Result<JobId> {
        explicit
            .or(self.inner.job_id)
            .ok_or_else(|| Error::NotConfigured {
                what: "job id",
                hint: "pass a job id, or run inside a Windmill job (WM_JOB_ID), or call WindmillBuilder::with_job_id".into(),
            })
    }
}

#[cfg(test)]
mod tests;
