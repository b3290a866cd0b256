//! Listings over HTTP: `jobs/list` paged by its `created_before` cursor, and page-numbered
//! `scripts/list` and `flows/list`; streams of every listing that own a clone of the client.

use futures::stream::BoxStream;
use reqwest::Method;
use wmill_core::{
    FlowSummary, JobCursor, JobListStatus, JobQuery, JobSummary, ListResources, ListRunnables,
    ListVariables, Page, ResourceInfo, Result, ScriptSummary, VariableInfo, timestamp_to_rfc3339,
};

use crate::client::Windmill;
use crate::transport::Request;
use crate::urls::Seg;

/// The query parameters of `jobs/list` for the page at `cursor` of `query`.
pub(crate) fn job_list_params(query: &JobQuery, cursor: &JobCursor) -> Vec<(&'static str, String)> {
    let request = cursor.request(query);
    let mut params = present([
        (
            "script_path_exact",
            query.script_path.as_ref().map(ToString::to_string),
        ),
        ("script_path_start", query.script_path_start.clone()),
        (
            "job_kinds",
            (!query.job_kinds.is_empty()).then(|| query.job_kinds.join(",")),
        ),
        ("created_by", query.created_by.clone()),
        ("tag", query.tag.clone()),
        (
            "parent_job",
            query.parent_job.as_ref().map(ToString::to_string),
        ),
        (
            "created_after",
            query.created_after.map(timestamp_to_rfc3339),
        ),
    ]);
    let state: &[(&'static str, &str)] = match query.status {
        Some(JobListStatus::Queued) => &[("running", "false")],
        Some(JobListStatus::Running) => &[("running", "true")],
        Some(JobListStatus::Suspended) => &[("running", "true"), ("suspended", "true")],
        Some(JobListStatus::Success) => &[("success", "true"), ("status", "success")],
        Some(JobListStatus::Failure) => &[("success", "false"), ("status", "failure")],
        Some(JobListStatus::Canceled) => &[("success", "false"), ("status", "canceled")],
        // A state this version does not know: no server filter (the rows are checked).
        Some(_) | None => &[],
    };
    params.extend(state.iter().map(|&(k, v)| (k, v.to_owned())));
    params.extend(present([
        (
            "created_before",
            request.created_before.map(timestamp_to_rfc3339),
        ),
        ("page", request.page.map(|page| page.to_string())),
        ("per_page", Some(request.per_page.to_string())),
    ]));
    params
}

fn runnable_params(options: &ListRunnables) -> Vec<(&'static str, String)> {
    present([
        ("path_start", options.path_start.clone()),
        (
            "path_exact",
            options.path_exact.as_ref().map(ToString::to_string),
        ),
        ("created_by", options.created_by.clone()),
        ("page", options.page.map(|p| p.to_string())),
        ("per_page", options.per_page.map(|p| p.to_string())),
    ])
}

/// The pairs whose value is set, in order.
fn present<const N: usize>(
    pairs: [(&'static str, Option<String>); N],
) -> Vec<(&'static str, String)> {
    pairs
        .into_iter()
        .filter_map(|(key, value)| Some((key, value?)))
        .collect()
}

fn with_params<'c>(mut req: Request<'c>, params: &[(&'static str, String)]) -> Request<'c> {
    for (k, v) in params {
        req = req.query(k, v);
    }
    req
}

/// Listings (`jobs/list`, `scripts/list`, `flows/list`, and streams of every listing).
///
/// - Jobs: `GET jobs/list` with the filters of [`JobQuery`] (`script_path_exact`,
///   `script_path_start`, `job_kinds`, `created_by`, `tag`, `parent_job`, `created_after`, the
///   state as `running` / `suspended` / `success` + `status`) and the paging of
///   [`JobCursor`]: `per_page`, then `created_before` (completed jobs, newest first) or `page`
///   (queued states). See [`JobCursor`] for how the pages fit together.
/// - Scripts and flows: `GET scripts/list` / `GET flows/list` with `path_start`, `path_exact`,
///   `created_by`, `page`, `per_page`; rows decoded tolerantly (the server's short rows lack
///   fields the spec marks required).
/// - Streams (`stream_*`): every page, one at a time; they own a clone of the client
///   (`'static`, can be spawned). Bad paging or filters are [`Error::InvalidInput`](wmill_core::Error::InvalidInput)
///   before any request; a server that repeats a page is
///   [`Error::ListingStalled`](wmill_core::Error::ListingStalled).
impl Windmill {
    /// One page of jobs (`GET jobs/list`); what [`JobRunner::list_jobs_page`](wmill_core::JobRunner::list_jobs_page) does.
    pub(crate) async fn list_jobs_page_http(
        &self,
        query: &JobQuery,
        cursor: &JobCursor,
    ) -> Result<Page<JobSummary, JobCursor>> {
        query.validate()?;
        let params = job_list_params(query, cursor);
        let req = self.call(Method::GET, &[Seg::Ws, Seg::Lit("jobs"), Seg::Lit("list")]);
        let rows: Vec<JobSummary> = with_params(req, &params)
            .idempotent()
            .send()
            .await?
            .json()?;
        cursor.advance(query, rows)
    }

    /// One page of scripts (`GET scripts/list`).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use wmill_core::ListRunnables;
    ///
    /// let wm = wmill_http::Windmill::from_env()?;
    /// for s in wm.list_scripts(&ListRunnables::new().path_start("f/etl/").page(1).per_page(50)).await? {
    ///     println!("{} {}", s.path, s.summary.unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path_start = options.path_start.as_deref()))]
    pub async fn list_scripts(&self, options: &ListRunnables) -> Result<Vec<ScriptSummary>> {
        options.validate()?;
        let req = self.call(
            Method::GET,
            &[Seg::Ws, Seg::Lit("scripts"), Seg::Lit("list")],
        );
        with_params(req, &runnable_params(options))
            .idempotent()
            .send()
            .await?
            .json()
    }

    /// One page of flows (`GET flows/list`).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use wmill_core::ListRunnables;
    ///
    /// let wm = wmill_http::Windmill::from_env()?;
    /// let mine = wm.list_flows(&ListRunnables::new().created_by("ada").page(1)).await?;
    /// println!("{} flows", mine.len());
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path_start = options.path_start.as_deref()))]
    pub async fn list_flows(&self, options: &ListRunnables) -> Result<Vec<FlowSummary>> {
        options.validate()?;
        let req = self.call(Method::GET, &[Seg::Ws, Seg::Lit("flows"), Seg::Lit("list")]);
        with_params(req, &runnable_params(options))
            .idempotent()
            .send()
            .await?
            .json()
    }

    /// Every job `query` selects, newest first (queued jobs first), page by page.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use futures::TryStreamExt;
    /// use wmill_core::{ItemPath, JobListStatus, JobQuery};
    ///
    /// let wm = wmill_http::Windmill::from_env()?;
    /// let query = JobQuery::new()
    ///     .script_path(ItemPath::parse("f/etl/load")?)
    ///     .status(JobListStatus::Failure);
    /// let mut jobs = wm.stream_jobs(&query);
    /// while let Some(job) = jobs.try_next().await? {
    ///     println!("{} failed", job.id);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream_jobs(&self, query: &JobQuery) -> BoxStream<'static, Result<JobSummary>> {
        wmill_core::job_stream(std::sync::Arc::new(self.clone()), query.clone())
    }

    /// Every variable `options` selects, page by page (`GET variables/list`).
    pub fn stream_variables(
        &self,
        options: &ListVariables,
    ) -> BoxStream<'static, Result<VariableInfo>> {
        wmill_core::variable_stream(std::sync::Arc::new(self.clone()), options.clone())
    }

    /// Every resource `options` selects (type filter included), page by page
    /// (`GET resources/list`).
    pub fn stream_resources(
        &self,
        options: &ListResources,
    ) -> BoxStream<'static, Result<ResourceInfo>> {
        wmill_core::resource_stream(std::sync::Arc::new(self.clone()), options.clone())
    }

    /// Every script `options` selects, page by page from `options.page` (default 1),
    /// `options.per_page` per request (default 1000).
    pub fn stream_scripts(
        &self,
        options: &ListRunnables,
    ) -> BoxStream<'static, Result<ScriptSummary>> {
        let wm = self.clone();
        runnable_stream("scripts/list", options, move |o| {
            let wm = wm.clone();
            async move { wm.list_scripts(&o).await }
        })
    }

    /// Every flow `options` selects, page by page.
    pub fn stream_flows(&self, options: &ListRunnables) -> BoxStream<'static, Result<FlowSummary>> {
        let wm = self.clone();
        runnable_stream("flows/list", options, move |o| {
            let wm = wm.clone();
            async move { wm.list_flows(&o).await }
        })
    }
}

fn runnable_stream<T, F, Fut>(
    listing: &'static str,
    options: &ListRunnables,
    mut fetch: F,
) -> BoxStream<'static, Result<T>>
where
    T: wmill_core::ListItem + Send + 'static,
    F: FnMut(ListRunnables) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Vec<T>>> + Send + 'static,
{
    use futures::StreamExt;
    if let Err(e) = options.validate() {
        return futures::stream::once(async move { Err(e) }).boxed();
    }
    let per_page = options.per_page.unwrap_or(wmill_core::DEFAULT_PAGE_SIZE);
    let first = options.page.unwrap_or(1);
    let options = options.clone();
    wmill_core::paginate(listing, first, move |page: &u32| {
        let page = *page;
        let o = options.clone().page(page).per_page(per_page);
        let fut = fetch(o);
        async move {
            let items = fut.await?;
            let next = (items.len() >= per_page as usize).then(|| page.saturating_add(1));
            Ok(Page::new(items, next))
        }
    })
}
