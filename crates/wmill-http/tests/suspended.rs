//! Approving and rejecting suspended flow steps: the exact request (method, path, approver,
//! headers, JSON body of any type), the server's answers (201 with an empty body; 500 with
//! text for refusals), and the URLs refused before any request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use support::*;
use wiremock::matchers::header;
use wiremock::{MockServer, ResponseTemplate};
use wmill_core::{Error, JobId, ResumeRefusal};
use wmill_http::{ResumeLink, ResumeUrls, Windmill};

const SIG: &str = "5f1c2b0e9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180706f5e4d3c2b1a090";

fn job() -> JobId {
    JobId::parse(JOB).unwrap()
}

fn url(server: &MockServer, op: &str, rid: u32, approver: Option<&str>) -> String {
    let q = approver
        .map(|a| format!("?approver={}", a.replace(' ', "%20")))
        .unwrap_or_default();
    format!("{}/api/w/ws/jobs_u/{op}/{JOB}/{rid}/{SIG}{q}", server.uri())
}

fn path(op: &str, rid: u32) -> String {
    format!("/api/w/ws/jobs_u/{op}/{JOB}/{rid}/{SIG}")
}

/// The server's success: 201, empty body.
fn created() -> ResponseTemplate {
    ResponseTemplate::new(201)
}

async fn no_request(server: &MockServer) {
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing may be sent"
    );
}

#[tokio::test]
async fn resume_posts_the_payload_as_json_with_the_approver() {
    let server = server().await;
    for (rid, payload) in [
        (1, json!({"approved_amount": 120, "note": "é"})),
        (2, json!("a bare string")),
        (3, json!([1, 2, 3])),
        (4, json!(null)),
        (5, json!(42)),
    ] {
        call("POST", &path("resume", rid))
            .and(exact_query(&[("approver", "ada lovelace")]))
            .and(header("content-type", "application/json"))
            .and(json_body(payload.clone()))
            .respond_with(created())
            .expect(1)
            .mount(&server)
            .await;
        let wm = client(&server);
        let link = ResumeLink::parse(&url(&server, "resume", rid, Some("ada lovelace"))).unwrap();
        wm.resume_suspended_job(&link, &payload).await.unwrap();
    }
}

#[tokio::test]
async fn cancel_posts_to_the_cancel_endpoint_and_unit_is_null() {
    let server = server().await;
    call("POST", &path("cancel", 9))
        .and(exact_query(&[]))
        .and(json_body(Value::Null))
        .respond_with(created())
        .expect(1)
        .mount(&server)
        .await;
    let urls: ResumeUrls = serde_json::from_value(json!({
        "approvalPage": format!("{}/approve/ws/{JOB}/9/{SIG}", server.uri()),
        "resume": url(&server, "resume", 9, None),
        "cancel": url(&server, "cancel", 9, None),
    }))
    .unwrap();
    client(&server)
        .cancel_suspended_job(&urls.cancel_link().unwrap(), &())
        .await
        .unwrap();
}

/// The approval page's URL carries the same signature: it can resume or cancel.
#[tokio::test]
async fn the_approval_page_url_can_resume_or_cancel() {
    let server = server().await;
    for op in ["resume", "cancel"] {
        call("POST", &path(op, 3))
            .and(exact_query(&[("approver", "bob")]))
            .respond_with(created())
            .expect(1)
            .mount(&server)
            .await;
    }
    let wm = client(&server);
    let page = format!("{}/approve/ws/{JOB}/3/{SIG}?approver=bob", server.uri());
    let link = ResumeLink::parse(&page).unwrap();
    wm.resume_suspended_job(&link, &json!({})).await.unwrap();
    wm.cancel_suspended_job(&link, &json!({})).await.unwrap();
}

#[tokio::test]
async fn refusals_are_typed_with_status_and_body_and_never_repeated() {
    let server = server().await;
    let cases = [
        (11, "Invalid signature", ResumeRefusal::InvalidSignature),
        (
            12,
            "Hexadecimal decoding error: Invalid character 'g' at position 0",
            ResumeRefusal::InvalidSignature,
        ),
        (
            13,
            "job not found or parent flow not in queue: 0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12",
            ResumeRefusal::NotSuspended,
        ),
        (
            14,
            "resume request already sent",
            ResumeRefusal::AlreadySent,
        ),
    ];
    for (rid, body, _) in &cases {
        call("POST", &path("resume", *rid))
            .respond_with(text(500, body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let wm = client(&server);
    for (rid, body, reason) in cases {
        let link = ResumeLink::parse(&url(&server, "resume", rid, None)).unwrap();
        let e = wm.resume_suspended_job(&link, &json!(1)).await.unwrap_err();
        match &e {
            Error::ResumeRefused {
                job_id,
                action,
                reason: r,
                status,
                body: b,
            } => {
                assert_eq!(
                    (*job_id, *action, *r, *status),
                    (job(), "resume", reason, 500)
                );
                assert_eq!(b, body);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(e.status(), Some(500));
        assert!(!e.is_retryable(), "{e}");
        assert!(!format!("{e} {e:?}").contains(SIG));
    }
}

#[tokio::test]
async fn other_failures_keep_their_status_without_the_signature() {
    let server = server().await;
    call("POST", &path("cancel", 21))
        .respond_with(text(500, "Internal: database is down"))
        // Sent once per call: a resume is not repeated (a second could be "already sent").
        .expect(2)
        .mount(&server)
        .await;
    call("POST", &path("cancel", 22))
        .respond_with(text(
            401,
            "Not authorized: Only logged in users can approve this flow step",
        ))
        .expect(2)
        .mount(&server)
        .await;
    call("POST", &path("cancel", 23))
        .respond_with(text(404, "Not found: no such route"))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    let send = |rid| {
        let wm = wm.clone();
        let link = ResumeLink::parse(&url(&server, "cancel", rid, None)).unwrap();
        async move {
            wm.cancel_suspended_job(&link, &json!({}))
                .await
                .unwrap_err()
        }
    };
    let e = send(21).await;
    assert!(
        matches!(&e, Error::Api { status: 500, body, .. } if body == "Internal: database is down"),
        "{e:?}"
    );
    let e = send(22).await;
    assert!(
        matches!(&e, Error::Unauthorized { status: 401, .. }),
        "{e:?}"
    );
    let e = send(23).await;
    assert!(e.is_not_found(), "{e:?}");
    for e in [send(21).await, send(22).await] {
        assert!(!format!("{e} {e:?}").contains(SIG), "{e}");
    }
}

#[tokio::test]
async fn a_connection_failure_names_the_request_without_the_signature() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let wm = Windmill::builder()
        .with_base_url(format!("http://127.0.0.1:{port}"))
        .with_token(TOKEN)
        .with_workspace(WS)
        .with_retry(wmill_http::RetryConfig::disabled())
        .build()
        .unwrap();
    let link = ResumeLink::parse(&format!(
        "http://127.0.0.1:{port}/api/w/ws/jobs_u/resume/{JOB}/1/{SIG}"
    ))
    .unwrap();
    let e = wm.resume_suspended_job(&link, &json!(1)).await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    assert!(!format!("{e} {e:?}").contains(SIG), "{e}");
    assert!(e.to_string().contains("<signature>"), "{e}");
}

#[tokio::test]
async fn links_for_other_servers_workspaces_or_actions_are_refused_before_any_request() {
    let server = server().await;
    let wm = client(&server);
    let other_host = format!("http://evil.example/api/w/ws/jobs_u/resume/{JOB}/1/{SIG}");
    let other_ws = url(&server, "resume", 1, None).replace("/w/ws/", "/w/other/");
    let other_prefix = url(&server, "resume", 1, None).replace("/api/", "/sub/api/");
    for bad in [other_host, other_ws, other_prefix] {
        let link = ResumeLink::parse(&bad).unwrap();
        let e = wm.resume_suspended_job(&link, &json!(1)).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidInput {
                    what: "resume URL",
                    ..
                }
            ),
            "{bad}: {e:?}"
        );
    }
    // A resume URL cannot cancel, a cancel URL cannot resume.
    let resume = ResumeLink::parse(&url(&server, "resume", 1, None)).unwrap();
    let cancel = ResumeLink::parse(&url(&server, "cancel", 1, None)).unwrap();
    assert!(matches!(
        wm.cancel_suspended_job(&resume, &json!(1)).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        wm.resume_suspended_job(&cancel, &json!(1)).await,
        Err(Error::InvalidInput { .. })
    ));
    // A payload that does not serialize.
    let mut map = std::collections::HashMap::new();
    map.insert((1, 2), 3);
    assert!(matches!(
        wm.resume_suspended_job(&resume, &map).await,
        Err(Error::InvalidInput {
            what: "resume payload",
            ..
        })
    ));
    no_request(&server).await;
}

/// The server's resume URLs use its own `BASE_URL`: one naming the client's `WM_BASE_URL`
/// (the public URL, while requests go to the internal one) is accepted, and the request goes
/// to the client's base URL.
#[tokio::test]
async fn urls_naming_the_public_base_url_go_to_the_clients_server() {
    let server = server().await;
    call("POST", &path("resume", 5))
        .respond_with(created())
        .expect(1)
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_config(
            wmill_http::WmillConfigKey::BaseUrl,
            "https://windmill.example.com",
        )
        .build()
        .unwrap();
    let link = ResumeLink::parse(&format!(
        "https://windmill.example.com/api/w/ws/jobs_u/resume/{JOB}/5/{SIG}"
    ))
    .unwrap();
    wm.resume_suspended_job(&link, &json!(true)).await.unwrap();
}

/// From the job id, resume id and approver: the server signs (`resume_urls`), then the resume.
#[tokio::test]
async fn by_job_id_resume_id_and_approver() {
    let server = server().await;
    // The server builds its URLs with its own BASE_URL, which may not be the client's.
    let elsewhere = "https://public.example.com";
    call("GET", &format!("/api/w/ws/jobs/resume_urls/{JOB}/77"))
        .and(exact_query(&[("approver", "ada")]))
        .respond_with(json(
            200,
            json!({
                "approvalPage": format!("{elsewhere}/approve/ws/{JOB}/77/{SIG}?approver=ada"),
                "resume": format!("{elsewhere}/api/w/ws/jobs_u/resume/{JOB}/77/{SIG}?approver=ada"),
                "cancel": format!("{elsewhere}/api/w/ws/jobs_u/cancel/{JOB}/77/{SIG}?approver=ada"),
            }),
        ))
        .expect(2)
        .mount(&server)
        .await;
    for op in ["resume", "cancel"] {
        call("POST", &path(op, 77))
            .and(exact_query(&[("approver", "ada")]))
            .and(json_body(json!({"why": op})))
            .respond_with(created())
            .expect(1)
            .mount(&server)
            .await;
    }
    let wm = client(&server);
    let link = wm.resume_link(&job(), 77, Some("ada")).await.unwrap();
    assert_eq!(
        (link.job_id(), link.resume_id(), link.approver()),
        (job(), 77, Some("ada"))
    );
    wm.resume_suspended_job(&link, &json!({"why": "resume"}))
        .await
        .unwrap();
    let link = wm.resume_link(&job(), 77, Some("ada")).await.unwrap();
    wm.cancel_suspended_job(&link, &json!({"why": "cancel"}))
        .await
        .unwrap();
}

#[tokio::test]
async fn by_id_refuses_an_answer_for_another_job_or_approver() {
    let server = server().await;
    call("GET", &format!("/api/w/ws/jobs/resume_urls/{JOB}/1"))
        .respond_with(json(
            200,
            json!({
                "approvalPage": "x",
                "resume": format!("http://h/api/w/ws/jobs_u/resume/{JOB}/1/{SIG}?approver=mallory"),
                "cancel": "y",
            }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &format!("/api/w/ws/jobs/resume_urls/{JOB}/2"))
        .respond_with(text(404, "Not found: Job not found"))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    let e = wm.resume_link(&job(), 1, None).await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    let e = wm.resume_link(&job(), 2, None).await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

#[tokio::test]
async fn from_parts_sends_to_the_clients_workspace() {
    let server = server().await;
    call("POST", &path("resume", 8))
        .and(exact_query(&[]))
        .and(json_body(json!({"k": "v"})))
        .respond_with(created())
        .expect(1)
        .mount(&server)
        .await;
    let link = ResumeLink::from_parts(job(), 8, SIG, None).unwrap();
    client(&server)
        .resume_suspended_job(&link, &json!({"k": "v"}))
        .await
        .unwrap();
}
