//! Listings: every request asserted (method, path, exact query, auth header), answers shaped
//! like the server's (`jobs/list` rows of both types, short script and flow rows), the
//! `created_before` cursor, repeated pages, and bad input rejected before any request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use futures::TryStreamExt;
use serde_json::{Value, json};
use support::*;
use wiremock::MockServer;
use wmill_core::{
    Error, ItemPath, JobId, JobListStatus, JobQuery, JobRunnerListExt, ListResources,
    ListRunnables, ListVariables, VariableStore, timestamp_from_rfc3339,
};

fn id(n: u128) -> String {
    JobId::from_u128(n).to_string()
}

/// A `CompletedJob` row as `jobs/list` sends it.
fn completed(n: u128, created_at: &str) -> Value {
    json!({
        "type": "CompletedJob",
        "workspace_id": WS, "id": id(n), "parent_job": null, "created_by": "ada",
        "created_at": created_at, "started_at": created_at, "completed_at": created_at,
        "duration_ms": 12, "success": true, "script_path": "f/etl/load",
        "script_hash": "0123456789abcdef", "args": null, "result": null, "logs": null,
        "deleted": false, "canceled": false, "canceled_by": null, "canceled_reason": null,
        "job_kind": "script", "schedule_path": null, "permissioned_as": "u/ada",
        "is_flow_step": false, "language": "python3", "is_skipped": false,
        "email": "ada@example.com", "visible_to_owner": true, "mem_peak": 1024,
        "tag": "python3", "priority": null, "labels": null, "self_wait_time_ms": null,
        "aggregate_wait_time_ms": null, "preprocessed": null, "worker": "wk-1"
    })
}

/// A running `QueuedJob` row.
fn queued(n: u128, created_at: &str) -> Value {
    json!({
        "type": "QueuedJob",
        "workspace_id": WS, "id": id(n), "parent_job": null, "created_by": "ada",
        "created_at": created_at, "started_at": created_at, "scheduled_for": created_at,
        "running": true, "script_path": "f/etl/load", "script_hash": "0123456789abcdef",
        "args": null, "logs": null, "canceled": false, "canceled_by": null,
        "canceled_reason": null, "last_ping": null, "job_kind": "script",
        "schedule_path": null, "permissioned_as": "u/ada", "is_flow_step": false,
        "language": "python3", "email": "ada@example.com", "visible_to_owner": true,
        "mem_peak": null, "tag": "python3", "priority": null, "suspend": 0,
        "self_wait_time_ms": null, "aggregate_wait_time_ms": null, "worker": "wk-2"
    })
}

const T3: &str = "2024-05-06T07:08:09.000003Z";
const T2: &str = "2024-05-06T07:08:09.000002Z";
const T1: &str = "2024-05-06T07:08:09.000001Z";

fn jobs_list(pairs: &[(&str, &str)]) -> wiremock::MockBuilder {
    call("GET", "/api/w/ws/jobs/list").and(exact_query(pairs))
}

async fn no_request_reached(server: &MockServer) {
    let received = server.received_requests().await.unwrap_or_default();
    assert!(received.is_empty(), "requests were sent: {received:?}");
}

#[tokio::test]
async fn jobs_page_by_created_before_and_skip_the_boundary_job_they_already_listed() {
    let server = server().await;
    let path = [("script_path_exact", "f/etl/load"), ("per_page", "2")];
    // First page: every queued job, then the 2 newest completed ones.
    jobs_list(&path)
        .respond_with(json(
            200,
            json!([
                queued(9, "2024-05-06T08:00:00Z"),
                completed(3, T3),
                completed(2, T2)
            ]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // Then completed jobs created at or before the oldest one seen: job 2 comes again.
    jobs_list(&[path[0], path[1], ("created_before", T2)])
        .respond_with(json(200, json!([completed(2, T2), completed(1, T1)])))
        .expect(1)
        .mount(&server)
        .await;
    jobs_list(&[path[0], path[1], ("created_before", T1)])
        .respond_with(json(200, json!([completed(1, T1)])))
        .expect(1)
        .mount(&server)
        .await;

    let query = JobQuery::new()
        .script_path(ItemPath::parse("f/etl/load").unwrap())
        .page_size(2);
    let jobs: Vec<_> = client(&server)
        .stream_jobs(&query)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = jobs.iter().map(|j| j.id.to_string()).collect();
    assert_eq!(ids, vec![id(9), id(3), id(2), id(1)]);
    assert!(jobs[0].running && !jobs[0].completed);
    let last = &jobs[3];
    assert!(last.completed && last.success == Some(true));
    assert_eq!(last.created_at, timestamp_from_rfc3339(T1));
    assert_eq!(last.created_by.as_deref(), Some("ada"));
    assert_eq!(last.worker.as_deref(), Some("wk-1"));
    assert_eq!(last.duration_ms, Some(12));
}

#[tokio::test]
async fn every_job_filter_goes_to_the_query() {
    let server = server().await;
    let parent = JobId::from_u128(77);
    jobs_list(&[
        ("script_path_start", "f/etl/"),
        ("job_kinds", "flow,flowpreview"),
        ("created_by", "ada"),
        ("tag", "gpu"),
        ("parent_job", &parent.to_string()),
        ("created_after", "2024-05-06T07:08:09Z"),
        ("success", "false"),
        ("status", "failure"),
        ("created_before", "2024-05-07T00:00:00.500000Z"),
        ("per_page", "500"),
    ])
    .respond_with(json(200, json!([])))
    .expect(1)
    .mount(&server)
    .await;
    let query = JobQuery::new()
        .script_path_start("f/etl/")
        .job_kind("flow")
        .job_kind("flowpreview")
        .created_by("ada")
        .tag("gpu")
        .parent_job(parent)
        .created_after(timestamp_from_rfc3339("2024-05-06T07:08:09Z").unwrap())
        .created_before(timestamp_from_rfc3339("2024-05-07T00:00:00.500Z").unwrap())
        .status(JobListStatus::Failure)
        .page_size(500);
    let jobs: Vec<_> = client(&server)
        .stream_jobs(&query)
        .try_collect()
        .await
        .unwrap();
    assert!(jobs.is_empty());
}

#[tokio::test]
async fn the_other_states_map_to_their_filters() {
    for (status, pairs) in [
        (
            JobListStatus::Success,
            vec![("success", "true"), ("status", "success")],
        ),
        (
            JobListStatus::Canceled,
            vec![("success", "false"), ("status", "canceled")],
        ),
        (
            JobListStatus::Queued,
            vec![("running", "false"), ("page", "1")],
        ),
        (
            JobListStatus::Suspended,
            vec![("running", "true"), ("suspended", "true"), ("page", "1")],
        ),
    ] {
        let server = server().await;
        let mut pairs = pairs;
        pairs.push(("per_page", "1000"));
        jobs_list(&pairs)
            .respond_with(json(200, json!([])))
            .expect(1)
            .mount(&server)
            .await;
        let jobs: Vec<_> = client(&server)
            .stream_jobs(&JobQuery::new().status(status))
            .try_collect()
            .await
            .unwrap();
        assert!(jobs.is_empty(), "{status:?}");
    }
}

#[tokio::test]
async fn running_jobs_page_by_page_number_and_rows_in_another_state_are_dropped() {
    let server = server().await;
    let mut done = completed(5, T1); // the server should not send it: the stream drops it
    done["success"] = json!(true);
    jobs_list(&[("running", "true"), ("page", "1"), ("per_page", "2")])
        .respond_with(json(200, json!([queued(1, T3), queued(2, T2)])))
        .expect(1)
        .mount(&server)
        .await;
    jobs_list(&[("running", "true"), ("page", "2"), ("per_page", "2")])
        .respond_with(json(200, json!([done])))
        .expect(1)
        .mount(&server)
        .await;
    let jobs: Vec<_> = client(&server)
        .stream_jobs(&JobQuery::new().status(JobListStatus::Running).page_size(2))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = jobs.iter().map(|j| j.id.to_string()).collect();
    assert_eq!(ids, vec![id(1), id(2)]);
}

#[tokio::test]
async fn a_server_that_ignores_the_cursor_is_an_error_not_a_loop() {
    let server = server().await;
    // Whatever the query, the same newest page.
    call("GET", "/api/w/ws/jobs/list")
        .respond_with(json(200, json!([completed(3, T3), completed(2, T2)])))
        .expect(2)
        .mount(&server)
        .await;
    let mut stream = client(&server).stream_jobs(&JobQuery::new().page_size(2));
    let mut listed = Vec::new();
    let err = loop {
        match stream.try_next().await {
            Ok(Some(j)) => listed.push(j.id),
            Ok(None) => panic!("the stream ended: {listed:?}"),
            Err(e) => break e,
        }
    };
    assert_eq!(listed.len(), 2);
    assert!(
        matches!(
            err,
            Error::ListingStalled {
                listing: "jobs/list",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("ignored the cursor"), "{err}");
    assert!(
        stream.try_next().await.unwrap().is_none(),
        "the stream ends"
    );
}

#[tokio::test]
async fn a_server_that_ignores_page_numbers_is_an_error_not_a_loop() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/list")
        .respond_with(json(
            200,
            json!([
                {"workspace_id": WS, "path": "u/a/x", "is_secret": false, "value": "1", "description": "", "extra_perms": {}},
                {"workspace_id": WS, "path": "u/a/y", "is_secret": true, "description": "", "extra_perms": {}}
            ]),
        ))
        .expect(2)
        .mount(&server)
        .await;
    let err = client(&server)
        .stream_variables(&ListVariables::new().page(1, 2))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ListingStalled {
                listing: "variables/list",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn bad_paging_and_filters_are_invalid_input_before_any_request() {
    let server = server().await;
    let wm = client(&server);
    for query in [
        JobQuery::new().page_size(0),
        JobQuery::new().page_size(10_001),
        JobQuery::new().tag("a,b"),
        JobQuery::new().created_by("!ada"),
        JobQuery::new().job_kind("Flow"),
        JobQuery::new()
            .created_after(timestamp_from_rfc3339("2024-01-02T00:00:00Z").unwrap())
            .created_before(timestamp_from_rfc3339("2024-01-01T00:00:00Z").unwrap()),
    ] {
        let err = wm
            .stream_jobs(&query)
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { .. }),
            "{query:?}: {err}"
        );
        // Through the trait too.
        let err = JobRunnerListExt::stream_jobs(&wm, &query)
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    }
    for options in [
        ListVariables::new().page(0, 10),
        ListVariables::new().page(1, 0),
        ListVariables::new().page(1, 10_001),
    ] {
        let err = wm.list_variables(&options).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
        let err = wm
            .stream_variables(&options)
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    }
    let err = wm
        .stream_resources(&ListResources::new().page(1, 0))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    for options in [
        ListRunnables::new().per_page(0),
        ListRunnables::new().page(0),
        ListRunnables::new().path_start("f/a,f/b"),
    ] {
        assert!(matches!(
            wm.list_scripts(&options).await,
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            wm.stream_flows(&options).try_collect::<Vec<_>>().await,
            Err(Error::InvalidInput { .. })
        ));
    }
    no_request_reached(&server).await;
}

#[tokio::test]
async fn a_failing_listing_is_a_typed_error_with_status_and_body() {
    let server = server().await;
    jobs_list(&[("per_page", "1000")])
        .respond_with(text(
            400,
            "Bad request: cannot specify both success and running",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .stream_jobs(&JobQuery::new())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    match err {
        Error::Api {
            status,
            body,
            request,
        } => {
            assert_eq!(status, 400);
            assert!(body.contains("cannot specify"), "{body}");
            assert!(request.contains("jobs/list") && !request.contains(TOKEN));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn scripts_page_through_short_rows() {
    let server = server().await;
    let row = |path: &str, hash: &str| {
        json!({
            "hash": hash, "path": path, "summary": "", "created_at": T1, "archived": false,
            "extra_perms": {}, "language": "python3", "starred": false, "tag": null,
            "has_deploy_errors": false, "ws_error_handler_muted": null, "kind": "script"
        })
    };
    let base = [
        ("path_start", "f/etl/"),
        ("created_by", "ada"),
        ("per_page", "2"),
    ];
    call("GET", "/api/w/ws/scripts/list")
        .and(exact_query(&[base[0], base[1], base[2], ("page", "1")]))
        .respond_with(json(
            200,
            json!([
                row("f/etl/a", "00000000000000a1"),
                row("f/etl/b", "00000000000000b1")
            ]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", "/api/w/ws/scripts/list")
        .and(exact_query(&[base[0], base[1], base[2], ("page", "2")]))
        .respond_with(json(200, json!([row("f/etl/c", "00000000000000c1")])))
        .expect(1)
        .mount(&server)
        .await;
    let scripts: Vec<_> = client(&server)
        .stream_scripts(
            &ListRunnables::new()
                .path_start("f/etl/")
                .created_by("ada")
                .per_page(2),
        )
        .try_collect()
        .await
        .unwrap();
    let paths: Vec<&str> = scripts.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, vec!["f/etl/a", "f/etl/b", "f/etl/c"]);
    assert_eq!(scripts[2].hash.as_deref(), Some("00000000000000c1"));
    assert_eq!(scripts[0].language.as_deref(), Some("python3"));
    assert_eq!(scripts[0].tag, None);
}

#[tokio::test]
async fn flows_list_one_page_with_an_exact_path() {
    let server = server().await;
    call("GET", "/api/w/ws/flows/list")
        .and(exact_query(&[
            ("path_exact", "f/etl/nightly"),
            ("page", "3"),
            ("per_page", "10"),
        ]))
        .respond_with(json(
            200,
            json!([{
                "workspace_id": WS, "path": "f/etl/nightly", "summary": "Nightly",
                "edited_by": "ada", "edited_at": T2, "archived": false, "extra_perms": {},
                "starred": true, "has_draft": false
            }]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let flows = client(&server)
        .list_flows(
            &ListRunnables::new()
                .path_exact(ItemPath::parse("f/etl/nightly").unwrap())
                .page(3)
                .per_page(10),
        )
        .await
        .unwrap();
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0].summary.as_deref(), Some("Nightly"));
    assert!(flows[0].starred && !flows[0].archived);
}

#[tokio::test]
async fn resources_stream_with_a_type_filter() {
    let server = server().await;
    let row = |p: &str| {
        json!({"workspace_id": WS, "path": p, "resource_type": "postgresql", "value": {"host": "db"},
               "description": null, "is_oauth": false, "extra_perms": {}, "is_linked": false,
               "is_refreshed": false, "is_expired": false})
    };
    call("GET", "/api/w/ws/resources/list")
        .and(exact_query(&[
            ("resource_type", "postgresql"),
            ("page", "1"),
            ("per_page", "1"),
        ]))
        .respond_with(json(200, json!([row("f/db/a")])))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", "/api/w/ws/resources/list")
        .and(exact_query(&[
            ("resource_type", "postgresql"),
            ("page", "2"),
            ("per_page", "1"),
        ]))
        .respond_with(json(200, json!([row("f/db/b")])))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", "/api/w/ws/resources/list")
        .and(exact_query(&[
            ("resource_type", "postgresql"),
            ("page", "3"),
            ("per_page", "1"),
        ]))
        .respond_with(json(200, json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let all: Vec<_> = client(&server)
        .stream_resources(&ListResources::new().resource_type("postgresql").page(1, 1))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].path.as_str(), "f/db/b");
}

#[tokio::test]
async fn streams_are_static_and_can_be_spawned() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/list")
        .and(exact_query(&[("page", "1"), ("per_page", "1000")]))
        .respond_with(json(200, json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let stream = client(&server).stream_variables(&ListVariables::new());
    let n = tokio::spawn(async move { stream.try_collect::<Vec<_>>().await.map(|v| v.len()) })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 0);
}
