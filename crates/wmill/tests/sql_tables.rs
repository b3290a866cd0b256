//! `wmill::datatable` / `wmill::ducklake` and their blocking twins on the global client:
//! the inline preview they send (wiremock, exact body), and what they do without a server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The lock serializes the tests that share the global client; holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

#[path = "../../wmill-http/tests/support/mod.rs"]
mod support;

use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::{Value, json};
use support::{builder, call, exact_query, json_body, server};
use wiremock::ResponseTemplate;
use wmill::{Client, Error, InMemory};

static GLOBAL: Mutex<()> = Mutex::new(());

const INLINE: &str = "/api/w/ws/jobs/run_inline/preview";

#[derive(Debug, Deserialize, PartialEq)]
struct Friend {
    name: String,
    age: i64,
}

#[tokio::test(flavor = "multi_thread")]
async fn module_functions_and_blocking_twins_send_the_preview() {
    let _g = GLOBAL.lock();
    let server = server().await;
    let select = "SELECT name, age FROM friend WHERE age >= $1";
    call("POST", INLINE)
        .and(exact_query(&[]))
        .and(json_body(json!({
            "content": format!("-- result_collection=last_statement_all_rows\n-- role reader\n-- $1 arg1 (BIGINT)\n{select}"),
            "language": "postgresql",
            "args": {"arg1": 18, "database": "datatable://main"},
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"name": "Ada", "age": 36}])))
        .expect(2)
        .mount(&server)
        .await;
    call("POST", INLINE)
        .and(json_body(json!({
            "content": "-- result_collection=last_statement_first_row_scalar\n-- $n (TEXT)\nATTACH 'ducklake://lake' AS dl;USE dl;\nSELECT count(*) FROM friend WHERE name = $n",
            "language": "duckdb",
            "args": {"n": "Ada"},
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(1)))
        .expect(2)
        .mount(&server)
        .await;
    call("POST", INLINE)
        .and(json_body(json!({
            "content": "ATTACH 'ducklake://main' AS dl;USE dl;\nCREATE OR REPLACE TABLE dl.adults AS SELECT * FROM (SELECT * FROM friend);",
            "language": "duckdb",
            "args": {},
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    wmill::set_client(Client::windmill(builder(&server).build().unwrap()));

    let rows: Vec<Friend> = wmill::datatable("main")
        .role("reader")
        .query(select)
        .bind(18)
        .fetch()
        .await
        .unwrap();
    assert_eq!(
        rows,
        vec![Friend {
            name: "Ada".into(),
            age: 36
        }]
    );
    let n: Option<i64> = wmill::ducklake("lake")
        .query("SELECT count(*) FROM friend WHERE name = $n")
        .bind_named("n", "Ada")
        .fetch_scalar()
        .await
        .unwrap();
    assert_eq!(n, Some(1));

    let (rows, n) = tokio::task::spawn_blocking(move || {
        let rows: Vec<Friend> = wmill::blocking::datatable("main")
            .role("reader")
            .query(select)
            .bind(18)
            .fetch()
            .unwrap();
        let n: Option<i64> = wmill::blocking::ducklake("lake")
            .query("SELECT count(*) FROM friend WHERE name = $n")
            .bind_named("n", "Ada")
            .fetch_scalar()
            .unwrap();
        wmill::blocking::ducklake("main")
            .pipeline(false)
            .upsert_partition("adults", "SELECT * FROM friend")
            .execute()
            .unwrap();
        (rows, n)
    })
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(n, Some(1));
    wmill::reset_client();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_server_sql_is_unsupported_and_bad_input_still_invalid() {
    let _g = GLOBAL.lock();
    wmill::set_client(Client::new(InMemory::new()));
    let err = wmill::datatable("main")
        .query("SELECT 1")
        .fetch::<Value>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    let err = wmill::ducklake("main")
        .query("SELECT 1")
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    let err = wmill::datatable("main")
        .role("a b")
        .query("SELECT 1")
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let err = tokio::task::spawn_blocking(|| {
        wmill::blocking::ducklake("x'y").query("SELECT 1").execute()
    })
    .await
    .unwrap()
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    wmill::reset_client();
}

/// Against the fake Windmill server (which evaluates the SQL it receives): a data table and a
/// lake filled and read back through bound values, errors as the server sends them, and the
/// materialization record of a pipeline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_through_the_fake_server() {
    use wmill_tests::fake_windmill::FakeWindmill;
    let _g = GLOBAL.lock();
    let server = FakeWindmill::start().await;
    let wm = wmill::Windmill::builder()
        .with_base_url(server.base_url())
        .with_token(server.token().unwrap())
        .with_workspace(server.workspace())
        .with_job_id(support::JOB)
        .build()
        .unwrap();
    wmill::set_client(Client::windmill(wm));

    let db = wmill::datatable("main");
    db.query("CREATE TABLE IF NOT EXISTS friend (name TEXT, age BIGINT)")
        .execute()
        .await
        .unwrap();
    // A value that would break SQL if it were spliced in is just a value.
    let tricky = "Robin'); DROP TABLE friend; --";
    for (name, age) in [(tricky, 21), ("Ada", 36)] {
        db.query("INSERT INTO friend (name, age) VALUES ($1, $2)")
            .bind(name)
            .bind(age)
            .execute()
            .await
            .unwrap();
    }
    let adults: Vec<Friend> = db
        .query("SELECT name, age FROM friend WHERE age >= $1 ORDER BY age")
        .bind(18)
        .fetch()
        .await
        .unwrap();
    assert_eq!(
        adults,
        vec![
            Friend {
                name: tricky.into(),
                age: 21
            },
            Friend {
                name: "Ada".into(),
                age: 36
            }
        ]
    );
    let n: Option<i64> = db
        .query("SELECT count(*) FROM friend")
        .fetch_scalar()
        .await
        .unwrap();
    assert_eq!(n, Some(2));
    assert_eq!(
        server.sql_tables("datatable://main")["public.friend"].len(),
        2
    );
    // A schema of its own: `main:sales` does not see `public.friend`.
    let err = wmill::datatable("main:sales")
        .query("SELECT * FROM friend")
        .fetch::<Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Api { status: 500, ref body, .. } if body.contains("does not exist")),
        "{err:?}"
    );

    let lake = wmill::ducklake("main");
    lake.query("CREATE TABLE events (id BIGINT, _wm_partition TEXT)")
        .execute()
        .await
        .unwrap();
    lake.query("INSERT INTO events VALUES ($id, $day)")
        .bind_named("id", 1)
        .bind_named("day", "2026-06-19")
        .execute()
        .await
        .unwrap();
    let day: Vec<Value> = lake
        .read("events", Some("2026-06-19"))
        .fetch()
        .await
        .unwrap();
    assert_eq!(day, vec![json!({"id": 1, "_wm_partition": "2026-06-19"})]);

    // The fake engine has no CREATE TABLE ... AS: the upsert fails, and in a pipeline that
    // failure is recorded before it is returned.
    let err = lake
        .clone()
        .pipeline(true)
        .upsert_partition("daily", "SELECT * FROM events")
        .partition("2026-06-19")
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
    let records = server.materializations();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["status"], "failed");
    assert_eq!(records[0]["asset_path"], "main/daily");
    assert_eq!(records[0]["partition"], "2026-06-19");
    assert_eq!(records[0]["job_id"], support::JOB);
    wmill::reset_client();
}
