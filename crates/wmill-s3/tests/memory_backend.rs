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

mod expired {
    //! A store whose credentials expired (S3 answers HTTP 400 `ExpiredToken`): the client drops
    //! the cached store, so the next call resolves fresh credentials.
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use futures::stream::BoxStream;
    use wmill_s3::object_store::path::Path;
    use wmill_s3::object_store::{
        CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
        PutMultipartOptions, PutOptions, PutPayload, PutResult,
    };
    use wmill_s3::{S3Client, S3Object, StorageResolver};

    #[derive(Debug)]
    struct Expired(Arc<dyn ObjectStore>);

    impl std::fmt::Display for Expired {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Expired")
        }
    }

    fn expired() -> wmill_s3::object_store::Error {
        wmill_s3::object_store::Error::Generic {
            store: "S3",
            source: "Error performing GET: Client error with status 400 Bad Request: \
                     <Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>"
                .into(),
        }
    }

    #[async_trait]
    impl ObjectStore for Expired {
        async fn put_opts(
            &self,
            location: &Path,
            payload: PutPayload,
            opts: PutOptions,
        ) -> wmill_s3::object_store::Result<PutResult> {
            self.0.put_opts(location, payload, opts).await
        }
        async fn put_multipart_opts(
            &self,
            location: &Path,
            opts: PutMultipartOptions,
        ) -> wmill_s3::object_store::Result<Box<dyn MultipartUpload>> {
            self.0.put_multipart_opts(location, opts).await
        }
        async fn get_opts(
            &self,
            _location: &Path,
            _options: GetOptions,
        ) -> wmill_s3::object_store::Result<GetResult> {
            Err(expired())
        }
        fn delete_stream(
            &self,
            locations: BoxStream<'static, wmill_s3::object_store::Result<Path>>,
        ) -> BoxStream<'static, wmill_s3::object_store::Result<Path>> {
            self.0.delete_stream(locations)
        }
        fn list(
            &self,
            prefix: Option<&Path>,
        ) -> BoxStream<'static, wmill_s3::object_store::Result<ObjectMeta>> {
            self.0.list(prefix)
        }
        async fn list_with_delimiter(
            &self,
            prefix: Option<&Path>,
        ) -> wmill_s3::object_store::Result<ListResult> {
            self.0.list_with_delimiter(prefix).await
        }
        async fn copy_opts(
            &self,
            from: &Path,
            to: &Path,
            options: CopyOptions,
        ) -> wmill_s3::object_store::Result<()> {
            self.0.copy_opts(from, to, options).await
        }
    }

    #[derive(Debug, Default)]
    struct Counting {
        expired: bool,
        invalidated: AtomicUsize,
    }

    #[async_trait]
    impl StorageResolver for Counting {
        async fn resolve(
            &self,
            _storage: Option<&str>,
        ) -> wmill_core::Result<Arc<dyn ObjectStore>> {
            let inner: Arc<dyn ObjectStore> =
                Arc::new(wmill_s3::object_store::memory::InMemory::new());
            Ok(if self.expired {
                Arc::new(Expired(inner))
            } else {
                inner
            })
        }
        fn invalidate(&self, _storage: Option<&str>) {
            self.invalidated.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn an_expired_session_token_drops_the_cached_store() {
        let resolver = Arc::new(Counting {
            expired: true,
            ..Counting::default()
        });
        let client = S3Client::new(resolver.clone());
        let obj = S3Object::new("k").unwrap();
        let err = client.load_s3_file(&obj).await.unwrap_err();
        assert!(matches!(err, wmill_core::Error::Storage { .. }), "{err:?}");
        assert_eq!(resolver.invalidated.load(Ordering::SeqCst), 1);
        // A missing object is not a credentials problem: nothing is dropped.
        let fine = Arc::new(Counting::default());
        let plain = S3Client::new(fine.clone());
        assert!(plain.load_s3_file(&obj).await.unwrap_err().is_not_found());
        assert_eq!(fine.invalidated.load(Ordering::SeqCst), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_on_a_memory_store() {
    let client = wmill_s3::S3Client::from_store(Arc::new(InMemory::new()));
    support::check_progress(&client).await;
}

mod checksums {
    use std::error::Error as _;
    use std::sync::Arc;

    use bytes::Bytes;
    use futures::TryStreamExt;
    use wmill_core::Error;
    #[cfg(feature = "fs")]
    use wmill_s3::object_store::local::LocalFileSystem;
    use wmill_s3::object_store::memory::InMemory;
    use wmill_s3::object_store::{
        Attribute, GetOptions, ObjectStore, ObjectStoreExt, PutOptions, PutPayload,
    };
    use wmill_s3::{CHECKSUM_METADATA, ChecksumMismatch, S3Client, S3Object, WriteOptions};

    fn mismatch(err: &Error) -> Option<&ChecksumMismatch> {
        err.source()?.downcast_ref::<ChecksumMismatch>()
    }

    #[tokio::test]
    async fn stored_on_write_verified_on_whole_reads() {
        let store = Arc::new(InMemory::new());
        let client = S3Client::from_store(store.clone());
        let obj = S3Object::new("c/a.txt").unwrap();
        client
            .write_s3_file(Some(&obj), "hello", &WriteOptions::new().checksum(true))
            .await
            .unwrap();
        let got = store
            .get_opts(&"c/a.txt".into(), GetOptions::default())
            .await
            .unwrap();
        assert_eq!(
            got.attributes
                .get(&Attribute::Metadata(CHECKSUM_METADATA.into()))
                .map(|v| v.as_ref().to_owned()),
            Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".to_owned())
        );
        assert_eq!(client.load_s3_file(&obj).await.unwrap(), "hello");

        // the bytes change behind our back, the checksum stays
        let attrs = got.attributes.clone();
        store
            .put_opts(
                &"c/a.txt".into(),
                PutPayload::from_static(b"hellO"),
                PutOptions {
                    attributes: attrs,
                    ..PutOptions::default()
                },
            )
            .await
            .unwrap();
        let err = client.load_s3_file(&obj).await.unwrap_err();
        let bad = mismatch(&err).unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(bad.object, "s3:///c/a.txt");
        let streamed: Result<Vec<Bytes>, Error> = client
            .load_s3_file_stream(&obj)
            .await
            .unwrap()
            .try_collect()
            .await;
        assert!(mismatch(&streamed.unwrap_err()).is_some());
        // ranges are not verified
        assert_eq!(client.load_s3_file_range(&obj, 0..4).await.unwrap(), "hell");
        // objects without a checksum read as before
        store.put(&"c/plain".into(), "x".into()).await.unwrap();
        assert_eq!(
            client
                .load_s3_file(&S3Object::new("c/plain").unwrap())
                .await
                .unwrap(),
            "x"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn large_streams_and_stores_without_metadata_are_verified_by_reading_back() {
        // a stream above the multipart threshold: the checksum is known only at the end
        let store = Arc::new(InMemory::new());
        let client = S3Client::from_store(store.clone());
        let obj = S3Object::new("c/big.bin").unwrap();
        let chunks: Vec<Bytes> = (0..12u8).map(|i| Bytes::from(vec![i; 1 << 20])).collect();
        client
            .write_s3_file_stream(
                Some(&obj),
                futures::stream::iter(chunks).map(Ok::<_, std::io::Error>),
                &WriteOptions::new().checksum(true),
            )
            .await
            .unwrap();
        let got = store
            .get_opts(&"c/big.bin".into(), GetOptions::default())
            .await
            .unwrap();
        assert!(got.attributes.is_empty());
        // a buffer of the same size: its checksum is known before the upload, so it is stored
        client
            .write_s3_file(
                Some(&obj),
                vec![7u8; 12 << 20],
                &WriteOptions::new().checksum(true),
            )
            .await
            .unwrap();
        let got = store
            .get_opts(&"c/big.bin".into(), GetOptions::default())
            .await
            .unwrap();
        assert!(
            got.attributes
                .get(&Attribute::Metadata(CHECKSUM_METADATA.into()))
                .is_some()
        );

        // a local directory keeps no metadata: written, then read back and compared
        #[cfg(feature = "fs")]
        {
            let dir = tempfile::tempdir().unwrap();
            let local = S3Client::from_store(Arc::new(
                LocalFileSystem::new_with_prefix(dir.path()).unwrap(),
            ));
            let obj = S3Object::new("l/a.txt").unwrap();
            local
                .write_s3_file(Some(&obj), "local", &WriteOptions::new().checksum(true))
                .await
                .unwrap();
            assert_eq!(local.load_s3_file(&obj).await.unwrap(), "local");
        }
    }

    use futures::StreamExt as _;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_corrupted_on_the_way_fails_its_read_back() {
        use std::sync::atomic::Ordering;
        let (client, counters) = crate::support::counting_client(Arc::new(InMemory::new()), None);
        let obj = S3Object::new("c/stream.bin").unwrap();
        let body = || {
            futures::stream::iter(
                (0..12u8).map(|i| Ok::<_, std::io::Error>(Bytes::from(vec![i; 1 << 20]))),
            )
        };
        // without a checksum nobody notices
        counters.corrupt_parts.store(true, Ordering::SeqCst);
        client
            .write_s3_file_stream(Some(&obj), body(), &WriteOptions::new())
            .await
            .unwrap();
        assert_eq!(counters.gets.load(Ordering::SeqCst), 0);
        // with one, the read back finds it
        let err = client
            .write_s3_file_stream(Some(&obj), body(), &WriteOptions::new().checksum(true))
            .await
            .unwrap_err();
        assert!(mismatch(&err).is_some(), "{err:?}");
        assert_eq!(counters.gets.load(Ordering::SeqCst), 1);
        // a sound transport passes
        counters.corrupt_parts.store(false, Ordering::SeqCst);
        client
            .write_s3_file_stream(Some(&obj), body(), &WriteOptions::new().checksum(true))
            .await
            .unwrap();
        assert_eq!(counters.gets.load(Ordering::SeqCst), 2);
    }
}
