//! The behaviour every backend must have, written once as functions over an [`S3Client`], and
//! a counting `ObjectStore` wrapper to see multipart parts and aborts.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, PutResult, UploadPart,
};
use wmill_core::{Error, ItemKind};
use wmill_s3::{S3Client, S3Object, StaticResolver, TransferOptions, WriteOptions};

pub const MIB: usize = 1 << 20;

/// Deterministic pseudo-random bytes (xorshift), chunk `index` of a larger body.
pub fn pattern(index: u64, len: usize) -> Bytes {
    let mut state = index.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    Bytes::from(out)
}

/// Counts multipart uploads, parts and aborts of the store it wraps.
#[derive(Debug, Default)]
pub struct Counters {
    pub puts: AtomicUsize,
    pub multipart_uploads: AtomicUsize,
    pub parts: AtomicUsize,
    pub aborts: AtomicUsize,
    pub completes: AtomicUsize,
    pub gets: AtomicUsize,
    /// When set, every uploaded part loses its first byte's value (a corrupting transport).
    pub corrupt_parts: std::sync::atomic::AtomicBool,
}

#[derive(Debug)]
pub struct CountingStore {
    inner: Arc<dyn ObjectStore>,
    pub counters: Arc<Counters>,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        CountingStore {
            inner,
            counters: Arc::default(),
        }
    }
}

impl std::fmt::Display for CountingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Counting({})", self.inner)
    }
}

#[derive(Debug)]
struct CountingUpload {
    inner: Box<dyn MultipartUpload>,
    counters: Arc<Counters>,
}

#[async_trait]
impl MultipartUpload for CountingUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        self.counters.parts.fetch_add(1, Ordering::SeqCst);
        if self.counters.corrupt_parts.load(Ordering::SeqCst) {
            let mut bytes: Vec<u8> = data.into_iter().flat_map(|b| b.to_vec()).collect();
            if let Some(first) = bytes.first_mut() {
                *first = first.wrapping_add(1);
            }
            return self.inner.put_part(PutPayload::from(bytes));
        }
        self.inner.put_part(data)
    }
    async fn complete(&mut self) -> object_store::Result<PutResult> {
        self.counters.completes.fetch_add(1, Ordering::SeqCst);
        self.inner.complete().await
    }
    async fn abort(&mut self) -> object_store::Result<()> {
        self.counters.aborts.fetch_add(1, Ordering::SeqCst);
        self.inner.abort().await
    }
}

#[async_trait]
impl ObjectStore for CountingStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.counters.puts.fetch_add(1, Ordering::SeqCst);
        self.inner.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.counters
            .multipart_uploads
            .fetch_add(1, Ordering::SeqCst);
        let inner = self.inner.put_multipart_opts(location, opts).await?;
        Ok(Box::new(CountingUpload {
            inner,
            counters: self.counters.clone(),
        }))
    }
    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.counters.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get_opts(location, options).await
    }
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }
    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: object_store::RenameOptions,
    ) -> object_store::Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}

/// A client over `store` (wrapped in a [`CountingStore`]) with 5 MiB parts, plus its counters.
pub fn counting_client(
    store: Arc<dyn ObjectStore>,
    storage: Option<&str>,
) -> (S3Client, Arc<Counters>) {
    let counting = CountingStore::new(store);
    let counters = counting.counters.clone();
    let store: Arc<dyn ObjectStore> = Arc::new(counting);
    let resolver = match storage {
        None => StaticResolver::new(store),
        Some(name) => StaticResolver::empty().with_storage(name, store),
    };
    let client = S3Client::new(resolver).with_transfer_options(
        TransferOptions::default()
            .with_part_size(5 * MIB)
            .with_max_concurrency(2),
    );
    (client, counters)
}

fn obj(storage: Option<&str>, key: &str) -> S3Object {
    S3Object::new(key).unwrap().with_storage_opt(storage)
}

/// Bytes in, bytes out; ranges; metadata; exists; content type kept.
pub async fn bytes_roundtrip(client: &S3Client, storage: Option<&str>, keeps_attributes: bool) {
    let o = obj(storage, "suite/bytes/hello.txt");
    let written = client
        .write_s3_file(
            Some(&o),
            "hello world",
            &WriteOptions::new()
                .content_type("text/plain")
                .content_disposition("attachment; filename=\"hello.txt\""),
        )
        .await
        .unwrap();
    assert_eq!(written, o, "the written object keeps key and storage");
    assert_eq!(client.load_s3_file(&o).await.unwrap(), "hello world");
    assert_eq!(client.load_s3_file_range(&o, 6..11).await.unwrap(), "world");
    assert_eq!(
        client.load_s3_file_range(&o, 6..100).await.unwrap(),
        "world",
        "range past the end is cut"
    );
    let ranged: Vec<Bytes> = client
        .load_s3_file_range_stream(&o, 0..5)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ranged.concat(), b"hello");
    assert!(matches!(
        client.load_s3_file_range(&o, 5..5).await,
        Err(Error::InvalidInput { .. })
    ));
    let meta = client.load_s3_file_metadata(&o).await.unwrap();
    assert_eq!(meta.size, 11);
    assert_eq!(meta.object, o);
    assert!(client.s3_object_exists(&o).await.unwrap());

    if keeps_attributes {
        let store = client.object_store(storage).await.unwrap();
        let got = store
            .get(&Path::from("suite/bytes/hello.txt"))
            .await
            .unwrap();
        assert_eq!(
            got.attributes
                .get(&object_store::Attribute::ContentType)
                .map(|v| v.as_ref()),
            Some("text/plain")
        );
    }
    client.delete_s3_object(&o).await.unwrap();
}

/// A stream of chunks in, a stream of chunks out; the AsyncRead views.
pub async fn stream_roundtrip(client: &S3Client, storage: Option<&str>) {
    let o = obj(storage, "suite/stream/data.bin");
    let chunks: Vec<Bytes> = (0..10).map(|i| pattern(i, 1000 + i as usize)).collect();
    let expected: Vec<u8> = chunks.concat();
    let body = futures::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
    client
        .write_s3_file_stream(Some(&o), body, &WriteOptions::default())
        .await
        .unwrap();
    let got: Vec<Bytes> = client
        .load_s3_file_stream(&o)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.concat(), expected);

    use tokio::io::AsyncReadExt;
    let mut read = Vec::new();
    client
        .load_s3_file_reader(&o)
        .await
        .unwrap()
        .read_to_end(&mut read)
        .await
        .unwrap();
    assert_eq!(read, expected);

    let o2 = obj(storage, "suite/stream/from_reader.bin");
    client
        .write_s3_file_reader(Some(&o2), &expected[..], &WriteOptions::default())
        .await
        .unwrap();
    assert_eq!(client.load_s3_file(&o2).await.unwrap(), expected);
    client.delete_s3_object(&o).await.unwrap();
    client.delete_s3_object(&o2).await.unwrap();
}

/// No object given: a key is generated (with the extension) in the default storage.
pub async fn generated_key(client: &S3Client) {
    let written = client
        .write_s3_file(
            None,
            "generated",
            &WriteOptions::new().file_extension("csv"),
        )
        .await
        .unwrap();
    assert!(written.key().starts_with("windmill_uploads/"), "{written}");
    assert!(written.key().ends_with(".csv"), "{written}");
    assert_eq!(written.storage(), None);
    assert_eq!(client.load_s3_file(&written).await.unwrap(), "generated");
    client.delete_s3_object(&written).await.unwrap();
}

/// Missing keys are NotFound for every read.
pub async fn missing_is_not_found(client: &S3Client, storage: Option<&str>) {
    let o = obj(storage, "suite/missing/none.bin");
    let expect_nf = |e: Error| {
        assert!(
            matches!(&e, Error::NotFound { kind: ItemKind::Object, path } if path.ends_with("suite/missing/none.bin")),
            "{e:?}"
        )
    };
    expect_nf(client.load_s3_file(&o).await.unwrap_err());
    match client.load_s3_file_stream(&o).await {
        Err(e) => expect_nf(e),
        Ok(s) => {
            let e = s.try_collect::<Vec<Bytes>>().await.unwrap_err();
            expect_nf(e)
        }
    }
    expect_nf(client.load_s3_file_metadata(&o).await.unwrap_err());
    assert!(!client.s3_object_exists(&o).await.unwrap());
}

/// Delete removes the object.
pub async fn delete_removes(client: &S3Client, storage: Option<&str>) {
    let o = obj(storage, "suite/delete/x.txt");
    client
        .write_s3_file(Some(&o), "x", &WriteOptions::default())
        .await
        .unwrap();
    client.delete_s3_object(&o).await.unwrap();
    assert!(client.load_s3_file(&o).await.unwrap_err().is_not_found());
}

/// Move: the destination gets the content, the source is gone; onto itself keeps the object;
/// a missing source is NotFound and creates nothing.
pub async fn move_renames(client: &S3Client, storage: Option<&str>) {
    let (a, b) = (
        obj(storage, "suite/move/a.txt"),
        obj(storage, "suite/move/b.txt"),
    );
    client
        .write_s3_file(Some(&a), "moving", &WriteOptions::default())
        .await
        .unwrap();
    client
        .write_s3_file(Some(&b), "old content", &WriteOptions::default())
        .await
        .unwrap();
    client.move_s3_object(&a, &b).await.unwrap();
    assert!(!client.s3_object_exists(&a).await.unwrap());
    assert_eq!(client.load_s3_file(&b).await.unwrap(), "moving");
    client.move_s3_object(&b, &b).await.unwrap();
    assert_eq!(client.load_s3_file(&b).await.unwrap(), "moving");
    let missing = obj(storage, "suite/move/missing.txt");
    let c = obj(storage, "suite/move/c.txt");
    let err = client.move_s3_object(&missing, &c).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(!client.s3_object_exists(&c).await.unwrap());
    client.delete_s3_object(&b).await.unwrap();
}

/// Listing by prefix (segment-wise, recursive) and one folder level.
pub async fn list_by_prefix(client: &S3Client, storage: Option<&str>) {
    for key in [
        "suite/list/a/1",
        "suite/list/a/2",
        "suite/list/a/b/3",
        "suite/list/ab/4",
    ] {
        client
            .write_s3_file(Some(&obj(storage, key)), "1234", &WriteOptions::default())
            .await
            .unwrap();
    }
    let mut keys: Vec<String> = client
        .list_s3_objects(storage, Some("suite/list/a"))
        .await
        .unwrap()
        .map_ok(|m| m.object.key().to_owned())
        .try_collect()
        .await
        .unwrap();
    keys.sort();
    assert_eq!(
        keys,
        ["suite/list/a/1", "suite/list/a/2", "suite/list/a/b/3"]
    );
    let all: Vec<_> = client
        .list_s3_objects(storage, Some("suite/list/"))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    assert!(
        all.iter()
            .all(|m| m.size == 4 && m.object.storage() == storage)
    );

    let level = client
        .list_s3_folder(storage, Some("suite/list/a/"))
        .await
        .unwrap();
    assert_eq!(level.folders, ["suite/list/a/b/"]);
    let mut files: Vec<&str> = level.files.iter().map(|f| f.object.key()).collect();
    files.sort_unstable();
    assert_eq!(files, ["suite/list/a/1", "suite/list/a/2"]);
    for m in all {
        client.delete_s3_object(&m.object).await.unwrap();
    }
}

/// Small bodies are one put; larger ones a multipart upload with >= 3 parts, read back intact.
pub async fn multipart_parts(client: &S3Client, counters: &Counters, storage: Option<&str>) {
    let small = obj(storage, "suite/multipart/small.bin");
    let before = counters.multipart_uploads.load(Ordering::SeqCst);
    client
        .write_s3_file(Some(&small), pattern(1, MIB), &WriteOptions::default())
        .await
        .unwrap();
    assert_eq!(
        counters.multipart_uploads.load(Ordering::SeqCst),
        before,
        "1 MiB is a single put"
    );

    let o = obj(storage, "suite/multipart/big.bin");
    let chunks: Vec<Bytes> = (0..16).map(|i| pattern(100 + i, MIB + 7)).collect();
    let expected = chunks.concat();
    let parts_before = counters.parts.load(Ordering::SeqCst);
    client
        .write_s3_file_stream(
            Some(&o),
            futures::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>)),
            &WriteOptions::new().content_type("application/x-test"),
        )
        .await
        .unwrap();
    let parts = counters.parts.load(Ordering::SeqCst) - parts_before;
    assert!(parts >= 3, "{parts} parts");
    assert_eq!(client.load_s3_file(&o).await.unwrap(), expected);
    assert_eq!(
        client
            .load_s3_file_range(&o, 5 * MIB as u64 - 3..5 * MIB as u64 + 3)
            .await
            .unwrap(),
        expected[5 * MIB - 3..5 * MIB + 3]
    );

    // the same from one big Bytes (sliced without copying)
    let o2 = obj(storage, "suite/multipart/big_bytes.bin");
    client
        .write_s3_file(Some(&o2), expected.clone(), &WriteOptions::default())
        .await
        .unwrap();
    assert_eq!(
        client.load_s3_file_metadata(&o2).await.unwrap().size,
        expected.len() as u64
    );
    for x in [small, o, o2] {
        client.delete_s3_object(&x).await.unwrap();
    }
}

/// A body that fails halfway: the error comes back, the upload is aborted, nothing is stored.
pub async fn failing_stream_aborts(client: &S3Client, counters: &Counters, storage: Option<&str>) {
    let o = obj(storage, "suite/abort/broken.bin");
    let aborts = counters.aborts.load(Ordering::SeqCst);
    let body = futures::stream::iter((0..12u64).map(|i| {
        if i == 11 {
            Err(std::io::Error::other("disk on fire"))
        } else {
            Ok(pattern(i, MIB))
        }
    }));
    let err = client
        .write_s3_file_stream(Some(&o), body, &WriteOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Storage { operation, .. } if operation.contains("aborted")),
        "{err:?}"
    );
    let source = std::error::Error::source(&err)
        .map(|s| s.to_string())
        .unwrap_or_default();
    assert!(source.contains("disk on fire"), "{source}");
    assert_eq!(
        counters.aborts.load(Ordering::SeqCst),
        aborts + 1,
        "upload aborted"
    );
    assert!(client.load_s3_file(&o).await.unwrap_err().is_not_found());
}

/// Every behaviour above.
pub async fn run_all(client: &S3Client, counters: &Counters, storage: Option<&str>) {
    bytes_roundtrip(client, storage, true).await;
    stream_roundtrip(client, storage).await;
    if storage.is_none() {
        generated_key(client).await;
    }
    missing_is_not_found(client, storage).await;
    delete_removes(client, storage).await;
    move_renames(client, storage).await;
    list_by_prefix(client, storage).await;
    multipart_parts(client, counters, storage).await;
    failing_stream_aborts(client, counters, storage).await;
}

/// Progress: monotonic byte counts ending at the size, with one last `finished` report, on
/// load, stream, range and write (multipart included).
pub async fn check_progress(client: &S3Client) {
    use futures::StreamExt;
    use wmill_s3::TransferProgress;
    let seen = Arc::new(parking_lot::Mutex::new(Vec::<TransferProgress>::new()));
    let sink = seen.clone();
    let reporting = client.with_progress(move |p: &TransferProgress| sink.lock().push(p.clone()));
    let take = || std::mem::take(&mut *seen.lock());
    let check = |reports: Vec<TransferProgress>, op: &str, size: u64, total: Option<u64>| {
        assert!(reports.len() >= 2, "{op}: {reports:?}");
        let mut last = 0;
        for r in &reports {
            assert_eq!(r.operation, op);
            assert!(r.bytes_done >= last, "{op}: not monotonic");
            last = r.bytes_done;
        }
        for r in &reports[..reports.len() - 1] {
            assert!(!r.finished);
            assert_eq!(r.bytes_total, total);
        }
        let end = reports.last().unwrap();
        assert!(end.finished, "{op}: {end:?}");
        assert_eq!(
            (end.bytes_done, end.bytes_total),
            (size, Some(size)),
            "{op}"
        );
    };
    let size = 20 * MIB as u64 + 3;
    let body: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
    let obj = S3Object::new("progress/big.bin").unwrap();
    // a stream of 1 MiB chunks above the multipart threshold: total unknown until the end
    let chunks: Vec<Bytes> = body.chunks(MIB).map(Bytes::copy_from_slice).collect();
    reporting
        .write_s3_file_stream(
            Some(&obj),
            futures::stream::iter(chunks).map(Ok::<_, std::io::Error>),
            &WriteOptions::new(),
        )
        .await
        .unwrap();
    check(take(), "put", size, None);
    reporting
        .write_s3_file(Some(&obj), body.clone(), &WriteOptions::new())
        .await
        .unwrap();
    check(take(), "put", size, Some(size));
    assert_eq!(
        reporting.load_s3_file(&obj).await.unwrap().len() as u64,
        size
    );
    check(take(), "get", size, Some(size));
    let streamed: Vec<Bytes> = reporting
        .load_s3_file_stream(&obj)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.iter().map(|c| c.len() as u64).sum::<u64>(), size);
    check(take(), "get", size, Some(size));
    let part = reporting.load_s3_file_range(&obj, 10..1010).await.unwrap();
    assert_eq!(part.len(), 1000);
    check(take(), "get", 1000, Some(1000));
    // the original client reports nothing
    client.load_s3_file(&obj).await.unwrap();
    assert!(take().is_empty());
    client.delete_s3_object(&obj).await.unwrap();
}
