//! Every run option on every start endpoint: the exact query and body each sends, the
//! synchronous runs' choice between `run_wait_result` and start + wait, and the options an
//! endpoint does not take, refused before any request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Value, json};
use support::*;
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request};
use wmill_core::{
    Args, Error, FlowVersion, ItemPath, JobId, JobRunner, RetryPolicy, RunOptions, ScriptHash,
    WaitOptions, WaitStrategy, to_args,
};

const ID: &str = "11111111-2222-4333-8444-555555555555";
const HASH: &str = "00000000abcdef00";
/// `scheduled_for` of the tests, and how it is sent.
const AT_MS: u64 = 1_700_000_000_250;
const AT: &str = "2023-11-14T22:13:20.250Z";

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

fn at() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_millis(AT_MS)
}

fn args() -> Args {
    to_args(&json!({"x": 1, "s": "é"})).unwrap()
}

fn body() -> Value {
    json!({"x": 1, "s": "é"})
}

/// The query holds exactly `pairs` plus a `job_id` that is a UUID (a synchronous run picks one).
fn query_with_chosen_id(pairs: &[(&str, &str)]) -> impl Fn(&Request) -> bool + Send + Sync {
    let mut expected: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    expected.sort();
    move |req: &Request| {
        let mut got: Vec<(String, String)> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let ids: Vec<_> = got.iter().filter(|(k, _)| k == "job_id").cloned().collect();
        got.retain(|(k, _)| k != "job_id");
        got.sort();
        got == expected && ids.len() == 1 && JobId::parse(&ids[0].1).is_ok()
    }
}

/// While a `run_wait_result` request is open the client polls the job: not created yet.
async fn polls_see_no_job(server: &MockServer) {
    Mock::given(path_regex(
        "^/api/w/ws/jobs_u/completed/get_result_maybe/.*$",
    ))
    .respond_with(text(404, "Not found: Job not found"))
    .mount(server)
    .await;
}

/// The job `ID` completed with `result`.
async fn job_completes(server: &MockServer, result: Value) {
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result_maybe/{ID}"),
    )
    .and(exact_query(&[("get_started", "true")]))
    .respond_with(completed(true, result))
    .mount(server)
    .await;
}

async fn no_request(server: &MockServer) {
    let got = server.received_requests().await.unwrap();
    assert!(
        got.is_empty(),
        "expected no request, got {:?}",
        got.iter()
            .map(|r| format!("{} {}", r.method, r.url))
            .collect::<Vec<_>>()
    );
}

fn invalid(e: Error, needles: &[&str]) {
    match &e {
        Error::InvalidInput {
            what: "run option",
            reason,
        } => {
            for n in needles {
                assert!(reason.contains(n), "{reason:?} lacks {n:?}");
            }
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

// ---------------------------------------------------------------- asynchronous starts

#[tokio::test]
async fn run_p_takes_schedule_cache_preprocessor_visibility_tag_links_and_id() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/hello")
        .and(exact_query(&[
            ("scheduled_for", AT),
            ("cache_ttl", "90"),
            ("skip_preprocessor", "true"),
            ("invisible_to_owner", "true"),
            ("tag", "gpu"),
            ("parent_job", JOB),
            ("root_job", ROOT),
            ("job_id", ID),
        ]))
        .and(json_body(body()))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    let id = job_client(&server)
        .run_script_by_path_async(
            &p("f/jobs/hello"),
            args(),
            &RunOptions::new()
                .scheduled_for(at())
                .cache_ttl(Duration::from_millis(90_999))
                .skip_preprocessor(true)
                .invisible_to_owner(true)
                .tag("gpu")
                .job_id(JobId::parse(ID).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(id.to_string(), ID);
}

#[tokio::test]
async fn run_p_and_run_h_take_a_typed_retry_policy() {
    let server = server().await;
    let policy = RetryPolicy::constant(3, Duration::from_secs(10))
        .and_exponential(2, Duration::from_secs(2), 1)
        .random_factor(10);
    let encoded = policy.to_query_value();
    assert_eq!(
        serde_json::from_str::<Value>(&encoded).unwrap(),
        json!({"constant": {"attempts": 3, "seconds": 10},
               "exponential": {"attempts": 2, "seconds": 2, "multiplier": 1, "random_factor": 10}})
    );
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/flaky")
        .and(exact_query(&[
            ("retry", &encoded),
            ("scheduled_in_secs", "5"),
        ]))
        .and(json_body(body()))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", format!("/api/w/ws/jobs/run/h/{HASH}").as_str())
        .and(exact_query(&[("retry", &encoded), ("cache_ttl", "1")]))
        .and(json_body(json!({})))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    let opts = RunOptions::new().retry(policy.clone());
    wm.run_script_by_path_async(
        &p("f/jobs/flaky"),
        args(),
        &opts.clone().scheduled_in(Duration::from_secs(5)),
    )
    .await
    .unwrap();
    wm.run_script_by_hash_async(
        &ScriptHash::parse(HASH).unwrap(),
        Args::new(),
        &opts.cache_ttl(Duration::from_secs(1)),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn run_f_takes_memory_id_visibility_schedule_and_tag() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/f/f/flows/chat")
        .and(exact_query(&[
            ("memory_id", "conversation 7"),
            ("invisible_to_owner", "true"),
            ("skip_preprocessor", "true"),
            ("scheduled_for", AT),
            ("tag", "t"),
        ]))
        .and(json_body(body()))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    // A flow is not linked to the current job unless asked.
    job_client(&server)
        .run_flow_async(
            &p("f/flows/chat"),
            args(),
            &RunOptions::new()
                .memory_id("conversation 7")
                .invisible_to_owner(true)
                .skip_preprocessor(true)
                .scheduled_for(at())
                .tag("t"),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn run_fv_starts_a_flow_version_with_its_options() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/fv/42")
        .and(exact_query(&[
            ("memory_id", "m"),
            ("scheduled_in_secs", "3"),
            ("skip_preprocessor", "true"),
            ("parent_job", JOB),
            ("root_job", ROOT),
            ("job_id", ID),
        ]))
        .and(json_body(body()))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    let id = job_client(&server)
        .run_flow_by_version_async(
            FlowVersion::new(42),
            args(),
            &RunOptions::new()
                .memory_id("m")
                .scheduled_in(Duration::from_secs(3))
                .skip_preprocessor(true)
                .track_in_parent(true)
                .job_id(JobId::parse(ID).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(id.to_string(), ID);
}

#[tokio::test]
async fn a_missing_flow_version_is_not_found() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/fv/9")
        .respond_with(text(404, "Not found: Flow version 9 not found"))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server)
        .run_flow_by_version_async(FlowVersion::new(9), Args::new(), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::NotFound { kind: wmill_core::ItemKind::Flow, path } if path == "version 9"),
        "{e:?}"
    );
}

#[tokio::test]
async fn python_retry_argument_is_the_typed_option() {
    let server = server().await;
    let policy = json!({"constant": {"attempts": 2, "seconds": 1}, "retry_if": {"expr": "true"}});
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/flaky")
        .and(|r: &Request| {
            let q: Vec<(String, String)> = r
                .url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            q.len() == 2
                && q.iter().any(|(k, v)| k == "tag" && v == "t")
                && q.iter().any(|(k, v)| {
                    k == "retry"
                        && serde_json::from_str::<Value>(v).ok()
                            == Some(json!({"constant": {"attempts": 2, "seconds": 1}, "retry_if": {"expr": "true"}}))
                })
        })
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    wm.run_script_by_path_async_with_retry(
        &p("f/jobs/flaky"),
        Args::new(),
        &RunOptions::new().tag("t"),
        &policy,
    )
    .await
    .unwrap();
    // A policy the server would refuse, or a retry with invisible_to_owner: nothing is sent.
    let bad = wm
        .run_script_by_path_async_with_retry(
            &p("f/jobs/flaky"),
            Args::new(),
            &RunOptions::new(),
            &json!([1, 2]),
        )
        .await
        .unwrap_err();
    invalid(bad, &["`retry`"]);
    let bad = wm
        .run_script_by_hash_async_with_retry(
            &ScriptHash::parse(HASH).unwrap(),
            Args::new(),
            &RunOptions::new().invisible_to_owner(true),
            &policy,
        )
        .await
        .unwrap_err();
    invalid(bad, &["`retry`", "`invisible_to_owner`"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

// ---------------------------------------------------------------- synchronous runs

#[tokio::test]
async fn run_wait_result_p_takes_queue_limit_cache_preprocessor_tag_and_links() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/add")
        .and(query_with_chosen_id(&[
            ("queue_limit", "100"),
            ("cache_ttl", "30"),
            ("skip_preprocessor", "true"),
            ("tag", "gpu"),
            ("parent_job", JOB),
            ("root_job", ROOT),
        ]))
        .and(json_body(body()))
        .respond_with(json(200, json!({"sum": 3})))
        .expect(1)
        .mount(&server)
        .await;
    polls_see_no_job(&server).await;
    let v = job_client(&server)
        .run_script_by_path(
            &p("f/jobs/add"),
            args(),
            &RunOptions::new()
                .queue_limit(100)
                .cache_ttl(Duration::from_secs(30))
                .skip_preprocessor(true)
                .tag("gpu"),
        )
        .await
        .unwrap();
    assert_eq!(v, json!({"sum": 3}));
}

#[tokio::test]
async fn run_wait_result_f_and_fv_take_queue_limit_memory_id_and_preprocessor() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/f/f/flows/chat")
        .and(query_with_chosen_id(&[
            ("queue_limit", "0"),
            ("memory_id", "m1"),
            ("skip_preprocessor", "true"),
        ]))
        .and(json_body(body()))
        .respond_with(json(200, json!("flow")))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run_wait_result/fv/42")
        .and(query_with_chosen_id(&[
            ("queue_limit", "5"),
            ("memory_id", "m2"),
        ]))
        .and(json_body(json!({})))
        .respond_with(json(200, json!("version")))
        .expect(1)
        .mount(&server)
        .await;
    polls_see_no_job(&server).await;
    let wm = job_client(&server);
    let v = wm
        .run_flow(
            &p("f/flows/chat"),
            args(),
            &RunOptions::new()
                .queue_limit(0)
                .memory_id("m1")
                .skip_preprocessor(true),
        )
        .await
        .unwrap();
    assert_eq!(v, json!("flow"));
    let v = wm
        .run_flow_by_version(
            FlowVersion::new(42),
            Args::new(),
            &RunOptions::new().queue_limit(5).memory_id("m2"),
        )
        .await
        .unwrap();
    assert_eq!(v, json!("version"));
}

/// Without `queue_limit`, a flow version runs through `run_wait_result/fv` like a flow by path.
#[tokio::test]
async fn sync_flow_version_uses_run_wait_result_fv() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/fv/7")
        .and(query_with_chosen_id(&[]))
        .respond_with(json(200, json!(7)))
        .expect(1)
        .mount(&server)
        .await;
    polls_see_no_job(&server).await;
    let v = always_client(&server)
        .run_flow_by_version(FlowVersion::new(7), Args::new(), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(v, json!(7));
}

/// An option `run_wait_result` does not take makes a synchronous run start the job and wait:
/// the same job, nothing dropped.
#[tokio::test]
async fn options_run_wait_result_does_not_take_make_a_sync_run_start_then_wait() {
    let server = server().await;
    let policy = RetryPolicy::constant(1, Duration::from_secs(1));
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/a")
        .and(exact_query(&[("invisible_to_owner", "true")]))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/b")
        .and(exact_query(&[("retry", &policy.to_query_value())]))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run/f/f/flows/c")
        .and(exact_query(&[("scheduled_for", AT), ("memory_id", "m")]))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run/fv/3")
        .and(exact_query(&[("tag", "t")]))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", format!("/api/w/ws/jobs/run/h/{HASH}").as_str())
        .and(exact_query(&[("cache_ttl", "4")]))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path_regex("^/api/w/ws/jobs/run_wait_result/.*$"))
        .respond_with(json(200, json!("never")))
        .expect(0)
        .mount(&server)
        .await;
    job_completes(&server, json!("done")).await;
    let wm = client(&server);
    let none = Args::new();
    let run = |o: RunOptions| o;
    assert_eq!(
        wm.run_script_by_path(
            &p("f/jobs/a"),
            none.clone(),
            &run(RunOptions::new().invisible_to_owner(true))
        )
        .await
        .unwrap(),
        json!("done")
    );
    wm.run_script_by_path(
        &p("f/jobs/b"),
        none.clone(),
        &RunOptions::new().retry(policy),
    )
    .await
    .unwrap();
    wm.run_flow(
        &p("f/flows/c"),
        none.clone(),
        &RunOptions::new().scheduled_for(at()).memory_id("m"),
    )
    .await
    .unwrap();
    wm.run_flow_by_version(
        FlowVersion::new(3),
        none.clone(),
        &RunOptions::new().tag("t"),
    )
    .await
    .unwrap();
    wm.run_script_by_hash(
        &ScriptHash::parse(HASH).unwrap(),
        none,
        &RunOptions::new().cache_ttl(Duration::from_secs(4)),
    )
    .await
    .unwrap();
}

/// The server refuses a run over the queue limit before creating the job (500 with text):
/// the error comes back as it is, and the job is never started another way.
#[tokio::test]
async fn a_run_over_the_queue_limit_is_the_servers_error_and_never_restarted() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/busy")
        .and(query_with_chosen_id(&[("queue_limit", "1")]))
        .respond_with(text(500, "Number of queued job is too high: 5 > 1"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path_regex("^/api/w/ws/jobs_u/get/.*$"))
        .respond_with(text(404, "Not found: Job not found"))
        .mount(&server)
        .await;
    polls_see_no_job(&server).await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/busy")
        .respond_with(text(201, ID))
        .expect(0)
        .mount(&server)
        .await;
    let e = client(&server)
        .run_script_by_path(
            &p("f/jobs/busy"),
            Args::new(),
            &RunOptions::new().queue_limit(1),
        )
        .await
        .unwrap_err();
    match &e {
        Error::Api { status, body, .. } => {
            assert_eq!(*status, 500);
            assert_eq!(body, "Number of queued job is too high: 5 > 1");
        }
        other => panic!("{other:?}"),
    }
}

/// `queue_limit` makes a synchronous run use `run_wait_result` even where the client would
/// otherwise start and wait (a URL that is not a direct connection).
#[tokio::test]
async fn queue_limit_uses_run_wait_result_off_a_direct_connection_too() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/x")
        .and(query_with_chosen_id(&[("queue_limit", "9")]))
        .respond_with(json(200, json!(1)))
        .expect(1)
        .mount(&server)
        .await;
    polls_see_no_job(&server).await;
    let wm = builder(&server)
        .with_wait_tuning(
            wmill_http::WaitTuning::default().server_wait(wmill_http::ServerWait::Never),
        )
        .build()
        .unwrap();
    let v = wm
        .run_script_by_path(
            &p("f/jobs/x"),
            Args::new(),
            &RunOptions::new().queue_limit(9),
        )
        .await
        .unwrap();
    assert_eq!(v, json!(1));
}

// ---------------------------------------------------------------- refused before any request

#[tokio::test]
async fn options_an_endpoint_does_not_take_are_refused_before_any_request() {
    let server = server().await;
    let wm = job_client(&server);
    let script = p("f/jobs/x");
    let flow = p("f/flows/y");
    let hash = ScriptHash::parse(HASH).unwrap();
    let ttl = || RunOptions::new().cache_ttl(Duration::from_secs(5));
    let retry = || RunOptions::new().retry(RetryPolicy::constant(1, Duration::from_secs(1)));

    // Asynchronous starts.
    invalid(
        wm.run_script_by_path_async(&script, Args::new(), &RunOptions::new().memory_id("m"))
            .await
            .unwrap_err(),
        &["`memory_id`", "jobs/run/p (runScriptByPath)", "jobs/run/f"],
    );
    invalid(
        wm.run_script_by_path_async(&script, Args::new(), &RunOptions::new().queue_limit(1))
            .await
            .unwrap_err(),
        &["`queue_limit`", "runScriptByPath", "jobs/run_wait_result/p"],
    );
    invalid(
        wm.run_script_by_hash_async(&hash, Args::new(), &RunOptions::new().memory_id("m"))
            .await
            .unwrap_err(),
        &["`memory_id`", "runScriptByHash"],
    );
    invalid(
        wm.run_flow_async(&flow, Args::new(), &ttl())
            .await
            .unwrap_err(),
        &["`cache_ttl`", "runFlowByPath"],
    );
    invalid(
        wm.run_flow_async(&flow, Args::new(), &retry())
            .await
            .unwrap_err(),
        &["`retry`", "runFlowByPath"],
    );
    invalid(
        wm.run_flow_by_version_async(FlowVersion::new(1), Args::new(), &ttl())
            .await
            .unwrap_err(),
        &["`cache_ttl`", "runFlowByVersion"],
    );
    invalid(
        wm.run_flow_by_version_async(
            FlowVersion::new(1),
            Args::new(),
            &RunOptions::new().queue_limit(2),
        )
        .await
        .unwrap_err(),
        &["`queue_limit`", "runFlowByVersion"],
    );

    // Synchronous runs: no start + wait takes these either.
    invalid(
        wm.run_flow(&flow, Args::new(), &retry()).await.unwrap_err(),
        &["`retry`", "runFlowByPath"],
    );
    invalid(
        wm.run_script_by_path(&script, Args::new(), &RunOptions::new().memory_id("m"))
            .await
            .unwrap_err(),
        &["`memory_id`"],
    );
    // queue_limit needs run_wait_result: none by hash, no tag or schedule there, no parent on
    // flows (a flow tracked in its parent), an Auto wait that cancels on timeout.
    invalid(
        wm.run_script_by_hash(&hash, Args::new(), &RunOptions::new().queue_limit(1))
            .await
            .unwrap_err(),
        &["`queue_limit`", "runScriptByHash"],
    );
    invalid(
        wm.run_flow(
            &flow,
            Args::new(),
            &RunOptions::new().queue_limit(1).tag("t"),
        )
        .await
        .unwrap_err(),
        &["`tag`", "runWaitResultFlowByPath"],
    );
    invalid(
        wm.run_flow(
            &flow,
            Args::new(),
            &RunOptions::new().queue_limit(1).track_in_parent(true),
        )
        .await
        .unwrap_err(),
        &["`parent_job`", "runWaitResultFlowByPath"],
    );
    invalid(
        wm.run_flow_by_version(
            FlowVersion::new(1),
            Args::new(),
            &RunOptions::new().queue_limit(1).scheduled_for(at()),
        )
        .await
        .unwrap_err(),
        &["`scheduled_for`", "runWaitResultFlowByVersion"],
    );
    invalid(
        wm.run_script_by_path(
            &script,
            Args::new(),
            &RunOptions::new()
                .queue_limit(1)
                .wait(WaitOptions::new().strategy(WaitStrategy::ServerEvents)),
        )
        .await
        .unwrap_err(),
        &["WaitStrategy::Auto"],
    );
    invalid(
        wm.run_script_by_path(
            &script,
            Args::new(),
            &RunOptions::new()
                .queue_limit(1)
                .timeout(Duration::from_secs(1))
                .cleanup(false),
        )
        .await
        .unwrap_err(),
        &["cancel_on_timeout"],
    );

    // Values the server would refuse.
    invalid(
        wm.run_script_by_path_async(
            &script,
            Args::new(),
            &RunOptions::new().cache_ttl(Duration::ZERO),
        )
        .await
        .unwrap_err(),
        &["`cache_ttl`"],
    );
    invalid(
        wm.run_flow_async(&flow, Args::new(), &RunOptions::new().memory_id(""))
            .await
            .unwrap_err(),
        &["`memory_id`"],
    );
    invalid(
        wm.run_script_by_path_async(
            &script,
            Args::new(),
            &RunOptions::new().scheduled_for(UNIX_EPOCH - Duration::from_secs(1)),
        )
        .await
        .unwrap_err(),
        &["`scheduled_for`"],
    );
    invalid(
        wm.run_script_by_path_async(
            &script,
            Args::new(),
            &RunOptions::new().retry(RetryPolicy::exponential(3, Duration::from_millis(10), 2)),
        )
        .await
        .unwrap_err(),
        &["`retry`", "exponential.seconds"],
    );
    no_request(&server).await;
}
