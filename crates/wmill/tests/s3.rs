//! The S3 functions of the umbrella: against an object_store memory store, against the real
//! in-process S3 server, and the Windmill-only ones (signing, public URLs, connection settings)
//! against wiremock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The lock serializes the tests that share the global client; holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

#[path = "../../wmill-http/tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use parking_lot::Mutex;
use serde_json::json;
use support::{builder, call, server};
use wiremock::ResponseTemplate;
use wiremock::matchers::body_json;
use wmill::{Client, Error, InMemory, PresignOptions, S3Client, S3Object, WriteOptions};
use wmill_tests::s3_server::S3TestServer;

static GLOBAL: Mutex<()> = Mutex::new(());

fn memory_client() -> Client {
    let store = Arc::new(wmill::s3::object_store::memory::InMemory::new());
    Client::new(InMemory::new()).with_s3(S3Client::from_store(store))
}

#[tokio::test]
async fn load_write_delete_on_a_memory_store() {
    let _g = GLOBAL.lock();
    wmill::set_client(memory_client());

    let obj = wmill::parse_s3_object("s3:///reports/q3.csv").unwrap();
    let written = wmill::write_s3_file(
        Some(&obj),
        Bytes::from_static(b"a,b\n1,2\n"),
        &WriteOptions::new().content_type("text/csv"),
    )
    .await
    .unwrap();
    assert_eq!(written, obj);
    assert_eq!(wmill::load_s3_file(&obj).await.unwrap(), "a,b\n1,2\n");
    assert_eq!(
        wmill::load_s3_file("s3:///reports/q3.csv").await.unwrap(),
        "a,b\n1,2\n"
    );

    // No object: a generated key, returned.
    let generated = wmill::write_s3_file(
        None,
        "x".repeat(10),
        &WriteOptions::new().file_extension("txt"),
    )
    .await
    .unwrap();
    assert!(generated.key().ends_with(".txt"), "{generated}");

    // Streams both ways.
    let chunks = futures::stream::iter(
        (0..4).map(|i| Ok::<_, std::io::Error>(Bytes::from(vec![i as u8; 1000]))),
    );
    let streamed = S3Object::new("streamed.bin").unwrap();
    wmill::write_s3_file_stream(Some(&streamed), chunks, &WriteOptions::new())
        .await
        .unwrap();
    let mut total = 0;
    let mut s = wmill::load_s3_file_stream(&streamed).await.unwrap();
    while let Some(chunk) = s.next().await {
        total += chunk.unwrap().len();
    }
    assert_eq!(total, 4000);

    wmill::delete_s3_object(&obj).await.unwrap();
    assert!(matches!(
        wmill::load_s3_file(&obj).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        wmill::load_s3_file("no-scheme/key").await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        wmill::load_s3_file("s3:///a/../b").await,
        Err(Error::InvalidInput { .. })
    ));

    // Moves, async and blocking; a bad URI is refused.
    wmill::write_s3_file(Some(&obj), "moved", &WriteOptions::new())
        .await
        .unwrap();
    wmill::move_s3_object(&obj, "s3:///reports/q3-final.csv")
        .await
        .unwrap();
    assert!(wmill::load_s3_file(&obj).await.unwrap_err().is_not_found());
    wmill::blocking::move_s3_object("s3:///reports/q3-final.csv", "s3:///reports/q3-v2.csv")
        .unwrap();
    assert_eq!(
        wmill::load_s3_file("s3:///reports/q3-v2.csv")
            .await
            .unwrap(),
        "moved"
    );
    assert!(matches!(
        wmill::move_s3_object("s3:///reports/q3-v2.csv", "no-scheme").await,
        Err(Error::InvalidInput { .. })
    ));

    // Blocking twins.
    let b = S3Object::new("blocking.txt").unwrap();
    wmill::blocking::write_s3_file(Some(&b), "sync", &WriteOptions::new()).unwrap();
    assert_eq!(wmill::blocking::load_s3_file(&b).unwrap(), "sync");
    wmill::blocking::delete_s3_object(&b).unwrap();
    assert!(
        wmill::blocking::load_s3_file(&b)
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_s3_server_through_the_umbrella() {
    let _g = GLOBAL.lock();
    let server = S3TestServer::start().await.unwrap();
    let s3 = S3Client::from_store(Arc::new(server.object_store().unwrap()))
        .with_transfer_options(wmill::s3::TransferOptions::default().with_part_size(5 << 20));
    wmill::set_client(Client::new(InMemory::new()).with_s3(s3));
    // 12 MiB in 1 MiB chunks: a multipart upload of three parts.
    let chunks = futures::stream::iter(
        (0..12u8).map(|i| Ok::<_, std::io::Error>(Bytes::from(vec![i; 1 << 20]))),
    );
    let obj = S3Object::new("big/file.bin").unwrap();
    wmill::write_s3_file_stream(Some(&obj), chunks, &WriteOptions::new())
        .await
        .unwrap();
    let back = wmill::load_s3_file(&obj).await.unwrap();
    assert_eq!(back.len(), 12 << 20);
    assert!(
        back.chunks(1 << 20)
            .enumerate()
            .all(|(i, c)| c.iter().all(|b| *b == i as u8))
    );
    assert!(server.pending_multipart_uploads().unwrap().is_empty());

    // The blocking twins, from a `Read` and as a `Read`: 12 MiB in a multipart upload, then
    // a reader that fails after 7 MiB (the upload is aborted, nothing is left).
    let pattern = |i: usize| (i % 251) as u8;
    let content: Vec<u8> = (0..12 << 20).map(pattern).collect();
    let from_reader = S3Object::new("big/from-reader.bin").unwrap();
    let broken_load = tokio::task::spawn_blocking({
        let obj = from_reader.clone();
        move || {
            wmill::blocking::write_s3_file_stream(
                Some(&obj),
                std::io::Cursor::new(content),
                &WriteOptions::new(),
            )
            .unwrap();
            let mut back = Vec::new();
            let mut reader = wmill::blocking::load_s3_file_stream(&obj).unwrap();
            std::io::Read::read_to_end(&mut reader, &mut back).unwrap();
            assert_eq!(back.len(), 12 << 20);
            assert!(back.iter().enumerate().all(|(i, b)| *b == pattern(i)));
            let chunks: usize = wmill::blocking::load_s3_file_stream(&obj)
                .unwrap()
                .map(|c| c.unwrap().len())
                .sum();
            assert_eq!(chunks, 12 << 20);

            let failing = std::io::Read::chain(
                std::io::Read::take(std::io::repeat(7), 7 << 20),
                FailingReader,
            );
            let broken = S3Object::new("big/broken.bin").unwrap();
            let err =
                wmill::blocking::write_s3_file_stream(Some(&broken), failing, &WriteOptions::new())
                    .unwrap_err();
            let mut chain = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(e) = source {
                chain = format!("{chain}: {e}");
                source = e.source();
            }
            assert!(chain.contains("upload was aborted"), "{chain}");
            assert!(chain.contains("disk on fire"), "{chain}");
            wmill::blocking::load_s3_file(&broken).unwrap_err()
        }
    })
    .await
    .unwrap();
    assert!(broken_load.is_not_found(), "{broken_load}");
    assert!(server.pending_multipart_uploads().unwrap().is_empty());
}

/// A reader that always fails.
struct FailingReader;

impl std::io::Read for FailingReader {
    fn read(&mut self, _buf: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("disk on fire"))
    }
}

// Multi-thread: the blocking call below parks one worker while wiremock answers on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_public_urls_and_settings_go_through_windmill() {
    let _g = GLOBAL.lock();
    let server = server().await;
    call("POST", "/api/w/ws/apps/sign_s3_objects")
        .and(body_json(
            json!({"s3_objects": [{"s3": "dir/a.txt"}], "expiry_secs": 600}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"s3": "dir/a.txt", "presigned": "sig=aa&exp=5"}])),
        )
        .expect(4)
        .mount(&server)
        .await;
    call(
        "POST",
        "/api/w/ws/job_helpers/v2/duckdb_connection_settings",
    )
    .and(body_json(json!({"s3_resource_path": "f/res/s3"})))
    .respond_with(
        ResponseTemplate::new(200)
            .set_body_json(json!({"connection_settings_str": "SET s3_region='eu';"})),
    )
    .expect(1)
    .mount(&server)
    .await;
    call("POST", "/api/w/ws/job_helpers/v2/polars_connection_settings")
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "s3fs_args": {"endpoint_url": "http://minio:9000", "key": "AK", "secret": "SK", "use_ssl": false,
                          "cache_regions": false, "client_kwargs": {"region_name": "eu"}},
            "storage_options": {"aws_endpoint_url": "http://minio:9000", "aws_access_key_id": "AK",
                                "aws_secret_access_key": "SK", "aws_region": "eu", "aws_allow_http": "true"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/job_helpers/v2/s3_resource_info")
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "bucket": "b", "region": "eu-west-1", "endPoint": "minio", "port": 9000, "useSSL": false,
            "accessKey": "AK", "secretKey": "SK", "pathStyle": true
        })))
        .expect(1)
        .mount(&server)
        .await;
    let wm = builder(&server).build().unwrap();
    wmill::set_client(Client::windmill(wm));

    let obj = S3Object::new("dir/a.txt").unwrap();
    let signed = wmill::sign_s3_object(&obj, Some(600)).await.unwrap();
    assert_eq!(signed.presigned(), Some("sig=aa&exp=5"));
    let url = wmill::get_presigned_s3_public_url(
        &obj,
        &PresignOptions::new()
            .base_url("https://wm.example.com")
            .expiry_secs(600),
    )
    .await
    .unwrap();
    assert_eq!(
        url,
        "https://wm.example.com/api/w/ws/s3_proxy/_default_/dir/a.txt?sig=aa&exp=5"
    );
    let all = wmill::sign_s3_objects(std::slice::from_ref(&obj), Some(600))
        .await
        .unwrap();
    assert_eq!(all[0].presigned(), Some("sig=aa&exp=5"));
    let urls = wmill::get_presigned_s3_public_urls(
        std::slice::from_ref(&obj),
        &PresignOptions::new()
            .base_url("https://wm.example.com")
            .expiry_secs(600),
    )
    .await
    .unwrap();
    assert_eq!(urls, vec![url]);
    let duck = wmill::get_duckdb_connection_settings(Some("f/res/s3"))
        .await
        .unwrap();
    assert_eq!(duck.connection_settings_str, "SET s3_region='eu';");
    let polars = wmill::blocking::get_polars_connection_settings(None).unwrap();
    assert_eq!(polars.storage_options["aws_region"], "eu");
    let boto = wmill::get_boto3_connection_settings(None).await.unwrap();
    assert_eq!(boto.endpoint_url, "http://minio:9000");
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_file_helpers_through_the_umbrella() {
    let _g = GLOBAL.lock();
    let server = server().await;
    call("GET", "/api/w/ws/job_helpers/load_file_preview")
        .and(wiremock::matchers::query_param("file_key", "logs/a.log"))
        .and(wiremock::matchers::query_param("read_bytes_from", "2"))
        .and(wiremock::matchers::query_param("read_bytes_length", "3"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"content": "llo", "content_type": "RawText"})),
        )
        .expect(2)
        .mount(&server)
        .await;
    call("GET", "/api/w/ws/job_helpers/check_s3_folder_exists")
        .and(wiremock::matchers::query_param("file_key", "exports"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"exists": false, "is_folder": false})),
        )
        .expect(2)
        .mount(&server)
        .await;
    call(
        "GET",
        "/api/w/ws/job_helpers/download_s3_parquet_file_as_csv",
    )
    .and(wiremock::matchers::query_param("file_key", "t.parquet"))
    .respond_with(ResponseTemplate::new(200).set_body_string("a\n1\n"))
    .expect(2)
    .mount(&server)
    .await;
    call("GET", "/api/w/ws/job_helpers/test_connection")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(null)))
        .expect(2)
        .mount(&server)
        .await;
    call("GET", "/api/w/ws/job_helpers/storage_usage")
        .and(wiremock::matchers::query_param_is_missing("refresh"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"total_bytes": 7, "storages": []})),
        )
        .expect(2)
        .mount(&server)
        .await;
    wmill::set_client(Client::windmill(builder(&server).build().unwrap()));

    let opts = wmill::s3::PreviewOptions::new().bytes(2, 3);
    let p = wmill::load_file_preview("s3:///logs/a.log", &opts)
        .await
        .unwrap();
    assert_eq!(p.content.as_deref(), Some("llo"));
    assert!(
        !wmill::check_s3_folder_exists("exports", None)
            .await
            .unwrap()
            .exists
    );
    assert_eq!(
        &wmill::download_s3_parquet_file_as_csv("s3:///t.parquet", None)
            .await
            .unwrap()[..],
        b"a\n1\n"
    );
    assert_eq!(
        wmill::test_storage_connection(None).await.unwrap(),
        json!(null)
    );
    assert_eq!(wmill::storage_usage(false).await.unwrap().total_bytes, 7);

    let (p, f, c, t, u) = tokio::task::spawn_blocking(move || {
        (
            wmill::blocking::load_file_preview("s3:///logs/a.log", &opts).unwrap(),
            wmill::blocking::check_s3_folder_exists("exports", None).unwrap(),
            wmill::blocking::download_s3_parquet_file_as_csv("s3:///t.parquet", None).unwrap(),
            wmill::blocking::test_storage_connection(None).unwrap(),
            wmill::blocking::storage_usage(false).unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(p.content.as_deref(), Some("llo"));
    assert!(!f.exists);
    assert_eq!(&c[..], b"a\n1\n");
    assert_eq!(t, json!(null));
    assert_eq!(u.total_bytes, 7);
    server.verify().await;
}
