//! Unit tests of the job runner.

use super::*;

/// The status is the typed job's: a canceled job is completed without success, like a
/// failed one, and the typed job tells them apart.
#[test]
fn status_comes_from_the_typed_job() {
    let id = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12";
    let status = |v: Value| Job::from_value(v).unwrap().status();
    assert_eq!(
        status(json!({"type": "CompletedJob", "id": id, "success": true})),
        JobStatus::Completed { success: true }
    );
    assert_eq!(
        status(json!({"type": "CompletedJob", "id": id, "success": false})),
        JobStatus::Completed { success: false }
    );
    assert_eq!(
        status(json!({"type": "CompletedJob", "id": id, "success": false, "canceled": true})),
        JobStatus::Completed { success: false }
    );
    assert_eq!(
        status(json!({"type": "QueuedJob", "id": id, "running": true})),
        JobStatus::Running
    );
    assert_eq!(
        status(json!({"type": "QueuedJob", "id": id, "running": false})),
        JobStatus::Waiting
    );
    assert_eq!(
        status(json!({"type": "QueuedJob", "id": id})),
        JobStatus::Waiting
    );
}
