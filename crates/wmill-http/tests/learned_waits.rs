//! Synchronous runs that learn from earlier runs of the same script (`WaitHistory`): a repeated
//! run polls around its expected end, an overrun falls back to the first run's schedule, a
//! queued job moves the expected end, and the history is bounded, shared by clones and can be
//! turned off.
//!
//! The mock server below keeps a clock per job as the real server does: a job starts
//! `queue_ms` after its start request reached the server and completes `ms` later;
//! `run_wait_result` answers at its 50 ms checks, the event stream at its 100 ms checks. The
//! tests count requests (`received_requests`); they never assert on elapsed time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::*;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, Request, Respond, ResponseTemplate};
use wmill_core::{
    Error, ItemPath, JobId, JobRunner, PollSchedule, RunOptions, WaitOptions, WaitStrategy, to_args,
};
use wmill_http::{ServerWait, WaitHistory, WaitTuning, Windmill};

/// One job of the mock server.
#[derive(Debug, Clone, Copy)]
struct SimJob {
    created: Instant,
    queue: Duration,
    run: Duration,
    fail: bool,
    ms: u64,
}

impl SimJob {
    fn starts(&self) -> Instant {
        self.created + self.queue
    }

    fn ends(&self) -> Instant {
        self.starts() + self.run
    }

    fn result(&self) -> Value {
        if self.fail {
            json!({"error": {"name": "Error", "message": "boom"}})
        } else {
            json!(self.ms)
        }
    }

    /// The delay of an answer sent at the first check (every `tick` from `from`) at or after
    /// the job's end.
    fn delay_to_tick(&self, from: Instant, tick: Duration) -> Duration {
        let to_end = self.ends().saturating_duration_since(from);
        let ticks = to_end.as_nanos().div_ceil(tick.as_nanos()).max(1);
        tick * u32::try_from(ticks).unwrap()
    }
}

/// A job clock shared by the responders.
#[derive(Debug, Clone, Default)]
struct Sim {
    jobs: Arc<Mutex<HashMap<String, SimJob>>>,
}

impl Sim {
    fn create(&self, id: &str, req: &Request) -> SimJob {
        let args: Value = serde_json::from_slice(&req.body).unwrap_or(json!({}));
        let ms = args["ms"].as_u64().unwrap_or(0);
        let job = SimJob {
            created: Instant::now(),
            queue: Duration::from_millis(args["queue_ms"].as_u64().unwrap_or(0)),
            run: Duration::from_millis(ms),
            fail: args["fail"].as_bool().unwrap_or(false),
            ms,
        };
        self.jobs.lock().unwrap().insert(id.to_owned(), job);
        job
    }

    fn get(&self, id: &str) -> Option<SimJob> {
        self.jobs.lock().unwrap().get(id).copied()
    }
}

fn last_segment(req: &Request) -> String {
    req.url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default()
        .to_owned()
}

/// `POST jobs/run/p/..`: 201 and the new job's id as text.
struct Start(Sim);
impl Respond for Start {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let id = JobId::new_random().to_string();
        self.0.create(&id, req);
        text(201, &id)
    }
}

/// `POST jobs/run_wait_result/p/..?job_id=..`: the result at the first 50 ms check after the
/// job's end (422 with the error for a failure).
struct RunWaitResult(Sim);
impl Respond for RunWaitResult {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let id = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "job_id")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let job = self.0.create(&id, req);
        let delay = job.delay_to_tick(job.created, Duration::from_millis(50));
        json(if job.fail { 422 } else { 200 }, job.result()).set_delay(delay)
    }
}

/// `GET jobs_u/completed/get_result_maybe/{id}?get_started=true`, from the job's clock.
struct ResultMaybe(Sim);
impl Respond for ResultMaybe {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let id = last_segment(req);
        let Some(job) = self.0.get(&id) else {
            return text(404, &format!("Not found: Job not found at name {id}"));
        };
        let now = Instant::now();
        if now >= job.ends() {
            completed(!job.fail, job.result())
        } else {
            json(
                200,
                json!({"started": now >= job.starts(), "success": null, "completed": false, "result": null}),
            )
        }
    }
}

/// `GET jobs_u/getupdate_sse/{id}`: the completed update at the first 100 ms check after the
/// job's end.
struct Events(Sim);
impl Respond for Events {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let id = last_segment(req);
        let Some(job) = self.0.get(&id) else {
            return sse(&[json!({"type": "notfound"})]);
        };
        let delay = job.delay_to_tick(Instant::now(), Duration::from_millis(100));
        sse(&[json!({
            "type": "update", "completed": true,
            "job": {"type": "CompletedJob", "success": !job.fail, "result": job.result()}
        })])
        .set_delay(delay)
    }
}

fn sse(events: &[Value]) -> ResponseTemplate {
    let body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    ResponseTemplate::new(200)
        .insert_header("cache-control", "no-cache")
        .set_body_raw(body.into_bytes(), "text/event-stream")
}

const SCRIPT: &str = "f/jobs/sleep";

/// A mock server running jobs on their own clock.
async fn job_server() -> wiremock::MockServer {
    let server = server().await;
    let sim = Sim::default();
    call("POST", &format!("/api/w/{WS}/jobs/run/p/{SCRIPT}"))
        .respond_with(Start(sim.clone()))
        .mount(&server)
        .await;
    call("POST", &format!("/api/w/{WS}/jobs/run/p/f/jobs/other"))
        .respond_with(Start(sim.clone()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(format!(
            "^/api/w/{WS}/jobs/run_wait_result/p/f/jobs/(sleep|other)$"
        )))
        .respond_with(RunWaitResult(sim.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(format!(
            "^/api/w/{WS}/jobs_u/completed/get_result_maybe/[0-9a-f-]+$"
        )))
        .and(exact_query(&[("get_started", "true")]))
        .respond_with(ResultMaybe(sim.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(format!(
            "^/api/w/{WS}/jobs_u/getupdate_sse/[0-9a-f-]+$"
        )))
        .respond_with(Events(sim))
        .mount(&server)
        .await;
    server
}

/// A client that never holds `run_wait_result` (it starts with `run/p` and polls).
fn remote(server: &wiremock::MockServer) -> Windmill {
    builder(server)
        .with_wait_tuning(WaitTuning::default().server_wait(ServerWait::Never))
        .build()
        .unwrap()
}

/// What one synchronous run cost.
#[derive(Debug)]
struct Cost {
    polls: usize,
    streams: usize,
    requests: usize,
}

async fn counts(server: &wiremock::MockServer) -> (usize, usize, usize) {
    let all = server.received_requests().await.unwrap();
    let polls = all
        .iter()
        .filter(|r| r.url.path().contains("get_result_maybe"))
        .count();
    let streams = all
        .iter()
        .filter(|r| r.url.path().contains("getupdate_sse"))
        .count();
    (polls, streams, all.len())
}

/// Runs `script` synchronously with these args; returns its outcome and what it cost.
async fn run_with(
    server: &wiremock::MockServer,
    wm: &Windmill,
    script: &str,
    args: Value,
    options: &RunOptions,
) -> (Result<Value, Error>, Cost) {
    let before = counts(server).await;
    let out = wm
        .run_script_by_path(
            &ItemPath::parse(script).unwrap(),
            to_args(&args).unwrap(),
            options,
        )
        .await;
    let after = counts(server).await;
    let cost = Cost {
        polls: after.0 - before.0,
        streams: after.1 - before.1,
        requests: after.2 - before.2,
    };
    eprintln!("{script} {args}: {cost:?}");
    (out, cost)
}

/// Runs the sleeping script for `ms` and checks its result.
async fn run(server: &wiremock::MockServer, wm: &Windmill, ms: u64) -> Cost {
    let (out, cost) = run_with(server, wm, SCRIPT, json!({"ms": ms}), &RunOptions::new()).await;
    assert_eq!(out.unwrap(), json!(ms), "{cost:?}");
    cost
}

#[tokio::test]
async fn a_second_run_of_the_same_script_polls_only_around_its_expected_end() {
    let server = job_server().await;
    let wm = remote(&server);
    let first = run(&server, &wm, 200).await;
    // A first run keeps the adaptive schedule: dense polls from the start.
    assert!(first.polls >= 8, "{first:?}");
    // Later runs, from clones too (they share the history): a few polls near the end.
    for clone in [wm.clone(), wm.clone(), wm] {
        let again = run(&server, &clone, 200).await;
        assert!(again.polls <= 5, "{again:?} after {first:?}");
        assert!(again.polls < first.polls / 2, "{again:?} after {first:?}");
        assert_eq!(again.requests, again.polls + 1, "the start and the polls");
        assert_eq!(again.streams, 0);
    }
}

/// How many requests the server received on `route` (`run/p`, `run_wait_result/p`) for
/// `script`.
async fn starts(server: &wiremock::MockServer, route: &str, script: &str) -> usize {
    received(server, &format!("/api/w/{WS}/jobs/{route}/{script}"))
        .await
        .len()
}

#[tokio::test]
async fn a_first_run_starts_with_run_and_a_known_short_script_holds_run_wait_result() {
    let server = job_server().await;
    // A loopback URL is a direct connection, and ServerWait::Direct is the default.
    let wm = client(&server);
    // A first run: nothing says it ends within the server's bound of run_wait_result (which
    // would cancel it), so it starts with run/p and polls.
    let first = run(&server, &wm, 200).await;
    assert!(first.polls >= 8, "{first:?}");
    assert_eq!(starts(&server, "run/p", SCRIPT).await, 1);
    assert_eq!(starts(&server, "run_wait_result/p", SCRIPT).await, 0);
    // 200 ms is far below half of 600 s: the next run holds run_wait_result, and races it
    // with polls around the expected end.
    let again = run(&server, &wm, 200).await;
    assert!(again.polls <= 5, "{again:?} after {first:?}");
    assert!(again.polls < first.polls / 2, "{again:?} after {first:?}");
    assert_eq!(
        starts(&server, "run/p", SCRIPT).await,
        1,
        "one start per run"
    );
    assert_eq!(starts(&server, "run_wait_result/p", SCRIPT).await, 1);
    assert_eq!(
        again.requests,
        again.polls + 1,
        "the long request and the polls"
    );
}

#[tokio::test]
async fn a_script_whose_runs_take_half_the_server_bound_never_holds_run_wait_result() {
    let server = job_server().await;
    // A server whose TIMEOUT_WAIT_RESULT is 1 s: runs of 600 ms are too close to it.
    let wm = builder(&server)
        .with_server_wait_bound(Duration::from_secs(1))
        .build()
        .unwrap();
    for _ in 0..3 {
        run(&server, &wm, 600).await;
    }
    assert_eq!(starts(&server, "run/p", SCRIPT).await, 3);
    assert_eq!(starts(&server, "run_wait_result/p", SCRIPT).await, 0);
    // A short script on the same client does, once known.
    let other = "f/jobs/other";
    for _ in 0..2 {
        let (out, _) = run_with(&server, &wm, other, json!({"ms": 20}), &RunOptions::new()).await;
        assert_eq!(out.unwrap(), json!(20));
    }
    assert_eq!(starts(&server, "run/p", other).await, 1);
    assert_eq!(starts(&server, "run_wait_result/p", other).await, 1);
    // One slow run in the recent ones is enough to stop holding it.
    let (out, _) = run_with(&server, &wm, other, json!({"ms": 600}), &RunOptions::new()).await;
    assert_eq!(out.unwrap(), json!(600));
    let (out, _) = run_with(&server, &wm, other, json!({"ms": 20}), &RunOptions::new()).await;
    assert_eq!(out.unwrap(), json!(20));
    assert_eq!(
        starts(&server, "run/p", other).await,
        2,
        "the run after the slow one"
    );
    assert_eq!(starts(&server, "run_wait_result/p", other).await, 2);
}

#[tokio::test]
async fn always_holds_run_wait_result_from_the_first_run_and_never_never() {
    let server = job_server().await;
    let always = builder(&server)
        .with_wait_tuning(WaitTuning::default().server_wait(ServerWait::Always))
        .build()
        .unwrap();
    run(&server, &always, 50).await;
    assert_eq!(starts(&server, "run_wait_result/p", SCRIPT).await, 1);
    assert_eq!(starts(&server, "run/p", SCRIPT).await, 0);
    let never = remote(&server);
    run(&server, &never, 50).await;
    run(&server, &never, 50).await;
    assert_eq!(starts(&server, "run_wait_result/p", SCRIPT).await, 1);
    assert_eq!(starts(&server, "run/p", SCRIPT).await, 2);
}

#[tokio::test]
async fn without_history_a_direct_client_never_holds_run_wait_result() {
    let server = job_server().await;
    let wm = builder(&server)
        .with_wait_tuning(WaitTuning::default().history(WaitHistory::disabled()))
        .build()
        .unwrap();
    run(&server, &wm, 20).await;
    run(&server, &wm, 20).await;
    assert_eq!(starts(&server, "run_wait_result/p", SCRIPT).await, 0);
    assert_eq!(starts(&server, "run/p", SCRIPT).await, 2);
}

#[tokio::test]
async fn an_overrun_falls_back_to_the_first_runs_schedule() {
    let server = job_server().await;
    let wm = remote(&server);
    run(&server, &wm, 50).await;
    let steady = run(&server, &wm, 50).await;
    // The same script now runs for 150 ms: past the expected end (50 ms + 5 ms), the
    // adaptive schedule takes over and finds the job within the poll window.
    let over = run(&server, &wm, 150).await;
    assert!(over.polls > steady.polls, "{over:?} vs {steady:?}");
    assert!(over.polls <= 30, "{over:?}");
    assert_eq!(over.streams, 0, "{over:?}");
    // 900 ms: past the poll window too, the event stream takes over as for a first run.
    let long = run(&server, &wm, 900).await;
    assert_eq!(long.streams, 1, "{long:?}");
    assert!(long.polls <= 30, "{long:?}");
}

#[tokio::test]
async fn a_queued_job_moves_the_expected_end() {
    let server = job_server().await;
    let wm = remote(&server);
    run(&server, &wm, 100).await;
    run(&server, &wm, 100).await;
    // This time the job waits 250 ms in the queue before its 100 ms run: the poll near the
    // usual end sees it queued, and the next ones follow its run time from then.
    let (out, queued) = run_with(
        &server,
        &wm,
        SCRIPT,
        json!({"ms": 100, "queue_ms": 250}),
        &RunOptions::new(),
    )
    .await;
    assert_eq!(out.unwrap(), json!(100));
    assert_eq!(queued.streams, 0, "{queued:?}");
    assert!(queued.polls <= 14, "{queued:?}");
    // The queue time did not become the script's expected duration.
    let next = run(&server, &wm, 100).await;
    assert!(next.polls <= 5, "{next:?}");
}

#[tokio::test]
async fn failed_runs_are_not_remembered() {
    let server = job_server().await;
    let wm = remote(&server);
    let (out, _) = run_with(
        &server,
        &wm,
        SCRIPT,
        json!({"ms": 5, "fail": true}),
        &RunOptions::new(),
    )
    .await;
    assert!(matches!(out, Err(Error::JobFailed { .. })), "{out:?}");
    // Nothing learned: the next run is a first run.
    let first = run(&server, &wm, 200).await;
    assert!(first.polls >= 8, "{first:?}");
}

#[tokio::test]
async fn without_history_every_run_is_scheduled_from_zero() {
    let server = job_server().await;
    let wm = builder(&server)
        .with_wait_tuning(
            WaitTuning::default()
                .server_wait(ServerWait::Never)
                .history(WaitHistory::disabled()),
        )
        .build()
        .unwrap();
    run(&server, &wm, 200).await;
    let again = run(&server, &wm, 200).await;
    assert!(again.polls >= 8, "{again:?}");
    // Capacity 0 is off too.
    let wm = builder(&server)
        .with_wait_tuning(
            WaitTuning::default()
                .server_wait(ServerWait::Never)
                .history(WaitHistory::default().capacity(0)),
        )
        .build()
        .unwrap();
    run(&server, &wm, 200).await;
    let again = run(&server, &wm, 200).await;
    assert!(again.polls >= 8, "{again:?}");
}

#[tokio::test]
async fn explicit_strategies_do_not_use_the_history() {
    let server = job_server().await;
    let wm = remote(&server);
    run(&server, &wm, 200).await;
    run(&server, &wm, 200).await;
    let poll = RunOptions::new().wait(WaitOptions::new().strategy(WaitStrategy::Poll(
        PollSchedule::fixed(Duration::from_millis(20)),
    )));
    let (out, cost) = run_with(&server, &wm, SCRIPT, json!({"ms": 200}), &poll).await;
    assert_eq!(out.unwrap(), json!(200));
    // Every 20 ms from the start: about ten polls, not the learned two or three.
    assert!(cost.polls >= 7, "{cost:?}");
}

#[tokio::test]
async fn the_history_holds_at_most_its_capacity() {
    let server = job_server().await;
    let wm = builder(&server)
        .with_wait_tuning(
            WaitTuning::default()
                .server_wait(ServerWait::Never)
                .history(WaitHistory::default().capacity(1)),
        )
        .build()
        .unwrap();
    run(&server, &wm, 200).await;
    assert!(run(&server, &wm, 200).await.polls <= 5);
    // Another script takes the only place: the first one is forgotten.
    let (out, _) = run_with(
        &server,
        &wm,
        "f/jobs/other",
        json!({"ms": 20}),
        &RunOptions::new(),
    )
    .await;
    assert_eq!(out.unwrap(), json!(20));
    let forgotten = run(&server, &wm, 200).await;
    assert!(forgotten.polls >= 8, "{forgotten:?}");
}

/// Starts the sleeping script for `ms` without waiting, then waits on its id; returns what the
/// wait cost.
async fn start_then_wait(
    server: &wiremock::MockServer,
    starter: &Windmill,
    waiter: &Windmill,
    ms: u64,
) -> Cost {
    let id = starter
        .run_script_by_path_async(
            &ItemPath::parse(SCRIPT).unwrap(),
            to_args(&json!({"ms": ms})).unwrap(),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    let before = counts(server).await;
    let out = waiter.wait_job(&id, &WaitOptions::new()).await;
    let after = counts(server).await;
    let cost = Cost {
        polls: after.0 - before.0,
        streams: after.1 - before.1,
        requests: after.2 - before.2,
    };
    eprintln!("wait_job {ms} ms: {cost:?}");
    assert_eq!(out.unwrap(), json!(ms), "{cost:?}");
    cost
}

#[tokio::test]
async fn a_wait_on_a_job_this_client_started_learns_and_follows_its_script() {
    let server = job_server().await;
    let wm = remote(&server);
    let first = start_then_wait(&server, &wm, &wm, 200).await;
    assert!(first.polls >= 8, "{first:?}");
    // The client knew what it started: the next wait polls around the expected end, without
    // a request more than the polls.
    let again = start_then_wait(&server, &wm, &wm, 200).await;
    assert!(again.polls <= 5, "{again:?} after {first:?}");
    assert_eq!(again.requests, again.polls);
    // Synchronous runs of the script share what the waits learned, and the other way round.
    let sync = run(&server, &wm, 200).await;
    assert!(sync.polls <= 5, "{sync:?}");
    // A handle started by StartJobs is a start like the others.
    use wmill_core::StartJobs;
    let handle = wm
        .start_script_by_path(
            &ItemPath::parse(SCRIPT).unwrap(),
            &json!({"ms": 200}),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    let before = counts(&server).await;
    assert_eq!(handle.wait(&WaitOptions::new()).await.unwrap(), json!(200));
    let polls = counts(&server).await.0 - before.0;
    assert!(polls <= 5, "{polls} polls");
}

#[tokio::test]
async fn a_wait_on_a_job_started_elsewhere_is_a_first_run_and_learns_nothing() {
    let server = job_server().await;
    let starter = remote(&server);
    let waiter = remote(&server);
    for _ in 0..2 {
        let cost = start_then_wait(&server, &starter, &waiter, 200).await;
        assert!(cost.polls >= 8, "{cost:?}");
    }
    // Neither client learned: the waiter did not know the script, the starter never waited.
    let first = run(&server, &starter, 200).await;
    assert!(first.polls >= 8, "{first:?}");
}

#[tokio::test]
async fn a_late_wait_on_a_completed_job_does_not_teach_a_longer_duration() {
    let server = job_server().await;
    let wm = remote(&server);
    let id = wm
        .run_script_by_path_async(
            &ItemPath::parse(SCRIPT).unwrap(),
            to_args(&json!({"ms": 20})).unwrap(),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    // Waited for 400 ms after its end: the job is found completed at once.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        wm.wait_job(&id, &WaitOptions::new()).await.unwrap(),
        json!(20)
    );
    // Nothing learned: a 200 ms run is a first run (dense polls from its start), not one
    // expected to end at 420 ms.
    let first = run(&server, &wm, 200).await;
    assert!(first.polls >= 8, "{first:?}");
}
