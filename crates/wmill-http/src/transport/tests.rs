//! Unit tests of the transport's parts.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use url::Url;
use wmill_core::{Error, ItemKind};

use super::backoff::{backoff, is_retryable_status, retry_after};
use super::errors::{RequestName, shown_path, status_error};
use super::idle::{Activity, within};
use crate::RetryConfig;
use wmill_core::{MAX_ERROR_BODY, excerpt};

#[test]
fn backoff_is_bounded_and_jittered() {
    let r = RetryConfig::default();
    for attempt in 1..30 {
        let d = backoff(&r, attempt);
        assert!(d <= r.max_backoff, "{d:?}");
    }
    let first = backoff(&r, 1);
    assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
}

#[test]
fn retry_after_parsing() {
    let mut h = HeaderMap::new();
    assert_eq!(retry_after(&h), None);
    h.insert(RETRY_AFTER, "2".parse().unwrap());
    assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
    h.insert(RETRY_AFTER, "0.5".parse().unwrap());
    assert_eq!(retry_after(&h), Some(Duration::from_millis(500)));
    for absurd in ["1e300", "99999999999999999999", "-1", "NaN", "inf"] {
        h.insert(RETRY_AFTER, absurd.parse().unwrap());
        assert_eq!(retry_after(&h), None, "{absurd}");
    }
    h.insert(
        RETRY_AFTER,
        "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
    );
    assert_eq!(retry_after(&h), None);
}

#[test]
fn retried_statuses() {
    for s in [429, 500, 502, 503, 504] {
        assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()), "{s}");
    }
    for s in [200, 201, 400, 401, 403, 404, 409, 422, 501, 505] {
        assert!(
            !is_retryable_status(StatusCode::from_u16(s).unwrap()),
            "{s}"
        );
    }
}

#[test]
fn status_mapping() {
    let nf = (ItemKind::Variable, "u/a/b".to_owned());
    let e = status_error(
        StatusCode::NOT_FOUND,
        b"Not found: x",
        "GET /x",
        Some(&nf),
        None,
    );
    assert!(matches!(e, Error::NotFound { kind: ItemKind::Variable, ref path } if path == "u/a/b"));
    let e = status_error(
        StatusCode::NOT_FOUND,
        b"Not found: x",
        "GET /api/x",
        None,
        None,
    );
    assert!(
        matches!(e, Error::NotFound { kind: ItemKind::Other, ref path } if path == "/api/x"),
        "{e:?}"
    );
    for s in [401, 403] {
        let e = status_error(
            StatusCode::from_u16(s).unwrap(),
            b"no",
            "GET /x",
            None,
            None,
        );
        assert!(
            matches!(e, Error::Unauthorized { status, ref body, .. } if status == s && body == "no"),
            "{e:?}"
        );
    }
    for s in [400, 402, 405, 500, 502] {
        let e = status_error(StatusCode::from_u16(s).unwrap(), b"b", "GET /x", None, None);
        assert!(
            matches!(e, Error::Api { status, .. } if status == s),
            "{e:?}"
        );
    }
    let long = vec![b'a'; 5000];
    let e = status_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        &long,
        "GET /x",
        None,
        None,
    );
    match e {
        Error::Api {
            status: 500, body, ..
        } => assert_eq!(body.len(), MAX_ERROR_BODY + '…'.len_utf8()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn excerpts_cut_on_char_boundaries_and_mark_the_cut() {
    assert_eq!(excerpt(b"abc", 3), "abc");
    assert_eq!(excerpt(b"abcd", 3), "abc…");
    assert_eq!(excerpt("éé".as_bytes(), 3), "é…");
    assert_eq!(excerpt(b"", 3), "");
    // A huge body is not converted whole.
    let big = vec![b'x'; 10_000_000];
    assert_eq!(excerpt(&big, 10).len(), 10 + '…'.len_utf8());
}

#[test]
fn shown_paths_hide_approval_signatures_and_queries() {
    let shown = |u: &str| shown_path(&Url::parse(u).unwrap()).into_owned();
    for endpoint in ["resume", "cancel", "get_flow"] {
        assert_eq!(
            shown(&format!(
                "http://h/api/w/demo/jobs_u/{endpoint}/0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12/0/abcdef0123?approver=ada"
            )),
            format!("/api/w/demo/jobs_u/{endpoint}/0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12/0/***")
        );
    }
    // Other endpoints are shown as they are, without their query.
    assert_eq!(
        shown("http://h/api/w/demo/jobs_u/queue/cancel/0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12"),
        "/api/w/demo/jobs_u/queue/cancel/0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12"
    );
    assert_eq!(
        shown("http://h/api/w/demo/variables/get_value/u/a/b?x=secret"),
        "/api/w/demo/variables/get_value/u/a/b"
    );
    // A link cut short has no signature to hide.
    assert_eq!(
        shown("http://h/api/w/demo/jobs_u/resume/x/0"),
        "/api/w/demo/jobs_u/resume/x/0"
    );
    let name = RequestName {
        method: Method::POST,
        url: Url::parse("http://h/api/w/demo/jobs_u/resume/x/0/sig").unwrap(),
    };
    assert_eq!(name.to_string(), "POST /api/w/demo/jobs_u/resume/x/0/***");
}

/// A transfer that always has work to do uses up the task's budget on every poll; its time
/// bound must fire all the same.
#[tokio::test]
async fn the_bound_fires_on_a_transfer_that_uses_up_the_budget() {
    let activity = Activity::new();
    let busy = async {
        loop {
            tokio::task::consume_budget().await;
        }
    };
    let started = Instant::now();
    let idle = Duration::from_millis(100);
    let out = tokio::time::timeout(
        Duration::from_secs(10),
        within(
            std::pin::pin!(busy),
            started,
            [&activity, &activity],
            idle,
            &tracing::Span::none(),
        ),
    )
    .await;
    assert_eq!(
        out,
        Ok(None),
        "the bound must fire, not the test's own timeout"
    );
    assert!(started.elapsed() >= idle);
}

#[tokio::test]
async fn idle_timeouts_wait_while_bytes_move() {
    let activity = Activity::new();
    let idle = Duration::from_millis(200);
    // Progress every 50 ms for 600 ms: never idle for 200 ms, so the work completes.
    let a = activity.clone();
    let work = async move {
        for _ in 0..12 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            a.touch();
        }
        7
    };
    let now = Instant::now();
    assert_eq!(
        within(
            std::pin::pin!(work),
            now,
            [&activity, &activity],
            idle,
            &tracing::Span::none()
        )
        .await,
        Some(7)
    );
    // No progress: gives up after the idle time.
    let activity = Activity::new();
    let stalled = futures::future::pending::<()>();
    let started = Instant::now();
    assert_eq!(
        within(
            stalled,
            started,
            [&activity, &activity],
            idle,
            &tracing::Span::none()
        )
        .await,
        None
    );
    assert!(started.elapsed() >= idle);
    // A floor further away than the idle time holds the deadline until it passes.
    let floor = Instant::now() + Duration::from_millis(500);
    let started = Instant::now();
    let stalled = futures::future::pending::<()>();
    assert_eq!(
        within(
            stalled,
            floor,
            [&activity, &activity],
            idle,
            &tracing::Span::none()
        )
        .await,
        None
    );
    assert!(started.elapsed() >= Duration::from_millis(500));
    // Progress in the second source counts too.
    let (first, second) = (Activity::new(), Activity::new());
    let s = second.clone();
    let work = async move {
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            s.touch();
        }
        1
    };
    assert_eq!(
        within(
            std::pin::pin!(work),
            Instant::now(),
            [&first, &second],
            idle,
            &tracing::Span::none()
        )
        .await,
        Some(1)
    );
}

#[test]
fn appended_segments_are_encoded_and_checked_like_the_others() {
    use crate::urls::Seg;
    let wm = crate::Windmill::builder()
        .with_base_url("http://h:1/pre")
        .with_token("t")
        .with_workspace("ws")
        .build()
        .unwrap();
    let whole = wm.call(
        Method::GET,
        &[
            Seg::Ws,
            Seg::Lit("jobs"),
            Seg::One("a b/c"),
            Seg::One("x%y"),
        ],
    );
    let appended = wm
        .call(Method::GET, &[Seg::Ws, Seg::Lit("jobs")])
        .query("q", "1 2")
        .segment("a b/c")
        .segment("x%y");
    assert_eq!(
        appended.url().as_str(),
        "http://h:1/pre/api/w/ws/jobs/a%20b%2Fc/x%25y?q=1+2"
    );
    assert_eq!(appended.url().path(), whole.url().path());
    assert!(appended.error.is_none());
    for bad in ["", ".", "..", "a\tb"] {
        let req = wm.call(Method::GET, &[Seg::Ws]).segment(bad).segment("ok");
        assert!(
            matches!(req.error, Some(Error::InvalidInput { .. })),
            "{bad:?}"
        );
    }
}

/// The public senders hold the request once: each future is smaller than the inner send's
/// plus a second copy of the request (what an `async fn` taking `self` keeps).
#[test]
fn the_senders_hold_the_request_once() {
    use std::mem::size_of_val;
    let wm = crate::Windmill::builder()
        .with_base_url("http://h:1")
        .with_token("t")
        .with_workspace("ws")
        .build()
        .unwrap();
    let request = size_of_val(&wm.request(Method::GET, "a/b"));
    let send = size_of_val(&wm.request(Method::GET, "a/b").send());
    let sizes = [
        (
            "send_json",
            size_of_val(
                &wm.request(Method::GET, "a/b")
                    .send_json::<serde_json::Value>(),
            ),
        ),
        (
            "send_bytes",
            size_of_val(&wm.request(Method::GET, "a/b").send_bytes()),
        ),
        (
            "send_text",
            size_of_val(&wm.request(Method::GET, "a/b").send_text()),
        ),
        (
            "send_empty",
            size_of_val(&wm.request(Method::GET, "a/b").send_empty()),
        ),
        (
            "send_stream",
            size_of_val(&wm.request(Method::GET, "a/b").send_stream()),
        ),
    ];
    for (name, size) in sizes {
        assert!(
            size < send + request,
            "{name}: {size} B, send {send} B, request {request} B"
        );
    }
}
