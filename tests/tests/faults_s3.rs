//! S3 faults against the real in-process S3 server (s3s + s3s-fs), through a `CutProxy` that cuts
//! connections after some bytes: uploads cut in the middle are aborted and leave no object and
//! no pending multipart upload; a failing input stream or reader aborts the upload; downloads cut
//! in the middle report an error instead of returning truncated bytes; a stalled download ends
//! at the store's timeout.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use object_store::{ClientOptions, ObjectStoreExt};
use wmill_core::Error;
use wmill_s3::{S3Client, S3Object, TransferOptions, WriteOptions};
use wmill_tests::faults::{CutProxy, ProxyMode};
use wmill_tests::s3_server::S3TestServer;

const MIB: usize = 1 << 20;
const MARGIN: Duration = Duration::from_secs(2);

struct Setup {
    server: S3TestServer,
    proxy: CutProxy,
    client: S3Client,
}

/// A client through the proxy, with `retries` object_store retries and a 5 s request timeout.
async fn setup(retries: usize) -> Setup {
    setup_with(retries, Duration::from_secs(5)).await
}

/// [`setup`] with a request timeout. (A part upload that times out on the client side may
/// still be stored by the server after the abort, the race S3 documents for aborts: the timeout
/// is kept well above the time a 5 MiB part takes on a loaded machine.)
async fn setup_with(retries: usize, timeout: Duration) -> Setup {
    let server = S3TestServer::start().await.unwrap();
    let proxy = CutProxy::start(server.addr).await;
    let store = server
        .builder()
        .with_endpoint(proxy.endpoint())
        .with_retry(object_store::RetryConfig {
            max_retries: retries,
            retry_timeout: Duration::from_secs(5),
            backoff: object_store::BackoffConfig {
                init_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(50),
                base: 2.0,
            },
        })
        .with_client_options(
            ClientOptions::new()
                .with_allow_http(true)
                .with_timeout(timeout)
                .with_connect_timeout(Duration::from_secs(1)),
        )
        .build()
        .unwrap();
    let client = S3Client::from_store(Arc::new(store)).with_transfer_options(
        TransferOptions::default()
            .with_part_size(5 * MIB)
            .with_max_concurrency(2),
    );
    // The path through the proxy works when nothing is cut (so the faults below are the cause
    // of the errors).
    let probe = S3Object::new("probe.txt").unwrap();
    client
        .write_s3_file(Some(&probe), "ok", &WriteOptions::new())
        .await
        .unwrap();
    assert_eq!(client.load_s3_file(&probe).await.unwrap(), "ok");
    client.delete_s3_object(&probe).await.unwrap();
    Setup {
        server,
        proxy,
        client,
    }
}

fn data(len: usize) -> Bytes {
    Bytes::from((0..len).map(|i| (i % 251) as u8).collect::<Vec<u8>>())
}

/// No object at `key` (checked on the server directly, not through the proxy), no pending
/// multipart upload and no orphan part.
async fn assert_nothing_visible(s: &Setup, key: &str) {
    let direct = s.server.object_store().unwrap();
    let head = direct.head(&key.into()).await;
    assert!(
        matches!(head, Err(object_store::Error::NotFound { .. })),
        "a partial object is visible: {head:?}"
    );
    assert!(!s.server.object_path(&s.server.bucket, key).exists());
    // The abort runs before the write returns; give the server's file removal a moment.
    for _ in 0..50 {
        if s.server.pending_multipart_uploads().unwrap().is_empty()
            && s.server.pending_parts().unwrap().is_empty()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "upload left behind: {:?} {:?}",
        s.server.pending_multipart_uploads().unwrap(),
        s.server.pending_parts().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_upload_cut_mid_part_is_aborted() {
    let s = setup(1).await;
    // Every connection dies after 2 MiB upstream: each 5 MiB part is cut; the small requests
    // (create, abort) pass.
    s.proxy.set_mode(ProxyMode::CutUpload(2 * MIB));
    let obj = S3Object::new("up/cut.bin").unwrap();
    let t = Instant::now();
    let err = s
        .client
        .write_s3_file(Some(&obj), data(12 * MIB), &WriteOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert!(s.proxy.cuts() >= 1);
    assert!(t.elapsed() <= Duration::from_secs(10) + MARGIN);
    assert_nothing_visible(&s, "up/cut.bin").await;

    // The same write succeeds once the network is back, and is whole.
    s.proxy.set_mode(ProxyMode::Pass);
    let body = data(12 * MIB);
    s.client
        .write_s3_file(Some(&obj), body.clone(), &WriteOptions::new())
        .await
        .unwrap();
    assert_eq!(s.client.load_s3_file(&obj).await.unwrap(), body);
}

#[tokio::test]
async fn a_single_put_cut_mid_body_leaves_no_object() {
    let s = setup(1).await;
    s.proxy.set_mode(ProxyMode::CutUpload(256 * 1024));
    let err = s
        .client
        .write_s3_file(
            Some(&S3Object::new("up/small.bin").unwrap()),
            data(MIB),
            &WriteOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert_nothing_visible(&s, "up/small.bin").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_input_stream_aborts_the_upload() {
    let s = setup(0).await;
    for (key, good_chunks) in [("in/multipart.bin", 7usize), ("in/single.bin", 1)] {
        let chunks = (0..good_chunks)
            .map(|_| Ok::<_, std::io::Error>(data(MIB)))
            .chain(std::iter::once(Err(std::io::Error::other(
                "the input broke",
            ))));
        let obj = S3Object::new(key).unwrap();
        let err = s
            .client
            .write_s3_file_stream(
                Some(&obj),
                futures::stream::iter(chunks),
                &WriteOptions::new(),
            )
            .await
            .unwrap_err();
        match &err {
            Error::Storage { source, .. } => {
                assert!(source.to_string().contains("the input broke"), "{err:?}")
            }
            other => panic!("{other:?}"),
        }
        assert_nothing_visible(&s, key).await;
    }
}

/// A write whose future is dropped mid-upload (a script killed by a timeout, a `select!`) aborts
/// its multipart upload in the background: no pending upload and no object stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_write_aborts_its_upload() {
    let s = setup(0).await;
    let obj = S3Object::new("in/cancelled.bin").unwrap();
    // 7 MiB, then the body never ends.
    let body = futures::stream::iter((0..7).map(|_| Ok::<_, std::io::Error>(data(MIB))))
        .chain(futures::stream::pending());
    let opts = WriteOptions::new();
    let write = s.client.write_s3_file_stream(Some(&obj), body, &opts);
    let r = tokio::time::timeout(Duration::from_millis(1500), write).await;
    assert!(r.is_err(), "the write ended: {r:?}");
    assert_nothing_visible(&s, "in/cancelled.bin").await;
}

/// An `AsyncRead` that yields `ok` bytes, then an error.
struct FailingReader {
    ok: usize,
}

impl tokio::io::AsyncRead for FailingReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.ok == 0 {
            return Poll::Ready(Err(std::io::Error::other("disk read failed")));
        }
        let n = self.ok.min(buf.remaining()).min(64 * 1024);
        buf.put_slice(&vec![7u8; n]);
        self.ok -= n;
        Poll::Ready(Ok(()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_reader_aborts_the_upload() {
    let s = setup(0).await;
    let obj = S3Object::new("in/reader.bin").unwrap();
    let err = s
        .client
        .write_s3_file_reader(
            Some(&obj),
            FailingReader { ok: 11 * MIB },
            &WriteOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert_nothing_visible(&s, "in/reader.bin").await;
}

/// The error of a download that must fail (printing only the length of unexpected bytes).
fn expect_err(r: wmill_core::Result<Bytes>) -> Error {
    match r {
        Ok(b) => panic!(
            "the download returned {} bytes instead of an error",
            b.len()
        ),
        Err(e) => e,
    }
}

async fn put_direct(s: &Setup, key: &str, body: Bytes) {
    s.server
        .object_store()
        .unwrap()
        .put(&key.into(), body.into())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_mid_body_is_an_error_not_truncated_bytes() {
    let s = setup(0).await;
    let body = data(3 * MIB);
    put_direct(&s, "down/a.bin", body.clone()).await;
    let obj = S3Object::new("down/a.bin").unwrap();
    s.proxy.set_mode(ProxyMode::CutDownload(MIB));

    let t = Instant::now();
    let err = expect_err(s.client.load_s3_file(&obj).await);
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");

    // The stream form: some chunks, then an error item; never a clean end.
    let mut stream = s.client.load_s3_file_stream(&obj).await.unwrap();
    let mut got = 0usize;
    let mut failed = false;
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => got += chunk.len(),
            Err(e) => {
                assert!(matches!(e, Error::Storage { .. }), "{e:?}");
                failed = true;
                break;
            }
        }
    }
    assert!(
        failed,
        "the stream ended cleanly after {got} of {} bytes",
        body.len()
    );
    assert!(got < body.len());

    // A range read cut too.
    let err = expect_err(s.client.load_s3_file_range(&obj, 0..(2 * MIB) as u64).await);
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");

    // The reader form: read_to_end fails.
    let mut reader = s.client.load_s3_file_reader(&obj).await.unwrap();
    let mut buf = Vec::new();
    let r = tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut buf).await;
    assert!(
        r.is_err(),
        "reader returned {} bytes without error",
        buf.len()
    );
    assert!(t.elapsed() <= Duration::from_secs(4) + MARGIN);
}

/// With object_store's retries on, a cut download either resumes to the exact bytes or fails:
/// never a short `Ok`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_download_with_retries_is_whole_or_an_error() {
    let s = setup(5).await;
    let body = data(3 * MIB);
    put_direct(&s, "down/b.bin", body.clone()).await;
    s.proxy.set_mode(ProxyMode::CutDownload(MIB));
    let obj = S3Object::new("down/b.bin").unwrap();
    match s.client.load_s3_file(&obj).await {
        Ok(got) => assert!(got == body, "{} of {} bytes", got.len(), body.len()),
        Err(e) => assert!(matches!(e, Error::Storage { .. }), "{e:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_download_ends_at_the_store_timeout() {
    let s = setup_with(0, Duration::from_secs(1)).await;
    put_direct(&s, "down/stall.bin", data(3 * MIB)).await;
    s.proxy.set_mode(ProxyMode::StallDownload(MIB));
    let obj = S3Object::new("down/stall.bin").unwrap();
    let t = Instant::now();
    let err = expect_err(s.client.load_s3_file(&obj).await);
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert!(err.is_timeout(), "{err:?}");
    // One attempt with a 1 s timeout.
    assert!(
        t.elapsed() <= Duration::from_secs(1) + MARGIN,
        "{:?}",
        t.elapsed()
    );
}
