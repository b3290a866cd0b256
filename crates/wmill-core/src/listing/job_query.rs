//! Job listing, the query: [`JobQuery`] and the [`JobListStatus`] it filters on.

use std::hash::Hash;
use std::time::SystemTime;

use crate::{Error, ItemPath, JobId, Result};

use super::job_summary::JobSummary;
use super::pagination::{DEFAULT_PAGE_SIZE, validate_filter, validate_page_size};
use super::timestamp::timestamp_to_rfc3339;

/// The state a listed job must be in ([`JobQuery::status`]).
///
/// Each maps to the server's filters of `jobs/list`; the stream also checks the rows, so a
/// server that ignores a filter does not leak other jobs into the listing.
///
/// ```
/// use wmill_core::{JobListStatus, JobQuery};
///
/// let stuck = JobQuery::new().status(JobListStatus::Suspended);
/// assert!(JobListStatus::Suspended.is_queued_state());
/// assert!(!JobListStatus::Canceled.is_queued_state());
/// # let _ = stuck;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobListStatus {
    /// In the queue, not started yet (scheduled jobs included): `running=false`.
    Queued,
    /// Started and not completed (suspended flows included): `running=true`.
    Running,
    /// A flow waiting for approvals or events: `running=true&suspended=true`.
    Suspended,
    /// Completed successfully (not skipped): `success=true&status=success`.
    Success,
    /// Completed with an error (not canceled): `success=false&status=failure`.
    Failure,
    /// Canceled: `success=false&status=canceled`.
    Canceled,
}

impl JobListStatus {
    /// Whether the server lists these jobs from its queue (paged by page number) rather than
    /// from the completed jobs (paged by creation time).
    pub fn is_queued_state(self) -> bool {
        matches!(
            self,
            JobListStatus::Queued | JobListStatus::Running | JobListStatus::Suspended
        )
    }
}

/// Filters of a job listing (`jobs/list`), built with setters.
///
/// Each setter replaces the previous value of its filter. The stream checks the query before
/// any request: a page size of 0 or above 10000, an empty filter, one with `,` (the server's
/// list separator) or a leading `!` (its negation), or `created_after` later than
/// `created_before` is [`Error::InvalidInput`].
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use wmill_core::{ItemPath, JobListStatus, JobQuery};
///
/// let day_ago = SystemTime::now() - Duration::from_secs(86_400);
/// let q = JobQuery::new()
///     .script_path(ItemPath::parse("f/etl/load")?)
///     .status(JobListStatus::Failure)
///     .created_after(day_ago)
///     .page_size(500);
/// assert!(q.validate().is_ok());
/// assert!(JobQuery::new().page_size(0).validate().is_err());
/// assert!(JobQuery::new().tag("gpu,cpu").validate().is_err());
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobQuery {
    /// Only jobs of the script or flow at this exact path (`script_path_exact`).
    pub script_path: Option<ItemPath>,
    /// Only jobs whose script or flow path starts with this prefix (`script_path_start`).
    pub script_path_start: Option<String>,
    /// Only jobs of these kinds (`job_kinds`: `script`, `flow`, `preview`, `dependencies`,
    /// ...); empty: every kind.
    pub job_kinds: Vec<String>,
    /// Only jobs in this state.
    pub status: Option<JobListStatus>,
    /// Only jobs started by this user (`created_by`).
    pub created_by: Option<String>,
    /// Only jobs with this worker tag (`tag`).
    pub tag: Option<String>,
    /// Only jobs created at or after this time (`created_after`).
    pub created_after: Option<SystemTime>,
    /// Only jobs created at or before this time.
    pub created_before: Option<SystemTime>,
    /// Only children of this job (`parent_job`).
    pub parent_job: Option<JobId>,
    /// Jobs per request; `None`: [`DEFAULT_PAGE_SIZE`].
    pub page_size: Option<u32>,
}

impl JobQuery {
    /// Every job, [`DEFAULT_PAGE_SIZE`] per request.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Only jobs of the script or flow at `path`.
        script_path(path: ItemPath) => script_path = path;
        /// Only jobs whose path starts with `prefix` (e.g. `f/etl/`).
        script_path_start(prefix: impl Into<String>) => script_path_start = prefix.into();
    }

    /// Adds a job kind (`script`, `flow`, `preview`, `dependencies`, `flowpreview`, ...).
    #[must_use]
    pub fn job_kind(mut self, kind: impl Into<String>) -> Self {
        self.job_kinds.push(kind.into());
        self
    }

    /// Only flow runs (`job_kinds=flow`).
    #[must_use]
    pub fn flows(mut self) -> Self {
        self.job_kinds = vec!["flow".to_owned()];
        self
    }

    /// Only script runs (`job_kinds=script`).
    #[must_use]
    pub fn scripts(mut self) -> Self {
        self.job_kinds = vec!["script".to_owned()];
        self
    }

    setters! {
        /// Only jobs in `status`.
        status(status: JobListStatus) => status = status;
        /// Only jobs started by `user` (a username).
        created_by(user: impl Into<String>) => created_by = user.into();
        /// Only jobs with the worker tag `tag`.
        tag(tag: impl Into<String>) => tag = tag.into();
        /// Only jobs created at or after `t`.
        created_after(t: SystemTime) => created_after = t;
        /// Only jobs created at or before `t`.
        created_before(t: SystemTime) => created_before = t;
        /// Only children of the job `parent`.
        parent_job(parent: JobId) => parent_job = parent;
        /// `n` jobs per request (1 to 10000).
        page_size(n: u32) => page_size = n;
    }

    /// The page size in effect.
    pub fn effective_page_size(&self) -> u32 {
        self.page_size.unwrap_or(DEFAULT_PAGE_SIZE)
    }

    /// Checks the query; every listing does this before its first request.
    pub fn validate(&self) -> Result<()> {
        validate_page_size(self.page_size)?;
        if let Some(p) = &self.script_path_start {
            validate_filter("script path prefix", p)?;
        }
        for kind in &self.job_kinds {
            if kind.is_empty()
                || !kind
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
            {
                return Err(Error::invalid(
                    "job kind",
                    format!(
                        "{kind:?} is not a job kind (lowercase letters, digits and `_`: script, flow, ...)"
                    ),
                ));
            }
        }
        if let Some(u) = &self.created_by {
            validate_filter("created_by", u)?;
        }
        if let Some(t) = &self.tag {
            validate_filter("tag", t)?;
        }
        if let (Some(after), Some(before)) = (self.created_after, self.created_before)
            && after > before
        {
            return Err(Error::invalid(
                "time range",
                format!(
                    "created_after {} is later than created_before {}",
                    timestamp_to_rfc3339(after),
                    timestamp_to_rfc3339(before)
                ),
            ));
        }
        Ok(())
    }

    /// Whether a listed job passes the filters this query applies on the client side too
    /// (state and time range), whatever the server did with them.
    pub fn matches(&self, job: &JobSummary) -> bool {
        let status_ok = match self.status {
            None => true,
            Some(JobListStatus::Queued) => !job.completed && !job.running,
            Some(JobListStatus::Running) => !job.completed && job.running,
            Some(JobListStatus::Suspended) => !job.completed,
            Some(JobListStatus::Success) => {
                job.completed && job.success == Some(true) && !job.skipped && !job.canceled
            }
            Some(JobListStatus::Failure) => {
                job.completed && job.success == Some(false) && !job.canceled
            }
            Some(JobListStatus::Canceled) => job.completed && job.canceled,
        };
        let before_ok = match (self.created_before, job.created_at) {
            (Some(bound), Some(at)) => at <= bound,
            _ => true,
        };
        let after_ok = match (self.created_after, job.created_at) {
            (Some(bound), Some(at)) => at >= bound,
            _ => true,
        };
        status_ok && before_ok && after_ok
    }
}
