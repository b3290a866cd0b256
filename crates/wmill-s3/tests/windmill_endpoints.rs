//! Every Windmill endpoint wmill-s3 calls, asserted with wiremock: method, path, query,
//! `Authorization: Bearer`, body; and how statuses map to errors.
#![cfg(feature = "windmill")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{
    bearer_token, body_bytes, body_json, header, header_regex, method, path, query_param,
    query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};
use wmill_core::{Error, ItemKind};
use wmill_s3::object_store::ObjectStore;
use wmill_s3::{
    PresignOptions, S3Client, S3Object, StorageAccess, WindmillConnection, WindmillHelperStore,
    WindmillResolver, WriteOptions,
};
use wmill_tests::s3_server::S3TestServer;

const TOKEN: &str = "plain-token-123";
/// A token the server signed: `jwt_<header>.<payload>.<signature>`.
const JWT: &str = "jwt_hdr.payload.signature";

fn conn(server: &MockServer, token: &str) -> WindmillConnection {
    WindmillConnection::new(&server.uri(), "ws", token).unwrap()
}

fn text(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "text/plain")
        .set_body_string(body)
}

// ---------------------------------------------------------------- job_helpers file endpoints

#[tokio::test]
async fn upload_sends_key_storage_content_headers_and_raw_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/upload_s3_file"))
        .and(query_param("file_key", "dir/report 1.csv"))
        .and(query_param("storage", "cold"))
        .and(query_param("content_type", "text/csv"))
        .and(query_param("content_disposition", "attachment"))
        .and(header("content-type", "application/octet-stream"))
        .and(bearer_token(TOKEN))
        .and(body_bytes(b"a,b\n1,2\n".to_vec()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"file_key": "dir/report 1.csv"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = S3Client::from_windmill(conn(&server, TOKEN), StorageAccess::Helpers);
    let obj = S3Object::parse("s3://cold/dir/report 1.csv").unwrap();
    let written = client
        .write_s3_file(
            Some(&obj),
            "a,b\n1,2\n",
            &WriteOptions::new()
                .content_type("text/csv")
                .content_disposition("attachment"),
        )
        .await
        .unwrap();
    assert_eq!(written, obj);
}

#[tokio::test]
async fn upload_to_default_storage_sends_no_storage_and_streams_large_bodies() {
    let server = MockServer::start().await;
    let body: Vec<u8> = (0..(12 << 20)).map(|i| (i % 251) as u8).collect();
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/upload_s3_file"))
        .and(query_param("file_key", "big.bin"))
        .and(query_param_is_missing("storage"))
        .and(query_param_is_missing("content_type"))
        .and(bearer_token(TOKEN))
        .and(body_bytes(body.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"file_key": "big.bin"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = S3Client::from_windmill(conn(&server, TOKEN), StorageAccess::Helpers)
        .with_transfer_options(wmill_s3::TransferOptions::default().with_part_size(5 << 20));
    let chunks = body
        .chunks(1 << 20)
        .map(|c| Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(c)))
        .collect::<Vec<_>>();
    client
        .write_s3_file_stream(
            Some(&S3Object::new("big.bin").unwrap()),
            futures::stream::iter(chunks),
            &WriteOptions::new(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn download_metadata_delete_list_and_move_requests() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/download_s3_file"))
        .and(query_param("file_key", "a/b.txt"))
        .and(query_param_is_missing("storage"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"content".to_vec()))
        .expect(1)
        .mount(&server)
        .await;
    // a ranged read of a binary file downloads it (text files go through load_file_preview)
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/download_s3_file"))
        .and(query_param("file_key", "a/b.dat"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"content".to_vec()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/load_file_metadata"))
        .and(query_param("file_key", "a/b.txt"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "mime_type": "text/plain", "size_in_bytes": 7, "last_modified": "2025-01-02T03:04:05Z", "version_id": "v1"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/w/ws/job_helpers/delete_s3_file"))
        .and(query_param("file_key", "a/b.txt"))
        .and(query_param("storage", "st"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/list_stored_files_paged"))
        .and(query_param("prefix", "a/"))
        .and(query_param("max_keys", "1000"))
        .and(query_param_is_missing("page_token"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "folders": [{"prefix": "a/c/", "name": "c"}],
            "files": [{"key": "a/b.txt", "name": "b.txt", "size": 7, "last_modified": "2025-01-02T03:04:05Z"}],
            "restricted_access": false
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/move_s3_file"))
        .and(query_param("src_file_key", "a/b.txt"))
        .and(query_param("dest_file_key", "a/c.txt"))
        .and(query_param("storage", "st"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;

    let client = S3Client::from_windmill(conn(&server, TOKEN), StorageAccess::Helpers);
    let obj = S3Object::new("a/b.txt").unwrap();
    assert_eq!(client.load_s3_file(&obj).await.unwrap(), "content");
    let binary = S3Object::new("a/b.dat").unwrap();
    assert_eq!(
        client.load_s3_file_range(&binary, 2..5).await.unwrap(),
        "nte"
    );
    let meta = client.load_s3_file_metadata(&obj).await.unwrap();
    assert_eq!((meta.size, meta.version.as_deref()), (7, Some("v1")));
    let level = client.list_s3_folder(None, Some("a")).await.unwrap();
    assert_eq!(level.folders, ["a/c/"]);
    assert_eq!(level.files[0].size, 7);
    client
        .delete_s3_object(&obj.clone().with_storage("st"))
        .await
        .unwrap();
    let store = client.object_store(Some("st")).await.unwrap();
    store
        .rename_opts(&"a/b.txt".into(), &"a/c.txt".into(), Default::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn helper_statuses_map_to_typed_errors_without_the_token() {
    let server = MockServer::start().await;
    let route = |key: &'static str, resp: ResponseTemplate| {
        Mock::given(method("GET"))
            .and(path("/api/w/ws/job_helpers/download_s3_file"))
            .and(query_param("file_key", key))
            .respond_with(resp)
    };
    route("missing", text(404, "Not found: file missing"))
        .mount(&server)
        .await;
    route("denied", text(401, "Not authorized: bad token"))
        .mount(&server)
        .await;
    route("forbidden", text(403, "Require admin"))
        .mount(&server)
        .await;
    route("broken", text(500, "Internal: boom"))
        .mount(&server)
        .await;
    let client = S3Client::from_windmill(conn(&server, TOKEN), StorageAccess::Helpers);
    let load = |k: &str| {
        let client = client.clone();
        let obj = S3Object::new(k).unwrap();
        async move { client.load_s3_file(&obj).await.unwrap_err() }
    };
    let e = load("missing").await;
    assert!(
        matches!(&e, Error::NotFound { kind: ItemKind::Object, path } if path == "s3:///missing"),
        "{e:?}"
    );
    let e = load("denied").await;
    assert!(
        matches!(&e, Error::Unauthorized { status: 401, request, body } if request == "GET /api/w/ws/job_helpers/download_s3_file" && body.contains("bad token")),
        "{e:?}"
    );
    assert!(matches!(
        load("forbidden").await,
        Error::Unauthorized { status: 403, .. }
    ));
    let e = load("broken").await;
    assert!(
        matches!(&e, Error::Api { status: 500, body, .. } if body == "Internal: boom"),
        "{e:?}"
    );
    for e in [load("denied").await, load("broken").await] {
        assert!(!e.to_string().contains(TOKEN) && !format!("{e:?}").contains(TOKEN));
    }
    assert!(!format!("{client:?}").contains(TOKEN));
}

// ---------------------------------------------------------------- storage resolution

fn resource_json(s3: &S3TestServer, secret: &str) -> serde_json::Value {
    json!({
        "bucket": s3.bucket,
        "region": "us-east-1",
        "endPoint": s3.addr.to_string(),
        "useSSL": false,
        "accessKey": s3.access_key,
        "secretKey": secret,
        "pathStyle": true
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_access_uses_s3_resource_info_credentials_against_the_bucket() {
    let s3 = S3TestServer::start().await.unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .and(bearer_token(TOKEN))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_json(resource_json(&s3, &s3.secret_key)))
        .mount(&server)
        .await;
    let resolver = Arc::new(
        WindmillResolver::new(conn(&server, TOKEN), StorageAccess::Direct)
            .with_credential_ttl(Duration::ZERO),
    );
    let client = S3Client::new(resolver.clone());
    let obj = S3Object::new("direct/x.txt").unwrap();
    client
        .write_s3_file(Some(&obj), "direct", &WriteOptions::new())
        .await
        .unwrap();
    assert_eq!(client.load_s3_file(&obj).await.unwrap(), "direct");
    assert!(
        s3.object_path(&s3.bucket, "direct/x.txt").exists(),
        "written straight to the bucket"
    );
    assert_eq!(resolver.resolved_access(None), Some(StorageAccess::Direct));
    // TTL zero: credentials were fetched again for the later requests
    let calls = server.received_requests().await.unwrap().len();
    assert!(calls >= 2, "{calls} s3_resource_info calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_access_refetches_credentials_after_an_authorization_failure() {
    let s3 = S3TestServer::start().await.unwrap();
    let server = MockServer::start().await;
    // first answer: stale secret; then the right one
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(resource_json(&s3, "stale-secret")))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(resource_json(&s3, &s3.secret_key)))
        .with_priority(2)
        .mount(&server)
        .await;
    let client = S3Client::new(WindmillResolver::new(
        conn(&server, TOKEN),
        StorageAccess::Direct,
    ));
    let obj = S3Object::new("k.txt").unwrap();
    let err = client
        .write_s3_file(Some(&obj), "v", &WriteOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Unauthorized { status: 403, .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("stale-secret"));
    client
        .write_s3_file(Some(&obj), "v", &WriteOptions::new())
        .await
        .unwrap();
    assert_eq!(client.load_s3_file(&obj).await.unwrap(), "v");
}

/// The `s3_resource_info` requests `server` received.
async fn resource_info_calls(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/api/w/ws/job_helpers/v2/s3_resource_info")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_resolutions_and_credential_refreshes_send_one_request() {
    let s3 = S3TestServer::start().await.unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .and(bearer_token(TOKEN))
        .and(body_json(json!({})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(resource_json(&s3, &s3.secret_key))
                .set_delay(Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    let ttl = Duration::from_secs(1);
    let client = Arc::new(S3Client::new(
        WindmillResolver::new(conn(&server, TOKEN), StorageAccess::Direct).with_credential_ttl(ttl),
    ));
    let write = |i: usize| {
        let client = client.clone();
        tokio::spawn(async move {
            let obj = S3Object::new(format!("flight/{i}.txt")).unwrap();
            client
                .write_s3_file(Some(&obj), format!("v{i}"), &WriteOptions::new())
                .await
        })
    };
    // 32 first resolutions at once: one request
    let tasks: Vec<_> = (0..32).map(write).collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(resource_info_calls(&server).await, 1);
    // after the TTL, 32 operations at once: one refresh
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    let tasks: Vec<_> = (0..32).map(write).collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(resource_info_calls(&server).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_resolutions_share_a_failure() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/v2/s3_proxy_bucket"))
        .respond_with(text(403, "not allowed").set_delay(Duration::from_millis(200)))
        .mount(&server)
        .await;
    let resolver = Arc::new(WindmillResolver::new(
        conn(&server, JWT),
        StorageAccess::Proxy,
    ));
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let resolver = resolver.clone();
            tokio::spawn(async move {
                wmill_s3::StorageResolver::resolve(&resolver, Some("cold"))
                    .await
                    .map(|_| ())
            })
        })
        .collect();
    for t in tasks {
        let err = t.await.unwrap().unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("403"), "{shown}");
        assert!(!shown.contains("signature"), "{shown}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    // a later call tries again
    assert!(
        wmill_s3::StorageResolver::resolve(&resolver, Some("cold"))
            .await
            .is_err()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn named_storage_direct_access_needs_its_resource_path() {
    let s3 = S3TestServer::start().await.unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .and(body_json(json!({"s3_resource_path": "f/storage/cold"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(resource_json(&s3, &s3.secret_key)))
        .expect(1)
        .mount(&server)
        .await;
    let unmapped = S3Client::new(WindmillResolver::new(
        conn(&server, TOKEN),
        StorageAccess::Direct,
    ));
    let err = unmapped.object_store(Some("cold")).await.unwrap_err();
    assert!(matches!(err, Error::NotConfigured { .. }), "{err:?}");
    let mapped = S3Client::new(
        WindmillResolver::new(conn(&server, TOKEN), StorageAccess::Direct)
            .with_storage_resource("cold", "f/storage/cold"),
    );
    let obj = S3Object::parse("s3://cold/c.txt").unwrap();
    mapped
        .write_s3_file(Some(&obj), "c", &WriteOptions::new())
        .await
        .unwrap();
    assert_eq!(mapped.load_s3_file(&obj).await.unwrap(), "c");
}

#[tokio::test]
async fn proxy_access_signs_with_token_derived_keys_on_the_proxy_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/v2/s3_proxy_bucket"))
        .and(query_param_is_missing("storage"))
        .and(bearer_token(JWT))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bucket": "wm-bucket"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(
            "/api/w/ws/s3_proxy/_wm_bucket_/_default_/wm-bucket/out/p.txt",
        ))
        .and(header_regex(
            "authorization",
            r"^AWS4-HMAC-SHA256 Credential=jwt_hdr\.payload/\d{8}/us-east-1/s3/aws4_request",
        ))
        .and(body_bytes(b"through the proxy".to_vec()))
        .respond_with(ResponseTemplate::new(200).insert_header("etag", "\"e1\""))
        .expect(1)
        .mount(&server)
        .await;
    let resolver = Arc::new(WindmillResolver::new(
        conn(&server, JWT),
        StorageAccess::Proxy,
    ));
    let client = S3Client::new(resolver.clone());
    let obj = S3Object::new("out/p.txt").unwrap();
    client
        .write_s3_file(Some(&obj), "through the proxy", &WriteOptions::new())
        .await
        .unwrap();
    assert_eq!(resolver.resolved_access(None), Some(StorageAccess::Proxy));
    // the signature part of the token never travels
    for req in server.received_requests().await.unwrap() {
        if req.url.path().contains("s3_proxy/") {
            let auth = req
                .headers
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            assert!(!auth.contains("signature"), "{auth}");
        }
    }
}

#[tokio::test]
async fn proxy_bucket_for_a_named_storage_and_non_jwt_tokens() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/v2/s3_proxy_bucket"))
        .and(query_param("storage", "cold"))
        .and(bearer_token(JWT))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bucket": null})))
        .expect(1)
        .mount(&server)
        .await;
    let c = conn(&server, JWT);
    assert_eq!(c.s3_proxy_bucket(Some("cold")).await.unwrap(), None);
    let plain = conn(&server, TOKEN);
    assert!(!plain.has_server_signed_token());
    assert!(!conn(&server, "jwt_ext_a.b.c").has_server_signed_token());
    assert!(matches!(
        plain.s3_proxy_credentials(None).await.unwrap_err(),
        Error::Unsupported { .. }
    ));
}

#[tokio::test]
async fn auto_falls_back_from_proxy_and_direct_to_the_helpers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/v2/s3_proxy_bucket"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bucket": null})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "bucket": "b", "region": "", "endPoint": "s3.example.com", "useSSL": true, "pathStyle": false
        })))
        .expect(1)
        .mount(&server)
        .await;
    let resolver = WindmillResolver::new(conn(&server, JWT), StorageAccess::Auto);
    let store = wmill_s3::StorageResolver::resolve(&resolver, None)
        .await
        .unwrap();
    assert_eq!(resolver.resolved_access(None), Some(StorageAccess::Helpers));
    assert!(store.to_string().starts_with("WindmillHelpers"), "{store}");
    // cached: no new requests
    wmill_s3::StorageResolver::resolve(&resolver, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn auto_prefers_direct_with_static_keys() {
    let s3 = S3TestServer::start().await.unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(resource_json(&s3, &s3.secret_key)))
        .mount(&server)
        .await;
    let resolver = Arc::new(WindmillResolver::new(
        conn(&server, TOKEN),
        StorageAccess::Auto,
    ));
    let client = S3Client::new(resolver.clone());
    client
        .write_s3_file(
            Some(&S3Object::new("auto.txt").unwrap()),
            "a",
            &WriteOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(resolver.resolved_access(None), Some(StorageAccess::Direct));
    // named storage without a resource mapping and no proxy: helpers
    let named: Arc<dyn ObjectStore> = wmill_s3::StorageResolver::resolve(&resolver, Some("other"))
        .await
        .unwrap();
    assert_eq!(
        resolver.resolved_access(Some("other")),
        Some(StorageAccess::Helpers)
    );
    assert!(named.to_string().contains("storage other"));
    let _ = WindmillHelperStore::new(conn(&server, TOKEN), None);
}

#[tokio::test]
async fn auto_skips_a_direct_endpoint_it_cannot_reach() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "bucket": "b", "region": "us-east-1", "endPoint": "127.0.0.1:9", "useSSL": false,
            "accessKey": "AK", "secretKey": "SK", "pathStyle": true
        })))
        .expect(1)
        .mount(&server)
        .await;
    let resolver = WindmillResolver::new(conn(&server, TOKEN), StorageAccess::Auto)
        .with_probe_timeout(Duration::from_millis(300));
    wmill_s3::StorageResolver::resolve(&resolver, None)
        .await
        .unwrap();
    assert_eq!(resolver.resolved_access(None), Some(StorageAccess::Helpers));
    assert!(!format!("{resolver:?}").contains(TOKEN));
}

// ---------------------------------------------------------------- s3_resource_info and settings

#[tokio::test]
async fn s3_resource_info_bodies_and_answer() {
    let server = MockServer::start().await;
    let answer = json!({
        "bucket": "b", "region": "eu-west-1", "endPoint": "minio", "port": 9000, "useSSL": false,
        "accessKey": "AK", "secretKey": "SK-secret", "pathStyle": true, "token": "sts-token"
    });
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .and(bearer_token(TOKEN))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"s3_resource_path": "f/res/s3"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .expect(2)
        .mount(&server)
        .await;
    let client = S3Client::from_windmill(conn(&server, TOKEN), StorageAccess::Helpers);
    let info = client.s3_resource_info(Some("f/res/s3")).await.unwrap();
    assert_eq!(info.endpoint_url(), "http://minio:9000");
    assert_eq!(info.token.as_deref(), Some("sts-token"));
    let dbg = format!("{info:?}");
    assert!(
        !dbg.contains("SK-secret") && !dbg.contains("sts-token"),
        "{dbg}"
    );
    // an empty resource path is left out (the server would look for a resource named "")
    client.s3_resource_info(Some("")).await.unwrap();
    // boto3, direct mode (token not server-signed: no proxy request)
    let boto = client.get_boto3_connection_settings(None).await.unwrap();
    assert_eq!(boto.endpoint_url, "http://minio:9000");
    assert_eq!(boto.region_name, "eu-west-1");
    assert_eq!(boto.aws_access_key_id, "AK");
    assert_eq!(boto.aws_secret_access_key, "SK-secret");
    assert_eq!(boto.aws_session_token.as_deref(), Some("sts-token"));
    assert!(!format!("{boto:?}").contains("SK-secret"));
}

#[tokio::test]
async fn s3_resource_info_expiration_is_optional_and_lenient() {
    let server = MockServer::start().await;
    let with = |expiration: serde_json::Value| {
        json!({
            "bucket": "b", "region": "us-east-1", "endPoint": "s3.amazonaws.com", "useSSL": true,
            "accessKey": "AK", "secretKey": "SK", "pathStyle": false, "token": "t",
            "expiration": expiration
        })
    };
    let cases = [
        (
            "f/rfc3339",
            with(json!("2025-01-02T03:04:05.5Z")),
            Some(1_735_787_045_500),
        ),
        (
            "f/offset",
            with(json!("2025-01-02T05:04:05+02:00")),
            Some(1_735_787_045_000),
        ),
        (
            "f/epoch",
            with(json!(1_735_787_045)),
            Some(1_735_787_045_000),
        ),
        ("f/garbage", with(json!("soon")), None),
        ("f/object", with(json!({"at": 1})), None),
        ("f/null", with(json!(null)), None),
        ("f/absent", resource_json_static(), None),
    ];
    for (res, body, _) in &cases {
        Mock::given(method("POST"))
            .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
            .and(body_json(json!({"s3_resource_path": res})))
            .respond_with(ResponseTemplate::new(200).set_body_json(body.clone()))
            .mount(&server)
            .await;
    }
    let c = conn(&server, TOKEN);
    for (res, _, millis) in cases {
        let info = c.s3_resource_info(Some(res)).await.unwrap();
        let got = info
            .expires_at()
            .map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis());
        assert_eq!(got, millis, "{res}");
    }
}

fn resource_json_static() -> serde_json::Value {
    json!({
        "bucket": "b", "region": "us-east-1", "endPoint": "s3.amazonaws.com", "useSSL": true,
        "accessKey": "AK", "secretKey": "SK", "pathStyle": false
    })
}

#[tokio::test]
async fn s3_resource_info_statuses() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .and(body_json(json!({"s3_resource_path": "f/missing"})))
        .respond_with(text(404, "Not found: Resource not found at name f/missing"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .and(body_json(json!({"s3_resource_path": "f/bad_json"})))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>"))
        .mount(&server)
        .await;
    let c = conn(&server, TOKEN);
    assert!(matches!(
        c.s3_resource_info(Some("f/missing")).await.unwrap_err(),
        Error::NotFound {
            kind: ItemKind::Storage,
            ..
        }
    ));
    let e = c.s3_resource_info(Some("f/bad_json")).await.unwrap_err();
    // The answer may hold the storage's keys: its bytes are never quoted, only counted.
    assert!(
        matches!(&e, Error::Decode { body_excerpt, .. } if body_excerpt.starts_with("6 bytes")),
        "{e:?}"
    );
}

/// Settings that do not decode (a field of the wrong type) give an error with the answer's
/// outline: the secret key, whatever characters it holds, appears nowhere.
#[tokio::test]
async fn s3_settings_decode_errors_never_show_the_secret_key() {
    let server = MockServer::start().await;
    let secret = r#"SK-"quoted"-`tick`-12345"#;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/s3_resource_info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "bucket": 42, "endPoint": "minio:9000", "accessKey": "AK-id", "secretKey": secret
        })))
        .mount(&server)
        .await;
    let e = conn(&server, TOKEN)
        .s3_resource_info(None)
        .await
        .unwrap_err();
    let mut text = format!("{e} {e:?}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    for leak in [secret, "SK-", "AK-id", "quoted", "12345"] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
    assert!(text.contains("secretKey"), "{text}");
}

#[tokio::test]
async fn polars_and_duckdb_settings_direct_mode() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/polars_connection_settings"))
        .and(bearer_token(TOKEN))
        .and(body_json(json!({"s3_resource_path": "f/res/s3"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "s3fs_args": {"endpoint_url": "http://minio:9000", "key": "AK", "secret": "SK", "use_ssl": false,
                          "cache_regions": false, "client_kwargs": {"region_name": "eu"}},
            "storage_options": {"aws_endpoint_url": "http://minio:9000", "aws_access_key_id": "AK",
                                "aws_secret_access_key": "SK", "aws_region": "eu", "aws_allow_http": "true"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/v2/duckdb_connection_settings"))
        .and(bearer_token(TOKEN))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "connection_settings_str": "SET s3_region='eu';"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = S3Client::from_windmill(conn(&server, TOKEN), StorageAccess::Helpers);
    let polars = client
        .get_polars_connection_settings(Some("f/res/s3"))
        .await
        .unwrap();
    assert_eq!(polars.storage_options["aws_region"], "eu");
    assert_eq!(polars.s3_bucket, None);
    assert!(!format!("{polars:?}").contains("\"SK\""));
    let duck = client.get_duckdb_connection_settings(None).await.unwrap();
    assert_eq!(duck.connection_settings_str, "SET s3_region='eu';");
}

#[tokio::test]
async fn settings_in_proxy_mode_are_derived_from_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/v2/s3_proxy_bucket"))
        .and(query_param_is_missing("storage"))
        .and(bearer_token(JWT))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bucket": "wm-bucket"})))
        .mount(&server)
        .await;
    let client = S3Client::from_windmill(conn(&server, JWT), StorageAccess::Helpers);
    let endpoint = format!("{}/api/w/ws/s3_proxy/_wm_bucket_/_default_", server.uri());
    let boto = client.get_boto3_connection_settings(None).await.unwrap();
    assert_eq!(boto.endpoint_url, endpoint);
    assert_eq!(boto.aws_access_key_id, "jwt_hdr.payload");
    assert_eq!(boto.aws_secret_access_key, "signature");
    assert_eq!(boto.region_name, "us-east-1");
    assert!(!boto.use_ssl);
    assert_eq!(boto.bucket.as_deref(), Some("wm-bucket"));

    let polars = client.get_polars_connection_settings(None).await.unwrap();
    assert_eq!(polars.s3_bucket.as_deref(), Some("wm-bucket"));
    assert_eq!(
        polars.storage_options["aws_endpoint_url"],
        endpoint.as_str()
    );
    assert_eq!(polars.storage_options["aws_allow_http"], "true");
    assert_eq!(
        polars.storage_options["aws_virtual_hosted_style_request"],
        "false"
    );
    assert_eq!(
        polars.s3fs_args["config_kwargs"]["s3"]["addressing_style"],
        "path"
    );

    let duck = client.get_duckdb_connection_settings(None).await.unwrap();
    let host = endpoint.trim_start_matches("http://");
    assert!(
        duck.connection_settings_str
            .contains(&format!("SET s3_endpoint='{host}'")),
        "{}",
        duck.connection_settings_str
    );
    assert!(
        duck.connection_settings_str
            .contains("SET s3_url_style='path'")
    );
    assert!(duck.connection_settings_str.contains("SET s3_use_ssl=0"));
    assert_eq!(duck.s3_bucket.as_deref(), Some("wm-bucket"));
    assert!(!format!("{duck:?}").contains("signature"));
}

// ---------------------------------------------------------------- signing and public URLs

#[tokio::test]
async fn sign_s3_objects_body_with_and_without_expiry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/apps/sign_s3_objects"))
        .and(bearer_token(TOKEN))
        .and(body_json(
            json!({"s3_objects": [{"s3": "a.txt"}, {"s3": "b.txt", "storage": "st"}]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"s3": "a.txt", "presigned": "sig=1&exp=9"},
            {"s3": "b.txt", "storage": "st", "presigned": "sig=2&exp=9"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/apps/sign_s3_objects"))
        .and(body_json(
            json!({"s3_objects": [{"s3": "a.txt"}], "expiry_secs": 3600}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"s3": "a.txt", "presigned": "sig=3&exp=1"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = S3Client::from_windmill(conn(&server, TOKEN), StorageAccess::Helpers);
    let objs = [
        S3Object::new("a.txt").unwrap(),
        S3Object::parse("s3://st/b.txt").unwrap(),
    ];
    let signed = client.sign_s3_objects(&objs, None).await.unwrap();
    assert_eq!(signed[1].presigned(), Some("sig=2&exp=9"));
    assert_eq!(signed[1].storage(), Some("st"));
    let one = client.sign_s3_object(&objs[0], Some(3600)).await.unwrap();
    assert_eq!(one.presigned(), Some("sig=3&exp=1"));
    assert!(client.sign_s3_objects(&[], None).await.unwrap().is_empty());
    // A bad storage name is refused before any request (the `.expect(1)`s above still hold).
    let bad = [S3Object::new("c.txt").unwrap().with_storage("x/y")];
    let err = client.sign_s3_objects(&bad, None).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let err = client
        .get_presigned_s3_public_urls(&bad, &Default::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
}

#[tokio::test]
async fn presigned_public_urls_sign_only_unsigned_objects() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/apps/sign_s3_objects"))
        .and(body_json(
            json!({"s3_objects": [{"s3": "dir/a.txt"}], "expiry_secs": 120}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"s3": "dir/a.txt", "presigned": "sig=aa&exp=5"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let conn = conn(&server, TOKEN)
        .with_public_base_url("https://wm.example.com")
        .unwrap();
    let client = S3Client::from_windmill(conn, StorageAccess::Helpers);
    let objs = [
        S3Object::new("dir/a.txt").unwrap(),
        S3Object::parse("s3://st/b.txt")
            .unwrap()
            .with_presigned("sig=bb&exp=6"),
    ];
    let urls = client
        .get_presigned_s3_public_urls(&objs, &PresignOptions::new().expiry_secs(120))
        .await
        .unwrap();
    assert_eq!(
        urls,
        [
            "https://wm.example.com/api/w/ws/s3_proxy/_default_/dir/a.txt?sig=aa&exp=5",
            "https://wm.example.com/api/w/ws/s3_proxy/st/b.txt?sig=bb&exp=6",
        ]
    );
    // explicit base wins; an already signed object needs no request
    let url = client
        .get_presigned_s3_public_url(
            &objs[1],
            &PresignOptions::new().base_url("http://other:3000"),
        )
        .await
        .unwrap();
    assert_eq!(
        url,
        "http://other:3000/api/w/ws/s3_proxy/st/b.txt?sig=bb&exp=6"
    );
}

#[tokio::test]
async fn signing_without_a_windmill_connection_is_not_configured() {
    let client = S3Client::from_store(Arc::new(wmill_s3::object_store::memory::InMemory::new()));
    let err = client
        .sign_s3_object(&S3Object::new("a").unwrap(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotConfigured { .. }), "{err:?}");
}

#[tokio::test]
async fn a_wmill_http_client_can_back_the_connection() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/apps/sign_s3_objects"))
        .and(bearer_token(TOKEN))
        .and(body_json(json!({"s3_objects": [{"s3": "a.txt"}]})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"s3": "a.txt", "presigned": "sig=1"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    // given with `/api`, as wmill-http accepts it
    let wm = wmill_http::Windmill::builder()
        .with_base_url(format!("{}/api", server.uri()))
        .with_workspace("ws")
        .with_token(TOKEN)
        .build()
        .unwrap();
    let conn = WindmillConnection::from_http_client(&wm).unwrap();
    assert!(!format!("{conn:?}").contains(TOKEN));
    let client = S3Client::from_windmill(conn, StorageAccess::Helpers);
    let signed = client
        .sign_s3_object(&S3Object::new("a.txt").unwrap(), None)
        .await
        .unwrap();
    assert_eq!(signed.presigned(), Some("sig=1"));
}

#[tokio::test]
async fn helper_store_for_an_s3_resource_sends_its_path() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/w/ws/job_helpers/upload_s3_file"))
        .and(query_param("file_key", "r.txt"))
        .and(query_param("s3_resource_path", "f/res/other_bucket"))
        .and(query_param_is_missing("storage"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"file_key": "r.txt"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/download_s3_file"))
        .and(query_param("file_key", "r.txt"))
        .and(query_param("s3_resource_path", "f/res/other_bucket"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"res".to_vec()))
        .expect(1)
        .mount(&server)
        .await;
    let store = WindmillHelperStore::for_resource(conn(&server, TOKEN), "f/res/other_bucket");
    let client = S3Client::from_store(Arc::new(store));
    let obj = S3Object::new("r.txt").unwrap();
    client
        .write_s3_file(Some(&obj), "res", &WriteOptions::new())
        .await
        .unwrap();
    assert_eq!(client.load_s3_file(&obj).await.unwrap(), "res");
}

#[tokio::test]
async fn a_client_for_an_s3_resource_sends_its_path_whatever_the_storage() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/download_s3_file"))
        .and(query_param("file_key", "in/data.csv"))
        .and(query_param("s3_resource_path", "f/res/partner"))
        .and(query_param_is_missing("storage"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"a,b".to_vec()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/w/ws/job_helpers/delete_s3_file"))
        .and(query_param("file_key", "in/data.csv"))
        .and(query_param("s3_resource_path", "f/res/partner"))
        .and(query_param_is_missing("storage"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let workspace_client = S3Client::from_windmill(conn(&server, TOKEN), StorageAccess::Helpers);
    let partner = workspace_client
        .for_s3_resource("$res:f/res/partner")
        .unwrap();
    let obj = S3Object::new("in/data.csv").unwrap();
    assert_eq!(partner.load_s3_file(&obj).await.unwrap(), "a,b");
    partner.delete_s3_object(&obj).await.unwrap();
    // Bad paths and clients without Windmill: typed errors, nothing sent (the expects above).
    assert!(matches!(
        workspace_client.for_s3_resource("not/a path"),
        Err(Error::InvalidInput { .. })
    ));
    let plain = S3Client::from_store(Arc::new(object_store::memory::InMemory::new()));
    assert!(matches!(
        plain.for_s3_resource("f/res/partner"),
        Err(Error::NotConfigured { .. })
    ));
}

/// DuckDB settings are SQL: a quote in a value (here a token whose parts hold `'`) is doubled,
/// so it cannot end its string literal and append a statement.
#[tokio::test]
async fn duckdb_settings_cannot_be_broken_out_of() {
    let server = MockServer::start().await;
    let token = "jwt_a'b.c';DROP TABLE x;--.sig'";
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/v2/s3_proxy_bucket"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bucket": "b"})))
        .mount(&server)
        .await;
    let client = S3Client::from_windmill(conn(&server, token), StorageAccess::Helpers);
    let duck = client.get_duckdb_connection_settings(None).await.unwrap();
    let sql = duck.connection_settings_str;
    // Split as SQL does: on `;` outside string literals (where `''` is a quote).
    let mut statements = vec![String::new()];
    let mut in_literal = false;
    for c in sql.chars() {
        match c {
            '\'' => in_literal = !in_literal,
            ';' if !in_literal => {
                statements.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = statements.last_mut() {
            last.push(c);
        }
    }
    let statements: Vec<&str> = statements
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    assert!(!in_literal, "an unterminated literal in {sql}");
    assert_eq!(statements.len(), 8, "{statements:#?}");
    assert!(
        statements
            .iter()
            .all(|s| s.starts_with("SET ") || s.starts_with("INSTALL ")),
        "{statements:#?}"
    );
    assert!(
        sql.contains("SET s3_access_key_id='jwt_a''b.c'';DROP TABLE x;--'"),
        "{sql}"
    );
}

// ---------------------------------------------------------------- previews, folder checks, usage

fn meta_answer(size: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "mime_type": null, "size_in_bytes": size,
        "last_modified": "2026-01-02T03:04:05Z", "expires": null, "version_id": null
    }))
}

#[tokio::test]
async fn a_ranged_read_of_a_text_file_reads_only_the_range_through_the_preview() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/load_file_metadata"))
        .and(query_param("file_key", "logs/app.log"))
        .and(query_param("storage", "cold"))
        .and(bearer_token(TOKEN))
        .respond_with(meta_answer(10_000_000))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/load_file_preview"))
        .and(query_param("file_key", "logs/app.log"))
        .and(query_param("storage", "cold"))
        .and(query_param("file_size_in_bytes", "10000000"))
        .and(query_param("read_bytes_from", "9000000"))
        .and(query_param("read_bytes_length", "6"))
        .and(query_param_is_missing("s3_resource_path"))
        .and(bearer_token(TOKEN))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"content": "héllo", "content_type": "RawText", "msg": null})),
        )
        .expect(1)
        .mount(&server)
        .await;
    // the whole file must not be downloaded
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/download_s3_file"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let client = S3Client::from_windmill(conn(&server, TOKEN), StorageAccess::Helpers);
    let obj = S3Object::parse("s3://cold/logs/app.log").unwrap();
    let bytes = client
        .load_s3_file_range(&obj, 9_000_000..9_000_006)
        .await
        .unwrap();
    assert_eq!(&bytes[..], "héllo".as_bytes());
}

#[tokio::test]
async fn a_preview_that_is_not_the_exact_range_falls_back_to_the_download() {
    for answer in [
        // an older server that read one byte more
        json!({"content": "abcd", "content_type": "RawText"}),
        // not UTF-8
        json!({"content": null, "content_type": "RawText", "msg": "File encoding is not supported"}),
        json!({"content_type": "Unknown", "msg": "Preview is not available"}),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/w/ws/job_helpers/load_file_metadata"))
            .respond_with(meta_answer(6))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/w/ws/job_helpers/load_file_preview"))
            .and(query_param("read_bytes_from", "1"))
            .and(query_param("read_bytes_length", "3"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer.clone()))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/w/ws/job_helpers/download_s3_file"))
            .and(query_param("file_key", "a.txt"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(b"012345".to_vec()))
            .expect(1)
            .mount(&server)
            .await;
        let client = S3Client::from_windmill(conn(&server, TOKEN), StorageAccess::Helpers);
        let obj = S3Object::new("a.txt").unwrap();
        let bytes = client.load_s3_file_range(&obj, 1..4).await.unwrap();
        assert_eq!(&bytes[..], b"123", "{answer}");
    }
}

#[tokio::test]
async fn ranged_reads_of_binary_files_download_without_a_preview() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/load_file_preview"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/download_s3_file"))
        .and(query_param("file_key", "a.bin"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"012345".to_vec()))
        .expect(1)
        .mount(&server)
        .await;
    let client = S3Client::from_windmill(conn(&server, TOKEN), StorageAccess::Helpers);
    let bytes = client
        .load_s3_file_range(&S3Object::new("a.bin").unwrap(), 2..5)
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"234");
}

#[tokio::test]
async fn load_file_preview_sends_every_option() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/load_file_preview"))
        .and(query_param("file_key", "d/t.csv"))
        .and(query_param("file_size_in_bytes", "100"))
        .and(query_param("file_mime_type", "text/csv"))
        .and(query_param("csv_separator", ";"))
        .and(query_param("csv_has_header", "false"))
        .and(query_param("read_bytes_from", "0"))
        .and(query_param("read_bytes_length", "50"))
        .and(query_param_is_missing("storage"))
        .and(bearer_token(TOKEN))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"content": "a;b", "content_type": "Csv"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let conn = conn(&server, TOKEN);
    let preview = conn
        .load_file_preview(
            &S3Object::new("d/t.csv").unwrap(),
            &wmill_s3::PreviewOptions::new()
                .bytes(0, 50)
                .file_size(100)
                .mime_type("text/csv")
                .csv(";", false),
        )
        .await
        .unwrap();
    assert_eq!(preview.content.as_deref(), Some("a;b"));
    assert_eq!(preview.content_type, wmill_s3::PreviewContentType::Csv);
    // longer than the server previews: refused before any request
    let err = conn
        .load_file_preview(
            &S3Object::new("d/t.csv").unwrap(),
            &wmill_s3::PreviewOptions::new().bytes(0, wmill_s3::MAX_PREVIEW_BYTES + 1),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    // a missing file
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/load_file_preview"))
        .and(query_param("file_key", "gone.txt"))
        .respond_with(text(404, "Not found: gone.txt"))
        .mount(&server)
        .await;
    let err = conn
        .load_file_preview(&S3Object::new("gone.txt").unwrap(), &Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotFound {
                kind: ItemKind::Object,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn folder_checks_parquet_as_csv_connection_tests_and_usage() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/check_s3_folder_exists"))
        .and(query_param("file_key", "exports/2026"))
        .and(query_param("marker_file", "_SUCCESS"))
        .and(bearer_token(TOKEN))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"exists": true, "is_folder": true})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/api/w/ws/job_helpers/download_s3_parquet_file_as_csv",
        ))
        .and(query_param("file_key", "t.parquet"))
        .and(query_param("s3_resource_path", "f/s3/partner"))
        .and(bearer_token(TOKEN))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/csv")
                .set_body_string("a,b\n1,2\n"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/test_connection"))
        .and(query_param("storage", "cold"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(null)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/test_connection"))
        .and(query_param_is_missing("storage"))
        .respond_with(text(
            500,
            "Internal: Error testing connection: bucket unreachable",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/job_helpers/storage_usage"))
        .and(query_param("refresh", "true"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "total_bytes": 300, "quota_bytes": 1000,
            "storages": [{"storage": "_default_", "bytes": 300, "computed_at": "2026-12-01T00:00:00Z"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let conn = conn(&server, TOKEN);
    let check = conn
        .check_s3_folder_exists("/exports/2026/", Some("_SUCCESS"))
        .await
        .unwrap();
    assert!(check.exists && check.is_folder);
    let csv = conn
        .download_s3_parquet_file_as_csv(
            &S3Object::new("t.parquet").unwrap(),
            Some("$res:f/s3/partner"),
        )
        .await
        .unwrap();
    assert_eq!(&csv[..], b"a,b\n1,2\n");
    assert_eq!(
        conn.test_connection(Some("cold")).await.unwrap(),
        json!(null)
    );
    let err = conn.test_connection(None).await.unwrap_err();
    assert_eq!(err.status(), Some(500), "{err:?}");
    assert!(
        err.to_string().contains("bucket unreachable")
            || format!("{err:?}").contains("bucket unreachable")
    );
    let usage = conn.storage_usage(true).await.unwrap();
    assert_eq!((usage.total_bytes, usage.quota_bytes), (300, Some(1000)));
    assert_eq!(usage.storages[0].bytes, 300);

    // refused before any request
    let sent = server.received_requests().await.unwrap().len();
    for err in [
        conn.check_s3_folder_exists("/", None).await.unwrap_err(),
        conn.download_s3_parquet_file_as_csv(
            &S3Object::new("t.parquet").unwrap().with_storage("cold"),
            None,
        )
        .await
        .unwrap_err(),
        conn.test_connection(Some("a/b")).await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), sent);
}
