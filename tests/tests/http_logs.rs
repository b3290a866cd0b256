//! Job logs of `Windmill` against the fake server, whose jobs write their logs on its own clock
//! and whose event streams follow the real schedules: request budgets, each character
//! downloaded once, reconnects, forwarding while waiting. (Speed is measured by the benchmark.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{Value, json};
use wmill_core::{
    ItemPath, JobId, JobRunner, JobRunnerExt, LogChunk, LogForward, RunOptions, WaitOptions,
    to_args,
};
use wmill_http::{ServerWait, WaitTuning, Windmill, WindmillBuilder};
use wmill_tests::fake_windmill::{ECHO, ECHO_FLOW, FakeConfig, FakeWindmill, SLEEP};

fn builder(server: &FakeWindmill) -> WindmillBuilder {
    Windmill::builder()
        .with_base_url(server.base_url())
        .with_token(server.token().unwrap())
        .with_workspace(server.workspace())
}

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

async fn start(wm: &Windmill, args: Value) -> JobId {
    wm.run_script_by_path_async(&p(SLEEP), to_args(&args).unwrap(), &RunOptions::new())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_log_is_followed_on_one_stream_and_downloaded_once() {
    let server = FakeWindmill::start().await;
    let wm = builder(&server).build().unwrap();
    let id = start(&wm, json!({"ms": 1_500, "log_bytes": 200_000})).await;
    server.reset_counts();
    let chunks: Vec<LogChunk> = wm.job_logs(&id).try_collect().await.unwrap();
    let text: String = chunks.iter().map(|c| c.text.as_str()).collect();
    let expected = server.job_log(id.into()).unwrap();
    assert_eq!(text, expected);
    assert!(chunks.len() > 5, "{} chunks", chunks.len());
    assert!(chunks.iter().all(|c| c.skipped == 0));
    assert_eq!(
        chunks.last().unwrap().next_offset,
        expected.chars().count() as u64 + 1
    );
    // Every character once, on one request.
    assert_eq!(
        server.log_served(id.into()),
        (expected.chars().count() as u64, expected.len() as u64)
    );
    assert_eq!(server.total_requests(), 1, "{:?}", server.counts());
    // The whole log, read at once, is the same text.
    assert_eq!(wm.get_job_logs(&id).await.unwrap(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_the_server_ends_are_resumed_without_a_second_download() {
    // Streams that the server ends after 300 ms (the real one: 60 s).
    let server = FakeWindmill::start_with(FakeConfig {
        sse_timeout: Duration::from_millis(300),
        ..FakeConfig::default()
    })
    .await;
    let wm = builder(&server).build().unwrap();
    let id = start(&wm, json!({"ms": 1_200, "log_bytes": 50_000})).await;
    server.reset_counts();
    let text: String = wm
        .job_logs(&id)
        .map_ok(|c| c.text)
        .try_collect()
        .await
        .unwrap();
    let expected = server.job_log(id.into()).unwrap();
    assert_eq!(text, expected);
    let streams = server.count("getupdate_sse");
    assert!((3..=8).contains(&streams), "{:?}", server.counts());
    assert_eq!(server.total_requests(), streams, "{:?}", server.counts());
    assert_eq!(server.log_served(id.into()).1, expected.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_written_before_following_is_read_from_the_offset() {
    let server = FakeWindmill::start().await;
    let wm = builder(&server).build().unwrap();
    let lines = ["un → 1", "deux ✓", "trois"];
    let id = start(&wm, json!({"ms": 0, "log_lines": lines})).await;
    let first = wm.get_log_update(&id, 0).await.unwrap();
    assert!(first.completed);
    assert_eq!(first.new_logs, "un → 1\ndeux ✓\ntrois\n");
    // From the end of the first line (7 characters, 9 bytes): the rest only.
    let rest: Vec<LogChunk> = wm.job_logs_from(&id, 8).try_collect().await.unwrap();
    assert_eq!(rest, [LogChunk::new("deux ✓\ntrois\n", first.next_offset)]);
}

async fn forwarded_run(wm: &Windmill, lines: &[&str], ms: u64) -> (Value, Vec<String>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = seen.clone();
    let options =
        RunOptions::new().wait(WaitOptions::new().logs(LogForward::callback(move |_, l| {
            out.lock().unwrap().push(l.to_owned())
        })));
    let v = wm
        .run_script_by_path(
            &p(SLEEP),
            to_args(&json!({"ms": ms, "log_lines": lines})).unwrap(),
            &options,
        )
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    (v, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synchronous_runs_forward_their_log_on_every_wait_path() {
    let server = FakeWindmill::start().await;
    let lines: Vec<String> = (0..20).map(|i| format!("étape {i}")).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    // run_wait_result (from the first run), the log followed next to it.
    let direct = builder(&server)
        .with_wait_tuning(WaitTuning::default().server_wait(ServerWait::Always))
        .build()
        .unwrap();
    for ms in [0, 700] {
        server.reset_counts();
        let (v, seen) = forwarded_run(&direct, &lines, ms).await;
        assert_eq!(v, json!(ms));
        assert_eq!(seen, lines, "{ms} ms job");
        assert_eq!(server.count("run_wait_result/p"), 1);
        assert!(server.total_requests() <= 40, "{:?}", server.counts());
    }
    // Not a direct connection: start, then wait_job.
    let remote = builder(&server)
        .with_wait_tuning(WaitTuning::default().server_wait(ServerWait::Never))
        .build()
        .unwrap();
    for ms in [0, 700] {
        server.reset_counts();
        let (v, seen) = forwarded_run(&remote, &lines, ms).await;
        assert_eq!(v, json!(ms));
        assert_eq!(seen, lines, "{ms} ms job");
        assert_eq!(server.count("run/p"), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_run_forwards_what_was_written() {
    let server = FakeWindmill::start().await;
    let wm = builder(&server).build().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = seen.clone();
    let options =
        RunOptions::new().wait(WaitOptions::new().timeout(Duration::from_millis(600)).logs(
            LogForward::callback(move |_, l| out.lock().unwrap().push(l.to_owned())),
        ));
    let lines: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
    let e = wm
        .run_script_by_path(
            &p(SLEEP),
            to_args(&json!({"ms": 5_000, "log_lines": lines})).unwrap(),
            &options,
        )
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    let seen = seen.lock().unwrap().clone();
    // About 600 ms of a 5 s job: ~12 lines, in order, none twice.
    assert!((5..40).contains(&seen.len()), "{}", seen.len());
    assert_eq!(seen, lines[..seen.len()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_logs_gather_the_steps() {
    let server = FakeWindmill::start().await;
    let wm = builder(&server).build().unwrap();
    let flow = wm
        .run_flow_async(
            &p(ECHO_FLOW),
            to_args(&json!({"log_lines": ["flow"]})).unwrap(),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    let step = wm
        .run_script_by_path_async(
            &p(ECHO),
            to_args(&json!({"log_lines": ["step"]})).unwrap(),
            &RunOptions::new().parent_job(flow),
        )
        .await
        .unwrap();
    let all = wm.get_flow_all_logs(&flow).await.unwrap();
    assert_eq!(
        all,
        format!(
            "\n=== Flow (Job: {flow}) ===\nflow\n\n\n=== Step {ECHO} (Job: {step}) ===\nstep\n\n"
        )
    );
}
