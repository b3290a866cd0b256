//! Unit tests of the partition helpers.

use super::*;

#[test]
fn only_true_marks_a_pipeline() {
    assert!(pipeline_enabled(Some("true")));
    for v in [
        None,
        Some(""),
        Some("1"),
        Some("TRUE"),
        Some("false"),
        Some(" true"),
    ] {
        assert!(!pipeline_enabled(v), "{v:?}");
    }
}
