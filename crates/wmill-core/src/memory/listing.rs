//! Job listings of the in-memory backend: its jobs as `jobs/list` rows, paged as the server
//! pages them, so [`JobCursor`](crate::JobCursor) walks them as it walks the server's.

use std::cmp::Reverse;

use crate::{JobListStatus, JobPageRequest, JobQuery, JobStatus, JobSummary, MAX_PAGE_SIZE};

use super::jobs::{Job, StartedJob};
use crate::Runnable;

/// Whether `query`'s filters on what ran (path, kind, user, tag, parent, creation time) select
/// the job. In-memory jobs have no user: a `created_by` filter selects none.
pub(super) fn selects(query: &JobQuery, job: &StartedJob) -> bool {
    let path = match &job.runnable {
        Runnable::ScriptPath(p) | Runnable::Flow(p) => Some(p.as_str()),
        Runnable::ScriptHash(_) | Runnable::FlowVersion(_) => None,
    };
    let kind = kind_of(&job.runnable);
    query
        .script_path
        .as_ref()
        .is_none_or(|p| path == Some(p.as_str()))
        && query
            .script_path_start
            .as_deref()
            .is_none_or(|prefix| path.is_some_and(|p| p.starts_with(prefix)))
        && (query.job_kinds.is_empty() || query.job_kinds.iter().any(|k| k == kind))
        && query.created_by.is_none()
        && query
            .tag
            .as_deref()
            .is_none_or(|t| job.options.tag.as_deref() == Some(t))
        && query
            .parent_job
            .is_none_or(|p| job.options.parent_job == Some(p))
        && query.created_after.is_none_or(|t| job.created_at >= t)
}

fn kind_of(runnable: &Runnable) -> &'static str {
    match runnable {
        Runnable::ScriptPath(_) | Runnable::ScriptHash(_) => "script",
        Runnable::Flow(_) | Runnable::FlowVersion(_) => "flow",
    }
}

/// The job as a listing row. Learning its state drives it once (as `get_job_status` does).
pub(super) fn summary(started: &StartedJob, job: Option<&Job>) -> JobSummary {
    let status = job.map_or(JobStatus::Waiting, Job::status);
    let mut row = JobSummary::new(started.id, status.is_completed());
    row.job_kind = Some(kind_of(&started.runnable).to_owned());
    match &started.runnable {
        Runnable::ScriptPath(p) | Runnable::Flow(p) => row.script_path = Some(p.to_string()),
        Runnable::ScriptHash(h) => row.script_hash = Some(h.to_string()),
        // the server reports a flow version's id in `script_hash`
        Runnable::FlowVersion(v) => row.script_hash = Some(v.to_string()),
    }
    row.created_at = Some(started.created_at);
    row.running = status == JobStatus::Running;
    if let JobStatus::Completed { success } = status {
        row.success = Some(success);
    }
    row.canceled = job.is_some_and(Job::canceled);
    row.tag = started.options.tag.clone();
    row.parent_job = started.options.parent_job;
    row
}

/// What the server answers `request` with, over every job the query's other filters select:
/// newest first; queued then completed jobs for the first page of a listing without a state
/// filter; queued jobs by page number for queued states; else completed jobs created at or
/// before the cursor.
pub(crate) fn rows_as_the_server_sends(
    all: &[JobSummary],
    query: &JobQuery,
    request: &JobPageRequest,
) -> Vec<JobSummary> {
    let mut sorted: Vec<&JobSummary> = all.iter().collect();
    sorted.sort_by_key(|j| (Reverse(j.created_at), Reverse(j.id)));
    let per_page = request.per_page as usize;
    let queued = sorted.iter().filter(|j| !j.completed);
    let completed = sorted.iter().filter(|j| j.completed);
    let rows: Vec<&&JobSummary> = if request.queued_then_completed {
        queued
            .take(MAX_PAGE_SIZE as usize)
            .chain(completed.take(per_page))
            .collect()
    } else if let Some(page) = request.page {
        let status = query.status;
        queued
            .filter(|j| match status {
                Some(JobListStatus::Running) => j.running,
                Some(JobListStatus::Suspended) => j.running && j.suspended,
                _ => !j.running,
            })
            .skip((page.max(1) as usize - 1).saturating_mul(per_page))
            .take(per_page)
            .collect()
    } else {
        completed
            .filter(|j| match (request.created_before, j.created_at) {
                (Some(bound), Some(at)) => at <= bound,
                _ => true,
            })
            .filter(|j| match query.status {
                Some(JobListStatus::Success) => j.success == Some(true) && !j.canceled,
                Some(JobListStatus::Failure) => j.success == Some(false) && !j.canceled,
                Some(JobListStatus::Canceled) => j.canceled,
                _ => true,
            })
            .take(per_page)
            .collect()
    };
    rows.into_iter().map(|j| (**j).clone()).collect()
}

/// The server's default page size for listings.
const DEFAULT_PER_PAGE: u32 = crate::DEFAULT_PAGE_SIZE;

/// Page `page` (1-based) of `items`, `per_page` to a page, as the server pages item listings.
pub(crate) fn page<T>(
    items: impl Iterator<Item = T>,
    page: Option<u32>,
    per_page: Option<u32>,
) -> Vec<T> {
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE).max(1) as usize;
    let page = page.unwrap_or(1).max(1) as usize;
    items.skip((page - 1) * per_page).take(per_page).collect()
}
