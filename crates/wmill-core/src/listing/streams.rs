//! The listings as streams: [`job_stream`], [`variable_stream`], [`resource_stream`] and the
//! `...ListExt` traits that put them on every backend.

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};

use crate::{
    JobRunner, ListResources, ListVariables, ResourceInfo, ResourceStore, Result, VariableInfo,
    VariableStore,
};

use super::cursor::JobCursor;
use super::job_query::JobQuery;
use super::job_summary::JobSummary;
use super::pagination::{DEFAULT_PAGE_SIZE, ListItem, Page, paginate, validate_paging};

/// The jobs `query` selects, as a stream that pages through [`JobRunner::list_jobs_page`].
///
/// `runner` is anything that dereferences to a [`JobRunner`]: `&backend` for a stream that
/// borrows it, an `Arc<dyn JobRunner>` (or a clone of a client) for a `'static` one. An invalid
/// query is the stream's only item ([`Error::InvalidInput`](crate::Error::InvalidInput)), before any request.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use std::sync::Arc;
/// use futures::StreamExt;
/// use wmill_core::{InMemory, JobQuery, JobRunner};
///
/// let runner: Arc<dyn JobRunner> = Arc::new(InMemory::new());
/// let mut jobs = wmill_core::job_stream(runner, JobQuery::new()); // 'static: can be spawned
/// assert!(jobs.next().await.is_none());
/// # Ok(()) }
/// ```
pub fn job_stream<'a, R>(runner: R, query: JobQuery) -> BoxStream<'a, Result<JobSummary>>
where
    R: Deref + Clone + Send + Sync + 'a,
    R::Target: JobRunner,
{
    if let Err(e) = query.validate() {
        return stream::once(async move { Err(e) }).boxed();
    }
    let query = Arc::new(query);
    paginate(
        "jobs/list",
        JobCursor::start(),
        move |cursor: &JobCursor| {
            let runner = runner.clone();
            let query = query.clone();
            let cursor = cursor.clone();
            async move { runner.list_jobs_page(&query, &cursor).await }
        },
    )
}

/// The variables `options` selects, every page of them, as a stream over
/// [`VariableStore::list_variables`] (from `options.page`, default 1, `options.per_page` per
/// request, default 1000).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use futures::TryStreamExt;
/// use wmill_core::{InMemory, ListVariables};
///
/// let wm = InMemory::new().with_variable("u/a/x", "1")?.with_variable("u/a/y", "2")?;
/// let all: Vec<_> = wmill_core::variable_stream(&wm, ListVariables::new().page(1, 1))
///     .try_collect()
///     .await?;
/// assert_eq!(all.len(), 2);
/// # Ok(()) }
/// ```
pub fn variable_stream<'a, R>(
    store: R,
    options: ListVariables,
) -> BoxStream<'a, Result<VariableInfo>>
where
    R: Deref + Clone + Send + Sync + 'a,
    R::Target: VariableStore,
{
    numbered_pages(
        "variables/list",
        store,
        options,
        |store, options| async move { store.list_variables(&options).await },
    )
}

/// The resources `options` selects (type filter included), every page of them, as a stream
/// over [`ResourceStore::list_resources`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use futures::TryStreamExt;
/// use serde_json::json;
/// use wmill_core::{InMemory, ListResources};
///
/// let wm = InMemory::new()
///     .with_resource("f/db/a", json!({}), "postgresql")?
///     .with_resource("f/db/b", json!({}), "mysql")?;
/// let pg: Vec<_> = wmill_core::resource_stream(&wm, ListResources::new().resource_type("postgresql"))
///     .try_collect()
///     .await?;
/// assert_eq!(pg.len(), 1);
/// # Ok(()) }
/// ```
pub fn resource_stream<'a, R>(
    store: R,
    options: ListResources,
) -> BoxStream<'a, Result<ResourceInfo>>
where
    R: Deref + Clone + Send + Sync + 'a,
    R::Target: ResourceStore,
{
    numbered_pages(
        "resources/list",
        store,
        options,
        |store, options| async move { store.list_resources(&options).await },
    )
}

/// The options of a listing paged by number (`page`, `per_page`).
trait PageNumbered: Clone + Send + Sync {
    /// The first page asked for and the page size.
    fn paging(&self) -> (Option<u32>, Option<u32>);
    /// The same options at `page`, `per_page` items per page.
    fn at(self, page: u32, per_page: u32) -> Self;
}

macro_rules! page_numbered {
    ($($options:ty),*) => {$(
        impl PageNumbered for $options {
            fn paging(&self) -> (Option<u32>, Option<u32>) {
                (self.page, self.per_page)
            }
            fn at(self, page: u32, per_page: u32) -> Self {
                self.page(page, per_page)
            }
        }
    )*};
}

page_numbered!(ListVariables, ListResources);

/// Every page of a listing paged by number as a stream, from the options' page (default 1),
/// their page size per request (default 1000): `fetch(store, options)` gets each page, and a
/// page shorter than the size is the last. Bad paging is the stream's one error.
fn numbered_pages<'a, S, O, T, F, Fut>(
    listing: &'static str,
    store: S,
    options: O,
    fetch: F,
) -> BoxStream<'a, Result<T>>
where
    S: Clone + Send + 'a,
    O: PageNumbered + 'a,
    T: ListItem + Send + 'a,
    F: Fn(S, O) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Vec<T>>> + Send + 'a,
{
    let (page, per_page) = options.paging();
    if let Err(e) = validate_paging(page, per_page) {
        return stream::once(async move { Err(e) }).boxed();
    }
    let per_page = per_page.unwrap_or(DEFAULT_PAGE_SIZE);
    paginate(listing, page.unwrap_or(1), move |page: &u32| {
        let page = *page;
        let items = fetch(store.clone(), options.clone().at(page, per_page));
        async move {
            let items = items.await?;
            let next = (items.len() >= per_page as usize).then(|| page.saturating_add(1));
            Ok(Page::new(items, next))
        }
    })
}

/// Job listings over any [`JobRunner`] (including `dyn JobRunner` and mocks). You MUST NOT
/// implement this trait yourself.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use futures::TryStreamExt;
/// use wmill_core::{InMemory, JobListStatus, JobQuery, JobRunnerListExt};
///
/// let wm = InMemory::new();
/// let failed: Vec<_> = wm
///     .stream_jobs(&JobQuery::new().status(JobListStatus::Failure))
///     .try_collect()
///     .await?;
/// assert!(failed.is_empty());
/// # Ok(()) }
/// ```
pub trait JobRunnerListExt: JobRunner {
    /// The jobs `query` selects, page by page (see [`job_stream`]).
    fn stream_jobs(&self, query: &JobQuery) -> BoxStream<'_, Result<JobSummary>> {
        job_stream(self, query.clone())
    }
}

impl<T: JobRunner + ?Sized> JobRunnerListExt for T {}

/// Variable listings over any [`VariableStore`]. You MUST NOT implement this trait yourself.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use futures::TryStreamExt;
/// use wmill_core::{InMemory, ListVariables, VariableStoreListExt};
///
/// let wm = InMemory::new().with_variable("u/a/x", "1")?;
/// let all: Vec<_> = wm.stream_variables(&ListVariables::new()).try_collect().await?;
/// assert_eq!(all[0].path.as_str(), "u/a/x");
/// # Ok(()) }
/// ```
pub trait VariableStoreListExt: VariableStore {
    /// Every variable `options` selects, page by page (see [`variable_stream`]).
    fn stream_variables(&self, options: &ListVariables) -> BoxStream<'_, Result<VariableInfo>> {
        variable_stream(self, options.clone())
    }
}

impl<T: VariableStore + ?Sized> VariableStoreListExt for T {}

/// Resource listings over any [`ResourceStore`]. You MUST NOT implement this trait yourself.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use futures::TryStreamExt;
/// use wmill_core::{InMemory, ListResources, ResourceStoreListExt};
///
/// let wm = InMemory::new().with_resource("f/db/a", serde_json::json!({}), "postgresql")?;
/// let all: Vec<_> = wm.stream_resources(&ListResources::new()).try_collect().await?;
/// assert_eq!(all[0].resource_type, "postgresql");
/// # Ok(()) }
/// ```
pub trait ResourceStoreListExt: ResourceStore {
    /// Every resource `options` selects, page by page (see [`resource_stream`]).
    fn stream_resources(&self, options: &ListResources) -> BoxStream<'_, Result<ResourceInfo>> {
        resource_stream(self, options.clone())
    }
}

impl<T: ResourceStore + ?Sized> ResourceStoreListExt for T {}
