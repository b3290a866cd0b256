//! `Windmill` against the fake server with the real server-side wait schedules: results, request
//! counts per wait, fallbacks and cancellation. (Speed is measured by the benchmarks, not here;
//! these tests assert request budgets and outcomes.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use serde_json::json;
use wmill_core::{
    Error, ItemPath, JobId, JobRunner, JobStatus, PollSchedule, RunOptions, WaitOptions,
    WaitStrategy, to_args,
};
use wmill_http::{ServerWait, WaitTuning, Windmill, WindmillBuilder};
use wmill_tests::fake_windmill::{FakeConfig, FakeWindmill, SLEEP};

fn builder(server: &FakeWindmill) -> WindmillBuilder {
    Windmill::builder()
        .with_base_url(server.base_url())
        .with_token(server.token().unwrap())
        .with_workspace(server.workspace())
}

fn sleep_args(ms: u64) -> wmill_core::Args {
    to_args(&json!({ "ms": ms })).unwrap()
}

fn sleep_path() -> ItemPath {
    ItemPath::parse(SLEEP).unwrap()
}

async fn sync_run(server: &FakeWindmill, wm: &Windmill, ms: u64) -> (u64, Duration) {
    server.reset_counts();
    let started = Instant::now();
    let out = wm
        .run_script_by_path(&sleep_path(), sleep_args(ms), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(out, json!(ms));
    (server.total_requests(), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_runs_stay_within_the_request_budget() {
    let server = FakeWindmill::start().await;
    let wm = builder(&server).build().unwrap();
    for (i, ms) in [0, 50, 500, 3_000].into_iter().enumerate() {
        let (requests, took) = sync_run(&server, &wm, ms).await;
        eprintln!(
            "sync run of a {ms} ms job: {requests} requests, overhead {:?}",
            took.saturating_sub(Duration::from_millis(ms))
        );
        assert!(
            requests <= 30,
            "{ms} ms job: {requests} requests {:?}",
            server.counts()
        );
        if i == 0 {
            // A first run: nothing says it ends within the server's bound of run_wait_result.
            assert_eq!(server.count("run/p"), 1);
            assert_eq!(server.count("run_wait_result/p"), 0);
        } else {
            // Known to take far less than half of 600 s: run_wait_result.
            assert_eq!(server.count("run_wait_result/p"), 1);
            assert_eq!(server.count("run/p"), 0, "nothing is started twice");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_runs_stream_at_once_and_poll_only_where_the_stream_is_sparse() {
    // Every run a first run (no history): the start, one event stream, polls between the
    // stream's checks up to 2.5 s (none after), and for a job the stream sees end, one probe
    // for its success flag.
    let server = FakeWindmill::start().await;
    let wm = builder(&server)
        .with_wait_tuning(WaitTuning::default().history(wmill_http::WaitHistory::disabled()))
        .build()
        .unwrap();
    for ms in [0, 50, 3_000] {
        let (requests, _) = sync_run(&server, &wm, ms).await;
        eprintln!("first run of a {ms} ms job: {:?}", server.counts());
        assert_eq!(server.count("run/p"), 1);
        assert_eq!(server.count("run_wait_result/p"), 0);
        assert_eq!(server.count("getupdate_sse"), 1, "{:?}", server.counts());
        let most = match ms {
            // The stream's first check sees it; one probe.
            0 => 3,
            // Polls every 10 ms.
            50 => 8,
            _ => 24,
        };
        assert!(requests <= most, "{ms} ms job: {:?}", server.counts());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_job_auto_polls_then_streams() {
    let server = FakeWindmill::start().await;
    let wm = builder(&server).build().unwrap();
    let id = wm
        .run_script_by_path_async(&sleep_path(), sleep_args(1_500), &RunOptions::new())
        .await
        .unwrap();
    server.reset_counts();
    let out = wm.wait_job(&id, &WaitOptions::new()).await.unwrap();
    assert_eq!(out, json!(1500));
    eprintln!("wait_job(1.5 s): {:?}", server.counts());
    assert_eq!(server.count("getupdate_sse"), 1, "{:?}", server.counts());
    assert!(server.total_requests() <= 40, "{:?}", server.counts());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_strategy_gets_the_result() {
    let server = FakeWindmill::start().await;
    let wm = builder(&server).build().unwrap();
    for strategy in [
        WaitStrategy::Auto,
        WaitStrategy::ServerEvents,
        WaitStrategy::Poll(PollSchedule::default()),
        WaitStrategy::Poll(PollSchedule::fixed(Duration::from_millis(50))),
    ] {
        server.reset_counts();
        let opts = RunOptions::new().wait(WaitOptions::new().strategy(strategy.clone()));
        let out = wm
            .run_script_by_path(&sleep_path(), sleep_args(120), &opts)
            .await
            .unwrap();
        assert_eq!(out, json!(120), "{strategy:?}");
        match strategy {
            // A first run of the script: started, then waited for.
            WaitStrategy::Auto => {
                assert_eq!(server.count("run/p"), 1);
                assert_eq!(server.count("run_wait_result/p"), 0);
            }
            WaitStrategy::ServerEvents => {
                assert_eq!(server.count("run/p"), 1);
                assert_eq!(server.count("getupdate_sse"), 1);
                assert_eq!(
                    server.count("get_result_maybe"),
                    1,
                    "one probe for the success flag"
                );
            }
            _ => {
                assert_eq!(server.count("run/p"), 1);
                assert_eq!(server.count("getupdate_sse"), 0);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_near_the_server_bound_is_never_run_over_run_wait_result() {
    // The server cancels a job still running when run_wait_result reaches its bound: a client
    // told that bound (1 s) never holds the long request for a 900 ms script.
    let server = FakeWindmill::start_with(FakeConfig {
        run_wait_result_timeout: Duration::from_secs(1),
        ..FakeConfig::default()
    })
    .await;
    let wm = builder(&server)
        .with_server_wait_bound(Duration::from_secs(1))
        .build()
        .unwrap();
    for _ in 0..2 {
        let (_, _) = sync_run(&server, &wm, 900).await;
        assert_eq!(
            server.count("run_wait_result/p"),
            0,
            "{:?}",
            server.counts()
        );
        assert_eq!(server.count("run/p"), 1);
    }
    assert_eq!(server.job_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn always_past_the_server_bound_ends_canceled_as_on_the_server() {
    let server = FakeWindmill::start_with(FakeConfig {
        run_wait_result_timeout: Duration::from_millis(400),
        ..FakeConfig::default()
    })
    .await;
    let wm = builder(&server)
        .with_wait_tuning(WaitTuning::default().server_wait(ServerWait::Always))
        .build()
        .unwrap();
    let id = JobId::new_random();
    let e = wm
        .run_script_by_path(
            &sleep_path(),
            sleep_args(900),
            &RunOptions::new().job_id(id),
        )
        .await
        .unwrap_err();
    // The bound answered 500 and canceled the job: the run reads the canceled job.
    assert!(matches!(e, Error::JobFailed { .. }), "{e:?}");
    assert_eq!(
        e.job_error().and_then(|v| v["name"].as_str()),
        Some("Canceled"),
        "{e:?}"
    );
    assert_eq!(server.job_canceled(id.into()), Some(true));
    assert_eq!(server.count("run_wait_result/p"), 1);
    assert_eq!(server.count("run/p"), 0, "nothing is started twice");
    assert_eq!(server.job_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_on_run_wait_result_starts_the_job_once_with_the_same_id() {
    let server = FakeWindmill::start().await;
    server.fail_next("run_wait_result/p", 503, 1, "Service Unavailable");
    let wm = builder(&server).build().unwrap();
    let id = JobId::new_random();
    let out = wm
        .run_script_by_path(&sleep_path(), sleep_args(30), &RunOptions::new().job_id(id))
        .await
        .unwrap();
    assert_eq!(out, json!(30));
    assert_eq!(server.count("run/p"), 1, "{:?}", server.counts());
    assert_eq!(server.job_count(), 1);
    assert!(
        server.job_info(id.into()).is_some(),
        "the caller's id was used"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_timeout_cancels_the_job_and_returns_early() {
    let server = FakeWindmill::start().await;
    let wm = builder(&server).build().unwrap();
    let id = JobId::new_random();
    let started = Instant::now();
    let e = wm
        .run_script_by_path(
            &sleep_path(),
            sleep_args(20_000),
            &RunOptions::new()
                .job_id(id)
                .timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Timeout { job_id: Some(j), .. } if j == id),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(server.job_canceled(id.into()), Some(true));
    assert_eq!(
        wm.get_job_status(&id).await.unwrap(),
        JobStatus::Completed { success: false }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_timeout_without_cancel_keeps_the_job() {
    let server = FakeWindmill::start().await;
    let wm = builder(&server).build().unwrap();
    let id = wm
        .run_script_by_path_async(&sleep_path(), sleep_args(20_000), &RunOptions::new())
        .await
        .unwrap();
    let e = wm
        .wait_job(
            &id,
            &WaitOptions::new()
                .timeout(Duration::from_millis(200))
                .cancel_on_timeout(false),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }));
    assert_eq!(server.job_canceled(id.into()), Some(false));
    assert_eq!(server.count("queue/cancel"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_run_without_cleanup_never_uses_run_wait_result() {
    let server = FakeWindmill::start().await;
    let wm = builder(&server).build().unwrap();
    let out = wm
        .run_script_by_path(
            &sleep_path(),
            sleep_args(10),
            &RunOptions::new().cleanup(false),
        )
        .await
        .unwrap();
    assert_eq!(out, json!(10));
    assert_eq!(server.count("run_wait_result/p"), 0);
    assert_eq!(server.count("run/p"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_schedule_reach_the_server() {
    let server = FakeWindmill::start().await;
    let parent = JobId::new_random();
    let root = JobId::new_random();
    let wm = builder(&server)
        .with_job_id(parent.to_string())
        .with_root_flow_job_id(root.to_string())
        .build()
        .unwrap();
    let id = wm
        .run_script_by_path_async(
            &sleep_path(),
            sleep_args(1),
            &RunOptions::new()
                .tag("gpu")
                .scheduled_in(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    let info = server.job_info(id.into()).unwrap();
    assert_eq!(info["args"], json!({"ms": 1}), "links are not args");
    assert_eq!(info["tag"], "gpu");
    assert_eq!(info["parent_job"], parent.to_string());
    assert_eq!(info["root_job"], root.to_string());
    assert_eq!(info["scheduled_in_ms"], 1000);
    assert_eq!(wm.get_job_status(&id).await.unwrap(), JobStatus::Waiting);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_unauthorized() {
    let server = FakeWindmill::start().await;
    let wm = Windmill::builder()
        .with_base_url(server.base_url())
        .with_token("wrong")
        .with_workspace(server.workspace())
        .build()
        .unwrap();
    let e = wm.version().await.unwrap_err();
    assert!(
        matches!(e, Error::Unauthorized { status: 401, .. }),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helpers_against_the_fake_server() {
    let server = FakeWindmill::start().await;
    let base = builder(&server).build().unwrap();
    let flow = base
        .run_flow_async(
            &ItemPath::parse(wmill_tests::fake_windmill::ECHO_FLOW).unwrap(),
            Default::default(),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    let child = base
        .run_script_by_path_async(
            &sleep_path(),
            sleep_args(5_000),
            &RunOptions::new().parent_job(flow).root_job(flow),
        )
        .await
        .unwrap();
    // Inside the child job.
    let wm = builder(&server)
        .with_job_id(child.to_string())
        .build()
        .unwrap();
    assert_eq!(wm.get_root_job_id(None).await.unwrap(), flow);
    wm.set_flow_user_state("k", &json!({"a": 1})).await.unwrap();
    assert_eq!(
        wm.get_flow_user_state("k").await.unwrap(),
        Some(json!({"a": 1}))
    );
    assert_eq!(wm.get_flow_user_state("other").await.unwrap(), None);
    wm.set_progress(40, None).await.unwrap();
    wm.set_progress(20, None).await.unwrap();
    assert_eq!(
        wm.get_progress(None).await.unwrap(),
        Some(40),
        "progress never decreases"
    );
    assert!(!wm.worker_is_draining(None).await.unwrap());
    let urls = wm.get_resume_urls(Some("bob"), false).await.unwrap();
    assert!(urls.resume.contains(&child.to_string()) && urls.resume.contains("approver=bob"));
    wm.get_approval_urls("approval", None).await.unwrap();
    assert_eq!(wm.version().await.unwrap(), "v1.fake-windmill");
    assert_eq!(wm.whoami().await.unwrap()["username"], "fake");
    assert_eq!(wm.workspace_whoami().await.unwrap()["username"], "fake");
    assert!(
        wm.get_id_token("aud", Some(Duration::from_secs(60)))
            .await
            .unwrap()
            .starts_with("eyJ")
    );
    assert!(
        wm.create_token(Duration::from_secs(3600))
            .await
            .unwrap()
            .starts_with("tok_")
    );
    let job = wm.get_job_raw(&child, false).await.unwrap();
    assert_eq!(job["type"], "QueuedJob");
    wm.force_cancel_job(&child, None).await.unwrap();
    assert!(matches!(
        wm.wait_job(&child, &WaitOptions::new()).await,
        Err(Error::JobFailed { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_sync_run_breaks_run_wait_result_and_the_server_cancels() {
    let server = FakeWindmill::start().await;
    let wm = builder(&server).build().unwrap();
    let id = JobId::new_random();
    let (path, opts) = (sleep_path(), RunOptions::new().job_id(id));
    let run = wm.run_script_by_path(&path, sleep_args(10_000), &opts);
    assert!(
        tokio::time::timeout(Duration::from_millis(400), run)
            .await
            .is_err()
    );
    let deadline = Instant::now() + Duration::from_secs(3);
    while server.job_canceled(id.into()) != Some(true) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.job_canceled(id.into()), Some(true));
    // The broken connection cancels the job on the server's side, and the client's
    // `cancel_on_drop` sends its own cancel as well (whichever comes second is a no-op).
    let deadline = Instant::now() + Duration::from_secs(3);
    while server.count("queue/cancel") == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.count("queue/cancel"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_sync_runs_poll_around_the_learned_end() {
    // The fake server's jobs end on their own clock and run_wait_result answers only at its
    // 50 ms checks: a repeated run that still costs few requests found the end by itself.
    let server = FakeWindmill::start().await;
    let wm = builder(&server).build().unwrap();
    let (first, _) = sync_run(&server, &wm, 200).await;
    assert!(first >= 8, "a first run polls from the start: {first}");
    for clone in [wm.clone(), wm.clone(), wm] {
        let (requests, took) = sync_run(&server, &clone, 200).await;
        eprintln!(
            "repeated 200 ms run: {requests} requests (first: {first}), overhead {:?}",
            took.saturating_sub(Duration::from_millis(200))
        );
        assert!(requests <= 6, "{requests} requests {:?}", server.counts());
        assert_eq!(server.count("run_wait_result/p"), 1);
    }
}
