//! Starting jobs: what a job runs (`Target`), its run options in the query string, the
//! parent and root it links to, and `POST jobs/run/..` with the retries a caller-chosen id
//! allows.

use reqwest::Method;
use serde_json::Value;
use wmill_core::{
    Args, Error, ItemKind, ItemPath, JobId, JobRunner, Result, RetryPolicy, RunEndpoint,
    RunOptions, Runnable, ScriptHash,
};

use crate::client::Windmill;
use crate::transport::{Request as Call, RetryMode, status_error};
use crate::urls::Seg;

/// What a job runs, as the start requests name it: a [`Runnable`] with its endpoint letter
/// and its URL segment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a>(pub(crate) &'a Runnable);

impl<'a> Target<'a> {
    /// The endpoint letter: `p` (script by path), `h` (by hash), `f` (flow), `fv` (flow
    /// version).
    pub(crate) fn letter(&self) -> &'static str {
        match self.0 {
            Runnable::ScriptPath(_) => "p",
            Runnable::ScriptHash(_) => "h",
            Runnable::Flow(_) => "f",
            Runnable::FlowVersion(_) => "fv",
        }
    }

    /// The asynchronous start endpoint (`jobs/run/...`), whose options are checked.
    pub(crate) fn endpoint(&self) -> RunEndpoint {
        self.0.endpoint()
    }

    /// The last segment of the request path: the path, hash or version.
    pub(crate) fn seg(&self) -> Seg<'a> {
        match self.0 {
            Runnable::ScriptPath(p) | Runnable::Flow(p) => Seg::Item(p),
            Runnable::ScriptHash(h) => Seg::One(h.as_str()),
            Runnable::FlowVersion(v) => Seg::Int(v.get()),
        }
    }

    pub(crate) fn is_flow(&self) -> bool {
        self.0.is_flow()
    }

    /// What a 404 names: the script or flow.
    pub(crate) fn missing(&self) -> (ItemKind, String) {
        self.0.item()
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

    /// `POST jobs/{route}/{p|h|f|fv}/{path, hash or version}` with the run options in the query
    /// string: the request that starts `target` (`route` `run`), or starts it and waits
    /// (`run_wait_result`), before its arguments. `options` are the
    /// [effective](Self::effective_options) ones (links filled in, job id set).
    pub(crate) fn start_call(
        &self,
        route: &str,
        target: Target<'_>,
        options: &RunOptions,
    ) -> Result<Call<'_>> {
        let call = self.call(
            Method::POST,
            &[
                Seg::Ws,
                Seg::Lit("jobs"),
                Seg::Lit(route),
                Seg::Lit(target.letter()),
                target.seg(),
            ],
        );
        Self::run_params(call, options)
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
