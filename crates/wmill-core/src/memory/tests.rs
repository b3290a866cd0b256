use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    Args, Error, ItemKind, ItemPath, JobId, JobRunner, JobStatus, ListResources, ListVariables,
    ResourceStore, Result, RunOptions, ScriptHash, SetVariableOptions, StateStore, VariableStore,
    WaitOptions,
};
use crate::{JobRunnerExt, StateStoreExt};

use super::in_memory::*;
use super::interpolation::*;
use crate::Runnable;

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

#[tokio::test]
async fn loads_the_python_mock_file_format() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mock.json");
    std::fs::write(
        &file,
        r#"{"variables": {"u/admin/k": "v", "u/admin/n": 3},
            "resources": {"f/db/pg": {"host": "h", "password": "$var:u/admin/k"}}}"#,
    )
    .unwrap();
    let wm = InMemory::from_mock_file(&file).unwrap();
    assert_eq!(wm.get_variable(&p("u/admin/k")).await.unwrap(), "v");
    assert_eq!(wm.get_variable(&p("u/admin/n")).await.unwrap(), "3");
    assert_eq!(
        wm.get_resource(&p("f/db/pg")).await.unwrap(),
        json!({"host": "h", "password": "v"})
    );
    assert_eq!(wm.mock_file(), Some(file.as_path()));
}

#[tokio::test]
async fn writes_go_to_the_file_and_survive_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sub.json");
    let wm = InMemory::from_mock_file(&file).unwrap();
    assert!(
        !file.exists(),
        "a missing file is created on the first write only"
    );
    wm.set_variable(&p("u/a/x"), "1", &SetVariableOptions::new())
        .await
        .unwrap();
    wm.set_resource(&p("f/r/db"), &json!({"port": 1}), "postgresql")
        .await
        .unwrap();
    wm.set_state_at(&p("u/a/state"), &json!([1])).await.unwrap();
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(on_disk["variables"]["u/a/x"], "1");
    assert_eq!(on_disk["resources"]["f/r/db"]["port"], 1);
    assert_eq!(on_disk["resource_types"]["f/r/db"], "postgresql");
    assert_eq!(on_disk["resources"]["u/a/state"], json!([1]));
    assert_eq!(on_disk, wm.to_mock_json());

    // Secret flags and descriptions survive a reload: a secret stays out of listings.
    wm.set_variable(
        &p("u/a/pw"),
        "hunter2",
        &SetVariableOptions::new()
            .secret(true)
            .description("db password"),
    )
    .await
    .unwrap();
    let reloaded = InMemory::from_mock_file(&file).unwrap();
    let vars = reloaded
        .list_variables(&ListVariables::new())
        .await
        .unwrap();
    let pw = vars.iter().find(|v| v.path.as_str() == "u/a/pw").unwrap();
    assert!(pw.is_secret);
    assert_eq!(pw.value, None, "{pw:?}");
    assert_eq!(pw.description.as_deref(), Some("db password"));
    wm.delete_variable(&p("u/a/pw")).await.unwrap();

    let again = InMemory::from_mock_file(&file).unwrap();
    assert_eq!(again.get_variable(&p("u/a/x")).await.unwrap(), "1");
    let listed = again
        .list_resources(&ListResources::new().resource_type("postgresql"))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "resource types survive a reload");
    assert_eq!(
        again
            .get_state_at_as::<Vec<u8>>(&p("u/a/state"))
            .await
            .unwrap(),
        Some(vec![1])
    );
    again.delete_variable(&p("u/a/x")).await.unwrap();
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(
        on_disk["variables"].get("u/a/x").is_none(),
        "deletes are written"
    );
}

#[test]
fn a_malformed_file_is_an_error_not_an_empty_backend() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.json");
    std::fs::write(&file, "{\"variables\": [1, 2").unwrap();
    let err = InMemory::from_mock_file(&file).unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    std::fs::write(&file, r#"{"variables": {"no/such/prefix": "v"}}"#).unwrap();
    let err = InMemory::from_mock_file(&file).unwrap_err();
    assert!(err.to_string().contains("no/such/prefix"), "{err}");
}

#[test]
fn concurrent_writers_never_leave_a_truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mock.json");
    let wm = InMemory::from_mock_file(&file).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // A reader parses the file over and over while 8 threads write.
    let reader = {
        let file = file.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut parsed = 0u32;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(bytes) = std::fs::read(&file) {
                    let v: Value = serde_json::from_slice(&bytes)
                        .unwrap_or_else(|e| panic!("torn file ({e}): {bytes:?}"));
                    assert!(v["variables"].is_object());
                    parsed += 1;
                }
            }
            parsed
        })
    };
    let writers: Vec<_> = (0..8)
        .map(|t| {
            let wm = wm.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    futures::executor::block_on(wm.set_variable(
                        &p(&format!("u/t{t}/v{i}")),
                        &"x".repeat(i * 10),
                        &SetVariableOptions::new(),
                    ))
                    .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(reader.join().unwrap() > 0);
    // The last snapshot written holds every write.
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(on_disk["variables"].as_object().unwrap().len(), 400);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files are renamed or removed"
    );
}

#[test]
fn a_leftover_temp_file_from_a_crash_does_not_affect_loading() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mock.json");
    std::fs::write(
        &file,
        r#"{"variables": {"u/a/b": "kept"}, "resources": {}}"#,
    )
    .unwrap();
    // What a process killed mid-write leaves: a partial temp file beside the real one.
    std::fs::write(
        dir.path().join(".mock.json.999.7.tmp"),
        "{\"variables\": {\"u/a/b\"",
    )
    .unwrap();
    let wm = InMemory::from_mock_file(&file).unwrap();
    assert_eq!(
        futures::executor::block_on(wm.get_variable(&p("u/a/b"))).unwrap(),
        "kept"
    );
}

#[tokio::test]
async fn variable_updates_keep_the_secret_flag_and_description() {
    let wm = InMemory::new();
    let path = p("u/a/s");
    wm.set_variable(
        &path,
        "1",
        &SetVariableOptions::new().secret(true).description("d"),
    )
    .await
    .unwrap();
    wm.set_variable(&path, "2", &SetVariableOptions::new())
        .await
        .unwrap();
    let listed = wm.list_variables(&ListVariables::new()).await.unwrap();
    assert!(listed[0].is_secret);
    assert_eq!(listed[0].description.as_deref(), Some("d"));
    assert_eq!(listed[0].value, None);
    assert!(!format!("{wm:?}").contains('2'), "Debug shows no values");
}

#[tokio::test]
async fn updates_need_no_type_and_state_reads_are_interpolated() {
    let wm = InMemory::new()
        .with_variable("u/a/secret", "s3cr3t")
        .unwrap();
    let r = p("f/r/db");
    assert!(matches!(
        wm.set_resource(&r, &json!({"a": 1}), "").await,
        Err(Error::InvalidInput { .. })
    ));
    wm.set_resource(&r, &json!({"a": 1}), "postgresql")
        .await
        .unwrap();
    wm.set_resource(&r, &json!({"a": 2}), "").await.unwrap();
    assert_eq!(wm.get_resource(&r).await.unwrap(), json!({"a": 2}));
    let listed = wm.list_resources(&ListResources::new()).await.unwrap();
    assert_eq!(listed[0].resource_type, "postgresql");

    let st = p("u/a/state");
    wm.set_state_at(&st, &json!({"token": "$var:u/a/secret"}))
        .await
        .unwrap();
    assert_eq!(
        wm.get_state_at(&st).await.unwrap(),
        Some(json!({"token": "s3cr3t"}))
    );
}

#[tokio::test]
async fn resource_interpolation_errors() {
    let wm = InMemory::new()
        .with_resource("f/r/a", json!({"x": "$res:f/r/b"}), "t")
        .unwrap()
        .with_resource("f/r/b", json!("$res:f/r/a"), "t")
        .unwrap()
        .with_resource("f/r/c", json!({"x": "$var:u/no/such"}), "t")
        .unwrap();
    let cycle = wm.get_resource(&p("f/r/a")).await.unwrap_err();
    assert!(cycle.to_string().contains("nest"), "{cycle}");
    let missing = wm.get_resource(&p("f/r/c")).await.unwrap_err();
    assert!(
        matches!(missing, Error::NotFound { kind: ItemKind::Variable, ref path } if path == "u/no/such"),
        "{missing:?}"
    );
    assert!(wm.set_resource(&p("f/r/d"), &json!(1), "").await.is_err());
}

/// `f/r/l0`, ..., `f/r/l{levels}`: each level refers `fan_out` times to the next, the last
/// is `leaf`.
fn fanned_out(levels: usize, fan_out: usize, leaf: Value) -> InMemory {
    let mut wm = InMemory::new()
        .with_variable("u/a/secret", "hunter2")
        .unwrap()
        .with_resource(format!("f/r/l{levels}"), leaf, "t")
        .unwrap();
    for level in 0..levels {
        let refs = vec![json!(format!("$res:f/r/l{}", level + 1)); fan_out];
        wm = wm
            .with_resource(format!("f/r/l{level}"), Value::Array(refs), "t")
            .unwrap();
    }
    wm
}

/// The error of `result`, without printing the (large) value when there is none.
#[track_caller]
fn error_of(result: Result<impl Sized>) -> Error {
    match result {
        Ok(_) => panic!("the resource was interpolated, an error was expected"),
        Err(e) => e,
    }
}

/// The [`Error::InvalidInput`] of a resource too large once interpolated, whose reason
/// names the limit and no value.
#[track_caller]
fn assert_over_limit(err: Error, limit: &str) {
    let shown = format!("{err} {err:?}");
    assert!(
        matches!(err, Error::InvalidInput { what: "resource", ref reason } if reason.contains(limit)),
        "{shown}"
    );
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[tokio::test]
async fn doubling_resource_references_are_bounded() {
    // 30 levels, each refers twice to the next: 2^30 copies of the leaf.
    let wm = fanned_out(30, 2, json!({"password": "$var:u/a/secret"}));
    let err = error_of(wm.get_resource(&p("f/r/l0")).await);
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                what: "resource",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");

    // Within the depth limit: 2^16 copies, more values than allowed.
    let wm = fanned_out(16, 2, json!({"password": "$var:u/a/secret", "port": 5432}));
    let err = error_of(wm.get_resource(&p("f/r/l0")).await);
    assert_over_limit(err, &MAX_INTERPOLATED_VALUES.to_string());
    let err = error_of(wm.get_state_at(&p("f/r/l0")).await);
    assert_over_limit(err, &MAX_INTERPOLATED_VALUES.to_string());

    // 10 references per level, 9 levels: 10^9 copies (this never finished unbounded).
    let wm = fanned_out(9, 10, json!("$var:u/a/secret"));
    let err = error_of(wm.get_resource(&p("f/r/l0")).await);
    assert_over_limit(err, &MAX_INTERPOLATED_VALUES.to_string());
}

#[tokio::test]
async fn large_referenced_strings_are_bounded() {
    // 20 references to a 1 MiB variable: 20 MiB of strings.
    let wm = InMemory::new()
        .with_variable("u/a/big", "x".repeat(1 << 20))
        .unwrap()
        .with_resource("f/r/big", json!(vec!["$var:u/a/big"; 20]), "t")
        .unwrap()
        .with_resource("f/r/indirect", json!({"all": "$res:f/r/big"}), "t")
        .unwrap();
    for path in ["f/r/big", "f/r/indirect"] {
        let err = error_of(wm.get_resource(&p(path)).await);
        assert_over_limit(err, &MAX_INTERPOLATED_BYTES.to_string());
    }
}

#[tokio::test]
async fn legitimate_nested_and_large_resources_still_interpolate() {
    let wm = InMemory::new()
        .with_variable("u/a/secret", "hunter2")
        .unwrap()
        .with_resource(
            "f/r/app",
            json!({"db": "$res:f/r/db", "replicas": ["$res:f/r/db", "$res:f/r/db"], "n": 1}),
            "t",
        )
        .unwrap()
        .with_resource(
            "f/r/db",
            json!({"host": "db", "password": "$var:u/a/secret", "tls": "$res:f/r/tls"}),
            "t",
        )
        .unwrap()
        .with_resource("f/r/tls", json!({"verify": true, "ca": null}), "t")
        .unwrap();
    let db = json!({"host": "db", "password": "hunter2", "tls": {"verify": true, "ca": null}});
    assert_eq!(
        wm.get_resource(&p("f/r/app")).await.unwrap(),
        json!({"db": db, "replicas": [db, db], "n": 1})
    );

    // The limits are on what references bring in: a large resource is read whole, and so
    // is a reference to one within the limits.
    let large = json!((0..200_000).collect::<Vec<u32>>());
    let within = json!((0..MAX_INTERPOLATED_VALUES as u64 - 10).collect::<Vec<u64>>());
    let wm = wm
        .with_resource("f/r/large", large.clone(), "t")
        .unwrap()
        .with_resource("f/r/within", within.clone(), "t")
        .unwrap()
        .with_resource("f/r/refers", json!({"v": "$res:f/r/within"}), "t")
        .unwrap();
    assert_eq!(wm.get_resource(&p("f/r/large")).await.unwrap(), large);
    assert_eq!(
        wm.get_resource(&p("f/r/refers")).await.unwrap(),
        json!({ "v": within })
    );
}

#[tokio::test]
async fn default_and_custom_state_paths() {
    let wm = InMemory::new();
    wm.set_state_from(&1).await.unwrap();
    assert_eq!(
        wm.get_state_at(&p(DEFAULT_STATE_PATH)).await.unwrap(),
        Some(json!(1))
    );
    let wm = InMemory::new()
        .with_state_path("u/bob/trigger_state")
        .unwrap();
    wm.set_state(&json!("s")).await.unwrap();
    assert_eq!(
        wm.get_state_at(&p("u/bob/trigger_state")).await.unwrap(),
        Some(json!("s"))
    );
    assert!(InMemory::new().with_state_path("bad").is_err());
}

#[tokio::test]
async fn jobs_record_what_was_started() {
    let wm = InMemory::new();
    wm.register_script("f/j/echo", |a| async move { Ok(Value::Object(a)) })
        .unwrap();
    let opts = RunOptions::new().tag("gpu");
    let id = wm
        .run_script_by_path_async(
            &p("f/j/echo"),
            crate::to_args(&json!({"k": 1})).unwrap(),
            &opts,
        )
        .await
        .unwrap();
    assert_eq!(id, JobId::from_u128(1), "ids are deterministic");
    let started = wm.started_jobs();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].runnable, Runnable::ScriptPath(p("f/j/echo")));
    assert_eq!(started[0].args["k"], 1);
    assert_eq!(started[0].options.tag.as_deref(), Some("gpu"));
    // Synchronous closures are done as soon as they are submitted.
    assert_eq!(
        wm.get_job_status(&id).await.unwrap(),
        JobStatus::Completed { success: true }
    );
    assert!(wm.cancel_job(&id, None).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn scheduled_jobs_wait_and_panics_fail_the_job() {
    let wm = InMemory::new();
    wm.register_script("f/j/echo", |a| async move { Ok(Value::Object(a)) })
        .unwrap();
    wm.register_script("f/j/panic", |_| async move {
        if true {
            panic!("kaboom");
        }
        Ok(Value::Null)
    })
    .unwrap();
    let later = wm
        .run_script_by_path_async(
            &p("f/j/echo"),
            Args::new(),
            &RunOptions::new().scheduled_in(Duration::from_millis(150)),
        )
        .await
        .unwrap();
    assert_eq!(wm.get_job_status(&later).await.unwrap(), JobStatus::Waiting);
    assert!(wm.get_result(&later).await.unwrap_err().is_not_found());
    wm.wait_job(&later, &WaitOptions::new()).await.unwrap();
    assert!(wm.get_job_status(&later).await.unwrap().is_completed());

    let err = wm
        .run_script_by_path_as::<_, Value>(&p("f/j/panic"), &json!({}), &RunOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.job_error().unwrap()["message"], "kaboom");

    // A closure that panics before it returns its future fails its job the same way, and
    // the job stays readable afterwards.
    wm.register_script("f/j/panic_early", |a| {
        let n = a.get("n").and_then(Value::as_i64).expect("n is required");
        async move { Ok(json!(n)) }
    })
    .unwrap();
    let id = wm
        .run_script_by_path_async(&p("f/j/panic_early"), Args::new(), &RunOptions::new())
        .await
        .unwrap();
    let err = wm.wait_job(&id, &WaitOptions::new()).await.unwrap_err();
    assert_eq!(err.job_error().unwrap()["message"], "n is required");
    assert_eq!(
        wm.get_job_status(&id).await.unwrap(),
        JobStatus::Completed { success: false }
    );
    assert_eq!(
        wm.get_result(&id).await.unwrap()["error"]["message"],
        "n is required"
    );
}

#[tokio::test]
async fn a_spawner_makes_jobs_progress_without_a_waiter() {
    let wm = InMemory::new().with_spawner(|fut| {
        tokio::spawn(fut);
    });
    wm.register_script("f/j/slow", |_| async move {
        tokio::time::sleep(Duration::from_millis(30)).await;
        Ok(json!("done"))
    })
    .unwrap();
    let id = wm
        .run_script_by_path_async(&p("f/j/slow"), Args::new(), &RunOptions::new())
        .await
        .unwrap();
    let mut status = wm.get_job_status(&id).await.unwrap();
    for _ in 0..200 {
        if status.is_completed() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        status = wm.get_job_status(&id).await.unwrap();
    }
    assert_eq!(status, JobStatus::Completed { success: true });
    assert_eq!(wm.get_result(&id).await.unwrap(), json!("done"));
}

#[tokio::test]
async fn jobs_can_start_other_jobs() {
    let wm = InMemory::new();
    wm.register_script("f/j/leaf", |a| async move {
        Ok(json!(a["n"].as_i64().unwrap_or(0) + 1))
    })
    .unwrap();
    let inner = wm.clone();
    wm.register_flow("f/j/flow", move |_| {
        let wm = inner.clone();
        async move {
            let a: i64 = wm
                .run_script_by_path_as(&p("f/j/leaf"), &json!({"n": 1}), &RunOptions::new())
                .await
                .map_err(|e| json!({"message": e.to_string()}))?;
            Ok(json!(a * 10))
        }
    })
    .unwrap();
    let out = wm
        .run_flow(&p("f/j/flow"), Args::new(), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(out, json!(20));
}

#[tokio::test]
async fn typed_jobs_report_their_state() {
    use crate::{JobKind, JobState};
    let wm = InMemory::new();
    wm.register_script("f/j/echo", |a| async move { Ok(Value::Object(a)) })
        .unwrap();
    wm.register_script("f/j/fail", |_| async move {
        Err(json!({"name": "E", "message": "no"}))
    })
    .unwrap();
    wm.register_script("f/j/forever", |_| futures::future::pending())
        .unwrap();
    wm.register_script_hash("00000000c0ffee01", |a| async move { Ok(Value::Object(a)) })
        .unwrap();
    wm.register_flow("f/j/flow", |_| async move { Ok(json!(1)) })
        .unwrap();
    let parent = JobId::from_u128(900);
    let root = JobId::from_u128(901);

    // Success, with what it was started with.
    let id = wm
        .run_script_by_path_async(
            &p("f/j/echo"),
            crate::to_args(&json!({"k": 1})).unwrap(),
            &RunOptions::new()
                .tag("gpu")
                .parent_job(parent)
                .root_job(root),
        )
        .await
        .unwrap();
    let job = wm.get_job(&id).await.unwrap();
    assert_eq!(job.id, id);
    assert_eq!(job.state, JobState::Success);
    assert_eq!(job.kind, JobKind::Script);
    assert_eq!(job.script_path.as_deref(), Some("f/j/echo"));
    assert_eq!(job.tag.as_deref(), Some("gpu"));
    assert_eq!((job.parent_job, job.root_job), (Some(parent), Some(root)));
    assert_eq!(job.result(), Some(&json!({"k": 1})));
    assert_eq!(job.args().unwrap()["k"], 1);
    let (created, started, completed) = (
        job.created_at.clone().unwrap(),
        job.started_at.clone().unwrap(),
        job.completed_at.clone().unwrap(),
    );
    assert!(created <= started && started <= completed);
    assert!(job.duration_ms.is_some());

    // By hash, and a flow.
    let h = wm
        .run_script_by_hash_async(
            &ScriptHash::parse("00000000c0ffee01").unwrap(),
            Args::new(),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    let job = wm.get_job(&h).await.unwrap();
    assert_eq!(job.script_hash.unwrap().as_str(), "00000000c0ffee01");
    assert_eq!(job.script_path, None);
    let f = wm
        .run_flow_async(&p("f/j/flow"), Args::new(), &RunOptions::new())
        .await
        .unwrap();
    let job = wm.get_job(&f).await.unwrap();
    assert_eq!((job.kind, job.state), (JobKind::Flow, JobState::Success));

    // Failure.
    let id = wm
        .run_script_by_path_async(&p("f/j/fail"), Args::new(), &RunOptions::new())
        .await
        .unwrap();
    let job = wm.get_job(&id).await.unwrap();
    assert_eq!(job.state, JobState::Failure);
    assert_eq!(job.error(), Some(&json!({"name": "E", "message": "no"})));

    // Scheduled, then canceled before it started: canceled, not failed, with the reason.
    let id = wm
        .run_script_by_path_async(
            &p("f/j/echo"),
            Args::new(),
            &RunOptions::new().scheduled_in(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    let job = wm.get_job(&id).await.unwrap();
    let JobState::Scheduled { at } = &job.state else {
        panic!("expected scheduled, got {:?}", job.state)
    };
    assert_eq!(
        at.duration_since(job.created_at.as_ref().unwrap()),
        Some(Duration::from_secs(3600))
    );
    assert_eq!(job.status(), JobStatus::Waiting);
    wm.cancel_job(&id, Some("not needed".into())).await.unwrap();
    let job = wm.get_job(&id).await.unwrap();
    assert_eq!(
        job.state,
        JobState::Canceled {
            by: None,
            reason: Some("not needed".into())
        }
    );
    assert_eq!(job.started_at, None);
    assert_eq!(job.duration_ms, Some(0));

    // Running, then canceled on a wait timeout.
    let id = wm
        .run_script_by_path_async(&p("f/j/forever"), Args::new(), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(wm.get_job(&id).await.unwrap().state, JobState::Running);
    let waited = wm
        .wait_job(&id, &WaitOptions::new().timeout(Duration::from_millis(10)))
        .await;
    assert!(matches!(waited, Err(Error::Timeout { .. })));
    assert_eq!(
        wm.get_job(&id).await.unwrap().state,
        JobState::Canceled {
            by: None,
            reason: Some("reached timeout".into())
        }
    );

    // Queued: spawned jobs wait for the spawner's task.
    let queued = InMemory::new().with_spawner(|_fut| {});
    queued
        .register_script("f/j/echo", |a| async move { Ok(Value::Object(a)) })
        .unwrap();
    let id = queued
        .run_script_by_path_async(&p("f/j/echo"), Args::new(), &RunOptions::new())
        .await
        .unwrap();
    let job = queued.get_job(&id).await.unwrap();
    // Reading the job drives it (no spawner task runs here): it is done.
    assert_eq!(job.state, JobState::Success);

    assert!(
        wm.get_job(&JobId::from_u128(12345))
            .await
            .unwrap_err()
            .is_not_found()
    );
}
