//! The suite over `object_store::memory::InMemory` through the static resolver.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::sync::Arc;

use wmill_s3::object_store::memory::InMemory;

#[tokio::test]
async fn suite_on_memory_default_storage() {
    let (client, counters) = support::counting_client(Arc::new(InMemory::new()), None);
    support::run_all(&client, &counters, None).await;
}

#[tokio::test]
async fn suite_on_memory_named_storage() {
    let (client, counters) = support::counting_client(Arc::new(InMemory::new()), Some("secondary"));
    support::run_all(&client, &counters, Some("secondary")).await;
}

#[tokio::test]
async fn a_move_across_storages_copies_then_deletes() {
    let (hot, cold) = (Arc::new(InMemory::new()), Arc::new(InMemory::new()));
    let client = wmill_s3::S3Client::new(
        wmill_s3::StaticResolver::new(hot.clone()).with_storage("cold", cold.clone()),
    );
    let from = wmill_s3::S3Object::new("logs/2026-11.log").unwrap();
    let to = wmill_s3::S3Object::parse("s3://cold/archive/2026-11.log").unwrap();
    let content = support::pattern(7, 3 << 20);
    client
        .write_s3_file(Some(&from), content.clone(), &Default::default())
        .await
        .unwrap();
    client.move_s3_object(&from, &to).await.unwrap();
    assert_eq!(client.load_s3_file(&to).await.unwrap(), content);
    assert!(!client.s3_object_exists(&from).await.unwrap());
    // Really in the other store, not only renamed in the first one.
    use wmill_s3::object_store::ObjectStoreExt;
    assert!(cold.head(&"archive/2026-11.log".into()).await.is_ok());
    assert!(hot.head(&"archive/2026-11.log".into()).await.is_err());
    // A missing source: NotFound, nothing written.
    let err = client
        .move_s3_object(&from, &to.clone().with_storage(""))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[test]
fn large_writes_outside_a_tokio_runtime_are_an_error_not_a_panic() {
    let client = wmill_s3::S3Client::from_store(Arc::new(InMemory::new()))
        .with_transfer_options(wmill_s3::TransferOptions::default().with_part_size(5 << 20));
    let obj = wmill_s3::S3Object::new("big.bin").unwrap();
    // Small: one put, fine anywhere.
    futures::executor::block_on(client.write_s3_file(Some(&obj), "small", &Default::default()))
        .unwrap();
    // Above the multipart threshold: parts are Tokio tasks; without a runtime, a typed error.
    let big = bytes::Bytes::from(vec![0u8; 20 << 20]);
    let err =
        futures::executor::block_on(client.write_s3_file(Some(&obj), big, &Default::default()))
            .unwrap_err();
    assert!(matches!(err, wmill_core::Error::Storage { .. }), "{err:?}");
    assert!(format!("{err:?}").contains("Tokio runtime"), "{err:?}");
}

#[tokio::test]
async fn unknown_storage_is_not_found() {
    let (client, _) = support::counting_client(Arc::new(InMemory::new()), None);
    let obj = wmill_s3::S3Object::parse("s3://nope/x").unwrap();
    let err = client.load_s3_file(&obj).await.unwrap_err();
    assert!(
        matches!(&err, wmill_core::Error::NotFound { kind: wmill_core::ItemKind::Storage, path } if path == "nope"),
        "{err:?}"
    );
}

#[cfg(feature = "fs")]
#[tokio::test]
async fn suite_on_a_local_directory() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        wmill_s3::object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    let (client, counters) = support::counting_client(Arc::new(store), None);
    support::bytes_roundtrip(&client, None, false).await;
    support::stream_roundtrip(&client, None).await;
    support::missing_is_not_found(&client, None).await;
    support::multipart_parts(&client, &counters, None).await;
    support::failing_stream_aborts(&client, &counters, None).await;
}
