//! Batches over the HTTP backend: each job is a synchronous run (here `run_wait_result`, the
//! default on a loopback URL), at most `concurrency` at once, outcomes in completion order;
//! fail-fast cancels the jobs in flight.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use support::*;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use wmill_core::{
    BatchJob, BatchOptions, CANCEL_ON_DROP_REASON, Error, ItemPath, JobId, StartJobs, to_args,
};

const PATH: &str = "f/batch/work";

fn run_path() -> String {
    format!("/api/w/ws/jobs/run_wait_result/p/{PATH}")
}

/// `run_wait_result` answers after `args.ms` with `args.ms`, or 422 with the job's error when
/// `args.fail` is set.
async fn mount(server: &MockServer) {
    call("POST", &run_path())
        .and(|r: &Request| {
            let pairs: Vec<_> = r.url.query_pairs().collect();
            pairs.len() == 1 && pairs[0].0 == "job_id" && JobId::parse(&pairs[0].1).is_ok()
        })
        .respond_with(|r: &Request| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            let ms = body["ms"].as_u64().unwrap_or(0);
            if body["fail"] == true {
                ResponseTemplate::new(422)
                    .set_body_json(json!({"name": "Boom", "message": "failed on purpose"}))
                    .set_delay(Duration::from_millis(ms))
            } else {
                ResponseTemplate::new(200)
                    .set_body_json(json!(ms))
                    .set_delay(Duration::from_millis(ms))
            }
        })
        .mount(server)
        .await;
    Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path_regex(
            "^/api/w/ws/jobs_u/completed/get_result_maybe/[0-9a-f-]+$",
        ))
        .and(exact_query(&[("get_started", "true")]))
        .respond_with(not_completed())
        .mount(server)
        .await;
    Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path_regex(
            "^/api/w/ws/jobs_u/queue/cancel/[0-9a-f-]+$",
        ))
        .respond_with(text(200, "job canceled"))
        .mount(server)
        .await;
}

fn job(args: Value) -> BatchJob {
    BatchJob::script_by_path(ItemPath::parse(PATH).unwrap(), to_args(&args).unwrap())
}

async fn requests(server: &MockServer, prefix: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path().starts_with(prefix))
        .collect()
}

fn job_id_of(r: &Request) -> String {
    r.url
        .query_pairs()
        .find(|(k, _)| k == "job_id")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[tokio::test]
async fn a_batch_over_http_runs_each_job_once_and_yields_in_completion_order() {
    let server = server().await;
    mount(&server).await;
    let delays = [400u64, 0, 200, 600];
    let jobs: Vec<_> = delays.iter().map(|ms| job(json!({ "ms": ms }))).collect();
    let items: Vec<_> = always_client(&server)
        .run_batch(jobs, &BatchOptions::new().concurrency(4))
        .unwrap()
        .collect()
        .await;
    assert_eq!(
        items.iter().map(|i| i.index).collect::<Vec<_>>(),
        vec![1, 2, 0, 3]
    );
    for item in &items {
        assert_eq!(item.result.as_ref().unwrap(), &json!(delays[item.index]));
    }
    // One run_wait_result per job, each with its own job id and its arguments as the body.
    let runs = requests(&server, &run_path()).await;
    assert_eq!(runs.len(), 4);
    let mut ids: Vec<_> = runs.iter().map(job_id_of).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);
    for r in &runs {
        assert_eq!(r.method.as_str(), "POST");
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(delays.contains(&body["ms"].as_u64().unwrap()), "{body}");
    }
    assert!(
        requests(&server, "/api/w/ws/jobs_u/queue/cancel/")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_failed_job_is_one_item_and_the_others_go_on() {
    let server = server().await;
    mount(&server).await;
    let jobs = vec![
        job(json!({"ms": 50})),
        job(json!({"fail": true})),
        job(json!({"ms": 100})),
    ];
    let mut items: Vec<_> = always_client(&server)
        .run_batch(jobs, &BatchOptions::new().concurrency(2))
        .unwrap()
        .collect()
        .await;
    items.sort_by_key(|i| i.index);
    assert_eq!(items.len(), 3);
    match &items[1].result {
        Err(Error::JobFailed { error, .. }) => assert_eq!(error["name"], "Boom"),
        other => panic!("{other:?}"),
    }
    assert_eq!(items[0].result.as_ref().unwrap(), &json!(50));
    assert_eq!(items[2].result.as_ref().unwrap(), &json!(100));
    assert!(
        requests(&server, "/api/w/ws/jobs_u/queue/cancel/")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn concurrency_bounds_the_requests_in_flight() {
    let server = server().await;
    mount(&server).await;
    let jobs: Vec<_> = (0..6).map(|_| job(json!({"ms": 300}))).collect();
    let mut stream = always_client(&server)
        .run_batch(jobs, &BatchOptions::new().concurrency(2))
        .unwrap();
    // Before the first two answer, only two are open.
    assert!(
        tokio::time::timeout(Duration::from_millis(150), stream.next())
            .await
            .is_err()
    );
    assert_eq!(requests(&server, &run_path()).await.len(), 2);
    let started = Instant::now();
    let rest: Vec<_> = stream.collect().await;
    assert_eq!(rest.len(), 6);
    assert!(rest.iter().all(|i| i.result.is_ok()));
    // Three rounds of 300 ms (the first one half over).
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert_eq!(requests(&server, &run_path()).await.len(), 6);
}

#[tokio::test]
async fn fail_fast_cancels_the_runs_in_flight_over_http() {
    let server = server().await;
    mount(&server).await;
    let jobs = vec![
        job(json!({"ms": 30_000})),
        job(json!({"fail": true, "ms": 100})),
        job(json!({"ms": 30_000})),
        job(json!({"ms": 0})),
    ];
    let items: Vec<_> = always_client(&server)
        .run_batch(jobs, &BatchOptions::new().concurrency(3).fail_fast(true))
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].index, 1);
    // The fourth never started.
    let runs = requests(&server, &run_path()).await;
    assert_eq!(runs.len(), 3);
    // The two long runs are canceled, each by its own id, with the reason.
    let long: Vec<String> = runs
        .iter()
        .filter(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["ms"] == 30_000)
        .map(job_id_of)
        .collect();
    assert_eq!(long.len(), 2);
    let until = Instant::now() + Duration::from_secs(5);
    let cancels = loop {
        let c = requests(&server, "/api/w/ws/jobs_u/queue/cancel/").await;
        if c.len() >= 2 || Instant::now() > until {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(cancels.len(), 2, "{cancels:?}");
    for c in &cancels {
        assert_eq!(c.method.as_str(), "POST");
        let id = c.url.path().rsplit('/').next().unwrap().to_owned();
        assert!(long.contains(&id), "{id} not in {long:?}");
        assert!(json_body(json!({ "reason": CANCEL_ON_DROP_REASON }))(c));
        assert_eq!(
            c.headers.get("authorization").unwrap().to_str().unwrap(),
            format!("Bearer {TOKEN}")
        );
    }
}
