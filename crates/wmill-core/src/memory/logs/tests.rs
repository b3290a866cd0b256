use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{Value, json};

use crate::sync::Mutex;
use crate::{Error, ItemKind, ItemPath, JobRunner, JobRunnerExt, LogForward, RunOptions, to_args};

use super::*;
use crate::{InMemory, JobId, LogChunk, LogUpdate};
use futures_util::StreamExt;

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

/// A script that writes `lines` lines, `gap_ms` apart, then returns their count.
fn chatty() -> InMemory {
    let wm = InMemory::new();
    wm.register_script("f/logs/chatty", |args| async move {
        let lines = args.get("lines").and_then(Value::as_u64).unwrap_or(0);
        let gap = args.get("gap_ms").and_then(Value::as_u64).unwrap_or(0);
        let log = JobLog::current().expect("inside a job");
        for i in 0..lines {
            if gap > 0 {
                crate::timer::sleep(Duration::from_millis(gap)).await;
            }
            log.line(format!("ligne {i} → é"));
        }
        if args.get("fail") == Some(&json!(true)) {
            log.write("no line end");
            return Err(json!({"name": "Boom", "message": "failed"}));
        }
        Ok(json!(lines))
    })
    .unwrap();
    wm
}

async fn start(wm: &InMemory, args: Value) -> JobId {
    wm.run_script_by_path_async(
        &p("f/logs/chatty"),
        to_args(&args).unwrap(),
        &RunOptions::new(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn whole_and_incremental_reads_count_characters() {
    let wm = chatty();
    let id = start(&wm, json!({"lines": 2})).await;
    let all = "ligne 0 → é\nligne 1 → é\n";
    assert_eq!(wm.get_job_logs(&id).await.unwrap(), all);
    let n = all.chars().count() as u64;
    let u = wm.get_log_update(&id, 0).await.unwrap();
    assert_eq!(u, LogUpdate::new(all, n + 1, true));
    let line = "ligne 0 → é\n".chars().count() as u64;
    let u = wm.get_log_update(&id, line + 1).await.unwrap();
    assert_eq!(u.new_logs, "ligne 1 → é\n");
    assert_eq!(u.next_offset, n + 1);
    let u = wm.get_log_update(&id, n + 1).await.unwrap();
    assert_eq!(u, LogUpdate::new("", n + 1, true));
}

#[tokio::test]
async fn unknown_jobs_are_not_found_everywhere() {
    let wm = chatty();
    let id = JobId::from_u128(999);
    let nf = |e: Error| {
        matches!(
            e,
            Error::NotFound {
                kind: ItemKind::Job,
                ..
            }
        )
    };
    assert!(nf(wm.get_job_logs(&id).await.unwrap_err()));
    assert!(nf(wm.get_log_update(&id, 0).await.unwrap_err()));
    assert!(nf(wm.get_flow_all_logs(&id).await.unwrap_err()));
    let mut s = wm.job_logs(&id);
    assert!(nf(s.next().await.unwrap().unwrap_err()));
    assert!(s.next().await.is_none());
    assert!(JobLog::current().is_none());
}

#[tokio::test]
async fn a_followed_log_arrives_in_pieces_once_and_ends_with_the_job() {
    let wm = chatty();
    let id = start(&wm, json!({"lines": 5, "gap_ms": 20})).await;
    let chunks: Vec<LogChunk> = wm.job_logs(&id).try_collect().await.unwrap();
    assert!(chunks.len() >= 2, "{chunks:?}");
    let text: String = chunks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(text, wm.get_job_logs(&id).await.unwrap());
    assert_eq!(text.lines().count(), 5);
    for pair in chunks.windows(2) {
        assert!(pair[0].next_offset < pair[1].next_offset);
    }
    // Resuming from an offset yields only what follows it.
    let from = chunks[0].next_offset;
    let rest: String = wm
        .job_logs_from(&id, from)
        .map_ok(|c| c.text)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest, text[chunks[0].text.len()..]);
    assert!(wm.get_job_status(&id).await.unwrap().is_completed());
}

#[tokio::test]
async fn a_job_driven_elsewhere_wakes_its_followers() {
    let wm = chatty().with_spawner(|f| {
        tokio::spawn(f);
    });
    let id = start(&wm, json!({"lines": 3, "gap_ms": 10})).await;
    let (a, b) = futures::join!(
        wm.job_logs(&id).map_ok(|c| c.text).try_collect::<String>(),
        wm.job_logs(&id).map_ok(|c| c.text).try_collect::<String>(),
    );
    assert_eq!(a.unwrap(), b.unwrap());
}

#[tokio::test]
async fn waits_forward_lines_and_the_last_partial_line() {
    let wm = chatty();
    let lines = Arc::new(Mutex::new(Vec::<(JobId, String)>::new()));
    let out = lines.clone();
    let forward = LogForward::callback(move |id, l| out.lock().push((id, l.to_owned())));
    let options = RunOptions::new().wait(crate::WaitOptions::new().logs(forward));
    let got = wm
        .run_script_by_path(
            &p("f/logs/chatty"),
            to_args(&json!({"lines": 3, "gap_ms": 5})).unwrap(),
            &options,
        )
        .await
        .unwrap();
    assert_eq!(got, json!(3));
    let seen: Vec<String> = lines.lock().iter().map(|(_, l)| l.clone()).collect();
    assert_eq!(seen, ["ligne 0 → é", "ligne 1 → é", "ligne 2 → é"]);

    lines.lock().clear();
    let err = wm
        .run_script_by_path(
            &p("f/logs/chatty"),
            to_args(&json!({"lines": 1, "fail": true})).unwrap(),
            &options,
        )
        .await
        .unwrap_err();
    let Error::JobFailed { job_id, .. } = err else {
        panic!("{err:?}")
    };
    let seen = lines.lock().clone();
    assert_eq!(
        seen,
        [
            (job_id, "ligne 0 → é".to_owned()),
            (job_id, "no line end".to_owned())
        ]
    );
    // Without forwarding, nothing is called.
    lines.lock().clear();
    wm.run_script_by_path(
        &p("f/logs/chatty"),
        to_args(&json!({"lines": 2})).unwrap(),
        &RunOptions::new(),
    )
    .await
    .unwrap();
    assert!(lines.lock().is_empty());
}

#[tokio::test]
async fn timed_out_waits_still_forward_what_was_written() {
    let wm = chatty();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let out = lines.clone();
    let options = crate::WaitOptions::new()
        .timeout(Duration::from_millis(60))
        .logs(LogForward::callback(move |_, l| {
            out.lock().push(l.to_owned())
        }));
    let id = start(&wm, json!({"lines": 100, "gap_ms": 20})).await;
    let err = wm.wait_job(&id, &options).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let n = lines.lock().len();
    assert!((1..100).contains(&n), "{n}");
}

#[tokio::test]
async fn nested_jobs_write_their_own_logs_and_flows_gather_them() {
    let wm = chatty();
    let inner = wm.clone();
    wm.register_flow("f/logs/flow", move |_args| {
        let wm = inner.clone();
        async move {
            let log = JobLog::current().expect("in the flow");
            log.line("flow starts");
            let me = JobId::from_u128(1);
            let child = wm
                .run_script_by_path(
                    &p("f/logs/chatty"),
                    to_args(&json!({"lines": 1})).unwrap(),
                    &RunOptions::new().parent_job(me),
                )
                .await
                .map_err(|e| json!(e.to_string()))?;
            // Back in the flow: its log is the current one again.
            JobLog::current().expect("in the flow").line("flow ends");
            Ok(child)
        }
    })
    .unwrap();
    let flow = wm
        .run_flow(&p("f/logs/flow"), Default::default(), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(flow, json!(1));
    let flow_id = JobId::from_u128(1);
    let child_id = JobId::from_u128(2);
    assert_eq!(
        wm.get_job_logs(&flow_id).await.unwrap(),
        "flow starts\nflow ends\n"
    );
    assert_eq!(wm.get_job_logs(&child_id).await.unwrap(), "ligne 0 → é\n");
    let all = wm.get_flow_all_logs(&flow_id).await.unwrap();
    assert_eq!(
        all,
        format!(
            "\n=== Flow (Job: {flow_id}) ===\nflow starts\nflow ends\n\n\
             \n=== Step f/logs/chatty (Job: {child_id}) ===\nligne 0 → é\n\n"
        )
    );
    assert!(
        format!(
            "{:?}",
            JobLog {
                buf: wm.logs_of(&flow_id).unwrap()
            }
        )
        .contains("22")
    );
}
