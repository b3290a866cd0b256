//! The request layer every crate sends through (`wmill_http::Request`): idle timeouts of
//! streamed transfers (a slow but moving body never fails, a stalled one fails within the
//! idle timeout), streamed uploads that are never repeated, input checked before any request,
//! 2xx answers that are not what the call expects.
//!
//! The server here is a raw HTTP/1.1 listener on 127.0.0.1 whose answers are timed byte by
//! byte (wiremock cannot drip a body or stop reading one). Time checks are bounds with a
//! margin for the shared machine, not measurements; the measured figures are in
//! docs/reliability.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wmill_core::Error;
use wmill_http::reqwest::Method;
use wmill_http::reqwest::header::HeaderValue;
use wmill_http::{RetryConfig, Windmill};

const TOKEN: &str = "tok-transport-91ac";
const IDLE: Duration = Duration::from_millis(300);
const TIMEOUT: Duration = Duration::from_millis(300);
/// Margin added to time bounds (the test machine is shared).
const MARGIN: Duration = Duration::from_millis(1500);

/// What the server does once it has read a request's headers.
#[derive(Clone)]
enum Script {
    /// Headers, then `chunks` chunks of `size` bytes every `every`, then the end.
    Drip {
        chunks: usize,
        size: usize,
        every: Duration,
    },
    /// Headers announcing `len` bytes, `sent` of them, then silence.
    StallBody { len: usize, sent: usize },
    /// Reads the whole (chunked) request body, then answers `status` with `body`.
    ReadThenAnswer { status: u16, body: &'static str },
    /// Reads the whole request body, then says nothing.
    ReadThenStall,
    /// Answers `status` at once, without reading the body.
    AnswerAtOnce { status: u16 },
}

struct Server {
    url: String,
    requests: Arc<AtomicUsize>,
}

async fn serve(script: Script) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let count = requests.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let script = script.clone();
            let count = count.clone();
            tokio::spawn(async move {
                let _ = handle(stream, script, count).await;
            });
        }
    });
    Server { url, requests }
}

/// Reads up to the end of the headers; returns them and the bytes read past them.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 4096];
    loop {
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&byte[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            return Ok((head, buf[end + 4..].to_vec()));
        }
    }
}

/// Reads a chunked request body to its last chunk.
async fn read_chunked(stream: &mut TcpStream, mut seen: Vec<u8>) -> std::io::Result<()> {
    let mut byte = [0u8; 65536];
    while !seen.windows(5).any(|w| w == b"0\r\n\r\n") {
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        seen.extend_from_slice(&byte[..n]);
        // Keep only the tail: the terminator is all that is looked for.
        if seen.len() > 16 {
            seen.drain(..seen.len() - 16);
        }
    }
    Ok(())
}

async fn handle(
    mut stream: TcpStream,
    script: Script,
    count: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let (_head, rest) = read_head(&mut stream).await?;
    count.fetch_add(1, Ordering::SeqCst);
    match script {
        Script::Drip {
            chunks,
            size,
            every,
        } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\n\r\n",
                chunks * size
            );
            stream.write_all(head.as_bytes()).await?;
            for _ in 0..chunks {
                tokio::time::sleep(every).await;
                stream.write_all(&vec![b'x'; size]).await?;
                stream.flush().await?;
            }
        }
        Script::StallBody { len, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {len}\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&vec![b'x'; sent]).await?;
            stream.flush().await?;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Script::ReadThenAnswer { status, body } => {
            read_chunked(&mut stream, rest).await?;
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
        }
        Script::ReadThenStall => {
            read_chunked(&mut stream, rest).await?;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Script::AnswerAtOnce { status } => {
            let body = "Internal: busy";
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
        }
    }
    stream.flush().await?;
    Ok(())
}

fn client(url: &str) -> Windmill {
    Windmill::builder()
        .with_base_url(url)
        .with_token(TOKEN)
        .with_workspace("ws")
        .with_request_timeout(TIMEOUT)
        .with_idle_timeout(IDLE)
        .with_retry(
            RetryConfig::default()
                .max_retries(2)
                .initial_backoff(Duration::from_millis(10))
                .max_backoff(Duration::from_millis(40)),
        )
        .build()
        .unwrap()
}

fn octets() -> HeaderValue {
    HeaderValue::from_static("application/octet-stream")
}

/// A body stream of `n` chunks of 1 KiB, one every `every`.
fn dripping_body(
    n: usize,
    every: Duration,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures::stream::iter(0..n).then(move |_| async move {
        tokio::time::sleep(every).await;
        Ok(Bytes::from(vec![b'u'; 1024]))
    })
}

fn assert_no_token(e: &Error) {
    let text = format!("{e} {e:?}");
    assert!(!text.contains(TOKEN), "{text}");
}

#[tokio::test]
async fn a_slow_but_moving_download_outlasts_the_idle_and_request_timeouts() {
    // 12 chunks, one per 100 ms: 1.2 s in all, 4 times the request and idle timeouts.
    let s = serve(Script::Drip {
        chunks: 12,
        size: 1000,
        every: Duration::from_millis(100),
    })
    .await;
    let wm = client(&s.url);
    let resp = wm
        .workspace_request(Method::GET, "job_helpers/download_s3_file")
        .query("file_key", "big.bin")
        .idempotent()
        .send_stream()
        .await
        .unwrap();
    assert_eq!(resp.content_length(), Some(12_000));
    let mut total = 0;
    let mut body = resp.into_stream();
    while let Some(chunk) = body.next().await {
        total += chunk.unwrap().len();
    }
    assert_eq!(total, 12_000);
}

#[tokio::test]
async fn a_stalled_download_fails_within_the_idle_timeout() {
    let s = serve(Script::StallBody {
        len: 10_000,
        sent: 100,
    })
    .await;
    let wm = client(&s.url);
    let resp = wm
        .workspace_request(Method::GET, "job_helpers/download_s3_file")
        .idempotent()
        .send_stream()
        .await
        .unwrap();
    let mut body = resp.into_stream();
    let started = Instant::now();
    let mut got = 0;
    let err = loop {
        match body.next().await {
            Some(Ok(chunk)) => got += chunk.len(),
            Some(Err(e)) => break e,
            None => panic!("a stalled body ended cleanly after {got} bytes"),
        }
    };
    let waited = started.elapsed();
    eprintln!("stalled download: idle timeout {IDLE:?}, error after {waited:?}");
    assert!(err.is_timeout(), "{err:?}");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(waited >= IDLE.mul_f64(0.9), "{waited:?}");
    assert!(waited <= IDLE.mul_f64(1.1) + MARGIN, "{waited:?}");
    assert!(
        body.next().await.is_none(),
        "the stream ends after its error"
    );
    assert_no_token(&err);
}

/// A large answer read into memory (a job's result) on a slow link: past the request timeout
/// it goes on while bytes keep coming, instead of failing (and being fetched again) at 300 ms.
#[tokio::test]
async fn a_large_answer_still_moving_outlasts_the_request_timeout() {
    let s = serve(Script::Drip {
        chunks: 12,
        size: 1000,
        every: Duration::from_millis(100),
    })
    .await;
    let wm = client(&s.url);
    let body = wm
        .workspace_request(Method::GET, "jobs_u/completed/get_result/x")
        .idempotent()
        .send_bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), 12_000);
    assert_eq!(s.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_stalled_ordinary_answer_fails_within_the_request_timeout_per_attempt() {
    let s = serve(Script::StallBody {
        len: 10_000,
        sent: 100,
    })
    .await;
    let wm = client(&s.url);
    let started = Instant::now();
    let err = wm
        .workspace_request(Method::GET, "variables/list")
        .idempotent()
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.is_retryable());
    // 3 attempts, each cut at the request timeout.
    assert_eq!(s.requests.load(Ordering::SeqCst), 3);
    let waited = started.elapsed();
    eprintln!("stalled answer: 3 attempts of {TIMEOUT:?} + backoffs, error after {waited:?}");
    assert!(waited <= TIMEOUT.mul_f64(1.1) * 3 + MARGIN, "{waited:?}");
    assert_no_token(&err);
}

#[tokio::test]
async fn a_slow_but_moving_upload_outlasts_the_idle_and_request_timeouts() {
    let s = serve(Script::ReadThenAnswer {
        status: 200,
        body: r#"{"file_key":"big.bin"}"#,
    })
    .await;
    let wm = client(&s.url);
    // 12 chunks, one per 100 ms.
    let answer: Value = wm
        .workspace_request(Method::POST, "job_helpers/upload_s3_file")
        .query("file_key", "big.bin")
        .body_stream(dripping_body(12, Duration::from_millis(100)), octets())
        .send_json()
        .await
        .unwrap();
    assert_eq!(answer, json!({"file_key": "big.bin"}));
    // The same through replayable chunks: their answer waits for the last of them.
    let chunks: Vec<Bytes> = (0..8).map(|_| Bytes::from(vec![b'c'; 4096])).collect();
    let answer: Value = wm
        .workspace_request(Method::POST, "job_helpers/upload_s3_file")
        .body_chunks(chunks, octets())
        .idempotent()
        .send_json()
        .await
        .unwrap();
    assert_eq!(answer, json!({"file_key": "big.bin"}));
}

#[tokio::test]
async fn an_upload_whose_answer_never_comes_fails_within_the_idle_timeout() {
    let s = serve(Script::ReadThenStall).await;
    let wm = client(&s.url);
    let started = Instant::now();
    let err = wm
        .workspace_request(Method::POST, "job_helpers/upload_s3_file")
        .body_stream(dripping_body(3, Duration::from_millis(10)), octets())
        .send_json::<Value>()
        .await
        .unwrap_err();
    let waited = started.elapsed();
    eprintln!("upload without answer: idle timeout {IDLE:?}, error after {waited:?}");
    assert!(err.is_timeout(), "{err:?}");
    assert!(waited <= IDLE.mul_f64(1.1) + MARGIN, "{waited:?}");
    // Never repeated: the stream is gone.
    assert_eq!(s.requests.load(Ordering::SeqCst), 1);
    assert_no_token(&err);
}

#[tokio::test]
async fn a_streamed_upload_is_never_repeated_chunks_are() {
    for status in [500u16, 502, 503] {
        let s = serve(Script::AnswerAtOnce { status }).await;
        let wm = client(&s.url);
        let err = wm
            .workspace_request(Method::POST, "job_helpers/upload_s3_file")
            .idempotent()
            .body_stream(dripping_body(2, Duration::from_millis(1)), octets())
            .send_empty()
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(status), "{err:?}");
        assert_eq!(s.requests.load(Ordering::SeqCst), 1, "{status}");
        // Replayable chunks of an idempotent upload are sent again (1 + 2 retries).
        let err = wm
            .workspace_request(Method::POST, "job_helpers/upload_s3_file")
            .idempotent()
            .body_chunks(vec![Bytes::from_static(b"abc")], octets())
            .send_empty()
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(status), "{err:?}");
        assert_eq!(s.requests.load(Ordering::SeqCst), 4, "{status}");
    }
}

#[tokio::test]
async fn segments_that_would_change_the_path_are_refused_before_any_request() {
    let s = serve(Script::AnswerAtOnce { status: 200 }).await;
    let wm = client(&s.url);
    for path in [
        "variables/.\t./x",
        "variables/..",
        "a//b",
        "a/./b",
        "a/b\n",
        "a/\u{7f}",
        "x/\r/y",
    ] {
        let e = wm
            .workspace_request(Method::GET, path)
            .send_empty()
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput { what, .. } if *what == "URL path segment"),
            "{path:?}: {e:?}"
        );
        let e = wm
            .request_json(Method::GET, &format!("w/ws/{path}"), None)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{path:?}: {e:?}");
    }
    assert_eq!(s.requests.load(Ordering::SeqCst), 0);
    // Ordinary segments are percent-encoded, not refused.
    let req = wm.workspace_request(Method::GET, "a b/é%/?#");
    assert_eq!(
        req.url().path(),
        "/api/w/ws/a%20b/%C3%A9%25/%3F%23",
        "{}",
        req.url()
    );
}
