//! `RunOptions::assert_result_is_not_none`: a synchronous run whose job succeeds with `null`
//! is `Error::NullResult` naming the job, on both ways a run waits (polling and
//! `run_wait_result`); off (the default), `null` is a result like any other.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use support::*;
use wiremock::matchers::path_regex;
use wmill_core::{Error, ItemPath, JobId, JobRunner, RunOptions, ScriptHash, to_args};

const ID: &str = "11111111-2222-4333-8444-555555555555";

fn strict() -> RunOptions {
    RunOptions::new().assert_result_is_not_none(true)
}

#[tokio::test]
async fn a_polled_run_with_a_null_result_is_null_result_naming_the_job() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/h/0000000000abc123")
        .and(exact_query(&[]))
        .and(json_body(json!({"k": "v"})))
        .respond_with(text(201, ID))
        .expect(2)
        .mount(&server)
        .await;
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result_maybe/{ID}"),
    )
    .respond_with(completed(true, Value::Null))
    .expect(2..)
    .mount(&server)
    .await;
    let wm = client(&server);
    let hash = ScriptHash::parse("0000000000abc123").unwrap();
    let args = to_args(&json!({"k": "v"})).unwrap();

    let err = wm
        .run_script_by_hash(&hash, args.clone(), &strict())
        .await
        .unwrap_err();
    match &err {
        Error::NullResult { job_id } => assert_eq!(job_id.to_string(), ID),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains(ID), "{err}");
    // Off: null is the result.
    let v = wm
        .run_script_by_hash(&hash, args, &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(v, Value::Null);
}

#[tokio::test]
async fn a_run_wait_result_run_with_a_null_result_names_the_job_it_chose() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/nothing")
        .and(|r: &wiremock::Request| {
            r.url.query_pairs().count() == 1
                && r.url
                    .query_pairs()
                    .any(|(k, v)| k == "job_id" && JobId::parse(&v).is_ok())
        })
        .and(json_body(json!({})))
        .respond_with(json(200, Value::Null))
        .expect(1)
        .mount(&server)
        .await;
    // The race polls while the long request is open (the job may not exist yet: 404).
    wiremock::Mock::given(path_regex(
        "^/api/w/ws/jobs_u/completed/get_result_maybe/.*$",
    ))
    .respond_with(text(404, "Not found: Job not found"))
    .mount(&server)
    .await;
    let err = always_client(&server)
        .run_script_by_path(
            &ItemPath::parse("f/jobs/nothing").unwrap(),
            Default::default(),
            &strict(),
        )
        .await
        .unwrap_err();
    let run = received(&server, "/api/w/ws/jobs/run_wait_result/p/f/jobs/nothing").await;
    let chosen = run[0]
        .url
        .query_pairs()
        .find(|(k, _)| k == "job_id")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    match err {
        Error::NullResult { job_id } => assert_eq!(job_id.to_string(), chosen),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_non_null_result_passes_and_a_failure_stays_job_failed() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/h/0000000000abc123")
        .respond_with(text(201, ID))
        .mount(&server)
        .await;
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result_maybe/{ID}"),
    )
    .respond_with(completed(true, json!(0)))
    .up_to_n_times(1)
    .with_priority(1)
    .mount(&server)
    .await;
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result_maybe/{ID}"),
    )
    .respond_with(completed(
        false,
        json!({"error": {"name": "E", "message": "m"}}),
    ))
    .mount(&server)
    .await;
    let wm = client(&server);
    let hash = ScriptHash::parse("0000000000abc123").unwrap();
    assert_eq!(
        wm.run_script_by_hash(&hash, Default::default(), &strict())
            .await
            .unwrap(),
        json!(0),
        "0 is a result"
    );
    let err = wm
        .run_script_by_hash(&hash, Default::default(), &strict())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::JobFailed { .. }), "{err:?}");
}
