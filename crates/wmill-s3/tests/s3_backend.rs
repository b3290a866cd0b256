//! The suite against a real S3-compatible server (s3s + s3s-fs, in process, SigV4 checked),
//! plus what only a real server shows: multipart on the wire, a 64 MiB streamed round trip,
//! aborts leaving no pending upload, refused credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use wmill_core::Error;
use wmill_s3::object_store::ObjectStore;
use wmill_s3::{S3Client, S3Object, TransferOptions, WriteOptions};
use wmill_tests::s3_server::S3TestServer;

use support::MIB;

async fn server_store() -> (S3TestServer, Arc<dyn ObjectStore>) {
    let server = S3TestServer::start().await.unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(server.object_store().unwrap());
    (server, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_on_s3_default_storage() {
    let (server, store) = server_store().await;
    let (client, counters) = support::counting_client(store, None);
    support::run_all(&client, &counters, None).await;
    assert!(server.pending_multipart_uploads().unwrap().is_empty());
    assert!(server.pending_parts().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_on_s3_named_storage() {
    let (server, store) = server_store().await;
    let (client, counters) = support::counting_client(store, Some("archive"));
    support::run_all(&client, &counters, Some("archive")).await;
    assert!(server.pending_multipart_uploads().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_64_mib_round_trip_checked_by_hash() {
    let (server, store) = server_store().await;
    let client = S3Client::from_store(store);
    let obj = S3Object::new("big/64mib.bin").unwrap();

    let mut sent = Sha256::new();
    let chunks: Vec<Bytes> = (0..64).map(|i| support::pattern(i, MIB)).collect();
    for c in &chunks {
        sent.update(c);
    }
    let body = futures::stream::iter(chunks).map(Ok::<_, std::io::Error>);
    client
        .write_s3_file_stream(
            Some(&obj),
            body,
            &WriteOptions::new().content_type("application/octet-stream"),
        )
        .await
        .unwrap();
    assert!(server.pending_multipart_uploads().unwrap().is_empty());
    assert_eq!(
        std::fs::metadata(server.object_path(&server.bucket, "big/64mib.bin"))
            .unwrap()
            .len(),
        64 * MIB as u64
    );

    let mut received = Sha256::new();
    let mut total = 0usize;
    let mut biggest_chunk = 0usize;
    let mut stream = client.load_s3_file_stream(&obj).await.unwrap();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        total += chunk.len();
        biggest_chunk = biggest_chunk.max(chunk.len());
        received.update(&chunk);
    }
    assert_eq!(total, 64 * MIB);
    assert!(
        biggest_chunk < 8 * MIB,
        "the download is streamed, not buffered ({biggest_chunk} bytes)"
    );
    assert_eq!(sent.finalize(), received.finalize());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_body_leaves_no_object_and_no_pending_upload() {
    let (server, store) = server_store().await;
    let (client, counters) = support::counting_client(store, None);
    support::failing_stream_aborts(&client, &counters, None).await;
    assert!(counters.parts.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    assert_eq!(
        server.pending_multipart_uploads().unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(server.pending_parts().unwrap(), Vec::<String>::new());
    assert!(
        !server
            .object_path(&server.bucket, "suite/abort/broken.bin")
            .exists()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_write_aborts_its_upload() {
    let (server, store) = server_store().await;
    let client = S3Client::from_store(store)
        .with_transfer_options(TransferOptions::default().with_part_size(5 * MIB));
    let obj = S3Object::new("cancelled.bin").unwrap();
    // 12 MiB, then a body that never ends
    let body = futures::stream::iter(
        (0..12u64).map(|i| Ok::<_, std::io::Error>(support::pattern(i, MIB))),
    )
    .chain(futures::stream::pending());
    let opts = WriteOptions::default();
    let write = client.write_s3_file_stream(Some(&obj), body, &opts);
    assert!(
        tokio::time::timeout(Duration::from_millis(1500), write)
            .await
            .is_err()
    );
    // the multipart upload was started, then aborted in the background when the future dropped
    let mut pending = server.pending_multipart_uploads().unwrap();
    for _ in 0..50 {
        if pending.is_empty() && server.pending_parts().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        pending = server.pending_multipart_uploads().unwrap();
    }
    assert!(pending.is_empty(), "{pending:?}");
    assert!(server.pending_parts().unwrap().is_empty());
    assert!(client.load_s3_file(&obj).await.unwrap_err().is_not_found());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_unauthorized() {
    let server = S3TestServer::start().await.unwrap();
    let store = server
        .builder()
        .with_secret_access_key("not-the-secret")
        .build()
        .unwrap();
    let client = S3Client::from_store(Arc::new(store));
    let obj = S3Object::new("x.txt").unwrap();
    let err = client
        .write_s3_file(Some(&obj), "x", &WriteOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized { status: 403, request, .. } if request == "put s3:///x.txt"),
        "{err:?}"
    );
    let err = client.load_s3_file(&obj).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(!err.to_string().contains("not-the-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_is_a_storage_error_naming_the_key() {
    let server = S3TestServer::start().await.unwrap();
    let store = server
        .builder()
        .with_endpoint("http://127.0.0.1:9")
        .with_retry(wmill_s3::object_store::RetryConfig {
            max_retries: 0,
            ..Default::default()
        })
        .build()
        .unwrap();
    let client =
        S3Client::new(wmill_s3::StaticResolver::empty().with_storage("cold", Arc::new(store)));
    let err = client
        .load_s3_file(&S3Object::parse("s3://cold/a/b.txt").unwrap())
        .await
        .unwrap_err();
    match &err {
        Error::Storage { operation, .. } => assert_eq!(operation, "get s3://cold/a/b.txt"),
        other => panic!("{other:?}"),
    }
    assert!(
        std::error::Error::source(&err).is_some(),
        "the store's error is kept as source"
    );
}

/// Python steps write `S3Object(s3='/path/to/file.txt')`: the server stores it at
/// `path/to/file.txt` (object_store's `Path` drops empty segments), and so do we.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leading_slash_key_is_stored_where_the_server_stores_it() {
    let (server, store) = server_store().await;
    let client = S3Client::from_store(store);
    let given: S3Object = serde_json::from_str(r#"{"s3": "/path/to//file.txt"}"#).unwrap();
    let written = client
        .write_s3_file(
            Some(&given),
            Bytes::from_static(b"hello"),
            &WriteOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(written.key(), "path/to/file.txt");
    // on disk at the normalized key, nowhere else
    assert_eq!(
        std::fs::read(server.object_path(&server.bucket, "path/to/file.txt")).unwrap(),
        b"hello"
    );
    // read back through the key as given, the normalized key and the URI
    for obj in [
        given.clone(),
        S3Object::new("path/to/file.txt").unwrap(),
        S3Object::parse("s3:////path/to/file.txt").unwrap(),
    ] {
        assert_eq!(
            &client.load_s3_file(&obj).await.unwrap()[..],
            b"hello",
            "{obj}"
        );
    }
    // a step hands back what it received
    assert_eq!(
        serde_json::to_value(&given).unwrap(),
        serde_json::json!({"s3": "/path/to//file.txt"})
    );
    client.delete_s3_object(&given).await.unwrap();
    assert!(matches!(
        client
            .load_s3_file(&S3Object::new("path/to/file.txt").unwrap())
            .await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_against_the_real_s3_server() {
    let (_server, store) = server_store().await;
    support::check_progress(&S3Client::from_store(store)).await;
}

/// Checksums against a real S3 server: stored as `x-amz-meta-wmill-sha256`, verified on reads,
/// and a file changed on the server's disk is caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksums_against_the_real_s3_server() {
    use std::error::Error as _;
    let (server, store) = server_store().await;
    let client = S3Client::from_store(store.clone());
    let obj = S3Object::new("sums/a.txt").unwrap();
    client
        .write_s3_file(Some(&obj), "payload", &WriteOptions::new().checksum(true))
        .await
        .unwrap();
    let got = store
        .get_opts(&"sums/a.txt".into(), Default::default())
        .await
        .unwrap();
    assert!(
        got.attributes
            .get(&wmill_s3::object_store::Attribute::Metadata(
                wmill_s3::CHECKSUM_METADATA.into()
            ))
            .is_some(),
        "{:?}",
        got.attributes
    );
    assert_eq!(client.load_s3_file(&obj).await.unwrap(), "payload");
    std::fs::write(server.object_path(&server.bucket, "sums/a.txt"), "paYload").unwrap();
    let err = client.load_s3_file(&obj).await.unwrap_err();
    assert!(
        err.source()
            .and_then(|s| s.downcast_ref::<wmill_s3::ChecksumMismatch>())
            .is_some(),
        "{err:?}"
    );
    // a multipart buffer carries it too
    let big = S3Object::new("sums/big.bin").unwrap();
    client
        .write_s3_file(
            Some(&big),
            vec![3u8; 12 * MIB],
            &WriteOptions::new().checksum(true),
        )
        .await
        .unwrap();
    assert_eq!(client.load_s3_file(&big).await.unwrap().len(), 12 * MIB);
}
