//! [`WindmillBuilder`]: builds a [`Windmill`] from explicit settings over the environment, and
//! the constructors [`Windmill::builder`], [`Windmill::from_env`] and [`Windmill::from_vars`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use url::Url;
use wmill_core::{Error, ItemPath, JobId, Result, Workspace};

use crate::client::{Inner, PoolSettings, Windmill};
use crate::config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_TIMEOUT, WmillConfigKey,
};
use crate::retry::RetryConfig;
use crate::urls::api_base;
use crate::wait::tuning::WaitTuning;

/// Builds a [`Windmill`] client: explicit settings win over the environment.
///
/// Setters are infallible; [`build`](WindmillBuilder::build) validates everything and returns
/// [`Error::NotConfigured`] naming the environment variable (or setter) for a missing setting,
/// or [`Error::InvalidInput`] for a malformed one.
///
/// Precedence (explicit setter first, empty values count as unset):
/// - base URL: [`with_base_url`](WindmillBuilder::with_base_url), `BASE_INTERNAL_URL`, `WM_BASE_URL`;
/// - token: [`with_token`](WindmillBuilder::with_token), `WM_TOKEN`;
/// - workspace: [`with_workspace`](WindmillBuilder::with_workspace), `WM_WORKSPACE`;
/// - state path: [`with_state_path`](WindmillBuilder::with_state_path), `WM_STATE_PATH_NEW`,
///   `WM_STATE_PATH`.
///
/// ```
/// use wmill_http::WindmillBuilder;
///
/// let wm = WindmillBuilder::from_vars([
///     ("WM_BASE_URL".to_owned(), "http://public.example".to_owned()),
///     ("BASE_INTERNAL_URL".to_owned(), "http://windmill:8000".to_owned()),
///     ("WM_TOKEN".to_owned(), "secret-token".to_owned()),
/// ])
/// .with_workspace("demo")
/// .build()?;
/// assert_eq!(wm.base_url().as_str(), "http://windmill:8000/api/");
/// assert_eq!(wm.workspace().as_str(), "demo");
/// assert!(!format!("{wm:?}").contains("secret-token"));
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct WindmillBuilder {
    base_url: Option<String>,
    base_internal_url: Option<String>,
    public_base_url: Option<String>,
    token: Option<String>,
    workspace: Option<String>,
    job_id: Option<String>,
    root_flow_job_id: Option<String>,
    flow_job_id: Option<String>,
    state_path: Option<String>,
    legacy_state_path: Option<String>,
    flow_step_id: Option<String>,
    job_path: Option<String>,
    accept_invalid_certs: bool,
    client: Option<reqwest::Client>,
    request_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_response_bytes: Option<u64>,
    user_agent: Option<String>,
    retry: RetryConfig,
    wait: WaitTuning,
}

impl fmt::Debug for WindmillBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindmillBuilder")
            .field("base_url", &self.base_url)
            .field("base_internal_url", &self.base_internal_url)
            .field("public_base_url", &self.public_base_url)
            .field(
                "token",
                if self.token.is_some() {
                    &"***"
                } else {
                    &"<unset>"
                },
            )
            .field("workspace", &self.workspace)
            .field("job_id", &self.job_id)
            .field("root_flow_job_id", &self.root_flow_job_id)
            .field("flow_job_id", &self.flow_job_id)
            .field("state_path", &self.state_path)
            .field("legacy_state_path", &self.legacy_state_path)
            .field("flow_step_id", &self.flow_step_id)
            .field("job_path", &self.job_path)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("custom_client", &self.client.is_some())
            .field("request_timeout", &self.request_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("wait", &self.wait)
            .finish()
    }
}

fn non_empty(value: impl Into<String>) -> Option<String> {
    let v = value.into();
    if v.trim().is_empty() { None } else { Some(v) }
}

impl WindmillBuilder {
    /// An empty builder (nothing read from the environment).
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder seeded from the process environment (see [`WmillConfigKey`]).
    pub fn from_env() -> Self {
        Self::from_vars(std::env::vars())
    }

    /// A builder seeded from `(name, value)` pairs shaped like the environment; names that are
    /// not wmill settings are ignored. Tests use this instead of mutating the process environment.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        vars.into_iter().fold(
            Self::new(),
            |b, (name, value)| match WmillConfigKey::from_env_name(&name) {
                Some(key) => b.with_config(key, value),
                None => b,
            },
        )
    }

    /// Sets one setting by key.
    pub fn with_config(mut self, key: WmillConfigKey, value: impl Into<String>) -> Self {
        let v = non_empty(value);
        match key {
            WmillConfigKey::BaseInternalUrl => self.base_internal_url = v,
            WmillConfigKey::BaseUrl => self.public_base_url = v,
            WmillConfigKey::Token => self.token = v,
            WmillConfigKey::Workspace => self.workspace = v,
            WmillConfigKey::JobId => self.job_id = v,
            WmillConfigKey::RootFlowJobId => self.root_flow_job_id = v,
            WmillConfigKey::FlowJobId => self.flow_job_id = v,
            WmillConfigKey::StatePathNew => self.state_path = v,
            WmillConfigKey::StatePath => self.legacy_state_path = v,
            WmillConfigKey::FlowStepId => self.flow_step_id = v,
            WmillConfigKey::JobPath => self.job_path = v,
        }
        self
    }

    setters! {
        /// The server's base URL (`https://windmill.example.com`); requests go to `{base}/api/...`.
        /// Overrides `BASE_INTERNAL_URL` and `WM_BASE_URL`.
        with_base_url(url: impl Into<String>) => base_url: non_empty(url);
        /// The API token. Overrides `WM_TOKEN`.
        with_token(token: impl Into<String>) => token: non_empty(token);
        /// The workspace id. Overrides `WM_WORKSPACE`.
        with_workspace(workspace: impl Into<String>) => workspace: non_empty(workspace);
        /// The current job id (parent of started jobs, default of the job helpers). Overrides `WM_JOB_ID`.
        with_job_id(id: impl Into<String>) => job_id: non_empty(id);
        /// The root flow job id. Overrides `WM_ROOT_FLOW_JOB_ID`.
        with_root_flow_job_id(id: impl Into<String>) => root_flow_job_id: non_empty(id);
        /// The flow job id of the current step. Overrides `WM_FLOW_JOB_ID`.
        with_flow_job_id(id: impl Into<String>) => flow_job_id: non_empty(id);
    }

    /// The default state path. Overrides `WM_STATE_PATH_NEW` and `WM_STATE_PATH`.
    pub fn with_state_path(mut self, path: impl Into<String>) -> Self {
        self.state_path = non_empty(path);
        self.legacy_state_path = None;
        self
    }

    setters! {
        /// The id of the current step in its flow. Overrides `WM_FLOW_STEP_ID`.
        with_flow_step_id(id: impl Into<String>) => flow_step_id: non_empty(id);
        /// The path of the running script. Overrides `WM_JOB_PATH`.
        with_job_path(path: impl Into<String>) => job_path: non_empty(path);
        /// Accepts any TLS certificate, like the Python client's `verify=False`. Dangerous: only for
        /// self-signed test instances. Not applied to a client given with
        /// [`with_client`](Self::with_client).
        with_danger_accept_invalid_certs(accept: bool) => accept_invalid_certs: accept;
        /// Uses this `reqwest::Client` (its own TLS, proxy, timeouts and headers). The connect
        /// timeout and user agent of this builder are then not applied; request timeouts still are.
        with_client(client: reqwest::Client) => client = client;
        /// The timeout of one ordinary request (default [`DEFAULT_REQUEST_TIMEOUT`]). Long waits
        /// (`run_wait_result`, event streams) have their own bounds.
        with_request_timeout(timeout: Duration) => request_timeout = timeout;
        /// The idle timeout of streamed transfers (default [`DEFAULT_IDLE_TIMEOUT`]): a request
        /// with a streamed or chunked body, or a body read as a stream, fails when no byte moves
        /// for this long, however long the whole transfer takes.
        with_idle_timeout(timeout: Duration) => idle_timeout = timeout;
        /// The connect timeout (default [`DEFAULT_CONNECT_TIMEOUT`]).
        with_connect_timeout(timeout: Duration) => connect_timeout = timeout;
        /// The largest answer body accepted (default [`DEFAULT_MAX_RESPONSE_BYTES`]). A larger one
        /// fails with [`Error::Transport`] as soon as it is known to be larger (from its
        /// `Content-Length`, or while it is read), without being retried. Event streams are not
        /// affected: they are read event by event.
        with_max_response_bytes(limit: u64) => max_response_bytes = limit;
        /// The `User-Agent` header (default `wmill-rs/<version>`).
        with_user_agent(user_agent: impl Into<String>) => user_agent = user_agent.into();
        /// The retry policy (default [`RetryConfig::default`]).
        with_retry(retry: RetryConfig) => retry: retry;
    }

    /// Tells the client the server's bound of `run_wait_result` (its `TIMEOUT_WAIT_RESULT`
    /// setting, 600 s by default): the same as
    /// [`WaitTuning::server_wait_bound`] on the current tuning (a later
    /// [`with_wait_tuning`](Self::with_wait_tuning) replaces it).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wmill_http::Windmill;
    ///
    /// let wm = Windmill::builder()
    ///     .with_base_url("http://localhost:8000")
    ///     .with_token("my-token")
    ///     .with_workspace("demo")
    ///     .with_server_wait_bound(Duration::from_secs(120))
    ///     .build()?;
    /// # drop(wm);
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn with_server_wait_bound(mut self, bound: Duration) -> Self {
        self.wait = self.wait.server_wait_bound(bound);
        self
    }

    setters! {
        /// The tuning of automatic waits (default [`WaitTuning::default`]).
        with_wait_tuning(wait: WaitTuning) => wait: wait;
    }

    /// Validates the settings and builds the client.
    pub fn build(self) -> Result<Windmill> {
        let public_base = self
            .public_base_url
            .as_deref()
            .and_then(|u| Url::parse(u.trim()).ok());
        let internal = self.base_url.is_none() && self.base_internal_url.is_some();
        let raw_base = self
            .base_url
            .or(self.base_internal_url)
            .or(self.public_base_url)
            .ok_or_else(|| Error::NotConfigured {
                what: "base URL",
                hint:
                    "set BASE_INTERNAL_URL or WM_BASE_URL, or call WindmillBuilder::with_base_url"
                        .into(),
            })?;
        let base = api_base(&raw_base)?;
        let direct = internal
            || matches!(
                base.host(),
                Some(url::Host::Domain("localhost"))
                    | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
                    | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
            );
        let token = self.token.ok_or_else(|| Error::NotConfigured {
            what: "token",
            hint: "set WM_TOKEN, or call WindmillBuilder::with_token".into(),
        })?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            Error::invalid(
                "token",
                "the token contains characters that cannot be sent in an HTTP header",
            )
        })?;
        auth.set_sensitive(true);
        let workspace = self.workspace.ok_or_else(|| Error::NotConfigured {
            what: "workspace",
            hint: "set WM_WORKSPACE, or call WindmillBuilder::with_workspace".into(),
        })?;
        let workspace = Workspace::parse(workspace)?;
        let job = |raw: Option<String>, key: WmillConfigKey| -> Result<Option<JobId>> {
            raw.map(|r| {
                JobId::parse(&r).map_err(|e| Error::invalid("job id", format!("{key}: {e}")))
            })
            .transpose()
        };
        let job_id = job(self.job_id, WmillConfigKey::JobId)?;
        let root_flow_job_id = job(self.root_flow_job_id, WmillConfigKey::RootFlowJobId)?;
        let flow_job_id = job(self.flow_job_id, WmillConfigKey::FlowJobId)?;
        // Checked now, reported when used: a malformed value from the environment must not
        // stop the calls that do not need it.
        let lazy = |raw: Option<String>| match raw {
            None => Ok(None),
            Some(raw) => ItemPath::parse(&raw).map(Some).map_err(|e| e.to_string()),
        };
        let state_path = lazy(self.state_path.or(self.legacy_state_path));
        let job_path = lazy(self.job_path);
        let request_timeout = self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        let custom_client = self.client.is_some();
        let pool = PoolSettings {
            user_agent: self
                .user_agent
                .unwrap_or_else(|| format!("wmill-rs/{}", env!("CARGO_PKG_VERSION"))),
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            accept_invalid_certs: self.accept_invalid_certs,
        };
        let (http, pool) = match self.client {
            Some(c) => (c, None),
            None => (pool.build()?, Some(pool)),
        };
        Ok(Windmill {
            inner: Arc::new(Inner {
                http,
                base,
                workspace,
                auth,
                token: token.into_boxed_str(),
                public_base,
                job_id,
                root_flow_job_id,
                flow_job_id,
                state_path,
                flow_step_id: self.flow_step_id,
                job_path,
                request_timeout,
                idle_timeout: self.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT),
                max_response_bytes: self
                    .max_response_bytes
                    .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
                custom_client,
                pool,
                isolated_http: std::sync::OnceLock::new(),
                retry: self.retry,
                wait: self.wait,
                direct,
                history: crate::wait::history::History::new(if self.wait.history.active() {
                    self.wait.history.capacity
                } else {
                    0
                }),
            }),
        })
    }
}

impl Windmill {
    /// A builder with nothing set.
    pub fn builder() -> WindmillBuilder {
        WindmillBuilder::new()
    }

    /// A client configured from the process environment (`BASE_INTERNAL_URL` / `WM_BASE_URL`,
    /// `WM_TOKEN`, `WM_WORKSPACE`, `WM_JOB_ID`, ...; see [`WindmillBuilder`]). Always the HTTP
    /// backend; see [`backend_from_env`](crate::backend_from_env) for the `WM_MOCKED_API_FILE`
    /// aware constructor.
    pub fn from_env() -> Result<Self> {
        WindmillBuilder::from_env().build()
    }

    /// A client configured from environment-shaped `(name, value)` pairs.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        WindmillBuilder::from_vars(vars).build()
    }
}

#[cfg(test)]
mod tests;
