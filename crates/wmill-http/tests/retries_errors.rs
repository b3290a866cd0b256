//! Retries (503, 429 + Retry-After, bounds, transport errors, never for blind job starts) and the
//! status-to-error mapping, including malformed bodies and the token never leaking.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::*;
use wmill_core::{
    Error, ItemKind, ItemPath, JobId, JobRunner, ResourceStore, RunOptions, VariableStore,
};
use wmill_http::{RetryConfig, Windmill};

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

const VAR: &str = "/api/w/ws/variables/get_value/u/alice/k";

#[tokio::test]
async fn reads_are_retried_on_503() {
    let server = server().await;
    call("GET", VAR)
        .respond_with(text(503, "Service Unavailable"))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&server)
        .await;
    call("GET", VAR)
        .respond_with(json(200, json!("ok")))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        client(&server).get_variable(&p("u/alice/k")).await.unwrap(),
        "ok"
    );
}

#[tokio::test]
async fn reads_are_retried_on_502_and_504() {
    let server = server().await;
    call("GET", VAR)
        .respond_with(text(502, "Bad Gateway"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    call("GET", VAR)
        .respond_with(text(504, "Gateway Timeout"))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    call("GET", VAR)
        .respond_with(json(200, json!("ok")))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        client(&server).get_variable(&p("u/alice/k")).await.unwrap(),
        "ok"
    );
}

#[tokio::test]
async fn reads_honour_retry_after_on_429() {
    let server = server().await;
    call("GET", VAR)
        .respond_with(text(429, "Too Many Requests").insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    call("GET", VAR)
        .respond_with(json(200, json!("ok")))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    assert_eq!(
        client(&server).get_variable(&p("u/alice/k")).await.unwrap(),
        "ok"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_is_not_waited() {
    let server = server().await;
    call("GET", VAR)
        .respond_with(text(429, "slow down").insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server)
        .get_variable(&p("u/alice/k"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api { status: 429, .. }));
    assert!(e.is_retryable());
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = server().await;
    call("GET", VAR)
        .respond_with(text(503, "down"))
        .expect(3)
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_retry(
            RetryConfig::default()
                .max_retries(2)
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let e = wm.get_variable(&p("u/alice/k")).await.unwrap_err();
    assert!(
        matches!(&e, Error::Api { status: 503, body, .. } if body == "down"),
        "{e:?}"
    );
}

#[tokio::test]
async fn job_starts_are_never_retried_blindly() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
        .respond_with(text(503, "Service Unavailable"))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server)
        .run_script_by_path_async(&p("f/jobs/x"), Default::default(), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api { status: 503, .. }));
}

#[tokio::test]
async fn a_job_start_with_a_chosen_id_is_retried_and_a_duplicate_means_success() {
    let server = server().await;
    let id = JobId::parse("11111111-2222-4333-8444-555555555555").unwrap();
    // First attempt: the gateway times out, but the server did create the job.
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
        .and(exact_query(&[("job_id", &id.to_string())]))
        .respond_with(text(504, "Gateway Timeout"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    // Second attempt: the id is taken.
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
        .and(exact_query(&[("job_id", &id.to_string())]))
        .respond_with(text(
            400,
            &format!("Bad request: Job with id {id} already exists"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", format!("/api/w/ws/jobs_u/get/{id}").as_str())
        .respond_with(json(
            200,
            json!({"type": "QueuedJob", "id": id.to_string(), "running": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let got = client(&server)
        .run_script_by_path_async(
            &p("f/jobs/x"),
            Default::default(),
            &RunOptions::new().job_id(id),
        )
        .await
        .unwrap();
    assert_eq!(got, id);
}

#[tokio::test]
async fn connection_errors_are_transport_errors_after_retries() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let wm = Windmill::builder()
        .with_base_url(format!("http://{addr}"))
        .with_token(TOKEN)
        .with_workspace(WS)
        .with_retry(RetryConfig::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let e = wm.get_variable(&p("u/alice/k")).await.unwrap_err();
    assert!(
        matches!(&e, Error::Transport { request, .. } if request == "GET /api/w/ws/variables/get_value/u/alice/k"),
        "{e:?}"
    );
    assert!(e.is_retryable());
    assert!(!format!("{e} {e:?}").contains(TOKEN));
}

#[tokio::test]
async fn status_mapping() {
    let server = server().await;
    let cases: [(u16, &str); 5] = [
        (401, "Not authorized: Could not authenticate with the token"),
        (403, "Require admin privileges"),
        (400, "Bad request: nope"),
        (409, "conflict"),
        (500, "Internal: database is down"),
    ];
    for (status, body) in cases {
        call(
            "GET",
            format!("/api/w/ws/resources/get_value_interpolated/f/s/{status}").as_str(),
        )
        .respond_with(text(status, body))
        .mount(&server)
        .await;
    }
    let wm = client(&server);
    for (status, body) in cases {
        let e = wm
            .get_resource(&p(&format!("f/s/{status}")))
            .await
            .unwrap_err();
        let request = format!("GET /api/w/ws/resources/get_value_interpolated/f/s/{status}");
        match (status, &e) {
            (
                401 | 403,
                Error::Unauthorized {
                    status: s,
                    request: r,
                    body: b,
                },
            ) => {
                assert_eq!(
                    (*s, r.as_str(), b.as_str()),
                    (status, request.as_str(), body)
                );
            }
            (
                400 | 409 | 500,
                Error::Api {
                    status: s,
                    request: r,
                    body: b,
                },
            ) => {
                assert_eq!(
                    (*s, r.as_str(), b.as_str()),
                    (status, request.as_str(), body)
                );
            }
            _ => panic!("{status}: {e:?}"),
        }
        assert_eq!(e.status(), Some(status));
        assert!(!e.to_string().contains(TOKEN));
    }
}

#[tokio::test]
async fn not_found_names_the_kind_and_path() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/get_value/u/alice/k")
        .respond_with(text(404, "Not found: Variable not found at name u/alice/k"))
        .mount(&server)
        .await;
    let e = client(&server)
        .get_variable(&p("u/alice/k"))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "variable not found: u/alice/k (in workspace \"ws\")"
    );
    assert!(matches!(
        e,
        Error::NotFound {
            kind: ItemKind::Variable,
            ..
        }
    ));
}

#[tokio::test]
async fn malformed_bodies_are_decode_errors_with_an_excerpt() {
    let server = server().await;
    call(
        "GET",
        "/api/w/ws/resources/get_value_interpolated/f/db/main",
    )
    .respond_with(text(200, "<html>gateway login page</html>"))
    .mount(&server)
    .await;
    call("GET", "/api/w/ws/variables/get_value/u/alice/k")
        .respond_with(json(200, json!({"not": "a string"})))
        .mount(&server)
        .await;
    let wm = client(&server);
    let e = wm.get_resource(&p("f/db/main")).await.unwrap_err();
    assert!(
        matches!(&e, Error::Decode { request, body_excerpt, .. }
            if request == "GET /api/w/ws/resources/get_value_interpolated/f/db/main" && body_excerpt.contains("gateway login")),
        "{e:?}"
    );
    assert!(
        std::error::Error::source(&e).is_some(),
        "the JSON error is kept as the source"
    );
    let e = wm.get_variable(&p("u/alice/k")).await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
}

#[tokio::test]
async fn long_error_bodies_are_truncated() {
    let server = server().await;
    let long = "x".repeat(10_000);
    call("GET", VAR)
        .respond_with(text(500, &long))
        .mount(&server)
        .await;
    let e = client(&server)
        .get_variable(&p("u/alice/k"))
        .await
        .unwrap_err();
    match e {
        Error::Api { body, .. } => assert!(body.len() < 600, "{}", body.len()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_token_never_appears_in_debug_display_or_errors() {
    let server = server().await;
    call("GET", VAR)
        .respond_with(text(401, "Not authorized: bad token"))
        .mount(&server)
        .await;
    let b = builder(&server);
    assert!(!format!("{b:?}").contains(TOKEN));
    let wm = b.build().unwrap();
    for s in [format!("{wm:?}"), format!("{wm:#?}"), wm.to_string()] {
        assert!(!s.contains(TOKEN), "{s}");
    }
    let e = wm.get_variable(&p("u/alice/k")).await.unwrap_err();
    let mut chain = format!("{e} {e:?}");
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        chain.push_str(&format!(" {s} {s:?}"));
        src = s.source();
    }
    assert!(!chain.contains(TOKEN), "{chain}");
    // ...but the token was sent.
    let reqs = received(&server, VAR).await;
    assert_eq!(
        reqs[0]
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("Bearer {TOKEN}")
    );
}

#[tokio::test]
async fn user_agent_and_custom_client() {
    let server = server().await;
    call("GET", "/api/version")
        .and(wiremock::matchers::header("user-agent", "my-agent/1"))
        .respond_with(text(200, "v1"))
        .expect(1)
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_user_agent("my-agent/1")
        .build()
        .unwrap();
    assert_eq!(wm.version().await.unwrap(), "v1");

    let server2 = support::server().await;
    call("GET", "/api/version")
        .and(wiremock::matchers::header("x-custom", "yes"))
        .respond_with(text(200, "v2"))
        .expect(1)
        .mount(&server2)
        .await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-custom", "yes".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let wm = builder(&server2).with_client(http).build().unwrap();
    assert_eq!(wm.version().await.unwrap(), "v2");
}

#[tokio::test]
async fn request_timeouts_bound_every_request() {
    let server = server().await;
    call("GET", VAR)
        .respond_with(json(200, json!("late")).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_request_timeout(Duration::from_millis(100))
        .with_retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let started = Instant::now();
    let e = wm.get_variable(&p("u/alice/k")).await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn request_timeouts_bound_requests_through_a_given_client() {
    // The given client's own (longer) timeout does not matter: the request timeout applies.
    let server = server().await;
    call("GET", VAR)
        .respond_with(json(200, json!("late")).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_client(
            reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        )
        .with_request_timeout(Duration::from_millis(100))
        .with_retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let started = Instant::now();
    let e = wm.get_variable(&p("u/alice/k")).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    match e {
        Error::Transport { request, source } => {
            assert!(request.starts_with("GET /api/w/"), "{request}");
            // Both bounds apply (reqwest's per-request one and the transport's): either may
            // fire first. The source names the server; the timeout is its own source.
            let cause = source
                .downcast_ref::<wmill_core::RemoteCause>()
                .and_then(std::error::Error::source)
                .unwrap_or_else(|| panic!("{source:?}"));
            let timed_out = cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
                || cause
                    .downcast_ref::<reqwest::Error>()
                    .is_some_and(reqwest::Error::is_timeout);
            assert!(timed_out, "{source:?}");
        }
        other => panic!("{other:?}"),
    }
}
