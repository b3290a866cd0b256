//! 64 tasks share one `Windmill` client and make mixed calls (variable writes and reads,
//! resources, synchronous and asynchronous job runs, waits) against the stateful fake server
//! while it injects faults (503/502/429/500 on several routes) and a proxy in front of it drops
//! connections: every call ends (bounded), nothing panics, each task gets its own results (never
//! another task's), and no job is started twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wmill_core::{
    Error, ItemPath, JobRunner, JobRunnerExt, ResourceStore, RunOptions, SetVariableOptions,
    VariableStore, WaitOptions,
};
use wmill_http::{RetryConfig, Windmill};
use wmill_tests::fake_windmill::{ECHO, FakeWindmill};
use wmill_tests::faults::{CutProxy, ProxyMode};

const TASKS: usize = 64;
/// No call may take longer than this (the waits' own timeout plus a margin).
const CALL_BOUND: Duration = Duration::from_secs(20);

/// An error is acceptable when it is one of the typed outcomes of an injected fault.
fn acceptable(e: &Error) -> bool {
    matches!(
        e,
        Error::Api { .. } | Error::Transport { .. } | Error::Timeout { .. } | Error::Decode { .. }
    )
}

async fn bounded<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(CALL_BOUND, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not end within {CALL_BOUND:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_tasks_share_one_client_under_faults() {
    let server = FakeWindmill::start().await;
    let proxy = CutProxy::start(server.addr()).await;
    let wm = Windmill::builder()
        .with_base_url(proxy.endpoint())
        .with_token(server.token().unwrap())
        .with_workspace(server.workspace())
        .with_request_timeout(Duration::from_secs(5))
        // Synchronous runs hold run_wait_result from the first run: its faults are injected.
        .with_wait_tuning(
            wmill_http::WaitTuning::default().server_wait(wmill_http::ServerWait::Always),
        )
        .with_retry(
            RetryConfig::default()
                .max_retries(4)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(50)),
        )
        .build()
        .unwrap();
    for (route, status) in [
        ("variables/get_value", 503),
        ("variables/update", 502),
        ("variables/exists", 429),
        ("resources/get_value_interpolated", 503),
        ("get_result_maybe", 502),
        ("get_result_maybe", 504),
        ("run/p", 503),
        ("run_wait_result/p", 500),
    ] {
        server.fail_next(route, status, 12, "injected");
    }
    for i in 0..TASKS {
        server.put_resource(&format!("u/test/res{i}"), json!({ "i": i }), "object");
    }

    // Drop connections now and then while the tasks run.
    let chaos = {
        let proxy = &proxy;
        async move {
            for round in 0..6 {
                tokio::time::sleep(Duration::from_millis(40)).await;
                proxy.set_mode(ProxyMode::CutDownload(if round % 2 == 0 {
                    300
                } else {
                    5000
                }));
                tokio::time::sleep(Duration::from_millis(15)).await;
                proxy.set_mode(ProxyMode::Pass);
            }
        }
    };

    let started = Instant::now();
    let tasks = (0..TASKS).map(|i| {
        let wm = wm.clone();
        tokio::spawn(async move {
            let mut errors = Vec::new();
            let var = ItemPath::parse(format!("u/test/var{i}")).unwrap();
            let value = format!("value-{i}");
            let wrote = bounded(
                "set_variable",
                wm.set_variable(&var, &value, &SetVariableOptions::new()),
            )
            .await;
            match wrote {
                Ok(()) => match bounded("get_variable", wm.get_variable(&var)).await {
                    Ok(got) => assert_eq!(got, value, "task {i} read another task's variable"),
                    Err(e) => errors.push(e),
                },
                Err(e) => errors.push(e),
            }

            let res = ItemPath::parse(format!("u/test/res{i}")).unwrap();
            match bounded("get_resource", wm.get_resource(&res)).await {
                Ok(v) => assert_eq!(v, json!({ "i": i }), "task {i} got another resource"),
                Err(e) => errors.push(e),
            }

            let echo = ItemPath::parse(ECHO).unwrap();
            let opts = RunOptions::new().wait(WaitOptions::new().timeout(Duration::from_secs(15)));
            match bounded(
                "run_script_by_path",
                wm.run_script_by_path_as::<_, Value>(&echo, &json!({ "task": i }), &opts),
            )
            .await
            {
                Ok(v) => assert_eq!(v, json!({ "task": i }), "task {i} got another job's result"),
                Err(e) => errors.push(e),
            }

            match bounded(
                "run_script_by_path_async",
                wm.run_script_by_path_async_with(
                    &echo,
                    &json!({ "task": i, "async": true }),
                    &RunOptions::new(),
                ),
            )
            .await
            {
                Ok(id) => match bounded(
                    "wait_job",
                    wm.wait_job(&id, &WaitOptions::new().timeout(Duration::from_secs(15))),
                )
                .await
                {
                    Ok(v) => assert_eq!(v, json!({ "task": i, "async": true })),
                    Err(e) => errors.push(e),
                },
                Err(e) => errors.push(e),
            }
            for e in &errors {
                assert!(acceptable(e), "task {i}: unexpected error {e:?}");
            }
            errors.len()
        })
    });
    let (results, ()) = tokio::join!(futures::future::join_all(tasks), chaos);
    let mut failed = 0;
    for r in results {
        // A panic in a task (wrong result, unexpected error, unbounded call) fails here.
        failed += r.expect("a task panicked");
    }
    assert!(started.elapsed() <= CALL_BOUND * 2);
    eprintln!(
        "{failed} failed calls, {} connections cut, {} requests, {} jobs",
        proxy.cuts(),
        server.total_requests(),
        server.job_count()
    );
    // The faults were really injected.
    assert!(server.count("run_wait_result/p") >= 12 && server.count("get_result_maybe") >= 24);
    // Most calls succeed: the faults are bounded and idempotent calls are retried.
    assert!(
        failed < TASKS * 4 / 2,
        "{failed} of {} calls failed",
        TASKS * 4
    );

    // No job was started twice: at most one job per start call.
    let jobs = server.job_count();
    assert!(
        jobs <= TASKS * 2,
        "{jobs} jobs for {} start calls",
        TASKS * 2
    );
}
