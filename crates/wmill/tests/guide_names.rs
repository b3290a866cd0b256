//! The docs name only what exists: every `wmill::<name>` that docs/guide.md and the README
//! write must be in the lists below, and the compiler checks that each listed name exists
//! (each is `use`d). Every listed function also has its `wmill::blocking` twin, unless it is
//! in `NO_TWIN` with the reason.
//!
//! A new function in the guide: add it to `api!` (and its twin to `blocking_api!`).
#![cfg(all(feature = "http", feature = "s3", feature = "blocking"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;

macro_rules! api {
    ($list:ident, $module:ident, [$($base:tt)+], $($name:ident),* $(,)?) => {
        #[allow(unused_imports, dead_code)]
        mod $module {
            use $($base)+ as base;
            $(pub(crate) use self::base::$name;)*
        }
        const $list: &[&str] = &[$(stringify!($name)),*];
    };
}

// Everything the docs may name as `wmill::<name>`.
api!(
    API,
    checked_api,
    [wmill],
    append_to_result_stream,
    blocking,
    cancel_job,
    cancel_running,
    cancel_suspended_job,
    cancel_suspended_job_by_id,
    check_s3_folder_exists,
    client,
    commit_kafka_offsets,
    create_token,
    database_url,
    database_url_from_resource,
    datatable,
    delete_resource,
    delete_s3_object,
    delete_variable,
    download_s3_parquet_file_as_csv,
    ducklake,
    force_cancel_job,
    get,
    get_approval_urls,
    get_boto3_connection_settings,
    get_duckdb_connection_settings,
    get_flow_all_logs,
    get_flow_user_state,
    get_id_token,
    get_job,
    get_job_logs,
    get_job_raw,
    get_job_status,
    get_polars_connection_settings,
    get_presigned_s3_public_url,
    get_presigned_s3_public_urls,
    get_progress,
    get_resource,
    get_resource_as,
    get_resource_opt,
    get_resource_raw,
    get_result,
    get_resume_urls,
    get_root_job_id,
    get_shared_state,
    get_state,
    get_state_as,
    get_state_at,
    get_state_path,
    get_variable,
    get_version,
    http,
    job_handle,
    job_logs,
    list_resources,
    list_resources_with,
    list_variables,
    load_file_preview,
    load_s3_file,
    load_s3_file_stream,
    move_s3_object,
    parse_resource_syntax,
    parse_s3_object,
    parse_variable_syntax,
    post,
    prelude,
    request_interactive_slack_approval,
    request_interactive_teams_approval,
    reset_client,
    resume_suspended_job,
    resume_suspended_job_by_id,
    run_batch,
    run_flow,
    run_flow_async,
    run_flow_async_with,
    run_flow_by_version,
    run_flow_by_version_async,
    run_flow_by_version_async_with,
    run_flow_by_version_with,
    run_flow_with,
    run_inline_script_preview,
    run_script_by_hash,
    run_script_by_hash_async,
    run_script_by_hash_async_with,
    run_script_by_hash_with,
    run_script_by_path,
    run_script_by_path_async,
    run_script_by_path_async_with,
    run_script_by_path_async_with_retry,
    run_script_by_path_with,
    s3,
    send_teams_message,
    set_client,
    set_flow_user_state,
    set_progress,
    set_resource,
    set_shared_state,
    set_state,
    set_state_at,
    set_variable,
    sign_s3_object,
    sign_s3_objects,
    start_flow,
    start_flow_with,
    start_script_by_hash,
    start_script_by_hash_with,
    start_script_by_path,
    start_script_by_path_with,
    storage_usage,
    stream_flows,
    stream_jobs,
    stream_resources,
    stream_result,
    stream_scripts,
    stream_variables,
    test_storage_connection,
    username_to_email,
    wait_job,
    wait_job_with,
    whoami,
    worker_has_internal_server,
    worker_is_draining,
    write_s3_file,
    write_s3_file_stream,
);

// Their blocking twins.
api!(
    BLOCKING,
    checked_blocking,
    [wmill::blocking],
    append_to_result_stream,
    cancel_job,
    cancel_running,
    cancel_suspended_job,
    cancel_suspended_job_by_id,
    check_s3_folder_exists,
    commit_kafka_offsets,
    create_token,
    database_url,
    database_url_from_resource,
    datatable,
    delete_resource,
    delete_s3_object,
    delete_variable,
    download_s3_parquet_file_as_csv,
    ducklake,
    force_cancel_job,
    get,
    get_approval_urls,
    get_boto3_connection_settings,
    get_duckdb_connection_settings,
    get_flow_all_logs,
    get_flow_user_state,
    get_id_token,
    get_job,
    get_job_logs,
    get_job_raw,
    get_job_status,
    get_polars_connection_settings,
    get_presigned_s3_public_url,
    get_presigned_s3_public_urls,
    get_progress,
    get_resource,
    get_resource_as,
    get_resource_opt,
    get_resource_raw,
    get_result,
    get_resume_urls,
    get_root_job_id,
    get_shared_state,
    get_state,
    get_state_as,
    get_state_at,
    get_variable,
    get_version,
    job_handle,
    job_logs,
    list_resources,
    list_resources_with,
    list_variables,
    load_file_preview,
    load_s3_file,
    load_s3_file_stream,
    move_s3_object,
    parse_resource_syntax,
    parse_s3_object,
    parse_variable_syntax,
    post,
    request_interactive_slack_approval,
    request_interactive_teams_approval,
    resume_suspended_job,
    resume_suspended_job_by_id,
    run_batch,
    run_flow,
    run_flow_async,
    run_flow_async_with,
    run_flow_by_version,
    run_flow_by_version_async,
    run_flow_by_version_async_with,
    run_flow_by_version_with,
    run_flow_with,
    run_inline_script_preview,
    run_script_by_hash,
    run_script_by_hash_async,
    run_script_by_hash_async_with,
    run_script_by_hash_with,
    run_script_by_path,
    run_script_by_path_async,
    run_script_by_path_async_with,
    run_script_by_path_async_with_retry,
    run_script_by_path_with,
    send_teams_message,
    set_flow_user_state,
    set_progress,
    set_resource,
    set_shared_state,
    set_state,
    set_state_at,
    set_variable,
    sign_s3_object,
    sign_s3_objects,
    start_flow,
    start_flow_with,
    start_script_by_hash,
    start_script_by_hash_with,
    start_script_by_path,
    start_script_by_path_with,
    storage_usage,
    stream_flows,
    stream_jobs,
    stream_resources,
    stream_result,
    stream_scripts,
    stream_variables,
    test_storage_connection,
    username_to_email,
    wait_job,
    wait_job_with,
    whoami,
    worker_has_internal_server,
    worker_is_draining,
    write_s3_file,
    write_s3_file_stream,
);

/// Listed names that need no blocking twin, with the reason.
const NO_TWIN: &[(&str, &str)] = &[
    ("blocking", "the module itself"),
    ("client", "returns the configured client; not async"),
    ("set_client", "installs a client; not async"),
    ("reset_client", "drops the client; not async"),
    ("get_state_path", "reads the environment; not async"),
    ("http", "a module"),
    ("s3", "a module"),
    ("prelude", "a module"),
];

/// `wmill::[blocking::]<name>` occurrences of `text`.
fn named(text: &str) -> BTreeSet<(bool, String)> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("wmill::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "wmill::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // another crate's path, e.g. `old_wmill::`
        }
        let ident = |s: &str| -> String {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        };
        let first = ident(rest);
        if first == "blocking" && rest[first.len()..].starts_with("::") {
            let second = ident(&rest[first.len() + 2..]);
            if second.starts_with(|c: char| c.is_ascii_lowercase()) {
                out.insert((true, second));
                continue;
            }
        }
        // lowercase: functions and modules; types are checked by rustdoc links
        if first.starts_with(|c: char| c.is_ascii_lowercase()) {
            out.insert((false, first));
        }
    }
    out
}

#[test]
fn the_guide_and_readme_name_only_what_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut missing = Vec::new();
    for doc in ["docs/guide.md", "README.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for (blocking, name) in named(&text) {
            let list = if blocking { BLOCKING } else { API };
            if !list.contains(&name.as_str()) {
                let prefix = if blocking {
                    "wmill::blocking::"
                } else {
                    "wmill::"
                };
                missing.push(format!("{doc}: {prefix}{name}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the docs name functions that are not in this test's compile-checked lists (add them, \
         and the compiler will say whether they exist): {missing:#?}"
    );
}

#[test]
fn every_function_has_a_blocking_twin() {
    let exempt: BTreeSet<&str> = NO_TWIN.iter().map(|(name, _)| *name).collect();
    let twins: BTreeSet<&str> = BLOCKING.iter().copied().collect();
    let lonely: Vec<&str> = API
        .iter()
        .copied()
        .filter(|name| !exempt.contains(name) && !twins.contains(name))
        .collect();
    assert!(lonely.is_empty(), "no blocking twin: {lonely:?}");
}

#[test]
fn the_scanner_finds_paths() {
    let found = named(
        "`wmill::get_variable(p)`, wmill::blocking::set_state(&v), old_wmill::x, wmill::S3Object",
    );
    assert_eq!(
        found,
        BTreeSet::from([
            (false, "get_variable".to_owned()),
            (true, "set_state".to_owned())
        ])
    );
}
