//! `tracing` spans of `S3Client`: each call runs in a span named after it (workspace, storage,
//! key), the requests it sends to Windmill in `http` child spans (method, path without the
//! query, attempt, status); the token, the content, presigned signatures and query strings are
//! never a field.
#![cfg(feature = "windmill")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use serde_json::json;
use wiremock::matchers::{bearer_token, body_bytes, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};
use wmill_s3::{
    PresignOptions, S3Client, S3Object, StorageAccess, WindmillConnection, WriteOptions,
};
use wmill_tests::trace_capture::{Capture, field};

const TOKEN: &str = "tok-SECRET-s3-0123456789";
const CONTENT: &[u8] = b"CONTENT-s3cr3t,1,2\n";
const SIGNATURE: &str = "X-Amz-Signature=SIG-s3cr3t";

fn client(server: &MockServer) -> S3Client {
    let conn = WindmillConnection::new(&server.uri(), "ws", TOKEN).unwrap();
    S3Client::from_windmill(conn, StorageAccess::Helpers)
}

#[tokio::test]
async fn s3_calls_run_in_their_spans_with_the_requests_inside() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/upload_s3_file"))
        .and(query_param("file_key", "dir/report.csv"))
        .and(query_param("storage", "cold"))
        .and(bearer_token(TOKEN))
        .and(body_bytes(CONTENT.to_vec()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"file_key": "dir/report.csv"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/download_s3_file"))
        .and(query_param("file_key", "dir/report.csv"))
        .and(query_param("storage", "cold"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(CONTENT.to_vec()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/apps/sign_s3_objects"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"s3": "dir/report.csv", "storage": "cold", "presigned": SIGNATURE}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let obj = S3Object::parse("s3://cold/dir/report.csv").unwrap();

    let (capture, _guard) = Capture::install();
    client
        .write_s3_file(Some(&obj), CONTENT, &WriteOptions::new())
        .await
        .unwrap();
    assert_eq!(client.load_s3_file(&obj).await.unwrap(), CONTENT);
    let url = client
        .get_presigned_s3_public_url(&obj, &PresignOptions::new())
        .await
        .unwrap();
    assert!(url.contains(SIGNATURE), "{url}");

    for (name, method, endpoint) in [
        (
            "write_s3_file",
            "POST",
            "/api/w/ws/job_helpers/upload_s3_file",
        ),
        (
            "load_s3_file",
            "GET",
            "/api/w/ws/job_helpers/download_s3_file",
        ),
    ] {
        let span = capture.one(name);
        assert_eq!(field(&span, "workspace"), Some("ws"), "{name}");
        assert_eq!(field(&span, "storage"), Some("cold"), "{name}");
        assert_eq!(field(&span, "key"), Some("dir/report.csv"), "{name}");
        assert_eq!(span.parent, None, "{name}");
        let http = capture.children(&span, "http");
        assert_eq!(http.len(), 1, "{name}: {:#?}", capture.spans());
        assert_eq!(field(&http[0], "method"), Some(method));
        assert_eq!(field(&http[0], "path"), Some(endpoint));
        assert_eq!(field(&http[0], "attempt"), Some("1"));
        assert_eq!(field(&http[0], "status"), Some("200"));
    }
    // Signing happens inside the presigned URL's call.
    let presign = capture.one("get_presigned_s3_public_url");
    assert_eq!(field(&presign, "key"), Some("dir/report.csv"));
    let urls = capture.one("get_presigned_s3_public_urls");
    assert_eq!(urls.parent, Some(presign.seq));
    let sign = capture.one("sign_s3_objects");
    assert_eq!(sign.parent, Some(urls.seq));
    assert_eq!(field(&sign, "count"), Some("1"));
    assert_eq!(capture.attempts(&sign), [("1".into(), "200".into())]);

    capture.assert_no_secret(&[TOKEN, "CONTENT-s3cr3t", "SIG-s3cr3t"]);
}

#[tokio::test]
async fn a_client_without_windmill_has_spans_without_a_workspace() {
    let client = S3Client::from_store(Arc::new(wmill_s3::object_store::memory::InMemory::new()));
    let obj = S3Object::new("notes/today.txt").unwrap();

    let (capture, _guard) = Capture::install();
    client
        .write_s3_file(Some(&obj), CONTENT, &WriteOptions::new())
        .await
        .unwrap();
    assert!(client.s3_object_exists(&obj).await.unwrap());
    client.delete_s3_object(&obj).await.unwrap();

    for name in ["write_s3_file", "s3_object_exists", "delete_s3_object"] {
        let span = capture.one(name);
        assert_eq!(field(&span, "key"), Some("notes/today.txt"), "{name}");
        assert_eq!(field(&span, "workspace"), None, "{name}");
        assert_eq!(field(&span, "storage"), None, "{name}");
    }
    let meta = capture.one("load_s3_file_metadata");
    assert_eq!(
        meta.parent,
        Some(capture.one("s3_object_exists").seq),
        "exists reads the metadata"
    );
    assert!(capture.named("http").is_empty(), "no request to Windmill");
    capture.assert_no_secret(&["CONTENT-s3cr3t"]);
}

#[tokio::test]
async fn connection_calls_run_in_their_own_spans_and_show_once_through_the_client() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/test_connection"))
        .and(query_param("storage", "cold"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(null)))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/storage_usage"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"storages": {"cold": 12}})))
        .expect(1)
        .mount(&server)
        .await;
    let conn = WindmillConnection::new(&server.uri(), "ws", TOKEN).unwrap();
    let client = S3Client::from_windmill(conn.clone(), StorageAccess::Helpers);

    let (capture, _guard) = Capture::install();
    conn.test_connection(Some("cold")).await.unwrap();
    let _ = conn.storage_usage(false).await;
    client.test_connection(Some("cold")).await.unwrap();

    let tests = capture.named("test_connection");
    assert_eq!(tests.len(), 2, "one span per call: {:#?}", capture.spans());
    for span in &tests {
        assert_eq!(field(span, "workspace"), Some("ws"));
        assert_eq!(field(span, "storage"), Some("cold"));
        assert_eq!(span.parent, None);
        assert_eq!(capture.attempts(span), [("1".into(), "200".into())]);
    }
    let usage = capture.one("storage_usage");
    assert_eq!(field(&usage, "workspace"), Some("ws"));
    let http = capture.children(&usage, "http");
    assert_eq!(http.len(), 1, "{http:#?}");
    assert_eq!(
        field(&http[0], "path"),
        Some("/api/w/ws/job_helpers/storage_usage")
    );
    capture.assert_no_secret(&[TOKEN]);
}
