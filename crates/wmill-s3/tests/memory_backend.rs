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
