//! Listings as streams: the auto-paging helper ([`paginate`]), job listing
//! ([`JobQuery`], [`JobSummary`], [`JobCursor`]), and streams of variables, resources, scripts
//! and flows.
//!
//! Every listing is a [`Stream`](futures::Stream) that fetches one page at a time and holds at most one page in
//! memory, whatever the number of items. The page size is configurable (the server's default
//! is 1000 per page, its maximum 10000). A server that answers the same page again (the same
//! cursor twice, the same items twice, or rows outside the cursor it was sent) ends the stream
//! with [`Error::ListingStalled`] instead of looping.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
//! use futures::TryStreamExt;
//! use serde_json::json;
//! use wmill_core::{InMemory, ItemPath, JobQuery, JobRunner, JobRunnerListExt, RunOptions};
//!
//! let wm = InMemory::new();
//! wm.register_script("f/jobs/double", |args| async move {
//!     Ok(json!(args["x"].as_i64().unwrap_or(0) * 2))
//! })?;
//! let path = ItemPath::parse("f/jobs/double")?;
//! for x in 0..5 {
//!     let args = wmill_core::to_args(&json!({ "x": x }))?;
//!     wm.run_script_by_path(&path, args, &RunOptions::new()).await?;
//! }
//!
//! // Two jobs per page: three requests, one page in memory at a time.
//! let query = JobQuery::new().script_path(path).page_size(2);
//! let jobs: Vec<_> = wm.stream_jobs(&query).try_collect().await?;
//! assert_eq!(jobs.len(), 5);
//! assert!(jobs.iter().all(|j| j.status().is_completed()));
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::{
    Error, ItemPath, JobId, JobRunner, JobStatus, ListResources, ListVariables, ResourceInfo,
    ResourceStore, Result, VariableInfo, VariableStore,
};

/// The page size listings use unless told otherwise: the server's default.
pub const DEFAULT_PAGE_SIZE: u32 = 1000;

/// The largest page size the server accepts.
pub const MAX_PAGE_SIZE: u32 = 10_000;

// ------------------------------------------------------------------------------------------
// Timestamps

/// Formats a time as the server writes and reads it: RFC 3339 in UTC
/// (`2024-05-06T07:08:09.123456Z`), with as many fraction digits as needed (none, 6 or 9).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use wmill_core::{timestamp_from_rfc3339, timestamp_to_rfc3339};
///
/// let t = UNIX_EPOCH + Duration::from_micros(1_714_979_289_123_456);
/// assert_eq!(timestamp_to_rfc3339(t), "2024-05-06T07:08:09.123456Z");
/// assert_eq!(timestamp_from_rfc3339("2024-05-06T07:08:09.123456Z"), Some(t));
/// ```
pub fn timestamp_to_rfc3339(t: SystemTime) -> String {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (i128::from(d.as_secs()), d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let whole = -i128::from(d.as_secs());
            if d.subsec_nanos() == 0 {
                (whole, 0)
            } else {
                (whole - 1, 1_000_000_000 - d.subsec_nanos())
            }
        }
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    );
    if nanos != 0 {
        if nanos % 1000 == 0 {
            out.push_str(&format!(".{:06}", nanos / 1000));
        } else {
            out.push_str(&format!(".{nanos:09}"));
        }
    }
    out.push('Z');
    out
}

/// Parses an RFC 3339 time (`2024-05-06T07:08:09.123Z`, `...+02:00`; up to 9 fraction digits,
/// more are cut). `None` for anything else.
///
/// ```
/// use wmill_core::{timestamp_from_rfc3339, timestamp_to_rfc3339};
///
/// let t = timestamp_from_rfc3339("2024-05-06T09:08:09+02:00").unwrap();
/// assert_eq!(timestamp_to_rfc3339(t), "2024-05-06T07:08:09Z");
/// assert_eq!(timestamp_from_rfc3339("yesterday"), None);
/// ```
pub fn timestamp_from_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter()
            .try_fold(0i64, |acc, c| Some(acc * 10 + i64::from(c - b'0')))
    };
    let sep = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && sep(i + 3, b":") => {
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let o = h * 3600 + m * 60;
            if *sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    let secs =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    let base = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))?
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))?
    };
    base.checked_add(Duration::from_nanos(u64::from(nanos)))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01.
pub(crate) fn civil_from_days(days: i128) -> (i128, i128, i128) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i128::from(m <= 2), m, d)
}

/// `t` cut to whole microseconds: the precision of the server's timestamps.
pub(crate) fn truncate_to_micros(t: SystemTime) -> SystemTime {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH + Duration::new(d.as_secs(), d.subsec_micros() * 1000),
        Err(_) => t,
    }
}

// ------------------------------------------------------------------------------------------
// Pages and the auto-paging helper

/// One page of a listing: its items and the cursor of the next page (`None`: this was the
/// last page).
///
/// ```
/// use wmill_core::Page;
///
/// let page = Page::new(vec!["a", "b"], Some(2u32));
/// assert_eq!(page.items.len(), 2);
/// assert_eq!(page.next, Some(2));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T, C = u32> {
    /// The items of this page, in the listing's order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` after the last page.
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// A page of `items` followed by the page at `next`.
    pub fn new(items: Vec<T>, next: Option<C>) -> Self {
        Page { items, next }
    }
}

/// An item of a listing: what identifies it (a path, a job id), so [`paginate`] can tell a page
/// the server answered twice.
///
/// ```
/// use std::hash::{Hash, Hasher};
/// use wmill_core::ListItem;
///
/// struct Row { name: String }
/// impl ListItem for Row {
///     fn identify(&self, mut state: &mut dyn Hasher) {
///         self.name.hash(&mut state);
///     }
/// }
/// ```
pub trait ListItem {
    /// Feeds what identifies this item to `state`.
    fn identify(&self, state: &mut dyn Hasher);
}

impl ListItem for VariableInfo {
    fn identify(&self, mut state: &mut dyn Hasher) {
        self.path.hash(&mut state);
    }
}

impl ListItem for ResourceInfo {
    fn identify(&self, mut state: &mut dyn Hasher) {
        self.path.hash(&mut state);
    }
}

fn fingerprint<T: ListItem>(items: &[T]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    items.len().hash(&mut h);
    for item in items {
        item.identify(&mut h);
    }
    h.finish()
}

fn stalled(listing: &'static str, reason: impl Into<String>) -> Error {
    Error::ListingStalled {
        listing,
        reason: reason.into(),
    }
}

/// Turns a page-fetching function into a stream of items.
///
/// `fetch(cursor)` returns the page at `cursor` and the cursor of the next one; the stream
/// starts at `first`, yields each page's items in order, and ends after a page without a next
/// cursor or at the first error. One page is held at a time. A server that does not move on
/// ends the stream with [`Error::ListingStalled`]: a page whose next cursor is the cursor it
/// was fetched with, or a non-empty page with the same items as the page before it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use futures::TryStreamExt;
/// use wmill_core::{Error, ListItem, Page, paginate};
///
/// #[derive(Debug)]
/// struct N(u32);
/// impl ListItem for N {
///     fn identify(&self, state: &mut dyn std::hash::Hasher) {
///         state.write_u32(self.0);
///     }
/// }
///
/// // Pages of 3 over 0..8.
/// let items: Vec<N> = paginate("numbers", 1u32, |page: &u32| {
///     let page = *page;
///     async move {
///         let items: Vec<N> = (0..8).skip((page as usize - 1) * 3).take(3).map(N).collect();
///         let next = (items.len() == 3).then_some(page + 1);
///         Ok(Page::new(items, next))
///     }
/// })
/// .try_collect()
/// .await
/// .unwrap();
/// assert_eq!(items.len(), 8);
///
/// // A server that ignores the page number: an error, not a loop.
/// let err = paginate("numbers", 1u32, |page: &u32| {
///     let next = *page + 1;
///     async move { Ok(Page::new(vec![N(1), N(2)], Some(next))) }
/// })
/// .try_collect::<Vec<N>>()
/// .await
/// .unwrap_err();
/// assert!(matches!(err, Error::ListingStalled { .. }), "{err}");
/// # }
/// ```
pub fn paginate<'a, T, C, F, Fut>(
    listing: &'static str,
    first: C,
    fetch: F,
) -> BoxStream<'a, Result<T>>
where
    T: ListItem + Send + 'a,
    C: PartialEq + fmt::Debug + Send + 'a,
    F: FnMut(&C) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T, C>>> + Send + 'a,
{
    struct State<T, C, F> {
        fetch: F,
        next: Option<C>,
        items: std::vec::IntoIter<T>,
        last: Option<u64>,
    }
    let state = State {
        fetch,
        next: Some(first),
        items: Vec::new().into_iter(),
        last: None,
    };
    stream::unfold(state, move |mut st| async move {
        loop {
            if let Some(item) = st.items.next() {
                return Some((Ok(item), st));
            }
            let cursor = st.next.take()?;
            // The page just yielded is gone before the next one arrives: one page in memory.
            st.items = Vec::new().into_iter();
            let page = match (st.fetch)(&cursor).await {
                Ok(page) => page,
                Err(e) => return Some((Err(e), st)),
            };
            if page.next.as_ref() == Some(&cursor) {
                let e = stalled(
                    listing,
                    format!(
                        "the server answered the page at {cursor:?} without moving on (same cursor again)"
                    ),
                );
                return Some((Err(e), st));
            }
            if !page.items.is_empty() {
                let fp = fingerprint(&page.items);
                if st.last == Some(fp) {
                    let e = stalled(
                        listing,
                        format!(
                            "the server answered the page at {cursor:?} with the {} items of the page before it",
                            page.items.len()
                        ),
                    );
                    return Some((Err(e), st));
                }
                st.last = Some(fp);
            }
            st.next = page.next;
            st.items = page.items.into_iter();
        }
    })
    .boxed()
}

/// Checks a page (from 1) and page size (1 to 10000) before any request.
///
/// ```
/// use wmill_core::validate_paging;
///
/// assert!(validate_paging(Some(1), Some(10_000)).is_ok());
/// assert!(validate_paging(Some(0), None).is_err());
/// assert!(validate_paging(None, Some(0)).is_err());
/// assert!(validate_paging(None, Some(10_001)).is_err());
/// ```
pub fn validate_paging(page: Option<u32>, per_page: Option<u32>) -> Result<()> {
    if page == Some(0) {
        return Err(Error::invalid("page", "pages are numbered from 1"));
    }
    validate_page_size(per_page)
}

fn validate_page_size(per_page: Option<u32>) -> Result<()> {
    match per_page {
        Some(n) if n == 0 || n > MAX_PAGE_SIZE => Err(Error::invalid(
            "page size",
            format!("{n} items per page: the server takes 1 to {MAX_PAGE_SIZE}"),
        )),
        _ => Ok(()),
    }
}

/// A filter value the server reads as one item of a comma-separated list, where a leading `!`
/// negates: it must be non-empty, without `,`, control characters or a leading `!`.
fn validate_filter(what: &'static str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(what, "must not be empty"));
    }
    if value.contains(',') {
        return Err(Error::invalid(
            what,
            format!("{value:?} contains `,`, which the server reads as a list separator"),
        ));
    }
    if value.starts_with('!') {
        return Err(Error::invalid(
            what,
            format!("{value:?} starts with `!`, which the server reads as a negation"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(
            what,
            format!("{value:?} contains a control character"),
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Job listing: the query

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

    /// Only jobs of the script or flow at `path`.
    #[must_use]
    pub fn script_path(mut self, path: ItemPath) -> Self {
        self.script_path = Some(path);
        self
    }

    /// Only jobs whose path starts with `prefix` (e.g. `f/etl/`).
    #[must_use]
    pub fn script_path_start(mut self, prefix: impl Into<String>) -> Self {
        self.script_path_start = Some(prefix.into());
        self
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

    /// Only jobs in `status`.
    #[must_use]
    pub fn status(mut self, status: JobListStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only jobs started by `user` (a username).
    #[must_use]
    pub fn created_by(mut self, user: impl Into<String>) -> Self {
        self.created_by = Some(user.into());
        self
    }

    /// Only jobs with the worker tag `tag`.
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// Only jobs created at or after `t`.
    #[must_use]
    pub fn created_after(mut self, t: SystemTime) -> Self {
        self.created_after = Some(t);
        self
    }

    /// Only jobs created at or before `t`.
    #[must_use]
    pub fn created_before(mut self, t: SystemTime) -> Self {
        self.created_before = Some(t);
        self
    }

    /// Only children of the job `parent`.
    #[must_use]
    pub fn parent_job(mut self, parent: JobId) -> Self {
        self.parent_job = Some(parent);
        self
    }

    /// `n` jobs per request (1 to 10000).
    #[must_use]
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = Some(n);
        self
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

// ------------------------------------------------------------------------------------------
// Job listing: the row

/// A job as a listing returns it: a light summary of the server's `Job` rows.
///
/// Decoding is tolerant: every field but `id` may be missing or of an unexpected type (it is
/// then `None` / `false`), unknown kinds and fields are kept as text or ignored. It serializes
/// back to the server's field names.
///
/// ```
/// use wmill_core::{JobStatus, JobSummary};
///
/// let row: JobSummary = serde_json::from_value(serde_json::json!({
///     "type": "CompletedJob",
///     "id": "00000000-0000-0000-0000-000000000007",
///     "job_kind": "flow",
///     "script_path": "f/etl/nightly",
///     "created_at": "2024-05-06T07:08:09.123456Z",
///     "success": false,
///     "canceled": true,
///     "some_new_field": {"ignored": true}
/// }))?;
/// assert!(row.is_flow() && row.canceled);
/// assert_eq!(row.status(), JobStatus::Completed { success: false });
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawSummary", into = "RawSummary")]
#[non_exhaustive]
pub struct JobSummary {
    /// The job id.
    pub id: JobId,
    /// Whether the job completed (a `CompletedJob` row).
    pub completed: bool,
    /// The job kind as the server names it (`script`, `flow`, `preview`, ...).
    pub job_kind: Option<String>,
    /// The script or flow path, if any.
    pub script_path: Option<String>,
    /// The script hash, if any.
    pub script_hash: Option<String>,
    /// Who started the job.
    pub created_by: Option<String>,
    /// When the job was created.
    pub created_at: Option<SystemTime>,
    /// When the job started running.
    pub started_at: Option<SystemTime>,
    /// When the job completed.
    pub completed_at: Option<SystemTime>,
    /// When a queued job is scheduled to start.
    pub scheduled_for: Option<SystemTime>,
    /// How long a completed job ran, in milliseconds.
    pub duration_ms: Option<i64>,
    /// Whether a queued job is running.
    pub running: bool,
    /// Whether a completed job succeeded.
    pub success: Option<bool>,
    /// Whether the job was canceled.
    pub canceled: bool,
    /// Whether a completed job was skipped.
    pub skipped: bool,
    /// Whether a queued flow is suspended (waiting for approvals or events).
    pub suspended: bool,
    /// The worker tag.
    pub tag: Option<String>,
    /// The parent job.
    pub parent_job: Option<JobId>,
    /// Whether the job is a step of a flow.
    pub is_flow_step: bool,
    /// The worker that ran it.
    pub worker: Option<String>,
}

impl JobSummary {
    /// A summary with only the id and the completion flag set.
    pub fn new(id: JobId, completed: bool) -> Self {
        JobSummary {
            id,
            completed,
            job_kind: None,
            script_path: None,
            script_hash: None,
            created_by: None,
            created_at: None,
            started_at: None,
            completed_at: None,
            scheduled_for: None,
            duration_ms: None,
            running: false,
            success: None,
            canceled: false,
            skipped: false,
            suspended: false,
            tag: None,
            parent_job: None,
            is_flow_step: false,
            worker: None,
        }
    }

    /// Waiting, running or completed (a canceled job did not succeed).
    pub fn status(&self) -> JobStatus {
        if self.completed {
            JobStatus::Completed {
                success: self.success == Some(true) && !self.canceled,
            }
        } else if self.running {
            JobStatus::Running
        } else {
            JobStatus::Waiting
        }
    }

    /// Whether the job runs a flow (`flow`, `flowpreview`, `singlestepflow`, ...).
    pub fn is_flow(&self) -> bool {
        matches!(
            self.job_kind.as_deref(),
            Some(
                "flow"
                    | "flowpreview"
                    | "singlestepflow"
                    | "unassigned_flow"
                    | "unassigned_singlestepflow"
            )
        )
    }
}

impl ListItem for JobSummary {
    fn identify(&self, mut state: &mut dyn Hasher) {
        self.id.hash(&mut state);
    }
}

/// Any JSON value, kept only when it has the expected type.
fn lenient<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    Ok(T::deserialize(v).ok())
}

/// The server's row, as decoded and encoded.
#[derive(Serialize, Deserialize)]
struct RawSummary {
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    row_type: Option<String>,
    id: JobId,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    job_kind: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    script_path: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    script_hash: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    created_by: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    created_at: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    started_at: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    completed_at: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    scheduled_for: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    duration_ms: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    running: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    success: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    canceled: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    is_skipped: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    suspend: Option<f64>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    tag: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    parent_job: Option<JobId>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    is_flow_step: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    worker: Option<String>,
}

impl From<RawSummary> for JobSummary {
    fn from(r: RawSummary) -> Self {
        let time = |s: Option<String>| s.as_deref().and_then(timestamp_from_rfc3339);
        let completed = match r.row_type.as_deref() {
            Some("CompletedJob") => true,
            Some("QueuedJob") => false,
            _ => r.success.is_some() || r.completed_at.is_some(),
        };
        JobSummary {
            id: r.id,
            completed,
            job_kind: r.job_kind,
            script_path: r.script_path,
            script_hash: r.script_hash,
            created_by: r.created_by,
            created_at: time(r.created_at),
            started_at: time(r.started_at),
            completed_at: time(r.completed_at),
            scheduled_for: time(r.scheduled_for),
            duration_ms: r.duration_ms,
            running: !completed && r.running.unwrap_or(false),
            success: r.success,
            canceled: r.canceled.unwrap_or(false),
            skipped: r.is_skipped.unwrap_or(false),
            suspended: r.suspend.is_some_and(|s| s > 0.0),
            tag: r.tag,
            parent_job: r.parent_job,
            is_flow_step: r.is_flow_step.unwrap_or(false),
            worker: r.worker,
        }
    }
}

impl From<JobSummary> for RawSummary {
    fn from(j: JobSummary) -> Self {
        let time = |t: Option<SystemTime>| t.map(timestamp_to_rfc3339);
        RawSummary {
            row_type: Some(
                if j.completed {
                    "CompletedJob"
                } else {
                    "QueuedJob"
                }
                .to_owned(),
            ),
            id: j.id,
            job_kind: j.job_kind,
            script_path: j.script_path,
            script_hash: j.script_hash,
            created_by: j.created_by,
            created_at: time(j.created_at),
            started_at: time(j.started_at),
            completed_at: time(j.completed_at),
            scheduled_for: time(j.scheduled_for),
            duration_ms: j.duration_ms,
            running: (!j.completed).then_some(j.running),
            success: j.success,
            canceled: Some(j.canceled),
            is_skipped: j.completed.then_some(j.skipped),
            suspend: (!j.completed).then_some(if j.suspended { 1.0 } else { 0.0 }),
            tag: j.tag,
            parent_job: j.parent_job,
            is_flow_step: Some(j.is_flow_step),
            worker: j.worker,
        }
    }
}

// ------------------------------------------------------------------------------------------
// Job listing: the cursor

/// Where a job listing is: the cursor of [`JobRunner::list_jobs_page`].
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
/// at most 10000). Listings of queued states ([`JobListStatus::is_queued_state`]) use page
/// numbers, which the server honours for them; jobs that start or complete meanwhile shift
/// the pages.
///
/// Backends implement [`JobRunner::list_jobs_page`] with [`JobCursor::request`] (what to ask
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

// ------------------------------------------------------------------------------------------
// Scripts and flows

/// Filters and paging of script and flow listings (`scripts/list`, `flows/list`).
///
/// ```
/// use wmill_core::ListRunnables;
///
/// let q = ListRunnables::new().path_start("f/etl/").per_page(200);
/// assert!(q.validate().is_ok());
/// assert!(ListRunnables::new().per_page(20_000).validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListRunnables {
    /// Only paths starting with this prefix (`path_start`).
    pub path_start: Option<String>,
    /// Only the item at this exact path (`path_exact`).
    pub path_exact: Option<ItemPath>,
    /// Only items created by this user (`created_by`).
    pub created_by: Option<String>,
    /// The page, from 1 (streams start there).
    pub page: Option<u32>,
    /// Items per page (server default 1000, maximum 10000).
    pub per_page: Option<u32>,
}

impl ListRunnables {
    /// No filter, the server's default page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only paths starting with `prefix`.
    #[must_use]
    pub fn path_start(mut self, prefix: impl Into<String>) -> Self {
        self.path_start = Some(prefix.into());
        self
    }

    /// Only the item at `path`.
    #[must_use]
    pub fn path_exact(mut self, path: ItemPath) -> Self {
        self.path_exact = Some(path);
        self
    }

    /// Only items created by `user`.
    #[must_use]
    pub fn created_by(mut self, user: impl Into<String>) -> Self {
        self.created_by = Some(user.into());
        self
    }

    /// The page (from 1).
    #[must_use]
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Items per page (1 to 10000).
    #[must_use]
    pub fn per_page(mut self, per_page: u32) -> Self {
        self.per_page = Some(per_page);
        self
    }

    /// Checks paging and filters ([`Error::InvalidInput`]).
    pub fn validate(&self) -> Result<()> {
        validate_paging(self.page, self.per_page)?;
        if let Some(p) = &self.path_start {
            validate_filter("path prefix", p)?;
        }
        if let Some(u) = &self.created_by {
            validate_filter("created_by", u)?;
        }
        Ok(())
    }
}

/// A script as `scripts/list` returns it: the server's short rows (no content, no schema),
/// decoded tolerantly (missing or odd fields are `None`).
///
/// ```
/// let row: wmill_core::ScriptSummary = serde_json::from_value(serde_json::json!({
///     "hash": "0123456789abcdef", "path": "f/etl/load", "summary": "Load",
///     "created_at": "2024-05-06T07:08:09Z", "language": "python3", "kind": "script",
///     "archived": false, "starred": true, "extra_perms": {}
/// }))?;
/// assert_eq!(row.path, "f/etl/load");
/// assert!(row.starred);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ScriptSummary {
    /// The script's path.
    pub path: String,
    /// The hash of the listed version.
    #[serde(default, deserialize_with = "lenient")]
    pub hash: Option<String>,
    /// Its summary.
    #[serde(default, deserialize_with = "lenient")]
    pub summary: Option<String>,
    /// Its description (when the server sends it).
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    /// Who created this version (older servers send it).
    #[serde(default, deserialize_with = "lenient")]
    pub created_by: Option<String>,
    /// When this version was created (RFC 3339, as sent).
    #[serde(default, deserialize_with = "lenient")]
    pub created_at: Option<String>,
    /// The language (`python3`, `deno`, `bun`, ...).
    #[serde(default, deserialize_with = "lenient")]
    pub language: Option<String>,
    /// The kind (`script`, `trigger`, `failure`, `approval`, ...).
    #[serde(default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    /// The worker tag.
    #[serde(default, deserialize_with = "lenient")]
    pub tag: Option<String>,
    /// Whether it is archived.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub archived: bool,
    /// Whether only a draft exists.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub draft_only: bool,
    /// Whether the caller starred it.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub starred: bool,
}

impl ListItem for ScriptSummary {
    fn identify(&self, mut state: &mut dyn Hasher) {
        self.path.hash(&mut state);
        self.hash.hash(&mut state);
    }
}

/// A flow as `flows/list` returns it: the server's short rows (no flow value, no schema),
/// decoded tolerantly.
///
/// ```
/// let row: wmill_core::FlowSummary = serde_json::from_value(serde_json::json!({
///     "workspace_id": "ws", "path": "f/etl/nightly", "summary": "Nightly",
///     "edited_by": "ada", "edited_at": "2024-05-06T07:08:09Z", "archived": false,
///     "extra_perms": {}, "starred": false, "has_draft": false
/// }))?;
/// assert_eq!(row.edited_by.as_deref(), Some("ada"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FlowSummary {
    /// The flow's path.
    pub path: String,
    /// Its summary.
    #[serde(default, deserialize_with = "lenient")]
    pub summary: Option<String>,
    /// Its description (when the server sends it).
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    /// Who last edited it.
    #[serde(default, deserialize_with = "lenient")]
    pub edited_by: Option<String>,
    /// When it was last edited (RFC 3339, as sent).
    #[serde(default, deserialize_with = "lenient")]
    pub edited_at: Option<String>,
    /// Whether it is archived.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub archived: bool,
    /// Whether only a draft exists.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub draft_only: bool,
    /// Whether the caller starred it.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub starred: bool,
}

impl ListItem for FlowSummary {
    fn identify(&self, mut state: &mut dyn Hasher) {
        self.path.hash(&mut state);
    }
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    Ok(lenient::<D, bool>(d)?.unwrap_or(false))
}

// ------------------------------------------------------------------------------------------
// Streams over the traits

/// The jobs `query` selects, as a stream that pages through [`JobRunner::list_jobs_page`].
///
/// `runner` is anything that dereferences to a [`JobRunner`]: `&backend` for a stream that
/// borrows it, an `Arc<dyn JobRunner>` (or a clone of a client) for a `'static` one. An invalid
/// query is the stream's only item ([`Error::InvalidInput`]), before any request.
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
    if let Err(e) = validate_paging(options.page, options.per_page) {
        return stream::once(async move { Err(e) }).boxed();
    }
    let per_page = options.per_page.unwrap_or(DEFAULT_PAGE_SIZE);
    let first = options.page.unwrap_or(1);
    let options = Arc::new(options);
    paginate("variables/list", first, move |page: &u32| {
        let store = store.clone();
        let mut options = (*options).clone();
        let page = *page;
        async move {
            options.page = Some(page);
            options.per_page = Some(per_page);
            let items = store.list_variables(&options).await?;
            let next = (items.len() >= per_page as usize).then(|| page.saturating_add(1));
            Ok(Page::new(items, next))
        }
    })
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
    if let Err(e) = validate_paging(options.page, options.per_page) {
        return stream::once(async move { Err(e) }).boxed();
    }
    let per_page = options.per_page.unwrap_or(DEFAULT_PAGE_SIZE);
    let first = options.page.unwrap_or(1);
    let options = Arc::new(options);
    paginate("resources/list", first, move |page: &u32| {
        let store = store.clone();
        let mut options = (*options).clone();
        let page = *page;
        async move {
            options.page = Some(page);
            options.per_page = Some(per_page);
            let items = store.list_resources(&options).await?;
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

#[cfg(test)]
mod tests;
