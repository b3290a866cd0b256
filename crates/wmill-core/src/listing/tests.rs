use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

use super::cursor::*;
use super::job_query::*;
use super::job_summary::*;
use super::pagination::*;
use crate::memory::listing::rows_as_the_server_sends;
use crate::{Error, JobId, JobStatus, Result};
use futures::TryStreamExt;
use futures::executor::block_on;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

fn at(micros: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(1_700_000_000_000_000 + micros)
}

fn job(n: u128, created: SystemTime, completed: bool) -> JobSummary {
    let mut j = JobSummary::new(JobId::from_u128(n), completed);
    j.created_at = Some(created);
    if completed {
        j.success = Some(true);
    }
    j
}

/// Walks the listing of `all` as the server would answer it; returns the jobs and the
/// number of requests.
fn walk(all: &[JobSummary], query: &JobQuery) -> (Result<Vec<JobSummary>>, usize) {
    let requests = AtomicUsize::new(0);
    let out = block_on(
        paginate("jobs/list", JobCursor::start(), |cursor: &JobCursor| {
            requests.fetch_add(1, Ordering::Relaxed);
            let request = cursor.request(query);
            let rows = rows_as_the_server_sends(all, query, &request);
            let page = cursor.advance(query, rows);
            async move { page }
        })
        .try_collect::<Vec<_>>(),
    );
    (out, requests.load(Ordering::Relaxed))
}

fn assert_each_once(listed: &[JobSummary], expected: usize) {
    let ids: BTreeSet<JobId> = listed.iter().map(|j| j.id).collect();
    assert_eq!(ids.len(), listed.len(), "a job was listed twice");
    assert_eq!(listed.len(), expected, "jobs missing");
    for pair in listed.windows(2) {
        if pair[0].completed == pair[1].completed {
            assert!(pair[0].created_at >= pair[1].created_at, "not newest first");
        }
    }
}

#[test]
fn jobs_sharing_a_creation_time_at_page_boundaries_are_listed_once() {
    // 25 jobs, four per creation time: every page of 3 ends inside a group.
    let all: Vec<_> = (0..25).map(|n| job(n, at((n / 4) as u64), true)).collect();
    for size in [1, 2, 3, 4, 5, 7, 24, 25, 26, 1000] {
        let (listed, requests) = walk(&all, &JobQuery::new().page_size(size));
        assert_each_once(&listed.unwrap(), 25);
        assert!(requests <= 25 * 3, "{size}: {requests} requests");
    }
}

#[test]
fn a_page_of_one_instant_grows_the_page_to_get_past_it() {
    let mut all: Vec<_> = (0..10).map(|n| job(n, at(5), true)).collect();
    all.extend((10..13).map(|n| job(n, at(n as u64), true)));
    let (listed, requests) = walk(&all, &JobQuery::new().page_size(3));
    assert_each_once(&listed.unwrap(), 13);
    assert!(requests < 12, "{requests}");
}

#[test]
fn more_jobs_at_one_instant_than_the_largest_page_is_an_error_not_a_loop() {
    let all: Vec<_> = (0..=u128::from(MAX_PAGE_SIZE))
        .map(|n| job(n, at(1), true))
        .collect();
    let (listed, requests) = walk(&all, &JobQuery::new().page_size(MAX_PAGE_SIZE));
    let err = listed.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ListingStalled {
                listing: "jobs/list",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("more than 10000 jobs"), "{err}");
    assert_eq!(requests, 2);
}

#[test]
fn a_server_that_ignores_the_cursor_is_an_error() {
    let all: Vec<_> = (0..10).map(|n| job(n, at(n as u64), true)).collect();
    let query = JobQuery::new().page_size(3);
    let err = block_on(
        paginate("jobs/list", JobCursor::start(), |cursor: &JobCursor| {
            // Always the first page, whatever the cursor says.
            let first = JobCursor::start().request(&query);
            let rows = rows_as_the_server_sends(&all, &query, &first);
            let page = cursor.advance(&query, rows);
            async move { page }
        })
        .try_collect::<Vec<_>>(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("ignored the cursor"), "{err}");
}

#[test]
fn queued_jobs_come_first_and_are_not_listed_again_once_completed() {
    let mut all: Vec<_> = (0..3).map(|n| job(n, at(100 + n as u64), false)).collect();
    all.extend((3..8).map(|n| job(n, at(n as u64), true)));
    let (listed, _) = walk(&all, &JobQuery::new().page_size(2));
    let listed = listed.unwrap();
    assert_each_once(&listed, 8);
    assert!(listed[..3].iter().all(|j| !j.completed));

    // Job 0 completes between the first page and the next: still listed once.
    let query = JobQuery::new().page_size(2);
    let first = JobCursor::start();
    let page1 = first
        .advance(
            &query,
            rows_as_the_server_sends(&all, &query, &first.request(&query)),
        )
        .unwrap();
    all[0] = job(0, at(100), true);
    all[0].created_at = Some(at(1)); // an old job, inside the completed pages
    let mut seen: Vec<JobId> = page1.items.iter().map(|j| j.id).collect();
    let mut cursor = page1.next;
    while let Some(c) = cursor {
        let page = c
            .advance(
                &query,
                rows_as_the_server_sends(&all, &query, &c.request(&query)),
            )
            .unwrap();
        seen.extend(page.items.iter().map(|j| j.id));
        cursor = page.next;
    }
    let unique: BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
    assert_eq!(seen.len(), 8);
}

#[test]
fn an_upper_time_bound_keeps_queued_jobs_and_pages_completed_ones_from_it() {
    let mut all: Vec<_> = (0..4).map(|n| job(n, at(10 * n as u64), false)).collect();
    all.extend((4..20).map(|n| job(n, at(n as u64), true)));
    let query = JobQuery::new().created_before(at(10)).page_size(3);
    let (listed, _) = walk(&all, &query);
    let listed = listed.unwrap();
    // Queued jobs 0 (t=0) and 1 (t=10); completed 4..=10.
    let ids: Vec<u128> = listed.iter().map(|j| j.id.as_uuid().as_u128()).collect();
    assert_eq!(ids, vec![1, 0, 10, 9, 8, 7, 6, 5, 4]);
    assert_eq!(JobCursor::start().request(&query).per_page, 1);
}

#[test]
fn state_filters_choose_the_server_mode_and_are_checked_on_rows() {
    let mut all: Vec<_> = (0..6).map(|n| job(n, at(n as u64), false)).collect();
    for j in &mut all[..2] {
        j.running = true;
    }
    let mut failed = job(10, at(3), true);
    failed.success = Some(false);
    let mut canceled = job(11, at(4), true);
    canceled.success = Some(false);
    canceled.canceled = true;
    all.extend([failed, canceled, job(12, at(5), true)]);
    let count = |status| {
        let q = JobQuery::new().status(status).page_size(1);
        walk(&all, &q).0.unwrap().len()
    };
    assert_eq!(count(JobListStatus::Running), 2);
    assert_eq!(count(JobListStatus::Queued), 4);
    assert_eq!(count(JobListStatus::Failure), 1);
    assert_eq!(count(JobListStatus::Canceled), 1);
    assert_eq!(count(JobListStatus::Success), 1);
    let q = JobQuery::new().status(JobListStatus::Queued).page_size(2);
    assert_eq!(JobCursor::start().request(&q).page, Some(1));
    let q = JobQuery::new().status(JobListStatus::Failure);
    let r = JobCursor::start().request(&q);
    assert!(!r.queued_then_completed && r.page.is_none());
}

#[test]
fn a_server_that_ignores_page_numbers_is_an_error() {
    let all: Vec<_> = (0..10).map(|n| job(n, at(n as u64), false)).collect();
    let query = JobQuery::new().status(JobListStatus::Queued).page_size(3);
    let err = block_on(
        paginate("jobs/list", JobCursor::start(), |cursor: &JobCursor| {
            let first = JobCursor::start().request(&query);
            let rows = rows_as_the_server_sends(&all, &query, &first);
            let page = cursor.advance(&query, rows);
            async move { page }
        })
        .try_collect::<Vec<_>>(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::ListingStalled { .. }), "{err}");
}

#[test]
fn the_same_cursor_twice_is_an_error() {
    let err = block_on(
        paginate("things", 7u32, |page: &u32| {
            let page = *page;
            async move { Ok(Page::<JobSummary>::new(vec![], Some(page))) }
        })
        .try_collect::<Vec<_>>(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("same cursor again"), "{err}");
}

#[test]
fn a_completed_row_without_creation_time_is_a_decode_error() {
    let mut j = job(1, at(1), true);
    j.created_at = None;
    let err = JobCursor::start()
        .advance(&JobQuery::new().page_size(1), vec![j])
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
}

#[test]
fn queries_are_checked() {
    let bad = [
        JobQuery::new().page_size(0),
        JobQuery::new().page_size(10_001),
        JobQuery::new().tag(""),
        JobQuery::new().tag("a,b"),
        JobQuery::new().created_by("!ada"),
        JobQuery::new().script_path_start("f/x\n"),
        JobQuery::new().job_kind("Flow"),
        JobQuery::new().job_kind("flow,script"),
        JobQuery::new().created_after(at(2)).created_before(at(1)),
    ];
    for q in bad {
        assert!(
            matches!(q.validate(), Err(Error::InvalidInput { .. })),
            "{q:?}"
        );
    }
    assert!(
        JobQuery::new()
            .page_size(10_000)
            .flows()
            .created_after(at(1))
            .created_before(at(1))
            .validate()
            .is_ok()
    );
    let err = block_on(
        job_stream(&crate::InMemory::new(), JobQuery::new().page_size(0)).try_collect::<Vec<_>>(),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput {
            what: "page size",
            ..
        }
    ));
}

#[test]
fn summaries_decode_tolerantly_and_round_trip() {
    let row: JobSummary = serde_json::from_value(json!({
        "type": "SomethingNew",
        "id": "00000000-0000-0000-0000-000000000009",
        "job_kind": "aiagent",
        "created_at": "not a time",
        "started_at": 12,
        "running": "yes",
        "success": true,
        "canceled": null,
        "suspend": 2,
        "parent_job": "nope",
        "duration_ms": 1.5,
    }))
    .unwrap();
    assert!(row.completed);
    assert_eq!(row.created_at, None);
    assert_eq!(row.started_at, None);
    assert_eq!(row.parent_job, None);
    assert_eq!(row.duration_ms, None);
    assert!(!row.canceled && !row.running);
    assert_eq!(row.job_kind.as_deref(), Some("aiagent"));
    assert!(serde_json::from_value::<JobSummary>(json!({"type": "QueuedJob"})).is_err());

    let queued: JobSummary = serde_json::from_value(json!({
        "type": "QueuedJob", "id": "00000000-0000-0000-0000-000000000001",
        "running": true, "suspend": 1, "created_at": "2024-01-02T03:04:05.678901Z",
        "parent_job": "00000000-0000-0000-0000-000000000002", "job_kind": "flow",
    }))
    .unwrap();
    assert!(queued.running && queued.suspended && queued.is_flow());
    assert_eq!(queued.status(), JobStatus::Running);
    let back: JobSummary = serde_json::from_value(serde_json::to_value(&queued).unwrap()).unwrap();
    assert_eq!(back, queued);
    let text = serde_json::to_value(&queued).unwrap();
    assert_eq!(text["created_at"], "2024-01-02T03:04:05.678901Z");
    assert_eq!(text["type"], "QueuedJob");
}

#[test]
fn timestamps_known_values() {
    let cases = [
        ("1970-01-01T00:00:00Z", UNIX_EPOCH),
        (
            "2000-02-29T23:59:59.5Z",
            UNIX_EPOCH + Duration::from_millis(951_868_799_500),
        ),
        (
            "1969-12-31T23:59:59.999999Z",
            UNIX_EPOCH - Duration::from_micros(1),
        ),
    ];
    for (text, t) in cases {
        assert_eq!(timestamp_from_rfc3339(text), Some(t), "{text}");
    }
    assert_eq!(
        timestamp_to_rfc3339(UNIX_EPOCH - Duration::from_micros(1)),
        "1969-12-31T23:59:59.999999Z"
    );
    assert_eq!(
        timestamp_to_rfc3339(UNIX_EPOCH + Duration::from_nanos(1)),
        "1970-01-01T00:00:00.000000001Z"
    );
    assert_eq!(
        timestamp_from_rfc3339("2024-01-01T00:00:00.1234567891234Z"),
        Some(UNIX_EPOCH + Duration::new(1_704_067_200, 123_456_789))
    );
    assert_eq!(
        timestamp_from_rfc3339("2024-01-01 01:30:00-01:30"),
        timestamp_from_rfc3339("2024-01-01T03:00:00Z")
    );
    for bad in [
        "",
        "2024-01-01",
        "2024-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T00:00:00",
        "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00Zjunk",
        "2024-01-01T00:00:00+0100",
        "2024-01-01T00:00:00+25:00",
        "+024-01-01T00:00:00Z",
    ] {
        assert_eq!(timestamp_from_rfc3339(bad), None, "{bad}");
    }
}

proptest::proptest! {
    #[test]
    fn timestamps_round_trip(secs in -62_135_596_800i64..253_402_300_799, nanos in 0u32..1_000_000_000) {
        let base = if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        };
        let t = base + Duration::from_nanos(u64::from(nanos));
        let text = timestamp_to_rfc3339(t);
        proptest::prop_assert_eq!(timestamp_from_rfc3339(&text), Some(t), "{}", text);
        let micros = truncate_to_micros(t);
        if t >= UNIX_EPOCH {
            proptest::prop_assert!(timestamp_to_rfc3339(micros).len() <= 27);
        }
    }
}

/// What [`ListItem::identify`] feeds for `item`, hashed.
fn identity<T: ListItem>(item: &T) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    item.identify(&mut h);
    h.finish()
}

#[test]
fn list_items_are_identified_by_their_key_fields() {
    let script = |path: &str, hash: &str, language: &str| -> ScriptSummary {
        serde_json::from_value(json!({"path": path, "hash": hash, "language": language})).unwrap()
    };
    let a = script("f/x/a", "0123456789abcdef", "bun");
    assert_eq!(
        identity(&a),
        identity(&script("f/x/a", "0123456789abcdef", "deno"))
    );
    assert_ne!(
        identity(&a),
        identity(&script("f/x/a", "fedcba9876543210", "bun"))
    );
    assert_ne!(
        identity(&a),
        identity(&script("f/x/b", "0123456789abcdef", "bun"))
    );

    let flow = |path: &str, edited_by: &str| -> FlowSummary {
        serde_json::from_value(json!({"path": path, "edited_by": edited_by})).unwrap()
    };
    assert_eq!(
        identity(&flow("f/x/a", "ada")),
        identity(&flow("f/x/a", "bob"))
    );
    assert_ne!(
        identity(&flow("f/x/a", "ada")),
        identity(&flow("f/x/b", "ada"))
    );

    let path = |p: &str| crate::ItemPath::parse(p).unwrap();
    let var = |p: &str, secret: bool| crate::VariableInfo::new(path(p), secret);
    assert_eq!(
        identity(&var("u/a/x", true)),
        identity(&var("u/a/x", false))
    );
    assert_ne!(identity(&var("u/a/x", true)), identity(&var("u/a/y", true)));
    let res = |p: &str, t: &str| crate::ResourceInfo::new(path(p), t);
    assert_eq!(identity(&res("u/a/x", "s3")), identity(&res("u/a/x", "pg")));
    assert_ne!(identity(&res("u/a/x", "s3")), identity(&res("u/a/y", "s3")));

    assert_eq!(
        identity(&job(1, at(1), true)),
        identity(&job(1, at(2), false))
    );
    assert_ne!(
        identity(&job(1, at(1), true)),
        identity(&job(2, at(1), true))
    );
}
