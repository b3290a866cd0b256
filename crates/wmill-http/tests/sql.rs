//! Data tables and DuckLake: the exact inline-preview body (SQL text with its header, language,
//! args) of every query shape and argument type, the endpoint choice, failures, inputs refused
//! before any request, and the materialization record of the partition helpers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde::Deserialize;
use serde_json::{Value, json};
use support::*;
use wiremock::MockServer;
use wmill_core::Error;
use wmill_http::{ResultCollection, Windmill};

const INLINE: &str = "/api/w/ws/jobs/run_inline/preview";
const WAIT: &str = "/api/w/ws/jobs/run_wait_result/preview";
const RECORD: &str = "/api/w/ws/assets/record_materialization";

/// Expects exactly one inline preview with this body, answering `answer`.
async fn expect_preview(
    server: &MockServer,
    path: &str,
    content: &str,
    language: &str,
    args: Value,
    answer: Value,
) {
    call("POST", path)
        .and(exact_query(&[]))
        .and(json_body(
            json!({"content": content, "language": language, "args": args}),
        ))
        .respond_with(json(200, answer))
        .expect(1)
        .mount(server)
        .await;
}

/// A client that reaches `server` through a name that is not localhost (so previews go to
/// `run_wait_result/preview`).
fn remote_client(server: &MockServer) -> Windmill {
    let http = reqwest::Client::builder()
        .resolve("windmill.internal", *server.address())
        .build()
        .unwrap();
    Windmill::builder()
        .with_base_url(format!(
            "http://windmill.internal:{}",
            server.address().port()
        ))
        .with_token(TOKEN)
        .with_workspace(WS)
        .with_client(http)
        .build()
        .unwrap()
}

async fn no_request_sent(server: &MockServer) {
    let got = server.received_requests().await.unwrap_or_default();
    assert!(got.is_empty(), "requests were sent: {got:?}");
}

#[derive(Debug, Deserialize, PartialEq)]
struct Friend {
    name: String,
    age: i64,
}

// ------------------------------------------------------------------------------- data tables

#[tokio::test]
async fn datatable_fetch_declares_every_argument_type() {
    let server = server().await;
    let sql = "SELECT name, age FROM friend WHERE a = $1 AND b = $2 AND c = $3 AND d = $4 AND e IS $5 AND f = $6 AND g = $7";
    let content = format!(
        "-- result_collection=last_statement_all_rows\n\
         -- $1 arg1 (BOOLEAN)\n\
         -- $2 arg2 (BIGINT)\n\
         -- $3 arg3 (FLOAT8)\n\
         -- $4 arg4 (TEXT)\n\
         -- $5 arg5 (TEXT)\n\
         -- $6 arg6 (JSON)\n\
         -- $7 arg7 (JSON)\n\
         {sql}"
    );
    expect_preview(
        &server,
        INLINE,
        &content,
        "postgresql",
        json!({
            "arg1": true, "arg2": -42, "arg3": 2.5, "arg4": "Robin'; DROP TABLE friend; --",
            "arg5": null, "arg6": [1, "x"], "arg7": {"k": [true]},
            "database": "datatable://main",
        }),
        json!([{"name": "Robin", "age": 21}, {"name": "Ada", "age": 36}]),
    )
    .await;
    let wm = client(&server);
    let rows: Vec<Friend> = wm
        .datatable("main")
        .query(sql)
        .bind(true)
        .bind(-42_i64)
        .bind(2.5_f64)
        .bind("Robin'; DROP TABLE friend; --")
        .bind(None::<String>)
        .bind(json!([1, "x"]))
        .bind(json!({"k": [true]}))
        .fetch()
        .await
        .unwrap();
    assert_eq!(
        rows,
        vec![
            Friend {
                name: "Robin".into(),
                age: 21
            },
            Friend {
                name: "Ada".into(),
                age: 36
            }
        ]
    );
}

#[tokio::test]
async fn datatable_fetch_one_scalar_and_execute_headers() {
    let server = server().await;
    let sql = "SELECT name, age FROM friend WHERE name = $1";
    expect_preview(
        &server,
        INLINE,
        &format!("-- result_collection=last_statement_first_row\n-- $1 arg1 (TEXT)\n{sql}"),
        "postgresql",
        json!({"arg1": "Robin", "database": "datatable://main"}),
        json!({"name": "Robin", "age": 21}),
    )
    .await;
    expect_preview(
        &server,
        INLINE,
        &format!("-- result_collection=last_statement_first_row\n-- $1 arg1 (TEXT)\n{sql}"),
        "postgresql",
        json!({"arg1": "Nobody", "database": "datatable://main"}),
        Value::Null,
    )
    .await;
    expect_preview(
        &server,
        INLINE,
        "-- result_collection=last_statement_first_row_scalar\nSELECT count(*) FROM friend",
        "postgresql",
        json!({"database": "datatable://main"}),
        json!(2),
    )
    .await;
    expect_preview(
        &server,
        INLINE,
        "-- $1 arg1 (TEXT)\n-- $2 arg2 (BIGINT)\nINSERT INTO friend VALUES ($1, $2)",
        "postgresql",
        json!({"arg1": "Ada", "arg2": 36, "database": "datatable://main"}),
        json!([]),
    )
    .await;
    let db = client(&server).datatable("main");
    let robin: Option<Friend> = db.query(sql).bind("Robin").fetch_one().await.unwrap();
    assert_eq!(robin.unwrap().age, 21);
    let nobody: Option<Friend> = db.query(sql).bind("Nobody").fetch_one().await.unwrap();
    assert!(nobody.is_none());
    let n: Option<i64> = db
        .query("SELECT count(*) FROM friend")
        .fetch_scalar()
        .await
        .unwrap();
    assert_eq!(n, Some(2));
    db.query("INSERT INTO friend VALUES ($1, $2)")
        .bind("Ada")
        .bind(36)
        .execute()
        .await
        .unwrap();
}

#[tokio::test]
async fn datatable_role_schema_and_explicit_types() {
    let server = server().await;
    expect_preview(
        &server,
        INLINE,
        "-- result_collection=all_statements_all_rows\n\
         -- role app_reader-1\n\
         -- $1 arg1 (UUID)\n\
         -- $2 arg2 (TEXT[])\n\
         SET search_path TO \"sales\";\n\
         SELECT * FROM orders WHERE id = $1 AND tag = ANY($2)",
        "postgresql",
        json!({"arg1": "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12", "arg2": ["a", "b"], "database": "datatable://analytics"}),
        json!([[], [{"id": 1}]]),
    )
    .await;
    let out = client(&server)
        .datatable("analytics:sales")
        .role("app_reader-1")
        .query("SELECT * FROM orders WHERE id = $1 AND tag = ANY($2)")
        .bind_as("0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12", "UUID")
        .bind_as(["a", "b"], "TEXT[]")
        .fetch_collection(Some(ResultCollection::AllStatementsAllRows))
        .await
        .unwrap();
    assert_eq!(out, json!([[], [{"id": 1}]]));
}

#[tokio::test]
async fn datatable_empty_name_is_main() {
    let server = server().await;
    expect_preview(
        &server,
        INLINE,
        "-- result_collection=last_statement_first_row_scalar\nSELECT 1",
        "postgresql",
        json!({"database": "datatable://main"}),
        json!(1),
    )
    .await;
    let one: Option<u8> = client(&server)
        .datatable("")
        .query("SELECT 1")
        .fetch_scalar()
        .await
        .unwrap();
    assert_eq!(one, Some(1));
}

#[tokio::test]
async fn not_localhost_uses_run_wait_result_preview() {
    let server = server().await;
    expect_preview(
        &server,
        WAIT,
        "-- result_collection=last_statement_all_rows\n-- $1 arg1 (BIGINT)\nSELECT name, age FROM friend WHERE age > $1",
        "postgresql",
        json!({"arg1": 30, "database": "datatable://main"}),
        json!([{"name": "Ada", "age": 36}]),
    )
    .await;
    expect_preview(
        &server,
        WAIT,
        "-- $arg1 (BIGINT)\nATTACH 'ducklake://main' AS dl;USE dl;\nDELETE FROM t WHERE id = $arg1",
        "duckdb",
        json!({"arg1": 1}),
        json!([]),
    )
    .await;
    let wm = remote_client(&server);
    assert!(!wm.worker_has_internal_server());
    let rows: Vec<Friend> = wm
        .datatable("main")
        .query("SELECT name, age FROM friend WHERE age > $1")
        .bind(30)
        .fetch()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    wm.ducklake("main")
        .query("DELETE FROM t WHERE id = $arg1")
        .bind(1)
        .execute()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_refused_query_is_a_typed_error_with_status_and_body() {
    let server = server().await;
    // run_inline: the database's error as a 500 text answer.
    call("POST", INLINE)
        .respond_with(text(
            500,
            "Internal: datatable error: relation \"nope\" does not exist",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .datatable("main")
        .query("SELECT * FROM nope")
        .fetch::<Value>()
        .await
        .unwrap_err();
    match &err {
        Error::Api { status, body, .. } => {
            assert_eq!(*status, 500);
            assert!(body.contains("relation \"nope\" does not exist"), "{body}");
        }
        other => panic!("expected Api, got {other:?}"),
    }
    // Not retried: a statement may have had effects.
    assert_eq!(received(&server, INLINE).await.len(), 1);

    // run_wait_result: the failed preview's error as a 422 JSON answer.
    let other = server_with_wait_failure().await;
    let err = remote_client(&other)
        .ducklake("main")
        .query("SELEC 1")
        .execute()
        .await
        .unwrap_err();
    match &err {
        Error::Api { status, body, .. } => {
            assert_eq!(*status, 422);
            assert!(body.contains("syntax error"), "{body}");
        }
        other => panic!("expected Api, got {other:?}"),
    }
}

async fn server_with_wait_failure() -> MockServer {
    let server = server().await;
    call("POST", WAIT)
        .respond_with(json(
            422,
            json!({"error": {"name": "ExecutionErr", "message": "Parser Error: syntax error at or near \"SELEC\""}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn rows_that_do_not_fit_are_a_decode_error_without_values() {
    let server = server().await;
    call("POST", INLINE)
        .respond_with(json(200, json!([{"name": "Robin", "age": "s3cret-age"}])))
        .mount(&server)
        .await;
    let err = client(&server)
        .datatable("main")
        .query("SELECT name, age FROM friend")
        .fetch::<Friend>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let text = format!("{err} {:?}", std::error::Error::source(&err));
    assert!(!text.contains("s3cret-age"), "{text}");
    assert!(text.contains("datatable main query"), "{text}");
}

#[tokio::test]
async fn bad_inputs_are_refused_before_any_request() {
    let server = server().await;
    let wm = client(&server);
    let cases = vec![
        wm.datatable("ma'in").query("SELECT 1"),
        wm.datatable("main:sa\"les").query("SELECT 1"),
        wm.datatable("main:").query("SELECT 1"),
        wm.datatable("a:b:c").query("SELECT 1"),
        wm.datatable(&"x".repeat(64)).query("SELECT 1"),
        wm.datatable("main")
            .role("r; DROP ROLE x")
            .query("SELECT 1"),
        wm.datatable("main").role("").query("SELECT 1"),
        wm.datatable("main").role(&"r".repeat(64)).query("SELECT 1"),
        wm.datatable("main")
            .role("r\n-- role admin")
            .query("SELECT 1"),
        wm.datatable("main").query("   "),
        wm.datatable("main").query("SELECT $1").bind(u64::MAX),
        wm.datatable("main")
            .query("SELECT $1")
            .bind_as(1, "int); DROP"),
        wm.datatable("main")
            .query("SELECT $1")
            .bind_as(1, "DOUBLE PRECISION"),
        wm.datatable("main").query("SELECT $x").bind_named("x", 1),
        wm.ducklake("main' AS x; ATTACH 'evil").query("SELECT 1"),
        wm.ducklake("main:a\"b").query("SELECT 1"),
        wm.ducklake("main").query("SELECT $1x").bind_named("1x", 1),
        wm.ducklake("main")
            .query("SELECT $a")
            .bind_named("a", 1)
            .bind_named("a", 2),
        wm.ducklake("main")
            .query("SELECT $arg1")
            .bind(1)
            .bind_named("arg1", 2),
        wm.ducklake("main").read("t; DROP TABLE x", None),
        wm.ducklake("main").read("a.b.c", Some("p")),
        wm.ducklake("main")
            .upsert_partition("t", "SELECT 1")
            .partition_col("p; x")
            .statement(),
        wm.ducklake("main")
            .upsert_partition("t", "SELECT 1")
            .unique_key("id)")
            .statement(),
        wm.ducklake("main")
            .append_partition("t", "SELECT 1")
            .unique_key("id")
            .statement(),
        wm.ducklake("main").upsert_partition("t", " ").statement(),
    ];
    for q in cases {
        let err = q.fetch::<Value>().await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { .. }),
            "{} -> {err:?}",
            q.sql()
        );
        assert!(q.execute().await.is_err());
    }
    let m = wm
        .ducklake("main")
        .pipeline(true)
        .append_partition("t", "SELECT 1")
        .unique_key("id");
    assert!(matches!(
        m.execute().await.unwrap_err(),
        Error::InvalidInput { .. }
    ));
    no_request_sent(&server).await;
}

// ---------------------------------------------------------------------------------- DuckLake

#[tokio::test]
async fn ducklake_positional_named_and_schema() {
    let server = server().await;
    expect_preview(
        &server,
        INLINE,
        "-- result_collection=last_statement_all_rows\n\
         -- $arg1 (BIGINT)\n\
         -- $since (TEXT)\n\
         -- $arg2 (FLOAT8)\n\
         -- $flags (JSON)\n\
         -- $ok (BOOLEAN)\n\
         ATTACH 'ducklake://lake_2' AS dl;USE dl.\"analytics\";\n\
         SELECT * FROM events WHERE id > $arg1 AND day >= $since AND score > $arg2 AND flags = $flags AND ok = $ok",
        "duckdb",
        json!({"arg1": 7, "since": "2026-06-01", "arg2": 0.5, "flags": {"a": 1}, "ok": false}),
        json!([{"id": 8}]),
    )
    .await;
    let rows: Vec<Value> = client(&server)
        .ducklake("lake_2:analytics")
        .query("SELECT * FROM events WHERE id > $arg1 AND day >= $since AND score > $arg2 AND flags = $flags AND ok = $ok")
        .bind(7)
        .bind_named("since", "2026-06-01")
        .bind(0.5)
        .bind_named("flags", json!({"a": 1}))
        .bind_named_as("ok", false, "BOOLEAN")
        .fetch()
        .await
        .unwrap();
    assert_eq!(rows, vec![json!({"id": 8})]);
}

#[tokio::test]
async fn ducklake_fetch_shapes_and_read() {
    let server = server().await;
    let attach = "ATTACH 'ducklake://main' AS dl;USE dl;\n";
    expect_preview(
        &server,
        INLINE,
        &format!("-- result_collection=last_statement_first_row\n{attach}SELECT 1 AS one"),
        "duckdb",
        json!({}),
        json!({"one": 1}),
    )
    .await;
    expect_preview(
        &server,
        INLINE,
        &format!(
            "-- result_collection=last_statement_all_rows\n-- $arg1 (TEXT)\n{attach}SELECT * FROM dl.orders WHERE _wm_partition = $arg1"
        ),
        "duckdb",
        json!({"arg1": "2026-06-19"}),
        json!([{"id": 1, "_wm_partition": "2026-06-19"}]),
    )
    .await;
    expect_preview(
        &server,
        INLINE,
        &format!(
            "-- result_collection=last_statement_all_rows\n{attach}SELECT * FROM dl.sales.orders"
        ),
        "duckdb",
        json!({}),
        json!([]),
    )
    .await;
    let lake = client(&server).ducklake("main");
    let one: Option<Value> = lake.query("SELECT 1 AS one").fetch_one().await.unwrap();
    assert_eq!(one, Some(json!({"one": 1})));
    let part: Vec<Value> = lake
        .read("orders", Some("2026-06-19"))
        .fetch()
        .await
        .unwrap();
    assert_eq!(part.len(), 1);
    let all: Vec<Value> = lake.read("sales.orders", None).fetch().await.unwrap();
    assert!(all.is_empty());
}

/// The statements of each partition helper, exactly.
#[tokio::test]
async fn partition_helpers_send_the_official_statements() {
    let server = server().await;
    let attach = "ATTACH 'ducklake://main' AS dl;USE dl;\n";
    let s = "SELECT * FROM staging WHERE day = '2026-06-19'";
    let cases: Vec<(&str, Value, String)> = vec![
        // upsert, partition, unique key
        (
            "upsert p k",
            json!({"arg1": "2026-06-19", "arg2": "2026-06-19"}),
            format!(
                "-- $arg1 (TEXT)\n-- $arg2 (TEXT)\n{attach}\
                 CREATE TABLE IF NOT EXISTS dl.orders AS SELECT *, CAST(NULL AS VARCHAR) AS _wm_partition FROM ({s}) WHERE false;\n\
                 ALTER TABLE dl.orders SET PARTITIONED BY (_wm_partition);\n\
                 BEGIN TRANSACTION;\n\
                 DELETE FROM dl.orders WHERE _wm_partition = $arg1 AND id IN (SELECT id FROM ({s}));\n\
                 INSERT INTO dl.orders SELECT *, $arg2 AS _wm_partition FROM ({s});\n\
                 COMMIT;"
            ),
        ),
        // upsert, partition, replace
        (
            "upsert p",
            json!({"arg1": "2026-06-19", "arg2": "2026-06-19"}),
            format!(
                "-- $arg1 (TEXT)\n-- $arg2 (TEXT)\n{attach}\
                 CREATE TABLE IF NOT EXISTS dl.orders AS SELECT *, CAST(NULL AS VARCHAR) AS day_part FROM ({s}) WHERE false;\n\
                 ALTER TABLE dl.orders SET PARTITIONED BY (day_part);\n\
                 BEGIN TRANSACTION;\n\
                 DELETE FROM dl.orders WHERE day_part = $arg1;\n\
                 INSERT INTO dl.orders SELECT *, $arg2 AS day_part FROM ({s});\n\
                 COMMIT;"
            ),
        ),
        // upsert, whole table, unique key
        (
            "upsert k",
            json!({}),
            format!(
                "{attach}CREATE TABLE IF NOT EXISTS dl.orders AS SELECT * FROM ({s}) WHERE false;\n\
                 BEGIN TRANSACTION;\n\
                 DELETE FROM dl.orders WHERE id IN (SELECT id FROM ({s}));\n\
                 INSERT INTO dl.orders SELECT * FROM ({s});\n\
                 COMMIT;"
            ),
        ),
        // upsert, whole table, replace
        (
            "upsert",
            json!({}),
            format!("{attach}CREATE OR REPLACE TABLE dl.orders AS SELECT * FROM ({s});"),
        ),
        // append, partition
        (
            "append p",
            json!({"arg1": "2026-06-19"}),
            format!(
                "-- $arg1 (TEXT)\n{attach}\
                 CREATE TABLE IF NOT EXISTS dl.orders AS SELECT *, CAST(NULL AS VARCHAR) AS _wm_partition FROM ({s}) WHERE false;\n\
                 ALTER TABLE dl.orders SET PARTITIONED BY (_wm_partition);\n\
                 INSERT INTO dl.orders SELECT *, $arg1 AS _wm_partition FROM ({s});"
            ),
        ),
        // append, whole table
        (
            "append",
            json!({}),
            format!(
                "{attach}CREATE TABLE IF NOT EXISTS dl.orders AS SELECT * FROM ({s}) WHERE false;\n\
                 INSERT INTO dl.orders SELECT * FROM ({s});"
            ),
        ),
    ];
    for (_, args, content) in &cases {
        expect_preview(&server, INLINE, content, "duckdb", args.clone(), json!([])).await;
    }
    // Outside a pipeline: only the statements, no record.
    let lake = client(&server).ducklake("main").pipeline(false);
    for (label, _, _) in &cases {
        let m = match *label {
            "upsert p k" => lake
                .upsert_partition("orders", s)
                .partition("2026-06-19")
                .unique_key("id"),
            "upsert p" => lake
                .upsert_partition("orders", s)
                .partition("2026-06-19")
                .partition_col("day_part"),
            "upsert k" => lake.upsert_partition("orders", s).unique_key("id"),
            "upsert" => lake.upsert_partition("orders", s),
            "append p" => lake.append_partition("orders", s).partition("2026-06-19"),
            "append" => lake.append_partition("orders", s),
            other => panic!("{other}"),
        };
        m.execute().await.unwrap();
    }
    assert!(received(&server, RECORD).await.is_empty());
}

#[tokio::test]
async fn in_a_pipeline_a_materialization_is_recorded() {
    let server = server().await;
    let attach = "ATTACH 'ducklake://lake' AS dl;USE dl.\"sales\";\n";
    expect_preview(
        &server,
        INLINE,
        &format!(
            "-- $arg1 (TEXT)\n{attach}\
             CREATE TABLE IF NOT EXISTS dl.events AS SELECT *, CAST(NULL AS VARCHAR) AS _wm_partition FROM (SELECT 1 AS x) WHERE false;\n\
             ALTER TABLE dl.events SET PARTITIONED BY (_wm_partition);\n\
             INSERT INTO dl.events SELECT *, $arg1 AS _wm_partition FROM (SELECT 1 AS x);"
        ),
        "duckdb",
        json!({"arg1": "2026-06-19"}),
        json!([]),
    )
    .await;
    expect_preview(
        &server,
        INLINE,
        &format!(
            "-- result_collection=last_statement_first_row\n-- $arg1 (TEXT)\n{attach}\
             SELECT (SELECT count(*) FROM dl.events WHERE _wm_partition = $arg1) AS rows, \
             (SELECT max(snapshot_id) FROM ducklake_snapshots('dl')) AS snapshot_id"
        ),
        "duckdb",
        json!({"arg1": "2026-06-19"}),
        json!({"rows": 3, "snapshot_id": 12}),
    )
    .await;
    call("POST", RECORD)
        .and(exact_query(&[]))
        .and(json_body(json!({
            "asset_kind": "ducklake",
            "asset_path": "lake/sales.events",
            "partition": "2026-06-19",
            "status": "materialized",
            "snapshot_id": 12,
            "row_count": 3,
            "job_id": JOB,
            "error": null,
        })))
        .respond_with(json(200, json!(null)))
        .expect(1)
        .mount(&server)
        .await;
    job_client(&server)
        .ducklake("lake:sales")
        .pipeline(true)
        .append_partition("events", "SELECT 1 AS x")
        .partition("2026-06-19")
        .execute()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failed_materialization_is_recorded_and_returned_and_a_failed_record_is_swallowed() {
    let server = server().await;
    call("POST", INLINE)
        .respond_with(text(500, "Internal: Catalog Error: Table x does not exist"))
        .expect(1)
        .mount(&server)
        .await;
    // The record itself fails: never the caller's error.
    call("POST", RECORD)
        .and(json_body(json!({
            "asset_kind": "ducklake",
            "asset_path": "main/orders",
            "partition": "",
            "status": "failed",
            "snapshot_id": null,
            "row_count": null,
            "job_id": null,
            "error": format!("server answered HTTP 500 on POST {INLINE}: Internal: Catalog Error: Table x does not exist"),
        })))
        .respond_with(text(500, "Internal: no asset table"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .ducklake("main")
        .pipeline(true)
        .upsert_partition("orders", "SELECT * FROM x")
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
}

#[tokio::test]
async fn a_failed_summary_still_records_the_materialization() {
    let server = server().await;
    let attach = "ATTACH 'ducklake://main' AS dl;USE dl;\n";
    expect_preview(
        &server,
        INLINE,
        &format!("{attach}CREATE OR REPLACE TABLE dl.t AS SELECT * FROM (SELECT 1);"),
        "duckdb",
        json!({}),
        json!([]),
    )
    .await;
    call("POST", INLINE)
        .and(|r: &wiremock::Request| {
            String::from_utf8_lossy(&r.body).contains("ducklake_snapshots")
        })
        .respond_with(text(500, "Internal: no snapshots"))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", RECORD)
        .and(json_body(json!({
            "asset_kind": "ducklake", "asset_path": "main/t", "partition": "",
            "status": "materialized", "snapshot_id": null, "row_count": null,
            "job_id": JOB, "error": null,
        })))
        .respond_with(json(200, json!(null)))
        .expect(1)
        .mount(&server)
        .await;
    job_client(&server)
        .ducklake("main")
        .pipeline(true)
        .upsert_partition("t", "SELECT 1")
        .execute()
        .await
        .unwrap();
}
