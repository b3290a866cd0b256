//! Starting jobs: what a job runs (`Target`), its run options in the query string, the
//! parent and root it links to, and `POST jobs/run/..` with the retries a caller-chosen id
//! allows.

use serde_json::Value;
use wmill_core::{
    Args, Error, ItemKind, ItemPath, JobId, JobRunner, Result, RetryPolicy, RunEndpoint,
    RunOptions, ScriptHash,
};

use crate::client::Windmill;
use crate::transport::{Request as Call, RetryMode, status_error};
use crate::urls::Seg;

/// What a job runs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    /// A script by path (`p`).
    Path(&'a ItemPath),
    /// A script version by hash (`h`).
    Hash(&'a ScriptHash),
    /// A flow by path (`f`).
    Flow(&'a ItemPath),
    /// A saved flow version (`fv`), its id as text.
    FlowVersion(&'a str),
}

impl<'a> Target<'a> {
    pub(crate) fn letter(&self) -> &'static str {
        match self {
            Target::Path(_) => "p",
            Target::Hash(_) => "h",
            Target::Flow(_) => "f",
            Target::FlowVersion(_) => "fv",
        }
    }

    /// The asynchronous start endpoint (`jobs/run/...`), whose options are checked.
    pub(crate) fn endpoint(&self) -> RunEndpoint {
        match self {
            Target::Path(_) => RunEndpoint::ScriptByPath,
            Target::Hash(_) => RunEndpoint::ScriptByHash,
            Target::Flow(_) => RunEndpoint::FlowByPath,
            Target::FlowVersion(_) => RunEndpoint::FlowByVersion,
        }
    }

    pub(crate) fn seg(&self) -> Seg<'a> {
        match self {
            Target::Path(p) | Target::Flow(p) => Seg::Item(p),
            Target::Hash(h) => Seg::One(h.as_str()),
            Target::FlowVersion(v) => Seg::One(v),
        }
    }

    pub(crate) fn is_flow(&self) -> bool {
        matches!(self, Target::Flow(_) | Target::FlowVersion(_))
    }

    pub(crate) fn missing(&self) -> (ItemKind, String) {
        match self {
            Target::Path(p) => (ItemKind::Script, p.as_str().to_owned()),
            Target::Hash(h) => (ItemKind::Script, h.as_str().to_owned()),
            Target::Flow(p) => (ItemKind::Flow, p.as_str().to_owned()),
            Target::FlowVersion(v) => (ItemKind::Flow, format!("version {v}")),
        }
    }
}

/// The parent and root job a start links to.
pub(crate) struct Links {
    pub(crate) parent: Option<JobId>,
    pub(crate) root: Option<JobId>,
}

/// Records a started job's id as the `job_id` field of the current span (the call's, when it
/// declares one), and returns it.
pub(crate) fn started(id: JobId) -> JobId {
    tracing::Span::current().record("job_id", tracing::field::display(&id));
    id
}

impl Windmill {
    pub(crate) fn links(&self, target: Target<'_>, options: &RunOptions) -> Links {
        let track = options.track_in_parent.unwrap_or(!target.is_flow());
        Links {
            parent: options
                .parent_job
                .or(if track { self.inner.job_id } else { None }),
            root: options.root_job.or(if track {
                self.inner.root_flow_job_id
            } else {
                None
            }),
        }
    }

    /// The options a start request carries: `options` with the links to the current job
    /// filled in (see [`links`](Self::links)) and the job id this start uses.
    pub(crate) fn effective_options(
        &self,
        target: Target<'_>,
        options: &RunOptions,
        job_id: Option<JobId>,
    ) -> RunOptions {
        let links = self.links(target, options);
        let mut effective = options.clone();
        effective.parent_job = links.parent;
        effective.root_job = links.root;
        effective.job_id = job_id;
        effective
    }

    /// Adds every option of `options` (already [checked](RunOptions::check_for) against the
    /// endpoint, links filled in) to a start request's query string.
    pub(crate) fn run_params<'c>(call: Call<'c>, options: &RunOptions) -> Result<Call<'c>> {
        let scheduled_in = options
            .scheduled_in
            .map(|d| d.as_secs())
            .filter(|s| *s > 0)
            .map(|s| s.to_string());
        Ok(call
            .query_opt("tag", options.tag.as_deref())
            .query_opt("scheduled_in_secs", scheduled_in)
            .query_opt("scheduled_for", options.scheduled_for_rfc3339()?)
            .query_opt("parent_job", options.parent_job.map(|j| j.to_string()))
            .query_opt("root_job", options.root_job.map(|j| j.to_string()))
            .query_opt("job_id", options.job_id.map(|j| j.to_string()))
            .query_opt(
                "cache_ttl",
                options.cache_ttl.map(|d| d.as_secs().to_string()),
            )
            .query_opt(
                "skip_preprocessor",
                options.skip_preprocessor.then_some("true"),
            )
            .query_opt(
                "invisible_to_owner",
                options.invisible_to_owner.then_some("true"),
            )
            .query_opt("queue_limit", options.queue_limit.map(|n| n.to_string()))
            .query_opt("memory_id", options.memory_id.as_deref())
            .query_opt(
                "retry",
                options.retry.as_ref().map(RetryPolicy::to_query_value),
            ))
    }

    /// `POST jobs/run/{p|h|f}/{path}`: starts a job, returns its id.
    ///
    /// Retried only when it carries a job id (the caller's): a 400 on a retry whose job exists is
    /// the earlier attempt's success; a 400 on the first attempt whose job exists is
    /// [`Error::AlreadyExists`].
    ///
    /// Every option is checked against the endpoint first: one it does not take is
    /// [`Error::InvalidInput`] before any request.
    pub(crate) async fn start_job(
        &self,
        target: Target<'_>,
        args: &Args,
        options: &RunOptions,
        job_id: Option<JobId>,
    ) -> Result<JobId> {
        let effective = self.effective_options(target, options, job_id);
        effective.check_for(target.endpoint())?;
        let (kind, path) = target.missing();
        let call = self
            .start_call("run", target, &effective)?
            .json(args)?
            .retry(if job_id.is_some() {
                RetryMode::Idempotent
            } else {
                RetryMode::ConnectOnly
            })
            .not_found(kind, path.clone());
        let resp = call.send_raw().await?;
        if resp.status.is_success() {
            let text = resp.text()?;
            return JobId::parse(text.trim().trim_matches('"'))
                .map(started)
                .map_err(|e| resp.decode_error(e));
        }
        if resp.status.as_u16() == 400
            && let Some(id) = job_id
            && self.job_exists(&id).await.unwrap_or(false)
        {
            if resp.attempts > 1 {
                tracing::debug!(job_id = %id, "an earlier attempt of this start succeeded");
                return Ok(started(id));
            }
            return Err(Error::AlreadyExists {
                kind: ItemKind::Job,
                path: id.to_string(),
            });
        }
        Err(status_error(
            resp.status,
            &resp.body,
            &resp.request,
            Some(&(kind, path)),
            Some(self.workspace().as_str()),
        ))
    }

    /// [`start_job`](Self::start_job) for a start that returns the job's id (no wait): the
    /// client remembers what the job runs and when it was started, for a later wait on it to
    /// learn from (see [`WaitHistory`](crate::WaitHistory)).
    pub(crate) async fn start_remembered(
        &self,
        target: Target<'_>,
        args: &Args,
        options: &RunOptions,
    ) -> Result<JobId> {
        let key = self.history_key(target, options);
        let at = std::time::Instant::now();
        let id = self
            .start_job(target, args, options, options.job_id)
            .await?;
        if let Some(key) = key {
            self.inner.history.started(id, key, at);
        }
        Ok(id)
    }

    /// Starts the script at `path` with a retry policy given as the server's JSON (Python's
    /// `retry=` argument): the same as [`RunOptions::retry`] with
    /// [`RetryPolicy::from_json`], which it is a shortcut for. The returned id is the first
    /// attempt's; each retry is a job of its own.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before any request when `retry` is not a policy the server
    /// accepts, or with the options the endpoint does not take.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str(), job_id = tracing::field::Empty))]
    pub async fn run_script_by_path_async_with_retry(
        &self,
        path: &ItemPath,
        args: Args,
        options: &RunOptions,
        retry: &Value,
    ) -> Result<JobId> {
        self.run_script_by_path_async(path, args, &with_retry(options, retry)?)
            .await
    }

    /// [`run_script_by_path_async_with_retry`](Self::run_script_by_path_async_with_retry) for a
    /// script version by hash.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), hash = hash.as_str(), job_id = tracing::field::Empty))]
    pub async fn run_script_by_hash_async_with_retry(
        &self,
        hash: &ScriptHash,
        args: Args,
        options: &RunOptions,
        retry: &Value,
    ) -> Result<JobId> {
        self.run_script_by_hash_async(hash, args, &with_retry(options, retry)?)
            .await
    }
}

/// `options` with the retry policy `retry` (the JSON the server takes), checked.
fn with_retry(options: &RunOptions, retry: &Value) -> Result<RunOptions> {
    Ok(options
        .clone()
        .retry(RetryPolicy::from_json(retry.clone())?))
}
