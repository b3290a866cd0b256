//! The module-level log functions and their blocking twins: on the embedded backend, and over
//! HTTP against wiremock (method, path, query, auth).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The lock serializes the tests that share the global client; holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

#[path = "../../wmill-http/tests/support/mod.rs"]
mod support;

use futures::TryStreamExt;
use parking_lot::Mutex;
use serde_json::{Value, json};
use support::{builder, call, exact_query, server, text};
use wiremock::ResponseTemplate;
use wmill::{Client, InMemory, JobLog, LogChunk};

static GLOBAL: Mutex<()> = Mutex::new(());

const ID: &str = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e77";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn module_functions_on_the_embedded_backend() {
    let _g = GLOBAL.lock();
    let memory = InMemory::new();
    memory
        .register_script("f/logs/two", |_args| async move {
            let log = JobLog::current().expect("in a job");
            log.line("un →");
            log.write("deux");
            Ok(json!(2))
        })
        .unwrap();
    wmill::set_client(Client::new(memory));
    let id = wmill::run_script_by_path_async("f/logs/two", &json!({}))
        .await
        .unwrap();
    assert_eq!(wmill::get_job_logs(id).await.unwrap(), "un →\ndeux");
    let chunks: Vec<LogChunk> = wmill::job_logs(id).unwrap().try_collect().await.unwrap();
    assert_eq!(chunks, [LogChunk::new("un →\ndeux", 10)]);
    assert!(
        wmill::get_flow_all_logs(id)
            .await
            .unwrap()
            .contains("un →\ndeux")
    );
    // A bad id fails before any backend call.
    assert!(matches!(
        wmill::job_logs("nope"),
        Err(wmill::Error::InvalidInput { .. })
    ));
    assert!(wmill::get_job_logs("nope").await.is_err());

    let blocking = tokio::task::spawn_blocking(move || {
        let whole = wmill::blocking::get_job_logs(id).unwrap();
        let followed: Vec<LogChunk> = wmill::blocking::job_logs(id)
            .unwrap()
            .collect::<wmill::Result<_>>()
            .unwrap();
        let flow = wmill::blocking::get_flow_all_logs(id).unwrap();
        let unknown: Vec<_> = wmill::blocking::job_logs(wmill::JobId::from_u128(77))
            .unwrap()
            .collect();
        (whole, followed, flow, unknown)
    })
    .await
    .unwrap();
    assert_eq!(blocking.0, "un →\ndeux");
    assert_eq!(blocking.1, chunks);
    assert!(blocking.2.contains(&id.to_string()));
    assert_eq!(blocking.3.len(), 1);
    assert!(blocking.3[0].as_ref().unwrap_err().is_not_found());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn module_functions_over_http() {
    let _g = GLOBAL.lock();
    let server = server().await;
    call("GET", &format!("/api/w/ws/jobs_u/get_logs/{ID}"))
        .and(exact_query(&[("remove_ansi_warnings", "true")]))
        .respond_with(text(200, "é\n"))
        .expect(2)
        .mount(&server)
        .await;
    call("GET", &format!("/api/w/ws/jobs_u/get_flow_all_logs/{ID}"))
        .and(exact_query(&[]))
        .respond_with(text(200, &format!("\n=== Flow (Job: {ID}) ===\né\n\n")))
        .expect(2)
        .mount(&server)
        .await;
    let update: Value =
        json!({"type": "update", "completed": true, "new_logs": "é\n", "log_offset": 3});
    call("GET", &format!("/api/w/ws/jobs_u/getupdate_sse/{ID}"))
        .and(exact_query(&[("log_offset", "0"), ("fast", "true")]))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!("data: {update}\n\n").into_bytes(),
            "text/event-stream",
        ))
        .expect(2)
        .mount(&server)
        .await;
    wmill::set_client(Client::windmill(builder(&server).build().unwrap()));
    assert_eq!(wmill::get_job_logs(ID).await.unwrap(), "é\n");
    assert!(
        wmill::get_flow_all_logs(ID)
            .await
            .unwrap()
            .contains("=== Flow")
    );
    let chunks: Vec<LogChunk> = wmill::job_logs(ID).unwrap().try_collect().await.unwrap();
    assert_eq!(chunks, [LogChunk::new("é\n", 3)]);
    let blocking = tokio::task::spawn_blocking(|| {
        (
            wmill::blocking::get_job_logs(ID).unwrap(),
            wmill::blocking::get_flow_all_logs(ID).unwrap(),
            wmill::blocking::job_logs(ID)
                .unwrap()
                .collect::<wmill::Result<Vec<_>>>()
                .unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(blocking.0, "é\n");
    assert!(blocking.1.contains(ID));
    assert_eq!(blocking.2, chunks);
}
