//! The module-level functions and the blocking API on the global client.
//!
//! The global client is process-wide, so these tests take a lock and install their own client.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The lock serializes the tests that share the global client; holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};
use wmill::{Client, Error, InMemory, ItemKind, JobStatus, RunOptions};

static GLOBAL: Mutex<()> = Mutex::new(());

fn seeded() -> InMemory {
    let wm = InMemory::new()
        .with_variable("u/alice/name", "Alice")
        .unwrap()
        .with_resource(
            "f/db/pg",
            json!({"host": "db", "pw": "$var:u/alice/name"}),
            "postgresql",
        )
        .unwrap();
    wm.register_script("f/jobs/echo", |a| async move { Ok(Value::Object(a)) })
        .unwrap();
    wm.register_script_hash("00000000000000ab", |a| async move { Ok(Value::Object(a)) })
        .unwrap();
    wm.register_flow("f/jobs/flow", |a| async move {
        Ok(json!({"flow": Value::Object(a)}))
    })
    .unwrap();
    wm.register_script("f/jobs/fail", |_| async move {
        Err(json!({"name": "Error", "message": "nope"}))
    })
    .unwrap();
    wm.register_script("f/jobs/slow", |_| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(Value::Null)
    })
    .unwrap();
    wm
}

#[tokio::test]
async fn module_functions_use_the_installed_client() {
    let _g = GLOBAL.lock();
    wmill::set_client(Client::new(seeded()));

    assert_eq!(wmill::get_variable("u/alice/name").await.unwrap(), "Alice");
    assert_eq!(
        wmill::get_variable("var://u/alice/name").await.unwrap(),
        "Alice"
    );
    wmill::set_variable("u/alice/token", "t0k", true)
        .await
        .unwrap();
    assert_eq!(wmill::get_variable("u/alice/token").await.unwrap(), "t0k");
    let err = wmill::get_variable("u/alice/none").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotFound {
                kind: ItemKind::Variable,
                ..
            }
        ),
        "{err:?}"
    );
    let err = wmill::get_variable("alice/name").await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");

    assert_eq!(
        wmill::get_resource("$res:f/db/pg").await.unwrap(),
        json!({"host": "db", "pw": "Alice"})
    );
    #[derive(serde::Deserialize)]
    struct Pg {
        host: String,
    }
    assert_eq!(
        wmill::get_resource_as::<Pg>("f/db/pg").await.unwrap().host,
        "db"
    );
    assert_eq!(wmill::get_resource_opt("f/db/none").await.unwrap(), None);
    // A resource that exists but refers to a missing variable is an error, not `None`.
    wmill::set_resource(
        "f/db/broken",
        &json!({"pw": "$var:u/alice/missing"}),
        "postgresql",
    )
    .await
    .unwrap();
    let e = wmill::get_resource_opt("f/db/broken").await.unwrap_err();
    assert!(
        matches!(
            &e,
            Error::NotFound {
                kind: ItemKind::Variable,
                ..
            }
        ),
        "{e:?}"
    );
    wmill::delete_resource("f/db/broken").await.unwrap();
    wmill::set_resource("f/db/other", &json!({"x": 1}), "any")
        .await
        .unwrap();
    assert_eq!(
        wmill::list_resources(Some("postgresql"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        wmill::list_resources_with(&wmill::ListResources::new().page(1, 1))
            .await
            .unwrap()
            .len(),
        1
    );
    wmill::delete_resource("f/db/other").await.unwrap();
    assert_eq!(wmill::get_resource_opt("f/db/other").await.unwrap(), None);
    let listed = wmill::list_variables(&wmill::ListVariables::new().path_start("u/alice/"))
        .await
        .unwrap();
    assert!(
        listed
            .iter()
            .any(|v| v.path.as_str() == "u/alice/token" && v.is_secret)
    );
    wmill::delete_variable("u/alice/token").await.unwrap();
    assert!(
        wmill::get_variable("u/alice/token")
            .await
            .unwrap_err()
            .is_not_found()
    );

    assert_eq!(wmill::get_state().await.unwrap(), None);
    wmill::set_state(&json!({"n": 1})).await.unwrap();
    assert_eq!(
        wmill::get_state_as::<Value>().await.unwrap(),
        Some(json!({"n": 1}))
    );
    wmill::set_state_at("u/alice/other_state", &[1, 2])
        .await
        .unwrap();
    assert_eq!(
        wmill::get_state_at("u/alice/other_state").await.unwrap(),
        Some(json!([1, 2]))
    );

    let out = wmill::run_script_by_path("f/jobs/echo", &json!({"a": 1}))
        .await
        .unwrap();
    assert_eq!(out, json!({"a": 1}));
    let out = wmill::run_script_by_hash("00000000000000ab", &json!({"h": 1}))
        .await
        .unwrap();
    assert_eq!(out, json!({"h": 1}));
    let out = wmill::run_flow("f/jobs/flow", &json!({"f": 1}))
        .await
        .unwrap();
    assert_eq!(out, json!({"flow": {"f": 1}}));

    let id = wmill::run_script_by_path_async("f/jobs/echo", &json!({"b": 2}))
        .await
        .unwrap();
    assert_eq!(wmill::wait_job(id, None).await.unwrap(), json!({"b": 2}));
    assert_eq!(
        wmill::get_result(id.to_string()).await.unwrap(),
        json!({"b": 2})
    );
    assert_eq!(
        wmill::get_job_status(&id).await.unwrap(),
        JobStatus::Completed { success: true }
    );
    let opts = RunOptions::new().tag("t1");
    let id2 = wmill::run_script_by_path_async_with("f/jobs/echo", &json!({"c": 3}), &opts)
        .await
        .unwrap();
    let id3 = wmill::run_script_by_hash_async("00000000000000ab", &json!({}))
        .await
        .unwrap();
    let id4 = wmill::run_script_by_hash_async_with("00000000000000ab", &json!({}), &opts)
        .await
        .unwrap();
    let id5 = wmill::run_flow_async_with("f/jobs/flow", &json!({}), &opts)
        .await
        .unwrap();
    for id in [id2, id3, id4, id5] {
        wmill::wait_job_with(
            id,
            &wmill::WaitOptions::new().timeout(Duration::from_secs(5)),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        wmill::run_script_by_hash_with("00000000000000ab", &json!({"h": 2}), &opts)
            .await
            .unwrap(),
        json!({"h": 2})
    );
    assert_eq!(
        wmill::run_flow_with("f/jobs/flow", &json!({}), &opts)
            .await
            .unwrap(),
        json!({"flow": {}})
    );
    let flow = wmill::run_flow_async("f/jobs/flow", &json!({}))
        .await
        .unwrap();
    assert!(
        wmill::wait_job(flow, Some(Duration::from_secs(5)))
            .await
            .is_ok()
    );

    let err = wmill::run_script_by_path("f/jobs/fail", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.job_error().unwrap()["message"], "nope");
    let err = wmill::run_script_by_path("f/jobs/echo", &json!([1]))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput {
            what: "job arguments",
            ..
        }
    ));

    let slow = wmill::run_script_by_path_async("f/jobs/slow", &json!({}))
        .await
        .unwrap();
    let err = wmill::wait_job(slow, Some(Duration::from_millis(50)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(
        wmill::get_job_status(slow).await.unwrap(),
        JobStatus::Completed { success: false },
        "the timeout canceled the job"
    );
    assert!(
        matches!(
            wmill::get_job(slow).await.unwrap().state,
            wmill::JobState::Canceled { .. }
        ),
        "the typed job says canceled, not failed"
    );
    assert!(matches!(
        wmill::get_job("not-a-job-id").await,
        Err(Error::InvalidInput { .. })
    ));
    let err = wmill::run_script_by_path_with(
        "f/jobs/slow",
        &json!({}),
        &RunOptions::new().timeout(Duration::from_millis(50)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }));
    let other = wmill::run_script_by_path_async("f/jobs/slow", &json!({}))
        .await
        .unwrap();
    wmill::cancel_job(other, Some("test")).await.unwrap();
    assert!(matches!(
        wmill::wait_job(other, None).await,
        Err(Error::JobFailed { .. })
    ));
    assert!(wmill::get_result("not-a-uuid").await.is_err());
}

#[tokio::test]
async fn a_partial_client_reports_what_is_missing() {
    let _g = GLOBAL.lock();
    let mut vars = wmill::MockVariableStore::new();
    vars.expect_get_variable()
        .times(1)
        .returning(|_| Ok("from the mock".to_owned()));
    wmill::set_client(Client::builder().variables(Arc::new(vars)).build());
    assert_eq!(wmill::get_variable("u/x/y").await.unwrap(), "from the mock");
    let err = wmill::run_script_by_path("f/jobs/echo", &json!({}))
        .await
        .unwrap_err();
    match err {
        Error::NotConfigured { what, hint } => {
            assert_eq!(what, "jobs");
            assert!(hint.contains("Client::builder().jobs("), "{hint}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nothing_configured_is_not_configured() {
    let err = Client::from_vars(Vec::<(String, String)>::new()).unwrap_err();
    assert!(matches!(err, Error::NotConfigured { .. }), "{err:?}");
}

#[test]
fn the_mocked_api_file_gives_a_file_backed_client() {
    let _g = GLOBAL.lock();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mock.json");
    std::fs::write(&file, r#"{"variables": {"u/a/k": "v"}, "resources": {}}"#).unwrap();
    let client = Client::from_vars([
        ("WM_MOCKED_API_FILE".to_owned(), file.display().to_string()),
        ("WMILL_MOCKED_API_PERSIST".to_owned(), "true".to_owned()),
    ])
    .unwrap();
    wmill::set_client(client);
    assert_eq!(wmill::blocking::get_variable("u/a/k").unwrap(), "v");
    wmill::blocking::set_variable("u/a/new", "written", false).unwrap();
    let on_disk = std::fs::read_to_string(&file).unwrap();
    assert!(on_disk.contains("written"), "{on_disk}");
}

#[test]
fn blocking_from_plain_threads_at_once() {
    let _g = GLOBAL.lock();
    wmill::set_client(Client::new(seeded()));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                for j in 0..20 {
                    let path = format!("u/alice/t{i}");
                    let value = format!("{i}-{j}");
                    wmill::blocking::set_variable(&path, &value, false).unwrap();
                    assert_eq!(wmill::blocking::get_variable(&path).unwrap(), value);
                    let out = wmill::blocking::run_script_by_path(
                        "f/jobs/echo",
                        &json!({"i": i, "j": j}),
                    )
                    .unwrap();
                    assert_eq!(out, json!({"i": i, "j": j}));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn blocking_calls_nested_in_a_blocking_call_do_not_deadlock() {
    let _g = GLOBAL.lock();
    let wm = seeded();
    // A job whose closure uses the blocking API itself: it runs on the blocking runtime's
    // worker that the outer blocking call uses.
    wm.register_script("f/jobs/nested", |_| {
        let name = wmill::blocking::get_variable("u/alice/name");
        let nested = wmill::blocking::run_script_by_path("f/jobs/echo", &json!({"depth": 2}));
        async move {
            Ok(json!({
                "name": name.map_err(|e| json!(e.to_string()))?,
                "nested": nested.map_err(|e| json!(e.to_string()))?,
            }))
        }
    })
    .unwrap();
    wmill::set_client(Client::new(wm));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(wmill::blocking::run_script_by_path(
            "f/jobs/nested",
            &json!({}),
        ));
    });
    let out = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("a nested blocking call deadlocked")
        .unwrap();
    assert_eq!(out, json!({"name": "Alice", "nested": {"depth": 2}}));
}

#[test]
fn a_panic_inside_a_blocking_call_reaches_the_caller_with_its_message() {
    let _g = GLOBAL.lock();
    // A mock without expectations panics on any call (mockall's message says which).
    let vars = wmill::MockVariableStore::new();
    wmill::set_client(Client::builder().variables(Arc::new(vars)).build());
    let caught = std::panic::catch_unwind(|| wmill::blocking::get_variable("u/alice/name"));
    let payload = caught.expect_err("the mock's panic reaches the caller");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    assert!(message.contains("No matching expectation"), "{message:?}");
    // The runtime is still fine afterwards.
    wmill::set_client(Client::new(seeded()));
    assert_eq!(
        wmill::blocking::get_variable("u/alice/name").unwrap(),
        "Alice"
    );
}

/// The same from inside a runtime, where the call runs in place, parked between polls.
#[tokio::test]
async fn a_panic_inside_a_blocking_call_from_a_runtime_reaches_the_caller() {
    let _g = GLOBAL.lock();
    let vars = wmill::MockVariableStore::new();
    wmill::set_client(Client::builder().variables(Arc::new(vars)).build());
    let caught = std::panic::catch_unwind(|| wmill::blocking::get_variable("u/alice/name"));
    let payload = caught.expect_err("the mock's panic reaches the caller");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    assert!(message.contains("No matching expectation"), "{message:?}");
    wmill::set_client(Client::new(seeded()));
    assert_eq!(
        wmill::blocking::get_variable("u/alice/name").unwrap(),
        "Alice"
    );
}

/// A blocking call borrows its arguments: a future that borrows the caller's locals runs,
/// outside and inside a runtime.
#[test]
fn block_on_runs_a_future_that_borrows_from_the_caller() {
    let _g = GLOBAL.lock();
    wmill::set_client(Client::new(seeded()));
    let path = String::from("u/alice/name");
    let read = || wmill::blocking::block_on(wmill::get_variable(&path));
    assert_eq!(read().unwrap(), "Alice");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(async { read() }).unwrap(), "Alice");
}

#[tokio::test]
async fn blocking_inside_a_runtime_does_not_panic() {
    let _g = GLOBAL.lock();
    wmill::set_client(Client::new(seeded()));
    // Current-thread runtime: the call blocks this thread but runs on wmill's own runtime.
    assert_eq!(
        wmill::blocking::get_variable("u/alice/name").unwrap(),
        "Alice"
    );
    let id = wmill::blocking::run_script_by_path_async("f/jobs/echo", &json!({"x": 1})).unwrap();
    assert_eq!(
        wmill::blocking::wait_job(id, None).unwrap(),
        json!({"x": 1})
    );
    assert_eq!(
        wmill::blocking::get_job_status(id).unwrap(),
        JobStatus::Completed { success: true }
    );
    let job = wmill::blocking::get_job(id).unwrap();
    assert_eq!(job.state, wmill::JobState::Success);
    assert_eq!(job.script_path.as_deref(), Some("f/jobs/echo"));
    let slow = wmill::blocking::run_script_by_path_async("f/jobs/slow", &json!({})).unwrap();
    let err = wmill::blocking::wait_job(slow, Some(Duration::from_millis(20))).unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }));

    // The `_with` twins: options reach the backend.
    let by_hash = wmill::blocking::run_script_by_hash_async_with(
        "00000000000000ab",
        &json!({"h": 1}),
        &RunOptions::new().tag("blocking"),
    )
    .unwrap();
    assert_eq!(
        wmill::blocking::wait_job_with(
            by_hash,
            &wmill::WaitOptions::new().timeout(Duration::from_secs(5))
        )
        .unwrap(),
        json!({"h": 1})
    );
    let slow = wmill::blocking::run_script_by_path_async("f/jobs/slow", &json!({})).unwrap();
    let err = wmill::blocking::wait_job_with(
        slow,
        &wmill::WaitOptions::new().timeout(Duration::from_millis(20)),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    let vars = wmill::blocking::list_variables(&wmill::ListVariables::new().path_start("u/alice/"))
        .unwrap();
    assert_eq!(
        vars.iter().map(|v| v.path.as_str()).collect::<Vec<_>>(),
        ["u/alice/name"]
    );
    assert!(
        wmill::blocking::list_variables(&wmill::ListVariables::new().path_start("u/nobody/"))
            .unwrap()
            .is_empty()
    );
    let pg = wmill::blocking::list_resources_with(
        &wmill::ListResources::new().resource_type("postgresql"),
    )
    .unwrap();
    assert_eq!(
        pg.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(),
        ["f/db/pg"]
    );
    assert!(
        wmill::blocking::list_resources_with(&wmill::ListResources::new().resource_type("mysql"))
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_inside_a_multi_thread_runtime_does_not_panic() {
    let _g = GLOBAL.lock();
    wmill::set_client(Client::new(seeded()));
    let v = tokio::task::spawn_blocking(|| wmill::blocking::get_variable("u/alice/name"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v, "Alice");
    // Straight from an async task, too.
    assert_eq!(
        wmill::blocking::get_resource("f/db/pg").unwrap()["host"],
        "db"
    );
}

#[tokio::test]
async fn database_url_from_resource_reads_the_resource() {
    let _g = GLOBAL.lock();
    let wm = InMemory::new()
        .with_variable("u/alice/pw", "s3cr:t@")
        .unwrap()
        .with_resource(
            "f/db/main",
            json!({"host": "db.internal", "port": 5432, "user": "app",
                   "password": "$var:u/alice/pw", "dbname": "sales", "sslmode": "disable"}),
            "postgresql",
        )
        .unwrap();
    wmill::set_client(Client::new(wm));
    let expected = "postgresql://app:s3cr%3At%40@db.internal:5432/sales?sslmode=disable";
    assert_eq!(
        wmill::database_url_from_resource("$res:f/db/main")
            .await
            .unwrap(),
        expected
    );
    let blocking =
        tokio::task::spawn_blocking(|| wmill::blocking::database_url_from_resource("f/db/main"))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(blocking, expected);
    assert!(matches!(
        wmill::database_url_from_resource("f/db/none").await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        wmill::blocking::parse_resource_syntax("res://f/a/b"),
        Some("f/a/b")
    );
    assert_eq!(
        wmill::blocking::parse_variable_syntax("var://u/a/b"),
        Some("u/a/b")
    );
    assert_eq!(
        wmill::blocking::parse_s3_object("s3:///k").unwrap().key(),
        "k"
    );
}

/// Flows by version and the run options, through the module-level functions and their blocking
/// twins: what an endpoint does not take is refused before anything starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_by_version_and_run_options_on_the_global_client() {
    let _g = GLOBAL.lock();
    let wm = seeded();
    wm.register_flow_version(wmill::FlowVersion::new(5), |a| async move {
        Ok(json!({"v5": Value::Object(a)}))
    });
    wmill::set_client(Client::new(wm.clone()));
    let out = wmill::run_flow_by_version(5, &json!({"a": 1}))
        .await
        .unwrap();
    assert_eq!(out, json!({"v5": {"a": 1}}));
    let id = wmill::run_flow_by_version_async_with(
        5,
        &json!({}),
        &RunOptions::new().memory_id("chat").skip_preprocessor(true),
    )
    .await
    .unwrap();
    assert_eq!(wmill::wait_job(id, None).await.unwrap(), json!({"v5": {}}));
    let e =
        wmill::run_flow_by_version_with(5, &json!({}), &RunOptions::new().queue_limit(1).tag("t"))
            .await
            .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidInput {
                what: "run option",
                ..
            }
        ),
        "{e:?}"
    );
    let e = wmill::run_script_by_path_async_with(
        "f/jobs/echo",
        &json!({}),
        &RunOptions::new().memory_id("m"),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("runScriptByPath"), "{e}");
    let before = wm.started_jobs().len();
    tokio::task::spawn_blocking(|| {
        let v = wmill::blocking::run_flow_by_version(5, &json!({"b": 2})).unwrap();
        assert_eq!(v, json!({"v5": {"b": 2}}));
        let id = wmill::blocking::run_flow_by_version_async_with(
            wmill::FlowVersion::new(5),
            &json!({}),
            &RunOptions::new().tag("gpu"),
        )
        .unwrap();
        wmill::blocking::wait_job(id, None).unwrap();
        assert!(
            wmill::blocking::run_flow_by_version_with(
                5,
                &json!({}),
                &RunOptions::new().cache_ttl(Duration::from_secs(3)),
            )
            .is_err()
        );
        assert!(
            wmill::blocking::run_flow_by_version_async(6, &json!({}))
                .unwrap_err()
                .is_not_found()
        );
    })
    .await
    .unwrap();
    let started = wm.started_jobs();
    assert_eq!(started.len(), before + 2);
    assert_eq!(started.last().unwrap().options.tag.as_deref(), Some("gpu"));
}
