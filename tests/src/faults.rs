//! Fault injection for the reliability tests.
//!
//! - [`FaultServer`]: a raw HTTP/1.1 server on `127.0.0.1:<random port>` that reads each request
//!   (its body sized by `Content-Length` or sent `Transfer-Encoding: chunked`, as streamed
//!   uploads are; a request whose chunked body is broken off is not recorded) and then does a
//!   scripted [`Reply`]: a status with headers and body, closing the connection
//!   before or in the middle of the body, stalling before the headers or inside the body, a
//!   chunked body cut short, or an event stream (`text/event-stream`) that ends, breaks or stalls
//!   without completing. Every request is recorded ([`FaultServer::requests`]).
//! - [`CutProxy`]: a TCP proxy in front of another server (the S3 test server) that cuts each
//!   connection after a number of bytes in one direction, or stops forwarding (a stall).
//! - [`LogCapture`]: a `tracing` subscriber at `TRACE` level writing into a shared buffer.
//!
//! ```no_run
//! # #[tokio::main] async fn main() {
//! use wmill_tests::faults::{FaultServer, Reply};
//! let server = FaultServer::start().await;
//! server.on_times("variables/get_value", 2, Reply::status(503, "busy"));
//! server.on("variables/get_value", Reply::json(200, &serde_json::json!("v")));
//! # }
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How an event stream ends after its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseEnd {
    /// A clean end of the body (the terminating chunk): the stream "completes" without the
    /// job's completion.
    Close,
    /// The connection is dropped without the terminating chunk.
    Break,
    /// Nothing more is sent for this long, then the connection is dropped.
    Stall(Duration),
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response (the connection stays open for the next request).
    Respond {
        /// The status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// The body (sent with `Content-Length`).
        body: Bytes,
    },
    /// The connection is closed after the request is read, before any byte of the response.
    CloseBeforeResponse,
    /// Headers announce `content_length` bytes, `sent` are written, then the connection closes.
    CloseMidBody {
        /// The status code.
        status: u16,
        /// The announced `Content-Length`.
        content_length: usize,
        /// The bytes actually sent.
        sent: Bytes,
    },
    /// Nothing is sent for this long (slow headers), then the connection closes.
    StallHeaders(Duration),
    /// Headers and the first bytes of the body, then nothing for `stall`, then a close.
    StallBody {
        /// The status code.
        status: u16,
        /// The announced `Content-Length`.
        content_length: usize,
        /// The bytes sent before the stall.
        sent: Bytes,
        /// How long nothing more comes.
        stall: Duration,
    },
    /// A complete chunked body (no `Content-Length`): the chunks, then the last chunk; the
    /// connection is closed after it.
    Chunked {
        /// The status code.
        status: u16,
        /// The chunks, each flushed on its own.
        chunks: Vec<Bytes>,
    },
    /// A chunked body: one chunk, then the connection closes without the last chunk.
    TruncatedChunked {
        /// The status code.
        status: u16,
        /// The one chunk sent.
        chunk: Bytes,
    },
    /// A `text/event-stream` body: each string is sent as one event (`data: <s>\n\n`).
    Sse {
        /// The events' data.
        events: Vec<String>,
        /// What happens after them.
        end: SseEnd,
    },
}

impl Reply {
    /// `status` with a `text/plain` body (the real server's error shape).
    pub fn status(status: u16, body: &str) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    /// `status` with a JSON body.
    pub fn json(status: u16, value: &serde_json::Value) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from(serde_json::to_vec(value).unwrap()),
        }
    }

    /// `status` with raw body bytes and a given content type.
    pub fn raw(status: u16, content_type: &str, body: impl Into<Bytes>) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// Adds a header to a [`Reply::Respond`].
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Respond { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// Header lines as received (lower-cased names).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

#[derive(Debug)]
struct Rule {
    path_contains: String,
    remaining: Option<usize>,
    reply: Reply,
}

#[derive(Debug)]
struct FaultState {
    rules: Mutex<Vec<Rule>>,
    fallback: Mutex<Reply>,
    log: Mutex<Vec<Recorded>>,
    connections: AtomicU64,
}

impl FaultState {
    fn pick(&self, target: &str) -> Reply {
        let mut rules = self.rules.lock();
        // One-shot rules (with a count) first, in insertion order, then permanent ones.
        for counted in [true, false] {
            for rule in rules.iter_mut() {
                if rule.remaining.is_some() != counted || !target.contains(&rule.path_contains) {
                    continue;
                }
                match &mut rule.remaining {
                    Some(0) => continue,
                    Some(n) => *n -= 1,
                    None => {}
                }
                return rule.reply.clone();
            }
        }
        self.fallback.lock().clone()
    }
}

/// A scripted HTTP/1.1 server (see the [module docs](self)); stops when dropped.
#[derive(Debug)]
pub struct FaultServer {
    addr: SocketAddr,
    state: Arc<FaultState>,
    task: JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultServer {
    /// Starts a server whose fallback answer is `404 Not found: no rule`.
    pub async fn start() -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(FaultState {
            rules: Mutex::new(Vec::new()),
            fallback: Mutex::new(Reply::status(404, "Not found: no rule")),
            log: Mutex::new(Vec::new()),
            connections: AtomicU64::new(0),
        });
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                st.connections.fetch_add(1, Ordering::Relaxed);
                let st = st.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, st).await;
                });
            }
        });
        FaultServer { addr, state, task }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request whose target contains `path_contains` gets `reply` (unless a one-shot
    /// rule matches first).
    pub fn on(&self, path_contains: &str, reply: Reply) {
        self.state.rules.lock().push(Rule {
            path_contains: path_contains.into(),
            remaining: None,
            reply,
        });
    }

    /// The next `times` requests whose target contains `path_contains` get `reply`.
    pub fn on_times(&self, path_contains: &str, times: usize, reply: Reply) {
        self.state.rules.lock().push(Rule {
            path_contains: path_contains.into(),
            remaining: Some(times),
            reply,
        });
    }

    /// The answer when no rule matches.
    pub fn set_fallback(&self, reply: Reply) {
        *self.state.fallback.lock() = reply;
    }

    /// Removes every rule.
    pub fn clear_rules(&self) {
        self.state.rules.lock().clear();
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.log.lock().clone()
    }

    /// How many requests had a target containing `path_contains`.
    pub fn count(&self, path_contains: &str) -> usize {
        self.state
            .log
            .lock()
            .iter()
            .filter(|r| r.target.contains(path_contains))
            .count()
    }

    /// Requests received in total.
    pub fn total(&self) -> usize {
        self.state.log.lock().len()
    }

    /// TCP connections accepted in total (a client that sent nothing still counts here).
    pub fn connections(&self) -> u64 {
        self.state.connections.load(Ordering::Relaxed)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads one request; `None` when the client closed the connection.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Recorded> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body_start = head_end + 4;
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        let (body, end) = read_chunked(stream, buf, body_start).await?;
        buf.drain(..end);
        return Some(Recorded {
            method,
            target,
            headers,
            body,
        });
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < body_start + len {
        let mut chunk = [0u8; 65536];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = Bytes::copy_from_slice(&buf[body_start..body_start + len]);
    buf.drain(..body_start + len);
    Some(Recorded {
        method,
        target,
        headers,
        body,
    })
}

/// Reads more bytes into `buf`; `None` when the client closed the connection.
async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 65536];
    let n = stream.read(&mut chunk).await.ok()?;
    if n == 0 {
        return None;
    }
    buf.extend_from_slice(&chunk[..n]);
    Some(())
}

/// Reads a `Transfer-Encoding: chunked` request body starting at `start` in `buf` (streamed
/// uploads): the decoded body, and where the request ends in `buf`. `None` when the client
/// closed the connection (or broke the body off) before the last chunk.
async fn read_chunked(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    start: usize,
) -> Option<(Bytes, usize)> {
    let mut body = Vec::new();
    let mut pos = start;
    loop {
        let line_end = loop {
            if let Some(i) = find(&buf[pos..], b"\r\n") {
                break pos + i;
            }
            if buf.len() - pos > 1 << 10 {
                return None;
            }
            fill(stream, buf).await?;
        };
        let line = String::from_utf8_lossy(&buf[pos..line_end]).into_owned();
        let size = usize::from_str_radix(line.split(';').next()?.trim(), 16).ok()?;
        pos = line_end + 2;
        if size == 0 {
            // Trailers (none are expected), then an empty line.
            loop {
                let end = loop {
                    if let Some(i) = find(&buf[pos..], b"\r\n") {
                        break pos + i;
                    }
                    fill(stream, buf).await?;
                };
                let empty = end == pos;
                pos = end + 2;
                if empty {
                    return Some((Bytes::from(body), pos));
                }
            }
        }
        let end = pos.checked_add(size)?.checked_add(2)?;
        while buf.len() < end {
            fill(stream, buf).await?;
        }
        body.extend_from_slice(&buf[pos..end - 2]);
        pos = end;
    }
}

fn status_line(status: u16) -> String {
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Status");
    format!("HTTP/1.1 {status} {reason}\r\n")
}

async fn serve(mut stream: TcpStream, st: Arc<FaultState>) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_request(&mut stream, &mut buf).await else {
            return Ok(());
        };
        let reply = st.pick(&req.target);
        st.log.lock().push(req);
        match reply {
            Reply::Respond {
                status,
                headers,
                body,
            } => {
                let mut head = status_line(status);
                for (k, v) in &headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(&body).await?;
                stream.flush().await?;
            }
            Reply::CloseBeforeResponse => return Ok(()),
            Reply::CloseMidBody {
                status,
                content_length,
                sent,
            } => {
                let head = format!(
                    "{}content-type: application/json\r\ncontent-length: {content_length}\r\n\r\n",
                    status_line(status)
                );
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(&sent).await?;
                stream.flush().await?;
                return Ok(());
            }
            Reply::StallHeaders(d) => {
                tokio::time::sleep(d).await;
                return Ok(());
            }
            Reply::StallBody {
                status,
                content_length,
                sent,
                stall,
            } => {
                let head = format!(
                    "{}content-type: application/json\r\ncontent-length: {content_length}\r\n\r\n",
                    status_line(status)
                );
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(&sent).await?;
                stream.flush().await?;
                tokio::time::sleep(stall).await;
                return Ok(());
            }
            Reply::Chunked { status, chunks } => {
                let head = format!(
                    "{}content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
                    status_line(status)
                );
                stream.write_all(head.as_bytes()).await?;
                for chunk in chunks.iter().filter(|c| !c.is_empty()) {
                    stream
                        .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                        .await?;
                    stream.write_all(chunk).await?;
                    stream.write_all(b"\r\n").await?;
                    stream.flush().await?;
                }
                stream.write_all(b"0\r\n\r\n").await?;
                stream.flush().await?;
                return Ok(());
            }
            Reply::TruncatedChunked { status, chunk } => {
                let head = format!(
                    "{}content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
                    status_line(status)
                );
                stream.write_all(head.as_bytes()).await?;
                stream
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                stream.write_all(&chunk).await?;
                stream.write_all(b"\r\n").await?;
                stream.flush().await?;
                return Ok(());
            }
            Reply::Sse { events, end } => {
                let head = format!(
                    "{}content-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n",
                    status_line(200)
                );
                stream.write_all(head.as_bytes()).await?;
                for data in events {
                    let ev = format!("data: {data}\n\n");
                    stream
                        .write_all(format!("{:x}\r\n{ev}\r\n", ev.len()).as_bytes())
                        .await?;
                    stream.flush().await?;
                }
                match end {
                    SseEnd::Close => {
                        stream.write_all(b"0\r\n\r\n").await?;
                        stream.flush().await?;
                    }
                    SseEnd::Break => return Ok(()),
                    SseEnd::Stall(d) => {
                        tokio::time::sleep(d).await;
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// What a [`CutProxy`] does to the connections it forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Forward everything.
    Pass,
    /// Close a connection once it has sent more than this many bytes upstream (client to
    /// server): an upload cut in the middle.
    CutUpload(usize),
    /// Close a connection once more than this many bytes came back (server to client): a
    /// download cut in the middle.
    CutDownload(usize),
    /// Forward this many bytes downstream, then stop forwarding (the connection stays open).
    StallDownload(usize),
}

#[derive(Debug)]
struct ProxyState {
    mode: Mutex<ProxyMode>,
    cuts: AtomicUsize,
}

/// A TCP proxy on `127.0.0.1:<random port>` in front of `upstream`; stops when dropped.
#[derive(Debug)]
pub struct CutProxy {
    addr: SocketAddr,
    state: Arc<ProxyState>,
    task: JoinHandle<()>,
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CutProxy {
    /// Starts a proxy forwarding to `upstream` in [`ProxyMode::Pass`].
    pub async fn start(upstream: SocketAddr) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(ProxyState {
            mode: Mutex::new(ProxyMode::Pass),
            cuts: AtomicUsize::new(0),
        });
        let st = state.clone();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let st = st.clone();
                conns.spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let up = pump(cr, sw, &st, true);
                    let down = pump(sr, cw, &st, false);
                    // Either direction ending (a cut) closes both.
                    let cut = tokio::select! {
                        c = up => c,
                        c = down => c,
                    };
                    if cut {
                        st.cuts.fetch_add(1, Ordering::Relaxed);
                    }
                });
                while conns.try_join_next().is_some() {}
            }
        });
        CutProxy { addr, state, task }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The mode applied from now on (to the bytes of open connections too; a connection's
    /// count starts when it was opened).
    pub fn set_mode(&self, mode: ProxyMode) {
        *self.state.mode.lock() = mode;
    }

    /// How many connections were cut (or stalled) so far.
    pub fn cuts(&self) -> usize {
        self.state.cuts.load(Ordering::Relaxed)
    }
}

/// Copies `from` to `to` (`upload`: client to server) under the proxy's current mode, which
/// is read at every chunk (so pooled connections opened earlier are cut too). Returns whether the
/// mode cut the copy; a stall waits forever instead of returning.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    st: &ProxyState,
    upload: bool,
) -> bool {
    let mut total = 0usize;
    let mut buf = vec![0u8; 16384];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return false;
            }
            Ok(n) => n,
        };
        let (limit, stall) = match (*st.mode.lock(), upload) {
            (ProxyMode::CutUpload(l), true) => (Some(l), false),
            (ProxyMode::CutDownload(l), false) => (Some(l), false),
            (ProxyMode::StallDownload(l), false) => (Some(l), true),
            _ => (None, false),
        };
        let allowed = match limit {
            Some(l) => n.min(l.saturating_sub(total)),
            None => n,
        };
        if allowed > 0 && to.write_all(&buf[..allowed]).await.is_err() {
            return false;
        }
        total += allowed;
        if allowed < n {
            if stall {
                std::future::pending::<()>().await;
            }
            return true;
        }
    }
}

/// A `tracing` subscriber at `TRACE` level (every target) writing into a shared buffer,
/// installed as the process-wide default (also for `log` records) the first time it is asked
/// for; later calls return the same capture.
#[derive(Debug, Clone)]
pub struct LogCapture {
    buf: Arc<Mutex<Vec<u8>>>,
}

#[derive(Debug, Clone)]
struct BufWriter(Arc<Mutex<Vec<u8>>>);

impl Write for BufWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// The process-wide capture (installed on first use).
    pub fn global() -> LogCapture {
        static CAPTURE: std::sync::OnceLock<LogCapture> = std::sync::OnceLock::new();
        CAPTURE
            .get_or_init(|| {
                use tracing_subscriber::util::SubscriberInitExt;
                let buf = Arc::new(Mutex::new(Vec::new()));
                let writer = BufWriter(buf.clone());
                tracing_subscriber::fmt()
                    .with_max_level(tracing::Level::TRACE)
                    .with_ansi(false)
                    .with_writer(move || writer.clone())
                    .finish()
                    .try_init()
                    .expect("no other global subscriber");
                LogCapture { buf }
            })
            .clone()
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buf.lock()).into_owned()
    }

    /// How many bytes were logged so far.
    pub fn len(&self) -> usize {
        self.buf.lock().len()
    }

    /// Whether nothing was logged.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
