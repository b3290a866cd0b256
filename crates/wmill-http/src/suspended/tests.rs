//! Unit tests of the answers to suspended steps.

use super::*;

const JOB: &str = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12";

#[test]
fn refusals_by_body() {
    assert_eq!(
        refusal("Invalid signature"),
        Some(ResumeRefusal::InvalidSignature)
    );
    assert_eq!(
        refusal("Hexadecimal decoding error: Invalid character 'x' at position 0"),
        Some(ResumeRefusal::InvalidSignature)
    );
    assert_eq!(
        refusal(&format!("job not found or parent flow not in queue: {JOB}")),
        Some(ResumeRefusal::NotSuspended)
    );
    assert_eq!(
        refusal("resume request already sent"),
        Some(ResumeRefusal::AlreadySent)
    );
    assert_eq!(refusal("Internal: database is down"), None);
}
