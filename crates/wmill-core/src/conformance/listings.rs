//! Checks of job, variable and resource listings.

use serde_json::json;

use crate::{
    Backend, Error, ItemPath, JobId, JobListStatus, JobQuery, JobRunner, JobStatus, JobSummary,
    ListResources, ListVariables, RunOptions, SetVariableOptions,
};

use super::fixtures::{ECHO, ECHO_FLOW, FAIL, Fixture, path, run_failing, run_to_end, unique};

/// Listings as streams: jobs by path, state and kind, page after page, each once and newest
/// first; variables and resources (by type) page after page; bad paging is `InvalidInput`.
pub async fn listings(backend: &dyn Backend) {
    use futures_util::TryStreamExt;

    let runner: &dyn JobRunner = backend;
    let opts = RunOptions::new();
    let mut ours = Vec::new();
    for i in 0..7 {
        ours.push(run_to_end(runner, Fixture::Script(ECHO), json!({"listed": i}), &opts).await);
    }
    let (failed, waited) = run_failing(runner, "listed").await;
    assert!(waited.is_err());
    let flow = run_to_end(runner, Fixture::Flow(ECHO_FLOW), json!({}), &opts).await;

    let collect = |query: JobQuery| async move {
        crate::job_stream(runner, query)
            .try_collect::<Vec<JobSummary>>()
            .await
    };

    let echo = collect(JobQuery::new().script_path(path(ECHO)).page_size(3))
        .await
        .expect("listing the echo jobs");
    let ids: std::collections::BTreeSet<JobId> = echo.iter().map(|j| j.id).collect();
    assert_eq!(ids.len(), echo.len(), "a listing must yield each job once");
    for id in &ours {
        assert!(ids.contains(id), "the listing must hold job {id}");
    }
    assert!(
        echo.iter()
            .all(|j| j.script_path.as_deref() == Some(ECHO) && j.status().is_completed()),
        "the path filter must hold"
    );
    for pair in echo.windows(2) {
        assert!(
            pair[0].created_at >= pair[1].created_at,
            "jobs must be listed newest first"
        );
    }

    let failures = collect(
        JobQuery::new()
            .script_path(path(FAIL))
            .status(JobListStatus::Failure)
            .page_size(1),
    )
    .await
    .expect("listing failed jobs");
    assert!(failures.iter().any(|j| j.id == failed), "the failed job");
    assert!(
        failures
            .iter()
            .all(|j| j.status() == JobStatus::Completed { success: false }),
        "the state filter must hold"
    );
    let successes = collect(
        JobQuery::new()
            .script_path(path(FAIL))
            .status(JobListStatus::Success),
    )
    .await
    .unwrap();
    assert!(successes.iter().all(|j| j.id != failed));

    let flows = collect(
        JobQuery::new()
            .flows()
            .script_path(path(ECHO_FLOW))
            .page_size(2),
    )
    .await
    .unwrap();
    assert!(flows.iter().any(|j| j.id == flow) && flows.iter().all(JobSummary::is_flow));
    let none = collect(JobQuery::new().flows().script_path(path(ECHO)))
        .await
        .unwrap();
    assert!(none.is_empty(), "the kind filter must hold: {none:?}");

    match collect(JobQuery::new().page_size(0)).await {
        Err(Error::InvalidInput { .. }) => {}
        other => panic!("page size 0 must be InvalidInput, got {other:?}"),
    }

    // Variables and resources, one item per page.
    let prefix = unique("list");
    let mut vars = Vec::new();
    for i in 0..5 {
        let p = ItemPath::parse(format!("{prefix}/v{i}")).unwrap();
        backend
            .set_variable(&p, "x", &SetVariableOptions::new())
            .await
            .unwrap();
        vars.push(p);
    }
    let listed: Vec<_> = crate::variable_stream(
        backend,
        ListVariables::new()
            .path_start(format!("{prefix}/"))
            .page(1, 2),
    )
    .try_collect()
    .await
    .expect("streaming variables");
    let mut paths: Vec<_> = listed.iter().map(|v| v.path.clone()).collect();
    paths.sort();
    assert_eq!(paths, vars, "every variable once, page after page");
    let rt = format!("rt_{}", prefix.name());
    for (i, t) in [rt.as_str(), "other", rt.as_str()].iter().enumerate() {
        let p = ItemPath::parse(format!("{prefix}/r{i}")).unwrap();
        backend.set_resource(&p, &json!({"i": i}), t).await.unwrap();
    }
    let typed: Vec<_> = crate::resource_stream(
        backend,
        ListResources::new()
            .resource_type(rt.clone())
            .path_start(format!("{prefix}/"))
            .page(1, 1),
    )
    .try_collect()
    .await
    .expect("streaming resources");
    assert_eq!(typed.len(), 2, "the type filter must hold: {typed:?}");
    match crate::variable_stream(backend, ListVariables::new().page(1, 10_001))
        .try_collect::<Vec<_>>()
        .await
    {
        Err(Error::InvalidInput { .. }) => {}
        other => panic!("per_page 10001 must be InvalidInput, got {other:?}"),
    }
    for p in vars {
        backend.delete_variable(&p).await.unwrap();
    }
    for i in 0..3 {
        let p = ItemPath::parse(format!("{prefix}/r{i}")).unwrap();
        backend.delete_resource(&p).await.unwrap();
    }
}
