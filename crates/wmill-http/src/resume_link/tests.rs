//! Unit tests of resume links.

use super::*;

const SIG: &str = "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff";
const JOB: &str = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12";

#[test]
fn parses_the_three_urls() {
    let r = ResumeLink::parse(&format!(
        "http://h:8000/api/w/ws/jobs_u/resume/{JOB}/12/{SIG}?approver=a%20b"
    ))
    .unwrap();
    assert_eq!(r.kind, LinkKind::Resume);
    assert_eq!(r.approver(), Some("a b"));
    assert_eq!(r.instance.as_ref().unwrap().as_str(), "http://h:8000/");
    let c = ResumeLink::parse(&format!(
        "https://x.io/windmill/api/w/ws/jobs_u/cancel/{JOB}/0/{SIG}"
    ))
    .unwrap();
    assert_eq!(c.kind, LinkKind::Cancel);
    assert_eq!(c.approver(), None);
    assert_eq!(
        c.instance.as_ref().unwrap().as_str(),
        "https://x.io/windmill/"
    );
    let a = ResumeLink::parse(&format!("https://x.io/approve/ws/{JOB}/4294967295/{SIG}")).unwrap();
    assert_eq!((a.kind, a.resume_id()), (LinkKind::Either, u32::MAX));
    assert_eq!(a.workspace(), Some("ws"));
}

#[test]
fn refuses_other_shapes() {
    for bad in [
        "not a url".to_owned(),
        format!("ftp://h/api/w/ws/jobs_u/resume/{JOB}/1/{SIG}"),
        format!("http://h/api/w/ws/jobs_u/resumex/{JOB}/1/{SIG}"),
        format!("http://h/api/w/ws/jobs/resume/{JOB}/1/{SIG}"),
        format!("http://h/api/w/ws/jobs_u/resume/not-a-uuid/1/{SIG}"),
        format!("http://h/api/w/ws/jobs_u/resume/{JOB}/-1/{SIG}"),
        format!("http://h/api/w/ws/jobs_u/resume/{JOB}/4294967296/{SIG}"),
        format!("http://h/api/w/ws/jobs_u/resume/{JOB}/1/xyz"),
        format!("http://h/api/w/ws/jobs_u/resume/{JOB}/1/abc"),
        format!("http://h/api/w/ws/jobs_u/resume/{JOB}/1/"),
        format!("http://h/api/w/ws/jobs_u/resume/{JOB}/1/{SIG}/"),
        format!("http://h/api/w/ws/jobs_u/resume/{JOB}/1/{SIG}?approver=a&approver=b"),
        format!("http://h/api/w//jobs_u/resume/{JOB}/1/{SIG}"),
        format!("http://h/{JOB}/1/{SIG}"),
        format!("http://h/approve/ws/{JOB}/1/{}", "a".repeat(258)),
    ] {
        assert!(ResumeLink::parse(&bad).is_err(), "{bad}");
    }
}

#[test]
fn percent_decoding() {
    assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
    assert_eq!(percent_decode("a%2").as_deref(), Some("a%2"));
    assert_eq!(percent_decode("%C3%A9").as_deref(), Some("é"));
    assert_eq!(percent_decode("%FF"), None);
}
