//! Job logs over HTTP, every request asserted: method, path, query (the log offsets), the auth
//! header; answers shaped like the server's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::{Arc, Mutex};

use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use support::*;
use wiremock::ResponseTemplate;
use wmill_core::{
    Error, ItemKind, JobId, JobRunner, JobRunnerExt, LogChunk, LogForward, PollSchedule,
    WaitOptions, WaitStrategy,
};

const ID: &str = "11111111-2222-4333-8444-555555555555";

fn id() -> JobId {
    JobId::parse(ID).unwrap()
}

fn path(what: &str) -> String {
    format!("/api/w/ws/jobs_u/{what}/{ID}")
}

/// An event stream body, as the server writes it (`data: <json>\n\n` per event).
fn events(events: &[Value]) -> ResponseTemplate {
    raw_events(
        &events
            .iter()
            .map(|e| format!("data: {e}\n\n"))
            .collect::<String>(),
    )
}

fn raw_events(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("cache-control", "no-cache")
        .insert_header("x-accel-buffering", "no")
        .set_body_raw(body.as_bytes().to_vec(), "text/event-stream")
}

fn chars(s: &str) -> u64 {
    s.chars().count() as u64
}

/// The completed job the last update carries (without logs, as the server sends it).
fn completed_job() -> Value {
    json!({"type": "CompletedJob", "id": ID, "success": true, "result": 1, "workspace_id": "ws"})
}

// ---------------------------------------------------------------- get_job_logs

#[tokio::test]
async fn get_job_logs_asks_for_the_log_without_the_ansi_hint() {
    let server = server().await;
    let log = "démarrage → ok\n\x1b[32mgreen\x1b[0m\n";
    call("GET", &path("get_logs"))
        .and(exact_query(&[("remove_ansi_warnings", "true")]))
        .respond_with(text(200, log))
        .expect(1)
        .mount(&server)
        .await;
    let got = client(&server).get_job_logs(&id()).await.unwrap();
    assert_eq!(got, log, "colour codes the job printed are kept");
}

#[tokio::test]
async fn a_hint_line_sent_anyway_is_dropped() {
    let server = server().await;
    call("GET", &path("get_logs"))
        .and(exact_query(&[("remove_ansi_warnings", "true")]))
        .respond_with(text(
            200,
            "to remove ansi colors, use: | sed 's/\\x1B\\[[0-9;]\\{1,\\}[A-Za-z]//g'\nline 1\n",
        ))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        client(&server).get_job_logs(&id()).await.unwrap(),
        "line 1\n"
    );
}

#[tokio::test]
async fn missing_logs_and_failures_are_typed() {
    let server = server().await;
    call("GET", &path("get_logs"))
        .respond_with(text(
            404,
            &format!("Not found: Job Logs not found at name {ID}"),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let e = client(&server).get_job_logs(&id()).await.unwrap_err();
    assert!(
        matches!(&e, Error::NotFound { kind: ItemKind::Job, path } if path == ID),
        "{e:?}"
    );
    server.reset().await;
    call("GET", &path("get_logs"))
        .respond_with(text(
            400,
            "Bad request: As a non logged in user, you can only see jobs ran by anonymous users",
        ))
        .mount(&server)
        .await;
    let e = client(&server).get_job_logs(&id()).await.unwrap_err();
    assert_eq!(e.status(), Some(400), "{e:?}");
    assert!(e.to_string().contains("anonymous users"), "{e}");
    assert!(!e.to_string().contains(TOKEN));
}

#[tokio::test]
async fn flow_logs_are_the_servers_text() {
    let server = server().await;
    let body = format!(
        "\n=== Flow (Job: {ID}) ===\n\n\n=== Step a (Job: {OTHER}) ===\nbonjour\n\n",
        OTHER = JOB
    );
    call("GET", &path("get_flow_all_logs"))
        .and(exact_query(&[]))
        .respond_with(text(200, &body))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        client(&server).get_flow_all_logs(&id()).await.unwrap(),
        body
    );
    server.reset().await;
    call("GET", &path("get_flow_all_logs"))
        .respond_with(text(404, &format!("Not found: Job not found at name {ID}")))
        .mount(&server)
        .await;
    assert!(
        client(&server)
            .get_flow_all_logs(&id())
            .await
            .unwrap_err()
            .is_not_found()
    );
}

// ---------------------------------------------------------------- getupdate

#[tokio::test]
async fn incremental_reads_send_back_the_servers_character_offsets() {
    let server = server().await;
    let first = "été → 1\n"; // 8 characters, 12 bytes
    call("GET", &path("getupdate"))
        .and(exact_query(&[("log_offset", "0")]))
        .respond_with(json(
            200,
            json!({"running": null, "completed": false, "new_logs": first, "log_offset": chars(first) + 1, "mem_peak": null}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // The next read starts at character 9: bytes + 1 would be 13.
    call("GET", &path("getupdate"))
        .and(exact_query(&[("log_offset", "9")]))
        .respond_with(json(
            200,
            json!({"running": false, "completed": true, "new_logs": "fin", "log_offset": 12}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    let u = wm.get_log_update(&id(), 0).await.unwrap();
    assert_eq!(
        (u.new_logs.as_str(), u.next_offset, u.completed),
        (first, 9, false)
    );
    let u = wm.get_log_update(&id(), u.next_offset).await.unwrap();
    assert_eq!(
        (u.new_logs.as_str(), u.next_offset, u.completed),
        ("fin", 12, true)
    );
}

#[tokio::test]
async fn a_job_without_a_log_yet_keeps_the_offset() {
    let server = server().await;
    call("GET", &path("getupdate"))
        .and(exact_query(&[("log_offset", "0")]))
        .respond_with(json(
            200,
            json!({"running": null, "completed": false, "new_logs": null, "log_offset": null}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let u = client(&server).get_log_update(&id(), 0).await.unwrap();
    assert_eq!((u.new_logs.as_str(), u.next_offset), ("", 0));
    server.reset().await;
    call("GET", &path("getupdate"))
        .respond_with(text(404, &format!("Not found: Job not found: {ID}")))
        .mount(&server)
        .await;
    let e = client(&server).get_log_update(&id(), 0).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotFound {
                kind: ItemKind::Job,
                ..
            }
        ),
        "{e:?}"
    );
}

// ---------------------------------------------------------------- followed logs

#[tokio::test]
async fn a_followed_log_is_one_event_stream_read_incrementally() {
    let server = server().await;
    let a = "ligne 1 → démarrée\n";
    let b = "ligne 2 ✓\n";
    let c = "fin\n";
    let (oa, ob, oc) = (
        chars(a) + 1,
        chars(a) + chars(b) + 1,
        chars(a) + chars(b) + chars(c) + 1,
    );
    call("GET", &path("getupdate_sse"))
        .and(exact_query(&[("log_offset", "0"), ("fast", "true")]))
        .and(wiremock::matchers::header("accept", "text/event-stream"))
        .respond_with(events(&[
            json!({"type": "update", "running": null, "completed": false, "new_logs": a, "log_offset": oa}),
            json!({"type": "ping"}),
            json!({"type": "update", "new_logs": b, "log_offset": ob, "progress": 40}),
            json!({"type": "update", "mem_peak": 1024}),
            json!({"type": "update", "running": false, "completed": true, "new_logs": c, "log_offset": oc, "job": completed_job()}),
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let chunks: Vec<LogChunk> = client(&server).job_logs(&id()).try_collect().await.unwrap();
    assert_eq!(
        chunks,
        [
            LogChunk::new(a, oa),
            LogChunk::new(b, ob),
            LogChunk::new(c, oc)
        ]
    );
}

#[tokio::test]
async fn a_broken_stream_resumes_from_the_last_offset_without_fetching_twice() {
    let server = server().await;
    let a = "αβγ première partie\n";
    let rest = "δ seconde partie\n";
    let oa = chars(a) + 1;
    // The first stream delivers `a`, then breaks in the middle of the next event.
    call("GET", &path("getupdate_sse"))
        .and(exact_query(&[("log_offset", "0"), ("fast", "true")]))
        .respond_with(raw_events(&format!(
            "data: {}\n\ndata: {{\"type\":\"update\",\"new_logs\":\"δ sec",
            json!({"type": "update", "completed": false, "new_logs": a, "log_offset": oa})
        )))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    // The second one must start where `a` ended: nothing is downloaded twice.
    let end = oa + chars(rest);
    call("GET", &path("getupdate_sse"))
        .and(exact_query(&[
            ("log_offset", &oa.to_string()),
            ("fast", "true"),
        ]))
        .respond_with(events(&[
            json!({"type": "update", "completed": false, "new_logs": rest, "log_offset": end}),
            json!({"type": "update", "completed": true, "job": completed_job()}),
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let text: String = client(&server)
        .job_logs(&id())
        .map_ok(|c| c.text)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(text, format!("{a}{rest}"));
    let offsets: Vec<String> = received(&server, &path("getupdate_sse"))
        .await
        .iter()
        .map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "log_offset")
                .unwrap()
                .1
                .into_owned()
        })
        .collect();
    assert_eq!(offsets, ["0".to_owned(), oa.to_string()]);
}

#[tokio::test]
async fn the_servers_timeout_event_means_reconnect() {
    let server = server().await;
    call("GET", &path("getupdate_sse"))
        .and(exact_query(&[("log_offset", "0"), ("fast", "true")]))
        .respond_with(events(&[
            json!({"type": "update", "completed": false, "new_logs": "a\n", "log_offset": 3}),
            json!({"type": "timeout"}),
        ]))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &path("getupdate_sse"))
        .and(exact_query(&[("log_offset", "3"), ("fast", "true")]))
        .respond_with(events(&[
            json!({"type": "update", "completed": true, "new_logs": "b\n", "log_offset": 5, "job": completed_job()}),
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let chunks: Vec<LogChunk> = client(&server)
        .job_logs_from(&id(), 0)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(chunks, [LogChunk::new("a\n", 3), LogChunk::new("b\n", 5)]);
}

#[tokio::test]
async fn following_from_an_offset_sends_it() {
    let server = server().await;
    call("GET", &path("getupdate_sse"))
        .and(exact_query(&[("log_offset", "42"), ("fast", "true")]))
        .respond_with(events(&[
            json!({"type": "update", "completed": true, "running": false, "new_logs": "tail", "log_offset": 46, "job": completed_job()}),
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let chunks: Vec<LogChunk> = client(&server)
        .job_logs_from(&id(), 42)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(chunks, [LogChunk::new("tail", 46)]);
}

#[tokio::test]
async fn text_moved_out_of_the_database_is_reported_as_skipped() {
    let server = server().await;
    // The server moved 100 characters to log files before the first read: the text it sends
    // starts at character 101.
    call("GET", &path("getupdate_sse"))
        .and(exact_query(&[("log_offset", "0"), ("fast", "true")]))
        .respond_with(events(&[
            json!({"type": "update", "completed": true, "new_logs": "end\n", "log_offset": 105, "job": completed_job()}),
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let chunks: Vec<LogChunk> = client(&server).job_logs(&id()).try_collect().await.unwrap();
    assert_eq!(chunks, [LogChunk::new("end\n", 105).with_skipped(100)]);
}

#[tokio::test]
async fn a_missing_job_ends_the_stream_with_not_found() {
    let server = server().await;
    call("GET", &path("getupdate_sse"))
        .and(exact_query(&[("log_offset", "0"), ("fast", "true")]))
        .respond_with(events(&[
            json!({"type": "error", "error": format!("Not found: Job not found: {ID}")}),
            json!({"type": "notfound"}),
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let items: Vec<_> = client(&server).job_logs(&id()).collect().await;
    assert_eq!(items.len(), 1);
    let e = items.into_iter().next().unwrap().unwrap_err();
    assert!(
        matches!(&e, Error::NotFound { kind: ItemKind::Job, path } if path == ID),
        "{e:?}"
    );
}

#[tokio::test]
async fn an_unauthorized_stream_is_an_error() {
    let server = server().await;
    call("GET", &path("getupdate_sse"))
        .respond_with(text(
            401,
            "Not authorized: Could not authenticate with the token",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let items: Vec<_> = client(&server).job_logs(&id()).collect().await;
    assert_eq!(items.len(), 1);
    let e = items.into_iter().next().unwrap().unwrap_err();
    assert!(
        matches!(e, Error::Unauthorized { status: 401, .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn without_event_streams_the_log_is_polled_with_offsets() {
    let server = server().await;
    // A server (or proxy) without the route.
    call("GET", &path("getupdate_sse"))
        .respond_with(text(404, "Not found: no such route"))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &path("getupdate"))
        .and(exact_query(&[("log_offset", "0")]))
        .respond_with(json(
            200,
            json!({"completed": false, "new_logs": "un → ", "log_offset": 6}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &path("getupdate"))
        .and(exact_query(&[("log_offset", "6")]))
        .respond_with(json(
            200,
            json!({"completed": false, "new_logs": null, "log_offset": 6}),
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &path("getupdate"))
        .and(exact_query(&[("log_offset", "6")]))
        .respond_with(json(
            200,
            json!({"completed": true, "running": false, "new_logs": "deux", "log_offset": 10}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let chunks: Vec<LogChunk> = client(&server).job_logs(&id()).try_collect().await.unwrap();
    assert_eq!(
        chunks,
        [LogChunk::new("un → ", 6), LogChunk::new("deux", 10)]
    );
}

#[tokio::test]
async fn streams_that_keep_failing_fall_back_to_polling() {
    let server = server().await;
    call("GET", &path("getupdate_sse"))
        .respond_with(text(503, "upstream unavailable"))
        .mount(&server)
        .await;
    call("GET", &path("getupdate"))
        .and(exact_query(&[("log_offset", "0")]))
        .respond_with(json(
            200,
            json!({"completed": true, "new_logs": "ok\n", "log_offset": 4}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let chunks: Vec<LogChunk> = client(&server).job_logs(&id()).try_collect().await.unwrap();
    assert_eq!(chunks, [LogChunk::new("ok\n", 4)]);
}

// ---------------------------------------------------------------- forwarding while waiting

#[tokio::test]
async fn a_wait_forwards_the_log_line_by_line() {
    let server = server().await;
    // The wait: polls get_result_maybe (twice not completed, then completed).
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result_maybe/{ID}"),
    )
    .and(exact_query(&[("get_started", "true")]))
    .respond_with(not_completed())
    .up_to_n_times(2)
    .mount(&server)
    .await;
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result_maybe/{ID}"),
    )
    .and(exact_query(&[("get_started", "true")]))
    .respond_with(completed(true, json!(7)))
    .mount(&server)
    .await;
    // The log: one stream that ends with the job.
    call("GET", &path("getupdate_sse"))
        .and(exact_query(&[("log_offset", "0"), ("fast", "true")]))
        .respond_with(events(&[
            json!({"type": "update", "completed": false, "new_logs": "un\r\ndeu", "log_offset": 8}),
            json!({"type": "update", "completed": true, "new_logs": "x\ntrois", "log_offset": 15, "job": completed_job()}),
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let out = lines.clone();
    let options = WaitOptions::new()
        .strategy(WaitStrategy::Poll(PollSchedule::fixed(
            std::time::Duration::from_millis(30),
        )))
        .logs(LogForward::callback(move |job, line| {
            out.lock().unwrap().push((job, line.to_owned()));
        }));
    let v = client(&server).wait_job(&id(), &options).await.unwrap();
    assert_eq!(v, json!(7));
    let lines = lines.lock().unwrap().clone();
    assert_eq!(
        lines,
        [
            (id(), "un".to_owned()),
            (id(), "deux".to_owned()),
            (id(), "trois".to_owned())
        ]
    );
    // The stream saw the end of the log: no extra read.
    assert!(received(&server, &path("getupdate")).await.is_empty());
}

#[tokio::test]
async fn a_wait_that_ends_first_reads_the_rest_of_the_log_once() {
    let server = server().await;
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result_maybe/{ID}"),
    )
    .respond_with(completed(true, json!("done")))
    .mount(&server)
    .await;
    // A stream that stays open without news (the job's end not seen yet).
    call("GET", &path("getupdate_sse"))
        .respond_with(
            events(&[
                json!({"type": "update", "completed": false, "new_logs": "a\n", "log_offset": 3}),
            ])
            .set_delay(std::time::Duration::from_secs(30)),
        )
        .mount(&server)
        .await;
    call("GET", &path("getupdate"))
        .and(exact_query(&[("log_offset", "0")]))
        .respond_with(json(
            200,
            json!({"completed": true, "running": false, "new_logs": "a\nb\n", "log_offset": 5}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let out = lines.clone();
    let options = WaitOptions::new()
        .strategy(WaitStrategy::Poll(PollSchedule::default()))
        .logs(LogForward::callback(move |_, line| {
            out.lock().unwrap().push(line.to_owned())
        }));
    let v = client(&server).wait_job(&id(), &options).await.unwrap();
    assert_eq!(v, json!("done"));
    assert_eq!(*lines.lock().unwrap(), ["a", "b"]);
}

#[tokio::test]
async fn waits_without_forwarding_do_not_read_the_log() {
    let server = server().await;
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result_maybe/{ID}"),
    )
    .respond_with(completed(true, json!(1)))
    .expect(1)
    .mount(&server)
    .await;
    let options = WaitOptions::new().strategy(WaitStrategy::Poll(PollSchedule::default()));
    client(&server).wait_job(&id(), &options).await.unwrap();
}
