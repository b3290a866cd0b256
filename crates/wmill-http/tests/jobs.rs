//! Job starts, results, status and cancel: every request asserted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use serde_json::json;
use support::*;
use wmill_core::{
    Error, ItemKind, ItemPath, JobId, JobRunner, JobStatus, RunOptions, ScriptHash, to_args,
};

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

const NEW: &str = "11111111-2222-4333-8444-555555555555";

#[tokio::test]
async fn run_by_path_async_outside_a_job() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/hello")
        .and(exact_query(&[]))
        .and(json_body(json!({"name": "Ada", "n": [1, 2]})))
        .respond_with(text(201, NEW))
        .expect(1)
        .mount(&server)
        .await;
    let id = client(&server)
        .run_script_by_path_async(
            &p("f/jobs/hello"),
            to_args(&json!({"name": "Ada", "n": [1, 2]})).unwrap(),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(id.to_string(), NEW);
}

#[tokio::test]
async fn run_by_path_async_puts_links_tag_schedule_and_id_in_the_query() {
    let server = server().await;
    let chosen = JobId::parse("99999999-2222-4333-8444-555555555555").unwrap();
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/hello")
        .and(exact_query(&[
            ("scheduled_in_secs", "30"),
            ("tag", "gpu"),
            ("parent_job", JOB),
            ("root_job", ROOT),
            ("job_id", &chosen.to_string()),
        ]))
        .and(json_body(json!({"x": 1})))
        .respond_with(text(201, &chosen.to_string()))
        .expect(1)
        .mount(&server)
        .await;
    let id = job_client(&server)
        .run_script_by_path_async(
            &p("f/jobs/hello"),
            to_args(&json!({"x": 1})).unwrap(),
            &RunOptions::new()
                .tag("gpu")
                .scheduled_in(Duration::from_millis(30_900))
                .job_id(chosen),
        )
        .await
        .unwrap();
    assert_eq!(id, chosen);
}

#[tokio::test]
async fn zero_schedule_is_not_sent_and_explicit_links_win() {
    let server = server().await;
    let parent = "aaaaaaaa-2222-4333-8444-555555555555";
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/hello")
        .and(exact_query(&[("parent_job", parent)]))
        .respond_with(text(201, NEW))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .run_script_by_path_async(
            &p("f/jobs/hello"),
            Default::default(),
            &RunOptions::new()
                .scheduled_in(Duration::from_millis(400))
                .parent_job(JobId::parse(parent).unwrap()),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn untracked_script_sends_no_links() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/hello")
        .and(exact_query(&[]))
        .respond_with(text(201, NEW))
        .expect(1)
        .mount(&server)
        .await;
    job_client(&server)
        .run_script_by_path_async(
            &p("f/jobs/hello"),
            Default::default(),
            &RunOptions::new().track_in_parent(false),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn run_by_hash_async() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/h/4f2a9c01d3e5b7a8")
        .and(exact_query(&[("parent_job", JOB), ("root_job", ROOT)]))
        .and(json_body(json!({"a": true})))
        .respond_with(text(201, NEW))
        .expect(1)
        .mount(&server)
        .await;
    let id = job_client(&server)
        .run_script_by_hash_async(
            &ScriptHash::parse("4F2A9C01D3E5B7A8").unwrap(),
            to_args(&json!({"a": true})).unwrap(),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(id.to_string(), NEW);
}

#[tokio::test]
async fn run_flow_async_is_not_tracked_by_default() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/f/f/flows/etl")
        .and(exact_query(&[("tag", "etl")]))
        .and(json_body(json!({})))
        .respond_with(text(201, NEW))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run/f/f/flows/tracked")
        .and(exact_query(&[("parent_job", JOB), ("root_job", ROOT)]))
        .respond_with(text(201, NEW))
        .expect(1)
        .mount(&server)
        .await;
    let wm = job_client(&server);
    wm.run_flow_async(
        &p("f/flows/etl"),
        Default::default(),
        &RunOptions::new().tag("etl"),
    )
    .await
    .unwrap();
    wm.run_flow_async(
        &p("f/flows/tracked"),
        Default::default(),
        &RunOptions::new().track_in_parent(true),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn missing_script_and_flow_are_typed() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/none")
        .respond_with(text(404, "Not found: script not found at name f/jobs/none"))
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run/f/f/flows/none")
        .respond_with(text(404, "Not found: Flow not found at name f/flows/none"))
        .mount(&server)
        .await;
    let wm = client(&server);
    let e = wm
        .run_script_by_path_async(&p("f/jobs/none"), Default::default(), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::NotFound { kind: ItemKind::Script, path } if path == "f/jobs/none")
    );
    let e = wm
        .run_flow_async(&p("f/flows/none"), Default::default(), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        Error::NotFound {
            kind: ItemKind::Flow,
            ..
        }
    ));
}

#[tokio::test]
async fn a_start_answer_that_is_not_an_id_is_decode() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
        .respond_with(text(201, "<html>proxy</html>"))
        .mount(&server)
        .await;
    let e = client(&server)
        .run_script_by_path_async(&p("f/jobs/x"), Default::default(), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Decode { body_excerpt, .. } if body_excerpt.contains("proxy")),
        "{e:?}"
    );
}

#[tokio::test]
async fn get_result_returns_data_even_for_failures() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/completed/get_result/{NEW}").as_str(),
    )
    .and(exact_query(&[]))
    .respond_with(json(200, json!({"error": {"message": "bad"}})))
    .expect(1)
    .mount(&server)
    .await;
    let v = client(&server)
        .get_result(&JobId::parse(NEW).unwrap())
        .await
        .unwrap();
    assert_eq!(v["error"]["message"], "bad");
}

#[tokio::test]
async fn get_result_of_an_unfinished_job_is_not_found() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/completed/get_result/{NEW}").as_str(),
    )
    .respond_with(text(
        404,
        &format!("Not found: Completed Job not found at name {NEW}"),
    ))
    .mount(&server)
    .await;
    let e = client(&server)
        .get_result(&JobId::parse(NEW).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::NotFound { kind: ItemKind::Job, path } if path == NEW));
}

#[tokio::test]
async fn get_job_status_reads_the_tagged_job() {
    let server = server().await;
    let ids = ["a", "b", "c"].map(|c| format!("{c}{}", &NEW[1..]));
    let answers = [
        json!({"type": "QueuedJob", "id": ids[0], "running": false}),
        json!({"type": "QueuedJob", "id": ids[1], "running": true}),
        json!({"type": "CompletedJob", "id": ids[2], "success": false, "result": {"error": {}}}),
    ];
    for (id, answer) in ids.iter().zip(answers) {
        call("GET", format!("/api/w/ws/jobs_u/get/{id}").as_str())
            .and(exact_query(&[("no_logs", "true"), ("no_code", "true")]))
            .respond_with(json(200, answer))
            .expect(1)
            .mount(&server)
            .await;
    }
    let wm = client(&server);
    let st = |i: usize| {
        let wm = wm.clone();
        let id = JobId::parse(&ids[i]).unwrap();
        async move { wm.get_job_status(&id).await.unwrap() }
    };
    assert_eq!(st(0).await, JobStatus::Waiting);
    assert_eq!(st(1).await, JobStatus::Running);
    assert_eq!(st(2).await, JobStatus::Completed { success: false });
}

#[tokio::test]
async fn cancel_job_sends_the_reason() {
    let server = server().await;
    call(
        "POST",
        format!("/api/w/ws/jobs_u/queue/cancel/{NEW}").as_str(),
    )
    .and(exact_query(&[]))
    .and(json_body(json!({"reason": "no longer needed"})))
    .respond_with(text(200, NEW))
    .expect(1)
    .mount(&server)
    .await;
    call(
        "POST",
        format!("/api/w/ws/jobs_u/queue/cancel/{JOB}").as_str(),
    )
    .and(json_body(
        json!({"reason": "cancelled via cancel_job method"}),
    ))
    .respond_with(text(200, JOB))
    .expect(1)
    .mount(&server)
    .await;
    let wm = client(&server);
    wm.cancel_job(&JobId::parse(NEW).unwrap(), Some("no longer needed".into()))
        .await
        .unwrap();
    wm.cancel_job(&JobId::parse(JOB).unwrap(), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_reused_job_id_is_already_exists() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
        .respond_with(text(
            400,
            &format!("Bad request: Job with id {NEW} already exists"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", format!("/api/w/ws/jobs_u/get/{NEW}").as_str())
        .respond_with(json(
            200,
            json!({"type": "CompletedJob", "id": NEW, "success": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server)
        .run_script_by_path_async(
            &p("f/jobs/x"),
            Default::default(),
            &RunOptions::new().job_id(JobId::parse(NEW).unwrap()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::AlreadyExists { kind: ItemKind::Job, path } if path == NEW),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_400_for_another_reason_stays_an_api_error() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
        .respond_with(text(400, "Bad request: tag not allowed"))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", format!("/api/w/ws/jobs_u/get/{NEW}").as_str())
        .respond_with(text(404, "Not found: Job not found"))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server)
        .run_script_by_path_async(
            &p("f/jobs/x"),
            Default::default(),
            &RunOptions::new().job_id(JobId::parse(NEW).unwrap()),
        )
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::Api { status: 400, body, .. } if body.contains("tag not allowed")));
}

#[tokio::test]
async fn run_with_a_retry_policy_sends_it_json_encoded() {
    let server = server().await;
    let policy = json!({"constant": {"attempts": 3, "seconds": 10}});
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/flaky")
        .and(exact_query(&[("retry", &policy.to_string())]))
        .and(json_body(json!({"n": 1})))
        .respond_with(text(201, NEW))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run/h/00000000abcdef00")
        .and(exact_query(&[("retry", &policy.to_string()), ("tag", "t")]))
        .respond_with(text(201, NEW))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    wm.run_script_by_path_async_with_retry(
        &p("f/jobs/flaky"),
        to_args(&json!({"n": 1})).unwrap(),
        &RunOptions::new(),
        &policy,
    )
    .await
    .unwrap();
    wm.run_script_by_hash_async_with_retry(
        &ScriptHash::parse("00000000abcdef00").unwrap(),
        Default::default(),
        &RunOptions::new().tag("t"),
        &policy,
    )
    .await
    .unwrap();
}

/// `get_result` tells a JSON result from a body that is not JSON: a `text/plain` answer (a
/// result the job returned as text) is a string; an empty body or a proxy's HTML page is a
/// decode error, never a value.
#[tokio::test]
async fn get_result_tells_json_from_text_from_garbage() {
    let server = server().await;
    let ids = ["a", "b", "c", "d"].map(|c| format!("{c}{}", &NEW[1..]));
    let answers = [
        text(200, "plain words"),
        wiremock::ResponseTemplate::new(200)
            .set_body_raw("<html>502 Bad Gateway</html>", "text/html"),
        wiremock::ResponseTemplate::new(200),
        json(200, json!("a JSON string")),
    ];
    for (id, answer) in ids.iter().zip(answers) {
        call(
            "GET",
            format!("/api/w/ws/jobs_u/completed/get_result/{id}").as_str(),
        )
        .respond_with(answer)
        .expect(1)
        .mount(&server)
        .await;
    }
    let wm = client(&server);
    let jobs = ids.map(|id| JobId::parse(&id).unwrap());
    let get = |i: usize| wm.get_result(&jobs[i]);
    assert_eq!(get(0).await.unwrap(), json!("plain words"));
    let e = get(1).await.unwrap_err();
    assert!(
        matches!(&e, Error::Decode { body_excerpt, .. } if body_excerpt.contains("html")),
        "{e:?}"
    );
    let e = get(2).await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    assert_eq!(get(3).await.unwrap(), json!("a JSON string"));
}
