//! Run options on the in-memory backend: what it honours, what it records, what it refuses
//! (before starting anything).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use wmill_core::{
    Args, Error, FlowVersion, InMemory, ItemPath, JobRunner, JobStatus, RetryPolicy, RunOptions,
    ScriptHash, WaitOptions, WaitStrategy,
};

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

fn backend() -> InMemory {
    let wm = InMemory::new();
    wm.register_script("f/x/echo", |args| async move { Ok(Value::Object(args)) })
        .unwrap();
    wm.register_script_hash(
        "00000000c0ffee01",
        |args| async move { Ok(Value::Object(args)) },
    )
    .unwrap();
    wm.register_flow("f/x/flow", |args| async move { Ok(Value::Object(args)) })
        .unwrap();
    wm.register_flow_version(FlowVersion::new(7), |args| async move {
        Ok(json!({"version": 7, "args": args}))
    });
    wm
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

#[tokio::test]
async fn options_an_endpoint_does_not_take_start_nothing() {
    let wm = backend();
    let script = p("f/x/echo");
    let flow = p("f/x/flow");
    let hash = ScriptHash::parse("00000000c0ffee01").unwrap();
    let e = wm
        .run_script_by_path_async(&script, Args::new(), &RunOptions::new().memory_id("m"))
        .await
        .unwrap_err();
    invalid(e, &["`memory_id`", "jobs/run/p (runScriptByPath)"]);
    let e = wm
        .run_flow_async(
            &flow,
            Args::new(),
            &RunOptions::new().cache_ttl(Duration::from_secs(5)),
        )
        .await
        .unwrap_err();
    invalid(e, &["`cache_ttl`", "runFlowByPath"]);
    let e = wm
        .run_script_by_hash_async(&hash, Args::new(), &RunOptions::new().queue_limit(3))
        .await
        .unwrap_err();
    invalid(e, &["`queue_limit`", "runScriptByHash"]);
    let e = wm
        .run_flow_by_version_async(
            FlowVersion::new(7),
            Args::new(),
            &RunOptions::new().retry(RetryPolicy::constant(1, Duration::from_secs(1))),
        )
        .await
        .unwrap_err();
    invalid(e, &["`retry`", "runFlowByVersion"]);
    // Synchronous: queue_limit needs run_wait_result, which has no hash twin and no tag on flows.
    let e = wm
        .run_script_by_hash(&hash, Args::new(), &RunOptions::new().queue_limit(3))
        .await
        .unwrap_err();
    invalid(e, &["`queue_limit`"]);
    let e = wm
        .run_flow(
            &flow,
            Args::new(),
            &RunOptions::new().queue_limit(3).tag("t"),
        )
        .await
        .unwrap_err();
    invalid(e, &["`tag`", "runWaitResultFlowByPath"]);
    let e = wm
        .run_script_by_path(
            &script,
            Args::new(),
            &RunOptions::new()
                .queue_limit(3)
                .wait(WaitOptions::new().strategy(WaitStrategy::ServerEvents)),
        )
        .await
        .unwrap_err();
    invalid(e, &["WaitStrategy::Auto"]);
    assert!(wm.started_jobs().is_empty(), "nothing may start");
}

#[tokio::test]
async fn every_option_is_recorded_where_it_is_taken() {
    let wm = backend();
    let opts = RunOptions::new()
        .tag("gpu")
        .cache_ttl(Duration::from_secs(60))
        .skip_preprocessor(true)
        .invisible_to_owner(true);
    wm.run_script_by_path(&p("f/x/echo"), Args::new(), &opts)
        .await
        .unwrap();
    let flow_opts = RunOptions::new().memory_id("chat-1").tag("t");
    let out = wm
        .run_flow_by_version(FlowVersion::new(7), Args::new(), &flow_opts)
        .await
        .unwrap();
    assert_eq!(out["version"], 7);
    let retry = RunOptions::new().retry(RetryPolicy::constant(2, Duration::from_secs(1)));
    wm.run_script_by_path_async(&p("f/x/echo"), Args::new(), &retry)
        .await
        .unwrap();
    let started = wm.started_jobs();
    assert_eq!(started.len(), 3);
    assert_eq!(started[0].options, opts);
    assert_eq!(started[0].options.tag.as_deref(), Some("gpu"));
    assert_eq!(
        started[1].runnable,
        wmill_core::Runnable::FlowVersion(FlowVersion::new(7))
    );
    assert_eq!(started[1].options.memory_id.as_deref(), Some("chat-1"));
    assert_eq!(started[2].options, retry);
}

#[tokio::test]
async fn scheduled_for_delays_the_start() {
    let wm = backend();
    let at = SystemTime::now() + Duration::from_millis(1_200);
    let t0 = Instant::now();
    let id = wm
        .run_script_by_path_async(
            &p("f/x/echo"),
            Args::new(),
            &RunOptions::new().scheduled_for(at),
        )
        .await
        .unwrap();
    assert_eq!(wm.get_job_status(&id).await.unwrap(), JobStatus::Waiting);
    wm.wait_job(&id, &WaitOptions::new()).await.unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(1_000),
        "{:?}",
        t0.elapsed()
    );
    // A time in the past starts at once.
    let id = wm
        .run_script_by_path_async(
            &p("f/x/echo"),
            Args::new(),
            &RunOptions::new().scheduled_for(SystemTime::UNIX_EPOCH + Duration::from_secs(5)),
        )
        .await
        .unwrap();
    assert_eq!(
        wm.get_job_status(&id).await.unwrap(),
        JobStatus::Completed { success: true }
    );
}

#[tokio::test]
async fn queue_limit_counts_unfinished_jobs_as_the_server_does() {
    let wm = backend();
    wm.register_script("f/x/never", |_| futures::future::pending())
        .unwrap();
    for _ in 0..2 {
        wm.run_script_by_path_async(&p("f/x/never"), Args::new(), &RunOptions::new())
            .await
            .unwrap();
    }
    // Two queued: a limit of 2 lets the run through (the server refuses count > limit).
    let out = wm
        .run_script_by_path(
            &p("f/x/echo"),
            Args::new(),
            &RunOptions::new().queue_limit(2),
        )
        .await
        .unwrap();
    assert_eq!(out, json!({}));
    let e = wm
        .run_flow(
            &p("f/x/flow"),
            Args::new(),
            &RunOptions::new().queue_limit(1),
        )
        .await
        .unwrap_err();
    match &e {
        Error::Api { status, body, .. } => {
            assert_eq!(*status, 500);
            assert_eq!(body, "Number of queued job is too high: 2 > 1");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_retryable());
    assert_eq!(wm.started_jobs().len(), 3);
}

#[tokio::test]
async fn a_missing_flow_version_is_not_found() {
    let wm = backend();
    let e = wm
        .run_flow_by_version(FlowVersion::new(8), Args::new(), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::NotFound { kind: wmill_core::ItemKind::Flow, path } if path == "version 8"),
        "{e:?}"
    );
}
