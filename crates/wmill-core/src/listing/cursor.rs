//! Job listing, the paging: [`JobCursor`] walks the server's pages by completion time and
//! hands out [`JobPageRequest`]s.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::{Error, JobId, Result};

use super::job_query::JobQuery;
use super::job_summary::JobSummary;
use super::pagination::{MAX_PAGE_SIZE, Page, stalled};
use super::timestamp::timestamp_to_rfc3339;

/// Where a job listing is: the cursor of [`JobRunner::list_jobs_page`](crate::JobRunner::list_jobs_page).
///
/// `jobs/list` has no page numbers for completed jobs (the server ignores the offset): it
/// answers the newest jobs first, and the next page is asked for with `created_before`, the
/// creation time of the last job seen (inclusive). Jobs that share that time at a page
/// boundary would come again; the cursor remembers the ids of those jobs only (not every job
/// seen) and skips them, so memory stays bounded. When a whole page shares one creation time
/// the cursor doubles the page size (up to 10000) to get past it.
///
/// The first page of a listing without a state filter holds every queued job (the server
/// sends them all, newest first) then the newest completed ones; the pages after it hold
/// completed jobs only. A job that completes while the listing runs may be missed, and is not
/// listed twice: the ids of the queued jobs of the first page are remembered (the server sends
/// at most 10000). Listings of queued states ([`JobListStatus::is_queued_state`](crate::JobListStatus::is_queued_state)) use page
/// numbers, which the server honours for them; jobs that start or complete meanwhile shift
/// the pages.
///
/// Backends implement [`JobRunner::list_jobs_page`](crate::JobRunner::list_jobs_page) with [`JobCursor::request`] (what to ask
/// for) and [`JobCursor::advance`] (what to yield and where to go next), as the in-memory and
/// HTTP backends do.
///
/// ```
/// use wmill_core::{JobCursor, JobQuery};
///
/// let q = JobQuery::new().page_size(100);
/// let first = JobCursor::start().request(&q);
/// assert_eq!(first.created_before, None);
/// assert_eq!(first.per_page, 100);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct JobCursor {
    state: CursorState,
}

#[derive(Clone, Default, PartialEq, Eq)]
enum CursorState {
    /// The first request of a listing without a state filter: queued then completed jobs.
    #[default]
    Start,
    /// Completed jobs created at or before `at` (all when `None`), skipping `seen`.
    Before {
        at: Option<SystemTime>,
        /// Ids already listed whose creation time is `at`.
        seen: BTreeSet<JobId>,
        per_page: u32,
        /// Ids of the queued jobs listed on the first page.
        queued: Arc<BTreeSet<JobId>>,
    },
    /// A page number, for queued states.
    Page(u32),
}

impl fmt::Debug for JobCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.state {
            CursorState::Start => f.write_str("JobCursor::Start"),
            CursorState::Before {
                at,
                seen,
                per_page,
                queued,
            } => f
                .debug_struct("JobCursor::Before")
                .field("created_before", &at.map(timestamp_to_rfc3339))
                .field("seen_at_boundary", &seen.len())
                .field("per_page", per_page)
                .field("queued_listed", &queued.len())
                .finish(),
            CursorState::Page(n) => write!(f, "JobCursor::Page({n})"),
        }
    }
}

/// What a backend must ask the server for the page at a [`JobCursor`].
///
/// The filters come from the [`JobQuery`]; this adds the paging. On the server, a
/// `created_before` (or a `success` filter) switches `jobs/list` to completed jobs only; a
/// `running` filter to queued jobs only, paged by `page`.
///
/// ```
/// use wmill_core::{JobCursor, JobListStatus, JobQuery};
///
/// let running = JobQuery::new().status(JobListStatus::Running).page_size(50);
/// let r = JobCursor::start().request(&running);
/// assert_eq!((r.page, r.per_page, r.created_before), (Some(1), 50, None));
/// assert!(!r.queued_then_completed);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobPageRequest {
    /// `created_before` (inclusive) for completed jobs.
    pub created_before: Option<SystemTime>,
    /// The page number, from 1, for queued states.
    pub page: Option<u32>,
    /// `per_page`: bounds the completed jobs (and, for queued states, the queued ones).
    pub per_page: u32,
    /// Whether the answer mixes queued and completed jobs (the first page of a listing without
    /// a state filter): no `created_before`, no `success`, no `running`.
    pub queued_then_completed: bool,
}

impl JobCursor {
    /// The start of a listing.
    pub fn start() -> Self {
        Self::default()
    }

    /// Whether this is the start of a listing.
    pub fn is_start(&self) -> bool {
        self.state == CursorState::Start
    }

    fn effective(&self, query: &JobQuery) -> CursorState {
        match (&self.state, query.status) {
            (CursorState::Start, Some(s)) if s.is_queued_state() => CursorState::Page(1),
            (CursorState::Start, Some(_)) => CursorState::Before {
                at: query.created_before,
                seen: BTreeSet::new(),
                per_page: query.effective_page_size(),
                queued: Arc::default(),
            },
            (state, _) => state.clone(),
        }
    }

    /// What to ask the server for this page of `query`.
    pub fn request(&self, query: &JobQuery) -> JobPageRequest {
        let size = query.effective_page_size();
        match self.effective(query) {
            CursorState::Start => JobPageRequest {
                created_before: None,
                page: None,
                // With an upper time bound, only the queued half of this answer is used.
                per_page: if query.created_before.is_some() {
                    1
                } else {
                    size
                },
                queued_then_completed: true,
            },
            CursorState::Before { at, per_page, .. } => JobPageRequest {
                created_before: at,
                page: None,
                per_page,
                queued_then_completed: false,
            },
            CursorState::Page(n) => JobPageRequest {
                created_before: None,
                page: Some(n),
                per_page: size,
                queued_then_completed: false,
            },
        }
    }

    /// The jobs to yield from `rows` (the server's answer to [`JobCursor::request`]) and the
    /// cursor of the next page.
    ///
    /// Fails with [`Error::ListingStalled`] when the rows cannot come from that request (a job
    /// created after the `created_before` sent: the server ignored the cursor), or when more
    /// than 10000 jobs share one creation time; with [`Error::Decode`] for a completed job
    /// without a creation time.
    pub fn advance(
        &self,
        query: &JobQuery,
        rows: Vec<JobSummary>,
    ) -> Result<Page<JobSummary, JobCursor>> {
        let size = query.effective_page_size();
        let next = |state| JobCursor { state };
        match self.effective(query) {
            CursorState::Start => {
                let (queued_rows, completed_rows): (Vec<_>, Vec<_>) =
                    rows.into_iter().partition(|r| !r.completed);
                let queued: BTreeSet<JobId> = queued_rows.iter().map(|r| r.id).collect();
                let mut items: Vec<JobSummary> = queued_rows
                    .into_iter()
                    .filter(|r| query.matches(r))
                    .collect();
                let queued = Arc::new(queued);
                if let Some(bound) = query.created_before {
                    // The completed half of this answer ignored the bound: page from it.
                    let state = CursorState::Before {
                        at: Some(bound),
                        seen: BTreeSet::new(),
                        per_page: size,
                        queued,
                    };
                    return Ok(Page::new(items, Some(next(state))));
                }
                let (more, state) =
                    completed_step(query, None, &BTreeSet::new(), size, queued, completed_rows)?;
                items.extend(more);
                Ok(Page::new(items, state.map(next)))
            }
            CursorState::Before {
                at,
                seen,
                per_page,
                queued,
            } => {
                let (items, state) = completed_step(query, at, &seen, per_page, queued, rows)?;
                Ok(Page::new(items, state.map(next)))
            }
            CursorState::Page(n) => {
                let full = rows.len() >= size as usize;
                let items = rows.into_iter().filter(|r| query.matches(r)).collect();
                let state = full.then_some(CursorState::Page(n.saturating_add(1)));
                Ok(Page::new(items, state.map(next)))
            }
        }
    }
}

/// One page of completed jobs created at or before `at`, newest first.
fn completed_step(
    query: &JobQuery,
    at: Option<SystemTime>,
    seen: &BTreeSet<JobId>,
    per_page: u32,
    queued: Arc<BTreeSet<JobId>>,
    rows: Vec<JobSummary>,
) -> Result<(Vec<JobSummary>, Option<CursorState>)> {
    const LISTING: &str = "jobs/list";
    let full = rows.len() >= per_page as usize;
    let mut oldest: Option<SystemTime> = None;
    for row in &rows {
        let Some(created) = row.created_at else {
            return Err(Error::Decode {
                request: format!("GET {LISTING}"),
                body_excerpt: format!("job {} without created_at", row.id),
                source: "a listed job has no creation time: the listing cannot page past it".into(),
            });
        };
        if let Some(bound) = at
            && created > bound
        {
            return Err(stalled(
                LISTING,
                format!(
                    "asked for jobs created at or before {}, the server answered job {} created at {}: it ignored the cursor",
                    timestamp_to_rfc3339(bound),
                    row.id,
                    timestamp_to_rfc3339(created)
                ),
            ));
        }
        oldest = Some(oldest.map_or(created, |o| o.min(created)));
    }
    // The next cursor first (it needs every row's id), then the rows are moved, not copied.
    let size = query.effective_page_size();
    let state = match (oldest, full) {
        (Some(oldest), true) if Some(oldest) == at => {
            // The whole page has the boundary's creation time: no step back in time.
            let mut grown = seen.clone();
            grown.extend(rows.iter().map(|r| r.id));
            let per_page = if grown.len() == seen.len() {
                if per_page >= MAX_PAGE_SIZE {
                    return Err(stalled(
                        LISTING,
                        format!(
                            "more than {MAX_PAGE_SIZE} jobs were created at {}: pages of at most {MAX_PAGE_SIZE} cannot get past them",
                            timestamp_to_rfc3339(oldest)
                        ),
                    ));
                }
                per_page.saturating_mul(2).min(MAX_PAGE_SIZE)
            } else {
                per_page
            };
            Some(CursorState::Before {
                at,
                seen: grown,
                per_page,
                queued: queued.clone(),
            })
        }
        (Some(oldest), true) => Some(CursorState::Before {
            at: Some(oldest),
            seen: rows
                .iter()
                .filter(|r| r.created_at == Some(oldest))
                .map(|r| r.id)
                .collect(),
            per_page: size,
            queued: queued.clone(),
        }),
        _ => None,
    };
    let at_boundary = |r: &JobSummary| at.is_some() && r.created_at == at;
    let items: Vec<JobSummary> = rows
        .into_iter()
        // Already listed: at the boundary, or while it was queued.
        .filter(|r| !(queued.contains(&r.id) || (at_boundary(r) && seen.contains(&r.id))))
        .filter(|r| query.matches(r))
        .collect();
    Ok((items, state))
}
